/* filepos.c - saving and resuming the positions of followed files; see
 * filepos.h for the format and what a restart recovers. The file is
 * strict: a line that is not exactly what the writer writes is reported
 * and ignored, never half-used. */
#include "plugin/filepos.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "plugin/statefile.h"

#define WHAT "position file"
#define SIBLINGS_MAX 4096   /* directory entries looked at per search */
#define PATH_CAP sizeof(((struct ag_follow *)0)->path)

uint64_t ag_filepos_hash(const void *p, size_t n)
{
    const unsigned char *b = p;
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < n; i++) {
        h ^= b[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

/* The hash of fd's first n bytes; -1 if the file has fewer. */
static int head_hash(int fd, uint32_t n, uint64_t *h)
{
    char buf[AG_FILEPOS_HEAD];
    size_t got = 0;
    if (n > sizeof buf)
        return -1;
    while (got < n) {
        ssize_t r = pread(fd, buf + got, n - got, (off_t)got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        got += (size_t)r;
    }
    *h = ag_filepos_hash(buf, n);
    return 0;
}

/* ---- saving ------------------------------------------------------------------ */

void ag_filepos_of(struct ag_follow *f, struct ag_filepos *out)
{
    memset(out, 0, sizeof *out);
    snprintf(out->path, sizeof out->path, "%s", f->path);
    out->head_hash = ag_filepos_hash("", 0);
    if (f->fd < 0)
        return;
    uint32_t want = f->done < AG_FILEPOS_HEAD ? (uint32_t)f->done : AG_FILEPOS_HEAD;
    /* The first bytes never change while the file only grows: hashed once
     * they are all there, not at every save. */
    if (!f->head_ok || f->head_len != want) {
        uint64_t h = 0;
        f->head_ok = head_hash(f->fd, want, &h) == 0;
        f->head_len = want;
        f->head_hash = h;
    }
    out->dev = (uint64_t)f->dev;
    out->ino = (uint64_t)f->ino;
    /* Shorter than what was read: truncated under us, and about to be read
     * again from its start, which is where a restart goes too. */
    if (f->head_ok) {
        out->off = (uint64_t)f->done;
        out->head_len = f->head_len;
        out->head_hash = f->head_hash;
    }
}

/* One entry line into buf: its length, or 0 if cap is too small. */
static size_t format_entry(const struct ag_filepos *p, char *buf, size_t cap)
{
    int w = snprintf(buf, cap, "%" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu32 " %016" PRIx64
                     " %s\n", p->dev, p->ino, p->off, p->head_len, p->head_hash, p->path);
    return w < 0 || (size_t)w >= cap ? 0 : (size_t)w;
}

size_t ag_filepos_format(const struct ag_filepos *pos, size_t n, char *buf, size_t cap)
{
    int w = snprintf(buf, cap, "%s\n", AG_FILEPOS_VERSION);
    if (w < 0 || (size_t)w >= cap)
        return 0;
    size_t len = (size_t)w;
    for (size_t i = 0; i < n; i++) {
        size_t e = format_entry(&pos[i], buf + len, cap - len);
        if (!e)
            return 0;
        len += e;
    }
    return len;
}

int ag_filepos_save(const char *file, struct ag_follow *f, size_t n, char *err, size_t errlen)
{
    size_t cap = (n + 1) * AG_FILEPOS_LINE_MAX;
    char *buf = malloc(cap);
    struct ag_filepos p;
    if (!buf) {
        snprintf(err, errlen, "%s %s: out of memory", WHAT, file);
        return -1;
    }
    size_t len = ag_filepos_format(NULL, 0, buf, cap);
    for (size_t i = 0; i < n && len; i++) {
        /* A path configured twice is saved once: the file is strict about
         * duplicates. */
        size_t j = 0;
        while (j < i && strcmp(f[j].path, f[i].path))
            j++;
        if (j < i)
            continue;
        ag_filepos_of(&f[i], &p);
        size_t e = format_entry(&p, buf + len, cap - len);
        len = e ? len + e : 0;
    }
    int rc = -1;
    if (len)
        rc = ag_statefile_write(file, WHAT, buf, len, err, errlen);
    else
        snprintf(err, errlen, "%s %s: positions do not fit", WHAT, file);
    free(buf);
    return rc;
}

/* ---- reading ------------------------------------------------------------------ */

/* Decimal (base 10) or 16 hex digits (base 16), then one blank. */
static const char *number(const char *s, const char *end, int base, uint64_t *v)
{
    const char *p = s;
    *v = 0;
    for (; p < end && *p != ' '; p++) {
        int d = *p >= '0' && *p <= '9' ? *p - '0'
                : base == 16 && *p >= 'a' && *p <= 'f' ? *p - 'a' + 10 : -1;
        if (d < 0 || *v > (UINT64_MAX - (uint64_t)d) / (uint64_t)base)
            return NULL;
        *v = *v * (uint64_t)base + (uint64_t)d;
    }
    if (p == s || p == end || (base == 16 && p - s != 16))
        return NULL;
    return p + 1;
}

/* One entry; NULL, or why it is not one. */
static const char *parse_entry(const char *s, const char *end, struct ag_filepos *p)
{
    uint64_t hl;
    memset(p, 0, sizeof *p);
    if (memchr(s, '\0', (size_t)(end - s)))
        return "a NUL byte";
    if (!(s = number(s, end, 10, &p->dev)) || !(s = number(s, end, 10, &p->ino)) ||
        !(s = number(s, end, 10, &p->off)) || !(s = number(s, end, 10, &hl)) ||
        !(s = number(s, end, 16, &p->head_hash)))
        return "expected DEV INO OFFSET HEAD_LEN HEAD_HASH PATH";
    uint64_t want = p->off < AG_FILEPOS_HEAD ? p->off : AG_FILEPOS_HEAD;
    if (hl != want)
        return "HEAD_LEN is not min(OFFSET, 1024)";
    if (!p->dev && !p->ino && p->off)
        return "an offset for a missing file";
    p->head_len = (uint32_t)hl;
    size_t n = (size_t)(end - s);
    if (n == 0 || n >= sizeof p->path)
        return n ? "path too long" : "no path";
    memcpy(p->path, s, n);
    p->path[n] = '\0';
    return NULL;
}

static int bad_line(int bad, char *err, size_t errlen, const char *file, unsigned line,
                    const char *why)
{
    if (!bad)
        snprintf(err, errlen, "%s:%u: %s: %s", file, line, WHAT, why);
    return bad + 1;
}

int ag_filepos_parse(const char *text, const char *file, struct ag_filepos *pos, size_t max,
                     size_t *n, char *err, size_t errlen)
{
    size_t vlen = strlen(AG_FILEPOS_VERSION);
    *n = 0;
    if (strncmp(text, AG_FILEPOS_VERSION, vlen) != 0 || text[vlen] != '\n') {
        snprintf(err, errlen, "%s:1: not an authguard %s (the first line is not \"%s\")", file,
                 WHAT, AG_FILEPOS_VERSION);
        return -1;
    }
    int bad = 0;
    unsigned line = 1;
    for (const char *s = text + vlen + 1; *s; line++) {
        const char *nl = strchr(s, '\n');
        const char *why;
        struct ag_filepos p;
        if (!nl)
            why = "unterminated last line (the file was cut short)";
        else if ((why = parse_entry(s, nl, &p)) == NULL && ag_filepos_find(pos, *n, p.path))
            why = "the path is listed twice";
        else if (!why && *n == max)
            why = "too many lines";
        if (why)
            bad = bad_line(bad, err, errlen, file, line + 1, why);
        else
            pos[(*n)++] = p;
        if (!nl)
            break;
        s = nl + 1;
    }
    return bad;
}

int ag_filepos_load(const char *file, struct ag_filepos *pos, size_t max, size_t *n,
                    char *err, size_t errlen)
{
    size_t cap = (max + 1) * AG_FILEPOS_LINE_MAX + 1, len;
    char *text = malloc(cap);
    *n = 0;
    if (!text) {
        snprintf(err, errlen, "%s %s: out of memory", WHAT, file);
        return -1;
    }
    int rc = ag_statefile_read(file, WHAT, text, cap, &len, err, errlen);
    if (rc > 0 && len == cap - 1) {
        snprintf(err, errlen, "%s %s: too long", WHAT, file);
        rc = -1;
    } else if (rc > 0 && strlen(text) != len) {
        snprintf(err, errlen, "%s %s: holds NUL bytes", WHAT, file);
        rc = -1;
    } else if (rc > 0) {
        rc = ag_filepos_parse(text, file, pos, max, n, err, errlen);
    }
    free(text);
    return rc;
}

const struct ag_filepos *ag_filepos_find(const struct ag_filepos *pos, size_t n,
                                         const char *path)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(pos[i].path, path))
            return &pos[i];
    return NULL;
}

/* ---- resuming ------------------------------------------------------------------ */

/* fd is the saved file (by device and inode too when by_inode) and still
 * holds every byte read from it. */
static int is_saved(int fd, const struct ag_filepos *s, int by_inode)
{
    struct stat st;
    uint64_t h;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size < s->off)
        return 0;
    if (by_inode && ((uint64_t)st.st_dev != s->dev || (uint64_t)st.st_ino != s->ino))
        return 0;
    return head_hash(fd, s->head_len, &h) == 0 && h == s->head_hash;
}

