/* jsonl.c - the JSON-lines sink. Events arrive from many threads, so one
 * mutex guards the render buffer and the descriptor; lines are written
 * whole, never interleaved. Findings are flushed at once: they are rare and
 * an analyst tailing the file should not wait for them.
 *
 * Full render buffers go to a writer thread, so the feeding thread is not
 * the one that waits while the kernel finds page-cache pages for a growing
 * file (in rsyslog's omprog that wait sat between a COMMIT and its OK);
 * a flush waits for the writer and writes the rest itself.
 *
 * A write cut short leaves no part of a line behind: the file is cut back
 * to its last complete line, so that nothing written later is glued to a
 * fragment. What was not written is held and written again (hold mode) or
 * dropped and reported once (see jsonl.h). */
#include "sinks/jsonl.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "engine/engine.h"

#define JSONL_CAP (1u << 20)
/* Handed to the writer past this; one event renders to < 256 KiB, so the
 * buffer never overflows while the writer is still busy with the other. */
#define JSONL_HAND_AT (64u << 10)
#define JSONL_WAIT_AT (JSONL_CAP / 2)
/* Findings wait only past this: while events wait for a full disk, a
 * finding still finds room. */
#define JSONL_FINDING_WAIT_AT (JSONL_CAP - (256u << 10))
#define JSONL_RETRY_MS 100
/* How far back the last complete line of a file is looked for at open. */
#define JSONL_REPAIR_MAX (4u << 20)

struct jsonl {
    struct ag_sink base;
    pthread_mutex_t lock;
    pthread_cond_t cond;       /* the writer's state changed */
    pthread_t writer;
    int have_writer, stopping;
    int fd, own_fd, regular;
    int repair;                /* the file's tail is checked before the first write */
    int end_line;              /* it ends in a line not ours: a newline first */
    char *path;                /* for messages */
    enum ag_event_filter events;
    int hold;
    struct ag_log log;
    const struct ag_ocsf_ctx *ctx;
    struct ag_buf out;         /* being rendered */
    struct ag_buf handed;      /* the writer's; len 0 when it is idle */
    char *mem[2];
    int writing;               /* the writer is in write(2) with handed */
    int stuck;                 /* hold: the last write found no room; retrying */
    int no_wait;               /* the host is stopping */
    long lost;                 /* lines dropped: reported once, or always in hold */
};

int ag_event_filter_pass(enum ag_event_filter filter, enum ag_kind kind)
{
    switch (filter) {
    case AG_EVENTS_ALL: return 1;
    case AG_EVENTS_FAILURES: return kind != AG_EV_AUTH_SUCCESS;
    default: return 0;
    }
}

static size_t count_lines(const char *p, size_t n)
{
    size_t lines = 0;
    const char *end = p + n;
    while (p < end && (p = memchr(p, '\n', (size_t)(end - p)))) {
        lines++;
        p++;
    }
    return lines;
}

/* Errors that freeing space or raising a limit can end. */
static int want_of_room(int e)
{
    return e == ENOSPC || e == EDQUOT || e == EFBIG || e == EAGAIN;
}

/* A write stopped `partial` bytes into a line: cut them off the end of the
 * file. Only a regular file can be cut; 0 when it was. */
static int cut_partial(struct jsonl *j, size_t partial)
{
    struct stat st;
    if (!j->regular || fstat(j->fd, &st) != 0 || (uintmax_t)st.st_size < partial)
        return -1;
    return ftruncate(j->fd, st.st_size - (off_t)partial);
}

/* Where the file's unterminated last line starts, if it has one: -1 when
 * it ends with a newline (or is empty, or cannot be read). Read through a
 * descriptor of its own, as the append one may not read. *ours: that line
 * starts like a line of this sink ('{'), within a line's reach of the end. */
