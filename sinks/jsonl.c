/* jsonl.c - the JSON-lines sink. Events arrive from many threads, so one
 * mutex guards the render buffer and the stream; lines are written whole,
 * never interleaved. Findings are flushed at once: they are rare and an
 * analyst tailing the file should not wait for them.
 *
 * Full render buffers go to a writer thread, so the feeding thread is not
 * the one that waits while the kernel finds page-cache pages for a growing
 * file (in rsyslog's omprog that wait sat between a COMMIT and its OK);
 * a flush waits for the writer and writes the rest itself. */
#include "sinks/jsonl.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"

#define JSONL_CAP (1u << 20)
/* Handed to the writer past this; one event renders to < 256 KiB, so the
 * buffer never overflows while the writer is still busy with the other. */
#define JSONL_HAND_AT (64u << 10)
#define JSONL_WAIT_AT (JSONL_CAP / 2)

struct jsonl {
    struct ag_sink base;
    pthread_mutex_t lock;
    pthread_cond_t cond;       /* the writer's state changed */
    pthread_t writer;
    int have_writer, stopping;
    FILE *f;
    int own_file;
    enum ag_event_filter events;
    const struct ag_ocsf_ctx *ctx;
    struct ag_buf out;         /* being rendered */
    struct ag_buf handed;      /* the writer's; len 0 when it is idle */
    char *mem[2];
    long unreported;           /* failed writes since the last flush */
};

int ag_event_filter_pass(enum ag_event_filter filter, enum ag_kind kind)
{
    switch (filter) {
    case AG_EVENTS_ALL: return 1;
    case AG_EVENTS_FAILURES: return kind != AG_EV_AUTH_SUCCESS;
    default: return 0;
    }
}

/* 0, or 1 when the bytes did not all reach the file. */
static int put_out(FILE *f, const struct ag_buf *b)
{
    int failed = b->len && fwrite(b->p, 1, b->len, f) != b->len;
    return (fflush(f) != 0) | failed;
}

static void *writer_main(void *arg)
{
    struct jsonl *j = arg;
    pthread_mutex_lock(&j->lock);
    for (;;) {
        while (j->handed.len == 0 && !j->stopping)
            pthread_cond_wait(&j->cond, &j->lock);
        if (j->handed.len == 0)
            break;
        struct ag_buf b = j->handed;
        pthread_mutex_unlock(&j->lock);
        int failed = put_out(j->f, &b);
        pthread_mutex_lock(&j->lock);
        j->unreported += failed;
        ag_buf_reset(&j->handed);
        pthread_cond_broadcast(&j->cond);
    }
    pthread_mutex_unlock(&j->lock);
    return NULL;
}

/* Called with the lock held. */
static void wait_writer(struct jsonl *j)
{
    while (j->handed.len != 0)
        pthread_cond_wait(&j->cond, &j->lock);
}

/* Called with the lock held: the render buffer goes to the writer, and
 * rendering goes on in the one it has written. */
static void hand_over(struct jsonl *j)
{
    if (j->handed.len != 0 && j->out.len < JSONL_WAIT_AT)
        return; /* the writer is busy and there is room: later */
    wait_writer(j);
    struct ag_buf spare = j->handed;
    j->handed = j->out;
    j->out = spare;
    pthread_cond_broadcast(&j->cond);
}

/* Called with the lock held: everything rendered reaches the file, in
 * order, written by the writer or by the caller. */
static void write_all(struct jsonl *j)
{
    wait_writer(j);
    j->unreported += put_out(j->f, &j->out);
    ag_buf_reset(&j->out);
}

static void jsonl_event(struct ag_sink *s, const struct ag_event *ev, const struct ag_counts *c)
{
    struct jsonl *j = (struct jsonl *)s;
    if (!ag_event_filter_pass(j->events, (enum ag_kind)ev->kind))
        return;
    pthread_mutex_lock(&j->lock);
    ag_ocsf_event(&j->out, ev, j->ctx, c);
    ag_buf_putc(&j->out, '\n');
    if (j->out.len >= JSONL_HAND_AT) {
        if (j->have_writer)
            hand_over(j);
        else
            write_all(j);
    }
    pthread_mutex_unlock(&j->lock);
}

static void jsonl_finding(struct ag_sink *s, const struct ag_finding *f, const char *remediation)
{
    struct jsonl *j = (struct jsonl *)s;
    pthread_mutex_lock(&j->lock);
    if (j->out.len >= JSONL_WAIT_AT)
        write_all(j);
    ag_ocsf_finding(&j->out, f, j->ctx, remediation);
    ag_buf_putc(&j->out, '\n');
    write_all(j); /* a failure is reported by the next flush */
    pthread_mutex_unlock(&j->lock);
}

static long jsonl_flush(struct ag_sink *s, int timeout_ms)
{
    struct jsonl *j = (struct jsonl *)s;
    (void)timeout_ms;
    pthread_mutex_lock(&j->lock);
    write_all(j);
    long failed = j->unreported;
    j->unreported = 0;
    pthread_mutex_unlock(&j->lock);
    return failed;
}

static void jsonl_destroy(struct ag_sink *s)
{
    struct jsonl *j = (struct jsonl *)s;
    if (!j)
        return;
    jsonl_flush(s, 0);
    if (j->have_writer) {
        pthread_mutex_lock(&j->lock);
        j->stopping = 1;
        pthread_cond_broadcast(&j->cond);
        pthread_mutex_unlock(&j->lock);
        pthread_join(j->writer, NULL);
    }
    if (j->own_file)
        fclose(j->f);
    pthread_cond_destroy(&j->cond);
    pthread_mutex_destroy(&j->lock);
    free(j->mem[0]);
    free(j->mem[1]);
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
    if (!j || !(j->mem[0] = malloc(JSONL_CAP)) || !(j->mem[1] = malloc(JSONL_CAP))) {
        if (j)
            free(j->mem[0]);
        free(j);
        snprintf(err, errlen, "jsonl: out of memory");
        return NULL;
    }
    if (strcmp(path, "-") == 0) {
        j->f = stdout;
    } else if (!(j->f = fopen(path, "ae"))) {
        snprintf(err, errlen, "jsonl: cannot open '%s' for appending: %s", path,
                 strerror(errno));
        free(j->mem[0]);
        free(j->mem[1]);
        free(j);
        return NULL;
    } else {
        j->own_file = 1;
    }
    pthread_mutex_init(&j->lock, NULL);
    pthread_cond_init(&j->cond, NULL);
    ag_buf_init(&j->out, j->mem[0], JSONL_CAP);
    ag_buf_init(&j->handed, j->mem[1], JSONL_CAP);
    /* Without a thread (none left to start) the renderer writes itself. */
    j->have_writer = ag_thread_start(&j->writer, NULL, "ag-jsonl", writer_main, j) == 0;
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
