/* recognize.c - the front door of the hot path: a raw line (or a message
 * whose fields a host already split) becomes a struct ag_event.
 *
 * Most lines are not about authentication (cron, kernel, systemd, mail), so
 * the order of work is cheapest rejection first: length, NUL bytes, the
 * header, then the program name by length and bytes. Only lines from an
 * auth program, or whose message starts with "pam_" or a tcpwrappers
 * refusal, reach a recognizer. */
#include "filters/recognize.h"

#include <string.h>

#include "filters/login.h"
#include "filters/match.h"
#include "filters/pam.h"
#include "filters/sshd.h"
#include "filters/su.h"
#include "filters/sudo.h"

enum family { FAM_OTHER, FAM_SSHD, FAM_SUDO, FAM_SU, FAM_LOGIN };

void ag_parser_init(struct ag_parser *p)
{
    ag_tzcache_init(&p->tz);
    memset(&p->st, 0, sizeof p->st);
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
        return FAM_OTHER;
    }
}

static int starts_pam(const char *m, const char *e)
{
    return ag_starts(m, e, AG_LIT("pam_"));
}

/* Runs the recognizer for the event's program. Returns 1 for an event, 0
 * for a line that is not one; *auth says whether the program was an auth
 * program (for st.auth_other). */
static int dispatch(struct ag_event *ev, int *auth)
{
    const char *m = ag_msg_begin(ev);
    const char *e = ag_msg_end(ev);
    enum family fam = program_family(ev->line + ev->program.off, ev->program.len);
    *auth = fam != FAM_OTHER;
    if (m == e)
        return 0;
    if (*m == 'p' && starts_pam(m, e))
        return ag_pam_recognize(ev);
    switch (fam) {
    case FAM_SSHD:
        return ag_sshd_recognize(ev);
    case FAM_SUDO:
        return ag_sudo_recognize(ev);
    case FAM_SU:
        return ag_su_recognize(ev);
    case FAM_LOGIN:
        return ag_login_recognize(ev);
    case FAM_OTHER:
        /* libwrap refusals are logged by whichever daemon was refused. */
        if (*m == 'r')
            return ag_sshd_recognize(ev);
        return 0;
    }
    return 0;
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
    if (dispatch(ev, &auth)) {
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
