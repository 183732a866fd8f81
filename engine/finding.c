/* finding.c - turns a rule trip into a self-contained finding: names,
 * ATT&CK mapping, counts, and context (users, hosts, sources, sample lines)
 * gathered from the ring of recent events of the same key. */
#include "engine/finding.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/recent.h"
#include "engine/rules.h"
#include "engine/window.h"

static const char *const key_kind_names[AG_KEY_KIND_COUNT] = {
    [AG_KEY_NONE] = "none",   [AG_KEY_SRC] = "src",             [AG_KEY_SRC64] = "src64",
    [AG_KEY_USER] = "user",   [AG_KEY_HOST] = "host",           [AG_KEY_USER_HOST] = "user_host",
    [AG_KEY_LOCAL_USER] = "local_user",
};

static const char *const severity_names[] = {
    "Unknown", "Informational", "Low", "Medium", "High", "Critical", "Fatal",
};

const char *ag_rule_name(enum ag_rule rule) { return ag_rule_info(rule)->name; }

const char *ag_key_kind_name(enum ag_key_kind kind)
{
    if ((unsigned)kind >= AG_KEY_KIND_COUNT)
        return "unknown";
    return key_kind_names[kind];
}

const char *ag_severity_name(enum ag_severity sev)
{
    if ((unsigned)sev > AG_SEV_FATAL)
        return "Unknown";
    return severity_names[sev];
}

int ag_rule_from_name(const char *name, size_t len)
{
    for (int r = 0; r < AG_RULE_COUNT; r++) {
        const char *n = ag_rule_info((enum ag_rule)r)->name;
        if (strlen(n) == len && memcmp(n, name, len) == 0)
            return r;
    }
    return -1;
}

struct ag_finding *ag_finding_dup(const struct ag_finding *f)
{
    struct ag_finding *c = malloc(sizeof(*c));
    if (c == NULL)
        return NULL;
    memcpy(c, f, sizeof(*c));
    c->summary = f->summary != NULL ? strdup(f->summary) : NULL;
    c->model_summary = f->model_summary != NULL ? strdup(f->model_summary) : NULL;
    if ((f->summary != NULL && c->summary == NULL) ||
        (f->model_summary != NULL && c->model_summary == NULL)) {
        ag_finding_free(c);
        return NULL;
    }
    return c;
}

void ag_finding_release(struct ag_finding *f)
{
    if (f == NULL)
        return;
    free(f->summary);
    f->summary = NULL;
    f->summary_source[0] = '\0';
    free(f->model_summary);
    f->model_summary = NULL;
    f->model_source[0] = '\0';
    f->ext = NULL;
}

void ag_finding_free(struct ag_finding *f)
{
    ag_finding_release(f);
    free(f);
}

/* ---- text copies ------------------------------------------------------ */

/* Length of the longest prefix of s[0..len) not ending inside a UTF-8
 * sequence, looking back at most 3 bytes. */
static size_t utf8_cut(const char *s, size_t len)
{
    size_t i = len;
    for (int back = 0; back < 3 && i > 0; back++) {
        unsigned char c = (unsigned char)s[i - 1];
        if (c < 0x80)
            return len; /* ASCII: nothing open */
        if (c >= 0xc0) {
            /* a lead byte: is its sequence complete within len? */
            size_t need = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
            return (len - (i - 1) >= need) ? len : i - 1;
        }
        i--;
    }
    return len;
}

size_t ag_finding_copy_text(char *out, size_t cap, const char *s, size_t len, int *truncated)
{
    if (cap == 0)
        return 0;
    int cut = len > cap - 1;
    size_t n = cut ? utf8_cut(s, cap - 1) : len;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        out[i] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
    }
    out[n] = '\0';
    if (truncated != NULL)
        *truncated = cut;
    return n;
}

/* ---- assembly --------------------------------------------------------- */

struct gather {
    const struct ag_finding_req *req;
    struct ag_finding *f;
    /* The newest samples other than the evidence, kept unsorted. */
    uint32_t n_kept;
    uint32_t oldest; /* of the kept ones, once all are taken */
    struct ag_finding_sample kept[AG_FINDING_MAX_SAMPLES - 1];
    uint64_t kept_id[AG_FINDING_MAX_SAMPLES - 1];
    int64_t earliest_ms;
};

static int addr_match(const struct ag_addr *a, const struct ag_addr *key, int prefix64)
{
    if (a->af != key->af)
        return 0;
    if (a->af == AG_AF_INET)
        return memcmp(a->b, key->b, 4) == 0;
    return memcmp(a->b, key->b, prefix64 ? 8 : 16) == 0;
}

static int key_matches(const struct ag_finding_req *req, const struct ag_recent_item *it)
{
    switch (req->key_kind) {
    case AG_KEY_SRC:
        return addr_match(&it->keys.src, &req->key_addr, 0);
    case AG_KEY_SRC64:
        return addr_match(&it->keys.src, &req->key_addr, 1);
    case AG_KEY_USER:
        return it->keys.has_user && it->keys.user[0] == req->key_w[0] &&
               it->keys.user[1] == req->key_w[1];
    case AG_KEY_LOCAL_USER:
        return it->keys.has_local_user && it->keys.local_user[0] == req->key_w[0] &&
               it->keys.local_user[1] == req->key_w[1];
    default:
        return 0;
    }
}

