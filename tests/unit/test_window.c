/* test_window.c - bucketed ring words and the distinct-pair table: window
 * edges, out-of-order and late events, saturation, wrap, and exact results
 * under concurrent writers. */
#include "ag_test.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "engine/window.h"

#define MAX_BACK 64

START_TEST(width_is_a_third_of_the_window)
{
    ck_assert_int_eq(ag_window_width_ms(60), 20000);
    ck_assert_int_eq(ag_window_width_ms(600), 200000);
    ck_assert_int_eq(ag_window_width_ms(10), 3334);
    ck_assert_uint_eq(ag_window_bucket(59999, 20000), 2);
    ck_assert_uint_eq(ag_window_bucket(-5, 20000), 0);
}
END_TEST

START_TEST(ring_counts_the_last_four_buckets)
{
    _Atomic uint64_t r = 0;
    ck_assert_uint_eq(ag_ring_add(&r, 10, 1, MAX_BACK), 1);
    ck_assert_uint_eq(ag_ring_add(&r, 11, 2, MAX_BACK), 3);
    ck_assert_uint_eq(ag_ring_add(&r, 12, 3, MAX_BACK), 6);
    ck_assert_uint_eq(ag_ring_add(&r, 13, 4, MAX_BACK), 10);
    /* bucket 10 leaves the window ending at 14 */
    ck_assert_uint_eq(ag_ring_add(&r, 14, 5, MAX_BACK), 14);
    ck_assert_uint_eq(ag_ring_read(&r, 14), 14);
    ck_assert_uint_eq(ag_ring_read(&r, 15), 12);
    ck_assert_uint_eq(ag_ring_read(&r, 17), 5);
    ck_assert_uint_eq(ag_ring_read(&r, 18), 0);
    /* the window ending at an earlier bucket sees only what it covers */
    ck_assert_uint_eq(ag_ring_read(&r, 12), 5);
}
END_TEST

START_TEST(ring_out_of_order_and_late)
{
    _Atomic uint64_t r = 0;
    ag_ring_add(&r, 100, 1, MAX_BACK);
    /* an older event inside the window lands in its own bucket; the sum
     * returned is of the window ending at its own time */
    ck_assert_uint_eq(ag_ring_add(&r, 98, 1, MAX_BACK), 1);
    ck_assert_uint_eq(ag_ring_read(&r, 100), 2);
    ck_assert_uint_eq(ag_ring_read(&r, 101), 2);
    ck_assert_uint_eq(ag_ring_read(&r, 102), 1); /* 98 has left */
    /* older than the ring: not counted */
    ck_assert_uint_eq(ag_ring_add(&r, 90, 5, MAX_BACK), 0);
    ck_assert_uint_eq(ag_ring_read(&r, 100), 2);
    /* a jump far ahead restarts the ring */
    ck_assert_uint_eq(ag_ring_add(&r, 200, 1, MAX_BACK), 1);
    ck_assert_uint_eq(ag_ring_read(&r, 200), 1);
}
END_TEST

START_TEST(ring_saturates_instead_of_wrapping)
{
    _Atomic uint64_t r = 0;
    ag_ring_add(&r, 5, AG_RING_CAP - 1, MAX_BACK);
    ck_assert_uint_eq(ag_ring_add(&r, 5, 10, MAX_BACK), AG_RING_CAP);
    ck_assert_uint_eq(ag_ring_add(&r, 5, 100000, MAX_BACK), AG_RING_CAP);
    /* the neighbouring bucket is untouched by the saturation */
    ck_assert_uint_eq(ag_ring_add(&r, 6, 1, MAX_BACK), AG_RING_CAP + 1);
}
END_TEST

