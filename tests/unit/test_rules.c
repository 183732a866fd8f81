/* test_rules.c - every rule on a timeline that must fire and one that must
 * stay quiet, the IPv6 /64 fold, the allowlist, cooldown with one Create and
 * a few Updates under the same uid, late and out-of-order events, and the
 * open-finding table on its own. The engine runs synchronously here, so
 * findings arrive inside feed, in order. */
#include "ag_test.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>

#include "engine/engine.h"
#include "engine/rules.h"
#include "engine/table.h"
#include "filters/recognize.h"

#define T0 1700000000000LL
#define SEC 1000LL
#define MIN (60 * SEC)

struct capture {
    int events;
    int n;
    struct ag_finding *f; /* up to 64 */
    struct ag_counts last_counts;
};

static void on_output(void *ud, const struct ag_output *o)
{
    struct capture *c = ud;
    if (o->kind == AG_OUT_EVENT) {
        c->events++;
        c->last_counts = *o->counts;
    } else if (o->kind == AG_OUT_FINDING && c->n < 64) {
        c->f[c->n++] = *o->finding;
    }
}

static struct ag_engine *engine_with(struct capture *c, void (*tweak)(struct ag_engine_config *))
{
    struct ag_engine_config cfg;
    ag_engine_config_defaults(&cfg);
    cfg.table_slots = 1u << 14;
    cfg.pair_slots = 1u << 14;
    cfg.open_findings = 1024;
    cfg.recent_per_stripe = 256;
    cfg.synchronous = 1;
    cfg.hash_key[0] = 0x1111;
    cfg.hash_key[1] = 0x2222;
    if (tweak != NULL)
        tweak(&cfg);
    memset(c, 0, sizeof(*c));
    c->f = calloc(64, sizeof(*c->f));
    ck_assert_ptr_nonnull(c->f);
    char err[256] = "";
    struct ag_engine *e = ag_engine_new(&cfg, on_output, c, err, sizeof(err));
    ck_assert_msg(e != NULL, "engine: %s", err);
    return e;
}

static void done(struct ag_engine *e, struct capture *c)
{
    ag_engine_free(e);
    free(c->f);
}

/* Builds an event whose spans point into its own line, as a recognizer's
 * would. */
struct line {
    char buf[512];
    struct ag_event ev;
};

static struct ag_span span_of(const char *buf, const char *needle, size_t len)
{
    struct ag_span s = {0, 0};
    if (needle == NULL || len == 0)
        return s;
    const char *p = strstr(buf, needle);
    ck_assert_ptr_nonnull(p);
    s.off = (uint16_t)(p - buf);
    s.len = (uint16_t)len;
    return s;
}

static const struct ag_event *mk(struct line *l, int64_t t, enum ag_kind kind, const char *src,
                                 const char *user, const char *host)
{
    memset(l, 0, sizeof(*l));
    if (host == NULL)
        host = "web1";
    snprintf(l->buf, sizeof(l->buf), "%s sshd[42]: %s for <%s> from <%s> port 2222", host,
             ag_kind_name(kind), user ? user : "", src ? src : "");
    l->ev.time_ms = t;
    l->ev.line = l->buf;
    l->ev.line_len = (uint32_t)strlen(l->buf);
    l->ev.kind = (uint8_t)kind;
    l->ev.count = 1;
    l->ev.pid = 42;
    l->ev.host = span_of(l->buf, host, strlen(host));
    if (user != NULL) {
        char needle[300];
        snprintf(needle, sizeof(needle), "<%s>", user);
        l->ev.user = span_of(l->buf, needle, strlen(user));
        l->ev.user.off++;
    }
    if (src != NULL)
        ck_assert_int_eq(ag_addr_parse(src, strlen(src), &l->ev.src), 0);
    return &l->ev;
}

static void feed(struct ag_engine *e, int64_t t, enum ag_kind kind, const char *src,
                 const char *user)
{
    struct line l;
    ck_assert_int_eq(ag_engine_feed(e, mk(&l, t, kind, src, user, NULL)), 0);
}

static int count_rule(const struct capture *c, enum ag_rule r)
{
    int n = 0;
    for (int i = 0; i < c->n; i++)
        n += c->f[i].rule == r;
    return n;
}

static const struct ag_finding *first_of(const struct capture *c, enum ag_rule r)
{
    for (int i = 0; i < c->n; i++)
        if (c->f[i].rule == r)
            return &c->f[i];
    return NULL;
}

/* ---- bruteforce --------------------------------------------------------- */

START_TEST(bruteforce_fires_on_six_failures_in_a_minute)
{
    struct capture c;
    struct ag_engine *e = engine_with(&c, NULL);
    for (int i = 0; i < 6; i++)
        feed(e, T0 + i * 9 * SEC, AG_EV_AUTH_FAILURE, "203.0.113.5", "root");
    ck_assert_int_eq(c.n, 1);
    const struct ag_finding *f = &c.f[0];
    ck_assert_int_eq(f->rule, AG_RULE_BRUTEFORCE);
    ck_assert_int_eq(f->activity, AG_ACTIVITY_CREATE);
    ck_assert_int_eq(f->key_kind, AG_KEY_SRC);
    ck_assert_str_eq(f->key, "203.0.113.5");
    ck_assert_str_eq(f->technique_id, "T1110.001");
    ck_assert_str_eq(f->technique_name, "Password Guessing");
    ck_assert_int_eq(f->severity, AG_SEV_MEDIUM);
    ck_assert_uint_eq(f->observed, 6);
    ck_assert_uint_eq(f->threshold, 6);
    ck_assert_uint_eq(f->counts.failures, 6);
    ck_assert_int_eq(f->time_ms, T0 + 45 * SEC);
    ck_assert_int_eq(f->first_seen_ms, T0);
    ck_assert_uint_eq(strlen(f->uid), AG_FINDING_UID_LEN);
    ck_assert_uint_eq(f->n_samples, 6);
    ck_assert_int_eq(f->samples[5].time_ms, T0 + 45 * SEC);
    ck_assert_int_eq(f->samples[0].time_ms, T0);
    ck_assert_ptr_nonnull(strstr(f->samples[0].text, "auth_failure"));
    ck_assert_uint_eq(f->n_users, 1);
    ck_assert_str_eq(f->users[0], "root");
    ck_assert_uint_eq(f->n_hosts, 1);
    ck_assert_str_eq(f->hosts[0], "web1");
    done(e, &c);
}
END_TEST

START_TEST(bruteforce_quiet_below_threshold_or_spread_out)
{
    struct capture c;
    struct ag_engine *e = engine_with(&c, NULL);
    for (int i = 0; i < 5; i++)
        feed(e, T0 + i * 10 * SEC, AG_EV_AUTH_FAILURE, "203.0.113.6", "root");
    /* six failures, but 100 s apart: never six in one window */
    for (int i = 0; i < 6; i++)
        feed(e, T0 + i * 100 * SEC, AG_EV_AUTH_FAILURE, "203.0.113.7", "root");
    ck_assert_int_eq(count_rule(&c, AG_RULE_BRUTEFORCE), 0);
    ck_assert_int_eq(c.n, 0);
    done(e, &c);
}
END_TEST

START_TEST(bruteforce_counts_the_weight_of_a_line)
{
    struct capture c;
    struct ag_engine *e = engine_with(&c, NULL);
    struct line l;
    const struct ag_event *ev = mk(&l, T0, AG_EV_PAM_MORE_FAILURES, "198.51.100.20", "root", NULL);
    l.ev.count = 5;
    ag_engine_feed(e, ev);
    ck_assert_int_eq(c.n, 0);
    ck_assert_uint_eq(c.last_counts.failures, 5);
    feed(e, T0 + SEC, AG_EV_AUTH_FAILURE, "198.51.100.20", "root");
    ck_assert_int_eq(count_rule(&c, AG_RULE_BRUTEFORCE), 1);
    ck_assert_uint_eq(first_of(&c, AG_RULE_BRUTEFORCE)->observed, 6);
    done(e, &c);
}
END_TEST

