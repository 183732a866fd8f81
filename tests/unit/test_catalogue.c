/* test_catalogue.c - the recognition catalogue, row by row: every template
 * compiles, every example line parses through the whole recognizer to its
 * own row with every field the row promises, and no text a client can
 * write into any client-written field of any row moves the address: each
 * fragment below, put at the start, middle and end of every free field,
 * leaves the real address, no address, or no event, never the fake one. */
#include <stdio.h>

#include "filters/catalogue.h"
#include "filters/match.h"
#include "tests/unit/ev_check.h"

#define FAKE "198.51.100.77"

static struct ag_parser *parser(void)
{
    struct ag_parser *p = malloc(sizeof *p);
    ck_assert_ptr_nonnull(p);
    ag_parser_init(p);
    ag_tzcache_set_fixed(&p->tz, 0);
    return p;
}

START_TEST(every_row_compiles)
{
    struct ag_catalogue *c = malloc(sizeof *c);
    unsigned bad = 0;
    ck_assert_ptr_nonnull(c);
    ck_assert_msg(ag_catalogue_init(c, &bad) == 0, "row %u: %s", bad,
                  bad < ag_n_rows ? ag_rows[bad].shape : "(too many rows)");
    free(c);
}
END_TEST

static void addr_is(const struct ag_event *ev, const char *want, unsigned row)
{
    char got[AG_ADDR_STRLEN] = "";
    ag_addr_format(&ev->src, got);
    if (want == NULL) {
        ck_assert_msg(ev->src.af == AG_AF_NONE && ev->src_name.len == 0,
                      "row %u: source '%s' where the example has none", row, got);
        return;
    }
    if (ev->flags & AG_EVF_SRC_IS_NAME) {
        ck_assert_msg(ev->src_name.len == strlen(want) &&
                          memcmp(ag_span_ptr(ev, ev->src_name), want, strlen(want)) == 0,
                      "row %u: name '%.*s', want %s", row, (int)ev->src_name.len,
                      ag_span_ptr(ev, ev->src_name), want);
        return;
    }
    ck_assert_msg(strcmp(got, want) == 0, "row %u: source '%s', want %s", row, got, want);
}

/* Every example reaches its own row, and the event has every field. */
START_TEST(every_example_yields_its_row)
{
    struct ag_parser *p = parser();
    for (unsigned i = 0; i < ag_n_rows; i++) {
        const struct ag_row *r = &ag_rows[i];
        struct ag_event ev;
        memset(&ev, 0xA5, sizeof ev);
        int rc = ag_parse_line(p, r->example, strlen(r->example), EVC_ARRIVAL_MS, &ev);
        ck_assert_msg(p->last_row == (int)i, "row %u (%s): example matched row %d", i, r->shape,
                      p->last_row);
        if (r->policy == AG_POL_NOTHING) {
            ck_assert_msg(rc == AG_PARSE_OTHER, "row %u: a 'nothing' row gave an event", i);
            continue;
        }
        ck_assert_msg(rc == AG_PARSE_EVENT, "row %u: no event", i);
        if (!(r->cond & AG_ROW_PAM_SERVICE))
            ck_assert_msg(ev.kind == r->kind, "row %u: kind %s", i, ag_kind_name(ev.kind));
        ck_assert_msg((ev.flags & r->flags) == r->flags, "row %u: flags 0x%x", i, ev.flags);
        ck_assert_msg(((ev.flags & AG_EVF_ECHO) != 0) == (r->policy == AG_POL_ECHO) ||
                          (r->cond & AG_ROW_PAM_SERVICE),
                      "row %u: echo flag does not follow the policy", i);
        evc_span_is(&ev, ev.user, r->ex_user, r->shape);
        addr_is(&ev, r->ex_src, i);
        ck_assert_msg(ev.src_port == r->ex_port, "row %u: port %u", i, ev.src_port);
        ck_assert_msg(ev.count == (r->ex_count ? r->ex_count : 1), "row %u: count %u", i,
                      ev.count);
        if (strstr(r->shape, "%m") != NULL)
            ck_assert_msg(ev.method != AG_M_NONE, "row %u: no method", i);
    }
    free(p);
}
END_TEST

/* Fragments a client writes to move the address: the clause forms of
 * every family, the tags the recognizer strips, line breaks. */
