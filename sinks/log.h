/* log.h - the one channel sinks and the pipeline report through: a level
 * and a component ("jsonl", "kafka") with each message, and a callback the
 * host sets to send them where it wants (rsyslog's output file, fluent-bit's
 * log, the journal). Without a callback: standard error, as
 * "authguard: COMPONENT: message", with the sd-daemon "<N>" priority prefix
 * when standard error is the journal's stream (JOURNAL_STREAM). */
#ifndef AG_LOG_H
#define AG_LOG_H

enum ag_log_level {
    AG_LOG_ERROR = 3,   /* the syslog priorities, as the journal takes them */
    AG_LOG_WARNING = 4,
    AG_LOG_INFO = 6,
    AG_LOG_DEBUG = 7,
};

/* msg is one line without its newline; component may be NULL. */
typedef void (*ag_log_fn)(void *ud, enum ag_log_level level, const char *component,
                          const char *msg);

struct ag_log {
    ag_log_fn fn;       /* NULL: ag_log_stderr */
    void *ud;
};

/* Formats and hands the message to log's callback (log may be NULL). */
void ag_logf(const struct ag_log *log, enum ag_log_level level, const char *component,
             const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* The default callback: one write to standard error. */
void ag_log_stderr(void *ud, enum ag_log_level level, const char *component, const char *msg);

/* "error", "warning", "info", "debug". */
const char *ag_log_level_name(enum ag_log_level level);

#endif
