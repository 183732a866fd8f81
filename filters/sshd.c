/* sshd.c - recognizes OpenSSH's authentication messages (sshd, and the
 * sshd-session / sshd-auth split of 9.8+): failures, successes, invalid and
 * refused users, and the pre-authentication noise scanners leave behind.
 *
 * sshd prints the user name, which the client chooses, BEFORE the address,
 * and some lines also print client-chosen text after it (a certificate ID,
 * a hostbased client name, a banner). So addresses are taken from the end
 * of the message, where only sshd writes, and every shape below says which
 * end it trusts and why. One switch on the first byte of the message picks
 * the shape; no shape costs more than a few memcmp/memchr calls. */
#include "filters/sshd.h"

#include "filters/match.h"
#include "filters/pam.h"

/* Where an address clause was found: the address text, its port, and what
 * follows "ssh2: " (NULL when nothing does). */
struct clause {
    const char *from; /* the " from " that starts it */
    const char *a0, *a1;
    uint16_t port;
    const char *extra;
};

static int method_of(const char *p, const char *e)
{
    size_t n = (size_t)(e - p);
    switch (p[0]) {
    case 'p':
        if (n == 8 && memcmp(p, "password", 8) == 0)
            return AG_M_PASSWORD;
        if (n == 9 && memcmp(p, "publickey", 9) == 0)
            return AG_M_PUBLICKEY;
        break;
    case 'k':
        if (n >= 20 && memcmp(p, "keyboard-interactive", 20) == 0)
            return AG_M_KBDINT; /* also ".../pam" */
        break;
    case 'h':
        if (n == 9 && memcmp(p, "hostbased", 9) == 0)
            return AG_M_HOSTBASED;
        break;
    case 'g':
        if (n >= 6 && memcmp(p, "gssapi", 6) == 0)
            return AG_M_GSSAPI;
        break;
    case 'n':
        if (n == 4 && memcmp(p, "none", 4) == 0)
            return AG_M_NONE_METHOD;
        break;
    }
    return AG_M_NONE;
}

/* A key as sshd's format_method_key() prints it for a plain key:
 * "TYPE FINGERPRINT" and nothing else. Key types and base64/hex
 * fingerprints hold no spaces or quotes, which is what makes this form
 * safe to find from the end. */
static int is_plain_key_info(const char *p, const char *e)
{
    const char *q = p;
    while (q < e && *q != ' ') {
        char c = *q;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || ag_is_digit(c) ||
              c == '-' || c == '_' || c == '.' || c == '@'))
            return 0;
        q++;
    }
    if (q == p || q == e)
        return 0;
    const char *fp = ++q;
    for (; q < e; q++) {
        char c = *q;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || ag_is_digit(c) ||
              c == '+' || c == '/' || c == '=' || c == ':'))
            return 0;
    }
    return q > fp;
}

/* " from ADDR port N ssh2" at q, followed by the end or ": extra". */
static int auth_clause_at(const char *q, const char *e, struct clause *c)
{
    const char *p = q + 6; /* past " from " */
    const char *sp = ag_find_byte(p, e, ' ');
    if (sp == p || sp == e)
        return -1;
    c->from = q;
    c->a0 = p;
    c->a1 = sp;
    p = sp;
    if (!ag_skip(&p, e, AG_LIT(" port ")) || ag_take_port(&p, e, &c->port) < 0 ||
        !ag_skip(&p, e, AG_LIT(" ssh2")))
        return -1;
    if (p == e) {
        c->extra = NULL;
        return 0;
    }
    if (!ag_skip(&p, e, AG_LIT(": ")) || p == e)
        return -1;
    c->extra = p;
    return 0;
}

static int same_text(const char *a0, const char *a1, const char *b0, const char *b1)
{
    return a1 - a0 == b1 - b0 && memcmp(a0, b0, (size_t)(a1 - a0)) == 0;
}

