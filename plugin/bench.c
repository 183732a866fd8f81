/* bench.c - `authguard bench [--repeat N] FILE`.
 *
 * Loads the file into memory first so the figure is the recognizer's speed,
 * not the disk's: one thread parses every line (header + recognizer), best
 * of N passes. Prints one line that scripts parse:
 *   bench parse: lines=N events=N seconds=S lines_per_s=N */
#include "plugin/bench.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "filters/recognize.h"

static double mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static char *load_file(const char *path, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0) {
        fprintf(stderr, "authguard bench: cannot open '%s': %s\n", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return NULL;
    }
    char *buf = malloc((size_t)st.st_size + 1);
    size_t got = 0;
    while (buf && got < (size_t)st.st_size) {
        ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
        if (n <= 0) {
            if (n < 0 && errno == EINTR)
                continue;
            break;
        }
        got += (size_t)n;
    }
    close(fd);
    if (!buf) {
        fputs("authguard bench: out of memory\n", stderr);
        return NULL;
    }
    *len = got;
    return buf;
}

struct pass_result {
    uint64_t lines;
    uint64_t events;
    double seconds;
};

static struct pass_result parse_pass(struct ag_parser *p, const char *buf, size_t len)
{
    struct pass_result r = {0, 0, 0};
    struct ag_event ev;
    const char *cur = buf, *end = buf + len;
    int64_t arrival = 1800000000000LL; /* fixed: identical work every pass */
    double t0 = mono_s();
    while (cur < end) {
        const char *nl = memchr(cur, '\n', (size_t)(end - cur));
        size_t n = nl ? (size_t)(nl - cur) : (size_t)(end - cur);
        r.events += ag_parse_line(p, cur, n, arrival, &ev) == AG_PARSE_EVENT;
        r.lines++;
        cur += n + 1;
    }
    r.seconds = mono_s() - t0;
    return r;
}

static const char bench_usage[] =
    "usage: authguard bench [--repeat N] FILE\n"
    "  Reads FILE into memory, then times the syslog header parser and the\n"
    "  recognizers alone (no engine, no sinks) on one thread, N passes\n"
    "  (1..100, default 3), and prints the best pass:\n"
    "    bench parse: lines=L events=E seconds=S lines_per_s=R\n"
    "  BSD timestamps are read as UTC. tests/bench/parse.sh runs it beside\n"
    "  sshguard's parser on a generated log.\n";

int ag_bench_main(int argc, char **argv)
{
    static const struct option longopts[] = {{"repeat", required_argument, NULL, 'r'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    int repeat = 3, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "r:h", longopts, NULL)) != -1) {
        if (c == 'h') {
            fputs(bench_usage, stdout);
            return 0;
        }
        if (c != 'r' || (repeat = atoi(optarg)) < 1 || repeat > 100) {
            fputs(bench_usage, stderr);
            return 2;
        }
    }
    if (optind != argc - 1) {
        fputs(bench_usage, stderr);
        return 2;
    }
    size_t len;
    char *buf = load_file(argv[optind], &len);
    struct ag_parser *p = malloc(sizeof *p);
    if (!buf || !p) {
        free(buf);
        free(p);
        return 1;
    }
    struct pass_result best = {0, 0, 1e30};
    for (int i = 0; i < repeat; i++) {
        ag_parser_init(p);
        ag_tzcache_set_fixed(&p->tz, 0);
        struct pass_result r = parse_pass(p, buf, len);
        if (r.seconds < best.seconds)
            best = r;
    }
    printf("bench parse: lines=%llu events=%llu seconds=%.4f lines_per_s=%.0f\n",
           (unsigned long long)best.lines, (unsigned long long)best.events, best.seconds,
           best.seconds > 0 ? (double)best.lines / best.seconds : 0.0);
    free(p);
    free(buf);
    return 0;
}