static off_t unterminated_start(const char *path, int fd, int *ours)
{
    struct stat st, rst;
    *ours = 0;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size == 0)
        return -1;
    int rfd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (rfd < 0)
        return -1;
    char buf[4096];
    off_t end = st.st_size, start = -1;
    int clean = 0;
    if (fstat(rfd, &rst) == 0 && rst.st_ino == st.st_ino && rst.st_dev == st.st_dev) {
        while (end > 0 && st.st_size - end < (off_t)JSONL_REPAIR_MAX && start < 0) {
            size_t n = end < (off_t)sizeof buf ? (size_t)end : sizeof buf;
            if (pread(rfd, buf, n, end - (off_t)n) != (ssize_t)n)
                break;
            clean = end == st.st_size && buf[n - 1] == '\n';
            if (clean)
                break;
            const char *nl = memrchr(buf, '\n', n);
            if (nl)
                start = end - (off_t)n + (nl - buf) + 1;
            end -= (off_t)n;
        }
        if (!clean && start < 0)
            start = end == 0 ? 0 : st.st_size; /* not found within reach: foreign */
        char first;
        *ours = !clean && start < st.st_size && pread(rfd, &first, 1, start) == 1 &&
                first == '{';
    }
    close(rfd);
    return clean ? -1 : start;
}

/* A line cut short by a crash or a full disk in an earlier run would have
 * the next line glued to it. One of ours is cut off; one that is not (the
 * path held something else) is ended with a newline, written with the
 * first lines. Done before the first write, not at open: a configuration
 * check opens the file while the daemon writes it. */
static void repair_tail(struct jsonl *j)
{
    int ours;
    off_t start = unterminated_start(j->path, j->fd, &ours);
    if (start < 0)
        return;
    if (ours && ftruncate(j->fd, start) == 0) {
        ag_logf(&j->log, AG_LOG_WARNING, "jsonl", "%s: a cut last line was cut off", j->path);
        return;
    }
    j->end_line = 1;
}

/* Writes b whole: 0. Else the error, with b holding what is still to be
 * written: from the start of the line the write stopped in when the file
 * could be cut back to the line before, else from where it stopped (a pipe
 * or a terminal: the rest of the line completes it). */
static int write_buf(struct jsonl *j, struct ag_buf *b)
{
    size_t done = 0;
    int e = 0;
    if (j->repair) {
        j->repair = 0;
        repair_tail(j);
    }
    if (j->fd == STDOUT_FILENO)
        fflush(stdout); /* whatever a host printed there comes first */
    while (j->end_line) {
        ssize_t w = write(j->fd, "\n", 1);
        if (w == 1) {
            j->end_line = 0;
        } else if (!(w < 0 && errno == EINTR)) {
            /* The file may change before the next try (cut, rotated,
             * emptied): look at its tail again then. b is still whole. */
            j->end_line = 0;
            j->repair = 1;
            return w < 0 ? errno : EIO;
        }
    }
    while (done < b->len) {
        ssize_t w = write(j->fd, b->p + done, b->len - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            e = w < 0 ? errno : EIO;
            break;
        }
        done += (size_t)w;
    }
    if (!e) {
        ag_buf_reset(b);
        return 0;
    }
    const char *nl = done ? memrchr(b->p, '\n', done) : NULL;
    size_t whole = nl ? (size_t)(nl - b->p) + 1 : 0;
    size_t from = done > whole && cut_partial(j, done - whole) == 0 ? whole : done;
    memmove(b->p, b->p + from, b->len - from);
    b->len -= from;
    return e;
}

/* Called with the lock held, after write_buf failed with e on b: hold the
 * lines, or drop and count them. Said on stderr when it starts. */
static void after_failure(struct jsonl *j, struct ag_buf *b, int e)
{
    int hold = j->hold && want_of_room(e) && !j->stopping;
    if (hold ? !j->stuck : !j->lost)
        ag_logf(&j->log, AG_LOG_ERROR, "jsonl", "%s: %s; %s", j->path, strerror(e),
                hold ? "the lines not written are held and written again" : "lines lost");
    if (hold) {
        j->stuck = 1;
        return;
    }
    j->lost += (long)count_lines(b->p, b->len);
    ag_buf_reset(b);
}

/* Called with the lock held, after a write went through. */
static void after_success(struct jsonl *j)
{
    if (j->stuck)
        ag_logf(&j->log, AG_LOG_INFO, "jsonl", "%s: writing again", j->path);
    j->stuck = 0;
}

