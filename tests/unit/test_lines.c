/* test_lines.c - the one line splitter (plugin/lines.c) that scan, run's
 * files and stdin, and `authguard rsyslog` share: the lines it yields
 * depend on the bytes only. Every line length around AG_LINE_MAX, in "\n",
 * "\r\n" and unterminated form, cut into two reads at every byte and into
 * three at the bytes that matter, gives the same lines as one read, and as
 * a reference that follows lines.h's definition word for word; the same
 * through read(2) from a file and a pipe. */
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "ag_test.h"
#include "filters/event.h"
#include "plugin/lines.h"

/* The results of an input, one per line: "L<len>:<crc>" or "O". Compact,
 * so that thousands of splits compare quickly. */
struct results {
    char text[512];
    size_t len;
};

/* 8 bytes a step: the sweeps hash some ten gigabytes of lines. */
static uint32_t crc(const char *p, size_t n)
{
    uint64_t h = 0x9e3779b97f4a7c15ull ^ n, w;
    for (; n >= 8; p += 8, n -= 8) {
        memcpy(&w, p, 8);
        h = (h ^ w) * 0xff51afd7ed558ccdull;
        h ^= h >> 32;
    }
    w = 0;
    memcpy(&w, p, n);
    h = (h ^ w) * 0xc4ceb9fe1a85ec53ull;
    return (uint32_t)(h ^ (h >> 29));
}

/* Check's assertions record where they are at each call (a write): the
 * hot loops test with plain ifs and abort with a message. */
static void add(struct results *r, int rc, const char *line, size_t len)
{
    int n;
    if (rc == AG_LINES_LINE)
        n = snprintf(r->text + r->len, sizeof r->text - r->len, "L%zu:%08x ", len,
                     crc(line, len));
    else
        n = snprintf(r->text + r->len, sizeof r->text - r->len, "O ");
    if (n <= 0 || r->len + (size_t)n >= sizeof r->text)
        ck_abort_msg("results overflow: %s", r->text);
    r->len += (size_t)n;
}

/* lines.h's definition, applied to the whole input at once. */
static void reference(const char *in, size_t n, size_t max, struct results *out)
{
    size_t at = 0;
    memset(out, 0, sizeof *out);
    while (at < n) {
        const char *nl = memchr(in + at, '\n', n - at);
        size_t end = nl ? (size_t)(nl - in) : n;
        size_t len = end - at;
        if (len > 0 && in[at + len - 1] == '\r')
            len--;
        add(out, len > max ? AG_LINES_OVERSIZE : AG_LINES_LINE, in + at, len);
        at = end + 1;
    }
}

static void take_all(struct ag_lines *r, struct results *out)
{
    const char *line;
    size_t len;
    int rc;
    while ((rc = ag_lines_take(r, &line, &len)) != AG_LINES_MORE)
        add(out, rc, line, len);
}

/* in cut at cuts[0..ncuts), each piece fed to the splitter r as it comes
 * (r is reset first: one buffer serves thousands of runs). */
static void split_run(struct ag_lines *r, const char *in, size_t n, const size_t *cuts,
                      size_t ncuts, struct results *out)
{
    const char *line;
    size_t len;
    int rc;
    memset(out, 0, sizeof *out);
    ag_lines_reset(r, -1);
    r->bytes = 0;
    size_t at = 0;
    for (size_t c = 0; c <= ncuts; c++) {
        size_t to = c < ncuts ? cuts[c] : n;
        while (at < to) {
            at += ag_lines_feed(r, in + at, to - at);
            take_all(r, out);
        }
    }
    while ((rc = ag_lines_finish(r, &line, &len)) != AG_LINES_EOF)
        add(out, rc, line, len);
    if (r->bytes != n)
        ck_abort_msg("%llu bytes fed of %zu", (unsigned long long)r->bytes, n);
}

/* "a\n", a line of len bytes ending in end, then "b\n" unless last. */
static size_t make_input(char *buf, size_t len, const char *end, int last)
{
    size_t n = 0;
    memcpy(buf, "a\n", 2);
    n += 2;
    for (size_t i = 0; i < len; i++)
        buf[n + i] = (char)('c' + i % 23);
    n += len;
    memcpy(buf + n, end, strlen(end));
    n += strlen(end);
    if (!last) {
        memcpy(buf + n, "b\n", 2);
        n += 2;
    }
    return n;
}

static const char *const endings[] = {"\n", "\r\n", "\r", ""};

/* The splitter over every length around max, every ending, cuts into two
 * reads (at every byte when every_cut, else at the bytes that matter) and
 * into three reads around the line's end. */
