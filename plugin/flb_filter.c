/* flb_filter.c - flb-filter_authguard.so: a native fluent-bit filter for the
 * struct flb_filter_plugin layout of fluent-bit 3.2.0 - 5.1.x. It adds an
 * `authguard` map to authentication records and, with drop_non_auth on,
 * drops every other record. Built without fluent-bit headers. */
#include <dlfcn.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "filters/addr.h"
#include "plugin/fluentbit.h"

/* The host's structs, mirrored. fluent-bit memcpy()s sizeof(its struct)
 * bytes from our exported symbol, so this must match byte for byte. */
struct ag_mk_list {
    struct ag_mk_list *prev, *next;
};

struct ag_flb_filter_plugin {
    int event_type;
    int flags;
    const char *name;
    const char *description;
    void *config_map;
    int (*cb_pre_run)(void *f_ins, void *config, void *data);
    int (*cb_init)(void *f_ins, void *config, void *data);
    int (*cb_filter)(const void *data, size_t bytes, const char *tag, int tag_len,
                     void **out_buf, size_t *out_bytes, void *f_ins, void *i_ins,
                     void *filter_context, void *config);
    int (*cb_exit)(void *ctx, void *config);
    int (*cb_notification)(void *f_ins, void *config, void *data);
    struct ag_mk_list _head;
};

#if UINTPTR_MAX == 0xffffffffffffffffu
_Static_assert(offsetof(struct ag_flb_filter_plugin, cb_init) == 40 &&
               offsetof(struct ag_flb_filter_plugin, cb_filter) == 48 &&
               sizeof(struct ag_flb_filter_plugin) == 88,
               "struct flb_filter_plugin of fluent-bit 3.2-5.1 on LP64");
#endif

/* Exported by the fluent-bit executable (linked -rdynamic). Looked up at
 * init rather than linked, so a host without them is refused cleanly
 * instead of failing at the first call. */
typedef const char *(*ag_flb_get_property_fn)(const char *key, void *f_ins);
typedef void (*ag_flb_set_context_fn)(void *f_ins, void *ctx);

struct ag_filter_host {
    ag_flb_get_property_fn get;
    void *ins;
};

static const char *get_filter_property(void *host, const char *key)
{
    struct ag_filter_host *h = host;
    return h->get(key, h->ins);
}

/* 3.2+ has cb_pre_run; hosts before 2.2 call this slot as cb_init, with
 * the same arguments. Doing nothing here is right for both. */
static int ag_filter_pre_run(void *f_ins, void *config, void *data)
{
    (void)f_ins;
    (void)config;
    (void)data;
    return 0;
}

/* A struct flb_config pointer comes from malloc: non-NULL, above the first
 * page, 8-aligned. Hosts with another layout call this slot as cb_filter,
 * where the second argument is a byte count: catch what we can. */
static int plausible_pointer(const void *p)
{
    uintptr_t v = (uintptr_t)p;
    return v >= 4096 && v % 8 == 0;
}

static int ag_filter_init(void *f_ins, void *config, void *data)
{
    char err[AG_CONF_ERRLEN];
    (void)data;
    if (!f_ins || !plausible_pointer(config)) {
        fprintf(stderr, "[filter:authguard] refusing to load: the host's callbacks do not "
                        "match the fluent-bit 3.2-5.1 plugin layout this object was built for\n");
        return -1;
    }
    struct ag_filter_host host = {
        .get = (ag_flb_get_property_fn)dlsym(RTLD_DEFAULT, "flb_filter_get_property"),
        .ins = f_ins,
    };
    ag_flb_set_context_fn set = (ag_flb_set_context_fn)dlsym(RTLD_DEFAULT, "flb_filter_set_context");
    if (!host.get || !set) {
        fprintf(stderr, "[filter:authguard] refusing to load: the host exports no "
                        "flb_filter_get_property/flb_filter_set_context (not fluent-bit?)\n");
        return -1;
    }
    struct ag_flb *c = ag_flb_new(AG_FLB_FILTER, get_filter_property, &host, err, sizeof err);
    if (!c) {
        fprintf(stderr, "[filter:authguard] %s\n", err);
        return -1;
    }
    set(f_ins, c);
    return 0;
}

/* ---- the added map ----------------------------------------------------- */

