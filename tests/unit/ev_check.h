/* ev_check.h - shared by the filters' unit tests: parse one line from an
 * exact-size heap copy (so AddressSanitizer flags any read past its end,
 * the line is not NUL-terminated) and compare EVERY field of the event
 * with an expectation, so that a test cannot pass on a half-filled event. */
#ifndef AG_EV_CHECK_H
#define AG_EV_CHECK_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "filters/recognize.h"
#include "tests/unit/ag_test.h"

/* Arrival time for every test line: 2024-11-10T00:00:00Z. */
#define EVC_ARRIVAL_MS 1731196800000LL
/* 2024-11-09T04:07:51Z, the time most sample lines carry. */
#define EVC_T0_MS 1731125271000LL

/* A line parsed with a fresh parser pinned to UTC. */
struct evc {
    struct ag_parser *p;
    char *buf;
    struct ag_event ev;
    int rc;
};

static inline void evc_parse_n(struct evc *c, const char *text, size_t len)
{
    c->p = malloc(sizeof *c->p);
    ck_assert_ptr_nonnull(c->p);
    ag_parser_init(c->p);
    ag_tzcache_set_fixed(&c->p->tz, 0);
    c->buf = malloc(len ? len : 1);
    ck_assert_ptr_nonnull(c->buf);
    memcpy(c->buf, text, len);
    memset(&c->ev, 0xA5, sizeof c->ev); /* stale bytes must not leak through */
    c->rc = ag_parse_line(c->p, c->buf, len, EVC_ARRIVAL_MS, &c->ev);
}

static inline void evc_parse(struct evc *c, const char *text)
{
    evc_parse_n(c, text, strlen(text));
}

static inline void evc_free(struct evc *c)
{
    free(c->buf);
    free(c->p);
    c->buf = NULL;
    c->p = NULL;
}

/* The expected event. NULL strings mean "absent" (an empty span, no
 * address); time_ms 0 means EVC_T0_MS; count 0 means 1. */
struct evc_want {
    int kind;
    int method;
    const char *user;
    const char *src;      /* ag_addr_format() text */
    const char *src_name; /* with AG_EVF_SRC_IS_NAME */
    unsigned port;
    const char *program;
    uint32_t pid;
    const char *host;
    int64_t time_ms;
    unsigned count;
    unsigned flags;
    const char *ruser;
    const char *target;
    const char *service;
};

static inline void evc_span_is(const struct ag_event *ev, struct ag_span s, const char *want,
                               const char *what)
{
    if (want == NULL) {
        ck_assert_msg(s.len == 0, "%s: expected absent, got '%.*s'", what, (int)s.len,
                      ev->line + s.off);
        return;
    }
    size_t n = strlen(want);
    ck_assert_msg(s.len == n && memcmp(ev->line + s.off, want, n) == 0,
                  "%s: got '%.*s', expected '%s'", what, (int)s.len, ev->line + s.off, want);
}

/* Every field of ev against w. */
static inline void evc_check(const struct ag_event *ev, const struct evc_want *w)
{
    ck_assert_msg(ev->kind == w->kind, "kind: got %s, expected %s", ag_kind_name(ev->kind),
                  ag_kind_name(w->kind));
    ck_assert_msg(ev->method == w->method, "method: got %s, expected %s",
                  ag_method_name(ev->method), ag_method_name(w->method));
    evc_span_is(ev, ev->user, w->user, "user");
    char a[AG_ADDR_STRLEN];
    size_t alen = ag_addr_format(&ev->src, a);
    if (w->src == NULL)
        ck_assert_msg(alen == 0 && ev->src.af == AG_AF_NONE, "src: expected none, got %s", a);
    else
        ck_assert_msg(strcmp(a, w->src) == 0, "src: got '%s', expected '%s'", a, w->src);
    evc_span_is(ev, ev->src_name, w->src_name, "src_name");
    ck_assert_msg(ev->src_port == w->port, "port: got %u, expected %u", ev->src_port, w->port);
    evc_span_is(ev, ev->program, w->program, "program");
    ck_assert_msg(ev->pid == w->pid, "pid: got %" PRIu32 ", expected %" PRIu32, ev->pid, w->pid);
    evc_span_is(ev, ev->host, w->host, "host");
    int64_t t = w->time_ms ? w->time_ms : EVC_T0_MS;
    ck_assert_msg(ev->time_ms == t, "time_ms: got %" PRId64 ", expected %" PRId64, ev->time_ms, t);
    unsigned count = w->count ? w->count : 1;
    ck_assert_msg(ev->count == count, "count: got %u, expected %u", ev->count, count);
    ck_assert_msg(ev->flags == w->flags, "flags: got 0x%x, expected 0x%x", ev->flags, w->flags);
    evc_span_is(ev, ev->ruser, w->ruser, "ruser");
    evc_span_is(ev, ev->target, w->target, "target");
    evc_span_is(ev, ev->service, w->service, "service");
    ck_assert_msg(ev->line_len <= AG_LINE_MAX, "line_len %u", ev->line_len);
}

/* Parses line and requires exactly the event w. */
static inline void evc_expect(const char *line, const struct evc_want *w)
{
    struct evc c;
    evc_parse(&c, line);
    ck_assert_msg(c.rc == AG_PARSE_EVENT, "no event (rc %d) for: %s", c.rc, line);
    ck_assert_msg(c.ev.line == c.buf && c.ev.line_len == strlen(line), "event line");
    evc_check(&c.ev, w);
    ck_assert_uint_eq(c.p->st.lines, 1);
    ck_assert_uint_eq(c.p->st.events, 1);
    ck_assert_uint_eq(c.p->st.by_kind[w->kind], 1);
    evc_free(&c);
}

/* Parses line and requires that it is not an event (rc is what it is). */
static inline int evc_expect_none(const char *line)
{
    struct evc c;
    evc_parse(&c, line);
    ck_assert_msg(c.rc != AG_PARSE_EVENT, "unexpected %s event for: %s",
                  ag_kind_name(c.ev.kind), line);
    ck_assert_uint_eq(c.p->st.events, 0);
    int rc = c.rc;
    evc_free(&c);
    return rc;
}

#endif
