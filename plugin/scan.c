/* scan.c - `authguard scan [--json] [--events] [--config FILE] FILE... | -`.
 *
 * Reads each input once, front to back, through the same recognizers,
 * engine and summarizer the hosts use, with findings emitted in line order
 * (synchronous engine), so scanning a file twice gives the same findings.
 * People get the findings with their summaries, coloured on a terminal;
 * programs get OCSF JSON lines. A file that cannot be read is reported and
 * skipped; the others are still scanned and the exit status says so. */
#include "plugin/scan.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "filters/recognize.h"
#include "plugin/authguard.h"
#include "plugin/config.h"
#include "plugin/lines.h"
#include "plugin/pipeline.h"
#include "sinks/escape.h"
#include "sinks/jsonl.h"
#include "sinks/kafka.h"
#include "sinks/ocsf.h"
#include "sinks/summary.h"

#define OUT_CAP (1u << 20)
/* One event renders to at most ~2 x 6 x AG_LINE_MAX bytes (message and raw
 * line, fully escaped): flushing at half keeps every write in bounds. */
#define OUT_FLUSH_AT (OUT_CAP / 2)

struct scan_opts {
    int json;
    int events;
    int color;        /* 1 on, 0 off, -1 auto */
    int progress;     /* 1 on, 0 off, -1 auto */
    int have_tz;
    int32_t tz_offset;
    const char *config;
    const char *kafka;  /* --kafka BROKERS */
};

/* The terminal sink: the readable view of events and findings. */
struct term {
    struct ag_sink base;
    /* Findings also come from summarizers' threads (their updates). */
    pthread_mutex_t lock;
    struct ag_buf out;
    char *mem;
    int events;
    int color;
};

struct progress {
    int on;
    uint64_t total;     /* bytes of all regular input files */
    uint64_t done;      /* bytes of finished files */
    double t0, last;
};

struct scan {
    struct scan_opts o;
    struct ag_config cfg;
    struct ag_parser *parser;
    struct ag_pipeline *pipe;
    struct progress prog;
    int failed_inputs;
    struct ag_sink *kafka; /* owned by the pipeline */
};

/* Set by SIGINT/SIGTERM: stop reading, deliver what is pending, report.
 * A signal handler can only reach a static flag. */
static volatile sig_atomic_t stop_requested;

static void on_stop_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}


static double mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- the terminal view ------------------------------------------------- */

static void term_flush_out(struct term *t)
{
    if (t->out.len)
        fwrite(t->out.p, 1, t->out.len, stdout);
    ag_buf_reset(&t->out);
}

static void put_padded(struct ag_buf *b, const char *s, size_t n, size_t width)
{
    size_t before = b->len;
    if (n)
        ag_buf_text_safe(b, s, n);
    else
        ag_buf_putc(b, '-');
    for (size_t w = b->len - before; w < width; w++)
        ag_buf_putc(b, ' ');
    ag_buf_putc(b, ' ');
}

static void put_span_padded(struct ag_buf *b, const struct ag_event *ev, struct ag_span sp,
                            size_t width)
{
    put_padded(b, ag_span_ptr(ev, sp), sp.len, width);
}

static void put_source(struct ag_buf *b, const struct ag_event *ev)
{
    char ip[AG_ADDR_STRLEN];
    if (ev->src.af != AG_AF_NONE) {
        ag_buf_put(b, ip, ag_addr_format(&ev->src, ip));
        if (ev->src_port) {
            ag_buf_puts(b, " port ");
            ag_buf_put_u64(b, ev->src_port);
        }
    } else if (ev->flags & AG_EVF_SRC_IS_NAME) {
        ag_buf_text_safe(b, ag_span_ptr(ev, ev->src_name), ev->src_name.len);
    } else {
        ag_buf_putc(b, '-');
    }
}

