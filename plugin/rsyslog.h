/* rsyslog.h - `authguard rsyslog`: the program rsyslog runs through omprog
 * (confirmed, transactional delivery of events and findings to the sinks)
 * or mmexternal (each message annotated in-line under $!authguard). */
#ifndef AG_RSYSLOG_H
#define AG_RSYSLOG_H

#include <stddef.h>

int ag_rsyslog_main(int argc, char **argv);

/* Checks [input.rsyslog] as `authguard rsyslog` reads it: 0, or -1 with err. */
struct ag_conf;
int ag_rsyslog_check_config(const struct ag_conf *c, char *err, size_t errlen);

/* The keys of [input.rsyslog]. */
struct ag_conf_section;
extern const struct ag_conf_section ag_rsyslog_section;

#endif
