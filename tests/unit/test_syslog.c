/* test_syslog.c - syslog.c and the header half of recognize.c: RFC 3164,
 * ISO 8601 and RFC 5424 headers, BSD year inference, zones, fractions,
 * structured data, malformed headers, and ag_parse_message's assembly. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "filters/syslog.h"
#include "tests/unit/ev_check.h"

#define T0 EVC_T0_MS /* 2024-11-09T04:07:51Z */
#define ARRIVAL EVC_ARRIVAL_MS

/* One header parse from an exact-size heap copy; the copy stays alive in
 * *keep so the spans can be read, and is freed by the caller. */
static int hdr_parse(struct ag_tzcache *tz, const char *line, size_t len, int64_t arrival,
                     struct ag_syslog_hdr *h, char **keep)
{
    char *b = malloc(len ? len : 1);
    ck_assert_ptr_nonnull(b);
    memcpy(b, line, len);
    int rc = ag_syslog_parse(tz, b, len, arrival, h);
    *keep = b;
    return rc;
}

static void span_is(const char *base, struct ag_span s, const char *want)
{
    size_t n = strlen(want);
    ck_assert_msg(s.len == n && memcmp(base + s.off, want, n) == 0, "span '%.*s', expected '%s'",
                  (int)s.len, base + s.off, want);
}

struct hdr_want {
    int64_t time_ms; /* 0: no time */
    int pri;
    const char *host, *program, *msg;
    uint32_t pid;
};

/* line parses in a UTC-pinned cache to exactly w. */
static void expect_hdr_at(const char *line, int32_t tz_offset, int64_t arrival,
                          const struct hdr_want *w)
{
    struct ag_tzcache tz;
    ag_tzcache_init(&tz);
    ag_tzcache_set_fixed(&tz, tz_offset);
    struct ag_syslog_hdr h;
    char *b;
    ck_assert_msg(hdr_parse(&tz, line, strlen(line), arrival, &h, &b) == 0, "rejected: %s", line);
    ck_assert_msg(h.has_time == (w->time_ms != 0), "has_time for %s", line);
    ck_assert_msg(h.time_ms == w->time_ms, "time %lld, expected %lld: %s", (long long)h.time_ms,
                  (long long)w->time_ms, line);
    ck_assert_int_eq(h.pri, w->pri);
    ck_assert_uint_eq(h.pid, w->pid);
    span_is(b, h.host, w->host);
    span_is(b, h.program, w->program);
    span_is(b, h.msg, w->msg);
    free(b);
}

static void expect_hdr(const char *line, const struct hdr_want *w)
{
    expect_hdr_at(line, 0, ARRIVAL, w);
}

static void expect_bad_hdr(const char *line, size_t len)
{
    struct ag_tzcache tz;
    ag_tzcache_init(&tz);
    ag_tzcache_set_fixed(&tz, 0);
    struct ag_syslog_hdr h;
    char *b;
    ck_assert_msg(hdr_parse(&tz, line, len, ARRIVAL, &h, &b) < 0, "accepted: %.*s", (int)len, line);
    free(b);
}

START_TEST(rfc3164_forms)
{
    struct hdr_want w = {T0, -1, "web-01", "sshd", "hello world", 1234};
    expect_hdr("Nov  9 04:07:51 web-01 sshd[1234]: hello world", &w);
    expect_hdr("Nov 09 04:07:51 web-01 sshd[1234]: hello world", &w); /* journalctl */
    expect_hdr("Nov 9 04:07:51 web-01 sshd[1234]: hello world", &w);  /* unpadded */
    w.pri = 38;
    expect_hdr("<38>Nov  9 04:07:51 web-01 sshd[1234]: hello world", &w);
    w.pri = 0;
    expect_hdr("<0>Nov  9 04:07:51 web-01 sshd[1234]: hello world", &w);
}
END_TEST

