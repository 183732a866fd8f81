/* rsyslog.c - `authguard rsyslog`: rsyslog's external-program protocols on
 * stdin/stdout. omprog (confirmMessages, useTransactions): a batch of
 * %jsonmesg% lines is confirmed only once its events and findings are
 * delivered. mmexternal (fulljson): one reply per line, `{}` or $!authguard.
 *
 * omprog: what rsyslog guarantees (plugins/omprog, action.c, 8.2302 as
 * 8.2508) is that a message answered DEFER_COMMIT is not sent again when a
 * later message of its transaction fails (the retry starts at the failed
 * one), and that the whole batch is sent again, a message a transaction,
 * when its COMMIT fails. So each message is fed to the engine, its events
 * and findings are written out, and only then is it answered DEFER_COMMIT
 * (OK outside a transaction), or with an error line so that rsyslog sends
 * it again; COMMIT has nothing left to do. What was delivered is kept in a
 * seen file, so that a message sent again, to this process or to the one
 * rsyslog starts after a kill, is dropped; a message whose outputs were
 * being written when the process died is cut from the JSON-lines file and
 * written whole when it comes again. Messages fed since the last COMMIT
 * are remembered with their counts: one sent again after a failed delivery
 * goes to the sinks again with the counts it had, not counted twice. */
#include "plugin/rsyslog.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "filters/jsonscan.h"
#include "filters/recognize.h"
#include "filters/syslog.h"
#include "plugin/config.h"
#include "plugin/lines.h"
#include "plugin/pipeline.h"
#include "plugin/statefile.h"
#include "sinks/escape.h"

/* A %jsonmesg% line carries the message twice (msg and rawmsg), escaped,
 * plus the header fields: 256 KiB holds rsyslog's largest messages. */
#define RS_LINE_MAX (256u * 1024u)
#define RS_READ_CHUNK (64u * 1024u)
/* Slots of each set of remembered messages (struct rs_set), which is kept
 * at most half full: 8192 messages fed and not yet confirmed, and at least
 * the last 8192 confirmed. */
#define RS_SEEN_SLOTS 16384u
#define RS_REPLY_MAX 4096
#define RS_DEFAULT_FLUSH_MS 5000
#define RS_SEEN_FILE "/var/lib/authguard/rsyslog.seen"

/* Set by the signal handlers, acted on between lines (read() returns EINTR,
 * the handlers are installed without SA_RESTART). A handler can only reach
 * a static flag; this is the one global the conventions allow. */
static volatile sig_atomic_t rs_hup, rs_term;

static void on_hup(int sig) { (void)sig; rs_hup = 1; }
static void on_term(int sig) { (void)sig; rs_term = 1; }

struct rs_opts {
    const char *config;
    const char *log_path;
    const char *begin_mark;
    const char *commit_mark;
    int mmexternal;
    int flush_ms;
};

/* One message as rsyslog split it; pointers into the parsed JSON. */
struct rs_msg {
    const char *program, *host, *text;
    size_t plen, hlen, tlen;
    uint32_t pid;
    int64_t time_ms;
    uint64_t hash;
};

/* 16 bytes: every message looks in three sets, so a set's slots (256 KiB)
 * stay in cache; the counts a pending message was fed with are apart. */
struct rs_seen {
    uint64_t hash;
    uint32_t gen;      /* live when equal to its set's gen */
    uint32_t has_counts;
};

/* A set of line hashes, emptied in O(1) by moving to the next generation;
 * kept at most half full so that a probe always ends. counts (pending
 * only) is indexed like slot. */
struct rs_set {
    struct rs_seen *slot; /* RS_SEEN_SLOTS */
    struct ag_counts *counts;
    uint32_t gen, used;
};

/* The sink that hands the rsyslog host the counts of the event just fed:
 * the engine is synchronous, so it is called inside the feed. */
struct rs_capture {
    struct ag_sink base;
    struct ag_counts counts;
    int have;
};

struct rs_stats {
    uint64_t lines, events, bad, oversize, resent, dropped_dups, unremembered, commits, failed;
};

struct rs {
    struct rs_opts o;
    FILE *log;                 /* reports; NULL: nowhere */
    struct ag_config cfg;
    struct ag_parser *parser;
    struct ag_pipeline *pipe;
    struct rs_capture *cap;    /* owned by the pipeline */
    json_tokener *tok;
    struct json_object *obj;   /* the last line, when json-c parsed it */
    char *scratch;             /* decoded strings of the last line */
    struct ag_lines rd;        /* stdin: a line over RS_LINE_MAX is skipped */
    int in_tx;
    /* Fed since the last COMMIT (with their counts); and delivered
     * lately, in two generations: rsyslog sends a batch again after its
     * COMMIT failed, and a killed process's batch to the next one. */
    struct rs_set pending, done[2];
    int done_cur;
    struct rs_stats st;
    time_t last_bad_report;
    /* The seen file's ring, mapped (NULL: none), and the JSON-lines file
     * it guards (out_path NULL: none; both paths point into cfg). */
    const char *seen_path, *out_path;
    struct rs_rec *ring;
    int out_fd;
    uint64_t seen_seq;
};

