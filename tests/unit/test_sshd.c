/* test_sshd.c - every sshd message shape authguard recognizes, each
 * checked field by field (kind, method, user, source, port, program, pid,
 * host, time, count, flags), and the look-alikes that must NOT become
 * failure events. */
#include "tests/unit/ev_check.h"

/* Most lines share this header: BSD time (2024-11-09 04:07:51 in a UTC
 * pinned zone), host web-01, sshd pid 1234. */
#define HDR "Nov  9 04:07:51 web-01 sshd[1234]: "
#define BASE .program = "sshd", .pid = 1234, .host = "web-01"
#define TL AG_EVF_TIME_FROM_LOG
#define ECHO AG_EVF_ECHO
#define PRE AG_EVF_PREAUTH
#define INV AG_EVF_INVALID_USER
#define ANN AG_EVF_ANNOUNCE

/* ---- credential attempts --------------------------------------------------- */

START_TEST(failed_password)
{
    evc_expect(HDR "Failed password for root from 203.0.113.45 port 52211 ssh2",
               &(struct evc_want){.kind = AG_EV_AUTH_FAILURE, .method = AG_M_PASSWORD,
                                  .user = "root", .src = "203.0.113.45", .port = 52211, BASE,
                                  .flags = TL});
}
END_TEST

START_TEST(failed_password_invalid_user)
{
    evc_expect(HDR "Failed password for invalid user oracle from 203.0.113.45 port 52211 ssh2",
               &(struct evc_want){.kind = AG_EV_INVALID_USER, .method = AG_M_PASSWORD,
                                  .user = "oracle", .src = "203.0.113.45", .port = 52211, BASE,
                                  .flags = TL | INV});
    /* Very old sshd said "illegal user". */
    evc_expect(HDR "Failed password for illegal user oracle from 203.0.113.45 port 52211 ssh2",
               &(struct evc_want){.kind = AG_EV_INVALID_USER, .method = AG_M_PASSWORD,
                                  .user = "oracle", .src = "203.0.113.45", .port = 52211, BASE,
                                  .flags = TL | INV});
}
END_TEST

START_TEST(failed_publickey)
{
    evc_expect(HDR "Failed publickey for git from 198.51.100.23 port 40022 ssh2: "
                   "ED25519 SHA256:3q2+7wAAAAB3NzaC1lZDI1NTE5AAAAIG0aB1c2",
               &(struct evc_want){.kind = AG_EV_AUTH_FAILURE, .method = AG_M_PUBLICKEY,
                                  .user = "git", .src = "198.51.100.23", .port = 40022, BASE,
                                  .flags = TL});
}
END_TEST

START_TEST(failed_keyboard_interactive)
{
    evc_expect(HDR "Failed keyboard-interactive/pam for invalid user admin from 192.0.2.77 "
                   "port 6000 ssh2",
               &(struct evc_want){.kind = AG_EV_INVALID_USER, .method = AG_M_KBDINT,
                                  .user = "admin", .src = "192.0.2.77", .port = 6000, BASE,
                                  .flags = TL | INV});
    evc_expect(HDR "Failed keyboard-interactive for alice from 192.0.2.77 port 6000 ssh2",
               &(struct evc_want){.kind = AG_EV_AUTH_FAILURE, .method = AG_M_KBDINT,
                                  .user = "alice", .src = "192.0.2.77", .port = 6000, BASE,
                                  .flags = TL});
}
END_TEST

START_TEST(failed_hostbased)
{
    evc_expect(HDR "Failed hostbased for bob from 198.51.100.2 port 40000 ssh2: ECDSA "
                   "SHA256:Zm9vYmFy, client user \"bob\", client host \"ws1.example.org\"",
               &(struct evc_want){.kind = AG_EV_AUTH_FAILURE, .method = AG_M_HOSTBASED,
                                  .user = "bob", .src = "198.51.100.2", .port = 40000, BASE,
                                  .flags = TL});
}
END_TEST

START_TEST(failed_gssapi)
{
    evc_expect(HDR "Failed gssapi-with-mic for carol from 198.51.100.2 port 40000 ssh2",
               &(struct evc_want){.kind = AG_EV_AUTH_FAILURE, .method = AG_M_GSSAPI,
                                  .user = "carol", .src = "198.51.100.2", .port = 40000, BASE,
                                  .flags = TL});
}
END_TEST

