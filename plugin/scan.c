/* scan.c - `authguard scan [--json] [--events] FILE... | -`.
 *
 * Reads each input once, front to back, through the same recognizers the
 * hosts use, and prints what it found: a readable table for people, OCSF
 * JSON lines for programs. A file that cannot be read is reported and
 * skipped; the others are still scanned and the exit status says so. */
#include "plugin/scan.h"

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
#include "plugin/authguard.h"
#include "plugin/lines.h"
#include "sinks/escape.h"
#include "sinks/ocsf.h"

#define OUT_CAP (1u << 20)
/* One event renders to at most ~2 x 6 x AG_LINE_MAX bytes (message and raw
 * line, fully escaped): flushing at half keeps every write in bounds. */
#define OUT_FLUSH_AT (OUT_CAP / 2)

struct scan_opts {
    int json;
    int events;
    int have_tz;
    int32_t tz_offset;
};

struct scan {
    struct scan_opts o;
    struct ag_parser *parser;
    struct ag_ocsf_ctx ctx;
    struct ag_buf out;
    char *outmem;
    int failed_inputs;
};

static void out_flush(struct scan *s)
{
    if (s->out.len)
        fwrite(s->out.p, 1, s->out.len, stdout);
    ag_buf_reset(&s->out);
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void put_field(struct ag_buf *b, const struct ag_event *ev,
                      struct ag_span sp, size_t width)
{
    size_t before = b->len;
    if (sp.len)
        ag_buf_text_safe(b, ag_span_ptr(ev, sp), sp.len);
    else
        ag_buf_putc(b, '-');
    for (size_t w = b->len - before; w < width; w++)
        ag_buf_putc(b, ' ');
    ag_buf_putc(b, ' ');
}

static void put_table_row(struct ag_buf *b, const struct ag_event *ev)
{
    char ip[AG_ADDR_STRLEN];
    ag_buf_put_time(b, ev->time_ms);
    ag_buf_putc(b, ' ');
    put_field(b, ev, ev->host, 12);
    put_field(b, ev, ev->program, 12);
    size_t before = b->len;
    ag_buf_puts(b, ag_kind_name((enum ag_kind)ev->kind));
    if (ev->count > 1) {
        ag_buf_putc(b, 'x');
        ag_buf_put_u64(b, ev->count);
    }
    for (size_t w = b->len - before; w < 20; w++)
        ag_buf_putc(b, ' ');
    ag_buf_putc(b, ' ');
    put_field(b, ev, ev->user, 16);
    if (ev->src.af != AG_AF_NONE) {
        size_t n = ag_addr_format(&ev->src, ip);
        ag_buf_put(b, ip, n);
        if (ev->src_port) {
            ag_buf_puts(b, " port ");
            ag_buf_put_u64(b, ev->src_port);
        }
    } else if (ev->flags & AG_EVF_SRC_IS_NAME) {
        ag_buf_text_safe(b, ag_span_ptr(ev, ev->src_name), ev->src_name.len);
    } else {
        ag_buf_putc(b, '-');
    }
    ag_buf_putc(b, '\n');
}

static void on_event(struct scan *s, const struct ag_event *ev)
{
    if (s->o.json) {
        ag_ocsf_event(&s->out, ev, &s->ctx, NULL);
        ag_buf_putc(&s->out, '\n');
    } else {
        put_table_row(&s->out, ev);
    }
    if (s->out.len >= OUT_FLUSH_AT)
        out_flush(s);
}

/* The arrival time that dates BSD timestamps: a file's last line was
 * written at its mtime, so replaying an old file keeps its year. */
static int64_t arrival_for(int fd)
{
    struct stat st;
    if (fd != STDIN_FILENO && fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
        return (int64_t)st.st_mtim.tv_sec * 1000 + st.st_mtim.tv_nsec / 1000000;
    return now_ms();
}

static void scan_fd(struct scan *s, int fd, const char *name)
{
    struct ag_lines r;
    const char *line;
    size_t len;
    struct ag_event ev;
    int64_t arrival = arrival_for(fd);
    int rc;

    if (ag_lines_open(&r, fd) < 0) {
        fprintf(stderr, "authguard: %s: out of memory\n", name);
        s->failed_inputs++;
        return;
    }
    while ((rc = ag_lines_next(&r, &line, &len)) != AG_LINES_EOF) {
        if (rc == AG_LINES_ERROR) {
            fprintf(stderr, "authguard: %s: read error: %s\n", name, strerror(r.err));
            s->failed_inputs++;
            break;
        }
        if (rc == AG_LINES_OVERSIZE) {
            s->parser->st.lines++;
            s->parser->st.unparsed++;
            s->parser->st.oversize++;
            continue;
        }
        if (ag_parse_line(s->parser, line, len, arrival, &ev) == AG_PARSE_EVENT &&
            s->o.events)
            on_event(s, &ev);
    }
    ag_lines_close(&r);
}

static void scan_path(struct scan *s, const char *path)
{
    if (strcmp(path, "-") == 0) {
        scan_fd(s, STDIN_FILENO, "stdin");
        return;
    }
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        fprintf(stderr, "authguard: cannot open '%s': %s\n", path, strerror(errno));
        s->failed_inputs++;
        return;
    }
    struct stat st;
    if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
        fprintf(stderr, "authguard: cannot scan '%s': is a directory\n", path);
        s->failed_inputs++;
    } else {
#ifdef POSIX_FADV_SEQUENTIAL
        posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
#endif
        scan_fd(s, fd, path);
    }
    close(fd);
}