START_TEST(typo_then_login_raises_nothing)
{
    struct capture c;
    struct ag_engine *e = engine_with(&c, NULL);
    feed(e, T0, AG_EV_AUTH_FAILURE, "198.51.100.7", "alice");
    feed(e, T0 + 4 * SEC, AG_EV_AUTH_FAILURE, "198.51.100.7", "alice");
    feed(e, T0 + 9 * SEC, AG_EV_AUTH_SUCCESS, "198.51.100.7", "alice");
    ck_assert_int_eq(c.events, 3);
    ck_assert_int_eq(c.n, 0);
    ck_assert_uint_eq(c.last_counts.failures, 2);
    ck_assert_uint_eq(c.last_counts.successes, 1);
    done(e, &c);
}
END_TEST

static void feed_echo(struct ag_engine *e, int64_t t, enum ag_kind kind, const char *src,
                      const char *user)
{
    struct line l;
    mk(&l, t, kind, src, user, NULL);
    l.ev.flags |= AG_EVF_ECHO;
    ck_assert_int_eq(ag_engine_feed(e, &l.ev), 0);
}

/* PAM's line before sshd's own is the same attempt: counted once. */
START_TEST(echo_lines_are_not_counted_twice)
{
    struct capture c;
    struct ag_engine *e = engine_with(&c, NULL);
    for (int i = 0; i < 5; i++) {
        feed_echo(e, T0 + i * 5 * SEC, AG_EV_PAM_FAILURE, "203.0.113.44", "root");
        feed(e, T0 + i * 5 * SEC, AG_EV_AUTH_FAILURE, "203.0.113.44", "root");
    }
    ck_assert_int_eq(c.n, 0);
    ck_assert_uint_eq(c.last_counts.failures, 5);
    feed_echo(e, T0 + 30 * SEC, AG_EV_PAM_FAILURE, "203.0.113.44", "root");
    ck_assert_int_eq(c.n, 0);
    feed(e, T0 + 30 * SEC, AG_EV_AUTH_FAILURE, "203.0.113.44", "root");
    ck_assert_int_eq(count_rule(&c, AG_RULE_BRUTEFORCE), 1);
    ck_assert_uint_eq(c.f[0].observed, 6);
    /* the echoes are still context */
    ck_assert_uint_eq(c.f[0].n_samples, 12);
    done(e, &c);
}
END_TEST

START_TEST(typo_with_pam_echoes_raises_nothing)
{
    struct capture c;
    struct ag_engine *e = engine_with(&c, NULL);
    for (int i = 0; i < 2; i++) {
        feed_echo(e, T0 + i * 4 * SEC, AG_EV_PAM_FAILURE, "198.51.100.8", "alice");
        feed_echo(e, T0 + i * 4 * SEC, AG_EV_PAM_FAILURE, "198.51.100.8", "alice");
        feed(e, T0 + i * 4 * SEC, AG_EV_AUTH_FAILURE, "198.51.100.8", "alice");
    }
    feed(e, T0 + 9 * SEC, AG_EV_AUTH_SUCCESS, "198.51.100.8", "alice");
    ck_assert_int_eq(c.n, 0);
    ck_assert_uint_eq(c.last_counts.failures, 2);
    done(e, &c);
}
END_TEST

START_TEST(invalid_user_announcements_still_count_as_distinct_users)
{
    struct capture c;
    struct ag_engine *e = engine_with(&c, NULL);
    const char *users[] = {"oracle", "git", "test", "ftp", "minecraft"};
    for (int i = 0; i < 5; i++) {
        struct line l;
        mk(&l, T0 + i * MIN, AG_EV_INVALID_USER, "203.0.113.85", users[i], NULL);
        l.ev.flags |= AG_EVF_ECHO | AG_EVF_INVALID_USER;
        ag_engine_feed(e, &l.ev);
    }
    ck_assert_int_eq(count_rule(&c, AG_RULE_ENUMERATION), 1);
    ck_assert_uint_eq(first_of(&c, AG_RULE_ENUMERATION)->counts.failures, 0);
    done(e, &c);
}
END_TEST

/* ---- one attempt per connection ------------------------------------------ */

/* Real sshd lines through the recognizer into the engine: "SS" is the
 * second of the minute, then the pid and the rest of the message. */
static void feed_sshd(struct ag_engine *e, struct ag_parser *p, int s, unsigned pid,
                      const char *msg)
{
    char line[400];
    snprintf(line, sizeof(line), "2026-11-01T00:%02d:%02d.000000+00:00 web-01 sshd[%u]: %s",
             s / 60, s % 60, pid, msg);
    struct ag_event ev;
    int rc = ag_parse_line(p, line, strlen(line), 0, &ev);
    ck_assert_msg(rc == AG_PARSE_EVENT, "no event for: %s", line);
    ck_assert_int_eq(ag_engine_feed(e, &ev), 0);
}

static struct ag_parser *new_parser(void)
{
    struct ag_parser *p = malloc(sizeof(*p));
    ck_assert_ptr_nonnull(p);
    ag_parser_init(p);
    ag_tzcache_set_fixed(&p->tz, 0);
    return p;
}

/* A key-only server: a bot's attempt is "Invalid user" then "Connection
 * closed by invalid user ... [preauth]". Ten in ten seconds from one source
 * over three names are ten attempts: a brute force, not only a scan. */
START_TEST(key_only_bot_attempts_raise_a_bruteforce)
{
    struct capture c;
    struct ag_engine *e = engine_with(&c, NULL);
    struct ag_parser *p = new_parser();
    const char *users[] = {"admin", "oracle", "ubuntu"};
    char msg[200];
    for (int i = 0; i < 10; i++) {
        unsigned pid = 5000 + (unsigned)i, port = 40000 + (unsigned)i;
        snprintf(msg, sizeof(msg), "Invalid user %s from 203.0.113.61 port %u", users[i % 3],
                 port);
        feed_sshd(e, p, i, pid, msg);
        snprintf(msg, sizeof(msg),
                 "Connection closed by invalid user %s 203.0.113.61 port %u [preauth]",
                 users[i % 3], port);
        feed_sshd(e, p, i, pid, msg);
    }
    ck_assert_int_eq(count_rule(&c, AG_RULE_BRUTEFORCE), 1);
    ck_assert_uint_eq(c.last_counts.failures, 10);
    done(e, &c);
    free(p);
}
END_TEST

/* An attempt whose only line to arrive is its closing one counts once; a
 * second closing line of the same connection adds nothing. */
START_TEST(attempt_seen_only_by_its_closing_line_counts_once)
{
    struct capture c;
    struct ag_engine *e = engine_with(&c, NULL);
    struct ag_parser *p = new_parser();
    feed_sshd(e, p, 1, 7001,
              "Connection closed by invalid user pi 203.0.113.62 port 51000 [preauth]");
    ck_assert_uint_eq(c.last_counts.failures, 1);
    feed_sshd(e, p, 1, 7001, "Disconnected from invalid user pi 203.0.113.62 port 51000 [preauth]");
    ck_assert_uint_eq(c.last_counts.failures, 1);
    /* another connection from the same source is another attempt */
    feed_sshd(e, p, 2, 7002,
              "Connection closed by invalid user pi 203.0.113.62 port 51001 [preauth]");
    ck_assert_uint_eq(c.last_counts.failures, 2);
    done(e, &c);
    free(p);
}
END_TEST

/* "Invalid user", PAM's echo and the first "Failed password" of one
 * connection are one attempt; the next password tried is another. */
