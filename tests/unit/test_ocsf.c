/* test_ocsf.c - escaping and OCSF rendering: every output must be valid JSON
 * whatever bytes the attacker put in a user name, and carry the fields SOC
 * tools read. */
#include <json-c/json.h>
#include <stdio.h>

#include "ag_test.h"
#include "filters/addr.h"
#include "sinks/escape.h"
#include "sinks/ocsf.h"

static char mem[1 << 16];

static const char *json_of(const char *s, size_t n)
{
    struct ag_buf b;
    ag_buf_init(&b, mem, sizeof mem);
    ag_buf_json_str(&b, s, n);
    return ag_buf_cstr(&b);
}

/* Parses a JSON string literal back with json-c and compares. */
static void assert_json_roundtrip(const char *literal, const char *expect, size_t n)
{
    json_object *o = json_tokener_parse(literal);
    ck_assert_msg(o != NULL, "not valid JSON: %s", literal);
    ck_assert_int_eq(json_object_get_type(o), json_type_string);
    ck_assert_uint_eq((size_t)json_object_get_string_len(o), n);
    ck_assert_mem_eq(json_object_get_string(o), expect, n);
    json_object_put(o);
}

START_TEST(json_plain_and_specials)
{
    const char in[] = "a\"b\\c\nd\te\x01\x7f";
    const char *out = json_of(in, sizeof in - 1);
    ck_assert_str_eq(out, "\"a\\\"b\\\\c\\nd\\te\\u0001\\u007f\"");
    assert_json_roundtrip(out, in, sizeof in - 1);
}
END_TEST

START_TEST(json_ansi_escape_is_escaped)
{
    const char in[] = "\x1b[31mred\x1b[0m";
    const char *out = json_of(in, sizeof in - 1);
    ck_assert_ptr_null(strchr(out, 0x1b));
    assert_json_roundtrip(out, in, sizeof in - 1);
}
END_TEST

START_TEST(json_invalid_utf8_replaced)
{
    /* lone continuation, overlong '/', surrogate, truncated 3-byte */
    const char in[] = "a\x80" "b\xc0\xaf" "c\xed\xa0\x80" "d\xe2\x82";
    const char *out = json_of(in, sizeof in - 1);
    json_object *o = json_tokener_parse(out);
    ck_assert_ptr_nonnull(o);
    const char *s = json_object_get_string(o);
    ck_assert_ptr_nonnull(strstr(s, "\xef\xbf\xbd")); /* U+FFFD */
    ck_assert_ptr_null(strstr(s, "\xc0\xaf"));
    json_object_put(o);
}
END_TEST

START_TEST(json_valid_utf8_kept_c1_escaped)
{
    const char in[] = "r\xc3\xa9sum\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\x91 \xc2\x9b" "2J";
    const char *out = json_of(in, sizeof in - 1);
    ck_assert_ptr_nonnull(strstr(out, "r\xc3\xa9sum\xc3\xa9"));
    ck_assert_ptr_nonnull(strstr(out, "\\u009b"));
    assert_json_roundtrip(out, in, sizeof in - 1);
}
END_TEST

START_TEST(text_safe_escapes_controls)
{
    struct ag_buf b;
    ag_buf_init(&b, mem, sizeof mem);
    const char in[] = "ro\x1b[2Jot\\\n\xff\xc3\xa9";
    ag_buf_text_safe(&b, in, sizeof in - 1);
    ck_assert_str_eq(ag_buf_cstr(&b), "ro\\x1b[2Jot\\\\\\x0a\\xff\xc3\xa9");
}
END_TEST

/* ---- invisible and bidi characters ----------------------------------------- */

static size_t utf8_put(char *out, uint32_t cp)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xc0 | cp >> 6);
        out[1] = (char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xe0 | cp >> 12);
        out[1] = (char)(0x80 | (cp >> 6 & 0x3f));
        out[2] = (char)(0x80 | (cp & 0x3f));
        return 3;
    }
    out[0] = (char)(0xf0 | cp >> 18);
    out[1] = (char)(0x80 | (cp >> 12 & 0x3f));
    out[2] = (char)(0x80 | (cp >> 6 & 0x3f));
    out[3] = (char)(0x80 | (cp & 0x3f));
    return 4;
}

/* Every range a person must not get raw, written out apart from the
 * table in escape.c so that a range dropped there fails here. */
