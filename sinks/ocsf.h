/* ocsf.h - authguard's events and findings as OCSF 1.1.0 JSON: Authentication
 * (class 3002) for events, Detection Finding (class 2004) for findings.
 *
 * Written with the escaping buffer of escape.h rather than a JSON object
 * library, because every event of a busy host passes through here: one pass,
 * no allocation, every attacker-written byte escaped. */
#ifndef AG_OCSF_H
#define AG_OCSF_H

#include <stdint.h>

#include "engine/finding.h"
#include "filters/event.h"
#include "sinks/escape.h"

#define AG_OCSF_VERSION "1.1.0"
#define AG_OCSF_SCHEMA_EVENT "ocsf/1.1.0/3002"
#define AG_OCSF_SCHEMA_FINDING "ocsf/1.1.0/2004"

/* What the host knows about itself; every field may be NULL / empty. */
struct ag_ocsf_ctx {
    const char *product_version;
    const char *instance_id;   /* i-0abc..., from IMDS */
    const char *region;
    const char *account_id;
};

/* What a summarizer reports about the summary it publishes: while it
 * hands an Update to the pipeline, the finding's ext points to one of these
 * (NULL otherwise), and unmapped.authguard carries it. */
struct ag_summary_meta {
    const char *model;          /* model id, or NULL */
    uint32_t input_tokens, output_tokens;
    uint32_t latency_ms;        /* of the whole exchange, tool rounds included */
    uint32_t tool_rounds;
    const char *error;          /* why the built-in summary stands, or NULL */
};

/* Appends one OCSF Authentication object (no newline). counts (the
 * engine's counts of the event's source at that moment) may be NULL. */
void ag_ocsf_event(struct ag_buf *b, const struct ag_event *ev,
                   const struct ag_ocsf_ctx *ctx, const struct ag_counts *counts);

/* Appends one OCSF Detection Finding (activity Create or Update from
 * f->activity). authguard's own text goes where consumers act on it: its
 * summary (f->summary) to finding_info.desc, remediation (its recommended
 * actions with commands; may be NULL) to remediation.desc. A model's text
 * (f->model_summary) only to unmapped.authguard.model_summary, with its
 * source and a trust note, and llm_generated true. */
void ag_ocsf_finding(struct ag_buf *b, const struct ag_finding *f,
                     const struct ag_ocsf_ctx *ctx, const char *remediation);

/* OCSF status/severity a kind maps to; exposed for tests and the table view. */
int ag_ocsf_event_severity(enum ag_kind kind);
int ag_ocsf_event_status(enum ag_kind kind);

#endif