START_TEST(ring_tag_wraps_cleanly)
{
    _Atomic uint64_t r = 0;
    ag_ring_add(&r, 65534, 1, MAX_BACK);
    ag_ring_add(&r, 65535, 1, MAX_BACK);
    ck_assert_uint_eq(ag_ring_add(&r, 65536, 1, MAX_BACK), 3);
    ck_assert_uint_eq(ag_ring_add(&r, 65537, 1, MAX_BACK), 4);
    ck_assert_uint_eq(ag_ring_read(&r, 65538), 3);
    /* a ring left alone for longer than max_back restarts on the next add
     * instead of refusing events as "late" forever */
    _Atomic uint64_t s = 0;
    ag_ring_add(&s, 1000, 7, MAX_BACK);
    ck_assert_uint_eq(ag_ring_add(&s, 1000 + 40000, 1, MAX_BACK), 1);
}
END_TEST

START_TEST(ring_scrub_clears_only_stale_rings)
{
    _Atomic uint64_t r = 0;
    ag_ring_add(&r, 50, 3, MAX_BACK);
    ag_ring_scrub(&r, 52);
    ck_assert_uint_eq(ag_ring_read(&r, 52), 3);
    ag_ring_scrub(&r, 49); /* a feeder ahead of "now": left alone */
    ck_assert_uint_eq(ag_ring_read(&r, 50), 3);
    ag_ring_scrub(&r, 54);
    ck_assert_uint_eq(atomic_load(&r), 0);
}
END_TEST

struct ring_writer {
    _Atomic uint64_t *r;
    int n;
    _Atomic int *go;
};

static void *ring_writer(void *arg)
{
    struct ring_writer *w = arg;
    while (!atomic_load(w->go))
        ;
    for (int i = 0; i < w->n; i++)
        ag_ring_add(w->r, 7 + (uint32_t)(i % 4), 1, MAX_BACK);
    return NULL;
}

START_TEST(ring_concurrent_adds_are_exact)
{
    _Atomic uint64_t r = 0;
    _Atomic int go = 0;
    pthread_t th[4];
    struct ring_writer w[4];
    for (int i = 0; i < 4; i++) {
        w[i] = (struct ring_writer){&r, 1000, &go};
        ck_assert_int_eq(pthread_create(&th[i], NULL, ring_writer, &w[i]), 0);
    }
    atomic_store(&go, 1);
    for (int i = 0; i < 4; i++)
        pthread_join(th[i], NULL);
    /* Buckets 7..10 all stay inside the window whatever the interleaving
     * (a bucket-7 add after bucket 10 exists lands 3 behind), so every add
     * counts: 1000 per bucket. */
    ck_assert_uint_eq(ag_ring_read(&r, 10), 4000);
    ck_assert_uint_eq(ag_ring_read(&r, 13), 1000); /* bucket 10 alone */
    ck_assert_uint_eq(ag_ring_read(&r, 12), 2000);
}
END_TEST

/* ---- pairs -------------------------------------------------------------- */

static struct ag_pairs *new_pairs(uint32_t entries, struct ag_stats **st)
{
    int64_t widths[AG_RULE_COUNT];
    for (int i = 0; i < AG_RULE_COUNT; i++)
        widths[i] = ag_window_width_ms(600);
    uint64_t key[2] = {11, 22};
    struct ag_pairs *p = NULL;
    ck_assert_int_eq(ag_pairs_new(&p, entries, key, widths), 0);
    *st = aligned_alloc(64, sizeof(**st));
    memset(*st, 0, sizeof(**st));
    return p;
}

START_TEST(pair_counts_once_per_window)
{
    struct ag_stats *st;
    struct ag_pairs *p = new_pairs(1024, &st);
    struct ag_key k = {.kind = AG_KEY_SRC, .w = {1, 2}};
    uint64_t alice[2] = {100, 0}, bob[2] = {200, 0};
    const int64_t t0 = 1700000000000;
    ck_assert_int_eq(ag_pairs_note(p, AG_RULE_ENUMERATION, &k, alice, t0, st, 0), 1);
    ck_assert_int_eq(ag_pairs_note(p, AG_RULE_ENUMERATION, &k, alice, t0 + 1000, st, 0), 0);
    ck_assert_int_eq(ag_pairs_note(p, AG_RULE_ENUMERATION, &k, bob, t0 + 2000, st, 0), 1);
    /* other rule, other key: separate pairs */
    ck_assert_int_eq(ag_pairs_note(p, AG_RULE_SPRAYING, &k, alice, t0, st, 0), 1);
    struct ag_key k2 = {.kind = AG_KEY_SRC, .w = {1, 3}};
    ck_assert_int_eq(ag_pairs_note(p, AG_RULE_ENUMERATION, &k2, alice, t0, st, 0), 1);
    /* still within the 4 buckets of 200 s: not new */
    ck_assert_int_eq(ag_pairs_note(p, AG_RULE_ENUMERATION, &k, alice, t0 + 500000, st, 0), 0);
    /* once its count has left the window, it counts again */
    ck_assert_int_eq(ag_pairs_note(p, AG_RULE_ENUMERATION, &k, alice, t0 + 900000, st, 0), 1);
    ag_pairs_free(p);
    free(st);
}
END_TEST

