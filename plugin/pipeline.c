/* pipeline.c - engine output -> sinks. Events go straight to every sink
 * from the feeding thread; findings get the built-in summary first, then go
 * to every sink, from the engine's finding worker. */
#include "plugin/pipeline.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugin/authguard.h"
#include "sinks/aws.h"
#include "sinks/bedrock.h"
#include "sinks/jsonl.h"
#include "sinks/smtp.h"
#include "sinks/kafka.h"
#include "sinks/summary.h"

struct ag_pipeline {
    const struct ag_config *cfg;
    struct ag_sink_env env;
    struct ag_engine *eng;
    struct ag_sink *sinks, **tail;
    struct ag_ocsf_ctx ctx;
    struct ag_summary_config summary; /* cfg's, with the instance context */
    struct ag_instance_ctx inst;
    _Atomic uint64_t by_rule[AG_RULE_COUNT];
    _Atomic uint64_t updates;
    _Atomic int quiet;
};

static void route_event(struct ag_pipeline *p, const struct ag_output *o)
{
    for (struct ag_sink *s = p->sinks; s; s = s->next)
        if (s->ops->event)
            s->ops->event(s, o->event, o->counts);
}

static void route_finding(struct ag_pipeline *p, struct ag_finding *f)
{
    char *remediation = NULL;
    char *summary = ag_summary_build(f, &p->summary, &remediation);
    if (summary) {
        free(f->summary);
        f->summary = summary;
        snprintf(f->summary_source, sizeof f->summary_source, "local");
    }
    if (f->activity == AG_ACTIVITY_CREATE && f->rule < AG_RULE_COUNT)
        atomic_fetch_add_explicit(&p->by_rule[f->rule], 1, memory_order_relaxed);
    else
        atomic_fetch_add_explicit(&p->updates, 1, memory_order_relaxed);
    for (struct ag_sink *s = p->sinks; s; s = s->next)
        if (s->ops->finding)
            s->ops->finding(s, f, remediation);
    free(remediation);
}

/* A summarizer's better summary: the same finding, as an Update, to every
 * other sink. */
static void publish_update(void *pipe, struct ag_sink *from, struct ag_finding *f,
                           const char *remediation)
{
    struct ag_pipeline *p = pipe;
    f->activity = AG_ACTIVITY_UPDATE;
    atomic_fetch_add_explicit(&p->updates, 1, memory_order_relaxed);
    for (struct ag_sink *s = p->sinks; s; s = s->next)
        if (s != from && s->ops->finding)
            s->ops->finding(s, f, remediation);
}

/* Every sink a configuration can name. Summarizers come first: they see a
 * finding before the sinks that deliver it. */
static const struct {
    const char *section;
    ag_sink_create_fn create;
} sink_types[] = {
    {"sink.bedrock", ag_bedrock_create},
    {"sink.jsonl", ag_jsonl_create},
    {"sink.smtp", ag_smtp_create},
    {"sink.kafka", ag_kafka_create},
};

int ag_pipeline_add_configured_sinks(struct ag_pipeline *p, char *err, size_t errlen)
{
    for (size_t i = 0; i < sizeof sink_types / sizeof sink_types[0]; i++) {
        if (!ag_conf_has_section(p->cfg->conf, sink_types[i].section))
            continue;
        struct ag_sink *s = sink_types[i].create(&p->env, err, errlen);
        if (!s)
            return -1;
        ag_pipeline_add_sink(p, s);
    }
    return ag_conf_check_unused(p->cfg->conf, "sink.", err, errlen);
}

static void on_output(void *ud, const struct ag_output *o)
{
    struct ag_pipeline *p = ud;
    if (atomic_load_explicit(&p->quiet, memory_order_relaxed))
        return;
    if (o->kind == AG_OUT_EVENT)
        route_event(p, o);
    else if (o->kind == AG_OUT_FINDING)
        route_finding(p, o->finding);
}

