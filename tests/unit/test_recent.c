/* test_recent.c - the ring of recent events: what a finding's scan visits
 * (the sought key's entries in the window, newest first, every one of them
 * across ring wrap-around and odd ring sizes) and what it never visits. */
#include "ag_test.h"

#include <stdio.h>

#include "engine/recent.h"

struct seen {
    uint32_t n;
    int64_t times[256];
    char users[256][AG_RECENT_NAME + 1];
    char lines[256][AG_RECENT_LINE + 1];
};

static unsigned match_all(void *arg, const struct ag_recent_item *it)
{
    (void)arg;
    (void)it;
    return 1;
}

static void collect(void *arg, const struct ag_recent_item *it)
{
    struct seen *s = arg;
    if (s->n < 256) {
        s->times[s->n] = it->time_ms;
        memcpy(s->users[s->n], it->user, sizeof(s->users[0]));
        memcpy(s->lines[s->n], it->line, sizeof(s->lines[0]));
        s->n++;
    }
}

static struct ag_addr source(int j)
{
    char text[32];
    struct ag_addr a;
    snprintf(text, sizeof text, "10.0.0.%d", j);
    ck_assert_int_eq(ag_addr_parse(text, strlen(text), &a), 0);
    return a;
}

/* Event i: at second i, from 10.0.0.(i % sources), user "u<i>". */
static void put_event(struct ag_recent *r, unsigned stripe, int i, int sources)
{
    char line[64];
    int n = snprintf(line, sizeof line, "Failed password for u%d from 10.0.0.%d", i,
                     i % sources);
    struct ag_event ev;
    memset(&ev, 0, sizeof ev);
    ev.time_ms = (int64_t)i * 1000;
    ev.line = line;
    ev.line_len = (uint32_t)n;
    ev.user.off = 20;
    ev.user.len = (uint16_t)(strchr(line + 20, ' ') - (line + 20));
    struct ag_recent_keys k;
    memset(&k, 0, sizeof k);
    k.src = source(i % sources);
    k.user[0] = (uint64_t)i;
    k.has_user = 1;
    ck_assert_uint_ne(ag_recent_put(r, stripe, &ev, &k), 0);
}

static unsigned src_match_3(void *arg, const struct ag_recent_item *it)
{
    struct ag_addr want = source(3);
    (void)arg;
    return it->keys.src.af == want.af && memcmp(it->keys.src.b, want.b, 4) == 0;
}

START_TEST(scan_finds_every_entry_of_a_key_newest_first_after_wrapping)
{
    /* 13 entries: not a multiple of the eight marks a word holds. */
    struct ag_recent *r;
    ck_assert_int_eq(ag_recent_new(&r, 1, 13), 0);
    for (int i = 0; i < 50; i++)
        put_event(r, 0, i, 5);
    struct ag_addr want = source(3);
    struct seen s = {0};
    struct ag_recent_item scratch;
    ag_recent_scan(r, 0, 100000, AG_RECENT_SRC, ag_recent_mark_addr(&want, 0), src_match_3,
                   collect, &s, &scratch);
    /* The ring holds events 37..49; those from 10.0.0.3 are 48, 43, 38. */
    ck_assert_uint_eq(s.n, 3);
    ck_assert_int_eq(s.times[0], 48000);
    ck_assert_int_eq(s.times[1], 43000);
    ck_assert_int_eq(s.times[2], 38000);
    ck_assert_str_eq(s.users[0], "u48");
    ag_recent_free(r);
}
END_TEST

/* Takes every entry, with its line only for the two newest. */
static unsigned lines_for_two(void *arg, const struct ag_recent_item *it)
{
    const struct seen *s = arg;
    (void)it;
    return AG_RECENT_TAKE | AG_RECENT_NO_USER | (s->n >= 2 ? AG_RECENT_NO_LINE : 0);
}

START_TEST(texts_the_matcher_declines_are_not_copied)
{
    struct ag_recent *r;
    ck_assert_int_eq(ag_recent_new(&r, 1, 16), 0);
    for (int i = 0; i < 5; i++)
        put_event(r, 0, i, 1);
    static struct seen s;
    memset(&s, 0, sizeof s);
    struct ag_recent_item scratch;
    memset(&scratch, 'x', sizeof scratch); /* stale text must not show through */
    ag_recent_scan(r, 0, 100000, AG_RECENT_SRC, 0, lines_for_two, collect, &s, &scratch);
    ck_assert_uint_eq(s.n, 5);
    ck_assert_str_eq(s.lines[0], "Failed password for u4 from 10.0.0.0");
    ck_assert_str_eq(s.lines[1], "Failed password for u3 from 10.0.0.0");
    for (int i = 0; i < 5; i++) {
        ck_assert_str_eq(s.users[i], "");
        if (i >= 2)
            ck_assert_str_eq(s.lines[i], "");
    }
    ck_assert_int_eq(s.times[4], 0);
    ag_recent_free(r);
}
END_TEST

