/* recognize.c - the front door of the hot path: a raw line (or a message
 * whose fields a host already split) becomes a struct ag_event.
 *
 * Most lines are not about authentication (cron, kernel, systemd, mail), so
 * the order of work is cheapest rejection first: length, NUL bytes, the
 * header, then the program name by length and bytes. Only lines from an
 * auth program, or whose message starts with "pam_" or a tcpwrappers
 * refusal, reach a recognizer. */
#include "filters/recognize.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "filters/catalogue.h"
#include "filters/match.h"

enum family { FAM_OTHER, FAM_SSHD, FAM_SUDO, FAM_SU, FAM_LOGIN, FAM_PAM_OLD };

void ag_parser_init(struct ag_parser *p)
{
    ag_tzcache_init(&p->tz);
    memset(&p->st, 0, sizeof p->st);
    unsigned bad = 0;
    if (ag_catalogue_init(&p->cat, &bad) < 0) {
        /* A row that does not compile is a build defect the unit tests
         * catch; never run with part of the catalogue missing. */
        fprintf(stderr, "authguard: catalogue row %u does not compile\n", bad);
        abort();
    }
}

/* Linux-PAM before 0.99 logged under "SERVICE(pam_unix)" as its tag. */
static int old_pam_tag(const char *s, size_t n)
{
    return n > 10 && memcmp(s + n - 10, "(pam_unix)", 10) == 0;
}

/* The program families we read, by exact tag. sshd-session and sshd-auth
 * are OpenSSH 9.8+'s per-connection processes; missing them is how other
 * tools went blind on newer systems. */
static enum family program_family(const char *s, size_t n)
{
    switch (n) {
    case 2:
        return memcmp(s, "su", 2) == 0 ? FAM_SU : FAM_OTHER;
    case 4:
        if (memcmp(s, "sshd", 4) == 0)
            return FAM_SSHD;
        return memcmp(s, "sudo", 4) == 0 ? FAM_SUDO : FAM_OTHER;
    case 5:
        return memcmp(s, "login", 5) == 0 ? FAM_LOGIN : FAM_OTHER;
    case 9:
        return memcmp(s, "sshd-auth", 9) == 0 ? FAM_SSHD : FAM_OTHER;
    case 12:
        return memcmp(s, "sshd-session", 12) == 0 ? FAM_SSHD : FAM_OTHER;
    default:
        return old_pam_tag(s, n) ? FAM_PAM_OLD : FAM_OTHER;
    }
}

static int starts_pam(const char *m, const char *e)
{
    return ag_starts(m, e, AG_LIT("pam_"));
}

/* "pam_MODULE(SERVICE:auth)", "pam_MODULE(auth)" or "pam_unix: ": the
 * module and service are short, so the check looks at the first bytes only;
 * session, account and password lines (most PAM lines) stop here. Looks for
 * "auth): " by its ')', of which a PAM line has one or two. */
static int pam_auth_line(const char *m, const char *e)
{
    size_t n = (size_t)(e - m) < 80 ? (size_t)(e - m) : 80;
    const char *end = m + n;
    for (const char *q = m + 4; q + 3 <= end; q++) {
        q = memchr(q, ')', (size_t)(end - q) - 2);
        if (q == NULL)
            break;
        if (memcmp(q - 4, "auth", 4) == 0 && q[1] == ':' && q[2] == ' ')
            return 1;
    }
    return ag_starts(m, e, AG_LIT("pam_unix: "));
}

/* rsyslog's reduction "message repeated N times: [ MSG]" stands for N
 * copies of MSG: narrows [*m, *e) to MSG and returns N, else 1. */
static unsigned repeated(const char **m, const char **e)
{
    const char *p = *m;
    uint32_t n;
    if (!ag_skip(&p, *e, AG_LIT("message repeated ")) ||
        ag_take_uint(&p, *e, 5, 65535, &n) < 0 || n == 0 ||
        !ag_skip(&p, *e, AG_LIT(" times: [")) || (*e)[-1] != ']')
        return 1;
    ag_skip(&p, *e, AG_LIT(" "));
    *m = p;
    *e -= 1;
    return n;
}

/* sshd's framing around a known message: " [preauth]" after it (flagged),
 * and the "error: " or "fatal: " level prefix of newer versions before it. */
static void sshd_frame(struct ag_event *ev, const char **m, const char **e)
{
    if (ag_chop(*m, e, AG_LIT(" [preauth]")))
        ev->flags |= AG_EVF_PREAUTH;
    if (!ag_skip(m, *e, AG_LIT("error: ")))
        ag_skip(m, *e, AG_LIT("fatal: "));
}