/* ---- reports ------------------------------------------------------------- */

__attribute__((format(printf, 2, 3)))
static void report(struct rs *r, const char *fmt, ...)
{
    if (!r->log)
        return;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    /* One fprintf per line: rsyslog's output file does not interleave
     * lines under 4 KiB written at once. */
    fprintf(r->log, "authguard rsyslog[%ld]: %s\n", (long)getpid(), msg);
    fflush(r->log);
}

/* The sinks' messages go to the report file too; without one, to stderr. */
static void rs_log(void *ud, enum ag_log_level level, const char *component, const char *msg)
{
    struct rs *r = ud;
    if (!r->log) {
        ag_log_stderr(NULL, level, component, msg);
        return;
    }
    report(r, "%s%s%s", component ? component : "", component ? ": " : "", msg);
}

/* Bad input is answered normally and reported at most once a second, with
 * a safe excerpt, so a flood of garbage cannot flood the report file. */
static void report_bad(struct rs *r, const char *why, const char *line, size_t len)
{
    r->st.bad++;
    time_t now = time(NULL);
    if (now == r->last_bad_report)
        return;
    r->last_bad_report = now;
    char mem[256];
    struct ag_buf b;
    ag_buf_init(&b, mem, sizeof mem);
    ag_buf_text_safe(&b, line, len < 80 ? len : 80);
    report(r, "line %llu: %s (%llu bad lines so far): %s%s", (unsigned long long)r->st.lines,
           why, (unsigned long long)r->st.bad, ag_buf_cstr(&b), len > 80 ? "..." : "");
}

static void report_stats(struct rs *r, const char *when)
{
    const struct rs_stats *s = &r->st;
    report(r, "%s: %llu lines, %llu events, %llu bad, %llu oversize, %llu re-sent after a "
              "failure (written again, not counted again), %llu sent again after their "
              "confirmation (dropped), %llu not remembered, %llu commits, %llu failed "
              "deliveries",
           when, (unsigned long long)s->lines, (unsigned long long)s->events,
           (unsigned long long)s->bad, (unsigned long long)s->oversize,
           (unsigned long long)s->resent, (unsigned long long)s->dropped_dups,
           (unsigned long long)s->unremembered,
           (unsigned long long)s->commits, (unsigned long long)s->failed);
}

static int reply(const char *s)
{
    return ag_write_all(STDOUT_FILENO, s, strlen(s));
}

/* ---- a jsonmesg line -> struct rs_msg -------------------------------------- */

/* 8 bytes a step (FNV-1a byte by byte cost more than parsing the line);
 * identity, not security: a collision only makes a message count as sent
 * before, and the lines are the local rsyslog's own rendering. */
static uint64_t hash_line(const char *p, size_t n)
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
    return h ^ (h >> 29);
}

static int digits(const char *s, size_t n, unsigned *out)
{
    unsigned v = 0;
    if (n == 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (unsigned)(s[i] - '0');
    }
    *out = v;
    return 0;
}

/* RFC 3339 with an explicit offset (rsyslog's timereported) -> epoch ms;
 * 0 when it is not one, and the event then takes its arrival time. No
 * local time zone is involved, so no TZ is needed. */
static int64_t parse_rfc3339(const char *s, size_t n)
{
    unsigned y, mo, d, h, mi, se, ms = 0, oh, om;
    if (n < 20 || digits(s, 4, &y) || s[4] != '-' || digits(s + 5, 2, &mo) || s[7] != '-' ||
        digits(s + 8, 2, &d) || (s[10] != 'T' && s[10] != ' ') || digits(s + 11, 2, &h) ||
        s[13] != ':' || digits(s + 14, 2, &mi) || s[16] != ':' || digits(s + 17, 2, &se) ||
        mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60)
        return 0;
    size_t i = 19;
    if (s[i] == '.') {
        unsigned scale = 100;
        for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++, scale /= 10)
            ms += (unsigned)(s[i] - '0') * scale;
    }
    int64_t off = 0;
    if (i < n && (s[i] == '+' || s[i] == '-') && i + 6 == n && !digits(s + i + 1, 2, &oh) &&
        s[i + 3] == ':' && !digits(s + i + 4, 2, &om))
        off = (s[i] == '-' ? -1 : 1) * ((int64_t)oh * 3600 + om * 60);
    else if (!(i + 1 == n && (s[i] == 'Z' || s[i] == 'z')))
        return 0;
    int64_t secs = ag_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se - off;
    return secs * 1000 + ms;
}

/* The jsonmesg keys authguard reads, as spans (not NUL-terminated). */
enum { F_MSG, F_HOST, F_PROGRAM, F_APPNAME, F_TAG, F_PROCID, F_TIME, F_PROTO, F_COUNT };
static const char *const field_names[F_COUNT] = {
    "msg",       "hostname", "programname",  "app-name",
    "syslogtag", "procid", "timereported", "protocol-version"};

struct rs_fields {
    const char *p[F_COUNT];
    size_t n[F_COUNT];
};