/* Finds the real "from ADDR port N ssh2[: extra]" of a Failed/Accepted line
 * whose user starts at p.
 *
 * - The right-most clause followed by nothing or by a plain key is the
 *   real one: a fake clause inside the user name is followed by the real
 *   clause, which is neither.
 * - When the real extra holds client text (a certificate ID, hostbased
 *   client user and host), a fake clause may also sit in that text. A
 *   valid user is an account name, which holds no spaces, so then the
 *   left-most clause is the real one. For an invalid user both ends are
 *   client-written and nothing in the text tells a fake from the real
 *   clause: unless every candidate names the same address, the source is
 *   unknown (out->a0 NULL), losing one source rather than blaming a wrong
 *   one. (The "Invalid user" line of the same connection still has it.)
 *
 * Returns 0 with *out set, or -1 when no clause is there at all. */
static int find_auth_clause(const char *p, const char *e, int valid_user, struct clause *out)
{
    struct clause c, left = {0};
    int nfound = 0, agree = 1;
    const char *hi = e;
    const char *q;
    while ((q = ag_rfind(p, hi, AG_LIT(" from "))) != NULL) {
        hi = q + 5; /* occurrences may share the space */
        if (auth_clause_at(q, e, &c) < 0)
            continue;
        if (c.extra == NULL || is_plain_key_info(c.extra, e)) {
            *out = c;
            return 0;
        }
        if (nfound++ > 0 && !same_text(c.a0, c.a1, left.a0, left.a1))
            agree = 0;
        left = c;
    }
    if (nfound == 0)
        return -1;
    *out = left;
    if (!valid_user && !agree)
        out->a0 = out->a1 = NULL;
    return 0;
}

/* "Failed|Accepted METHOD for [invalid user ]USER from ADDR port N ssh2". */
static int auth_attempt(struct ag_event *ev, const char *p, const char *e, int success)
{
    const char *sp = ag_find_byte(p, e, ' ');
    if (sp == p || sp == e)
        return 0;
    int method = method_of(p, sp);
    /* "Failed none" is the probe every client sends first to learn the
     * allowed methods: not a guess, so not an event (see event.h). */
    if (method == AG_M_NONE_METHOD && !success)
        return 0;
    p = sp;
    if (!ag_skip(&p, e, AG_LIT(" for ")))
        return 0;
    int invalid = !success && (ag_skip(&p, e, AG_LIT("invalid user ")) ||
                               ag_skip(&p, e, AG_LIT("illegal user ")));
    struct clause c;
    if (find_auth_clause(p, e, !invalid, &c) < 0)
        return 0;
    if (c.a0 != NULL && !ag_set_src(ev, c.a0, c.a1))
        return 0;
    ev->kind = success ? AG_EV_AUTH_SUCCESS : invalid ? AG_EV_INVALID_USER : AG_EV_AUTH_FAILURE;
    ev->method = (uint8_t)method;
    if (invalid)
        ev->flags |= AG_EVF_INVALID_USER;
    ev->src_port = c.a0 != NULL ? c.port : 0;
    ag_set_user(ev, p, c.from);
    return 1;
}

/* "ADDR[ port N]" making up all of [p, e): the tail of a line whose
 * address sshd printed last. Host names are accepted where UseDNS can put
 * them. Returns 0 with the source set, -1 otherwise. */
static int src_tail(struct ag_event *ev, const char *p, const char *e, int names)
{
    const char *port = ag_find(p, e, AG_LIT(" port "));
    const char *a1 = port ? port : e;
    if (port != NULL) {
        const char *d = port + 6;
        if (ag_take_port(&d, e, &ev->src_port) < 0 || d != e)
            return -1;
    }
    if (a1 == p || ag_find_byte(p, a1, ' ') != a1)
        return -1;
    return (names ? ag_set_src(ev, p, a1) : ag_set_addr(ev, p, a1)) ? 0 : -1;
}

/* "ADDR port N" ending exactly at e; the address is the token before the
 * final " port ". */
static int addr_port_at_end(struct ag_event *ev, const char *p, const char *e, const char **a0)
{
    const char *d = e;
    while (d > p && ag_is_digit(d[-1]))
        d--;
    const char *dd = d;
    if (d == e || d - p < 7 || memcmp(d - 6, " port ", 6) != 0 ||
        ag_take_port(&dd, e, &ev->src_port) < 0 || dd != e)
        return -1;
    const char *a1 = d - 6;
    *a0 = ag_token_start(p, a1);
    if (*a0 == a1 || !ag_set_addr(ev, *a0, a1))
        return -1;
    return 0;
}

