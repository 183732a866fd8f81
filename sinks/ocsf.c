/* ocsf.c - struct ag_event (and findings) -> OCSF 1.1.0 JSON.
 * Field choices follow the OCSF 1.1.0 Authentication class; what OCSF has no
 * field for (the kind, the count a line stands for) goes under
 * unmapped.authguard so no information is lost. */
#include "sinks/ocsf.h"

#include <string.h>

#include "filters/addr.h"

int ag_ocsf_event_status(enum ag_kind kind)
{
    return kind == AG_EV_AUTH_SUCCESS ? 1 : 2; /* 1 Success, 2 Failure */
}

int ag_ocsf_event_severity(enum ag_kind kind)
{
    if (kind == AG_EV_AUTH_SUCCESS)
        return 1; /* Informational */
    if (ag_kind_is_preauth(kind))
        return 2; /* Low: noise until it adds up */
    if (kind == AG_EV_SUDO_DENIED || kind == AG_EV_MAC_ERROR)
        return 4; /* High: a single line is already suspicious */
    return 3;     /* Medium: a credential failure */
}

static int is_local_program(const struct ag_event *ev)
{
    return ag_kind_is_privilege((enum ag_kind)ev->kind) ||
           ev->kind == AG_EV_LOGIN_FAILURE;
}

static void put_span_str(struct ag_buf *b, const struct ag_event *ev,
                         struct ag_span s)
{
    ag_buf_json_str(b, ag_span_ptr(ev, s), s.len);
}

static void upper_name(struct ag_buf *b, const char *name)
{
    ag_buf_putc(b, '"');
    for (const char *p = name; *p; p++)
        ag_buf_putc(b, (*p >= 'a' && *p <= 'z') ? (char)(*p - 32) : *p);
    ag_buf_putc(b, '"');
}

static void put_user(struct ag_buf *b, const struct ag_event *ev)
{
    /* OCSF requires user; an event without a name (a scanner that never
     * sent one) gets an empty name rather than an invented one. */
    ag_buf_puts(b, ",\"user\":{\"name\":");
    put_span_str(b, ev, ev->user);
    if (ev->flags & AG_EVF_INVALID_USER)
        ag_buf_puts(b, ",\"type\":\"Unknown\",\"type_id\":0");
    ag_buf_putc(b, '}');
}

static size_t src_text(const struct ag_event *ev, char *ip)
{
    return ev->src.af != AG_AF_NONE ? ag_addr_format(&ev->src, ip) : 0;
}

static void put_src(struct ag_buf *b, const struct ag_event *ev, const char *ip,
                    size_t iplen)
{
    if (!iplen && !(ev->flags & AG_EVF_SRC_IS_NAME))
        return;
    ag_buf_puts(b, ",\"src_endpoint\":{");
    if (iplen) {
        ag_buf_puts(b, "\"ip\":");
        ag_buf_json_str(b, ip, iplen);
    } else {
        ag_buf_puts(b, "\"hostname\":");
        put_span_str(b, ev, ev->src_name);
    }
    if (ev->src_port) {
        ag_buf_puts(b, ",\"port\":");
        ag_buf_put_u64(b, ev->src_port);
    }
    ag_buf_putc(b, '}');
}

static void put_dst(struct ag_buf *b, const struct ag_event *ev,
                    const struct ag_ocsf_ctx *ctx)
{
    ag_buf_puts(b, ",\"dst_endpoint\":{\"hostname\":");
    put_span_str(b, ev, ev->host);
    if (ctx && ctx->instance_id && *ctx->instance_id) {
        ag_buf_puts(b, ",\"instance_uid\":");
        ag_buf_json_str(b, ctx->instance_id, strlen(ctx->instance_id));
    }
    if (!is_local_program(ev) && ev->program.len >= 4 &&
        memcmp(ag_span_ptr(ev, ev->program), "sshd", 4) == 0)
        ag_buf_puts(b, ",\"svc_name\":\"ssh\"");
    ag_buf_putc(b, '}');
}

