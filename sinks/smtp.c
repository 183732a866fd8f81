/* smtp.c - the mail sink of smtp.h. finding() only copies: a Create waits
 * (up to wait_for_summary, when a summarizer is configured) for its
 * summarizer Update, then one thread renders and sends it. Header values
 * are built from authguard's own strings and cleaned keys, so no attacker
 * byte can start a header; the body is terminal-safe text. */
#include "sinks/smtp.h"

#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "conf/conf.h"
#include "engine/engine.h"
#include "sinks/escape.h"
#include "sinks/ocsf.h"
#include "sinks/summary.h"

#define SEC "sink.smtp"
#define MAX_TO 8
#define PENDING_MAX 256
#define MAIL_CAP (256 * 1024)
#define RATE_MAX 10000

struct mail {
    struct ag_finding *f;
    char *remediation;
    char note[256];         /* why the built-in summary stands, if it does */
    int64_t due_ms;         /* send at this time at the latest */
    int ready;              /* its summary is final */
};

/* A summarizer's answer that came before its Create reached this sink (the
 * summarizer sees the finding first and may answer at once). */
#define EARLY_MAX 64
struct early {
    char uid[AG_FINDING_UID_LEN + 1];
    char *summary;          /* the model's; NULL: none, note says why */
    char source[64];
    char note[256];
};

struct smtp {
    struct ag_sink base;
    struct early early[EARLY_MAX];
    size_t early_next;
    char url[512], user[256], pass[256], from[256], to[MAX_TO][256], prefix[64];
    size_t n_to;
    int tls;                /* 0 off, 1 try, 2 required */
    int64_t wait_ms, timeout_ms;
    uint64_t per_hour;
    int summarizer;         /* [sink.bedrock] present: wait for its Update */
    pthread_mutex_t lock;
    pthread_cond_t cv, idle;
    struct mail pend[PENDING_MAX];
    size_t n_pend;
    int stop, flushing, sending;
    pthread_t th;
    int64_t sent_at[RATE_MAX]; /* ring of send times, for the hourly limit */
    size_t sent_head, sent_n;
    unsigned long sent, suppressed, failed, suppressed_unreported;
    struct ag_log log;      /* where failures are reported */
};

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- the message ------------------------------------------------------------ */

/* A header-safe copy: printable ASCII only, at most cap-1 bytes. */
static void header_safe(char *out, size_t cap, const char *s)
{
    size_t o = 0;
    for (; *s && o + 1 < cap; s++)
        out[o++] = (*s >= 0x20 && *s < 0x7f) ? *s : '?';
    out[o] = '\0';
}

/* authguard's own summary, whose builder escaped every name it quotes. */
static void put_body_text(struct ag_buf *b, const char *text)
{
    while (*text) {
        size_t n = strcspn(text, "\n");
        ag_buf_text_visible(b, text, n);
        ag_buf_puts(b, "\r\n");
        text += n + (text[n] == '\n');
    }
}

/* The model's text after authguard's, quoted line by line with the model
 * mark under a header that says whose it is: a line it writes cannot pass
 * for one of authguard's. */
static void put_model_part(struct ag_buf *b, const struct ag_finding *f)
{
    char src[80];
    header_safe(src, sizeof src, f->model_source);
    ag_buf_printf(b, "\r\n---- Summary written by a language model (%s) ----\r\n"
                     "It is model-generated and untrusted: authguard did not write or check it "
                     "and runs none\r\nof it; its own recommended actions are above. Every line "
                     "of the model's text\r\nstarts with \"" AG_SUMMARY_MODEL_MARK "\".\r\n\r\n",
                  src);
    ag_summary_put_model_text(b, f->model_summary, "", "\r\n");
    ag_buf_puts(b, "---- end of the model's text ----\r\n");
}

/* The key for the subject: an address as is; a name from a log in double
 * quotes after its kind (quotes inside turned into '), so that what it
 * says cannot read as more of authguard's subject. */
