/* aws.c - SigV4 on libcrypto, the credentials chain and the IMDSv2 client
 * of aws.h. Everything here runs on summarizer threads or at start-up,
 * never on the line path; every network call has a connect and a total
 * timeout, and every buffer has a bound. */
#include "sinks/aws.h"

#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <ini.h>
#include <json-c/json.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "conf/conf.h"
#include "sinks/escape.h"

#define CREQ_CAP (64 * 1024)
#define SIG_MAX_HEADERS 64

/* ---- hashing ---------------------------------------------------------------- */

static void hex(const unsigned char *d, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[d[i] >> 4];
        out[2 * i + 1] = digits[d[i] & 15];
    }
    out[2 * n] = '\0';
}

static void sha256_hex(const void *d, size_t n, char out[65])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_Digest(d, n, md, &len, EVP_sha256(), NULL);
    hex(md, len, out);
}

static void hmac(const void *key, size_t klen, const char *msg, unsigned char out[32])
{
    unsigned int len = 32;
    HMAC(EVP_sha256(), key, (int)klen, (const unsigned char *)msg, strlen(msg), out, &len);
}

/* ---- canonical request -------------------------------------------------------- */

static int unreserved(unsigned char c)
{
    return isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~';
}

long ag_aws_uri_encode(const char *s, size_t n, int keep_slash, char *out, size_t cap)
{
    static const char digits[] = "0123456789ABCDEF";
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (unreserved(c) || (keep_slash && c == '/')) {
            if (o + 1 >= cap)
                return -1;
            out[o++] = (char)c;
        } else {
            if (o + 3 >= cap)
                return -1;
            out[o++] = '%';
            out[o++] = digits[c >> 4];
            out[o++] = digits[c & 15];
        }
    }
    if (o >= cap)
        return -1;
    out[o] = '\0';
    return (long)o;
}

/* Removes dot segments and empty segments, as AWS does for every service
 * but S3; a trailing slash stays. */
static int normalize_path(const char *path, char *out, size_t cap)
{
    const char *seg[256];
    size_t len[256], n = 0;
    const char *p = path && *path ? path : "/";
    size_t total = strlen(p);
    int trailing = total > 0 && p[total - 1] == '/';
    while (*p) {
        while (*p == '/')
            p++;
        size_t l = strcspn(p, "/");
        if (!l)
            break;
        if (l == 1 && p[0] == '.') {
            /* skip */
        } else if (l == 2 && p[0] == '.' && p[1] == '.') {
            if (n)
                n--;
        } else {
            if (n == 256)
                return -1;
            seg[n] = p;
            len[n++] = l;
        }
        p += l;
    }
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (o + len[i] + 2 >= cap)
            return -1;
        out[o++] = '/';
        memcpy(out + o, seg[i], len[i]);
        o += len[i];
    }
    if (o + 2 >= cap)
        return -1;
    if (o == 0 || (trailing && n))
        out[o++] = '/';
    out[o] = '\0';
    return 0;
}

static int hexval(int c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
         : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* Percent-decodes s[0..n) into out; returns the length or -1. */
static long uri_decode(const char *s, size_t n, char *out, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (o + 1 >= cap)
            return -1;
        if (s[i] == '%' && i + 2 < n && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
            out[o++] = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
            i += 2;
        } else {
            out[o++] = s[i];
        }
    }
    out[o] = '\0';
    return (long)o;
}

struct qparam {
    char k[512], v[1024];
};

static int qparam_cmp(const void *a, const void *b)
{
    const struct qparam *x = a, *y = b;
    int c = strcmp(x->k, y->k);
    return c ? c : strcmp(x->v, y->v);
}

/* Each name and value decoded then encoded again (so raw and pre-encoded
 * queries canonicalise alike), sorted by name then value. */
static int put_query(struct ag_buf *b, const char *q)
{
    enum { MAXP = 64 };
    struct qparam *ps = calloc(MAXP, sizeof *ps);
    char tmp[1024];
    size_t n = 0;
    if (!ps)
        return -ENOMEM;
    while (q && *q) {
        size_t l = strcspn(q, "&");
        if (l) {
            if (n == MAXP) {
                free(ps);
                return -E2BIG;
            }
            const char *eq = memchr(q, '=', l);
            size_t kl = eq ? (size_t)(eq - q) : l;
            long dl = uri_decode(q, kl, tmp, sizeof tmp);
            if (dl < 0 || ag_aws_uri_encode(tmp, (size_t)dl, 0, ps[n].k, sizeof ps[n].k) < 0) {
                free(ps);
                return -E2BIG;
            }
            dl = eq ? uri_decode(eq + 1, l - kl - 1, tmp, sizeof tmp) : 0;
            if (dl < 0 || ag_aws_uri_encode(tmp, (size_t)dl, 0, ps[n].v, sizeof ps[n].v) < 0) {
                free(ps);
                return -E2BIG;
            }
            n++;
        }
        q += l + (q[l] == '&');
    }
    qsort(ps, n, sizeof *ps, qparam_cmp);
    for (size_t i = 0; i < n; i++)
        ag_buf_printf(b, "%s%s=%s", i ? "&" : "", ps[i].k, ps[i].v);
    free(ps);
    return 0;
}

