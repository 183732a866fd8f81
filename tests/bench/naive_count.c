/* naive_count.c - the floor a scan is measured against: a per-source failure
 * counter as anyone would write it in an afternoon. memchr for the lines,
 * memmem for "Failed password" and "Invalid user", inet_pton for the source
 * after " from ", one open-addressing table of (address, count). No windows,
 * no users, no rules, no output but the totals.
 *
 * Usage: naive_count FILE [runs]. Reads FILE runs times (default 3) and
 * prints the best run's lines/s in wall and in CPU time, the distinct
 * sources and the failures. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define CHUNK ((size_t)4 << 20)
#define TABLE_BITS 20

struct cell {
    uint8_t addr[16];
    uint32_t count;
    uint32_t used;
};

struct counter {
    struct cell *cells;
    uint64_t mask;
    uint64_t distinct, failures, lines;
};

static uint64_t hash16(const uint8_t a[16])
{
    uint64_t x, y;
    memcpy(&x, a, 8);
    memcpy(&y, a + 8, 8);
    x ^= y * 0x9e3779b97f4a7c15ull;
    x ^= x >> 31;
    x *= 0xbf58476d1ce4e5b9ull;
    return x ^ (x >> 29);
}

static void count(struct counter *c, const uint8_t a[16])
{
    for (uint64_t i = hash16(a) & c->mask;; i = (i + 1) & c->mask) {
        struct cell *s = &c->cells[i];
        if (!s->used) {
            if (c->distinct >= c->mask / 2)
                return; /* full enough: drop, as a bounded counter must */
            memcpy(s->addr, a, 16);
            s->used = 1;
            s->count = 1;
            c->distinct++;
            return;
        }
        if (memcmp(s->addr, a, 16) == 0) {
            s->count++;
            return;
        }
    }
}

/* The address after " from " in [p, end), as 16 bytes (IPv4 mapped). */
static int source(const char *p, const char *end, uint8_t a[16])
{
    const char *f = memmem(p, (size_t)(end - p), " from ", 6);
    if (f == NULL)
        return 0;
    f += 6;
    const char *e = f;
    while (e < end && *e != ' ')
        e++;
    char tok[64];
    size_t n = (size_t)(e - f);
    if (n == 0 || n >= sizeof(tok))
        return 0;
    memcpy(tok, f, n);
    tok[n] = '\0';
    memset(a, 0, 16);
    if (inet_pton(AF_INET, tok, a + 12) == 1) {
        a[10] = a[11] = 0xff;
        return 1;
    }
    return inet_pton(AF_INET6, tok, a) == 1;
}

static void line(struct counter *c, const char *p, const char *end)
{
    c->lines++;
    if (memmem(p, (size_t)(end - p), "Failed password", 15) == NULL &&
        memmem(p, (size_t)(end - p), "Invalid user", 12) == NULL)
        return;
    uint8_t a[16];
    if (source(p, end, a)) {
        c->failures++;
        count(c, a);
    }
}

static double since(clockid_t clock, const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(clock, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

static int run(const char *path, struct counter *c, double *secs, double *cpu)
{
    struct timespec t0, c0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c0);
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return -errno;
    char *buf = malloc(CHUNK);
    if (buf == NULL) {
        close(fd);
        return -ENOMEM;
    }
    memset(c->cells, 0, (c->mask + 1) * sizeof(*c->cells));
    c->distinct = c->failures = c->lines = 0;
    size_t have = 0;
    for (;;) {
        ssize_t n = read(fd, buf + have, CHUNK - have);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        have += (size_t)n;
        char *p = buf, *end = buf + have, *nl;
        while ((nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
            line(c, p, nl);
            p = nl + 1;
        }
        have = (size_t)(end - p);
        if (have == CHUNK)
            have = 0; /* a line longer than the buffer: drop it */
        memmove(buf, p, have);
    }
    if (have > 0)
        line(c, buf, buf + have);
    free(buf);
    close(fd);
    *secs = since(CLOCK_MONOTONIC, &t0);
    *cpu = since(CLOCK_PROCESS_CPUTIME_ID, &c0);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: naive_count FILE [runs]\n");
        return 2;
    }
    int runs = argc > 2 ? atoi(argv[2]) : 3;
    struct counter c = {.mask = (1ull << TABLE_BITS) - 1};
    c.cells = calloc(c.mask + 1, sizeof(*c.cells));
    if (c.cells == NULL)
        return 1;
    double best = 0, best_cpu = 0;
    for (int i = 0; i < (runs < 1 ? 1 : runs); i++) {
        double s = 0, cpu = 0;
        int rc = run(argv[1], &c, &s, &cpu);
        if (rc != 0) {
            fprintf(stderr, "naive_count: %s: %s\n", argv[1], strerror(-rc));
            return 1;
        }
        if (best == 0 || s < best)
            best = s;
        if (best_cpu == 0 || cpu < best_cpu)
            best_cpu = cpu;
    }
    printf("naive counter: best of %d: %.3f s = %.0f lines/s (CPU %.3f s = %.0f lines/s), "
           "%llu failures from %llu sources\n", runs, best, (double)c.lines / best, best_cpu,
           (double)c.lines / best_cpu, (unsigned long long)c.failures,
           (unsigned long long)c.distinct);
    free(c.cells);
    return 0;
}
