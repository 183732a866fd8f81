/* conn.h - the attempts of one sshd connection, counted once whichever of
 * its lines arrive.
 *
 * A connection (reporting host, sshd pid, source address, source port)
 * logs one attempt in several lines: "Invalid user X" announces it, the
 * first "Failed ... for invalid user X" makes it, "Connection closed by
 * invalid user X ... [preauth]" ends it. A key-only server logs only the
 * first and the last. The line that arrives first counts the attempt; the
 * announcing and closing lines after it fold into it, and so does the first
 * Failed line after an announcing one. Every further Failed line is another
 * guess and counts.
 *
 * The table is fixed-size: one 64-bit word per entry, written with
 * compare-and-swap, no allocation after creation. Entries sit in sets of
 * AG_CONN_WAYS (one cache line); a connection takes an empty or expired
 * entry of its set, else the set's oldest. So a connection loses its entry
 * only when more than AG_CONN_WAYS others of its set are newer, and is then
 * counted again (at most once more per line that lost it). A direct-mapped
 * table lost entries to single collisions: one run in twenty-five of a
 * 20,000-line log counted some attempt twice, and which one depended on the
 * process's hash key. An entry older than AG_CONN_TTL_MS is ignored, so a
 * reused pid and port do not fold a new attempt into an old one. */
#ifndef AG_CONN_H
#define AG_CONN_H

#include <stddef.h>
#include <stdint.h>

#define AG_CONN_TTL_MS (10 * 60 * 1000) /* well beyond LoginGraceTime */
#define AG_CONN_WAYS 8                 /* entries per set: 64 bytes */

struct ag_conns;

/* What a line is to its connection. */
enum ag_conn_line {
    AG_CONN_FOLDS,  /* announces or closes an attempt: counts only if first */
    AG_CONN_GUESS,  /* a Failed line: counts unless it follows an announce */
};

/* slots: a power of two, at least AG_CONN_WAYS. Returns 0 or -1 (out of
 * memory). */
int ag_conns_new(struct ag_conns **out, uint32_t slots);
void ag_conns_free(struct ag_conns *c);
size_t ag_conns_memory(const struct ag_conns *c);

/* Whether the line counts as an attempt. id identifies the connection
 * (a keyed hash of host, pid, address and port); t_ms is the event time. */
int ag_conns_counts(struct ag_conns *c, uint64_t id, enum ag_conn_line what, int64_t t_ms);

#endif
