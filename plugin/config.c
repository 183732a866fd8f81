/* config.c - reads [input], [engine], [rule.NAME] and [summary] into the
 * structs of engine.h and summary.h through their key tables, so a missing
 * file or key always means "the documented default". */
#include "plugin/config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/rules.h"

const char *const ag_config_sections[] = {
    "input", "input.", "engine", "rule.", "summary", "sink.", "aggregate", "aws", NULL};

static const char *const severities[] = {"unknown", "informational", "low", "medium",
                                         "high", "critical", "fatal", NULL};

#define RULE_FIELD(m) AG_CONF_FIELD(struct ag_rule_config, m)

/* [rule.NAME]: one table for every rule; the defaults are each rule's own
 * (engine/rules.c), written out by ag_config_rule_section(). */
static const struct ag_conf_key rule_keys[] = {
    {"enabled", AG_CONF_BOOL, RULE_FIELD(enabled), .help = "Whether the rule runs."},
    {"threshold", AG_CONF_UINT, RULE_FIELD(threshold), 1, AG_ENGINE_THRESHOLD_MAX,
     .help = "Trips when the count within the window reaches this."},
    {"window", AG_CONF_SECONDS, RULE_FIELD(window_s), AG_ENGINE_WINDOW_MIN_S * 1000ULL,
     AG_ENGINE_WINDOW_MAX_S * 1000ULL, .help = "How far back the count goes."},
    {"cooldown", AG_CONF_SECONDS, RULE_FIELD(cooldown_s), 0, AG_ENGINE_COOLDOWN_MAX_S * 1000ULL,
     .help = "A later trip for the same key within this updates the open finding."},
    {"severity", AG_CONF_ENUM, RULE_FIELD(severity), .choices = severities,
     .help = "Severity of its findings."},
    {.name = NULL}};

void ag_config_rule_section(enum ag_rule r, struct ag_config_rule_keys *out)
{
    const struct ag_rule_info *ri = ag_rule_info(r);
    const struct ag_rule_config *d = &ri->defaults;
    memcpy(out->keys, rule_keys, sizeof rule_keys);
    snprintf(out->name, sizeof out->name, "rule.%s", ri->name);
    snprintf(out->defs[0], sizeof out->defs[0], "%s", d->enabled ? "on" : "off");
    snprintf(out->defs[1], sizeof out->defs[1], "%u", d->threshold);
    ag_conf_format_duration(out->defs[2], sizeof out->defs[2], d->window_s * 1000ULL);
    ag_conf_format_duration(out->defs[3], sizeof out->defs[3], d->cooldown_s * 1000ULL);
    snprintf(out->defs[4], sizeof out->defs[4], "%s", severities[d->severity]);
    for (int i = 0; i < 5; i++)
        out->keys[i].def = out->defs[i];
    out->section = (struct ag_conf_section){out->name, ri->title, out->keys};
}

static int load_rule(struct ag_config *cfg, enum ag_rule r, char *err, size_t errlen)
{
    struct ag_config_rule_keys t;
    ag_config_rule_section(r, &t);
    return ag_conf_read(cfg->conf, t.name, t.keys, &cfg->engine.rules[r], err, errlen);
}

/* "10.0.0.0/8, 192.168.0.0/16 2001:db8::/32" -> cfg->allowlist */
static int parse_cidr_list(struct ag_config *cfg, const char *list, char *err, size_t errlen)
{
    const char *p = list;
    while (*p) {
        while (*p == ' ' || *p == ',' || *p == '\t')
            p++;
        size_t n = strcspn(p, " ,\t");
        if (!n)
            break;
        if (cfg->n_allowlist >= AG_ENGINE_ALLOWLIST_MAX) {
            snprintf(err, errlen, "%s: [engine] allowlist: more than %d entries",
                     ag_conf_path(cfg->conf), AG_ENGINE_ALLOWLIST_MAX);
            return -1;
        }
        struct ag_cidr *grown = realloc(cfg->allowlist, (cfg->n_allowlist + 1) * sizeof *grown);
        if (!grown) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        cfg->allowlist = grown;
        if (ag_cidr_parse(p, n, &cfg->allowlist[cfg->n_allowlist]) < 0) {
            snprintf(err, errlen, "%s: [engine] allowlist: expected CIDRs such as "
                     "10.0.0.0/8 or 2001:db8::/32, got '%.*s'",
                     ag_conf_path(cfg->conf), (int)(n > 64 ? 64 : n), p);
            return -1;
        }
        cfg->n_allowlist++;
        p += n;
    }
    return 0;
}