static const uint32_t hidden_cp[][2] = {
    {0x200b, 0x200f}, /* zero-width space, joiners, LRM, RLM */
    {0x202a, 0x202e}, /* LRE RLE PDF LRO RLO */
    {0x2066, 0x2069}, /* LRI RLI FSI PDI */
    {0x2028, 0x2029}, /* line and paragraph separators */
    {0xfeff, 0xfeff}, /* BOM, zero-width no-break space */
    {0x061c, 0x061c}, /* Arabic letter mark */
    {0x180e, 0x180e}, /* Mongolian vowel separator */
    {0x180b, 0x180f}, /* Mongolian variation selectors */
    {0x2060, 0x2064}, /* word joiner, invisible operators */
    {0x206a, 0x206f}, /* deprecated format characters */
    {0x00ad, 0x00ad}, /* soft hyphen */
    {0x034f, 0x034f}, /* combining grapheme joiner */
    {0x115f, 0x1160}, /* Hangul fillers */
    {0x3164, 0x3164},
    {0xffa0, 0xffa0},
    {0xfe00, 0xfe0f}, /* variation selectors */
    {0xfff9, 0xfffb}, /* interlinear annotation */
    {0x0600, 0x0605}, /* prepended concatenation marks (Cf) */
    {0x1d173, 0x1d17a}, /* musical symbol format controls */
    {0xe0001, 0xe0001}, /* language tag */
    {0xe0020, 0xe007f}, /* tag characters */
    {0xe0100, 0xe01ef}, /* variation selectors supplement */
};

/* Neighbours that are ordinary text and stay as they are. */
static const uint32_t shown_cp[] = {0x00a0, 0x00e9, 0x0627, 0x200a, 0x2010, 0x2027,
                                    0x202f, 0x205f, 0x2070, 0x20ac, 0xfe10, 0xfefe,
                                    0xff21, 0x1f511, 0x4e2d};

static const char *text_of(const char *s, size_t n)
{
    struct ag_buf b;
    ag_buf_init(&b, mem, sizeof mem);
    ag_buf_text_safe(&b, s, n);
    return ag_buf_cstr(&b);
}

/* cp alone, first, in the middle, last, and twice in a row. */
static void check_hidden_at_every_position(uint32_t cp)
{
    char enc[4], in[64], esc[16];
    size_t el = utf8_put(enc, cp);
    if (cp < 0x10000)
        snprintf(esc, sizeof esc, "\\u%04x", (unsigned)cp);
    else
        snprintf(esc, sizeof esc, "\\U%08x", (unsigned)cp);
    static const char *const shapes[][2] = {{"", ""}, {"", "bob"}, {"al", "ice"},
                                            {"root", ""}, {"a", "\x01"}};
    for (size_t k = 0; k < sizeof shapes / sizeof shapes[0]; k++) {
        for (int twice = 0; twice < 2; twice++) {
            size_t n = 0;
            n += (size_t)snprintf(in + n, sizeof in - n, "%s", shapes[k][0]);
            memcpy(in + n, enc, el);
            n += el;
            if (twice) {
                memcpy(in + n, enc, el);
                n += el;
            }
            size_t tail = strlen(shapes[k][1]);
            memcpy(in + n, shapes[k][1], tail);
            n += tail;

            const char *t = text_of(in, n);
            ck_assert_msg(memmem(t, strlen(t), enc, el) == NULL,
                          "U+%04X raw in terminal text: %s", (unsigned)cp, t);
            const char *e = strstr(t, esc);
            ck_assert_msg(e != NULL, "U+%04X not shown as %s: %s", (unsigned)cp, esc, t);
            ck_assert_msg(strncmp(t, shapes[k][0], strlen(shapes[k][0])) == 0, "%s", t);
            if (twice)
                ck_assert_ptr_nonnull(strstr(e + strlen(esc), esc));

            const char *j = json_of(in, n);
            ck_assert_msg(memmem(j, strlen(j), enc, el) == NULL,
                          "U+%04X raw in JSON: %s", (unsigned)cp, j);
            assert_json_roundtrip(j, in, n);
        }
    }
}

START_TEST(hidden_characters_escaped_everywhere)
{
    for (size_t r = 0; r < sizeof hidden_cp / sizeof hidden_cp[0]; r++) {
        for (uint32_t cp = hidden_cp[r][0]; cp <= hidden_cp[r][1]; cp++) {
            ck_assert_msg(ag_unicode_hidden(cp), "U+%04X", (unsigned)cp);
            check_hidden_at_every_position(cp);
        }
    }
}
END_TEST