static void put_kv_str(struct ag_mp_out *w, const char *k, const char *v, size_t n)
{
    ag_mp_out_str(w, k, strlen(k));
    ag_mp_out_str(w, v, n);
}

static void put_kv_uint(struct ag_mp_out *w, const char *k, uint64_t v)
{
    ag_mp_out_str(w, k, strlen(k));
    ag_mp_out_uint(w, v);
}

static void put_counts(struct ag_mp_out *w, const struct ag_counts *c)
{
    ag_mp_out_str(w, "counts", 6);
    ag_mp_out_map(w, 9);
    put_kv_uint(w, "failures", c->failures);
    put_kv_uint(w, "invalid_users", c->invalid_users);
    put_kv_uint(w, "successes", c->successes);
    put_kv_uint(w, "preauth", c->preauth);
    put_kv_uint(w, "privilege", c->privilege);
    put_kv_uint(w, "failures_short", c->failures_short);
    put_kv_uint(w, "failures_long", c->failures_long);
    put_kv_uint(w, "distinct_users", c->distinct_users);
    put_kv_uint(w, "distinct_sources", c->distinct_sources);
}

/* "authguard": {kind, method, user, src_ip, src_port, program, counts} with
 * the absent ones left out. */
static void put_ours(struct ag_mp_out *w, const struct ag_flb_feed *f)
{
    const struct ag_event *ev = &f->ev;
    char ip[AG_ADDR_STRLEN];
    size_t iplen = ag_addr_format(&ev->src, ip);
    int counts = f->have_counts && f->counts.key_kind != AG_KEY_NONE;
    uint32_t n = 1 + (ev->method != AG_M_NONE) + (ev->user.len > 0) + (iplen > 0) +
                 (ev->src_port > 0) + (ev->program.len > 0) + counts;
    ag_mp_out_str(w, "authguard", 9);
    ag_mp_out_map(w, n);
    const char *kind = ag_kind_name((enum ag_kind)ev->kind);
    put_kv_str(w, "kind", kind, strlen(kind));
    if (ev->method != AG_M_NONE) {
        const char *m = ag_method_name((enum ag_method)ev->method);
        put_kv_str(w, "method", m, strlen(m));
    }
    if (ev->user.len)
        put_kv_str(w, "user", ag_span_ptr(ev, ev->user), ev->user.len);
    if (iplen)
        put_kv_str(w, "src_ip", ip, iplen);
    if (ev->src_port)
        put_kv_uint(w, "src_port", ev->src_port);
    if (ev->program.len)
        put_kv_str(w, "program", ag_span_ptr(ev, ev->program), ev->program.len);
    if (counts)
        put_counts(w, &f->counts);
}

/* The record again with its body's pairs, minus any "authguard" key a
 * producer wrote (nobody upstream may forge our verdict), plus ours. */
static void rewrite(struct ag_mp_out *w, const uint8_t *data, size_t end,
                    const struct ag_flb_record *rec, const struct ag_flb_feed *f)
{
    struct ag_mp_reader r;
    ag_mp_reader_init(&r, data, end);
    ag_mp_out_array(w, 2);
    ag_mp_out_raw(w, data + rec->head_start, rec->head_end - rec->head_start);
    ag_mp_out_map(w, rec->n_pairs - rec->n_ours + 1);
    r.pos = rec->pairs_start;
    for (uint32_t k = 0; k < rec->n_pairs; k++) {
        size_t at = r.pos;
        const char *key = NULL;
        size_t kn = 0;
        if (ag_mp_read_str(&r, &key, &kn) < 0 && ag_mp_skip(&r) < 0)
            break; /* cannot happen: the record was read whole before */
        if (ag_mp_skip(&r) < 0)
            break;
        if (!(key && kn == 9 && !memcmp(key, "authguard", 9)))
            ag_mp_out_raw(w, data + at, r.pos - at);
    }
    put_ours(w, f);
}

/* ---- the filter ----------------------------------------------------------- */

struct ag_filter_run {
    struct ag_mp_out w;
    size_t copied;   /* input bytes up to here are in w (or dropped) */
    int changed;
};

/* Before the first change, output is the input: copy lazily. */
static void copy_upto(struct ag_filter_run *run, const uint8_t *data, size_t at)
{
    ag_mp_out_raw(&run->w, data + run->copied, at - run->copied);
    run->changed = 1;
}

