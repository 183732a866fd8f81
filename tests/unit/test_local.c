/* test_local.c - the PAM, sudo, su and login recognizers, field by field:
 * PAM lines from any program (sshd, cron, vsftpd, su, sudo, login),
 * pam_faillock and pam_sss, sudo's failure and denial lines, su's three
 * failure formats and login's, and the session lines that are not events. */
#include "tests/unit/ev_check.h"

#define TL AG_EVF_TIME_FROM_LOG
#define ECHO AG_EVF_ECHO
#define AT "Nov  9 04:07:51 web-01 "

/* ---- PAM ----------------------------------------------------------------------- */

START_TEST(pam_unix_sshd)
{
    evc_expect(AT "sshd[1234]: pam_unix(sshd:auth): authentication failure; logname= uid=0 "
                  "euid=0 tty=ssh ruser= rhost=203.0.113.45  user=root",
               &(struct evc_want){.kind = AG_EV_PAM_FAILURE, .method = AG_M_PAM, .user = "root",
                                  .src = "203.0.113.45", .program = "sshd", .pid = 1234,
                                  .host = "web-01", .service = "sshd", .flags = TL | ECHO});
    /* An unknown user: pam_unix leaves user= out. */
    evc_expect(AT "sshd-session[82479]: pam_unix(sshd:auth): authentication failure; logname= "
                  "uid=0 euid=0 tty=ssh ruser= rhost=2001:db8::45",
               &(struct evc_want){.kind = AG_EV_PAM_FAILURE, .method = AG_M_PAM,
                                  .src = "2001:db8::45", .program = "sshd-session", .pid = 82479,
                                  .host = "web-01", .service = "sshd", .flags = TL | ECHO});
    /* UseDNS: rhost is a name. */
    evc_expect(AT "sshd[1]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 "
                  "tty=ssh ruser= rhost=scanner.example.net  user=root",
               &(struct evc_want){.kind = AG_EV_PAM_FAILURE, .method = AG_M_PAM, .user = "root",
                                  .src_name = "scanner.example.net", .program = "sshd", .pid = 1,
                                  .host = "web-01", .service = "sshd",
                                  .flags = TL | ECHO | AG_EVF_SRC_IS_NAME});
}
END_TEST

START_TEST(pam_other_modules)
{
    evc_expect(AT "sshd[7]: pam_faillock(sshd:auth): authentication failure; logname= uid=0 "
                  "euid=0 tty=ssh ruser= rhost=198.51.100.8  user=bob",
               &(struct evc_want){.kind = AG_EV_PAM_FAILURE, .method = AG_M_PAM, .user = "bob",
                                  .src = "198.51.100.8", .program = "sshd", .pid = 7,
                                  .host = "web-01", .service = "sshd", .flags = TL | ECHO});
    evc_expect(AT "sshd[7]: pam_sss(sshd:auth): authentication failure; logname= uid=0 euid=0 "
                  "tty=ssh ruser= rhost=198.51.100.8 user=bob",
               &(struct evc_want){.kind = AG_EV_PAM_FAILURE, .method = AG_M_PAM, .user = "bob",
                                  .src = "198.51.100.8", .program = "sshd", .pid = 7,
                                  .host = "web-01", .service = "sshd", .flags = TL | ECHO});
    evc_expect(AT "sshd[7]: pam_faillock(sshd:auth): Consecutive login failures for user root "
                  "account temporarily locked",
               &(struct evc_want){.kind = AG_EV_PAM_FAILURE, .method = AG_M_PAM, .user = "root",
                                  .program = "sshd", .pid = 7, .host = "web-01",
                                  .service = "sshd", .flags = TL | ECHO});
    evc_expect(AT "sshd[7]: pam_unix(sshd:auth): 3 more authentication failures; logname= "
                  "uid=0 euid=0 tty=ssh ruser= rhost=198.51.100.8  user=root",
               &(struct evc_want){.kind = AG_EV_PAM_MORE_FAILURES, .method = AG_M_PAM,
                                  .user = "root", .src = "198.51.100.8", .program = "sshd",
                                  .pid = 7, .host = "web-01", .service = "sshd", .count = 3,
                                  .flags = TL | ECHO});
}
END_TEST

/* Any program's PAM line reaches the PAM recognizer, even from programs
 * the dispatcher otherwise skips at once. */
