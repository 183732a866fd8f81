/* filepos.h - the position file of the file input of `authguard run`:
 * where each followed path stopped (device, inode, offset after the last
 * complete line handed out, a hash of the file's first bytes), and how a
 * restart picks up there, also when the file was rotated or truncated
 * while authguard was not running.
 *
 * Format, one text line per followed path after a version line:
 *
 *   # authguard file positions 1
 *   DEV INO OFFSET HEAD_LEN HEAD_HASH PATH
 *
 * decimal numbers, HEAD_HASH 16 hex digits (FNV-1a 64 of the first
 * HEAD_LEN bytes, HEAD_LEN = min(1024, OFFSET)), PATH to the end of the
 * line. DEV and INO both 0: the path did not exist at the save.
 *
 * At start, for a path with a saved line:
 *   - the file at the path is the saved one (device, inode, first bytes)
 *     and holds at least OFFSET bytes: read on from OFFSET;
 *   - else the saved file is looked for beside the path under a rotated
 *     name (PATH.1, PATH-20250101, ...: same device and inode, or for
 *     `copytruncate` a copy with the same first bytes and at least OFFSET
 *     bytes): its rest is read from OFFSET, then the files rotated in
 *     between (rotated siblings last written after it, oldest first, up to
 *     AG_FOLLOW_QUEUE; compressed ones are named as lost), then the path
 *     from its start;
 *   - else (replaced, truncated, the old file deleted or compressed) the
 *     path is read from its start, and what the old file got after OFFSET
 *     is lost;
 *   - saved as missing: the path, if it exists now, is read from its start.
 * A path without a saved line starts as configured (`from`). */
#ifndef AG_FILEPOS_H
#define AG_FILEPOS_H

#include <stddef.h>
#include <stdint.h>

#include "plugin/follow.h"

#define AG_FILEPOS_HEAD 1024    /* first bytes hashed to tell files apart */
#define AG_FILEPOS_MAX 64       /* lines a position file may hold */
#define AG_FILEPOS_LINE_MAX (sizeof ((struct ag_follow *)0)->path + 96)
#define AG_FILEPOS_VERSION "# authguard file positions 1"

struct ag_filepos {
    uint64_t dev, ino;          /* both 0: the path did not exist */
    uint64_t off;
    uint32_t head_len;
    uint64_t head_hash;
    char path[sizeof ((struct ag_follow *)0)->path];
};

/* FNV-1a 64 of n bytes. */
uint64_t ag_filepos_hash(const void *p, size_t n);

/* Where f stands now, for a save; hashes the file's first bytes when they
 * are not known yet (a pread on f's descriptor). */
void ag_filepos_of(struct ag_follow *f, struct ag_filepos *out);

/* The position file's text for n positions into buf: its length, or 0 if
 * cap is too small. */
size_t ag_filepos_format(const struct ag_filepos *pos, size_t n, char *buf, size_t cap);

/* Parses a position file's text (file names it in messages) into at most
 * max positions (*n). Lines that do not parse are skipped; the first is
 * described in err as "FILE:LINE: ...". Returns how many were skipped, or
 * -1 when the text is not a position file at all (nothing is taken). */
int ag_filepos_parse(const char *text, const char *file, struct ag_filepos *pos, size_t max,
                     size_t *n, char *err, size_t errlen);

/* Reads the position file: 0 (also when there is none: *n = 0), the
 * number of lines skipped (err says which first), or -1 when it cannot be
 * read or is not a position file (err; *n = 0). */
int ag_filepos_load(const char *file, struct ag_filepos *pos, size_t max, size_t *n,
                    char *err, size_t errlen);

/* Writes the positions of n followed files to file atomically
 * (statefile.h). 0, or -1 with err. */
int ag_filepos_save(const char *file, struct ag_follow *f, size_t n, char *err, size_t errlen);

/* The saved position of path among n, or NULL. */
const struct ag_filepos *ag_filepos_find(const struct ag_filepos *pos, size_t n,
                                         const char *path);

/* Opens f on path as described at the top: from saved when it can, else
 * as ag_follow_open(from_head) would (saved NULL: no saved position).
 * note gets a sentence for the log ("" when nothing needs saying). 0, or
 * -1 with errno as ag_follow_open. */
int ag_filepos_open(struct ag_follow *f, const char *path, int from_head,
                    const struct ag_filepos *saved, char *note, size_t notelen);

#endif
