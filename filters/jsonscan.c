/* jsonscan.c - one pass over a JSON object for the members a caller wants.
 *
 * memchr finds each string's closing quote (a backslash before it sends the
 * search one escape further), so the common unescaped string costs two
 * vectorised scans; values of members nobody asked for are only skipped. */
#include "filters/jsonscan.h"

#include <string.h>

#define MAX_DEPTH 64

static void put_utf8(char *out, size_t *o, uint32_t cp)
{
    if (cp < 0x80) {
        out[(*o)++] = (char)cp;
    } else if (cp < 0x800) {
        out[(*o)++] = (char)(0xc0 | cp >> 6);
        out[(*o)++] = (char)(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
        out[(*o)++] = (char)(0xe0 | cp >> 12);
        out[(*o)++] = (char)(0x80 | ((cp >> 6) & 0x3f));
        out[(*o)++] = (char)(0x80 | (cp & 0x3f));
    } else {
        out[(*o)++] = (char)(0xf0 | cp >> 18);
        out[(*o)++] = (char)(0x80 | ((cp >> 12) & 0x3f));
        out[(*o)++] = (char)(0x80 | ((cp >> 6) & 0x3f));
        out[(*o)++] = (char)(0x80 | (cp & 0x3f));
    }
}

static int hex4(const char *s, uint32_t *v)
{
    *v = 0;
    for (int i = 0; i < 4; i++) {
        int c = s[i], d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
                        : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (d < 0)
            return -1;
        *v = *v << 4 | (uint32_t)d;
    }
    return 0;
}

/* The string body s[0..n) (escapes included) decoded into out, which holds
 * n bytes: no escape decodes to more bytes than it takes. Lone surrogates
 * become U+FFFD. The length, or -1 on a bad escape. */
static long unescape(const char *s, size_t n, char *out)
{
    static const char esc_in[] = "\"\\/bfnrt", esc_out[] = "\"\\/\b\f\n\r\t";
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] != '\\') {
            out[o++] = s[i];
            continue;
        }
        if (++i >= n)
            return -1;
        const char *simple = s[i] ? strchr(esc_in, s[i]) : NULL;
        if (simple) {
            out[o++] = esc_out[simple - esc_in];
            continue;
        }
        uint32_t cp, lo;
        if (s[i] != 'u' || i + 4 >= n || hex4(s + i + 1, &cp))
            return -1;
        i += 4;
        if (cp >= 0xd800 && cp < 0xdc00 && i + 6 < n && s[i + 1] == '\\' && s[i + 2] == 'u' &&
            !hex4(s + i + 3, &lo) && lo >= 0xdc00 && lo < 0xe000) {
            cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
            i += 6;
        } else if (cp >= 0xd800 && cp < 0xe000) {
            cp = 0xfffd;
        }
        put_utf8(out, &o, cp);
    }
    return (long)o;
}

/* The string starting after its opening quote at s[i]: the index of its
 * closing quote, or -1. *esc tells whether it holds escapes. */
static long skip_string(const char *s, size_t n, size_t i, int *esc)
{
    *esc = 0;
    while (i < n) {
        const char *q = memchr(s + i, '"', n - i);
        if (!q)
            return -1;
        size_t e = (size_t)(q - s);
        const char *bs = memchr(s + i, '\\', e - i);
        if (!bs)
            return (long)e;
        *esc = 1; /* the quote may be escaped: step over the escape, look again */
        i = (size_t)(bs - s) + 2;
    }
    return -1;
}

/* The escapes of a string nobody wants decoded are still checked, so the
 * scanner never takes a document a full parser would refuse. */
static int escapes_ok(const char *s, size_t n)
{
    uint32_t cp;
    for (size_t i = 0; i < n; i++) {
        if (s[i] != '\\')
            continue;
        if (++i >= n)
            return 0;
        if (s[i] == 'u') {
            if (i + 4 >= n || hex4(s + i + 1, &cp))
                return 0;
            i += 4;
        } else if (!s[i] || !strchr("\"\\/bfnrt", s[i])) {
            return 0;
        }
    }
    return 1;
}

