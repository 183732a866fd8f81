/* sudo.h - recognizer for sudo's own failure lines ("alice : 3 incorrect
 * password attempts ; TTY=... ; USER=root ; COMMAND=..."). */
#ifndef AG_SUDO_H
#define AG_SUDO_H

#include "filters/event.h"

/* Returns 1 when ev's message is a sudo failure or denial (ev filled). */
int ag_sudo_recognize(struct ag_event *ev);

#endif
