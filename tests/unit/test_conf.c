/* test_conf.c - the configuration reader: values, defaults, and errors that
 * name file, line, key and what was expected. */
#include "ag_test.h"
#include "conf/conf.h"

static const char text[] =
    "; comment\n"
    "[engine]\n"
    "slots = 4096\n"
    "tz = UTC\n"
    "\n"
    "[rule.bruteforce]\n"
    "threshold = 6\n"
    "window = 60s\n"
    "cooldown = 15m\n"
    "enabled = yes\n"
    "[sink.kafka]\n"
    "events = failures\n"
    "kafka.security.protocol = SASL_SSL\n"
    "kafka.sasl.mechanism = PLAIN\n";

START_TEST(reads_typed_values)
{
    char err[AG_CONF_ERRLEN] = "";
    struct ag_conf *c;
    ck_assert_int_eq(ag_conf_load_string(&c, "t.conf", text, err, sizeof err), 0);
    uint64_t slots = 0;
    int64_t win = 0, cool = 0;
    int en = 0, ev = -1;
    const char *tz = NULL;
    static const char *const modes[] = {"all", "failures", "none", NULL};
    ck_assert_int_eq(ag_conf_u64(c, "engine", "slots", 1, 1 << 30, &slots, err, sizeof err), 1);
    ck_assert_uint_eq(slots, 4096);
    ck_assert_int_eq(ag_conf_str(c, "engine", "tz", &tz, err, sizeof err), 1);
    ck_assert_str_eq(tz, "UTC");
    ck_assert_int_eq(ag_conf_duration_ms(c, "rule.bruteforce", "window", 1000, 86400000, &win,
                                         err, sizeof err), 1);
    ck_assert_int_eq(win, 60000);
    ck_assert_int_eq(ag_conf_duration_ms(c, "rule.bruteforce", "cooldown", 0, 86400000, &cool,
                                         err, sizeof err), 1);
    ck_assert_int_eq(cool, 900000);
    ck_assert_int_eq(ag_conf_bool(c, "rule.bruteforce", "enabled", &en, err, sizeof err), 1);
    ck_assert_int_eq(en, 1);
    ck_assert_int_eq(ag_conf_enum(c, "sink.kafka", "events", modes, &ev, err, sizeof err), 1);
    ck_assert_int_eq(ev, 1);
    uint64_t t = 0;
    ck_assert_int_eq(ag_conf_u64(c, "rule.bruteforce", "threshold", 1, 100, &t, err, sizeof err), 1);
    /* absent keys leave the default */
    uint64_t dflt = 77;
    ck_assert_int_eq(ag_conf_u64(c, "engine", "absent", 0, 100, &dflt, err, sizeof err), 0);
    ck_assert_uint_eq(dflt, 77);
    ag_conf_free(c);
}
END_TEST

static int collect(void *ud, const char *key, const char *value, int line)
{
    int *n = ud;
    if (*n == 0)
        ck_assert_str_eq(key, "security.protocol");
    if (*n == 1) {
        ck_assert_str_eq(value, "PLAIN");
        ck_assert_int_eq(line, 14);
    }
    (*n)++;
    return 0;
}

START_TEST(each_with_prefix_and_unused_check)
{
    char err[AG_CONF_ERRLEN] = "";
    struct ag_conf *c;
    ck_assert_int_eq(ag_conf_load_string(&c, "t.conf", text, err, sizeof err), 0);
    int n = 0;
    ag_conf_each(c, "sink.kafka", "kafka.", collect, &n);
    ck_assert_int_eq(n, 2);
    /* nothing else read yet: the first unread key is reported with its line */
    ck_assert_int_eq(ag_conf_check_unused(c, "sink.", err, sizeof err), -1);
    ck_assert_str_eq(err, "t.conf:12: [sink.kafka] events: unknown key");
    ck_assert_int_eq(ag_conf_check_unused(c, "", err, sizeof err), -1);
    ck_assert_str_eq(err, "t.conf:3: [engine] slots: unknown key");
    static const char *const known[] = {"engine", "rule.", NULL};
    ck_assert_int_eq(ag_conf_check_sections(c, known, err, sizeof err), -1);
    ck_assert_str_eq(err, "t.conf:12: [sink.kafka]: unknown section");
    static const char *const all[] = {"engine", "rule.", "sink.", NULL};
    ck_assert_int_eq(ag_conf_check_sections(c, all, err, sizeof err), 0);
    ag_conf_free(c);
}
END_TEST

