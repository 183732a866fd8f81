/* su.h - recognizer for su's failure lines: shadow's "FAILED su for X by Y"
 * and "BAD SU Y to X on TTY", util-linux's "FAILED SU (to X) Y on TTY". */
#ifndef AG_SU_H
#define AG_SU_H

#include "filters/event.h"

/* Returns 1 when ev's message is an su failure (ev filled). */
int ag_su_recognize(struct ag_event *ev);

#endif
