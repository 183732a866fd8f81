/* match.h - the small matching kit every recognizer uses: literal prefixes
 * and searches over [p, end) ranges, decimal fields, and filling event spans
 * from pointers into the line.
 *
 * Everything works on explicit bounds (the line is not NUL-terminated) and
 * is static inline so that the hot path stays free of calls it does not
 * need. A range is always two pointers: p, the first byte, and e, one past
 * the last; no helper reads e[0]. */
#ifndef AG_MATCH_H
#define AG_MATCH_H

#include <stdint.h>
#include <string.h>

#include "filters/addr.h"
#include "filters/event.h"

/* A string literal as (pointer, length) arguments, its length known at
 * compile time so memcmp() becomes a couple of loads. */
#define AG_LIT(s) (s), (sizeof(s) - 1)

static inline int ag_is_digit(char c)
{
    return (unsigned char)(c - '0') < 10;
}

/* Whether n bytes at a and b are equal: memcmp() for the short, variable
 * lengths of the catalogue's literals, without a call, in word loads. */
static inline int ag_bytes_eq(const char *a, const char *b, size_t n)
{
    uint64_t x, y;
    if (n >= 8) {
        for (size_t i = 0; i + 8 < n; i += 8) {
            memcpy(&x, a + i, 8);
            memcpy(&y, b + i, 8);
            if (x != y)
                return 0;
        }
        memcpy(&x, a + n - 8, 8);
        memcpy(&y, b + n - 8, 8);
        return x == y;
    }
    if (n >= 4) {
        uint32_t u, v, w, z;
        memcpy(&u, a, 4);
        memcpy(&v, b, 4);
        memcpy(&w, a + n - 4, 4);
        memcpy(&z, b + n - 4, 4);
        return u == v && w == z;
    }
    for (size_t i = 0; i < n; i++)
        if (a[i] != b[i])
            return 0;
    return 1;
}

/* The first byte in [p, e) that is a or b, or e: eight bytes a step where
 * the line allows (a token of the catalogue is a few to a few dozen). */
static inline const char *ag_find_either(const char *p, const char *e, char a, char b)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
    const uint64_t ma = ones * (unsigned char)a, mb = ones * (unsigned char)b;
    while (e - p >= 8) {
        uint64_t w, x, y;
        memcpy(&w, p, 8);
        x = w ^ ma;
        y = w ^ mb;
        uint64_t hit = ((x - ones) & ~x & highs) | ((y - ones) & ~y & highs);
        if (hit != 0)
            return p + (__builtin_ctzll(hit) >> 3);
        p += 8;
    }
#endif
    while (p < e && *p != a && *p != b)
        p++;
    return p;
}

/* The start of the word that ends at q: just after the last space in
 * [p, q), or p. Eight bytes a step backwards, with the exact per-byte test
 * (the cheaper one can flag a byte above a real match). */
static inline const char *ag_word_start(const char *p, const char *q)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    const uint64_t lows = 0x7F7F7F7F7F7F7F7FULL, spaces = 0x2020202020202020ULL;
    while (q - p >= 8) {
        uint64_t w;
        memcpy(&w, q - 8, 8);
        uint64_t x = w ^ spaces;
        uint64_t hit = ~(((x & lows) + lows) | x | lows);
        if (hit != 0)
            return q - 8 + (63 - __builtin_clzll(hit)) / 8 + 1;
        q -= 8;
    }
#endif
    while (q > p && q[-1] != ' ')
        q--;
    return q;
}

static inline int ag_starts(const char *p, const char *e, const char *lit, size_t n)
{
    return (size_t)(e - p) >= n && memcmp(p, lit, n) == 0;
}

static inline int ag_ends(const char *p, const char *e, const char *lit, size_t n)
{
    return (size_t)(e - p) >= n && memcmp(e - n, lit, n) == 0;
}

/* Advances *p past lit when [*p, e) starts with it. */
static inline int ag_skip(const char **p, const char *e, const char *lit, size_t n)
{
    if (!ag_starts(*p, e, lit, n))
        return 0;
    *p += n;
    return 1;
}

/* Drops lit from the end of [p, *e) when it is there. */
static inline int ag_chop(const char *p, const char **e, const char *lit, size_t n)
{
    if (!ag_ends(p, *e, lit, n))
        return 0;
    *e -= n;
    return 1;
}

/* First occurrence of lit in [p, e), or NULL. */
static inline const char *ag_find(const char *p, const char *e, const char *lit, size_t n)
{
    if (p >= e)
        return NULL;
    return memmem(p, (size_t)(e - p), lit, n);
}

/* Last occurrence of lit in [p, e), or NULL. Scans backwards for the first
 * byte with memrchr, so finding the final " from " of a message costs one
 * pass over its tail, not over the attacker-written middle. */
