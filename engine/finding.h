/* finding.h - struct ag_finding: what the engine reports when a rule trips.
 *
 * A finding is self-contained (every text is copied and bounded), so a sink
 * or summarizer can use it without the engine or the event it came from. */
#ifndef AG_FINDING_H
#define AG_FINDING_H

#include <stddef.h>
#include <stdint.h>

#include "filters/addr.h"

/* Rules the engine evaluates; also the index of each rule's settings in
 * struct ag_engine_config.rules. */
enum ag_rule {
    AG_RULE_BRUTEFORCE = 0,   /* many failures from one source, short window */
    AG_RULE_SLOW_BRUTEFORCE,  /* many failures from one source, long window */
    AG_RULE_ENUMERATION,      /* distinct non-existent users from one source */
    AG_RULE_SPRAYING,         /* distinct sources failing against one user */
    AG_RULE_COMPROMISE,       /* a success after failures (source or user) */
    AG_RULE_SCAN,             /* pre-authentication noise from one source */
    AG_RULE_REGRESSHION,      /* CVE-2024-6387 pattern: MAC errors, preauth timeouts */
    AG_RULE_PRIVILEGE,        /* sudo/su failures or sudoers denials by a local user */
    AG_RULE_FLEET_SOURCE,     /* one source failing on many distinct hosts (fleet tier) */
    AG_RULE_COUNT
};

/* What a counter-table key (and so a finding) is about. */
enum ag_key_kind {
    AG_KEY_NONE = 0,
    AG_KEY_SRC,        /* one source address (IPv4 or IPv6) */
    AG_KEY_SRC64,      /* an IPv6 /64 prefix */
    AG_KEY_USER,       /* an account tried remotely (ev->user) */
    AG_KEY_HOST,       /* a reporting host */
    AG_KEY_USER_HOST,  /* user@host */
    AG_KEY_LOCAL_USER, /* a local user acting (sudo caller, su by, else ev->user) */
    AG_KEY_KIND_COUNT
};

/* OCSF severity_id. */
enum ag_severity {
    AG_SEV_UNKNOWN = 0,
    AG_SEV_INFORMATIONAL = 1,
    AG_SEV_LOW = 2,
    AG_SEV_MEDIUM = 3,
    AG_SEV_HIGH = 4,
    AG_SEV_CRITICAL = 5,
    AG_SEV_FATAL = 6
};

/* OCSF Detection Finding activity_id. */
enum ag_activity {
    AG_ACTIVITY_CREATE = 1,
    AG_ACTIVITY_UPDATE = 2,
    AG_ACTIVITY_CLOSE = 3
};

#define AG_FINDING_UID_LEN 32      /* hex characters, without the NUL */
#define AG_FINDING_KEY_MAX 320     /* key text: address, /64, user, user@host */
#define AG_FINDING_NAME_MAX 64     /* each listed user, host (with the NUL) */
#define AG_FINDING_MAX_USERS 16
#define AG_FINDING_MAX_HOSTS 16
#define AG_FINDING_MAX_SOURCES 16
#define AG_FINDING_MAX_SAMPLES 20
#define AG_FINDING_SAMPLE_MAX 512  /* bytes of one sample line (with the NUL) */

/* Counters of a key. Totals run since the key entered the counter table
 * (first_seen); the windowed numbers are those the rules compare. */
struct ag_counts {
    uint8_t key_kind;          /* enum ag_key_kind; AG_KEY_NONE: nothing counted */
    uint32_t failures;         /* credential failures, count-weighted */
    uint32_t invalid_users;    /* failures naming a non-existent user */
    uint32_t successes;
    uint32_t preauth;          /* pre-authentication noise */
    uint32_t privilege;        /* sudo/su failures */
    uint32_t failures_short;   /* failures within the bruteforce window */
    uint32_t failures_long;    /* failures within the slow_bruteforce window */
    uint32_t distinct_users;   /* source keys: distinct invalid users, enumeration window */
    uint32_t distinct_sources; /* user keys: distinct failing sources, spraying window */
    uint32_t distinct_hosts;   /* source keys: distinct hosts with failures, fleet_source window */
    int64_t first_seen_ms;     /* 0 when unknown */
    int64_t last_seen_ms;
};

/* One line of evidence, copied and cut at AG_FINDING_SAMPLE_MAX - 1 bytes on
 * a UTF-8 boundary; control bytes are replaced by '?', so text is a C string. */
struct ag_finding_sample {
    int64_t time_ms;
    uint16_t len;              /* bytes in text, without the NUL */
    uint8_t truncated;         /* the original line was longer */
    uint8_t kind;              /* enum ag_kind of the event */
    char text[AG_FINDING_SAMPLE_MAX];
};

struct ag_finding {
    char uid[AG_FINDING_UID_LEN + 1]; /* stable: the same for Create and its Updates */
    uint8_t activity;          /* enum ag_activity */
    uint8_t rule;              /* enum ag_rule */
    uint8_t severity;          /* enum ag_severity */
    uint8_t key_kind;          /* enum ag_key_kind */
    uint32_t update_seq;       /* 0 for the Create, then 1, 2, ... per Update */