/* "[authenticating user X |invalid user X ]ADDR port N" making up [p, e),
 * as in "Connection closed by", "Disconnected from", "Disconnecting". */
static int user_addr_port(struct ag_event *ev, const char *p, const char *e)
{
    const char *a0;
    if (addr_port_at_end(ev, p, e, &a0) < 0)
        return -1;
    if (p == a0)
        return 0;
    if (ag_skip(&p, a0, AG_LIT("invalid user ")))
        ev->flags |= AG_EVF_INVALID_USER;
    else if (!ag_skip(&p, a0, AG_LIT("authenticating user ")))
        return -1;
    if (p > a0 - 1)
        return -1; /* "invalid user ADDR": no room for a user */
    ag_set_user(ev, p, a0 - 1);
    return 0;
}

/* "Accepted METHOD for USER from ADDR port N ssh2[: key]". */
static int shape_accepted(struct ag_event *ev, const char *p, const char *e)
{
    if (!ag_skip(&p, e, AG_LIT("Accepted ")))
        return 0;
    return auth_attempt(ev, p, e, 1);
}

static int shape_failed(struct ag_event *ev, const char *p, const char *e)
{
    if (!ag_skip(&p, e, AG_LIT("Failed ")))
        return 0;
    return auth_attempt(ev, p, e, 0);
}

/* "Invalid user USER from ADDR[ port N]". Nothing client-written follows
 * the address, so the last " from " is sshd's. */
static int shape_invalid_user(struct ag_event *ev, const char *p, const char *e)
{
    if (!ag_skip(&p, e, AG_LIT("Invalid user ")))
        return 0;
    const char *f = ag_rfind(p, e, AG_LIT(" from "));
    if (f == NULL || src_tail(ev, f + 6, e, 1) < 0)
        return 0;
    ev->kind = AG_EV_INVALID_USER;
    /* An announcement: each password or key then tried is logged as
     * "Failed ... for invalid user", which is what counts as an attempt. */
    ev->flags |= AG_EVF_INVALID_USER | AG_EVF_ECHO;
    ag_set_user(ev, p, f);
    return 1;
}

/* "User USER from HOST not allowed because REASON", or without "from HOST"
 * for the account-wide reasons (locked, no shell). The user is a real
 * account here (sshd found it in passwd), so the first " not allowed
 * because " is sshd's own. */
static int shape_user_not_allowed(struct ag_event *ev, const char *p, const char *e)
{
    if (!ag_skip(&p, e, AG_LIT("User ")))
        return 0;
    const char *nb = ag_find(p, e, AG_LIT(" not allowed because "));
    if (nb == NULL || nb == p || nb + 21 == e)
        return 0;
    const char *f = ag_rfind(p, nb, AG_LIT(" from "));
    if (f != NULL) {
        if (src_tail(ev, f + 6, nb, 1) < 0)
            return 0;
        ag_set_user(ev, p, f);
    } else {
        ag_set_user(ev, p, nb);
    }
    ev->kind = AG_EV_NOT_ALLOWED;
    /* sshd then treats the account as invalid: each attempt follows as
     * "Failed ... for invalid user", so this line only announces them. */
    ev->flags |= AG_EVF_ECHO;
    return 1;
}

/* "Unable to negotiate with ADDR port N: no matching <what> found. Their
 * offer: ..." - the offer is client text, so the address is read from the
 * front, up to the first ": no matching ". */
static int shape_unable_negotiate(struct ag_event *ev, const char *p, const char *e)
{
    if (!ag_skip(&p, e, AG_LIT("Unable to negotiate with ")))
        return 0;
    const char *c = ag_find(p, e, AG_LIT(": no matching "));
    if (c == NULL || src_tail(ev, p, c, 0) < 0)
        return 0;
    ev->kind = AG_EV_NEGOTIATION;
    return 1;
}

static int shape_U(struct ag_event *ev, const char *p, const char *e)
{
    if (e - p > 1 && p[1] == 's')
        return shape_user_not_allowed(ev, p, e);
    return shape_unable_negotiate(ev, p, e);
}

/* "Connection closed by ..." needs [preauth]: after a session the same
 * words mean a normal logout. "Connection reset by ..." is counted either
 * way (some sshd builds log it without the tag). */