START_TEST(announce_pam_and_failed_of_one_attempt_count_once)
{
    struct capture c;
    struct ag_engine *e = engine_with(&c, NULL);
    struct ag_parser *p = new_parser();
    feed_sshd(e, p, 1, 7100, "Invalid user test from 203.0.113.63 port 52000");
    ck_assert_uint_eq(c.last_counts.failures, 1);
    feed_sshd(e, p, 2, 7100,
              "pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh "
              "ruser= rhost=203.0.113.63");
    feed_sshd(e, p, 2, 7100, "Failed password for invalid user test from 203.0.113.63 port "
                             "52000 ssh2");
    ck_assert_uint_eq(c.last_counts.failures, 1);
    feed_sshd(e, p, 4, 7100, "Failed password for invalid user test from 203.0.113.63 port "
                             "52000 ssh2");
    ck_assert_uint_eq(c.last_counts.failures, 2);
    feed_sshd(e, p, 5, 7100,
              "Connection closed by invalid user test 203.0.113.63 port 52000 [preauth]");
    ck_assert_uint_eq(c.last_counts.failures, 2);
    ck_assert_int_eq(c.n, 0);
    done(e, &c);
    free(p);
}
END_TEST

/* A person who mistypes twice and logs in, on one connection: two guesses,
 * PAM's echoes not counted, nothing raised. */
START_TEST(mistype_twice_then_login_on_one_connection_raises_nothing)
{
    struct capture c;
    struct ag_engine *e = engine_with(&c, NULL);
    struct ag_parser *p = new_parser();
    for (int i = 0; i < 2; i++) {
        feed_sshd(e, p, 1 + 3 * i, 7200,
                  "pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh "
                  "ruser= rhost=198.51.100.9  user=alice");
        feed_sshd(e, p, 1 + 3 * i, 7200,
                  "Failed password for alice from 198.51.100.9 port 53000 ssh2");
    }
    feed_sshd(e, p, 8, 7200, "Accepted password for alice from 198.51.100.9 port 53000 ssh2");
    ck_assert_int_eq(c.n, 0);
    ck_assert_uint_eq(c.last_counts.failures, 2);
    done(e, &c);
    free(p);
}
END_TEST

/* A connection is remembered for minutes, either way in time: a closing
 * line that arrives after its announcement but carries an earlier time
 * still folds in; the same pid and port twenty minutes later are another
 * connection. */
START_TEST(connection_memory_is_bounded_in_time_both_ways)
{
    struct capture c;
    struct ag_engine *e = engine_with(&c, NULL);
    struct ag_parser *p = new_parser();
    feed_sshd(e, p, 70, 7300,
              "Connection closed by invalid user x 203.0.113.64 port 54000 [preauth]");
    feed_sshd(e, p, 50, 7300, "Invalid user x from 203.0.113.64 port 54000");
    ck_assert_uint_eq(c.last_counts.failures, 1);
    feed_sshd(e, p, 20 * 60 + 30, 7300, "Invalid user x from 203.0.113.64 port 54000");
    ck_assert_uint_eq(c.last_counts.failures, 2);
    done(e, &c);
    free(p);
}
END_TEST

START_TEST(sudo_pam_echo_is_not_a_privilege_failure)
{
    struct capture c;
    struct ag_engine *e = engine_with(&c, NULL);
    for (int i = 0; i < 4; i++) {
        struct line l;
        memset(&l, 0, sizeof(l));
        snprintf(l.buf, sizeof(l.buf), "db1 sudo[7]: pam_unix(sudo:auth): authentication "
                                       "failure; logname=bob ruser=bob user=bob");
        l.ev.time_ms = T0 + i * SEC;
        l.ev.line = l.buf;
        l.ev.line_len = (uint32_t)strlen(l.buf);
        l.ev.kind = AG_EV_SUDO_FAILURE;
        l.ev.flags = AG_EVF_ECHO;
        l.ev.count = 1;
        l.ev.ruser = span_of(l.buf, "bob ", 3);
        ag_engine_feed(e, &l.ev);
    }
    ck_assert_int_eq(c.n, 0);
    done(e, &c);
}
END_TEST

/* ---- slow brute force ---------------------------------------------------- */

START_TEST(slow_bruteforce_fires_over_hours_not_fast)
{
    struct capture c;
    struct ag_engine *e = engine_with(&c, NULL);
    for (int i = 0; i < 20; i++)
        feed(e, T0 + i * 15 * MIN, AG_EV_AUTH_FAILURE, "192.0.2.50", "oracle");
    ck_assert_int_eq(count_rule(&c, AG_RULE_BRUTEFORCE), 0);
    ck_assert_int_eq(count_rule(&c, AG_RULE_SLOW_BRUTEFORCE), 1);
    const struct ag_finding *f = first_of(&c, AG_RULE_SLOW_BRUTEFORCE);
    ck_assert_uint_eq(f->observed, 20);
    ck_assert_uint_eq(f->window_s, 6 * 3600);
    /* a fast brute force fills the slow window too, but reports once */
    for (int i = 0; i < 30; i++)
        feed(e, T0 + i * 2 * SEC, AG_EV_AUTH_FAILURE, "192.0.2.51", "oracle");
    int fast_bf = 0, fast_slow = 0;
    for (int i = 0; i < c.n; i++) {
        if (strcmp(c.f[i].key, "192.0.2.51") != 0)
            continue;
        fast_bf += c.f[i].rule == AG_RULE_BRUTEFORCE;
        fast_slow += c.f[i].rule == AG_RULE_SLOW_BRUTEFORCE;
    }
    ck_assert_int_ge(fast_bf, 1);
    ck_assert_int_eq(fast_slow, 0);
    done(e, &c);
}
END_TEST

START_TEST(slow_bruteforce_quiet_at_nineteen)
{
    struct capture c;
    struct ag_engine *e = engine_with(&c, NULL);
    for (int i = 0; i < 19; i++)
        feed(e, T0 + i * 15 * MIN, AG_EV_AUTH_FAILURE, "192.0.2.52", "oracle");
    ck_assert_int_eq(c.n, 0);
    done(e, &c);
}
END_TEST

/* ---- enumeration --------------------------------------------------------- */

START_TEST(enumeration_fires_on_five_distinct_invalid_users)
{
    struct capture c;
    struct ag_engine *e = engine_with(&c, NULL);
    const char *users[] = {"admin", "test", "guest", "ubuntu", "pi"};
    for (int i = 0; i < 5; i++)
        feed(e, T0 + i * MIN, AG_EV_INVALID_USER, "203.0.113.80", users[i]);
    ck_assert_int_eq(count_rule(&c, AG_RULE_ENUMERATION), 1);
    const struct ag_finding *f = first_of(&c, AG_RULE_ENUMERATION);
    ck_assert_uint_eq(f->observed, 5);
    ck_assert_uint_eq(f->counts.distinct_users, 5);
    ck_assert_uint_eq(f->counts.invalid_users, 5);
    ck_assert_uint_eq(f->n_users, 5);
    ck_assert_str_eq(f->technique_id, "T1110");
    ck_assert_int_eq(count_rule(&c, AG_RULE_BRUTEFORCE), 0);
    done(e, &c);
}
END_TEST

START_TEST(enumeration_flag_on_a_failure_counts_too)
{
    struct capture c;
    struct ag_engine *e = engine_with(&c, NULL);
    const char *users[] = {"a1", "a2", "a3", "a4", "a5"};
    for (int i = 0; i < 5; i++) {
        struct line l;
        mk(&l, T0 + i * MIN, AG_EV_AUTH_FAILURE, "203.0.113.81", users[i], NULL);
        l.ev.flags |= AG_EVF_INVALID_USER;
        ag_engine_feed(e, &l.ev);
    }
    ck_assert_int_eq(count_rule(&c, AG_RULE_ENUMERATION), 1);
    done(e, &c);
}
END_TEST

START_TEST(enumeration_quiet_for_one_user_repeated_or_four)
{
    struct capture c;
    struct ag_engine *e = engine_with(&c, NULL);
    for (int i = 0; i < 10; i++)
        feed(e, T0 + i * 2 * MIN, AG_EV_INVALID_USER, "203.0.113.82", "admin");
    const char *users[] = {"w", "x", "y", "z"};
    for (int i = 0; i < 4; i++)
        feed(e, T0 + i * MIN, AG_EV_INVALID_USER, "203.0.113.83", users[i]);
    /* valid users do not count as enumeration */
    const char *valid[] = {"v1", "v2", "v3", "v4", "v5"};
    for (int i = 0; i < 5; i++)
        feed(e, T0 + i * MIN, AG_EV_AUTH_FAILURE, "203.0.113.84", valid[i]);
    ck_assert_int_eq(count_rule(&c, AG_RULE_ENUMERATION), 0);
    done(e, &c);
}
END_TEST

