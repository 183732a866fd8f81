/* journald.h - the journald input: reads the auth entries of the systemd
 * journal (or of a directory of journal files) with sd_journal, and keeps
 * its place in a cursor file so that a restart loses and repeats nothing.
 *
 * One reader belongs to one thread; sd_journal objects are not shared. */
#ifndef AG_JOURNALD_H
#define AG_JOURNALD_H

#include <stddef.h>
#include <stdint.h>

#include "conf/conf.h"

#define AG_JOURNALD_SECTION "input.journald"
#define AG_JOURNALD_CURSOR_MAX 512
#define AG_JOURNALD_PATH_MAX 4096

/* [input.journald]; the section enables the input. */
struct ag_journald_config {
    int enabled;                            /* enabled = on (default) */
    char directory[AG_JOURNALD_PATH_MAX];   /* "": the local system journal */
    char cursor_file[AG_JOURNALD_PATH_MAX]; /* "": keep no position */
    unsigned cursor_every;                  /* save after this many entries */
    int from_head;                          /* without a cursor: 1 head, 0 tail */
};

#define AG_JOURNALD_CURSOR_FILE "/var/lib/authguard/journald.cursor"
#define AG_JOURNALD_CURSOR_EVERY 100

/* The keys of [input.journald]. */
extern const struct ag_conf_section ag_journald_section;

/* Reads [input.journald] into jc (defaults first). 1: the section is there,
 * 0: it is not (jc holds the defaults), -1: a bad value (err says where). */
int ag_journald_config_load(const struct ag_conf *c, struct ag_journald_config *jc,
                            char *err, size_t errlen);

/* One journal entry, as the recognizers take it; valid during the call. */
struct ag_journald_entry {
    const char *program;   /* SYSLOG_IDENTIFIER, else _COMM */
    size_t plen;
    uint32_t pid;          /* SYSLOG_PID, else _PID; 0 unknown */
    const char *host;      /* _HOSTNAME */
    size_t hlen;
    int64_t time_ms;       /* the entry's realtime */
    const char *msg;       /* MESSAGE */
    size_t mlen;
};

typedef void (*ag_journald_entry_fn)(void *ud, const struct ag_journald_entry *e);

struct ag_journald;

/* Opens the journal with the auth matches and positions it: after the
 * entry named in the cursor file, else at the head or the tail. A cursor
 * file that cannot be used is not fatal: ag_journald_note() says why. */
int ag_journald_open(struct ag_journald **out, const struct ag_journald_config *jc,
                     char *err, size_t errlen);

/* What open fell back on ("" if nothing), for the log. */
const char *ag_journald_note(const struct ag_journald *j);

/* Hands at most max entries that follow the position to fn, stopping
 * early where a cursor save is due. Returns how many, or a negative errno. */
int ag_journald_read(struct ag_journald *j, unsigned max, ag_journald_entry_fn fn, void *ud);

/* Waits at most timeout_ms for the journal to change, and takes in files
 * added, rotated or vacuumed meanwhile. 0 or a negative errno. */
int ag_journald_wait(struct ag_journald *j, int timeout_ms);

/* Entries read since the cursor was last saved reach cursor_every. */
int ag_journald_save_due(const struct ag_journald *j);

/* Writes the position (the last entry read) to the cursor file atomically:
 * temporary file, fsync, rename, fsync of the directory. 0 if there is
 * nothing to write; -1 with err. */
int ag_journald_save_cursor(struct ag_journald *j, char *err, size_t errlen);

void ag_journald_close(struct ag_journald *j);

/* Cursor files on their own (used by the reader; exposed for tests). */
int ag_cursor_write(const char *path, const char *cursor, char *err, size_t errlen);
/* 1 read into buf, 0 no file, -1 unreadable (err). */
int ag_cursor_read(const char *path, char *buf, size_t buflen, char *err, size_t errlen);

#endif