static int shape_connection(struct ag_event *ev, const char *p, const char *e)
{
    if (ag_skip(&p, e, AG_LIT("Connection closed by "))) {
        if (!(ev->flags & AG_EVF_PREAUTH))
            return 0;
    } else if (!ag_skip(&p, e, AG_LIT("Connection reset by "))) {
        return 0;
    }
    if (user_addr_port(ev, p, e) < 0)
        return 0;
    ev->kind = AG_EV_PREAUTH_DISCONNECT;
    return 1;
}

/* "Disconnected from [authenticating|invalid user X ]ADDR port N [preauth]"
 * is a pre-auth drop; sshd always tags it, and requiring the tag keeps a
 * line cut inside the port from passing. "Disconnected from user X ADDR
 * port N" is an ordinary logout. */
static int shape_disconnected(struct ag_event *ev, const char *p, const char *e)
{
    if (!(ev->flags & AG_EVF_PREAUTH) || ag_starts(p, e, AG_LIT("user ")))
        return 0;
    if (user_addr_port(ev, p, e) < 0)
        return 0;
    ev->kind = AG_EV_PREAUTH_DISCONNECT;
    return 1;
}

/* "Disconnecting [authenticating|invalid] user X ADDR port N: Too many
 * authentication failures", or the pre-7.x "Disconnecting: Too many
 * authentication failures for X". */
static int shape_disconnecting(struct ag_event *ev, const char *p, const char *e)
{
    /* sshd logs "error: maximum authentication attempts exceeded" for the
     * same attempt just before, so this line is an echo of it. */
    if (ag_skip(&p, e, AG_LIT(": Too many authentication failures for "))) {
        ev->kind = AG_EV_MAX_AUTH;
        ev->flags |= AG_EVF_ECHO;
        ag_set_user(ev, p, e);
        return 1;
    }
    if (!ag_skip(&p, e, AG_LIT(" ")) ||
        !ag_chop(p, &e, AG_LIT(": Too many authentication failures")) ||
        user_addr_port(ev, p, e) < 0)
        return 0;
    ev->kind = AG_EV_MAX_AUTH;
    ev->flags |= AG_EVF_ECHO;
    return 1;
}

/* "Did not receive identification string from ADDR[ port N]". */
static int shape_no_ident(struct ag_event *ev, const char *p, const char *e)
{
    if (!ag_skip(&p, e, AG_LIT("id not receive identification string from ")) ||
        src_tail(ev, p, e, 0) < 0)
        return 0;
    ev->kind = AG_EV_NO_IDENT;
    return 1;
}

static int shape_D(struct ag_event *ev, const char *p, const char *e)
{
    p++;
    if (ag_skip(&p, e, AG_LIT("isconnected from ")))
        return shape_disconnected(ev, p, e);
    if (ag_skip(&p, e, AG_LIT("isconnecting")))
        return shape_disconnecting(ev, p, e);
    return shape_no_ident(ev, p, e);
}

/* "Bad protocol version identification 'BANNER' from ADDR[ port N]"; the
 * banner is client text, the last " from " is sshd's. */
static int shape_bad_protocol(struct ag_event *ev, const char *p, const char *e)
{
    if (!ag_skip(&p, e, AG_LIT("Bad protocol version identification ")))
        return 0;
    const char *f = ag_rfind(p, e, AG_LIT(" from "));
    if (f == NULL || src_tail(ev, f + 6, e, 0) < 0)
        return 0;
    ev->kind = AG_EV_BAD_PROTOCOL;
    return 1;
}

/* "banner exchange: Connection from ADDR port N: REASON" (OpenSSH 8.2+):
 * the client's first line was not an SSH banner. */
static int shape_banner(struct ag_event *ev, const char *p, const char *e)
{
    if (!ag_skip(&p, e, AG_LIT("banner exchange: Connection from ")))
        return 0;
    const char *sp = ag_find_byte(p, e, ' ');
    const char *a0 = p;
    p = sp;
    if (sp == a0 || !ag_skip(&p, e, AG_LIT(" port ")) ||
        ag_take_port(&p, e, &ev->src_port) < 0 || !ag_skip(&p, e, AG_LIT(": ")) ||
        !ag_set_addr(ev, a0, sp))
        return 0;
    ev->kind = AG_EV_BAD_PROTOCOL;
    return 1;
}