/* ---- spraying ------------------------------------------------------------ */

START_TEST(spraying_fires_while_each_source_stays_low)
{
    struct capture c;
    struct ag_engine *e = engine_with(&c, NULL);
    char src[64];
    for (int i = 0; i < 20; i++) {
        snprintf(src, sizeof(src), "198.18.%d.%d", i / 5, 10 + i);
        feed(e, T0 + i * 20 * SEC, AG_EV_AUTH_FAILURE, src, "svc_backup");
        feed(e, T0 + i * 20 * SEC + SEC, AG_EV_AUTH_FAILURE, src, "svc_backup");
    }
    ck_assert_int_eq(count_rule(&c, AG_RULE_SPRAYING), 1);
    ck_assert_int_eq(count_rule(&c, AG_RULE_BRUTEFORCE), 0);
    ck_assert_int_eq(count_rule(&c, AG_RULE_SLOW_BRUTEFORCE), 0);
    const struct ag_finding *f = first_of(&c, AG_RULE_SPRAYING);
    ck_assert_int_eq(f->key_kind, AG_KEY_USER);
    ck_assert_str_eq(f->key, "svc_backup");
    ck_assert_str_eq(f->technique_id, "T1110.003");
    ck_assert_uint_eq(f->observed, 20);
    ck_assert_uint_eq(f->counts.distinct_sources, 20);
    ck_assert_uint_eq(f->n_sources, AG_FINDING_MAX_SOURCES);
    ck_assert_uint_eq(f->n_samples, AG_FINDING_MAX_SAMPLES);
    done(e, &c);
}
END_TEST

START_TEST(spraying_quiet_at_nineteen_sources)
{
    struct capture c;
    struct ag_engine *e = engine_with(&c, NULL);
    char src[64];
    for (int i = 0; i < 19; i++) {
        snprintf(src, sizeof(src), "198.18.1.%d", 10 + i);
        for (int k = 0; k < 3; k++)
            feed(e, T0 + i * 20 * SEC + k, AG_EV_AUTH_FAILURE, src, "svc_backup");
    }
    ck_assert_int_eq(c.n, 0);
    done(e, &c);
}
END_TEST

/* ---- compromise ---------------------------------------------------------- */

START_TEST(compromise_after_failures_from_a_source)
{
    struct capture c;
    struct ag_engine *e = engine_with(&c, NULL);
    for (int i = 0; i < 5; i++)
        feed(e, T0 + i * 3 * MIN, AG_EV_AUTH_FAILURE, "203.0.113.99", "deploy");
    ck_assert_int_eq(c.n, 0);
    feed(e, T0 + 20 * MIN, AG_EV_AUTH_SUCCESS, "203.0.113.99", "deploy");
    ck_assert_int_eq(c.n, 1);
    const struct ag_finding *f = &c.f[0];
    ck_assert_int_eq(f->rule, AG_RULE_COMPROMISE);
    ck_assert_int_eq(f->severity, AG_SEV_CRITICAL);
    ck_assert_str_eq(f->technique_id, "T1078");
    ck_assert_str_eq(f->key, "203.0.113.99");
    ck_assert_uint_eq(f->observed, 5);
    /* the success line is the evidence, and comes last */
    ck_assert_int_eq(f->samples[f->n_samples - 1].kind, AG_EV_AUTH_SUCCESS);
    ck_assert_ptr_nonnull(strstr(f->samples[f->n_samples - 1].text, "auth_success"));
    ck_assert_uint_eq(f->n_samples, 6);
    done(e, &c);
}
END_TEST

/* The names tried are the attacker's; the finding records the one that got
 * in, for the commands that lock it. */
START_TEST(compromise_records_the_user_that_logged_in)
{
    struct capture c;
    struct ag_engine *e = engine_with(&c, NULL);
    for (int i = 0; i < 6; i++)
        feed(e, T0 + i * SEC, AG_EV_AUTH_FAILURE, "203.0.113.78", "root");
    for (int i = 0; i < 2; i++)
        feed(e, T0 + (6 + i) * SEC, AG_EV_AUTH_FAILURE, "203.0.113.78", "ubuntu");
    feed(e, T0 + 9 * SEC, AG_EV_AUTH_SUCCESS, "203.0.113.78", "alice");
    const struct ag_finding *f = first_of(&c, AG_RULE_COMPROMISE);
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(f->key_kind, AG_KEY_SRC);
    ck_assert_str_eq(f->login_user, "alice");
    /* other rules' findings name no login */
    const struct ag_finding *bf = first_of(&c, AG_RULE_BRUTEFORCE);
    ck_assert_ptr_nonnull(bf);
    ck_assert_str_eq(bf->login_user, "");
    done(e, &c);
}
END_TEST

START_TEST(compromise_for_a_user_tried_from_many_sources)
{
    struct capture c;
    struct ag_engine *e = engine_with(&c, NULL);
    char src[64];
    for (int i = 0; i < 5; i++) {
        snprintf(src, sizeof(src), "192.0.2.%d", 100 + i);
        feed(e, T0 + i * MIN, AG_EV_AUTH_FAILURE, src, "bob");
    }
    feed(e, T0 + 10 * MIN, AG_EV_AUTH_SUCCESS, "192.0.2.200", "bob");
    ck_assert_int_eq(c.n, 1);
    ck_assert_int_eq(c.f[0].rule, AG_RULE_COMPROMISE);
    ck_assert_int_eq(c.f[0].key_kind, AG_KEY_USER);
    ck_assert_str_eq(c.f[0].key, "bob");
    ck_assert_uint_eq(c.f[0].n_sources, 6);
    done(e, &c);
}
END_TEST

START_TEST(compromise_quiet_with_four_failures_or_old_ones)
{
    struct capture c;
    struct ag_engine *e = engine_with(&c, NULL);
    for (int i = 0; i < 4; i++)
        feed(e, T0 + i * MIN, AG_EV_AUTH_FAILURE, "203.0.113.100", "carol");
    feed(e, T0 + 5 * MIN, AG_EV_AUTH_SUCCESS, "203.0.113.100", "carol");
    for (int i = 0; i < 5; i++)
        feed(e, T0 + i * MIN, AG_EV_AUTH_FAILURE, "203.0.113.101", "dave");
    /* 50 minutes after the last failure: outside 30 min (and its slack) */
    feed(e, T0 + 54 * MIN, AG_EV_AUTH_SUCCESS, "203.0.113.101", "dave");
    ck_assert_int_eq(c.n, 0);
    done(e, &c);
}
END_TEST

START_TEST(compromise_ignores_offered_keys_and_console_typos)
{
    struct capture c;
    struct ag_engine *e = engine_with(&c, NULL);
    /* a client offering six keys before the one that works */
    for (int i = 0; i < 6; i++) {
        struct line l;
        mk(&l, T0 + i * SEC, AG_EV_AUTH_FAILURE, "192.0.2.77", "erin", NULL);
        l.ev.method = AG_M_PUBLICKEY;
        ag_engine_feed(e, &l.ev);
    }
    feed(e, T0 + 7 * SEC, AG_EV_AUTH_SUCCESS, "192.0.2.77", "erin");
    ck_assert_int_eq(count_rule(&c, AG_RULE_COMPROMISE), 0);
    /* five console mistypes, then an ssh login from elsewhere */
    for (int i = 0; i < 5; i++)
        feed(e, T0 + i * MIN, AG_EV_LOGIN_FAILURE, NULL, "frank");
    feed(e, T0 + 6 * MIN, AG_EV_AUTH_SUCCESS, "192.0.2.78", "frank");
    ck_assert_int_eq(count_rule(&c, AG_RULE_COMPROMISE), 0);
    /* the same five guesses over ssh do count */
    for (int i = 0; i < 5; i++)
        feed(e, T0 + 10 * MIN + i * MIN, AG_EV_AUTH_FAILURE, "192.0.2.79", "grace");
    feed(e, T0 + 16 * MIN, AG_EV_AUTH_SUCCESS, "192.0.2.80", "grace");
    ck_assert_int_eq(count_rule(&c, AG_RULE_COMPROMISE), 1);
    ck_assert_str_eq(first_of(&c, AG_RULE_COMPROMISE)->key, "grace");
    done(e, &c);
}
END_TEST