/* The fast path for rsyslog's own rendering: one pass, no allocation;
 * strings with escapes are decoded into r->scratch. -1 for anything it
 * does not expect (json-c then decides). */
static int scan_fields(struct rs *r, const char *s, size_t n, struct rs_fields *f)
{
    struct ag_json_val v[F_COUNT];
    if (ag_json_scan(s, n, field_names, F_COUNT, v, r->scratch) < 0)
        return -1;
    for (int i = 0; i < F_COUNT; i++)
        if (v[i].type == AG_JSON_STRING) {
            f->p[i] = v[i].p;
            f->n[i] = v[i].n;
        }
    return 0;
}

/* The general path: any JSON object json-c accepts. r->obj keeps the
 * strings alive until the next line. */
static int parse_fields(struct rs *r, const char *line, size_t len, struct rs_fields *f)
{
    json_tokener_reset(r->tok);
    r->obj = json_tokener_parse_ex(r->tok, line, (int)len);
    if (!r->obj || !json_object_is_type(r->obj, json_type_object))
        return -1;
    for (int i = 0; i < F_COUNT; i++) {
        struct json_object *v;
        if (json_object_object_get_ex(r->obj, field_names[i], &v) &&
            json_object_is_type(v, json_type_string)) {
            f->p[i] = json_object_get_string(v);
            f->n[i] = (size_t)json_object_get_string_len(v);
        }
    }
    return 0;
}

/* Fills m from one jsonmesg line; its strings live until the next call.
 * -1: not a JSON object. */
