/* test_jsonl.c - the JSON-lines sink and its writer thread: from several
 * feeding threads every line reaches the file whole and each thread's lines
 * in their order; a finding comes after the events rendered before it; a
 * write that fails is reported by the next flush, once, or (hold) by every
 * flush until it is written; a write cut short leaves no part of a line;
 * the file is created 0600 whatever the umask, and never through a
 * symbolic link; the writer leaves the host's signals to the host's
 * threads, all but SIGPIPE.
 *
 * RLIMIT_FSIZE with SIGXFSZ ignored makes a write stop at a set size with
 * EFBIG, as a full disk stops it with ENOSPC, at a place of the test's
 * choosing. */
#include <errno.h>
#include <json-c/json.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ag_test.h"
#include "engine/finding.h"
#include "sinks/jsonl.h"
#include "tests/unit/finding_check.h"
#include "tests/unit/thread_check.h"

static const char line[] = "Nov  9 04:07:51 web-1 sshd[4242]: Failed password for root from "
                           "203.0.113.45 port 52344 ssh2";

static void make_event(struct ag_event *ev, int64_t time_ms)
{
    memset(ev, 0, sizeof *ev);
    ev->line = line;
    ev->line_len = sizeof line - 1;
    ev->time_ms = time_ms;
    ev->kind = AG_EV_AUTH_FAILURE;
    ev->method = AG_M_PASSWORD;
    ev->count = 1;
    /* No Check assertion here: a child of run_limited() feeds too. */
    if (ag_addr_parse("203.0.113.45", 12, &ev->src) != 0)
        abort();
    const char *msg = strstr(line, "Failed");
    ev->host = (struct ag_span){16, 5};
    ev->program = (struct ag_span){22, 4};
    ev->msg = (struct ag_span){(uint16_t)(msg - line), (uint16_t)(line + ev->line_len - msg)};
    ev->user = (struct ag_span){(uint16_t)(strstr(line, "root") - line), 4};
}

static void temp_file(char *path)
{
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    close(fd);
}

static const struct ag_ocsf_ctx ctx = {.product_version = "0.1.0"};

static struct ag_sink *sink_at(const char *path)
{
    char err[256] = "";
    struct ag_sink *s = ag_jsonl_new(path, AG_EVENTS_ALL, &ctx, err, sizeof err);
    ck_assert_msg(s != NULL, "%s", err);
    return s;
}

struct feeder {
    struct ag_sink *s;
    int64_t base;
    int n;
};

static void *feed(void *arg)
{
    struct feeder *fd = arg;
    struct ag_event ev;
    for (int i = 0; i < fd->n; i++) {
        make_event(&ev, fd->base + i);
        fd->s->ops->event(fd->s, &ev, NULL);
    }
    return NULL;
}

/* The file's lines, each checked to be one JSON object: its "time" (or
 * -1 for a finding) in file order. */
static int64_t *read_times(const char *path, int *n)
{
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    size_t cap = 1024, len = 0;
    int64_t *t = malloc(cap * sizeof *t);
    char *buf = NULL;
    size_t bcap = 0;
    ssize_t got;
    while ((got = getline(&buf, &bcap, f)) > 0) {
        ck_assert_msg(buf[got - 1] == '\n', "line %zu cut short", len + 1);
        json_object *o = json_tokener_parse(buf), *v;
        ck_assert_msg(o != NULL, "line %zu is not JSON", len + 1);
        if (len == cap)
            t = realloc(t, (cap *= 2) * sizeof *t);
        ck_assert(json_object_object_get_ex(o, "class_uid", &v));
        int finding = json_object_get_int(v) == 2004;
        ck_assert(json_object_object_get_ex(o, "time", &v));
        t[len++] = finding ? -1 : json_object_get_int64(v);
        json_object_put(o);
    }
    free(buf);
    fclose(f);
    *n = (int)len;
    return t;
}