static void term_event(struct ag_sink *s, const struct ag_event *ev, const struct ag_counts *c)
{
    struct term *t = (struct term *)s;
    char kind[40];
    if (!t->events)
        return;
    pthread_mutex_lock(&t->lock);
    ag_buf_put_time(&t->out, ev->time_ms);
    ag_buf_putc(&t->out, ' ');
    put_span_padded(&t->out, ev, ev->host, 12);
    put_span_padded(&t->out, ev, ev->program, 12);
    int n = snprintf(kind, sizeof kind, ev->count > 1 ? "%s x%u" : "%s",
                     ag_kind_name((enum ag_kind)ev->kind), ev->count);
    put_padded(&t->out, kind, n > 0 ? (size_t)n : 0, 20);
    put_span_padded(&t->out, ev, ev->user, 16);
    put_source(&t->out, ev);
    ag_buf_putc(&t->out, '\n');
    if (t->out.len >= OUT_FLUSH_AT)
        term_flush_out(t);
    pthread_mutex_unlock(&t->lock);
}

static const char *severity_color(int sev)
{
    return sev >= AG_SEV_CRITICAL ? "\033[1;41;97m" : sev >= AG_SEV_HIGH ? "\033[1;31m"
         : sev >= AG_SEV_MEDIUM ? "\033[1;33m" : "\033[1;36m";
}

/* authguard's own text, line by line, indented. The attacker input it
 * quotes was escaped when it was built: escape nothing twice, but let
 * nothing unsafe through either. */
static void put_summary(struct ag_buf *b, const char *summary)
{
    const char *p = summary;
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        ag_buf_puts(b, "   ");
        ag_buf_text_visible(b, p, n);
        ag_buf_putc(b, '\n');
        p += n + (nl != NULL);
    }
}

static void put_finding_head(struct term *t, const struct ag_finding *f)
{
    struct ag_buf *b = &t->out;
    ag_buf_putc(b, '\n');
    if (t->color)
        ag_buf_puts(b, severity_color(f->severity));
    ag_buf_printf(b, "[%s]", ag_severity_name((enum ag_severity)f->severity));
    if (t->color)
        ag_buf_puts(b, "\033[0m\033[1m");
    ag_buf_putc(b, ' ');
    ag_buf_text_safe(b, f->title, strlen(f->title));
    if (t->color)
        ag_buf_puts(b, "\033[0m");
    ag_buf_puts(b, "\n   finding ");
    ag_buf_puts(b, f->uid);
    ag_buf_puts(b, " at ");
    ag_buf_put_time(b, f->time_ms);
    ag_buf_printf(b, " (summary: %s)\n\n", f->summary_source[0] ? f->summary_source : "none");
}

/* A model's summary, fenced: a header says whose it is, every line of it
 * carries the model mark, and authguard's own actions follow in a section
 * of their own, so that no line the model writes can pass for ours. */
static void put_model_summary(struct ag_buf *b, const struct ag_finding *f,
                              const char *remediation)
{
    ag_buf_puts(b, "\n   summary of finding ");
    ag_buf_puts(b, f->uid);
    ag_buf_puts(b, " written by ");
    ag_buf_text_safe(b, f->model_source, strnlen(f->model_source, sizeof f->model_source));
    ag_buf_puts(b, " (model-generated, untrusted: authguard did not write or check it; "
                   "every line of it starts with \"" AG_SUMMARY_MODEL_MARK "\")\n\n");
    ag_summary_put_model_text(b, f->model_summary, "   ", "\n");
    if (remediation && *remediation) {
        ag_buf_puts(b, "\n   authguard's own recommended actions for finding ");
        ag_buf_puts(b, f->uid);
        ag_buf_puts(b, " (validated; not the model's)\n");
        put_summary(b, remediation);
    }
    ag_buf_putc(b, '\n');
}

/* A summarizer's update carries a model's summary: show it whole, fenced.
 * Other updates are the engine's new counts: one line. */
static void put_update(struct term *t, const struct ag_finding *f, const char *remediation)
{
    struct ag_buf *b = &t->out;
    if (f->model_summary) {
        put_model_summary(b, f, remediation);
        return;
    }
    ag_buf_printf(b, "   update %u of finding %s: %u now (threshold %u) at ", f->update_seq,
                  f->uid, f->observed, f->threshold);
    ag_buf_put_time(b, f->time_ms);
    ag_buf_putc(b, '\n');
}

