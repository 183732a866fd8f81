/* run.c - `authguard run -c FILE`: the daemon. Each configured input
 * (journald, files, stdin) reads on its own thread with its own parser and
 * feeds one threaded pipeline. The main thread only waits for signals:
 * SIGHUP reloads the rules keeping every counter, SIGTERM/SIGINT stop the
 * inputs, flush the sinks and persist the journal cursor and the file
 * positions. Also `authguard check-config FILE`. */
#include "plugin/run.h"

#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "filters/recognize.h"
#include "plugin/aggregate.h"
#include "plugin/config.h"
#include "plugin/filepos.h"
#include "plugin/follow.h"
#include "plugin/journald.h"
#include "plugin/pipeline.h"
#include "plugin/rsyslog.h"

#define RUN_MAX_FILES 32
#define RUN_READ_BATCH 256            /* journal entries per gate hold */
#define RUN_FILE_BATCH (1u << 20)     /* bytes per file per gate hold */
#define RUN_IDLE_MS 100               /* poll period of idle files and stdin */
#define RUN_CHECKPOINT_FLUSH_MS 2000
#define RUN_TICK_MS 250               /* signal wait; a stdin end is seen this fast */
#define RUN_FLUSH_EVERY_MS 1000
#define RUN_POS_FILE "/var/lib/authguard/files.pos"
#define RUN_POS_AGE_MS 1000           /* ... or this long after a line was read */
#define RUN_RELOAD_WAIT_S 3           /* how long a reload waits for the inputs */

/* [input.file] and [input.stdin]; [input.journald] is journald.h's. */
struct run_inputs {
    struct ag_journald_config journald;
    int have_journald;
    char *paths[RUN_MAX_FILES];
    size_t n_paths;
    int files_from_head;
    char position_file[4096];   /* "": keep no positions */
    unsigned position_every;
    int stdin_on;
};

enum input_kind { IN_JOURNALD, IN_FILES, IN_STDIN };

struct run;

struct input {
    struct run *r;
    enum input_kind kind;
    pthread_t th;
    int started;
    struct ag_parser *parser;
    struct ag_journald *jd;
    struct ag_follow files[RUN_MAX_FILES];
    size_t n_files;
    int64_t arrival_ms;
    int save_failed;        /* the last cursor save failed: say so once */
    atomic_int done;        /* the input has ended (stdin at end of file) */
    /* Files: when their positions were last saved (or tried), and the
     * lines handed out then; save_asked: a reload wants a save now. */
    int64_t pos_saved_ms;
    uint64_t pos_lines;
    atomic_int save_asked;
};

struct run {
    const char *path;
    struct ag_config cfg;   /* the pipeline points into it: lives until exit */
    struct run_inputs ri;
    struct ag_pipeline *pipe;
    /* Readers: input threads while they feed. Writer: a reload changing
     * rules, which the hot path reads without a lock. */
    pthread_rwlock_t gate;
    atomic_int stop;
    struct input in[3];
    size_t n_in;
};

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* One line per message, written whole: input threads log at the same time. */
__attribute__((format(printf, 1, 2)))
static void say(const char *fmt, ...)
{
    char line[2 * AG_CONF_ERRLEN];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    fprintf(stderr, "authguard run: %s\n", line);
}

/* ---- configuration of the inputs ------------------------------------------- */

static void free_inputs(struct run_inputs *ri)
{
    for (size_t i = 0; i < ri->n_paths; i++)
        free(ri->paths[i]);
    memset(ri, 0, sizeof *ri);
}

/* "paths = /var/log/auth.log /var/log/secure": blanks or commas between. */
static int split_paths(struct run_inputs *ri, const char *conf_path, const char *list,
                       char *err, size_t errlen)
{
    const char *p = list;
    for (;;) {
        p += strspn(p, " \t,");
        size_t n = strcspn(p, " \t,");
        if (!n)
            return 0;
        if (ri->n_paths == RUN_MAX_FILES || n >= sizeof ((struct ag_follow *)0)->path) {
            snprintf(err, errlen, "%s: [input.file] paths: %s", conf_path,
                     n >= 4096 ? "a path is too long" : "more than 32 files");
            return -1;
        }
        if (!(ri->paths[ri->n_paths] = strndup(p, n))) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        ri->n_paths++;
        p += n;
    }
}

