/* recognition.c - `authguard catalogue [--markdown]`: prints the recognition
 * table generated from the catalogue's rows (filters/catalogue.c), the same
 * table docs/recognition.md carries between its catalogue markers, so that the
 * documentation cannot drift from what the recognizer knows. */
#include "plugin/recognition.h"

#include <stdio.h>
#include <string.h>

#include "filters/catalogue.h"

static int usage(FILE *f, int rc)
{
    fputs("usage: authguard catalogue [--markdown]\n"
          "  prints every message shape authguard recognises: family, shape, event,\n"
          "  what it counts as, and the versions that write it (Markdown table)\n",
          f);
    return rc;
}

int ag_catalogue_main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
            return usage(stdout, 0);
        if (strcmp(argv[i], "--markdown") != 0) {
            fprintf(stderr, "authguard catalogue: unknown argument '%s'\n", argv[i]);
            return usage(stderr, 2);
        }
    }
    ag_catalogue_markdown(stdout);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        perror("authguard catalogue: stdout");
        return 1;
    }
    return 0;
}