/* [engine], read here and copied into struct ag_engine_config. */
struct engine_keys {
    uint64_t slots, probe, finding_queue;
    int ipv6_prefix64;
    int prefault;       /* index of prefault_modes: auto (-1 in the engine), off, on */
    const char *allowlist;
};

#define ENGINE_FIELD(m) AG_CONF_FIELD(struct engine_keys, m)
static const char *const prefault_modes[] = {"auto", "off", "on", NULL};

static const struct ag_conf_key engine_keys[] = {
    {"slots", AG_CONF_UINT, ENGINE_FIELD(slots), 1024, 1u << 30, .def = "1048576",
     .help = "Slots of the counter table: a power of two, allocated once at start."},
    {"probe", AG_CONF_UINT, ENGINE_FIELD(probe), 4, 256, .def = "16",
     .help = "Slots searched for a key before evicting the stalest idle one."},
    {"finding_queue", AG_CONF_UINT, ENGINE_FIELD(finding_queue), 16, 1u << 20, .def = "1024",
     .help = "Findings waiting for the summarizer and the sinks."},
    {"ipv6_prefix64", AG_CONF_BOOL, ENGINE_FIELD(ipv6_prefix64), .def = "on",
     .help = "Count every per-source rule on the IPv6 /64 too (address rotation)."},
    {"prefault", AG_CONF_ENUM, ENGINE_FIELD(prefault), .choices = prefault_modes, .def = "auto",
     .help = "Fault the engine's memory in at start; auto: in the daemons only."},
    {"allowlist", AG_CONF_CIDRS, ENGINE_FIELD(allowlist), .def = "",
     .help = "Sources that never raise per-source findings nor are proposed for blocking."},
    {.name = NULL}};

static int load_engine(struct ag_config *cfg, char *err, size_t errlen)
{
    const struct ag_conf *c = cfg->conf;
    struct ag_engine_config *e = &cfg->engine;
    struct engine_keys k;

    if (ag_conf_read(c, "engine", engine_keys, &k, err, errlen) < 0)
        return -1;
    if (k.slots & (k.slots - 1)) {
        snprintf(err, errlen, "%s: [engine] slots: expected a power of two, got %llu",
                 ag_conf_path(c), (unsigned long long)k.slots);
        return -1;
    }
    e->table_slots = (uint32_t)k.slots;
    e->probe = (uint32_t)k.probe;
    e->finding_queue = (uint32_t)k.finding_queue;
    e->ipv6_prefix64 = k.ipv6_prefix64;
    e->prefault = k.prefault - 1;
    if (parse_cidr_list(cfg, k.allowlist, err, errlen) < 0)
        return -1;
    e->allowlist = cfg->allowlist;
    e->n_allowlist = cfg->n_allowlist;
    for (int r = 0; r < AG_RULE_COUNT; r++)
        if (load_rule(cfg, (enum ag_rule)r, err, errlen) < 0)
            return -1;
    return ag_engine_config_check(e, err, errlen) < 0 ? -1 : 0;
}

struct input_keys {
    const char *timezone;
};

static const struct ag_conf_key input_keys[] = {
    {"timezone", AG_CONF_STRING, AG_CONF_FIELD(struct input_keys, timezone), .def = "local",
     .help = "Zone of BSD syslog timestamps: local, UTC, or a fixed offset such as +01:00."},
    {.name = NULL}};

/* "local" (the default), "UTC", "+01:00", "-0530". */
static int load_input(struct ag_config *cfg, char *err, size_t errlen)
{
    struct input_keys k;
    unsigned h, m;
    if (ag_conf_read(cfg->conf, "input", input_keys, &k, err, errlen) < 0)
        return -1;
    const char *tz = k.timezone;
    if (!strcmp(tz, "local"))
        return 0;
    cfg->have_tz = 1;
    if (!strcmp(tz, "UTC") || !strcmp(tz, "Z")) {
        cfg->tz_offset_s = 0;
        return 0;
    }
    int sign = tz[0] == '+' ? 1 : tz[0] == '-' ? -1 : 0;
    if (sign && (sscanf(tz + 1, "%2u:%2u", &h, &m) == 2 || sscanf(tz + 1, "%2u%2u", &h, &m) == 2) &&
        h <= 14 && m <= 59) {
        cfg->tz_offset_s = sign * (int32_t)(h * 3600 + m * 60);
        return 0;
    }
    snprintf(err, errlen, "%s: [input] timezone: expected local, UTC or +HH:MM, got '%s'",
             ag_conf_path(cfg->conf), tz);
    return -1;
}