static int split_msg(struct rs *r, const char *line, size_t len, struct rs_msg *m)
{
    struct rs_fields f;
    unsigned pid;
    memset(m, 0, sizeof *m);
    m->program = m->host = m->text = ""; /* absent: empty, never NULL */
    memset(&f, 0, sizeof f);
    json_object_put(r->obj);
    r->obj = NULL;
    if (scan_fields(r, line, len, &f) < 0) {
        memset(&f, 0, sizeof f);
        if (parse_fields(r, line, len, &f) < 0)
            return -1;
    }
    if (f.n[F_MSG])
        m->text = f.p[F_MSG], m->tlen = f.n[F_MSG];
    /* rsyslog's RFC 3164 parser (protocol-version 0: local messages through
     * imuxsock, most of what a Debian host logs) keeps the space after the
     * tag's colon in msg; the recognizers, like `scan`, want the text after
     * it. RFC 5424 (version 1) has no such space. */
    if (f.n[F_PROTO] == 1 && f.p[F_PROTO][0] == '0' && m->tlen && m->text[0] == ' ')
        m->text++, m->tlen--;
    if (f.n[F_HOST])
        m->host = f.p[F_HOST], m->hlen = f.n[F_HOST];
    if (f.n[F_PROGRAM]) {
        m->program = f.p[F_PROGRAM], m->plen = f.n[F_PROGRAM];
    } else if (f.n[F_APPNAME]) {
        m->program = f.p[F_APPNAME], m->plen = f.n[F_APPNAME];
    } else if (f.n[F_TAG]) {
        m->program = f.p[F_TAG];
        for (m->plen = 0; m->plen < f.n[F_TAG] && !strchr("[:", m->program[m->plen]);)
            m->plen++;
    }
    if (f.n[F_PROCID] && f.n[F_PROCID] <= 9 && !digits(f.p[F_PROCID], f.n[F_PROCID], &pid))
        m->pid = pid;
    if (f.n[F_TIME])
        m->time_ms = parse_rfc3339(f.p[F_TIME], f.n[F_TIME]);
    m->hash = hash_line(line, len);
    return 0;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int recognize(struct rs *r, const struct rs_msg *m, struct ag_event *ev)
{
    if (!m->tlen || m->tlen >= AG_LINE_MAX)
        return AG_PARSE_OTHER;
    return ag_parse_message(r->parser, m->program, m->plen, m->pid, m->host, m->hlen,
                            m->time_ms, now_ms(), m->text, m->tlen, ev);
}

/* ---- remembering what was fed since the last confirmed COMMIT -------------- */

static struct rs_seen *set_find(const struct rs_set *set, uint64_t hash)
{
    for (uint32_t i = (uint32_t)hash & (RS_SEEN_SLOTS - 1);; i = (i + 1) & (RS_SEEN_SLOTS - 1)) {
        struct rs_seen *s = &set->slot[i];
        if (s->gen != set->gen)
            return NULL;
        if (s->hash == hash)
            return s;
    }
}

static int set_full(const struct rs_set *set)
{
    return set->used >= RS_SEEN_SLOTS / 2;
}

/* The caller checks set_full() first. */
static struct rs_seen *set_add(struct rs_set *set, uint64_t hash)
{
    uint32_t i = (uint32_t)hash & (RS_SEEN_SLOTS - 1);
    while (set->slot[i].gen == set->gen)
        i = (i + 1) & (RS_SEEN_SLOTS - 1);
    set->slot[i].hash = hash;
    set->slot[i].gen = set->gen;
    set->slot[i].has_counts = 0;
    set->used++;
    return &set->slot[i];
}

static void set_clear(struct rs_set *set)
{
    if (++set->gen == 0) {
        memset(set->slot, 0, RS_SEEN_SLOTS * sizeof *set->slot);
        set->gen = 1;
    }
    set->used = 0;
}

static int set_init(struct rs_set *set, int with_counts)
{
    if (with_counts && !(set->counts = calloc(RS_SEEN_SLOTS, sizeof *set->counts)))
        return -1;
    set->slot = calloc(RS_SEEN_SLOTS, sizeof *set->slot);
    set->gen = 1;
    return set->slot ? 0 : -1;
}

static int is_done(const struct rs *r, uint64_t hash)
{
    return set_find(&r->done[0], hash) || set_find(&r->done[1], hash);
}

static void remember_fed(struct rs *r, uint64_t hash, const struct ag_counts *c)
{
    if (set_full(&r->pending)) {
        r->st.unremembered++; /* a re-send of this one would count again */
        return;
    }
    struct rs_seen *s = set_add(&r->pending, hash);
    if (c) {
        r->pending.counts[s - r->pending.slot] = *c;
        s->has_counts = 1;
    }
}

/* Delivered: a message rsyslog sends again is dropped. The older
 * generation of done is dropped when the newer fills, so the last
 * RS_SEEN_SLOTS / 2 at least are always remembered. */
static void mark_done(struct rs *r, uint64_t hash)
{
    struct rs_set *d = &r->done[r->done_cur];
    if (set_find(d, hash))
        return;
    if (set_full(d)) {
        r->done_cur ^= 1;
        d = &r->done[r->done_cur];
        set_clear(d);
    }
    set_add(d, hash);
}

/* ---- the seen file: what was delivered, across a kill -9 ------------------ */

/* rsyslog (8.2302 as 8.2508) never sends again a message that was answered
 * DEFER_COMMIT when a later one of its transaction fails, but sends the
 * whole batch again, one message a transaction, when its COMMIT fails, to
 * whichever process it has started by then. So a message is answered only
 * once its outputs are written, and the restarted process must know what
 * the killed one wrote: each event message gets a record in a ring file,
 * "writing" before its outputs go to the sinks and "done" once they are
 * delivered. The ring is mapped shared: what is stored in it is the
 * kernel's page cache at once, which a kill -9 does not take back, so a
 * record costs no system call. A record being replaced is first marked
 * unwritten (seq_done 0), and its seq_done is stored last: a kill between
 * the stores leaves a record that is ignored, never one that says "done"
 * of a message that is not. */
struct rs_rec {
    uint64_t hash;
    uint64_t seq_done;  /* seq << 1 | done; 0: never written */
    uint64_t out_size;  /* the JSON-lines file before the outputs */
    uint64_t out_ino;
};

#define RS_RING (RS_SEEN_SLOTS / 2u)
#define RS_RING_BYTES (RS_RING * sizeof(struct rs_rec))

static void seen_put(struct rs *r, uint64_t hash, int done)
{
    if (!r->ring)
        return;
    struct rs_rec *rec = &r->ring[r->seen_seq % RS_RING];
    uint64_t seq_done = r->seen_seq << 1 | (uint64_t)(done != 0);
    if (done) {
        __atomic_store_n(&rec->seq_done, seq_done, __ATOMIC_RELEASE);
        r->seen_seq++;
        return;
    }
    struct stat st;
    int have_out = r->out_fd >= 0 && fstat(r->out_fd, &st) == 0;
    __atomic_store_n(&rec->seq_done, 0, __ATOMIC_RELAXED);
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    rec->hash = hash;
    rec->out_size = have_out ? (uint64_t)st.st_size : 0;
    rec->out_ino = have_out ? (uint64_t)st.st_ino : 0;
    __atomic_store_n(&rec->seq_done, seq_done, __ATOMIC_RELEASE);
}

/* The newest record says "writing": the process died while its outputs
 * went out, before it answered, so rsyslog sends that message again.
 * What reached the JSON-lines file of it is cut off, so that it is written
 * once, whole. */
static void seen_undo(struct rs *r, const struct rs_rec *rec)
{
    struct stat st;
    if (!r->out_path || stat(r->out_path, &st) < 0 || (uint64_t)st.st_ino != rec->out_ino ||
        (uint64_t)st.st_size <= rec->out_size)
        return;
    if (truncate(r->out_path, (off_t)rec->out_size) < 0)
        report(r, "%s: cannot cut an interrupted write: %s", r->out_path, strerror(errno));
    else
        report(r, "%s: cut %llu bytes written for a message that was not confirmed",
               r->out_path, (unsigned long long)((uint64_t)st.st_size - rec->out_size));
}

static void seen_load(struct rs *r)
{
    struct rs_rec newest = {0};
    for (size_t i = 0; i < RS_RING; i++) {
        const struct rs_rec *rec = &r->ring[i];
        if (rec->seq_done & 1)
            mark_done(r, rec->hash);
        if (rec->seq_done > newest.seq_done)
            newest = *rec;
    }
    r->seen_seq = (newest.seq_done >> 1) + 1;
    if (newest.seq_done && !(newest.seq_done & 1))
        seen_undo(r, &newest);
}

/* The ring file, its blocks allocated before it is mapped: a page stored
 * to on a full disk would otherwise kill the process with SIGBUS. */
static int seen_map(struct rs *r)
{
    int fd = open(r->seen_path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        return -1;
    int e = posix_fallocate(fd, 0, (off_t)RS_RING_BYTES);
    void *m = e ? MAP_FAILED
                : mmap(NULL, RS_RING_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (m == MAP_FAILED) {
        e = e ? e : errno;
        close(fd);
        errno = e;
        return -1;
    }
    close(fd); /* the mapping keeps the file */
    r->ring = m;
    return 0;
}

struct rsyslog_keys {
    const char *seen_file;
};

static const struct ag_conf_key rsyslog_keys[] = {
    {"seen_file", AG_CONF_PATH, AG_CONF_FIELD(struct rsyslog_keys, seen_file),
     .def = RS_SEEN_FILE,
     .help = "The last 8192 messages delivered, so a batch sent again is dropped; empty: none."},
    {.name = NULL}};

const struct ag_conf_section ag_rsyslog_section = {
    "input.rsyslog", "`authguard rsyslog` (omprog): what survives a restart.", rsyslog_keys};

int ag_rsyslog_check_config(const struct ag_conf *c, char *err, size_t errlen)
{
    struct rsyslog_keys k;
    if (ag_conf_read(c, "input.rsyslog", rsyslog_keys, &k, err, errlen) < 0)
        return -1;
    return ag_conf_check_unused(c, "input.rsyslog", err, errlen);
}

/* [input.rsyslog] seen_file, and [sink.jsonl] path to cut an interrupted
 * write in. A file that cannot be kept is reported, not fatal: nothing is
 * lost without it, a kill may only repeat a batch. */
static int seen_open(struct rs *r, char *err, size_t errlen)
{
    const struct ag_conf *c = r->cfg.conf;
    const char *out = "-";
    struct rsyslog_keys k;
    r->out_fd = -1;
    if (ag_conf_read(c, "input.rsyslog", rsyslog_keys, &k, err, errlen) < 0 ||
        ag_conf_check_unused(c, "input.rsyslog", err, errlen) < 0 ||
        (ag_conf_has_section(c, "sink.jsonl") &&
         ag_conf_str(c, "sink.jsonl", "path", &out, err, errlen) < 0))
        return -1;
    r->out_path = strcmp(out, "-") ? out : NULL;
    const char *seen = k.seen_file;
    if (!seen || !*seen || r->o.mmexternal)
        return 0;
    r->seen_path = seen;
    if (seen_map(r) < 0)
        report(r, "%s: %s; running without it: a message sent again after a restart may be "
                  "written twice", seen, strerror(errno));
    else
        seen_load(r);
    return 0;
}

/* ---- feeding --------------------------------------------------------------- */

/* Counts a message once and writes its outputs before it is answered: 0
 * when they are delivered (or there are none), else how many are not. A
 * message fed since the last COMMIT whose delivery failed goes to the
 * sinks again with the counts it had then; one delivered before is
 * dropped. */
static long deliver_msg(struct rs *r, const struct rs_msg *m)
{
    struct ag_event ev;
    if (recognize(r, m, &ev) != AG_PARSE_EVENT)
        return 0;
    if (is_done(r, m->hash)) {
        r->st.dropped_dups++; /* delivered before */
        return 0;
    }
    seen_put(r, m->hash, 0);
    struct rs_seen *s = set_find(&r->pending, m->hash);
    if (s) {
        r->st.resent++;
        ag_pipeline_emit_event(r->pipe, &ev,
                               s->has_counts ? &r->pending.counts[s - r->pending.slot] : NULL);
    } else {
        r->st.events++;
        r->cap->have = 0;
        ag_pipeline_feed(r->pipe, &ev);
        remember_fed(r, m->hash, r->cap->have ? &r->cap->counts : NULL);
    }
    long pending = ag_pipeline_flush(r->pipe, r->o.flush_ms);
    if (pending)
        return pending;
    seen_put(r, m->hash, 1);
    mark_done(r, m->hash);
    return 0;
}

/* A failed delivery is answered with an error line: rsyslog sends the
 * message again (after action.resumeInterval) until it is delivered. */
static int reply_failed(struct rs *r, long pending)
{
    r->st.failed++;
    char line[96];
    snprintf(line, sizeof line, "ERROR: %ld outputs not delivered\n", pending);
    report(r, "%.*s; rsyslog sends the message again", (int)strlen(line) - 1, line);
    return reply(line);
}

/* ---- the two protocols ------------------------------------------------------- */

static int omprog_line(struct rs *r, const char *line, size_t len)
{
    if (len == strlen(r->o.begin_mark) && !memcmp(line, r->o.begin_mark, len)) {
        r->in_tx = 1;
        return reply("OK\n");
    }
    if (len == strlen(r->o.commit_mark) && !memcmp(line, r->o.commit_mark, len)) {
        /* Every message of the batch was delivered before it was answered. */
        r->in_tx = 0;
        r->st.commits++;
        set_clear(&r->pending);
        return reply("OK\n");
    }
    r->st.lines++;
    struct rs_msg m;
    long pending = 0;
    if (split_msg(r, line, len, &m) < 0)
        report_bad(r, "not a JSON object (is the template \"%jsonmesg%\\n\"?)", line, len);
    else
        pending = deliver_msg(r, &m);
    if (pending)
        return reply_failed(r, pending);
    if (!r->in_tx) /* every message is its own batch */
        set_clear(&r->pending);
    return reply(r->in_tx ? "DEFER_COMMIT\n" : "OK\n");
}

static void put_counts(struct ag_buf *b, const struct ag_counts *c)
{
    ag_buf_putc(b, '{');
    if (c->key_kind != AG_KEY_NONE) {
        ag_buf_puts(b, "\"of\":\"");
        ag_buf_puts(b, ag_key_kind_name((enum ag_key_kind)c->key_kind));
        ag_buf_printf(b, "\",\"failures\":%u,\"invalid_users\":%u,\"successes\":%u,"
                         "\"preauth\":%u,\"privilege\":%u,\"failures_short\":%u,"
                         "\"failures_long\":%u,\"distinct_users\":%u,\"distinct_sources\":%u",
                      c->failures, c->invalid_users, c->successes, c->preauth, c->privilege,
                      c->failures_short, c->failures_long, c->distinct_users,
                      c->distinct_sources);
    }
    ag_buf_putc(b, '}');
}

static void put_span_field(struct ag_buf *b, const struct ag_event *ev, const char *key,
                           struct ag_span s)
{
    if (!s.len)
        return;
    ag_buf_json_key(b, key, 0);
    ag_buf_json_str(b, ag_span_ptr(ev, s), s.len);
}

static void mmext_reply(struct ag_buf *b, const struct ag_event *ev, const struct ag_counts *c)
{
    char ip[AG_ADDR_STRLEN];
    ag_buf_puts(b, "{\"$!\":{\"authguard\":{\"kind\":\"");
    ag_buf_puts(b, ag_kind_name((enum ag_kind)ev->kind));
    ag_buf_puts(b, "\",\"method\":\"");
    ag_buf_puts(b, ev->method ? ag_method_name((enum ag_method)ev->method) : "");
    ag_buf_putc(b, '"');
    put_span_field(b, ev, "user", ev->user);
    put_span_field(b, ev, "ruser", ev->ruser);
    if (ev->src.af != AG_AF_NONE) {
        ag_buf_json_key(b, "src_ip", 0);
        ag_buf_json_str(b, ip, ag_addr_format(&ev->src, ip));
    } else {
        put_span_field(b, ev, "src_host", ev->src_name);
    }
    if (ev->src_port)
        ag_buf_printf(b, ",\"src_port\":\"%u\"", ev->src_port);
    if (ev->count > 1)
        ag_buf_printf(b, ",\"count\":\"%u\"", ev->count);
    ag_buf_puts(b, ",\"counts\":");
    static const struct ag_counts none;
    put_counts(b, c ? c : &none);
    ag_buf_puts(b, "}}}\n");
}

static int mmext_line(struct rs *r, const char *line, size_t len)
{
    r->st.lines++;
    struct rs_msg m;
    struct ag_event ev;
    if (split_msg(r, line, len, &m) < 0) {
        report_bad(r, "not a JSON object (is interface.input \"fulljson\"?)", line, len);
        return reply("{}\n");
    }
    int rc = r->pipe ? recognize(r, &m, &ev) : AG_PARSE_OTHER;
    if (rc != AG_PARSE_EVENT)
        return reply("{}\n");
    r->st.events++;
    r->cap->have = 0;
    ag_pipeline_feed(r->pipe, &ev);
    char mem[RS_REPLY_MAX];
    struct ag_buf b;
    ag_buf_init(&b, mem, sizeof mem);
    mmext_reply(&b, &ev, r->cap->have ? &r->cap->counts : NULL);
    if (b.overflow) /* cannot happen with AG_USER_MAX; never send half an object */
        return reply("{}\n");
    /* Findings and events reach the sinks before rsyslog's next message. */
    if (ag_lines_pending(&r->rd) == 0)
        ag_pipeline_flush(r->pipe, 0);
    return ag_write_all(STDOUT_FILENO, b.p, b.len);
}

/* ---- setup, reload --------------------------------------------------------- */

static void capture_event(struct ag_sink *s, const struct ag_event *ev, const struct ag_counts *c)
{
    struct rs_capture *cap = (struct rs_capture *)s;
    (void)ev;
    if (c) {
        cap->counts = *c;
        cap->have = 1;
    }
}

static void capture_destroy(struct ag_sink *s)
{
    free(s);
}

static const struct ag_sink_ops capture_ops = {
    .name = "rsyslog-counts",
    .event = capture_event,
    .destroy = capture_destroy,
};

static int setup(struct rs *r, char *err, size_t errlen)
{
    if (ag_config_load(&r->cfg, r->o.config, err, errlen) < 0)
        return -1;
    r->parser = malloc(sizeof *r->parser);
    r->cap = calloc(1, sizeof *r->cap);
    if (!r->parser || !r->cap) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    ag_parser_init(r->parser);
    if (r->cfg.have_tz)
        ag_tzcache_set_fixed(&r->parser->tz, r->cfg.tz_offset_s);
    /* Synchronous: findings are emitted inside the feed, so they are in
     * the sinks before the COMMIT that confirms their messages. */
    ag_config_for_daemon(&r->cfg);
    /* Before the sinks open their files: it may cut one. */
    if (seen_open(r, err, errlen) < 0)
        return -1;
    if (!(r->pipe = ag_pipeline_new(&r->cfg, 1, err, errlen)))
        return -1;
    r->cap->base.ops = &capture_ops;
    ag_pipeline_set_log(r->pipe, rs_log, r);
    ag_pipeline_add_sink(r->pipe, &r->cap->base);
    if (ag_pipeline_add_configured_sinks(r->pipe, err, errlen) < 0)
        return -1;
    if (r->ring && r->out_path)
        r->out_fd = open(r->out_path, O_RDONLY | O_CLOEXEC);
    return 0;
}

/* SIGHUP: the rules of the file as it is now, on the running engine, so
 * every counter survives. The sinks and the rest keep the configuration
 * they were built from (they point into it); those changes apply at the
 * next start, and a file that does not load changes nothing. */
static void reload(struct rs *r)
{
    char err[AG_CONF_ERRLEN];
    struct ag_config next;
    report_stats(r, "SIGHUP");
    if (!r->pipe || !r->o.config) {
        report(r, "SIGHUP: no configuration file to reload");
        return;
    }
    if (ag_config_load(&next, r->o.config, err, sizeof err) < 0) {
        report(r, "reload failed, keeping the running configuration: %s", err);
        return;
    }
    int rc = ag_engine_set_rules(ag_pipeline_engine(r->pipe), next.engine.rules, err,
                                 sizeof err);
    if (rc < 0)
        report(r, "reload refused, keeping the running rules: %s", err);
    else if (rc > 0)
        report(r, "reloaded %s: rules applied, counters kept; %s", r->o.config, err);
    else
        report(r, "reloaded %s: rules applied, counters kept", r->o.config);
    ag_config_free(&next);
}

static void usage(FILE *f)
{
    if (!f)
        return;
    fputs("usage: authguard rsyslog [--mmexternal] -c FILE [OPTIONS]\n"
          "  -c, --config FILE     authguard.conf: rules and sinks ([sink.jsonl], [sink.kafka])\n"
          "  --mmexternal          mmexternal protocol (interface.input=\"fulljson\"); default:\n"
          "                        omprog with confirmMessages (and useTransactions)\n"
          "  --log FILE            reports in mmexternal mode (default: none; stderr is the\n"
          "                        reply pipe there). omprog reports on stderr (output=)\n"
          "  --flush-timeout MS    how long a COMMIT waits for the sinks (default 5000;\n"
          "                        keep it below omprog's confirmTimeout)\n"
          "  --begin-mark S, --commit-mark S   omprog's transaction marks\n",
          f);
}

static int parse_opts(struct rs *r, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"config", required_argument, NULL, 'c'}, {"mmexternal", no_argument, NULL, 'm'},
        {"log", required_argument, NULL, 'l'},    {"flush-timeout", required_argument, NULL, 'f'},
        {"begin-mark", required_argument, NULL, 'b'},
        {"commit-mark", required_argument, NULL, 'C'},
        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0}};
    struct rs_opts *o = &r->o;
    unsigned ms;
    int c;
    o->begin_mark = "BEGIN TRANSACTION";
    o->commit_mark = "COMMIT TRANSACTION";
    o->flush_ms = RS_DEFAULT_FLUSH_MS;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'c': o->config = optarg; break;
        case 'm': o->mmexternal = 1; break;
        case 'l': o->log_path = optarg; break;
        case 'b': o->begin_mark = optarg; break;
        case 'C': o->commit_mark = optarg; break;
        case 'f':
            if (digits(optarg, strlen(optarg), &ms) || ms > 600000) {
                report(r, "--flush-timeout: expected milliseconds, got '%s'", optarg);
                return -1;
            }
            o->flush_ms = (int)ms;
            break;
        case 'h': usage(o->mmexternal ? NULL : stdout); return 1;
        default:
            report(r, "unknown option or missing argument: '%s'", argv[optind - 1]);
            usage(r->log);
            return -1;
        }
    }
    if (optind < argc) {
        report(r, "unexpected argument '%s'", argv[optind]);
        return -1;
    }
    return 0;
}