static void sweep(size_t max, size_t chunk, int every_cut)
{
    char *buf = malloc(max + 16);
    struct results want, one, got;
    struct ag_lines r;
    ck_assert_int_eq(ag_lines_init(&r, -1, max, chunk), 0);
    for (size_t len = max - 2; len <= max + 2; len++) {
        for (size_t e = 0; e < sizeof endings / sizeof endings[0]; e++) {
            for (int last = 0; last < 2; last++) {
                if (!endings[e][0] && !last)
                    continue; /* unterminated: always last */
                size_t n = make_input(buf, len, endings[e], last);
                reference(buf, n, max, &want);
                split_run(&r, buf, n, NULL, 0, &one);
                ck_assert_msg(strcmp(one.text, want.text) == 0,
                              "len %zu end %zu whole: %s, want %s", len, e, one.text,
                              want.text);
                /* The bytes where a decision is made. */
                size_t at[] = {0, 1, 2, 3, max / 2, max - 1, max, max + 1, max + 2, max + 3,
                               max + 4, n - 3, n - 2, n - 1, n};
                size_t na = sizeof at / sizeof at[0];
                /* Every cut: for each length in its three forms (the
                 * other inputs add nothing a cut could change). */
                int all = every_cut && (!last || !endings[e][0]) && strcmp(endings[e], "\r");
                for (size_t cut = 0; cut <= n; cut++) {
                    size_t c = cut;
                    if (!all) {
                        if (cut >= na)
                            break;
                        c = at[cut] <= n ? at[cut] : n;
                    }
                    split_run(&r, buf, n, &c, 1, &got);
                    if (strcmp(got.text, want.text) != 0)
                        ck_abort_msg("len %zu end %zu cut %zu: %s, want %s", len, e, c,
                                     got.text, want.text);
                }
                for (size_t i = 0; i < na; i++) {
                    for (size_t j = 0; j < na; j++) {
                        size_t cuts[2] = {at[i], at[j]};
                        if (cuts[0] > cuts[1] || cuts[1] > n)
                            continue;
                        split_run(&r, buf, n, cuts, 2, &got);
                        if (strcmp(got.text, want.text) != 0)
                            ck_abort_msg("len %zu end %zu cuts %zu,%zu: %s, want %s", len, e,
                                         cuts[0], cuts[1], got.text, want.text);
                    }
                }
            }
        }
    }
    ag_lines_free(&r);
    free(buf);
}

START_TEST(every_split_around_the_limit)
{
    sweep(AG_LINE_MAX, AG_LINES_CHUNK, 1);
}
END_TEST

/* Reads shorter than a line: a chunk of one byte (every byte its own read,
 * the buffer compacted at each) and of seven, with a small limit at every
 * cut and AG_LINE_MAX at the cuts that matter. */
START_TEST(every_split_small_reads)
{
    sweep(40, 1, 1);
    sweep(40, 7, 1);
    sweep(AG_LINE_MAX, 1, 0);
    sweep(AG_LINE_MAX, 4096, 0);
}
END_TEST

/* The examples lines.h gives, exactly. */
START_TEST(limit_meaning)
{
    char *buf = malloc(AG_LINE_MAX + 16);
    struct results got;
    struct ag_lines r;
    ck_assert_int_eq(ag_lines_init(&r, -1, AG_LINE_MAX, AG_LINES_CHUNK), 0);
    size_t n = make_input(buf, AG_LINE_MAX, "\r\n", 0);
    split_run(&r, buf, n, NULL, 0, &got);
    ck_assert_msg(strncmp(got.text, "L1:", 3) == 0 && strstr(got.text, " L16384:") != NULL &&
                      strstr(got.text, " O ") == NULL,
                  "%s", got.text);
    n = make_input(buf, AG_LINE_MAX + 1, "\n", 0);
    split_run(&r, buf, n, NULL, 0, &got);
    ck_assert_msg(strstr(got.text, " O L1:") != NULL, "%s", got.text);
    /* The case of the report: a line of exactly AG_LINE_MAX bytes whose
     * newline comes in a second read is kept. */
    n = make_input(buf, AG_LINE_MAX, "\n", 0);
    size_t cut = 2 + AG_LINE_MAX;
    split_run(&r, buf, n, &cut, 1, &got);
    ck_assert_msg(strstr(got.text, " L16384:") != NULL, "%s", got.text);
    ag_lines_free(&r);
    free(buf);
}
END_TEST

static void put(int fd, const char *s, size_t n)
{
    ck_assert_int_eq(write(fd, s, n), (ssize_t)n);
}