START_TEST(pair_group_overflow_gives_up_the_oldest)
{
    struct ag_stats *st;
    struct ag_pairs *p = new_pairs(8, &st); /* a single group of 8 */
    struct ag_key k = {.kind = AG_KEY_SRC, .w = {9, 9}};
    const int64_t t0 = 1700000000000;
    for (uint64_t v = 0; v < 8; v++) {
        uint64_t val[2] = {v, 0};
        ck_assert_int_eq(ag_pairs_note(p, AG_RULE_ENUMERATION, &k, val, t0 + (int64_t)v * 1000,
                                       st, 0),
                         1);
    }
    ck_assert_uint_eq(ag_stat_sum(st, AG_ST_PAIR_EVICTIONS), 0);
    uint64_t ninth[2] = {8, 0};
    ck_assert_int_eq(ag_pairs_note(p, AG_RULE_ENUMERATION, &k, ninth, t0 + 600000, st, 0), 1);
    ck_assert_uint_eq(ag_stat_sum(st, AG_ST_PAIR_EVICTIONS), 1);
    /* the ninth is remembered */
    ck_assert_int_eq(ag_pairs_note(p, AG_RULE_ENUMERATION, &k, ninth, t0 + 600001, st, 0), 0);
    ag_pairs_free(p);
    free(st);
}
END_TEST

struct pair_writer {
    struct ag_pairs *p;
    struct ag_stats *st;
    int id;
    _Atomic int *go;
    int fresh;
};

static void *pair_writer(void *arg)
{
    struct pair_writer *w = arg;
    struct ag_key k = {.kind = AG_KEY_USER, .w = {5, 6}};
    while (!atomic_load(w->go))
        ;
    for (int round = 0; round < 20; round++)
        for (uint64_t v = 0; v < 50; v++) {
            uint64_t val[2] = {v, 77};
            w->fresh += ag_pairs_note(w->p, AG_RULE_SPRAYING, &k, val, 1700000000000, w->st,
                                      (unsigned)w->id);
        }
    return NULL;
}

START_TEST(pair_concurrent_notes_count_each_value_once)
{
    struct ag_stats *st;
    struct ag_pairs *p = new_pairs(1u << 12, &st);
    _Atomic int go = 0;
    pthread_t th[4];
    struct pair_writer w[4];
    for (int i = 0; i < 4; i++) {
        w[i] = (struct pair_writer){p, st, i, &go, 0};
        ck_assert_int_eq(pthread_create(&th[i], NULL, pair_writer, &w[i]), 0);
    }
    atomic_store(&go, 1);
    int fresh = 0;
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        fresh += w[i].fresh;
    }
    ck_assert_int_eq(fresh, 50);
    ag_pairs_free(p);
    free(st);
}
END_TEST

/* ---- distinct sets inline in a slot ------------------------------------ */

static struct ag_slot *new_slot(void)
{
    struct ag_slot *s = aligned_alloc(64, sizeof(*s));
    ck_assert_ptr_nonnull(s);
    memset(s, 0, sizeof(*s));
    return s;
}

