/* test_follow.c - the pieces under `authguard run`'s inputs (their lines
 * are split by plugin/lines.c: see test_lines.c): a followed file through
 * rename and truncation, oversize lines in it, the
 * journal cursor file written atomically, and the file positions: their
 * format, strict parsing, and resuming after a restart (same file,
 * truncated, rewritten, rotated by rename or copytruncate, gone, created). */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ag_test.h"
#include "plugin/filepos.h"
#include "plugin/follow.h"
#include "plugin/journald.h"

struct got {
    char text[AG_LINE_MAX + 8192];
    size_t len;
    int n;
};

/* An oversize line (line NULL) shows as "<oversize>". */
static void collect(void *ud, const char *line, size_t len)
{
    struct got *g = ud;
    if (!line) {
        line = "<oversize>";
        len = strlen(line);
    }
    ck_assert_uint_lt(g->len + len + 1, sizeof g->text);
    memcpy(g->text + g->len, line, len);
    g->len += len;
    g->text[g->len++] = '|';
    g->text[g->len] = '\0';
    g->n++;
}

static void put(int fd, const char *s)
{
    ck_assert_int_eq(write(fd, s, strlen(s)), (ssize_t)strlen(s));
}

/* Entries of dir but . and ..: no temporary file left over. */
static int entries(const char *dir)
{
    DIR *d = opendir(dir);
    ck_assert_ptr_nonnull(d);
    int n = 0;
    for (struct dirent *e; (e = readdir(d));)
        n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
    closedir(d);
    return n;
}

static void write_file(const char *path, const char *s);
static int read_file(const char *path, char *buf, size_t cap);

/* A symbolic link planted where the temporary file used to be made
 * ("<state>.tmp") to a victim: saving leaves the victim as it was. */
static void plant_tmp_link(const char *state, const char *victim)
{
    char tmp[128];
    write_file(victim, "victim\n");
    ck_assert_int_eq(chmod(victim, 0644), 0);
    snprintf(tmp, sizeof tmp, "%s.tmp", state);
    ck_assert_int_eq(symlink(victim, tmp), 0);
}

static void victim_untouched(const char *victim)
{
    char buf[64];
    struct stat st;
    ck_assert_int_eq(read_file(victim, buf, sizeof buf), 7);
    ck_assert_str_eq(buf, "victim\n");
    ck_assert_int_eq(lstat(victim, &st), 0);
    ck_assert_uint_eq(st.st_mode & 07777, 0644);
}

static void append(const char *path, const char *s)
{
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT, 0600);
    ck_assert_int_ge(fd, 0);
    put(fd, s);
    close(fd);
}

START_TEST(follow_rename_and_truncate)
{
    char dir[] = "/tmp/agfollowXXXXXX", path[64], old[80];
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/auth.log", dir);
    snprintf(old, sizeof old, "%s.1", path);
    struct ag_follow f;
    struct got g = {0};
    append(path, "skipped at the tail\n");
    ck_assert_int_eq(ag_follow_open(&f, path, 0), 0);
    append(path, "a1\na");
    ag_follow_poll(&f, 1 << 20, collect, &g);
    ck_assert_str_eq(g.text, "a1|");
    ck_assert_int_eq(rename(path, old), 0);
    append(old, "2\nlast");
    ag_follow_poll(&f, 1 << 20, collect, &g);
    ag_follow_poll(&f, 1 << 20, collect, &g); /* path gone: keeps the old file */
    append(path, "b1\n");
    while (ag_follow_poll(&f, 1 << 20, collect, &g) > 0 || f.rotations == 0)
        ;
    ag_follow_poll(&f, 1 << 20, collect, &g);
    ck_assert_str_eq(g.text, "a1|a2|last|b1|");
    ck_assert_int_eq(truncate(path, 0), 0);
    ag_follow_poll(&f, 1 << 20, collect, &g);
    append(path, "c\n");
    ag_follow_poll(&f, 1 << 20, collect, &g);
    ck_assert_str_eq(g.text, "a1|a2|last|b1|c|");
    ck_assert_uint_eq(f.rotations, 1);
    ck_assert_uint_eq(f.truncations, 1);
    ag_follow_close(&f);
    unlink(path);
    unlink(old);
    rmdir(dir);
}
END_TEST

/* A line of exactly AG_LINE_MAX bytes whose newline comes in a later
 * append is kept, as scan keeps it; one byte longer is reported once as
 * oversize (to fn, as NULL), at its end, and the position moves past it
 * only then. */