static void term_finding(struct ag_sink *s, const struct ag_finding *f, const char *remediation)
{
    struct term *t = (struct term *)s;
    pthread_mutex_lock(&t->lock);
    if (f->activity == AG_ACTIVITY_UPDATE) {
        put_update(t, f, remediation);
    } else {
        /* authguard's own summary, its actions included */
        put_finding_head(t, f);
        if (f->summary)
            put_summary(&t->out, f->summary);
    }
    term_flush_out(t);
    pthread_mutex_unlock(&t->lock);
}

static long term_flush(struct ag_sink *s, int timeout_ms)
{
    struct term *t = (struct term *)s;
    pthread_mutex_lock(&t->lock);
    term_flush_out(t);
    long failed = fflush(stdout) == 0 ? 0 : 1;
    pthread_mutex_unlock(&t->lock);
    return failed;
}

static void term_destroy(struct ag_sink *s)
{
    struct term *t = (struct term *)s;
    term_flush(s, 0);
    pthread_mutex_destroy(&t->lock);
    free(t->mem);
    free(t);
}

static const struct ag_sink_ops term_ops = {
    .name = "terminal",
    .event = term_event,
    .finding = term_finding,
    .flush = term_flush,
    .destroy = term_destroy,
};

static struct ag_sink *term_new(int events, int color)
{
    struct term *t = calloc(1, sizeof *t);
    if (!t || !(t->mem = malloc(OUT_CAP))) {
        free(t);
        return NULL;
    }
    pthread_mutex_init(&t->lock, NULL);
    ag_buf_init(&t->out, t->mem, OUT_CAP);
    t->events = events;
    t->color = color;
    t->base.ops = &term_ops;
    return &t->base;
}

/* ---- progress on stderr --------------------------------------------------- */

static void progress_show(struct scan *s, uint64_t file_bytes, int final)
{
    struct progress *pg = &s->prog;
    double now = mono_s();
    if (!pg->on || (!final && now - pg->last < 0.25))
        return;
    pg->last = now;
    uint64_t done = pg->done + file_bytes;
    double el = now - pg->t0, frac = pg->total ? (double)done / (double)pg->total : 0;
    double lps = el > 0 ? (double)s->parser->st.lines / el : 0;
    double eta = frac > 0 && frac < 1 ? el / frac - el : 0;
    int bar = (int)(frac * 30 + 0.5);
    fprintf(stderr, "\r[%.*s%*s] %5.1f%% %llu/%llu MiB %.1fM lines/s ETA %.0fs ",
            bar, "##############################", 30 - bar, "", frac * 100,
            (unsigned long long)(done >> 20), (unsigned long long)(pg->total >> 20), lps / 1e6,
            eta);
    if (final)
        fputs("\r\033[K", stderr);
}

/* ---- reading ------------------------------------------------------------ */

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
    unsigned tick = 0;
    int rc;

    if (ag_lines_init(&r, fd, AG_LINE_MAX, AG_LINES_CHUNK) < 0) {
        fprintf(stderr, "authguard: %s: out of memory\n", name);
        s->failed_inputs++;
        return;
    }
    while (!stop_requested && (rc = ag_lines_next(&r, &line, &len)) != AG_LINES_EOF) {
        if (rc == AG_LINES_INTR)
            continue; /* a signal: stop_requested says whether to go on */
        if (rc == AG_LINES_ERROR) {
            fprintf(stderr, "authguard: %s: read error: %s\n", name, strerror(r.err));
            s->failed_inputs++;
            break;
        }
        if (rc == AG_LINES_OVERSIZE)
            ag_parse_oversize(s->parser);
        else if (ag_parse_line(s->parser, line, len, arrival, &ev) == AG_PARSE_EVENT)
            ag_pipeline_feed(s->pipe, &ev);
        if ((++tick & 0xffff) == 0)
            progress_show(s, r.bytes, 0);
    }
    s->prog.done += r.bytes;
    ag_lines_free(&r);
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
        posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
        scan_fd(s, fd, path);
    }
    close(fd);
}

static uint64_t total_bytes(int argc, char **argv)
{
    uint64_t total = 0;
    struct stat st;
    for (int i = optind; i < argc; i++)
        if (strcmp(argv[i], "-") && stat(argv[i], &st) == 0 && S_ISREG(st.st_mode))
            total += (uint64_t)st.st_size;
    return total;
}

/* ---- summary line ---------------------------------------------------------- */