static int match_family(const struct ag_catalogue *c, enum ag_family f, struct ag_event *ev,
                        const char *m, const char *e, int *row)
{
    *row = ag_catalogue_match(c, f, ev, m, e);
    return *row >= 0 && ev->kind != AG_EV_NONE;
}

static const enum ag_family cat_family[] = {
    [FAM_SSHD] = AG_FAM_SSHD, [FAM_SUDO] = AG_FAM_SUDO, [FAM_SU] = AG_FAM_SU,
    [FAM_LOGIN] = AG_FAM_LOGIN, [FAM_PAM_OLD] = AG_FAM_PAM_OLD,
};

/* Runs the catalogue for the event's program. Returns 1 for an event, 0
 * for a line that is not one; *auth says whether the program was an auth
 * program (for st.auth_other). */
static int dispatch(const struct ag_catalogue *c, struct ag_event *ev, int *auth, int *row)
{
    const char *m = ag_msg_begin(ev);
    const char *e = ag_msg_end(ev);
    const char *prog = ev->line + ev->program.off;
    enum family fam = program_family(prog, ev->program.len);
    *auth = fam != FAM_OTHER;
    while (e > m && e[-1] == ' ')
        e--; /* trailing spaces some relays add */
    if (m == e)
        return 0;
    unsigned n = repeated(&m, &e);
    if (m == e)
        return 0;
    int hit = 0;
    if (*m == 'p' && starts_pam(m, e) && pam_auth_line(m, e))
        hit = match_family(c, AG_FAM_PAM, ev, m, e, row);
    else if (*m == 'r' && ag_starts(m, e, AG_LIT("refused connect from ")))
        hit = match_family(c, AG_FAM_TCPW, ev, m, e, row);
    if (!hit && *row < 0 && fam != FAM_OTHER) {
        if (fam == FAM_SSHD)
            sshd_frame(ev, &m, &e);
        else if (fam == FAM_SUDO)
            while (m < e && *m == ' ')
                m++; /* sudo pads the user name to line up its columns */
        else if (fam == FAM_PAM_OLD)
            ev->service = ag_span_at(ev, prog, prog + ev->program.len - 10);
        hit = match_family(c, cat_family[fam], ev, m, e, row);
    }
    if (hit && n > 1)
        ev->count = (uint16_t)(ev->count * n > 65535 ? 65535 : ev->count * n);
    return hit;
}

static void event_base(struct ag_event *ev, const char *line, size_t len)
{
    memset(ev, 0, sizeof *ev);
    ev->line = line;
    ev->line_len = (uint32_t)len;
    ev->count = 1;
}

/* Dispatches and keeps the counters; ev's base fields are already set. */
static int finish(struct ag_parser *p, struct ag_event *ev)
{
    int auth = 0;
    p->last_row = -1;
    if (dispatch(&p->cat, ev, &auth, &p->last_row)) {
        p->st.events++;
        p->st.by_kind[ev->kind < AG_EV_KIND_COUNT ? ev->kind : AG_EV_NONE]++;
        return AG_PARSE_EVENT;
    }
    if (auth)
        p->st.auth_other++;
    return AG_PARSE_OTHER;
}

/* Lines that cannot be parsed: too long for 16-bit spans, or holding NUL
 * bytes (binary garbage, a corrupted file: nothing sshd writes). */
static int reject_line(struct ag_parser *p, const char *line, size_t len)
{
    if (len > AG_LINE_MAX) {
        p->st.oversize++;
        p->st.unparsed++;
        return 1;
    }
    if (memchr(line, '\0', len) != NULL) {
        p->st.unparsed++;
        return 1;
    }
    return 0;
}

/* Cheap pre-check on the header fields before the event is built: most
 * lines stop here. */
static int maybe_auth(const char *line, const struct ag_syslog_hdr *h)
{
    if (program_family(line + h->program.off, h->program.len) != FAM_OTHER)
        return 1;
    const char *m = line + h->msg.off;
    const char *e = m + h->msg.len;
    if (m == e)
        return 0;
    return (*m == 'p' && starts_pam(m, e)) ||
           (*m == 'r' && ag_starts(m, e, AG_LIT("refused connect from ")));
}

void ag_parse_oversize(struct ag_parser *p)
{
    p->st.lines++;
    p->st.unparsed++;
    p->st.oversize++;
}