START_TEST(threads_lines_arrive_whole_and_in_order)
{
    char path[] = "/tmp/agjsonlXXXXXX";
    temp_file(path);
    struct ag_sink *s = sink_at(path);
    /* About 2.7 MB per thread: many buffers handed to the writer. */
    enum { PER = 3000 };
    struct feeder f[2] = {{s, 1000000000000LL, PER}, {s, 2000000000000LL, PER}};
    pthread_t th[2];
    for (int i = 0; i < 2; i++)
        ck_assert_int_eq(pthread_create(&th[i], NULL, feed, &f[i]), 0);
    for (int i = 0; i < 2; i++)
        pthread_join(th[i], NULL);
    struct ag_finding fi;
    fc_finding(&fi, AG_RULE_BRUTEFORCE, "203.0.113.45");
    s->ops->finding(s, &fi, NULL);
    ck_assert_int_eq(s->ops->flush(s, 0), 0);
    s->ops->destroy(s);

    int n;
    int64_t *t = read_times(path, &n);
    unlink(path);
    ck_assert_int_eq(n, 2 * PER + 1);
    ck_assert_int_eq(t[n - 1], -1); /* the finding, after every event */
    int64_t next[2] = {f[0].base, f[1].base};
    for (int i = 0; i < n - 1; i++) {
        int who = t[i] >= f[1].base;
        ck_assert_msg(t[i] == next[who], "line %d: time %lld, expected %lld", i + 1,
                      (long long)t[i], (long long)next[who]);
        next[who]++;
    }
    free(t);
}
END_TEST

START_TEST(finding_follows_the_events_before_it)
{
    char path[] = "/tmp/agjsonlXXXXXX";
    temp_file(path);
    struct ag_sink *s = sink_at(path);
    struct feeder before = {s, 100, 700}, after = {s, 100000, 700};
    feed(&before);
    struct ag_finding fi;
    fc_finding(&fi, AG_RULE_BRUTEFORCE, "203.0.113.45");
    s->ops->finding(s, &fi, NULL);
    feed(&after);
    s->ops->destroy(s); /* destroy flushes */

    int n;
    int64_t *t = read_times(path, &n);
    unlink(path);
    ck_assert_int_eq(n, 1401);
    for (int i = 0; i < 700; i++)
        ck_assert_int_eq(t[i], 100 + i);
    ck_assert_int_eq(t[700], -1);
    for (int i = 0; i < 700; i++)
        ck_assert_int_eq(t[701 + i], 100000 + i);
    free(t);
}
END_TEST

START_TEST(failed_writes_are_reported_by_the_next_flush)
{
    /* /dev/full refuses every write with ENOSPC. */
    struct ag_sink *s = sink_at("/dev/full");
    struct feeder f = {s, 1, 500}; /* past the hand-over size: the writer fails */
    feed(&f);
    ck_assert_int_gt(s->ops->flush(s, 0), 0);
    ck_assert_int_eq(s->ops->flush(s, 0), 0); /* nothing new, nothing failed */
    struct ag_event ev;
    make_event(&ev, 7);
    s->ops->event(s, &ev, NULL);
    ck_assert_int_gt(s->ops->flush(s, 0), 0); /* the caller's own write fails too */
    s->ops->destroy(s);
}
END_TEST

/* Writes past limit bytes stop there with EFBIG, as on a full disk. The
 * limit also stops Check's own message file, so what runs under it runs in
 * a child of its own, which makes no assertion and hands its figures back
 * through a pipe (pipes know no file size limit). */
static void limit_file_size(rlim_t limit)
{
    struct rlimit rl;
    getrlimit(RLIMIT_FSIZE, &rl);
    rl.rlim_cur = limit;
    setrlimit(RLIMIT_FSIZE, &rl);
    signal(SIGXFSZ, SIG_IGN);
}

static void unlimit_file_size(void)
{
    struct rlimit rl;
    getrlimit(RLIMIT_FSIZE, &rl);
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_FSIZE, &rl);
}

