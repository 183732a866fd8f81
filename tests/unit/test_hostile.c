/* test_hostile.c - the parser against text an attacker writes or a broken
 * pipe delivers: fake "from ADDR port N" clauses in user names,
 * certificate IDs and banners; control characters, ANSI escapes, quotes and
 * invalid UTF-8 in names; NUL bytes, 1 MiB lines, lines cut at every byte,
 * random bytes and mutated real lines. Never a crash, never a read past the
 * line (exact-size buffers under ASan), never a wrong address. Also checks
 * tests/data/auth_shapes.log (one line per shape, each an event) and
 * tests/data/auth_lookalikes.log (near misses, none an event). */
#include "tests/unit/ev_check.h"

#define HDR "Nov  9 04:07:51 web-01 sshd[1234]: "
#define BASE .program = "sshd", .pid = 1234, .host = "web-01"
#define TL AG_EVF_TIME_FROM_LOG
#define ECHO AG_EVF_ECHO
#define INV AG_EVF_INVALID_USER
#define PRE AG_EVF_PREAUTH

/* ---- fake address clauses ------------------------------------------------------- */

START_TEST(fake_from_in_failed_user)
{
    evc_expect(HDR "Failed password for invalid user root from 8.8.8.8 port 22 ssh2 from "
                   "203.0.113.9 port 5555 ssh2",
               &(struct evc_want){.kind = AG_EV_INVALID_USER, .method = AG_M_PASSWORD,
                                  .user = "root from 8.8.8.8 port 22 ssh2",
                                  .src = "203.0.113.9", .port = 5555, BASE,
                                  .flags = TL | INV});
    /* The fake clause dressed with a key, as a publickey line would be. */
    evc_expect(HDR "Failed publickey for invalid user x from 8.8.8.8 port 22 ssh2: RSA "
                   "SHA256:abc from 203.0.113.9 port 5555 ssh2: RSA SHA256:real",
               &(struct evc_want){.kind = AG_EV_INVALID_USER, .method = AG_M_PUBLICKEY,
                                  .user = "x from 8.8.8.8 port 22 ssh2: RSA SHA256:abc",
                                  .src = "203.0.113.9", .port = 5555, BASE,
                                  .flags = TL | INV});
    /* Many fake clauses: still the last one, and in linear time. */
    char line[AG_LINE_MAX];
    size_t n = (size_t)snprintf(line, sizeof line, "%s", HDR "Failed password for invalid user ");
    while (n < sizeof line - 200)
        n += (size_t)snprintf(line + n, sizeof line - n, "a from 8.8.8.8 port 22 ssh2 ");
    snprintf(line + n, sizeof line - n, "from 2001:db8::9 port 5555 ssh2");
    struct evc c;
    evc_parse(&c, line);
    ck_assert_int_eq(c.rc, AG_PARSE_EVENT);
    char a[AG_ADDR_STRLEN];
    ag_addr_format(&c.ev.src, a);
    ck_assert_str_eq(a, "2001:db8::9");
    ck_assert_uint_eq(c.ev.src_port, 5555);
    ck_assert_uint_eq(c.ev.user.len, AG_USER_MAX);
    ck_assert(c.ev.flags & AG_EVF_USER_TRUNCATED);
    evc_free(&c);
}
END_TEST

