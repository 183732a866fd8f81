/* test_config.c - authguard.conf as shipped documents the defaults: with
 * every commented key switched on, the settings must equal the built-in
 * ones. Also: bad values are refused with file, line and key. */
#include <stdio.h>
#include <unistd.h>

#include "ag_test.h"
#include "plugin/config.h"

/* conf/authguard.conf with "#key = value" lines uncommented. */
static char *uncommented_conf(void)
{
    const char *src = getenv("AG_SRCDIR");
    char path[4096];
    snprintf(path, sizeof path, "%s/conf/authguard.conf", src ? src : ".");
    FILE *f = fopen(path, "r");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    static char out[1 << 16];
    size_t n = 0;
    char line[1024];
    while (fgets(line, sizeof line, f)) {
        const char *p = line;
        /* "#key = value" (no space after '#') is a setting; "# text" is prose */
        if (line[0] == '#' && line[1] != ' ' && line[1] != '\n' && strchr(line, '='))
            p = line + 1;
        size_t l = strlen(p);
        ck_assert_uint_lt(n + l, sizeof out);
        memcpy(out + n, p, l);
        n += l;
    }
    out[n] = '\0';
    fclose(f);
    return out;
}

START_TEST(shipped_conf_documents_the_defaults)
{
    char err[AG_CONF_ERRLEN] = "";
    char path[] = "/tmp/agconfXXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    FILE *f = fdopen(fd, "w");
    fputs(uncommented_conf(), f);
    fclose(f);

    struct ag_config a, b;
    int rc = ag_config_load(&a, path, err, sizeof err);
    unlink(path);
    ck_assert_msg(rc == 0, "shipped config refused: %s", err);
    ck_assert_int_eq(ag_config_load(&b, NULL, err, sizeof err), 0);
    for (int r = 0; r < AG_RULE_COUNT; r++) {
        const struct ag_rule_config *x = &a.engine.rules[r], *y = &b.engine.rules[r];
        ck_assert_msg(x->enabled == y->enabled && x->threshold == y->threshold &&
                          x->window_s == y->window_s && x->cooldown_s == y->cooldown_s &&
                          x->severity == y->severity,
                      "rule %s: authguard.conf says %u/%us/%us sev %u, default is %u/%us/%us "
                      "sev %u",
                      ag_rule_name((enum ag_rule)r), x->threshold, x->window_s, x->cooldown_s,
                      x->severity, y->threshold, y->window_s, y->cooldown_s, y->severity);
    }
    ck_assert_uint_eq(a.engine.table_slots, b.engine.table_slots);
    ck_assert_uint_eq(a.engine.probe, b.engine.probe);
    ck_assert_uint_eq(a.engine.finding_queue, b.engine.finding_queue);
    ck_assert_int_eq(a.engine.ipv6_prefix64, b.engine.ipv6_prefix64);
    ck_assert_int_eq(a.engine.prefault, b.engine.prefault);
    ck_assert_uint_eq(a.summary.nacl_rule_number, b.summary.nacl_rule_number);
    ck_assert_uint_eq(a.summary.ssh_port, b.summary.ssh_port);
    ag_config_free(&a);
    ag_config_free(&b);
}
END_TEST

/* The key tables' defaults (what an empty file yields) are the engine's
 * and the summarizer's own, which their callers without a file use. */
START_TEST(key_tables_carry_the_code_defaults)
{
    char err[AG_CONF_ERRLEN] = "";
    struct ag_config a;
    struct ag_engine_config e;
    struct ag_summary_config s;
    ck_assert_int_eq(ag_config_load(&a, NULL, err, sizeof err), 0);
    ag_engine_config_defaults(&e);
    ag_summary_config_defaults(&s);
    ck_assert_int_eq(memcmp(a.engine.rules, e.rules, sizeof e.rules), 0);
    ck_assert_uint_eq(a.engine.table_slots, e.table_slots);
    ck_assert_uint_eq(a.engine.probe, e.probe);
    ck_assert_uint_eq(a.engine.finding_queue, e.finding_queue);
    ck_assert_int_eq(a.engine.ipv6_prefix64, e.ipv6_prefix64);
    ck_assert_int_eq(a.engine.prefault, e.prefault);
    ck_assert_uint_eq(a.engine.n_allowlist, 0);
    ck_assert_uint_eq(a.summary.nacl_rule_number, s.nacl_rule_number);
    ck_assert_uint_eq(a.summary.ssh_port, s.ssh_port);
    ck_assert_ptr_null(a.summary.trusted_ssh_cidr);
    ck_assert_int_eq(a.have_tz, 0);
    ag_config_free(&a);
}
END_TEST