/* "Failed none" is the method probe every client sends first: not an event
 * (event.h documents the choice). */
START_TEST(failed_none_is_not_an_event)
{
    ck_assert_int_eq(evc_expect_none(HDR "Failed none for root from 203.0.113.45 port 1 ssh2"),
                     AG_PARSE_OTHER);
    ck_assert_int_eq(evc_expect_none(HDR "Failed none for invalid user x from 203.0.113.45 "
                                         "port 1 ssh2"),
                     AG_PARSE_OTHER);
}
END_TEST

START_TEST(accepted)
{
    evc_expect(HDR "Accepted password for alice from 192.0.2.10 port 50000 ssh2",
               &(struct evc_want){.kind = AG_EV_AUTH_SUCCESS, .method = AG_M_PASSWORD,
                                  .user = "alice", .src = "192.0.2.10", .port = 50000, BASE,
                                  .flags = TL});
    evc_expect(HDR "Accepted publickey for deploy from 10.0.7.12 port 50001 ssh2: RSA "
                   "SHA256:WYPaOIiq7rZQJBReQU8l1jp9gQowUqA+e+rNZ+8O1Ys",
               &(struct evc_want){.kind = AG_EV_AUTH_SUCCESS, .method = AG_M_PUBLICKEY,
                                  .user = "deploy", .src = "10.0.7.12", .port = 50001, BASE,
                                  .flags = TL});
    evc_expect(HDR "Accepted keyboard-interactive/pam for frank from 2001:db8::10 port 50002 ssh2",
               &(struct evc_want){.kind = AG_EV_AUTH_SUCCESS, .method = AG_M_KBDINT,
                                  .user = "frank", .src = "2001:db8::10", .port = 50002, BASE,
                                  .flags = TL});
    evc_expect(HDR "Accepted publickey for ci from 192.0.2.11 port 50003 ssh2: ED25519-CERT "
                   "SHA256:abc ID ci-runner-7 (serial 42) CA ED25519 SHA256:def",
               &(struct evc_want){.kind = AG_EV_AUTH_SUCCESS, .method = AG_M_PUBLICKEY,
                                  .user = "ci", .src = "192.0.2.11", .port = 50003, BASE,
                                  .flags = TL});
    evc_expect(HDR "Accepted none for guest from 192.0.2.12 port 50004 ssh2",
               &(struct evc_want){.kind = AG_EV_AUTH_SUCCESS, .method = AG_M_NONE_METHOD,
                                  .user = "guest", .src = "192.0.2.12", .port = 50004, BASE,
                                  .flags = TL});
}
END_TEST

/* OpenSSH 9.8+ logs from sshd-session (and sshd-auth); other tools missed
 * these lines by matching the program name "sshd" only. */
START_TEST(sshd_session_and_auth_programs)
{
    evc_expect("Nov  9 04:07:51 bastion sshd-session[82479]: Failed password for root from "
               "203.0.113.45 port 52211 ssh2",
               &(struct evc_want){.kind = AG_EV_AUTH_FAILURE, .method = AG_M_PASSWORD,
                                  .user = "root", .src = "203.0.113.45", .port = 52211,
                                  .program = "sshd-session", .pid = 82479, .host = "bastion",
                                  .flags = TL});
    evc_expect("2024-11-09T04:07:51.000000+00:00 bastion sshd-auth[9]: Invalid user x from "
               "203.0.113.45 port 1",
               &(struct evc_want){.kind = AG_EV_INVALID_USER, .user = "x", .src = "203.0.113.45",
                                  .port = 1, .program = "sshd-auth", .pid = 9, .host = "bastion",
                                  .flags = TL | INV | AG_EVF_ANNOUNCE});
    evc_expect("<38>1 2024-11-09T04:07:51.250Z bastion sshd-session 77 - [meta@1 x=\"]\"] "
               "Accepted password for alice from 192.0.2.10 port 50000 ssh2",
               &(struct evc_want){.kind = AG_EV_AUTH_SUCCESS, .method = AG_M_PASSWORD,
                                  .user = "alice", .src = "192.0.2.10", .port = 50000,
                                  .program = "sshd-session", .pid = 77, .host = "bastion",
                                  .time_ms = EVC_T0_MS + 250, .flags = TL});
}
END_TEST

