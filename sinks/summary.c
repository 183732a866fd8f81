/* summary.c - the built-in incident summary of summary.h. The text follows
 * the shape SOC analysts know: key findings, recommended actions with exact
 * commands, further recommendations. Remediation logic is per rule; facts
 * (counts, names, times) come from the finding only. */
#include "sinks/summary.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sinks/escape.h"

#define SUMMARY_CAP (64 * 1024)

void ag_summary_config_defaults(struct ag_summary_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->nacl_rule_number = 90;
    cfg->ssh_port = 22;
}

int ag_summary_user_is_safe(const char *user)
{
    size_t n = strlen(user);
    if (n == 0 || n > 32 || user[0] == '-')
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = user[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-'))
            return 0;
    }
    return 1;
}

int ag_summary_aws_id_ok(const char *id, const char *prefix)
{
    size_t p = strlen(prefix), n = strlen(id);
    if (n <= p || n > p + 32 || strncmp(id, prefix, p) != 0)
        return 0;
    for (size_t i = p; i < n; i++)
        if (!((id[i] >= 'a' && id[i] <= 'z') || (id[i] >= '0' && id[i] <= '9')))
            return 0;
    return 1;
}

int ag_summary_may_block(const struct ag_addr *a, const struct ag_summary_config *cfg)
{
    if (a->af == AG_AF_NONE || ag_addr_is_private(a))
        return 0;
    for (size_t i = 0; i < cfg->n_allowlist; i++)
        if (ag_cidr_contains(&cfg->allowlist[i], a))
            return 0;
    return 1;
}

/* An instance field if it is a well-formed id, else a placeholder. */
static const char *aws_id(const char *id, const char *prefix, const char *placeholder)
{
    return id && ag_summary_aws_id_ok(id, prefix) ? id : placeholder;
}

static const struct ag_instance_ctx *inst(const struct ag_summary_config *cfg)
{
    static const struct ag_instance_ctx none;
    return cfg->instance ? cfg->instance : &none;
}

static int is_source_rule(const struct ag_finding *f)
{
    return f->key_kind == AG_KEY_SRC || f->key_kind == AG_KEY_SRC64;
}

/* ---- key findings ---------------------------------------------------- */

/* A name from a log line, in double quotes (a quote inside escaped), so
 * that whatever it says reads as one quoted name within a line of ours. */
static void put_quoted(struct ag_buf *b, const char *s, size_t n)
{
    ag_buf_putc(b, '"');
    while (n) {
        const char *q = memchr(s, '"', n);
        size_t run = q ? (size_t)(q - s) : n;
        ag_buf_text_safe(b, s, run);
        if (q)
            ag_buf_puts(b, "\\\"");
        run += q != NULL;
        s += run;
        n -= run;
    }
    ag_buf_putc(b, '"');
}

static void put_list(struct ag_buf *b, const char (*items)[AG_FINDING_NAME_MAX], uint32_t n,
                     uint32_t total)
{
    for (uint32_t i = 0; i < n; i++) {
        if (i)
            ag_buf_puts(b, ", ");
        put_quoted(b, items[i], strnlen(items[i], AG_FINDING_NAME_MAX));
    }
    if (total > n) {
        ag_buf_printf(b, " and %u more", total - n);
    }
}

static void put_window(struct ag_buf *b, uint32_t s)
{
    if (s >= 3600 && s % 3600 == 0)
        ag_buf_printf(b, "%u h", s / 3600);
    else if (s >= 60 && s % 60 == 0)
        ag_buf_printf(b, "%u min", s / 60);
    else
        ag_buf_printf(b, "%u s", s);
}