    /* What the finding is about. key_addr is set for AG_KEY_SRC/AG_KEY_SRC64
     * (the /64 with its low 64 bits zero), af AG_AF_NONE otherwise. */
    char key[AG_FINDING_KEY_MAX];
    struct ag_addr key_addr;

    /* Static strings, never NULL. */
    const char *rule_name;       /* "bruteforce", ... */
    const char *title;           /* one line for a human */
    const char *technique_id;    /* MITRE ATT&CK, e.g. "T1110.001" */
    const char *technique_name;  /* "Password Guessing" */
    const char *tactic_id;       /* "TA0006" */
    const char *tactic_name;     /* "Credential Access" */

    /* The rule's test at the moment it tripped. */
    uint32_t threshold;
    uint32_t observed;           /* the windowed value compared with threshold */
    uint32_t window_s;
    int64_t time_ms;             /* event time of the line that tripped the rule */
    int64_t created_ms;          /* event time of the Create (same for Updates) */

    struct ag_counts counts;     /* of the finding's key at trip time */
    int64_t first_seen_ms;       /* of the key (or the earliest sample) */
    int64_t last_seen_ms;

    /* Context from the engine's ring of recent events, bounded and copied. */
    uint32_t n_users;
    char users[AG_FINDING_MAX_USERS][AG_FINDING_NAME_MAX];
    uint32_t n_hosts;
    char hosts[AG_FINDING_MAX_HOSTS][AG_FINDING_NAME_MAX];
    uint32_t n_sources;
    char sources[AG_FINDING_MAX_SOURCES][AG_ADDR_STRLEN];
    uint32_t n_samples;          /* oldest first; the tripping line is always last */
    struct ag_finding_sample samples[AG_FINDING_MAX_SAMPLES];

    /* compromise: the account of the successful login that tripped the
     * rule (copied like the names above; empty when the line named none).
     * The names tried are the attacker's choice; this one got in. */
    char login_user[AG_FINDING_NAME_MAX];

    /* Filled by the pipeline, never by the engine (which leaves them empty).
     * summary is authguard's own built-in summary (summary_source "local"),
     * never a model's text. model_summary is what a language model wrote
     * about the finding (model_source "bedrock:<model>"): cleaned of control,
     * escape and bidi characters, still untrusted. The two never share a
     * field, so no output can show a line of the model's as authguard's.
     * Both are malloc'd and owned by the finding: ag_finding_release()
     * frees them, and the engine releases its own findings after the output
     * callback returns. ext is an opaque pointer the pipeline may use while
     * the finding is in its hands. */
    char *summary;
    char summary_source[64];     /* "local" */
    char *model_summary;         /* NULL: none */
    char model_source[64];       /* "bedrock:<model>" with model_summary */
    void *ext;
};

const char *ag_rule_name(enum ag_rule rule);          /* "bruteforce", ...; "unknown" */
const char *ag_key_kind_name(enum ag_key_kind kind);  /* "src", "src64", "user", ... */
const char *ag_severity_name(enum ag_severity sev);   /* OCSF severity captions */
/* Rule by name as written in the config; -1 if unknown. */
int ag_rule_from_name(const char *name, size_t len);

/* ---- engine side ------------------------------------------------------
 * What a feeder captures when a rule trips (everything the finding needs
 * that cannot be read later), and how the finding worker turns it into a
 * finding. Not for sinks. */
struct ag_recent;

struct ag_finding_req {
    uint8_t rule, key_kind, activity, severity;
    uint32_t update_seq, threshold, observed, window_s;
    int64_t time_ms, created_ms;
    uint64_t key_w[2];                   /* the table key's 16 bytes */
    struct ag_addr key_addr;
    char key_text[AG_FINDING_KEY_MAX];
    struct ag_counts counts;
    uint64_t evidence_id;                /* recent-ring id of the tripping line, or 0 */
    struct ag_finding_sample evidence;   /* the tripping line */
    char login_user[AG_FINDING_NAME_MAX]; /* compromise: the tripping login's user */
};

/* Fills f from req and the recent events of req's key (NULL: none). */
void ag_finding_assemble(struct ag_finding *f, const struct ag_finding_req *req,
                         struct ag_recent *recent);

/* Copies len bytes of text into out (size cap, NUL-terminated), replacing
 * control bytes by '?' and cutting on a UTF-8 boundary; returns the length
 * written. *truncated (may be NULL) tells if anything was cut. */
size_t ag_finding_copy_text(char *out, size_t cap, const char *s, size_t len, int *truncated);

/* A deep copy (summaries included) on the heap, for code that keeps a finding
 * past the output callback; NULL when out of memory. */
struct ag_finding *ag_finding_dup(const struct ag_finding *f);
/* Frees what the finding owns (summaries) and clears those fields. */
void ag_finding_release(struct ag_finding *f);
/* ag_finding_release() then free() for a finding from ag_finding_dup(). */
void ag_finding_free(struct ag_finding *f);

#endif