/* [input.file] and [input.stdin]. */
struct file_keys {
    const char *paths, *position_file;
    int from;
    uint64_t position_every;
};

struct stdin_keys {
    int enabled;
};

#define FILE_FIELD(m) AG_CONF_FIELD(struct file_keys, m)
static const char *const from_modes[] = {"tail", "head", NULL};
static const struct ag_conf_key file_keys[] = {
    {"paths", AG_CONF_LIST, FILE_FIELD(paths),
     .help = "Log files followed through appends, rotation and truncation (at most 32)."},
    {"from", AG_CONF_ENUM, FILE_FIELD(from), .choices = from_modes, .def = "tail",
     .help = "Where to start in a file with no saved position: tail or head."},
    {"position_file", AG_CONF_PATH, FILE_FIELD(position_file), .def = RUN_POS_FILE,
     .help = "Where each file stopped, written atomically; empty: keep no positions."},
    {"position_every", AG_CONF_UINT, FILE_FIELD(position_every), 1, 1000000, .def = "1000",
     .help = "Lines between two saves of the positions."},
    {.name = NULL}};

static const struct ag_conf_key stdin_keys[] = {
    {"enabled", AG_CONF_BOOL, AG_CONF_FIELD(struct stdin_keys, enabled), .def = "off",
     .help = "Read standard input; at its end, with no other input, run stops."},
    {.name = NULL}};

const struct ag_conf_section ag_run_file_section = {
    "input.file", "`authguard run`: log files followed by name.", file_keys};
const struct ag_conf_section ag_run_stdin_section = {
    "input.stdin", "`authguard run`: lines from standard input.", stdin_keys};

/* position_file and position_every of [input.file]. */
static int load_positions(const struct ag_conf *c, const struct file_keys *k,
                          struct run_inputs *ri, char *err, size_t errlen)
{
    if (strlen(k->position_file) >= sizeof ri->position_file) {
        snprintf(err, errlen, "%s: [input.file] position_file: path too long", ag_conf_path(c));
        return -1;
    }
    strcpy(ri->position_file, k->position_file);
    ri->position_every = (unsigned)k->position_every;
    return 0;
}

static int load_inputs(const struct ag_conf *c, struct run_inputs *ri, char *err,
                       size_t errlen)
{
    struct file_keys fk;
    struct stdin_keys sk;
    memset(ri, 0, sizeof *ri);
    int jrc = ag_journald_config_load(c, &ri->journald, err, errlen);
    if (jrc < 0 || ag_conf_read(c, "input.file", file_keys, &fk, err, errlen) < 0 ||
        load_positions(c, &fk, ri, err, errlen) < 0 ||
        ag_conf_read(c, "input.stdin", stdin_keys, &sk, err, errlen) < 0 ||
        (fk.paths && split_paths(ri, ag_conf_path(c), fk.paths, err, errlen) < 0) ||
        ag_conf_check_unused(c, AG_JOURNALD_SECTION, err, errlen) < 0 ||
        ag_conf_check_unused(c, "input.file", err, errlen) < 0 ||
        ag_conf_check_unused(c, "input.stdin", err, errlen) < 0) {
        free_inputs(ri);
        return -1;
    }
    ri->have_journald = jrc > 0 && ri->journald.enabled;
    ri->files_from_head = fk.from == 1;
    ri->stdin_on = sk.enabled;
    return 0;
}

/* Creates the sinks the configuration names, and drops them unused: the
 * check that they can be built (paths, brokers, options) without a
 * full-sized engine. */
static int check_sinks(const struct ag_config *cfg, char *err, size_t errlen)
{
    struct ag_config small = *cfg;
    small.engine.table_slots = 1024;
    small.engine.pair_slots = 0;
    small.engine.open_findings = 64;
    small.engine.finding_queue = 16;
    small.engine.recent_per_stripe = 16;
    struct ag_pipeline *p = ag_pipeline_new(&small, 1, err, errlen);
    if (!p)
        return -1;
    int rc = ag_pipeline_add_configured_sinks(p, err, errlen);
    ag_pipeline_free(p);
    return rc;
}