/* mmexternal: rsyslog reads the child's stderr as part of the replies, so
 * fd 2 becomes /dev/null (or the --log file) before anything can write. */
static void quiet_stderr(struct rs *r, int argc, char **argv)
{
    const char *log_path = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--log") && i + 1 < argc)
            log_path = argv[i + 1];
        else if (!strncmp(argv[i], "--log=", 6))
            log_path = argv[i] + 6;
    }
    /* Never through a symbolic link: the log holds attacker-written text. */
    int flags = O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC;
    int fd = log_path ? open(log_path, flags, 0600) : -1;
    if (fd < 0)
        fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (fd >= 0 && fd != STDERR_FILENO) {
        dup2(fd, STDERR_FILENO);
        close(fd);
    }
    r->log = log_path ? stderr : NULL;
}

static int has_arg(int argc, char **argv, const char *want)
{
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], want))
            return 1;
    return 0;
}

static void install_signals(void)
{
    struct sigaction sa = {.sa_handler = on_hup}; /* no SA_RESTART: read() returns */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGHUP, &sa, NULL);
    sa.sa_handler = on_term;
    sigaction(SIGTERM, &sa, NULL);
    sa.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &sa, NULL);  /* rsyslog gone: write() fails, we exit */
    sigaction(SIGXFSZ, &sa, NULL);  /* a file-size limit is a failed delivery */
}

