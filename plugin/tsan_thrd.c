/* tsan_thrd.c - built into ThreadSanitizer builds only: C11 thrd_create()
 * on top of pthread_create().
 *
 * glibc's thrd_create() starts threads without going through the
 * pthread_create symbol, so ThreadSanitizer never learns of them, and the
 * first malloc() on such a thread crashes inside the sanitizer. librdkafka
 * (Debian's 2.0.2) makes all its threads that way. Defining thrd_create in
 * the executable interposes it for librdkafka too, and the threads then go
 * through the sanitizer's pthread_create (and are joined or detached through
 * its pthread_join and pthread_detach). The names are libc's on purpose. */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <threads.h>

struct ag_thrd_start {
    thrd_start_t fn;
    void *arg;
};

static void *ag_thrd_trampoline(void *p)
{
    struct ag_thrd_start s = *(struct ag_thrd_start *)p;
    free(p);
    return (void *)(intptr_t)s.fn(s.arg);
}

int thrd_create(thrd_t *thr, thrd_start_t fn, void *arg)
{
    struct ag_thrd_start *s = malloc(sizeof *s);
    if (!s)
        return thrd_nomem;
    s->fn = fn;
    s->arg = arg;
    pthread_t t;
    if (pthread_create(&t, NULL, ag_thrd_trampoline, s) != 0) {
        free(s);
        return thrd_error;
    }
    *thr = (thrd_t)t;
    return thrd_success;
}

int thrd_join(thrd_t thr, int *res)
{
    void *ret;
    if (pthread_join((pthread_t)thr, &ret) != 0)
        return thrd_error;
    if (res)
        *res = (int)(intptr_t)ret;
    return thrd_success;
}

int thrd_detach(thrd_t thr)
{
    return pthread_detach((pthread_t)thr) == 0 ? thrd_success : thrd_error;
}