static void put_observables(struct ag_buf *b, const struct ag_event *ev,
                            const char *ip, size_t iplen)
{
    int first = 1;
    ag_buf_puts(b, ",\"observables\":[");
    if (iplen) {
        ag_buf_puts(b, "{\"name\":\"src_endpoint.ip\",\"type_id\":2,\"value\":");
        ag_buf_json_str(b, ip, iplen);
        ag_buf_putc(b, '}');
        first = 0;
    } else if (ev->flags & AG_EVF_SRC_IS_NAME) {
        ag_buf_puts(b, "{\"name\":\"src_endpoint.hostname\",\"type_id\":1,\"value\":");
        put_span_str(b, ev, ev->src_name);
        ag_buf_putc(b, '}');
        first = 0;
    }
    if (ev->user.len) {
        if (!first)
            ag_buf_putc(b, ',');
        ag_buf_puts(b, "{\"name\":\"user.name\",\"type_id\":4,\"value\":");
        put_span_str(b, ev, ev->user);
        ag_buf_putc(b, '}');
    }
    ag_buf_putc(b, ']');
}

static void put_cloud(struct ag_buf *b, const struct ag_ocsf_ctx *ctx)
{
    if (!ctx || !ctx->region || !*ctx->region)
        return;
    ag_buf_puts(b, ",\"cloud\":{\"provider\":\"AWS\",\"region\":");
    ag_buf_json_str(b, ctx->region, strlen(ctx->region));
    if (ctx->account_id && *ctx->account_id) {
        ag_buf_puts(b, ",\"account\":{\"uid\":");
        ag_buf_json_str(b, ctx->account_id, strlen(ctx->account_id));
        ag_buf_putc(b, '}');
    }
    ag_buf_putc(b, '}');
}

static void put_metadata(struct ag_buf *b, const struct ag_ocsf_ctx *ctx)
{
    ag_buf_puts(b, ",\"metadata\":{\"version\":\"" AG_OCSF_VERSION "\","
                   "\"product\":{\"name\":\"authguard\",\"vendor_name\":\"authguard\"");
    if (ctx && ctx->product_version) {
        ag_buf_puts(b, ",\"version\":");
        ag_buf_json_str(b, ctx->product_version, strlen(ctx->product_version));
    }
    ag_buf_puts(b, "}}");
}

static void put_counts_obj(struct ag_buf *b, const struct ag_counts *c);

static void put_unmapped(struct ag_buf *b, const struct ag_event *ev,
                         const struct ag_counts *counts)
{
    ag_buf_puts(b, ",\"unmapped\":{\"authguard\":{\"kind\":\"");
    ag_buf_puts(b, ag_kind_name((enum ag_kind)ev->kind));
    ag_buf_puts(b, "\",\"count\":");
    ag_buf_put_u64(b, ev->count);
    if (ev->method != AG_M_NONE) {
        ag_buf_puts(b, ",\"method\":\"");
        ag_buf_puts(b, ag_method_name((enum ag_method)ev->method));
        ag_buf_putc(b, '"');
    }
    if (ev->ruser.len) {
        ag_buf_puts(b, ",\"ruser\":");
        put_span_str(b, ev, ev->ruser);
    }
    if (ev->target.len) {
        ag_buf_puts(b, ",\"target_user\":");
        put_span_str(b, ev, ev->target);
    }
    if (ev->service.len) {
        ag_buf_puts(b, ",\"pam_service\":");
        put_span_str(b, ev, ev->service);
    }
    if (ev->flags & AG_EVF_USER_TRUNCATED)
        ag_buf_puts(b, ",\"user_truncated\":true");
    if (!(ev->flags & AG_EVF_TIME_FROM_LOG))
        ag_buf_puts(b, ",\"time_from_arrival\":true");
    if (counts && counts->key_kind != AG_KEY_NONE) {
        ag_buf_puts(b, ",\"counts_of\":\"");
        ag_buf_puts(b, ag_key_kind_name((enum ag_key_kind)counts->key_kind));
        ag_buf_puts(b, "\",\"counts\":");
        put_counts_obj(b, counts);
    }
    ag_buf_puts(b, "}}");
}

