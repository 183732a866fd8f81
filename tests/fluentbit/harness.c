/* harness.c - loads out_authguard.so and flb-filter_authguard.so the way
 * fluent-bit does (dlopen, dlsym, the proxy registration, the filter struct
 * copy), feeds them msgpack chunks built with libmsgpack-c and checks what
 * comes out. TAP on stdout; `--bench N` times the filter on one thread. */
#include <dlfcn.h>
#include <msgpack.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

/* ---- TAP ------------------------------------------------------------------ */

struct tap {
    int n, failed;
};

static void ok(struct tap *t, int cond, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#include <stdarg.h>
static void ok(struct tap *t, int cond, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("%sok %d - ", cond ? "" : "not ", ++t->n);
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
    t->failed += !cond;
}

/* ---- the host side: what fluent-bit provides --------------------------------- */

/* A plugin instance as far as the plugins can see it: properties by name
 * and, for the filter, the context it sets. */
struct fake_ins {
    const char *keys[8];
    const char *vals[8];
    void *context;
};

static const char *ins_get(struct fake_ins *ins, const char *key)
{
    for (int k = 0; k < 8 && ins->keys[k]; k++)
        if (!strcasecmp(ins->keys[k], key))
            return ins->vals[k];
    return NULL;
}

/* Exported from this executable (-export-dynamic), as fluent-bit exports them. */
const char *flb_filter_get_property(const char *key, void *ins);
void flb_filter_set_context(void *ins, void *ctx);

const char *flb_filter_get_property(const char *key, void *ins)
{
    return ins_get(ins, key);
}

void flb_filter_set_context(void *ins, void *ctx)
{
    ((struct fake_ins *)ins)->context = ctx;
}

static const char *output_get_property(const char *key, void *o_ins)
{
    return ins_get(o_ins, key);
}

/* fluent-bit's structs (hosts' own definitions, x86-64). */
struct host_proxy_def {
    int type, proxy, flags;
    char *name;
    char *description;
};
struct host_api {
    const char *(*output_get_property)(const char *key, void *o_ins);
    const char *(*input_get_property)(const char *key, void *i_ins);
};
struct host_proxy_context {
    void *remote_context;
    void *proxy;
};
struct host_go_output {
    char *name;
    void *api;
    void *o_ins;
    struct host_proxy_context *context;
    void *cb_init, *cb_flush, *cb_flush_ctx, *cb_exit, *cb_exit_ctx;
};

struct host_mk_list {
    struct host_mk_list *prev, *next;
};
/* 3.2.0 - 5.1.1 */
struct host_filter_plugin {
    int event_type, flags;
    char *name, *description;
    void *config_map;
    int (*cb_pre_run)(void *, void *, void *);
    int (*cb_init)(void *, void *, void *);
    int (*cb_filter)(const void *, size_t, const char *, int, void **, size_t *, void *, void *,
                     void *, void *);
    int (*cb_exit)(void *, void *);
    int (*cb_notification)(void *, void *, void *);
    struct host_mk_list _head;
};
/* 2.1 (no cb_pre_run, no cb_notification): what an older host copies. */
struct host_filter_plugin_21 {
    int event_type, flags;
    char *name, *description;
    void *config_map;
    int (*cb_init)(void *, void *, void *);
    int (*cb_filter)(const void *, size_t, const char *, int, void **, size_t *, void *, void *,
                     void *, void *);
    int (*cb_exit)(void *, void *);
    struct host_mk_list _head;
};

typedef int (*flush_ctx_fn)(void *, const void *, size_t, char *);

struct out_plugin {
    void *dl;
    int (*reg)(struct host_proxy_def *);
    int (*init)(struct host_go_output *);
    flush_ctx_fn flush;
    int (*exit_ctx)(void *);
    void (*unreg)(struct host_proxy_def *);
};

/* Stands in for struct flb_config: the filter only checks it is a pointer. */
static uint64_t fake_config[64];

/* ---- building chunks ------------------------------------------------------------ */

#define T0 1795926256u

static void pk_str(msgpack_packer *pk, const char *s)
{
    msgpack_pack_str(pk, strlen(s));
    msgpack_pack_str_body(pk, s, strlen(s));
}

static void pk_kv(msgpack_packer *pk, const char *k, const char *v)
{
    pk_str(pk, k);
    pk_str(pk, v);
}

static void pk_eventtime(msgpack_packer *pk, uint32_t sec, uint32_t nsec)
{
    char b[8] = {(char)(sec >> 24), (char)(sec >> 16), (char)(sec >> 8), (char)sec,
                 (char)(nsec >> 24), (char)(nsec >> 16), (char)(nsec >> 8), (char)nsec};
    msgpack_pack_ext(pk, 8, 0);
    msgpack_pack_ext_body(pk, b, 8);
}

/* 2.1+ head: [EventTime, {"source": "test"}] */
static void pk_head_v2(msgpack_packer *pk, uint32_t sec)
{
    msgpack_pack_array(pk, 2);
    msgpack_pack_array(pk, 2);
    pk_eventtime(pk, sec, 419145736);
    msgpack_pack_map(pk, 1);
    pk_kv(pk, "source", "test");
}

/* [[t, meta], {"message": msg, "ident": "sshd", "pid": "4242", "host": "web1"}] */
static void rec_v2_split(msgpack_packer *pk, uint32_t sec, const char *msg)
{
    pk_head_v2(pk, sec);
    msgpack_pack_map(pk, 4);
    pk_kv(pk, "message", msg);
    pk_kv(pk, "ident", "sshd");
    pk_kv(pk, "pid", "4242");
    pk_kv(pk, "host", "web1");
}

/* legacy [int t, {"log": whole syslog line}] */
static void rec_legacy_line(msgpack_packer *pk, uint32_t sec, const char *line)
{
    msgpack_pack_array(pk, 2);
    msgpack_pack_int64(pk, sec);
    msgpack_pack_map(pk, 1);
    pk_kv(pk, "log", line);
}

/* journald via in_systemd: legacy head with a float time, flat fields */
static void rec_journal(msgpack_packer *pk, double t, const char *msg)
{
    msgpack_pack_array(pk, 2);
    msgpack_pack_double(pk, t);
    msgpack_pack_map(pk, 4);
    pk_kv(pk, "MESSAGE", msg);
    pk_kv(pk, "SYSLOG_IDENTIFIER", "sshd");
    pk_kv(pk, "_PID", "77");
    pk_kv(pk, "_HOSTNAME", "db1");
}

/* OpenTelemetry group start (-1) or end (-2); its body must be ignored. */
static void rec_marker(msgpack_packer *pk, uint32_t code)
{
    msgpack_pack_array(pk, 2);
    msgpack_pack_array(pk, 2);
    pk_eventtime(pk, code, 0);
    msgpack_pack_map(pk, 0);
    msgpack_pack_map(pk, 1);
    pk_kv(pk, "message", "Failed password for root from 192.0.2.99 port 1 ssh2");
}

#define FAIL_FMT "Failed password for invalid user admin from %s port %d ssh2"

/* Chunk A: v2 records, group markers around, a non-auth record between. */
static void chunk_a(msgpack_sbuffer *sb, int n, const char *ip)
{
    msgpack_packer pk;
    char msg[128];
    msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
    rec_marker(&pk, 0xffffffffu);
    for (int k = 0; k < n; k++) {
        snprintf(msg, sizeof msg, FAIL_FMT, ip, 40000 + k);
        rec_v2_split(&pk, T0 + (uint32_t)k, msg);
        if (k == 0)
            rec_v2_split(&pk, T0, "Server listening on 0.0.0.0 port 22.");
    }
    rec_marker(&pk, 0xfffffffeu);
}

/* Chunk B: legacy records with whole syslog lines, and journald records. */
static void chunk_b(msgpack_sbuffer *sb, int n, const char *ip)
{
    msgpack_packer pk;
    char line[256], msg[128];
    msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
    for (int k = 0; k < n; k++) {
        snprintf(msg, sizeof msg, FAIL_FMT, ip, 50000 + k);
        if (k % 2) {
            rec_journal(&pk, T0 + k + 0.5, msg);
            continue;
        }
        char stamp[32];
        time_t at = (time_t)(T0 + (uint32_t)k);
        struct tm tm;
        strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&at, &tm));
        snprintf(line, sizeof line, "%s web2 sshd[99]: %s", stamp, msg);
        rec_legacy_line(&pk, T0 + (uint32_t)k, line);
    }
    rec_legacy_line(&pk, T0, "2026-11-29T06:30:00Z web2 CRON[5]: (root) CMD (true)");
}