static void print_summary(const struct scan *s, FILE *f)
{
    const struct ag_parse_stats *st = &s->parser->st;
    struct ag_pipeline_stats ps;
    ag_pipeline_stats(s->pipe, &ps);
    uint64_t findings = 0;
    for (int r = 0; r < AG_RULE_COUNT; r++)
        findings += ps.findings_by_rule[r];

    fprintf(f, "scan: %llu lines, %llu events, %llu unparsed",
            (unsigned long long)st->lines, (unsigned long long)st->events,
            (unsigned long long)st->unparsed);
    if (st->oversize)
        fprintf(f, " (%llu oversize)", (unsigned long long)st->oversize);
    for (int k = 1; k < AG_EV_KIND_COUNT; k++)
        if (st->by_kind[k])
            fprintf(f, "%s %s=%llu", k == 1 ? ";" : "", ag_kind_name((enum ag_kind)k),
                    (unsigned long long)st->by_kind[k]);
    fprintf(f, "\nscan: %llu findings", (unsigned long long)findings);
    for (int r = 0; r < AG_RULE_COUNT; r++)
        if (ps.findings_by_rule[r])
            fprintf(f, " %s=%llu", ag_rule_name((enum ag_rule)r),
                    (unsigned long long)ps.findings_by_rule[r]);
    fprintf(f, ", %llu updates; table %llu/%llu keys, %llu dropped, %llu late, "
               "engine memory %.1f MiB\n",
            (unsigned long long)ps.updates, (unsigned long long)ps.engine.table_used,
            (unsigned long long)ps.engine.table_slots, (unsigned long long)ps.engine.dropped,
            (unsigned long long)ps.engine.late, (double)ps.engine.memory_bytes / 1048576.0);
    if (s->kafka) {
        struct ag_kafka_stats ks;
        ag_kafka_stats(s->kafka, &ks);
        fprintf(f, "scan: kafka %llu delivered, %llu failed, %llu dropped, %llu outstanding\n",
                (unsigned long long)ks.delivered, (unsigned long long)ks.failed,
                (unsigned long long)ks.dropped, (unsigned long long)ks.outstanding);
    }
}

/* ---- options ------------------------------------------------------------- */

