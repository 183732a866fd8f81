/* fuzz_parse.c - libFuzzer target for the syslog header parser, the
 * recognizers and the JSON member scanner: every input goes through
 * ag_parse_line() whole and line by line, through ag_parse_message() with
 * its first bytes as the program, and through ag_json_scan(),
 * each from an exact-size heap copy so that AddressSanitizer sees any read
 * past the end. Events are checked against the invariants the engine relies
 * on; a violation aborts. Build and run with tests/fuzz/run.sh. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "filters/addr.h"
#include "filters/event.h"
#include "filters/jsonscan.h"
#include "filters/recognize.h"

/* 2026-11-01T00:00:00Z: BSD timestamps take their year from this. */
#define ARRIVAL_MS 1793491200000LL

static struct ag_parser parser;
static int parser_ready;

/* Keeps the compiler from dropping the reads that let ASan check spans. */
static volatile unsigned sink;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fail(const char *what, const struct ag_event *ev)
{
    fprintf(stderr, "fuzz_parse: invariant violated: %s (kind %u, line_len %u)\n",
            what, ev ? (unsigned)ev->kind : 0u, ev ? (unsigned)ev->line_len : 0u);
    abort();
}

static void check_span(const struct ag_event *ev, struct ag_span s, const char *name)
{
    if (s.len == 0)
        return;
    if ((uint32_t)s.off + s.len > ev->line_len) {
        fprintf(stderr, "fuzz_parse: span %s [%u, +%u) outside line of %u bytes\n",
                name, (unsigned)s.off, (unsigned)s.len, (unsigned)ev->line_len);
        abort();
    }
    /* Touch every byte: an event pointing at freed or foreign memory
     * shows up here under ASan. */
    unsigned h = 0;
    for (uint16_t i = 0; i < s.len; i++)
        h = h * 31 + (unsigned char)ev->line[s.off + i];
    sink += h;
}

static void check_addr(const struct ag_addr *a, const struct ag_event *ev)
{
    if (a->af == AG_AF_NONE)
        return;
    if (a->af != AG_AF_INET && a->af != AG_AF_INET6)
        fail("address family is neither none, 4 nor 6", ev);
    char buf[AG_ADDR_STRLEN];
    size_t n = ag_addr_format(a, buf);
    if (n == 0 || n >= AG_ADDR_STRLEN || strlen(buf) != n)
        fail("address does not format", ev);
    struct ag_addr back;
    if (ag_addr_parse(buf, n, &back) != 0) {
        fprintf(stderr, "fuzz_parse: formatted address '%s' does not parse\n", buf);
        fail("address round trip", ev);
    }
    if (!ag_addr_equal(a, &back)) {
        fprintf(stderr, "fuzz_parse: '%s' parses to a different address\n", buf);
        fail("address round trip", ev);
    }
}

static void check_event(const struct ag_event *ev, const char *line, size_t len)
{
    if (line != NULL && (ev->line != line || ev->line_len != len))
        fail("event does not point at the line it was parsed from", ev);
    if (ev->line == NULL || ev->line_len > AG_LINE_MAX)
        fail("event line missing or longer than AG_LINE_MAX", ev);
    if (ev->kind == AG_EV_NONE || ev->kind >= AG_EV_KIND_COUNT)
        fail("kind out of range", ev);
    if (ev->method >= AG_M_COUNT)
        fail("method out of range", ev);
    if (ev->count < 1)
        fail("count is 0", ev);
    if (ev->user.len > AG_USER_MAX)
        fail("user longer than AG_USER_MAX", ev);
    check_span(ev, ev->host, "host");
    check_span(ev, ev->program, "program");
    check_span(ev, ev->msg, "msg");
    check_span(ev, ev->user, "user");
    check_span(ev, ev->ruser, "ruser");
    check_span(ev, ev->target, "target");
    check_span(ev, ev->service, "service");
    check_span(ev, ev->src_name, "src_name");
    check_addr(&ev->src, ev);
    if (ag_kind_name((enum ag_kind)ev->kind) == NULL)
        fail("kind has no name", ev);
}

static void parse_line_copy(const uint8_t *data, size_t len)
{
    /* malloc(0) may return NULL; keep one byte so the pointer is real. */
    char *copy = malloc(len ? len : 1);
    if (copy == NULL)
        return;
    if (len)
        memcpy(copy, data, len);
    struct ag_event ev;
    memset(&ev, 0xa5, sizeof(ev)); /* stale fields must not pass as set */
    int r = ag_parse_line(&parser, copy, len, ARRIVAL_MS, &ev);
    if (r != AG_PARSE_UNPARSED && r != AG_PARSE_OTHER && r != AG_PARSE_EVENT) {
        fprintf(stderr, "fuzz_parse: ag_parse_line returned %d\n", r);
        abort();
    }
    if (r == AG_PARSE_EVENT)
        check_event(&ev, copy, len);
    free(copy);
}