/* ---- helpers ---------------------------------------------------------------- */

static char *module_path(const char *name)
{
    const char *dir = getenv("AG_BUILDDIR");
    static char buf[3][4096];
    static int next;
    char *b = buf[next++ % 3];
    snprintf(b, sizeof buf[0], "%s/.libs/%s", dir ? dir : ".", name);
    return b;
}

static int count_lines(const char *path, const char *a, const char *b)
{
    FILE *f = fopen(path, "r");
    char line[65536];
    int n = 0;
    if (!f)
        return -1;
    while (fgets(line, sizeof line, f))
        n += strstr(line, a) && (!b || strstr(line, b));
    fclose(f);
    return n;
}

static int write_conf(const char *path, const char *sink_path)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fprintf(f, "[input]\ntimezone = UTC\n[engine]\nslots = 4096\n"
               "[sink.jsonl]\npath = %s\nevents = all\n", sink_path);
    return fclose(f);
}

/* ---- the output: registration, init, two workers flushing at once ------------ */

static int load_out(struct tap *t, struct out_plugin *o)
{
    o->dl = dlopen(module_path("out_authguard.so"), RTLD_LAZY);
    ok(t, o->dl != NULL, "dlopen out_authguard.so (%s)", o->dl ? "ok" : dlerror());
    if (!o->dl)
        return -1;
    *(void **)&o->reg = dlsym(o->dl, "FLBPluginRegister");
    *(void **)&o->init = dlsym(o->dl, "FLBPluginInit");
    *(void **)&o->flush = dlsym(o->dl, "FLBPluginFlushCtx");
    *(void **)&o->exit_ctx = dlsym(o->dl, "FLBPluginExitCtx");
    *(void **)&o->unreg = dlsym(o->dl, "FLBPluginUnregister");
    ok(t, o->reg && o->init && o->flush && o->exit_ctx && o->unreg && dlsym(o->dl, "FLBPluginExit"),
       "the proxy symbols resolve");
    ok(t, dlsym(o->dl, "ag_parse_line") == NULL && dlsym(o->dl, "ag_mp_next") == NULL,
       "nothing of authguard's own is exported");
    return o->reg && o->init && o->flush && o->exit_ctx && o->unreg ? 0 : -1;
}

