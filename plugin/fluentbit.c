/* fluentbit.c - the part of out_authguard.so and flb-filter_authguard.so that
 * knows fluent-bit's records but not its ABI: record walking, field lookup,
 * recognition, the parser pool and the per-instance state. */
#include "plugin/fluentbit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "sinks/jsonl.h"

/* ---- records --------------------------------------------------------- */

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Seconds up to the year 5138 keep every product in int64 milliseconds. */
#define MAX_SEC 100000000000.0

static int read_time(struct ag_mp_reader *r, struct ag_flb_record *rec)
{
    size_t save = r->pos;
    struct ag_mp_obj o;
    if (ag_mp_next(r, &o) < 0)
        return -1;
    if (o.type == AG_MP_EXT && o.ext_type == 0 && o.n == 8) {
        uint32_t sec = be32(o.p), nsec = be32(o.p + 4);
        if (sec >= 0xfffffffeu)
            rec->group_marker = 1;
        else
            rec->time_ms = (int64_t)sec * 1000 + (nsec % 1000000000u) / 1000000;
    } else if (o.type == AG_MP_UINT && o.u < (uint64_t)MAX_SEC) {
        rec->time_ms = (int64_t)o.u * 1000;
    } else if (o.type == AG_MP_INT) {
        rec->group_marker = o.i == -1 || o.i == -2;
        if (o.i > 0 && o.i < (int64_t)MAX_SEC)
            rec->time_ms = o.i * 1000;
    } else if (o.type == AG_MP_FLOAT && o.f > 0 && o.f < MAX_SEC) {
        rec->time_ms = (int64_t)(o.f * 1000.0);
    } else if (o.type == AG_MP_ARRAY || o.type == AG_MP_MAP) {
        r->pos = save;
        return ag_mp_skip(r);
    }
    return 0;
}

/* Element 0: a timestamp (before 2.1) or [timestamp, metadata, ...]. */
static int read_head(struct ag_mp_reader *r, struct ag_flb_record *rec)
{
    struct ag_mp_obj o;
    size_t save = r->pos;
    rec->head_start = r->pos;
    if (ag_mp_next(r, &o) < 0)
        return -1;
    if (o.type != AG_MP_ARRAY) {
        r->pos = save;
        if (read_time(r, rec) < 0)
            return -1;
    } else {
        if (o.n >= 1 && read_time(r, rec) < 0)
            return -1;
        for (uint32_t k = 1; k < o.n; k++)
            if (ag_mp_skip(r) < 0)
                return -1;
    }
    rec->head_end = r->pos;
    return 0;
}

static int key_is(const char *k, size_t n, const char *want)
{
    return strlen(want) == n && memcmp(k, want, n) == 0;
}

/* Rank of a message key: lower is preferred, 0 means "not a message key". */
static int message_rank(const struct ag_flb_keys *keys, const char *k, size_t n)
{
    if (keys->message_key[0])
        return key_is(k, n, keys->message_key);
    return key_is(k, n, "message") ? 1 : key_is(k, n, "log") ? 2 : key_is(k, n, "MESSAGE") ? 3 : 0;
}

static int program_key(const struct ag_flb_keys *keys, const char *k, size_t n)
{
    if (keys->program_key[0])
        return key_is(k, n, keys->program_key);
    return key_is(k, n, "ident") || key_is(k, n, "SYSLOG_IDENTIFIER");
}

static uint32_t parse_pid(const struct ag_mp_obj *v)
{
    if (v->type == AG_MP_UINT)
        return v->u <= UINT32_MAX ? (uint32_t)v->u : 0;
    if (v->type != AG_MP_STR || v->n == 0 || v->n > 10)
        return 0;
    uint64_t pid = 0;
    for (uint32_t k = 0; k < v->n; k++) {
        if (v->p[k] < '0' || v->p[k] > '9')
            return 0;
        pid = pid * 10 + (uint64_t)(v->p[k] - '0');
    }
    return pid <= UINT32_MAX ? (uint32_t)pid : 0;
}

static void take_str(const struct ag_mp_obj *v, const char **s, size_t *n)
{
    if (v->type == AG_MP_STR || v->type == AG_MP_BIN) {
        *s = (const char *)v->p;
        *n = v->n;
    }
}