struct sig_header {
    char name[128];
    const char *value;
    size_t order;
};

static int header_cmp(const void *a, const void *b)
{
    const struct sig_header *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    return c ? c : (x->order < y->order ? -1 : x->order > y->order);
}

/* The value trimmed, inner runs of whitespace (folded lines too) as one space. */
static void put_trimmed(struct ag_buf *b, const char *v)
{
    int space = 0, any = 0;
    for (; *v; v++) {
        if (*v == ' ' || *v == '\t' || *v == '\n' || *v == '\r') {
            space = any;
            continue;
        }
        if (space)
            ag_buf_putc(b, ' ');
        space = 0;
        any = 1;
        ag_buf_putc(b, *v);
    }
}

/* Canonical headers (repeated names joined with ',') into b and the
 * signed-header list into sh. */
static int put_headers(struct ag_buf *b, struct ag_buf *sh, const struct ag_sigv4_req *r)
{
    struct sig_header hs[SIG_MAX_HEADERS];
    if (r->n_headers > SIG_MAX_HEADERS)
        return -E2BIG;
    for (size_t i = 0; i < r->n_headers; i++) {
        size_t l = strlen(r->headers[i].name);
        if (l == 0 || l >= sizeof hs[i].name)
            return -EINVAL;
        for (size_t j = 0; j <= l; j++)
            hs[i].name[j] = (char)tolower((unsigned char)r->headers[i].name[j]);
        hs[i].value = r->headers[i].value ? r->headers[i].value : "";
        hs[i].order = i;
    }
    qsort(hs, r->n_headers, sizeof hs[0], header_cmp);
    for (size_t i = 0; i < r->n_headers; i++) {
        int cont = i > 0 && !strcmp(hs[i].name, hs[i - 1].name);
        if (cont) {
            ag_buf_putc(b, ',');
        } else {
            if (i)
                ag_buf_putc(b, '\n');
            ag_buf_printf(b, "%s:", hs[i].name);
            ag_buf_printf(sh, "%s%s", sh->len ? ";" : "", hs[i].name);
        }
        put_trimmed(b, hs[i].value);
    }
    ag_buf_putc(b, '\n');
    return 0;
}

static int canonical_request(const struct ag_sigv4_req *r, struct ag_buf *b, struct ag_buf *sh)
{
    char norm[4096], enc[12288], payload[65];
    if (normalize_path(r->path, norm, sizeof norm) < 0 ||
        ag_aws_uri_encode(norm, strlen(norm), 1, enc, sizeof enc) < 0)
        return -E2BIG;
    ag_buf_printf(b, "%s\n%s\n", r->method, enc);
    int rc = put_query(b, r->query);
    if (rc < 0)
        return rc;
    ag_buf_putc(b, '\n');
    if ((rc = put_headers(b, sh, r)) < 0)
        return rc;
    ag_buf_putc(b, '\n');
    ag_buf_put(b, sh->p, sh->len);
    ag_buf_putc(b, '\n');
    sha256_hex(r->body ? r->body : "", r->body ? r->body_len : 0, payload);
    ag_buf_puts(b, payload);
    return b->overflow || sh->overflow ? -E2BIG : 0;
}

static void copy_out(char *dst, size_t cap, const char *src, size_t n)
{
    if (!dst || !cap)
        return;
    n = n < cap - 1 ? n : cap - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

static void signing_key(const struct ag_aws_creds *c, const struct ag_sigv4_req *r,
                        unsigned char k[32])
{
    char secret[AG_AWS_SECRET_MAX + 8], day[9];
    snprintf(secret, sizeof secret, "AWS4%s", c->secret);
    memcpy(day, r->amz_date, 8);
    day[8] = '\0';
    hmac(secret, strlen(secret), day, k);
    hmac(k, 32, r->region, k);
    hmac(k, 32, r->service, k);
    hmac(k, 32, "aws4_request", k);
    OPENSSL_cleanse(secret, sizeof secret);
}

int ag_sigv4_sign(const struct ag_sigv4_req *r, const struct ag_aws_creds *c,
                  struct ag_sigv4_out *out)
{
    if (!r->method || !r->amz_date || strlen(r->amz_date) != 16 || !r->region ||
        !r->service || !c->akid[0] || !c->secret[0])
        return -EINVAL;
    char *mem = malloc(CREQ_CAP), shmem[2048], scope[256], sts[512], creq_hash[65];
    if (!mem)
        return -ENOMEM;
    struct ag_buf b, sh;
    ag_buf_init(&b, mem, CREQ_CAP);
    ag_buf_init(&sh, shmem, sizeof shmem);
    int rc = canonical_request(r, &b, &sh);
    if (rc < 0) {
        free(mem);
        return rc;
    }
    copy_out(out->creq, out->creq_cap, b.p, b.len);
    sha256_hex(b.p, b.len, creq_hash);
    free(mem);
    snprintf(scope, sizeof scope, "%.8s/%s/%s/aws4_request", r->amz_date, r->region,
             r->service);
    int n = snprintf(sts, sizeof sts, "AWS4-HMAC-SHA256\n%s\n%s\n%s", r->amz_date, scope,
                     creq_hash);
    if (n < 0 || (size_t)n >= sizeof sts)
        return -E2BIG;
    copy_out(out->sts, out->sts_cap, sts, (size_t)n);
    unsigned char k[32], sig[32];
    signing_key(c, r, k);
    hmac(k, 32, sts, sig);
    OPENSSL_cleanse(k, sizeof k);
    hex(sig, 32, out->signature);
    n = snprintf(out->authorization, sizeof out->authorization,
                 "AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, Signature=%s", c->akid,
                 scope, ag_buf_cstr(&sh), out->signature);
    return n < 0 || (size_t)n >= sizeof out->authorization ? -E2BIG : 0;
}

void ag_aws_amz_date(int64_t epoch_s, char *out)
{
    time_t t = (time_t)epoch_s;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 17, "%Y%m%dT%H%M%SZ", &tm);
}