static void put_measure(struct ag_buf *b, const struct ag_finding *f)
{
    static const char *const what[AG_RULE_COUNT] = {
        [AG_RULE_BRUTEFORCE] = "authentication failures",
        [AG_RULE_SLOW_BRUTEFORCE] = "authentication failures",
        [AG_RULE_ENUMERATION] = "distinct non-existent user names tried",
        [AG_RULE_SPRAYING] = "distinct sources failing against this account",
        [AG_RULE_COMPROMISE] = "failures before the successful login",
        [AG_RULE_SCAN] = "pre-authentication probes (no identification, bad protocol, "
                         "negotiation failures, early disconnects)",
        [AG_RULE_REGRESSHION] = "MAC errors or pre-authentication timeouts "
                                "(CVE-2024-6387 exploitation pattern)",
        [AG_RULE_PRIVILEGE] = "sudo/su failures or sudoers denials",
        [AG_RULE_FLEET_SOURCE] = "distinct hosts with authentication failures",
    };
    ag_buf_printf(b, "- %u %s in ", f->observed,
                  f->rule < AG_RULE_COUNT ? what[f->rule] : "events");
    put_window(b, f->window_s);
    ag_buf_printf(b, " (threshold %u) for %s ", f->threshold, ag_key_kind_name(f->key_kind));
    if (is_source_rule(f))
        ag_buf_text_safe(b, f->key, strnlen(f->key, sizeof f->key));
    else
        put_quoted(b, f->key, strnlen(f->key, sizeof f->key));
    ag_buf_puts(b, ".\n");
}

static void put_totals(struct ag_buf *b, const struct ag_finding *f)
{
    const struct ag_counts *c = &f->counts;
    ag_buf_printf(b, "- Totals since first seen: %u failure%s (%u naming non-existent users), "
                     "%u success%s, %u pre-auth probe%s",
                  c->failures, c->failures == 1 ? "" : "s", c->invalid_users, c->successes,
                  c->successes == 1 ? "" : "es", c->preauth, c->preauth == 1 ? "" : "s");
    if (c->privilege)
        ag_buf_printf(b, ", %u privilege failures", c->privilege);
    ag_buf_puts(b, ".\n");
    if (f->first_seen_ms) {
        ag_buf_puts(b, "- First seen ");
        ag_buf_put_time(b, f->first_seen_ms);
        ag_buf_puts(b, ", last seen ");
        ag_buf_put_time(b, f->last_seen_ms);
        ag_buf_puts(b, ".\n");
    }
}

static void put_context(struct ag_buf *b, const struct ag_finding *f)
{
    if (f->login_user[0]) {
        ag_buf_puts(b, "- Account that logged in: ");
        put_quoted(b, f->login_user, strnlen(f->login_user, sizeof f->login_user));
        ag_buf_puts(b, ".\n");
    }
    if (f->n_users) {
        ag_buf_puts(b, "- Users tried: ");
        put_list(b, f->users, f->n_users,
                 f->counts.distinct_users > f->n_users ? f->counts.distinct_users : f->n_users);
        ag_buf_puts(b, ".\n");
    }
    if (f->n_sources) {
        ag_buf_puts(b, "- Sources: ");
        for (uint32_t i = 0; i < f->n_sources; i++) {
            if (i)
                ag_buf_puts(b, ", ");
            ag_buf_text_safe(b, f->sources[i], strnlen(f->sources[i], AG_ADDR_STRLEN));
        }
        if (f->counts.distinct_sources > f->n_sources)
            ag_buf_printf(b, " and %u more", f->counts.distinct_sources - f->n_sources);
        ag_buf_puts(b, ".\n");
    }
    if (f->n_hosts) {
        ag_buf_puts(b, "- Target hosts: ");
        put_list(b, f->hosts, f->n_hosts, f->n_hosts);
        ag_buf_puts(b, ".\n");
    }
    ag_buf_printf(b, "- MITRE ATT&CK %s %s (%s %s).\n", f->technique_id, f->technique_name,
                  f->tactic_id, f->tactic_name);
}

static void put_verdict(struct ag_buf *b, const struct ag_finding *f)
{
    if (f->rule == AG_RULE_COMPROMISE)
        ag_buf_puts(b, "- A login SUCCEEDED after repeated failures: treat the account and "
                       "the host as compromised until proven otherwise.\n");
    else if (is_source_rule(f) && f->counts.successes)
        ag_buf_printf(b, "- This source also logged in successfully %u time(s): check those "
                         "sessions.\n",
                      f->counts.successes);
    else if (is_source_rule(f))
        ag_buf_puts(b, "- No successful login from this source so far.\n");
}

static void put_key_findings(struct ag_buf *b, const struct ag_finding *f)
{
    ag_buf_puts(b, "Key findings\n");
    put_measure(b, f);
    put_verdict(b, f);
    put_totals(b, f);
    put_context(b, f);
}

/* ---- recommended actions ----------------------------------------------- */

struct actions {
    struct ag_buf *b;
    int n;
};