static void read_fd(int fd, size_t max, size_t chunk, struct results *out)
{
    struct ag_lines r;
    const char *line;
    size_t len;
    int rc;
    memset(out, 0, sizeof *out);
    ck_assert_int_eq(ag_lines_init(&r, fd, max, chunk), 0);
    while ((rc = ag_lines_next(&r, &line, &len)) != AG_LINES_EOF) {
        ck_assert_int_ne(rc, AG_LINES_ERROR);
        if (rc != AG_LINES_INTR)
            add(out, rc, line, len);
    }
    ag_lines_free(&r);
}

/* Through read(2): a file read in chunks of every size that matters. */
START_TEST(from_a_file)
{
    char *buf = malloc(6 * AG_LINE_MAX);
    size_t n = 0;
    for (size_t len = AG_LINE_MAX - 2; len <= AG_LINE_MAX + 2; len++)
        n += make_input(buf + n, len, len % 2 ? "\r\n" : "\n", 1);
    memcpy(buf + n, "tail", 4);
    n += 4;
    char path[] = "/tmp/aglinesXXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    unlink(path);
    put(fd, buf, n);
    struct results want, got;
    reference(buf, n, AG_LINE_MAX, &want);
    size_t chunks[] = {1, 2, 3, 4096, AG_LINE_MAX - 1, AG_LINE_MAX, AG_LINE_MAX + 1,
                       AG_LINES_CHUNK};
    for (size_t i = 0; i < sizeof chunks / sizeof chunks[0]; i++) {
        lseek(fd, 0, SEEK_SET);
        read_fd(fd, AG_LINE_MAX, chunks[i], &got);
        ck_assert_msg(strcmp(got.text, want.text) == 0, "chunk %zu: %s, want %s", chunks[i],
                      got.text, want.text);
    }
    close(fd);
    free(buf);
}
END_TEST

/* Through a pipe written in pieces, as stdin gets them. */
START_TEST(from_a_pipe_in_pieces)
{
    char *buf = malloc(AG_LINE_MAX + 16);
    size_t n = make_input(buf, AG_LINE_MAX, "\r\n", 0);
    struct results want, got;
    reference(buf, n, AG_LINE_MAX, &want);
    int p[2];
    ck_assert_int_eq(pipe(p), 0);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        close(p[0]);
        size_t cuts[] = {1, 2 + AG_LINE_MAX, 3 + AG_LINE_MAX, n};
        size_t at = 0;
        for (size_t i = 0; i < 4; i++) {
            if (write(p[1], buf + at, cuts[i] - at) != (ssize_t)(cuts[i] - at))
                _exit(1);
            at = cuts[i];
            usleep(20000);
        }
        _exit(0);
    }
    close(p[1]);
    read_fd(p[0], AG_LINE_MAX, AG_LINES_CHUNK, &got);
    close(p[0]);
    ck_assert_str_eq(got.text, want.text);
    free(buf);
}
END_TEST

/* An oversize line of 100 KiB among others: reported once where it ends,
 * its bytes never buffered whole; the lines around it stay. */
START_TEST(oversize_reported_once)
{
    struct ag_lines r;
    struct results got = {0};
    const char *line;
    size_t len;
    int rc;
    ck_assert_int_eq(ag_lines_init(&r, -1, AG_LINE_MAX, 4096), 0);
    ag_lines_feed(&r, "before\n", 7);
    take_all(&r, &got);
    char big[4096];
    memset(big, 'A', sizeof big);
    for (int i = 0; i < 25; i++) {
        ck_assert_uint_eq(ag_lines_feed(&r, big, sizeof big), sizeof big);
        take_all(&r, &got);
        ck_assert_uint_le(ag_lines_pending(&r), AG_LINE_MAX + 1);
    }
    ag_lines_feed(&r, "\nafter\nlast", 11);
    take_all(&r, &got);
    while ((rc = ag_lines_finish(&r, &line, &len)) != AG_LINES_EOF)
        add(&got, rc, line, len);
    struct results want = {0};
    add(&want, AG_LINES_LINE, "before", 6);
    add(&want, AG_LINES_OVERSIZE, NULL, 0);
    add(&want, AG_LINES_LINE, "after", 5);
    add(&want, AG_LINES_LINE, "last", 4);
    ck_assert_str_eq(got.text, want.text);
    ag_lines_free(&r);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("lines");
    TCase *tc = tcase_create("lines");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, limit_meaning);
    tcase_add_test(tc, every_split_around_the_limit);
    tcase_add_test(tc, every_split_small_reads);
    tcase_add_test(tc, from_a_file);
    tcase_add_test(tc, from_a_pipe_in_pieces);
    tcase_add_test(tc, oversize_reported_once);
    suite_add_tcase(s, tc);
    return s;
}

AG_TEST_MAIN
