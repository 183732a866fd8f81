/* aws.h - what authguard needs of AWS without an SDK: SigV4 signing on
 * libcrypto, URI encoding, the credentials chain (environment, shared files,
 * container endpoint, IMDSv2 role) with expiry, and an IMDSv2 client for
 * the instance context the summaries name in their commands.
 *
 * libcurl 7.88's own SigV4 cannot sign model ids with ':' in the path, so
 * the signer is written here (see DESIGN.md, sinks/). */
#ifndef AG_AWS_H
#define AG_AWS_H

#include <stddef.h>
#include <stdint.h>

#include "sinks/summary.h"

struct ag_conf;

#define AG_AWS_AKID_MAX 128
#define AG_AWS_SECRET_MAX 128
#define AG_AWS_TOKEN_MAX 4096
#define AG_AWS_URL_MAX 512

/* ---- SigV4 ------------------------------------------------------------ */

struct ag_aws_creds {
    char akid[AG_AWS_AKID_MAX];
    char secret[AG_AWS_SECRET_MAX];
    char token[AG_AWS_TOKEN_MAX]; /* "" for long-term keys */
    int64_t expires_ms;           /* epoch ms; 0: does not expire */
    const char *source;           /* static: "env", "profile", "container", "imds" */
};

struct ag_aws_header {
    const char *name;
    const char *value;
};

/* One request to sign. headers must include host and x-amz-date (and
 * x-amz-security-token for temporary credentials): every header given is
 * signed. path is as sent on the wire; query is raw (NULL or "" for none). */
struct ag_sigv4_req {
    const char *method;
    const char *path;
    const char *query;
    const struct ag_aws_header *headers;
    size_t n_headers;
    const void *body;
    size_t body_len;
    const char *region;
    const char *service;
    const char *amz_date; /* "20150830T123600Z" */
};

/* What signing produced; creq/sts point into the caller's optional buffers
 * (NULL caps: not kept), for tests and for debugging signature mismatches. */
struct ag_sigv4_out {
    char authorization[1024];
    char signature[65];
    char *creq;
    size_t creq_cap;
    char *sts;
    size_t sts_cap;
};

/* 0, -EINVAL (bad input), -E2BIG (a bound exceeded) or -ENOMEM. */
int ag_sigv4_sign(const struct ag_sigv4_req *r, const struct ag_aws_creds *c,
                  struct ag_sigv4_out *out);

/* Percent-encodes s[0..n) keeping A-Za-z0-9-_.~ (and '/' if keep_slash).
 * Returns the length written (NUL-terminated), or -1 if cap is too small. */
long ag_aws_uri_encode(const char *s, size_t n, int keep_slash, char *out, size_t cap);

/* epoch seconds -> "YYYYMMDDTHHMMSSZ" (out holds 17). */
void ag_aws_amz_date(int64_t epoch_s, char *out);

/* "2026-11-29T12:00:00Z" -> epoch ms; -1 if malformed. */
int64_t ag_aws_parse_iso8601(const char *s);

/* ---- configuration: [aws] ---------------------------------------------- */

struct ag_aws_config {
    int imds;                          /* fetch the instance context at start */
    char imds_endpoint[AG_AWS_URL_MAX];/* default http://169.254.169.254 */
    int64_t imds_timeout_ms;           /* per request; default 1000 */
    int64_t imds_refresh_ms;           /* instance context max age; default 15 min */
    char profile[64];                  /* default: $AWS_PROFILE or "default" */
};

void ag_aws_config_defaults(struct ag_aws_config *cfg);
/* Reads [aws] into cfg (defaults first). 0 or -1 with err. */
int ag_aws_config_load(const struct ag_conf *c, struct ag_aws_config *cfg, char *err,
                       size_t errlen);

/* ---- IMDSv2 ------------------------------------------------------------- */

struct ag_imds;

/* Thread-safe: one session token shared by every caller, re-fetched
 * before its TTL ends or when the service answers 401. */
