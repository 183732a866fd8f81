/* su.c - recognizes su's failure lines: shadow's "FAILED su for TARGET by
 * CALLER" and "BAD SU CALLER to TARGET on TTY", util-linux's "FAILED SU (to
 * TARGET) CALLER on TTY". (pam_unix(su:auth) lines go to pam.c.)
 *
 * su asks for the target's password, so user and target are the target
 * account and ruser is the caller. */
#include "filters/su.h"

#include "filters/match.h"

static void set_accounts(struct ag_event *ev, const char *t0, const char *t1,
                         const char *c0, const char *c1)
{
    ag_set_user(ev, t0, t1);
    ev->target = ev->user;
    if (c1 > c0 && c1 - c0 <= AG_USER_MAX)
        ev->ruser = ag_span_at(ev, c0, c1);
    ev->kind = AG_EV_SU_FAILURE;
}

/* "FAILED su for TARGET by CALLER": the caller is a logged-in account (no
 * spaces), so the last " by " is su's. */
static int shadow_failed(struct ag_event *ev, const char *p, const char *e)
{
    const char *by = ag_rfind(p, e, AG_LIT(" by "));
    if (by == NULL || by == p || by + 4 == e)
        return 0;
    set_accounts(ev, p, by, by + 4, e);
    return 1;
}

/* "FAILED SU (to TARGET) CALLER on TTY". */
static int utillinux_failed(struct ag_event *ev, const char *p, const char *e)
{
    const char *close = ag_find(p, e, AG_LIT(") "));
    if (close == NULL || close == p)
        return 0;
    const char *c0 = close + 2;
    const char *on = ag_rfind(c0, e, AG_LIT(" on "));
    if (on == NULL || on == c0)
        return 0;
    set_accounts(ev, p, close, c0, on);
    return 1;
}

/* "BAD SU CALLER to TARGET on TTY". */
static int bad_su(struct ag_event *ev, const char *p, const char *e)
{
    const char *to = ag_find(p, e, AG_LIT(" to "));
    if (to == NULL || to == p)
        return 0;
    const char *t0 = to + 4;
    const char *on = ag_rfind(t0, e, AG_LIT(" on "));
    if (on == NULL || on == t0)
        return 0;
    set_accounts(ev, t0, on, p, to);
    return 1;
}

int ag_su_recognize(struct ag_event *ev)
{
    const char *p = ag_msg_begin(ev);
    const char *e = ag_msg_end(ev);
    if (ag_skip(&p, e, AG_LIT("FAILED su for ")))
        return shadow_failed(ev, p, e);
    if (ag_skip(&p, e, AG_LIT("FAILED SU (to ")))
        return utillinux_failed(ev, p, e);
    if (ag_skip(&p, e, AG_LIT("BAD SU ")))
        return bad_su(ev, p, e);
    return 0;
}
