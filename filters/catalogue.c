/* catalogue.c - the rows of the recognition catalogue (catalogue.h), their
 * compilation into per-family lists keyed by first word, and the documented
 * table.
 *
 * Sources: OpenSSH portable (auth.c auth_log(), auth2-*.c, auth-pam.c,
 * sshd.c, packet.c sshpkt_vfatal(), kex.c, srclimit.c), Linux-PAM
 * (pam_unix, pam_faillock, pam_tally2, libpam pam_syslog()), sudo
 * (logging.c), shadow (su.c, login.c) and util-linux (login-utils/su-common.c,
 * login.c). The example lines are written from those format strings.
 *
 * Attribution, for every sshd row: sshd writes the address itself, with
 * ssh_remote_ipaddr() (numeric) or, for "from HOST" clauses, with the
 * UseDNS name; the client writes the user name (any bytes, truncated to
 * 100 by "%.100s", control bytes escaped by sshd's log vis), certificate
 * key IDs, hostbased client user and host, disconnect reasons, banners and
 * algorithm offers. Templates mark those as free fields ('%u', '%*'), and
 * shape.c takes the address only where every split of the line agrees. */
#include "filters/catalogue.h"

#include <stdlib.h>
#include <string.h>

#include "filters/match.h"

#define INV AG_EVF_INVALID_USER
#define ECHO AG_EVF_ECHO
#define ANN AG_EVF_ANNOUNCE
#define PRE AG_ROW_PREAUTH

#define H "Nov  9 04:07:51 web-01 sshd[1234]: "
#define HS "Nov  9 04:07:51 web-01 sshd-session[1234]: "

/* Row helpers: family, policy, kind, method, flags, condition, shape,
 * since, until, why, example, user, source, port, count. */
#define ROW(fam, pol, kind, m, fl, cond, shape, since, until, why, ex, u, src, port, cnt) \
    {AG_FAM_##fam, AG_POL_##pol, AG_EV_##kind, AG_M_##m, (fl), (cond), shape, since, until, \
     why, ex, u, src, port, cnt}

/* Why texts used by many rows. */
#define W_FAIL "one guess; the user is client text, so the address is sshd's clause at the end"
#define W_FAIL_INV "one guess of a non-existent account; the first such line of a connection folds into its Invalid user line"
#define W_KEY "one offered key; nothing client-written follows the key type and fingerprint"
#define W_CERT "one offered certificate; the key ID is client text, so a clause there and one in the user name leave no source unless they agree"
#define W_PROBE_END "a pre-authentication drop; the address is the last token before the port, the user before it is client text"
#define W_OK "a login; attribution as for Failed"
#define W_NOADDR "no address in the line: the connection's other lines carry it"
#define W_FOLD "; a line of a non-existent account's attempt: folds into its connection's attempt, or counts as it when it is the only line to arrive"

