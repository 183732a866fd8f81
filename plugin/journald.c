/* journald.c - sd_journal reader for the auth programs and facilities,
 * with a cursor file written atomically, so that a restart resumes after
 * the last entry read; see journald.h. */
#include "plugin/journald.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-journal.h>

#include "filters/event.h"
#include "plugin/statefile.h"

/* sd_journal_get_data's pointers are valid only until the next call, so
 * each field is copied into a bounded buffer of its own. */
struct fields {
    char program[64], host[256], msg[AG_LINE_MAX];
};

struct ag_journald {
    sd_journal *j;
    struct fields fb;
    char cursor_file[AG_JOURNALD_PATH_MAX];
    unsigned every;
    unsigned since_save;    /* entries read since the last save */
    int skip_first;         /* the first entry may be the one the cursor names */
    char resume[AG_JOURNALD_CURSOR_MAX];
    char cursor[AG_JOURNALD_CURSOR_MAX]; /* the last entry read; "" none yet */
    char saved[AG_JOURNALD_CURSOR_MAX];  /* what the file holds */
    char note[AG_CONF_ERRLEN + 64];
};

/* Programs whose lines the recognizers know, by either name field. */
static const char *const programs[] = {"sshd", "sshd-session", "sshd-auth", "sudo",
                                       "su", "login", NULL};

/* ---- configuration ------------------------------------------------------- */

static int copy_path(char *dst, const char *key, const char *v, char *err, size_t errlen)
{
    if (strlen(v) >= AG_JOURNALD_PATH_MAX) {
        snprintf(err, errlen, "[%s] %s: path longer than %d bytes", AG_JOURNALD_SECTION, key,
                 AG_JOURNALD_PATH_MAX - 1);
        return -1;
    }
    strcpy(dst, v);
    return 0;
}

/* [input.journald], read here and copied into struct ag_journald_config. */
struct journald_keys {
    int enabled, from;
    const char *directory, *cursor_file;
    uint64_t cursor_every;
};

#define JOURNALD_FIELD(m) AG_CONF_FIELD(struct journald_keys, m)
static const char *const from_modes[] = {"tail", "head", NULL};
static const struct ag_conf_key journald_keys[] = {
    {"enabled", AG_CONF_BOOL, JOURNALD_FIELD(enabled), .def = "on",
     .help = "Read the journal (the section alone enables it)."},
    {"directory", AG_CONF_PATH, JOURNALD_FIELD(directory),
     .help = "A directory of journal files instead of the local journal."},
    {"cursor_file", AG_CONF_PATH, JOURNALD_FIELD(cursor_file), .def = AG_JOURNALD_CURSOR_FILE,
     .help = "The position, written atomically; empty: keep none."},
    {"cursor_every", AG_CONF_UINT, JOURNALD_FIELD(cursor_every), 1, 1000000, .def = "100",
     .help = "Entries between two saves of the cursor (and at exit)."},
    {"from", AG_CONF_ENUM, JOURNALD_FIELD(from), .choices = from_modes, .def = "tail",
     .help = "Where to start without a cursor: tail (only new entries) or head."},
    {.name = NULL}};

const struct ag_conf_section ag_journald_section = {
    AG_JOURNALD_SECTION, "`authguard run`: the auth entries of the systemd journal.",
    journald_keys};

int ag_journald_config_load(const struct ag_conf *c, struct ag_journald_config *jc,
                            char *err, size_t errlen)
{
    struct journald_keys k;
    memset(jc, 0, sizeof *jc);
    if (ag_conf_read(c, AG_JOURNALD_SECTION, journald_keys, &k, err, errlen) < 0 ||
        copy_path(jc->directory, "directory", k.directory ? k.directory : "", err,
                  errlen) < 0 ||
        copy_path(jc->cursor_file, "cursor_file", k.cursor_file, err, errlen) < 0)
        return -1;
    jc->enabled = k.enabled;
    jc->cursor_every = (unsigned)k.cursor_every;
    jc->from_head = k.from == 1;
    return ag_conf_has_section(c, AG_JOURNALD_SECTION);
}

/* ---- cursor file ---------------------------------------------------------- */

/* The cursor and its newline go out in one atomic replacement. */
int ag_cursor_write(const char *path, const char *cursor, char *err, size_t errlen)
{
    size_t n = strlen(cursor);
    char *text = malloc(n + 1);
    if (!text) {
        snprintf(err, errlen, "cursor file %s: out of memory", path);
        return -1;
    }
    memcpy(text, cursor, n);
    text[n] = '\n';
    int rc = ag_statefile_write(path, "cursor file", text, n + 1, err, errlen);
    free(text);
    return rc;
}