/* Called with the lock held: writes out here (no writer, or a flush). */
static void write_out(struct jsonl *j)
{
    if (!j->out.len)
        return;
    int e = write_buf(j, &j->out);
    if (e)
        after_failure(j, &j->out, e);
    else
        after_success(j);
}

static void deadline_in(struct timespec *ts, int ms)
{
    clock_gettime(CLOCK_REALTIME, ts);
    ts->tv_sec += ms / 1000;
    ts->tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000L;
    }
}

static int passed(const struct timespec *dl)
{
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    return now.tv_sec > dl->tv_sec || (now.tv_sec == dl->tv_sec && now.tv_nsec >= dl->tv_nsec);
}

/* A stuck writer tries again every JSONL_RETRY_MS until it is stopped. */
static void *writer_main(void *arg)
{
    struct jsonl *j = arg;
    pthread_mutex_lock(&j->lock);
    for (;;) {
        while (j->handed.len == 0 && !j->stopping)
            pthread_cond_wait(&j->cond, &j->lock);
        if (j->handed.len == 0 || (j->stopping && j->stuck))
            break;
        struct ag_buf b = j->handed;
        j->writing = 1;
        pthread_mutex_unlock(&j->lock);
        int e = write_buf(j, &b);
        pthread_mutex_lock(&j->lock);
        j->writing = 0;
        j->handed = b;
        if (e)
            after_failure(j, &j->handed, e);
        else
            after_success(j);
        pthread_cond_broadcast(&j->cond);
        struct timespec retry;
        deadline_in(&retry, JSONL_RETRY_MS);
        while (j->stuck && !j->stopping && !passed(&retry))
            pthread_cond_timedwait(&j->cond, &j->lock, &retry);
    }
    pthread_mutex_unlock(&j->lock);
    return NULL;
}

/* Called with the lock held: the render buffer goes to an idle writer, and
 * rendering goes on in the one it has written. 1 if it went. */
static int hand_over(struct jsonl *j)
{
    if (j->handed.len != 0)
        return 0;
    struct ag_buf spare = j->handed;
    j->handed = j->out;
    j->out = spare;
    pthread_cond_broadcast(&j->cond);
    return 1;
}

/* Called with the lock held: waits until the render buffer is below limit.
 * A writer that is busy is waited for; one that found no room is waited for
 * too (the feeding thread waits for the disk: backpressure), unless the
 * host is stopping. 0, or -1: no room, drop the output. */
static int make_room(struct jsonl *j, size_t limit)
{
    while (j->out.len >= limit) {
        if (j->have_writer) {
            if (hand_over(j))
                continue;
            if (j->stuck && j->no_wait)
                return -1;
            pthread_cond_wait(&j->cond, &j->lock);
            continue;
        }
        write_out(j);
        if (j->out.len < limit)
            break;
        if (j->no_wait)
            return -1;
        pthread_mutex_unlock(&j->lock);
        nanosleep(&(struct timespec){0, JSONL_RETRY_MS * 1000000L}, NULL);
        pthread_mutex_lock(&j->lock);
    }
    return 0;
}

/* Called with the lock held: what was rendered starts on its way out. */
static void pass_on(struct jsonl *j)
{
    if (j->have_writer)
        hand_over(j);
    else
        write_out(j);
}

static void jsonl_event(struct ag_sink *s, const struct ag_event *ev, const struct ag_counts *c)
{
    struct jsonl *j = (struct jsonl *)s;
    if (!ag_event_filter_pass(j->events, (enum ag_kind)ev->kind))
        return;
    pthread_mutex_lock(&j->lock);
    if (make_room(j, JSONL_WAIT_AT) < 0) {
        j->lost++;
    } else {
        ag_ocsf_event(&j->out, ev, j->ctx, c);
        ag_buf_putc(&j->out, '\n');
        if (j->out.len >= JSONL_HAND_AT)
            pass_on(j);
    }
    pthread_mutex_unlock(&j->lock);
}