static void action(struct actions *a, const char *title)
{
    a->n++;
    ag_buf_printf(a->b, "%d. %s\n", a->n, title);
}

static void cmd(struct actions *a, const char *text)
{
    ag_buf_puts(a->b, "   ");
    ag_buf_puts(a->b, text);
    ag_buf_putc(a->b, '\n');
}

/* Block one address or /64 with a network ACL deny entry: security groups
 * only allow, so revoking a /32 there does not stop an attacker that
 * 0.0.0.0/0 admits. */
static void act_nacl_block(struct actions *a, const struct ag_finding *f,
                           const struct ag_summary_config *cfg)
{
    char ip[AG_ADDR_STRLEN], line[512];
    const struct ag_instance_ctx *in = inst(cfg);
    int v6 = f->key_addr.af == AG_AF_INET6;
    ag_addr_format(&f->key_addr, ip);
    const char *bits = v6 ? (f->key_kind == AG_KEY_SRC64 ? "/64" : "/128") : "/32";

    snprintf(line, sizeof line,
             "Block %s%s at the subnet's network ACL (security groups cannot deny):", ip, bits);
    action(a, line);
    if (ag_summary_aws_id_ok(in->network_acl_id, "acl-")) {
        snprintf(line, sizeof line, "ACL=%s", in->network_acl_id);
    } else {
        snprintf(line, sizeof line,
                 "ACL=$(aws ec2 describe-network-acls --filters "
                 "Name=association.subnet-id,Values=%s --query 'NetworkAcls[0].NetworkAclId' "
                 "--output text)",
                 aws_id(in->subnet_id, "subnet-", "<subnet-id>"));
    }
    cmd(a, line);
    snprintf(line, sizeof line,
             "aws ec2 create-network-acl-entry --network-acl-id \"$ACL\" --ingress "
             "--rule-number %u --protocol -1 --rule-action deny %s %s%s",
             cfg->nacl_rule_number, v6 ? "--ipv6-cidr-block" : "--cidr-block", ip, bits);
    cmd(a, line);
    snprintf(line, sizeof line,
             "# rule number: any free number below your allow rules (the default allow is "
             "100); undo: aws ec2 delete-network-acl-entry --network-acl-id \"$ACL\" "
             "--ingress --rule-number %u",
             cfg->nacl_rule_number);
    cmd(a, line);
}

static void explain_no_block(struct actions *a, const struct ag_finding *f)
{
    char line[256];
    char ip[AG_ADDR_STRLEN];
    ag_addr_format(&f->key_addr, ip);
    snprintf(line, sizeof line,
             "Do not block %s: it is a private, loopback or allow-listed address. Find the "
             "internal host or user behind it and investigate there.",
             ip);
    action(a, line);
}

/* Restrict SSH: authorize the trusted range first, then revoke the open
 * rules, so the operator is never locked out halfway. */
static void act_restrict_ssh(struct actions *a, const struct ag_summary_config *cfg)
{
    const struct ag_instance_ctx *in = inst(cfg);
    const char *trusted = cfg->trusted_ssh_cidr && *cfg->trusted_ssh_cidr
                              ? cfg->trusted_ssh_cidr : "<trusted-cidr>";
    struct ag_cidr chk;
    if (trusted[0] != '<' &&
        ag_cidr_parse(trusted, strlen(trusted), &chk) < 0)
        trusted = "<trusted-cidr>";
    size_t nsg = in->n_security_groups ? in->n_security_groups : 1;
    char line[512];
    unsigned port = cfg->ssh_port;

    action(a, "Restrict SSH to your trusted range (authorize it first, then revoke the "
              "open rules):");
    for (size_t i = 0; i < nsg && i < AG_SUMMARY_MAX_SGS; i++) {
        const char *sg = in->n_security_groups
                             ? aws_id(in->security_groups[i], "sg-", "<sg-id>") : "<sg-id>";
        snprintf(line, sizeof line,
                 "aws ec2 authorize-security-group-ingress --group-id %s --ip-permissions "
                 "'IpProtocol=tcp,FromPort=%u,ToPort=%u,IpRanges=[{CidrIp=%s,"
                 "Description=\"trusted SSH\"}]'",
                 sg, port, port, trusted);
        cmd(a, line);
        snprintf(line, sizeof line,
                 "aws ec2 revoke-security-group-ingress --group-id %s --protocol tcp "
                 "--port %u --cidr 0.0.0.0/0",
                 sg, port);
        cmd(a, line);
        snprintf(line, sizeof line,
                 "aws ec2 revoke-security-group-ingress --group-id %s --ip-permissions "
                 "'IpProtocol=tcp,FromPort=%u,ToPort=%u,Ipv6Ranges=[{CidrIpv6=::/0}]'",
                 sg, port, port);
        cmd(a, line);
    }
}

