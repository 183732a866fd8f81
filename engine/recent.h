/* recent.h - a bounded, lock-free ring of recent events, for finding context.
 *
 * Feeders copy a bounded part of each counted event (line, user, host,
 * source, key hashes) into their stripe's ring; the finding assembler later
 * scans the rings for the events of one key. Old events are overwritten;
 * a reader never sees a half-written entry. */
#ifndef AG_RECENT_H
#define AG_RECENT_H

#include <stddef.h>
#include <stdint.h>

#include "engine/finding.h"
#include "engine/table.h"
#include "filters/event.h"

#define AG_RECENT_LINE 512   /* bytes of line kept (without a NUL) */
#define AG_RECENT_NAME 64    /* bytes of user / host kept */

/* The keys an event was counted under, for matching. */
struct ag_recent_keys {
    struct ag_addr src;      /* AG_AF_NONE when none */
    uint64_t user[2];        /* AG_KEY_USER key bytes; has_user tells if set */
    uint64_t local_user[2];
    uint8_t has_user;
    uint8_t has_local_user;
};

/* A consistent copy of one entry. */
struct ag_recent_item {
    uint64_t id;             /* unique while the entry lives: stripe << 48 | sequence */
    int64_t time_ms;
    uint8_t kind;            /* enum ag_kind */
    uint8_t line_truncated;
    uint8_t user_truncated;
    uint16_t line_len, user_len, host_len;
    struct ag_recent_keys keys;
    char line[AG_RECENT_LINE + 1];   /* NUL-terminated copies */
    char user[AG_RECENT_NAME + 1];
    char host[AG_RECENT_NAME + 1];
};

struct ag_recent;

/* stripes is a power of two (1 for a single feeder), per_stripe >= 1. */
int ag_recent_new(struct ag_recent **out, unsigned stripes, uint32_t per_stripe);
void ag_recent_free(struct ag_recent *r);
size_t ag_recent_memory(const struct ag_recent *r);
void ag_recent_prefault(struct ag_recent *r);

/* Records ev; returns its id (0 if the entry was being written by a thread
 * that lapped this one, in which case nothing is recorded). */
uint64_t ag_recent_put(struct ag_recent *r, unsigned stripe, const struct ag_event *ev,
                       const struct ag_recent_keys *keys);

/* Which of an event's keys a scan looks for. */
enum ag_recent_role {
    AG_RECENT_SRC = 0,       /* the source address */
    AG_RECENT_SRC64,         /* its /64 (IPv6 sources only) */
    AG_RECENT_USER,          /* the target user */
    AG_RECENT_LOCAL,         /* the local user of sudo / su */
    AG_RECENT_ROLES
};

/* Calls fn, newest first, for every entry whose time lies in [from_ms,
 * to_ms] and that match() accepts, with a consistent copy (in scratch).
 * Entries being written during the scan are skipped. mark (0: none)
 * pre-filters on the one-byte mark of the key sought in its role, from
 * ag_recent_mark_addr() or ag_recent_mark_key().
 *
 * match() sees the item without its texts. It returns 0 to pass the entry
 * over, nonzero to take it; AG_RECENT_NO_* bits in that value leave texts
 * the caller has no use for uncopied (their length 0, the string empty):
 * a finding's scan that has its newest samples needs no older lines. */
#define AG_RECENT_TAKE 0x1u
#define AG_RECENT_NO_LINE 0x2u
#define AG_RECENT_NO_USER 0x4u
#define AG_RECENT_NO_HOST 0x8u
typedef unsigned (*ag_recent_match_fn)(void *arg, const struct ag_recent_item *item);
typedef void (*ag_recent_visit_fn)(void *arg, const struct ag_recent_item *item);
void ag_recent_scan(struct ag_recent *r, int64_t from_ms, int64_t to_ms,
                    enum ag_recent_role role, uint8_t mark, ag_recent_match_fn match,
                    ag_recent_visit_fn fn, void *arg, struct ag_recent_item *scratch);

/* The mark of a source address (prefix64: of its /64) or of a text key;
 * never 0. */
uint8_t ag_recent_mark_addr(const struct ag_addr *a, int prefix64);
uint8_t ag_recent_mark_key(const uint64_t w[2]);

#endif