START_TEST(follow_line_at_the_limit)
{
    char dir[] = "/tmp/agfollowXXXXXX", path[64];
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/auth.log", dir);
    char *big = malloc(AG_LINE_MAX + 2);
    memset(big, 'L', AG_LINE_MAX + 1);
    struct ag_follow f;
    struct got g = {0};
    append(path, "");
    ck_assert_int_eq(ag_follow_open(&f, path, 1), 0);
    for (size_t extra = 0; extra < 2; extra++) {
        big[AG_LINE_MAX + extra] = '\0';
        append(path, big);
        ag_follow_poll(&f, 1 << 20, collect, &g);
        ck_assert_int_eq(g.n, 2 * (int)extra);
        append(path, "\r");
        ag_follow_poll(&f, 1 << 20, collect, &g);
        ck_assert_int_eq(g.n, 2 * (int)extra);
        append(path, "\nnext\n");
        ag_follow_poll(&f, 1 << 20, collect, &g);
        big[AG_LINE_MAX + extra] = 'L';
    }
    ck_assert_int_eq(g.n, 4);
    ck_assert_uint_eq(f.lines, 4);
    ck_assert_ptr_nonnull(strstr(g.text, "|next|<oversize>|next|"));
    ck_assert_uint_eq(strlen(g.text), AG_LINE_MAX + strlen("|next|<oversize>|next|"));
    ck_assert_int_eq(f.done, (off_t)(2 * AG_LINE_MAX + 1 + 2 * strlen("\r\nnext\n")));
    ag_follow_close(&f);
    free(big);
    unlink(path);
    rmdir(dir);
}
END_TEST

/* A log path that is a symlink (a container's log, a per-date file) is
 * followed to its target; when the link is pointed at a new file, the old
 * one is read to its end first, then the new one from its start. */
START_TEST(follow_symlink_retargeted)
{
    char dir[] = "/tmp/agfollowXXXXXX", link[64], a[64], b[64], tmp[80];
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(link, sizeof link, "%s/auth.log", dir);
    snprintf(a, sizeof a, "%s/auth-1.log", dir);
    snprintf(b, sizeof b, "%s/auth-2.log", dir);
    snprintf(tmp, sizeof tmp, "%s/auth.log.new", dir);
    append(a, "old\n");
    ck_assert_int_eq(symlink("auth-1.log", link), 0);
    struct ag_follow f;
    struct got g = {0};
    ck_assert_int_eq(ag_follow_open(&f, link, 1), 0);
    append(a, "a1\n");
    ag_follow_poll(&f, 1 << 20, collect, &g);
    ck_assert_str_eq(g.text, "old|a1|");
    append(a, "a2\n");
    append(b, "b1\n");
    ck_assert_int_eq(symlink("auth-2.log", tmp), 0);
    ck_assert_int_eq(rename(tmp, link), 0); /* ln -sfn, atomically */
    for (int i = 0; i < 8 && f.rotations == 0; i++)
        ag_follow_poll(&f, 1 << 20, collect, &g);
    ag_follow_poll(&f, 1 << 20, collect, &g);
    ck_assert_str_eq(g.text, "old|a1|a2|b1|");
    ck_assert_uint_eq(f.rotations, 1);
    ag_follow_close(&f);
    unlink(link);
    unlink(a);
    unlink(b);
    rmdir(dir);
}
END_TEST

START_TEST(cursor_file_round_trip)
{
    char dir[] = "/tmp/agcursorXXXXXX", path[64], tmp[80], buf[AG_JOURNALD_CURSOR_MAX];
    char err[AG_CONF_ERRLEN];
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/journald.cursor", dir);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    ck_assert_int_eq(ag_cursor_read(path, buf, sizeof buf, err, sizeof err), 0);
    ck_assert_int_eq(ag_cursor_write(path, "s=1;i=2", err, sizeof err), 0);
    ck_assert_int_eq(ag_cursor_write(path, "s=1;i=3", err, sizeof err), 0);
    ck_assert_int_eq(entries(dir), 1); /* renamed away, nothing left over */
    ck_assert_int_eq(ag_cursor_read(path, buf, sizeof buf, err, sizeof err), 1);
    ck_assert_str_eq(buf, "s=1;i=3");
    struct stat st;
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_uint_eq(st.st_mode & 0777, 0600);
    ck_assert_int_eq(truncate(path, 0), 0);
    ck_assert_int_eq(ag_cursor_read(path, buf, sizeof buf, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "empty"));
    snprintf(tmp, sizeof tmp, "%s/none/x", dir);
    ck_assert_int_eq(ag_cursor_write(tmp, "s=1", err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "cursor file"));
    unlink(path);
    rmdir(dir);
}
END_TEST