const struct ag_row ag_rows[] = {
    /* ---- sshd: auth_log() results -------------------------------------- */
    ROW(SSHD, NOTHING, NONE, NONE, 0, 0, "Failed none for invalid user %u from %a port %p ssh2",
        "OpenSSH 3.9", "", "the probe every client sends first to learn the methods: no guess (its Invalid user line counts)",
        H "Failed none for invalid user admin from 203.0.113.9 port 40022 ssh2", "admin", "203.0.113.9", 40022, 0),
    ROW(SSHD, NOTHING, NONE, NONE, 0, 0, "Failed none for %u from %a port %p ssh2",
        "OpenSSH 3.9", "", "the method probe of a client, no guess",
        H "Failed none for root from 203.0.113.9 port 40022 ssh2", "root", "203.0.113.9", 40022, 0),
    ROW(SSHD, ATTEMPT, INVALID_USER, NONE, INV, 0, "Failed %m for invalid user %u from %h port %p ssh2",
        "OpenSSH 3.9", "", W_FAIL_INV,
        H "Failed password for invalid user oracle from 203.0.113.45 port 52211 ssh2", "oracle", "203.0.113.45", 52211, 0),
    ROW(SSHD, ATTEMPT, INVALID_USER, NONE, INV, 0, "Failed %m for illegal user %u from %h port %p ssh2",
        "OpenSSH 3.0", "OpenSSH 3.8", "as Failed ... for invalid user, before 3.9 renamed it",
        H "Failed password for illegal user oracle from 203.0.113.45 port 52211 ssh2", "oracle", "203.0.113.45", 52211, 0),
    ROW(SSHD, ATTEMPT, INVALID_USER, NONE, INV, 0, "Failed %m for invalid user %u from %h port %p ssh2: %w %w",
        "OpenSSH 6.8", "", "one offered key for a non-existent account; " W_KEY,
        H "Failed publickey for invalid user git from 198.51.100.7 port 40100 ssh2: ED25519 SHA256:6bJzZx2QbqZ8Vv1eXk0wC3o2lqzv9QzFq1aJgJQ5d2c", "git", "198.51.100.7", 40100, 0),
    ROW(SSHD, ATTEMPT, INVALID_USER, NONE, INV, 0, "Failed %m for invalid user %u from %h port %p ssh2: %w %w ID %* (serial %d) CA %w %w",
        "OpenSSH 6.8", "", W_CERT,
        H "Failed publickey for invalid user git from 198.51.100.7 port 40100 ssh2: ED25519-CERT SHA256:6bJzZx2QbqZ8Vv1eXk0wC3o2lqzv9QzFq1aJgJQ5d2c ID bot (serial 7) CA ED25519 SHA256:Qm9vYXJkZ2VuZXJhdGVkY2Ffa2V5X2ZwX2Zvcl90ZXN0", "git", "198.51.100.7", 40100, 0),
    ROW(SSHD, ATTEMPT, AUTH_FAILURE, NONE, 0, 0, "Failed %m for %U from %h port %p ssh2: %w %w ID %* (serial %d) CA %w %w",
        "OpenSSH 6.8", "", "one offered certificate for an account (no spaces), so the first clause is sshd's; the key ID is client text",
        H "Failed publickey for deploy from 198.51.100.7 port 40100 ssh2: RSA-CERT SHA256:6bJzZx2QbqZ8Vv1eXk0wC3o2lqzv9QzFq1aJgJQ5d2c ID ci (serial 12) CA RSA SHA256:Qm9vYXJkZ2VuZXJhdGVkY2Ffa2V5X2ZwX2Zvcl90ZXN0", "deploy", "198.51.100.7", 40100, 0),
    ROW(SSHD, ATTEMPT, AUTH_FAILURE, NONE, 0, 0, "Failed %m for %U from %h port %p ssh2: %w %w, client user \"%*\", client host \"%*\"",
        "OpenSSH 6.8", "", "one hostbased try; client user and host are client text after the address, the account has no spaces",
        H "Failed hostbased for deploy from 198.51.100.7 port 40100 ssh2: ECDSA SHA256:6bJzZx2QbqZ8Vv1eXk0wC3o2lqzv9QzFq1aJgJQ5d2c, client user \"deploy\", client host \"ci.example.net\"", "deploy", "198.51.100.7", 40100, 0),
    ROW(SSHD, ATTEMPT, AUTH_FAILURE, NONE, 0, 0, "Failed %m for %u from %h port %p ssh2: %w %w",
        "OpenSSH 6.8", "", W_KEY,
        H "Failed publickey for root from 198.51.100.7 port 40100 ssh2: RSA SHA256:6bJzZx2QbqZ8Vv1eXk0wC3o2lqzv9QzFq1aJgJQ5d2c", "root", "198.51.100.7", 40100, 0),
    ROW(SSHD, ATTEMPT, AUTH_FAILURE, NONE, 0, 0, "Failed %m for %u from %h port %p ssh2",
        "OpenSSH 3.0", "", W_FAIL,
        H "Failed password for root from 203.0.113.45 port 52211 ssh2", "root", "203.0.113.45", 52211, 0),
    ROW(SSHD, ATTEMPT, INVALID_USER, NONE, INV, 0, "Failed %m for invalid user %u from %h port %p ssh1",
        "OpenSSH 3.9", "OpenSSH 7.3", "SSH-1 protocol; as the ssh2 form",
        H "Failed password for invalid user test from 203.0.113.45 port 52211 ssh1", "test", "203.0.113.45", 52211, 0),
    ROW(SSHD, ATTEMPT, AUTH_FAILURE, NONE, 0, 0, "Failed %m for %u from %h port %p ssh1",
        "OpenSSH 3.0", "OpenSSH 7.3", "SSH-1 protocol; as the ssh2 form",
        H "Failed rsa for root from 203.0.113.45 port 52211 ssh1", "root", "203.0.113.45", 52211, 0),
    ROW(SSHD, SUCCESS, AUTH_SUCCESS, NONE, 0, 0, "Accepted %m for %U from %h port %p ssh2: %w %w ID %* (serial %d) CA %w %w",
        "OpenSSH 6.8", "", "a certificate login; " W_CERT,
        H "Accepted publickey for deploy from 192.0.2.10 port 50122 ssh2: ED25519-CERT SHA256:6bJzZx2QbqZ8Vv1eXk0wC3o2lqzv9QzFq1aJgJQ5d2c ID ci (serial 3) CA ED25519 SHA256:Qm9vYXJkZ2VuZXJhdGVkY2Ffa2V5X2ZwX2Zvcl90ZXN0", "deploy", "192.0.2.10", 50122, 0),
    ROW(SSHD, SUCCESS, AUTH_SUCCESS, NONE, 0, 0, "Accepted %m for %U from %h port %p ssh2: %w %w, client user \"%*\", client host \"%*\"",
        "OpenSSH 6.8", "", "a hostbased login; client user and host are client text",
        H "Accepted hostbased for deploy from 192.0.2.10 port 50122 ssh2: ECDSA SHA256:6bJzZx2QbqZ8Vv1eXk0wC3o2lqzv9QzFq1aJgJQ5d2c, client user \"deploy\", client host \"ci.example.net\"", "deploy", "192.0.2.10", 50122, 0),
    ROW(SSHD, SUCCESS, AUTH_SUCCESS, NONE, 0, 0, "Accepted %m for %u from %h port %p ssh2: %w %w, signature count = %d",
        "OpenSSH 8.2", "", "a FIDO key login",
        H "Accepted publickey for alice from 192.0.2.10 port 50122 ssh2: ED25519-SK SHA256:6bJzZx2QbqZ8Vv1eXk0wC3o2lqzv9QzFq1aJgJQ5d2c, signature count = 42", "alice", "192.0.2.10", 50122, 0),
    ROW(SSHD, SUCCESS, AUTH_SUCCESS, NONE, 0, 0, "Accepted %m for %u from %h port %p ssh2: %w %w",
        "OpenSSH 6.8", "", W_OK,
        H "Accepted publickey for alice from 192.0.2.10 port 50122 ssh2: ED25519 SHA256:6bJzZx2QbqZ8Vv1eXk0wC3o2lqzv9QzFq1aJgJQ5d2c", "alice", "192.0.2.10", 50122, 0),
    ROW(SSHD, SUCCESS, AUTH_SUCCESS, NONE, 0, 0, "Accepted %m for %u from %h port %p ssh2",
        "OpenSSH 3.0", "", W_OK,
        H "Accepted password for alice from 192.0.2.10 port 50122 ssh2", "alice", "192.0.2.10", 50122, 0),
    ROW(SSHD, SUCCESS, AUTH_SUCCESS, NONE, 0, 0, "Accepted %m for %u from %h port %p ssh1",
        "OpenSSH 3.0", "OpenSSH 7.3", "an SSH-1 login",
        H "Accepted rsa for alice from 192.0.2.10 port 50122 ssh1", "alice", "192.0.2.10", 50122, 0),
    ROW(SSHD, NOTHING, NONE, NONE, 0, 0, "Postponed %m for invalid user %u from %h port %p ssh2",
        "OpenSSH 4.0", "", "as above, for an invalid user",
        H "Postponed keyboard-interactive for invalid user admin from 203.0.113.45 port 52211 ssh2 [preauth]", "admin", "203.0.113.45", 52211, 0),
    ROW(SSHD, NOTHING, NONE, NONE, 0, 0, "Postponed %m for %u from %h port %p ssh2",
        "OpenSSH 4.0", "", "keyboard-interactive waiting for PAM: its Failed or Accepted line follows",
        H "Postponed keyboard-interactive for root from 203.0.113.45 port 52211 ssh2 [preauth]", "root", "203.0.113.45", 52211, 0),
    ROW(SSHD, NOTHING, NONE, NONE, 0, 0, "Partial %m for %u from %h port %p ssh2: %w %w",
        "OpenSSH 6.2", "", "one factor of AuthenticationMethods passed: no failure",
        H "Partial publickey for alice from 192.0.2.10 port 50122 ssh2: ED25519 SHA256:6bJzZx2QbqZ8Vv1eXk0wC3o2lqzv9QzFq1aJgJQ5d2c", "alice", "192.0.2.10", 50122, 0),
    ROW(SSHD, NOTHING, NONE, NONE, 0, 0, "Partial %m for %u from %h port %p ssh2",
        "OpenSSH 6.2", "", "one factor of AuthenticationMethods passed: no failure",
        H "Partial password for alice from 192.0.2.10 port 50122 ssh2", "alice", "192.0.2.10", 50122, 0),

    /* ---- sshd: announcements ------------------------------------------- */
    ROW(SSHD, ATTEMPT, INVALID_USER, NONE, INV | ANN, 0, "Invalid user %u from %h port %p",
        "OpenSSH 7.3", "", "the first line of a connection trying a non-existent account: counts as its attempt; the first Failed line of the same connection folds into it, and so do its closing lines",
        H "Invalid user admin from 203.0.113.9 port 40022", "admin", "203.0.113.9", 40022, 0),
    ROW(SSHD, ATTEMPT, INVALID_USER, NONE, INV | ANN, 0, "Invalid user %u from %h",
        "OpenSSH 3.9", "OpenSSH 7.2", "as above, before the port was added",
        H "Invalid user admin from 203.0.113.9", "admin", "203.0.113.9", 0, 0),
    ROW(SSHD, ATTEMPT, INVALID_USER, NONE, INV | ANN, 0, "Illegal user %u from %h",
        "OpenSSH 3.0", "OpenSSH 3.8", "as Invalid user, before 3.9",
        H "Illegal user admin from 203.0.113.9", "admin", "203.0.113.9", 0, 0),
    ROW(SSHD, ATTEMPT, NOT_ALLOWED, NONE, ANN, 0, "User %U from %h not allowed because %*",
        "OpenSSH 3.0", "", "an account refused by AllowUsers/DenyUsers/groups: sshd goes on as for an invalid user, so like Invalid user; the account has no spaces, the reason is sshd's",
        H "User backup from 203.0.113.9 not allowed because not listed in AllowUsers", "backup", "203.0.113.9", 0, 0),
    ROW(SSHD, ATTEMPT, NOT_ALLOWED, NONE, ANN, 0, "User %U not allowed because %*",
        "OpenSSH 3.0", "", "a locked account or a bad shell: no address in the line",
        H "User backup not allowed because account is locked", "backup", NULL, 0, 0),
    ROW(SSHD, ATTEMPT, ROOT_REFUSED, NONE, 0, 0, "ROOT LOGIN REFUSED FROM %h port %p",
        "OpenSSH 5.7", "", "a root login refused by PermitRootLogin: one try",
        H "ROOT LOGIN REFUSED FROM 203.0.113.45 port 52211", NULL, "203.0.113.45", 52211, 0),
    ROW(SSHD, ATTEMPT, ROOT_REFUSED, NONE, 0, 0, "ROOT LOGIN REFUSED FROM %h",
        "OpenSSH 3.0", "OpenSSH 5.6", "as above, before the port",
        H "ROOT LOGIN REFUSED FROM 203.0.113.45", NULL, "203.0.113.45", 0, 0),

    /* ---- sshd: too many failures --------------------------------------- */
    ROW(SSHD, ATTEMPT, MAX_AUTH, NONE, INV, 0, "maximum authentication attempts exceeded for invalid user %u from %a port %p ssh2",
        "OpenSSH 6.7", "", "the attempt past MaxAuthTries, which has no Failed line of its own",
        H "error: maximum authentication attempts exceeded for invalid user admin from 203.0.113.9 port 40022 ssh2 [preauth]", "admin", "203.0.113.9", 40022, 0),
    ROW(SSHD, ATTEMPT, MAX_AUTH, NONE, 0, 0, "maximum authentication attempts exceeded for %u from %a port %p ssh2",
        "OpenSSH 6.7", "", "the attempt past MaxAuthTries",
        H "error: maximum authentication attempts exceeded for root from 203.0.113.9 port 40022 ssh2 [preauth]", "root", "203.0.113.9", 40022, 0),
    ROW(SSHD, ECHO, MAX_AUTH, NONE, INV | ANN, 0, "Disconnecting invalid user %u %a port %p: Too many authentication failures",
        "OpenSSH 7.6", "", "repeats maximum authentication attempts; " W_PROBE_END W_FOLD,
        H "Disconnecting invalid user admin 203.0.113.9 port 40022: Too many authentication failures [preauth]", "admin", "203.0.113.9", 40022, 0),
    ROW(SSHD, ECHO, MAX_AUTH, NONE, 0, 0, "Disconnecting authenticating user %u %a port %p: Too many authentication failures",
        "OpenSSH 7.6", "", "repeats maximum authentication attempts",
        H "Disconnecting authenticating user root 203.0.113.9 port 40022: Too many authentication failures [preauth]", "root", "203.0.113.9", 40022, 0),
    ROW(SSHD, ECHO, MAX_AUTH, NONE, 0, 0, "Disconnecting: Too many authentication failures for %u",
        "OpenSSH 3.0", "OpenSSH 7.5", "repeats maximum authentication attempts; no address",
        H "Disconnecting: Too many authentication failures for root [preauth]", "root", NULL, 0, 0),
    ROW(SSHD, ECHO, MAX_AUTH, NONE, 0, 0, "Disconnecting: Too many authentication failures",
        "OpenSSH 6.7", "OpenSSH 7.5", "repeats maximum authentication attempts; no address",
        H "Disconnecting: Too many authentication failures [preauth]", NULL, NULL, 0, 0),
    ROW(SSHD, PROBE, PREAUTH_DISCONNECT, NONE, INV | ANN, PRE, "Disconnecting invalid user %u %a port %p: %*",
        "OpenSSH 7.6", "", "sshd ends a connection for a protocol error; the reason is sshd's, the user client text" W_FOLD,
        H "Disconnecting invalid user admin 203.0.113.9 port 40022: Change of username or service not allowed: (admin,ssh-connection) -> (root,ssh-connection) [preauth]", "admin", "203.0.113.9", 40022, 0),
    ROW(SSHD, PROBE, PREAUTH_DISCONNECT, NONE, 0, PRE, "Disconnecting authenticating user %u %a port %p: %*",
        "OpenSSH 7.6", "", "as above, for an account",
        H "Disconnecting authenticating user root 203.0.113.9 port 40022: Change of username or service not allowed: (root,ssh-connection) -> (admin,ssh-connection) [preauth]", "root", "203.0.113.9", 40022, 0),
    ROW(SSHD, PROBE, PREAUTH_DISCONNECT, NONE, 0, PRE, "Disconnecting %a port %p: %*",
        "OpenSSH 7.6", "", "a pre-authentication protocol error (bad DH value, packet corrupt)",
        H "Disconnecting 203.0.113.9 port 40022: bad client public DH value [preauth]", NULL, "203.0.113.9", 40022, 0),
    ROW(SSHD, NOTHING, NONE, NONE, 0, 0, "Disconnecting: %*",
        "OpenSSH 3.0", "OpenSSH 7.5", W_NOADDR,
        H "Disconnecting: bad client public DH value [preauth]", NULL, NULL, 0, 0),

    /* ---- sshd: connection ends before authentication (packet.c) -------- */
    ROW(SSHD, PROBE, PREAUTH_DISCONNECT, NONE, INV | ANN, PRE, "Connection closed by invalid user %u %a port %p",
        "OpenSSH 7.6", "", "the client left after trying a non-existent account (a key-only server's bot pattern); " W_PROBE_END W_FOLD,
        H "Connection closed by invalid user admin 203.0.113.9 port 40022 [preauth]", "admin", "203.0.113.9", 40022, 0),
    ROW(SSHD, PROBE, PREAUTH_DISCONNECT, NONE, 0, PRE, "Connection closed by authenticating user %u %a port %p",
        "OpenSSH 7.6", "", W_PROBE_END,
        H "Connection closed by authenticating user root 203.0.113.9 port 40022 [preauth]", "root", "203.0.113.9", 40022, 0),
    ROW(SSHD, PROBE, PREAUTH_DISCONNECT, NONE, 0, PRE, "Connection closed by %a port %p",
        "OpenSSH 7.3", "", "a client that left before authenticating; without [preauth] the same words end a session",
        H "Connection closed by 203.0.113.9 port 40022 [preauth]", NULL, "203.0.113.9", 40022, 0),
    ROW(SSHD, PROBE, PREAUTH_DISCONNECT, NONE, 0, PRE, "Connection closed by %a",
        "OpenSSH 5.0", "OpenSSH 7.2", "as above, before the port",
        H "Connection closed by 203.0.113.9 [preauth]", NULL, "203.0.113.9", 0, 0),
    ROW(SSHD, PROBE, PREAUTH_DISCONNECT, NONE, INV | ANN, 0, "Connection reset by invalid user %u %a port %p",
        "OpenSSH 7.6", "", W_PROBE_END W_FOLD,
        H "Connection reset by invalid user admin 203.0.113.9 port 40022 [preauth]", "admin", "203.0.113.9", 40022, 0),
    ROW(SSHD, PROBE, PREAUTH_DISCONNECT, NONE, 0, 0, "Connection reset by authenticating user %u %a port %p",
        "OpenSSH 7.6", "", W_PROBE_END,
        H "Connection reset by authenticating user root 203.0.113.9 port 40022 [preauth]", "root", "203.0.113.9", 40022, 0),
    ROW(SSHD, PROBE, PREAUTH_DISCONNECT, NONE, 0, 0, "Connection reset by %a port %p",
        "OpenSSH 7.3", "", "a reset before authentication (some builds log it without [preauth])",
        H "Connection reset by 203.0.113.9 port 40022 [preauth]", NULL, "203.0.113.9", 40022, 0),
    ROW(SSHD, PROBE, PREAUTH_DISCONNECT, NONE, 0, 0, "Connection reset by %a",
        "OpenSSH 5.0", "OpenSSH 7.2", "as above, before the port",
        H "Connection reset by 203.0.113.9 [preauth]", NULL, "203.0.113.9", 0, 0),
    ROW(SSHD, PROBE, PREAUTH_DISCONNECT, NONE, INV | ANN, PRE, "Disconnected from invalid user %u %a port %p",
        "OpenSSH 7.6", "", W_PROBE_END W_FOLD,
        H "Disconnected from invalid user admin 203.0.113.9 port 40022 [preauth]", "admin", "203.0.113.9", 40022, 0),
    ROW(SSHD, PROBE, PREAUTH_DISCONNECT, NONE, 0, PRE, "Disconnected from authenticating user %u %a port %p",
        "OpenSSH 7.6", "", W_PROBE_END,
        H "Disconnected from authenticating user root 203.0.113.9 port 40022 [preauth]", "root", "203.0.113.9", 40022, 0),
    ROW(SSHD, PROBE, PREAUTH_DISCONNECT, NONE, 0, PRE, "Disconnected from %a port %p",
        "OpenSSH 7.3", "", "the client disconnected before authenticating",
        H "Disconnected from 203.0.113.9 port 40022 [preauth]", NULL, "203.0.113.9", 40022, 0),
    ROW(SSHD, NOTHING, NONE, NONE, 0, PRE, "Received disconnect from %a port %p:%d: %*",
        "OpenSSH 7.3", "", "the client's goodbye (Bye Bye, Auth fail): sshd's Disconnected from line of the same connection follows and counts; the reason is client text after the address",
        H "Received disconnect from 203.0.113.9 port 40022:11: Bye Bye [preauth]", NULL, "203.0.113.9", 40022, 0),
    ROW(SSHD, NOTHING, NONE, NONE, 0, PRE, "Received disconnect from %a: %d: %*",
        "OpenSSH 5.0", "OpenSSH 7.2", "as above, before the port",
        H "Received disconnect from 203.0.113.9: 11: Bye Bye [preauth]", NULL, "203.0.113.9", 0, 0),
    ROW(SSHD, PROBE, PREAUTH_DISCONNECT, NONE, 0, PRE, "Connection from %a port %p timed out",
        "OpenSSH 8.4", "", "a pre-authentication connection that went silent",
        H "Connection from 203.0.113.9 port 40022 timed out [preauth]", NULL, "203.0.113.9", 40022, 0),

    /* ---- sshd: broken or hostile clients ------------------------------- */
    ROW(SSHD, PROBE, NO_IDENT, NONE, 0, 0, "Did not receive identification string from %a port %p",
        "OpenSSH 7.3", "OpenSSH 8.1", "a TCP connect with no SSH banner: a port scan",
        H "Did not receive identification string from 203.0.113.9 port 40022", NULL, "203.0.113.9", 40022, 0),
    ROW(SSHD, PROBE, NO_IDENT, NONE, 0, 0, "Did not receive identification string from %a",
        "OpenSSH 3.0", "OpenSSH 7.2", "as above, before the port",
        H "Did not receive identification string from 203.0.113.9", NULL, "203.0.113.9", 0, 0),
    ROW(SSHD, PROBE, BAD_PROTOCOL, NONE, 0, 0, "banner exchange: Connection from %a port %p: %*",
        "OpenSSH 8.2", "", "the client's first line was no SSH banner; the reason quotes it, after the address",
        H "banner exchange: Connection from 203.0.113.9 port 40022: invalid format", NULL, "203.0.113.9", 40022, 0),
    ROW(SSHD, PROBE, BAD_PROTOCOL, NONE, 0, 0, "Bad protocol version identification %* from %a port %p",
        "OpenSSH 5.0", "OpenSSH 8.1", "a non-SSH banner; the banner is client text before the address, so the last clause is sshd's",
        H "Bad protocol version identification 'GET / HTTP/1.1' from 203.0.113.9 port 40022", NULL, "203.0.113.9", 40022, 0),
    ROW(SSHD, PROBE, BAD_PROTOCOL, NONE, 0, 0, "Bad protocol version identification %* from %a",
        "OpenSSH 3.0", "OpenSSH 7.2", "as above, before the port",
        H "Bad protocol version identification 'GET / HTTP/1.1' from 203.0.113.9", NULL, "203.0.113.9", 0, 0),
    ROW(SSHD, PROBE, BAD_PROTOCOL, NONE, 0, 0, "Protocol major versions differ for %a port %p: %*",
        "OpenSSH 7.3", "OpenSSH 8.1", "an SSH-1 client; the versions are client text after the address",
        H "Protocol major versions differ for 203.0.113.9 port 40022: SSH-2.0-OpenSSH_8.0 vs. SSH-1.5-Nmap-SSH1-Hostkey", NULL, "203.0.113.9", 40022, 0),
    ROW(SSHD, PROBE, BAD_PROTOCOL, NONE, 0, 0, "Protocol major versions differ for %a: %*",
        "OpenSSH 3.0", "OpenSSH 7.2", "as above, before the port",
        H "Protocol major versions differ for 203.0.113.9: SSH-2.0-OpenSSH_6.6 vs. SSH-1.5-Nmap-SSH1-Hostkey", NULL, "203.0.113.9", 0, 0),
    ROW(SSHD, NOTHING, NONE, NONE, 0, 0, "kex_exchange_identification: %*",
        "OpenSSH 8.2", "", W_NOADDR " (banner exchange or Connection closed by)",
        H "kex_exchange_identification: Connection closed by remote host", NULL, NULL, 0, 0),
    ROW(SSHD, PROBE, NEGOTIATION, NONE, 0, 0, "Unable to negotiate with %a port %p: no matching %* found. Their offer: %*",
        "OpenSSH 7.3", "", "a client with no common algorithm (old scanners); the offer is client text after the address",
        H "Unable to negotiate with 203.0.113.9 port 40022: no matching key exchange method found. Their offer: diffie-hellman-group1-sha1 [preauth]", NULL, "203.0.113.9", 40022, 0),
    ROW(SSHD, PROBE, NEGOTIATION, NONE, 0, 0, "Unable to negotiate with %a: no matching %* found. Their offer: %*",
        "OpenSSH 6.8", "OpenSSH 7.2", "as above, before the port",
        H "Unable to negotiate with 203.0.113.9: no matching cipher found. Their offer: aes128-cbc [preauth]", NULL, "203.0.113.9", 0, 0),
    ROW(SSHD, NOTHING, NONE, NONE, 0, 0, "Unable to negotiate a %*",
        "OpenSSH 6.5", "OpenSSH 6.7", W_NOADDR,
        H "fatal: Unable to negotiate a key exchange method [preauth]", NULL, NULL, 0, 0),
    ROW(SSHD, NOTHING, NONE, NONE, 0, 0, "no matching %* found: client %* server %*",
        "OpenSSH 4.0", "OpenSSH 6.7", W_NOADDR,
        H "fatal: no matching cipher found: client aes128-cbc server aes256-ctr [preauth]", NULL, NULL, 0, 0),
    ROW(SSHD, PROBE, TIMEOUT_PREAUTH, NONE, 0, 0, "Timeout before authentication for %a port %p",
        "OpenSSH 7.3", "OpenSSH 9.7", "LoginGraceTime ran out: a stalled (or exploit) connection",
        H "fatal: Timeout before authentication for 203.0.113.9 port 40022", NULL, "203.0.113.9", 40022, 0),
    ROW(SSHD, PROBE, TIMEOUT_PREAUTH, NONE, 0, 0, "Timeout before authentication for %a",
        "OpenSSH 3.0", "OpenSSH 7.2", "as above, before the port",
        H "fatal: Timeout before authentication for 203.0.113.9", NULL, "203.0.113.9", 0, 0),
    ROW(SSHD, PROBE, TIMEOUT_PREAUTH, NONE, 0, 0, "Timeout before authentication for connection from %a to %l, pid = %d",
        "OpenSSH 9.8", "", "the listener's note when a session process outlived LoginGraceTime (also FreeBSD's older sshd)",
        H "Timeout before authentication for connection from 203.0.113.9 to 192.0.2.1, pid = 4242", NULL, "203.0.113.9", 0, 0),
    ROW(SSHD, PROBE, MAC_ERROR, NONE, INV, 0, "ssh_dispatch_run_fatal: Connection from invalid user %u %a port %p: message authentication code incorrect",
        "OpenSSH 7.6", "", "a wrong MAC: the CVE-2024-6387 exploit signature",
        H "ssh_dispatch_run_fatal: Connection from invalid user admin 203.0.113.9 port 40022: message authentication code incorrect [preauth]", "admin", "203.0.113.9", 40022, 0),
    ROW(SSHD, PROBE, MAC_ERROR, NONE, 0, 0, "ssh_dispatch_run_fatal: Connection from authenticating user %u %a port %p: message authentication code incorrect",
        "OpenSSH 7.6", "", "a wrong MAC",
        H "ssh_dispatch_run_fatal: Connection from authenticating user root 203.0.113.9 port 40022: message authentication code incorrect [preauth]", "root", "203.0.113.9", 40022, 0),
    ROW(SSHD, PROBE, MAC_ERROR, NONE, 0, 0, "ssh_dispatch_run_fatal: Connection from %a port %p: message authentication code incorrect",
        "OpenSSH 7.3", "", "a wrong MAC, in or out of [preauth]",
        H "ssh_dispatch_run_fatal: Connection from 203.0.113.9 port 40022: message authentication code incorrect [preauth]", NULL, "203.0.113.9", 40022, 0),
    ROW(SSHD, PROBE, MAC_ERROR, NONE, INV, PRE, "ssh_dispatch_run_fatal: Connection from invalid user %u %a port %p: %E",
        "OpenSSH 7.6", "", "any other fatal packet error before authentication; the reason is sshd's",
        H "ssh_dispatch_run_fatal: Connection from invalid user x 203.0.113.9 port 40022: Connection corrupted [preauth]", "x", "203.0.113.9", 40022, 0),
    ROW(SSHD, PROBE, MAC_ERROR, NONE, 0, PRE, "ssh_dispatch_run_fatal: Connection from authenticating user %u %a port %p: %E",
        "OpenSSH 7.6", "", "any other fatal packet error before authentication",
        H "ssh_dispatch_run_fatal: Connection from authenticating user root 203.0.113.9 port 40022: Connection corrupted [preauth]", "root", "203.0.113.9", 40022, 0),
    ROW(SSHD, PROBE, MAC_ERROR, NONE, 0, PRE, "ssh_dispatch_run_fatal: Connection from %a port %p: %E",
        "OpenSSH 7.3", "", "any other fatal packet error before authentication (a broken pipe in a session is none)",
        H "ssh_dispatch_run_fatal: Connection from 203.0.113.9 port 40022: invalid format [preauth]", NULL, "203.0.113.9", 40022, 0),
    ROW(SSHD, NOTHING, NONE, NONE, 0, 0, "Corrupted MAC on input.",
        "OpenSSH 3.0", "", W_NOADDR,
        H "Corrupted MAC on input. [preauth]", NULL, NULL, 0, 0),
    ROW(SSHD, NOTHING, NONE, NONE, 0, 0, "Bad packet length %d.",
        "OpenSSH 3.0", "", W_NOADDR,
        H "Bad packet length 1349676916. [preauth]", NULL, NULL, 0, 0),
    ROW(SSHD, PROBE, PENALTY, NONE, 0, 0, "drop connection #%d from [%a]:%p on [%l]:%d penalty: %*",
        "OpenSSH 9.8", "", "PerSourcePenalties refused the source: all of it is sshd's text",
        H "drop connection #0 from [203.0.113.9]:40022 on [192.0.2.1]:22 penalty: failed authentication", NULL, "203.0.113.9", 40022, 0),
    ROW(SSHD, PROBE, PENALTY, NONE, 0, 0, "drop connection #%d from [%a]:%p on [%l]:%d past MaxStartups",
        "OpenSSH 8.5", "", "MaxStartups refused a connection: a flood of unauthenticated connections",
        H "drop connection #10 from [203.0.113.9]:40022 on [192.0.2.1]:22 past MaxStartups", NULL, "203.0.113.9", 40022, 0),
    ROW(SSHD, ECHO, PENALTY, NONE, 0, 0, "srclimit_penalise: %w: new %c active penalty of %w seconds for %*",
        "OpenSSH 9.8", "", "sshd's own verdict on failures already counted",
        H "srclimit_penalise: ipv4: new 203.0.113.9/32 active penalty of 30.000 seconds for penalty: failed authentication", NULL, "203.0.113.9", 0, 0),

    /* ---- sshd: PAM (auth-pam.c) ---------------------------------------- */
    ROW(SSHD, ECHO, PAM_FAILURE, PAM, INV, 0, "PAM: Authentication failure for illegal user %u from %h",
        "OpenSSH 3.7", "", "repeats the Failed keyboard-interactive/pam line; the host is the last token",
        H "error: PAM: Authentication failure for illegal user admin from 203.0.113.9", "admin", "203.0.113.9", 0, 0),
    ROW(SSHD, ECHO, PAM_FAILURE, PAM, 0, 0, "PAM: Authentication failure for %u from %h",
        "OpenSSH 3.7", "", "repeats the Failed keyboard-interactive/pam line",
        H "error: PAM: Authentication failure for root from 203.0.113.9", "root", "203.0.113.9", 0, 0),
    ROW(SSHD, ECHO, PAM_FAILURE, PAM, 0, 0, "PAM: authentication failure for %u from %h",
        "", "", "lower-case, as some PAM modules' pam_strerror text has it",
        H "error: PAM: authentication failure for root from 203.0.113.9", "root", "203.0.113.9", 0, 0),
    ROW(SSHD, ECHO, PAM_FAILURE, PAM, INV, 0, "PAM: User not known to the underlying authentication module for illegal user %u from %h",
        "OpenSSH 3.7", "", "pam_unix's user-unknown for a non-existent account",
        H "error: PAM: User not known to the underlying authentication module for illegal user admin from 203.0.113.9", "admin", "203.0.113.9", 0, 0),
    ROW(SSHD, ECHO, PAM_FAILURE, PAM, 0, 0, "PAM: Authentication failure for %u from %h via %l",
        "", "", "a build that also names the local address; the source is the token before \"via\"",
        H "error: PAM: Authentication failure for root from 203.0.113.9 via 192.0.2.1", "root", "203.0.113.9", 0, 0),
    ROW(SSHD, ECHO, PAM_MORE_FAILURES, PAM, 0, 0, "PAM %n more authentication failure%z; logname=%z uid=%d euid=%d tty=%z ruser=%r rhost=%o  user=%u",
        "OpenSSH 3.7", "", "pam_unix's summary when the session ends: repeats failures logged one by one",
        H "PAM 2 more authentication failures; logname= uid=0 euid=0 tty=ssh ruser= rhost=203.0.113.9  user=root", "root", "203.0.113.9", 0, 2),
    ROW(SSHD, ECHO, PAM_MORE_FAILURES, PAM, 0, 0, "PAM %n more authentication failure%z; logname=%z uid=%d euid=%d tty=%z ruser=%r rhost=%o",
        "OpenSSH 3.7", "", "as above, for a user PAM does not know",
        H "PAM 1 more authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=203.0.113.9", NULL, "203.0.113.9", 0, 1),
    ROW(SSHD, NOTHING, NONE, NONE, 0, 0, "PAM service(%w) ignoring max retries; %d > %d",
        "OpenSSH 3.7", "", W_NOADDR,
        H "PAM service(sshd) ignoring max retries; 6 > 3", NULL, NULL, 0, 0),

    /* ---- PAM modules, any program (libpam pam_syslog) ------------------ */
    ROW(PAM, ECHO, PAM_FAILURE, PAM, 0, AG_ROW_PAM_SERVICE, "pam_%w(%s:auth): authentication failure; logname=%z uid=%d euid=%d tty=%z ruser=%r rhost=%o  user=%u",
        "Linux-PAM 0.99", "", "the service's own line counts (sshd Failed, su FAILED, sudo incorrect password); for other services it is the attempt. ruser is a local account or empty for these services; user is client text and comes last",
        "Nov  9 04:07:51 web-01 sshd[1234]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=203.0.113.9  user=root", "root", "203.0.113.9", 0, 0),
    ROW(PAM, ECHO, PAM_FAILURE, PAM, 0, AG_ROW_PAM_SERVICE, "pam_%w(%s:auth): authentication failure; logname=%z uid=%d euid=%d tty=%z ruser=%r rhost=%o",
        "Linux-PAM 0.99", "", "as above, for a user PAM does not know",
        "Nov  9 04:07:51 web-01 sshd[1234]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=203.0.113.9", NULL, "203.0.113.9", 0, 0),
    ROW(PAM, ECHO, PAM_FAILURE, PAM, 0, AG_ROW_PAM_SERVICE, "pam_%w(%s:auth): authentication failure; logname=%z uid=%d euid=%d tty=%z ruser=%r rhost=%o user=%u",
        "", "", "modules that write one space before user= (pam_sss, pam_ldap)",
        "Nov  9 04:07:51 web-01 sshd[1234]: pam_sss(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=203.0.113.9 user=root", "root", "203.0.113.9", 0, 0),
    ROW(PAM, ECHO, PAM_FAILURE, PAM, 0, 0, "pam_%w(auth): authentication failure; logname=%z uid=%d euid=%d tty=%z ruser=%r rhost=%o  user=%u",
        "", "", "a module that logs without the service name",
        "Nov  9 04:07:51 web-01 sshd[1234]: pam_unix(auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=203.0.113.9  user=root", "root", "203.0.113.9", 0, 0),
    ROW(PAM, ECHO, PAM_MORE_FAILURES, PAM, 0, 0, "pam_%w(%s:auth): %n more authentication failure%z; logname=%z uid=%d euid=%d tty=%z ruser=%r rhost=%o  user=%u",
        "Linux-PAM 0.99", "", "the summary when the session ends: repeats failures logged one by one",
        "Nov  9 04:07:51 web-01 sshd[1234]: pam_unix(sshd:auth): 2 more authentication failures; logname= uid=0 euid=0 tty=ssh ruser= rhost=203.0.113.9  user=root", "root", "203.0.113.9", 0, 2),
    ROW(PAM, NOTHING, NONE, NONE, 0, 0, "pam_%w(%s:auth): check pass; user unknown",
        "Linux-PAM 0.99", "", "precedes the authentication failure line of the same attempt; no address",
        "Nov  9 04:07:51 web-01 sshd[1234]: pam_unix(sshd:auth): check pass; user unknown", NULL, NULL, 0, 0),
    ROW(PAM, ECHO, PAM_FAILURE, PAM, 0, 0, "pam_faillock(%s:auth): Consecutive login failures for user %u account temporarily locked",
        "Linux-PAM 1.4", "", "the lockout repeats failures already counted; no address",
        "Nov  9 04:07:51 web-01 sshd[1234]: pam_faillock(sshd:auth): Consecutive login failures for user root account temporarily locked", "root", NULL, 0, 0),
    ROW(PAM, ECHO, PAM_FAILURE, PAM, 0, 0, "pam_tally2(%s:auth): user %u (%d) tally %d, deny %d",
        "Linux-PAM 1.1", "Linux-PAM 1.4", "the lockout counter repeats failures already counted; no address",
        "Nov  9 04:07:51 web-01 sshd[1234]: pam_tally2(sshd:auth): user root (0) tally 4, deny 3", "root", NULL, 0, 0),

    /* ---- old PAM: "SERVICE(pam_unix)[PID]" tags and "pam_unix:" -------- */
    ROW(PAM_OLD, ECHO, PAM_FAILURE, PAM, 0, AG_ROW_PAM_SERVICE, "authentication failure; logname=%z uid=%d euid=%d tty=%z ruser=%r rhost=%o  user=%u",
        "Linux-PAM 0.75", "Linux-PAM 0.79", "as pam_unix(SERVICE:auth); the service is in the tag",
        "Nov  9 04:07:51 web-01 sshd(pam_unix)[1234]: authentication failure; logname= uid=0 euid=0 tty=NODEVssh ruser= rhost=203.0.113.9  user=root", "root", "203.0.113.9", 0, 0),
    ROW(PAM_OLD, ECHO, PAM_FAILURE, PAM, 0, AG_ROW_PAM_SERVICE, "authentication failure; logname=%z uid=%d euid=%d tty=%z ruser=%r rhost=%o",
        "Linux-PAM 0.75", "Linux-PAM 0.79", "as above, user unknown to PAM",
        "Nov  9 04:07:51 web-01 sshd(pam_unix)[1234]: authentication failure; logname= uid=0 euid=0 tty=NODEVssh ruser= rhost=203.0.113.9", NULL, "203.0.113.9", 0, 0),
    ROW(PAM_OLD, ECHO, PAM_MORE_FAILURES, PAM, 0, 0, "%n more authentication failure%z; logname=%z uid=%d euid=%d tty=%z ruser=%r rhost=%o  user=%u",
        "Linux-PAM 0.75", "Linux-PAM 0.79", "the old summary",
        "Nov  9 04:07:51 web-01 sshd(pam_unix)[1234]: 2 more authentication failures; logname= uid=0 euid=0 tty=NODEVssh ruser= rhost=203.0.113.9  user=root", "root", "203.0.113.9", 0, 2),
    ROW(PAM_OLD, NOTHING, NONE, NONE, 0, 0, "check pass; user unknown",
        "Linux-PAM 0.75", "Linux-PAM 0.79", "precedes the failure line; no address",
        "Nov  9 04:07:51 web-01 sshd(pam_unix)[1234]: check pass; user unknown", NULL, NULL, 0, 0),
    ROW(PAM, ECHO, PAM_FAILURE, PAM, 0, 0, "pam_unix: authentication failure; logname=%z uid=%d euid=%d tty=%z ruser=%r rhost=%o  user=%u",
        "Linux-PAM 0.7x", "", "the old module prefix inside the message",
        "Nov  9 04:07:51 web-01 sshd[1234]: pam_unix: authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=203.0.113.9  user=root", "root", "203.0.113.9", 0, 0),

    /* ---- sudo (plugins/sudoers/logging.c) ------------------------------ */
    ROW(SUDO, ATTEMPT, SUDO_FAILURE, PASSWORD, 0, 0, "%U : %n incorrect password attempts ; TTY=%w ; PWD=%* ; USER=%t ; COMMAND=%*",
        "sudo 1.6", "", "N wrong passwords of the caller (PWD and COMMAND are the caller's text)",
        "Nov  9 04:07:51 web-01 sudo[1234]:    alice : 3 incorrect password attempts ; TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/bin/sh", "alice", NULL, 0, 3),
    ROW(SUDO, ATTEMPT, SUDO_FAILURE, PASSWORD, 0, 0, "%U : %n incorrect password attempt ; TTY=%w ; PWD=%* ; USER=%t ; COMMAND=%*",
        "sudo 1.6", "", "as above, singular",
        "Nov  9 04:07:51 web-01 sudo[1234]:    alice : 1 incorrect password attempt ; TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/bin/sh", "alice", NULL, 0, 1),
    ROW(SUDO, ATTEMPT, SUDO_FAILURE, PASSWORD, 0, 0, "%U : %n incorrect password attempts ; %*",
        "sudo 1.6", "", "other field orders (HOST=, no TTY)",
        "Nov  9 04:07:51 web-01 sudo[1234]: alice : 2 incorrect password attempts ; HOST=web-01 ; USER=root ; COMMAND=/bin/sh", "alice", NULL, 0, 2),
    ROW(SUDO, ATTEMPT, SUDO_DENIED, NONE, 0, 0, "%U : user NOT in sudoers ; TTY=%w ; PWD=%* ; USER=%t ; COMMAND=%*",
        "sudo 1.6", "", "a caller not in sudoers: never a typo",
        "Nov  9 04:07:51 web-01 sudo[1234]:      bob : user NOT in sudoers ; TTY=pts/1 ; PWD=/home/bob ; USER=root ; COMMAND=/bin/bash", "bob", NULL, 0, 0),
    ROW(SUDO, ATTEMPT, SUDO_DENIED, NONE, 0, 0, "%U : command not allowed ; TTY=%w ; PWD=%* ; USER=%t ; COMMAND=%*",
        "sudo 1.6", "", "a command sudoers does not allow the caller",
        "Nov  9 04:07:51 web-01 sudo[1234]:      bob : command not allowed ; TTY=pts/1 ; PWD=/home/bob ; USER=root ; COMMAND=/bin/bash", "bob", NULL, 0, 0),
    ROW(SUDO, ATTEMPT, SUDO_DENIED, NONE, 0, 0, "%U : user NOT authorized on host ; TTY=%w ; PWD=%* ; USER=%t ; COMMAND=%*",
        "sudo 1.6", "", "sudoers has the caller, not on this host",
        "Nov  9 04:07:51 web-01 sudo[1234]:      bob : user NOT authorized on host ; TTY=pts/1 ; PWD=/home/bob ; USER=root ; COMMAND=/bin/bash", "bob", NULL, 0, 0),

    /* ---- su (shadow src/su.c, util-linux login-utils/su-common.c) ------ */
    ROW(SU, ATTEMPT, SU_FAILURE, NONE, 0, 0, "FAILED su for %u by %b",
        "shadow 4.0", "", "a wrong password for the target; the caller is a logged-in account (no spaces)",
        "Nov  9 04:07:51 web-01 su[1234]: FAILED su for root by alice", "root", NULL, 0, 0),
    ROW(SU, ATTEMPT, SU_FAILURE, NONE, 0, 0, "FAILED SU (to %u) %b on %w",
        "util-linux 2.22", "", "a wrong password for the target",
        "Nov  9 04:07:51 web-01 su[1234]: FAILED SU (to root) alice on pts/0", "root", NULL, 0, 0),
    ROW(SU, ATTEMPT, SU_FAILURE, NONE, 0, 0, "BAD SU %b to %u on %w",
        "shadow 4.0", "", "a wrong password for the target",
        "Nov  9 04:07:51 web-01 su[1234]: BAD SU alice to root on /dev/pts/0", "root", NULL, 0, 0),
    ROW(SU, ECHO, SU_FAILURE, NONE, 0, 0, "pam_authenticate: %*",
        "shadow 4.1", "", "shadow su's PAM error; the FAILED su line of the same attempt counts",
        "Nov  9 04:07:51 web-01 su[1234]: pam_authenticate: Authentication failure", NULL, NULL, 0, 0),
    ROW(SU, NOTHING, NONE, NONE, 0, 0, "failed: %*",
        "", "", "a failed su as BSD-style su writes it; the target and caller are on other lines",
        "Nov  9 04:07:51 web-01 su[1234]: failed: pts/0 changing from alice to root", NULL, NULL, 0, 0),

    /* ---- login (util-linux login-utils/login.c, shadow src/login.c) ---- */
    ROW(LOGIN, ATTEMPT, LOGIN_FAILURE, NONE, 0, 0, "FAILED LOGIN (%d) on '%w' FROM '%h' FOR '%u', %*",
        "util-linux 2.13", "", "a wrong password at a remote login prompt; the host is login's, before the typed user",
        "Nov  9 04:07:51 web-01 login[1234]: FAILED LOGIN (1) on '/dev/pts/3' FROM '203.0.113.9' FOR 'root', Authentication failure", "root", "203.0.113.9", 0, 0),
    ROW(LOGIN, ATTEMPT, LOGIN_FAILURE, NONE, 0, 0, "FAILED LOGIN (%d) on '%w' FOR '%u', %*",
        "util-linux 2.13", "", "a wrong password at a console prompt",
        "Nov  9 04:07:51 web-01 login[1234]: FAILED LOGIN (1) on '/dev/tty1' FOR 'root', Authentication failure", "root", NULL, 0, 0),
    ROW(LOGIN, ATTEMPT, LOGIN_FAILURE, NONE, 0, 0, "FAILED LOGIN %d FROM '%h' FOR '%u', %*",
        "shadow 4.0", "", "a wrong password at a remote login prompt",
        "Nov  9 04:07:51 web-01 login[1234]: FAILED LOGIN 1 FROM '203.0.113.9' FOR 'root', Authentication failure", "root", "203.0.113.9", 0, 0),
    ROW(LOGIN, ATTEMPT, LOGIN_FAILURE, NONE, 0, 0, "FAILED LOGIN %d FROM %h FOR %u, %*",
        "shadow 4.0", "", "as above, unquoted",
        "Nov  9 04:07:51 web-01 login[1234]: FAILED LOGIN 1 FROM 203.0.113.9 FOR root, Authentication failure", "root", "203.0.113.9", 0, 0),
    ROW(LOGIN, ATTEMPT, LOGIN_FAILURE, NONE, 0, 0, "FAILED LOGIN %d on '%w' FOR '%u', %*",
        "shadow 4.0", "", "a wrong password at a console prompt",
        "Nov  9 04:07:51 web-01 login[1234]: FAILED LOGIN 1 on '/dev/tty1' FOR 'root', Authentication failure", "root", NULL, 0, 0),
    ROW(LOGIN, ATTEMPT, LOGIN_FAILURE, NONE, 0, 0, "FAILED LOGIN %d FOR %u, %*",
        "shadow 4.0", "", "a wrong password at a console prompt",
        "Nov  9 04:07:51 web-01 login[1234]: FAILED LOGIN 1 FOR root, Authentication failure", "root", NULL, 0, 0),

    /* ---- tcpwrappers (libwrap refuse()) -------------------------------- */
    ROW(TCPW, PROBE, TCPW_REFUSED, NONE, 0, 0, "refused connect from %w (%a)",
        "tcp_wrappers 7.6", "", "a host refused by hosts.deny; the address in parentheses is libwrap's",
        "Nov  9 04:07:51 web-01 sshd[1234]: refused connect from scanner.example.net (203.0.113.9)", NULL, "203.0.113.9", 0, 0),
    ROW(TCPW, PROBE, TCPW_REFUSED, NONE, 0, 0, "refused connect from %h",
        "tcp_wrappers 7.6", "", "as above, name unknown",
        "Nov  9 04:07:51 web-01 sshd[1234]: refused connect from 203.0.113.9", NULL, "203.0.113.9", 0, 0),
};