static int same_inode(int fd, const struct ag_filepos *s)
{
    struct stat st;
    return fstat(fd, &st) == 0 && (uint64_t)st.st_dev == s->dev &&
           (uint64_t)st.st_ino == s->ino;
}

/* Path's directory into dir ("" for the root: join with "/"); its base name. */
static const char *dir_of(const char *path, char *dir, size_t dirlen)
{
    const char *slash = strrchr(path, '/');
    snprintf(dir, dirlen, "%.*s", slash ? (int)(slash - path) : 1, slash ? path : ".");
    return slash ? slash + 1 : path;
}

/* A rotated name of base: base, then '.', '-' or '_', then something
 * (auth.log.1, auth.log-20250101, secure_old). */
static int rotated_name(const char *name, const char *base, size_t blen)
{
    return !strncmp(name, base, blen) && strchr(".-_", name[blen]) && name[blen] &&
           name[blen + 1];
}

/* One pass over path's directory for the saved file under a rotated name:
 * by device and inode (rename), or by content (a copytruncate copy: only
 * when there are first bytes to compare). Its descriptor, or -1. */
static int search(const char *path, const struct ag_filepos *s, int by_inode, char *found,
                  size_t foundlen)
{
    char dir[PATH_CAP];
    const char *base = dir_of(path, dir, sizeof dir);
    size_t blen = strlen(base);
    DIR *d = opendir(dir[0] ? dir : "/");
    if (!d)
        return -1;
    int fd = -1, looked = 0;
    struct dirent *e;
    while (fd < 0 && looked++ < SIBLINGS_MAX && (e = readdir(d)) != NULL) {
        struct stat st;
        if (!rotated_name(e->d_name, base, blen) ||
            fstatat(dirfd(d), e->d_name, &st, 0) != 0 || !S_ISREG(st.st_mode) ||
            (by_inode && ((uint64_t)st.st_dev != s->dev || (uint64_t)st.st_ino != s->ino)))
            continue;
        fd = openat(dirfd(d), e->d_name, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
        if (fd >= 0 && !is_saved(fd, s, by_inode)) {
            close(fd);
            fd = -1;
        }
        if (fd >= 0)
            snprintf(found, foundlen, "%s/%s", dir[0] ? dir : "", e->d_name);
    }
    closedir(d);
    return fd;
}

/* ---- files rotated in between -------------------------------------------------- */

/* A stop across two rotations leaves auth.log.2 (the saved file), then
 * auth.log.1, written to entirely while stopped, then auth.log. The files
 * in between are the rotated siblings last written after the saved one,
 * read oldest first. Compressed ones cannot be read line by line. */
#define BETWEEN_MAX 64

struct between {
    struct timespec mtime;
    char name[256];
};

static int later(const struct timespec *a, const struct timespec *b)
{
    return a->tv_sec != b->tv_sec ? a->tv_sec > b->tv_sec : a->tv_nsec > b->tv_nsec;
}

static int by_mtime(const void *a, const void *b)
{
    const struct between *x = a, *y = b;
    return later(&x->mtime, &y->mtime) - later(&y->mtime, &x->mtime);
}

static int compressed_name(const char *name)
{
    static const char *const ext[] = {".gz", ".xz", ".bz2", ".zst", ".lz4", ".Z"};
    size_t n = strlen(name);
    for (size_t i = 0; i < sizeof ext / sizeof *ext; i++) {
        size_t e = strlen(ext[i]);
        if (n > e && !strcmp(name + n - e, ext[i]))
            return 1;
    }
    return 0;
}

/* Lists the rotated siblings of path (in dir, named base...) last written
 * after the saved file (old_fd), other than it and path's own file, oldest
 * first. */
static size_t list_between(const char *path, const char *dir, const char *base, int old_fd,
                           struct between *b, size_t max)
{
    struct stat old, cur, st;
    DIR *d = fstat(old_fd, &old) == 0 ? opendir(dir[0] ? dir : "/") : NULL;
    if (!d)
        return 0;
    size_t blen = strlen(base), n = 0;
    int have_cur = stat(path, &cur) == 0;
    struct dirent *e;
    for (int looked = 0; n < max && looked++ < SIBLINGS_MAX && (e = readdir(d)) != NULL;) {
        if (!rotated_name(e->d_name, base, blen) || strlen(e->d_name) >= sizeof b->name ||
            fstatat(dirfd(d), e->d_name, &st, 0) != 0 || !S_ISREG(st.st_mode) ||
            (st.st_dev == old.st_dev && st.st_ino == old.st_ino) ||
            (have_cur && st.st_dev == cur.st_dev && st.st_ino == cur.st_ino) ||
            !later(&st.st_mtim, &old.st_mtim))
            continue;
        b[n].mtime = st.st_mtim;
        snprintf(b[n].name, sizeof b[n].name, "%s", e->d_name);
        n++;
    }
    closedir(d);
    qsort(b, n, sizeof *b, by_mtime);
    return n;
}

/* Queues the files rotated in between on f and says which in note (after
 * what is there): read first, or lost (compressed, too many, unreadable). */
static void queue_between(struct ag_follow *f, const char *path, char *note, size_t notelen)
{
    struct between *b = malloc(BETWEEN_MAX * sizeof *b);
    char dir[PATH_CAP];
    if (!b)
        return;
    const char *base = dir_of(path, dir, sizeof dir);
    size_t n = list_between(path, dir, base, f->fd, b, BETWEEN_MAX), used = strlen(note);
    for (size_t i = 0; i < n; i++) {
        char file[PATH_CAP + sizeof b->name + 1];
        int packed = compressed_name(b[i].name);
        snprintf(file, sizeof file, "%s/%s", dir, b[i].name);
        int fd = packed ? -1 : open(file, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
        int queued = fd >= 0 && ag_follow_queue(f, fd) == 0;
        if (fd >= 0 && !queued)
            close(fd);
        if (used < notelen)
            used += (size_t)snprintf(note + used, notelen - used, "; %s, rotated in between: %s",
                                     b[i].name, queued ? "read whole before it"
                                                : packed ? "compressed, its lines are lost"
                                                         : "not read, its lines are lost");
    }
    free(b);
}

static int find_rotated(const char *path, const struct ag_filepos *s, char *found,
                        size_t foundlen)
{
    int fd = search(path, s, 1, found, foundlen);
    if (fd < 0 && s->head_len > 0)
        fd = search(path, s, 0, found, foundlen);
    return fd;
}

int ag_filepos_open(struct ag_follow *f, const char *path, int from_head,
                    const struct ag_filepos *saved, char *note, size_t notelen)
{
    char old[sizeof saved->path + 256];
    note[0] = '\0';
    if (!saved)
        return ag_follow_open(f, path, from_head);
    unsigned long long off = (unsigned long long)saved->off;
    if (!saved->dev && !saved->ino) {
        if (ag_follow_open(f, path, 1) < 0)
            return -1;
        if (f->fd >= 0)
            snprintf(note, notelen, "%s: created while stopped: reading it from its start",
                     path);
        return 0;
    }
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd >= 0 && is_saved(fd, saved, 1)) {
        snprintf(note, notelen, "%s: resuming at byte %llu", path, off);
        return ag_follow_open_fd(f, path, fd, saved->off);
    }
    const char *what = fd < 0 ? "gone" : same_inode(fd, saved) ? "truncated" : "replaced";
    if (fd >= 0)
        close(fd);
    int ofd = find_rotated(path, saved, old, sizeof old);
    if (ofd >= 0) {
        snprintf(note, notelen, "%s: %s while stopped: reading the rest of %s from byte %llu, "
                 "then %s from its start", path, what, old, off, path);
        if (ag_follow_open_fd(f, path, ofd, saved->off) < 0)
            return -1;
        queue_between(f, path, note, notelen);
        return 0;
    }
    snprintf(note, notelen, "%s: %s while stopped, and the file read until then is not "
             "beside it (deleted or compressed?): lines written to it after byte %llu are "
             "lost; %s is read from its start%s", path, what, off, path,
             fd < 0 ? " when it appears" : "");
    return ag_follow_open(f, path, 1);
}