void ag_ocsf_event(struct ag_buf *b, const struct ag_event *ev,
                   const struct ag_ocsf_ctx *ctx, const struct ag_counts *counts)
{
    enum ag_kind kind = (enum ag_kind)ev->kind;
    char ip[AG_ADDR_STRLEN];
    size_t iplen = src_text(ev, ip);
    int local = is_local_program(ev);

    ag_buf_puts(b, "{\"class_uid\":3002,\"class_name\":\"Authentication\","
                   "\"category_uid\":3,\"activity_id\":1,\"type_uid\":300201,"
                   "\"time\":");
    ag_buf_put_i64(b, ev->time_ms);
    ag_buf_puts(b, ",\"severity_id\":");
    ag_buf_put_u64(b, (uint64_t)ag_ocsf_event_severity(kind));
    ag_buf_puts(b, ",\"status_id\":");
    ag_buf_put_u64(b, (uint64_t)ag_ocsf_event_status(kind));
    ag_buf_puts(b, ",\"status_detail\":");
    upper_name(b, ag_kind_name(kind));
    ag_buf_puts(b, local ? ",\"is_remote\":false,\"logon_type_id\":2"
                         : ",\"is_remote\":true,\"logon_type_id\":3");
    ag_buf_puts(b, ",\"message\":");
    put_span_str(b, ev, ev->msg);
    put_user(b, ev);
    put_src(b, ev, ip, iplen);
    put_dst(b, ev, ctx);
    ag_buf_puts(b, ",\"service\":{\"name\":");
    put_span_str(b, ev, ev->program);
    ag_buf_putc(b, '}');
    if (ev->pid) {
        ag_buf_puts(b, ",\"actor\":{\"process\":{\"pid\":");
        ag_buf_put_u64(b, ev->pid);
        ag_buf_puts(b, ",\"name\":");
        put_span_str(b, ev, ev->program);
        ag_buf_puts(b, "}}");
    }
    put_observables(b, ev, ip, iplen);
    put_cloud(b, ctx);
    ag_buf_puts(b, ",\"raw_data\":");
    ag_buf_json_str(b, ev->line, ev->line_len);
    put_metadata(b, ctx);
    put_unmapped(b, ev, counts);
    ag_buf_putc(b, '}');
}

/* ---- Detection Finding (2004) ------------------------------------------ */

static void put_cstr(struct ag_buf *b, const char *s)
{
    ag_buf_json_str(b, s, strlen(s));
}

static void put_kv_u64(struct ag_buf *b, const char *key, uint64_t v, int first)
{
    ag_buf_json_key(b, key, first);
    ag_buf_put_u64(b, v);
}

static void put_name_array(struct ag_buf *b, const char *key, const char *names,
                           size_t stride, uint32_t n)
{
    ag_buf_json_key(b, key, 0);
    ag_buf_putc(b, '[');
    for (uint32_t i = 0; i < n; i++) {
        const char *s = names + (size_t)i * stride;
        if (i)
            ag_buf_putc(b, ',');
        ag_buf_json_str(b, s, strnlen(s, stride));
    }
    ag_buf_putc(b, ']');
}

