/* pam.c - recognizes PAM module failures, whatever program logged them:
 * "pam_unix(SERVICE:auth): authentication failure; ... rhost=H  user=U",
 * the same from pam_sss, pam_faillock and friends, and pam_unix's "N more
 * authentication failures" summary.
 *
 * The service in the parentheses decides what the failure means: su, sudo
 * and login failures are privilege and console events, sshd's are remote
 * ones; and for services whose daemon logs its own line for the same
 * attempt, the PAM line is flagged AG_EVF_ECHO. */
#include "filters/pam.h"

#include "filters/match.h"

/* The value of "key=" at p: up to the next space, or to e. */
static const char *field_value_end(const char *p, const char *e)
{
    return ag_find_byte(p, e, ' ');
}

/* pam_unix writes "logname=%s uid=%d euid=%d tty=%s ruser=%s rhost=%s" and
 * then "  user=%s" only when it knows the user. The fields are read left to
 * right and each key is searched after the previous value, so text in the
 * last one (the user, which may be a client's choice) cannot stand in for
 * an earlier one. */
int ag_pam_fields(struct ag_event *ev, const char *p, const char *e)
{
    if (!ag_starts(p, e, AG_LIT("logname=")))
        return -1;
    const char *r = ag_find(p, e, AG_LIT(" ruser="));
    if (r == NULL)
        return -1;
    p = r + 7;
    const char *v = field_value_end(p, e);
    if (v > p)
        ev->ruser = ag_span_at(ev, p, v);
    p = v;
    if (!ag_skip(&p, e, AG_LIT(" rhost=")))
        return -1;
    v = field_value_end(p, e);
    if (v > p)
        ag_set_src(ev, p, v); /* unreadable: no source rather than a wrong one */
    p = v;
    /* "  user=" (two spaces) in pam_unix, one space in some modules. */
    while (p < e && *p == ' ')
        p++;
    if (ag_skip(&p, e, AG_LIT("user=")))
        ag_set_user(ev, p, e);
    return 0;
}

static int name_is(const char *s, size_t n, const char *lit, size_t litn)
{
    return n == litn && memcmp(s, lit, n) == 0;
}

/* Which event a PAM auth failure is, from its service name. sshd, su, sudo
 * and login each log their own line for the same attempt ("Failed
 * password", "FAILED su", "N incorrect password attempts", "FAILED
 * LOGIN"), so for them the PAM line is an echo. */
static void classify_service(struct ag_event *ev, const char *s, size_t n)
{
    if (name_is(s, n, AG_LIT("sshd")))
        ev->kind = AG_EV_PAM_FAILURE;
    else if (name_is(s, n, AG_LIT("su")) || name_is(s, n, AG_LIT("su-l"))) {
        ev->kind = AG_EV_SU_FAILURE;
        ev->target = ev->user; /* su asks for the target's password */
    }
    else if (name_is(s, n, AG_LIT("sudo")) || name_is(s, n, AG_LIT("sudo-i")))
        ev->kind = AG_EV_SUDO_FAILURE;
    else if (name_is(s, n, AG_LIT("login")))
        ev->kind = AG_EV_LOGIN_FAILURE;
    else {
        ev->kind = AG_EV_PAM_FAILURE;
        return;
    }
    ev->flags |= AG_EVF_ECHO;
}

/* "pam_faillock(svc:auth): Consecutive login failures for user X account
 * temporarily locked": the lockout, which repeats failures already seen. */
static int faillock_locked(struct ag_event *ev, const char *p, const char *e)
{
    if (!ag_skip(&p, e, AG_LIT("Consecutive login failures for user ")) ||
        !ag_chop(p, &e, AG_LIT(" account temporarily locked")))
        return 0;
    ev->kind = AG_EV_PAM_FAILURE;
    ev->flags |= AG_EVF_ECHO;
    ag_set_user(ev, p, e);
    return 1;
}

int ag_pam_recognize(struct ag_event *ev)
{
    const char *p = ag_msg_begin(ev);
    const char *e = ag_msg_end(ev);
    if (!ag_skip(&p, e, AG_LIT("pam_")))
        return 0;
    /* "MODULE(SERVICE:TYPE): " - module and service are short names. */
    const char *open = ag_find_byte(p, e, '(');
    if (open == e || open - p > 32)
        return 0;
    const char *svc = open + 1;
    const char *colon = ag_find_byte(svc, e, ':');
    if (colon == e || colon == svc || colon - svc > 64)
        return 0;
    p = colon + 1;
    if (!ag_skip(&p, e, AG_LIT("auth): ")))
        return 0; /* session, account, password: not authentication */
    ev->service = ag_span_at(ev, svc, colon);
    ev->method = AG_M_PAM;

    if (ag_skip(&p, e, AG_LIT("authentication failure; "))) {
        if (ag_pam_fields(ev, p, e) < 0)
            return 0;
        classify_service(ev, svc, (size_t)(colon - svc));
        return 1;
    }
    if (p < e && ag_is_digit(*p))
        return ag_pam_more(ev, p, e);
    return faillock_locked(ev, p, e);
}

/* "N more authentication failure[s]; logname= ... rhost=ADDR  user=X",
 * logged when a session ends: it repeats failures already logged one by
 * one, hence AG_EVF_ECHO. */
int ag_pam_more(struct ag_event *ev, const char *p, const char *e)
{
    uint32_t n;
    if (ag_take_uint(&p, e, 5, 65535, &n) < 0 || n == 0 ||
        !ag_skip(&p, e, AG_LIT(" more authentication failure")))
        return 0;
    ag_skip(&p, e, AG_LIT("s"));
    if (!ag_skip(&p, e, AG_LIT("; ")) || ag_pam_fields(ev, p, e) < 0)
        return 0;
    ev->kind = AG_EV_PAM_MORE_FAILURES;
    ev->method = AG_M_PAM;
    ev->count = (uint16_t)n;
    ev->flags |= AG_EVF_ECHO;
    return 1;
}