int64_t ag_aws_parse_iso8601(const char *s)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    const char *end = s ? strptime(s, "%Y-%m-%dT%H:%M:%S", &tm) : NULL;
    if (!end)
        return -1;
    if (*end == '.')
        while (*++end >= '0' && *end <= '9')
            ;
    if (*end != 'Z' && *end != '\0' && strcmp(end, "+00:00") != 0)
        return -1;
    return (int64_t)timegm(&tm) * 1000;
}

/* ---- HTTP ------------------------------------------------------------------------ */

struct collect {
    struct ag_http_resp *r;
    size_t cap;
};

static size_t on_body(char *p, size_t sz, size_t nm, void *ud)
{
    struct collect *c = ud;
    size_t n = sz * nm, room = c->cap - c->r->len;
    if (n > room) {
        c->r->truncated = 1;
        n = room;
    }
    if (n) {
        char *grown = realloc(c->r->body, c->r->len + n + 1);
        if (!grown)
            return 0;
        c->r->body = grown;
        memcpy(grown + c->r->len, p, n);
        c->r->len += n;
        grown[c->r->len] = '\0';
    }
    return sz * nm;
}

/* "Name: value\r\n" -> value copied, up to the first ':' when cut_colon. */
static void header_value(const char *line, size_t n, size_t name_len, char *out, size_t cap,
                         int cut_colon)
{
    const char *v = line + name_len;
    size_t l = n - name_len;
    while (l && (*v == ' ' || *v == '\t')) {
        v++;
        l--;
    }
    while (l && (v[l - 1] == '\r' || v[l - 1] == '\n' || v[l - 1] == ' '))
        l--;
    if (cut_colon) {
        const char *colon = memchr(v, ':', l);
        if (colon)
            l = (size_t)(colon - v);
    }
    copy_out(out, cap, v, l);
}

static size_t on_header(char *p, size_t sz, size_t nm, void *ud)
{
    struct ag_http_resp *r = ud;
    size_t n = sz * nm;
    if (n > 16 && !strncasecmp(p, "x-amzn-ErrorType:", 17))
        header_value(p, n, 17, r->error_type, sizeof r->error_type, 1);
    else if (n > 16 && !strncasecmp(p, "x-amzn-RequestId:", 17))
        header_value(p, n, 17, r->request_id, sizeof r->request_id, 0);
    return n;
}

static int on_progress(void *ud, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
    const _Atomic int *abort = ud;
    return atomic_load_explicit(abort, memory_order_relaxed) ? 1 : 0;
}

/* The transfer through a multi handle polled every 50 ms, so that a
 * shutdown is noticed at once even while the server sends nothing (the
 * progress callback alone can take a second). */
static CURLcode perform_abortable(CURL *h, const _Atomic int *abort)
{
    CURLM *m = curl_multi_init();
    if (!m || curl_multi_add_handle(m, h) != CURLM_OK) {
        curl_multi_cleanup(m);
        return curl_easy_perform(h);
    }
    CURLcode rc = CURLE_ABORTED_BY_CALLBACK;
    int running = 1;
    while (running && !atomic_load_explicit(abort, memory_order_relaxed)) {
        if (curl_multi_perform(m, &running) != CURLM_OK)
            break;
        if (running)
            curl_multi_poll(m, NULL, 0, 50, NULL);
    }
    int left;
    for (CURLMsg *msg; (msg = curl_multi_info_read(m, &left));)
        if (msg->msg == CURLMSG_DONE)
            rc = msg->data.result;
    curl_multi_remove_handle(m, h);
    curl_multi_cleanup(m);
    return rc;
}

int ag_http_do(void *handle, const char *method, const char *url, const char *const *headers,
               size_t n_headers, const char *body, size_t body_len, long connect_timeout_ms,
               long timeout_ms, size_t body_cap, struct ag_http_resp *resp)
{
    return ag_http_do_abortable(handle, method, url, headers, n_headers, body, body_len,
                                connect_timeout_ms, timeout_ms, body_cap, NULL, resp);
}