int ag_cursor_read(const char *path, char *buf, size_t buflen, char *err, size_t errlen)
{
    size_t n;
    int rc = ag_statefile_read(path, "cursor file", buf, buflen, &n, err, errlen);
    if (rc <= 0)
        return rc;
    buf[strcspn(buf, "\r\n")] = '\0';
    if (!buf[0] || n == buflen - 1) {
        snprintf(err, errlen, "cursor file %s: %s", path, buf[0] ? "too long" : "empty");
        return -1;
    }
    return 1;
}

/* ---- opening ---------------------------------------------------------------- */

/* (SYSLOG_IDENTIFIER in programs) OR (_COMM in programs) OR (facility auth
 * or authpriv): one field's matches are ORed, different fields ANDed, so
 * each group ends with a disjunction. */
static int add_matches(sd_journal *j)
{
    static const char *const fields[] = {"SYSLOG_IDENTIFIER", "_COMM"};
    char m[64];
    int rc = 0;
    for (size_t f = 0; f < 2 && rc >= 0; f++) {
        for (size_t i = 0; programs[i] && rc >= 0; i++) {
            snprintf(m, sizeof m, "%s=%s", fields[f], programs[i]);
            rc = sd_journal_add_match(j, m, 0);
        }
        if (rc >= 0)
            rc = sd_journal_add_disjunction(j);
    }
    if (rc >= 0)
        rc = sd_journal_add_match(j, "SYSLOG_FACILITY=4", 0);
    if (rc >= 0)
        rc = sd_journal_add_match(j, "SYSLOG_FACILITY=10", 0);
    return rc;
}

static void position(struct ag_journald *jd, const struct ag_journald_config *jc)
{
    char err[AG_CONF_ERRLEN];
    int have = jc->cursor_file[0] ? ag_cursor_read(jc->cursor_file, jd->resume,
                                                     sizeof jd->resume, err, sizeof err)
                                  : 0;
    if (have > 0 && sd_journal_seek_cursor(jd->j, jd->resume) >= 0) {
        jd->skip_first = 1;
        snprintf(jd->saved, sizeof jd->saved, "%s", jd->resume);
        return;
    }
    if (have != 0)
        snprintf(jd->note, sizeof jd->note, "%s; reading from the %s",
                 have < 0 ? err : "cursor file holds no valid cursor",
                 jc->from_head ? "head" : "tail");
    if (jc->from_head) {
        sd_journal_seek_head(jd->j);
        return;
    }
    /* At the last entry, so that next() yields only what comes after it. */
    sd_journal_seek_tail(jd->j);
    sd_journal_previous(jd->j);
}

int ag_journald_open(struct ag_journald **out, const struct ag_journald_config *jc,
                     char *err, size_t errlen)
{
    struct ag_journald *jd = calloc(1, sizeof *jd);
    if (!jd) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    int rc = jc->directory[0] ? sd_journal_open_directory(&jd->j, jc->directory, 0)
                              : sd_journal_open(&jd->j, SD_JOURNAL_LOCAL_ONLY);
    if (rc < 0) {
        snprintf(err, errlen, "[%s] cannot open the journal%s%s: %s", AG_JOURNALD_SECTION,
                 jc->directory[0] ? " in " : "", jc->directory, strerror(-rc));
        free(jd);
        return -1;
    }
    if ((rc = add_matches(jd->j)) < 0) {
        snprintf(err, errlen, "[%s] journal matches: %s", AG_JOURNALD_SECTION, strerror(-rc));
        ag_journald_close(jd);
        return -1;
    }
    sd_journal_set_data_threshold(jd->j, AG_LINE_MAX + 16);
    snprintf(jd->cursor_file, sizeof jd->cursor_file, "%s", jc->cursor_file);
    jd->every = jc->cursor_every ? jc->cursor_every : 1;
    position(jd, jc);
    *out = jd;
    return 0;
}

const char *ag_journald_note(const struct ag_journald *j)
{
    return j->note;
}

/* ---- reading ---------------------------------------------------------------- */