/* The first byte picks how many of the following bytes are the program
 * name (0..31); the next one how many more are the host (0..15); the
 * rest is the message. Each part gets its own exact-size buffer. */
static void parse_message_copy(const uint8_t *data, size_t size)
{
    if (size < 2)
        return;
    size_t plen = data[0] % 32, hlen = data[1] % 16;
    data += 2;
    size -= 2;
    if (plen > size)
        plen = size;
    if (hlen > size - plen)
        hlen = size - plen;
    size_t mlen = size - plen - hlen;
    char *prog = malloc(plen ? plen : 1);
    char *host = malloc(hlen ? hlen : 1);
    char *msg = malloc(mlen ? mlen : 1);
    if (prog && host && msg) {
        memcpy(prog, data, plen);
        memcpy(host, data + plen, hlen);
        memcpy(msg, data + plen + hlen, mlen);
        struct ag_event ev;
        memset(&ev, 0xa5, sizeof(ev));
        int64_t t = (plen & 1) ? 0 : ARRIVAL_MS - 3600000;
        int r = ag_parse_message(&parser, prog, plen, (uint32_t)(mlen * 7919u),
                                 host, hlen, t, ARRIVAL_MS, msg, mlen, &ev);
        if (r != AG_PARSE_UNPARSED && r != AG_PARSE_OTHER && r != AG_PARSE_EVENT) {
            fprintf(stderr, "fuzz_parse: ag_parse_message returned %d\n", r);
            abort();
        }
        if (r == AG_PARSE_EVENT)
            check_event(&ev, NULL, 0);
    }
    free(prog);
    free(host);
    free(msg);
}

/* The address parser on its own: anything it accepts must format and
 * parse back to itself. */
static void parse_addr_copy(const uint8_t *data, size_t size)
{
    if (size > 64)
        size = 64;
    char *copy = malloc(size ? size : 1);
    if (copy == NULL)
        return;
    if (size)
        memcpy(copy, data, size);
    struct ag_addr a;
    if (ag_addr_parse(copy, size, &a) == 0) {
        if (a.af == AG_AF_NONE)
            fail("ag_addr_parse succeeded without an address", NULL);
        check_addr(&a, NULL);
    }
    free(copy);
}

/* The scanner's values lie inside the input or its scratch, and what it
 * accepts scans to the same values a second time. */
static void scan_json_copy(const uint8_t *data, size_t size)
{
    static const char *const names[] = {"msg", "raw_data", "time", "src_endpoint", "class_uid"};
    char *copy = malloc(size ? size : 1), *scratch = malloc(size ? size : 1);
    if (copy == NULL || scratch == NULL)
        abort();
    memcpy(copy, data, size);
    struct ag_json_val v[5];
    if (ag_json_scan(copy, size, names, 5, v, scratch) == 0) {
        for (int i = 0; i < 5; i++) {
            if (v[i].type == AG_JSON_ABSENT)
                continue;
            int in_input = v[i].p >= copy && v[i].p + v[i].n <= copy + size;
            int in_scratch = v[i].p >= scratch && v[i].p + v[i].n <= scratch + size;
            if (!in_input && !in_scratch)
                fail("a JSON value outside the input and the scratch", NULL);
            unsigned h = 0;
            for (size_t k = 0; k < v[i].n; k++)
                h = h * 31 + (unsigned char)v[i].p[k];
            sink += h;
            if (v[i].type == AG_JSON_OBJECT) {
                struct ag_json_val inner[5];
                char *s2 = malloc(v[i].n);
                if (s2 == NULL || ag_json_scan(v[i].p, v[i].n, names, 5, inner, s2) != 0)
                    fail("an object value does not scan again", NULL);
                free(s2);
            }
        }
    }
    free(copy);
    free(scratch);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!parser_ready) {
        ag_parser_init(&parser);
        parser_ready = 1;
    }
    uint64_t lines_before = parser.st.lines;

    parse_line_copy(data, size);

    /* Line by line, the way a host hands over a buffer. */
    size_t start = 0, nlines = 1;
    for (size_t i = 0; i <= size; i++) {
        if (i == size || data[i] == '\n') {
            if (start > 0 || i < size) { /* the whole input was done above */
                parse_line_copy(data + start, i - start);
                nlines++;
            }
            start = i + 1;
        }
    }

    parse_message_copy(data, size);
    scan_json_copy(data, size);
    parse_addr_copy(data, size);

    /* Every ag_parse_line call is one line in the statistics. */
    if (parser.st.lines - lines_before < nlines)
        fail("parser counted fewer lines than it was given", NULL);
    if (parser.st.events > parser.st.lines || parser.st.unparsed > parser.st.lines)
        fail("parser statistics out of step", NULL);
    return 0;
}