const unsigned ag_n_rows = sizeof(ag_rows) / sizeof(ag_rows[0]);

/* ---- compilation and dispatch --------------------------------------------- */

/* A row's first word: its leading literal up to a space. Sets *len to 0
 * when the template's first word is not all literal (it starts with a
 * field, or a field follows before any space). */
static const char *row_word(const struct ag_shape *s, uint8_t *len)
{
    *len = 0;
    if (s->n == 0 || s->op[0].type != 0)
        return NULL;
    const char *sp = memchr(s->op[0].lit, ' ', s->op[0].len);
    size_t n = sp ? (size_t)(sp - s->op[0].lit) : (s->n == 1 ? s->op[0].len : 0);
    if (n == 0 || n > AG_CAT_WORD_MAX)
        return NULL;
    *len = (uint8_t)n;
    return s->op[0].lit;
}

static unsigned word_hash(const char *w, size_t n)
{
    return ((unsigned char)w[0] * 31u + (unsigned char)w[n - 1] * 7u + (unsigned)n) &
           (AG_CAT_SLOTS - 1);
}

static int same_word(const char *a, size_t an, const char *b, size_t bn)
{
    return an == bn && ag_bytes_eq(a, b, an);
}

/* Appends to c->list the rows of family f whose first word is w, or is
 * not all literal (w NULL: only those). */
