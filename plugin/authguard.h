/* authguard.h - the public embedding API: the only header a host includes.
 *
 * authguard turns authentication log lines into events and findings. This
 * header grows with the engine; today it exposes the version and the
 * line recognizer used by every host. */
#ifndef AUTHGUARD_H
#define AUTHGUARD_H

#define AG_VERSION "0.1.0"

#include "filters/recognize.h"

#endif
