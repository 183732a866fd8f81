/* login.c - recognizes login(1) failures: util-linux's "FAILED LOGIN (N) on
 * 'TTY' [FROM 'HOST'] FOR 'USER', REASON" and shadow's "FAILED LOGIN N
 * [on 'TTY'] [FROM 'HOST'] FOR 'USER', REASON" (quotes optional).
 *
 * The user is what was typed at the prompt, so it may hold anything,
 * quotes included; the reason after it is PAM's fixed text. */
#include "filters/login.h"

#include "filters/match.h"

/* The user between the first " FOR " and the reason: the reason is
 * pam_strerror() text, which has no ", ", so the last ", " ends the user. */
static int set_login_user(struct ag_event *ev, const char *p, const char *e)
{
    const char *comma = ag_rfind(p, e, AG_LIT(", "));
    if (comma == NULL)
        return -1;
    const char *u0 = p, *u1 = comma;
    if (u1 - u0 >= 2 && *u0 == '\'' && u1[-1] == '\'') {
        u0++;
        u1--;
    }
    ag_set_user(ev, u0, u1);
    return 0;
}

/* " FROM 'HOST'" or " FROM HOST" in [p, e): the remote host for telnet or
 * rlogin logins; a name or an address. */
static void set_login_host(struct ag_event *ev, const char *p, const char *e)
{
    const char *f = ag_find(p, e, AG_LIT(" FROM "));
    if (f == NULL)
        return;
    const char *h0 = f + 6, *h1 = e;
    if (h1 - h0 >= 2 && *h0 == '\'' && h1[-1] == '\'') {
        h0++;
        h1--;
    }
    ag_set_src(ev, h0, h1);
}

int ag_login_recognize(struct ag_event *ev)
{
    const char *p = ag_msg_begin(ev);
    const char *e = ag_msg_end(ev);
    if (!ag_skip(&p, e, AG_LIT("FAILED LOGIN ")) || ag_starts(p, e, AG_LIT("SESSION")))
        return 0;
    const char *f = ag_find(p, e, AG_LIT(" FOR "));
    if (f == NULL || set_login_user(ev, f + 5, e) < 0)
        return 0;
    set_login_host(ev, p, f);
    ev->kind = AG_EV_LOGIN_FAILURE;
    return 1;
}
