/* test_follow.c - the pieces under `authguard run`'s inputs: lines out of
 * reads that end anywhere (split lines, CRLF, oversize lines, a last line
 * without newline), a followed file through rename and truncation, and the
 * journal cursor file written atomically. */
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ag_test.h"
#include "plugin/follow.h"
#include "plugin/journald.h"

struct got {
    char text[8192];
    size_t len;
    int n;
};

static void collect(void *ud, const char *line, size_t len)
{
    struct got *g = ud;
    ck_assert_uint_lt(g->len + len + 1, sizeof g->text);
    memcpy(g->text + g->len, line, len);
    g->len += len;
    g->text[g->len++] = '|';
    g->text[g->len] = '\0';
    g->n++;
}

static void drain_lines(struct ag_linebuf *lb, struct got *g)
{
    const char *line;
    size_t len;
    while (ag_linebuf_next(lb, &line, &len))
        collect(g, line, len);
}

static void put(int fd, const char *s)
{
    ck_assert_int_eq(write(fd, s, strlen(s)), (ssize_t)strlen(s));
}

START_TEST(lines_split_across_reads)
{
    int p[2];
    struct ag_linebuf lb;
    struct got g = {0};
    const char *line;
    size_t len;
    ck_assert_int_eq(pipe(p), 0);
    ck_assert_int_eq(ag_linebuf_init(&lb), 0);
    put(p[1], "one\r\ntw");
    ck_assert_int_gt(ag_linebuf_fill(&lb, p[0]), 0);
    drain_lines(&lb, &g);
    ck_assert_str_eq(g.text, "one|");
    put(p[1], "o\n\nthree");
    ck_assert_int_gt(ag_linebuf_fill(&lb, p[0]), 0);
    drain_lines(&lb, &g);
    ck_assert_str_eq(g.text, "one|two||");
    close(p[1]);
    ck_assert_int_eq(ag_linebuf_fill(&lb, p[0]), 0);
    ck_assert_int_eq(ag_linebuf_rest(&lb, &line, &len), 1);
    collect(&g, line, len);
    ck_assert_str_eq(g.text, "one|two||three|");
    ck_assert_int_eq(ag_linebuf_rest(&lb, &line, &len), 0);
    close(p[0]);
    ag_linebuf_free(&lb);
}
END_TEST

/* A 100 KiB line is dropped and counted once; the lines around it stay. */
START_TEST(oversize_line_is_skipped)
{
    char path[] = "/tmp/agfollowXXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    unlink(path);
    put(fd, "before\n");
    char *big = malloc(100 * 1024);
    memset(big, 'A', 100 * 1024);
    ck_assert_int_eq(write(fd, big, 100 * 1024), 100 * 1024);
    free(big);
    put(fd, "\nafter\n");
    lseek(fd, 0, SEEK_SET);
    struct ag_linebuf lb;
    struct got g = {0};
    ck_assert_int_eq(ag_linebuf_init(&lb), 0);
    while (ag_linebuf_fill(&lb, fd) > 0)
        drain_lines(&lb, &g);
    ck_assert_str_eq(g.text, "before|after|");
    ck_assert_uint_eq(lb.oversize, 1);
    ag_linebuf_free(&lb);
    close(fd);
}
END_TEST

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
    ck_assert_int_eq(access(tmp, F_OK), -1); /* renamed away, nothing left over */
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

static Suite *suite(void)
{
    Suite *s = suite_create("follow");
    TCase *tc = tcase_create("follow");
    tcase_add_test(tc, lines_split_across_reads);
    tcase_add_test(tc, oversize_line_is_skipped);
    tcase_add_test(tc, follow_rename_and_truncate);
    tcase_add_test(tc, cursor_file_round_trip);
    tcase_set_timeout(tc, 30);
    suite_add_tcase(s, tc);
    return s;
}

AG_TEST_MAIN