START_TEST(fake_from_in_other_shapes)
{
    evc_expect(HDR "Invalid user a from 8.8.8.8 port 22 from 203.0.113.9 port 5555",
               &(struct evc_want){.kind = AG_EV_INVALID_USER, .user = "a from 8.8.8.8 port 22",
                                  .src = "203.0.113.9", .port = 5555, BASE,
                                  .flags = TL | INV | AG_EVF_ANNOUNCE});
    evc_expect(HDR "Connection closed by invalid user x 8.8.8.8 port 22 203.0.113.9 port 5555 "
                   "[preauth]",
               &(struct evc_want){.kind = AG_EV_PREAUTH_DISCONNECT, .user = "x 8.8.8.8 port 22",
                                  .src = "203.0.113.9", .port = 5555, BASE,
                                  .flags = TL | INV | PRE | AG_EVF_ANNOUNCE});
    evc_expect(HDR "Disconnected from invalid user y [preauth] 8.8.8.8 port 1 203.0.113.9 port "
                   "5555 [preauth]",
               &(struct evc_want){.kind = AG_EV_PREAUTH_DISCONNECT,
                                  .user = "y [preauth] 8.8.8.8 port 1", .src = "203.0.113.9",
                                  .port = 5555, BASE, .flags = TL | INV | PRE | AG_EVF_ANNOUNCE});
    evc_expect(HDR "error: maximum authentication attempts exceeded for invalid user a from "
                   "8.8.8.8 port 1 ssh2 from 203.0.113.9 port 5555 ssh2 [preauth]",
               &(struct evc_want){.kind = AG_EV_MAX_AUTH, .user = "a from 8.8.8.8 port 1 ssh2",
                                  .src = "203.0.113.9", .port = 5555, BASE,
                                  .flags = TL | INV | PRE});
    /* Also a "Disconnecting ... 8.8.8.8 port 1: REASON" whose reason ends in
     * the fake tail: the two readings disagree, so no source. */
    evc_expect(HDR "Disconnecting invalid user z 8.8.8.8 port 1: Too many authentication "
                   "failures 203.0.113.9 port 5555: Too many authentication failures [preauth]",
               &(struct evc_want){.kind = AG_EV_MAX_AUTH,
                                  .user = "z 8.8.8.8 port 1: Too many authentication failures",
                                  BASE, .flags = TL | INV | PRE | ECHO | AG_EVF_ANNOUNCE});
    evc_expect(HDR "Bad protocol version identification 'x' from 8.8.8.8 port 22' from "
                   "203.0.113.9 port 5555",
               &(struct evc_want){.kind = AG_EV_BAD_PROTOCOL, .src = "203.0.113.9",
                                  .port = 5555, BASE, .flags = TL});
    evc_expect(HDR "Unable to negotiate with 203.0.113.9 port 5555: no matching cipher found. "
                   "Their offer: x from 8.8.8.8 port 22: no matching y",
               &(struct evc_want){.kind = AG_EV_NEGOTIATION, .src = "203.0.113.9", .port = 5555,
                                  BASE, .flags = TL});
    evc_expect(HDR "ssh_dispatch_run_fatal: Connection from authenticating user r 8.8.8.8 port "
                   "1: message authentication code incorrect 203.0.113.9 port 5555: message "
                   "authentication code incorrect [preauth]",
               &(struct evc_want){.kind = AG_EV_MAC_ERROR,
                                  .user = "r 8.8.8.8 port 1: message authentication code "
                                          "incorrect",
                                  .src = "203.0.113.9", .port = 5555, BASE,
                                  .flags = TL | PRE});
    evc_expect(HDR "error: PAM: Authentication failure for illegal user a from 8.8.8.8 from "
                   "203.0.113.9",
               &(struct evc_want){.kind = AG_EV_PAM_FAILURE, .method = AG_M_PAM,
                                  .user = "a from 8.8.8.8", .src = "203.0.113.9", BASE,
                                  .flags = TL | INV | AG_EVF_ECHO});
    /* The PAM user= comes last: an rhost= inside it is not the rhost. */
    evc_expect(HDR "pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh "
                   "ruser= rhost=203.0.113.9  user=x rhost=8.8.8.8",
               &(struct evc_want){.kind = AG_EV_PAM_FAILURE, .method = AG_M_PAM,
                                  .user = "x rhost=8.8.8.8", .src = "203.0.113.9", BASE,
                                  .service = "sshd", .flags = TL | AG_EVF_ECHO});
}
END_TEST

/* A certificate's ID and a hostbased client name are client text AFTER the
 * address. */
