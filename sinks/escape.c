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
        } else if (seq == 2 && u[i] == 0xc2 && u[i + 1] < 0xa0) {
            /* C1 controls (U+0080..U+009F) include CSI: escape them. */
            char e[6] = {'\\', 'u', '0', '0', hex[u[i + 1] >> 4], hex[u[i + 1] & 15]};
            ag_buf_put(b, e, sizeof e);
            i += 2;
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

void ag_buf_text_safe(struct ag_buf *b, const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        unsigned char c = u[i];
        if (c >= 0x20 && c < 0x7f) {
            if (c == '\\')
                ag_buf_putc(b, '\\');
            ag_buf_putc(b, (char)c);
            i++;
            continue;
        }
        size_t seq = c >= 0x80 ? ag_utf8_seq_len(u + i, n - i) : 0;
        if (seq == 0 || (seq == 2 && c == 0xc2 && u[i + 1] < 0xa0)) {
            text_escape_byte(b, c);
            i++;
        } else {
            ag_buf_put(b, s + i, seq);
            i += seq;
        }
    }
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