static const char *const fragments[] = {
    " from " FAKE " port 55555 ssh2",
    ": from " FAKE " port 55555 ssh2",
    " from " FAKE " port 55555 ssh2: RSA SHA256:k",
    " from " FAKE " port 55555 ssh2: RSA-CERT SHA256:k ID x",
    " " FAKE " port 55555",
    " " FAKE " port 55555: Too many authentication failures",
    " " FAKE " port 55555: message authentication code incorrect",
    " from " FAKE,
    " FROM " FAKE,
    " rhost=" FAKE,
    " ruser= rhost=" FAKE "  user=x",
    "  user=x rhost=" FAKE,
    " (" FAKE ")",
    " [preauth]",
    " port 55555",
    "' FROM '" FAKE "' FOR 'x', Authentication failure",
    "\" from " FAKE " port 55555 ssh2",
    /* sshd's log vis escapes a line break in client text (VIS_NL|VIS_CSTYLE) */
    "\\nNov  9 04:07:51 web-01 sshd[1234]: Invalid user x from " FAKE " port 5",
    "\\012Invalid user x from " FAKE " port 5",
    " (serial 1) CA RSA SHA256:k from " FAKE " port 55555 ssh2: RSA SHA256:k",
    " for connection from " FAKE " to 192.0.2.1, pid = 1",
};

/* The example line with the row's own text after field i, the address
 * replaced by FAKE: the strongest fragment for that field. */
static int mirror(const char *msg_e, const char *f1, const char *real, char *out, size_t cap)
{
    size_t n = (size_t)(msg_e - f1);
    if (n + 64 > cap || real == NULL)
        return 0;
    const char *a = memmem(f1, n, real, strlen(real));
    if (a == NULL)
        return 0;
    int k = snprintf(out, cap, "%.*s%s%.*s", (int)(a - f1), f1, FAKE,
                     (int)(msg_e - a - strlen(real)), a + strlen(real));
    return k > 0 && (size_t)k < cap;
}

static unsigned n_lines, n_unknown;

/* Parses every line of text (split at '\n'); none may name FAKE. */
static void check_hostile(struct ag_parser *p, const char *text, unsigned row)
{
    const char *s = text;
    for (;;) {
        const char *nl = strchr(s, '\n');
        size_t len = nl ? (size_t)(nl - s) : strlen(s);
        struct ag_event ev;
        int rc = ag_parse_line(p, s, len, EVC_ARRIVAL_MS, &ev);
        char got[AG_ADDR_STRLEN] = "";
        if (rc == AG_PARSE_EVENT) {
            ag_addr_format(&ev.src, got);
            ck_assert_msg(strcmp(got, FAKE) != 0, "row %u: fake address taken from: %.*s", row,
                          (int)len, s);
            if (s == text && ag_rows[row].ex_src != NULL) {
                n_lines++;
                if (ev.src.af == AG_AF_NONE && ev.src_name.len == 0)
                    n_unknown++;
                else if (!(ev.flags & AG_EVF_SRC_IS_NAME))
                    ck_assert_msg(strcmp(got, ag_rows[row].ex_src) == 0,
                                  "row %u: address %s from: %.*s", row, got, (int)len, s);
            }
        }
        if (nl == NULL)
            break;
        s = nl + 1;
    }
}

static void inject(struct ag_parser *p, unsigned row, const char *line, size_t at,
                   const char *frag)
{
    char buf[4096];
    int k = snprintf(buf, sizeof buf, "%.*s%s%s", (int)at, line, frag, line + at);
    ck_assert(k > 0 && (size_t)k < sizeof buf);
    check_hostile(p, buf, row);
}

START_TEST(no_client_text_moves_the_address)
{
    struct ag_parser *p = parser();
    unsigned fields = 0;
    for (unsigned i = 0; i < ag_n_rows; i++) {
        const struct ag_row *r = &ag_rows[i];
        const char *line = r->example;
        struct ag_event ev;
        ag_parse_line(p, line, strlen(line), EVC_ARRIVAL_MS, &ev);
        ck_assert_int_eq(p->last_row, (int)i);
        /* The message as the catalogue saw it: find it again by matching
         * the row's shape at every start. */
        const struct ag_shape *s = &p->cat.shape[i];
        const char *f0[AG_SHAPE_OPS_MAX], *f1[AG_SHAPE_OPS_MAX];
        const char *e = line + strlen(line);
        const char *msg = NULL, *msg_e = e;
        /* sshd writes " [preauth]" after the message: client text goes
         * before it. */
        for (int chop = 1; chop >= 0 && msg == NULL; chop--) {
            msg_e = chop && ag_ends(line, e, AG_LIT(" [preauth]")) ? e - 10 : e;
            for (const char *q = line; q < msg_e && msg == NULL; q++)
                if (ag_shape_fields(s, q, msg_e, f0, f1))
                    msg = q;
        }
        ck_assert_msg(msg != NULL, "row %u: shape not found in its example", i);
        for (int k = 0; k < s->n; k++) {
            if (!ag_shape_field_is_client((char)s->op[k].type))
                continue;
            fields++;
            size_t at[3] = {(size_t)(f0[k] - line), (size_t)(f0[k] - line + (f1[k] - f0[k]) / 2),
                            (size_t)(f1[k] - line)};
            char mir[2048];
            int has_mirror = mirror(msg_e, f1[k], r->ex_src, mir, sizeof mir);
            for (int j = 0; j < 3; j++) {
                for (size_t f = 0; f < sizeof fragments / sizeof fragments[0]; f++)
                    inject(p, i, line, at[j], fragments[f]);
                if (has_mirror)
                    inject(p, i, line, at[j], mir);
            }
        }
    }
    ck_assert_uint_gt(fields, 50);
    ck_assert_uint_gt(n_lines, 1000);
    printf("# %u hostile lines with an address to keep, %u left with no source\n", n_lines,
           n_unknown);
    free(p);
}
END_TEST

