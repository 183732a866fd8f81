/* ag_test.h - the few lines every unit test shares: a Check suite run that
 * reports in TAP (so `make check` counts each case) and span helpers. */
#ifndef AG_TEST_H
#define AG_TEST_H

#include <check.h>
#include <stdlib.h>
#include <string.h>

/* Each test file defines suite() and ends with AG_TEST_MAIN. */
#define AG_TEST_MAIN                                              \
    int main(void)                                                \
    {                                                             \
        SRunner *sr = srunner_create(suite());                    \
        srunner_set_tap(sr, "-");                                 \
        srunner_run_all(sr, CK_SILENT);                           \
        int failed = srunner_ntests_failed(sr);                   \
        srunner_free(sr);                                         \
        return failed ? EXIT_FAILURE : EXIT_SUCCESS;              \
    }

/* Compare a span of an event with a C string. */
#define ck_assert_span_eq(ev, span, str)                                       \
    do {                                                                       \
        const char *s_ = (str);                                                \
        size_t n_ = strlen(s_);                                                \
        ck_assert_msg((span).len == n_ &&                                      \
                          memcmp((ev)->line + (span).off, s_, n_) == 0,        \
                      "span " #span " is '%.*s', expected '%s'",               \
                      (int)(span).len, (ev)->line + (span).off, s_);           \
    } while (0)

#endif
