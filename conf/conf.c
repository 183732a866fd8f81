/* conf.c - INI loading through libinih, and the typed getters of conf.h.
 * Entries live in one array in file order; the config is small and read
 * once at start (and on reload), so lookups are linear. */
#include "conf/conf.h"

#include <errno.h>
#include <ini.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct entry {
    char *section;
    char *key;    /* NULL for a bare "[section]" line */
    char *value;
    int line;
    int used;     /* written through a const pointer: lookups mark keys read */
};

struct ag_conf {
    char *path;
    struct entry *e;
    size_t n, cap;
};

/* Streaming state: inih tells us no line numbers, so the reader counts. */
struct load {
    struct ag_conf *c;
    const char *text;  /* ag_conf_load_string */
    FILE *f;           /* ag_conf_load */
    int line;
    int oom;
};

static void errf(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void errf(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    if (!err || !errlen)
        return;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

struct ag_conf *ag_conf_new_empty(void)
{
    struct ag_conf *c = calloc(1, sizeof *c);
    if (c)
        c->path = strdup("(built-in defaults)");
    if (c && !c->path) {
        free(c);
        return NULL;
    }
    return c;
}

void ag_conf_free(struct ag_conf *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n; i++) {
        free(c->e[i].section);
        free(c->e[i].key);
        free(c->e[i].value);
    }
    free(c->e);
    free(c->path);
    free(c);
}

const char *ag_conf_path(const struct ag_conf *c)
{
    return c->path;
}

static int add_entry(struct ag_conf *c, const char *section, const char *key,
                     const char *value, int line)
{
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 32;
        struct entry *e = realloc(c->e, cap * sizeof *e);
        if (!e)
            return -1;
        c->e = e;
        c->cap = cap;
    }
    struct entry *e = &c->e[c->n];
    memset(e, 0, sizeof *e);
    e->section = strdup(section);
    e->key = key ? strdup(key) : NULL;
    e->value = value ? strdup(value) : NULL;
    e->line = line;
    if (!e->section || (key && !e->key) || (value && !e->value)) {
        free(e->section);
        free(e->key);
        free(e->value);
        return -1;
    }
    c->n++;
    return 0;
}

static int on_ini(void *ud, const char *section, const char *key, const char *value)
{
    struct load *l = ud;
    if (add_entry(l->c, section, key, value, l->line) < 0) {
        l->oom = 1;
        return 0;
    }
    return 1;
}

static char *read_text(char *buf, int size, void *stream)
{
    struct load *l = stream;
    char *r;
    if (l->f) {
        r = fgets(buf, size, l->f);
    } else {
        if (!*l->text)
            return NULL;
        const char *nl = strchr(l->text, '\n');
        size_t n = nl ? (size_t)(nl - l->text) + 1 : strlen(l->text);
        if (n > (size_t)size - 1)
            n = (size_t)size - 1;
        memcpy(buf, l->text, n);
        buf[n] = '\0';
        l->text += n;
        r = buf;
    }
    if (r)
        l->line++;
    return r;
}

static int load_stream(struct ag_conf *c, struct load *l, char *err, size_t errlen)
{
    l->c = c;
    int rc = ini_parse_stream(read_text, l, on_ini, l);
    if (l->oom) {
        errf(err, errlen, "%s: out of memory", c->path);
        return -1;
    }
    if (rc > 0) {
        errf(err, errlen, "%s:%d: syntax error: expected '[section]' or 'key = value'",
             c->path, rc);
        return -1;
    }
    if (rc < 0) {
        errf(err, errlen, "%s: cannot read", c->path);
        return -1;
    }
    return 0;
}

int ag_conf_load(struct ag_conf **out, const char *path, char *err, size_t errlen)
{
    struct load l = {0};
    struct ag_conf *c = calloc(1, sizeof *c);
    *out = NULL;
    if (!c || !(c->path = strdup(path))) {
        free(c);
        errf(err, errlen, "%s: out of memory", path);
        return -1;
    }
    l.f = fopen(path, "re");
    if (!l.f) {
        errf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        ag_conf_free(c);
        return -1;
    }
    int rc = load_stream(c, &l, err, errlen);
    fclose(l.f);
    if (rc < 0) {
        ag_conf_free(c);
        return -1;
    }
    *out = c;
    return 0;
}