/* The role and mark the sought key has in the ring of recent events. */
static enum ag_recent_role want_role(const struct ag_finding_req *req, uint8_t *mark)
{
    switch (req->key_kind) {
    case AG_KEY_SRC:
        *mark = ag_recent_mark_addr(&req->key_addr, 0);
        return AG_RECENT_SRC;
    case AG_KEY_SRC64:
        *mark = ag_recent_mark_addr(&req->key_addr, 1);
        return AG_RECENT_SRC64;
    case AG_KEY_USER:
        *mark = ag_recent_mark_key(req->key_w);
        return AG_RECENT_USER;
    case AG_KEY_LOCAL_USER:
        *mark = ag_recent_mark_key(req->key_w);
        return AG_RECENT_LOCAL;
    default:
        *mark = 0;
        return AG_RECENT_ROLES;   /* matches nothing: item_matches() says no */
    }
}

static void add_name(char (*list)[AG_FINDING_NAME_MAX], uint32_t *n, uint32_t max,
                     const char *s, size_t len)
{
    char tmp[AG_FINDING_NAME_MAX];
    if (len == 0 || *n >= max)
        return;
    ag_finding_copy_text(tmp, sizeof(tmp), s, len, NULL);
    for (uint32_t i = 0; i < *n; i++)
        if (strcmp(list[i], tmp) == 0)
            return;
    memcpy(list[(*n)++], tmp, sizeof(tmp));
}

static void add_source(struct ag_finding *f, const struct ag_addr *a)
{
    char tmp[AG_ADDR_STRLEN];
    if (a->af == AG_AF_NONE || f->n_sources >= AG_FINDING_MAX_SOURCES)
        return;
    if (ag_addr_format(a, tmp) == 0)
        return;
    for (uint32_t i = 0; i < f->n_sources; i++)
        if (strcmp(f->sources[i], tmp) == 0)
            return;
    memcpy(f->sources[f->n_sources++], tmp, sizeof(tmp));
}

static int sample_before(int64_t ta, uint64_t ia, int64_t tb, uint64_t ib)
{
    return ta < tb || (ta == tb && ia < ib);
}

static void fill_sample(struct ag_finding_sample *s, const struct ag_recent_item *it)
{
    int cut = 0;
    s->time_ms = it->time_ms;
    s->kind = it->kind;
    s->len = (uint16_t)ag_finding_copy_text(s->text, sizeof(s->text), it->line, it->line_len,
                                            &cut);
    s->truncated = (uint8_t)(cut || it->line_truncated);
}

/* The kept sample an item would replace once all are taken: the oldest. */
static uint32_t oldest_kept(const struct gather *g)
{
    uint32_t oldest = 0;
    for (uint32_t i = 1; i < g->n_kept; i++)
        if (sample_before(g->kept[i].time_ms, g->kept_id[i], g->kept[oldest].time_ms,
                          g->kept_id[oldest]))
            oldest = i;
    return oldest;
}

static void keep_sample(struct gather *g, const struct ag_recent_item *it)
{
    const uint32_t cap = AG_FINDING_MAX_SAMPLES - 1;
    if (g->n_kept < cap) {
        fill_sample(&g->kept[g->n_kept], it);
        g->kept_id[g->n_kept++] = it->id;
        if (g->n_kept == cap)
            g->oldest = oldest_kept(g);
        return;
    }
    uint32_t o = g->oldest;
    if (sample_before(it->time_ms, it->id, g->kept[o].time_ms, g->kept_id[o]))
        return;
    fill_sample(&g->kept[o], it);
    g->kept_id[o] = it->id;
    g->oldest = oldest_kept(g);
}

/* A match, and which of its texts can still be used: once the samples and
 * the name lists are full, an older entry only adds to the counts, and
 * copying its 512-byte line would be the scan's main cost. */
static unsigned item_matches(void *arg, const struct ag_recent_item *it)
{
    const struct gather *g = arg;
    if (!key_matches(g->req, it))
        return 0;
    unsigned take = AG_RECENT_TAKE;
    if (g->f->n_users >= AG_FINDING_MAX_USERS)
        take |= AG_RECENT_NO_USER;
    if (g->f->n_hosts >= AG_FINDING_MAX_HOSTS)
        take |= AG_RECENT_NO_HOST;
    if (g->n_kept == AG_FINDING_MAX_SAMPLES - 1) {
        uint32_t o = g->oldest;
        if (sample_before(it->time_ms, it->id, g->kept[o].time_ms, g->kept_id[o]))
            take |= AG_RECENT_NO_LINE;
    }
    return take;
}

static void visit_item(void *arg, const struct ag_recent_item *it)
{
    struct gather *g = arg;
    struct ag_finding *f = g->f;
    if (it->time_ms < g->earliest_ms)
        g->earliest_ms = it->time_ms;
    add_name(f->users, &f->n_users, AG_FINDING_MAX_USERS, it->user, it->user_len);
    add_name(f->hosts, &f->n_hosts, AG_FINDING_MAX_HOSTS, it->host, it->host_len);
    add_source(f, &it->keys.src);
    if (it->id != g->req->evidence_id)
        keep_sample(g, it);
}