START_TEST(inline_set_counts_once_per_window_without_the_pair_table)
{
    struct ag_stats *st;
    struct ag_pairs *p = new_pairs(8, &st); /* one group: easy to see used */
    struct ag_slot *s = new_slot();
    struct ag_key u = {.kind = AG_KEY_USER, .w = {5, 6}};
    const int64_t t0 = 1700000000000;
    unsigned spare = ag_spare_rings(AG_KEY_USER);
    int n = __builtin_popcount(spare);
    ck_assert_int_eq(n, 6);
    for (uint64_t v = 0; v < (uint64_t)n; v++) {
        struct ag_key val = {.kind = AG_KEY_SRC, .w = {v, 1}};
        ck_assert_int_eq(ag_distinct_note(p, s, AG_RULE_SPRAYING, &u, &val, t0, st, 0), 1);
        ck_assert_int_eq(ag_distinct_note(p, s, AG_RULE_SPRAYING, &u, &val, t0 + 1, st, 0), 0);
    }
    /* the rings the kind counts in are left alone */
    ck_assert_uint_eq(atomic_load(&s->ring[AG_RULE_SPRAYING]), 0);
    ck_assert_uint_eq(atomic_load(&s->ring[AG_RULE_COMPROMISE]), 0);
    /* the set alone held them: the pair table is empty */
    struct ag_key first = {.kind = AG_KEY_SRC, .w = {0, 1}};
    ck_assert_int_eq(ag_pairs_note(p, AG_RULE_SPRAYING, &u, first.w, t0, st, 0), 1);
    /* once its count has left the window, a value counts again */
    ck_assert_int_eq(ag_distinct_note(p, s, AG_RULE_SPRAYING, &u, &first, t0 + 900000, st, 0), 1);
    ck_assert_int_eq(ag_distinct_note(p, s, AG_RULE_SPRAYING, &u, &first, t0 + 900001, st, 0), 0);
    /* a value that carries its table hash is told apart by it */
    struct ag_key h1 = {.kind = AG_KEY_USER, .hashed = 1, .w = {9, 9}, .hash = 1ull << 40};
    struct ag_key h2 = {.kind = AG_KEY_USER, .hashed = 1, .w = {9, 9}, .hash = 2ull << 40};
    struct ag_key v = {.kind = AG_KEY_SRC, .w = {7, 7}};
    struct ag_slot *s2 = new_slot();
    ck_assert_int_eq(ag_distinct_note(p, s2, AG_RULE_ENUMERATION, &v, &h1, t0, st, 0), 1);
    ck_assert_int_eq(ag_distinct_note(p, s2, AG_RULE_ENUMERATION, &v, &h1, t0, st, 0), 0);
    ck_assert_int_eq(ag_distinct_note(p, s2, AG_RULE_ENUMERATION, &v, &h2, t0, st, 0), 1);
    free(s2);
    ag_pairs_free(p);
    free(s);
    free(st);
}
END_TEST

START_TEST(inline_set_spills_to_the_pair_table_for_good)
{
    struct ag_stats *st;
    struct ag_pairs *p = new_pairs(1024, &st);
    struct ag_slot *s = new_slot();
    struct ag_key k = {.kind = AG_KEY_SRC, .w = {7, 7}};
    const int64_t t0 = 1700000000000;
    struct ag_key a = {.kind = AG_KEY_USER, .w = {1, 0}};
    struct ag_key b = {.kind = AG_KEY_USER, .w = {2, 0}};
    struct ag_key c = {.kind = AG_KEY_USER, .w = {3, 0}};
    /* one spare ring for a source: the second name spills */
    ck_assert_int_eq(ag_distinct_note(p, s, AG_RULE_ENUMERATION, &k, &a, t0, st, 0), 1);
    ck_assert_int_eq(ag_distinct_note(p, s, AG_RULE_ENUMERATION, &k, &b, t0, st, 0), 1);
    ck_assert_int_eq(ag_distinct_note(p, s, AG_RULE_ENUMERATION, &k, &a, t0 + 1, st, 0), 0);
    ck_assert_int_eq(ag_distinct_note(p, s, AG_RULE_ENUMERATION, &k, &b, t0 + 1, st, 0), 0);
    /* b went to the pair table */
    ck_assert_int_eq(ag_pairs_note(p, AG_RULE_ENUMERATION, &k, b.w, t0 + 2, st, 0), 0);
    /* a's entry leaves the window; b is counted again in the pair table
     * first, so a free inline entry must not take b a second time */
    int64_t later = t0 + 900000;
    ck_assert_int_eq(ag_distinct_note(p, s, AG_RULE_ENUMERATION, &k, &b, later, st, 0), 1);
    ck_assert_int_eq(ag_distinct_note(p, s, AG_RULE_ENUMERATION, &k, &c, later, st, 0), 1);
    ck_assert_int_eq(ag_distinct_note(p, s, AG_RULE_ENUMERATION, &k, &b, later + 1, st, 0), 0);
    ck_assert_int_eq(ag_distinct_note(p, s, AG_RULE_ENUMERATION, &k, &c, later + 1, st, 0), 0);
    ck_assert_int_eq(ag_distinct_note(p, s, AG_RULE_ENUMERATION, &k, &a, later + 1, st, 0), 1);
    /* fleet_source has no set of its own: straight to the pair table */
    ck_assert_int_eq(ag_distinct_note(p, s, AG_RULE_FLEET_SOURCE, &k, &a, t0, st, 0), 1);
    ck_assert_int_eq(ag_pairs_note(p, AG_RULE_FLEET_SOURCE, &k, a.w, t0, st, 0), 0);
    ag_pairs_free(p);
    free(s);
    free(st);
}
END_TEST

