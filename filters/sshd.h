/* sshd.h - recognizer for OpenSSH's sshd, sshd-session (9.8+) and
 * sshd-auth lines, and for tcpwrappers refusals from any daemon. */
#ifndef AG_SSHD_H
#define AG_SSHD_H

#include "filters/event.h"

/* ev has line, host, program, pid, msg and time set. Returns 1 when the
 * message is an sshd authentication shape (ev filled), 0 otherwise. */
int ag_sshd_recognize(struct ag_event *ev);

#endif