START_TEST(source_address_forms)
{
    evc_expect(HDR "Failed password for root from 2001:db8:dfd9:5689::7 port 22 ssh2",
               &(struct evc_want){.kind = AG_EV_AUTH_FAILURE, .method = AG_M_PASSWORD,
                                  .user = "root", .src = "2001:db8:dfd9:5689::7", .port = 22,
                                  BASE, .flags = TL});
    evc_expect(HDR "Failed password for root from ::ffff:203.0.113.5 port 22 ssh2",
               &(struct evc_want){.kind = AG_EV_AUTH_FAILURE, .method = AG_M_PASSWORD,
                                  .user = "root", .src = "203.0.113.5", .port = 22, BASE,
                                  .flags = TL});
    evc_expect(HDR "Failed password for root from fe80::1%eth0 port 22 ssh2",
               &(struct evc_want){.kind = AG_EV_AUTH_FAILURE, .method = AG_M_PASSWORD,
                                  .user = "root", .src = "fe80::1", .port = 22, BASE,
                                  .flags = TL});
    /* UseDNS yes: a host name, kept as a name and never resolved. */
    evc_expect(HDR "Failed password for root from scanner.example.net port 22 ssh2",
               &(struct evc_want){.kind = AG_EV_AUTH_FAILURE, .method = AG_M_PASSWORD,
                                  .user = "root", .src_name = "scanner.example.net", .port = 22,
                                  BASE, .flags = TL | AG_EVF_SRC_IS_NAME});
}
END_TEST

/* ---- user checks ------------------------------------------------------------ */

START_TEST(invalid_user)
{
    evc_expect(HDR "Invalid user sonar from 32.133.220.179 port 20298",
               &(struct evc_want){.kind = AG_EV_INVALID_USER, .user = "sonar",
                                  .src = "32.133.220.179", .port = 20298, BASE,
                                  .flags = TL | INV | AG_EVF_ANNOUNCE});
    /* Before OpenSSH 7.5 the port was not printed. */
    evc_expect(HDR "Invalid user sonar from 32.133.220.179",
               &(struct evc_want){.kind = AG_EV_INVALID_USER, .user = "sonar",
                                  .src = "32.133.220.179", BASE, .flags = TL | INV | AG_EVF_ANNOUNCE});
    /* An empty user name is a real thing scanners send. */
    evc_expect(HDR "Invalid user  from 2001:db8::5 port 20298",
               &(struct evc_want){.kind = AG_EV_INVALID_USER, .user = "", .src = "2001:db8::5",
                                  .port = 20298, BASE, .flags = TL | INV | AG_EVF_ANNOUNCE});
    evc_expect(HDR "Invalid user test from scanner.example.net port 22",
               &(struct evc_want){.kind = AG_EV_INVALID_USER, .user = "test",
                                  .src_name = "scanner.example.net", .port = 22, BASE,
                                  .flags = TL | INV | AG_EVF_SRC_IS_NAME | AG_EVF_ANNOUNCE});
}
END_TEST

START_TEST(user_not_allowed)
{
    static const char *const reasons[] = {
        "not listed in AllowUsers",
        "listed in DenyUsers",
        "none of user's groups are listed in AllowGroups",
        "a group is listed in DenyGroups",
        "not in any group",
    };
    for (size_t i = 0; i < sizeof reasons / sizeof reasons[0]; i++) {
        char line[256];
        snprintf(line, sizeof line, HDR "User bob from 198.51.100.40 not allowed because %s",
                 reasons[i]);
        evc_expect(line, &(struct evc_want){.kind = AG_EV_NOT_ALLOWED, .user = "bob",
                                            .src = "198.51.100.40", BASE, .flags = TL | AG_EVF_ANNOUNCE});
    }
    /* Account-wide reasons carry no address. */
    static const char *const local[] = {
        "account is locked",
        "shell /bin/nonexistent does not exist",
        "shell /usr/sbin/nologin is not executable",
    };
    for (size_t i = 0; i < sizeof local / sizeof local[0]; i++) {
        char line[256];
        snprintf(line, sizeof line, HDR "User bob not allowed because %s", local[i]);
        evc_expect(line, &(struct evc_want){.kind = AG_EV_NOT_ALLOWED, .user = "bob", BASE,
                                            .flags = TL | AG_EVF_ANNOUNCE});
    }
    evc_expect(HDR "User bob from ws1.example.org not allowed because listed in DenyUsers",
               &(struct evc_want){.kind = AG_EV_NOT_ALLOWED, .user = "bob",
                                  .src_name = "ws1.example.org", BASE,
                                  .flags = TL | AG_EVF_SRC_IS_NAME | AG_EVF_ANNOUNCE});
}
END_TEST

