/* test_outbox.c - the outbox the aggregator's transactions draw findings
 * from: findings come out in the order they went in, a list put back (its
 * transaction aborted) goes before what arrived since, and what exceeds the
 * bound is counted as lost, not kept. */
#include <json-c/json.h>
#include <stdio.h>

#include "ag_test.h"
#include "engine/finding.h"
#include "sinks/ocsf.h"
#include "sinks/outbox.h"
#include "tests/unit/finding_check.h"

static void make_finding(struct ag_finding *f, const char *uid, const char *key)
{
    fc_finding(f, AG_RULE_FLEET_SOURCE, key);
    snprintf(f->uid, sizeof f->uid, "%s", uid);
}

static struct ag_sink *outbox(size_t max, struct ag_ocsf_ctx *ctx)
{
    memset(ctx, 0, sizeof *ctx);
    struct ag_sink_env env = {.ocsf = ctx};
    struct ag_sink *s = ag_outbox_create(&env, max);
    ck_assert_ptr_nonnull(s);
    return s;
}

static void put(struct ag_sink *s, const char *uid, const char *key)
{
    struct ag_finding f;
    make_finding(&f, uid, key);
    s->ops->finding(s, &f, NULL);
}

/* The message's key, and the uid inside its JSON. */
static void expect(const struct ag_outbox_msg *m, const char *uid, const char *key)
{
    ck_assert_ptr_nonnull(m);
    ck_assert_uint_eq(m->klen, strlen(key));
    ck_assert(memcmp(m->key, key, m->klen) == 0);
    json_tokener *tok = json_tokener_new();
    json_object *o = json_tokener_parse_ex(tok, m->value, (int)m->vlen);
    json_tokener_free(tok);
    json_object *info, *u;
    ck_assert_ptr_nonnull(o);
    ck_assert(json_object_object_get_ex(o, "finding_info", &info));
    ck_assert(json_object_object_get_ex(info, "uid", &u));
    ck_assert_str_eq(json_object_get_string(u), uid);
    json_object_put(o);
}

START_TEST(findings_come_out_in_order_once)
{
    struct ag_ocsf_ctx ctx;
    struct ag_sink *s = outbox(8, &ctx);
    put(s, "00000000000000000000000000000001", "203.0.113.66");
    put(s, "00000000000000000000000000000002", "svc_deploy");
    struct ag_outbox_msg *l = ag_outbox_take(s);
    expect(l, "00000000000000000000000000000001", "203.0.113.66");
    expect(l->next, "00000000000000000000000000000002", "svc_deploy");
    ck_assert_ptr_null(l->next->next);
    ck_assert_ptr_null(ag_outbox_take(s));
    ag_outbox_free_list(l);
    s->ops->destroy(s);
}
END_TEST

START_TEST(a_list_put_back_goes_before_newer_findings)
{
    struct ag_ocsf_ctx ctx;
    struct ag_sink *s = outbox(8, &ctx);
    put(s, "00000000000000000000000000000001", "a");
    put(s, "00000000000000000000000000000002", "b");
    struct ag_outbox_msg *aborted = ag_outbox_take(s);
    put(s, "00000000000000000000000000000003", "c");
    ag_outbox_put_back(s, aborted);
    put(s, "00000000000000000000000000000004", "d");
    struct ag_outbox_msg *l = ag_outbox_take(s);
    const char *keys[] = {"a", "b", "c", "d"};
    const struct ag_outbox_msg *m = l;
    for (int i = 0; i < 4; i++, m = m->next) {
        char uid[33];
        snprintf(uid, sizeof uid, "0000000000000000000000000000000%d", i + 1);
        expect(m, uid, keys[i]);
    }
    ck_assert_ptr_null(m);
    ag_outbox_free_list(l);
    /* Put back into an empty outbox: what comes next still goes after it. */
    put(s, "00000000000000000000000000000005", "e");
    aborted = ag_outbox_take(s);
    ag_outbox_put_back(s, aborted);
    put(s, "00000000000000000000000000000006", "f");
    l = ag_outbox_take(s);
    expect(l, "00000000000000000000000000000005", "e");
    expect(l->next, "00000000000000000000000000000006", "f");
    ck_assert_ptr_null(l->next->next);
    ag_outbox_free_list(l);
    s->ops->destroy(s);
}
END_TEST

START_TEST(beyond_the_bound_findings_are_lost_not_kept)
{
    struct ag_ocsf_ctx ctx;
    struct ag_sink *s = outbox(2, &ctx);
    put(s, "00000000000000000000000000000001", "a");
    put(s, "00000000000000000000000000000002", "b");
    put(s, "00000000000000000000000000000003", "c");
    struct ag_outbox_msg *l = ag_outbox_take(s);
    expect(l, "00000000000000000000000000000001", "a");
    expect(l->next, "00000000000000000000000000000002", "b");
    ck_assert_ptr_null(l->next->next);
    ag_outbox_free_list(l);
    /* Taking makes room again. */
    put(s, "00000000000000000000000000000004", "d");
    l = ag_outbox_take(s);
    expect(l, "00000000000000000000000000000004", "d");
    ag_outbox_free_list(l);
    s->ops->destroy(s);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("outbox");
    TCase *tc = tcase_create("outbox");
    tcase_add_test(tc, findings_come_out_in_order_once);
    tcase_add_test(tc, a_list_put_back_goes_before_newer_findings);
    tcase_add_test(tc, beyond_the_bound_findings_are_lost_not_kept);
    suite_add_tcase(s, tc);
    return s;
}

AG_TEST_MAIN