/* ---- scan and regreSSHion ------------------------------------------------ */

START_TEST(scan_fires_on_ten_preauth_lines)
{
    struct capture c;
    struct ag_engine *e = engine_with(&c, NULL);
    enum ag_kind kinds[] = {AG_EV_PREAUTH_DISCONNECT, AG_EV_NO_IDENT, AG_EV_BAD_PROTOCOL,
                            AG_EV_NEGOTIATION};
    for (int i = 0; i < 9; i++)
        feed(e, T0 + i * 20 * SEC, kinds[i % 4], "198.51.100.30", NULL);
    ck_assert_int_eq(c.n, 0);
    feed(e, T0 + 190 * SEC, AG_EV_PREAUTH_DISCONNECT, "198.51.100.30", NULL);
    ck_assert_int_eq(c.n, 1);
    ck_assert_int_eq(c.f[0].rule, AG_RULE_SCAN);
    ck_assert_int_eq(c.f[0].severity, AG_SEV_LOW);
    ck_assert_str_eq(c.f[0].technique_id, "T1595");
    ck_assert_uint_eq(c.f[0].counts.preauth, 10);
    done(e, &c);
}
END_TEST

START_TEST(scan_quiet_when_slow)
{
    struct capture c;
    struct ag_engine *e = engine_with(&c, NULL);
    for (int i = 0; i < 20; i++)
        feed(e, T0 + i * MIN, AG_EV_NO_IDENT, "198.51.100.31", NULL);
    ck_assert_int_eq(c.n, 0);
    done(e, &c);
}
END_TEST

START_TEST(regresshion_fires_on_three_mac_or_timeout_lines)
{
    struct capture c;
    struct ag_engine *e = engine_with(&c, NULL);
    feed(e, T0, AG_EV_MAC_ERROR, "203.0.113.66", NULL);
    feed(e, T0 + 60 * SEC, AG_EV_TIMEOUT_PREAUTH, "203.0.113.66", NULL);
    ck_assert_int_eq(c.n, 0);
    feed(e, T0 + 120 * SEC, AG_EV_MAC_ERROR, "203.0.113.66", NULL);
    ck_assert_int_eq(count_rule(&c, AG_RULE_REGRESSHION), 1);
    const struct ag_finding *f = first_of(&c, AG_RULE_REGRESSHION);
    ck_assert_str_eq(f->technique_id, "T1190");
    ck_assert_int_eq(f->severity, AG_SEV_HIGH);
    done(e, &c);
}
END_TEST

START_TEST(regresshion_quiet_for_other_preauth_noise)
{
    struct capture c;
    struct ag_engine *e = engine_with(&c, NULL);
    feed(e, T0, AG_EV_MAC_ERROR, "203.0.113.67", NULL);
    feed(e, T0 + SEC, AG_EV_TIMEOUT_PREAUTH, "203.0.113.67", NULL);
    for (int i = 0; i < 5; i++)
        feed(e, T0 + (2 + i) * SEC, AG_EV_PREAUTH_DISCONNECT, "203.0.113.67", NULL);
    /* a third one, but 10 minutes later */
    feed(e, T0 + 10 * MIN, AG_EV_MAC_ERROR, "203.0.113.67", NULL);
    ck_assert_int_eq(count_rule(&c, AG_RULE_REGRESSHION), 0);
    done(e, &c);
}
END_TEST

/* ---- privilege ----------------------------------------------------------- */

static void feed_local(struct ag_engine *e, int64_t t, enum ag_kind kind, const char *ruser,
                       const char *user, uint16_t count)
{
    struct line l;
    memset(&l, 0, sizeof(l));
    snprintf(l.buf, sizeof(l.buf), "db1 sudo[7]: %s : %s ; by <%s> USER=<%s>",
             ag_kind_name(kind), "x", ruser ? ruser : "", user ? user : "");
    l.ev.time_ms = t;
    l.ev.line = l.buf;
    l.ev.line_len = (uint32_t)strlen(l.buf);
    l.ev.kind = (uint8_t)kind;
    l.ev.count = count;
    l.ev.host = span_of(l.buf, "db1", 3);
    if (ruser != NULL) {
        char needle[128];
        snprintf(needle, sizeof(needle), "<%s>", ruser);
        l.ev.ruser = span_of(l.buf, needle, strlen(ruser));
        l.ev.ruser.off++;
    }
    if (user != NULL) {
        char needle[128];
        snprintf(needle, sizeof(needle), "USER=<%s>", user);
        l.ev.user = span_of(l.buf, needle, strlen(user));
        l.ev.user.off += 6;
    }
    ck_assert_int_eq(ag_engine_feed(e, &l.ev), 0);
}

START_TEST(privilege_fires_on_three_failures_by_one_user)
{
    struct capture c;
    struct ag_engine *e = engine_with(&c, NULL);
    feed_local(e, T0, AG_EV_SUDO_FAILURE, "mallory", "root", 1);
    feed_local(e, T0 + MIN, AG_EV_SU_FAILURE, "mallory", "root", 1);
    ck_assert_int_eq(c.n, 0);
    feed_local(e, T0 + 2 * MIN, AG_EV_SUDO_FAILURE, "mallory", "root", 1);
    ck_assert_int_eq(c.n, 1);
    ck_assert_int_eq(c.f[0].rule, AG_RULE_PRIVILEGE);
    ck_assert_int_eq(c.f[0].key_kind, AG_KEY_LOCAL_USER);
    ck_assert_str_eq(c.f[0].key, "mallory");
    ck_assert_str_eq(c.f[0].technique_id, "T1548.003");
    ck_assert_uint_eq(c.f[0].counts.privilege, 3);
    done(e, &c);
}
END_TEST

START_TEST(privilege_weighted_count_and_sudoers_denial)
{
    struct capture c;
    struct ag_engine *e = engine_with(&c, NULL);
    /* "3 incorrect password attempts" is one line worth three */
    feed_local(e, T0, AG_EV_SUDO_FAILURE, "eve", "root", 3);
    ck_assert_int_eq(c.n, 1);
    ck_assert_str_eq(c.f[0].key, "eve");
    /* one NOT in sudoers is enough; keyed by user when there is no ruser */
    feed_local(e, T0, AG_EV_SUDO_DENIED, NULL, "intern", 1);
    ck_assert_int_eq(c.n, 2);
    ck_assert_str_eq(c.f[1].key, "intern");
    done(e, &c);
}
END_TEST

START_TEST(privilege_quiet_for_two_failures_or_two_users)
{
    struct capture c;
    struct ag_engine *e = engine_with(&c, NULL);
    feed_local(e, T0, AG_EV_SUDO_FAILURE, "alice", "root", 1);
    feed_local(e, T0 + MIN, AG_EV_SUDO_FAILURE, "alice", "root", 1);
    feed_local(e, T0 + 2 * MIN, AG_EV_SUDO_FAILURE, "bob", "root", 1);
    feed_local(e, T0 + 3 * MIN, AG_EV_SUDO_FAILURE, "bob", "root", 1);
    /* alice's third, but 20 minutes after her first two */
    feed_local(e, T0 + 20 * MIN, AG_EV_SUDO_FAILURE, "alice", "root", 1);
    ck_assert_int_eq(c.n, 0);
    done(e, &c);
}
END_TEST

/* ---- IPv6 and allowlist -------------------------------------------------- */