static inline const char *ag_rfind(const char *p, const char *e, const char *lit, size_t n)
{
    if (n == 0 || (size_t)(e - p) < n)
        return NULL;
    const char *last = e - n; /* the last place lit can start */
    for (;;) {
        const char *c = memrchr(p, lit[0], (size_t)(last - p) + 1);
        if (c == NULL)
            return NULL;
        if (ag_bytes_eq(c, lit, n))
            return c;
        if (c == p)
            return NULL;
        last = c - 1;
    }
}

/* First byte c in [p, e), or e. */
static inline const char *ag_find_byte(const char *p, const char *e, char c)
{
    const char *r = p < e ? memchr(p, c, (size_t)(e - p)) : NULL;
    return r ? r : e;
}

/* Decimal digits at *p, at most max_digits of them, none beyond: returns 0
 * and advances, or -1 (no digit, too many, value above max). */
static inline int ag_take_uint(const char **p, const char *e, unsigned max_digits,
                               uint32_t max, uint32_t *out)
{
    const char *q = *p;
    uint64_t v = 0;
    while (q < e && ag_is_digit(*q)) {
        if ((unsigned)(q - *p) >= max_digits)
            return -1;
        v = v * 10 + (uint64_t)(*q - '0');
        q++;
    }
    if (q == *p || v > max)
        return -1;
    *out = (uint32_t)v;
    *p = q;
    return 0;
}

/* A TCP port printed by "%d": 1 to 5 digits, no leading zero, <= 65535. */
static inline int ag_take_port(const char **p, const char *e, uint16_t *port)
{
    uint32_t v;
    const char *q = *p;
    if (q < e && *q == '0' && q + 1 < e && ag_is_digit(q[1]))
        return -1;
    if (ag_take_uint(&q, e, 5, 65535, &v) < 0)
        return -1;
    *port = (uint16_t)v;
    *p = q;
    return 0;
}

/* Start of the space-delimited token that ends at e. */
static inline const char *ag_token_start(const char *p, const char *e)
{
    const char *q = e;
    while (q > p && q[-1] != ' ')
        q--;
    return q;
}

/* ---- event spans ----------------------------------------------------------- */

static inline struct ag_span ag_span_at(const struct ag_event *ev, const char *p, const char *e)
{
    struct ag_span s = {(uint16_t)(p - ev->line), (uint16_t)(e - p)};
    return s;
}

/* The user as seen, cut at AG_USER_MAX bytes (and flagged) so that one
 * crafted name cannot blow up a key, a JSON field or a finding. */
static inline void ag_set_user(struct ag_event *ev, const char *p, const char *e)
{
    if (e - p > AG_USER_MAX) {
        e = p + AG_USER_MAX;
        ev->flags |= AG_EVF_USER_TRUNCATED;
    }
    ev->user = ag_span_at(ev, p, e);
}

/* A host name as sshd prints it with UseDNS, or as PAM's rhost: letters,
 * digits, '-', '.', '_', at most 253 bytes, and at least one letter, so
 * that a malformed address such as 999.1.1.1 or 1.2.3 is never taken for a
 * name (a top-level domain is never all digits). */
static inline int ag_looks_like_hostname(const char *p, const char *e)
{
    if (p >= e || e - p > 253 || *p == '.' || *p == '-')
        return 0;
    int letter = 0;
    for (const char *q = p; q < e; q++) {
        char c = *q;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
            letter = 1;
        else if (!ag_is_digit(c) && c != '-' && c != '.' && c != '_')
            return 0;
    }
    return letter;
}

/* The source of an event from the text [p, e): an address when it parses,
 * else a host name kept as a name (never resolved), else nothing. Returns 1
 * when a source was set. */
static inline int ag_set_src(struct ag_event *ev, const char *p, const char *e)
{
    if (p < e && ag_addr_parse(p, (size_t)(e - p), &ev->src) == 0)
        return 1;
    ev->src.af = AG_AF_NONE;
    if (ag_looks_like_hostname(p, e)) {
        ev->src_name = ag_span_at(ev, p, e);
        ev->flags |= AG_EVF_SRC_IS_NAME;
        return 1;
    }
    return 0;
}

/* An address only: for fields sshd always prints numerically. */
static inline int ag_set_addr(struct ag_event *ev, const char *p, const char *e)
{
    if (p < e && ag_addr_parse(p, (size_t)(e - p), &ev->src) == 0)
        return 1;
    ev->src.af = AG_AF_NONE;
    return 0;
}

/* Message bounds of the event as pointers. */
static inline const char *ag_msg_begin(const struct ag_event *ev)
{
    return ev->line + ev->msg.off;
}

static inline const char *ag_msg_end(const struct ag_event *ev)
{
    return ev->line + ev->msg.off + ev->msg.len;
}

#endif