static void usage(FILE *f)
{
    fputs("usage: authguard scan [OPTIONS] FILE... | -\n"
          "  --json           OCSF JSON lines on stdout: findings (and events with --events);\n"
          "                   the summary goes to stderr\n"
          "  --events         also print every recognized event\n"
          "  --config FILE    rules, thresholds, allowlist (default: built-in defaults)\n"
          "  --tz OFFSET      zone of BSD timestamps: UTC, +HH:MM (default: the local zone)\n"
          "  --color WHEN     always, never, auto (default: auto, when stdout is a terminal)\n"
          "  --no-progress    no progress bar on stderr\n"
          "  --kafka BROKERS  also send events and findings to Kafka (host:port,...), with\n"
          "                   the [sink.kafka] defaults (topics authguard.events/.findings)\n",
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

static int parse_color(const char *s)
{
    return !strcmp(s, "always") ? 1 : !strcmp(s, "never") ? 0 : !strcmp(s, "auto") ? -1 : -2;
}

static int parse_opts(int argc, char **argv, struct scan_opts *o)
{
    static const struct option longopts[] = {
        {"json", no_argument, NULL, 'j'},      {"events", no_argument, NULL, 'e'},
        {"tz", required_argument, NULL, 'z'},  {"config", required_argument, NULL, 'c'},
        {"color", required_argument, NULL, 'C'}, {"no-progress", no_argument, NULL, 'P'},
        {"kafka", required_argument, NULL, 'k'},
        {"help", no_argument, NULL, 'h'},      {NULL, 0, NULL, 0}};
    int c;
    o->color = o->progress = -1;
    optind = 1;
    while ((c = getopt_long(argc, argv, "jez:c:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'j': o->json = 1; break;
        case 'e': o->events = 1; break;
        case 'c': o->config = optarg; break;
        case 'k': o->kafka = optarg; break;
        case 'P': o->progress = 0; break;
        case 'C':
            if ((o->color = parse_color(optarg)) == -2) {
                fprintf(stderr, "authguard scan: --color: expected always, never or auto, "
                                "got '%s'\n", optarg);
                return -1;
            }
            break;
        case 'z':
            if (parse_tz(optarg, &o->tz_offset) < 0) {
                fprintf(stderr, "authguard scan: --tz: expected +HH:MM, -HHMM or UTC, "
                                "got '%s'\n", optarg);
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

static int add_output(struct scan *s, char *err, size_t errlen)
{
    struct ag_sink *out;
    if (s->o.json)
        out = ag_jsonl_new("-", s->o.events ? AG_EVENTS_ALL : AG_EVENTS_NONE,
                           ag_pipeline_ocsf_ctx(s->pipe), err, errlen);
    else
        out = term_new(s->o.events, s->o.color < 0 ? isatty(STDOUT_FILENO) : s->o.color);
    if (!out) {
        if (!s->o.json)
            snprintf(err, errlen, "out of memory");
        return -1;
    }
    ag_pipeline_add_sink(s->pipe, out);
    return 0;
}

/* --kafka BROKERS: the Kafka sink with its defaults; a [sink.kafka] section
 * in --config is created by the pipeline instead, never both. */
static int add_kafka(struct scan *s, char *err, size_t errlen)
{
    if (ag_conf_has_section(s->cfg.conf, AG_KAFKA_SECTION)) {
        snprintf(err, errlen, "--kafka: %s already has a [%s] section; use one or the other",
                 ag_conf_path(s->cfg.conf), AG_KAFKA_SECTION);
        return -1;
    }
    struct ag_sink_env env = {.conf = s->cfg.conf, .ocsf = ag_pipeline_ocsf_ctx(s->pipe)};
    if (!(s->kafka = ag_kafka_create_brokers(&env, s->o.kafka, err, errlen)))
        return -1;
    ag_pipeline_add_sink(s->pipe, s->kafka);
    return 0;
}

static int setup(struct scan *s, int argc, char **argv)
{
    char err[AG_CONF_ERRLEN];
    if (ag_config_load(&s->cfg, s->o.config, err, sizeof err) < 0) {
        fprintf(stderr, "authguard scan: %s\n", err);
        return -1;
    }
    s->parser = malloc(sizeof *s->parser);
    s->pipe = s->parser ? ag_pipeline_new(&s->cfg, 1, err, sizeof err) : NULL;
    if (!s->pipe || add_output(s, err, sizeof err) < 0 ||
        (s->o.kafka && add_kafka(s, err, sizeof err) < 0) ||
        ag_pipeline_add_configured_sinks(s->pipe, err, sizeof err) < 0) {
        fprintf(stderr, "authguard scan: %s\n", s->parser ? err : "out of memory");
        return -1;
    }
    ag_parser_init(s->parser);
    if (s->o.have_tz)
        ag_tzcache_set_fixed(&s->parser->tz, s->o.tz_offset);
    else if (s->cfg.have_tz)
        ag_tzcache_set_fixed(&s->parser->tz, s->cfg.tz_offset_s);
    s->prog.on = s->o.progress < 0 ? isatty(STDERR_FILENO) : s->o.progress;
    s->prog.total = total_bytes(argc, argv);
    s->prog.t0 = s->prog.last = mono_s();
    return 0;
}

static void teardown(struct scan *s)
{
    ag_pipeline_free(s->pipe);
    free(s->parser);
    ag_config_free(&s->cfg);
}

int ag_scan_main(int argc, char **argv)
{
    struct scan s;
    memset(&s, 0, sizeof s);
    if (parse_opts(argc, argv, &s.o) < 0)
        return 2;
    if (setup(&s, argc, argv) < 0) {
        teardown(&s);
        return 2;
    }
    struct sigaction sa = {.sa_handler = on_stop_signal};
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    for (int i = optind; i < argc && !stop_requested; i++)
        scan_path(&s, argv[i]);
    progress_show(&s, 0, 1);
    long undelivered = ag_pipeline_flush(s.pipe, AG_FLUSH_AT_EXIT);
    print_summary(&s, s.o.json ? stderr : stdout);
    if (undelivered)
        fprintf(stderr, "authguard scan: %ld outputs could not be written\n", undelivered);
    teardown(&s);
    return s.failed_inputs || undelivered ? 1 : 0;
}