int ag_http_do_abortable(void *handle, const char *method, const char *url,
                         const char *const *headers, size_t n_headers, const char *body,
                         size_t body_len, long connect_timeout_ms, long timeout_ms,
                         size_t body_cap, const _Atomic int *abort, struct ag_http_resp *resp)
{
    CURL *h = handle;
    struct curl_slist *hl = NULL;
    struct collect col = {resp, body_cap};
    memset(resp, 0, sizeof *resp);
    curl_easy_reset(h);
    for (size_t i = 0; i < n_headers; i++) {
        struct curl_slist *n = curl_slist_append(hl, headers[i]);
        if (!n) {
            curl_slist_free_all(hl);
            return -1;
        }
        hl = n;
    }
    if (body) /* an empty Expect: keeps curl from waiting for 100-continue */
        hl = curl_slist_append(hl, "Expect:");
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hl);
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, connect_timeout_ms);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &col);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, resp);
    if (abort) {
        curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
        curl_easy_setopt(h, CURLOPT_XFERINFODATA, (void *)abort);
        curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    }
    if (body) {
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
    } else if (!strcmp(method, "PUT")) {
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, "");
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)0);
    }
    CURLcode rc = abort ? perform_abortable(h, abort) : curl_easy_perform(h);
    curl_slist_free_all(hl);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
    if (rc != CURLE_OK) {
        resp->timed_out = rc == CURLE_OPERATION_TIMEDOUT;
        snprintf(resp->curl_error, sizeof resp->curl_error, "%s", curl_easy_strerror(rc));
        return -1;
    }
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &resp->status);
    return 0;
}

void ag_http_resp_free(struct ag_http_resp *r)
{
    free(r->body);
    r->body = NULL;
}

/* ---- [aws] ------------------------------------------------------------------------ */

void ag_aws_config_defaults(struct ag_aws_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    snprintf(cfg->imds_endpoint, sizeof cfg->imds_endpoint, "http://169.254.169.254");
    cfg->imds_timeout_ms = 1000;
    cfg->imds_refresh_ms = 15 * 60 * 1000;
    const char *p = getenv("AWS_PROFILE");
    snprintf(cfg->profile, sizeof cfg->profile, "%s", p && *p ? p : "default");
}

static int http_url_ok(const char *u)
{
    return !strncmp(u, "http://", 7) || !strncmp(u, "https://", 8);
}

/* [aws], read here and copied into struct ag_aws_config. */
struct aws_keys {
    int imds;
    const char *imds_endpoint, *profile;
    int64_t imds_timeout_ms, imds_refresh_ms;
};

#define AWS_FIELD(m) AG_CONF_FIELD(struct aws_keys, m)
static const struct ag_conf_key aws_keys[] = {
    {"imds", AG_CONF_BOOL, AWS_FIELD(imds), .def = "off",
     .help = "Ask the instance metadata service (IMDSv2) at start for the instance context."},
    {"imds_endpoint", AG_CONF_STRING, AWS_FIELD(imds_endpoint), .def = "http://169.254.169.254",
     .help = "The metadata endpoint (tests point it at a local server)."},
    {"imds_timeout", AG_CONF_DURATION, AWS_FIELD(imds_timeout_ms), 100, 60000, .def = "1s",
     .help = "Connect and total timeout of each metadata request."},
    {"imds_refresh", AG_CONF_DURATION, AWS_FIELD(imds_refresh_ms), 1000, 86400000, .def = "15m",
     .help = "How long the Bedrock tools reuse the instance context."},
    {"profile", AG_CONF_STRING, AWS_FIELD(profile),
     .help = "Profile of the credentials chain; by default $AWS_PROFILE, else default."},
    {.name = NULL}};

const struct ag_conf_section ag_aws_section = {
    "aws", "The instance context and credentials the summaries and Bedrock use.", aws_keys};

int ag_aws_config_load(const struct ag_conf *c, struct ag_aws_config *cfg, char *err,
                       size_t errlen)
{
    struct aws_keys k = {0};
    ag_aws_config_defaults(cfg);
    if (ag_conf_read(c, "aws", aws_keys, &k, err, errlen) < 0)
        return -1;
    const char *ep = k.imds_endpoint, *prof = k.profile;
    cfg->imds = k.imds;
    cfg->imds_timeout_ms = k.imds_timeout_ms;
    cfg->imds_refresh_ms = k.imds_refresh_ms;
    if (ep) {
        size_t n = strlen(ep);
        while (n && ep[n - 1] == '/')
            n--;
        if (!http_url_ok(ep) || n >= sizeof cfg->imds_endpoint) {
            snprintf(err, errlen, "%s: [aws] imds_endpoint: expected an http:// URL, got '%s'",
                     ag_conf_path(c), ep);
            return -1;
        }
        snprintf(cfg->imds_endpoint, sizeof cfg->imds_endpoint, "%.*s", (int)n, ep);
    }
    if (prof && *prof)
        snprintf(cfg->profile, sizeof cfg->profile, "%s", prof);
    return 0;
}

/* ---- IMDSv2 ----------------------------------------------------------------------- */

#define IMDS_TOKEN_TTL_S 21600
#define IMDS_TOKEN_MAX 512