enum { FIGURES = 8 };
typedef void limited_fn(const char *path, long fig[FIGURES]);

static void run_limited(limited_fn *fn, const char *path, long fig[FIGURES])
{
    int p[2];
    ck_assert_int_eq(pipe(p), 0);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        long f[FIGURES] = {0};
        close(p[0]);
        fn(path, f);
        _exit(write(p[1], f, sizeof f) == (ssize_t)sizeof f ? 0 : 1);
    }
    close(p[1]);
    ck_assert_int_eq(read(p[0], fig, sizeof(long) * FIGURES), (ssize_t)(sizeof(long) * FIGURES));
    close(p[0]);
    int status;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the child failed");
}

static struct ag_sink *held_sink(const char *path, int hold)
{
    char err[256] = "";
    struct ag_jsonl_opts o = {.events = AG_EVENTS_ALL, .mode = AG_JSONL_MODE, .hold = hold};
    return ag_jsonl_open(path, &o, &ctx, err, sizeof err);
}

static off_t size_of(const char *path)
{
    struct stat st;
    ck_assert_int_eq(stat(path, &st), 0);
    return st.st_size;
}

/* The file holds exactly the events base .. base + n - 1, in order. */
static void expect_times(const char *path, int64_t base, int n)
{
    int got;
    int64_t *t = read_times(path, &got); /* every line whole and JSON */
    ck_assert_int_eq(got, n);
    for (int i = 0; i < n; i++)
        ck_assert_msg(t[i] == base + i, "line %d: time %lld, expected %lld", i + 1,
                      (long long)t[i], (long long)(base + i));
    free(t);
}

static int lines_in(const char *path)
{
    int n;
    free(read_times(path, &n)); /* and each whole JSON */
    return n;
}

/* fig: flushes before room comes back (3), the size then, the flush after. */
static void short_write_held(const char *path, long fig[FIGURES])
{
    struct stat st;
    limit_file_size(10001); /* inside a line */
    struct ag_sink *s = held_sink(path, 1);
    if (!s)
        _exit(2);
    struct feeder f = {s, 1000, 300}; /* ~300 KB: several hand-overs */
    feed(&f);
    fig[0] = s->ops->flush(s, 0);
    fig[1] = s->ops->flush(s, 0); /* nothing new, still not written */
    fig[2] = s->ops->flush(s, 300);
    fig[3] = stat(path, &st) == 0 ? (long)st.st_size : -1;
    unlimit_file_size();
    fig[4] = s->ops->flush(s, 5000);
    s->ops->destroy(s);
}

START_TEST(hold_short_write_is_cut_back_and_stays_failed_until_written)
{
    char path[] = "/tmp/agjsonlXXXXXX";
    temp_file(path);
    long fig[FIGURES];
    run_limited(short_write_held, path, fig);
    ck_assert_int_gt(fig[3], 0);
    ck_assert_int_lt(fig[3], 10001); /* the line the limit stopped was cut off */
    ck_assert_int_gt(fig[0], 0);
    ck_assert_int_eq(fig[1], fig[0]); /* reported by every flush ... */
    ck_assert_int_eq(fig[2], fig[0]);
    ck_assert_int_eq(fig[4], 0);      /* ... until written */
    expect_times(path, 1000, 300);    /* each once, in order, nothing glued */
    unlink(path);
}
END_TEST

/* fig: the flush that meets the limit, the next, the size, then after room. */
static void short_write_dropped(const char *path, long fig[FIGURES])
{
    struct stat st;
    limit_file_size(10001);
    struct ag_sink *s = held_sink(path, 0);
    if (!s)
        _exit(2);
    struct feeder f = {s, 1000, 300};
    feed(&f);
    fig[0] = s->ops->flush(s, 0);
    fig[1] = s->ops->flush(s, 0);
    fig[2] = stat(path, &st) == 0 ? (long)st.st_size : -1;
    unlimit_file_size();
    struct feeder more = {s, 5000, 5};
    feed(&more);
    fig[3] = s->ops->flush(s, 0);
    s->ops->destroy(s);
}

