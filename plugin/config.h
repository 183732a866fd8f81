/* config.h - authguard.conf mapped onto the settings of the parts every
 * host builds: the parser's time zone, the engine and its rules, the
 * built-in summarizer. Sinks read their own [sink.*] sections later from
 * the same struct ag_conf. */
#ifndef AG_CONFIG_H
#define AG_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "conf/conf.h"
#include "engine/engine.h"
#include "sinks/summary.h"

struct ag_config {
    struct ag_conf *conf;              /* the file, for the sections read later */
    struct ag_engine_config engine;
    struct ag_summary_config summary;
    struct ag_cidr *allowlist;         /* owned; engine and summary point here */
    size_t n_allowlist;
    char *trusted_ssh_cidr;            /* owned */
    int have_tz;                       /* [input] timezone set to a fixed offset */
    int32_t tz_offset_s;
};

/* Loads path (NULL: built-in defaults) and checks every section and key
 * this build knows. 0, or -1 with "FILE:LINE: [section] key: ..." in err. */
int ag_config_load(struct ag_config *cfg, const char *path, char *err, size_t errlen);
void ag_config_free(struct ag_config *cfg);
/* Settings a long-running host wants where the config leaves them to it:
 * the engine's memory resident from the start ([engine] prefault). */
void ag_config_for_daemon(struct ag_config *cfg);

/* The key tables of [input], [engine] and [summary]. */
extern const struct ag_conf_section ag_config_input_section;
extern const struct ag_conf_section ag_config_engine_section;
extern const struct ag_conf_section ag_config_summary_section;

/* The key table of [rule.NAME] with that rule's own defaults written out. */
struct ag_config_rule_keys {
    char name[48];
    char defs[5][32];
    struct ag_conf_key keys[6];
    struct ag_conf_section section;
};
void ag_config_rule_section(enum ag_rule r, struct ag_config_rule_keys *out);

/* Sections a configuration may hold; used to report unknown ones. */
extern const char *const ag_config_sections[];

#endif