int ag_conf_load_string(struct ag_conf **out, const char *name, const char *text,
                        char *err, size_t errlen)
{
    struct load l = {0};
    struct ag_conf *c = calloc(1, sizeof *c);
    *out = NULL;
    if (!c || !(c->path = strdup(name))) {
        free(c);
        errf(err, errlen, "%s: out of memory", name);
        return -1;
    }
    l.text = text;
    if (load_stream(c, &l, err, errlen) < 0) {
        ag_conf_free(c);
        return -1;
    }
    *out = c;
    return 0;
}

/* The last setting of a key wins, as in most INI readers; earlier duplicates
 * are marked used so they are not reported as unknown. */
static struct entry *find(const struct ag_conf *c, const char *section, const char *key)
{
    struct entry *hit = NULL;
    for (size_t i = 0; i < c->n; i++) {
        struct entry *e = &c->e[i];
        if (e->key && !strcmp(e->section, section) && !strcmp(e->key, key)) {
            e->used = 1;
            hit = e;
        }
    }
    return hit;
}

static int bad(const struct ag_conf *c, const struct entry *e, char *err, size_t errlen,
               const char *expected)
{
    errf(err, errlen, "%s:%d: [%s] %s: expected %s, got '%s'", c->path, e->line,
         e->section, e->key, expected, e->value);
    return -1;
}

int ag_conf_str(const struct ag_conf *c, const char *section, const char *key,
                const char **out, char *err, size_t errlen)
{
    struct entry *e = find(c, section, key);
    if (!e)
        return 0;
    *out = e->value;
    return 1;
}

static int parse_u64(const char *s, uint64_t *out)
{
    char *end;
    if (*s < '0' || *s > '9')
        return -1;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end)
        return -1;
    *out = v;
    return 0;
}

int ag_conf_u64(const struct ag_conf *c, const char *section, const char *key,
                uint64_t min, uint64_t max, uint64_t *out, char *err, size_t errlen)
{
    struct entry *e = find(c, section, key);
    uint64_t v;
    char what[96];
    if (!e)
        return 0;
    snprintf(what, sizeof what, "a whole number from %llu to %llu",
             (unsigned long long)min, (unsigned long long)max);
    if (parse_u64(e->value, &v) < 0 || v < min || v > max)
        return bad(c, e, err, errlen, what);
    *out = v;
    return 1;
}

int ag_conf_file_mode(const struct ag_conf *c, const char *section, const char *key,
                      unsigned *out, char *err, size_t errlen)
{
    struct entry *e = find(c, section, key);
    if (!e)
        return 0;
    size_t n = strlen(e->value);
    unsigned v = 0;
    int ok = n >= 3 && n <= 4 && strspn(e->value, "01234567") == n;
    for (size_t i = 0; ok && i < n; i++)
        v = v * 8 + (unsigned)(e->value[i] - '0');
    if (!ok || v > 0777 || (v & 0600) != 0600)
        return bad(c, e, err, errlen, "an octal file mode from 0600 to 0777 (e.g. 0600, 0640)");
    *out = v;
    return 1;
}

int ag_parse_bool(const char *s, int *out)
{
    static const char *const yes[] = {"1", "true", "yes", "on"};
    static const char *const no[] = {"0", "false", "no", "off"};
    for (size_t i = 0; i < 4; i++) {
        if (!strcasecmp(s, yes[i])) {
            *out = 1;
            return 0;
        }
        if (!strcasecmp(s, no[i])) {
            *out = 0;
            return 0;
        }
    }
    return -1;
}

int ag_conf_bool(const struct ag_conf *c, const char *section, const char *key,
                 int *out, char *err, size_t errlen)
{
    struct entry *e = find(c, section, key);
    if (!e)
        return 0;
    if (ag_parse_bool(e->value, out) < 0)
        return bad(c, e, err, errlen, "on or off (true/false, yes/no, 1/0)");
    return 1;
}

