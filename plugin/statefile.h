/* statefile.h - small state files (the journal cursor, the file positions)
 * written so that a crash at any moment leaves either the old content or
 * the new one, never a mix: temporary file, fsync, rename, fsync of the
 * directory. The temporary file gets a fresh name (mkstemp), so nothing
 * planted in the directory is ever opened for writing. */
#ifndef AG_STATEFILE_H
#define AG_STATEFILE_H

#include <stddef.h>

/* Replaces path's content with data[0..len) atomically, mode 0600, through
 * "<path>.XXXXXX". what names the file in messages ("cursor file"). 0, or
 * -1 with err. */
int ag_statefile_write(const char *path, const char *what, const char *data, size_t len,
                       char *err, size_t errlen);

/* Reads at most buflen - 1 bytes of path into buf, NUL-terminated, with
 * *len the bytes read: 1 read, 0 no such file, -1 unreadable (err; a
 * symbolic link is not followed). A file of buflen - 1 bytes or more fills
 * buf: the caller decides whether that is too long. */
int ag_statefile_read(const char *path, const char *what, char *buf, size_t buflen,
                      size_t *len, char *err, size_t errlen);

/* Writes all of p[0..n) to fd, through short writes and EINTR: 0, or -1
 * with errno. */
int ag_write_all(int fd, const char *p, size_t n);

#endif
