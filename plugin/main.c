/* main.c - the `authguard` command: one binary, one subcommand per job. */
#include <stdio.h>
#include <string.h>

#include "plugin/aggregate.h"
#include "plugin/authguard.h"
#include "plugin/bench.h"
#include "plugin/confdoc.h"
#include "plugin/recognition.h"
#include "plugin/run.h"
#include "plugin/rsyslog.h"
#include "plugin/scan.h"

struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *help;
};

static const struct command commands[] = {
    {"scan", ag_scan_main, "recognize auth events in log files or stdin"},
    {"bench", ag_bench_main, "measure recognizer throughput on a log file"},
    {"catalogue", ag_catalogue_main, "print the message shapes authguard recognises (--markdown)"},
    {"rsyslog", ag_rsyslog_main, "rsyslog omprog / mmexternal program (stdin/stdout)"},
    {"run", ag_run_main, "the daemon: journald, files, stdin -> sinks (-c FILE)"},
    {"check-config", ag_check_config_main, "validate a configuration file"},
    {"config", ag_config_main, "print every key with its default (--defaults, --man)"},
    {"aggregate", ag_aggregate_main, "fleet tier: Kafka consumer group -> fleet findings (-c FILE)"},
};

static void usage(FILE *f)
{
    fputs("usage: authguard COMMAND [OPTIONS]\n\ncommands:\n", f);
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-13s %s\n", commands[i].name, commands[i].help);
    fputs("  version       print the version\n\n"
          "`authguard COMMAND --help` describes a command's options.\n",
          f);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "help")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(cmd, "version") || !strcmp(cmd, "--version")) {
        puts("authguard " AG_VERSION);
        return 0;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(cmd, commands[i].name))
            return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "authguard: unknown command '%s'\n\n", cmd);
    usage(stderr);
    return 2;
}