/* ---- file positions --------------------------------------------------------- */

static void write_file(const char *path, const char *s)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ck_assert_int_ge(fd, 0);
    put(fd, s);
    close(fd);
}

/* The whole file, NUL-terminated: its length. */
static int read_file(const char *path, char *buf, size_t cap)
{
    int fd = open(path, O_RDONLY);
    ck_assert_int_ge(fd, 0);
    ssize_t n = read(fd, buf, cap - 1);
    ck_assert_int_ge(n, 0);
    buf[n] = '\0';
    close(fd);
    return (int)n;
}

/* A scratch directory with auth.log in it. */
struct scratch {
    char dir[32], path[64], rotated[80];
};

static void scratch_init(struct scratch *sc)
{
    snprintf(sc->dir, sizeof sc->dir, "/tmp/agposXXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(sc->dir));
    snprintf(sc->path, sizeof sc->path, "%s/auth.log", sc->dir);
    snprintf(sc->rotated, sizeof sc->rotated, "%s.1", sc->path);
}

static void scratch_free(struct scratch *sc)
{
    char cmd[64];
    snprintf(cmd, sizeof cmd, "rm -rf %s", sc->dir);
    ck_assert_int_eq(system(cmd), 0);
}

/* Reads path from its start until nothing more comes, then returns its
 * position as a stopping daemon would save it. */
static void read_and_save(const char *path, struct got *g, struct ag_filepos *pos)
{
    struct ag_follow f;
    ck_assert_int_eq(ag_follow_open(&f, path, 1), 0);
    while (ag_follow_poll(&f, 1 << 20, collect, g) > 0)
        ;
    ag_filepos_of(&f, pos);
    ag_follow_close(&f);
}

/* A restart from pos: what it reads until nothing more comes (rotations
 * included), and the note it logs. */
static void resume(const char *path, int from_head, const struct ag_filepos *pos,
                   struct got *g, char *note, size_t notelen)
{
    struct ag_follow f;
    ck_assert_int_eq(ag_filepos_open(&f, path, from_head, pos, note, notelen), 0);
    for (int idle = 0; idle < 3;)
        idle = ag_follow_poll(&f, 1 << 20, collect, g) > 0 ? 0 : idle + 1;
    ag_follow_close(&f);
}

START_TEST(position_format_round_trip)
{
    struct ag_filepos in[2] = {
        {.dev = 2049, .ino = 131075, .off = 4096, .head_len = 1024,
         .head_hash = 0x00ab0000000000cdULL, .path = "/var/log/auth.log"},
        {.head_hash = ag_filepos_hash("", 0), .path = "/var/log/secure"},
    }, out[4];
    char buf[512], err[AG_CONF_ERRLEN] = "";
    size_t n;
    size_t len = ag_filepos_format(in, 2, buf, sizeof buf);
    ck_assert_uint_gt(len, 0);
    ck_assert_str_eq(buf, "# authguard file positions 1\n"
                          "2049 131075 4096 1024 00ab0000000000cd /var/log/auth.log\n"
                          "0 0 0 0 cbf29ce484222325 /var/log/secure\n");
    ck_assert_int_eq(ag_filepos_parse(buf, "pos", out, 4, &n, err, sizeof err), 0);
    ck_assert_uint_eq(n, 2);
    ck_assert_mem_eq(&out[0], &in[0], sizeof in[0]);
    ck_assert_mem_eq(&out[1], &in[1], sizeof in[1]);
    ck_assert_ptr_eq(ag_filepos_find(out, n, "/var/log/secure"), &out[1]);
    ck_assert_ptr_null(ag_filepos_find(out, n, "/var/log/secure.1"));
    ck_assert_uint_eq(ag_filepos_format(in, 2, buf, 60), 0); /* does not fit: says so */
}
END_TEST

/* Every bad line is skipped and the first is named by file and line; the
 * good ones still count. */
START_TEST(position_parse_is_strict)
{
    struct ag_filepos out[4];
    char err[AG_CONF_ERRLEN] = "";
    size_t n;
    const char *text = "# authguard file positions 1\n"
                       "1 2 10 10 0000000000000001 /a\n"
                       "12 34 oops /b\n"                          /* line 3 */
                       "1 2 2000 2000 0000000000000001 /c\n"      /* HEAD_LEN > 1024 */
                       "1 2 10 10 1 /d\n"                         /* short hash */
                       "1 2 10 10 000000000000000G /e\n"          /* not hex */
                       "1 2 10 10 0000000000000001 /a\n"          /* /a again */
                       "0 0 5 0 cbf29ce484222325 /f\n"            /* offset, missing */
                       "1 2 10 10 0000000000000001 \n"            /* no path */
                       "99999999999999999999 2 10 10 0000000000000001 /g\n"
                       "3 4 0 0 cbf29ce484222325 /h\n"
                       "3 4 0 0 cbf29ce484222325 /i";             /* cut short */
    ck_assert_int_eq(ag_filepos_parse(text, "/var/lib/x.pos", out, 4, &n, err, sizeof err),
                     9);
    ck_assert_str_eq(err, "/var/lib/x.pos:3: position file: expected DEV INO OFFSET HEAD_LEN "
                          "HEAD_HASH PATH");
    ck_assert_uint_eq(n, 2);
    ck_assert_str_eq(out[0].path, "/a");
    ck_assert_str_eq(out[1].path, "/h");

    ck_assert_int_eq(ag_filepos_parse("1 2 0 0 cbf29ce484222325 /a\n", "p", out, 4, &n, err,
                                      sizeof err), -1);
    ck_assert_uint_eq(n, 0);
    ck_assert_ptr_nonnull(strstr(err, "p:1: not an authguard position file"));
    ck_assert_int_eq(ag_filepos_parse("", "p", out, 4, &n, err, sizeof err), -1);

    /* No more than max lines are taken. */
    text = "# authguard file positions 1\n"
           "0 0 0 0 cbf29ce484222325 /a\n"
           "0 0 0 0 cbf29ce484222325 /b\n";
    ck_assert_int_eq(ag_filepos_parse(text, "p", out, 1, &n, err, sizeof err), 1);
    ck_assert_str_eq(err, "p:3: position file: too many lines");
    ck_assert_uint_eq(n, 1);
}
END_TEST

/* The position is the end of the last complete line handed out: never
 * inside a half-written line, nor past the lines before an oversize one. */
START_TEST(position_after_complete_lines_only)
{
    struct scratch sc;
    struct got g = {0};
    struct ag_filepos pos;
    struct stat st;
    scratch_init(&sc);
    write_file(sc.path, "a1\nb22\nhalf");
    read_and_save(sc.path, &g, &pos);
    ck_assert_str_eq(g.text, "a1|b22|");
    ck_assert_int_eq(stat(sc.path, &st), 0);
    ck_assert_uint_eq(pos.dev, (uint64_t)st.st_dev);
    ck_assert_uint_eq(pos.ino, (uint64_t)st.st_ino);
    ck_assert_uint_eq(pos.off, 7);
    ck_assert_uint_eq(pos.head_len, 7);
    ck_assert_uint_eq(pos.head_hash, ag_filepos_hash("a1\nb22\n", 7));

    char *big = malloc(100 * 1024);
    memset(big, 'A', 100 * 1024);
    big[100 * 1024 - 1] = '\0';
    write_file(sc.path, "x\n");
    append(sc.path, big);
    free(big);
    memset(&g, 0, sizeof g);
    read_and_save(sc.path, &g, &pos);
    ck_assert_str_eq(g.text, "x|");
    ck_assert_uint_eq(pos.off, 2);

    /* The hash covers the first 1024 bytes only: later lines leave it. */
    char line[101];
    memset(line, 'l', 99);
    line[99] = '\n';
    line[100] = '\0';
    write_file(sc.path, "");
    for (int i = 0; i < 20; i++)
        append(sc.path, line);
    memset(&g, 0, sizeof g);
    read_and_save(sc.path, &g, &pos);
    ck_assert_int_eq(g.n, 20);
    ck_assert_uint_eq(pos.off, 2000);
    ck_assert_uint_eq(pos.head_len, 1024);

    /* Truncated under the reader before it noticed (it will read the file
     * again from its start): saved at 0, and the line still parses. */
    struct ag_follow f;
    struct ag_filepos back;
    char text[256], err[AG_CONF_ERRLEN];
    size_t n;
    write_file(sc.path, "a\nb\n");
    ck_assert_int_eq(ag_follow_open(&f, sc.path, 1), 0);
    ag_follow_poll(&f, 1 << 20, collect, &g);
    ck_assert_int_eq(truncate(sc.path, 1), 0);
    ag_filepos_of(&f, &pos);
    ag_follow_close(&f);
    ck_assert_uint_eq(pos.off, 0);
    ck_assert_uint_eq(pos.head_len, 0);
    ck_assert_uint_ne(pos.ino, 0);
    ck_assert_uint_gt(ag_filepos_format(&pos, 1, text, sizeof text), 0);
    ck_assert_int_eq(ag_filepos_parse(text, "p", &back, 1, &n, err, sizeof err), 0);
    ck_assert_uint_eq(n, 1);
    scratch_free(&sc);
}
END_TEST

START_TEST(resume_same_file)
{
    struct scratch sc;
    struct got g = {0};
    struct ag_filepos pos;
    char note[AG_CONF_ERRLEN];
    scratch_init(&sc);
    write_file(sc.path, "a\nb\nhal");
    read_and_save(sc.path, &g, &pos);
    append(sc.path, "f\nc\n");
    memset(&g, 0, sizeof g);
    /* from = tail is overridden; so would head be. */
    resume(sc.path, 0, &pos, &g, note, sizeof note);
    ck_assert_str_eq(g.text, "half|c|");
    ck_assert_ptr_nonnull(strstr(note, "resuming at byte 4"));
    memset(&g, 0, sizeof g);
    resume(sc.path, 1, &pos, &g, note, sizeof note);
    ck_assert_str_eq(g.text, "half|c|");
    /* Without a saved position: as configured. */
    memset(&g, 0, sizeof g);
    resume(sc.path, 0, NULL, &g, note, sizeof note);
    ck_assert_str_eq(g.text, "");
    ck_assert_str_eq(note, "");
    scratch_free(&sc);
}
END_TEST

/* Same inode, but shorter than the offset, or rewritten past it (its first
 * bytes differ): everything in it is new. */
START_TEST(resume_truncated_or_rewritten)
{
    struct scratch sc;
    struct got g = {0};
    struct ag_filepos pos;
    char note[AG_CONF_ERRLEN];
    scratch_init(&sc);
    write_file(sc.path, "old line 1\nold line 2\n");
    read_and_save(sc.path, &g, &pos);
    ck_assert_int_eq(truncate(sc.path, 0), 0);
    append(sc.path, "x\n");
    memset(&g, 0, sizeof g);
    resume(sc.path, 0, &pos, &g, note, sizeof note);
    ck_assert_str_eq(g.text, "x|");
    ck_assert_ptr_nonnull(strstr(note, "truncated while stopped"));
    ck_assert_ptr_nonnull(strstr(note, "lost"));

    ck_assert_int_eq(truncate(sc.path, 0), 0);
    append(sc.path, "new line 1\nnew line 2\nnew line 3\n");
    memset(&g, 0, sizeof g);
    resume(sc.path, 0, &pos, &g, note, sizeof note);
    ck_assert_str_eq(g.text, "new line 1|new line 2|new line 3|");
    scratch_free(&sc);
}
END_TEST

/* Renamed to auth.log.1 while stopped, written to a little more there, and
 * a new auth.log created: the old file's rest, then the new one. */
START_TEST(resume_rotated_by_rename)
{
    struct scratch sc;
    struct got g = {0};
    struct ag_filepos pos;
    char note[AG_CONF_ERRLEN];
    scratch_init(&sc);
    write_file(sc.path, "a\nb\n");
    read_and_save(sc.path, &g, &pos);
    append(sc.path, "c\n");
    ck_assert_int_eq(rename(sc.path, sc.rotated), 0);
    append(sc.rotated, "d\n");
    write_file(sc.path, "e\n");
    memset(&g, 0, sizeof g);
    resume(sc.path, 0, &pos, &g, note, sizeof note);
    ck_assert_str_eq(g.text, "c|d|e|");
    ck_assert_ptr_nonnull(strstr(note, "replaced while stopped"));
    ck_assert_ptr_nonnull(strstr(note, sc.rotated));

    /* Rotated, the new file not created yet: the old one's rest now, the
     * new one whole when it comes. */
    struct ag_follow f;
    write_file(sc.path, "a\nb\n");
    memset(&g, 0, sizeof g);
    read_and_save(sc.path, &g, &pos);
    append(sc.path, "c\n");
    ck_assert_int_eq(rename(sc.path, sc.rotated), 0);
    memset(&g, 0, sizeof g);
    ck_assert_int_eq(ag_filepos_open(&f, sc.path, 0, &pos, note, sizeof note), 0);
    ag_follow_poll(&f, 1 << 20, collect, &g);
    ag_follow_poll(&f, 1 << 20, collect, &g);
    ck_assert_str_eq(g.text, "c|");
    ck_assert_ptr_nonnull(strstr(note, "gone while stopped"));
    write_file(sc.path, "n\n");
    for (int i = 0; i < 3; i++)
        ag_follow_poll(&f, 1 << 20, collect, &g);
    ck_assert_str_eq(g.text, "c|n|");
    ag_follow_close(&f);
    scratch_free(&sc);
}
END_TEST

/* Sets path's last write to secs seconds ago. */
static void age(const char *path, int secs)
{
    struct timespec t[2];
    clock_gettime(CLOCK_REALTIME, &t[0]);
    t[0].tv_sec -= secs;
    t[1] = t[0];
    ck_assert_int_eq(utimensat(AT_FDCWD, path, t, 0), 0);
}

/* Stopped across two rotations: the saved file is auth.log.2 by now, and
 * auth.log.1 was written to entirely while stopped. The rest of .2, all of
 * .1, then auth.log; an older generation (.3) is not read. */
START_TEST(resume_rotated_twice)
{
    struct scratch sc;
    struct got g = {0};
    struct ag_filepos pos;
    char note[AG_CONF_ERRLEN], two[96], three[96];
    scratch_init(&sc);
    snprintf(two, sizeof two, "%s.2", sc.path);
    snprintf(three, sizeof three, "%s.3", sc.path);
    write_file(three, "z\n");
    age(three, 4 * 3600);
    write_file(sc.path, "a\nb\n");
    read_and_save(sc.path, &g, &pos);
    append(sc.path, "c\n");
    ck_assert_int_eq(rename(sc.path, sc.rotated), 0);
    age(sc.rotated, 3 * 3600);
    write_file(sc.path, "d1\nd2\n");
    age(sc.path, 2 * 3600);
    ck_assert_int_eq(rename(sc.rotated, two), 0);
    ck_assert_int_eq(rename(sc.path, sc.rotated), 0);
    write_file(sc.path, "e\n");
    memset(&g, 0, sizeof g);
    resume(sc.path, 0, &pos, &g, note, sizeof note);
    ck_assert_str_eq(g.text, "c|d1|d2|e|");
    ck_assert_ptr_nonnull(strstr(note, two));
    ck_assert_ptr_nonnull(strstr(note, "auth.log.1, rotated in between: read whole"));
    ck_assert_ptr_null(strstr(note, "auth.log.3"));
    scratch_free(&sc);
}
END_TEST

/* Three rotations, the middle file compressed: it cannot be read, and the
 * note says so; the one after it still is. A position saved while reading
 * a file rotated in between resumes in it. */
START_TEST(resume_rotated_compressed_between)
{
    struct scratch sc;
    struct got g = {0};
    struct ag_filepos pos;
    char note[AG_CONF_ERRLEN], saved[96], gz[96];
    scratch_init(&sc);
    snprintf(saved, sizeof saved, "%s.3", sc.path);
    snprintf(gz, sizeof gz, "%s.2.gz", sc.path);
    write_file(sc.path, "a\n");
    read_and_save(sc.path, &g, &pos);
    append(sc.path, "b\n");
    ck_assert_int_eq(rename(sc.path, saved), 0);
    age(saved, 3 * 3600);
    write_file(gz, "\x1f\x8b not lines\n");
    age(gz, 2 * 3600);
    write_file(sc.rotated, "c1\nc2\n");
    age(sc.rotated, 3600);
    write_file(sc.path, "d\n");
    memset(&g, 0, sizeof g);
    resume(sc.path, 0, &pos, &g, note, sizeof note);
    ck_assert_str_eq(g.text, "b|c1|c2|d|");
    ck_assert_ptr_nonnull(strstr(note, "auth.log.2.gz, rotated in between: compressed, its "
                                       "lines are lost"));

    /* Stopped at the end of auth.log.1, before auth.log: d and e follow. */
    struct ag_follow f;
    ck_assert_int_eq(ag_filepos_open(&f, sc.path, 0, &pos, note, sizeof note), 0);
    memset(&g, 0, sizeof g);
    while (strcmp(g.text, "b|c1|c2|") != 0)
        ck_assert_int_ge(ag_follow_poll(&f, 1 << 20, collect, &g), 0);
    ag_filepos_of(&f, &pos);
    ag_follow_close(&f);
    ck_assert_uint_eq(pos.off, 6);
    append(sc.path, "e\n");
    memset(&g, 0, sizeof g);
    resume(sc.path, 0, &pos, &g, note, sizeof note);
    ck_assert_str_eq(g.text, "d|e|");
    scratch_free(&sc);
}
END_TEST

/* copytruncate while stopped: auth.log.1 is a copy (another inode) with the
 * same first bytes; auth.log is the same inode, emptied and written again. */
START_TEST(resume_copytruncate)
{
    struct scratch sc;
    struct got g = {0};
    struct ag_filepos pos;
    char note[AG_CONF_ERRLEN], other[96];
    scratch_init(&sc);
    write_file(sc.path, "a\nb\n");
    read_and_save(sc.path, &g, &pos);
    append(sc.path, "c\n");
    /* An older generation beside it, which must not be taken for the copy. */
    snprintf(other, sizeof other, "%s.2", sc.path);
    write_file(other, "z\ny\nx\nw\n");
    write_file(sc.rotated, "a\nb\nc\n");
    ck_assert_int_eq(truncate(sc.path, 0), 0);
    append(sc.path, "d\n");
    memset(&g, 0, sizeof g);
    resume(sc.path, 0, &pos, &g, note, sizeof note);
    ck_assert_str_eq(g.text, "c|d|");
    ck_assert_ptr_nonnull(strstr(note, "truncated while stopped"));
    ck_assert_ptr_nonnull(strstr(note, sc.rotated));
    scratch_free(&sc);
}
END_TEST

/* The old file is gone (compressed, deleted): the new one from its start,
 * and the note says what is lost. Names that are not rotations of the path
 * are never taken for the old file. */
START_TEST(resume_old_file_gone)
{
    struct scratch sc;
    struct got g = {0};
    struct ag_filepos pos;
    char note[AG_CONF_ERRLEN], other[96];
    scratch_init(&sc);
    write_file(sc.path, "a\nb\n");
    read_and_save(sc.path, &g, &pos);
    append(sc.path, "c\n");
    snprintf(other, sizeof other, "%s/auth.logX", sc.dir);
    ck_assert_int_eq(rename(sc.path, other), 0);
    write_file(sc.path, "d\n");
    memset(&g, 0, sizeof g);
    resume(sc.path, 0, &pos, &g, note, sizeof note);
    ck_assert_str_eq(g.text, "d|");
    ck_assert_ptr_nonnull(strstr(note, "after byte 4 are lost"));
    scratch_free(&sc);
}
END_TEST

/* Missing at the save, created while stopped: read whole even with from =
 * tail. */
START_TEST(resume_created_while_stopped)
{
    struct scratch sc;
    struct ag_follow f;
    struct got g = {0};
    struct ag_filepos pos;
    char note[AG_CONF_ERRLEN];
    scratch_init(&sc);
    ck_assert_int_eq(ag_follow_open(&f, sc.path, 0), 0);
    ag_filepos_of(&f, &pos);
    ag_follow_close(&f);
    ck_assert_uint_eq(pos.dev, 0);
    ck_assert_uint_eq(pos.ino, 0);
    write_file(sc.path, "a\nb\n");
    resume(sc.path, 0, &pos, &g, note, sizeof note);
    ck_assert_str_eq(g.text, "a|b|");
    ck_assert_ptr_nonnull(strstr(note, "created while stopped"));
    scratch_free(&sc);
}
END_TEST

/* Saved through the state file and loaded back; a damaged file is
 * reported, a missing one is no error. */
START_TEST(position_file_save_and_load)
{
    struct scratch sc;
    struct ag_follow f[2];
    struct ag_filepos out[4];
    char pos_file[96], err[AG_CONF_ERRLEN] = "", other[96], tmp[100];
    size_t n = 99;
    scratch_init(&sc);
    snprintf(pos_file, sizeof pos_file, "%s/files.pos", sc.dir);
    snprintf(other, sizeof other, "%s/secure", sc.dir);
    ck_assert_int_eq(ag_filepos_load(pos_file, out, 4, &n, err, sizeof err), 0);
    ck_assert_uint_eq(n, 0);
    write_file(sc.path, "a\nb\n");
    ck_assert_int_eq(ag_follow_open(&f[0], sc.path, 0), 0);
    ck_assert_int_eq(ag_follow_open(&f[1], other, 0), 0);
    ck_assert_int_eq(ag_filepos_save(pos_file, f, 2, err, sizeof err), 0);
    ck_assert_int_eq(entries(sc.dir), 2); /* auth.log, files.pos: nothing left over */
    ck_assert_int_eq(ag_filepos_load(pos_file, out, 4, &n, err, sizeof err), 0);
    ck_assert_uint_eq(n, 2);
    ck_assert_str_eq(out[0].path, sc.path);
    ck_assert_uint_eq(out[0].off, 4); /* from = tail: the end */
    ck_assert_uint_eq(out[0].ino, (uint64_t)f[0].ino);
    ck_assert_str_eq(out[1].path, other);
    ck_assert_uint_eq(out[1].ino, 0);
    ag_follow_close(&f[0]);
    ag_follow_close(&f[1]);

    write_file(pos_file, "# authguard file positions 1\n0 0 0 0 cbf29ce484222325 /a\nx\n");
    ck_assert_int_eq(ag_filepos_load(pos_file, out, 4, &n, err, sizeof err), 1);
    ck_assert_uint_eq(n, 1);
    ck_assert_ptr_nonnull(strstr(err, "files.pos:3: position file:"));
    int fd = open(pos_file, O_WRONLY | O_TRUNC);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, "# authguard file positions 1\n\0\n", 31), 31);
    close(fd);
    ck_assert_int_eq(ag_filepos_load(pos_file, out, 4, &n, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "NUL"));
    ck_assert_int_eq(chmod(pos_file, 0), 0);
    if (geteuid() != 0) { /* root reads it anyway */
        ck_assert_int_eq(ag_filepos_load(pos_file, out, 4, &n, err, sizeof err), -1);
        ck_assert_ptr_nonnull(strstr(err, "position file"));
    }
    snprintf(tmp, sizeof tmp, "%s/none/files.pos", sc.dir);
    ck_assert_int_eq(ag_filepos_save(tmp, f, 0, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "position file"));
    scratch_free(&sc);
}
END_TEST