/* The value of field in the current entry; 0 and len 0 when absent. */
static const char *field(sd_journal *j, const char *name, size_t *len)
{
    const void *d;
    size_t n, nl = strlen(name);
    *len = 0;
    if (sd_journal_get_data(j, name, &d, &n) < 0 || n <= nl)
        return NULL;
    *len = n - nl - 1;
    return (const char *)d + nl + 1;
}

static uint32_t pid_of(const char *s, size_t n)
{
    uint32_t v = 0;
    if (!s || n == 0 || n > 10)
        return 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return 0;
        v = v * 10 + (uint32_t)(s[i] - '0');
    }
    return v;
}


static size_t take(char *dst, size_t cap, const char *src, size_t n)
{
    if (n > cap)
        n = cap;
    if (n)
        memcpy(dst, src, n);
    return n;
}

static void deliver(struct ag_journald *jd, struct fields *fb, ag_journald_entry_fn fn,
                    void *ud)
{
    struct ag_journald_entry e = {0};
    uint64_t usec = 0;
    size_t n;
    const char *v = field(jd->j, "SYSLOG_IDENTIFIER", &n);
    if (!v)
        v = field(jd->j, "_COMM", &n);
    e.plen = take(fb->program, sizeof fb->program, v, n);
    e.program = fb->program;
    v = field(jd->j, "SYSLOG_PID", &n);
    e.pid = pid_of(v, n);
    if (!e.pid) {
        v = field(jd->j, "_PID", &n);
        e.pid = pid_of(v, n);
    }
    v = field(jd->j, "_HOSTNAME", &n);
    e.hlen = take(fb->host, sizeof fb->host, v, n);
    e.host = fb->host;
    v = field(jd->j, "MESSAGE", &n);
    e.mlen = take(fb->msg, sizeof fb->msg, v, n);
    e.msg = fb->msg;
    if (sd_journal_get_realtime_usec(jd->j, &usec) >= 0)
        e.time_ms = (int64_t)(usec / 1000);
    fn(ud, &e);
}

/* The entry the cursor names was read before the restart. */
static int already_read(struct ag_journald *jd)
{
    if (!jd->skip_first)
        return 0;
    jd->skip_first = 0;
    return sd_journal_test_cursor(jd->j, jd->resume) > 0;
}

static void remember_position(struct ag_journald *jd)
{
    char *c = NULL;
    if (sd_journal_get_cursor(jd->j, &c) >= 0 && c && strlen(c) < sizeof jd->cursor)
        strcpy(jd->cursor, c);
    free(c);
}

int ag_journald_read(struct ag_journald *jd, unsigned max, ag_journald_entry_fn fn, void *ud)
{
    unsigned got = 0;
    int rc = 0;
    /* Stop where a save is due, so that a crash repeats at most
     * cursor_every entries (unless saving fails: then read on). */
    if (jd->cursor_file[0] && jd->since_save < jd->every && jd->every - jd->since_save < max)
        max = jd->every - jd->since_save;
    while (got < max && (rc = sd_journal_next(jd->j)) > 0) {
        if (already_read(jd))
            continue;
        deliver(jd, &jd->fb, fn, ud);
        got++;
    }
    if (got) {
        remember_position(jd);
        jd->since_save += got;
    }
    return rc < 0 && !got ? rc : (int)got;
}

int ag_journald_wait(struct ag_journald *jd, int timeout_ms)
{
    /* SD_JOURNAL_INVALIDATE (files added or removed: rotation, vacuum) needs
     * nothing more: sd_journal has re-read the directory and next() carries
     * on from the position, which lives on in the entry's seqnum and time
     * even when its file is gone. */
    int rc = sd_journal_wait(jd->j, (uint64_t)timeout_ms * 1000);
    return rc < 0 ? rc : 0;
}

int ag_journald_save_due(const struct ag_journald *jd)
{
    return jd->cursor_file[0] && jd->since_save >= jd->every;
}

int ag_journald_save_cursor(struct ag_journald *jd, char *err, size_t errlen)
{
    if (!jd->cursor_file[0] || !jd->cursor[0] || !strcmp(jd->cursor, jd->saved))
        return 0;
    if (ag_cursor_write(jd->cursor_file, jd->cursor, err, errlen) < 0)
        return -1;
    strcpy(jd->saved, jd->cursor);
    jd->since_save = 0;
    return 0;
}

void ag_journald_close(struct ag_journald *jd)
{
    if (!jd)
        return;
    sd_journal_close(jd->j);
    free(jd);
}