int ag_parse_line(struct ag_parser *p, const char *line, size_t len, int64_t arrival_ms,
                  struct ag_event *ev)
{
    p->st.lines++;
    p->last_row = -1;
    if (reject_line(p, line, len))
        return AG_PARSE_UNPARSED;
    struct ag_syslog_hdr h;
    if (ag_syslog_parse(&p->tz, line, len, arrival_ms, &h) < 0) {
        p->st.unparsed++;
        return AG_PARSE_UNPARSED;
    }
    if (!maybe_auth(line, &h))
        return AG_PARSE_OTHER;
    event_base(ev, line, len);
    ev->time_ms = h.has_time ? h.time_ms : arrival_ms;
    if (h.has_time)
        ev->flags |= AG_EVF_TIME_FROM_LOG;
    ev->pid = h.pid;
    ev->host = h.host;
    ev->program = h.program;
    ev->msg = h.msg;
    return finish(p, ev);
}

/* Appends [s, s+n) at *off in buf if it fits in cap. */
static int put(char *buf, size_t cap, size_t *off, const char *s, size_t n)
{
    if (n > cap - *off)
        return -1;
    if (n == 0)
        return 0; /* s may be NULL for an absent host or program */
    memcpy(buf + *off, s, n);
    *off += n;
    return 0;
}

static size_t format_pid(char *out, uint32_t pid)
{
    char tmp[10];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + pid % 10);
        pid /= 10;
    } while (pid != 0);
    for (size_t i = 0; i < n; i++)
        out[i] = tmp[n - 1 - i];
    return n;
}

/* Offsets of the parts of an assembled line. */
struct layout {
    size_t len, host, prog, msg;
};

/* Lays out "HOST PROG[PID]: MSG" (no "HOST " when there is none) in buf.
 * Returns -1 when it does not fit. */
static int assemble(char *buf, size_t cap, const char *program, size_t plen, uint32_t pid,
                    const char *host, size_t hlen, const char *msg, size_t mlen,
                    struct layout *lay)
{
    size_t off = 0;
    lay->host = 0;
    if (hlen > 0 && (put(buf, cap, &off, host, hlen) < 0 || put(buf, cap, &off, " ", 1) < 0))
        return -1;
    lay->prog = off;
    if (put(buf, cap, &off, program, plen) < 0)
        return -1;
    if (pid != 0) {
        char pidtxt[12];
        size_t n = 0;
        pidtxt[n++] = '[';
        n += format_pid(pidtxt + n, pid);
        pidtxt[n++] = ']';
        if (put(buf, cap, &off, pidtxt, n) < 0)
            return -1;
    }
    if (put(buf, cap, &off, ": ", 2) < 0)
        return -1;
    lay->msg = off;
    if (put(buf, cap, &off, msg, mlen) < 0)
        return -1;
    lay->len = off;
    return 0;
}

/* A host that split the record hands us its parts; we lay them out in the
 * scratch buffer so that the event's spans and its sample line look like
 * any syslog line, then take the same path as ag_parse_line(). */
int ag_parse_message(struct ag_parser *p, const char *program, size_t plen, uint32_t pid,
                     const char *host, size_t hlen, int64_t time_ms, int64_t arrival_ms,
                     const char *msg, size_t mlen, struct ag_event *ev)
{
    p->st.lines++;
    p->last_row = -1;
    struct layout lay;
    if (assemble(p->scratch, sizeof p->scratch, program, plen, pid, host, hlen, msg, mlen,
                 &lay) < 0) {
        p->st.oversize++;
        p->st.unparsed++;
        return AG_PARSE_UNPARSED;
    }
    if (reject_line(p, p->scratch, lay.len))
        return AG_PARSE_UNPARSED;
    if (plen == 0) {
        p->st.unparsed++; /* no program: nothing to route on */
        return AG_PARSE_UNPARSED;
    }
    struct ag_syslog_hdr h;
    memset(&h, 0, sizeof h);
    h.host.off = (uint16_t)lay.host;
    h.host.len = (uint16_t)hlen;
    h.program.off = (uint16_t)lay.prog;
    h.program.len = (uint16_t)plen;
    h.msg.off = (uint16_t)lay.msg;
    h.msg.len = (uint16_t)mlen;
    if (!maybe_auth(p->scratch, &h))
        return AG_PARSE_OTHER;
    event_base(ev, p->scratch, lay.len);
    ev->time_ms = time_ms > 0 ? time_ms : arrival_ms;
    if (time_ms > 0)
        ev->flags |= AG_EVF_TIME_FROM_LOG;
    ev->pid = pid;
    ev->host = h.host;
    ev->program = h.program;
    ev->msg = h.msg;
    return finish(p, ev);
}
