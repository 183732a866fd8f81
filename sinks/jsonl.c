/* jsonl.c - the JSON-lines sink. Events arrive from many threads, so one
 * mutex guards the render buffer and the stream; lines are written whole,
 * never interleaved. Findings are flushed at once: they are rare and an
 * analyst tailing the file should not wait for them. */
#include "sinks/jsonl.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JSONL_CAP (1u << 20)
#define JSONL_FLUSH_AT (JSONL_CAP / 2) /* one event renders to < 256 KiB */

struct jsonl {
    struct ag_sink base;
    pthread_mutex_t lock;
    FILE *f;
    int own_file;
    enum ag_event_filter events;
    const struct ag_ocsf_ctx *ctx;
    struct ag_buf out;
    char *mem;
    unsigned long write_errors;
};

int ag_event_filter_pass(enum ag_event_filter filter, enum ag_kind kind)
{
    switch (filter) {
    case AG_EVENTS_ALL: return 1;
    case AG_EVENTS_FAILURES: return kind != AG_EV_AUTH_SUCCESS;
    default: return 0;
    }
}

/* Called with the lock held. */
static long write_out(struct jsonl *j)
{
    long failed = 0;
    if (j->out.len && fwrite(j->out.p, 1, j->out.len, j->f) != j->out.len)
        failed = 1;
    if (fflush(j->f) != 0)
        failed = 1;
    ag_buf_reset(&j->out);
    j->write_errors += (unsigned long)failed;
    return failed;
}

static void jsonl_event(struct ag_sink *s, const struct ag_event *ev, const struct ag_counts *c)
{
    struct jsonl *j = (struct jsonl *)s;
    if (!ag_event_filter_pass(j->events, (enum ag_kind)ev->kind))
        return;
    pthread_mutex_lock(&j->lock);
    ag_ocsf_event(&j->out, ev, j->ctx, c);
    ag_buf_putc(&j->out, '\n');
    if (j->out.len >= JSONL_FLUSH_AT)
        write_out(j);
    pthread_mutex_unlock(&j->lock);
}

static void jsonl_finding(struct ag_sink *s, const struct ag_finding *f, const char *remediation)
{
    struct jsonl *j = (struct jsonl *)s;
    pthread_mutex_lock(&j->lock);
    if (j->out.len >= JSONL_FLUSH_AT)
        write_out(j);
    ag_ocsf_finding(&j->out, f, j->ctx, remediation);
    ag_buf_putc(&j->out, '\n');
    write_out(j);
    pthread_mutex_unlock(&j->lock);
}

static long jsonl_flush(struct ag_sink *s, int timeout_ms)
{
    struct jsonl *j = (struct jsonl *)s;
    pthread_mutex_lock(&j->lock);
    long failed = write_out(j);
    pthread_mutex_unlock(&j->lock);
    return failed;
}

static void jsonl_destroy(struct ag_sink *s)
{
    struct jsonl *j = (struct jsonl *)s;
    if (!j)
        return;
    jsonl_flush(s, 0);
    if (j->own_file)
        fclose(j->f);
    pthread_mutex_destroy(&j->lock);
    free(j->mem);
    free(j);
}

static const struct ag_sink_ops jsonl_ops = {
    .name = "jsonl",
    .event = jsonl_event,
    .finding = jsonl_finding,
    .flush = jsonl_flush,
    .destroy = jsonl_destroy,
};

struct ag_sink *ag_jsonl_new(const char *path, enum ag_event_filter events,
                             const struct ag_ocsf_ctx *ctx, char *err, size_t errlen)
{
    struct jsonl *j = calloc(1, sizeof *j);
    if (!j || !(j->mem = malloc(JSONL_CAP))) {
        free(j);
        snprintf(err, errlen, "jsonl: out of memory");
        return NULL;
    }
    if (strcmp(path, "-") == 0) {
        j->f = stdout;
    } else if (!(j->f = fopen(path, "ae"))) {
        snprintf(err, errlen, "jsonl: cannot open '%s' for appending: %s", path,
                 strerror(errno));
        free(j->mem);
        free(j);
        return NULL;
    } else {
        j->own_file = 1;
    }
    pthread_mutex_init(&j->lock, NULL);
    ag_buf_init(&j->out, j->mem, JSONL_CAP);
    j->events = events;
    j->ctx = ctx;
    j->base.ops = &jsonl_ops;
    return &j->base;
}

struct ag_sink *ag_jsonl_create(const struct ag_sink_env *env, char *err, size_t errlen)
{
    const struct ag_conf *c = env->conf;
    static const char *const modes[] = {"all", "failures", "none", NULL};
    const char *path = "-";
    int events = AG_EVENTS_ALL;
    if (ag_conf_str(c, "sink.jsonl", "path", &path, err, errlen) < 0 ||
        ag_conf_enum(c, "sink.jsonl", "events", modes, &events, err, errlen) < 0)
        return NULL;
    return ag_jsonl_new(path, (enum ag_event_filter)events, env->ocsf, err, errlen);
}
