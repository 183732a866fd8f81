/* test_jsonl.c - the JSON-lines sink and its writer thread: from several
 * feeding threads every line reaches the file whole and each thread's lines
 * in their order; a finding comes after the events rendered before it; a
 * write that fails is reported by the next flush, once; the writer leaves
 * the host's signals to the host's threads, all but SIGPIPE. */
#include <json-c/json.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
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
    ck_assert_int_eq(ag_addr_parse("203.0.113.45", 12, &ev->src), 0);
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
    tcase_add_test(tc, writer_thread_takes_no_signal);
    suite_add_tcase(s, tc);
    return s;
}

AG_TEST_MAIN
