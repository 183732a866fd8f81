/* outbox.c - findings rendered and held until the host takes them. Findings
 * are rare, so a mutex-protected list is enough; it is bounded, and what
 * does not fit is counted, never silently gone. */
#include "sinks/outbox.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sinks/ocsf.h"

#define OUTBOX_FINDING_MAX (960u << 10)   /* the Kafka sink's bound, under message.max.bytes */

struct outbox {
    struct ag_sink base;
    const struct ag_ocsf_ctx *ctx;
    pthread_mutex_t lock;
    struct ag_outbox_msg *head, **tail;
    size_t held, max_held;
    uint64_t lost;
};

static size_t list_len(const struct ag_outbox_msg *m)
{
    size_t n = 0;
    for (; m; m = m->next)
        n++;
    return n;
}

static struct ag_outbox_msg *msg_new(const char *key, size_t klen, const char *val, size_t vlen)
{
    struct ag_outbox_msg *m = malloc(sizeof *m + klen + vlen);
    if (!m)
        return NULL;
    char *data = (char *)(m + 1);
    memcpy(data, key, klen);
    memcpy(data + klen, val, vlen);
    *m = (struct ag_outbox_msg){.klen = klen, .vlen = vlen, .key = data, .value = data + klen};
    return m;
}

/* Under the lock. The first loss is said at once: it breaks exactly-once. */
static void count_lost(struct outbox *o, uint64_t n)
{
    if (o->lost == 0)
        fprintf(stderr, "authguard: outbox: more than %zu findings waiting for a transaction; "
                        "further ones are lost and counted\n", o->max_held);
    o->lost += n;
}

static void outbox_finding(struct ag_sink *s, const struct ag_finding *f, const char *remediation)
{
    struct outbox *o = (struct outbox *)s;
    struct ag_buf b;
    char *mem = malloc(OUTBOX_FINDING_MAX);
    struct ag_outbox_msg *m = NULL;
    if (mem) {
        ag_buf_init(&b, mem, OUTBOX_FINDING_MAX);
        ag_ocsf_finding(&b, f, o->ctx, remediation);
        if (!b.overflow)
            m = msg_new(f->key, strlen(f->key), b.p, b.len);
        free(mem);
    }
    pthread_mutex_lock(&o->lock);
    if (m && o->held < o->max_held) {
        *o->tail = m;
        o->tail = &m->next;
        o->held++;
        m = NULL;
    } else {
        count_lost(o, 1);
    }
    pthread_mutex_unlock(&o->lock);
    free(m);
}

struct ag_outbox_msg *ag_outbox_take(struct ag_sink *s)
{
    struct outbox *o = (struct outbox *)s;
    pthread_mutex_lock(&o->lock);
    struct ag_outbox_msg *list = o->head;
    o->head = NULL;
    o->tail = &o->head;
    o->held = 0;
    pthread_mutex_unlock(&o->lock);
    return list;
}

void ag_outbox_put_back(struct ag_sink *s, struct ag_outbox_msg *list)
{
    struct outbox *o = (struct outbox *)s;
    if (!list)
        return;
    struct ag_outbox_msg **end = &list;
    while (*end)
        end = &(*end)->next;
    pthread_mutex_lock(&o->lock);
    *end = o->head;
    if (!o->head)
        o->tail = end;
    o->head = list;
    o->held += list_len(list);
    pthread_mutex_unlock(&o->lock);
}

void ag_outbox_free_list(struct ag_outbox_msg *list)
{
    while (list) {
        struct ag_outbox_msg *next = list->next;
        free(list);
        list = next;
    }
}

static void outbox_destroy(struct ag_sink *s)
{
    struct outbox *o = (struct outbox *)s;
    if (o->held || o->lost)
        fprintf(stderr, "authguard: outbox: %zu findings never produced, %llu lost\n", o->held,
                (unsigned long long)o->lost);
    ag_outbox_free_list(o->head);
    pthread_mutex_destroy(&o->lock);
    free(o);
}

static const struct ag_sink_ops outbox_ops = {
    .name = "outbox",
    .finding = outbox_finding,
    .destroy = outbox_destroy,
};

struct ag_sink *ag_outbox_create(const struct ag_sink_env *env, size_t max_held)
{
    struct outbox *o = calloc(1, sizeof *o);
    if (!o)
        return NULL;
    o->base.ops = &outbox_ops;
    o->ctx = env->ocsf;
    o->tail = &o->head;
    o->max_held = max_held;
    pthread_mutex_init(&o->lock, NULL);
    return &o->base;
}