/* "ROOT LOGIN REFUSED FROM ADDR[ port N]" (PermitRootLogin no, old sshd).
 * The user is root by definition; the line has no lower-case "root" for a
 * span to point at, so ev->user stays empty and the kind says it. */
static int shape_R(struct ag_event *ev, const char *p, const char *e)
{
    if (!ag_skip(&p, e, AG_LIT("ROOT LOGIN REFUSED FROM ")) || src_tail(ev, p, e, 1) < 0)
        return 0;
    ev->kind = AG_EV_ROOT_REFUSED;
    return 1;
}

/* tcpwrappers (libwrap) in any daemon: "refused connect from HOST (ADDR)"
 * when the name is known, else "refused connect from ADDR". */
static int shape_tcpw(struct ag_event *ev, const char *p, const char *e)
{
    if (!ag_skip(&p, e, AG_LIT("refused connect from ")))
        return 0;
    if (p < e && e[-1] == ')') {
        const char *o = ag_rfind(p, e, AG_LIT(" ("));
        if (o == NULL || !ag_set_addr(ev, o + 2, e - 1))
            return 0;
    } else if (!ag_set_src(ev, p, e)) {
        return 0;
    }
    ev->kind = AG_EV_TCPW_REFUSED;
    return 1;
}

/* "drop connection #N from [ADDR]:PORT on [LADDR]:LPORT penalty: REASON"
 * (OpenSSH 9.8 PerSourcePenalties). All of it is sshd's text. */
static int shape_penalty(struct ag_event *ev, const char *p, const char *e)
{
    uint32_t n;
    if (!ag_skip(&p, e, AG_LIT("drop connection #")) || ag_take_uint(&p, e, 10, UINT32_MAX, &n) < 0 ||
        !ag_skip(&p, e, AG_LIT(" from [")))
        return 0;
    const char *a0 = p;
    const char *a1 = ag_find_byte(p, e, ']');
    p = a1;
    if (!ag_skip(&p, e, AG_LIT("]:")) || ag_take_port(&p, e, &ev->src_port) < 0 ||
        !ag_skip(&p, e, AG_LIT(" on [")) || ag_find(p, e, AG_LIT(" penalty: ")) == NULL ||
        !ag_set_addr(ev, a0, a1))
        return 0;
    ev->kind = AG_EV_PENALTY;
    return 1;
}

/* "maximum authentication attempts exceeded for [invalid user ]X from ADDR
 * port N ssh2" (after "error: " since OpenSSH 7.x). */
static int shape_max_auth(struct ag_event *ev, const char *p, const char *e)
{
    if (!ag_skip(&p, e, AG_LIT("maximum authentication attempts exceeded for ")) ||
        !ag_chop(p, &e, AG_LIT(" ssh2")))
        return 0;
    if (ag_skip(&p, e, AG_LIT("invalid user ")))
        ev->flags |= AG_EVF_INVALID_USER;
    const char *f = ag_rfind(p, e, AG_LIT(" from "));
    if (f == NULL || ag_find(f + 6, e, AG_LIT(" port ")) == NULL || src_tail(ev, f + 6, e, 1) < 0)
        return 0;
    ev->kind = AG_EV_MAX_AUTH;
    ag_set_user(ev, p, f);
    return 1;
}

/* "PAM: Authentication failure for [illegal user ]X from HOST": sshd's echo
 * of a keyboard-interactive/pam failure it logs again as "Failed ...". */
static int shape_pam_error(struct ag_event *ev, const char *p, const char *e)
{
    if (!ag_skip(&p, e, AG_LIT("PAM: Authentication failure for ")))
        return 0;
    if (ag_skip(&p, e, AG_LIT("illegal user ")) || ag_skip(&p, e, AG_LIT("invalid user ")))
        ev->flags |= AG_EVF_INVALID_USER;
    const char *f = ag_rfind(p, e, AG_LIT(" from "));
    if (f == NULL || src_tail(ev, f + 6, e, 1) < 0)
        return 0;
    ev->kind = AG_EV_PAM_FAILURE;
    ev->method = AG_M_PAM;
    ev->flags |= AG_EVF_ECHO;
    ag_set_user(ev, p, f);
    return 1;
}