START_TEST(fake_from_after_the_address)
{
    /* Valid user: the left-most clause is sshd's. */
    evc_expect(HDR "Failed publickey for alice from 203.0.113.9 port 5555 ssh2: ED25519-CERT "
                   "SHA256:f ID x from 9.9.9.9 port 2 ssh2: RSA SHA256:k (serial 1) CA ED25519 "
                   "SHA256:c",
               &(struct evc_want){.kind = AG_EV_AUTH_FAILURE, .method = AG_M_PUBLICKEY,
                                  .user = "alice", .src = "203.0.113.9", .port = 5555, BASE,
                                  .flags = TL});
    evc_expect(HDR "Failed hostbased for bob from 203.0.113.9 port 5555 ssh2: ECDSA "
                   "SHA256:Zm9v, client user \"bob\", client host \"h from 9.9.9.9 port 2 ssh2: "
                   "RSA SHA256:k\"",
               &(struct evc_want){.kind = AG_EV_AUTH_FAILURE, .method = AG_M_HOSTBASED,
                                  .user = "bob", .src = "203.0.113.9", .port = 5555, BASE,
                                  .flags = TL});
    /* Invalid user: both ends are client-written. Read with the user
     * "bob from R ... ID x", the real clause F would be followed by
     * "RSA SHA256:k (serial 1) CA ...", which is neither a plain key ("TYPE
     * FP") nor a certificate ("TYPE FP ID ..."): sshd cannot have written
     * that, so the only parse is R. */
    evc_expect(HDR "Failed publickey for invalid user bob from 203.0.113.9 port 5555 ssh2: "
                   "ED25519-CERT SHA256:f ID x from 9.9.9.9 port 2 ssh2: RSA SHA256:k (serial 1) "
                   "CA ED25519 SHA256:c",
               &(struct evc_want){.kind = AG_EV_INVALID_USER, .method = AG_M_PUBLICKEY,
                                  .user = "bob", .src = "203.0.113.9", .port = 5555, BASE,
                                  .flags = TL | INV});
    /* With a certificate after the fake clause as well, both parses fit the
     * grammar and disagree: no source at all, rather than either. */
    evc_expect(HDR "Failed publickey for invalid user bob from 203.0.113.9 port 5555 ssh2: "
                   "ED25519-CERT SHA256:f ID x from 9.9.9.9 port 2 ssh2: RSA-CERT SHA256:k ID y "
                   "(serial 1) CA ED25519 SHA256:c",
               &(struct evc_want){.kind = AG_EV_INVALID_USER, .method = AG_M_PUBLICKEY,
                                  .user = "bob", BASE, .flags = TL | INV});
    /* The same fake at both ends around a different real address: the
     * middle one disagrees, so again no source. */
    evc_expect(HDR "Failed publickey for invalid user u from 9.9.9.9 port 1 ssh2: ED25519-CERT "
                   "SHA256:x ID z from 203.0.113.9 port 5555 ssh2: ED25519-CERT SHA256:f ID y "
                   "from 9.9.9.9 port 2 ssh2: ED25519-CERT SHA256:x ID z (serial 1) CA ED25519 "
                   "SHA256:c",
               &(struct evc_want){.kind = AG_EV_INVALID_USER, .method = AG_M_PUBLICKEY,
                                  .user = "u", BASE, .flags = TL | INV});
    /* Candidates that all agree are safe to use. */
    evc_expect(HDR "Failed publickey for invalid user bob from 203.0.113.9 port 5555 ssh2: "
                   "ED25519-CERT SHA256:f ID x from 203.0.113.9 port 2 ssh2: RSA SHA256:k (serial "
                   "1) CA ED25519 SHA256:c",
               &(struct evc_want){.kind = AG_EV_INVALID_USER, .method = AG_M_PUBLICKEY,
                                  .user = "bob", .src = "203.0.113.9", .port = 5555, BASE,
                                  .flags = TL | INV});
    /* Both ends client-written and disagreeing: no source at all, rather
     * than either fake. */
    evc_expect(HDR "Failed publickey for invalid user u from 8.8.8.8 port 1 ssh2: ED25519-CERT "
                   "SHA256:x ID z from 203.0.113.9 port 5555 ssh2: ED25519-CERT SHA256:f ID y "
                   "from 9.9.9.9 port 2 ssh2: ED25519-CERT SHA256:x ID z (serial 1) CA ED25519 "
                   "SHA256:c",
               &(struct evc_want){.kind = AG_EV_INVALID_USER, .method = AG_M_PUBLICKEY,
                                  .user = "u", BASE, .flags = TL | INV});
}
END_TEST

/* ---- names as written ---------------------------------------------------------------- */

START_TEST(user_bytes_kept_exact)
{
    static const char *const names[] = {
        "\x1b[31mroot\x1b[0m",      /* ANSI colour */
        "a\"b'c\\d",                /* quotes and backslash */
        "\xff\xfe\xc3(\xe2\x82",    /* invalid UTF-8 */
        "tab\there\rcr\x01\x7f",    /* control characters */
        "two words  and   spaces",  /* spaces */
        "{\"json\":1}<script>",      /* markup */
        "%s%n%x",                   /* format directives */
        "\\033[2J\\015",            /* sshd's own octal escapes */
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char line[512];
        snprintf(line, sizeof line, HDR "Invalid user %s from 203.0.113.9 port 5555", names[i]);
        evc_expect(line, &(struct evc_want){.kind = AG_EV_INVALID_USER, .user = names[i],
                                            .src = "203.0.113.9", .port = 5555, BASE,
                                            .flags = TL | INV | AG_EVF_ANNOUNCE});
        snprintf(line, sizeof line, HDR "Failed password for invalid user %s from 203.0.113.9 "
                 "port 5555 ssh2", names[i]);
        evc_expect(line, &(struct evc_want){.kind = AG_EV_INVALID_USER, .method = AG_M_PASSWORD,
                                            .user = names[i], .src = "203.0.113.9",
                                            .port = 5555, BASE, .flags = TL | INV});
    }
}
END_TEST