struct ag_imds {
    pthread_mutex_t lock;
    CURL *h;
    char endpoint[AG_AWS_URL_MAX];
    long timeout_ms;
    int64_t refresh_ms;
    char token[IMDS_TOKEN_MAX];
    int64_t token_expires_ms;
    struct ag_instance_ctx ctx;
    int64_t ctx_at_ms;
    int ctx_ok;
    struct ag_imds_stats st;
};

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct ag_imds *ag_imds_new(const char *endpoint, int64_t timeout_ms, int64_t refresh_ms)
{
    struct ag_imds *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    curl_global_init(CURL_GLOBAL_DEFAULT); /* refcounted, thread-safe since 7.84 */
    if (!(m->h = curl_easy_init())) {
        curl_global_cleanup();
        free(m);
        return NULL;
    }
    pthread_mutex_init(&m->lock, NULL);
    snprintf(m->endpoint, sizeof m->endpoint, "%s", endpoint);
    m->timeout_ms = (long)timeout_ms;
    m->refresh_ms = refresh_ms;
    return m;
}

void ag_imds_free(struct ag_imds *m)
{
    if (!m)
        return;
    curl_easy_cleanup(m->h);
    curl_global_cleanup();
    pthread_mutex_destroy(&m->lock);
    OPENSSL_cleanse(m->token, sizeof m->token);
    free(m);
}

/* Lock held. A fresh session token unless the current one has 5 min left. */
static int imds_token(struct ag_imds *m)
{
    if (m->token[0] && mono_ms() < m->token_expires_ms - 300000)
        return 0;
    char url[AG_AWS_URL_MAX + 64], ttl[64];
    snprintf(url, sizeof url, "%s/latest/api/token", m->endpoint);
    snprintf(ttl, sizeof ttl, "X-aws-ec2-metadata-token-ttl-seconds: %d", IMDS_TOKEN_TTL_S);
    const char *hs[] = {ttl};
    struct ag_http_resp r;
    m->token[0] = '\0';
    if (ag_http_do(m->h, "PUT", url, hs, 1, NULL, 0, m->timeout_ms, m->timeout_ms,
                   IMDS_TOKEN_MAX - 1, &r) < 0) {
        ag_http_resp_free(&r);
        return -EIO;
    }
    int rc = r.status == 200 && r.body && r.len && !r.truncated ? 0 : -EACCES;
    if (!rc) {
        m->st.tokens++;
        copy_out(m->token, sizeof m->token, r.body, strcspn(r.body, "\r\n"));
        m->token_expires_ms = mono_ms() + IMDS_TOKEN_TTL_S * 1000LL;
    }
    ag_http_resp_free(&r);
    return rc;
}

/* Lock held. */
static int imds_get_locked(struct ag_imds *m, const char *path, char *out, size_t cap)
{
    for (int attempt = 0; attempt < 2; attempt++) {
        int rc = imds_token(m);
        if (rc < 0)
            return rc;
        char url[AG_AWS_URL_MAX + 256], th[IMDS_TOKEN_MAX + 40];
        snprintf(url, sizeof url, "%s%s", m->endpoint, path);
        snprintf(th, sizeof th, "X-aws-ec2-metadata-token: %s", m->token);
        const char *hs[] = {th};
        struct ag_http_resp r;
        if (ag_http_do(m->h, "GET", url, hs, 1, NULL, 0, m->timeout_ms, m->timeout_ms,
                       cap ? cap - 1 : 0, &r) < 0) {
            ag_http_resp_free(&r);
            return -EIO;
        }
        m->st.gets++;
        long st = r.status;
        if (st == 200 && !r.truncated)
            copy_out(out, cap, r.body ? r.body : "", r.len);
        ag_http_resp_free(&r);
        if (st == 401) { /* the token expired or was revoked: once more with a new one */
            m->st.refused++;
            m->token[0] = '\0';
            continue;
        }
        return st == 200 ? (r.truncated ? -E2BIG : 0) : st == 404 ? -ENOENT : -EACCES;
    }
    return -EACCES;
}

int ag_imds_get(struct ag_imds *m, const char *path, char *out, size_t cap)
{
    pthread_mutex_lock(&m->lock);
    int rc = imds_get_locked(m, path, out, cap);
    pthread_mutex_unlock(&m->lock);
    return rc;
}

/* Lock held. Fetches path into dst if it is an id of the given prefix. */
static void ctx_field(struct ag_imds *m, const char *path, const char *prefix, char *dst)
{
    char v[256];
    dst[0] = '\0';
    if (imds_get_locked(m, path, v, sizeof v) < 0)
        return;
    v[strcspn(v, "\r\n")] = '\0';
    size_t n = strlen(v);
    if ((prefix && !ag_summary_aws_id_ok(v, prefix)) || n >= AG_AWS_ID_MAX)
        return;
    memcpy(dst, v, n + 1); /* checked above; snprintf here trips -Wformat-truncation at -O1 */
}

static int region_ok(const char *s)
{
    size_t n = strlen(s);
    if (n < 3 || n >= AG_AWS_ID_MAX)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!(islower((unsigned char)s[i]) || isdigit((unsigned char)s[i]) || s[i] == '-'))
            return 0;
    return 1;
}