START_TEST(ipv6_rotation_inside_a_64_is_caught_on_the_prefix)
{
    struct capture c;
    struct ag_engine *e = engine_with(&c, NULL);
    char src[64];
    for (int i = 0; i < 6; i++) {
        snprintf(src, sizeof(src), "2001:db8:1:2:%x::%x", 0x100 + i, 7 * i + 1);
        feed(e, T0 + i * 5 * SEC, AG_EV_AUTH_FAILURE, src, "root");
    }
    ck_assert_int_eq(count_rule(&c, AG_RULE_BRUTEFORCE), 1);
    const struct ag_finding *f = first_of(&c, AG_RULE_BRUTEFORCE);
    ck_assert_int_eq(f->key_kind, AG_KEY_SRC64);
    ck_assert_str_eq(f->key, "2001:db8:1:2::/64");
    ck_assert_int_eq(f->key_addr.af, AG_AF_INET6);
    ck_assert_uint_eq(f->n_sources, 6);
    done(e, &c);
}
END_TEST

START_TEST(ipv6_single_address_reports_once_not_twice)
{
    struct capture c;
    struct ag_engine *e = engine_with(&c, NULL);
    for (int i = 0; i < 8; i++)
        feed(e, T0 + i * 5 * SEC, AG_EV_AUTH_FAILURE, "2001:db8:9::5", "root");
    ck_assert_int_eq(count_rule(&c, AG_RULE_BRUTEFORCE), 1);
    ck_assert_int_eq(c.f[0].key_kind, AG_KEY_SRC);
    ck_assert_str_eq(c.f[0].key, "2001:db8:9::5");
    done(e, &c);
}
END_TEST

static struct ag_cidr allow[1];

static void with_allowlist(struct ag_engine_config *cfg)
{
    ck_assert_int_eq(ag_cidr_parse("10.0.0.0/8", 10, &allow[0]), 0);
    cfg->allowlist = allow;
    cfg->n_allowlist = 1;
}

START_TEST(allowlisted_sources_raise_no_per_source_finding)
{
    struct capture c;
    struct ag_engine *e = engine_with(&c, with_allowlist);
    for (int i = 0; i < 12; i++)
        feed(e, T0 + i * SEC, AG_EV_AUTH_FAILURE, "10.1.2.3", "ansible");
    for (int i = 0; i < 12; i++)
        feed(e, T0 + i * SEC, AG_EV_PREAUTH_DISCONNECT, "10.1.2.4", NULL);
    ck_assert_int_eq(c.n, 0);
    /* the same timeline from outside the list does fire */
    for (int i = 0; i < 6; i++)
        feed(e, T0 + i * SEC, AG_EV_AUTH_FAILURE, "11.1.2.3", "ansible");
    ck_assert_int_eq(count_rule(&c, AG_RULE_BRUTEFORCE), 1);
    done(e, &c);
}
END_TEST

/* ---- cooldown ------------------------------------------------------------ */

START_TEST(cooldown_one_create_then_bounded_updates_same_uid)
{
    struct capture c;
    struct ag_engine *e = engine_with(&c, NULL);
    /* 40 minutes of one failure every 5 s: the rule holds on ~475 events */
    for (int i = 0; i < 480; i++)
        feed(e, T0 + i * 5 * SEC, AG_EV_AUTH_FAILURE, "203.0.113.200", "root");
    int creates = 0, updates = 0;
    const char *uid = NULL;
    uint32_t last_seq = 0;
    for (int i = 0; i < c.n; i++) {
        if (c.f[i].rule != AG_RULE_BRUTEFORCE)
            continue;
        if (c.f[i].activity == AG_ACTIVITY_CREATE) {
            creates++;
            uid = c.f[i].uid;
            ck_assert_uint_eq(c.f[i].update_seq, 0);
        } else {
            updates++;
            ck_assert_ptr_nonnull(uid);
            ck_assert_str_eq(c.f[i].uid, uid);
            ck_assert_uint_eq(c.f[i].update_seq, last_seq + 1);
            ck_assert_int_eq(c.f[i].created_ms, c.f[0].created_ms);
            last_seq = c.f[i].update_seq;
        }
    }
    ck_assert_int_eq(creates, 1);
    /* one Update per 15 min (two in 40 min) plus at most a few growth ones */
    ck_assert_int_ge(updates, 2);
    ck_assert_int_le(updates, 6);
    struct ag_engine_stats st;
    ag_engine_stats(e, &st);
    ck_assert_uint_ge(st.suppressed, 400);

    /* quiet for longer than the cooldown: the next burst is a new finding
     * (and, the fast one being closed, the 6 h window now speaks too) */
    int before = c.n;
    for (int i = 0; i < 6; i++)
        feed(e, T0 + 3 * 3600 * SEC + i * SEC, AG_EV_AUTH_FAILURE, "203.0.113.200", "root");
    int fresh = 0;
    for (int i = before; i < c.n; i++) {
        if (c.f[i].rule != AG_RULE_BRUTEFORCE)
            continue;
        fresh++;
        ck_assert_int_eq(c.f[i].activity, AG_ACTIVITY_CREATE);
        ck_assert_str_ne(c.f[i].uid, uid);
    }
    ck_assert_int_eq(fresh, 1);
    done(e, &c);
}
END_TEST

START_TEST(update_when_counts_double)
{
    struct capture c;
    struct ag_engine *e = engine_with(&c, NULL);
    for (int i = 0; i < 6; i++)
        feed(e, T0 + i * SEC, AG_EV_AUTH_FAILURE, "203.0.113.201", "root");
    ck_assert_int_eq(c.n, 1);
    for (int i = 6; i < 11; i++)
        feed(e, T0 + i * SEC, AG_EV_AUTH_FAILURE, "203.0.113.201", "root");
    ck_assert_int_eq(c.n, 1); /* 11 < 2 x 6 */
    feed(e, T0 + 11 * SEC, AG_EV_AUTH_FAILURE, "203.0.113.201", "root");
    ck_assert_int_eq(c.n, 2);
    ck_assert_int_eq(c.f[1].activity, AG_ACTIVITY_UPDATE);
    ck_assert_uint_eq(c.f[1].observed, 12);
    ck_assert_str_eq(c.f[1].uid, c.f[0].uid);
    done(e, &c);
}
END_TEST

/* ---- time ---------------------------------------------------------------- */

START_TEST(late_events_are_counted_as_late_not_aggregated)
{
    struct capture c;
    struct ag_engine *e = engine_with(&c, NULL);
    feed(e, T0 + 24 * 3600 * SEC, AG_EV_AUTH_FAILURE, "192.0.2.1", "x");
    for (int i = 0; i < 10; i++)
        feed(e, T0 + i * SEC, AG_EV_AUTH_FAILURE, "192.0.2.2", "x");
    ck_assert_int_eq(c.n, 0);
    ck_assert_int_eq(c.last_counts.key_kind, AG_KEY_NONE);
    struct ag_engine_stats st;
    ag_engine_stats(e, &st);
    ck_assert_uint_eq(st.late, 10);
    ck_assert_uint_eq(st.events, 11);
    ck_assert_uint_eq(st.counted, 1);
    done(e, &c);
}
END_TEST

START_TEST(out_of_order_events_within_the_window_still_trip)
{
    struct capture c;
    struct ag_engine *e = engine_with(&c, NULL);
    int64_t order[] = {50, 10, 40, 0, 30, 20};
    for (int i = 0; i < 6; i++)
        feed(e, T0 + order[i] * SEC, AG_EV_AUTH_FAILURE, "192.0.2.3", "x");
    ck_assert_int_eq(count_rule(&c, AG_RULE_BRUTEFORCE), 0); /* evaluated at the 20 s line */
    feed(e, T0 + 55 * SEC, AG_EV_AUTH_FAILURE, "192.0.2.3", "x");
    ck_assert_int_eq(count_rule(&c, AG_RULE_BRUTEFORCE), 1);
    ck_assert_uint_eq(first_of(&c, AG_RULE_BRUTEFORCE)->observed, 7);
    done(e, &c);
}
END_TEST