static int add_rows(struct ag_catalogue *c, int f, const char *w, size_t wn, uint16_t *at,
                    uint16_t *n)
{
    *at = (uint16_t)c->n_list;
    for (unsigned i = 0; i < c->n; i++) {
        uint8_t rn;
        const char *rw = row_word(&c->shape[i], &rn);
        if (ag_rows[i].family != f || (rn != 0 && !(w && same_word(rw, rn, w, wn))))
            continue;
        if (c->n_list >= AG_CAT_LIST_MAX)
            return -1;
        c->list[c->n_list++] = (uint8_t)i;
    }
    *n = (uint16_t)(c->n_list - *at);
    return 0;
}

static struct ag_cat_word *word_slot(struct ag_catalogue *c, int f, const char *w, size_t n)
{
    unsigned h = word_hash(w, n);
    for (unsigned k = 0; k < AG_CAT_SLOTS; k++) {
        struct ag_cat_word *s = &c->word[f][(h + k) & (AG_CAT_SLOTS - 1)];
        if (s->w == NULL || same_word(s->w, s->len, w, n))
            return s;
    }
    return NULL;
}

static int build_words(struct ag_catalogue *c)
{
    for (int f = 0; f < AG_FAM_COUNT; f++) {
        if (add_rows(c, f, NULL, 0, &c->any_at[f], &c->any_n[f]) < 0)
            return -1;
        for (unsigned i = 0; i < c->n; i++) {
            uint8_t n;
            const char *w = row_word(&c->shape[i], &n);
            if (ag_rows[i].family != f || n == 0)
                continue;
            struct ag_cat_word *s = word_slot(c, f, w, n);
            if (s == NULL)
                return -1;
            if (s->w != NULL)
                continue;
            s->w = w;
            s->len = n;
            if (add_rows(c, f, w, n, &s->at, &s->n) < 0)
                return -1;
        }
    }
    return 0;
}