START_TEST(drop_short_write_is_cut_back_and_reported_once)
{
    char path[] = "/tmp/agjsonlXXXXXX";
    temp_file(path);
    long fig[FIGURES];
    run_limited(short_write_dropped, path, fig);
    ck_assert_int_lt(fig[2], 10001);
    int n = lines_in(path); /* the next lines start on a line of their own */
    ck_assert_int_eq(fig[0], 300 - (n - 5));
    ck_assert_int_eq(fig[1], 0); /* the host has been told */
    ck_assert_int_eq(fig[3], 0);
    int got;
    int64_t *t = read_times(path, &got);
    for (int i = 0; i < 5; i++)
        ck_assert_int_eq(t[got - 5 + i], 5000 + i);
    free(t);
    unlink(path);
}
END_TEST

struct blocked_feeder {
    struct feeder f;
    atomic_int done;
};

static void *feed_and_mark(void *arg)
{
    struct blocked_feeder *b = arg;
    feed(&b->f);
    atomic_store(&b->done, 1);
    return NULL;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* fig: did the feeder finish while there was no room, the flush after. */
static void full_buffer_waits(const char *path, long fig[FIGURES])
{
    limit_file_size(4096);
    struct ag_sink *s = held_sink(path, 1);
    if (!s)
        _exit(2);
    /* ~3 MB: more than the sink holds, so the feeder must wait. */
    struct blocked_feeder b = {{s, 5000, 3000}, 0};
    pthread_t th;
    if (pthread_create(&th, NULL, feed_and_mark, &b) != 0)
        _exit(3);
    sleep_ms(500);
    fig[0] = atomic_load(&b.done);
    unlimit_file_size(); /* the disk has room again */
    pthread_join(th, NULL);
    fig[1] = s->ops->flush(s, 5000);
    s->ops->destroy(s);
}

START_TEST(hold_full_buffer_makes_the_feeder_wait_and_loses_nothing)
{
    char path[] = "/tmp/agjsonlXXXXXX";
    temp_file(path);
    long fig[FIGURES];
    run_limited(full_buffer_waits, path, fig);
    ck_assert_int_eq(fig[0], 0);
    ck_assert_int_eq(fig[1], 0);
    expect_times(path, 5000, 3000);
    unlink(path);
}
END_TEST

/* fig: finished before, two flushes after stop_waiting. */
static void stop_while_full(const char *path, long fig[FIGURES])
{
    limit_file_size(4096);
    struct ag_sink *s = held_sink(path, 1);
    if (!s)
        _exit(2);
    struct blocked_feeder b = {{s, 5000, 3000}, 0};
    pthread_t th;
    if (pthread_create(&th, NULL, feed_and_mark, &b) != 0)
        _exit(3);
    sleep_ms(300);
    fig[0] = atomic_load(&b.done);
    s->ops->stop_waiting(s);
    pthread_join(th, NULL);
    fig[1] = s->ops->flush(s, 0);
    fig[2] = s->ops->flush(s, 0);
    s->ops->destroy(s);
}

START_TEST(stop_waiting_lets_the_feeder_go_and_counts_what_it_drops)
{
    char path[] = "/tmp/agjsonlXXXXXX";
    temp_file(path);
    long fig[FIGURES];
    run_limited(stop_while_full, path, fig);
    ck_assert_int_eq(fig[0], 0);
    int n = lines_in(path);
    ck_assert_int_eq(fig[1], 3000 - n); /* held or dropped: none forgotten */
    ck_assert_int_eq(fig[2], 3000 - n);
    unlink(path);
}
END_TEST

START_TEST(created_0600_under_umask_022_and_mode_key_applies)
{
    char dir[] = "/tmp/agjsonldXXXXXX", path[64], err[256] = "";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/out.jsonl", dir);
    mode_t old = umask(022);
    struct ag_sink *s = sink_at(path);
    s->ops->destroy(s);
    ck_assert_int_eq(size_of(path), 0);
    struct stat st;
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_int_eq(st.st_mode & 07777, 0600);
    /* A file an older version left world-readable is narrowed. */
    ck_assert_int_eq(chmod(path, 0644), 0);
    s = sink_at(path);
    s->ops->destroy(s);
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_int_eq(st.st_mode & 07777, 0600);
    /* [sink.jsonl] mode = 0640 */
    struct ag_conf *c;
    char text[256];
    snprintf(text, sizeof text, "[sink.jsonl]\npath = %s\nmode = 0640\n", path);
    ck_assert_int_eq(ag_conf_load_string(&c, "t.conf", text, err, sizeof err), 0);
    struct ag_sink_env env = {.conf = c, .ocsf = &ctx};
    s = ag_jsonl_create(&env, err, sizeof err);
    ck_assert_msg(s != NULL, "%s", err);
    s->ops->destroy(s);
    ag_conf_free(c);
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_int_eq(st.st_mode & 07777, 0640);
    umask(old);
    unlink(path);
    rmdir(dir);
}
END_TEST

START_TEST(mode_key_is_validated)
{
    static const char *const bad[] = {"0400", "0200", "01600", "0800", "rw", "60", "-600"};
    char err[256], text[128];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct ag_conf *c;
        snprintf(text, sizeof text, "[sink.jsonl]\npath = /dev/null\nmode = %s\n", bad[i]);
        ck_assert_int_eq(ag_conf_load_string(&c, "t.conf", text, err, sizeof err), 0);
        struct ag_sink_env env = {.conf = c, .ocsf = &ctx};
        err[0] = '\0';
        ck_assert_ptr_null(ag_jsonl_create(&env, err, sizeof err));
        ck_assert_msg(strstr(err, "t.conf:3: [sink.jsonl] mode: expected an octal file mode"),
                      "%s: %s", bad[i], err);
        ag_conf_free(c);
    }
}
END_TEST