START_TEST(long_user_truncated)
{
    char user[1025];
    memset(user, 'u', sizeof user - 1);
    user[sizeof user - 1] = '\0';
    user[AG_USER_MAX - 1] = 'X'; /* last byte kept */
    char line[2048];
    snprintf(line, sizeof line, HDR "Invalid user %s from 203.0.113.9 port 5555", user);
    struct evc c;
    evc_parse(&c, line);
    ck_assert_int_eq(c.rc, AG_PARSE_EVENT);
    ck_assert_uint_eq(c.ev.user.len, AG_USER_MAX);
    ck_assert(c.ev.flags & AG_EVF_USER_TRUNCATED);
    ck_assert(memcmp(c.ev.line + c.ev.user.off, user, AG_USER_MAX) == 0);
    ck_assert_uint_eq(c.ev.src_port, 5555);
    evc_free(&c);
    /* Exactly AG_USER_MAX: kept whole, not flagged. */
    user[AG_USER_MAX] = '\0';
    snprintf(line, sizeof line, HDR "Invalid user %s from 203.0.113.9 port 5555", user);
    evc_expect(line, &(struct evc_want){.kind = AG_EV_INVALID_USER, .user = user,
                                        .src = "203.0.113.9", .port = 5555, BASE,
                                        .flags = TL | INV | AG_EVF_ANNOUNCE});
}
END_TEST

/* ---- lines that are not lines ------------------------------------------------------------- */

START_TEST(nul_in_line)
{
    static const char line[] = HDR "Failed password for ro\0ot from 203.0.113.9 port 5555 ssh2";
    struct evc c;
    evc_parse_n(&c, line, sizeof line - 1);
    ck_assert_int_eq(c.rc, AG_PARSE_UNPARSED);
    ck_assert_uint_eq(c.p->st.unparsed, 1);
    ck_assert_uint_eq(c.p->st.oversize, 0);
    evc_free(&c);
    static const char first[] = "\0Nov  9 04:07:51 web-01 sshd[1]: x";
    evc_parse_n(&c, first, sizeof first - 1);
    ck_assert_int_eq(c.rc, AG_PARSE_UNPARSED);
    evc_free(&c);
}
END_TEST

START_TEST(one_mebibyte_line)
{
    size_t n = 1u << 20;
    char *big = malloc(n);
    ck_assert_ptr_nonnull(big);
    memset(big, 'A', n);
    memcpy(big, HDR "Invalid user ", strlen(HDR "Invalid user "));
    struct evc c;
    evc_parse_n(&c, big, n);
    ck_assert_int_eq(c.rc, AG_PARSE_UNPARSED);
    ck_assert_uint_eq(c.p->st.unparsed, 1);
    ck_assert_uint_eq(c.p->st.oversize, 1);
    evc_free(&c);
    /* The largest line we take: a user that fills it, cut to AG_USER_MAX. */
    const char *tail = " from 203.0.113.9 port 5555";
    size_t hl = strlen(HDR "Invalid user "), tl = strlen(tail);
    memcpy(big + AG_LINE_MAX - tl, tail, tl);
    evc_parse_n(&c, big, AG_LINE_MAX);
    ck_assert_int_eq(c.rc, AG_PARSE_EVENT);
    ck_assert_uint_eq(c.ev.user.off, hl);
    ck_assert_uint_eq(c.ev.user.len, AG_USER_MAX);
    ck_assert_uint_eq(c.ev.src_port, 5555);
    ck_assert_uint_eq(c.ev.line_len, AG_LINE_MAX);
    evc_free(&c);
    evc_parse_n(&c, big, AG_LINE_MAX + 1);
    ck_assert_int_eq(c.rc, AG_PARSE_UNPARSED);
    ck_assert_uint_eq(c.p->st.oversize, 1);
    evc_free(&c);
    free(big);
}
END_TEST

/* tmpl with its one "%s" replaced by what (templates are data here, so
 * they do not go through printf). */
static void fill(char *out, size_t cap, const char *tmpl, const char *what)
{
    const char *at = strstr(tmpl, "%s");
    ck_assert_ptr_nonnull(at);
    size_t pre = (size_t)(at - tmpl), wl = strlen(what), post = strlen(at + 2);
    ck_assert_uint_lt(pre + wl + post, cap);
    memcpy(out, tmpl, pre);
    memcpy(out + pre, what, wl);
    memcpy(out + pre + wl, at + 2, post + 1);
}

