/* jsonscan.h - the members of one JSON object that a caller wants, in one
 * pass, without allocating: the fast path for the JSON read per message
 * (rsyslog's %jsonmesg% lines, the fleet's OCSF events on Kafka).
 *
 * Strings come back decoded (escapes undone, into the caller's scratch);
 * other values as their raw text, so a nested object can be scanned again.
 * The scanner accepts what a conforming writer produces and answers -1 for
 * anything it is unsure of; callers then ask a full parser (json-c). It
 * never reads past n, and nesting deeper than 64 is refused. */
#ifndef AG_JSONSCAN_H
#define AG_JSONSCAN_H

#include <stddef.h>
#include <stdint.h>

enum ag_json_type {
    AG_JSON_ABSENT = 0,
    AG_JSON_STRING,          /* p, n: the decoded text (not NUL-terminated) */
    AG_JSON_NUMBER,          /* p, n: the number as written */
    AG_JSON_OBJECT,          /* p, n: the whole object, braces included */
    AG_JSON_OTHER            /* array, true, false or null: raw text */
};

struct ag_json_val {
    const char *p;
    size_t n;
    uint8_t type;            /* enum ag_json_type */
};

/* Scans the object s[0..n) for the members named names[0..count): out[i]
 * gets the value of names[i] (the last one when a name repeats), or
 * AG_JSON_ABSENT. scratch holds n bytes: decoded strings with escapes go
 * there. 0, or -1 when s is not one object as expected. */
int ag_json_scan(const char *s, size_t n, const char *const *names, unsigned count,
                 struct ag_json_val *out, char *scratch);

/* An integer value (a number without fraction or exponent) in
 * [INT64_MIN, INT64_MAX]: 0 and *v, or -1. */
int ag_json_int(const struct ag_json_val *v, int64_t *out);

#endif