/* The whole configuration as `run` uses it; on error cfg is freed. */
static int load_all(const char *path, struct ag_config *cfg, struct run_inputs *ri,
                    char *err, size_t errlen)
{
    if (ag_config_load(cfg, path, err, errlen) < 0)
        return -1;
    if (load_inputs(cfg->conf, ri, err, errlen) < 0 || check_sinks(cfg, err, errlen) < 0) {
        free_inputs(ri);
        ag_config_free(cfg);
        return -1;
    }
    return 0;
}

/* ---- inputs ------------------------------------------------------------------- */

static int stopping(const struct run *r)
{
    return atomic_load_explicit(&r->stop, memory_order_relaxed);
}

static void on_line(void *ud, const char *line, size_t len)
{
    struct input *in = ud;
    struct ag_event ev;
    if (!line)
        ag_parse_oversize(in->parser); /* dropped by the splitter, counted as scan does */
    else if (ag_parse_line(in->parser, line, len, in->arrival_ms, &ev) == AG_PARSE_EVENT)
        ag_pipeline_feed(in->r->pipe, &ev);
}

static void on_entry(void *ud, const struct ag_journald_entry *e)
{
    struct input *in = ud;
    struct ag_event ev;
    if (ag_parse_message(in->parser, e->program, e->plen, e->pid, e->host, e->hlen, e->time_ms,
                         in->arrival_ms, e->msg, e->mlen, &ev) == AG_PARSE_EVENT)
        ag_pipeline_feed(in->r->pipe, &ev);
}

/* The cursor moves only past entries the sinks have taken: flush first, so
 * a crash right after repeats nothing and loses nothing. */
static void checkpoint(struct input *in, int flush_ms)
{
    char err[AG_CONF_ERRLEN];
    long pending = ag_pipeline_flush(in->r->pipe, flush_ms);
    if (pending) {
        if (!in->save_failed)
            say("journald: %ld outputs undelivered; cursor left at the last checkpoint", pending);
        in->save_failed = 1;
        return;
    }
    if (ag_journald_save_cursor(in->jd, err, sizeof err) < 0) {
        if (!in->save_failed)
            say("journald: %s", err);
        in->save_failed = 1;
        return;
    }
    if (in->save_failed)
        say("journald: outputs delivered again; cursor saved");
    in->save_failed = 0;
}

static void *journald_main(void *arg)
{
    struct input *in = arg;
    struct run *r = in->r;
    int failed = 0;
    while (!stopping(r)) {
        in->arrival_ms = now_ms();
        pthread_rwlock_rdlock(&r->gate);
        int n = ag_journald_read(in->jd, RUN_READ_BATCH, on_entry, in);
        pthread_rwlock_unlock(&r->gate);
        if (n < 0 && !failed)
            say("journald: reading the journal: %s", strerror(-n));
        failed = n < 0;
        if (ag_journald_save_due(in->jd))
            checkpoint(in, RUN_CHECKPOINT_FLUSH_MS);
        if (n <= 0 && ag_journald_wait(in->jd, RUN_IDLE_MS * 2) < 0)
            sleep_ms(RUN_IDLE_MS);
    }
    return NULL;
}

static uint64_t file_lines(const struct input *in)
{
    uint64_t n = 0;
    for (size_t i = 0; i < in->n_files; i++)
        n += in->files[i].lines;
    return n;
}

/* Like the journal cursor, the positions move only past lines the sinks
 * have taken. A failed save is retried a second later, and said once. */
static void save_positions(struct input *in, int flush_ms)
{
    struct run *r = in->r;
    char err[AG_CONF_ERRLEN];
    in->pos_saved_ms = now_ms();
    if (!r->ri.position_file[0])
        return;
    long pending = flush_ms >= 0 ? ag_pipeline_flush(r->pipe, flush_ms) : 0;
    if (pending) {
        if (!in->save_failed)
            say("files: %ld outputs undelivered; positions left at the last save", pending);
        in->save_failed = 1;
        return;
    }
    uint64_t lines = file_lines(in);
    if (ag_filepos_save(r->ri.position_file, in->files, in->n_files, err, sizeof err) < 0) {
        if (!in->save_failed)
            say("files: %s", err);
        in->save_failed = 1;
        return;
    }
    if (in->save_failed)
        say("files: outputs delivered again; positions saved");
    in->save_failed = 0;
    in->pos_lines = lines;
}