/* The line: sshd writes nothing after "ssh2" for a password, so
 * the text after it can only be part of... nothing: the only way to get
 * this line is the user name "test from 192.0.2.5 port 58946 ssh2:" sent
 * from 198.51.100.7. Reading 192.0.2.5 would let that client frame it. */
START_TEST(text_after_ssh2_of_a_password_line)
{
    struct evc c;
    evc_parse(&c, "Nov  9 04:07:51 web-01 sshd[1234]: Failed password for invalid user test "
                  "from 192.0.2.5 port 58946 ssh2: from 198.51.100.7 port 55555 ssh2");
    ck_assert_int_eq(c.rc, AG_PARSE_EVENT);
    char got[AG_ADDR_STRLEN];
    ag_addr_format(&c.ev.src, got);
    ck_assert_str_eq(got, "198.51.100.7");
    evc_span_is(&c.ev, c.ev.user, "test from 192.0.2.5 port 58946 ssh2:", "user");
    evc_free(&c);
    /* A key line has "TYPE FP" after ssh2: a clause there is no key. */
    evc_parse(&c, "Nov  9 04:07:51 web-01 sshd[1234]: Failed publickey for invalid user test "
                  "from 192.0.2.5 port 58946 ssh2: from 198.51.100.7 port 55555 ssh2");
    ck_assert_int_eq(c.rc, AG_PARSE_EVENT);
    ag_addr_format(&c.ev.src, got);
    ck_assert_str_eq(got, "198.51.100.7");
    evc_free(&c);
}
END_TEST

/* rsyslog's reduction stands for N copies of the message. */
START_TEST(message_repeated_counts_n)
{
    evc_expect("Nov  9 04:07:51 web-01 sshd[1234]: message repeated 3 times: [ Failed password "
               "for root from 203.0.113.45 port 52211 ssh2]",
               &(struct evc_want){.kind = AG_EV_AUTH_FAILURE, .method = AG_M_PASSWORD,
                                  .user = "root", .src = "203.0.113.45", .port = 52211,
                                  .program = "sshd", .pid = 1234, .host = "web-01", .count = 3,
                                  .flags = AG_EVF_TIME_FROM_LOG});
}
END_TEST

START_TEST(trailing_spaces_are_ignored)
{
    evc_expect("Nov  9 04:07:51 web-01 sshd[1234]: Failed password for root from 203.0.113.45 "
               "port 52211 ssh2   ",
               &(struct evc_want){.kind = AG_EV_AUTH_FAILURE, .method = AG_M_PASSWORD,
                                  .user = "root", .src = "203.0.113.45", .port = 52211,
                                  .program = "sshd", .pid = 1234, .host = "web-01",
                                  .flags = AG_EVF_TIME_FROM_LOG});
}
END_TEST

START_TEST(markdown_has_every_row)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    ck_assert_ptr_nonnull(f);
    ag_catalogue_markdown(f);
    fclose(f);
    unsigned lines = 0;
    for (size_t i = 0; i < len; i++)
        lines += buf[i] == '\n';
    ck_assert_uint_eq(lines, ag_n_rows + 2);
    free(buf);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("catalogue");
    TCase *tc = tcase_create("catalogue");

    tcase_add_test(tc, every_row_compiles);
    tcase_add_test(tc, every_example_yields_its_row);
    tcase_add_test(tc, no_client_text_moves_the_address);
    tcase_add_test(tc, text_after_ssh2_of_a_password_line);
    tcase_add_test(tc, message_repeated_counts_n);
    tcase_add_test(tc, trailing_spaces_are_ignored);
    tcase_add_test(tc, markdown_has_every_row);
    suite_add_tcase(s, tc);
    return s;
}

AG_TEST_MAIN
