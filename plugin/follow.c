/* follow.c - log files followed through rotation and truncation by
 * polling, their lines split by lines.c; see follow.h.
 * Polling (a read and a stat per call) instead of inotify keeps one code
 * path for every file system, network ones included. */
#include "plugin/follow.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- following a path --------------------------------------------------------- */

/* Closes fd keeping errno; -1. */
static int drop_fd(int fd)
{
    int e = errno;
    close(fd);
    errno = e;
    return -1;
}

/* f reads fd (taken over) from byte off, or from its end when off < 0.
 * 0, or -1 with errno (fd closed). */
static int adopt(struct ag_follow *f, int fd, off_t off)
{
    struct stat st;
    if (fstat(fd, &st) != 0)
        return drop_fd(fd);
    if (off < 0)
        off = st.st_size;
    if (off > 0 && lseek(fd, off, SEEK_SET) != off)
        return drop_fd(fd);
    f->fd = fd;
    f->dev = st.st_dev;
    f->ino = st.st_ino;
    f->off = f->done = off;
    f->head_ok = 0;
    ag_lines_reset(&f->lb, fd);
    return 0;
}

static void reopen(struct ag_follow *f, int at_end)
{
    int fd = open(f->path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd >= 0)
        adopt(f, fd, at_end ? -1 : 0);
}

static int init(struct ag_follow *f, const char *path, int from_head)
{
    memset(f, 0, sizeof *f);
    f->fd = -1;
    if (strlen(path) >= sizeof f->path) {
        errno = ENAMETOOLONG;
        return -1;
    }
    strcpy(f->path, path);
    f->from_head = from_head;
    return ag_lines_init(&f->lb, -1, AG_LINE_MAX, AG_FOLLOW_CHUNK);
}

int ag_follow_open(struct ag_follow *f, const char *path, int from_head)
{
    if (init(f, path, from_head) < 0)
        return -1;
    reopen(f, !from_head);
    return 0;
}

int ag_follow_open_fd(struct ag_follow *f, const char *path, int fd, off_t off)
{
    if (init(f, path, 1) < 0)
        return drop_fd(fd);
    if (adopt(f, fd, off) < 0) {
        int e = errno;
        ag_lines_free(&f->lb);
        errno = e;
        return -1;
    }
    return 0;
}

/* A line (or an oversize one, as NULL) to fn; done moves past it. */
static void hand_out(struct ag_follow *f, int rc, const char *line, size_t len, ag_line_fn fn,
                     void *ud)
{
    f->done = f->off - (off_t)ag_lines_pending(&f->lb);
    f->lines++;
    if (rc == AG_LINES_LINE)
        fn(ud, line, len);
    else
        fn(ud, NULL, 0);
}

static ssize_t drain(struct ag_follow *f, size_t max_bytes, ag_line_fn fn, void *ud)
{
    size_t total = 0;
    const char *line;
    size_t len;
    int rc;
    while (total < max_bytes) {
        ssize_t n = ag_lines_fill(&f->lb);
        if (n <= 0)
            break;
        total += (size_t)n;
        f->off += n;
        /* done moves per line: a later oversize line empties the buffer
         * and must not move it past the lines before it. */
        while ((rc = ag_lines_take(&f->lb, &line, &len)) != AG_LINES_MORE)
            hand_out(f, rc, line, len, fn, ud);
        if (!f->lb.skipping)
            f->done = f->off - (off_t)ag_lines_pending(&f->lb);
    }
    return (ssize_t)total;
}

/* The file is finished: its last line counts even without a newline. */
static void finish(struct ag_follow *f, ag_line_fn fn, void *ud)
{
    const char *line;
    size_t len;
    int rc;
    drain(f, SIZE_MAX, fn, ud);
    while ((rc = ag_lines_finish(&f->lb, &line, &len)) != AG_LINES_EOF)
        hand_out(f, rc, line, len, fn, ud);
    close(f->fd);
    f->fd = -1;
}

int ag_follow_queue(struct ag_follow *f, int fd)
{
    if (f->queued == AG_FOLLOW_QUEUE)
        return -1;
    f->queue[f->queued++] = fd;
    return 0;
}

/* The open file is finished: the first queued one takes its place. */
static void next_queued(struct ag_follow *f)
{
    while (f->queued > 0 && f->fd < 0) {
        int fd = f->queue[0];
        memmove(f->queue, f->queue + 1, --f->queued * sizeof *f->queue);
        adopt(f, fd, 0);
    }
}

/* The open file was rotated away: finish it, go on with the next. */
static void move_on(struct ag_follow *f, ag_line_fn fn, void *ud)
{
    finish(f, fn, ud);
    f->rotations++;
    next_queued(f);
    if (f->fd < 0)
        reopen(f, 0);
}

/* At end of file: has the path been rotated away or the file truncated?
 * While files are queued, the open one is not path's: it is finished as
 * soon as it ends. */
static void check_path(struct ag_follow *f, ag_line_fn fn, void *ud)
{
    struct stat st, cur;
    if (f->queued > 0) {
        move_on(f, fn, ud);
        return;
    }
    if (stat(f->path, &st) != 0)
        return; /* rotated, the new one not created yet: keep the old */
    if (st.st_dev != f->dev || st.st_ino != f->ino) {
        move_on(f, fn, ud);
        return;
    }
    if (fstat(f->fd, &cur) == 0 && cur.st_size < f->off) {
        f->truncations++;
        lseek(f->fd, 0, SEEK_SET);
        f->off = f->done = 0;
        f->head_ok = 0;
        ag_lines_reset(&f->lb, f->fd);
    }
}

ssize_t ag_follow_poll(struct ag_follow *f, size_t max_bytes, ag_line_fn fn, void *ud)
{
    if (f->fd < 0) {
        /* Not there at start: it is new, so read it whole when it comes. */
        reopen(f, 0);
        if (f->fd < 0)
            return 0;
    }
    ssize_t n = drain(f, max_bytes, fn, ud);
    if (n == 0)
        check_path(f, fn, ud);
    return n;
}

void ag_follow_close(struct ag_follow *f)
{
    if (f->fd >= 0)
        close(f->fd);
    f->fd = -1;
    while (f->queued > 0)
        close(f->queue[--f->queued]);
    ag_lines_free(&f->lb);
}
