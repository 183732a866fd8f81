/* test_conn.c - one attempt per connection (engine/conn.h): an attempt
 * counts once whichever of its lines arrive, and many connections open at
 * once do not take each other's entries. */
#include "ag_test.h"

#include "engine/conn.h"

#define T0 (1790000000000LL) /* an event time, ms */

/* A fixed sequence of well-mixed ids (splitmix64), so every run of the test
 * sees the same ids; a real engine keys them with a random hash key. */
static uint64_t next_id(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    z ^= z >> 31;
    return z ? z : 1;
}

START_TEST(announce_then_failed_then_close_counts_once)
{
    struct ag_conns *c;
    ck_assert_int_eq(ag_conns_new(&c, 64), 0);
    ck_assert_int_eq(ag_conns_counts(c, 42, AG_CONN_FOLDS, T0), 1);
    ck_assert_int_eq(ag_conns_counts(c, 42, AG_CONN_GUESS, T0 + 100), 0);
    ck_assert_int_eq(ag_conns_counts(c, 42, AG_CONN_FOLDS, T0 + 200), 0);
    /* every further Failed line is another guess */
    ck_assert_int_eq(ag_conns_counts(c, 42, AG_CONN_GUESS, T0 + 300), 1);
    ck_assert_int_eq(ag_conns_counts(c, 42, AG_CONN_GUESS, T0 + 400), 1);
    ag_conns_free(c);
}
END_TEST

START_TEST(a_reused_connection_after_the_ttl_counts_again)
{
    struct ag_conns *c;
    ck_assert_int_eq(ag_conns_new(&c, 64), 0);
    ck_assert_int_eq(ag_conns_counts(c, 7, AG_CONN_FOLDS, T0), 1);
    ck_assert_int_eq(ag_conns_counts(c, 7, AG_CONN_FOLDS, T0 + AG_CONN_TTL_MS + 120000), 1);
    ag_conns_free(c);
}
END_TEST

/* A quarter of the table's entries open at once, with ids that share sets:
 * on a direct-mapped table some thirty of 256 connections collide and
 * count their Failed line a second time. */
START_TEST(many_open_connections_keep_their_entries)
{
    enum { SLOTS = 1024, OPEN = SLOTS / 4 };
    struct ag_conns *c;
    uint64_t ids[OPEN], state = 1;
    ck_assert_int_eq(ag_conns_new(&c, SLOTS), 0);
    for (int i = 0; i < OPEN; i++) {
        ids[i] = next_id(&state);
        ck_assert_int_eq(ag_conns_counts(c, ids[i], AG_CONN_FOLDS, T0 + i), 1);
    }
    int recounted = 0;
    for (int i = 0; i < OPEN; i++)
        recounted += ag_conns_counts(c, ids[i], AG_CONN_GUESS, T0 + OPEN + i);
    ck_assert_int_eq(recounted, 0);
    ag_conns_free(c);
}
END_TEST

/* Ids of one set with distinct tags (the tag is the id's top 40 bits, its
 * lowest bit set). */
static uint64_t same_set(uint64_t i)
{
    return (2 * i + 1) << 24;
}

/* Past a set's ways, the oldest entry goes, not the newest. */
START_TEST(a_full_set_gives_up_its_oldest_entry)
{
    struct ag_conns *c;
    ck_assert_int_eq(ag_conns_new(&c, AG_CONN_WAYS), 0); /* one set */
    for (uint64_t i = 0; i <= AG_CONN_WAYS; i++)
        ck_assert_int_eq(ag_conns_counts(c, same_set(i), AG_CONN_FOLDS,
                                         T0 + (int64_t)i * 60000), 1);
    /* the first was the oldest: it was replaced and counts again */
    ck_assert_int_eq(ag_conns_counts(c, same_set(0), AG_CONN_GUESS, T0 + 9 * 60000), 1);
    /* the newer ones kept theirs */
    for (uint64_t i = 2; i <= AG_CONN_WAYS; i++)
        ck_assert_int_eq(ag_conns_counts(c, same_set(i), AG_CONN_GUESS, T0 + 9 * 60000), 0);
    ag_conns_free(c);
}
END_TEST

START_TEST(too_few_slots_are_refused)
{
    struct ag_conns *c = NULL;
    ck_assert_int_eq(ag_conns_new(&c, AG_CONN_WAYS / 2), -1);
    ck_assert_ptr_null(c);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("conn");
    TCase *tc = tcase_create("conn");
    tcase_add_test(tc, announce_then_failed_then_close_counts_once);
    tcase_add_test(tc, a_reused_connection_after_the_ttl_counts_again);
    tcase_add_test(tc, many_open_connections_keep_their_entries);
    tcase_add_test(tc, a_full_set_gives_up_its_oldest_entry);
    tcase_add_test(tc, too_few_slots_are_refused);
    suite_add_tcase(s, tc);
    return s;
}

AG_TEST_MAIN