/* One key/value pair of the body. */
static int read_pair(struct ag_mp_reader *r, const struct ag_flb_keys *keys,
                     struct ag_flb_record *rec, int *best)
{
    const char *k;
    size_t kn;
    struct ag_mp_obj v;
    if (ag_mp_read_str(r, &k, &kn) < 0)
        return ag_mp_skip(r) < 0 || ag_mp_skip(r) < 0 ? -1 : 0;
    size_t save = r->pos;
    if (ag_mp_next(r, &v) < 0)
        return -1;
    if (v.type == AG_MP_ARRAY || v.type == AG_MP_MAP) {
        r->pos = save;
        if (ag_mp_skip(r) < 0)
            return -1;
        rec->n_ours += key_is(k, kn, "authguard");
        return 0;
    }
    int rank = message_rank(keys, k, kn);
    if (rank && (!*best || rank < *best) && (v.type == AG_MP_STR || v.type == AG_MP_BIN)) {
        *best = rank;
        take_str(&v, &rec->msg, &rec->msg_len);
    } else if (program_key(keys, k, kn)) {
        take_str(&v, &rec->prog, &rec->prog_len);
    } else if (key_is(k, kn, "pid") || key_is(k, kn, "_PID")) {
        rec->pid = parse_pid(&v);
    } else if (key_is(k, kn, "host") || key_is(k, kn, "_HOSTNAME") || key_is(k, kn, "hostname")) {
        take_str(&v, &rec->host, &rec->host_len);
    } else if (key_is(k, kn, "authguard")) {
        rec->n_ours++;
    }
    return 0;
}

/* Inside one complete record [start, end): anything unexpected leaves the
 * record unrecognized (body_is_map 0), never fails the chunk. */
static void read_inside(struct ag_mp_reader *r, const struct ag_flb_keys *keys,
                        struct ag_flb_record *rec)
{
    struct ag_mp_obj o;
    if (ag_mp_next(r, &o) < 0 || o.type != AG_MP_ARRAY || o.n != 2 || read_head(r, rec) < 0)
        return;
    if (ag_mp_next(r, &o) < 0 || o.type != AG_MP_MAP)
        return;
    rec->pairs_start = r->pos;
    rec->n_pairs = o.n;
    int best = 0;
    for (uint32_t k = 0; k < o.n; k++)
        if (read_pair(r, keys, rec, &best) < 0)
            return;
    rec->body_is_map = r->pos == r->len;
}

int ag_flb_next_record(struct ag_mp_reader *r, const struct ag_flb_keys *keys,
                       struct ag_flb_record *rec)
{
    memset(rec, 0, sizeof *rec);
    if (r->pos >= r->len)
        return 0;
    rec->start = r->pos;
    if (ag_mp_skip(r) < 0)
        return -1;
    rec->end = r->pos;
    struct ag_mp_reader in;
    ag_mp_reader_init(&in, r->p, rec->end);
    in.pos = rec->start;
    read_inside(&in, keys, rec);
    return 1;
}

int ag_flb_recognize(struct ag_flb_feed *f, const struct ag_flb_record *rec, int64_t now_ms)
{
    f->have_counts = 0;
    if (!rec->body_is_map || rec->group_marker || !rec->msg)
        return AG_PARSE_OTHER;
    if (rec->prog_len)
        return ag_parse_message(&f->parser, rec->prog, rec->prog_len, rec->pid, rec->host,
                                rec->host_len, rec->time_ms, now_ms, rec->msg, rec->msg_len,
                                &f->ev);
    return ag_parse_line(&f->parser, rec->msg, rec->msg_len,
                         rec->time_ms > 0 ? rec->time_ms : now_ms, &f->ev);
}

int64_t ag_flb_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- the parser pool ---------------------------------------------------- */

struct ag_flb_feed *ag_flb_feed_get(struct ag_flb *c)
{
    for (int k = 0; k < AG_FLB_POOL; k++) {
        struct ag_flb_feed *f = atomic_exchange(&c->pool[k], NULL);
        if (f)
            return f;
    }
    struct ag_flb_feed *f = malloc(sizeof *f);
    if (!f)
        return NULL;
    ag_parser_init(&f->parser);
    if (c->cfg.have_tz)
        ag_tzcache_set_fixed(&f->parser.tz, c->cfg.tz_offset_s);
    return f;
}

void ag_flb_feed_put(struct ag_flb *c, struct ag_flb_feed *f)
{
    for (int k = 0; k < AG_FLB_POOL; k++) {
        struct ag_flb_feed *expected = NULL;
        if (atomic_compare_exchange_strong(&c->pool[k], &expected, f))
            return;
    }
    free(f); /* more threads than slots at once: the extra one goes */
}

/* ---- per-instance state ------------------------------------------------------ */

/* The filter's first sink: copies the counts the engine gave an event back
 * to the feed that carries it (every event fed here is a feed's ev). */
static void capture_event(struct ag_sink *s, const struct ag_event *ev, const struct ag_counts *c)
{
    struct ag_flb_feed *f = (struct ag_flb_feed *)(void *)ev;
    (void)s;
    f->counts = *c;
    f->have_counts = 1;
}

static void capture_destroy(struct ag_sink *s)
{
    free(s);
}

static const struct ag_sink_ops capture_ops = {
    .name = "fluent-bit record", .event = capture_event, .destroy = capture_destroy,
};

static int set_key(char *dst, const char *v, const char *name, char *err, size_t errlen)
{
    if (!v)
        return 0;
    if (!*v || strlen(v) >= AG_FLB_KEY_MAX) {
        snprintf(err, errlen, "%s: expected a key name of 1 to %d bytes", name, AG_FLB_KEY_MAX - 1);
        return -1;
    }
    strcpy(dst, v);
    return 0;
}