struct ag_pipeline *ag_pipeline_new(const struct ag_config *cfg, int synchronous,
                                    char *err, size_t errlen)
{
    struct ag_pipeline *p = calloc(1, sizeof *p);
    if (!p) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    struct ag_engine_config ec = cfg->engine;
    ec.synchronous = synchronous;
    ec.ticker_thread = !synchronous;
    p->cfg = cfg;
    p->tail = &p->sinks;
    p->ctx.product_version = AG_VERSION;
    p->env.conf = cfg->conf;
    p->env.ocsf = &p->ctx;
    p->summary = cfg->summary;
    /* [aws] imds = on: real sg-/subnet- ids in the commands (off by default) */
    int known = ag_aws_instance_at_start(cfg->conf, &p->inst, err, errlen);
    if (known < 0 || ag_conf_check_unused(cfg->conf, "aws", err, errlen) < 0) {
        free(p);
        return NULL;
    }
    if (err[0])
        fprintf(stderr, "authguard: %s\n", err);
    if (known > 0) {
        p->summary.instance = &p->inst;
        p->ctx.instance_id = p->inst.instance_id;
        p->ctx.region = p->inst.region;
    }
    p->env.summary = &p->summary;
    p->env.publish_update = publish_update;
    p->env.pipe = p;
    p->eng = ag_engine_new(&ec, on_output, p, err, errlen);
    if (!p->eng) {
        free(p);
        return NULL;
    }
    return p;
}

void ag_pipeline_add_sink(struct ag_pipeline *p, struct ag_sink *s)
{
    s->next = NULL;
    *p->tail = s;
    p->tail = &s->next;
}

struct ag_ocsf_ctx *ag_pipeline_ocsf_ctx(struct ag_pipeline *p)
{
    return &p->ctx;
}

struct ag_engine *ag_pipeline_engine(struct ag_pipeline *p)
{
    return p->eng;
}

void ag_pipeline_set_quiet(struct ag_pipeline *p, int quiet)
{
    atomic_store_explicit(&p->quiet, quiet != 0, memory_order_relaxed);
}

int ag_pipeline_feed(struct ag_pipeline *p, const struct ag_event *ev)
{
    return ag_engine_feed(p->eng, ev);
}

void ag_pipeline_emit_event(struct ag_pipeline *p, const struct ag_event *ev,
                            const struct ag_counts *counts)
{
    struct ag_output o = {.kind = AG_OUT_EVENT, .event = ev, .counts = counts};
    route_event(p, &o);
}

long ag_pipeline_flush(struct ag_pipeline *p, int timeout_ms)
{
    long pending = 0;
    ag_engine_flush(p->eng);
    for (struct ag_sink *s = p->sinks; s; s = s->next) {
        if (s->ops->flush) {
            long n = s->ops->flush(s, timeout_ms);
            pending += n > 0 ? n : 0;
        }
    }
    return pending;
}

void ag_pipeline_hold_undelivered(struct ag_pipeline *p)
{
    p->env.hold_undelivered = 1;
}

void ag_pipeline_stop_waiting(struct ag_pipeline *p)
{
    for (struct ag_sink *s = p->sinks; s; s = s->next)
        if (s->ops->stop_waiting)
            s->ops->stop_waiting(s);
}

void ag_pipeline_stats(const struct ag_pipeline *p, struct ag_pipeline_stats *st)
{
    memset(st, 0, sizeof *st);
    ag_engine_stats(p->eng, &st->engine);
    for (int r = 0; r < AG_RULE_COUNT; r++)
        st->findings_by_rule[r] = atomic_load_explicit(&p->by_rule[r], memory_order_relaxed);
    st->updates = atomic_load_explicit(&p->updates, memory_order_relaxed);
}

void ag_pipeline_free(struct ag_pipeline *p)
{
    if (!p)
        return;
    ag_pipeline_stop_waiting(p); /* the finding worker must not wait for a full disk */
    ag_engine_flush(p->eng);
    ag_engine_free(p->eng); /* no output after this: sinks can go */
    struct ag_sink *s = p->sinks;
    while (s) {
        struct ag_sink *next = s->next;
        if (s->ops->destroy)
            s->ops->destroy(s);
        s = next;
    }
    free(p);
}
