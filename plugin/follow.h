/* follow.h - the file inputs of `authguard run`: a log file followed like
 * `tail -F` through appends, rotation by rename and truncation.
 *
 * Lines are split by plugin/lines.c, as `authguard scan` splits them, so
 * that replay equals live. A line still being written waits for its
 * newline (or for the file to be rotated away). */
#ifndef AG_FOLLOW_H
#define AG_FOLLOW_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "filters/event.h"
#include "plugin/lines.h"

/* Read size of a followed file or stdin. */
#define AG_FOLLOW_CHUNK 65536u

#define AG_FOLLOW_QUEUE 8

/* A line, as plugin/lines.h defines it; line == NULL (len 0) for a line
 * dropped for its length, so that the caller can count it. */
typedef void (*ag_line_fn)(void *ud, const char *line, size_t len);

struct ag_follow {
    char path[4096];
    int fd;             /* -1 while the path does not exist */
    dev_t dev;
    ino_t ino;
    off_t off;          /* bytes of the open file consumed */
    off_t done;         /* end of the last complete line handed out: where a
                         * restart carries on (never inside a line) */
    int from_head;      /* the first open: 1 head, 0 end; later opens: head */
    struct ag_lines lb;  /* the one line splitter of every input */
    uint64_t rotations, truncations;
    uint64_t lines;     /* lines handed out */
    /* The hash of the file's first bytes, kept by filepos.c; reset when
     * another file is opened or this one is truncated. */
    int head_ok;
    uint32_t head_len;
    uint64_t head_hash;
    /* Files to read whole, in order, once the open one is finished and
     * before path is opened again: the ones rotated in between while the
     * daemon was stopped (see filepos.c). */
    int queue[AG_FOLLOW_QUEUE];
    unsigned queued;
};

/* Opens path if it exists (else keeps looking for it). 0, or -1 with
 * errno for a path too long or no memory. */
int ag_follow_open(struct ag_follow *f, const char *path, int from_head);
/* Follows path, starting in the open file fd (taken over) at byte off: fd
 * is path's file, or the file path was rotated away from, which is then
 * read to its end before path is read from its start. 0, or -1 with errno
 * (fd is closed). */
int ag_follow_open_fd(struct ag_follow *f, const char *path, int fd, off_t off);
/* Hands fn every complete line appended since the last call (at most about
 * max_bytes of them); when the file has no more, checks whether the path
 * now names another file (rotated: the old one is finished first, then the
 * new one read from its start) or the file shrank (truncated: read again
 * from its start). Returns the bytes consumed; 0 means nothing new. */
ssize_t ag_follow_poll(struct ag_follow *f, size_t max_bytes, ag_line_fn fn, void *ud);
/* Queues fd (taken over) to be read from its start after the open file
 * and the ones queued before it. 0, or -1 when the queue is full (fd is
 * left to the caller). */
int ag_follow_queue(struct ag_follow *f, int fd);
void ag_follow_close(struct ag_follow *f);

#endif