/* After position_every lines, or a second after a line, or when asked; a
 * failed save waits a second, so that a sink that is down does not stall
 * the reading in one flush after another. */
static int positions_due(struct input *in)
{
    uint64_t since = file_lines(in) - in->pos_lines;
    int64_t age = now_ms() - in->pos_saved_ms;
    if (!in->r->ri.position_file[0])
        return 0;
    if (atomic_exchange(&in->save_asked, 0))
        return 1;
    if (in->save_failed && age < RUN_POS_AGE_MS)
        return 0;
    return since >= in->r->ri.position_every || (since > 0 && age >= RUN_POS_AGE_MS);
}

static void *files_main(void *arg)
{
    struct input *in = arg;
    struct run *r = in->r;
    while (!stopping(r)) {
        ssize_t total = 0;
        in->arrival_ms = now_ms();
        pthread_rwlock_rdlock(&r->gate);
        for (size_t i = 0; i < in->n_files; i++)
            total += ag_follow_poll(&in->files[i], RUN_FILE_BATCH, on_line, in);
        pthread_rwlock_unlock(&r->gate);
        if (positions_due(in))
            save_positions(in, RUN_CHECKPOINT_FLUSH_MS);
        if (total == 0)
            sleep_ms(RUN_IDLE_MS);
    }
    return NULL;
}

/* Feeds every complete line buffered; at the end, the unterminated one. */
static void stdin_lines(struct input *in, struct ag_lines *lb, int eof)
{
    const char *line;
    size_t len;
    pthread_rwlock_rdlock(&in->r->gate);
    for (;;) {
        int rc = eof ? ag_lines_finish(lb, &line, &len) : ag_lines_take(lb, &line, &len);
        if (rc == AG_LINES_MORE || rc == AG_LINES_EOF)
            break;
        on_line(in, rc == AG_LINES_LINE ? line : NULL, len);
    }
    pthread_rwlock_unlock(&in->r->gate);
}

static void *stdin_main(void *arg)
{
    struct input *in = arg;
    struct ag_lines lb;
    if (ag_lines_init(&lb, STDIN_FILENO, AG_LINE_MAX, AG_FOLLOW_CHUNK) < 0) {
        say("stdin: out of memory");
        atomic_store(&in->done, 1);
        return NULL;
    }
    while (!stopping(in->r)) {
        struct pollfd pfd = {.fd = STDIN_FILENO, .events = POLLIN};
        if (poll(&pfd, 1, RUN_IDLE_MS * 2) <= 0)
            continue;
        ssize_t n = ag_lines_fill(&lb);
        int e = errno;
        if (n < 0 && (e == EAGAIN || e == EINTR))
            continue;
        in->arrival_ms = now_ms();
        stdin_lines(in, &lb, n <= 0);
        if (n < 0)
            say("stdin: %s", strerror(e));
        if (n <= 0)
            break;
    }
    ag_lines_free(&lb);
    atomic_store(&in->done, 1);
    return NULL;
}

/* ---- the daemon ------------------------------------------------------------------ */

static struct input *add_input(struct run *r, enum input_kind kind)
{
    struct input *in = &r->in[r->n_in++];
    in->r = r;
    in->kind = kind;
    in->parser = malloc(sizeof *in->parser);
    if (!in->parser)
        return NULL;
    ag_parser_init(in->parser);
    if (r->cfg.have_tz)
        ag_tzcache_set_fixed(&in->parser->tz, r->cfg.tz_offset_s);
    return in;
}

/* Each path where its saved position says (filepos.h), else as configured;
 * a position file that cannot be used costs those positions, never the
 * start: a daemon that refuses to run detects nothing. */