/* fluent-bit flushes on a coroutine stack: 64 KiB since 5.1, 24 KiB before
 * (README: raise Coro_Stack_Size there). So do we, on a stack of our own as
 * fluent-bit's coroutines have (a thread's stack also holds its TLS). The
 * sanitizers cannot follow a stack switch: there flushes run on the thread. */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define FLUSH_ON_THREAD 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define FLUSH_ON_THREAD 1
#endif
#endif
#ifndef FLUSH_STACK
#define FLUSH_STACK (64 * 1024)
#endif
#ifdef FLUSH_ON_THREAD
#define FLUSH_WHERE "their threads' stacks"
#else
#define FLUSH_WHERE "coroutine stacks of FLUSH_STACK bytes"
#endif

struct flusher {
    flush_ctx_fn flush;
    void *ctx;
    msgpack_sbuffer *sb;
    pthread_barrier_t *go;
    int rc;
    ucontext_t caller, co;
};

static void flusher_flush(struct flusher *f)
{
    char tag[] = "auth.ssh";
    f->rc = f->flush(f->ctx, f->sb->data, f->sb->size, tag);
}

#ifndef FLUSH_ON_THREAD
/* makecontext() passes ints: the pointer comes in two halves. */
static void flusher_co(unsigned hi, unsigned lo)
{
    flusher_flush((struct flusher *)(uintptr_t)((uint64_t)hi << 32 | lo));
}
#endif