static void subject_key(char *out, size_t cap, const struct ag_finding *f)
{
    char k[80];
    header_safe(k, sizeof k, f->key);
    if (f->key_addr.af != AG_AF_NONE) {
        snprintf(out, cap, "%s", k);
        return;
    }
    for (char *p = k; *p; p++)
        if (*p == '"')
            *p = '\'';
    snprintf(out, cap, "%s \"%s\"", ag_key_kind_name((enum ag_key_kind)f->key_kind), k);
}

static void render(struct smtp *s, const struct mail *m, struct ag_buf *b)
{
    const struct ag_finding *f = m->f;
    char date[64], key[112], addr[300];
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S +0000", &tm);
    subject_key(key, sizeof key, f);
    ag_buf_printf(b, "Date: %s\r\nFrom: <%s>\r\nTo: ", date, s->from);
    for (size_t i = 0; i < s->n_to; i++) {
        snprintf(addr, sizeof addr, "%s<%s>", i ? ", " : "", s->to[i]);
        ag_buf_puts(b, addr);
    }
    ag_buf_printf(b, "\r\nSubject: %s %s: %s (%s)\r\n", s->prefix,
                  ag_severity_name((enum ag_severity)f->severity), f->title, key);
    ag_buf_printf(b, "Message-ID: <%s.%lld@authguard>\r\n", f->uid, (long long)now_ms());
    ag_buf_printf(b, "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
                     "Content-Transfer-Encoding: 8bit\r\nX-Authguard-Finding: %s\r\n", f->uid);
    header_safe(addr, sizeof addr, f->summary_source[0] ? f->summary_source : "local");
    ag_buf_printf(b, "X-Authguard-Summary-Source: %s\r\n", addr);
    if (f->model_summary) {
        header_safe(addr, sizeof addr, f->model_source);
        ag_buf_printf(b, "X-Authguard-Model-Summary: %s\r\n", addr);
    }
    ag_buf_printf(b, "\r\nauthguard finding %s (rule %s, severity %s)\r\n", f->uid, f->rule_name,
                  ag_severity_name((enum ag_severity)f->severity));
    if (m->note[0]) {
        ag_buf_puts(b, "Built-in summary; the Bedrock summary is unavailable: ");
        ag_buf_text_safe(b, m->note, strlen(m->note));
        ag_buf_puts(b, "\r\n");
    }
    ag_buf_puts(b, "\r\n");
    put_body_text(b, f->summary ? f->summary : "(no summary)");
    if (f->model_summary)
        put_model_part(b, f);
}

struct reader {
    const char *p;
    size_t left;
};

static size_t on_read(char *buf, size_t sz, size_t nm, void *ud)
{
    struct reader *r = ud;
    size_t n = sz * nm < r->left ? sz * nm : r->left;
    memcpy(buf, r->p, n);
    r->p += n;
    r->left -= n;
    return n;
}

static int send_mail(struct smtp *s, CURL *h, const char *msg, size_t len, char *err,
                     size_t errlen)
{
    struct curl_slist *rcpt = NULL;
    char addr[300];
    for (size_t i = 0; i < s->n_to; i++) {
        snprintf(addr, sizeof addr, "<%s>", s->to[i]);
        rcpt = curl_slist_append(rcpt, addr);
    }
    snprintf(addr, sizeof addr, "<%s>", s->from);
    struct reader r = {msg, len};
    curl_easy_reset(h);
    curl_easy_setopt(h, CURLOPT_URL, s->url);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
    curl_easy_setopt(h, CURLOPT_MAIL_FROM, addr);
    curl_easy_setopt(h, CURLOPT_MAIL_RCPT, rcpt);
    curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(h, CURLOPT_READFUNCTION, on_read);
    curl_easy_setopt(h, CURLOPT_READDATA, &r);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)s->timeout_ms);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)(s->timeout_ms < 10000 ? s->timeout_ms
                                                                                  : 10000));
    curl_easy_setopt(h, CURLOPT_USE_SSL, s->tls == 2 ? (long)CURLUSESSL_ALL
                                         : s->tls == 1 ? (long)CURLUSESSL_TRY
                                                       : (long)CURLUSESSL_NONE);
    if (s->user[0]) {
        curl_easy_setopt(h, CURLOPT_USERNAME, s->user);
        curl_easy_setopt(h, CURLOPT_PASSWORD, s->pass);
    }
    CURLcode rc = curl_easy_perform(h);
    curl_slist_free_all(rcpt);
    if (rc != CURLE_OK)
        snprintf(err, errlen, "%s", curl_easy_strerror(rc));
    return rc == CURLE_OK ? 0 : -1;
}

