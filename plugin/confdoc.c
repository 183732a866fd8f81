/* confdoc.c - `authguard config`: the key tables of every module, in the
 * order of the shipped authguard.conf, printed for people (--defaults) and
 * for the manual page (--man). Nothing here knows a key: the tables do. */
#include "plugin/confdoc.h"

#include <stdio.h>
#include <string.h>

#include "conf/conf.h"
#include "plugin/aggregate.h"
#include "plugin/config.h"
#include "plugin/journald.h"
#include "plugin/rsyslog.h"
#include "plugin/run.h"
#include "sinks/aws.h"
#include "sinks/bedrock.h"
#include "sinks/jsonl.h"
#include "sinks/kafka.h"
#include "sinks/smtp.h"

typedef void (*print_fn)(FILE *f, const struct ag_conf_section *s);

static void print_all(FILE *f, print_fn print)
{
    const struct ag_conf_section *const before_rules[] = {
        &ag_config_input_section, &ag_journald_section, &ag_run_file_section,
        &ag_run_stdin_section, &ag_rsyslog_section, &ag_config_engine_section};
    const struct ag_conf_section *const after_rules[] = {
        &ag_config_summary_section, &ag_aws_section, &ag_jsonl_section, &ag_kafka_section,
        &ag_bedrock_section, &ag_smtp_section, &ag_aggregate_section};
    for (size_t i = 0; i < sizeof before_rules / sizeof before_rules[0]; i++) {
        print(f, before_rules[i]);
        if (print == ag_conf_print_defaults)
            fputc('\n', f);
    }
    for (int r = 0; r < AG_RULE_COUNT; r++) {
        struct ag_config_rule_keys t;
        ag_config_rule_section((enum ag_rule)r, &t);
        print(f, &t.section);
        if (print == ag_conf_print_defaults)
            fputc('\n', f);
    }
    for (size_t i = 0; i < sizeof after_rules / sizeof after_rules[0]; i++) {
        if (i && print == ag_conf_print_defaults)
            fputc('\n', f);
        print(f, after_rules[i]);
    }
}

static void usage(FILE *f)
{
    fputs("usage: authguard config --defaults | --man\n\n"
          "Prints every section and key this build knows, from the tables the\n"
          "configuration is read through:\n"
          "  --defaults  as an authguard.conf, each key commented out with its\n"
          "              default and one line of help (a key with no default is\n"
          "              written \"# key =\")\n"
          "  --man       as the key reference of authguard.conf(5), in man(7) markup\n"
          "  -h, --help  this text\n",
          f);
}

int ag_config_main(int argc, char **argv)
{
    if (argc == 2 && !strcmp(argv[1], "--defaults")) {
        fputs("# authguard.conf - every key with its default (authguard config --defaults).\n"
              "# Durations take s, m, h, d (or ms). Uncomment to change.\n\n",
              stdout);
        print_all(stdout, ag_conf_print_defaults);
        return 0;
    }
    if (argc == 2 && !strcmp(argv[1], "--man")) {
        print_all(stdout, ag_conf_print_man);
        return 0;
    }
    if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        usage(stdout);
        return 0;
    }
    usage(stderr);
    return 2;
}