struct ag_imds *ag_imds_new(const char *endpoint, int64_t timeout_ms, int64_t refresh_ms);
void ag_imds_free(struct ag_imds *m);

/* GET endpoint+path with the token; body into out (NUL-terminated).
 * 0, or -ENOENT (404), -EACCES (refused), -EIO (unreachable), -E2BIG. */
int ag_imds_get(struct ag_imds *m, const char *path, char *out, size_t cap);

/* The instance context, fetched at most every refresh_ms (cached copy
 * otherwise). Ids that fail their charset check are left empty. 0 or <0
 * (nothing known; out zeroed). */
int ag_imds_instance(struct ag_imds *m, struct ag_instance_ctx *out);

/* The instance role's temporary credentials. */
int ag_imds_role_creds(struct ag_imds *m, struct ag_aws_creds *out, char *err, size_t errlen);

/* Counters for tests and the summary line. */
struct ag_imds_stats {
    unsigned long tokens, gets, refused;
};
void ag_imds_stats(struct ag_imds *m, struct ag_imds_stats *st);

/* For the pipeline at start: with [aws] imds = on, the instance context
 * from IMDS into out (its commands then name real sg-/subnet- ids).
 * 1 fetched, 0 off or nothing known (out zeroed, a note in err), -1 on a
 * bad [aws] section (err). */
int ag_aws_instance_at_start(const struct ag_conf *c, struct ag_instance_ctx *out, char *err,
                             size_t errlen);

/* ---- credentials chain -------------------------------------------------- */

struct ag_aws_chain;

/* imds may be NULL (no instance role step); it must outlive the chain. */
struct ag_aws_chain *ag_aws_chain_new(const struct ag_aws_config *cfg, struct ag_imds *imds);
void ag_aws_chain_free(struct ag_aws_chain *ch);

/* Current credentials, resolved in SDK order (environment, shared
 * credentials/config files, container endpoint, instance role) and
 * refreshed when they expire within 10 minutes. 0, or -1 with err. */
int ag_aws_chain_get(struct ag_aws_chain *ch, int64_t now_ms, struct ag_aws_creds *out,
                     char *err, size_t errlen);

/* Region from $AWS_REGION, $AWS_DEFAULT_REGION or the profile's config;
 * "" when none. */
void ag_aws_default_region(const struct ag_aws_config *cfg, char *out, size_t cap);

/* ---- HTTP (libcurl) ----------------------------------------------------- */

struct ag_http_resp {
    long status;        /* 0: no answer (connection error, timeout) */
    char *body;         /* malloc'd, NUL-terminated; NULL if none */
    size_t len;
    int truncated;      /* the body exceeded the cap */
    char error_type[128];  /* x-amzn-ErrorType up to the first ':' */
    char request_id[96];   /* x-amzn-RequestId */
    int timed_out;
    char curl_error[256];
};

/* One request on handle (a CURL *, reused per thread); headers are "Name:
 * value" strings. body may be NULL (GET). Returns 0 when an HTTP answer
 * arrived (any status), -1 otherwise; resp->body must be freed. */
int ag_http_do(void *handle, const char *method, const char *url, const char *const *headers,
               size_t n_headers, const char *body, size_t body_len, long connect_timeout_ms,
               long timeout_ms, size_t body_cap, struct ag_http_resp *resp);

/* The same, abandoned as soon as *abort becomes nonzero (shutdown). */
int ag_http_do_abortable(void *handle, const char *method, const char *url,
                         const char *const *headers, size_t n_headers, const char *body,
                         size_t body_len, long connect_timeout_ms, long timeout_ms,
                         size_t body_cap, const _Atomic int *abort, struct ag_http_resp *resp);
void ag_http_resp_free(struct ag_http_resp *r);

/* The keys of [aws]: names, types, bounds, defaults, help. */
struct ag_conf_section;
extern const struct ag_conf_section ag_aws_section;

#endif
