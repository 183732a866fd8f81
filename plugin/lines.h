/* lines.h - splits a file descriptor into lines with large reads and one
 * memchr per line, the way `authguard scan` and the file input read logs.
 *
 * A line longer than AG_LINE_MAX is not buffered whole: its bytes are
 * skipped up to the next newline and it is reported once as oversize, so a
 * hostile 1 GiB "line" costs no memory. A trailing "\r" is dropped. */
#ifndef AG_LINES_H
#define AG_LINES_H

#include <stddef.h>
#include <stdint.h>

#define AG_LINES_CHUNK (1u << 20)

struct ag_lines {
    int fd;
    char *buf;        /* AG_LINES_CHUNK + AG_LINE_MAX bytes */
    size_t start;     /* first unconsumed byte */
    size_t end;       /* one past the last byte read */
    int eof;
    int skipping;     /* inside an oversize line: drop bytes until '\n' */
    int err;          /* errno of a failed read, 0 otherwise */
    uint64_t bytes;   /* bytes read so far */
};

int ag_lines_open(struct ag_lines *r, int fd);
void ag_lines_close(struct ag_lines *r);

enum ag_lines_result { AG_LINES_EOF = 0, AG_LINES_LINE = 1, AG_LINES_OVERSIZE = 2,
                       AG_LINES_ERROR = -1 };

/* Next line: *line and *len valid until the next call. Returns an enum
 * ag_lines_result; AG_LINES_OVERSIZE reports a skipped line (no text). */
int ag_lines_next(struct ag_lines *r, const char **line, size_t *len);

#endif