START_TEST(bad_addresses_give_no_address)
{
    static const char *const addrs[] = {"999.1.1.1", "1.2.3", "1.2.3.4.5", "::1::2", "01.2.3.4",
                                        "1.2.3.256", "2001:db8::g", "[1.2.3.4", "-", ""};
    static const char *const forms[] = {
        HDR "Failed password for root from %s port 22 ssh2",
        HDR "Invalid user x from %s port 22",
        HDR "Invalid user x from %s",
        HDR "Connection closed by %s port 22 [preauth]",
        HDR "Connection reset by invalid user x %s port 22",
        HDR "Did not receive identification string from %s",
        HDR "drop connection #1 from [%s]:22 on [10.0.0.1]:22 penalty: exceeded LoginGraceTime",
        HDR "Unable to negotiate with %s port 22: no matching cipher found.",
        HDR "fatal: Timeout before authentication for %s port 22",
        HDR "banner exchange: Connection from %s port 22: invalid format",
        HDR "refused connect from h (%s)",
    };
    for (size_t f = 0; f < sizeof forms / sizeof forms[0]; f++) {
        for (size_t a = 0; a < sizeof addrs / sizeof addrs[0]; a++) {
            char line[512];
            fill(line, sizeof line, forms[f], addrs[a]);
            struct evc c;
            evc_parse(&c, line);
            if (c.rc == AG_PARSE_EVENT)
                ck_assert_msg(c.ev.src.af == AG_AF_NONE && c.ev.src_name.len == 0,
                              "address or name from: %s", line);
            evc_free(&c);
        }
    }
    /* And a PAM line keeps its event without the bad rhost. */
    evc_expect(HDR "pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh "
                   "ruser= rhost=::1::2  user=root",
               &(struct evc_want){.kind = AG_EV_PAM_FAILURE, .method = AG_M_PAM, .user = "root",
                                  BASE, .service = "sshd", .flags = TL | AG_EVF_ECHO});
}
END_TEST

/* ---- cut at every byte ---------------------------------------------------------------- */

/* Lines whose address is followed by sshd text (port, "ssh2", "]:",
 * ")"...): a line cut anywhere may lose its event but never yields a
 * different address or port. */
static const char *const strict_lines[] = {
    HDR "Failed password for root from 203.0.113.45 port 52211 ssh2",
    HDR "Failed password for invalid user oracle from 2001:db8::45 port 52211 ssh2",
    HDR "Failed publickey for git from 198.51.100.23 port 40022 ssh2: ED25519 SHA256:3q2+7w",
    HDR "Accepted publickey for ci from 192.0.2.11 port 50003 ssh2: ED25519-CERT SHA256:abc ID "
        "ci-runner-7 (serial 42) CA ED25519 SHA256:def",
    HDR "Connection closed by invalid user sonar 32.133.220.179 port 20298 [preauth]",
    HDR "Disconnected from authenticating user root 181.56.227.5 port 57249 [preauth]",
    HDR "error: maximum authentication attempts exceeded for root from 173.158.166.42 port "
        "41000 ssh2 [preauth]",
    HDR "Disconnecting invalid user admin 173.158.166.42 port 41000: Too many authentication "
        "failures [preauth]",
    HDR "drop connection #3 from [2001:db8::1]:5555 on [::1]:22 penalty: failed authentication",
    HDR "banner exchange: Connection from 23.126.205.113 port 61000: invalid format",
    HDR "Unable to negotiate with 98.16.200.10 port 40404: no matching key exchange method "
        "found. Their offer: diffie-hellman-group1-sha1 [preauth]",
    HDR "ssh_dispatch_run_fatal: Connection from authenticating user root 23.126.205.113 port "
        "61000: message authentication code incorrect [preauth]",
    HDR "refused connect from scanner.example.net (198.51.100.60)",
    "2024-11-09T04:07:51.123456+01:00 web-01 sshd-session[82479]: Failed password for root "
    "from 203.0.113.45 port 52211 ssh2",
    "<34>1 2024-11-09T04:07:51.003Z web-01 sshd 1234 - [ex@1 a=\"b\"] Failed password for "
    "root from 203.0.113.45 port 52211 ssh2",
    "Nov  9 04:07:51 web-01 login[6002]: FAILED LOGIN (2) on '/dev/pts/3' FROM '198.51.100.5' "
    "FOR 'admin', Authentication failure",
    "Nov  9 04:07:51 web-01 sudo[5001]: alice : 3 incorrect password attempts ; TTY=pts/0 ; "
    "PWD=/home/alice ; USER=root ; COMMAND=/bin/bash",
    "Nov  9 04:07:51 web-01 su[4001]: FAILED su for root by bob",
};

/* Lines whose address may legally end the line (the pre-7.5 forms without
 * a port, PAM's rhost when the user is unknown): a cut inside that final
 * address reads like the legacy form and yields a shorter address - the
 * text does not say it was cut. Everywhere else the address is exact. */