START_TEST(rfc3164_tags)
{
    struct hdr_want w = {T0, -1, "h", "kernel", "[ 12.5] eth0: link up", 0};
    expect_hdr("Nov  9 04:07:51 h kernel: [ 12.5] eth0: link up", &w);
    struct hdr_want w2 = {T0, -1, "h", "postfix/smtpd", "connect from x", 88};
    expect_hdr("Nov  9 04:07:51 h postfix/smtpd[88]: connect from x", &w2);
    /* Local writers sometimes omit the host: the tag comes first. */
    struct hdr_want w3 = {T0, -1, "", "sshd", "m", 7};
    expect_hdr("Nov  9 04:07:51 sshd[7]: m", &w3);
    /* An empty message is still a line. */
    struct hdr_want w4 = {T0, -1, "h", "sshd", "", 7};
    expect_hdr("Nov  9 04:07:51 h sshd[7]:", &w4);
    /* A pid that is not a number reads as 0; the tag is still the tag. */
    struct hdr_want w5 = {T0, -1, "h", "app", "x", 0};
    expect_hdr("Nov  9 04:07:51 h app[abc]: x", &w5);
    expect_hdr("Nov  9 04:07:51 h app[99999999999]: x", &w5);
}
END_TEST

START_TEST(rfc3164_fraction_and_zone)
{
    struct hdr_want w = {T0 + 250, -1, "h", "sshd", "m", 1};
    expect_hdr("Nov  9 04:07:51.250 h sshd[1]: m", &w);
    struct hdr_want w2 = {T0 + 123, -1, "h", "sshd", "m", 1};
    expect_hdr("Nov  9 04:07:51.123456 h sshd[1]: m", &w2); /* journalctl -o short-precise */
    /* A BSD time is local: at UTC+1, 04:07:51 is 03:07:51Z. */
    struct hdr_want w3 = {T0 - 3600 * 1000, -1, "h", "sshd", "m", 1};
    expect_hdr_at("Nov  9 04:07:51 h sshd[1]: m", 3600, ARRIVAL, &w3);
    struct hdr_want w4 = {T0 + 5 * 3600 * 1000 + 30 * 60 * 1000, -1, "h", "sshd", "m", 1};
    expect_hdr_at("Nov  9 04:07:51 h sshd[1]: m", -(5 * 3600 + 30 * 60), ARRIVAL, &w4);
}
END_TEST

/* A Dec 31 line read on Jan 1 belongs to the year before; a line more than
 * a day ahead of arrival is last year's; a Jan 1 line that arrives while
 * UTC is still Dec 31 (zone east of UTC) is next year's. */
START_TEST(bsd_year_inference)
{
    struct hdr_want w = {1735689599000LL, -1, "h", "p", "m", 0};
    expect_hdr_at("Dec 31 23:59:59 h p: m", 0, 1735689630000LL /* 2025-01-01T00:00:30Z */, &w);

    struct hdr_want near = {1718532000000LL, -1, "h", "p", "m", 0}; /* 2024-06-16T10:00Z */
    expect_hdr_at("Jun 16 10:00:00 h p: m", 0, 1718452800000LL /* 2024-06-15T12:00Z */, &near);
    struct hdr_want far = {1686996000000LL, -1, "h", "p", "m", 0}; /* 2023-06-17T10:00Z */
    expect_hdr_at("Jun 17 10:00:00 h p: m", 0, 1718452800000LL, &far);

    struct hdr_want east = {1735684140000LL, -1, "h", "p", "m", 0}; /* 2024-12-31T22:29Z */
    expect_hdr_at("Jan  1 00:29:00 h p: m", 7200, 1735684200000LL /* 22:30Z */, &east);

    /* The arrival year is cached by day range: crossing it must refresh. */
    struct ag_tzcache tz;
    ag_tzcache_init(&tz);
    ag_tzcache_set_fixed(&tz, 0);
    struct ag_syslog_hdr h;
    char *b;
    const char *line = "Mar  1 00:00:00 h p: m";
    ck_assert_int_eq(hdr_parse(&tz, line, strlen(line), 1709337600000LL /* 2024-03-02 */, &h, &b), 0);
    ck_assert_int_eq(h.time_ms, 1709251200000LL); /* 2024-03-01 */
    free(b);
    ck_assert_int_eq(hdr_parse(&tz, line, strlen(line), 1740873600000LL /* 2025-03-02 */, &h, &b), 0);
    ck_assert_int_eq(h.time_ms, 1740787200000LL); /* 2025-03-01 */
    free(b);
}
END_TEST

