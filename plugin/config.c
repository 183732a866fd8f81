/* config.c - reads [input], [engine], [rule.NAME] and [summary] into the
 * structs of engine.h and summary.h, starting from their defaults, so a
 * missing file or key always means "the documented default". */
#include "plugin/config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const ag_config_sections[] = {
    "input", "input.", "engine", "rule.", "summary", "sink.", "aggregate", "aws", NULL};

static const char *const severities[] = {"unknown", "informational", "low", "medium",
                                         "high", "critical", "fatal", NULL};

static int load_rule(struct ag_config *cfg, enum ag_rule r, char *err, size_t errlen)
{
    char sec[64];
    struct ag_rule_config *rc = &cfg->engine.rules[r];
    const struct ag_conf *c = cfg->conf;
    uint64_t thr = rc->threshold;
    int64_t win = (int64_t)rc->window_s * 1000, cool = (int64_t)rc->cooldown_s * 1000;
    int sev = rc->severity, en = rc->enabled;

    snprintf(sec, sizeof sec, "rule.%s", ag_rule_name(r));
    if (ag_conf_bool(c, sec, "enabled", &en, err, errlen) < 0 ||
        ag_conf_u64(c, sec, "threshold", 1, AG_ENGINE_THRESHOLD_MAX, &thr, err, errlen) < 0 ||
        ag_conf_duration_ms(c, sec, "window", AG_ENGINE_WINDOW_MIN_S * 1000LL,
                            AG_ENGINE_WINDOW_MAX_S * 1000LL, &win, err, errlen) < 0 ||
        ag_conf_duration_ms(c, sec, "cooldown", 0, AG_ENGINE_COOLDOWN_MAX_S * 1000LL, &cool,
                            err, errlen) < 0 ||
        ag_conf_enum(c, sec, "severity", severities, &sev, err, errlen) < 0)
        return -1;
    rc->enabled = en;
    rc->threshold = (uint32_t)thr;
    rc->window_s = (uint32_t)(win / 1000);
    rc->cooldown_s = (uint32_t)(cool / 1000);
    rc->severity = (uint8_t)sev;
    return 0;
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

static int load_engine(struct ag_config *cfg, char *err, size_t errlen)
{
    const struct ag_conf *c = cfg->conf;
    struct ag_engine_config *e = &cfg->engine;
    uint64_t slots = e->table_slots, probe = e->probe, queue = e->finding_queue;
    int v6 = e->ipv6_prefix64;
    const char *allow = NULL;
    /* auto (-1): the host decides; see ag_engine_config.prefault. */
    static const char *const prefault_modes[] = {"auto", "off", "on", NULL};
    int prefault = e->prefault + 1;

    if (ag_conf_u64(c, "engine", "slots", 1024, 1u << 30, &slots, err, errlen) < 0 ||
        ag_conf_u64(c, "engine", "probe", 4, 256, &probe, err, errlen) < 0 ||
        ag_conf_u64(c, "engine", "finding_queue", 16, 1u << 20, &queue, err, errlen) < 0 ||
        ag_conf_bool(c, "engine", "ipv6_prefix64", &v6, err, errlen) < 0 ||
        ag_conf_enum(c, "engine", "prefault", prefault_modes, &prefault, err, errlen) < 0)
        return -1;
    if (slots & (slots - 1)) {
        snprintf(err, errlen, "%s: [engine] slots: expected a power of two, got %llu",
                 ag_conf_path(c), (unsigned long long)slots);
        return -1;
    }
    e->table_slots = (uint32_t)slots;
    e->probe = (uint32_t)probe;
    e->finding_queue = (uint32_t)queue;
    e->ipv6_prefix64 = v6;
    e->prefault = prefault - 1;
    if (ag_conf_str(c, "engine", "allowlist", &allow, err, errlen) > 0 &&
        parse_cidr_list(cfg, allow, err, errlen) < 0)
        return -1;
    e->allowlist = cfg->allowlist;
    e->n_allowlist = cfg->n_allowlist;
    for (int r = 0; r < AG_RULE_COUNT; r++)
        if (load_rule(cfg, (enum ag_rule)r, err, errlen) < 0)
            return -1;
    return ag_engine_config_check(e, err, errlen) < 0 ? -1 : 0;
}

/* "local" (the default), "UTC", "+01:00", "-0530". */
static int load_input(struct ag_config *cfg, char *err, size_t errlen)
{
    const char *tz = NULL;
    unsigned h, m;
    if (ag_conf_str(cfg->conf, "input", "timezone", &tz, err, errlen) <= 0 ||
        !strcmp(tz, "local"))
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

static int load_summary(struct ag_config *cfg, char *err, size_t errlen)
{
    const struct ag_conf *c = cfg->conf;
    struct ag_summary_config *s = &cfg->summary;
    uint64_t rule = s->nacl_rule_number, port = s->ssh_port;
    const char *trusted = NULL;
    if (ag_conf_u64(c, "summary", "nacl_rule_number", 1, 32766, &rule, err, errlen) < 0 ||
        ag_conf_u64(c, "summary", "ssh_port", 1, 65535, &port, err, errlen) < 0)
        return -1;
    s->nacl_rule_number = (unsigned)rule;
    s->ssh_port = (unsigned)port;
    if (ag_conf_str(c, "summary", "trusted_ssh_cidr", &trusted, err, errlen) > 0 &&
        *trusted) {
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