/* ---- rate limit -------------------------------------------------------------------- */

/* Lock held. 1 if one more mail fits in the last hour (and records it). */
static int rate_take(struct smtp *s, int64_t now)
{
    while (s->sent_n && now - s->sent_at[s->sent_head] >= 3600000) {
        s->sent_head = (s->sent_head + 1) % RATE_MAX;
        s->sent_n--;
    }
    if (s->sent_n >= s->per_hour)
        return 0;
    s->sent_at[(s->sent_head + s->sent_n) % RATE_MAX] = now;
    s->sent_n++;
    return 1;
}

/* ---- the thread ------------------------------------------------------------------------ */

static void mail_free(struct mail *m)
{
    ag_finding_free(m->f);
    free(m->remediation);
    m->f = NULL;
    m->remediation = NULL;
}

/* Lock held: the index of a mail to send now, or -1. */
static long due(struct smtp *s, int64_t now)
{
    for (size_t i = 0; i < s->n_pend; i++)
        if (s->pend[i].ready || s->pend[i].due_ms <= now || s->flushing || s->stop)
            return (long)i;
    return -1;
}

static void deliver(struct smtp *s, CURL *h, struct mail *m, char *mem)
{
    struct ag_buf b;
    char err[256];
    pthread_mutex_lock(&s->lock);
    int ok = rate_take(s, now_ms());
    unsigned long missed = s->suppressed_unreported;
    if (ok)
        s->suppressed_unreported = 0;
    else
        s->suppressed++, s->suppressed_unreported++;
    pthread_mutex_unlock(&s->lock);
    if (!ok)
        return;
    ag_buf_init(&b, mem, MAIL_CAP);
    render(s, m, &b);
    if (missed)
        ag_buf_printf(&b, "\r\n(%lu earlier findings were not mailed: at most %llu mails per "
                          "hour)\r\n", missed, (unsigned long long)s->per_hour);
    if (send_mail(s, h, b.p, b.len, err, sizeof err) < 0) {
        ag_logf(&s->log, AG_LOG_ERROR, "smtp", "finding %s not mailed: %s", m->f->uid, err);
        pthread_mutex_lock(&s->lock);
        s->failed++;
        pthread_mutex_unlock(&s->lock);
    } else {
        pthread_mutex_lock(&s->lock);
        s->sent++;
        pthread_mutex_unlock(&s->lock);
    }
}

static void *mailer(void *arg)
{
    struct smtp *s = arg;
    CURL *h = curl_easy_init();
    char *mem = malloc(MAIL_CAP);
    pthread_mutex_lock(&s->lock);
    for (;;) {
        long i = due(s, now_ms());
        if (i < 0) {
            if (s->stop)
                break;
            if (!s->n_pend)
                pthread_cond_broadcast(&s->idle);
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_nsec += 100 * 1000000L; /* deadlines are checked every 100 ms */
            if (ts.tv_nsec >= 1000000000) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000;
            }
            pthread_cond_timedwait(&s->cv, &s->lock, &ts);
            continue;
        }
        struct mail m = s->pend[i];
        s->pend[i] = s->pend[--s->n_pend];
        s->sending = 1;
        pthread_mutex_unlock(&s->lock);
        if (h && mem)
            deliver(s, h, &m, mem);
        mail_free(&m);
        pthread_mutex_lock(&s->lock);
        s->sending = 0;
    }
    pthread_cond_broadcast(&s->idle);
    pthread_mutex_unlock(&s->lock);
    free(mem);
    curl_easy_cleanup(h);
    return NULL;
}

/* ---- sink ops --------------------------------------------------------------------------- */