START_TEST(iso8601_forms)
{
    /* Debian 12 rsyslog: microseconds and +hh:mm. */
    struct hdr_want w = {T0 - 3600 * 1000 + 123, -1, "web-01", "sshd", "m", 1234};
    expect_hdr("2024-11-09T04:07:51.123456+01:00 web-01 sshd[1234]: m", &w);
    struct hdr_want z = {T0, -1, "web-01", "sshd", "m", 1234};
    expect_hdr("2024-11-09T04:07:51Z web-01 sshd[1234]: m", &z);
    /* journalctl -o short-iso writes the offset without a colon. */
    struct hdr_want c = {T0 - 3600 * 1000, -1, "web-01", "sshd", "m", 1234};
    expect_hdr("2024-11-09T04:07:51+0100 web-01 sshd[1234]: m", &c);
    struct hdr_want neg = {1731145071123LL, -1, "web-01", "sshd", "m", 1234};
    expect_hdr("2024-11-09T04:07:51.123456789-05:30 web-01 sshd[1234]: m", &neg);
    /* No zone at all: local time, like a BSD stamp. */
    struct hdr_want local = {T0 - 7200 * 1000, -1, "h", "p", "m", 0};
    expect_hdr_at("2024-11-09T04:07:51 h p: m", 7200, ARRIVAL, &local);
    struct hdr_want pri = {T0, 86, "h", "p", "m", 0};
    expect_hdr("<86>2024-11-09T04:07:51Z h p: m", &pri);
}
END_TEST

/* One parser, many lines: the minute cache must give each line its own
 * second and zone, and never let a bad second through. */