START_TEST(a_planted_symlink_is_not_followed)
{
    char dir[] = "/tmp/agjsonldXXXXXX", path[64], victim[64], err[256] = "";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/out.jsonl", dir);
    snprintf(victim, sizeof victim, "%s/victim", dir);
    FILE *v = fopen(victim, "w");
    fputs("keep me\n", v);
    fclose(v);
    ck_assert_int_eq(chmod(victim, 0644), 0);
    ck_assert_int_eq(symlink(victim, path), 0);
    struct ag_sink *s = ag_jsonl_new(path, AG_EVENTS_ALL, &ctx, err, sizeof err);
    ck_assert_ptr_null(s);
    ck_assert_ptr_nonnull(strstr(err, "symbolic link"));
    struct stat st;
    ck_assert_int_eq(stat(victim, &st), 0);
    ck_assert_int_eq(st.st_size, 8);
    ck_assert_int_eq(st.st_mode & 07777, 0644);
    unlink(path);
    unlink(victim);
    rmdir(dir);
}
END_TEST

START_TEST(an_unterminated_last_line_is_cut_before_the_first_write)
{
    char path[] = "/tmp/agjsonlXXXXXX";
    temp_file(path);
    struct ag_sink *s = sink_at(path);
    struct feeder f = {s, 70, 2};
    feed(&f);
    s->ops->destroy(s);
    FILE *o = fopen(path, "a");
    fputs("{\"class_uid\":3002,\"time\":12", o); /* a crash in the middle of a line */
    fclose(o);
    s = sink_at(path);
    struct feeder more = {s, 72, 2};
    feed(&more);
    s->ops->destroy(s);
    expect_times(path, 70, 4);
    unlink(path);
}
END_TEST

