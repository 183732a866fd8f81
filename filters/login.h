/* login.h - recognizer for login(1)'s "FAILED LOGIN (N) on 'tty' [FROM
 * 'host'] FOR 'user', reason" lines (util-linux and shadow). */
#ifndef AG_LOGIN_H
#define AG_LOGIN_H

#include "filters/event.h"

/* Returns 1 when ev's message is a failed console or remote login. */
int ag_login_recognize(struct ag_event *ev);

#endif