/* Whether a and b can both be prefixes (or, from_end, suffixes) of one
 * line: the shorter is a prefix (suffix) of the longer. */
static int ends_agree(const char *a, size_t an, const char *b, size_t bn, int from_end)
{
    size_t n = an < bn ? an : bn;
    if (from_end)
        return memcmp(a + an - n, b + bn - n, n) == 0;
    return memcmp(a, b, n) == 0;
}

/* Whether rows i and j can fit one line: same family, first words that
 * agree, first and last literals that agree. Only a necessary condition;
 * the match itself decides. */
static int may_share_a_line(const struct ag_catalogue *c, unsigned i, unsigned j)
{
    const struct ag_shape *a = &c->shape[i], *b = &c->shape[j];
    uint8_t an, bn;
    const char *aw = row_word(a, &an), *bw = row_word(b, &bn);
    if (ag_rows[i].family != ag_rows[j].family)
        return 0;
    if (an && bn && !same_word(aw, an, bw, bn))
        return 0;
    if (a->head_len && b->head_len &&
        !ends_agree(a->op[0].lit, a->head_len, b->op[0].lit, b->head_len, 0))
        return 0;
    return !(a->tail_len && b->tail_len &&
             !ends_agree(a->op[a->n - 1].lit, a->tail_len, b->op[b->n - 1].lit, b->tail_len, 1));
}