static const char *const tail_lines[] = {
    HDR "Invalid user admin from 203.0.113.45 port 5555",
    HDR "Did not receive identification string from 23.126.205.113 port 61000",
    HDR "Bad protocol version identification 'GET / HTTP/1.1' from 23.126.205.113 port 61000",
    HDR "fatal: Timeout before authentication for 198.51.100.50 port 1022",
    HDR "ROOT LOGIN REFUSED FROM 198.51.100.41",
    HDR "error: PAM: Authentication failure for root from 198.51.100.70",
    HDR "pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= "
        "rhost=2001:db8::45",
    HDR "pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= "
        "rhost=2001:db8::45  user=root",
    HDR "PAM 2 more authentication failures; logname= uid=0 euid=0 tty=ssh ruser= "
        "rhost=189.69.184.142  user=root",
    HDR "Connection reset by 73.36.62.254 port 62548",
};

/* Parses the first n bytes of line; returns the event's address text (or
 * "" for none) in a and the port in *port, or -1 if no event. */
static int parse_cut(const char *line, size_t n, char a[AG_ADDR_STRLEN], unsigned *port,
                     int *kind)
{
    struct evc c;
    evc_parse_n(&c, line, n);
    int rc = c.rc;
    if (rc == AG_PARSE_EVENT) {
        ag_addr_format(&c.ev.src, a);
        *port = c.ev.src_port;
        *kind = c.ev.kind;
        /* Every span stays inside the line. */
        struct ag_span sp[] = {c.ev.host, c.ev.program, c.ev.msg, c.ev.user, c.ev.ruser,
                               c.ev.target, c.ev.service, c.ev.src_name};
        for (size_t i = 0; i < sizeof sp / sizeof sp[0]; i++)
            ck_assert_uint_le((size_t)sp[i].off + sp[i].len, n);
    }
    evc_free(&c);
    return rc == AG_PARSE_EVENT ? 0 : -1;
}

START_TEST(cut_at_every_byte_strict)
{
    for (size_t l = 0; l < sizeof strict_lines / sizeof strict_lines[0]; l++) {
        const char *line = strict_lines[l];
        size_t len = strlen(line);
        char full[AG_ADDR_STRLEN], a[AG_ADDR_STRLEN];
        unsigned fport, port;
        int fkind, kind;
        ck_assert_msg(parse_cut(line, len, full, &fport, &fkind) == 0, "no event: %s", line);
        for (size_t n = 0; n < len; n++) {
            if (parse_cut(line, n, a, &port, &kind) < 0)
                continue;
            ck_assert_msg(a[0] == '\0' || strcmp(a, full) == 0,
                          "cut at %zu of '%s' gave address %s", n, line, a);
            ck_assert_msg(port == 0 || port == fport, "cut at %zu of '%s' gave port %u", n,
                          line, port);
        }
    }
}
END_TEST

START_TEST(cut_at_every_byte_tail)
{
    for (size_t l = 0; l < sizeof tail_lines / sizeof tail_lines[0]; l++) {
        const char *line = tail_lines[l];
        size_t len = strlen(line);
        char full[AG_ADDR_STRLEN], a[AG_ADDR_STRLEN];
        unsigned fport, port;
        int fkind, kind;
        ck_assert_msg(parse_cut(line, len, full, &fport, &fkind) == 0, "no event: %s", line);
        const char *addr_at = strstr(line, full);
        ck_assert_ptr_nonnull(addr_at);
        size_t a0 = (size_t)(addr_at - line), a1 = a0 + strlen(full);
        for (size_t n = 0; n < len; n++) {
            if (parse_cut(line, n, a, &port, &kind) < 0 || a[0] == '\0')
                continue;
            if (n >= a1) {
                ck_assert_msg(strcmp(a, full) == 0, "cut at %zu of '%s' gave %s", n, line, a);
            } else {
                ck_assert_msg(n > a0 && strncmp(line + a0, a, n - a0) == 0 && a[n - a0] == '\0',
                              "cut at %zu of '%s' gave %s", n, line, a);
            }
        }
    }
}
END_TEST

/* ---- noise ------------------------------------------------------------------------------------ */

static uint32_t rnd(uint32_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s;
}