START_TEST(root_login_refused)
{
    evc_expect(HDR "ROOT LOGIN REFUSED FROM 198.51.100.41",
               &(struct evc_want){.kind = AG_EV_ROOT_REFUSED, .src = "198.51.100.41", BASE,
                                  .flags = TL});
    evc_expect(HDR "ROOT LOGIN REFUSED FROM 198.51.100.41 port 4242",
               &(struct evc_want){.kind = AG_EV_ROOT_REFUSED, .src = "198.51.100.41",
                                  .port = 4242, BASE, .flags = TL});
}
END_TEST

/* ---- too many attempts ------------------------------------------------------- */

START_TEST(max_auth_attempts)
{
    evc_expect(HDR "error: maximum authentication attempts exceeded for root from "
                   "173.158.166.42 port 41000 ssh2 [preauth]",
               &(struct evc_want){.kind = AG_EV_MAX_AUTH, .user = "root",
                                  .src = "173.158.166.42", .port = 41000, BASE,
                                  .flags = TL | PRE});
    evc_expect(HDR "error: maximum authentication attempts exceeded for invalid user admin "
                   "from 2001:db8::9 port 41000 ssh2 [preauth]",
               &(struct evc_want){.kind = AG_EV_MAX_AUTH, .user = "admin", .src = "2001:db8::9",
                                  .port = 41000, BASE, .flags = TL | PRE | INV});
    /* Older sshd, without "error: ". */
    evc_expect(HDR "maximum authentication attempts exceeded for root from 173.158.166.42 "
                   "port 41000 ssh2",
               &(struct evc_want){.kind = AG_EV_MAX_AUTH, .user = "root",
                                  .src = "173.158.166.42", .port = 41000, BASE, .flags = TL});
}
END_TEST

START_TEST(disconnecting_too_many_failures)
{
    evc_expect(HDR "Disconnecting authenticating user root 173.158.166.42 port 41000: Too many "
                   "authentication failures [preauth]",
               &(struct evc_want){.kind = AG_EV_MAX_AUTH, .user = "root",
                                  .src = "173.158.166.42", .port = 41000, BASE,
                                  .flags = TL | PRE | ECHO});
    evc_expect(HDR "Disconnecting invalid user admin 173.158.166.42 port 41000: Too many "
                   "authentication failures [preauth]",
               &(struct evc_want){.kind = AG_EV_MAX_AUTH, .user = "admin",
                                  .src = "173.158.166.42", .port = 41000, BASE,
                                  .flags = TL | PRE | INV | ECHO | ANN});
    evc_expect(HDR "Disconnecting: Too many authentication failures for root [preauth]",
               &(struct evc_want){.kind = AG_EV_MAX_AUTH, .user = "root", BASE,
                                  .flags = TL | PRE | ECHO});
}
END_TEST

/* ---- pre-authentication drops -------------------------------------------------- */

START_TEST(connection_closed_preauth)
{
    evc_expect(HDR "Connection closed by authenticating user root 203.0.113.45 port 52211 "
                   "[preauth]",
               &(struct evc_want){.kind = AG_EV_PREAUTH_DISCONNECT, .user = "root",
                                  .src = "203.0.113.45", .port = 52211, BASE,
                                  .flags = TL | PRE});
    evc_expect(HDR "Connection closed by invalid user sonar 32.133.220.179 port 20298 [preauth]",
               &(struct evc_want){.kind = AG_EV_PREAUTH_DISCONNECT, .user = "sonar",
                                  .src = "32.133.220.179", .port = 20298, BASE,
                                  .flags = TL | PRE | INV | ANN});
    evc_expect(HDR "Connection closed by 2001:db8::77 port 52211 [preauth]",
               &(struct evc_want){.kind = AG_EV_PREAUTH_DISCONNECT, .src = "2001:db8::77",
                                  .port = 52211, BASE, .flags = TL | PRE});
}
END_TEST

