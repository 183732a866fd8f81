/* finding_check.h - shared by the unit tests of what consumes findings
 * (summary, sinks): one complete finding, as the engine would emit it. */
#ifndef AG_FINDING_CHECK_H
#define AG_FINDING_CHECK_H

#include <stdio.h>
#include <string.h>

#include "engine/finding.h"
#include "filters/addr.h"

/* A Create of rule about key: an address key is a source, any other a
 * user; 57 failures in a minute, users admin and root, host web-1. */
static inline void fc_finding(struct ag_finding *f, enum ag_rule rule, const char *key)
{
    memset(f, 0, sizeof *f);
    strcpy(f->uid, "0123456789abcdef0123456789abcdef");
    f->activity = AG_ACTIVITY_CREATE;
    f->rule = (uint8_t)rule;
    f->severity = AG_SEV_HIGH;
    f->rule_name = ag_rule_name(rule);
    f->title = "SSH brute force";
    f->technique_id = "T1110.001";
    f->technique_name = "Password Guessing";
    f->tactic_id = "TA0006";
    f->tactic_name = "Credential Access";
    f->threshold = 6;
    f->observed = 57;
    f->window_s = 60;
    f->time_ms = 1735689900000LL;
    f->created_ms = f->time_ms;
    f->first_seen_ms = 1735689600000LL;
    f->last_seen_ms = f->time_ms;
    f->counts.failures = 57;
    snprintf(f->key, sizeof f->key, "%s", key);
    if (ag_addr_parse(key, strlen(key), &f->key_addr) == 0) {
        f->key_kind = AG_KEY_SRC;
    } else {
        f->key_kind = AG_KEY_USER;
        f->key_addr.af = AG_AF_NONE;
    }
    strcpy(f->users[0], "admin");
    strcpy(f->users[1], "root");
    f->n_users = 2;
    strcpy(f->hosts[0], "web-1");
    f->n_hosts = 1;
}

#endif