static int open_files(struct run *r, struct input *in, char *err, size_t errlen)
{
    const struct run_inputs *ri = &r->ri;
    const char *from = ri->files_from_head ? "head" : "tail";
    char e[AG_CONF_ERRLEN], note[AG_CONF_ERRLEN];
    size_t n = 0;
    struct ag_filepos *saved = calloc(AG_FILEPOS_MAX, sizeof *saved);
    if (!saved)
        return snprintf(err, errlen, "out of memory"), -1;
    int bad = ri->position_file[0] ? ag_filepos_load(ri->position_file, saved, AG_FILEPOS_MAX,
                                                     &n, e, sizeof e)
                                   : 0;
    if (bad < 0)
        say("files: %s; every file starts as configured (from = %s)", e, from);
    else if (bad > 0)
        say("files: %s (%d bad line%s ignored); a file without a good line starts as "
            "configured (from = %s)", e, bad, bad == 1 ? "" : "s", from);
    for (size_t i = 0; i < ri->n_paths; i++, in->n_files++) {
        const struct ag_filepos *s = ag_filepos_find(saved, n, ri->paths[i]);
        if (ag_filepos_open(&in->files[i], ri->paths[i], ri->files_from_head, s, note,
                            sizeof note) < 0) {
            snprintf(err, errlen, "%s: %s", ri->paths[i], strerror(errno));
            free(saved);
            return -1;
        }
        if (note[0])
            say("files: %s", note);
    }
    free(saved);
    /* Where each file starts, saved at once: a crash before the first line
     * must not send a tail start back to a later tail. */
    save_positions(in, -1);
    return 0;
}

static int open_inputs(struct run *r, char *err, size_t errlen)
{
    struct input *in;
    if (r->ri.have_journald) {
        if (!(in = add_input(r, IN_JOURNALD)) ||
            ag_journald_open(&in->jd, &r->ri.journald, err, errlen) < 0)
            return in ? -1 : (snprintf(err, errlen, "out of memory"), -1);
        if (ag_journald_note(in->jd)[0])
            say("journald: %s", ag_journald_note(in->jd));
    }
    if (r->ri.n_paths) {
        if (!(in = add_input(r, IN_FILES)) || open_files(r, in, err, errlen) < 0)
            return in ? -1 : (snprintf(err, errlen, "out of memory"), -1);
    }
    if (r->ri.stdin_on && !add_input(r, IN_STDIN))
        return snprintf(err, errlen, "out of memory"), -1;
    if (!r->n_in) {
        snprintf(err, errlen, "%s: no input: configure [input.journald], [input.file] paths "
                 "or [input.stdin] enabled = on", r->path);
        return -1;
    }
    return 0;
}

static int start_inputs(struct run *r)
{
    static void *(*const mains[])(void *) = {journald_main, files_main, stdin_main};
    for (size_t i = 0; i < r->n_in; i++) {
        int rc = pthread_create(&r->in[i].th, NULL, mains[r->in[i].kind], &r->in[i]);
        if (rc) {
            say("cannot start an input thread: %s", strerror(rc));
            return -1;
        }
        r->in[i].started = 1;
    }
    return 0;
}

static int all_inputs_done(struct run *r)
{
    for (size_t i = 0; i < r->n_in; i++)
        if (!atomic_load(&r->in[i].done))
            return 0;
    return 1;
}

/* SIGHUP: the new file must load whole (sections, keys, values, sinks); then
 * its rules replace the running ones while no input feeds. Counters,
 * windows and open findings stay. */
static void reload(struct run *r)
{
    char err[AG_CONF_ERRLEN];
    struct ag_config nc;
    struct run_inputs ni;
    if (load_all(r->path, &nc, &ni, err, sizeof err) < 0) {
        say("reload refused: %s; still running the previous configuration", err);
        return;
    }
    /* An input may be waiting inside a sink for a full disk, holding the
     * gate: the reload waits a while, not for ever, so signals are still
     * seen. */
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += RUN_RELOAD_WAIT_S;
    if (pthread_rwlock_timedwrlock(&r->gate, &until) != 0) {
        say("reload postponed: an input is waiting for a sink that cannot write; send SIGHUP "
            "again later");
        free_inputs(&ni);
        ag_config_free(&nc);
        return;
    }
    int kept = ag_engine_set_rules(ag_pipeline_engine(r->pipe), nc.engine.rules, err,
                                   sizeof err);
    pthread_rwlock_unlock(&r->gate);
    for (size_t i = 0; i < r->n_in; i++)
        if (r->in[i].kind == IN_FILES)
            atomic_store(&r->in[i].save_asked, 1);
    if (kept < 0)
        say("reload refused: %s; still running the previous configuration", err);
    else
        say("reloaded %s: rules applied, counters kept%s%s; inputs, sinks, [engine] and "
            "[summary] change at the next start", r->path, kept ? "; " : "", kept ? err : "");
    free_inputs(&ni);
    ag_config_free(&nc);
}

