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

/* Parsers behind the getters, for values that come from elsewhere. */
int ag_parse_duration_ms(const char *s, int64_t *out);
int ag_parse_bool(const char *s, int *out);

#endif