static void put_finding_info(struct ag_buf *b, const struct ag_finding *f)
{
    ag_buf_puts(b, ",\"finding_info\":{\"uid\":");
    put_cstr(b, f->uid);
    ag_buf_puts(b, ",\"title\":");
    put_cstr(b, f->title);
    if (f->summary) {
        ag_buf_puts(b, ",\"desc\":");
        put_cstr(b, f->summary);
    }
    ag_buf_puts(b, ",\"types\":[");
    put_cstr(b, f->rule_name);
    ag_buf_puts(b, "],\"analytic\":{\"type_id\":1,\"type\":\"Rule\",\"name\":");
    put_cstr(b, f->rule_name);
    ag_buf_puts(b, ",\"uid\":");
    put_cstr(b, f->rule_name);
    ag_buf_puts(b, "},\"attacks\":[{\"technique\":{\"uid\":");
    put_cstr(b, f->technique_id);
    ag_buf_puts(b, ",\"name\":");
    put_cstr(b, f->technique_name);
    ag_buf_puts(b, "},\"tactic\":{\"uid\":");
    put_cstr(b, f->tactic_id);
    ag_buf_puts(b, ",\"name\":");
    put_cstr(b, f->tactic_name);
    ag_buf_puts(b, "},\"version\":\"v15\"}]");
    if (f->first_seen_ms) {
        ag_buf_puts(b, ",\"first_seen_time\":");
        ag_buf_put_i64(b, f->first_seen_ms);
        ag_buf_puts(b, ",\"last_seen_time\":");
        ag_buf_put_i64(b, f->last_seen_ms);
    }
    ag_buf_puts(b, ",\"created_time\":");
    ag_buf_put_i64(b, f->created_ms);
    ag_buf_puts(b, ",\"modified_time\":");
    ag_buf_put_i64(b, f->time_ms);
    ag_buf_putc(b, '}');
}

static void put_counts_obj(struct ag_buf *b, const struct ag_counts *c)
{
    ag_buf_putc(b, '{');
    put_kv_u64(b, "failures", c->failures, 1);
    put_kv_u64(b, "invalid_users", c->invalid_users, 0);
    put_kv_u64(b, "successes", c->successes, 0);
    put_kv_u64(b, "preauth", c->preauth, 0);
    put_kv_u64(b, "privilege", c->privilege, 0);
    put_kv_u64(b, "failures_short", c->failures_short, 0);
    put_kv_u64(b, "failures_long", c->failures_long, 0);
    put_kv_u64(b, "distinct_users", c->distinct_users, 0);
    put_kv_u64(b, "distinct_sources", c->distinct_sources, 0);
    ag_buf_putc(b, '}');
}

static void put_evidence(struct ag_buf *b, const struct ag_finding *f)
{
    char ip[AG_ADDR_STRLEN];
    ag_buf_puts(b, ",\"evidences\":[{");
    if (f->key_addr.af != AG_AF_NONE) {
        size_t n = ag_addr_format(&f->key_addr, ip);
        ag_buf_puts(b, "\"src_endpoint\":{\"ip\":");
        ag_buf_json_str(b, ip, n);
        ag_buf_puts(b, "},");
    }
    if (f->key_kind == AG_KEY_USER || f->key_kind == AG_KEY_LOCAL_USER) {
        ag_buf_puts(b, "\"actor\":{\"user\":{\"name\":");
        ag_buf_json_str(b, f->key, strnlen(f->key, sizeof f->key));
        ag_buf_puts(b, "}},");
    } else if (f->login_user[0]) { /* the account that logged in */
        ag_buf_puts(b, "\"actor\":{\"user\":{\"name\":");
        ag_buf_json_str(b, f->login_user, strnlen(f->login_user, sizeof f->login_user));
        ag_buf_puts(b, "}},");
    }
    ag_buf_puts(b, "\"data\":");
    put_counts_obj(b, &f->counts);
    ag_buf_puts(b, "}]");
}