START_TEST(ordinary_characters_kept)
{
    char in[32];
    for (size_t i = 0; i < sizeof shown_cp / sizeof shown_cp[0]; i++) {
        size_t n = utf8_put(in, shown_cp[i]);
        memcpy(in + n, "x", 2);
        ck_assert_msg(!ag_unicode_hidden(shown_cp[i]), "U+%04X", (unsigned)shown_cp[i]);
        ck_assert_str_eq(text_of(in, n + 1), in);
        const char *j = json_of(in, n + 1);
        ck_assert_msg(memmem(j, strlen(j), in, n + 1) != NULL, "U+%04X escaped in JSON: %s",
                      (unsigned)shown_cp[i], j);
    }
    for (uint32_t cp = 0x20; cp < 0x7f; cp++)
        ck_assert(!ag_unicode_hidden(cp));
}
END_TEST

/* The example of the report: a right-to-left override turns "txt.exe"
 * into what reads as "exe.txt". Exact renderings, both outputs. */
START_TEST(rlo_in_a_name_exact)
{
    const char in[] = "admin\xe2\x80\xaeloot\xe2\x81\xa6x\xf3\xa0\x80\x81";
    ck_assert_str_eq(text_of(in, sizeof in - 1), "admin\\u202eloot\\u2066x\\U000e0001");
    ck_assert_str_eq(json_of(in, sizeof in - 1),
                     "\"admin\\u202eloot\\u2066x\\udb40\\udc01\"");
}
END_TEST

START_TEST(text_visible_escapes_once)
{
    /* A summary line whose builder escaped the name already: it passes as
     * it is, and what is unsafe in it is still escaped. */
    struct ag_buf b;
    ag_buf_init(&b, mem, sizeof mem);
    const char in[] = "Users tried: \"adm\\u202ein\\\\x\" \xe2\x80\xae\x1b[1m";
    ag_buf_text_visible(&b, in, sizeof in - 1);
    ck_assert_str_eq(ag_buf_cstr(&b),
                     "Users tried: \"adm\\u202ein\\\\x\" \\u202e\\x1b[1m");
}
END_TEST

START_TEST(buf_overflow_is_flagged_not_written)
{
    char small[8];
    struct ag_buf b;
    ag_buf_init(&b, small, sizeof small);
    ag_buf_puts(&b, "12345");
    ag_buf_puts(&b, "6789");
    ck_assert_int_eq(b.overflow, 1);
    ck_assert_uint_eq(b.len, 5);
    ag_buf_put_u64(&b, 18446744073709551615ULL);
    ck_assert_uint_eq(b.len, 5);
}
END_TEST

START_TEST(time_format)
{
    struct ag_buf b;
    ag_buf_init(&b, mem, sizeof mem);
    ag_buf_put_time(&b, 1735689600123LL);
    ag_buf_putc(&b, ' ');
    ag_buf_put_time(&b, 951782400000LL); /* 2000-02-29 */
    ag_buf_putc(&b, ' ');
    ag_buf_put_time(&b, -1);
    ck_assert_str_eq(ag_buf_cstr(&b),
                     "2025-01-01T00:00:00.123Z 2000-02-29T00:00:00.000Z 1969-12-31T23:59:59.999Z");
}
END_TEST

/* An event built by hand, spans into a hostile line. */
static const char hostile_line[] =
    "Nov  9 04:07:51 web-1 sshd[4242]: Failed password for invalid user "
    "r\"oo\\t\x1b[2J from 8.8.8.8 port 22 ssh2 from 203.0.113.45 port 52344 ssh2";

static void hostile_event(struct ag_event *ev)
{
    memset(ev, 0, sizeof *ev);
    ev->line = hostile_line;
    ev->line_len = sizeof hostile_line - 1;
    ev->time_ms = 1731125271000LL;
    ev->kind = AG_EV_INVALID_USER;
    ev->method = AG_M_PASSWORD;
    ev->flags = AG_EVF_TIME_FROM_LOG | AG_EVF_INVALID_USER;
    ev->count = 1;
    ev->pid = 4242;
    ev->src_port = 52344;
    ck_assert_int_eq(ag_addr_parse("203.0.113.45", 12, &ev->src), 0);
    const char *l = hostile_line;
    ev->host = (struct ag_span){16, 5};
    ev->program = (struct ag_span){22, 4};
    ev->msg = (struct ag_span){(uint16_t)(strstr(l, "Failed") - l),
                               (uint16_t)(ev->line_len - (strstr(l, "Failed") - l))};
    const char *u = strstr(l, "r\"oo");
    ev->user = (struct ag_span){(uint16_t)(u - l), (uint16_t)(strstr(u, " from 8.8") - u)};
}

