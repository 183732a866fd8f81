/* rules.h - what each rule means (names, ATT&CK, defaults) and the cooldown
 * state that turns repeated trips into one Create and a few Updates.
 *
 * The counting itself is in engine.c (which rings an event feeds); this
 * module decides, for a rule that tripped on a key, what to report. */
#ifndef AG_RULES_H
#define AG_RULES_H

#include <stddef.h>
#include <stdint.h>

#include "engine/engine.h"
#include "engine/table.h"

struct ag_rule_info {
    const char *name;
    const char *title;
    const char *technique_id;
    const char *technique_name;
    const char *tactic_id;
    const char *tactic_name;
    struct ag_rule_config defaults;
};

/* Never NULL for rule < AG_RULE_COUNT. */
const struct ag_rule_info *ag_rule_info(enum ag_rule rule);

/* Open findings: one entry per (rule, key) that tripped, kept while trips
 * go on within the cooldown. Bounded; entries closed for a cooldown are
 * reused. */
struct ag_open;

int ag_open_new(struct ag_open **out, uint32_t entries, const uint64_t hash_key[2],
                const uint32_t cooldown_s[AG_RULE_COUNT]);
void ag_open_free(struct ag_open *o);
size_t ag_open_memory(const struct ag_open *o);
void ag_open_prefault(struct ag_open *o);

enum ag_trip {
    AG_TRIP_CREATE = 1,   /* first trip, or first after the previous one closed */
    AG_TRIP_UPDATE,       /* still open; due by time or by growth */
    AG_TRIP_SUPPRESSED,   /* still open; nothing new enough to say */
    AG_TRIP_FULL          /* no room to track it */
};

struct ag_trip_result {
    enum ag_trip what;
    int64_t created_ms;   /* event time of the Create (whole seconds) */
    uint32_t update_seq;  /* 0 for a Create */
};

/* Decides what a trip of rule on key at event time now_ms with value
 * observed means. Lock-free; the thread whose CAS opens the finding is the
 * one that reports the Create. An Update is due once per cooldown, or at
 * once when observed has doubled since the last report. */
void ag_open_trip(struct ag_open *o, enum ag_rule rule, const struct ag_key *key,
                  int64_t now_ms, uint32_t observed, struct ag_trip_result *res);

/* 1 if rule has an open finding on key at now_ms (tripped within cooldown). */
int ag_open_is_open(const struct ag_open *o, enum ag_rule rule, const struct ag_key *key,
                    int64_t now_ms);

#endif