/* The account to act on, quoted for the shell: the finding's key when it is
 * a user, else the user of the login that got in (never a name merely
 * tried: those are the attacker's choice). A placeholder when there is none
 * or the name is not one a shell can safely take. */
static const char *account_of(const struct ag_finding *f, char *out, size_t n)
{
    const char *u = f->key_kind == AG_KEY_USER || f->key_kind == AG_KEY_LOCAL_USER
                        ? f->key : f->login_user;
    size_t len = strlen(u);
    if (!ag_summary_user_is_safe(u) || len + 3 > n)
        return "<user>";
    out[0] = '\'';
    memcpy(out + 1, u, len);
    out[len + 1] = '\'';
    out[len + 2] = '\0';
    return out;
}

static void act_contain_account(struct actions *a, const struct ag_finding *f)
{
    char q[48], line[256];
    const char *u = account_of(f, q, sizeof q);
    action(a, "Contain the account: end its sessions, lock it, and review what it did:");
    snprintf(line, sizeof line, "sudo loginctl terminate-user %s", u);
    cmd(a, line);
    snprintf(line, sizeof line, "sudo usermod --lock --expiredate 1 %s", u);
    cmd(a, line);
    snprintf(line, sizeof line, "sudo last -i -F %s; sudo journalctl _UID=$(id -u %s) --since -24h",
             u, u);
    cmd(a, line);
    /* ~'name' does not expand in a shell, so look the home up. */
    snprintf(line, sizeof line,
             "sudo cat \"$(getent passwd %s | cut -d: -f6)/.ssh/authorized_keys\"   "
             "# look for keys you did not add",
             u);
    cmd(a, line);
    action(a, "Rotate the account's password and keys, and any secret the host holds; "
              "rebuild the host if you cannot rule out persistence.");
}

static void act_privilege(struct actions *a, const struct ag_finding *f)
{
    char q[48], line[256];
    const char *u = account_of(f, q, sizeof q);
    action(a, "Find out who is behind the local account and whether the attempts were theirs:");
    snprintf(line, sizeof line, "sudo journalctl _COMM=sudo _COMM=su --since -24h | grep -F -- %s",
             u);
    cmd(a, line);
    snprintf(line, sizeof line, "sudo -l -U %s; who; last -i -F %s | head", u, u);
    cmd(a, line);
    action(a, "If the activity is not expected, lock the account and end its sessions:");
    snprintf(line, sizeof line, "sudo usermod --lock %s && sudo loginctl terminate-user %s", u,
             u);
    cmd(a, line);
}

static void act_regresshion(struct actions *a)
{
    action(a, "Make sure OpenSSH is patched against CVE-2024-6387 (Debian: 1:9.2p1-2+deb12u3 "
              "or later; upstream 9.8p1):");
    cmd(a, "sshd -V 2>&1 | head -1; apt-cache policy openssh-server");
    cmd(a, "sudo apt-get update && sudo apt-get install --only-upgrade openssh-server");
    action(a, "If you cannot patch now: set 'LoginGraceTime 0' in /etc/ssh/sshd_config and "
              "reload sshd (stops the race, at the cost of MaxStartups exhaustion):");
    cmd(a, "sudo sshd -t && sudo systemctl reload ssh");
}

static void put_actions(struct ag_buf *b, const struct ag_finding *f,
                        const struct ag_summary_config *cfg)
{
    struct actions a = {b, 0};
    if (f->rule == AG_RULE_COMPROMISE)
        act_contain_account(&a, f);
    if (f->rule == AG_RULE_PRIVILEGE) {
        act_privilege(&a, f);
        return;
    }
    if (f->rule == AG_RULE_REGRESSHION)
        act_regresshion(&a);
    if (is_source_rule(f)) {
        if (ag_summary_may_block(&f->key_addr, cfg))
            act_nacl_block(&a, f, cfg);
        else
            explain_no_block(&a, f);
    }
    if (f->rule != AG_RULE_SCAN)
        act_restrict_ssh(&a, cfg);
    if (f->rule == AG_RULE_SPRAYING) {
        char q[48], line[160];
        action(&a, "The attempts come from many sources, so blocking addresses one by one "
                   "will not stop them; check that the account is expected to log in remotely:");
        snprintf(line, sizeof line, "sudo passwd -S %s; sudo chage -l %s",
                 account_of(f, q, sizeof q), account_of(f, q, sizeof q));
        cmd(&a, line);
    }
}