/* A shape's fixed end (ops from back_from) as words, last first: its text
 * with each token as '\1', split at spaces. The text before its first
 * space is open on the left (it goes on into the ops before), so it is not
 * a word here. */
struct end_words {
    char text[512];
    const char *w[64];
    uint8_t len[64];
    unsigned n;
};

static void end_words(const struct ag_shape *s, struct end_words *out)
{
    size_t n = 0;
    out->n = 0;
    for (int i = s->back_from; i < s->n; i++) {
        const struct ag_shape_op *o = &s->op[i];
        size_t add = o->type == 0 ? o->len : 1;
        if (n + add > sizeof(out->text))
            return; /* too long to reason about: no words, nothing proved */
        if (o->type == 0)
            memcpy(out->text + n, o->lit, o->len);
        else
            out->text[n] = '\1';
        n += add;
    }
    size_t end = n;
    for (size_t k = n; k-- > 0;) {
        if (out->text[k] != ' ')
            continue;
        if (out->n == 64)
            return;
        out->w[out->n] = out->text + k + 1;
        out->len[out->n++] = (uint8_t)(end - k - 1 < 255 ? end - k - 1 : 255);
        end = k;
    }
}

/* Whether some word fits both patterns: the literal bytes before the first
 * token and after the last one must agree, and two words without tokens
 * must be equal. */
