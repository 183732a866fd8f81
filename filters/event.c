/* event.c - names and classes of event kinds and methods.
 *
 * The names are the stable vocabulary of every output (JSON lines, OCSF
 * unmapped fields, rule configs), so they never change once released. */
#include "filters/event.h"

static const char *const kind_names[AG_EV_KIND_COUNT] = {
    [AG_EV_NONE] = "none",
    [AG_EV_AUTH_FAILURE] = "auth_failure",
    [AG_EV_INVALID_USER] = "invalid_user",
    [AG_EV_NOT_ALLOWED] = "not_allowed",
    [AG_EV_MAX_AUTH] = "max_auth",
    [AG_EV_PAM_FAILURE] = "pam_failure",
    [AG_EV_PAM_MORE_FAILURES] = "pam_more_failures",
    [AG_EV_ROOT_REFUSED] = "root_refused",
    [AG_EV_PREAUTH_DISCONNECT] = "preauth_disconnect",
    [AG_EV_NO_IDENT] = "no_ident",
    [AG_EV_BAD_PROTOCOL] = "bad_protocol",
    [AG_EV_NEGOTIATION] = "negotiation",
    [AG_EV_TIMEOUT_PREAUTH] = "timeout_preauth",
    [AG_EV_PENALTY] = "penalty",
    [AG_EV_MAC_ERROR] = "mac_error",
    [AG_EV_TCPW_REFUSED] = "tcpw_refused",
    [AG_EV_SUDO_FAILURE] = "sudo_failure",
    [AG_EV_SUDO_DENIED] = "sudo_denied",
    [AG_EV_SU_FAILURE] = "su_failure",
    [AG_EV_LOGIN_FAILURE] = "login_failure",
    [AG_EV_AUTH_SUCCESS] = "auth_success",
};

static const char *const method_names[AG_M_COUNT] = {
    [AG_M_NONE] = "unknown",
    [AG_M_PASSWORD] = "password",
    [AG_M_PUBLICKEY] = "publickey",
    [AG_M_KBDINT] = "keyboard-interactive",
    [AG_M_HOSTBASED] = "hostbased",
    [AG_M_GSSAPI] = "gssapi-with-mic",
    [AG_M_PAM] = "pam",
    [AG_M_NONE_METHOD] = "none",
};

/* Out-of-range values come from corrupted or foreign data (an event read
 * back from a queue, a newer peer): name them rather than index past. */
const char *ag_kind_name(enum ag_kind kind)
{
    if ((unsigned)kind >= AG_EV_KIND_COUNT || kind_names[kind] == NULL)
        return "unknown";
    return kind_names[kind];
}

const char *ag_method_name(enum ag_method m)
{
    if ((unsigned)m >= AG_M_COUNT || method_names[m] == NULL)
        return "unknown";
    return method_names[m];
}

int ag_kind_is_failure(enum ag_kind kind)
{
    switch (kind) {
    case AG_EV_AUTH_FAILURE:
    case AG_EV_INVALID_USER:
    case AG_EV_NOT_ALLOWED:
    case AG_EV_MAX_AUTH:
    case AG_EV_PAM_FAILURE:
    case AG_EV_PAM_MORE_FAILURES:
    case AG_EV_ROOT_REFUSED:
    case AG_EV_LOGIN_FAILURE:
        return 1;
    default:
        return 0;
    }
}

int ag_kind_is_preauth(enum ag_kind kind)
{
    switch (kind) {
    case AG_EV_PREAUTH_DISCONNECT:
    case AG_EV_NO_IDENT:
    case AG_EV_BAD_PROTOCOL:
    case AG_EV_NEGOTIATION:
    case AG_EV_TIMEOUT_PREAUTH:
    case AG_EV_PENALTY:
    case AG_EV_MAC_ERROR:
    case AG_EV_TCPW_REFUSED:
        return 1;
    default:
        return 0;
    }
}

int ag_kind_is_privilege(enum ag_kind kind)
{
    switch (kind) {
    case AG_EV_SUDO_FAILURE:
    case AG_EV_SUDO_DENIED:
    case AG_EV_SU_FAILURE:
        return 1;
    default:
        return 0;
    }
}