START_TEST(connection_reset)
{
    evc_expect(HDR "Connection reset by 73.36.62.254 port 62548 [preauth]",
               &(struct evc_want){.kind = AG_EV_PREAUTH_DISCONNECT, .src = "73.36.62.254",
                                  .port = 62548, BASE, .flags = TL | PRE});
    /* Without [preauth] too (some builds log it so). */
    evc_expect(HDR "Connection reset by 73.36.62.254 port 62548",
               &(struct evc_want){.kind = AG_EV_PREAUTH_DISCONNECT, .src = "73.36.62.254",
                                  .port = 62548, BASE, .flags = TL});
    evc_expect(HDR "Connection reset by authenticating user git 73.36.62.254 port 62548 "
                   "[preauth]",
               &(struct evc_want){.kind = AG_EV_PREAUTH_DISCONNECT, .user = "git",
                                  .src = "73.36.62.254", .port = 62548, BASE,
                                  .flags = TL | PRE});
    evc_expect(HDR "Connection reset by invalid user pi 73.36.62.254 port 62548 [preauth]",
               &(struct evc_want){.kind = AG_EV_PREAUTH_DISCONNECT, .user = "pi",
                                  .src = "73.36.62.254", .port = 62548, BASE,
                                  .flags = TL | PRE | INV | ANN});
}
END_TEST

START_TEST(disconnected_preauth)
{
    evc_expect(HDR "Disconnected from invalid user student 181.56.227.5 port 57249 [preauth]",
               &(struct evc_want){.kind = AG_EV_PREAUTH_DISCONNECT, .user = "student",
                                  .src = "181.56.227.5", .port = 57249, BASE,
                                  .flags = TL | PRE | INV | ANN});
    evc_expect(HDR "Disconnected from authenticating user root 181.56.227.5 port 57249 "
                   "[preauth]",
               &(struct evc_want){.kind = AG_EV_PREAUTH_DISCONNECT, .user = "root",
                                  .src = "181.56.227.5", .port = 57249, BASE,
                                  .flags = TL | PRE});
    evc_expect(HDR "Disconnected from 190.246.172.86 port 3581 [preauth]",
               &(struct evc_want){.kind = AG_EV_PREAUTH_DISCONNECT, .src = "190.246.172.86",
                                  .port = 3581, BASE, .flags = TL | PRE});
}
END_TEST

START_TEST(no_identification)
{
    evc_expect(HDR "Did not receive identification string from 23.126.205.113 port 61000",
               &(struct evc_want){.kind = AG_EV_NO_IDENT, .src = "23.126.205.113", .port = 61000,
                                  BASE, .flags = TL});
    evc_expect(HDR "Did not receive identification string from 23.126.205.113",
               &(struct evc_want){.kind = AG_EV_NO_IDENT, .src = "23.126.205.113", BASE,
                                  .flags = TL});
}
END_TEST

START_TEST(banner_exchange)
{
    evc_expect(HDR "banner exchange: Connection from 23.126.205.113 port 61000: invalid format",
               &(struct evc_want){.kind = AG_EV_BAD_PROTOCOL, .src = "23.126.205.113",
                                  .port = 61000, BASE, .flags = TL});
    evc_expect(HDR "banner exchange: Connection from 2001:db8::3 port 61000: could not read "
                   "protocol version",
               &(struct evc_want){.kind = AG_EV_BAD_PROTOCOL, .src = "2001:db8::3",
                                  .port = 61000, BASE, .flags = TL});
}
END_TEST

START_TEST(bad_protocol_version)
{
    evc_expect(HDR "Bad protocol version identification 'GET / HTTP/1.1' from 23.126.205.113 "
                   "port 61000",
               &(struct evc_want){.kind = AG_EV_BAD_PROTOCOL, .src = "23.126.205.113",
                                  .port = 61000, BASE, .flags = TL});
    evc_expect(HDR "Bad protocol version identification '\\026\\003\\001' from 23.126.205.113",
               &(struct evc_want){.kind = AG_EV_BAD_PROTOCOL, .src = "23.126.205.113", BASE,
                                  .flags = TL});
}
END_TEST

