/* event.h - struct ag_event: the one shape every recognizer produces.
 *
 * An event never owns memory: its text fields are spans into the line it was
 * parsed from, so recognizing costs no allocation. Whoever keeps an event
 * past the line's lifetime (the engine's recent ring, a sink queue) copies
 * the bytes it needs. */
#ifndef AG_EVENT_H
#define AG_EVENT_H

#include <stdint.h>
#include <stddef.h>

#include "addr.h"

/* Longest line we parse; longer lines are counted as unparsed (oversize).
 * rsyslog's default maxMessageSize is 8 KiB; 16 KiB leaves room for headers
 * and lets every span fit in 16 bits. */
#define AG_LINE_MAX 16384

/* User names are attacker-written: kept exact up to this many bytes, then
 * cut and flagged AG_EVF_USER_TRUNCATED. sshd itself accepts up to 1 KiB. */
#define AG_USER_MAX 256

/* A byte range of the original line. len == 0 means absent. */
struct ag_span {
    uint16_t off;
    uint16_t len;
};

enum ag_kind {
    AG_EV_NONE = 0,
    /* credential failures: count toward brute force */
    AG_EV_AUTH_FAILURE,      /* Failed password|publickey|keyboard-interactive for X */
    AG_EV_INVALID_USER,      /* Invalid user X from IP; Failed ... for invalid user X */
    AG_EV_NOT_ALLOWED,       /* User X from IP not allowed because ... */
    AG_EV_MAX_AUTH,          /* maximum authentication attempts exceeded; Too many authentication failures */
    AG_EV_PAM_FAILURE,       /* pam_unix(...:auth): authentication failure; error: PAM: Authentication failure */
    AG_EV_PAM_MORE_FAILURES, /* PAM N more authentication failures (count = N) */
    AG_EV_ROOT_REFUSED,      /* ROOT LOGIN REFUSED FROM IP */
    /* pre-authentication noise: counts toward scans */
    AG_EV_PREAUTH_DISCONNECT, /* Connection closed/reset, Disconnected from ... [preauth] */
    AG_EV_NO_IDENT,          /* Did not receive identification string */
    AG_EV_BAD_PROTOCOL,      /* banner exchange invalid format; Bad protocol version */
    AG_EV_NEGOTIATION,       /* Unable to negotiate ... no matching ... found */
    AG_EV_TIMEOUT_PREAUTH,   /* fatal: Timeout before authentication */
    AG_EV_PENALTY,           /* 9.8+ drop connection #N ... penalty */
    AG_EV_MAC_ERROR,         /* ssh_dispatch_run_fatal ... message authentication code incorrect */
    AG_EV_TCPW_REFUSED,      /* tcpwrappers: refused connect from H (IP) */
    /* local privilege */
    AG_EV_SUDO_FAILURE,      /* N incorrect password attempts (count = N) */
    AG_EV_SUDO_DENIED,       /* user NOT in sudoers */
    AG_EV_SU_FAILURE,        /* FAILED su for X by Y; BAD SU */
    AG_EV_LOGIN_FAILURE,     /* FAILED LOGIN N FROM H FOR X */
    /* successes */
    AG_EV_AUTH_SUCCESS,      /* Accepted password|publickey|keyboard-interactive for X */
    AG_EV_KIND_COUNT
};

enum ag_method {
    AG_M_NONE = 0,
    AG_M_PASSWORD,
    AG_M_PUBLICKEY,
    AG_M_KBDINT,     /* keyboard-interactive (and keyboard-interactive/pam) */
    AG_M_HOSTBASED,
    AG_M_GSSAPI,
    AG_M_PAM,
    AG_M_NONE_METHOD, /* sshd's "none" method */
    AG_M_COUNT
};

/* ag_event.flags */
#define AG_EVF_TIME_FROM_LOG   0x01 /* time parsed from the line, not arrival */
#define AG_EVF_USER_TRUNCATED  0x02 /* user longer than AG_USER_MAX */
#define AG_EVF_INVALID_USER    0x04 /* sshd said the account does not exist */
#define AG_EVF_PREAUTH         0x08 /* line carried [preauth] */
#define AG_EVF_SRC_IS_NAME     0x10 /* src_name holds a host name (UseDNS) */
/* The same attempt is also logged by another line of the same daemon:
 * pam_unix(sshd:auth) and "error: PAM: Authentication failure" precede sshd's
 * own "Failed password|keyboard-interactive/pam" line, "PAM N more
 * authentication failures" repeats failures already logged one by one,
 * "Invalid user" and "User X not allowed" announce the attempts that follow
 * as "Failed ... for invalid user", and "Disconnecting ...: Too many
 * authentication failures" repeats "maximum authentication attempts".
 * Rules that count attempts per source skip echoes to avoid counting twice;
 * a log that only carries the PAM lines (UsePAM with sshd logging at QUIET)
 * still has them as events. */
#define AG_EVF_ECHO            0x20
/* A line that announces or closes a connection's attempt ("Invalid user
 * X", "User X not allowed", "Connection closed by invalid user X ...
 * [preauth]", "Disconnecting invalid user X ...: Too many authentication
 * failures"): the engine counts it as the attempt when it is the first line
 * of its connection (host, pid, address, port) to arrive, and folds it (and
 * the first Failed line after an announcing one) into the attempt already
 * counted otherwise (engine/conn.h), so an attempt counts once whichever of
 * its lines arrive. */
#define AG_EVF_ANNOUNCE        0x40
struct ag_event {
    int64_t time_ms;         /* event time, epoch ms (UTC) */
    const char *line;        /* the whole original line; not NUL-terminated */
    uint32_t line_len;
    uint32_t pid;            /* 0 when absent */
    uint8_t kind;            /* enum ag_kind */
    uint8_t method;          /* enum ag_method */
    uint8_t flags;           /* AG_EVF_* */
    uint8_t pad_;
    uint16_t count;          /* failures this line stands for (>= 1) */
    uint16_t src_port;       /* 0 when absent */
    struct ag_addr src;      /* AG_AF_NONE when absent or malformed */
    struct ag_span host;     /* reporting host from the header */
    struct ag_span program;  /* sshd, sshd-session, sudo, su, login, ... */
    struct ag_span msg;      /* message after "program[pid]: " */
    struct ag_span user;     /* the account authenticated or tried */
    struct ag_span ruser;    /* the local user acting (sudo caller, su "by Y", PAM ruser) */
    struct ag_span target;   /* account asked for (sudo USER=, su target) */
    struct ag_span service;  /* PAM service (sshd, su, sudo, login, ...) */
    struct ag_span src_name; /* source as a host name, when AG_EVF_SRC_IS_NAME */
};

/* Text of a span; never NUL-terminated, always use with span.len. */
static inline const char *ag_span_ptr(const struct ag_event *ev, struct ag_span s)
{
    return ev->line + s.off;
}

const char *ag_kind_name(enum ag_kind kind);     /* "auth_failure", ... */
const char *ag_method_name(enum ag_method m);    /* "password", ... */

/* The three classes are disjoint; AG_EV_AUTH_SUCCESS is in none of them.
 * True for kinds that count as a credential failure (brute force rules),
 * including login(1) failures. sshd's "Failed none for X" (the probe every
 * client sends first) is NOT an event at all: it is no evidence of a guess,
 * and the "Invalid user" line that goes with it is already counted. */
int ag_kind_is_failure(enum ag_kind kind);
/* True for pre-authentication noise (scan rule). */
int ag_kind_is_preauth(enum ag_kind kind);
/* True for local privilege failures (sudo, su). */
int ag_kind_is_privilege(enum ag_kind kind);

#endif
