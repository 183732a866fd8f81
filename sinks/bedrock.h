/* bedrock.h - the Bedrock summarizer: a sink that asks Amazon Bedrock's
 * Converse API for the incident summary a SOC analyst would write, off the
 * hot path (bounded queue, small worker pool, per-key cooldown, hourly call
 * and daily token budgets, retries with jittered backoff), and publishes it
 * as an Update of the finding. When Bedrock is unreachable, throttled past
 * the budget or answers garbage, the built-in summary stands and the
 * Update says why.
 *
 * Model output is untrusted: cleaned like attacker text, it goes into the
 * finding's model_summary, a field of its own, and every output shows it
 * apart from authguard's summary and commands, marked as a model's; it is
 * never executed. Attacker text reaches the model only sanitized, inside a
 * fence with a random nonce, in the user message. */
#ifndef AG_BEDROCK_H
#define AG_BEDROCK_H

#include <stddef.h>

#include "sinks/sink.h"

/* From [sink.bedrock]; NULL with err filled. */
struct ag_sink *ag_bedrock_create(const struct ag_sink_env *env, char *err, size_t errlen);

/* Attacker-written text made safe to show a model, and a model's answer
 * made safe to show a person: control bytes, ANSI escapes, C1 controls,
 * invalid UTF-8 and the characters that reorder or hide text (bidi
 * embeddings, overrides and isolates, zero-width characters, U+2028/2029)
 * dropped, '<' and '>' replaced (no fence tag can be formed), the fence name
 * and nonce removed, cut at cap-1 bytes on a UTF-8 boundary. Returns the
 * length written (NUL-terminated). */
size_t ag_bedrock_sanitize(const char *in, size_t n, const char *nonce, char *out, size_t cap);

/* The fence name every attacker string is cleaned of. */
#define AG_BEDROCK_FENCE "authguard-data"

/* The user message for finding f: instructions, then the finding's
 * context as JSON inside <authguard-data nonce="NONCE"> ...
 * </authguard-data nonce="NONCE">. malloc'd; NULL when out of memory. */
char *ag_bedrock_user_message(const struct ag_finding *f, const char *nonce);

/* "/model/<model id percent-encoded as one segment>/converse"; 0 or -1. */
int ag_bedrock_converse_path(const char *model, char *out, size_t cap);

#endif
