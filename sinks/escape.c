/* escape.c - bounded buffer writes and the JSON / terminal escapes of
 * escape.h. The JSON path is the per-event hot path of every sink, so the
 * common case (a run of plain ASCII) is copied in one memcpy. */
#include "sinks/escape.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char hex[] = "0123456789abcdef";

void ag_buf_put_u64(struct ag_buf *b, uint64_t v)
{
    char tmp[20];
    size_t i = sizeof tmp;
    do {
        tmp[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    ag_buf_put(b, tmp + i, sizeof tmp - i);
}

void ag_buf_put_i64(struct ag_buf *b, int64_t v)
{
    if (v < 0) {
        ag_buf_putc(b, '-');
        ag_buf_put_u64(b, (uint64_t)0 - (uint64_t)v);
    } else {
        ag_buf_put_u64(b, (uint64_t)v);
    }
}

void ag_buf_printf(struct ag_buf *b, const char *fmt, ...)
{
    va_list ap;
    size_t room = b->cap - b->len;
    va_start(ap, fmt);
    int n = vsnprintf(b->p + b->len, room, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= room) {
        b->overflow = 1;
        return;
    }
    b->len += (size_t)n;
}

size_t ag_utf8_seq_len(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    if (c < 0x80)
        return 1;
    if (c < 0xc2 || c > 0xf4) /* continuation, overlong 2-byte, > U+10FFFF */
        return 0;
    size_t need = c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
    if (n < need)
        return 0;
    for (size_t i = 1; i < need; i++)
        if ((s[i] & 0xc0) != 0x80)
            return 0;
    if (c == 0xe0 && s[1] < 0xa0) /* overlong 3-byte */
        return 0;
    if (c == 0xed && s[1] >= 0xa0) /* UTF-16 surrogates */
        return 0;
    if (c == 0xf0 && s[1] < 0x90) /* overlong 4-byte */
        return 0;
    if (c == 0xf4 && s[1] >= 0x90) /* above U+10FFFF */
        return 0;
    return need;
}

/* Code points shown escaped, never raw, in text for a person: the C1
 * controls, and every character that is invisible, reorders the text
 * around it or breaks the line, so that what the analyst sees is what the
 * log holds. That is Unicode's general categories Cf (format: bidi
 * embeddings, overrides and isolates, zero-width characters, the word
 * joiner and invisible operators, the BOM, interlinear annotations, tags),
 * Zl and Zp (U+2028, U+2029), and the Default_Ignorable_Code_Point
 * characters that render as nothing (soft hyphen, combining grapheme
 * joiner, Hangul fillers, Mongolian and other variation selectors).
 * Sorted, for the binary search. */
static const struct { uint32_t lo, hi; } hidden_ranges[] = {
    {0x0080, 0x009f},   {0x00ad, 0x00ad},   {0x034f, 0x034f},   {0x0600, 0x0605},
    {0x061c, 0x061c},   {0x06dd, 0x06dd},   {0x070f, 0x070f},   {0x0890, 0x0891},
    {0x08e2, 0x08e2},   {0x115f, 0x1160},   {0x17b4, 0x17b5},   {0x180b, 0x180f},
    {0x200b, 0x200f},   {0x2028, 0x202e},   {0x2060, 0x206f},   {0x3164, 0x3164},
    {0xfe00, 0xfe0f},   {0xfeff, 0xfeff},   {0xffa0, 0xffa0},   {0xfff0, 0xfffb},
    {0x110bd, 0x110bd}, {0x110cd, 0x110cd}, {0x13430, 0x1343f}, {0x1bca0, 0x1bca3},
    {0x1d173, 0x1d17a}, {0xe0000, 0xe0fff},
};

int ag_unicode_hidden(uint32_t cp)
{
    size_t lo = 0, hi = sizeof hidden_ranges / sizeof hidden_ranges[0];
    if (cp < 0x80)
        return 0;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (cp < hidden_ranges[mid].lo)
            hi = mid;
        else if (cp > hidden_ranges[mid].hi)
            lo = mid + 1;
        else
            return 1;
    }
    return 0;
}

/* The code point of a valid sequence of seq bytes (ag_utf8_seq_len). */
static uint32_t utf8_decode(const unsigned char *s, size_t seq)
{
    static const unsigned char lead_mask[5] = {0, 0x7f, 0x1f, 0x0f, 0x07};
    uint32_t cp = s[0] & lead_mask[seq];
    for (size_t i = 1; i < seq; i++)
        cp = cp << 6 | (s[i] & 0x3f);
    return cp;
}

static void put_hex4(struct ag_buf *b, uint32_t v)
{
    char e[4] = {hex[v >> 12 & 15], hex[v >> 8 & 15], hex[v >> 4 & 15], hex[v & 15]};
    ag_buf_put(b, e, sizeof e);
}

/* \uXXXX, as a surrogate pair above the BMP: JSON has no other form. */
static void json_escape_cp(struct ag_buf *b, uint32_t cp)
{
    if (cp >= 0x10000) {
        cp -= 0x10000;
        ag_buf_put(b, "\\u", 2);
        put_hex4(b, 0xd800 | cp >> 10);
        cp = 0xdc00 | (cp & 0x3ff);
    }
    ag_buf_put(b, "\\u", 2);
    put_hex4(b, cp);
}

/* \uXXXX, or \UXXXXXXXX above the BMP, as C and Python write them. */
static void text_escape_cp(struct ag_buf *b, uint32_t cp)
{
    if (cp < 0x10000) {
        ag_buf_put(b, "\\u", 2);
    } else {
        ag_buf_put(b, "\\U", 2);
        put_hex4(b, cp >> 16);
    }
    put_hex4(b, cp & 0xffff);
}

/* Bytes that JSON strings can carry as they are: printable ASCII but the
 * quote and the backslash. DEL is escaped too: harmless in JSON, but it
 * keeps terminals that print the JSON honest. */
static inline int json_plain(unsigned char c)
{
    return c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
}

static void json_escape_byte(struct ag_buf *b, unsigned char c)
{
    char e[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
    switch (c) {
    case '"': ag_buf_put(b, "\\\"", 2); return;
    case '\\': ag_buf_put(b, "\\\\", 2); return;
    case '\n': ag_buf_put(b, "\\n", 2); return;
    case '\r': ag_buf_put(b, "\\r", 2); return;
    case '\t': ag_buf_put(b, "\\t", 2); return;
    default: ag_buf_put(b, e, sizeof e); return;
    }
}

void ag_buf_json_str(struct ag_buf *b, const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    ag_buf_putc(b, '"');
    while (i < n) {
        size_t run = i;
        while (run < n && json_plain(u[run]))
            run++;
        ag_buf_put(b, s + i, run - i);
        i = run;
        if (i >= n)
            break;
        if (u[i] < 0x80) {
            json_escape_byte(b, u[i]);
            i++;
            continue;
        }
        size_t seq = ag_utf8_seq_len(u + i, n - i);
        if (seq == 0) {
            ag_buf_put(b, "\\ufffd", 6);
            i++;
        } else if (ag_unicode_hidden(utf8_decode(u + i, seq))) {
            /* C1 controls (CSI among them), bidi and invisible characters:
             * the same string to a JSON parser, but not raw on a screen
             * that shows the file. */
            json_escape_cp(b, utf8_decode(u + i, seq));
            i += seq;
        } else {
            ag_buf_put(b, s + i, seq);
            i += seq;
        }
    }
    ag_buf_putc(b, '"');
}

static void text_escape_byte(struct ag_buf *b, unsigned char c)
{
    char e[4] = {'\\', 'x', hex[c >> 4], hex[c & 15]};
    ag_buf_put(b, e, sizeof e);
}

static void text_escape(struct ag_buf *b, const char *s, size_t n, int double_backslash)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        unsigned char c = u[i];
        if (c >= 0x20 && c < 0x7f) {
            if (c == '\\' && double_backslash)
                ag_buf_putc(b, '\\');
            ag_buf_putc(b, (char)c);
            i++;
            continue;
        }
        size_t seq = c >= 0x80 ? ag_utf8_seq_len(u + i, n - i) : 0;
        if (seq == 0 || (seq == 2 && c == 0xc2 && u[i + 1] < 0xa0)) {
            text_escape_byte(b, c);
            i++;
        } else if (ag_unicode_hidden(utf8_decode(u + i, seq))) {
            text_escape_cp(b, utf8_decode(u + i, seq));
            i += seq;
        } else {
            ag_buf_put(b, s + i, seq);
            i += seq;
        }
    }
}