static int shape_error(struct ag_event *ev, const char *p, const char *e)
{
    if (!ag_skip(&p, e, AG_LIT("error: ")) || p == e)
        return 0;
    if (*p == 'm')
        return shape_max_auth(ev, p, e);
    if (*p == 'P')
        return shape_pam_error(ev, p, e);
    return 0;
}

/* "ssh_dispatch_run_fatal: Connection from [authenticating user X ]ADDR
 * port N: REASON". The reason is sshd's (ssh_err strings), so the last
 * " port N: " is the real one. Counted when the MAC was wrong (the
 * CVE-2024-6387 exploit signature) or when the line is pre-auth; a broken
 * pipe in a live session is not an attack. */
static int shape_dispatch_fatal(struct ag_event *ev, const char *p, const char *e)
{
    if (!ag_skip(&p, e, AG_LIT("ssh_dispatch_run_fatal: Connection from ")))
        return 0;
    const char *hi = e;
    const char *q;
    while ((q = ag_rfind(p, hi, AG_LIT(" port "))) != NULL) {
        hi = q;
        const char *d = q + 6;
        uint16_t port;
        if (ag_take_port(&d, e, &port) < 0 || !ag_starts(d, e, AG_LIT(": ")))
            continue;
        const char *reason = d + 2;
        int mac = ag_starts(reason, e, AG_LIT("message authentication code incorrect"));
        if (!mac && !(ev->flags & AG_EVF_PREAUTH))
            return 0;
        if (user_addr_port(ev, p, d) < 0)
            return 0;
        ev->kind = AG_EV_MAC_ERROR;
        return 1;
    }
    return 0;
}

/* "fatal: Timeout before authentication for ADDR port N", the older form
 * without the port, and FreeBSD's "... for connection from ADDR to LADDR,
 * pid = N". */
static int shape_fatal(struct ag_event *ev, const char *p, const char *e)
{
    if (!ag_skip(&p, e, AG_LIT("fatal: ")))
        return 0;
    if (ag_starts(p, e, AG_LIT("ssh_dispatch_run_fatal: ")))
        return shape_dispatch_fatal(ev, p, e);
    if (!ag_skip(&p, e, AG_LIT("Timeout before authentication for ")))
        return 0;
    if (ag_skip(&p, e, AG_LIT("connection from "))) {
        const char *sp = ag_find_byte(p, e, ' ');
        if (sp == e || !ag_starts(sp, e, AG_LIT(" to ")) || !ag_set_addr(ev, p, sp))
            return 0;
    } else if (src_tail(ev, p, e, 0) < 0) {
        return 0;
    }
    ev->kind = AG_EV_TIMEOUT_PREAUTH;
    return 1;
}

/* "PAM N more authentication failure[s]; ...", as sshd prints it. */
static int shape_pam_more(struct ag_event *ev, const char *p, const char *e)
{
    return ag_skip(&p, e, AG_LIT("PAM ")) && ag_pam_more(ev, p, e);
}

int ag_sshd_recognize(struct ag_event *ev)
{
    const char *p = ag_msg_begin(ev);
    const char *e = ag_msg_end(ev);
    if (p == e)
        return 0;
    if (ag_chop(p, &e, AG_LIT(" [preauth]")))
        ev->flags |= AG_EVF_PREAUTH;
    if (p == e)
        return 0;
    switch (*p) {
    case 'A': return shape_accepted(ev, p, e);
    case 'B': return shape_bad_protocol(ev, p, e);
    case 'C': return shape_connection(ev, p, e);
    case 'D': return shape_D(ev, p, e);
    case 'F': return shape_failed(ev, p, e);
    case 'I': return shape_invalid_user(ev, p, e);
    case 'P': return shape_pam_more(ev, p, e);
    case 'R': return shape_R(ev, p, e);
    case 'U': return shape_U(ev, p, e);
    case 'b': return shape_banner(ev, p, e);
    case 'd': return shape_penalty(ev, p, e);
    case 'e': return shape_error(ev, p, e);
    case 'f': return shape_fatal(ev, p, e);
    case 'm': return shape_max_auth(ev, p, e);
    case 'r': return shape_tcpw(ev, p, e);
    case 's': return shape_dispatch_fatal(ev, p, e);
    default: return 0;
    }
}
