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

static void put_unmapped(struct ag_buf *b, const struct ag_event *ev,
                         const struct ag_ocsf_counts *counts)
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
    if (counts) {
        ag_buf_puts(b, ",\"source_counts\":{\"failures\":");
        ag_buf_put_u64(b, counts->failures);
        ag_buf_puts(b, ",\"failures_long\":");
        ag_buf_put_u64(b, counts->failures_long);
        ag_buf_puts(b, ",\"distinct_users\":");
        ag_buf_put_u64(b, counts->distinct_users);
        ag_buf_puts(b, ",\"successes\":");
        ag_buf_put_u64(b, counts->successes);
        ag_buf_putc(b, '}');
    }
    ag_buf_puts(b, "}}");
}

void ag_ocsf_event(struct ag_buf *b, const struct ag_event *ev,
                   const struct ag_ocsf_ctx *ctx,
                   const struct ag_ocsf_counts *counts)
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
