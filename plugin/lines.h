/* lines.h - the one line splitter of every input that reads a byte stream:
 * `scan` (files and stdin), `run`'s files (follow.c) and stdin, and the
 * stdin of `authguard rsyslog`. One splitter, so that replay equals live:
 * the lines an input yields depend on its bytes only, never on where
 * read(2) happened to cut them.
 *
 * What a line is:
 * - the bytes before a "\n", less one "\r" just before it;
 * - once the input has ended (ag_lines_finish), the bytes after the last
 *   "\n" too, if there are any (less a trailing "\r");
 * - a line is kept when it is at most `max` bytes, "\n" and "\r" not
 *   counted: with max = AG_LINE_MAX, a line of exactly AG_LINE_MAX bytes is
 *   kept, in "\n" or "\r\n" form, and one of AG_LINE_MAX + 1 is not. Every
 *   line handed out therefore fits the parser (ag_parse_line), whose limit
 *   is the same;
 * - a longer line is oversize: its bytes are dropped as they come, up to
 *   its end, so a hostile 1 GiB "line" costs no memory, and it is reported
 *   once, as AG_LINES_OVERSIZE, where it ends (its "\n", or the end of the
 *   input). Each line of the input thus gives exactly one result, in order.
 *
 * Bytes come in by read(2) from fd (ag_lines_fill, or ag_lines_next, which
 * blocks) or are copied in (ag_lines_feed). */
#ifndef AG_LINES_H
#define AG_LINES_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Read size of `authguard scan`: large reads, one memchr per line. */
#define AG_LINES_CHUNK (1u << 20)

struct ag_lines {
    int fd;
    char *buf;        /* cap = max + 1 + chunk bytes */
    size_t cap;
    size_t max;       /* the longest line kept, "\r\n" not counted */
    size_t start;     /* first byte not handed out */
    size_t end;       /* one past the last byte buffered */
    size_t scanned;   /* bytes after start known to hold no "\n" */
    int skipping;     /* inside an oversize line: its bytes are dropped */
    int eof;          /* ag_lines_next saw the end of fd */
    int err;          /* errno of a failed read, 0 otherwise */
    uint64_t bytes;   /* bytes taken in so far */
};

enum ag_lines_result {
    AG_LINES_ERROR = -1,    /* read failed: err says why */
    AG_LINES_EOF = 0,       /* the input ended and every line was handed out */
    AG_LINES_LINE = 1,      /* *line, *len: a line, valid until the next fill */
    AG_LINES_OVERSIZE = 2,  /* a line over max ended here (no text) */
    AG_LINES_MORE = 3,      /* no complete line buffered: fill or feed */
    AG_LINES_INTR = 4,      /* ag_lines_next: read(2) interrupted by a signal */
};

/* Lines of at most max bytes from fd (-1: fed only), read chunk bytes at a
 * time. 0, or -1 when out of memory. */
int ag_lines_init(struct ag_lines *r, int fd, size_t max, size_t chunk);
void ag_lines_free(struct ag_lines *r);
/* Forgets what is buffered and any oversize line under way, and reads fd
 * from now on: another file, or the same one from another offset. */
void ag_lines_reset(struct ag_lines *r, int fd);

/* The next line from the bytes buffered. Never reads. */
int ag_lines_take(struct ag_lines *r, const char **line, size_t *len);
/* The same, the input having ended: what follows the last "\n" is a line
 * too. Returns AG_LINES_EOF once everything is handed out, and leaves the
 * reader empty (ready for another input after ag_lines_reset). */
int ag_lines_finish(struct ag_lines *r, const char **line, size_t *len);

/* One read(2) into the buffer, after ag_lines_take said AG_LINES_MORE:
 * bytes read, 0 at end of file, -1 with errno (EINTR and EAGAIN included). */
ssize_t ag_lines_fill(struct ag_lines *r);
/* Copies up to n bytes in, after ag_lines_take said AG_LINES_MORE; returns
 * how many (at least 1 when n > 0): take lines, then feed the rest. */
size_t ag_lines_feed(struct ag_lines *r, const char *p, size_t n);

/* Blocking: take, fill when needed, finish at end of file. Any result but
 * AG_LINES_MORE; after AG_LINES_INTR or an EAGAIN error it can be called
 * again. */
int ag_lines_next(struct ag_lines *r, const char **line, size_t *len);

/* Bytes buffered and not handed out: a line still being written (0 while
 * an oversize line is being dropped). */
static inline size_t ag_lines_pending(const struct ag_lines *r)
{
    return r->end - r->start;
}

#endif