void ag_buf_text_safe(struct ag_buf *b, const char *s, size_t n)
{
    text_escape(b, s, n, 1);
}

void ag_buf_text_visible(struct ag_buf *b, const char *s, size_t n)
{
    text_escape(b, s, n, 0);
}

const char *ag_buf_cstr(struct ag_buf *b)
{
    if (b->cap == 0)
        return "";
    if (b->len >= b->cap) {
        b->overflow = 1;
        b->len = b->cap - 1;
    }
    b->p[b->len] = '\0';
    return b->p;
}

/* Inverse of days_from_civil (H. Hinnant's algorithm): no libc, no zone. */
static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static void put_2(struct ag_buf *b, unsigned v, char sep)
{
    char t[3] = {(char)('0' + v / 10 % 10), (char)('0' + v % 10), sep};
    ag_buf_put(b, t, sep ? 3 : 2);
}

void ag_buf_put_time(struct ag_buf *b, int64_t ms)
{
    int64_t s = ms >= 0 ? ms / 1000 : (ms - 999) / 1000;
    unsigned frac = (unsigned)(ms - s * 1000);
    int64_t days = s >= 0 ? s / 86400 : (s - 86399) / 86400;
    unsigned sod = (unsigned)(s - days * 86400);
    int64_t y;
    unsigned m, d;
    civil_from_days(days, &y, &m, &d);
    ag_buf_put_i64(b, y);
    ag_buf_putc(b, '-');
    put_2(b, m, '-');
    put_2(b, d, 'T');
    put_2(b, sod / 3600, ':');
    put_2(b, sod / 60 % 60, ':');
    put_2(b, sod % 60, '.');
    char f[3] = {(char)('0' + frac / 100), (char)('0' + frac / 10 % 10),
                 (char)('0' + frac % 10)};
    ag_buf_put(b, f, 3);
    ag_buf_putc(b, 'Z');
}