struct set_writer {
    struct ag_pairs *p;
    struct ag_slot *s;
    struct ag_stats *st;
    int id;
    _Atomic int *go;
    int fresh;
};

static void *set_writer(void *arg)
{
    struct set_writer *w = arg;
    struct ag_key k = {.kind = AG_KEY_USER, .w = {5, 6}};
    while (!atomic_load(w->go))
        ;
    /* 50 values: six fit inline, the rest spill while the others race */
    for (int round = 0; round < 20; round++)
        for (uint64_t v = 0; v < 50; v++) {
            struct ag_key val = {.kind = AG_KEY_SRC, .w = {v, 77}};
            w->fresh += ag_distinct_note(w->p, w->s, AG_RULE_SPRAYING, &k, &val,
                                         1700000000000, w->st, (unsigned)w->id);
        }
    return NULL;
}

START_TEST(inline_set_concurrent_notes_count_each_value_once)
{
    struct ag_stats *st;
    struct ag_pairs *p = new_pairs(1u << 12, &st);
    struct ag_slot *s = new_slot();
    _Atomic int go = 0;
    pthread_t th[4];
    struct set_writer w[4];
    for (int i = 0; i < 4; i++) {
        w[i] = (struct set_writer){p, s, st, i, &go, 0};
        ck_assert_int_eq(pthread_create(&th[i], NULL, set_writer, &w[i]), 0);
    }
    atomic_store(&go, 1);
    int fresh = 0;
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        fresh += w[i].fresh;
    }
    ck_assert_int_eq(fresh, 50);
    ag_pairs_free(p);
    free(s);
    free(st);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("window");
    TCase *tc = tcase_create("window");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, width_is_a_third_of_the_window);
    tcase_add_test(tc, ring_counts_the_last_four_buckets);
    tcase_add_test(tc, ring_out_of_order_and_late);
    tcase_add_test(tc, ring_saturates_instead_of_wrapping);
    tcase_add_test(tc, ring_tag_wraps_cleanly);
    tcase_add_test(tc, ring_scrub_clears_only_stale_rings);
    tcase_add_test(tc, ring_concurrent_adds_are_exact);
    tcase_add_test(tc, pair_counts_once_per_window);
    tcase_add_test(tc, pair_group_overflow_gives_up_the_oldest);
    tcase_add_test(tc, pair_concurrent_notes_count_each_value_once);
    tcase_add_test(tc, inline_set_counts_once_per_window_without_the_pair_table);
    tcase_add_test(tc, inline_set_spills_to_the_pair_table_for_good);
    tcase_add_test(tc, inline_set_concurrent_notes_count_each_value_once);
    suite_add_tcase(s, tc);
    return s;
}

AG_TEST_MAIN