static int set_bool(int *dst, const char *v, const char *name, char *err, size_t errlen)
{
    if (!v)
        return 0;
    if (!strcasecmp(v, "on") || !strcasecmp(v, "true") || !strcasecmp(v, "yes") || !strcmp(v, "1"))
        *dst = 1;
    else if (!strcasecmp(v, "off") || !strcasecmp(v, "false") || !strcasecmp(v, "no") ||
             !strcmp(v, "0"))
        *dst = 0;
    else {
        snprintf(err, errlen, "%s: expected on or off, got '%.64s'", name, v);
        return -1;
    }
    return 0;
}

static int set_ms(int *dst, const char *v, const char *name, char *err, size_t errlen)
{
    char *end;
    if (!v)
        return 0;
    long ms = strtol(v, &end, 10);
    if (end == v || *end || ms < 0 || ms > 600000) {
        snprintf(err, errlen, "%s: expected milliseconds 0 to 600000, got '%.64s'", name, v);
        return -1;
    }
    *dst = (int)ms;
    return 0;
}

static int read_props(struct ag_flb *c, ag_flb_get_fn get, void *host, char *err, size_t errlen)
{
    return set_key(c->keys.message_key, get(host, "message_key"), "message_key", err, errlen) ||
           set_key(c->keys.program_key, get(host, "program_key"), "program_key", err, errlen) ||
           set_bool(&c->drop_non_auth, get(host, "drop_non_auth"), "drop_non_auth", err, errlen) ||
           set_ms(&c->flush_timeout_ms, get(host, "flush_timeout_ms"), "flush_timeout_ms", err,
                  errlen) ? -1 : 0;
}

/* A proxy plugin reaches no fluent-bit log function: its messages go to
 * stderr in fluent-bit's own format, "[2024/11/09 04:07:51] [ warn] [...]". */
static void flb_log(void *ud, enum ag_log_level level, const char *component, const char *msg)
{
    static const char *const names[] = {[AG_LOG_ERROR] = "error", [AG_LOG_WARNING] = " warn",
                                        [AG_LOG_INFO] = " info", [AG_LOG_DEBUG] = "debug"};
    struct ag_flb *c = ud;
    char when[32] = "";
    struct tm tm;
    time_t now = time(NULL);
    if (localtime_r(&now, &tm))
        strftime(when, sizeof when, "%Y/%m/%d %H:%M:%S", &tm);
    fprintf(stderr, "[%s] [%s] [%s:authguard] %s%s%s\n", when, names[level],
            c->role == AG_FLB_FILTER ? "filter" : "output", component ? component : "",
            component ? ": " : "", msg);
}

static int build_pipeline(struct ag_flb *c, enum ag_flb_role role, const char *path,
                          char *err, size_t errlen)
{
    ag_config_for_daemon(&c->cfg);
    if (!(c->pipe = ag_pipeline_new(&c->cfg, 0, err, errlen)))
        return -1;
    c->role = role;
    ag_pipeline_set_log(c->pipe, flb_log, c);
    struct ag_sink *first = NULL;
    if (role == AG_FLB_FILTER) {
        if ((first = calloc(1, sizeof *first)))
            first->ops = &capture_ops;
    } else if (!path) {
        first = ag_jsonl_new("-", AG_EVENTS_NONE, ag_pipeline_ocsf_ctx(c->pipe), err, errlen);
    }
    if ((role == AG_FLB_FILTER || !path) && !first) {
        if (role == AG_FLB_FILTER)
            snprintf(err, errlen, "out of memory");
        return -1;
    }
    if (first)
        ag_pipeline_add_sink(c->pipe, first);
    return ag_pipeline_add_configured_sinks(c->pipe, err, errlen);
}

struct ag_flb *ag_flb_new(enum ag_flb_role role, ag_flb_get_fn get, void *host,
                          char *err, size_t errlen)
{
    struct ag_flb *c = calloc(1, sizeof *c);
    if (!c) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    c->flush_timeout_ms = 2000;
    const char *path = get(host, "config");
    if (read_props(c, get, host, err, errlen) < 0 ||
        ag_config_load(&c->cfg, path, err, errlen) < 0) {
        free(c);
        return NULL;
    }
    c->have_cfg = 1;
    if ((role == AG_FLB_OUTPUT || path) && build_pipeline(c, role, path, err, errlen) < 0) {
        ag_flb_free(c);
        return NULL;
    }
    c->self = c;
    c->magic = AG_FLB_MAGIC;
    return c;
}

void ag_flb_free(struct ag_flb *c)
{
    if (!c)
        return;
    c->magic = 0;
    ag_pipeline_free(c->pipe);
    for (int k = 0; k < AG_FLB_POOL; k++)
        free(atomic_load(&c->pool[k]));
    if (c->have_cfg)
        ag_config_free(&c->cfg);
    free(c);
}

int ag_flb_is_ours(const void *p)
{
    const struct ag_flb *c = p;
    return c && c->magic == AG_FLB_MAGIC && c->self == c;
}
