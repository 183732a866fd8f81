/* test_jsonscan.c - the one-pass JSON member scanner: decoded strings,
 * raw numbers and objects, refusals, and agreement with json-c on every
 * document it accepts (mutations of real messages included). Inputs are
 * copied into buffers of their exact size, so ASan sees any read past n. */
#include "ag_test.h"

#include <json-c/json.h>
#include <stdio.h>

#include "filters/jsonscan.h"

static const char *const names[] = {"msg", "time", "raw_data", "src_endpoint", "flag"};
#define N_NAMES 5

static int scan(const char *text, struct ag_json_val *v, char **keep)
{
    size_t n = strlen(text);
    char *copy = malloc(n ? n : 1), *scratch = malloc(n ? n : 1);
    ck_assert_ptr_nonnull(copy);
    memcpy(copy, text, n);
    int rc = ag_json_scan(copy, n, names, N_NAMES, v, scratch);
    keep[0] = copy;
    keep[1] = scratch;
    return rc;
}

static void release(char **keep)
{
    free(keep[0]);
    free(keep[1]);
}

static void assert_text(const struct ag_json_val *v, const char *want)
{
    ck_assert_int_eq(v->type, AG_JSON_STRING);
    ck_assert_uint_eq(v->n, strlen(want));
    ck_assert(memcmp(v->p, want, v->n) == 0);
}

START_TEST(members_come_back_decoded_or_raw)
{
    struct ag_json_val v[N_NAMES];
    char *keep[2];
    ck_assert_int_eq(scan(" {\"other\": [1, {\"msg\": \"inner\"}], \"msg\": \"a\\\"b\\\\c\\n\\u00e9\","
                          "\"time\": -1700000000123, \"src_endpoint\": {\"ip\": \"192.0.2.1\"},"
                          "\"flag\": true} ", v, keep), 0);
    assert_text(&v[0], "a\"b\\c\n\xc3\xa9");
    ck_assert_int_eq(v[1].type, AG_JSON_NUMBER);
    int64_t t;
    ck_assert_int_eq(ag_json_int(&v[1], &t), 0);
    ck_assert_int_eq(t, -1700000000123LL);
    ck_assert_int_eq(v[2].type, AG_JSON_ABSENT);
    ck_assert_int_eq(v[3].type, AG_JSON_OBJECT);
    ck_assert_uint_eq(v[3].n, strlen("{\"ip\": \"192.0.2.1\"}"));
    ck_assert_int_eq(v[4].type, AG_JSON_OTHER);
    /* The nested object scans again. */
    static const char *const ip[] = {"ip"};
    struct ag_json_val inner;
    char scratch[64];
    ck_assert_int_eq(ag_json_scan(v[3].p, v[3].n, ip, 1, &inner, scratch), 0);
    assert_text(&inner, "192.0.2.1");
    release(keep);
}
END_TEST

START_TEST(surrogates_pair_up_and_lone_ones_are_replaced)
{
    struct ag_json_val v[N_NAMES];
    char *keep[2];
    ck_assert_int_eq(scan("{\"msg\":\"\\ud83d\\ude00|\\ud800|\\udc00\"}", v, keep), 0);
    assert_text(&v[0], "\xf0\x9f\x98\x80|\xef\xbf\xbd|\xef\xbf\xbd");
    release(keep);
}
END_TEST

START_TEST(the_last_of_a_repeated_member_wins)
{
    struct ag_json_val v[N_NAMES];
    char *keep[2];
    ck_assert_int_eq(scan("{\"msg\":\"first\",\"msg\":\"second\"}", v, keep), 0);
    assert_text(&v[0], "second");
    release(keep);
}
END_TEST

START_TEST(what_it_is_unsure_of_is_refused)
{
    static const char *const bad[] = {
        "", "[]", "\"msg\"", "{", "{\"msg\"", "{\"msg\":", "{\"msg\":\"x", "{\"msg\" \"x\"}",
        "{\"msg\":\"x\",}", "{\"msg\":\"x\"} trailing", "{\"msg\":\"\\q\"}", "{\"msg\":\"\\u12\"}",
        "{\"m\\u0073g\":\"escaped name\"}", "{\"msg\":x}", "{\"msg\":{\"a\":1}", "{,}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct ag_json_val v[N_NAMES];
        char *keep[2];
        int rc = scan(bad[i], v, keep);
        if (rc != -1)
            ck_abort_msg("accepted: %s", bad[i]);
        release(keep);
    }
    char deep[400];
    size_t o = (size_t)snprintf(deep, sizeof deep, "{\"msg\":");
    for (int i = 0; i < 70; i++)
        deep[o++] = '[';
    for (int i = 0; i < 70; i++)
        deep[o++] = ']';
    deep[o++] = '}';
    deep[o] = '\0';
    struct ag_json_val v[N_NAMES];
    char *keep[2];
    ck_assert_int_eq(scan(deep, v, keep), -1);
    release(keep);
}
END_TEST

