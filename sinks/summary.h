/* summary.h - the built-in summarizer: a finding -> the incident summary a
 * SOC analyst expects (key findings, recommended actions with exact
 * commands, further recommendations), with no network and no model.
 *
 * It is always attached first; a Bedrock summary may replace it later. The
 * commands are text for a person and nothing here executes them. Every
 * value put into a command is validated (addresses re-formatted from parsed
 * bytes, AWS ids checked for their charset, user names quoted or replaced
 * by a placeholder), and private, loopback or allow-listed sources are never
 * proposed for blocking. */
#ifndef AG_SUMMARY_H
#define AG_SUMMARY_H

#include <stddef.h>

#include "engine/finding.h"
#include "filters/addr.h"
#include "sinks/escape.h"

#define AG_SUMMARY_MAX_SGS 8
#define AG_AWS_ID_MAX 64

/* What is known about the instance (from IMDS, or nothing): empty strings
 * become placeholders such as <subnet-id> in the commands. */
struct ag_instance_ctx {
    char instance_id[AG_AWS_ID_MAX];
    char region[AG_AWS_ID_MAX];
    char availability_zone[AG_AWS_ID_MAX];
    char account_id[AG_AWS_ID_MAX];
    char vpc_id[AG_AWS_ID_MAX];
    char subnet_id[AG_AWS_ID_MAX];
    char network_acl_id[AG_AWS_ID_MAX];
    size_t n_security_groups;
    char security_groups[AG_SUMMARY_MAX_SGS][AG_AWS_ID_MAX];
};

struct ag_summary_config {
    const struct ag_cidr *allowlist;  /* never proposed for blocking */
    size_t n_allowlist;
    const char *trusted_ssh_cidr;     /* for "restrict SSH"; NULL: placeholder */
    unsigned nacl_rule_number;        /* 1..32766; default 90 */
    unsigned ssh_port;                /* default 22 */
    const struct ag_instance_ctx *instance; /* may be NULL */
};

void ag_summary_config_defaults(struct ag_summary_config *cfg);

/* Writes the summary of f into a malloc'd string (NULL when out of memory).
 * remediation, if not NULL, receives a malloc'd copy of its recommended
 * actions alone, numbered steps with their commands, for OCSF
 * remediation.desc and every other place that shows authguard's own
 * actions apart from any other text (NULL when out of memory). */
char *ag_summary_build(const struct ag_finding *f, const struct ag_summary_config *cfg,
                       char **remediation);

/* Builds the summary into f->summary with summary_source "local". 0 or -ENOMEM. */

/* The mark that starts every line of a model's text shown to a person. */
#define AG_SUMMARY_MODEL_MARK "model> "
/* Columns of model text per line before it wraps (a wide character counts
 * two), so that a terminal or mail client does not wrap it into lines
 * without the mark. */
#define AG_SUMMARY_MODEL_WIDTH 72

/* Writes a model's text (f->model_summary) for a person: every line starts
 * with indent and AG_SUMMARY_MODEL_MARK, is wrapped at
 * AG_SUMMARY_MODEL_WIDTH columns, escaped for a terminal, and ends with eol.
 * No line of it can look like one of authguard's, whatever it says. */
void ag_summary_put_model_text(struct ag_buf *b, const char *text, const char *indent,
                               const char *eol);
int ag_summary_attach(struct ag_finding *f, const struct ag_summary_config *cfg);

/* Is a source one that authguard may recommend blocking? Not private,
 * loopback, link-local, unspecified, or inside the allowlist. */
int ag_summary_may_block(const struct ag_addr *a, const struct ag_summary_config *cfg);

/* Safe to paste into a shell inside single quotes: [A-Za-z0-9._-], 1..32
 * bytes, not starting with '-'. */
int ag_summary_user_is_safe(const char *user);

/* An AWS resource id of the given prefix ("sg-", "acl-", "subnet-"):
 * prefix followed by 1..32 lowercase hex or alphanumerics. */
int ag_summary_aws_id_ok(const char *id, const char *prefix);

#endif
