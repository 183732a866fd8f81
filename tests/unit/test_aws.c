/* test_aws.c - SigV4 against the whole official test suite (tests/data/
 * aws4_testsuite: canonical request, string to sign and Authorization of
 * every case), the Bedrock vector with a session token, URI encoding of
 * model ids and inference-profile ARNs, and the ISO 8601 parser used for
 * credential expiry. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <strings.h>
#include <sys/stat.h>

#include "ag_test.h"
#include "sinks/aws.h"

#define SUITE_DIR "tests/data/aws4_testsuite"
#define FILE_MAX (64 * 1024)

/* snprintf that must not cut (a cut path would test the wrong file). */
#define FMT(buf, ...) ck_assert_int_lt(snprintf(buf, sizeof buf, __VA_ARGS__), (int)sizeof buf)

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = malloc(FILE_MAX + 1);
    ck_assert_ptr_nonnull(buf);
    size_t n = fread(buf, 1, FILE_MAX, f);
    fclose(f);
    buf[n] = '\0';
    if (len)
        *len = n;
    return buf;
}

static const struct ag_aws_creds suite_creds = {
    .akid = "AKIDEXAMPLE",
    .secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
};

/* A .req file split into request line, headers (folded lines joined with
 * '\n' as they came) and body. */
struct parsed_req {
    char method[16], path[1024], query[1024];
    struct ag_aws_header h[32];
    char names[32][128];
    char values[32][1024];
    size_t n;
    const char *body;
    size_t body_len;
};

static void parse_req(char *text, size_t len, struct parsed_req *r)
{
    memset(r, 0, sizeof *r);
    char *nl = strchr(text, '\n');
    ck_assert_ptr_nonnull(nl);
    *nl = '\0';
    char *sp = strchr(text, ' '), *proto = strrchr(text, ' ');
    ck_assert(sp && proto && proto > sp);
    snprintf(r->method, sizeof r->method, "%.*s", (int)(sp - text), text);
    char target[2048];
    FMT(target, "%.*s", (int)(proto - sp - 1), sp + 1);
    char *q = strchr(target, '?');
    if (q) {
        *q = '\0';
        FMT(r->query, "%s", q + 1);
    }
    FMT(r->path, "%s", target);
    char *p = nl + 1, *end = text + len;
    while (p < end) {
        char *e = memchr(p, '\n', (size_t)(end - p));
        size_t l = e ? (size_t)(e - p) : (size_t)(end - p);
        if (l == 0) { /* blank line: the body follows */
            r->body = p + 1;
            r->body_len = (size_t)(end - p - 1);
            break;
        }
        if ((*p == ' ' || *p == '\t') && r->n) { /* folded continuation */
            size_t cur = strlen(r->values[r->n - 1]);
            snprintf(r->values[r->n - 1] + cur, sizeof r->values[0] - cur, "\n%.*s", (int)l, p);
        } else {
            char *colon = memchr(p, ':', l);
            ck_assert_ptr_nonnull(colon);
            ck_assert_uint_lt(r->n, 32);
            snprintf(r->names[r->n], sizeof r->names[0], "%.*s", (int)(colon - p), p);
            snprintf(r->values[r->n], sizeof r->values[0], "%.*s", (int)(l - (size_t)(colon - p) - 1),
                     colon + 1);
            r->n++;
        }
        p += l + 1;
    }
    for (size_t i = 0; i < r->n; i++) {
        r->h[i].name = r->names[i];
        r->h[i].value = r->values[i];
    }
}

/* Expected files end without a newline; some have one. */
static void chomp(char *s)
{
    size_t n = strlen(s);
    while (n && (s[n - 1] == '\n' || s[n - 1] == '\r'))
        s[--n] = '\0';
}