static int is_ws(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

static size_t skip_ws(const char *s, size_t n, size_t i)
{
    while (i < n && is_ws(s[i]))
        i++;
    return i;
}

static int is_digit(char c) { return c >= '0' && c <= '9'; }

/* A number as JSON writes it: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? */
static long skip_number(const char *s, size_t n, size_t i)
{
    if (i < n && s[i] == '-')
        i++;
    if (i >= n || !is_digit(s[i]))
        return -1;
    if (s[i++] != '0')
        while (i < n && is_digit(s[i]))
            i++;
    if (i < n && s[i] == '.') {
        if (++i >= n || !is_digit(s[i]))
            return -1;
        while (i < n && is_digit(s[i]))
            i++;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        if (++i < n && (s[i] == '+' || s[i] == '-'))
            i++;
        if (i >= n || !is_digit(s[i]))
            return -1;
        while (i < n && is_digit(s[i]))
            i++;
    }
    return (long)i;
}

static long skip_literal(const char *s, size_t n, size_t i)
{
    static const char *const lits[] = {"true", "false", "null"};
    for (int k = 0; k < 3; k++) {
        size_t l = strlen(lits[k]);
        if (n - i >= l && !memcmp(s + i, lits[k], l))
            return (long)(i + l);
    }
    return -1;
}

static long skip_value(const char *s, size_t n, size_t i, int depth);

/* The members of an object or the elements of an array, s[i] just past
 * the opening bracket: the index past the closing one, or -1. */
static long skip_container(const char *s, size_t n, size_t i, int depth, char close)
{
    int esc;
    i = skip_ws(s, n, i);
    if (i < n && s[i] == close)
        return (long)i + 1;
    for (;;) {
        if (close == '}') {
            if (i >= n || s[i] != '"')
                return -1;
            long k = skip_string(s, n, i + 1, &esc);
            if (k < 0 || (esc && !escapes_ok(s + i + 1, (size_t)k - i - 1)))
                return -1;
            i = skip_ws(s, n, (size_t)k + 1);
            if (i >= n || s[i] != ':')
                return -1;
            i = skip_ws(s, n, i + 1);
        }
        long e = skip_value(s, n, i, depth);
        if (e < 0)
            return -1;
        i = skip_ws(s, n, (size_t)e);
        if (i < n && s[i] == close)
            return (long)i + 1;
        if (i >= n || s[i] != ',')
            return -1;
        i = skip_ws(s, n, i + 1);
    }
}

/* Any value starting at s[i], checked as it is skipped: the index just
 * past it, or -1. */
static long skip_value(const char *s, size_t n, size_t i, int depth)
{
    int esc;
    if (i >= n)
        return -1;
    switch (s[i]) {
    case '"': {
        long e = skip_string(s, n, i + 1, &esc);
        if (e < 0 || (esc && !escapes_ok(s + i + 1, (size_t)e - i - 1)))
            return -1;
        return e + 1;
    }
    case '{':
    case '[':
        if (depth >= MAX_DEPTH)
            return -1;
        return skip_container(s, n, i + 1, depth + 1, s[i] == '{' ? '}' : ']');
    case 't':
    case 'f':
    case 'n':
        return skip_literal(s, n, i);
    default:
        return skip_number(s, n, i);
    }
}

static int want_index(const char *k, size_t n, const char *const *names, unsigned count)
{
    for (unsigned f = 0; f < count; f++)
        if (names[f][0] == k[0] && strlen(names[f]) == n && !memcmp(names[f], k, n))
            return (int)f;
    return -1;
}

/* One member's value at s[i] into *v; the index past it, or -1. Strings
 * with escapes are decoded into scratch + *used, unless scratch is NULL
 * (a member nobody wants). */
static long take_value(const char *s, size_t n, size_t i, struct ag_json_val *v, char *scratch,
                       size_t *used)
{
    int esc;
    if (s[i] == '"') {
        long e = skip_string(s, n, i + 1, &esc);
        if (e < 0)
            return -1;
        v->p = s + i + 1;
        v->n = (size_t)e - i - 1;
        v->type = AG_JSON_STRING;
        if (esc && scratch == NULL && !escapes_ok(v->p, v->n))
            return -1;
        if (esc && scratch != NULL) {
            long dn = unescape(v->p, v->n, scratch + *used);
            if (dn < 0)
                return -1;
            v->p = scratch + *used;
            v->n = (size_t)dn;
            *used += v->n;
        }
        return e + 1;
    }
    long e = skip_value(s, n, i, 1);
    if (e < 0)
        return -1;
    v->p = s + i;
    v->n = (size_t)e - i;
    v->type = s[i] == '{' ? AG_JSON_OBJECT
              : (s[i] == '-' || (s[i] >= '0' && s[i] <= '9')) ? AG_JSON_NUMBER
                                                              : AG_JSON_OTHER;
    return e;
}

int ag_json_scan(const char *s, size_t n, const char *const *names, unsigned count,
                 struct ag_json_val *out, char *scratch)
{
    size_t i = skip_ws(s, n, 0), used = 0;
    int esc;
    memset(out, 0, sizeof(*out) * count);
    if (i >= n || s[i] != '{')
        return -1;
    i = skip_ws(s, n, i + 1);
    if (i < n && s[i] == '}')
        return skip_ws(s, n, i + 1) == n ? 0 : -1;
    for (;;) {
        if (i >= n || s[i] != '"')
            return -1;
        long ke = skip_string(s, n, i + 1, &esc);
        if (ke < 0 || esc) /* an escaped name: let the full parser decide */
            return -1;
        int idx = want_index(s + i + 1, (size_t)ke - i - 1, names, count);
        i = skip_ws(s, n, (size_t)ke + 1);
        if (i >= n || s[i] != ':')
            return -1;
        i = skip_ws(s, n, i + 1);
        if (i >= n)
            return -1;
        struct ag_json_val ignored;
        long e = idx >= 0 ? take_value(s, n, i, &out[idx], scratch, &used)
                          : take_value(s, n, i, &ignored, NULL, &used);
        if (e < 0)
            return -1;
        i = skip_ws(s, n, (size_t)e);
        if (i < n && s[i] == '}')
            return skip_ws(s, n, i + 1) == n ? 0 : -1;
        if (i >= n || s[i] != ',')
            return -1;
        i = skip_ws(s, n, i + 1);
    }
}

int ag_json_int(const struct ag_json_val *v, int64_t *out)
{
    if (v->type != AG_JSON_NUMBER || v->n == 0 || v->n > 20)
        return -1;
    size_t i = v->p[0] == '-';
    if (i == v->n)
        return -1;
    uint64_t mag = 0;
    for (; i < v->n; i++) {
        char c = v->p[i];
        if (c < '0' || c > '9')
            return -1;  /* a fraction or an exponent: not an integer */
        if (mag > (UINT64_MAX - 9) / 10)
            return -1;
        mag = mag * 10 + (uint64_t)(c - '0');
    }
    if (v->p[0] == '-') {
        if (mag > (uint64_t)INT64_MAX + 1)
            return -1;
        *out = mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)mag;
    } else {
        if (mag > (uint64_t)INT64_MAX)
            return -1;
        *out = (int64_t)mag;
    }
    return 0;
}