static void jsonl_finding(struct ag_sink *s, const struct ag_finding *f, const char *remediation)
{
    struct jsonl *j = (struct jsonl *)s;
    pthread_mutex_lock(&j->lock);
    if (make_room(j, JSONL_FINDING_WAIT_AT) < 0) {
        j->lost++;
        pthread_mutex_unlock(&j->lock);
        return;
    }
    ag_ocsf_finding(&j->out, f, j->ctx, remediation);
    ag_buf_putc(&j->out, '\n');
    /* Out now, after what the writer has (a failure is reported by the
     * next flush); a writer that found no room takes it with the rest. */
    while (j->have_writer && j->handed.len != 0 && !j->stuck)
        pthread_cond_wait(&j->cond, &j->lock);
    pass_on(j);
    pthread_mutex_unlock(&j->lock);
}

/* Called with the lock held, the writer idle: lines not yet written. */
static long unwritten(const struct jsonl *j)
{
    return (long)(count_lines(j->handed.p, j->handed.len) + count_lines(j->out.p, j->out.len));
}

/* Everything rendered goes out; a destination without room is tried again
 * until the timeout. */
static long jsonl_flush(struct ag_sink *s, int timeout_ms)
{
    struct jsonl *j = (struct jsonl *)s;
    struct timespec dl;
    if (timeout_ms < 0)
        timeout_ms = AG_FLUSH_EXIT_MS;
    deadline_in(&dl, timeout_ms);
    pthread_mutex_lock(&j->lock);
    for (;;) {
        if (j->have_writer) {
            if (j->writing || (j->handed.len && !j->stuck)) {
                pthread_cond_wait(&j->cond, &j->lock);
                continue;
            }
            if (j->out.len && !j->handed.len && !j->stuck) {
                /* The writer is idle and the caller waits anyway: writing
                 * here saves two thread switches a flush, and rsyslog's
                 * host flushes after every message. A failure is handed
                 * to the writer below, which tries again on its clock. */
                write_out(j);
                continue;
            }
            if (j->out.len && hand_over(j))
                continue;
        } else {
            write_out(j);
        }
        if ((!j->handed.len && !j->out.len) || passed(&dl))
            break;
        if (j->have_writer)
            pthread_cond_timedwait(&j->cond, &j->lock, &dl);
        else {
            pthread_mutex_unlock(&j->lock);
            nanosleep(&(struct timespec){0, JSONL_RETRY_MS * 1000000L}, NULL);
            pthread_mutex_lock(&j->lock);
        }
    }
    long n = unwritten(j) + j->lost;
    if (!j->hold)
        j->lost = 0; /* reported: the host sends them again or says so */
    pthread_mutex_unlock(&j->lock);
    return n;
}

static void jsonl_stop_waiting(struct ag_sink *s)
{
    struct jsonl *j = (struct jsonl *)s;
    pthread_mutex_lock(&j->lock);
    j->no_wait = 1;
    pthread_cond_broadcast(&j->cond);
    pthread_mutex_unlock(&j->lock);
}

static void jsonl_destroy(struct ag_sink *s)
{
    struct jsonl *j = (struct jsonl *)s;
    if (!j)
        return;
    jsonl_flush(s, 0);
    if (j->have_writer) {
        pthread_mutex_lock(&j->lock);
        j->stopping = 1;
        pthread_cond_broadcast(&j->cond);
        pthread_mutex_unlock(&j->lock);
        pthread_join(j->writer, NULL);
    }
    if (j->own_fd)
        close(j->fd);
    pthread_cond_destroy(&j->cond);
    pthread_mutex_destroy(&j->lock);
    free(j->path);
    free(j->mem[0]);
    free(j->mem[1]);
    free(j);
}

static const struct ag_sink_ops jsonl_ops = {
    .name = "jsonl",
    .event = jsonl_event,
    .finding = jsonl_finding,
    .flush = jsonl_flush,
    .stop_waiting = jsonl_stop_waiting,
    .destroy = jsonl_destroy,
};

/* ---- opening -------------------------------------------------------------- */

/* Appends to path, never through a symbolic link, with mode for a new
 * file and for an existing regular file (a device is left alone). */