/* Between signals, sinks that buffer (JSON lines) are flushed about once a
 * second, so that a quiet moment never holds events back for long. */
static int wait_for_stop(struct run *r, const sigset_t *set)
{
    const struct timespec tick = {0, RUN_TICK_MS * 1000000L};
    int64_t last_flush = now_ms();
    for (;;) {
        siginfo_t si;
        int sig = sigtimedwait(set, &si, &tick);
        if (sig == SIGHUP)
            reload(r);
        else if (sig == SIGTERM || sig == SIGINT)
            return sig;
        else if (sig < 0 && all_inputs_done(r))
            return 0;
        if (now_ms() - last_flush >= RUN_FLUSH_EVERY_MS) {
            ag_pipeline_flush(r->pipe, 0);
            last_flush = now_ms();
        }
    }
}

/* An input waiting in a sink for room (a full disk) is let go: what it
 * held is counted undelivered, so no position moves past it. */
static void stop_inputs(struct run *r)
{
    atomic_store(&r->stop, 1);
    if (r->pipe)
        ag_pipeline_stop_waiting(r->pipe);
    for (size_t i = 0; i < r->n_in; i++)
        if (r->in[i].started)
            pthread_join(r->in[i].th, NULL);
}

static void report(struct run *r, long undelivered)
{
    uint64_t lines = 0, events = 0;
    for (size_t i = 0; i < r->n_in; i++) {
        lines += r->in[i].parser->st.lines;
        events += r->in[i].parser->st.events;
    }
    struct ag_pipeline_stats ps;
    ag_pipeline_stats(r->pipe, &ps);
    say("stopped: %llu lines and entries, %llu events, %llu findings and updates, "
        "%ld outputs undelivered", (unsigned long long)lines, (unsigned long long)events,
        (unsigned long long)ps.engine.findings, undelivered);
}

/* Inputs are stopped: flush, then move the cursor and the file positions
 * past what was read. */
static long finish(struct run *r)
{
    long undelivered = ag_pipeline_flush(r->pipe, AG_FLUSH_AT_EXIT);
    for (size_t i = 0; i < r->n_in && !undelivered; i++) {
        if (r->in[i].jd)
            checkpoint(&r->in[i], 0);
        if (r->in[i].kind == IN_FILES)
            save_positions(&r->in[i], -1);
    }
    return undelivered;
}

static void teardown(struct run *r)
{
    for (size_t i = 0; i < r->n_in; i++) {
        ag_journald_close(r->in[i].jd);
        for (size_t f = 0; f < r->in[i].n_files; f++)
            ag_follow_close(&r->in[i].files[f]);
        free(r->in[i].parser);
    }
    ag_pipeline_free(r->pipe);
    free_inputs(&r->ri);
    ag_config_free(&r->cfg);
    pthread_rwlock_destroy(&r->gate);
}

