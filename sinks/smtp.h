/* smtp.h - findings by mail: each finding with authguard's own summary and
 * actions, then, when it arrives within a deadline, the Bedrock one quoted
 * line by line as a model's, as plain RFC 5322 text through libcurl
 * (smtp://, smtps://, STARTTLS), rate-limited per hour, sent from the
 * sink's own thread. */
#ifndef AG_SMTP_H
#define AG_SMTP_H

#include <stddef.h>

#include "sinks/sink.h"

/* From [sink.smtp]; NULL with err filled. */
struct ag_sink *ag_smtp_create(const struct ag_sink_env *env, char *err, size_t errlen);

#endif