static void loop(struct rs *r)
{
    const char *line;
    size_t len;
    for (;;) {
        if (rs_hup) {
            rs_hup = 0;
            reload(r);
        }
        if (rs_term)
            break;
        int rc = ag_lines_next(&r->rd, &line, &len);
        if (rc == AG_LINES_INTR)
            continue;
        if (rc == AG_LINES_EOF || rc == AG_LINES_ERROR)
            break;
        if (rc == AG_LINES_OVERSIZE) {
            r->st.lines++;
            r->st.oversize++;
            report_bad(r, "line over 256 KiB skipped", "", 0);
            rc = reply(r->o.mmexternal ? "{}\n" : r->in_tx ? "DEFER_COMMIT\n" : "OK\n");
        } else if (r->o.mmexternal) {
            rc = mmext_line(r, line, len);
        } else {
            rc = omprog_line(r, line, len);
        }
        if (rc < 0)
            break; /* rsyslog closed our stdout */
    }
}

static void teardown(struct rs *r)
{
    if (r->pipe) {
        long n = ag_pipeline_flush(r->pipe, r->o.flush_ms);
        if (n)
            report(r, "exit: %ld outputs not delivered", n);
        report_stats(r, "exit");
        ag_pipeline_free(r->pipe);
    } else {
        free(r->cap);
    }
    free(r->parser);
    ag_config_free(&r->cfg);
    json_object_put(r->obj);
    if (r->tok)
        json_tokener_free(r->tok);
    free(r->scratch);
    ag_lines_free(&r->rd);
    for (int i = 0; i < 3; i++)
        free(i ? r->done[i - 1].slot : r->pending.slot);
    free(r->pending.counts);
    if (r->ring)
        munmap(r->ring, RS_RING_BYTES);
    if (r->out_fd >= 0)
        close(r->out_fd);
}

