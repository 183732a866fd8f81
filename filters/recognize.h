/* recognize.h - raw line -> struct ag_event: the front door of the hot path.
 *
 * ag_parse_line() parses the syslog header, routes the message by program
 * name to one recognizer (sshd.c, pam.c, sudo.c, su.c, login.c) and fills an
 * event. Hosts that already split the record (rsyslog JSON, fluent-bit,
 * journald fields) call ag_parse_message() with the program given apart.
 *
 * A parser is per thread: it holds the time-zone cache, counters and a
 * scratch line. Nothing here allocates, locks or makes a system call in the
 * steady state. */
#ifndef AG_RECOGNIZE_H
#define AG_RECOGNIZE_H

#include <stdint.h>
#include <stddef.h>

#include "catalogue.h"
#include "event.h"
#include "syslog.h"

enum ag_parse_result {
    AG_PARSE_UNPARSED = -1, /* no header, NUL bytes, oversize, garbage */
    AG_PARSE_OTHER = 0,     /* a fine line, but not an authentication event */
    AG_PARSE_EVENT = 1,     /* *ev holds an event */
};

struct ag_parse_stats {
    uint64_t lines;
    uint64_t events;
    uint64_t unparsed;   /* includes oversize */
    uint64_t oversize;
    uint64_t auth_other; /* lines from sshd*, sudo, su, login that matched no
                            shape (sessions, logouts, "Failed none", ...) */
    uint64_t by_kind[AG_EV_KIND_COUNT];
};

struct ag_parser {
    struct ag_tzcache tz;
    struct ag_parse_stats st;
    char scratch[AG_LINE_MAX]; /* ag_parse_message() assembles a line here */
    struct ag_catalogue cat;   /* the rows, compiled at init */
    int last_row;              /* catalogue row of the last line, -1 for none */
};

void ag_parser_init(struct ag_parser *p);

/* line[0..len) without its newline. Returns enum ag_parse_result.
 * On AG_PARSE_EVENT the event's spans point into line, which must outlive
 * the event; on any other result *ev is unspecified. arrival_ms is the time the line was received (used when the
 * header has no time, and for the year of BSD timestamps). */
int ag_parse_line(struct ag_parser *p, const char *line, size_t len,
                  int64_t arrival_ms, struct ag_event *ev);

/* A line its reader dropped for being over AG_LINE_MAX (plugin/lines.h):
 * counted as ag_parse_line() counts one it is handed, so every input's
 * statistics agree. */
void ag_parse_oversize(struct ag_parser *p);

/* A message whose program (and optionally host, pid, time) came apart from
 * the text. time_ms <= 0 means "use arrival_ms". The event's spans point into
 * p->scratch, valid until the next call on p. */
int ag_parse_message(struct ag_parser *p, const char *program, size_t plen,
                     uint32_t pid, const char *host, size_t hlen,
                     int64_t time_ms, int64_t arrival_ms,
                     const char *msg, size_t mlen, struct ag_event *ev);

#endif