START_TEST(pam_any_program)
{
    evc_expect(AT "CRON[55]: pam_unix(cron:auth): authentication failure; logname= uid=0 "
                  "euid=0 tty= ruser= rhost=  user=nobody",
               &(struct evc_want){.kind = AG_EV_PAM_FAILURE, .method = AG_M_PAM,
                                  .user = "nobody", .program = "CRON", .pid = 55,
                                  .host = "web-01", .service = "cron", .flags = TL});
    evc_expect(AT "vsftpd[9]: pam_unix(vsftpd:auth): authentication failure; logname= uid=0 "
                  "euid=0 tty=ftp ruser=anonymous rhost=198.51.100.3",
               &(struct evc_want){.kind = AG_EV_PAM_FAILURE, .method = AG_M_PAM,
                                  .ruser = "anonymous", .src = "198.51.100.3",
                                  .program = "vsftpd", .pid = 9, .host = "web-01",
                                  .service = "vsftpd", .flags = TL});
    /* A malformed rhost gives the event without a source, never a wrong one. */
    evc_expect(AT "dovecot[3]: pam_unix(dovecot:auth): authentication failure; logname= uid=0 "
                  "euid=0 tty=dovecot ruser=mail rhost=999.1.1.1  user=mail",
               &(struct evc_want){.kind = AG_EV_PAM_FAILURE, .method = AG_M_PAM,
                                  .user = "mail", .ruser = "mail", .program = "dovecot",
                                  .pid = 3, .host = "web-01", .service = "dovecot",
                                  .flags = TL});
}
END_TEST

START_TEST(pam_non_events)
{
    static const char *const lines[] = {
        AT "sshd[1]: pam_unix(sshd:session): session opened for user alice(uid=1000) by (uid=0)",
        AT "CRON[2]: pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)",
        AT "CRON[2]: pam_unix(cron:session): session closed for user root",
        AT "sshd[1]: pam_unix(sshd:auth): check pass; user unknown",
        AT "systemd-logind[3]: pam_systemd(sshd:session): New sd-bus connection",
        AT "passwd[4]: pam_unix(passwd:chauthtok): password changed for alice",
        AT "sshd[1]: pam_unix(sshd:auth): authentication failure", /* no field list */
        AT "sshd[1]: pam_unix(sshd:auth): authentication failure; uid=0",
        AT "sshd[1]: pam_unix sshd auth authentication failure",
        AT "sshd[1]: pam_",
    };
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++)
        evc_expect_none(lines[i]);
}
END_TEST

/* ---- su -------------------------------------------------------------------------- */

START_TEST(su_shadow_failed)
{
    evc_expect(AT "su[4001]: FAILED su for root by bob",
               &(struct evc_want){.kind = AG_EV_SU_FAILURE, .user = "root", .target = "root",
                                  .ruser = "bob", .program = "su", .pid = 4001,
                                  .host = "web-01", .flags = TL});
}
END_TEST

START_TEST(su_bad_su)
{
    evc_expect(AT "su[4002]: BAD SU bob to root on /dev/pts/0",
               &(struct evc_want){.kind = AG_EV_SU_FAILURE, .user = "root", .target = "root",
                                  .ruser = "bob", .program = "su", .pid = 4002,
                                  .host = "web-01", .flags = TL});
}
END_TEST

START_TEST(su_util_linux_failed)
{
    evc_expect(AT "su[4003]: FAILED SU (to root) dave on pts/1",
               &(struct evc_want){.kind = AG_EV_SU_FAILURE, .user = "root", .target = "root",
                                  .ruser = "dave", .program = "su", .pid = 4003,
                                  .host = "web-01", .flags = TL});
}
END_TEST

START_TEST(su_pam)
{
    evc_expect(AT "su[4004]: pam_unix(su:auth): authentication failure; logname=bob uid=1000 "
                  "euid=0 tty=/dev/pts/0 ruser=bob rhost=  user=root",
               &(struct evc_want){.kind = AG_EV_SU_FAILURE, .method = AG_M_PAM, .user = "root",
                                  .target = "root", .ruser = "bob", .program = "su",
                                  .pid = 4004, .host = "web-01", .service = "su",
                                  .flags = TL | ECHO});
    evc_expect(AT "su[4005]: pam_unix(su-l:auth): authentication failure; logname=erin "
                  "uid=1004 euid=0 tty=/dev/pts/0 ruser=erin rhost=  user=root",
               &(struct evc_want){.kind = AG_EV_SU_FAILURE, .method = AG_M_PAM, .user = "root",
                                  .target = "root", .ruser = "erin", .program = "su",
                                  .pid = 4005, .host = "web-01", .service = "su-l",
                                  .flags = TL | ECHO});
}
END_TEST

START_TEST(su_non_events)
{
    static const char *const lines[] = {
        AT "su[1]: (to root) bob on pts/0",
        AT "su[1]: Successful su for root by bob",
        AT "su[1]: + /dev/pts/0 bob:root",
        AT "su[1]: pam_unix(su-l:session): session opened for user root(uid=0) by bob(uid=1000)",
        AT "su[1]: FAILED su for root",
        AT "su[1]: FAILED SU (to root)",
        AT "su[1]: BAD SU bob",
    };
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++)
        ck_assert_int_eq(evc_expect_none(lines[i]), AG_PARSE_OTHER);
}
END_TEST