/* Invariants every event must hold, whatever the input. */
static void check_invariants(const struct ag_event *ev, size_t len)
{
    ck_assert_uint_lt(ev->kind, AG_EV_KIND_COUNT);
    ck_assert_uint_ne(ev->kind, AG_EV_NONE);
    ck_assert_uint_lt(ev->method, AG_M_COUNT);
    ck_assert_uint_ge(ev->count, 1);
    ck_assert_uint_le(ev->user.len, AG_USER_MAX);
    ck_assert_uint_eq(ev->line_len, len);
    struct ag_span sp[] = {ev->host, ev->program, ev->msg, ev->user, ev->ruser,
                           ev->target, ev->service, ev->src_name};
    for (size_t i = 0; i < sizeof sp / sizeof sp[0]; i++)
        ck_assert_uint_le((size_t)sp[i].off + sp[i].len, len);
    ck_assert(ev->src.af == AG_AF_NONE || ev->src.af == AG_AF_INET || ev->src.af == AG_AF_INET6);
    ck_assert(!(ev->src.af != AG_AF_NONE && (ev->flags & AG_EVF_SRC_IS_NAME)));
}

START_TEST(random_bytes)
{
    struct ag_parser *p = malloc(sizeof *p);
    ag_parser_init(p);
    ag_tzcache_set_fixed(&p->tz, 0);
    uint32_t seed = 0x9e3779b9u;
    static const char *const prefixes[] = {"", HDR, "<34>1 2024-11-09T04:07:51Z h sshd 1 - ",
                                           "2024-11-09T04:07:51Z h sudo[1]: ",
                                           "Nov  9 04:07:51 h su[1]: ", "<13>"};
    uint64_t events = 0;
    for (int i = 0; i < 100000; i++) {
        const char *pre = prefixes[rnd(&seed) % 6];
        size_t pl = strlen(pre);
        size_t n = pl + rnd(&seed) % 200;
        char *b = malloc(n ? n : 1);
        memcpy(b, pre, pl);
        for (size_t k = pl; k < n; k++)
            b[k] = (char)(rnd(&seed) & 0xff);
        struct ag_event ev;
        if (ag_parse_line(p, b, n, EVC_ARRIVAL_MS, &ev) == AG_PARSE_EVENT) {
            check_invariants(&ev, n);
            events++;
        }
        free(b);
    }
    ck_assert_uint_eq(p->st.lines, 100000);
    ck_assert_uint_eq(p->st.events, events);
    ck_assert_uint_gt(p->st.unparsed, 0);
    free(p);
}
END_TEST

/* Real lines with bytes flipped, inserted and deleted: every path through
 * the recognizers on almost-right input. */
START_TEST(mutated_lines)
{
    struct ag_parser *p = malloc(sizeof *p);
    ag_parser_init(p);
    ag_tzcache_set_fixed(&p->tz, 0);
    uint32_t seed = 12345;
    static const char alphabet[] = " :.[]()'\"=;#0123456789abcdefport from ssh2";
    size_t nlines = sizeof strict_lines / sizeof strict_lines[0];
    size_t ntail = sizeof tail_lines / sizeof tail_lines[0];
    for (int i = 0; i < 200000; i++) {
        uint32_t pick = rnd(&seed) % (uint32_t)(nlines + ntail);
        const char *src = pick < nlines ? strict_lines[pick] : tail_lines[pick - nlines];
        char buf[512];
        size_t n = strlen(src);
        memcpy(buf, src, n);
        int edits = 1 + (int)(rnd(&seed) % 4);
        for (int e = 0; e < edits && n > 0; e++) {
            size_t at = rnd(&seed) % n;
            char c = (rnd(&seed) & 1) ? (char)(rnd(&seed) & 0xff)
                                      : alphabet[rnd(&seed) % (sizeof alphabet - 1)];
            switch (rnd(&seed) % 3) {
            case 0:
                buf[at] = c;
                break;
            case 1:
                if (n < sizeof buf) {
                    memmove(buf + at + 1, buf + at, n - at);
                    buf[at] = c;
                    n++;
                }
                break;
            default:
                memmove(buf + at, buf + at + 1, n - at - 1);
                n--;
                break;
            }
        }
        char *b = malloc(n ? n : 1);
        memcpy(b, buf, n);
        struct ag_event ev;
        if (ag_parse_line(p, b, n, EVC_ARRIVAL_MS, &ev) == AG_PARSE_EVENT)
            check_invariants(&ev, n);
        free(b);
    }
    ck_assert_uint_eq(p->st.lines, 200000);
    ck_assert_uint_gt(p->st.events, 0);
    free(p);
}
END_TEST