START_TEST(ocsf_event_fields)
{
    struct ag_event ev;
    hostile_event(&ev);
    struct ag_buf b;
    ag_buf_init(&b, mem, sizeof mem);
    struct ag_ocsf_ctx ctx = {.product_version = "0.1.0", .instance_id = "i-0abc",
                              .region = "us-east-1"};
    struct ag_counts counts = {.key_kind = AG_KEY_SRC, .failures_short = 7, .failures_long = 9, .distinct_users = 3};
    ag_ocsf_event(&b, &ev, &ctx, &counts);
    ck_assert_int_eq(b.overflow, 0);
    json_object *o = json_tokener_parse(ag_buf_cstr(&b));
    ck_assert_msg(o != NULL, "invalid JSON: %s", mem);
    json_object *v;
#define GET(path_obj, key) (json_object_object_get_ex((path_obj), (key), &v) ? v : NULL)
    ck_assert_int_eq(json_object_get_int(GET(o, "class_uid")), 3002);
    ck_assert_int_eq(json_object_get_int(GET(o, "category_uid")), 3);
    ck_assert_int_eq(json_object_get_int(GET(o, "type_uid")), 300201);
    ck_assert_int_eq(json_object_get_int64(GET(o, "time")), 1731125271000LL);
    ck_assert_int_eq(json_object_get_int(GET(o, "status_id")), 2);
    ck_assert_str_eq(json_object_get_string(GET(o, "status_detail")), "INVALID_USER");
    json_object *user = GET(o, "user");
    ck_assert_str_eq(json_object_get_string(GET(user, "name")), "r\"oo\\t\x1b[2J");
    json_object *src = GET(o, "src_endpoint");
    ck_assert_str_eq(json_object_get_string(GET(src, "ip")), "203.0.113.45");
    ck_assert_int_eq(json_object_get_int(GET(src, "port")), 52344);
    json_object *dst = GET(o, "dst_endpoint");
    ck_assert_str_eq(json_object_get_string(GET(dst, "hostname")), "web-1");
    ck_assert_str_eq(json_object_get_string(GET(dst, "instance_uid")), "i-0abc");
    ck_assert_str_eq(json_object_get_string(GET(GET(o, "service"), "name")), "sshd");
    ck_assert_str_eq(json_object_get_string(GET(GET(o, "cloud"), "region")), "us-east-1");
    ck_assert_str_eq(json_object_get_string(GET(GET(o, "metadata"), "version")), "1.1.0");
    ck_assert_str_eq(json_object_get_string(GET(o, "raw_data")), hostile_line);
    json_object *ag = GET(GET(o, "unmapped"), "authguard");
    ck_assert_str_eq(json_object_get_string(GET(ag, "kind")), "invalid_user");
    ck_assert_str_eq(json_object_get_string(GET(ag, "counts_of")), "src");
    ck_assert_int_eq(json_object_get_int(GET(GET(ag, "counts"), "failures_short")), 7);
    json_object *obs = GET(o, "observables");
    ck_assert_int_eq((int)json_object_array_length(obs), 2);
    ck_assert_int_eq(json_object_get_int(GET(json_object_array_get_idx(obs, 0), "type_id")), 2);
#undef GET
    json_object_put(o);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("ocsf");
    TCase *tc = tcase_create("escape");
    tcase_add_test(tc, json_plain_and_specials);
    tcase_add_test(tc, json_ansi_escape_is_escaped);
    tcase_add_test(tc, json_invalid_utf8_replaced);
    tcase_add_test(tc, json_valid_utf8_kept_c1_escaped);
    tcase_add_test(tc, text_safe_escapes_controls);
    tcase_add_test(tc, text_visible_escapes_once);
    tcase_add_test(tc, hidden_characters_escaped_everywhere);
    tcase_add_test(tc, ordinary_characters_kept);
    tcase_add_test(tc, rlo_in_a_name_exact);
    tcase_add_test(tc, buf_overflow_is_flagged_not_written);
    tcase_add_test(tc, time_format);
    suite_add_tcase(s, tc);
    TCase *tc2 = tcase_create("ocsf");
    tcase_add_test(tc2, ocsf_event_fields);
    suite_add_tcase(s, tc2);
    return s;
}

AG_TEST_MAIN