static void *flusher_run(void *arg)
{
    struct flusher *f = arg;
    pthread_barrier_wait(f->go);
#ifdef FLUSH_ON_THREAD
    flusher_flush(f);
#else
    /* A guard page below, so that running out of stack is a crash here,
     * not silently corrupted memory. */
    long page = sysconf(_SC_PAGESIZE);
    char *map = mmap(NULL, FLUSH_STACK + (size_t)page, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (map == MAP_FAILED)
        return NULL;
    mprotect(map, (size_t)page, PROT_NONE);
    char *stack = map + page;
    getcontext(&f->co);
    f->co.uc_stack.ss_sp = stack;
    f->co.uc_stack.ss_size = FLUSH_STACK;
    f->co.uc_link = &f->caller;
    uint64_t p = (uintptr_t)f;
    makecontext(&f->co, (void (*)(void))flusher_co, 2, (unsigned)(p >> 32), (unsigned)p);
    swapcontext(&f->caller, &f->co);
    munmap(map, FLUSH_STACK + (size_t)page);
#endif
    return NULL;
}

/* workers 2: two threads flush different chunks with the same context. */
static void two_workers(struct tap *t, struct out_plugin *o, void *ctx)
{
    msgpack_sbuffer a, b;
    pthread_barrier_t go;
    pthread_t th[2];
    msgpack_sbuffer_init(&a);
    msgpack_sbuffer_init(&b);
    chunk_a(&a, 10, "198.51.100.7");
    chunk_b(&b, 10, "203.0.113.5");
    pthread_barrier_init(&go, NULL, 2);
    static struct flusher f[2]; /* two ucontext_t: too big for a test's frame */
    f[0] = (struct flusher){.flush = o->flush, .ctx = ctx, .sb = &a, .go = &go, .rc = -1};
    f[1] = (struct flusher){.flush = o->flush, .ctx = ctx, .sb = &b, .go = &go, .rc = -1};
    for (int k = 0; k < 2; k++)
        pthread_create(&th[k], NULL, flusher_run, &f[k]);
    for (int k = 0; k < 2; k++)
        pthread_join(th[k], NULL);
    ok(t, f[0].rc == 1 && f[1].rc == 1,
       "two concurrent flushes on %s (%d) return FLB_OK (%d, %d)", FLUSH_WHERE, FLUSH_STACK,
       f[0].rc, f[1].rc);
    pthread_barrier_destroy(&go);
    msgpack_sbuffer_destroy(&a);
    msgpack_sbuffer_destroy(&b);
}

static void *init_instance(struct tap *t, struct out_plugin *o, struct fake_ins *ins,
                           struct host_proxy_context *pctx)
{
    struct host_api api = {output_get_property, NULL};
    struct host_go_output p = {.name = (char *)"authguard", .api = &api, .o_ins = ins,
                               .context = pctx};
    int rc = o->init(&p);
    ok(t, rc == 1 && pctx->remote_context, "FLBPluginInit returns FLB_OK and sets remote_context");
    return rc == 1 ? pctx->remote_context : NULL;
}

static void test_output(struct tap *t, const char *tmp)
{
    struct out_plugin o;
    char conf[512], sink[512];
    if (load_out(t, &o) < 0)
        return;
    struct host_proxy_def *def = calloc(1, sizeof *def); /* the host's own size */
    ok(t, o.reg(def) == 0 && def->type == 2 && def->proxy == 11 && !strcmp(def->name, "authguard"),
       "FLBPluginRegister: output, golang proxy, name authguard");
    snprintf(conf, sizeof conf, "%s/out.conf", tmp);
    snprintf(sink, sizeof sink, "%s/out.jsonl", tmp);
    write_conf(conf, sink);
    struct fake_ins ins = {{"config"}, {conf}, NULL};
    struct host_proxy_context pctx = {0};
    void *ctx = init_instance(t, &o, &ins, &pctx);
    if (ctx) {
        two_workers(t, &o, ctx);
        ok(t, o.exit_ctx(ctx) == 1, "FLBPluginExitCtx returns FLB_OK");
    }
    ok(t, count_lines(sink, "\"class_uid\":3002", NULL) == 20,
       "20 authentication events written (markers and other records skipped): %d",
       count_lines(sink, "\"class_uid\":3002", NULL));
    ok(t, count_lines(sink, "\"class_uid\":3002", "\"hostname\":\"db1\"") == 5,
       "journald fields give the host: %d", count_lines(sink, "\"class_uid\":3002", "db1"));
    ok(t, count_lines(sink, "\"class_uid\":2004", "198.51.100.7") >= 1 &&
          count_lines(sink, "\"class_uid\":2004", "203.0.113.5") >= 1,
       "a finding for each attacking source, from both chunk formats");
    ok(t, count_lines(sink, "192.0.2.99", NULL) == 0, "group marker bodies are never read");

    /* A sink that cannot write: the chunk is asked for again. */
    write_conf(conf, "/dev/full");
    struct host_proxy_context p2 = {0};
    ctx = init_instance(t, &o, &ins, &p2);
    if (ctx) {
        msgpack_sbuffer a;
        char tag[] = "auth";
        msgpack_sbuffer_init(&a);
        chunk_a(&a, 2, "198.51.100.8");
        ok(t, o.flush(ctx, a.data, a.size, tag) == 2, "undelivered output gives FLB_RETRY");
        o.exit_ctx(ctx);
        msgpack_sbuffer_destroy(&a);
    }
    struct fake_ins bad = {{"config"}, {"/nonexistent/authguard.conf"}, NULL};
    struct host_proxy_context p3 = {0};
    struct host_api api = {output_get_property, NULL};
    struct host_go_output p = {.api = &api, .o_ins = &bad, .context = &p3};
    ok(t, o.init(&p) <= 0 && !p3.remote_context, "a missing config file fails init cleanly");
    o.unreg(def);
    free(def);
    dlclose(o.dl);
}

/* ---- the filter ------------------------------------------------------------------- */

struct filter_run {
    int rc;
    void *out;
    size_t out_bytes;
};

static struct filter_run run_filter(const struct host_filter_plugin *p, struct fake_ins *ins,
                                    const void *data, size_t bytes)
{
    struct filter_run r = {0, NULL, 0};
    r.rc = p->cb_filter(data, bytes, "auth", 4, &r.out, &r.out_bytes, ins, NULL, ins->context,
                        fake_config);
    return r;
}

static const msgpack_object *map_get(const msgpack_object *m, const char *key)
{
    if (m->type != MSGPACK_OBJECT_MAP)
        return NULL;
    for (uint32_t k = 0; k < m->via.map.size; k++) {
        const msgpack_object *kk = &m->via.map.ptr[k].key;
        if (kk->type == MSGPACK_OBJECT_STR && kk->via.str.size == strlen(key) &&
            !memcmp(kk->via.str.ptr, key, kk->via.str.size))
            return &m->via.map.ptr[k].val;
    }
    return NULL;
}

static int str_is(const msgpack_object *o, const char *s)
{
    return o && o->type == MSGPACK_OBJECT_STR && o->via.str.size == strlen(s) &&
           !memcmp(o->via.str.ptr, s, o->via.str.size);
}

static int count_keys(const msgpack_object *m, const char *key)
{
    int n = 0;
    for (uint32_t k = 0; m->type == MSGPACK_OBJECT_MAP && k < m->via.map.size; k++) {
        const msgpack_object *kk = &m->via.map.ptr[k].key;
        n += kk->type == MSGPACK_OBJECT_STR && kk->via.str.size == strlen(key) &&
             !memcmp(kk->via.str.ptr, key, kk->via.str.size);
    }
    return n;
}

/* What came out of a filter call, decoded with libmsgpack. */
struct decoded {
    int records, tagged, markers, bad, fully_read;
    uint64_t last_failures;   /* authguard.counts.failures of the last tagged record */
    int user_ok, ip_ok, port_ok, kind_ok, one_ours;
};

static void decode_one(const msgpack_object *rec, struct decoded *d)
{
    if (rec->type != MSGPACK_OBJECT_ARRAY || rec->via.array.size != 2) {
        d->bad++;
        return;
    }
    const msgpack_object *head = &rec->via.array.ptr[0], *body = &rec->via.array.ptr[1];
    if (head->type == MSGPACK_OBJECT_ARRAY && head->via.array.size == 2 &&
        head->via.array.ptr[0].type == MSGPACK_OBJECT_EXT &&
        (unsigned char)head->via.array.ptr[0].via.ext.ptr[0] == 0xff)
        d->markers++;
    const msgpack_object *ag = map_get(body, "authguard");
    if (!ag || ag->type != MSGPACK_OBJECT_MAP)
        return;
    d->tagged++;
    d->one_ours += count_keys(body, "authguard") == 1;
    d->kind_ok += str_is(map_get(ag, "kind"), "auth_failure") ||
                  str_is(map_get(ag, "kind"), "invalid_user");
    d->user_ok += str_is(map_get(ag, "user"), "admin");
    d->ip_ok += map_get(ag, "src_ip") != NULL;
    const msgpack_object *port = map_get(ag, "src_port");
    d->port_ok += port && port->type == MSGPACK_OBJECT_POSITIVE_INTEGER && port->via.u64 >= 40000;
    const msgpack_object *counts = map_get(ag, "counts"), *fail = counts ? map_get(counts, "failures") : NULL;
    if (fail && fail->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
        d->last_failures = fail->via.u64;
}

static struct decoded decode(const void *buf, size_t len)
{
    struct decoded d = {0};
    msgpack_unpacked u;
    size_t off = 0;
    msgpack_unpack_return ret;
    msgpack_unpacked_init(&u);
    while ((ret = msgpack_unpack_next(&u, buf, len, &off)) == MSGPACK_UNPACK_SUCCESS) {
        d.records++;
        decode_one(&u.data, &d);
    }
    d.fully_read = off == len && ret == MSGPACK_UNPACK_CONTINUE;
    msgpack_unpacked_destroy(&u);
    return d;
}

static int load_filter(struct tap *t, void **dl, struct host_filter_plugin *p)
{
    *dl = dlopen(module_path("flb-filter_authguard.so"), RTLD_LAZY);
    ok(t, *dl != NULL, "dlopen flb-filter_authguard.so (%s)", *dl ? "ok" : dlerror());
    void *sym = *dl ? dlsym(*dl, "filter_authguard_plugin") : NULL;
    ok(t, sym != NULL, "filter_authguard_plugin resolves");
    if (!sym)
        return -1;
    memcpy(p, sym, sizeof *p); /* exactly what flb_plugin_load() does */
    ok(t, p->event_type == 1 && !strcmp(p->name, "authguard") && p->cb_init && p->cb_filter &&
          p->cb_exit, "the copied struct names a logs filter called authguard");
    return 0;
}

/* A record whose producer wrote its own "authguard" verdict. */
static void chunk_forged(msgpack_sbuffer *sb)
{
    msgpack_packer pk;
    msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
    pk_head_v2(&pk, T0);
    msgpack_pack_map(&pk, 3);
    pk_kv(&pk, "authguard", "benign");
    pk_kv(&pk, "ident", "sshd");
    pk_kv(&pk, "message", "Failed password for invalid user admin from 192.0.2.1 port 40001 ssh2");
}

static void filter_tagging(struct tap *t, const struct host_filter_plugin *p)
{
    struct fake_ins ins = {{"drop_non_auth"}, {"off"}, NULL};
    ok(t, p->cb_init(&ins, fake_config, NULL) == 0 && ins.context, "cb_init sets a context");
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    chunk_a(&sb, 3, "198.51.100.7");
    chunk_b(&sb, 2, "198.51.100.7"); /* one legacy syslog line, one journald record */
    chunk_forged(&sb);
    struct filter_run r = run_filter(p, &ins, sb.data, sb.size);
    struct decoded d = decode(r.out, r.out_bytes);
    ok(t, r.rc == 1 && d.fully_read && d.bad == 0, "MODIFIED, and the output is valid msgpack");
    ok(t, d.records == 10 && d.tagged == 6 && d.markers == 2,
       "every record kept, 6 tagged, markers untouched (%d records, %d tagged)", d.records,
       d.tagged);
    ok(t, d.kind_ok == 6 && d.user_ok == 6 && d.ip_ok == 6, "kind, user and src_ip on each");
    ok(t, d.port_ok == 6 && d.one_ours == 6, "src_port, and a forged authguard key replaced");
    free(r.out);

    msgpack_sbuffer_clear(&sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    rec_v2_split(&pk, T0, "Server listening on :: port 22.");
    r = run_filter(p, &ins, sb.data, sb.size);
    ok(t, r.rc == 2 && r.out == NULL, "nothing to add: NOTOUCH");
    ok(t, p->cb_exit(ins.context, fake_config) == 0, "cb_exit");
    msgpack_sbuffer_destroy(&sb);
}

static void filter_dropping(struct tap *t, const struct host_filter_plugin *p)
{
    struct fake_ins ins = {{"drop_non_auth", "message_key", "program_key"}, {"on", "msg", "prog"}, NULL};
    ok(t, p->cb_init(&ins, fake_config, NULL) == 0, "cb_init with drop_non_auth on and own keys");
    msgpack_sbuffer sb;
    msgpack_packer pk;
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    rec_marker(&pk, 0xffffffffu);
    for (int k = 0; k < 4; k++) {
        msgpack_pack_array(&pk, 2);
        msgpack_pack_int64(&pk, T0);
        msgpack_pack_map(&pk, 2);
        pk_kv(&pk, "prog", k % 2 ? "sshd" : "systemd");
        pk_kv(&pk, "msg", "Failed password for admin from 192.0.2.3 port 40022 ssh2");
    }
    struct filter_run r = run_filter(p, &ins, sb.data, sb.size);
    struct decoded d = decode(r.out, r.out_bytes);
    ok(t, r.rc == 1 && d.records == 3 && d.tagged == 2 && d.markers == 1,
       "non-auth records dropped, marker kept (%d records)", d.records);
    free(r.out);
    msgpack_sbuffer_clear(&sb);
    rec_v2_split(&pk, T0, "Server listening on :: port 22.");
    r = run_filter(p, &ins, sb.data, sb.size);
    ok(t, r.rc == 1 && r.out_bytes == 0, "a chunk with no auth record is dropped whole");
    p->cb_exit(ins.context, fake_config);
    struct fake_ins bad = {{"drop_non_auth"}, {"maybe"}, NULL};
    ok(t, p->cb_init(&bad, fake_config, NULL) == -1 && !bad.context, "a bad property fails init");
    msgpack_sbuffer_destroy(&sb);
}

/* With a config the filter runs the engine and adds its counts. */
static void filter_counting(struct tap *t, const struct host_filter_plugin *p, const char *tmp)
{
    char conf[512], sink[512];
    snprintf(conf, sizeof conf, "%s/filter.conf", tmp);
    snprintf(sink, sizeof sink, "%s/filter.jsonl", tmp);
    write_conf(conf, sink);
    struct fake_ins ins = {{"config"}, {conf}, NULL};
    ok(t, p->cb_init(&ins, fake_config, NULL) == 0, "cb_init with an authguard config");
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    chunk_a(&sb, 8, "198.51.100.9");
    struct filter_run r = run_filter(p, &ins, sb.data, sb.size);
    struct decoded d = decode(r.out, r.out_bytes);
    ok(t, r.rc == 1 && d.tagged == 8 && d.last_failures == 8,
       "authguard.counts.failures counts the source's failures (%llu)",
       (unsigned long long)d.last_failures);
    free(r.out);
    p->cb_exit(ins.context, fake_config);
    ok(t, count_lines(sink, "\"class_uid\":2004", "198.51.100.9") >= 1,
       "the configured sink got the finding");
    msgpack_sbuffer_destroy(&sb);
}

/* ---- hostile input ------------------------------------------------------------------ */

static uint64_t rnd(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* Every prefix of a valid chunk, bit flips and random bytes: both objects
 * must answer with one of their codes, and a filter output must decode. */
static void hostile(struct tap *t, const struct host_filter_plugin *p, struct out_plugin *o,
                    void *octx)
{
    struct fake_ins ins = {{"drop_non_auth"}, {"on"}, NULL};
    char tag[] = "x";
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    chunk_a(&sb, 3, "2001:db8::1");
    chunk_b(&sb, 3, "192.0.2.77");
    p->cb_init(&ins, fake_config, NULL);
    int bad = 0, checked = 0;
    unsigned char *copy = malloc(sb.size + 1);
    for (size_t len = 1; len <= sb.size; len++) {
        memcpy(copy, sb.data, len); /* a heap copy of exactly len bytes for ASan */
        unsigned char *exact = malloc(len);
        memcpy(exact, copy, len);
        struct filter_run r = run_filter(p, &ins, exact, len);
        if (r.rc == 1 && r.out_bytes && !decode(r.out, r.out_bytes).fully_read)
            bad++;
        bad += r.rc != 1 && r.rc != 2;
        int orc = o->flush(octx, exact, len, tag);
        bad += orc != 0 && orc != 1;
        free(r.out);
        free(exact);
        checked++;
    }
    ok(t, bad == 0, "every prefix (%d) of a valid chunk handled cleanly", checked);
    uint64_t seed = 0x9e3779b97f4a7c15ull;
    bad = 0;
    for (int k = 0; k < 3000; k++) {
        size_t len = 1 + rnd(&seed) % sb.size;
        unsigned char *buf = malloc(len);
        if (k % 2) {
            for (size_t i = 0; i < len; i++)
                buf[i] = (unsigned char)rnd(&seed);
        } else {
            memcpy(buf, sb.data, len);
            for (int f = 0; f < 3; f++)
                buf[rnd(&seed) % len] ^= (unsigned char)(1u << (rnd(&seed) % 8));
        }
        struct filter_run r = run_filter(p, &ins, buf, len);
        if (r.rc == 1 && r.out_bytes && !decode(r.out, r.out_bytes).fully_read)
            bad++;
        bad += r.rc != 1 && r.rc != 2;
        int orc = o->flush(octx, buf, len, tag);
        bad += orc != 0 && orc != 1;
        free(r.out);
        free(buf);
    }
    ok(t, bad == 0, "3000 random and bit-flipped chunks handled cleanly");
    /* Counts that claim more than the chunk holds. */
    static const unsigned char huge[][6] = {
        {0xdd, 0xff, 0xff, 0xff, 0xff, 0x90}, {0xdf, 0x7f, 0xff, 0xff, 0xff, 0x80},
        {0x92, 0xdb, 0xff, 0xff, 0xff, 0xf0}, {0x92, 0xc9, 0x7f, 0xff, 0xff, 0xff}};
    bad = 0;
    for (size_t k = 0; k < sizeof huge / sizeof huge[0]; k++)
        bad += run_filter(p, &ins, huge[k], sizeof huge[k]).rc != 2 ||
               o->flush(octx, huge[k], sizeof huge[k], tag) != 0;
    ok(t, bad == 0, "lengths and counts beyond the chunk are refused");
    p->cb_exit(ins.context, fake_config);
    free(copy);
    msgpack_sbuffer_destroy(&sb);
}

/* A host with the 2.1 layout copies fewer bytes and calls other slots; the
 * filter must turn it away without crashing. */
static void mismatched_layout(struct tap *t, void *dl)
{
    struct host_filter_plugin_21 old;
    struct fake_ins ins = {{"drop_non_auth"}, {"on"}, NULL};
    unsigned char tiny[] = {0x92, 0x01, 0x80};
    void *out = NULL;
    size_t out_bytes = 0;
    memcpy(&old, dlsym(dl, "filter_authguard_plugin"), sizeof old);
    int init_rc = old.cb_init(&ins, fake_config, NULL);
    /* its cb_filter slot is our cb_init: config is a byte count there */
    int filter_rc = old.cb_filter(tiny, sizeof tiny, "t", 1, &out, &out_bytes, &ins, NULL,
                                  ins.context, fake_config);
    /* its cb_exit slot is our cb_filter: data is the (NULL) context */
    int exit_rc = old.cb_exit(ins.context, fake_config);
    ok(t, init_rc == 0 && filter_rc == -1 && exit_rc == 2 && !ins.context && !out,
       "a 2.1-layout host is refused (init %d, filter %d, exit %d), nothing crashes",
       init_rc, filter_rc, exit_rc);

    struct host_filter_plugin cur;
    uint64_t not_ours[8] = {0};
    memcpy(&cur, dlsym(dl, "filter_authguard_plugin"), sizeof cur);
    int rc = cur.cb_filter(tiny, sizeof tiny, "t", 1, &out, &out_bytes, &ins, NULL, not_ours,
                           fake_config);
    ok(t, rc == 2 && cur.cb_exit(not_ours, fake_config) == 0,
       "a context that is not ours is never used");
}

/* ---- benchmark and main ----------------------------------------------------------------- */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Chunks of 1000 records, half of them authentication failures from 250
 * sources, the rest other sshd and cron lines, as fluent-bit 2.1+ sends them. */
static int bench(long rounds)
{
    void *dl;
    struct host_filter_plugin p;
    struct tap t = {0, 0};
    if (load_filter(&t, &dl, &p) < 0)
        return 1;
    struct fake_ins ins = {{"drop_non_auth"}, {"off"}, NULL};
    if (p.cb_init(&ins, fake_config, NULL) != 0)
        return 1;
    msgpack_sbuffer sb;
    msgpack_packer pk;
    char msg[160];
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    for (int k = 0; k < 1000; k++) {
        if (k % 2)
            snprintf(msg, sizeof msg, FAIL_FMT, k % 4 == 1 ? "198.51.100.7" : "2001:db8::5",
                     1024 + k);
        else
            snprintf(msg, sizeof msg, "pam_unix(sshd:session): session closed for user u%d", k);
        rec_v2_split(&pk, T0 + (uint32_t)k, msg);
    }
    double t0 = now_s();
    size_t out_total = 0;
    for (long r = 0; r < rounds; r++) {
        struct filter_run fr = run_filter(&p, &ins, sb.data, sb.size);
        out_total += fr.out_bytes;
        free(fr.out);
    }
    double el = now_s() - t0;
    printf("bench: filter, one thread: %ld records in %.3f s = %.0f records/s "
           "(%.1f MB/s in; half tagged, %zu bytes out per chunk)\n",
           rounds * 1000, el, (double)rounds * 1000 / el,
           (double)sb.size * (double)rounds / el / 1e6, rounds ? out_total / (size_t)rounds : 0);
    p.cb_exit(ins.context, fake_config);
    msgpack_sbuffer_destroy(&sb);
    dlclose(dl);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 3 && !strcmp(argv[1], "--bench"))
        return bench(atol(argv[2]));
    struct tap t = {0, 0};
    char tmp[] = "/tmp/agflb.XXXXXX", conf[512], sink[512];
    if (!mkdtemp(tmp)) {
        printf("Bail out! mkdtemp\n");
        return 99;
    }
    setvbuf(stdout, NULL, _IONBF, 0);
    test_output(&t, tmp);

    void *dl;
    struct host_filter_plugin p;
    if (load_filter(&t, &dl, &p) == 0) {
        filter_tagging(&t, &p);
        filter_dropping(&t, &p);
        filter_counting(&t, &p, tmp);
        struct out_plugin o;
        if (load_out(&t, &o) == 0) {
            snprintf(conf, sizeof conf, "%s/hostile.conf", tmp);
            snprintf(sink, sizeof sink, "%s/hostile.jsonl", tmp);
            write_conf(conf, sink);
            struct fake_ins oi = {{"config"}, {conf}, NULL};
            struct host_proxy_context pc = {0};
            void *octx = init_instance(&t, &o, &oi, &pc);
            if (octx) {
                hostile(&t, &p, &o, octx);
                o.exit_ctx(octx);
            }
            dlclose(o.dl);
        }
        mismatched_layout(&t, dl);
        dlclose(dl);
    }
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
    if (getenv("AG_KEEP")) printf("# kept %s\n", tmp); else if (system(cmd) != 0)
        t.failed++;
    printf("1..%d\n", t.n);
    return t.failed ? 1 : 0;
}
