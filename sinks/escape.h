/* escape.h - a bounded output buffer with the escapes authguard's outputs
 * need: JSON strings and terminal-safe text.
 *
 * Log text is attacker-written, so nothing from a line reaches an output
 * unescaped: JSON strings escape quotes, backslashes and every control byte,
 * and replace invalid UTF-8 with U+FFFD so a consumer's strict parser never
 * chokes; terminal text shows control bytes and ANSI escapes as \xNN so a
 * user name cannot repaint the analyst's screen. Both show the characters
 * that are invisible or move text around them (bidi overrides, zero-width
 * characters, line separators: ag_unicode_hidden) as \uXXXX, so a user
 * name cannot reorder or hide what the analyst reads. In JSON that is the
 * same string to any parser: nothing is lost, only kept off the screen of
 * whoever pages through the file.
 *
 * The buffer never grows: writes past the capacity set `overflow` and are
 * dropped, so formatting costs no allocation and a caller can tell. */
#ifndef AG_ESCAPE_H
#define AG_ESCAPE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct ag_buf {
    char *p;
    size_t len;
    size_t cap;
    int overflow;
};

static inline void ag_buf_init(struct ag_buf *b, char *mem, size_t cap)
{
    b->p = mem;
    b->len = 0;
    b->cap = cap;
    b->overflow = 0;
}

static inline void ag_buf_reset(struct ag_buf *b)
{
    b->len = 0;
    b->overflow = 0;
}

/* put, puts, putc and json_key are inline: an event renders through
 * about a hundred of them, and inlined, the length of a literal key or
 * piece of JSON is known when compiling. */
static inline void ag_buf_put(struct ag_buf *b, const char *s, size_t n)
{
    if (n > b->cap - b->len) {
        b->overflow = 1;
        return;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
}

static inline void ag_buf_puts(struct ag_buf *b, const char *s)
{
    ag_buf_put(b, s, strlen(s));
}

static inline void ag_buf_putc(struct ag_buf *b, char c)
{
    if (b->len >= b->cap) {
        b->overflow = 1;
        return;
    }
    b->p[b->len++] = c;
}

void ag_buf_put_u64(struct ag_buf *b, uint64_t v);
void ag_buf_put_i64(struct ag_buf *b, int64_t v);
/* printf-style, for cold paths only. */
void ag_buf_printf(struct ag_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* A JSON string literal, quotes included. */
void ag_buf_json_str(struct ag_buf *b, const char *s, size_t n);
/* "key": prefix, with a leading comma unless first. */
static inline void ag_buf_json_key(struct ag_buf *b, const char *key, int first)
{
    if (!first)
        ag_buf_putc(b, ',');
    ag_buf_putc(b, '"');
    ag_buf_puts(b, key);
    ag_buf_put(b, "\":", 2);
}

/* Text for a terminal or a mail body: printable ASCII and valid UTF-8 kept,
 * everything else (controls, ESC, DEL, invalid UTF-8, C1 controls) as \xNN,
 * hidden characters (ag_unicode_hidden) as \uXXXX or \UXXXXXXXX, backslash
 * doubled so the output is unambiguous. */
void ag_buf_text_safe(struct ag_buf *b, const char *s, size_t n);

/* The same for text that is escaped already, authguard's own summary whose
 * builder put every name through ag_buf_text_safe: backslashes are kept as
 * they are, so a name reads "ad\u202emin" once, not "ad\\u202emin", and
 * anything unsafe that got in anyway is still escaped. */
void ag_buf_text_visible(struct ag_buf *b, const char *s, size_t n);

/* 1 for a code point no person should get raw: C1 controls, format
 * characters (Cf: bidi controls U+202A-202E and U+2066-2069, U+061C,
 * zero-width U+200B-200F, U+2060-2064, U+FEFF, tags...), the line and
 * paragraph separators U+2028/2029, and the default-ignorable characters
 * that render as nothing (soft hyphen, Hangul fillers, U+180B-180F,
 * variation selectors). */
int ag_unicode_hidden(uint32_t cp);

/* Epoch milliseconds as ISO 8601 UTC, "2026-11-09T04:07:51.123Z". */
void ag_buf_put_time(struct ag_buf *b, int64_t ms);

/* NUL-terminates (within cap) and returns b->p. */
const char *ag_buf_cstr(struct ag_buf *b);

/* Length of the valid UTF-8 sequence at s (1-4), or 0 if invalid. Overlong
 * forms, surrogates and code points above U+10FFFF are invalid. */
size_t ag_utf8_seq_len(const unsigned char *s, size_t n);

#endif