START_TEST(integers_are_exact_and_bounded)
{
    struct { const char *text; int ok; int64_t want; } cases[] = {
        {"0", 1, 0}, {"-0", 1, 0}, {"9223372036854775807", 1, INT64_MAX},
        {"-9223372036854775808", 1, INT64_MIN}, {"9223372036854775808", 0, 0},
        {"1.5", 0, 0}, {"1e3", 0, 0}, {"-", 0, 0}, {"99999999999999999999", 0, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct ag_json_val v = {cases[i].text, strlen(cases[i].text), AG_JSON_NUMBER};
        int64_t got = 42;
        int rc = ag_json_int(&v, &got);
        ck_assert_int_eq(rc, cases[i].ok ? 0 : -1);
        if (cases[i].ok)
            ck_assert_int_eq(got, cases[i].want);
    }
    struct ag_json_val s = {"12", 2, AG_JSON_STRING};
    int64_t got;
    ck_assert_int_eq(ag_json_int(&s, &got), -1);
}
END_TEST

/* Whatever the scanner accepts, json-c parses, with the same strings.
 * 1 when the scanner accepted the document. */
static int agrees_with_json_c(const char *doc, size_t n)
{
    struct ag_json_val v[N_NAMES];
    char *copy = malloc(n ? n : 1), *scratch = malloc(n ? n : 1);
    memcpy(copy, doc, n);
    int accepted = ag_json_scan(copy, n, names, N_NAMES, v, scratch) == 0;
    if (accepted) {
        json_tokener *tok = json_tokener_new();
        json_object *o = json_tokener_parse_ex(tok, copy, (int)n);
        if (o == NULL || !json_object_is_type(o, json_type_object))
            ck_abort_msg("json-c refuses what the scanner took: %.*s", (int)n, doc);
        for (int i = 0; i < N_NAMES; i++) {
            json_object *m;
            int has = json_object_object_get_ex(o, names[i], &m);
            if (v[i].type == AG_JSON_STRING) {
                ck_assert(has && json_object_is_type(m, json_type_string));
                ck_assert_uint_eq((size_t)json_object_get_string_len(m), v[i].n);
                ck_assert(memcmp(json_object_get_string(m), v[i].p, v[i].n) == 0);
            } else if (v[i].type == AG_JSON_ABSENT) {
                ck_assert(!has);
            }
        }
        json_object_put(o);
        json_tokener_free(tok);
    }
    free(copy);
    free(scratch);
    return accepted;
}

START_TEST(mutations_never_disagree_with_json_c)
{
    static const char *const seeds[] = {
        "{\"class_uid\":3002,\"time\":1764386400000,\"msg\":\"Failed password for r\\u00f6ot "
        "from 203.0.113.9 port 4242 ssh2\",\"raw_data\":\"<38>Nov 29 sshd[1]: x \\\"y\\\"\","
        "\"src_endpoint\":{\"ip\":\"203.0.113.9\",\"port\":4242},\"flag\":null}",
        "{\"msg\":\"a\",\"time\":[1,2,{\"b\":\"c\\\\\"}],\"raw_data\":\"\\ud83d\\ude00\"}",
    };
    uint64_t x = 0x9e3779b97f4a7c15ull;
    const char alphabet[] = "{}[]\":,\\u0aZ -1.e";
    int accepted = 0;
    for (size_t s = 0; s < sizeof seeds / sizeof seeds[0]; s++) {
        size_t n = strlen(seeds[s]);
        char *doc = malloc(n + 1);
        for (int round = 0; round < 20000; round++) {
            memcpy(doc, seeds[s], n);
            size_t len = n;
            for (int k = 0; k < 1 + round % 3; k++) {
                x ^= x << 13, x ^= x >> 7, x ^= x << 17;
                size_t at = (size_t)(x % n);
                if ((x >> 40) % 4 == 0)
                    len = at;  /* truncate */
                else
                    doc[at] = alphabet[(x >> 20) % (sizeof alphabet - 1)];
            }
            accepted += agrees_with_json_c(doc, len);
        }
        ck_assert(agrees_with_json_c(seeds[s], n));
        free(doc);
    }
    /* Enough mutants survive for the comparison to mean something. */
    ck_assert_int_gt(accepted, 2000);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("jsonscan");
    TCase *tc = tcase_create("jsonscan");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, members_come_back_decoded_or_raw);
    tcase_add_test(tc, surrogates_pair_up_and_lone_ones_are_replaced);
    tcase_add_test(tc, the_last_of_a_repeated_member_wins);
    tcase_add_test(tc, what_it_is_unsure_of_is_refused);
    tcase_add_test(tc, integers_are_exact_and_bounded);
    tcase_add_test(tc, mutations_never_disagree_with_json_c);
    suite_add_tcase(s, tc);
    return s;
}

AG_TEST_MAIN
