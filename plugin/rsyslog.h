/* rsyslog.h - `authguard rsyslog`: the program rsyslog runs through omprog
 * (confirmed, transactional delivery of events and findings to the sinks)
 * or mmexternal (each message annotated in-line under $!authguard). */
#ifndef AG_RSYSLOG_H
#define AG_RSYSLOG_H

int ag_rsyslog_main(int argc, char **argv);

/* The keys of [input.rsyslog]. */
struct ag_conf_section;
extern const struct ag_conf_section ag_rsyslog_section;

#endif
