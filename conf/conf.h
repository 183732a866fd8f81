/* conf.h - authguard's INI configuration, read once into (section, key,
 * value, line) entries; each module reads its own section through typed
 * getters that name file, line, key and what was expected when a value is
 * wrong, the way fluent-bit plugins declare their config maps.
 *
 * Keys nobody asked for are reported by ag_conf_check_unused(), so a typo
 * such as `treshold` is an error, not a silently ignored line. */
#ifndef AG_CONF_H
#define AG_CONF_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define AG_CONF_ERRLEN 512

struct ag_conf;

/* Reads path. Returns 0, or -1 with a message in err. */
int ag_conf_load(struct ag_conf **out, const char *path, char *err, size_t errlen);
/* Parses INI text held in memory (tests, embedded defaults). name labels errors. */
int ag_conf_load_string(struct ag_conf **out, const char *name, const char *text,
                        char *err, size_t errlen);
/* A configuration with no entries: every getter yields its default. */
struct ag_conf *ag_conf_new_empty(void);
void ag_conf_free(struct ag_conf *c);
const char *ag_conf_path(const struct ag_conf *c);

/* Getters: return 1 if the key was set (value stored), 0 if absent (out
 * untouched, so callers pre-load defaults), -1 on a bad value (err says
 * "FILE:LINE: [section] key: expected ..., got '...'"). */
int ag_conf_str(const struct ag_conf *c, const char *section, const char *key,
                const char **out, char *err, size_t errlen);
int ag_conf_u64(const struct ag_conf *c, const char *section, const char *key,
                uint64_t min, uint64_t max, uint64_t *out, char *err, size_t errlen);
int ag_conf_bool(const struct ag_conf *c, const char *section, const char *key,
                 int *out, char *err, size_t errlen);
/* Durations: "90", "90s", "15m", "6h", "1d", "250ms"; stored as ms. */
int ag_conf_duration_ms(const struct ag_conf *c, const char *section, const char *key,
                        int64_t min_ms, int64_t max_ms, int64_t *out, char *err,
                        size_t errlen);
/* A file mode in octal ("0600", "640"), from 0600 to 0777: the owner must
 * be able to read and write what authguard writes. */
int ag_conf_file_mode(const struct ag_conf *c, const char *section, const char *key,
                      unsigned *out, char *err, size_t errlen);
/* One of choices (NULL-terminated); *out is the index. */
int ag_conf_enum(const struct ag_conf *c, const char *section, const char *key,
                 const char *const *choices, int *out, char *err, size_t errlen);

/* Calls fn for every key of section starting with prefix (prefix stripped),
 * marking them used; fn returns nonzero to stop with that value. */
int ag_conf_each(const struct ag_conf *c, const char *section, const char *prefix,
                 int (*fn)(void *ud, const char *key, const char *value, int line),
                 void *ud);

/* Was [section] present at all (e.g. to enable a sink)? Marks nothing. */
int ag_conf_has_section(const struct ag_conf *c, const char *section);

/* Reports the first key no module read in section (a name ending in '.'
 * covers every section with that prefix; "" covers all). 0 or -1. */
int ag_conf_check_unused(const struct ag_conf *c, const char *section_prefix, char *err,
                         size_t errlen);
/* Reports the first section whose name matches none of known (NULL-ended;
 * an entry ending in '.' matches any section with that prefix). */
int ag_conf_check_sections(const struct ag_conf *c, const char *const *known, char *err,
                           size_t errlen);

/* ---- key tables ----------------------------------------------------------
 * Each module declares the keys of its section once, in a table beside its
 * reader, as fluent-bit's config_map[] and rsyslog's cnfparamdescr[] do:
 * name, type, bounds, default and one line of help. ag_conf_read() fills a
 * struct through it (defaults first, then the file, with the getters'
 * messages); `authguard config --defaults`, the man page and the test of
 * the shipped authguard.conf are printed from, or checked against, the
 * same tables. */

enum ag_conf_type {
    AG_CONF_BOOL,     /* int-sized field: on/off */
    AG_CONF_UINT,     /* unsigned field of any width, from min to max */
    AG_CONF_DURATION, /* int64_t milliseconds, min and max in ms */
    AG_CONF_SECONDS,  /* unsigned seconds, min and max in ms as for durations */
    AG_CONF_ENUM,     /* unsigned or int field: the index of the value in choices */
    AG_CONF_MODE,     /* unsigned: an octal file mode from 0600 to 0777 */
    AG_CONF_STRING,   /* const char *, pointing into the configuration or at def */
    AG_CONF_PATH,     /* a string naming a file */
    AG_CONF_LIST,     /* a string of items separated by blanks or commas */
    AG_CONF_CIDRS,    /* a list of CIDRs such as 10.0.0.0/8 2001:db8::/32 */
    AG_CONF_PREFIX,   /* name is "PREFIX*": keys passed on, read by the module */
};

struct ag_conf_key {
    const char *name;
    enum ag_conf_type type;
    size_t offset, size;          /* the field in the struct ag_conf_read() fills */
    uint64_t min, max;            /* UINT; DURATION and SECONDS in milliseconds */
    const char *const *choices;   /* ENUM, NULL-terminated */
    const char *def;              /* the default as written in authguard.conf;
                                     NULL: none (required, or decided at run time) */
    const char *help;             /* one line */
};

/* offset and size of a field, for the table's second and third members. */
#define AG_CONF_FIELD(type, member) offsetof(type, member), sizeof(((type *)0)->member)

/* A section and its table (ended by a key with a NULL name). */
struct ag_conf_section {
    const char *name;
    const char *help;             /* what the section is for, one or two lines */
    const struct ag_conf_key *keys;
};

/* Fills the struct at out from [section] through keys: each field gets its
 * default (zero or NULL without one), then the file's value if set. 0, or
 * -1 with the getters' error. */
int ag_conf_read(const struct ag_conf *c, const char *section, const struct ag_conf_key *keys,
                 void *out, char *err, size_t errlen);
/* The key of the table named name, or NULL (a PREFIX entry matches its keys). */
const struct ag_conf_key *ag_conf_key_find(const struct ag_conf_key *keys, const char *name);
/* "a whole number from 1 to 16", "one of auto | sigv4 | bearer": what a value may be. */
void ag_conf_key_describe(const struct ag_conf_key *k, char *buf, size_t n);
/* The section in authguard.conf syntax, every key commented out with its
 * default and help: "#key = default", or "# key =" when there is none. */
void ag_conf_print_defaults(FILE *f, const struct ag_conf_section *s);
/* The section as a man(7) list: each key in bold with its type, default, help. */
void ag_conf_print_man(FILE *f, const struct ag_conf_section *s);

/* 90000 -> "90s", 3600000 -> "1h": the largest unit that divides ms. */
void ag_conf_format_duration(char *buf, size_t n, uint64_t ms);

/* Parsers behind the getters, for values that come from elsewhere. */
int ag_parse_duration_ms(const char *s, int64_t *out);
int ag_parse_bool(const char *s, int *out);

#endif