/* [summary]: into struct ag_summary_config, except the trusted range,
 * checked here and copied. */
struct summary_keys {
    uint64_t nacl_rule_number, ssh_port;
    const char *trusted_ssh_cidr;
};

#define SUMMARY_FIELD(m) AG_CONF_FIELD(struct summary_keys, m)
static const struct ag_conf_key summary_keys[] = {
    {"trusted_ssh_cidr", AG_CONF_CIDRS, SUMMARY_FIELD(trusted_ssh_cidr), .def = "",
     .help = "The range the \"restrict SSH\" commands authorize; empty: a placeholder."},
    {"nacl_rule_number", AG_CONF_UINT, SUMMARY_FIELD(nacl_rule_number), 1, 32766, .def = "90",
     .help = "Network ACL rule number of the deny entries proposed (below your allows)."},
    {"ssh_port", AG_CONF_UINT, SUMMARY_FIELD(ssh_port), 1, 65535, .def = "22",
     .help = "The SSH port the proposed commands name."},
    {.name = NULL}};

static int load_summary(struct ag_config *cfg, char *err, size_t errlen)
{
    const struct ag_conf *c = cfg->conf;
    struct ag_summary_config *s = &cfg->summary;
    struct summary_keys k;
    if (ag_conf_read(c, "summary", summary_keys, &k, err, errlen) < 0)
        return -1;
    s->nacl_rule_number = (unsigned)k.nacl_rule_number;
    s->ssh_port = (unsigned)k.ssh_port;
    const char *trusted = k.trusted_ssh_cidr;
    if (*trusted) {
        struct ag_cidr chk;
        if (ag_cidr_parse(trusted, strlen(trusted), &chk) < 0) {
            snprintf(err, errlen, "%s: [summary] trusted_ssh_cidr: expected a CIDR such as "
                     "198.51.100.0/24, got '%s'", ag_conf_path(c), trusted);
            return -1;
        }
        cfg->trusted_ssh_cidr = strdup(trusted);
        s->trusted_ssh_cidr = cfg->trusted_ssh_cidr;
    }
    s->allowlist = cfg->allowlist;
    s->n_allowlist = cfg->n_allowlist;
    return 0;
}

int ag_config_load(struct ag_config *cfg, const char *path, char *err, size_t errlen)
{
    memset(cfg, 0, sizeof *cfg);
    ag_engine_config_defaults(&cfg->engine);
    ag_summary_config_defaults(&cfg->summary);
    if (path ? ag_conf_load(&cfg->conf, path, err, errlen) < 0
             : !(cfg->conf = ag_conf_new_empty())) {
        if (!path)
            snprintf(err, errlen, "out of memory");
        return -1;
    }
    if (ag_conf_check_sections(cfg->conf, ag_config_sections, err, errlen) < 0 ||
        load_input(cfg, err, errlen) < 0 || load_engine(cfg, err, errlen) < 0 ||
        load_summary(cfg, err, errlen) < 0 ||
        ag_conf_check_unused(cfg->conf, "engine", err, errlen) < 0 ||
        ag_conf_check_unused(cfg->conf, "rule.", err, errlen) < 0 ||
        ag_conf_check_unused(cfg->conf, "summary", err, errlen) < 0 ||
        ag_conf_check_unused(cfg->conf, "input", err, errlen) < 0) {
        ag_config_free(cfg);
        return -1;
    }
    return 0;
}

void ag_config_for_daemon(struct ag_config *cfg)
{
    if (cfg->engine.prefault < 0)
        cfg->engine.prefault = 1;
}

void ag_config_free(struct ag_config *cfg)
{
    ag_conf_free(cfg->conf);
    free(cfg->allowlist);
    free(cfg->trusted_ssh_cidr);
    memset(cfg, 0, sizeof *cfg);
}

const struct ag_conf_section ag_config_input_section = {
    "input", "How lines are read, whichever the host.", input_keys};
const struct ag_conf_section ag_config_engine_section = {
    "engine", "The counter table and what it never counts.", engine_keys};
const struct ag_conf_section ag_config_summary_section = {
    "summary", "The built-in summary and the commands it proposes.", summary_keys};