int ag_rsyslog_main(int argc, char **argv)
{
    struct rs r;
    char err[AG_CONF_ERRLEN];
    memset(&r, 0, sizeof r);
    r.log = stderr;
    r.out_fd = -1;
    if (has_arg(argc, argv, "--mmexternal"))
        quiet_stderr(&r, argc, argv);
    int prc = parse_opts(&r, argc, argv);
    if (prc != 0 && !r.o.mmexternal)
        return prc > 0 ? 0 : 2;
    install_signals();
    ag_lines_init(&r.rd, STDIN_FILENO, RS_LINE_MAX, RS_READ_CHUNK);
    r.tok = json_tokener_new();
    r.scratch = malloc(RS_LINE_MAX + RS_READ_CHUNK);
    int ok = r.rd.buf && r.tok && r.scratch && !set_init(&r.pending, 1) &&
             !set_init(&r.done[0], 0) && !set_init(&r.done[1], 0);
    if (!ok)
        snprintf(err, sizeof err, "out of memory");
    if (ok && prc == 0 && setup(&r, err, sizeof err) < 0)
        ok = 0;
    if (!ok && !r.o.mmexternal) {
        /* omprog: anything but OK is a failed start; rsyslog retries it. */
        report(&r, "%s", err);
        teardown(&r);
        return 2;
    }
    if (!ok || prc != 0) {
        /* mmexternal: a broken setup must not stall rsyslog: answer every
         * message "no change" and say why in the log, if there is one. */
        if (prc == 0)
            report(&r, "%s; answering {} to every message", err);
        if (r.pipe) {
            ag_pipeline_free(r.pipe); /* and the capture sink it owned */
            r.pipe = NULL;
            r.cap = NULL;
        }
    }
    report(&r, "started (%s mode)", r.o.mmexternal ? "mmexternal" : "omprog");
    if (!r.o.mmexternal && reply("OK\n") < 0) {
        teardown(&r);
        return 1;
    }
    loop(&r);
    teardown(&r);
    return 0;
}
