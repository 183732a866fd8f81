/* log.c - the log channel of log.h: formatting, and standard error with
 * the journal's priority prefix when it is the journal's stream. */
#include "sinks/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

/* systemd sets JOURNAL_STREAM to "DEV:INODE" of the stream it connected to
 * standard error; a child that redirected its stderr elsewhere keeps the
 * variable, so the descriptor itself is compared. */
static int stderr_is_journal(void)
{
    const char *js = getenv("JOURNAL_STREAM");
    unsigned long long dev, ino;
    struct stat st;
    if (!js || sscanf(js, "%llu:%llu", &dev, &ino) != 2 || fstat(STDERR_FILENO, &st) < 0)
        return 0;
    return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

void ag_log_stderr(void *ud, enum ag_log_level level, const char *component, const char *msg)
{
    char prio[8] = "";
    (void)ud;
    if (stderr_is_journal())
        snprintf(prio, sizeof prio, "<%d>", (int)level);
    /* one call, so that lines of two threads do not interleave */
    fprintf(stderr, "%sauthguard: %s%s%s\n", prio, component ? component : "",
            component ? ": " : "", msg);
}

void ag_logf(const struct ag_log *log, enum ag_log_level level, const char *component,
             const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (log && log->fn)
        log->fn(log->ud, level, component, msg);
    else
        ag_log_stderr(NULL, level, component, msg);
}

const char *ag_log_level_name(enum ag_log_level level)
{
    switch (level) {
    case AG_LOG_ERROR:
        return "error";
    case AG_LOG_WARNING:
        return "warning";
    case AG_LOG_INFO:
        return "info";
    default:
        return "debug";
    }
}
