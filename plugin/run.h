/* run.h - `authguard run -c FILE`, the daemon: the inputs of the
 * configuration (journald, files, stdin) feeding one pipeline, reloaded on
 * SIGHUP and flushed on SIGTERM; and `authguard check-config FILE`. */
#ifndef AG_RUN_H
#define AG_RUN_H

int ag_run_main(int argc, char **argv);
int ag_check_config_main(int argc, char **argv);

/* The keys of [input.file]. */
struct ag_conf_section;
extern const struct ag_conf_section ag_run_file_section;

/* The keys of [input.stdin]. */
struct ag_conf_section;
extern const struct ag_conf_section ag_run_stdin_section;

#endif
