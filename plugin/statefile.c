/* statefile.c - atomic replacement and whole reads of small state files;
 * see statefile.h. Shared by the journald cursor and the file positions so
 * that both get the same crash guarantees. */
#include "plugin/statefile.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The rename is durable only once the directory entry is on disk. */
static int fsync_dir_of(const char *path)
{
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", path);
    int fd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

int ag_write_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

int ag_statefile_write(const char *path, const char *what, const char *data, size_t len,
                       char *err, size_t errlen)
{
    /* A fresh name, created exclusively: a name planted in the directory
     * (a symbolic link at "<path>.tmp" to some victim) is never opened. */
    char tmp[PATH_MAX + 8];
    int n = snprintf(tmp, sizeof tmp, "%s.XXXXXX", path);
    if (n < 0 || (size_t)n >= sizeof tmp) {
        snprintf(err, errlen, "%s %s: path too long", what, path);
        return -1;
    }
    int fd = mkostemp(tmp, O_CLOEXEC); /* mode 0600 */
    if (fd < 0) {
        snprintf(err, errlen, "%s %s: cannot create a temporary file beside it: %s", what,
                 path, strerror(errno));
        return -1;
    }
    int ok = ag_write_all(fd, data, len) == 0 && fsync(fd) == 0;
    int e = errno;
    if (close(fd) != 0 && ok) {
        ok = 0;
        e = errno;
    }
    /* rename() is atomic: a crash leaves the old content or the new one. */
    if (!ok || rename(tmp, path) != 0) {
        e = ok ? errno : e;
        unlink(tmp);
        snprintf(err, errlen, "%s %s: %s", what, path, strerror(e));
        return -1;
    }
    fsync_dir_of(path);
    return 0;
}

int ag_statefile_read(const char *path, const char *what, char *buf, size_t buflen,
                      size_t *len, char *err, size_t errlen)
{
    *len = 0;
    buf[0] = '\0';
    /* authguard writes it by rename: a symbolic link there is not its own. */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        if (errno == ENOENT)
            return 0;
        snprintf(err, errlen, "%s %s: %s", what, path,
                 errno == ELOOP ? "a symbolic link, not read" : strerror(errno));
        return -1;
    }
    size_t got = 0;
    while (got < buflen - 1) {
        ssize_t r = read(fd, buf + got, buflen - 1 - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            int e = errno;
            close(fd);
            snprintf(err, errlen, "%s %s: %s", what, path, strerror(e));
            return -1;
        }
        if (r == 0)
            break;
        got += (size_t)r;
    }
    close(fd);
    buf[got] = '\0';
    *len = got;
    return 1;
}