START_TEST(unfiltered_scan_visits_the_window_newest_first)
{
    struct ag_recent *r;
    ck_assert_int_eq(ag_recent_new(&r, 1, 21), 0);
    for (int i = 0; i < 30; i++)
        put_event(r, 0, i, 4);
    struct seen s = {0};
    struct ag_recent_item scratch;
    ag_recent_scan(r, 12000, 25000, AG_RECENT_SRC, 0, match_all, collect, &s, &scratch);
    ck_assert_uint_eq(s.n, 14);
    for (uint32_t k = 0; k < s.n; k++)
        ck_assert_int_eq(s.times[k], (int64_t)(25 - k) * 1000);
    ag_recent_free(r);
}
END_TEST

START_TEST(a_ring_not_yet_full_is_scanned_to_its_start)
{
    struct ag_recent *r;
    ck_assert_int_eq(ag_recent_new(&r, 2, 64), 0);
    for (int i = 0; i < 10; i++)
        put_event(r, (unsigned)i, i, 5);   /* both stripes */
    struct ag_addr want = source(3);
    struct seen s = {0};
    struct ag_recent_item scratch;
    ag_recent_scan(r, 0, 100000, AG_RECENT_SRC, ag_recent_mark_addr(&want, 0), src_match_3,
                   collect, &s, &scratch);
    ck_assert_uint_eq(s.n, 2);   /* events 3 and 8, one per stripe */
    ag_recent_free(r);
}
END_TEST

START_TEST(roles_are_kept_apart)
{
    struct ag_recent *r;
    ck_assert_int_eq(ag_recent_new(&r, 1, 32), 0);
    for (int i = 0; i < 20; i++)
        put_event(r, 0, i, 5);
    struct seen s = {0};
    struct ag_recent_item scratch;
    uint64_t w[2] = {7, 0};
    /* User key 7 exists (event 7); no entry has a local user or an IPv6 /64. */
    ag_recent_scan(r, 0, 100000, AG_RECENT_USER, ag_recent_mark_key(w), match_all, collect,
                   &s, &scratch);
    ck_assert_uint_ge(s.n, 1);
    int found = 0;
    for (uint32_t k = 0; k < s.n; k++)
        found |= strcmp(s.users[k], "u7") == 0;
    ck_assert(found);
    s.n = 0;
    ag_recent_scan(r, 0, 100000, AG_RECENT_LOCAL, ag_recent_mark_key(w), match_all, collect,
                   &s, &scratch);
    ck_assert_uint_eq(s.n, 0);
    struct ag_addr v6;
    ck_assert_int_eq(ag_addr_parse("2001:db8::1", 11, &v6), 0);
    ag_recent_scan(r, 0, 100000, AG_RECENT_SRC64, ag_recent_mark_addr(&v6, 1), match_all,
                   collect, &s, &scratch);
    ck_assert_uint_eq(s.n, 0);
    ag_recent_free(r);
}
END_TEST

/* Every length of line and user comes back byte for byte: whole words, a
 * tail, nothing, and the cut at the bound. */
START_TEST(texts_of_every_length_come_back_exactly)
{
    struct ag_recent *r;
    ck_assert_int_eq(ag_recent_new(&r, 1, 8), 0);
    static char line[AG_RECENT_LINE + 16];
    for (size_t i = 0; i < sizeof(line); i++)
        line[i] = (char)('a' + i % 26);
    struct ag_recent_item *it = malloc(sizeof(*it));
    ck_assert_ptr_nonnull(it);
    for (uint32_t len = 0; len < sizeof(line); len++) {
        struct ag_event ev;
        memset(&ev, 0, sizeof ev);
        ev.time_ms = 1000;
        ev.line = line;
        ev.line_len = len;
        uint32_t ulen = len < AG_RECENT_NAME + 9 ? len : AG_RECENT_NAME + 9;
        ev.user = (struct ag_span){0, (uint16_t)ulen};
        struct ag_recent_keys k;
        memset(&k, 0, sizeof k);
        ck_assert_uint_ne(ag_recent_put(r, 0, &ev, &k), 0);
        struct seen *s = calloc(1, sizeof(*s));
        ck_assert_ptr_nonnull(s);
        ag_recent_scan(r, 1000, 1000, AG_RECENT_SRC, 0, match_all, collect, s, it);
        ck_assert_uint_ge(s->n, 1);
        size_t want = len < AG_RECENT_LINE ? len : AG_RECENT_LINE;
        size_t uwant = ulen < AG_RECENT_NAME ? ulen : AG_RECENT_NAME;
        ck_assert_uint_eq(strlen(s->lines[0]), want);
        ck_assert_int_eq(memcmp(s->lines[0], line, want), 0);
        ck_assert_uint_eq(strlen(s->users[0]), uwant);
        ck_assert_int_eq(memcmp(s->users[0], line, uwant), 0);
        free(s);
    }
    free(it);
    ag_recent_free(r);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("recent");
    TCase *tc = tcase_create("recent");
    tcase_add_test(tc, scan_finds_every_entry_of_a_key_newest_first_after_wrapping);
    tcase_add_test(tc, unfiltered_scan_visits_the_window_newest_first);
    tcase_add_test(tc, a_ring_not_yet_full_is_scanned_to_its_start);
    tcase_add_test(tc, roles_are_kept_apart);
    tcase_add_test(tc, texts_the_matcher_declines_are_not_copied);
    tcase_add_test(tc, texts_of_every_length_come_back_exactly);
    suite_add_tcase(s, tc);
    return s;
}

AG_TEST_MAIN
