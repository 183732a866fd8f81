/* ok_only.c - the baseline of tests/bench/rsyslog.sh: an omprog program
 * (confirmMessages, transactions) that does nothing but answer, and writes
 * how many messages it has confirmed to FILE at each COMMIT.
 *   cc -O2 -o ok_only ok_only.c; ok_only FILE */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void say(const char *s)
{
    if (write(STDOUT_FILENO, s, strlen(s)) < 0)
        exit(1);
}

int main(int argc, char **argv)
{
    int fd = argc > 1 ? open(argv[1], O_WRONLY | O_CREAT | O_TRUNC, 0644) : -1;
    char *line = NULL;
    size_t cap = 0;
    long msgs = 0;
    int in_tx = 0;
    say("OK\n");
    while (getline(&line, &cap, stdin) > 0) {
        if (!strcmp(line, "BEGIN TRANSACTION\n")) {
            in_tx = 1;
            say("OK\n");
        } else if (!strcmp(line, "COMMIT TRANSACTION\n")) {
            char b[32];
            int n = snprintf(b, sizeof b, "%ld\n", msgs);
            if (fd >= 0 && pwrite(fd, b, (size_t)n, 0) < 0)
                return 1;
            in_tx = 0;
            say("OK\n");
        } else {
            msgs++;
            say(in_tx ? "DEFER_COMMIT\n" : "OK\n");
        }
    }
    free(line);
    return 0;
}