/* The model's summary (or the reason there is none) a summarizer's Update
 * brings; authguard's own summary stays as the Create had it. */
static void apply_summary(struct mail *m, const char *model_summary, const char *source,
                          const char *note)
{
    if (model_summary) {
        char *dup = strdup(model_summary);
        if (dup) {
            free(m->f->model_summary);
            m->f->model_summary = dup;
            snprintf(m->f->model_source, sizeof m->f->model_source, "%s", source);
        }
    } else if (note && *note) {
        snprintf(m->note, sizeof m->note, "%s", note);
    }
    m->ready = 1;
}

/* Called with the lock held: keep an answer whose Create has not come yet. */
static void keep_early(struct smtp *s, const struct ag_finding *f, const char *note)
{
    struct early *e = &s->early[s->early_next++ % EARLY_MAX];
    free(e->summary);
    snprintf(e->uid, sizeof e->uid, "%s", f->uid);
    e->summary = f->model_summary ? strdup(f->model_summary) : NULL;
    snprintf(e->source, sizeof e->source, "%s", f->model_source);
    snprintf(e->note, sizeof e->note, "%s", note ? note : "");
}

/* Called with the lock held: an answer that came first completes m. */
static void take_early(struct smtp *s, struct mail *m)
{
    for (size_t i = 0; i < EARLY_MAX; i++) {
        struct early *e = &s->early[i];
        if (!e->uid[0] || strcmp(e->uid, m->f->uid) != 0)
            continue;
        apply_summary(m, e->summary, e->source, e->note);
        free(e->summary);
        memset(e, 0, sizeof *e);
        return;
    }
}

static void smtp_finding(struct ag_sink *sk, const struct ag_finding *f, const char *remediation)
{
    struct smtp *s = (struct smtp *)sk;
    const struct ag_summary_meta *meta = f->ext;
    int from_summarizer = meta != NULL || f->model_summary != NULL;
    pthread_mutex_lock(&s->lock);
    if (f->activity != AG_ACTIVITY_CREATE) {
        /* A summarizer's Update completes its pending Create; engine Updates
         * (more of the same) are not mailed again. */
        const char *note = meta && meta->error ? meta->error : NULL;
        int matched = 0;
        for (size_t i = 0; from_summarizer && i < s->n_pend; i++) {
            struct mail *m = &s->pend[i];
            if (strcmp(m->f->uid, f->uid) != 0 || m->ready)
                continue;
            apply_summary(m, f->model_summary, f->model_source, note);
            matched = 1;
            pthread_cond_signal(&s->cv);
        }
        if (from_summarizer && !matched)
            keep_early(s, f, note);
        pthread_mutex_unlock(&s->lock);
        return;
    }
    if (s->n_pend >= PENDING_MAX || s->stop) {
        s->suppressed++;
        s->suppressed_unreported++;
        pthread_mutex_unlock(&s->lock);
        return;
    }
    pthread_mutex_unlock(&s->lock);
    struct mail m = {.f = ag_finding_dup(f), .remediation = remediation ? strdup(remediation)
                                                                         : NULL};
    if (!m.f) {
        free(m.remediation);
        return;
    }
    m.f->ext = NULL;
    m.ready = !s->summarizer;
    m.due_ms = now_ms() + (s->summarizer ? s->wait_ms : 0);
    if (s->summarizer && !s->wait_ms)
        snprintf(m.note, sizeof m.note, "not waited for (wait_for_summary = 0)");
    pthread_mutex_lock(&s->lock);
    if (s->summarizer)
        take_early(s, &m);
    if (s->n_pend < PENDING_MAX) {
        s->pend[s->n_pend++] = m;
        m.f = NULL;
        pthread_cond_signal(&s->cv);
    }
    pthread_mutex_unlock(&s->lock);
    if (m.f)
        mail_free(&m);
}

/* Sends everything pending now (summaries that have not arrived by now are
 * replaced by the built-in ones) and waits at most timeout_ms. */