static int load_text(struct ag_config *c, const char *text, char *err, size_t errlen)
{
    char path[] = "/tmp/agconfXXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    int rc = ag_config_load(c, path, err, errlen);
    unlink(path);
    return rc;
}

START_TEST(bad_settings_are_refused_with_place)
{
    char err[AG_CONF_ERRLEN];
    struct ag_config c;
    ck_assert_int_eq(load_text(&c, "[rule.bruteforce]\nthreshold = 0\n", err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, ":2: [rule.bruteforce] threshold: expected a whole number"));
    ck_assert_int_eq(load_text(&c, "[rule.bruteforce]\ntreshold = 5\n", err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, ":2: [rule.bruteforce] treshold: unknown key"));
    ck_assert_int_eq(load_text(&c, "[rules]\nx = 1\n", err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, ":2: [rules]: unknown section"));
    ck_assert_int_eq(load_text(&c, "[engine]\nslots = 3000\n", err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "power of two"));
    ck_assert_int_eq(load_text(&c, "[engine]\nallowlist = 10.0.0.0/8, 300.1.1.1/8\n", err,
                               sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "'300.1.1.1/8'"));
    ck_assert_int_eq(load_text(&c, "[rule.scan]\nseverity = urgent\n", err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "expected one of unknown | informational"));
    ck_assert_int_eq(load_text(&c, "[input]\ntimezone = Mars/Olympus\n", err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "[input] timezone"));
    ck_assert_int_eq(load_text(&c, "[engine]\nprefault = yes\n", err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, ":2: [engine] prefault: expected one of auto | off | on"));
}
END_TEST

START_TEST(good_settings_apply)
{
    char err[AG_CONF_ERRLEN] = "";
    struct ag_config c;
    int rc = load_text(&c,
                       "[input]\ntimezone = +05:30\n"
                       "[engine]\nslots = 4096\nprefault = off\nallowlist = 10.0.0.0/8 2001:db8::/32\n"
                       "[rule.spraying]\nthreshold = 7\nwindow = 1h\nseverity = critical\n"
                       "[summary]\ntrusted_ssh_cidr = 198.51.100.0/24\n",
                       err, sizeof err);
    ck_assert_msg(rc == 0, "%s", err);
    ck_assert_int_eq(c.have_tz, 1);
    ck_assert_int_eq(c.tz_offset_s, 19800);
    ck_assert_uint_eq(c.engine.table_slots, 4096);
    ck_assert_int_eq(c.engine.prefault, 0);
    ag_config_for_daemon(&c); /* an explicit off stays off in a daemon */
    ck_assert_int_eq(c.engine.prefault, 0);
    ck_assert_uint_eq(c.n_allowlist, 2);
    ck_assert_uint_eq(c.engine.n_allowlist, 2);
    ck_assert_uint_eq(c.engine.rules[AG_RULE_SPRAYING].threshold, 7);
    ck_assert_uint_eq(c.engine.rules[AG_RULE_SPRAYING].window_s, 3600);
    ck_assert_uint_eq(c.engine.rules[AG_RULE_SPRAYING].severity, AG_SEV_CRITICAL);
    ck_assert_str_eq(c.summary.trusted_ssh_cidr, "198.51.100.0/24");
    ag_config_free(&c);
    ck_assert_int_eq(load_text(&c, "[engine]\nslots = 4096\n", err, sizeof err), 0);
    ck_assert_int_eq(c.engine.prefault, -1);
    ag_config_for_daemon(&c);
    ck_assert_int_eq(c.engine.prefault, 1);
    ag_config_free(&c);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("config");
    TCase *tc = tcase_create("config");
    tcase_add_test(tc, shipped_conf_documents_the_defaults);
    tcase_add_test(tc, key_tables_carry_the_code_defaults);
    tcase_add_test(tc, bad_settings_are_refused_with_place);
    tcase_add_test(tc, good_settings_apply);
    suite_add_tcase(s, tc);
    return s;
}

AG_TEST_MAIN
