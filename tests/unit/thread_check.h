/* thread_check.h - shared by the unit tests of what starts threads (the
 * engine, the sinks): authguard's threads, found by name in /proc, take
 * none of the signals a host waits for (SIGHUP, SIGTERM, SIGINT), and
 * leave SIGPIPE as the host set it. */
#ifndef AG_THREAD_CHECK_H
#define AG_THREAD_CHECK_H

#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ag_test.h"

/* The thread's name, from /proc; "" when it is gone. */
static inline void tc_thread_name(long tid, char *out, size_t n)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/self/task/%ld/comm", tid);
    FILE *f = fopen(path, "r");
    out[0] = '\0';
    if (f == NULL)
        return;
    if (!fgets(out, (int)n, f))
        out[0] = '\0';
    out[strcspn(out, "\n")] = '\0';
    fclose(f);
}

static inline unsigned long long tc_blocked_signals(long tid)
{
    char path[64], text[256];
    unsigned long long mask = 0;
    snprintf(path, sizeof path, "/proc/self/task/%ld/status", tid);
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    while (fgets(text, sizeof text, f))
        if (sscanf(text, "SigBlk: %llx", &mask) == 1)
            break;
    fclose(f);
    return mask;
}

/* Checks every thread called name; returns how many there were. */
static inline int tc_check_thread_signals(const char *name)
{
    DIR *d = opendir("/proc/self/task");
    ck_assert_ptr_nonnull(d);
    struct dirent *e;
    int checked = 0;
    while ((e = readdir(d)) != NULL) {
        char comm[32];
        long tid = atol(e->d_name);
        if (e->d_name[0] == '.')
            continue;
        tc_thread_name(tid, comm, sizeof comm);
        if (strcmp(comm, name) != 0)
            continue;
        /* glibc starts a thread with every signal blocked, its own two
         * (32, 33) too, and sets the mask it was given once it runs. */
        unsigned long long m = tc_blocked_signals(tid);
        for (int tries = 0; (m >> 31 & 1) && tries < 1000; tries++) {
            usleep(1000);
            m = tc_blocked_signals(tid);
        }
        ck_assert_msg((m >> (SIGHUP - 1) & 1) && (m >> (SIGTERM - 1) & 1) &&
                          (m >> (SIGINT - 1) & 1) && !(m >> (SIGPIPE - 1) & 1),
                      "%s (%ld) blocks %llx", name, tid, m);
        checked++;
    }
    closedir(d);
    return checked;
}

#endif