START_TEST(iso8601_same_minute_cache)
{
    struct ag_tzcache tz;
    ag_tzcache_init(&tz);
    ag_tzcache_set_fixed(&tz, 7200);
    static const struct {
        const char *line;
        int64_t ms; /* -1: rejected */
    } cases[] = {
        {"2024-11-09T04:07:51Z h p: m", T0},
        {"2024-11-09T04:07:52.5Z h p: m", T0 + 1500},
        {"2024-11-09T04:07:52+01:00 h p: m", T0 + 1000 - 3600000},
        {"2024-11-09T04:07:53 h p: m", T0 + 2000 - 7200000},
        {"2024-11-09T04:07:5x h p: m", -1},
        {"2024-11-09T04:07:61Z h p: m", -1},
        {"2024-11-09T04:08:00Z h p: m", T0 + 9000},
        {"2024-11-09T04:07:51Z h p: m", T0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct ag_syslog_hdr h;
        char *b;
        int rc = hdr_parse(&tz, cases[i].line, strlen(cases[i].line), ARRIVAL, &h, &b);
        free(b);
        if (cases[i].ms < 0) {
            ck_assert_msg(rc < 0 || !h.has_time, "accepted: %s", cases[i].line);
            continue;
        }
        ck_assert_msg(rc == 0 && h.has_time, "refused: %s", cases[i].line);
        ck_assert_msg(h.time_ms == cases[i].ms, "%s: %lld, expected %lld", cases[i].line,
                      (long long)h.time_ms, (long long)cases[i].ms);
    }
}
END_TEST

START_TEST(rfc5424_forms)
{
    struct hdr_want w = {T0 + 3, 34, "host", "sshd", "msg text", 1234};
    expect_hdr("<34>1 2024-11-09T04:07:51.003Z host sshd 1234 - [ex@1 a=\"b\"] msg text", &w);
    expect_hdr("<34>1 2024-11-09T04:07:51.003Z host sshd 1234 ID47 - msg text", &w);
    /* Several elements, and escaped '"', '\' and ']' inside values. */
    expect_hdr("<34>1 2024-11-09T04:07:51.003Z host sshd 1234 - "
               "[ex@1 a=\"x\\]y\" b=\"q\\\"r]\" c=\"\\\\\"][two@2 d=\"]\"] msg text",
               &w);
    /* RFC 5424 6.4: a BOM may start the message. */
    expect_hdr("<34>1 2024-11-09T04:07:51.003Z host sshd 1234 - - \xEF\xBB\xBFmsg text", &w);
    struct hdr_want off = {T0 - 3600 * 1000, 165, "h", "app", "m", 0};
    expect_hdr("<165>1 2024-11-09T04:07:51+01:00 h app abc - - m", &off);
}
END_TEST

START_TEST(rfc5424_nil_values)
{
    struct hdr_want w = {0, 34, "", "", "", 0};
    expect_hdr("<34>1 - - - - - -", &w);
    struct hdr_want w2 = {0, 34, "", "sshd", "m", 9};
    expect_hdr("<34>1 - - sshd 9 - - m", &w2);
    /* With no time in the header, ag_parse_line uses the arrival time. */
    struct evc c;
    evc_parse(&c, "<34>1 - host sshd 9 - - Failed password for root from 192.0.2.1 port 22 ssh2");
    ck_assert_int_eq(c.rc, AG_PARSE_EVENT);
    ck_assert_int_eq(c.ev.time_ms, ARRIVAL);
    ck_assert_uint_eq(c.ev.flags & AG_EVF_TIME_FROM_LOG, 0);
    evc_free(&c);
}
END_TEST

START_TEST(rfc5424_malformed)
{
    static const char *const bad[] = {
        "<34>1 2024-11-09T04:07:51Z host sshd 1 - [ex@1 a=\"b\"",    /* unterminated SD */
        "<34>1 2024-11-09T04:07:51Z host sshd 1 - [ex@1 a=\"b]\\",   /* ends in an escape */
        "<34>1 2024-11-09T04:07:51Z host sshd 1 - [ex@1 a=\"b\\\"]", /* escaped quote */
        "<34>1 2024-11-09T04:07:51Z host sshd 1 - x",                /* SD neither - nor [ */
        "<34>1 2024-11-09T04:07:51Z host  sshd 1 - - m",            /* empty field */
        "<34>1 2024-11-09T04:07:51Z host sshd",                      /* fields missing */
        "<34>1 2024-13-09T04:07:51Z host sshd 1 - - m",              /* month 13 */
        "<34>1 2024-11-09T04:07:51+25:00 host sshd 1 - - m",         /* zone hour 25 */
        "<34>1 2024-11-09T04:07:51+01 host sshd 1 - - m",            /* zone cut short */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        expect_bad_hdr(bad[i], strlen(bad[i]));
}
END_TEST

START_TEST(bad_headers)
{
    static const char *const bad[] = {
        "", "garbage", "Xyz  9 04:07:51 h p: m", "Nov 32 04:07:51 h p: m",
        "Nov  0 04:07:51 h p: m", "Nov  9 24:00:00 h p: m", "Nov  9 04:60:00 h p: m",
        "Nov  9 04:07:61 h p: m", "Nov  9 4:07:51 h p: m", "Nov  9 04-07-51 h p: m",
        "nov  9 04:07:51 h p: m", "<999>Nov  9 04:07:51 h p: m", "<>Nov  9 04:07:51 h p: m",
        "<38Nov  9 04:07:51 h p: m", "Nov  9 04:07:51 h no colon here",
        "Nov  9 04:07:51 h p[12: m", "Nov  9 04:07:51 h", "Nov  9 04:07:51",
        "Nov  9 04:07:51.x h p: m", "2024-11-09 04:07:51 h p: m", "2024-11-09T04:07 h p: m",
        "2024-11-09T04:07:51Q h p: m", "Nov  9 04:07:51  p: m",
        ("Nov  9 04:07:51 h "
         "a-tag-that-is-far-too-long-to-be-a-tag-by-any-standard-we-know-of-xyz: m"),
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        expect_bad_hdr(bad[i], strlen(bad[i]));
    /* Every cut of a good line before the tag's colon is rejected, and
     * none reads past its end (exact-size buffers). */
    const char *good = "<38>Nov  9 04:07:51 web-01 sshd[1234]: m";
    const char *colon = strstr(good, "]:") + 1;
    for (size_t n = 0; n <= (size_t)(colon - good); n++)
        expect_bad_hdr(good, n);
    const char *iso = "2024-11-09T04:07:51.123456+01:00 web-01 sshd[1234]: m";
    colon = strstr(iso, "]:") + 1;
    for (size_t n = 0; n <= (size_t)(colon - iso); n++)
        expect_bad_hdr(iso, n);
}
END_TEST

START_TEST(oversize_header)
{
    size_t n = AG_LINE_MAX + 1;
    char *b = malloc(n);
    memset(b, 'a', n);
    memcpy(b, "Nov  9 04:07:51 h p: ", 21);
    struct ag_tzcache tz;
    ag_tzcache_init(&tz);
    struct ag_syslog_hdr h;
    ck_assert_int_lt(ag_syslog_parse(&tz, b, n, ARRIVAL, &h), 0);
    ck_assert_int_eq(ag_syslog_parse(&tz, b, AG_LINE_MAX, ARRIVAL, &h), 0);
    ck_assert_uint_eq(h.msg.off + h.msg.len, AG_LINE_MAX);
    free(b);
}
END_TEST

START_TEST(days_from_civil)
{
    ck_assert_int_eq(ag_days_from_civil(1970, 1, 1), 0);
    ck_assert_int_eq(ag_days_from_civil(1969, 12, 31), -1);
    ck_assert_int_eq(ag_days_from_civil(2000, 3, 1), 11017);
    ck_assert_int_eq(ag_days_from_civil(2024, 2, 29), 19782);
    ck_assert_int_eq(ag_days_from_civil(1600, 1, 1), -135140);
    ck_assert_int_eq(ag_days_from_civil(9999, 12, 31), 2932896);
    /* Consecutive days for four centuries, across every leap rule. */
    int64_t prev = ag_days_from_civil(1899, 12, 31);
    static const unsigned mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    for (int64_t y = 1900; y < 2300; y++) {
        int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
        for (unsigned m = 1; m <= 12; m++) {
            unsigned days = mdays[m - 1] + (m == 2 && leap);
            for (unsigned d = 1; d <= days; d++) {
                int64_t cur = ag_days_from_civil(y, m, d);
                ck_assert_int_eq(cur, prev + 1);
                prev = cur;
            }
        }
    }
}
END_TEST

/* Without a fixed offset, the cache asks the C library once per local hour
 * and gets daylight saving right. Each Check test runs in its own process,
 * so setting TZ here touches no other test. */
START_TEST(tzcache_follows_local_zone)
{
    setenv("TZ", "CET-1CEST,M3.5.0,M10.5.0/3", 1);
    tzset();
    struct ag_tzcache tz;
    ag_tzcache_init(&tz);
    struct ag_syslog_hdr h;
    char *b;
    const char *summer = "Jul  1 12:00:00 h p: m";
    ck_assert_int_eq(hdr_parse(&tz, summer, strlen(summer), 1719878400000LL, &h, &b), 0);
    ck_assert_int_eq(h.time_ms, 1719828000000LL); /* 10:00Z: CEST is +2 */
    free(b);
    const char *winter = "Jan 15 12:00:00 h p: m";
    ck_assert_int_eq(hdr_parse(&tz, winter, strlen(winter), 1705363200000LL, &h, &b), 0);
    ck_assert_int_eq(h.time_ms, 1705316400000LL); /* 11:00Z: CET is +1 */
    free(b);
    /* Again, now from the cache. */
    ck_assert_int_eq(hdr_parse(&tz, summer, strlen(summer), 1719878400000LL, &h, &b), 0);
    ck_assert_int_eq(h.time_ms, 1719828000000LL);
    free(b);
    const char *iso = "2024-07-01T12:00:00 h p: m";
    ck_assert_int_eq(hdr_parse(&tz, iso, strlen(iso), 1719878400000LL, &h, &b), 0);
    ck_assert_int_eq(h.time_ms, 1719828000000LL);
    free(b);
    /* Every hour of a day through the cache agrees with a fresh cache. */
    for (int hour = 0; hour < 24; hour++) {
        char line[64];
        snprintf(line, sizeof line, "Mar 31 %02d:30:00 h p: m", hour);
        struct ag_tzcache fresh;
        ag_tzcache_init(&fresh);
        struct ag_syslog_hdr h2;
        char *b2;
        ck_assert_int_eq(hdr_parse(&tz, line, strlen(line), 1711929600000LL, &h, &b), 0);
        ck_assert_int_eq(hdr_parse(&fresh, line, strlen(line), 1711929600000LL, &h2, &b2), 0);
        ck_assert_int_eq(h.time_ms, h2.time_ms);
        free(b);
        free(b2);
    }
}
END_TEST

/* ---- ag_parse_message: a record whose fields a host already split -------- */

static int parse_msg(struct ag_parser *p, const char *prog, uint32_t pid, const char *host,
                     int64_t time_ms, const char *msg, struct ag_event *ev)
{
    size_t ml = strlen(msg);
    char *m = malloc(ml ? ml : 1);
    memcpy(m, msg, ml);
    int rc = ag_parse_message(p, prog, strlen(prog), pid, host, host ? strlen(host) : 0,
                              time_ms, ARRIVAL, m, ml, ev);
    free(m); /* the event points into p->scratch, not into m */
    return rc;
}

START_TEST(parse_message_assembles_line)
{
    struct ag_parser *p = malloc(sizeof *p);
    ag_parser_init(p);
    struct ag_event ev;
    int rc = parse_msg(p, "sshd-session", 4242, "web-01", T0,
                       "Failed password for root from 198.51.100.7 port 40022 ssh2", &ev);
    ck_assert_int_eq(rc, AG_PARSE_EVENT);
    const char *want = "web-01 sshd-session[4242]: Failed password for root from 198.51.100.7 "
                       "port 40022 ssh2";
    ck_assert_uint_eq(ev.line_len, strlen(want));
    ck_assert(memcmp(ev.line, want, ev.line_len) == 0);
    ck_assert_ptr_eq(ev.line, p->scratch);
    struct evc_want w = {.kind = AG_EV_AUTH_FAILURE, .method = AG_M_PASSWORD, .user = "root",
                         .src = "198.51.100.7", .port = 40022, .program = "sshd-session",
                         .pid = 4242, .host = "web-01", .time_ms = T0,
                         .flags = AG_EVF_TIME_FROM_LOG};
    evc_check(&ev, &w);
    ck_assert_uint_eq(p->st.lines, 1);
    ck_assert_uint_eq(p->st.events, 1);
    free(p);
}
END_TEST

START_TEST(parse_message_without_host_pid_time)
{
    struct ag_parser *p = malloc(sizeof *p);
    ag_parser_init(p);
    struct ag_event ev;
    int rc = parse_msg(p, "sshd", 0, NULL, 0,
                       "Invalid user admin from 2001:db8::7 port 5555", &ev);
    ck_assert_int_eq(rc, AG_PARSE_EVENT);
    const char *want = "sshd: Invalid user admin from 2001:db8::7 port 5555";
    ck_assert_uint_eq(ev.line_len, strlen(want));
    ck_assert(memcmp(ev.line, want, ev.line_len) == 0);
    struct evc_want w = {.kind = AG_EV_INVALID_USER, .user = "admin", .src = "2001:db8::7",
                         .port = 5555, .program = "sshd", .time_ms = ARRIVAL,
                         .flags = AG_EVF_INVALID_USER | AG_EVF_ANNOUNCE};
    evc_check(&ev, &w);
    rc = parse_msg(p, "sudo", 4294967295u, "h", -5,
                   "alice : 1 incorrect password attempt ; TTY=pts/0 ; PWD=/ ; USER=root ; "
                   "COMMAND=/bin/sh",
                   &ev);
    ck_assert_int_eq(rc, AG_PARSE_EVENT);
    ck_assert_uint_eq(ev.pid, 4294967295u);
    ck_assert(memcmp(ev.line, "h sudo[4294967295]: alice", 25) == 0);
    ck_assert_int_eq(ev.time_ms, ARRIVAL);
    free(p);
}
END_TEST

/* The tag ends at its first '[', ':' or ' ', found eight bytes a step:
 * every length, every end, every position in a word, bytes >= 0x80 inside,
 * the line ending within the word, and the 64-byte cap. */
START_TEST(tag_ends_at_its_first_delimiter_wherever_it_is)
{
    struct ag_tzcache tz;
    ag_tzcache_init(&tz);
    const char *ends[] = {"[42]: m", ": m", " m"};
    for (size_t len = 1; len <= 70; len++) {
        for (int e = 0; e < 3; e++) {
            char tag[80], line[200];
            for (size_t k = 0; k < len; k++)
                tag[k] = (char)(k % 7 == 3 ? 0xc3 : 'a' + (int)(k % 26)); /* UTF-8 bytes too */
            tag[len] = '\0';
            int n = snprintf(line, sizeof line, "Nov  9 04:07:51 web-1 %s%s", tag, ends[e]);
            struct ag_syslog_hdr h;
            char *keep;
            int rc = hdr_parse(&tz, line, (size_t)n, ARRIVAL, &h, &keep);
            /* a tag of 64 bytes or more is refused; a bare tag then " m"
             * has no ':' and is no header either */
            if (len >= 64 || e == 2) {
                ck_assert_msg(rc < 0, "len %zu end %d accepted", len, e);
            } else {
                ck_assert_msg(rc == 0, "len %zu end %d refused", len, e);
                span_is(keep, h.program, tag);
                span_is(keep, h.msg, "m");
                ck_assert_uint_eq(h.pid, e == 0 ? 42 : 0);
            }
            free(keep);
        }
    }
    /* The line ends inside the tag's first word: no delimiter, no header. */
    struct ag_syslog_hdr h;
    char *keep;
    ck_assert_int_lt(hdr_parse(&tz, "Nov  9 04:07:51 web-1 abc", 25, ARRIVAL, &h, &keep), 0);
    free(keep);
}
END_TEST

START_TEST(parse_message_rejects)
{
    struct ag_parser *p = malloc(sizeof *p);
    ag_parser_init(p);
    struct ag_event ev;
    /* Not an auth program: fine line, no event, not counted as auth_other. */
    ck_assert_int_eq(parse_msg(p, "CRON", 1, "h", 0, "(root) CMD (run-parts)", &ev),
                     AG_PARSE_OTHER);
    ck_assert_uint_eq(p->st.auth_other, 0);
    /* No program to route on. */
    ck_assert_int_eq(parse_msg(p, "", 1, "h", 0, "Failed password for x", &ev),
                     AG_PARSE_UNPARSED);
    /* NUL inside the message. */
    static const char nul[] = "Failed password for r\0ot from 1.2.3.4 port 1 ssh2";
    ck_assert_int_eq(ag_parse_message(p, "sshd", 4, 1, "h", 1, 0, ARRIVAL, nul, sizeof nul - 1,
                                      &ev),
                     AG_PARSE_UNPARSED);
    /* Too long for the scratch line. */
    size_t big = AG_LINE_MAX;
    char *m = malloc(big);
    memset(m, 'x', big);
    ck_assert_int_eq(ag_parse_message(p, "sshd", 4, 1, "h", 1, 0, ARRIVAL, m, big, &ev),
                     AG_PARSE_UNPARSED);
    free(m);
    ck_assert_uint_eq(p->st.lines, 4);
    ck_assert_uint_eq(p->st.unparsed, 3);
    ck_assert_uint_eq(p->st.oversize, 1);
    ck_assert_uint_eq(p->st.events, 0);
    free(p);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("syslog");
    TCase *tc = tcase_create("syslog");
    tcase_add_test(tc, rfc3164_forms);
    tcase_add_test(tc, rfc3164_tags);
    tcase_add_test(tc, rfc3164_fraction_and_zone);
    tcase_add_test(tc, bsd_year_inference);
    tcase_add_test(tc, iso8601_forms);
    tcase_add_test(tc, iso8601_same_minute_cache);
    tcase_add_test(tc, rfc5424_forms);
    tcase_add_test(tc, rfc5424_nil_values);
    tcase_add_test(tc, rfc5424_malformed);
    tcase_add_test(tc, bad_headers);
    tcase_add_test(tc, oversize_header);
    tcase_add_test(tc, days_from_civil);
    tcase_add_test(tc, tzcache_follows_local_zone);
    tcase_add_test(tc, parse_message_assembles_line);
    tcase_add_test(tc, parse_message_without_host_pid_time);
    tcase_add_test(tc, parse_message_rejects);
    tcase_add_test(tc, tag_ends_at_its_first_delimiter_wherever_it_is);
    suite_add_tcase(s, tc);
    return s;
}

AG_TEST_MAIN