static void put_finding_observables(struct ag_buf *b, const struct ag_finding *f)
{
    char ip[AG_ADDR_STRLEN];
    ag_buf_puts(b, ",\"observables\":[");
    if (f->key_addr.af != AG_AF_NONE) {
        size_t n = ag_addr_format(&f->key_addr, ip);
        ag_buf_puts(b, "{\"name\":\"src_endpoint.ip\",\"type_id\":2,\"value\":");
        ag_buf_json_str(b, ip, n);
        ag_buf_putc(b, '}');
    } else {
        ag_buf_puts(b, "{\"name\":\"user.name\",\"type_id\":4,\"value\":");
        ag_buf_json_str(b, f->key, strnlen(f->key, sizeof f->key));
        ag_buf_putc(b, '}');
    }
    ag_buf_putc(b, ']');
}

static void put_resources(struct ag_buf *b, const struct ag_finding *f,
                          const struct ag_ocsf_ctx *ctx)
{
    ag_buf_puts(b, ",\"resources\":[");
    int first = 1;
    if (ctx && ctx->instance_id && *ctx->instance_id) {
        ag_buf_puts(b, "{\"uid\":");
        put_cstr(b, ctx->instance_id);
        ag_buf_puts(b, ",\"type\":\"AWS::EC2::Instance\"");
        if (ctx->region && *ctx->region) {
            ag_buf_puts(b, ",\"region\":");
            put_cstr(b, ctx->region);
        }
        ag_buf_putc(b, '}');
        first = 0;
    }
    for (uint32_t i = 0; i < f->n_hosts; i++) {
        if (!first)
            ag_buf_putc(b, ',');
        ag_buf_puts(b, "{\"name\":");
        ag_buf_json_str(b, f->hosts[i], strnlen(f->hosts[i], AG_FINDING_NAME_MAX));
        ag_buf_puts(b, ",\"type\":\"Host\"}");
        first = 0;
    }
    ag_buf_putc(b, ']');
}

static void put_samples(struct ag_buf *b, const struct ag_finding *f)
{
    ag_buf_json_key(b, "samples", 0);
    ag_buf_putc(b, '[');
    for (uint32_t i = 0; i < f->n_samples; i++) {
        const struct ag_finding_sample *s = &f->samples[i];
        if (i)
            ag_buf_putc(b, ',');
        ag_buf_puts(b, "{\"time\":");
        ag_buf_put_i64(b, s->time_ms);
        ag_buf_puts(b, ",\"kind\":\"");
        ag_buf_puts(b, ag_kind_name((enum ag_kind)s->kind));
        ag_buf_puts(b, "\",\"line\":");
        ag_buf_json_str(b, s->text, s->len);
        if (s->truncated)
            ag_buf_puts(b, ",\"truncated\":true");
        ag_buf_putc(b, '}');
    }
    ag_buf_putc(b, ']');
}

static void put_summary_meta(struct ag_buf *b, const struct ag_summary_meta *m)
{
    if (m->model) {
        ag_buf_puts(b, ",\"summary_model\":");
        put_cstr(b, m->model);
        ag_buf_puts(b, ",\"summary_usage\":{\"input_tokens\":");
        ag_buf_put_u64(b, m->input_tokens);
        put_kv_u64(b, "output_tokens", m->output_tokens, 0);
        ag_buf_putc(b, '}');
        put_kv_u64(b, "summary_latency_ms", m->latency_ms, 0);
        put_kv_u64(b, "summary_tool_rounds", m->tool_rounds, 0);
    }
    if (m->error) {
        ag_buf_puts(b, ",\"summary_error\":");
        put_cstr(b, m->error);
    }
}