static int run_case(const char *dir, const char *name)
{
    char path[1024];
    size_t len;
    FMT(path, "%s/%s.req", dir, name);
    char *req = slurp(path, &len);
    if (!req)
        return 0; /* a folder of cases, not a case */
    FMT(path, "%s/%s.creq", dir, name);
    char *creq = slurp(path, NULL);
    FMT(path, "%s/%s.sts", dir, name);
    char *sts = slurp(path, NULL);
    FMT(path, "%s/%s.authz", dir, name);
    char *authz = slurp(path, NULL);
    ck_assert_msg(creq && sts && authz, "%s: missing expected files", name);
    chomp(creq);
    chomp(sts);
    chomp(authz);

    static struct parsed_req r;
    parse_req(req, len, &r);
    struct ag_aws_creds c = suite_creds;
    /* The session-token case gives the token in the expected canonical
     * request only: the signer is handed the header as a caller would. */
    const char *tok = strstr(creq, "x-amz-security-token:");
    int have_tok = 0;
    for (size_t i = 0; i < r.n; i++)
        have_tok |= !strcasecmp(r.names[i], "x-amz-security-token");
    if (tok && !have_tok) {
        tok += strlen("x-amz-security-token:");
        snprintf(c.token, sizeof c.token, "%.*s", (int)strcspn(tok, "\n"), tok);
        snprintf(r.names[r.n], sizeof r.names[0], "X-Amz-Security-Token");
        FMT(r.values[r.n], "%s", c.token);
        r.h[r.n].name = r.names[r.n];
        r.h[r.n].value = r.values[r.n];
        r.n++;
    }
    const char *date = NULL;
    for (size_t i = 0; i < r.n; i++)
        if (!strcasecmp(r.names[i], "x-amz-date"))
            date = r.values[i];
    ck_assert_ptr_nonnull(date);

    struct ag_sigv4_req in = {
        .method = r.method, .path = r.path, .query = r.query, .headers = r.h,
        .n_headers = r.n, .body = r.body, .body_len = r.body ? r.body_len : 0,
        .region = "us-east-1", .service = "service", .amz_date = date,
    };
    static char got_creq[FILE_MAX], got_sts[4096];
    struct ag_sigv4_out out = {.creq = got_creq, .creq_cap = sizeof got_creq,
                               .sts = got_sts, .sts_cap = sizeof got_sts};
    ck_assert_int_eq(ag_sigv4_sign(&in, &c, &out), 0);
    ck_assert_msg(!strcmp(got_creq, creq), "%s: canonical request\n%s\n-- expected --\n%s",
                  name, got_creq, creq);
    ck_assert_msg(!strcmp(got_sts, sts), "%s: string to sign\n%s\n-- expected --\n%s", name,
                  got_sts, sts);
    ck_assert_msg(!strcmp(out.authorization, authz), "%s: authorization\n%s\n-- expected --\n%s",
                  name, out.authorization, authz);
    free(req);
    free(creq);
    free(sts);
    free(authz);
    return 1;
}

static int run_dir(const char *dir)
{
    DIR *d = opendir(dir);
    ck_assert_msg(d != NULL, "cannot open %s: %s", dir, strerror(errno));
    struct dirent *e;
    int n = 0;
    char sub[1024];
    while ((e = readdir(d))) {
        struct stat st;
        if (e->d_name[0] == '.')
            continue;
        FMT(sub, "%s/%s", dir, e->d_name);
        if (stat(sub, &st) < 0 || !S_ISDIR(st.st_mode))
            continue;
        n += run_case(sub, e->d_name) ? 1 : run_dir(sub);
    }
    closedir(d);
    return n;
}

START_TEST(official_suite)
{
    const char *src = getenv("AG_SRCDIR");
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/%s", src ? src : ".", SUITE_DIR);
    int n = run_dir(dir);
    /* 24 top-level cases, 8 in normalize-path, 2 in post-sts-token */
    ck_assert_int_eq(n, 34);
}
END_TEST