START_TEST(replay_gives_the_same_findings)
{
    struct capture a, b;
    struct ag_engine *ea = engine_with(&a, NULL);
    struct ag_engine *eb = engine_with(&b, NULL);
    for (int round = 0; round < 2; round++) {
        struct ag_engine *e = round ? eb : ea;
        char src[64];
        for (int i = 0; i < 300; i++) {
            snprintf(src, sizeof(src), "198.51.100.%d", i % 7);
            feed(e, T0 + i * 3 * SEC, i % 5 ? AG_EV_AUTH_FAILURE : AG_EV_INVALID_USER, src,
                 i % 3 ? "root" : "admin");
        }
    }
    ck_assert_int_gt(a.n, 0);
    ck_assert_int_eq(a.n, b.n);
    for (int i = 0; i < a.n; i++) {
        ck_assert_str_eq(a.f[i].uid, b.f[i].uid);
        ck_assert_int_eq(a.f[i].activity, b.f[i].activity);
        ck_assert_uint_eq(a.f[i].observed, b.f[i].observed);
        ck_assert_uint_eq(a.f[i].n_samples, b.f[i].n_samples);
    }
    done(ea, &a);
    done(eb, &b);
}
END_TEST

/* ---- fleet_source (aggregate tier) ---------------------------------------- */

static void fleet_on(struct ag_engine_config *cfg)
{
    cfg->rules[AG_RULE_FLEET_SOURCE].enabled = 1;
}

static void feed_host(struct ag_engine *e, int64_t t, const char *src, const char *host)
{
    struct line l;
    ck_assert_int_eq(ag_engine_feed(e, mk(&l, t, AG_EV_AUTH_FAILURE, src, "root", host)), 0);
}

START_TEST(fleet_source_off_by_default)
{
    struct ag_engine_config cfg;
    ag_engine_config_defaults(&cfg);
    ck_assert_int_eq(cfg.rules[AG_RULE_FLEET_SOURCE].enabled, 0);
    ck_assert_int_eq(ag_rule_from_name("fleet_source", 12), AG_RULE_FLEET_SOURCE);
    struct capture c;
    struct ag_engine *e = engine_with(&c, NULL);
    char host[32];
    for (int i = 0; i < 30; i++) {
        snprintf(host, sizeof(host), "web%02d", i);
        feed_host(e, T0 + i * 30 * SEC, "203.0.113.9", host);
    }
    ck_assert_int_eq(count_rule(&c, AG_RULE_FLEET_SOURCE), 0);
    done(e, &c);
}
END_TEST

START_TEST(fleet_source_fires_on_twenty_distinct_hosts)
{
    struct capture c;
    struct ag_engine *e = engine_with(&c, fleet_on);
    char host[32];
    /* Two failures per host, one minute apart per host: no host-level rule. */
    for (int i = 0; i < 20; i++) {
        snprintf(host, sizeof(host), "web%02d", i);
        feed_host(e, T0 + i * 2 * MIN, "203.0.113.9", host);
        feed_host(e, T0 + i * 2 * MIN + MIN, "203.0.113.9", host);
    }
    ck_assert_int_eq(count_rule(&c, AG_RULE_FLEET_SOURCE), 1);
    ck_assert_int_eq(count_rule(&c, AG_RULE_BRUTEFORCE), 0);
    const struct ag_finding *f = first_of(&c, AG_RULE_FLEET_SOURCE);
    ck_assert_int_eq(f->key_kind, AG_KEY_SRC);
    ck_assert_str_eq(f->key, "203.0.113.9");
    ck_assert_uint_eq(f->observed, 20);
    ck_assert_uint_eq(f->counts.distinct_hosts, 20);
    ck_assert_uint_eq(f->n_hosts, AG_FINDING_MAX_HOSTS);
    done(e, &c);
}
END_TEST

START_TEST(fleet_source_quiet_for_one_host_or_nineteen)
{
    struct capture c;
    struct ag_engine *e = engine_with(&c, fleet_on);
    char host[32];
    for (int i = 0; i < 40; i++)
        feed_host(e, T0 + i * 2 * MIN, "203.0.113.9", "web01");
    for (int i = 0; i < 19; i++) {
        snprintf(host, sizeof(host), "db%02d", i);
        feed_host(e, T0 + i * MIN, "203.0.113.10", host);
        feed_host(e, T0 + i * MIN + SEC, "203.0.113.10", host);
    }
    ck_assert_int_eq(count_rule(&c, AG_RULE_FLEET_SOURCE), 0);
    done(e, &c);
}
END_TEST

/* An engine that starts later in the stream (a rebalance) but still within
 * the window names the finding alike: uid = (rule, key, window bucket). */
START_TEST(finding_uid_depends_on_rule_key_and_window_bucket_only)
{
    struct capture a, b;
    struct ag_engine *ea = engine_with(&a, NULL);
    struct ag_engine *eb = engine_with(&b, NULL);
    for (int i = 0; i < 8; i++)
        feed(ea, T0 + i * SEC, AG_EV_AUTH_FAILURE, "198.51.100.7", "root");
    for (int i = 2; i < 8; i++)
        feed(eb, T0 + i * SEC, AG_EV_AUTH_FAILURE, "198.51.100.7", "root");
    const struct ag_finding *fa = first_of(&a, AG_RULE_BRUTEFORCE);
    const struct ag_finding *fb = first_of(&b, AG_RULE_BRUTEFORCE);
    ck_assert_ptr_nonnull(fa);
    ck_assert_ptr_nonnull(fb);
    ck_assert_int_ne(fa->time_ms, fb->time_ms);
    ck_assert_str_eq(fa->uid, fb->uid);
    done(ea, &a);
    done(eb, &b);
}
END_TEST

/* ---- the open-finding table alone ---------------------------------------- */

START_TEST(open_table_create_suppress_update_close)
{
    uint32_t cd[AG_RULE_COUNT];
    for (int i = 0; i < AG_RULE_COUNT; i++)
        cd[i] = 900;
    uint64_t hk[2] = {1, 2};
    struct ag_open *o = NULL;
    ck_assert_int_eq(ag_open_new(&o, 64, hk, cd), 0);
    struct ag_key k = {.kind = AG_KEY_SRC, .w = {5, 5}};
    struct ag_trip_result r;
    ck_assert_int_eq(ag_open_is_open(o, AG_RULE_SCAN, &k, T0), 0);
    ag_open_trip(o, AG_RULE_SCAN, &k, T0, 10, &r);
    ck_assert_int_eq(r.what, AG_TRIP_CREATE);
    ck_assert_int_eq(ag_open_is_open(o, AG_RULE_SCAN, &k, T0 + 1), 1);
    ck_assert_int_eq(ag_open_is_open(o, AG_RULE_BRUTEFORCE, &k, T0 + 1), 0);
    ag_open_trip(o, AG_RULE_SCAN, &k, T0 + 60 * SEC, 11, &r);
    ck_assert_int_eq(r.what, AG_TRIP_SUPPRESSED);
    ag_open_trip(o, AG_RULE_SCAN, &k, T0 + 120 * SEC, 20, &r);
    ck_assert_int_eq(r.what, AG_TRIP_UPDATE);
    ck_assert_uint_eq(r.update_seq, 1);
    ck_assert_int_eq(r.created_ms, T0);
    /* trips keep it open; an Update is due 15 min after the last one */
    ag_open_trip(o, AG_RULE_SCAN, &k, T0 + 10 * MIN, 21, &r);
    ck_assert_int_eq(r.what, AG_TRIP_SUPPRESSED);
    ag_open_trip(o, AG_RULE_SCAN, &k, T0 + 17 * MIN + 30 * SEC, 21, &r);
    ck_assert_int_eq(r.what, AG_TRIP_UPDATE);
    ck_assert_uint_eq(r.update_seq, 2);
    ck_assert_int_eq(ag_open_is_open(o, AG_RULE_SCAN, &k, T0 + 32 * MIN), 1);
    /* 15 min without a trip: closed; the next trip opens a new one */
    ck_assert_int_eq(ag_open_is_open(o, AG_RULE_SCAN, &k, T0 + 33 * MIN), 0);
    ag_open_trip(o, AG_RULE_SCAN, &k, T0 + 33 * MIN, 10, &r);
    ck_assert_int_eq(r.what, AG_TRIP_CREATE);
    ck_assert_int_eq(r.created_ms, T0 + 33 * MIN);
    ag_open_free(o);
}
END_TEST