START_TEST(bad_values_name_file_line_key)
{
    char err[AG_CONF_ERRLEN] = "";
    struct ag_conf *c;
    ck_assert_int_eq(ag_conf_load_string(&c, "bad.conf",
                                         "[rule.scan]\nthreshold = ten\nwindow = 5 parsecs\n"
                                         "enabled = maybe\n",
                                         err, sizeof err), 0);
    uint64_t t;
    int64_t w;
    int e;
    ck_assert_int_eq(ag_conf_u64(c, "rule.scan", "threshold", 1, 1000, &t, err, sizeof err), -1);
    ck_assert_str_eq(err, "bad.conf:2: [rule.scan] threshold: expected a whole number from 1 "
                          "to 1000, got 'ten'");
    ck_assert_int_eq(ag_conf_duration_ms(c, "rule.scan", "window", 1000, 3600000, &w, err,
                                         sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "bad.conf:3: [rule.scan] window: expected a duration"));
    ck_assert_int_eq(ag_conf_bool(c, "rule.scan", "enabled", &e, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "bad.conf:4:"));
    ag_conf_free(c);
}
END_TEST

START_TEST(syntax_error_and_missing_file)
{
    char err[AG_CONF_ERRLEN] = "";
    struct ag_conf *c;
    ck_assert_int_eq(ag_conf_load_string(&c, "s.conf", "[ok]\na = 1\nthis is not ini\n", err,
                                         sizeof err), -1);
    ck_assert_str_eq(err, "s.conf:3: syntax error: expected '[section]' or 'key = value'");
    ck_assert_int_eq(ag_conf_load(&c, "/nonexistent/authguard.conf", err, sizeof err), -1);
    ck_assert_str_eq(err, "/nonexistent/authguard.conf: cannot open: No such file or directory");
}
END_TEST

START_TEST(durations_and_bools)
{
    int64_t ms;
    int b;
    ck_assert_int_eq(ag_parse_duration_ms("90", &ms), 0);
    ck_assert_int_eq(ms, 90000);
    ck_assert_int_eq(ag_parse_duration_ms("250ms", &ms), 0);
    ck_assert_int_eq(ms, 250);
    ck_assert_int_eq(ag_parse_duration_ms("6h", &ms), 0);
    ck_assert_int_eq(ms, 21600000);
    ck_assert_int_eq(ag_parse_duration_ms("1d", &ms), 0);
    ck_assert_int_eq(ag_parse_duration_ms("-5s", &ms), -1);
    ck_assert_int_eq(ag_parse_duration_ms("5 weeks", &ms), -1);
    ck_assert_int_eq(ag_parse_duration_ms("", &ms), -1);
    ck_assert_int_eq(ag_parse_bool("Off", &b), 0);
    ck_assert_int_eq(b, 0);
    ck_assert_int_eq(ag_parse_bool("2", &b), -1);
}
END_TEST

struct tabled {
    int on;
    uint8_t level;
    uint32_t count, window_s;
    int64_t timeout_ms;
    unsigned mode;
    const char *name, *empty, *none;
};

static const char *const levels[] = {"low", "mid", "high", NULL};
static const struct ag_conf_key tabled_keys[] = {
    {"on", AG_CONF_BOOL, AG_CONF_FIELD(struct tabled, on), .def = "on", .help = "h"},
    {"level", AG_CONF_ENUM, AG_CONF_FIELD(struct tabled, level), .choices = levels,
     .def = "mid", .help = "h"},
    {"count", AG_CONF_UINT, AG_CONF_FIELD(struct tabled, count), 1, 100, .def = "7", .help = "h"},
    {"window", AG_CONF_SECONDS, AG_CONF_FIELD(struct tabled, window_s), 1000, 86400000,
     .def = "10m", .help = "h"},
    {"timeout", AG_CONF_DURATION, AG_CONF_FIELD(struct tabled, timeout_ms), 0, 60000,
     .def = "250ms", .help = "h"},
    {"mode", AG_CONF_MODE, AG_CONF_FIELD(struct tabled, mode), .def = "0640", .help = "h"},
    {"name", AG_CONF_STRING, AG_CONF_FIELD(struct tabled, name), .def = "x", .help = "h"},
    {"empty", AG_CONF_PATH, AG_CONF_FIELD(struct tabled, empty), .def = "", .help = "h"},
    {"none", AG_CONF_STRING, AG_CONF_FIELD(struct tabled, none), .help = "h"},
    {"pass.*", AG_CONF_PREFIX, 0, 0, .help = "h"},
    {.name = NULL}};

