/* syslog.h - syslog header parsing: RFC 3164 (with or without <PRI>),
 * ISO 8601 / RFC 3339 high-precision (rsyslog's Debian 12 default) and
 * RFC 5424 with structured data.
 *
 * Parsing never allocates and never reads past len. Times become epoch ms in
 * UTC; BSD timestamps carry no zone and no year, so they are taken in the
 * local zone (cached per hour, see struct ag_tzcache) and in the arrival year,
 * or the previous year when that would put the event more than a day ahead
 * of arrival. */
#ifndef AG_SYSLOG_H
#define AG_SYSLOG_H

#include <stdint.h>
#include <stddef.h>

#include "event.h"

/* Local-time to UTC offsets, cached per local hour so that a BSD timestamp
 * costs arithmetic, not a mktime() call. One per parsing thread. */
#define AG_TZCACHE_SLOTS 8
struct ag_tzcache {
    int64_t hour[AG_TZCACHE_SLOTS];   /* local hours since epoch, or INT64_MIN */
    int32_t offset[AG_TZCACHE_SLOTS]; /* seconds east of UTC for that hour */
    int fixed;                        /* nonzero: use fixed_offset, never mktime */
    int32_t fixed_offset;
    /* The calendar year of the last arrival day seen, so that inferring a
     * BSD timestamp's year costs a comparison, not a date conversion. */
    int64_t year_first_day;           /* days since epoch of Jan 1 */
    int64_t year_end_day;             /* days since epoch of next Jan 1 */
    int32_t year;
    /* The last ISO 8601 "YYYY-MM-DDTHH:MM" seen and its wall-clock seconds:
     * consecutive lines share their minute, so most timestamps cost one
     * 16-byte compare and two digits. */
    char iso_minute[16];
    int64_t iso_minute_s;             /* days * 86400 + HH * 3600 + MM * 60 */
    /* The last "+hh:mm" zone seen after an ISO time and its offset: a log
     * keeps one zone, so the zone costs one 6-byte compare. */
    char iso_zone[6];
    uint8_t iso_zone_ok;              /* iso_zone holds a zone */
    int32_t iso_zone_off;             /* seconds east of UTC */
};

void ag_tzcache_init(struct ag_tzcache *tz);
/* Pin BSD timestamps to a fixed offset (seconds east of UTC); for tests,
 * replays of logs from another zone, and hosts that log in UTC. */
void ag_tzcache_set_fixed(struct ag_tzcache *tz, int32_t offset_s);

struct ag_syslog_hdr {
    int64_t time_ms;        /* 0 when the header had no usable time */
    int16_t pri;            /* -1 when absent */
    uint8_t has_time;
    uint8_t pad_;
    uint32_t pid;           /* 0 when absent */
    struct ag_span host;
    struct ag_span program; /* the tag without [pid] and ':' */
    struct ag_span msg;     /* everything after "tag: " (or after SD in 5424) */
};

/* Parses the header of line[0..len). Returns 0 on success, -1 when the line
 * has no recognisable syslog header. arrival_ms supplies the year for BSD
 * timestamps. */
int ag_syslog_parse(struct ag_tzcache *tz, const char *line, size_t len,
                    int64_t arrival_ms, struct ag_syslog_hdr *h);

/* Days since 1970-01-01 of a proleptic Gregorian date (no table, no libc). */
int64_t ag_days_from_civil(int64_t y, unsigned m, unsigned d);

#endif
