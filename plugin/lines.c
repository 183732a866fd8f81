/* lines.c - the one line splitter; see lines.h for what a line is.
 *
 * Every decision depends on the bytes alone: a line is kept or dropped at
 * its "\n" by its length, and a line still without its "\n" is dropped
 * early only once it is certain to end over the limit whatever comes next
 * (too_long), so a read that cuts anywhere changes nothing. */
#include "plugin/lines.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int ag_lines_init(struct ag_lines *r, int fd, size_t max, size_t chunk)
{
    memset(r, 0, sizeof *r);
    r->fd = fd;
    r->max = max;
    /* A line under way holds at most max + 1 bytes (its text and a "\r"
     * whose "\n" has not come yet), so a chunk always fits after it. */
    r->cap = max + 1 + (chunk ? chunk : 1);
    r->buf = malloc(r->cap);
    return r->buf ? 0 : -1;
}

void ag_lines_free(struct ag_lines *r)
{
    free(r->buf);
    r->buf = NULL;
}

static void empty(struct ag_lines *r)
{
    r->start = r->end = r->scanned = 0;
    r->skipping = 0;
}

void ag_lines_reset(struct ag_lines *r, int fd)
{
    empty(r);
    r->fd = fd;
    r->eof = 0;
    r->err = 0;
}

/* A line of n bytes so far, without its "\n": over max whatever follows?
 * Only a "\n" right after a final "\r" can still make it one byte shorter. */
static int too_long(const struct ag_lines *r, const char *p, size_t n)
{
    return n - (n > 0 && p[n - 1] == '\r') > r->max;
}

static int emit(const struct ag_lines *r, const char *p, size_t n, const char **line,
                size_t *len)
{
    if (n > 0 && p[n - 1] == '\r')
        n--;
    if (n > r->max)
        return AG_LINES_OVERSIZE;
    *line = p;
    *len = n;
    return AG_LINES_LINE;
}

int ag_lines_take(struct ag_lines *r, const char **line, size_t *len)
{
    char *p = r->buf + r->start;
    size_t avail = r->end - r->start;
    char *nl = avail > r->scanned ? memchr(p + r->scanned, '\n', avail - r->scanned) : NULL;
    if (!nl) {
        if (!r->skipping && too_long(r, p, avail))
            r->skipping = 1;
        if (r->skipping) {
            r->start = r->end = 0; /* its bytes are not needed: drop them now */
            avail = 0;
        }
        r->scanned = avail;
        return AG_LINES_MORE;
    }
    size_t n = (size_t)(nl - p);
    r->start += n + 1;
    r->scanned = 0;
    if (r->skipping) {
        r->skipping = 0;
        return AG_LINES_OVERSIZE;
    }
    return emit(r, p, n, line, len);
}

int ag_lines_finish(struct ag_lines *r, const char **line, size_t *len)
{
    int rc = ag_lines_take(r, line, len);
    if (rc != AG_LINES_MORE)
        return rc;
    const char *p = r->buf + r->start;
    size_t avail = r->end - r->start;
    int skipping = r->skipping;
    empty(r); /* the bytes stay where they are until the next fill */
    if (skipping)
        return AG_LINES_OVERSIZE;
    if (avail == 0)
        return AG_LINES_EOF;
    return emit(r, p, avail, line, len);
}

/* Moves the line under way to the front: room for a chunk after it. */
static size_t make_room(struct ag_lines *r)
{
    if (r->start > 0) {
        size_t keep = r->end - r->start;
        if (keep > 0)
            memmove(r->buf, r->buf + r->start, keep);
        r->start = 0;
        r->end = keep;
    }
    return r->cap - r->end;
}

ssize_t ag_lines_fill(struct ag_lines *r)
{
    size_t room = make_room(r);
    if (room == 0) {
        errno = ENOBUFS; /* take was not called: never read 0 bytes as EOF */
        return -1;
    }
    ssize_t n = read(r->fd, r->buf + r->end, room);
    if (n > 0) {
        r->end += (size_t)n;
        r->bytes += (uint64_t)n;
    }
    return n;
}

size_t ag_lines_feed(struct ag_lines *r, const char *p, size_t n)
{
    size_t room = make_room(r);
    if (n > room)
        n = room;
    memcpy(r->buf + r->end, p, n);
    r->end += n;
    r->bytes += n;
    return n;
}

int ag_lines_next(struct ag_lines *r, const char **line, size_t *len)
{
    for (;;) {
        int rc = r->eof ? ag_lines_finish(r, line, len) : ag_lines_take(r, line, len);
        if (rc != AG_LINES_MORE)
            return rc;
        ssize_t n = ag_lines_fill(r);
        if (n == 0) {
            r->eof = 1;
        } else if (n < 0) {
            if (errno == EINTR)
                return AG_LINES_INTR;
            r->err = errno;
            return AG_LINES_ERROR;
        }
    }
}