int ag_parse_duration_ms(const char *s, int64_t *out)
{
    static const struct { const char *unit; int64_t ms; } units[] = {
        {"", 1000}, {"s", 1000}, {"ms", 1}, {"m", 60000}, {"min", 60000},
        {"h", 3600000}, {"d", 86400000}};
    char *end;
    if (*s < '0' || *s > '9')
        return -1;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || v > (1ULL << 40))
        return -1;
    while (*end == ' ')
        end++;
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        if (!strcmp(end, units[i].unit)) {
            *out = (int64_t)v * units[i].ms;
            return 0;
        }
    }
    return -1;
}

int ag_conf_duration_ms(const struct ag_conf *c, const char *section, const char *key,
                        int64_t min_ms, int64_t max_ms, int64_t *out, char *err,
                        size_t errlen)
{
    struct entry *e = find(c, section, key);
    int64_t v;
    char what[128];
    if (!e)
        return 0;
    snprintf(what, sizeof what,
             "a duration from %llds to %llds (e.g. 90s, 15m, 6h)",
             (long long)(min_ms / 1000), (long long)(max_ms / 1000));
    if (ag_parse_duration_ms(e->value, &v) < 0 || v < min_ms || v > max_ms)
        return bad(c, e, err, errlen, what);
    *out = v;
    return 1;
}

int ag_conf_enum(const struct ag_conf *c, const char *section, const char *key,
                 const char *const *choices, int *out, char *err, size_t errlen)
{
    struct entry *e = find(c, section, key);
    char what[256];
    size_t w = 0;
    if (!e)
        return 0;
    for (int i = 0; choices[i]; i++) {
        if (!strcmp(e->value, choices[i])) {
            *out = i;
            return 1;
        }
        int n = snprintf(what + w, sizeof what - w, "%s%s", i ? " | " : "one of ",
                         choices[i]);
        if (n > 0 && (size_t)n < sizeof what - w)
            w += (size_t)n;
    }
    return bad(c, e, err, errlen, what);
}

int ag_conf_each(const struct ag_conf *c, const char *section, const char *prefix,
                 int (*fn)(void *ud, const char *key, const char *value, int line),
                 void *ud)
{
    size_t plen = strlen(prefix);
    for (size_t i = 0; i < c->n; i++) {
        struct entry *e = &c->e[i];
        if (!e->key || strcmp(e->section, section) || strncmp(e->key, prefix, plen))
            continue;
        e->used = 1;
        int rc = fn(ud, e->key + plen, e->value, e->line);
        if (rc)
            return rc;
    }
    return 0;
}

int ag_conf_has_section(const struct ag_conf *c, const char *section)
{
    for (size_t i = 0; i < c->n; i++)
        if (!strcmp(c->e[i].section, section))
            return 1;
    return 0;
}

static int section_known(const char *section, const char *const *known)
{
    for (size_t k = 0; known[k]; k++) {
        size_t n = strlen(known[k]);
        if (n && known[k][n - 1] == '.' ? !strncmp(section, known[k], n) && section[n]
                                        : !strcmp(section, known[k]))
            return 1;
    }
    return 0;
}

int ag_conf_check_unused(const struct ag_conf *c, const char *section_prefix, char *err,
                         size_t errlen)
{
    const char *const one[] = {section_prefix, NULL};
    for (size_t i = 0; i < c->n; i++) {
        const struct entry *e = &c->e[i];
        if (e->key && !e->used && (!*section_prefix || section_known(e->section, one))) {
            errf(err, errlen, "%s:%d: [%s] %s: unknown key", c->path, e->line,
                 e->section, e->key);
            return -1;
        }
    }
    return 0;
}

int ag_conf_check_sections(const struct ag_conf *c, const char *const *known, char *err,
                           size_t errlen)
{
    for (size_t i = 0; i < c->n; i++) {
        if (!section_known(c->e[i].section, known)) {
            errf(err, errlen, "%s:%d: [%s]: unknown section", c->path, c->e[i].line,
                 c->e[i].section);
            return -1;
        }
    }
    return 0;
}