START_TEST(bedrock_vector)
{
    static const char body[] = "{\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"hi\"}]}]}";
    struct ag_aws_creds c = suite_creds;
    snprintf(c.token, sizeof c.token, "FQoGZXIvYXdzEXAMPLETOKEN");
    char path[512], seg[256];
    ck_assert_int_gt(ag_aws_uri_encode("us.anthropic.claude-3-5-sonnet-20241022-v2:0", 44, 0,
                                       seg, sizeof seg), 0);
    FMT(path, "/model/%s/converse", seg);
    ck_assert_str_eq(path, "/model/us.anthropic.claude-3-5-sonnet-20241022-v2%3A0/converse");
    const struct ag_aws_header h[] = {
        {"Content-Type", "application/json"},
        {"Host", "bedrock-runtime.us-east-1.amazonaws.com"},
        {"X-Amz-Date", "20250101T000000Z"},
        {"X-Amz-Security-Token", c.token},
    };
    struct ag_sigv4_req in = {
        .method = "POST", .path = path, .headers = h, .n_headers = 4, .body = body,
        .body_len = strlen(body), .region = "us-east-1", .service = "bedrock",
        .amz_date = "20250101T000000Z",
    };
    char creq[2048];
    struct ag_sigv4_out out = {.creq = creq, .creq_cap = sizeof creq};
    ck_assert_int_eq(ag_sigv4_sign(&in, &c, &out), 0);
    ck_assert_str_eq(creq,
                     "POST\n/model/us.anthropic.claude-3-5-sonnet-20241022-v2%253A0/converse\n\n"
                     "content-type:application/json\n"
                     "host:bedrock-runtime.us-east-1.amazonaws.com\n"
                     "x-amz-date:20250101T000000Z\n"
                     "x-amz-security-token:FQoGZXIvYXdzEXAMPLETOKEN\n\n"
                     "content-type;host;x-amz-date;x-amz-security-token\n"
                     "c3335e07d6e89650bf94cb98664be69f8774dbc3198df221f113db0a59ea14f0");
    ck_assert_str_eq(out.signature,
                     "9b5974736cc5bef3cee7b0e48b2c126b88b9b3e73d04626d1a101248ed7901d1");
    ck_assert_ptr_nonnull(strstr(out.authorization,
                                 "Credential=AKIDEXAMPLE/20250101/us-east-1/bedrock/aws4_request, "
                                 "SignedHeaders=content-type;host;x-amz-date;x-amz-security-token"));
}
END_TEST

START_TEST(model_ids_are_one_segment)
{
    char out[512];
    const char *arn = "arn:aws:bedrock:us-east-1:123456789012:inference-profile/"
                      "us.anthropic.claude-3-5-sonnet-20241022-v2:0";
    ck_assert_int_gt(ag_aws_uri_encode(arn, strlen(arn), 0, out, sizeof out), 0);
    ck_assert_str_eq(out, "arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Ainference-profile"
                          "%2Fus.anthropic.claude-3-5-sonnet-20241022-v2%3A0");
    ck_assert_int_eq(ag_aws_uri_encode("a b~_.-", 7, 0, out, sizeof out), 9);
    ck_assert_str_eq(out, "a%20b~_.-");
    ck_assert_int_eq(ag_aws_uri_encode("x/y", 3, 1, out, sizeof out), 3);
    /* too small: refused, never cut */
    ck_assert_int_eq(ag_aws_uri_encode(":::", 3, 0, out, 9), -1);
    ck_assert_int_eq(ag_aws_uri_encode(":::", 3, 0, out, 10), 9);
}
END_TEST

START_TEST(iso8601_expiry)
{
    ck_assert_int_eq(ag_aws_parse_iso8601("2025-01-01T00:00:00Z"), 1735689600000LL);
    ck_assert_int_eq(ag_aws_parse_iso8601("2025-01-01T00:00:01.250Z"), 1735689601000LL);
    ck_assert_int_eq(ag_aws_parse_iso8601("2025-01-01 00:00:00"), -1);
    ck_assert_int_eq(ag_aws_parse_iso8601("2025-01-01T00:00:00+02:00"), -1);
    char d[17];
    ag_aws_amz_date(1735689600, d);
    ck_assert_str_eq(d, "20250101T000000Z");
}
END_TEST

START_TEST(refuses_bad_input)
{
    struct ag_aws_creds none = {0};
    const struct ag_aws_header h[] = {{"Host", "x"}};
    struct ag_sigv4_req in = {.method = "GET", .path = "/", .headers = h, .n_headers = 1,
                              .region = "r", .service = "s", .amz_date = "20250101T000000Z"};
    struct ag_sigv4_out out = {0};
    ck_assert_int_eq(ag_sigv4_sign(&in, &none, &out), -EINVAL);
    in.amz_date = "2025";
    ck_assert_int_eq(ag_sigv4_sign(&in, &suite_creds, &out), -EINVAL);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("aws");
    TCase *t = tcase_create("sigv4");
    tcase_add_test(t, official_suite);
    tcase_add_test(t, bedrock_vector);
    tcase_add_test(t, model_ids_are_one_segment);
    tcase_add_test(t, iso8601_expiry);
    tcase_add_test(t, refuses_bad_input);
    suite_add_tcase(s, t);
    return s;
}

AG_TEST_MAIN