static void sort_kept(struct gather *g)
{
    for (uint32_t i = 1; i < g->n_kept; i++) {
        for (uint32_t j = i; j > 0 && sample_before(g->kept[j].time_ms, g->kept_id[j],
                                                    g->kept[j - 1].time_ms,
                                                    g->kept_id[j - 1]);
             j--) {
            struct ag_finding_sample ts = g->kept[j];
            uint64_t ti = g->kept_id[j];
            g->kept[j] = g->kept[j - 1];
            g->kept_id[j] = g->kept_id[j - 1];
            g->kept[j - 1] = ts;
            g->kept_id[j - 1] = ti;
        }
    }
}

static void fill_from_request(struct ag_finding *f, const struct ag_finding_req *req)
{
    const struct ag_rule_info *info = ag_rule_info((enum ag_rule)req->rule);
    memset(f, 0, sizeof(*f));
    f->activity = req->activity;
    f->rule = req->rule;
    f->severity = req->severity;
    f->key_kind = req->key_kind;
    f->update_seq = req->update_seq;
    memcpy(f->key, req->key_text, sizeof(f->key));
    f->key[sizeof(f->key) - 1] = '\0';
    f->key_addr = req->key_addr;
    f->rule_name = info->name;
    f->title = info->title;
    f->technique_id = info->technique_id;
    f->technique_name = info->technique_name;
    f->tactic_id = info->tactic_id;
    f->tactic_name = info->tactic_name;
    f->threshold = req->threshold;
    f->observed = req->observed;
    f->window_s = req->window_s;
    f->time_ms = req->time_ms;
    f->created_ms = req->created_ms;
    f->counts = req->counts;
    f->first_seen_ms = req->counts.first_seen_ms;
    f->last_seen_ms = req->counts.last_seen_ms;
    memcpy(f->login_user, req->login_user, sizeof(f->login_user));
    f->login_user[sizeof(f->login_user) - 1] = '\0';
}

/* uid: 128 bits of SipHash (fixed, public key: the uid must be the same in
 * every run and on every host) over rule, key kind, key text and the Create
 * time, so a Create and all its Updates share it. */
/* The id depends on (rule, key, window bucket of the Create) only: not on
 * the process, the table's random hash key or the exact line that tripped,
 * so two engines that count the same events (an aggregator and the one that
 * takes its partitions over after a rebalance) name a finding alike. */
static void make_uid(struct ag_finding *f)
{
    static const uint64_t uid_key[2] = {0x6175746867756172ull, 0x66696e64696e6775ull};
    char buf[AG_FINDING_KEY_MAX + 32];
    size_t klen = strlen(f->key);
    size_t n = 0;
    int64_t start = f->created_ms - f->created_ms % ag_window_width_ms(f->window_s);
    buf[n++] = (char)f->rule;
    buf[n++] = (char)f->key_kind;
    memcpy(buf + n, &start, sizeof(start));
    n += sizeof(start);
    memcpy(buf + n, f->key, klen);
    n += klen;
    uint64_t h[2];
    ag_siphash128(uid_key, buf, n, h);
    static const char hex[] = "0123456789abcdef";
    for (int i = 0; i < 16; i++) {
        uint8_t byte = (uint8_t)(h[i / 8] >> (8 * (i % 8)));
        f->uid[2 * i] = hex[byte >> 4];
        f->uid[2 * i + 1] = hex[byte & 15];
    }
    f->uid[AG_FINDING_UID_LEN] = '\0';
}

void ag_finding_assemble(struct ag_finding *f, const struct ag_finding_req *req,
                         struct ag_recent *recent)
{
    fill_from_request(f, req);
    make_uid(f);
    if (recent != NULL) {
        /* On the stack (about 11 KiB): assembly may run inside feed in
         * synchronous mode, where nothing may allocate. */
        struct gather g;
        struct ag_recent_item scratch;
        memset(&g, 0, sizeof(g));
        g.req = req;
        g.f = f;
        g.earliest_ms = INT64_MAX;
        /* The rule's window (plus the bucket slack) before the trip. */
        int64_t span = (int64_t)req->window_s * 1000 * 4 / 3 + 1000;
        uint8_t mark;
        enum ag_recent_role role = want_role(req, &mark);
        ag_recent_scan(recent, req->time_ms - span, req->time_ms, role, mark, item_matches,
                       visit_item, &g, &scratch);
        sort_kept(&g);
        memcpy(f->samples, g.kept, sizeof(g.kept[0]) * g.n_kept);
        f->n_samples = g.n_kept;
        if (g.earliest_ms != INT64_MAX &&
            (f->first_seen_ms == 0 || g.earliest_ms < f->first_seen_ms))
            f->first_seen_ms = g.earliest_ms;
    }
    f->samples[f->n_samples++] = req->evidence;
    if (f->last_seen_ms < req->time_ms)
        f->last_seen_ms = req->time_ms;
}