START_TEST(unable_to_negotiate)
{
    evc_expect(HDR "Unable to negotiate with 98.16.200.0 port 40404: no matching key exchange "
                   "method found. Their offer: diffie-hellman-group1-sha1 [preauth]",
               &(struct evc_want){.kind = AG_EV_NEGOTIATION, .src = "98.16.200.0", .port = 40404,
                                  BASE, .flags = TL | PRE});
    evc_expect(HDR "Unable to negotiate with 2001:db8::4 port 40404: no matching host key type "
                   "found. Their offer: ssh-rsa,ssh-dss [preauth]",
               &(struct evc_want){.kind = AG_EV_NEGOTIATION, .src = "2001:db8::4", .port = 40404,
                                  BASE, .flags = TL | PRE});
    /* OpenSSH 7.2 and older printed no port. */
    evc_expect(HDR "Unable to negotiate with 98.16.200.0: no matching cipher found. Their "
                   "offer: aes128-cbc",
               &(struct evc_want){.kind = AG_EV_NEGOTIATION, .src = "98.16.200.0", BASE,
                                  .flags = TL});
}
END_TEST

START_TEST(timeout_before_auth)
{
    evc_expect(HDR "fatal: Timeout before authentication for 198.51.100.50 port 1022",
               &(struct evc_want){.kind = AG_EV_TIMEOUT_PREAUTH, .src = "198.51.100.50",
                                  .port = 1022, BASE, .flags = TL});
    evc_expect(HDR "fatal: Timeout before authentication for 198.51.100.50",
               &(struct evc_want){.kind = AG_EV_TIMEOUT_PREAUTH, .src = "198.51.100.50", BASE,
                                  .flags = TL});
    /* FreeBSD's form. */
    evc_expect(HDR "fatal: Timeout before authentication for connection from 198.51.100.50 to "
                   "10.0.0.1, pid = 4444",
               &(struct evc_want){.kind = AG_EV_TIMEOUT_PREAUTH, .src = "198.51.100.50", BASE,
                                  .flags = TL});
}
END_TEST

/* OpenSSH 9.8 PerSourcePenalties: any connection number, both families. */
START_TEST(penalty)
{
    evc_expect(HDR "drop connection #0 from [1.2.3.4]:5555 on [10.0.0.1]:22 penalty: exceeded "
                   "LoginGraceTime",
               &(struct evc_want){.kind = AG_EV_PENALTY, .src = "1.2.3.4", .port = 5555, BASE,
                                  .flags = TL});
    evc_expect(HDR "drop connection #3 from [2001:db8::1]:5555 on [::1]:22 penalty: failed "
                   "authentication",
               &(struct evc_want){.kind = AG_EV_PENALTY, .src = "2001:db8::1", .port = 5555,
                                  BASE, .flags = TL});
    evc_expect(HDR "drop connection #127 from [198.51.100.9]:40000 on [0.0.0.0]:22 penalty: "
                   "connections without attempting authentication",
               &(struct evc_want){.kind = AG_EV_PENALTY, .src = "198.51.100.9", .port = 40000,
                                  BASE, .flags = TL});
}
END_TEST

START_TEST(dispatch_mac_error)
{
    evc_expect(HDR "ssh_dispatch_run_fatal: Connection from 23.126.205.113 port 61000: message "
                   "authentication code incorrect [preauth]",
               &(struct evc_want){.kind = AG_EV_MAC_ERROR, .src = "23.126.205.113",
                                  .port = 61000, BASE, .flags = TL | PRE});
    evc_expect(HDR "ssh_dispatch_run_fatal: Connection from authenticating user root "
                   "23.126.205.113 port 61000: message authentication code incorrect [preauth]",
               &(struct evc_want){.kind = AG_EV_MAC_ERROR, .user = "root",
                                  .src = "23.126.205.113", .port = 61000, BASE,
                                  .flags = TL | PRE});
    evc_expect(HDR "fatal: ssh_dispatch_run_fatal: Connection from invalid user x "
                   "23.126.205.113 port 61000: Connection corrupted [preauth]",
               &(struct evc_want){.kind = AG_EV_MAC_ERROR, .user = "x", .src = "23.126.205.113",
                                  .port = 61000, BASE, .flags = TL | PRE | INV});
    /* A broken pipe in a live session is not an attack. */
    evc_expect_none(HDR "ssh_dispatch_run_fatal: Connection from user alice 192.0.2.10 port "
                        "50000: Broken pipe");
    evc_expect_none(HDR "ssh_dispatch_run_fatal: Connection from 192.0.2.10 port 50000: "
                        "Connection timed out");
}
END_TEST