static void put_further(struct ag_buf *b, const struct ag_finding *f)
{
    ag_buf_puts(b, "\nFurther recommendations\n"
                   "- Key-only authentication: 'PasswordAuthentication no' and "
                   "'KbdInteractiveAuthentication no' in /etc/ssh/sshd_config.\n"
                   "- Replace open SSH with AWS Systems Manager Session Manager where you "
                   "can.\n"
                   "- Enable Amazon GuardDuty (UnauthorizedAccess:EC2/SSHBruteForce) on the "
                   "account.\n"
                   "- Rate limiting: 'PerSourcePenalties yes' (OpenSSH 9.8+), MaxStartups, "
                   "MaxAuthTries.\n");
    if (f->rule == AG_RULE_ENUMERATION || f->rule == AG_RULE_SPRAYING)
        ag_buf_puts(b, "- Names tried are attacker input: never paste them into a shell.\n");
}

char *ag_summary_build(const struct ag_finding *f, const struct ag_summary_config *cfg,
                       char **remediation)
{
    char *mem = malloc(SUMMARY_CAP);
    struct ag_buf b;
    char *out = NULL;
    if (remediation)
        *remediation = NULL;
    if (!mem)
        return NULL;
    ag_buf_init(&b, mem, SUMMARY_CAP);
    ag_buf_text_safe(&b, f->title, strlen(f->title));
    ag_buf_printf(&b, " [%s, severity %s]\n\n", f->rule_name,
                  ag_severity_name((enum ag_severity)f->severity));
    put_key_findings(&b, f);
    ag_buf_puts(&b, "\nRecommended actions\n");
    size_t acts = b.len;
    put_actions(&b, f, cfg);
    size_t acts_end = b.len;
    put_further(&b, f);
    out = strdup(ag_buf_cstr(&b));
    if (out && remediation && acts_end > acts && acts_end <= strlen(out))
        *remediation = strndup(out + acts, acts_end - acts - (out[acts_end - 1] == '\n'));
    free(mem);
    return out;
}

int ag_summary_attach(struct ag_finding *f, const struct ag_summary_config *cfg)
{
    char *s = ag_summary_build(f, cfg, NULL);
    if (!s)
        return -ENOMEM;
    free(f->summary);
    f->summary = s;
    snprintf(f->summary_source, sizeof f->summary_source, "local");
    return 0;
}

/* ---- a model's text, for a person ------------------------------------------ */

/* Bytes of the next piece of a line of n bytes that fits the width: cut
 * after the last space past half the width when the line goes on. */
static size_t model_piece(const char *s, size_t n)
{
    size_t i = 0, cols = 0, space = 0;
    while (i < n) {
        unsigned char c = (unsigned char)s[i];
        size_t w = c >= 0xe0 ? 2 : 1; /* 3- and 4-byte characters may be wide */
        if (cols + w > AG_SUMMARY_MODEL_WIDTH)
            break;
        if (c == ' ' && cols > AG_SUMMARY_MODEL_WIDTH / 2)
            space = i;
        cols += w;
        i++;
        while (i < n && ((unsigned char)s[i] & 0xc0) == 0x80)
            i++;
    }
    if (i < n && space)
        return space;
    return i ? i : n;
}

void ag_summary_put_model_text(struct ag_buf *b, const char *text, const char *indent,
                               const char *eol)
{
    const char *p = text;
    while (*p) {
        size_t n = strcspn(p, "\n"), off = 0;
        do {
            size_t piece = model_piece(p + off, n - off);
            ag_buf_puts(b, indent);
            ag_buf_puts(b, AG_SUMMARY_MODEL_MARK);
            ag_buf_text_safe(b, p + off, piece);
            ag_buf_puts(b, eol);
            off += piece;
            while (off < n && p[off] == ' ')
                off++;
        } while (off < n);
        p += n + (p[n] == '\n');
    }
}