static int words_agree(const char *a, size_t an, const char *b, size_t bn)
{
    const char *ta = memchr(a, '\1', an), *tb = memchr(b, '\1', bn);
    if (ta == NULL && tb == NULL)
        return an == bn && memcmp(a, b, an) == 0;
    size_t pa = ta ? (size_t)(ta - a) : an, pb = tb ? (size_t)(tb - b) : bn;
    if (!ends_agree(a, pa, b, pb, 0))
        return 0;
    const char *la = a + an, *lb = b + bn;
    while (la > a && la[-1] != '\1')
        la--;
    while (lb > b && lb[-1] != '\1')
        lb--;
    size_t sa = ta ? (size_t)(a + an - la) : an, sb = tb ? (size_t)(b + bn - lb) : bn;
    return ends_agree(a + an - sa, sa, b + bn - sb, sb, 1);
}

/* Whether no line fits both rows' first literal, last literal and end. */
static int provably_disjoint(const struct ag_catalogue *c, unsigned i, unsigned j,
                             const struct end_words *wi, const struct end_words *wj)
{
    const struct ag_shape *a = &c->shape[i], *b = &c->shape[j];
    if (a->head_len && b->head_len &&
        !ends_agree(a->op[0].lit, a->head_len, b->op[0].lit, b->head_len, 0))
        return 1;
    if (a->tail_len && b->tail_len &&
        !ends_agree(a->op[a->n - 1].lit, a->tail_len, b->op[b->n - 1].lit, b->tail_len, 1))
        return 1;
    /* the last words of a line are the last words of both ends */
    for (unsigned k = 0; k < wi->n && k < wj->n; k++)
        if (!words_agree(wi->w[k], wi->len[k], wj->w[k], wj->len[k]))
            return 1;
    return 0;
}

/* Each row's end words are worked out once: every parser builds these
 * tables at start, and a short run pays for them in full. */
static int build_disjoint(struct ag_catalogue *c)
{
    struct end_words *w = malloc(sizeof *w * c->n);
    if (w == NULL)
        return -1;
    for (unsigned i = 0; i < c->n; i++)
        end_words(&c->shape[i], &w[i]);
    for (unsigned i = 0; i < c->n; i++) {
        for (unsigned j = 0; j < c->n; j++) {
            if (j == i || ag_rows[i].family != ag_rows[j].family)
                continue;
            if (provably_disjoint(c, i, j, &w[i], &w[j]))
                c->disjoint[i][j / 64] |= 1ull << (j % 64);
        }
    }
    free(w);
    return 0;
}

static int build_rivals(struct ag_catalogue *c)
{
    for (unsigned i = 0; i < c->n; i++) {
        c->rival_at[i] = (uint16_t)c->n_list;
        for (unsigned j = 0; j < c->n; j++) {
            if (j == i || !c->shape[j].tail_free || !c->shape[j].has_src ||
                !may_share_a_line(c, i, j))
                continue;
            if (c->n_list >= AG_CAT_LIST_MAX)
                return -1;
            c->list[c->n_list++] = (uint8_t)j;
        }
        c->rival_n[i] = (uint16_t)(c->n_list - c->rival_at[i]);
    }
    return 0;
}

static int same_op(const struct ag_shape_op *a, const struct ag_shape_op *b)
{
    return a->type == b->type && a->len == b->len && a->stop == b->stop &&
           (a->len == 0 || memcmp(a->lit, b->lit, a->len) == 0);
}

/* Whether two shapes end in the same fixed ops (see shape.h). */
static int same_back(const struct ag_shape *a, const struct ag_shape *b)
{
    int n = a->n - a->back_from;
    if (n != b->n - b->back_from)
        return 0;
    for (int k = 0; k < n; k++)
        if (!same_op(&a->op[a->back_from + k], &b->op[b->back_from + k]))
            return 0;
    return 1;
}

static void build_shared(struct ag_catalogue *c)
{
    for (unsigned i = 0; i < c->n; i++) {
        for (unsigned j = 0; j < c->n; j++) {
            const struct ag_shape *a = &c->shape[i], *b = &c->shape[j];
            unsigned lim = a->first_free < b->first_free ? a->first_free : b->first_free;
            unsigned k = 0;
            while (k < lim && same_op(&a->op[k], &b->op[k]))
                k++;
            c->shared[i][j] = (uint8_t)k;
        }
    }
}

static void build_back_classes(struct ag_catalogue *c)
{
    unsigned classes = 0;
    for (unsigned i = 0; i < c->n; i++) {
        unsigned j = 0;
        while (j < i && !same_back(&c->shape[i], &c->shape[j]))
            j++;
        c->back_class[i] = j < i ? c->back_class[j] : (uint8_t)classes++;
    }
}

int ag_catalogue_init(struct ag_catalogue *c, unsigned *bad)
{
    memset(c, 0, sizeof *c);
    if (ag_n_rows > AG_CAT_ROWS_MAX) {
        *bad = AG_CAT_ROWS_MAX;
        return -1;
    }
    for (unsigned i = 0; i < ag_n_rows; i++) {
        if (ag_shape_compile(&c->shape[i], ag_rows[i].shape) < 0) {
            *bad = i;
            return -1;
        }
    }
    c->n = ag_n_rows;
    build_back_classes(c);
    build_shared(c);
    if (build_disjoint(c) < 0 || build_words(c) < 0 || build_rivals(c) < 0) {
        *bad = ag_n_rows; /* the tables are too small */
        return -1;
    }
    return 0;
}

static int name_is(const char *s, size_t n, const char *lit, size_t litn)
{
    return n == litn && memcmp(s, lit, n) == 0;
}

/* Which event a PAM auth failure is, from its service name. sshd, su, sudo
 * and login each log their own line for the same attempt ("Failed
 * password", "FAILED su", "N incorrect password attempts", "FAILED
 * LOGIN"), so for them the PAM line is an echo; for any other service it
 * is the attempt. */
static void classify_service(struct ag_event *ev)
{
    const char *s = ag_span_ptr(ev, ev->service);
    size_t n = ev->service.len;
    if (name_is(s, n, AG_LIT("sshd"))) {
        ev->kind = AG_EV_PAM_FAILURE;
    } else if (name_is(s, n, AG_LIT("su")) || name_is(s, n, AG_LIT("su-l"))) {
        ev->kind = AG_EV_SU_FAILURE;
        ev->target = ev->user; /* su asks for the target's password */
    } else if (name_is(s, n, AG_LIT("sudo")) || name_is(s, n, AG_LIT("sudo-i"))) {
        ev->kind = AG_EV_SUDO_FAILURE;
    } else if (name_is(s, n, AG_LIT("login"))) {
        ev->kind = AG_EV_LOGIN_FAILURE;
    } else {
        ev->kind = AG_EV_PAM_FAILURE;
        ev->flags &= (uint8_t)~AG_EVF_ECHO;
    }
}