START_TEST(open_table_full_then_reused_after_close)
{
    uint32_t cd[AG_RULE_COUNT];
    for (int i = 0; i < AG_RULE_COUNT; i++)
        cd[i] = 60;
    uint64_t hk[2] = {3, 4};
    struct ag_open *o = NULL;
    ck_assert_int_eq(ag_open_new(&o, 8, hk, cd), 0); /* one group */
    struct ag_trip_result r;
    for (uint64_t i = 0; i < 8; i++) {
        struct ag_key k = {.kind = AG_KEY_SRC, .w = {i, 0}};
        ag_open_trip(o, AG_RULE_BRUTEFORCE, &k, T0, 6, &r);
        ck_assert_int_eq(r.what, AG_TRIP_CREATE);
    }
    struct ag_key k9 = {.kind = AG_KEY_SRC, .w = {9, 0}};
    ag_open_trip(o, AG_RULE_BRUTEFORCE, &k9, T0 + SEC, 6, &r);
    ck_assert_int_eq(r.what, AG_TRIP_FULL);
    ag_open_trip(o, AG_RULE_BRUTEFORCE, &k9, T0 + 10 * MIN, 6, &r);
    ck_assert_int_eq(r.what, AG_TRIP_CREATE);
    ag_open_free(o);
}
END_TEST

START_TEST(config_check_names_the_bad_setting)
{
    struct ag_engine_config cfg;
    char err[256];
    ag_engine_config_defaults(&cfg);
    ck_assert_int_eq(ag_engine_config_check(&cfg, err, sizeof(err)), 0);
    cfg.rules[AG_RULE_SPRAYING].window_s = 5;
    ck_assert_int_eq(ag_engine_config_check(&cfg, err, sizeof(err)), -EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "spraying"));
    ck_assert_ptr_nonnull(strstr(err, "window"));
    ag_engine_config_defaults(&cfg);
    cfg.rules[AG_RULE_BRUTEFORCE].threshold = 0;
    ck_assert_int_eq(ag_engine_config_check(&cfg, err, sizeof(err)), -EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "bruteforce"));
    ag_engine_config_defaults(&cfg);
    cfg.table_slots = 3000;
    ck_assert_ptr_null(ag_engine_new(&cfg, NULL, NULL, err, sizeof(err)));
    ck_assert_ptr_nonnull(strstr(err, "table_slots"));
    ck_assert_int_eq(ag_rule_from_name("regresshion", 11), AG_RULE_REGRESSHION);
    ck_assert_int_eq(ag_rule_from_name("nope", 4), -1);
    ck_assert_str_eq(ag_rule_name(AG_RULE_PRIVILEGE), "privilege");
}
END_TEST

static void without_bruteforce(struct ag_engine_config *cfg)
{
    cfg->rules[AG_RULE_BRUTEFORCE].enabled = 0;
}

START_TEST(disabled_rule_stays_quiet)
{
    struct capture c;
    struct ag_engine *e = engine_with(&c, without_bruteforce);
    for (int i = 0; i < 10; i++)
        feed(e, T0 + i * SEC, AG_EV_AUTH_FAILURE, "192.0.2.9", "x");
    ck_assert_int_eq(count_rule(&c, AG_RULE_BRUTEFORCE), 0);
    /* the other rules still run on the same key */
    for (int i = 0; i < 10; i++)
        feed(e, T0 + 20 * SEC + i * SEC, AG_EV_NO_IDENT, "192.0.2.9", NULL);
    ck_assert_int_eq(count_rule(&c, AG_RULE_SCAN), 1);
    done(e, &c);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("rules");
    TCase *tc = tcase_create("rules");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, bruteforce_fires_on_six_failures_in_a_minute);
    tcase_add_test(tc, bruteforce_quiet_below_threshold_or_spread_out);
    tcase_add_test(tc, bruteforce_counts_the_weight_of_a_line);
    tcase_add_test(tc, typo_then_login_raises_nothing);
    tcase_add_test(tc, echo_lines_are_not_counted_twice);
    tcase_add_test(tc, typo_with_pam_echoes_raises_nothing);
    tcase_add_test(tc, invalid_user_announcements_still_count_as_distinct_users);
    tcase_add_test(tc, sudo_pam_echo_is_not_a_privilege_failure);
    tcase_add_test(tc, key_only_bot_attempts_raise_a_bruteforce);
    tcase_add_test(tc, attempt_seen_only_by_its_closing_line_counts_once);
    tcase_add_test(tc, announce_pam_and_failed_of_one_attempt_count_once);
    tcase_add_test(tc, mistype_twice_then_login_on_one_connection_raises_nothing);
    tcase_add_test(tc, connection_memory_is_bounded_in_time_both_ways);
    tcase_add_test(tc, slow_bruteforce_fires_over_hours_not_fast);
    tcase_add_test(tc, slow_bruteforce_quiet_at_nineteen);
    tcase_add_test(tc, enumeration_fires_on_five_distinct_invalid_users);
    tcase_add_test(tc, enumeration_flag_on_a_failure_counts_too);
    tcase_add_test(tc, enumeration_quiet_for_one_user_repeated_or_four);
    tcase_add_test(tc, spraying_fires_while_each_source_stays_low);
    tcase_add_test(tc, spraying_quiet_at_nineteen_sources);
    tcase_add_test(tc, compromise_after_failures_from_a_source);
    tcase_add_test(tc, compromise_records_the_user_that_logged_in);
    tcase_add_test(tc, compromise_for_a_user_tried_from_many_sources);
    tcase_add_test(tc, compromise_quiet_with_four_failures_or_old_ones);
    tcase_add_test(tc, compromise_ignores_offered_keys_and_console_typos);
    tcase_add_test(tc, scan_fires_on_ten_preauth_lines);
    tcase_add_test(tc, scan_quiet_when_slow);
    tcase_add_test(tc, regresshion_fires_on_three_mac_or_timeout_lines);
    tcase_add_test(tc, regresshion_quiet_for_other_preauth_noise);
    tcase_add_test(tc, privilege_fires_on_three_failures_by_one_user);
    tcase_add_test(tc, privilege_weighted_count_and_sudoers_denial);
    tcase_add_test(tc, privilege_quiet_for_two_failures_or_two_users);
    tcase_add_test(tc, ipv6_rotation_inside_a_64_is_caught_on_the_prefix);
    tcase_add_test(tc, ipv6_single_address_reports_once_not_twice);
    tcase_add_test(tc, allowlisted_sources_raise_no_per_source_finding);
    tcase_add_test(tc, cooldown_one_create_then_bounded_updates_same_uid);
    tcase_add_test(tc, update_when_counts_double);
    tcase_add_test(tc, late_events_are_counted_as_late_not_aggregated);
    tcase_add_test(tc, out_of_order_events_within_the_window_still_trip);
    tcase_add_test(tc, replay_gives_the_same_findings);
    tcase_add_test(tc, fleet_source_off_by_default);
    tcase_add_test(tc, fleet_source_fires_on_twenty_distinct_hosts);
    tcase_add_test(tc, fleet_source_quiet_for_one_host_or_nineteen);
    tcase_add_test(tc, finding_uid_depends_on_rule_key_and_window_bucket_only);
    tcase_add_test(tc, open_table_create_suppress_update_close);
    tcase_add_test(tc, open_table_full_then_reused_after_close);
    tcase_add_test(tc, config_check_names_the_bad_setting);
    tcase_add_test(tc, disabled_rule_stays_quiet);
    suite_add_tcase(s, tc);
    return s;
}

AG_TEST_MAIN
