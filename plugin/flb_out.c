/* flb_out.c - out_authguard.so: a fluent-bit output speaking the proxy
 * ("Go plugin") ABI from C, without fluent-bit headers. Each [OUTPUT]
 * instance loads its authguard config, runs a pipeline, and feeds it every
 * authentication event in the chunks it is given, from any worker thread. */
#include <stddef.h>
#include <stdio.h>

#include "plugin/fluentbit.h"

#define AG_EXPORT __attribute__((visibility("default")))

/* The host's structs, mirrored (fluent-bit src/proxy/go/go.h, flb_api.h).
 * Only the members every version since 1.1 has at these offsets are named;
 * event_type/config_map (5.0+) are never written: older hosts allocate 32
 * bytes for the definition. */
struct ag_flb_proxy_def {
    int type;
    int proxy;
    int flags;
    char *name;
    char *description;
};

struct ag_flb_api {
    const char *(*output_get_property)(const char *key, void *o_ins);
};

struct ag_flb_proxy_context {
    void *remote_context;
    void *proxy;
};

struct ag_flbgo_output_plugin {
    char *name;
    struct ag_flb_api *api;
    void *o_ins;
    struct ag_flb_proxy_context *context;
};

enum { AG_PROXY_OUTPUT = 2, AG_PROXY_GOLANG = 11 };

int FLBPluginRegister(struct ag_flb_proxy_def *def) AG_EXPORT;
int FLBPluginInit(struct ag_flbgo_output_plugin *plugin) AG_EXPORT;
int FLBPluginFlushCtx(void *remote_context, const void *data, size_t size, char *tag) AG_EXPORT;
int FLBPluginFlush(const void *data, size_t size, const char *tag) AG_EXPORT;
int FLBPluginExitCtx(void *remote_context) AG_EXPORT;
int FLBPluginExit(void) AG_EXPORT;
void FLBPluginUnregister(struct ag_flb_proxy_def *def) AG_EXPORT;

int FLBPluginRegister(struct ag_flb_proxy_def *def)
{
    if (!def)
        return -1;
    def->type = AG_PROXY_OUTPUT;
    def->proxy = AG_PROXY_GOLANG;
    def->flags = 0;
    /* The host strdup()s name but keeps description: string literals live
     * as long as the object is loaded. */
    def->name = (char *)"authguard";
    def->description = (char *)"authguard: authentication findings from log records";
    return 0;
}

static const char *get_output_property(void *host, const char *key)
{
    struct ag_flbgo_output_plugin *p = host;
    return p->api->output_get_property(key, p->o_ins);
}

/* Once per [OUTPUT] instance, on the engine thread. The plugin object is
 * shared by every instance: the state goes to context->remote_context. */
int FLBPluginInit(struct ag_flbgo_output_plugin *plugin)
{
    char err[AG_CONF_ERRLEN];
    if (!plugin || !plugin->api || !plugin->api->output_get_property || !plugin->context) {
        fprintf(stderr, "[authguard] init: the host passed no property API\n");
        return -1;
    }
    struct ag_flb *c = ag_flb_new(AG_FLB_OUTPUT, get_output_property, plugin, err, sizeof err);
    if (!c) {
        fprintf(stderr, "[authguard] init: %s\n", err);
        return -1;
    }
    plugin->context->remote_context = c;
    return AG_FLB_OK;
}

/* Feeds every event of the chunk; 0, or -1 when the chunk is malformed
 * past some point (the records before it were fed). */
static int feed_chunk(struct ag_flb *c, struct ag_flb_feed *f, const void *data, size_t size)
{
    struct ag_mp_reader r;
    struct ag_flb_record rec;
    int64_t now = ag_flb_now_ms();
    int got;
    ag_mp_reader_init(&r, data, size);
    while ((got = ag_flb_next_record(&r, &c->keys, &rec)) == 1) {
        atomic_fetch_add_explicit(&c->records, 1, memory_order_relaxed);
        if (rec.group_marker) {
            atomic_fetch_add_explicit(&c->markers, 1, memory_order_relaxed);
            continue;
        }
        if (ag_flb_recognize(f, &rec, now) == AG_PARSE_EVENT) {
            atomic_fetch_add_explicit(&c->events, 1, memory_order_relaxed);
            ag_pipeline_feed(c->pipe, &f->ev);
        }
    }
    if (got < 0)
        atomic_fetch_add_explicit(&c->malformed, 1, memory_order_relaxed);
    return got;
}

/* Per chunk, on the engine thread or, with `workers N`, on N threads at
 * once with the same context: the pipeline is thread-safe and each call
 * takes its own parser from the pool. Runs on a coroutine stack of 24 KiB
 * on older hosts, so nothing big lives on the stack. */
int FLBPluginFlushCtx(void *remote_context, const void *data, size_t size, char *tag)
{
    struct ag_flb *c = remote_context;
    (void)tag;
    if (!ag_flb_is_ours(c))
        return AG_FLB_ERROR;
    if (!data || !size)
        return AG_FLB_OK;
    struct ag_flb_feed *f = ag_flb_feed_get(c);
    if (!f)
        return AG_FLB_RETRY;
    int bad = feed_chunk(c, f, data, size) < 0;
    ag_flb_feed_put(c, f);
    /* A retry hands the same records over again, so only undelivered output
     * asks for one; a malformed chunk would be just as malformed next time. */
    if (ag_pipeline_flush(c->pipe, c->flush_timeout_ms) > 0)
        return AG_FLB_RETRY;
    uint64_t n = atomic_load_explicit(&c->malformed, memory_order_relaxed);
    if (bad && (n & (n - 1)) == 0) /* the 1st, 2nd, 4th, 8th, ...: a flood stays short */
        fprintf(stderr, "[authguard] flush: malformed msgpack in a chunk of %zu bytes (%llu so "
                        "far); the records before it were read\n", size, (unsigned long long)n);
    return bad ? AG_FLB_ERROR : AG_FLB_OK;
}

/* Hosts before 1.1 have no context: there is no instance to feed. */
int FLBPluginFlush(const void *data, size_t size, const char *tag)
{
    (void)data;
    (void)size;
    (void)tag;
    return AG_FLB_ERROR;
}

int FLBPluginExitCtx(void *remote_context)
{
    struct ag_flb *c = remote_context;
    if (!ag_flb_is_ours(c))
        return AG_FLB_ERROR;
    ag_pipeline_flush(c->pipe, c->flush_timeout_ms);
    ag_flb_free(c);
    return AG_FLB_OK;
}

int FLBPluginExit(void)
{
    return AG_FLB_OK;
}

void FLBPluginUnregister(struct ag_flb_proxy_def *def)
{
    (void)def;
}