static int open_output(const char *path, unsigned mode, int *regular, char *err, size_t errlen)
{
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, (mode_t)mode);
    struct stat st;
    if (fd < 0) {
        snprintf(err, errlen, "jsonl: cannot open '%s' for appending: %s", path,
                 errno == ELOOP ? "it is a symbolic link, which is not followed"
                                : strerror(errno));
        return -1;
    }
    if (fstat(fd, &st) != 0) {
        snprintf(err, errlen, "jsonl: '%s': %s", path, strerror(errno));
        close(fd);
        return -1;
    }
    *regular = S_ISREG(st.st_mode);
    if (*regular && (st.st_mode & 07777) != mode && fchmod(fd, (mode_t)mode) != 0 &&
        (st.st_mode & 07777 & ~mode)) {
        snprintf(err, errlen, "jsonl: '%s' has mode %04o, wider than the configured %04o, "
                 "and it cannot be changed: %s", path, (unsigned)(st.st_mode & 07777), mode,
                 strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

struct ag_sink *ag_jsonl_open(const char *path, const struct ag_jsonl_opts *o,
                              const struct ag_ocsf_ctx *ctx, char *err, size_t errlen)
{
    struct jsonl *j = calloc(1, sizeof *j);
    if (!j || !(j->mem[0] = malloc(JSONL_CAP)) || !(j->mem[1] = malloc(JSONL_CAP)) ||
        !(j->path = strdup(path))) {
        if (j) {
            free(j->mem[0]);
            free(j->mem[1]);
        }
        free(j);
        snprintf(err, errlen, "jsonl: out of memory");
        return NULL;
    }
    if (strcmp(path, "-") == 0) {
        j->fd = STDOUT_FILENO;
    } else if ((j->fd = open_output(path, o->mode, &j->regular, err, errlen)) < 0) {
        free(j->path);
        free(j->mem[0]);
        free(j->mem[1]);
        free(j);
        return NULL;
    } else {
        j->own_fd = 1;
        j->repair = j->regular;
    }
    pthread_mutex_init(&j->lock, NULL);
    pthread_cond_init(&j->cond, NULL);
    ag_buf_init(&j->out, j->mem[0], JSONL_CAP);
    ag_buf_init(&j->handed, j->mem[1], JSONL_CAP);
    j->events = o->events;
    j->hold = o->hold;
    j->log = o->log;
    j->ctx = ctx;
    j->base.ops = &jsonl_ops;
    /* Without a thread (none left to start) the renderer writes itself. */
    j->have_writer = ag_thread_start(&j->writer, NULL, "ag-jsonl", writer_main, j) == 0;
    return &j->base;
}

struct ag_sink *ag_jsonl_new(const char *path, enum ag_event_filter events,
                             const struct ag_ocsf_ctx *ctx, char *err, size_t errlen)
{
    struct ag_jsonl_opts o = {.events = events, .mode = AG_JSONL_MODE, .hold = 0};
    return ag_jsonl_open(path, &o, ctx, err, errlen);
}

struct jsonl_keys {
    const char *path;
    int events;     /* enum ag_event_filter */
    unsigned mode;
};

#define JSONL_FIELD(m) AG_CONF_FIELD(struct jsonl_keys, m)
static const char *const event_modes[] = {"all", "failures", "none", NULL};
static const struct ag_conf_key jsonl_keys[] = {
    {"path", AG_CONF_PATH, JSONL_FIELD(path), .def = "-",
     .help = "The file OCSF JSON lines go to, or - for stdout; a symbolic link is refused."},
    {"events", AG_CONF_ENUM, JSONL_FIELD(events), .choices = event_modes, .def = "all",
     .help = "Which events to write besides findings."},
    {"mode", AG_CONF_MODE, JSONL_FIELD(mode), .def = "0600",
     .help = "Permissions of the file, whatever the umask (it holds raw auth.log lines)."},
    {.name = NULL}};

const struct ag_conf_section ag_jsonl_section = {
    "sink.jsonl", "Events and findings as OCSF JSON lines, to a file or stdout.", jsonl_keys};

struct ag_sink *ag_jsonl_create(const struct ag_sink_env *env, char *err, size_t errlen)
{
    struct jsonl_keys k;
    if (ag_conf_read(env->conf, "sink.jsonl", jsonl_keys, &k, err, errlen) < 0)
        return NULL;
    struct ag_jsonl_opts o = {.events = (enum ag_event_filter)k.events, .mode = k.mode,
                              .hold = env->hold_undelivered, .log = env->log};
    return ag_jsonl_open(k.path, &o, env->ocsf, err, errlen);
}