START_TEST(a_key_table_fills_a_struct)
{
    char err[AG_CONF_ERRLEN] = "";
    struct ag_conf *c;
    struct tabled t;
    memset(&t, 0xa5, sizeof t);
    ck_assert_int_eq(ag_conf_load_string(&c, "t.conf", "[t]\n", err, sizeof err), 0);
    ck_assert_int_eq(ag_conf_read(c, "t", tabled_keys, &t, err, sizeof err), 0);
    ck_assert_int_eq(t.on, 1);
    ck_assert_uint_eq(t.level, 1);
    ck_assert_uint_eq(t.count, 7);
    ck_assert_uint_eq(t.window_s, 600);
    ck_assert_int_eq(t.timeout_ms, 250);
    ck_assert_uint_eq(t.mode, 0640);
    ck_assert_str_eq(t.name, "x");
    ck_assert_str_eq(t.empty, "");
    ck_assert_ptr_null(t.none);
    ag_conf_free(c);

    ck_assert_int_eq(ag_conf_load_string(&c, "t.conf",
                                         "[t]\non = off\nlevel = high\ncount = 100\n"
                                         "window = 1h\nname = y\nnone = z\npass.a = 1\n",
                                         err, sizeof err), 0);
    ck_assert_int_eq(ag_conf_read(c, "t", tabled_keys, &t, err, sizeof err), 0);
    ck_assert_int_eq(t.on, 0);
    ck_assert_uint_eq(t.level, 2);
    ck_assert_uint_eq(t.count, 100);
    ck_assert_uint_eq(t.window_s, 3600);
    ck_assert_str_eq(t.name, "y");
    ck_assert_str_eq(t.none, "z");
    ck_assert_ptr_nonnull(ag_conf_key_find(tabled_keys, "pass.a"));
    ck_assert_ptr_null(ag_conf_key_find(tabled_keys, "pass."));
    ck_assert_ptr_null(ag_conf_key_find(tabled_keys, "nam"));
    /* the prefix's keys are the module's: still unread here */
    ck_assert_int_eq(ag_conf_check_unused(c, "t", err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "pass.a: unknown key"));
    ag_conf_free(c);

    ck_assert_int_eq(ag_conf_load_string(&c, "t.conf", "[t]\n\ncount = 101\n", err,
                                         sizeof err), 0);
    ck_assert_int_eq(ag_conf_read(c, "t", tabled_keys, &t, err, sizeof err), -1);
    ck_assert_str_eq(err, "t.conf:3: [t] count: expected a whole number from 1 to 100, "
                          "got '101'");
    ag_conf_free(c);
}
END_TEST

START_TEST(a_key_table_prints_its_defaults)
{
    static const struct ag_conf_section sec = {"t", "A test section.", tabled_keys};
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    ag_conf_print_defaults(f, &sec);
    fclose(f);
    ck_assert_ptr_nonnull(strstr(out, "[t]\n# A test section.\n"));
    ck_assert_ptr_nonnull(strstr(out, "\n#window = 10m\n"));
    ck_assert_ptr_nonnull(strstr(out, "\n#empty =\n"));
    ck_assert_ptr_nonnull(strstr(out, "\n# none =\n"));
    free(out);
    char what[128];
    ag_conf_key_describe(&tabled_keys[3], what, sizeof what);
    ck_assert_str_eq(what, "a duration from 1s to 1d");
    ag_conf_key_describe(&tabled_keys[1], what, sizeof what);
    ck_assert_str_eq(what, "one of low | mid | high");
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("conf");
    TCase *tc = tcase_create("conf");
    tcase_add_test(tc, reads_typed_values);
    tcase_add_test(tc, a_key_table_fills_a_struct);
    tcase_add_test(tc, a_key_table_prints_its_defaults);
    tcase_add_test(tc, each_with_prefix_and_unused_check);
    tcase_add_test(tc, bad_values_name_file_line_key);
    tcase_add_test(tc, syntax_error_and_missing_file);
    tcase_add_test(tc, durations_and_bools);
    suite_add_tcase(s, tc);
    return s;
}

AG_TEST_MAIN
