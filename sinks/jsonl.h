/* jsonl.h - JSON lines to a file or stdout: one OCSF object per line, the
 * embedded default sink and the simplest thing a SIEM shipper can tail. */
#ifndef AG_JSONL_H
#define AG_JSONL_H

#include <stddef.h>

#include "conf/conf.h"
#include "sinks/ocsf.h"
#include "sinks/sink.h"

enum ag_event_filter { AG_EVENTS_ALL = 0, AG_EVENTS_FAILURES, AG_EVENTS_NONE };

/* The output file's permissions when none are configured: it holds raw
 * auth.log lines (user names that are sometimes passwords). */
#define AG_JSONL_MODE 0600u

/* Does filter let kind through? */
int ag_event_filter_pass(enum ag_event_filter filter, enum ag_kind kind);

struct ag_jsonl_opts {
    enum ag_event_filter events;
    unsigned mode;  /* permissions of the file: set when it is created or opened */
    /* 1: a write that fails for want of room (ENOSPC, EDQUOT, EFBIG) keeps
     * its lines and writes them again until they are out; flush reports them
     * every time until then, and a full buffer makes the feeding thread
     * wait. For a host that keeps positions (run). 0: the lines are dropped
     * and the next flush reports them once, for a host that sends them
     * again (rsyslog, fluent-bit) or says they are lost (scan). */
    int hold;
};

/* path "-" is stdout. ctx is copied by pointer and must outlive the sink.
 * A file is opened without following a symbolic link, created with
 * o->mode; its unterminated last line, if any (a write cut short by a
 * crash), is cut off before the first write, or ended with a newline when
 * it is not a line of this sink. */
struct ag_sink *ag_jsonl_open(const char *path, const struct ag_jsonl_opts *o,
                              const struct ag_ocsf_ctx *ctx, char *err, size_t errlen);

/* ag_jsonl_open with mode AG_JSONL_MODE, without hold. */
struct ag_sink *ag_jsonl_new(const char *path, enum ag_event_filter events,
                             const struct ag_ocsf_ctx *ctx, char *err, size_t errlen);

/* From [sink.jsonl]: path (default "-"), events = all|failures|none,
 * mode (default 0600); hold as env->hold_undelivered says. */
struct ag_sink *ag_jsonl_create(const struct ag_sink_env *env, char *err, size_t errlen);

#endif