START_TEST(a_last_line_not_ours_is_ended_not_cut)
{
    char path[] = "/tmp/agjsonlXXXXXX", buf[64];
    temp_file(path);
    FILE *o = fopen(path, "w");
    fputs("kept\nsomeone else's text", o);
    fclose(o);
    struct ag_sink *s = sink_at(path);
    struct feeder f = {s, 80, 1};
    feed(&f);
    s->ops->destroy(s);
    o = fopen(path, "r");
    ck_assert_ptr_nonnull(fgets(buf, sizeof buf, o));
    ck_assert_str_eq(buf, "kept\n");
    ck_assert_ptr_nonnull(fgets(buf, sizeof buf, o));
    ck_assert_str_eq(buf, "someone else's text\n");
    ck_assert_int_eq(fgetc(o), '{'); /* the event, on a line of its own */
    fclose(o);
    unlink(path);
}
END_TEST

/* fig: the flush at the limit, then the flush after the file was emptied
 * and room came back. */
static void foreign_tail_then_emptied(const char *path, long fig[FIGURES])
{
    limit_file_size(64); /* the foreign text fills it: even "\n" fails */
    struct ag_sink *s = held_sink(path, 1);
    if (!s)
        _exit(2);
    struct feeder f = {s, 90, 1};
    feed(&f);
    fig[0] = s->ops->flush(s, 0);
    unlimit_file_size();
    fig[1] = truncate(path, 0);
    fig[2] = s->ops->flush(s, 5000);
    s->ops->destroy(s);
}

/* The newline that would end someone else's last line is decided at each
 * try, from the file as it is then: emptied meanwhile, it gets none. */
START_TEST(a_failed_line_end_is_decided_again_at_the_next_try)
{
    char path[] = "/tmp/agjsonlXXXXXX";
    temp_file(path);
    FILE *o = fopen(path, "w");
    for (int i = 0; i < 64; i++)
        fputc('x', o);
    fclose(o);
    long fig[FIGURES];
    run_limited(foreign_tail_then_emptied, path, fig);
    ck_assert_int_gt(fig[0], 0);
    ck_assert_int_eq(fig[1], 0);
    ck_assert_int_eq(fig[2], 0);
    expect_times(path, 90, 1); /* no empty first line */
    unlink(path);
}
END_TEST

START_TEST(writer_thread_takes_no_signal)
{
    struct ag_sink *s = sink_at("/dev/null");
    ck_assert_int_eq(tc_check_thread_signals("ag-jsonl"), 1);
    s->ops->destroy(s);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("jsonl");
    TCase *tc = tcase_create("jsonl");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, threads_lines_arrive_whole_and_in_order);
    tcase_add_test(tc, finding_follows_the_events_before_it);
    tcase_add_test(tc, failed_writes_are_reported_by_the_next_flush);
    tcase_add_test(tc, hold_short_write_is_cut_back_and_stays_failed_until_written);
    tcase_add_test(tc, drop_short_write_is_cut_back_and_reported_once);
    tcase_add_test(tc, hold_full_buffer_makes_the_feeder_wait_and_loses_nothing);
    tcase_add_test(tc, stop_waiting_lets_the_feeder_go_and_counts_what_it_drops);
    tcase_add_test(tc, created_0600_under_umask_022_and_mode_key_applies);
    tcase_add_test(tc, mode_key_is_validated);
    tcase_add_test(tc, a_planted_symlink_is_not_followed);
    tcase_add_test(tc, an_unterminated_last_line_is_cut_before_the_first_write);
    tcase_add_test(tc, a_last_line_not_ours_is_ended_not_cut);
    tcase_add_test(tc, a_failed_line_end_is_decided_again_at_the_next_try);
    tcase_add_test(tc, writer_thread_takes_no_signal);
    suite_add_tcase(s, tc);
    return s;
}

AG_TEST_MAIN