/* ---- sudo -------------------------------------------------------------------------- */

START_TEST(sudo_incorrect_password)
{
    evc_expect(AT "sudo[5001]: alice : 3 incorrect password attempts ; TTY=pts/0 ; "
                  "PWD=/home/alice ; USER=root ; COMMAND=/bin/bash",
               &(struct evc_want){.kind = AG_EV_SUDO_FAILURE, .method = AG_M_PASSWORD,
                                  .user = "alice", .ruser = "alice", .target = "root",
                                  .count = 3, .program = "sudo", .pid = 5001, .host = "web-01",
                                  .flags = TL});
    /* sudo pads the name; one attempt is singular. */
    evc_expect(AT "sudo[5002]:    carol : 1 incorrect password attempt ; TTY=pts/0 ; "
                  "PWD=/home/carol ; USER=postgres ; COMMAND=/usr/bin/psql",
               &(struct evc_want){.kind = AG_EV_SUDO_FAILURE, .method = AG_M_PASSWORD,
                                  .user = "carol", .ruser = "carol", .target = "postgres",
                                  .program = "sudo", .pid = 5002, .host = "web-01",
                                  .flags = TL});
}
END_TEST

START_TEST(sudo_denied)
{
    static const char *const reasons[] = {"user NOT in sudoers", "command not allowed",
                                          "user NOT authorized on host"};
    for (size_t i = 0; i < sizeof reasons / sizeof reasons[0]; i++) {
        char line[256];
        snprintf(line, sizeof line,
                 AT "sudo[5003]:   backup : %s ; TTY=pts/1 ; PWD=/var/backups ; USER=root ; "
                    "COMMAND=/bin/bash",
                 reasons[i]);
        evc_expect(line, &(struct evc_want){.kind = AG_EV_SUDO_DENIED, .user = "backup",
                                            .ruser = "backup", .target = "root",
                                            .program = "sudo", .pid = 5003, .host = "web-01",
                                            .flags = TL});
    }
}
END_TEST

START_TEST(sudo_pam)
{
    evc_expect(AT "sudo[5004]: pam_unix(sudo:auth): authentication failure; logname=carol "
                  "uid=1002 euid=0 tty=/dev/pts/0 ruser=carol rhost=  user=carol",
               &(struct evc_want){.kind = AG_EV_SUDO_FAILURE, .method = AG_M_PAM,
                                  .user = "carol", .ruser = "carol", .program = "sudo",
                                  .pid = 5004, .host = "web-01", .service = "sudo",
                                  .flags = TL | ECHO});
}
END_TEST

START_TEST(sudo_non_events)
{
    static const char *const lines[] = {
        AT "sudo[1]:     dave : TTY=pts/0 ; PWD=/home/dave ; USER=root ; COMMAND=/usr/bin/apt "
           "update",
        AT "sudo[1]: pam_unix(sudo:session): session opened for user root(uid=0) by alice(uid=1000)",
        AT "sudo[1]: alice : a password is required ; TTY=pts/0 ; PWD=/ ; USER=root ; "
           "COMMAND=/bin/ls",
        AT "sudo[1]: alice : unable to resolve host web-01: Name or service not known",
        AT "sudo[1]: alice : 0 incorrect password attempts ; TTY=pts/0 ; USER=root",
        AT "sudo[1]: alice : 3 incorrect password attempts",
        AT "sudo[1]:  : user NOT in sudoers ; TTY=pts/0",
    };
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++)
        ck_assert_int_eq(evc_expect_none(lines[i]), AG_PARSE_OTHER);
}
END_TEST

/* ---- login ----------------------------------------------------------------------- */

START_TEST(login_failed_console)
{
    evc_expect(AT "login[6001]: FAILED LOGIN (1) on '/dev/tty1' FOR 'root', Authentication "
                  "failure",
               &(struct evc_want){.kind = AG_EV_LOGIN_FAILURE, .user = "root", .program = "login",
                                  .pid = 6001, .host = "web-01", .flags = TL});
}
END_TEST

START_TEST(login_failed_remote)
{
    evc_expect(AT "login[6002]: FAILED LOGIN (2) on '/dev/pts/3' FROM '198.51.100.5' FOR "
                  "'admin', Authentication failure",
               &(struct evc_want){.kind = AG_EV_LOGIN_FAILURE, .user = "admin",
                                  .src = "198.51.100.5", .program = "login", .pid = 6002,
                                  .host = "web-01", .flags = TL});
    evc_expect(AT "login[6002]: FAILED LOGIN (3) on '/dev/pts/3' FROM 'term.example.org' FOR "
                  "'UNKNOWN', User not known to the underlying authentication module",
               &(struct evc_want){.kind = AG_EV_LOGIN_FAILURE, .user = "UNKNOWN",
                                  .src_name = "term.example.org", .program = "login",
                                  .pid = 6002, .host = "web-01",
                                  .flags = TL | AG_EVF_SRC_IS_NAME});
    /* shadow's login, without quotes. */
    evc_expect(AT "login[6003]: FAILED LOGIN 1 FROM 198.51.100.5 FOR root, Authentication "
                  "failure",
               &(struct evc_want){.kind = AG_EV_LOGIN_FAILURE, .user = "root",
                                  .src = "198.51.100.5", .program = "login", .pid = 6003,
                                  .host = "web-01", .flags = TL});
}
END_TEST