static int mac_ok(const char *s)
{
    if (strlen(s) != 17)
        return 0;
    for (int i = 0; i < 17; i++)
        if (i % 3 == 2 ? s[i] != ':' : !isxdigit((unsigned char)s[i]))
            return 0;
    return 1;
}

/* Lock held. */
static int imds_fetch_ctx(struct ag_imds *m, struct ag_instance_ctx *c)
{
    char mac[64], path[256], sgs[1024];
    memset(c, 0, sizeof *c);
    ctx_field(m, "/latest/meta-data/instance-id", "i-", c->instance_id);
    if (!c->instance_id[0])
        return -ENOENT;
    ctx_field(m, "/latest/meta-data/placement/region", NULL, c->region);
    ctx_field(m, "/latest/meta-data/placement/availability-zone", NULL, c->availability_zone);
    if (!region_ok(c->region))
        c->region[0] = '\0';
    if (!region_ok(c->availability_zone))
        c->availability_zone[0] = '\0';
    if (imds_get_locked(m, "/latest/meta-data/mac", mac, sizeof mac) < 0)
        return 0;
    mac[strcspn(mac, "\r\n")] = '\0';
    if (!mac_ok(mac))
        return 0;
    const char *base = "/latest/meta-data/network/interfaces/macs/";
    snprintf(path, sizeof path, "%s%s/subnet-id", base, mac);
    ctx_field(m, path, "subnet-", c->subnet_id);
    snprintf(path, sizeof path, "%s%s/vpc-id", base, mac);
    ctx_field(m, path, "vpc-", c->vpc_id);
    snprintf(path, sizeof path, "%s%s/security-group-ids", base, mac);
    if (imds_get_locked(m, path, sgs, sizeof sgs) == 0) {
        char *save = NULL;
        for (char *t = strtok_r(sgs, "\r\n ", &save); t && c->n_security_groups <
             AG_SUMMARY_MAX_SGS; t = strtok_r(NULL, "\r\n ", &save))
            if (ag_summary_aws_id_ok(t, "sg-"))
                snprintf(c->security_groups[c->n_security_groups++], AG_AWS_ID_MAX, "%s", t);
    }
    return 0;
}

int ag_imds_instance(struct ag_imds *m, struct ag_instance_ctx *out)
{
    pthread_mutex_lock(&m->lock);
    int64_t now = mono_ms();
    int rc = 0;
    if (!m->ctx_at_ms || now - m->ctx_at_ms >= m->refresh_ms) {
        struct ag_instance_ctx fresh;
        rc = imds_fetch_ctx(m, &fresh);
        if (rc == 0) {
            m->ctx = fresh;
            m->ctx_ok = 1;
        }
        m->ctx_at_ms = now;
    }
    if (m->ctx_ok) {
        *out = m->ctx;
        rc = 0;
    } else {
        memset(out, 0, sizeof *out);
        rc = rc < 0 ? rc : -ENOENT;
    }
    pthread_mutex_unlock(&m->lock);
    return rc;
}

static int creds_from_json(const char *body, struct ag_aws_creds *out, const char *source)
{
    struct json_object *j = json_tokener_parse(body), *v;
    int rc = -EINVAL;
    memset(out, 0, sizeof *out);
    if (!j)
        return rc;
    const char *ak = json_object_object_get_ex(j, "AccessKeyId", &v) ? json_object_get_string(v) : NULL;
    const char *sk = json_object_object_get_ex(j, "SecretAccessKey", &v) ? json_object_get_string(v) : NULL;
    const char *tk = json_object_object_get_ex(j, "Token", &v) ? json_object_get_string(v) : "";
    const char *ex = json_object_object_get_ex(j, "Expiration", &v) ? json_object_get_string(v) : NULL;
    if (ak && sk && tk && strlen(ak) < sizeof out->akid && strlen(sk) < sizeof out->secret &&
        strlen(tk) < sizeof out->token && *ak && *sk) {
        snprintf(out->akid, sizeof out->akid, "%s", ak);
        snprintf(out->secret, sizeof out->secret, "%s", sk);
        snprintf(out->token, sizeof out->token, "%s", tk);
        out->expires_ms = ex ? ag_aws_parse_iso8601(ex) : 0;
        if (out->expires_ms < 0)
            out->expires_ms = 0;
        out->source = source;
        rc = 0;
    }
    json_object_put(j);
    return rc;
}

int ag_imds_role_creds(struct ag_imds *m, struct ag_aws_creds *out, char *err, size_t errlen)
{
    char role[256], path[512], *body = malloc(16384);
    if (!body)
        return -ENOMEM;
    pthread_mutex_lock(&m->lock);
    int rc = imds_get_locked(m, "/latest/meta-data/iam/security-credentials/", role,
                             sizeof role);
    if (rc == 0) {
        role[strcspn(role, "\r\n")] = '\0';
        snprintf(path, sizeof path, "/latest/meta-data/iam/security-credentials/%s", role);
        rc = role[0] && !strchr(role, '/') ? imds_get_locked(m, path, body, 16384) : -ENOENT;
    }
    pthread_mutex_unlock(&m->lock);
    if (rc == 0 && (rc = creds_from_json(body, out, "imds")) < 0)
        snprintf(err, errlen, "IMDS: malformed role credentials");
    else if (rc < 0)
        snprintf(err, errlen, "IMDS: no instance role credentials (%s)", strerror(-rc));
    free(body);
    return rc;
}