static long smtp_flush(struct ag_sink *sk, int timeout_ms)
{
    struct smtp *s = (struct smtp *)sk;
    struct timespec dl;
    if (timeout_ms < 0)
        timeout_ms = AG_FLUSH_EXIT_MS;
    clock_gettime(CLOCK_REALTIME, &dl);
    dl.tv_sec += timeout_ms / 1000;
    dl.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (dl.tv_nsec >= 1000000000) {
        dl.tv_sec++;
        dl.tv_nsec -= 1000000000;
    }
    pthread_mutex_lock(&s->lock);
    s->flushing = 1;
    pthread_cond_signal(&s->cv);
    while ((s->n_pend || s->sending) && pthread_cond_timedwait(&s->idle, &s->lock, &dl) == 0)
        ;
    long left = (long)s->n_pend;
    s->flushing = 0;
    unsigned long failed = s->failed;
    s->failed = 0;
    pthread_mutex_unlock(&s->lock);
    return left + (long)failed;
}

static void smtp_destroy(struct ag_sink *sk)
{
    struct smtp *s = (struct smtp *)sk;
    pthread_mutex_lock(&s->lock);
    s->stop = 1;
    pthread_cond_signal(&s->cv);
    pthread_mutex_unlock(&s->lock);
    pthread_join(s->th, NULL);
    for (size_t i = 0; i < s->n_pend; i++)
        mail_free(&s->pend[i]);
    for (size_t i = 0; i < EARLY_MAX; i++)
        free(s->early[i].summary);
    if (getenv("AG_SMTP_STATS"))
        ag_logf(&s->log, AG_LOG_INFO, "smtp", "%lu sent, %lu suppressed by the rate limit",
                s->sent, s->suppressed);
    curl_global_cleanup();
    memset(s->pass, 0, sizeof s->pass);
    pthread_cond_destroy(&s->cv);
    pthread_cond_destroy(&s->idle);
    pthread_mutex_destroy(&s->lock);
    free(s);
}

static const struct ag_sink_ops smtp_ops = {
    .name = "smtp",
    .event = NULL,
    .finding = smtp_finding,
    .flush = smtp_flush,
    .destroy = smtp_destroy,
};

/* ---- configuration ------------------------------------------------------------------------ */

static int addr_ok(const char *a)
{
    const char *at = strchr(a, '@');
    return at && at != a && at[1] && strlen(a) < 256 && !strpbrk(a, "<>\r\n \t,\"");
}

static int bad(const struct ag_conf *c, const char *key, const char *what, const char *got,
               char *err, size_t errlen)
{
    snprintf(err, errlen, "%s: [%s] %s: expected %s, got '%s'", ag_conf_path(c), SEC, key, what,
             got ? got : "");
    return -1;
}

/* [sink.smtp], read here; the strings are checked and copied by load(). */
struct smtp_keys {
    const char *url, *username, *password, *from, *to, *subject_prefix;
    int tls;
    uint64_t per_hour;
    int64_t wait_ms, timeout_ms;
};

#define SMTP_FIELD(m) AG_CONF_FIELD(struct smtp_keys, m)
static const char *const tls_modes[] = {"off", "try", "required", NULL};
static const struct ag_conf_key smtp_keys[] = {
    {"url", AG_CONF_STRING, SMTP_FIELD(url),
     .help = "Required: smtp://HOST[:PORT], or smtps://HOST[:PORT] for implicit TLS."},
    {"from", AG_CONF_STRING, SMTP_FIELD(from), .help = "Required: the sender's address."},
    {"to", AG_CONF_LIST, SMTP_FIELD(to), .help = "Required: up to 8 addresses."},
    {"username", AG_CONF_STRING, SMTP_FIELD(username),
     .help = "SMTP AUTH user name; none by default."},
    {"password", AG_CONF_STRING, SMTP_FIELD(password),
     .help = "SMTP AUTH password; none by default."},
    {"tls", AG_CONF_ENUM, SMTP_FIELD(tls), .choices = tls_modes, .def = "required",
     .help = "STARTTLS on smtp://: required, try (when offered) or off."},
    {"subject_prefix", AG_CONF_STRING, SMTP_FIELD(subject_prefix), .def = "[authguard]",
     .help = "Put before each subject."},
    {"max_per_hour", AG_CONF_UINT, SMTP_FIELD(per_hour), 1, RATE_MAX, .def = "20",
     .help = "Mails per hour at most; the next mail says how many were not sent."},
    {"wait_for_summary", AG_CONF_DURATION, SMTP_FIELD(wait_ms), 0, 3600000, .def = "30s",
     .help = "How long a mail waits for the Bedrock summary (with [sink.bedrock])."},
    {"timeout", AG_CONF_DURATION, SMTP_FIELD(timeout_ms), 100, 600000, .def = "30s",
     .help = "Connect and total timeout of each mail."},
    {.name = NULL}};