START_TEST(tcpwrappers_refused)
{
    evc_expect(HDR "refused connect from scanner.example.net (198.51.100.60)",
               &(struct evc_want){.kind = AG_EV_TCPW_REFUSED, .src = "198.51.100.60", BASE,
                                  .flags = TL});
    evc_expect(HDR "refused connect from 198.51.100.60",
               &(struct evc_want){.kind = AG_EV_TCPW_REFUSED, .src = "198.51.100.60", BASE,
                                  .flags = TL});
    /* libwrap is in other daemons too. */
    evc_expect("Nov  9 04:07:51 web-01 in.telnetd[77]: refused connect from 2001:db8::60",
               &(struct evc_want){.kind = AG_EV_TCPW_REFUSED, .src = "2001:db8::60",
                                  .program = "in.telnetd", .pid = 77, .host = "web-01",
                                  .flags = TL});
}
END_TEST

/* ---- sshd's own PAM lines ------------------------------------------------------ */

START_TEST(sshd_pam_error)
{
    evc_expect(HDR "error: PAM: Authentication failure for root from 198.51.100.70",
               &(struct evc_want){.kind = AG_EV_PAM_FAILURE, .method = AG_M_PAM, .user = "root",
                                  .src = "198.51.100.70", BASE,
                                  .flags = TL | AG_EVF_ECHO});
    evc_expect(HDR "error: PAM: Authentication failure for illegal user admin from "
                   "scanner.example.net",
               &(struct evc_want){.kind = AG_EV_PAM_FAILURE, .method = AG_M_PAM, .user = "admin",
                                  .src_name = "scanner.example.net", BASE,
                                  .flags = TL | AG_EVF_ECHO | INV | AG_EVF_SRC_IS_NAME});
}
END_TEST

START_TEST(pam_more_failures)
{
    evc_expect(HDR "PAM 2 more authentication failures; logname= uid=0 euid=0 tty=ssh ruser= "
                   "rhost=189.69.184.142  user=root",
               &(struct evc_want){.kind = AG_EV_PAM_MORE_FAILURES, .method = AG_M_PAM,
                                  .user = "root", .src = "189.69.184.142", BASE, .count = 2,
                                  .flags = TL | AG_EVF_ECHO});
    evc_expect(HDR "PAM 1 more authentication failure; logname= uid=0 euid=0 tty=ssh ruser= "
                   "rhost=189.69.184.142",
               &(struct evc_want){.kind = AG_EV_PAM_MORE_FAILURES, .method = AG_M_PAM,
                                  .src = "189.69.184.142", BASE, .count = 1,
                                  .flags = TL | AG_EVF_ECHO});
    evc_expect_none(HDR "PAM 0 more authentication failures; logname= uid=0 euid=0 tty=ssh "
                        "ruser= rhost=189.69.184.142");
}
END_TEST

/* ---- look-alikes: no failure event ------------------------------------------------ */

START_TEST(lookalikes_are_not_events)
{
    static const char *const lines[] = {
        HDR "Received disconnect from 181.56.227.5 port 57249:11: disconnected by user",
        HDR "Received disconnect from 181.56.227.5 port 57249:11: Bye Bye [preauth]",
        HDR "Disconnected from user alice 192.0.2.10 port 50000",
        HDR "Connection closed by 192.0.2.10 port 50000",
        HDR "Postponed publickey for alice from 192.0.2.10 port 50000 ssh2 [preauth]",
        HDR "pam_unix(sshd:session): session opened for user alice(uid=1000) by (uid=0)",
        HDR "pam_unix(sshd:session): session closed for user alice",
        HDR "pam_unix(sshd:auth): check pass; user unknown",
        HDR "Connection from 192.0.2.10 port 50000 on 10.0.0.5 port 22 rdomain \"\"",
        HDR "Server listening on 0.0.0.0 port 22.",
        HDR "Close session: user alice from 192.0.2.10 port 50000 id 0",
        HDR "Starting session: shell on pts/0 for alice from 192.0.2.10 port 50000 id 0",
        HDR "input_userauth_request: invalid user x [preauth]",
        HDR "User child is on pid 4321",
        HDR "PAM service(sshd) ignoring max retries; 6 > 3",
        HDR "error: kex_exchange_identification: Connection closed by remote host",
        HDR "Failed password for root from 203.0.113.45 port 52211", /* no ssh2: cut short */
        HDR "Accepted password for alice",
        HDR "Invalid user x",
        HDR "",
    };
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++)
        ck_assert_int_eq(evc_expect_none(lines[i]), AG_PARSE_OTHER);
}
END_TEST