static void one_record(struct ag_flb *c, struct ag_flb_feed *f, struct ag_filter_run *run,
                       const uint8_t *data, const struct ag_flb_record *rec, int64_t now)
{
    if (rec->group_marker)
        return; /* group start/end: always kept, the group needs them */
    if (ag_flb_recognize(f, rec, now) == AG_PARSE_EVENT) {
        atomic_fetch_add_explicit(&c->events, 1, memory_order_relaxed);
        if (c->pipe)
            ag_pipeline_feed(c->pipe, &f->ev);
        copy_upto(run, data, rec->start);
        rewrite(&run->w, data, rec->end, rec, f);
        run->copied = rec->end;
    } else if (c->drop_non_auth) {
        copy_upto(run, data, rec->start);
        run->copied = rec->end;
    }
}

/* Returns 0, or -1 on malformed input (then nothing is changed). */
static int filter_chunk(struct ag_flb *c, struct ag_flb_feed *f, struct ag_filter_run *run,
                        const uint8_t *data, size_t bytes)
{
    struct ag_mp_reader r;
    struct ag_flb_record rec;
    int64_t now = ag_flb_now_ms();
    int got;
    ag_mp_reader_init(&r, data, bytes);
    while ((got = ag_flb_next_record(&r, &c->keys, &rec)) == 1) {
        atomic_fetch_add_explicit(&c->records, 1, memory_order_relaxed);
        if (rec.group_marker)
            atomic_fetch_add_explicit(&c->markers, 1, memory_order_relaxed);
        one_record(c, f, run, data, &rec, now);
    }
    if (got < 0) {
        atomic_fetch_add_explicit(&c->malformed, 1, memory_order_relaxed);
        return -1;
    }
    if (run->changed)
        ag_mp_out_raw(&run->w, data + run->copied, bytes - run->copied);
    return 0;
}

static int ag_filter_filter(const void *data, size_t bytes, const char *tag, int tag_len,
                            void **out_buf, size_t *out_bytes, void *f_ins, void *i_ins,
                            void *filter_context, void *config)
{
    (void)tag, (void)tag_len, (void)f_ins, (void)i_ins, (void)config;
    /* Checked in this order so that a host calling this slot with other
     * arguments (another layout) is turned away before any pointer of
     * theirs is followed. */
    if (!data || !bytes || !out_buf || !out_bytes || !ag_flb_is_ours(filter_context))
        return AG_FLB_FILTER_NOTOUCH;
    struct ag_flb *c = filter_context;
    struct ag_flb_feed *f = ag_flb_feed_get(c);
    if (!f)
        return AG_FLB_FILTER_NOTOUCH;
    struct ag_filter_run run;
    memset(&run, 0, sizeof run);
    int bad = filter_chunk(c, f, &run, data, bytes) < 0;
    ag_flb_feed_put(c, f);
    if (bad || !run.changed || run.w.oom) {
        free(run.w.p);
        return AG_FLB_FILTER_NOTOUCH;
    }
    if (run.w.len == 0) { /* every record dropped */
        free(run.w.p);
        run.w.p = NULL;
    }
    *out_buf = run.w.p;
    *out_bytes = run.w.len;
    return AG_FLB_FILTER_MODIFIED;
}

static int ag_filter_exit(void *ctx, void *config)
{
    (void)config;
    if (ag_flb_is_ours(ctx))
        ag_flb_free(ctx);
    return 0;
}

/* The one symbol fluent-bit looks up (filter_<name>_plugin) and copies.
 * Read-only: the host copies it and links its own copy into its list. */
__attribute__((visibility("default"))) const struct ag_flb_filter_plugin filter_authguard_plugin = {
    .event_type = 1, /* FLB_FILTER_LOGS */
    .flags = 0,
    .name = "authguard",
    .description = "authguard: tag authentication records, optionally drop the rest",
    .config_map = NULL, /* no validation: properties are read by name */
    .cb_pre_run = ag_filter_pre_run,
    .cb_init = ag_filter_init,
    .cb_filter = ag_filter_filter,
    .cb_exit = ag_filter_exit,
    .cb_notification = NULL,
};
