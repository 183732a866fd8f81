/* fluentbit.h - what the two fluent-bit objects share: walking the msgpack
 * records fluent-bit hands over (both formats, group markers), finding the
 * message and its program/pid/host, recognizing it, and the per-instance
 * state built from the plugin's properties (config, pipeline, parser pool). */
#ifndef AG_FLUENTBIT_H
#define AG_FLUENTBIT_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/finding.h"
#include "filters/recognize.h"
#include "plugin/config.h"
#include "plugin/msgpack.h"
#include "plugin/pipeline.h"

#define AG_FLB_KEY_MAX 64
#define AG_FLB_POOL 8
#define AG_FLB_MAGIC 0x6167666c62637478ull /* "agflbctx": checked on every call */

/* fluent-bit's return codes (flb_macros.h, flb_filter.h). */
enum { AG_FLB_ERROR = 0, AG_FLB_OK = 1, AG_FLB_RETRY = 2 };
enum { AG_FLB_FILTER_MODIFIED = 1, AG_FLB_FILTER_NOTOUCH = 2 };

/* Which body keys hold what; an empty message_key/program_key means the
 * default lists (message, log, MESSAGE / ident, SYSLOG_IDENTIFIER). */
struct ag_flb_keys {
    char message_key[AG_FLB_KEY_MAX];
    char program_key[AG_FLB_KEY_MAX];
};

/* One record as offsets into the chunk plus the fields authguard reads. */
struct ag_flb_record {
    size_t start, end;           /* the whole record */
    size_t head_start, head_end; /* element 0: timestamp or [timestamp, metadata] */
    size_t pairs_start;          /* the body's first key */
    uint32_t n_pairs;
    uint32_t n_ours;             /* body keys named "authguard" (replaced on rewrite) */
    int group_marker;            /* timestamp -1/-2: OpenTelemetry group start/end */
    int body_is_map;
    int64_t time_ms;             /* 0: no usable timestamp */
    const char *msg, *prog, *host;
    size_t msg_len, prog_len, host_len;
    uint32_t pid;
};

/* Reads the record at r->pos: 1 with *rec filled (r past it), 0 at the end
 * of the chunk, -1 when the rest of the chunk is malformed. */
int ag_flb_next_record(struct ag_mp_reader *r, const struct ag_flb_keys *k,
                       struct ag_flb_record *rec);

/* An event, the counts the engine gave it, and the parser that made it:
 * per-call scratch (the parser alone is over 16 KiB, too big for a 24 KiB
 * coroutine stack), taken from a small lock-free pool. ev comes first so
 * that the capture sink can find feed from the event pointer. */
struct ag_flb_feed {
    struct ag_event ev;
    struct ag_counts counts;
    int have_counts;
    struct ag_parser parser;
};

/* Recognizes rec's message: ag_parse_message() when the program came apart,
 * else ag_parse_line() on a whole syslog line. Returns enum ag_parse_result. */
int ag_flb_recognize(struct ag_flb_feed *f, const struct ag_flb_record *rec, int64_t now_ms);

/* How a host hands us a property: the raw string or NULL. */
typedef const char *(*ag_flb_get_fn)(void *host, const char *key);

enum ag_flb_role { AG_FLB_OUTPUT, AG_FLB_FILTER };

struct ag_flb {
    uint64_t magic;
    enum ag_flb_role role;       /* names the plugin in its log lines */
    const struct ag_flb *self;   /* with magic: a context pointer is really ours */
    struct ag_flb_keys keys;
    struct ag_config cfg;
    int have_cfg;
    int drop_non_auth;
    int flush_timeout_ms;
    struct ag_pipeline *pipe;    /* NULL: recognize only (filter without config) */
    _Atomic(struct ag_flb_feed *) pool[AG_FLB_POOL];
    _Atomic uint64_t records, events, markers, malformed;
};


/* Builds an instance from its properties: config, message_key, program_key,
 * drop_non_auth, flush_timeout_ms. NULL with a message in err. An output
 * always gets a pipeline (JSON lines on stdout when no config is given); a
 * filter only with config, and then it also adds the engine's counts. */
struct ag_flb *ag_flb_new(enum ag_flb_role role, ag_flb_get_fn get, void *host,
                          char *err, size_t errlen);
void ag_flb_free(struct ag_flb *c);

/* Is p a live context made by ag_flb_new? Reads 16 bytes at p. */
int ag_flb_is_ours(const void *p);

struct ag_flb_feed *ag_flb_feed_get(struct ag_flb *c);
void ag_flb_feed_put(struct ag_flb *c, struct ag_flb_feed *f);

int64_t ag_flb_now_ms(void);

#endif