START_TEST(state_files_never_open_a_planted_link)
{
    struct scratch sc;
    struct ag_follow f;
    struct ag_filepos out[2];
    char cursor[96], pos_file[96], victim[96], link[96], buf[AG_JOURNALD_CURSOR_MAX];
    char err[AG_CONF_ERRLEN] = "";
    size_t n = 0;
    scratch_init(&sc);
    snprintf(cursor, sizeof cursor, "%s/journald.cursor", sc.dir);
    snprintf(pos_file, sizeof pos_file, "%s/files.pos", sc.dir);
    snprintf(victim, sizeof victim, "%s/victim", sc.dir);
    plant_tmp_link(cursor, victim);
    ck_assert_int_eq(ag_cursor_write(cursor, "s=1;i=9", err, sizeof err), 0);
    victim_untouched(victim);
    ck_assert_int_eq(ag_cursor_read(cursor, buf, sizeof buf, err, sizeof err), 1);
    ck_assert_str_eq(buf, "s=1;i=9");

    write_file(sc.path, "a\nb\n");
    ck_assert_int_eq(ag_follow_open(&f, sc.path, 0), 0);
    plant_tmp_link(pos_file, victim);
    ck_assert_int_eq(ag_filepos_save(pos_file, &f, 1, err, sizeof err), 0);
    ag_follow_close(&f);
    victim_untouched(victim);
    ck_assert_int_eq(ag_filepos_load(pos_file, out, 2, &n, err, sizeof err), 0);
    ck_assert_uint_eq(n, 1);
    ck_assert_uint_eq(out[0].off, 4);
    struct stat st;
    ck_assert_int_eq(stat(pos_file, &st), 0);
    ck_assert_uint_eq(st.st_mode & 07777, 0600);
    /* victim, auth.log, two state files, two planted links: nothing else */
    ck_assert_int_eq(entries(sc.dir), 6);

    /* A state file that is itself a link is not read. */
    snprintf(link, sizeof link, "%s/linked.cursor", sc.dir);
    ck_assert_int_eq(symlink(cursor, link), 0);
    ck_assert_int_eq(ag_cursor_read(link, buf, sizeof buf, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "symbolic link"));
    scratch_free(&sc);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("follow");
    TCase *tc = tcase_create("follow");
    tcase_add_test(tc, follow_rename_and_truncate);
    tcase_add_test(tc, follow_line_at_the_limit);
    tcase_add_test(tc, follow_symlink_retargeted);
    tcase_add_test(tc, cursor_file_round_trip);
    tcase_add_test(tc, state_files_never_open_a_planted_link);
    tcase_add_test(tc, position_format_round_trip);
    tcase_add_test(tc, position_parse_is_strict);
    tcase_add_test(tc, position_after_complete_lines_only);
    tcase_add_test(tc, resume_same_file);
    tcase_add_test(tc, resume_truncated_or_rewritten);
    tcase_add_test(tc, resume_rotated_by_rename);
    tcase_add_test(tc, resume_rotated_twice);
    tcase_add_test(tc, resume_rotated_compressed_between);
    tcase_add_test(tc, resume_copytruncate);
    tcase_add_test(tc, resume_old_file_gone);
    tcase_add_test(tc, resume_created_while_stopped);
    tcase_add_test(tc, position_file_save_and_load);
    tcase_set_timeout(tc, 30);
    suite_add_tcase(s, tc);
    return s;
}

AG_TEST_MAIN