/* Fills the event from row r after its shape matched. */
static void finish_row(const struct ag_row *r, struct ag_event *ev)
{
    ev->kind = r->kind;
    if (r->method != AG_M_NONE)
        ev->method = r->method;
    ev->flags |= r->flags;
    if (r->policy == AG_POL_ECHO)
        ev->flags |= AG_EVF_ECHO;
    if (r->cond & AG_ROW_PAM_SERVICE)
        classify_service(ev);
    if (r->family == AG_FAM_SU && ev->user.len > 0)
        ev->target = ev->user; /* su asks for the target's password */
    if (r->family == AG_FAM_SUDO)
        ev->ruser = ev->user; /* the caller typed their own password */
}

/* Fields a failed row may have left behind. */
static void clear_fields(struct ag_event *ev, uint8_t flags, struct ag_span service)
{
    ev->flags = flags;
    ev->method = AG_M_NONE;
    ev->count = 1;
    ev->src_port = 0;
    ev->src.af = AG_AF_NONE;
    memset(&ev->user, 0, sizeof ev->user);
    memset(&ev->ruser, 0, sizeof ev->ruser);
    memset(&ev->target, 0, sizeof ev->target);
    memset(&ev->src_name, 0, sizeof ev->src_name);
    ev->service = service;
}

static int same_source(const struct ag_event *a, const struct ag_event *b)
{
    if (a->src_port != b->src_port)
        return 0;
    if (a->src.af != AG_AF_NONE || b->src.af != AG_AF_NONE)
        return ag_addr_equal(&a->src, &b->src);
    return a->src_name.len == b->src_name.len &&
           memcmp(ag_span_ptr(a, a->src_name), ag_span_ptr(b, b->src_name), a->src_name.len) == 0;
}

/* A row ending in free text (a reason, a user) can read the tail of
 * another row's line as its own: "Disconnecting ... port P: <reason>" with
 * a reason ending in "F port 1: Too many authentication failures". When
 * such a row also fits the line and names another source, or none, the
 * line has no source. */
struct back_memo;
static int row_may_match(const struct ag_catalogue *c, struct back_memo *m, unsigned i,
                         const char *p, const char *e, const char **at);
static int row_match(const struct ag_catalogue *c, struct back_memo *m, unsigned i,
                     struct ag_event *ev, const char *p, const char *e, const char *back_at);

static void check_other_rows(const struct ag_catalogue *c, struct back_memo *memo, unsigned hit,
                             uint8_t flags, struct ag_event *ev, const char *p, const char *e)
{
    for (unsigned k = 0; k < c->rival_n[hit]; k++) {
        unsigned j = c->list[c->rival_at[hit] + k];
        if ((ag_rows[j].cond & AG_ROW_PREAUTH) && !(flags & AG_EVF_PREAUTH))
            continue;
        const char *back_at;
        if (!row_may_match(c, memo, j, p, e, &back_at))
            continue;
        struct ag_event other = *ev;
        clear_fields(&other, flags, ev->service);
        if (row_match(c, memo, j, &other, p, e, back_at) && !same_source(ev, &other)) {
            ev->src.af = AG_AF_NONE;
            ev->src_port = 0;
            memset(&ev->src_name, 0, sizeof ev->src_name);
            ev->flags &= (uint8_t)~AG_EVF_SRC_IS_NAME;
            return;
        }
    }
}

/* The rows for the message's first word. */
static void rows_for(const struct ag_catalogue *c, enum ag_family fam, const char *p,
                     const char *e, unsigned *at, unsigned *n)
{
    size_t max = (size_t)(e - p) < AG_CAT_WORD_MAX + 1 ? (size_t)(e - p) : AG_CAT_WORD_MAX + 1;
    const char *sp = memchr(p, ' ', max);
    size_t wn = sp ? (size_t)(sp - p) : max;
    *at = c->any_at[fam];
    *n = c->any_n[fam];
    if (wn == 0 || wn > AG_CAT_WORD_MAX)
        return;
    unsigned h = word_hash(p, wn);
    for (unsigned k = 0; k < AG_CAT_SLOTS; k++) {
        const struct ag_cat_word *s = &c->word[fam][(h + k) & (AG_CAT_SLOTS - 1)];
        if (s->w == NULL)
            return;
        if (same_word(s->w, s->len, p, wn)) {
            *at = s->at;
            *n = s->n;
            return;
        }
    }
}

/* What the rows tried so far found on this line: the fixed end of each
 * class of rows, and the prefix of the last row walked. */
struct back_memo {
    uint8_t cls[8];
    const char *at[8]; /* NULL: the class does not fit */
    unsigned n;
    int last; /* the row pre holds, or -1 */
    struct ag_shape_prefix pre;
};

/* ag_shape_match_at() for row i, resuming from the last row walked. */
static int row_match(const struct ag_catalogue *c, struct back_memo *m, unsigned i,
                     struct ag_event *ev, const char *p, const char *e, const char *back_at)
{
    unsigned shared = m->last >= 0 ? c->shared[m->last][i] : 0;
    if (m->last >= 0 && m->pre.failed && shared > m->pre.done)
        return 0; /* fails where the last row walked did */
    m->pre.valid = m->last >= 0;
    m->last = (int)i;
    return ag_shape_match_at(&c->shape[i], ev, p, e, back_at, &m->pre, shared);
}

/* ag_shape_ends_ok() and ag_shape_back() for row i; sets *at. */
static int row_may_match(const struct ag_catalogue *c, struct back_memo *m, unsigned i,
                         const char *p, const char *e, const char **at)
{
    const struct ag_shape *s = &c->shape[i];
    *at = NULL;
    if (!ag_shape_ends_ok(s, p, e))
        return 0;
    if (s->back_from >= s->n)
        return 1;
    for (unsigned k = 0; k < m->n; k++)
        if (m->cls[k] == c->back_class[i])
            return (*at = m->at[k]) != NULL;
    const char *q;
    if (!ag_shape_back(s, p, e, &q))
        q = NULL;
    unsigned k = m->n < 8 ? m->n++ : c->back_class[i] & 7; /* full: overwrite one */
    m->cls[k] = c->back_class[i];
    m->at[k] = q;
    return (*at = q) != NULL;
}

int ag_catalogue_match(const struct ag_catalogue *c, enum ag_family fam, struct ag_event *ev,
                       const char *p, const char *e)
{
    if (p == e)
        return -1;
    unsigned at, n;
    rows_for(c, fam, p, e, &at, &n);
    uint8_t flags = ev->flags;
    struct back_memo memo;
    memo.n = 0;
    memo.last = -1;
    uint64_t ruled_out[AG_CAT_ROWS_MAX / 64] = {0};
    for (unsigned k = 0; k < n; k++) {
        unsigned i = c->list[at + k];
        const struct ag_row *r = &ag_rows[i];
        const char *back_at;
        if ((r->cond & AG_ROW_PREAUTH) && !(flags & AG_EVF_PREAUTH))
            continue;
        if (ruled_out[i / 64] & (1ull << (i % 64)))
            continue; /* the line fits the ends of a row that excludes it */
        if (!row_may_match(c, &memo, i, p, e, &back_at))
            continue;
        for (unsigned w = 0; w < AG_CAT_ROWS_MAX / 64; w++)
            ruled_out[w] |= c->disjoint[i][w];
        /* a shape that does not match leaves ev as it was */
        if (row_match(c, &memo, i, ev, p, e, back_at)) {
            /* a row of policy nothing gives no event: its source is moot */
            if (r->kind != AG_EV_NONE && (ev->src.af != AG_AF_NONE || ev->src_name.len > 0))
                check_other_rows(c, &memo, i, flags, ev, p, e);
            finish_row(r, ev);
            return (int)i;
        }
    }
    return -1;
}

/* ---- names and the documented table --------------------------------------- */

const char *ag_family_name(enum ag_family f)
{
    static const char *const names[AG_FAM_COUNT] = {
        "sshd", "PAM", "PAM (old tag)", "sudo", "su", "login", "tcpwrappers"};
    return (unsigned)f < AG_FAM_COUNT ? names[f] : "?";
}

const char *ag_policy_name(enum ag_policy p)
{
    static const char *const names[AG_POL_COUNT] = {"attempt", "echo", "probe", "success",
                                                    "nothing"};
    return (unsigned)p < AG_POL_COUNT ? names[p] : "?";
}

/* A table cell: '|' escaped, backticks kept out of code spans. */
static void cell(FILE *out, const char *s)
{
    for (; *s; s++) {
        if (*s == '|')
            fputs("\\|", out);
        else
            fputc(*s, out);
    }
}

static void versions(FILE *out, const struct ag_row *r)
{
    if (!r->since[0] && !r->until[0])
        fputs("all", out);
    else if (!r->until[0])
        fprintf(out, "%s+", r->since);
    else if (!r->since[0])
        fprintf(out, "to %s", r->until);
    else
        fprintf(out, "%s to %s", r->since, r->until);
}

void ag_catalogue_markdown(FILE *out)
{
    fputs("| Family | Shape | Event | Counts as | Versions |\n", out);
    fputs("|---|---|---|---|---|\n", out);
    for (unsigned i = 0; i < ag_n_rows; i++) {
        const struct ag_row *r = &ag_rows[i];
        fprintf(out, "| %s | `", ag_family_name((enum ag_family)r->family));
        cell(out, r->shape);
        fputs(r->cond & AG_ROW_PREAUTH ? " [preauth]` | " : "` | ", out);
        fputs(r->kind == AG_EV_NONE ? "-" : ag_kind_name((enum ag_kind)r->kind), out);
        fprintf(out, " | %s | ", ag_policy_name((enum ag_policy)r->policy));
        versions(out, r);
        fputs(" |\n", out);
    }
}
