/* pam.h - recognizer for PAM module lines ("pam_unix(svc:auth): ...") from
 * any program, and the PAM "logname= ... rhost= user=" field list that sshd
 * also prints. */
#ifndef AG_PAM_H
#define AG_PAM_H

#include "filters/event.h"

/* ev has line, host, program, pid, msg and time set. Returns 1 when the
 * message is a PAM authentication failure (ev filled), 0 otherwise. */
int ag_pam_recognize(struct ag_event *ev);

/* Reads "logname=... uid=... euid=... tty=... ruser=R rhost=H  user=U" in
 * [p, e) into ev->ruser, the source and ev->user. An rhost that is neither
 * an address nor a host name leaves the source absent. Returns 0, or -1
 * when the text is not such a list. */
int ag_pam_fields(struct ag_event *ev, const char *p, const char *e);

/* "N more authentication failure[s]; FIELDS" at [p, e), as PAM modules and
 * sshd itself print it. Returns 1 (ev filled) or 0. */
int ag_pam_more(struct ag_event *ev, const char *p, const char *e);

#endif