static void put_finding_unmapped(struct ag_buf *b, const struct ag_finding *f)
{
    ag_buf_puts(b, ",\"unmapped\":{\"authguard\":{\"rule\":");
    put_cstr(b, f->rule_name);
    ag_buf_puts(b, ",\"key_kind\":");
    put_cstr(b, ag_key_kind_name((enum ag_key_kind)f->key_kind));
    ag_buf_puts(b, ",\"key\":");
    ag_buf_json_str(b, f->key, strnlen(f->key, sizeof f->key));
    put_kv_u64(b, "threshold", f->threshold, 0);
    put_kv_u64(b, "observed", f->observed, 0);
    put_kv_u64(b, "window_s", f->window_s, 0);
    put_kv_u64(b, "update_seq", f->update_seq, 0);
    ag_buf_puts(b, ",\"counts\":");
    put_counts_obj(b, &f->counts);
    put_name_array(b, "users", &f->users[0][0], AG_FINDING_NAME_MAX, f->n_users);
    put_name_array(b, "hosts", &f->hosts[0][0], AG_FINDING_NAME_MAX, f->n_hosts);
    put_name_array(b, "sources", &f->sources[0][0], AG_ADDR_STRLEN, f->n_sources);
    put_samples(b, f);
    if (f->login_user[0]) {
        ag_buf_puts(b, ",\"login_user\":");
        ag_buf_json_str(b, f->login_user, strnlen(f->login_user, sizeof f->login_user));
    }
    if (f->summary) {
        /* finding_info.desc: always authguard's own text. */
        ag_buf_puts(b, ",\"summary_source\":");
        put_cstr(b, f->summary_source[0] ? f->summary_source : "local");
    }
    /* A model's text is untrusted downstream: only here, never in desc or
     * remediation, and labelled as what it is. */
    ag_buf_puts(b, f->model_summary ? ",\"llm_generated\":true" : ",\"llm_generated\":false");
    if (f->model_summary) {
        ag_buf_puts(b, ",\"model_summary\":{\"source\":");
        put_cstr(b, f->model_source[0] ? f->model_source : "model");
        ag_buf_puts(b, ",\"trust\":\"untrusted: written by a language model, not checked by "
                       "authguard; its recommended actions are in remediation\",\"text\":");
        put_cstr(b, f->model_summary);
        ag_buf_putc(b, '}');
    }
    if (f->ext)
        put_summary_meta(b, f->ext);
    ag_buf_puts(b, "}}");
}

static int finding_confidence(const struct ag_finding *f)
{
    if (f->rule == AG_RULE_COMPROMISE || f->observed >= 2 * f->threshold)
        return 3;
    return 2;
}

void ag_ocsf_finding(struct ag_buf *b, const struct ag_finding *f,
                     const struct ag_ocsf_ctx *ctx, const char *remediation)
{
    int update = f->activity == AG_ACTIVITY_UPDATE;
    ag_buf_puts(b, "{\"class_uid\":2004,\"class_name\":\"Detection Finding\","
                   "\"category_uid\":2,\"category_name\":\"Findings\",");
    ag_buf_puts(b, update ? "\"activity_id\":2,\"activity_name\":\"Update\",\"type_uid\":200402"
                          : "\"activity_id\":1,\"activity_name\":\"Create\",\"type_uid\":200401");
    ag_buf_puts(b, ",\"time\":");
    ag_buf_put_i64(b, f->time_ms);
    put_kv_u64(b, "severity_id", f->severity, 0);
    ag_buf_puts(b, ",\"severity\":");
    put_cstr(b, ag_severity_name((enum ag_severity)f->severity));
    ag_buf_puts(b, ",\"status_id\":1,\"status\":\"New\"");
    put_kv_u64(b, "confidence_id", (uint64_t)finding_confidence(f), 0);
    ag_buf_puts(b, ",\"message\":");
    put_cstr(b, f->title);
    put_finding_info(b, f);
    put_evidence(b, f);
    put_finding_observables(b, f);
    put_resources(b, f, ctx);
    if (remediation && *remediation) {
        ag_buf_puts(b, ",\"remediation\":{\"desc\":");
        put_cstr(b, remediation);
        ag_buf_putc(b, '}');
    }
    put_cloud(b, ctx);
    put_metadata(b, ctx);
    put_finding_unmapped(b, f);
    ag_buf_putc(b, '}');
}
