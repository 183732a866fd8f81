/* lines.c - buffered line splitting over read(); see lines.h. */
#include "plugin/lines.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "filters/event.h"

#define LINES_BUF (AG_LINES_CHUNK + AG_LINE_MAX)

int ag_lines_open(struct ag_lines *r, int fd)
{
    memset(r, 0, sizeof *r);
    r->fd = fd;
    r->buf = malloc(LINES_BUF);
    return r->buf ? 0 : -ENOMEM;
}

void ag_lines_close(struct ag_lines *r)
{
    free(r->buf);
    r->buf = NULL;
}

/* Moves the unconsumed tail to the front and reads more after it. */
static int refill(struct ag_lines *r)
{
    size_t keep = r->end - r->start;
    if (r->start > 0 && keep > 0)
        memmove(r->buf, r->buf + r->start, keep);
    r->start = 0;
    r->end = keep;
    for (;;) {
        ssize_t n = read(r->fd, r->buf + r->end, LINES_BUF - r->end);
        if (n > 0) {
            r->end += (size_t)n;
            r->bytes += (uint64_t)n;
            return 1;
        }
        if (n == 0) {
            r->eof = 1;
            return 0;
        }
        if (errno != EINTR) {
            r->err = errno;
            return -1;
        }
    }
}

static int emit(struct ag_lines *r, const char *p, size_t n, const char **line,
                size_t *len)
{
    if (n > 0 && p[n - 1] == '\r')
        n--;
    *line = p;
    *len = n;
    return AG_LINES_LINE;
}

int ag_lines_next(struct ag_lines *r, const char **line, size_t *len)
{
    for (;;) {
        char *p = r->buf + r->start;
        size_t avail = r->end - r->start;
        char *nl = avail ? memchr(p, '\n', avail) : NULL;
        if (nl) {
            size_t n = (size_t)(nl - p);
            r->start += n + 1;
            if (r->skipping) {
                r->skipping = 0;
                continue; /* the tail of an oversize line already reported */
            }
            if (n > AG_LINE_MAX)
                return AG_LINES_OVERSIZE;
            return emit(r, p, n, line, len);
        }
        if (avail > AG_LINE_MAX) {
            /* No newline within a maximum line: report once, then drop. */
            r->start = r->end;
            if (!r->skipping) {
                r->skipping = 1;
                return AG_LINES_OVERSIZE;
            }
            continue;
        }
        if (r->eof) {
            if (avail == 0 || r->skipping) {
                r->start = r->end;
                return AG_LINES_EOF;
            }
            r->start = r->end; /* last line without a newline */
            return emit(r, p, avail, line, len);
        }
        if (refill(r) < 0)
            return AG_LINES_ERROR;
    }
}