/* The same words from a program that is not sshd are not sshd's. */
START_TEST(other_programs_are_skipped)
{
    static const char *const lines[] = {
        "Nov  9 04:07:51 web-01 CRON[5]: Failed password for root from 1.2.3.4 port 1 ssh2",
        "Nov  9 04:07:51 web-01 sshdx[5]: Failed password for root from 1.2.3.4 port 1 ssh2",
        "Nov  9 04:07:51 web-01 ssh[5]: Failed password for root from 1.2.3.4 port 1 ssh2",
        "Nov  9 04:07:51 web-01 kernel: [UFW BLOCK] IN=eth0 SRC=186.155.199.120 DPT=22",
        "Nov  9 04:07:51 web-01 systemd[1]: Started ssh.service - OpenBSD Secure Shell server.",
    };
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
        struct evc c;
        evc_parse(&c, lines[i]);
        ck_assert_int_eq(c.rc, AG_PARSE_OTHER);
        ck_assert_uint_eq(c.p->st.auth_other, 0); /* not an auth program */
        evc_free(&c);
    }
}
END_TEST

/* Stats: an sshd line that is no shape counts as auth_other. */
START_TEST(stats_auth_other)
{
    struct evc c;
    evc_parse(&c, HDR "Received disconnect from 1.2.3.4 port 5:11: Bye Bye [preauth]");
    /* A known shape of policy "nothing" (catalogue.c) is still no event. */
    ck_assert_int_eq(c.rc, AG_PARSE_OTHER);
    ck_assert_uint_eq(c.p->st.lines, 1);
    ck_assert_uint_eq(c.p->st.auth_other, 1);
    ck_assert_uint_eq(c.p->st.events, 0);
    ck_assert_uint_eq(c.p->st.unparsed, 0);
    evc_free(&c);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("sshd");
    TCase *tc = tcase_create("sshd");
    tcase_add_test(tc, failed_password);
    tcase_add_test(tc, failed_password_invalid_user);
    tcase_add_test(tc, failed_publickey);
    tcase_add_test(tc, failed_keyboard_interactive);
    tcase_add_test(tc, failed_hostbased);
    tcase_add_test(tc, failed_gssapi);
    tcase_add_test(tc, failed_none_is_not_an_event);
    tcase_add_test(tc, accepted);
    tcase_add_test(tc, sshd_session_and_auth_programs);
    tcase_add_test(tc, source_address_forms);
    tcase_add_test(tc, invalid_user);
    tcase_add_test(tc, user_not_allowed);
    tcase_add_test(tc, root_login_refused);
    tcase_add_test(tc, max_auth_attempts);
    tcase_add_test(tc, disconnecting_too_many_failures);
    tcase_add_test(tc, connection_closed_preauth);
    tcase_add_test(tc, connection_reset);
    tcase_add_test(tc, disconnected_preauth);
    tcase_add_test(tc, no_identification);
    tcase_add_test(tc, banner_exchange);
    tcase_add_test(tc, bad_protocol_version);
    tcase_add_test(tc, unable_to_negotiate);
    tcase_add_test(tc, timeout_before_auth);
    tcase_add_test(tc, penalty);
    tcase_add_test(tc, dispatch_mac_error);
    tcase_add_test(tc, tcpwrappers_refused);
    tcase_add_test(tc, sshd_pam_error);
    tcase_add_test(tc, pam_more_failures);
    tcase_add_test(tc, lookalikes_are_not_events);
    tcase_add_test(tc, other_programs_are_skipped);
    tcase_add_test(tc, stats_auth_other);
    suite_add_tcase(s, tc);
    return s;
}

AG_TEST_MAIN