const struct ag_conf_section ag_smtp_section = {
    SEC, "Mails each finding with its summary; the section enables it.", smtp_keys};

static int load(struct smtp *s, const struct ag_conf *c, char *err, size_t errlen)
{
    struct smtp_keys k;
    if (ag_conf_read(c, SEC, smtp_keys, &k, err, errlen) < 0)
        return -1;
    const char *url = k.url, *user = k.username, *pass = k.password, *from = k.from;
    const char *to = k.to;
    s->tls = k.tls;
    s->wait_ms = k.wait_ms;
    s->timeout_ms = k.timeout_ms;
    s->per_hour = k.per_hour;
    if (!url || (strncmp(url, "smtp://", 7) && strncmp(url, "smtps://", 8)) ||
        strlen(url) >= sizeof s->url)
        return bad(c, "url", "smtp://HOST[:PORT] or smtps://HOST[:PORT]", url, err, errlen);
    snprintf(s->url, sizeof s->url, "%s", url);
    if (!from || !addr_ok(from))
        return bad(c, "from", "an address such as authguard@example.com", from, err, errlen);
    snprintf(s->from, sizeof s->from, "%s", from);
    for (const char *p = to ? to : ""; *p;) {
        p += strspn(p, " ,");
        size_t n = strcspn(p, " ,");
        if (!n)
            break;
        if (s->n_to == MAX_TO || n >= sizeof s->to[0])
            return bad(c, "to", "at most 8 addresses", to, err, errlen);
        snprintf(s->to[s->n_to], sizeof s->to[0], "%.*s", (int)n, p);
        if (!addr_ok(s->to[s->n_to++]))
            return bad(c, "to", "addresses such as soc@example.com", to, err, errlen);
        p += n;
    }
    if (!s->n_to)
        return bad(c, "to", "one or more addresses", to, err, errlen);
    if ((user && strlen(user) >= sizeof s->user) || (pass && strlen(pass) >= sizeof s->pass))
        return bad(c, "username", "a shorter user name and password", "...", err, errlen);
    snprintf(s->user, sizeof s->user, "%s", user ? user : "");
    snprintf(s->pass, sizeof s->pass, "%s", pass ? pass : "");
    header_safe(s->prefix, sizeof s->prefix, k.subject_prefix);
    return 0;
}

struct ag_sink *ag_smtp_create(const struct ag_sink_env *env, char *err, size_t errlen)
{
    struct smtp *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "[%s] out of memory", SEC);
        return NULL;
    }
    if (load(s, env->conf, err, errlen) < 0) {
        free(s);
        return NULL;
    }
    s->summarizer = ag_conf_has_section(env->conf, "sink.bedrock");
    s->log = env->log;
    s->base.ops = &smtp_ops;
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->cv, NULL);
    pthread_cond_init(&s->idle, NULL);
    curl_global_init(CURL_GLOBAL_DEFAULT); /* refcounted; thread-safe since curl 7.84 */
    if (ag_thread_start(&s->th, NULL, "ag-smtp", mailer, s) != 0) {
        snprintf(err, errlen, "[%s] cannot start the mail thread", SEC);
        curl_global_cleanup();
        pthread_cond_destroy(&s->cv);
        pthread_cond_destroy(&s->idle);
        pthread_mutex_destroy(&s->lock);
        free(s);
        return NULL;
    }
    return &s->base;
}