static void print_summary(const struct scan *s, FILE *f)
{
    const struct ag_parse_stats *st = &s->parser->st;
    fprintf(f, "scan: %llu lines, %llu events, %llu unparsed",
            (unsigned long long)st->lines, (unsigned long long)st->events,
            (unsigned long long)st->unparsed);
    if (st->oversize)
        fprintf(f, " (%llu oversize)", (unsigned long long)st->oversize);
    for (int k = 1; k < AG_EV_KIND_COUNT; k++)
        if (st->by_kind[k])
            fprintf(f, "%s %s=%llu", k == 1 ? ";" : "", ag_kind_name((enum ag_kind)k),
                    (unsigned long long)st->by_kind[k]);
    fputc('\n', f);
}

static void usage(FILE *f)
{
    fputs("usage: authguard scan [--json] [--events] [--tz +HH:MM] FILE... | -\n"
          "  --json       OCSF JSON lines on stdout (summary on stderr)\n"
          "  --events     print every recognized event (the default today)\n"
          "  --tz OFFSET  zone of BSD timestamps (default: the local zone)\n",
          f);
}

/* "+01:00", "-0530", "Z", "UTC" -> seconds east of UTC. */
static int parse_tz(const char *s, int32_t *out)
{
    if (!strcmp(s, "Z") || !strcmp(s, "UTC")) {
        *out = 0;
        return 0;
    }
    int sign = s[0] == '-' ? -1 : s[0] == '+' ? 1 : 0;
    unsigned h, m;
    if (!sign || (sscanf(s + 1, "%2u:%2u", &h, &m) != 2 &&
                  sscanf(s + 1, "%2u%2u", &h, &m) != 2) ||
        h > 14 || m > 59)
        return -1;
    *out = sign * (int32_t)(h * 3600 + m * 60);
    return 0;
}

static int parse_opts(int argc, char **argv, struct scan_opts *o)
{
    static const struct option longopts[] = {
        {"json", no_argument, NULL, 'j'},   {"events", no_argument, NULL, 'e'},
        {"tz", required_argument, NULL, 'z'}, {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "jez:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'j': o->json = 1; break;
        case 'e': o->events = 1; break;
        case 'z':
            if (parse_tz(optarg, &o->tz_offset) < 0) {
                fprintf(stderr, "authguard scan: --tz: expected +HH:MM, -HHMM or UTC, got '%s'\n",
                        optarg);
                return -1;
            }
            o->have_tz = 1;
            break;
        case 'h': usage(stdout); exit(0);
        default: usage(stderr); return -1;
        }
    }
    if (optind >= argc) {
        fputs("authguard scan: no input (give files, or - for stdin)\n", stderr);
        usage(stderr);
        return -1;
    }
    return 0;
}

int ag_scan_main(int argc, char **argv)
{
    struct scan s;
    memset(&s, 0, sizeof s);
    if (parse_opts(argc, argv, &s.o) < 0)
        return 2;
    s.o.events = 1; /* until findings exist, events are what scan shows */
    s.parser = malloc(sizeof *s.parser);
    s.outmem = malloc(OUT_CAP);
    if (!s.parser || !s.outmem) {
        fputs("authguard scan: out of memory\n", stderr);
        return 1;
    }
    ag_parser_init(s.parser);
    if (s.o.have_tz)
        ag_tzcache_set_fixed(&s.parser->tz, s.o.tz_offset);
    ag_buf_init(&s.out, s.outmem, OUT_CAP);
    s.ctx.product_version = AG_VERSION;

    for (int i = optind; i < argc; i++)
        scan_path(&s, argv[i]);
    out_flush(&s);
    fflush(stdout);
    print_summary(&s, s.o.json ? stderr : stdout);

    free(s.outmem);
    free(s.parser);
    return s.failed_inputs ? 1 : 0;
}