START_TEST(login_pam)
{
    evc_expect(AT "login[6004]: pam_unix(login:auth): authentication failure; logname=LOGIN "
                  "uid=0 euid=0 tty=/dev/tty1 ruser= rhost=  user=root",
               &(struct evc_want){.kind = AG_EV_LOGIN_FAILURE, .method = AG_M_PAM,
                                  .user = "root", .program = "login", .pid = 6004,
                                  .host = "web-01", .service = "login", .flags = TL | ECHO});
}
END_TEST

START_TEST(login_non_events)
{
    static const char *const lines[] = {
        AT "login[1]: ROOT LOGIN  on '/dev/tty1'",
        AT "login[1]: pam_unix(login:session): session opened for user root(uid=0) by LOGIN(uid=0)",
        AT "login[1]: FAILED LOGIN SESSION FROM 198.51.100.5 FOR root, Authentication failure",
        AT "login[1]: FAILED LOGIN (1) on '/dev/tty1'",
        AT "login[1]: FAILED LOGIN (1) on '/dev/tty1' FOR 'root'",
    };
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++)
        ck_assert_int_eq(evc_expect_none(lines[i]), AG_PARSE_OTHER);
}
END_TEST

/* Kind classes that the engine's rules rely on. */
START_TEST(kind_classes)
{
    ck_assert(ag_kind_is_failure(AG_EV_AUTH_FAILURE));
    ck_assert(ag_kind_is_failure(AG_EV_LOGIN_FAILURE));
    ck_assert(!ag_kind_is_failure(AG_EV_AUTH_SUCCESS));
    ck_assert(!ag_kind_is_failure(AG_EV_SU_FAILURE));
    ck_assert(ag_kind_is_preauth(AG_EV_PENALTY));
    ck_assert(!ag_kind_is_preauth(AG_EV_INVALID_USER));
    ck_assert(ag_kind_is_privilege(AG_EV_SUDO_DENIED));
    ck_assert(ag_kind_is_privilege(AG_EV_SU_FAILURE));
    /* Every kind but none and success is in exactly one class. */
    for (int k = AG_EV_NONE + 1; k < AG_EV_KIND_COUNT; k++) {
        int n = ag_kind_is_failure(k) + ag_kind_is_preauth(k) + ag_kind_is_privilege(k);
        ck_assert_int_eq(n, k == AG_EV_AUTH_SUCCESS ? 0 : 1);
        ck_assert_str_ne(ag_kind_name(k), "unknown");
    }
    ck_assert_str_eq(ag_kind_name(AG_EV_AUTH_FAILURE), "auth_failure");
    ck_assert_str_eq(ag_kind_name(AG_EV_KIND_COUNT), "unknown");
    ck_assert_str_eq(ag_method_name(AG_M_KBDINT), "keyboard-interactive");
    ck_assert_str_eq(ag_method_name(AG_M_NONE_METHOD), "none");
    ck_assert_str_eq(ag_method_name(AG_M_COUNT), "unknown");
    for (int m = 0; m < AG_M_COUNT; m++)
        ck_assert_ptr_nonnull(ag_method_name(m));
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("local");
    TCase *tc = tcase_create("local");
    tcase_add_test(tc, pam_unix_sshd);
    tcase_add_test(tc, pam_other_modules);
    tcase_add_test(tc, pam_any_program);
    tcase_add_test(tc, pam_non_events);
    tcase_add_test(tc, su_shadow_failed);
    tcase_add_test(tc, su_bad_su);
    tcase_add_test(tc, su_util_linux_failed);
    tcase_add_test(tc, su_pam);
    tcase_add_test(tc, su_non_events);
    tcase_add_test(tc, sudo_incorrect_password);
    tcase_add_test(tc, sudo_denied);
    tcase_add_test(tc, sudo_pam);
    tcase_add_test(tc, sudo_non_events);
    tcase_add_test(tc, login_failed_console);
    tcase_add_test(tc, login_failed_remote);
    tcase_add_test(tc, login_pam);
    tcase_add_test(tc, login_non_events);
    tcase_add_test(tc, kind_classes);
    suite_add_tcase(s, tc);
    return s;
}

AG_TEST_MAIN
