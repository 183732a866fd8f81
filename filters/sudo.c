/* sudo.c - recognizes sudo's failure lines: "USER : N incorrect password
 * attempts ; TTY=... ; PWD=... ; USER=TARGET ; COMMAND=..." and the
 * denials ("user NOT in sudoers", "command not allowed", "user NOT
 * authorized on host").
 *
 * The caller typed their own password, so both user and ruser are the
 * caller; target is the account asked for (USER=). */
#include "filters/sudo.h"

#include "filters/match.h"

/* "N incorrect password attempt[s]" -> count, or 0 when not that. */
static uint32_t incorrect_attempts(const char *p, const char *e)
{
    uint32_t n;
    if (ag_take_uint(&p, e, 5, 65535, &n) < 0 || n == 0 ||
        !ag_skip(&p, e, AG_LIT(" incorrect password attempt")))
        return 0;
    ag_skip(&p, e, AG_LIT("s"));
    return p == e ? n : 0;
}

static int is_denial(const char *p, const char *e)
{
    size_t n = (size_t)(e - p);
    return (n == 19 && memcmp(p, "user NOT in sudoers", 19) == 0) ||
           (n == 19 && memcmp(p, "command not allowed", 19) == 0) ||
           (n == 27 && memcmp(p, "user NOT authorized on host", 27) == 0);
}

/* USER= is sudo's; PWD before it and COMMAND after it are the caller's
 * text. The first " ; USER=" after "PWD=" is taken: a directory named to
 * fake it can only mislabel the caller's own attempt, never its source. */
static void set_target(struct ag_event *ev, const char *p, const char *e)
{
    const char *u = ag_find(p, e, AG_LIT(" ; USER="));
    if (u == NULL)
        return;
    u += 8;
    const char *end = ag_find(u, e, AG_LIT(" ; "));
    if (end == NULL)
        end = e;
    if (end > u && end - u <= AG_USER_MAX)
        ev->target = ag_span_at(ev, u, end);
}

int ag_sudo_recognize(struct ag_event *ev)
{
    const char *p = ag_msg_begin(ev);
    const char *e = ag_msg_end(ev);
    /* sudo pads the user name on the left to line up its columns. */
    while (p < e && *p == ' ')
        p++;
    const char *sep = ag_find(p, e, AG_LIT(" : "));
    if (sep == NULL || sep == p)
        return 0;
    const char *reason = sep + 3;
    const char *rend = ag_find(reason, e, AG_LIT(" ; "));
    if (rend == NULL)
        return 0;
    uint32_t n = incorrect_attempts(reason, rend);
    if (n > 0) {
        ev->kind = AG_EV_SUDO_FAILURE;
        ev->method = AG_M_PASSWORD;
        ev->count = (uint16_t)n;
    } else if (is_denial(reason, rend)) {
        ev->kind = AG_EV_SUDO_DENIED;
    } else {
        return 0;
    }
    ag_set_user(ev, p, sep);
    ev->ruser = ev->user;
    set_target(ev, rend, e);
    return 1;
}