void ag_imds_stats(struct ag_imds *m, struct ag_imds_stats *st)
{
    pthread_mutex_lock(&m->lock);
    *st = m->st;
    pthread_mutex_unlock(&m->lock);
}

int ag_aws_instance_at_start(const struct ag_conf *c, struct ag_instance_ctx *out, char *err,
                             size_t errlen)
{
    struct ag_aws_config cfg;
    memset(out, 0, sizeof *out);
    err[0] = '\0';
    if (ag_aws_config_load(c, &cfg, err, errlen) < 0)
        return -1;
    if (!cfg.imds)
        return 0;
    struct ag_imds *m = ag_imds_new(cfg.imds_endpoint, cfg.imds_timeout_ms, cfg.imds_refresh_ms);
    int rc = m ? ag_imds_instance(m, out) : -ENOMEM;
    ag_imds_free(m);
    if (rc < 0)
        snprintf(err, errlen, "[aws] imds: no instance metadata at %s (%s); commands keep "
                 "placeholders", cfg.imds_endpoint, strerror(-rc));
    return rc < 0 ? 0 : 1;
}

/* ---- credentials chain ----------------------------------------------------------- */

struct ag_aws_chain {
    pthread_mutex_t lock;
    struct ag_aws_config cfg;
    struct ag_imds *imds;
    CURL *h;
    struct ag_aws_creds cur;
    int have;
};

struct ag_aws_chain *ag_aws_chain_new(const struct ag_aws_config *cfg, struct ag_imds *imds)
{
    struct ag_aws_chain *ch = calloc(1, sizeof *ch);
    if (!ch)
        return NULL;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    if (!(ch->h = curl_easy_init())) {
        curl_global_cleanup();
        free(ch);
        return NULL;
    }
    pthread_mutex_init(&ch->lock, NULL);
    ch->cfg = *cfg;
    ch->imds = imds;
    return ch;
}

void ag_aws_chain_free(struct ag_aws_chain *ch)
{
    if (!ch)
        return;
    curl_easy_cleanup(ch->h);
    curl_global_cleanup();
    pthread_mutex_destroy(&ch->lock);
    OPENSSL_cleanse(&ch->cur, sizeof ch->cur);
    free(ch);
}

static int from_env(struct ag_aws_creds *c)
{
    const char *ak = getenv("AWS_ACCESS_KEY_ID"), *sk = getenv("AWS_SECRET_ACCESS_KEY");
    const char *tk = getenv("AWS_SESSION_TOKEN");
    if (!tk || !*tk)
        tk = getenv("AWS_SECURITY_TOKEN");
    if (!ak || !*ak || !sk || !*sk || strlen(ak) >= sizeof c->akid ||
        strlen(sk) >= sizeof c->secret || (tk && strlen(tk) >= sizeof c->token))
        return -ENOENT;
    memset(c, 0, sizeof *c);
    snprintf(c->akid, sizeof c->akid, "%s", ak);
    snprintf(c->secret, sizeof c->secret, "%s", sk);
    snprintf(c->token, sizeof c->token, "%s", tk ? tk : "");
    c->source = "env";
    return 0;
}

struct profile_scan {
    const char *want;    /* section name to match */
    struct ag_aws_creds *c;
    char *region;        /* NULL: not wanted */
    size_t region_cap;
    int found;
};

static int on_profile_kv(void *ud, const char *section, const char *key, const char *value)
{
    struct profile_scan *ps = ud;
    if (strcmp(section, ps->want) != 0)
        return 1;
    ps->found = 1;
    if (ps->c && !strcmp(key, "aws_access_key_id"))
        snprintf(ps->c->akid, sizeof ps->c->akid, "%s", value);
    else if (ps->c && !strcmp(key, "aws_secret_access_key"))
        snprintf(ps->c->secret, sizeof ps->c->secret, "%s", value);
    else if (ps->c && !strcmp(key, "aws_session_token"))
        snprintf(ps->c->token, sizeof ps->c->token, "%s", value);
    else if (ps->region && !strcmp(key, "region"))
        snprintf(ps->region, ps->region_cap, "%s", value);
    return 1;
}

static void aws_file(const char *env, const char *name, char *out, size_t cap)
{
    const char *e = getenv(env), *home = getenv("HOME");
    if (e && *e)
        snprintf(out, cap, "%s", e);
    else
        snprintf(out, cap, "%s/.aws/%s", home ? home : "/nonexistent", name);
}

/* [name] in the credentials file, then [profile name] ([default]) in config. */
static int from_profile(const struct ag_aws_config *cfg, struct ag_aws_creds *c)
{
    char path[1024], sect[96];
    memset(c, 0, sizeof *c);
    struct profile_scan ps = {cfg->profile, c, NULL, 0, 0};
    aws_file("AWS_SHARED_CREDENTIALS_FILE", "credentials", path, sizeof path);
    ini_parse(path, on_profile_kv, &ps);
    if (!c->akid[0] || !c->secret[0]) {
        snprintf(sect, sizeof sect, strcmp(cfg->profile, "default") ? "profile %s" : "%s",
                 cfg->profile);
        ps.want = sect;
        aws_file("AWS_CONFIG_FILE", "config", path, sizeof path);
        ini_parse(path, on_profile_kv, &ps);
    }
    if (!c->akid[0] || !c->secret[0])
        return -ENOENT;
    c->source = "profile";
    return 0;
}

