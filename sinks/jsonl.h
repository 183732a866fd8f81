/* jsonl.h - JSON lines to a file or stdout: one OCSF object per line, the
 * embedded default sink and the simplest thing a SIEM shipper can tail. */
#ifndef AG_JSONL_H
#define AG_JSONL_H

#include <stddef.h>

#include "conf/conf.h"
#include "sinks/ocsf.h"
#include "sinks/sink.h"

enum ag_event_filter { AG_EVENTS_ALL = 0, AG_EVENTS_FAILURES, AG_EVENTS_NONE };

/* Does filter let kind through? */
int ag_event_filter_pass(enum ag_event_filter filter, enum ag_kind kind);

/* path "-" is stdout. ctx is copied by pointer and must outlive the sink. */
struct ag_sink *ag_jsonl_new(const char *path, enum ag_event_filter events,
                             const struct ag_ocsf_ctx *ctx, char *err, size_t errlen);

/* From [sink.jsonl]: path (default "-"), events = all|failures|none. */
struct ag_sink *ag_jsonl_create(const struct ag_sink_env *env, char *err, size_t errlen);

#endif