static int setup(struct run *r, char *err, size_t errlen)
{
    pthread_rwlockattr_t ra;
    pthread_rwlockattr_init(&ra);
    /* A reload must get in while inputs keep feeding. */
    pthread_rwlockattr_setkind_np(&ra, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    pthread_rwlock_init(&r->gate, &ra);
    pthread_rwlockattr_destroy(&ra);
    if (load_all(r->path, &r->cfg, &r->ri, err, errlen) < 0)
        return -1;
    ag_config_for_daemon(&r->cfg);
    r->pipe = ag_pipeline_new(&r->cfg, 0, err, errlen);
    if (!r->pipe)
        return -1;
    /* Positions stand for what was delivered: a sink holds and retries
     * what it cannot write yet rather than drop it. */
    ag_pipeline_hold_undelivered(r->pipe);
    if (ag_pipeline_add_configured_sinks(r->pipe, err, errlen) < 0)
        return -1;
    return open_inputs(r, err, errlen);
}

static const char run_usage[] =
    "usage: authguard run -c FILE\n"
    "  The daemon. Reads the inputs FILE configures ([input.journald],\n"
    "  [input.file], [input.stdin]), feeds the engine, and sends events and\n"
    "  findings to the configured sinks ([sink.jsonl], [sink.kafka],\n"
    "  [sink.bedrock], [sink.smtp]). Positions (the journal cursor, file\n"
    "  offsets) are saved only once what came before them was delivered, so a\n"
    "  restart resumes without loss.\n"
    "  SIGHUP: reload FILE (a bad file is refused and the old one kept).\n"
    "  SIGTERM, SIGINT: flush the sinks, save the positions, report, exit 0.\n"
    "  -c, --config FILE   the configuration (see authguard.conf)\n"
    "  -h, --help          this text\n"
    "  Exit status: 0 after a clean stop, 2 for a bad configuration.\n";

static const char check_config_usage[] =
    "usage: authguard check-config -c FILE\n"
    "  Loads FILE as `run` would (every section, the inputs too) and prints\n"
    "  \"FILE: ok\", or the first error with file, line and key.\n"
    "  -c, --config FILE   the configuration to check\n"
    "  -h, --help          this text\n"
    "  Exit status: 0 when FILE is valid, 2 otherwise.\n";

static const char *config_arg(int argc, char **argv, const char *cmd)
{
    const char *usage = strcmp(cmd, "run") == 0 ? run_usage : check_config_usage;
    static const struct option longopts[] = {
        {"config", required_argument, NULL, 'c'}, {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    const char *path = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
        if (c == 'c') {
            path = optarg;
        } else {
            fputs(usage, c == 'h' ? stdout : stderr);
            exit(c == 'h' ? 0 : 2);
        }
    }
    if (!path && optind < argc)
        path = argv[optind];
    if (!path)
        fputs(usage, stderr);
    return path;
}

int ag_run_main(int argc, char **argv)
{
    char err[AG_CONF_ERRLEN];
    sigset_t set;
    struct run *r = calloc(1, sizeof *r);
    if (!r || !(r->path = config_arg(argc, argv, "run"))) {
        free(r);
        return 2;
    }
    /* Signals wait for the main thread's sigtimedwait: blocked here, before
     * any thread exists, so every thread inherits the mask and no handler
     * ever runs. */
    sigemptyset(&set);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    if (setup(r, err, sizeof err) < 0 || start_inputs(r) < 0) {
        if (err[0])
            fprintf(stderr, "authguard run: %s\n", err);
        stop_inputs(r);
        teardown(r);
        free(r);
        return 2;
    }
    say("running %s with %zu input%s", r->path, r->n_in, r->n_in == 1 ? "" : "s");
    int sig = wait_for_stop(r, &set);
    say("stopping (%s)", sig ? strsignal(sig) : "every input ended");
    stop_inputs(r);
    report(r, finish(r));
    teardown(r);
    free(r);
    return 0;
}

int ag_check_config_main(int argc, char **argv)
{
    char err[AG_CONF_ERRLEN];
    struct ag_config cfg;
    struct run_inputs ri;
    const char *path = config_arg(argc, argv, "check-config");
    if (!path)
        return 2;
    if (load_all(path, &cfg, &ri, err, sizeof err) < 0) {
        fprintf(stderr, "authguard check-config: %s\n", err);
        return 2;
    }
    /* The sections other commands read, through the same tables. */
    if (ag_rsyslog_check_config(cfg.conf, err, sizeof err) < 0 ||
        ag_aggregate_check_config(cfg.conf, err, sizeof err) < 0) {
        fprintf(stderr, "authguard check-config: %s\n", err);
        free_inputs(&ri);
        ag_config_free(&cfg);
        return 2;
    }
    printf("%s: ok\n", path);
    free_inputs(&ri);
    ag_config_free(&cfg);
    return 0;
}