/* The counters over a mixed batch add up. */
START_TEST(stats_add_up)
{
    static const char *const batch[] = {
        HDR "Failed password for root from 203.0.113.45 port 52211 ssh2",
        HDR "Invalid user x from 203.0.113.45 port 1",
        HDR "Received disconnect from 203.0.113.45 port 1:11: Bye Bye [preauth]",
        "Nov  9 04:07:51 web-01 CRON[2]: (root) CMD (run-parts /etc/cron.hourly)",
        "Nov  9 04:07:51 web-01 kernel: [ 1.0] x",
        "not a syslog line",
        ("Nov  9 04:07:51 web-01 sudo[1]: alice : 3 incorrect password attempts ; TTY=pts/0 ; "
         "PWD=/ ; USER=root ; COMMAND=/bin/sh"),
        "Nov  9 04:07:51 web-01 sudo[1]: alice : TTY=pts/0 ; PWD=/ ; USER=root ; COMMAND=/bin/ls",
    };
    struct ag_parser *p = malloc(sizeof *p);
    ag_parser_init(p);
    for (size_t i = 0; i < sizeof batch / sizeof batch[0]; i++) {
        size_t n = strlen(batch[i]);
        char *b = malloc(n);
        memcpy(b, batch[i], n);
        struct ag_event ev;
        ag_parse_line(p, b, n, EVC_ARRIVAL_MS, &ev);
        free(b);
    }
    char *big = calloc(1, AG_LINE_MAX + 10);
    struct ag_event ev;
    ck_assert_int_eq(ag_parse_line(p, big, AG_LINE_MAX + 10, EVC_ARRIVAL_MS, &ev),
                     AG_PARSE_UNPARSED);
    free(big);
    ck_assert_uint_eq(p->st.lines, 9);
    ck_assert_uint_eq(p->st.events, 3);
    ck_assert_uint_eq(p->st.by_kind[AG_EV_AUTH_FAILURE], 1);
    ck_assert_uint_eq(p->st.by_kind[AG_EV_INVALID_USER], 1);
    ck_assert_uint_eq(p->st.by_kind[AG_EV_SUDO_FAILURE], 1);
    ck_assert_uint_eq(p->st.unparsed, 2);
    ck_assert_uint_eq(p->st.oversize, 1);
    ck_assert_uint_eq(p->st.auth_other, 2);
    uint64_t sum = 0;
    for (int k = 0; k < AG_EV_KIND_COUNT; k++)
        sum += p->st.by_kind[k];
    ck_assert_uint_eq(sum, p->st.events);
    free(p);
}
END_TEST

/* ---- the shipped sample files ---------------------------------------------------------- */

/* tests/data/NAME, found through AG_SRCDIR (set by make check) or, when
 * the test runs by hand, next to this source file. */
static FILE *open_data(const char *name)
{
    char path[4096];
    const char *root = getenv("AG_SRCDIR");
    if (root != NULL) {
        snprintf(path, sizeof path, "%s/tests/data/%s", root, name);
    } else {
        const char *self = __FILE__;
        const char *cut = strstr(self, "tests/unit/");
        ck_assert_ptr_nonnull(cut);
        snprintf(path, sizeof path, "%.*stests/data/%s", (int)(cut - self), self, name);
    }
    FILE *f = fopen(path, "r");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    return f;
}

/* Every line of the file parses to an event (want_event) or to none;
 * returns the number of lines. */
static int check_data_file(const char *name, int want_event)
{
    FILE *f = open_data(name);
    char buf[AG_LINE_MAX + 2];
    int n = 0;
    while (fgets(buf, sizeof buf, f) != NULL) {
        size_t len = strcspn(buf, "\n");
        struct evc c;
        evc_parse_n(&c, buf, len);
        ck_assert_msg((c.rc == AG_PARSE_EVENT) == want_event, "%s line %d: rc %d: %.*s", name,
                      n + 1, c.rc, (int)len, buf);
        if (want_event)
            check_invariants(&c.ev, len);
        evc_free(&c);
        n++;
    }
    fclose(f);
    return n;
}

START_TEST(sample_files)
{
    ck_assert_int_ge(check_data_file("auth_shapes.log", 1), 50);
    ck_assert_int_ge(check_data_file("auth_lookalikes.log", 0), 15);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("hostile");
    TCase *tc = tcase_create("hostile");
    tcase_add_test(tc, fake_from_in_failed_user);
    tcase_add_test(tc, fake_from_in_other_shapes);
    tcase_add_test(tc, fake_from_after_the_address);
    tcase_add_test(tc, user_bytes_kept_exact);
    tcase_add_test(tc, long_user_truncated);
    tcase_add_test(tc, nul_in_line);
    tcase_add_test(tc, one_mebibyte_line);
    tcase_add_test(tc, bad_addresses_give_no_address);
    tcase_add_test(tc, cut_at_every_byte_strict);
    tcase_add_test(tc, cut_at_every_byte_tail);
    tcase_add_test(tc, random_bytes);
    tcase_add_test(tc, mutated_lines);
    tcase_add_test(tc, stats_add_up);
    tcase_add_test(tc, sample_files);
    tcase_set_timeout(tc, 120);
    suite_add_tcase(s, tc);
    return s;
}

AG_TEST_MAIN