void ag_aws_default_region(const struct ag_aws_config *cfg, char *out, size_t cap)
{
    const char *r = getenv("AWS_REGION");
    if (!r || !*r)
        r = getenv("AWS_DEFAULT_REGION");
    out[0] = '\0';
    if (r && *r) {
        snprintf(out, cap, "%s", r);
        return;
    }
    char path[1024], sect[96];
    snprintf(sect, sizeof sect, strcmp(cfg->profile, "default") ? "profile %s" : "%s",
             cfg->profile);
    struct profile_scan ps = {sect, NULL, out, cap, 0};
    aws_file("AWS_CONFIG_FILE", "config", path, sizeof path);
    ini_parse(path, on_profile_kv, &ps);
}

static int container_host_ok(const char *url)
{
    static const char *const ok[] = {"http://127.0.0.1", "http://169.254.170.2",
                                     "http://169.254.170.23", "http://[fd00:ec2::23]",
                                     "http://localhost", "http://[::1]", "https://", NULL};
    for (int i = 0; ok[i]; i++) {
        size_t n = strlen(ok[i]);
        if (!strncmp(url, ok[i], n) && (ok[i][n - 1] == '/' || url[n] == ':' ||
                                         url[n] == '/' || url[n] == '\0'))
            return 1;
    }
    return 0;
}

static int from_container(struct ag_aws_chain *ch, struct ag_aws_creds *c, char *err,
                          size_t errlen)
{
    const char *rel = getenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
    const char *full = getenv("AWS_CONTAINER_CREDENTIALS_FULL_URI");
    char url[AG_AWS_URL_MAX * 2], auth[2048] = "", hdr[2100];
    if (rel && *rel)
        snprintf(url, sizeof url, "http://169.254.170.2%s", rel);
    else if (full && *full && container_host_ok(full))
        snprintf(url, sizeof url, "%s", full);
    else
        return -ENOENT;
    const char *tf = getenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
    const char *tv = getenv("AWS_CONTAINER_AUTHORIZATION_TOKEN");
    if (tf && *tf) {
        FILE *f = fopen(tf, "re");
        if (f) {
            size_t n = fread(auth, 1, sizeof auth - 1, f);
            auth[n] = '\0';
            fclose(f);
        }
    } else if (tv) {
        snprintf(auth, sizeof auth, "%s", tv);
    }
    auth[strcspn(auth, "\r\n")] = '\0'; /* a CR/LF would smuggle headers */
    const char *hs[1] = {hdr};
    snprintf(hdr, sizeof hdr, "Authorization: %s", auth);
    struct ag_http_resp r;
    int rc = ag_http_do(ch->h, "GET", url, hs, auth[0] ? 1 : 0, NULL, 0, 1000, 2000, 16384, &r);
    if (rc == 0 && r.status == 200 && r.body)
        rc = creds_from_json(r.body, c, "container");
    else
        rc = -EIO;
    if (rc < 0)
        snprintf(err, errlen, "container credentials endpoint: no usable answer");
    ag_http_resp_free(&r);
    return rc;
}

/* Lock held. */
static int resolve(struct ag_aws_chain *ch, struct ag_aws_creds *c, char *err, size_t errlen)
{
    if (from_env(c) == 0 || from_profile(&ch->cfg, c) == 0)
        return 0;
    int rc = from_container(ch, c, err, errlen);
    if (rc != -ENOENT)
        return rc;
    const char *off = getenv("AWS_EC2_METADATA_DISABLED");
    if (ch->imds && !(off && !strcasecmp(off, "true")))
        return ag_imds_role_creds(ch->imds, c, err, errlen);
    snprintf(err, errlen, "no AWS credentials (environment, profile '%s', container, "
             "instance role)", ch->cfg.profile);
    return -ENOENT;
}

int ag_aws_chain_get(struct ag_aws_chain *ch, int64_t now_ms, struct ag_aws_creds *out,
                     char *err, size_t errlen)
{
    pthread_mutex_lock(&ch->lock);
    int rc = 0;
    /* botocore's mandatory refresh window: 10 minutes before expiry */
    if (!ch->have || (ch->cur.expires_ms && ch->cur.expires_ms - now_ms < 600000)) {
        struct ag_aws_creds fresh;
        rc = resolve(ch, &fresh, err, errlen);
        if (rc == 0) {
            ch->cur = fresh;
            ch->have = 1;
        } else if (ch->have && ch->cur.expires_ms > now_ms) {
            rc = 0; /* still valid for a while: keep using them */
        }
        OPENSSL_cleanse(&fresh, sizeof fresh);
    }
    if (rc == 0)
        *out = ch->cur;
    pthread_mutex_unlock(&ch->lock);
    return rc;
}
