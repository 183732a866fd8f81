/* syslog.c - the syslog header of a raw line: time, host, program, pid, and
 * where the message starts. RFC 3164 (with or without <PRI>, journalctl's
 * zero-padded days and fractions), RFC 3339 / ISO 8601 (rsyslog's Debian 12
 * default and journalctl -o short-iso) and RFC 5424 with structured data.
 *
 * Every line goes through here, so the parser works at fixed offsets and
 * with plain arithmetic: no sscanf, no strtol, no mktime except on a time
 * zone cache miss (once per local hour). */
#include "filters/syslog.h"

#include <limits.h>
#include <string.h>
#include <time.h>

#include "filters/match.h"

#define SECS_PER_DAY 86400
#define MS_PER_DAY (SECS_PER_DAY * 1000LL)

/* Syslog tags are 32 bytes by RFC 3164 and 48 by RFC 5424; rsyslog allows
 * more. Anything longer is not a tag but a message without one. */
#define TAG_MAX 64
/* A pid in brackets: 10 digits hold any 32-bit pid; allow a little slack for
 * odd tags such as "[pid.tid]" before giving up on the tag. */
#define PID_FIELD_MAX 16

/* ---- calendar ---------------------------------------------------------- */

/* Howard Hinnant's days_from_civil: exact for the proleptic Gregorian
 * calendar, branch-light, no table. */
int64_t ag_days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

/* The inverse, for the few places that need a date from a day number. */
static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = (unsigned)(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* ---- time zone cache ---------------------------------------------------- */

void ag_tzcache_init(struct ag_tzcache *tz)
{
    memset(tz, 0, sizeof *tz);
    memset(tz->iso_minute, 0xff, sizeof tz->iso_minute); /* matches no timestamp */
    for (int i = 0; i < AG_TZCACHE_SLOTS; i++)
        tz->hour[i] = INT64_MIN;
    tz->year_first_day = 1; /* empty range: the first arrival fills it */
    tz->year_end_day = 0;
}

void ag_tzcache_set_fixed(struct ag_tzcache *tz, int32_t offset_s)
{
    tz->fixed = 1;
    tz->fixed_offset = offset_s;
}

/* The zone offset in effect at a local wall-clock hour, from mktime(). For
 * the hour that repeats when clocks go back, mktime picks one of the two:
 * a BSD timestamp cannot tell them apart anyway. */
static int32_t offset_from_libc(int64_t local_hour)
{
    int64_t y;
    unsigned m, d;
    civil_from_days(floor_div(local_hour, 24), &y, &m, &d);
    if (y < 1900 || y > 9999)
        return 0;
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    tm.tm_year = (int)(y - 1900);
    tm.tm_mon = (int)m - 1;
    tm.tm_mday = (int)d;
    tm.tm_hour = (int)(local_hour - floor_div(local_hour, 24) * 24);
    tm.tm_isdst = -1;
    time_t t = mktime(&tm);
    if (t == (time_t)-1)
        return 0;
    return (int32_t)(local_hour * 3600 - (int64_t)t);
}

static int32_t tz_offset(struct ag_tzcache *tz, int64_t local_secs)
{
    if (tz->fixed)
        return tz->fixed_offset;
    int64_t hour = floor_div(local_secs, 3600);
    unsigned slot = (unsigned)(hour & (AG_TZCACHE_SLOTS - 1));
    if (tz->hour[slot] != hour) {
        tz->offset[slot] = offset_from_libc(hour);
        tz->hour[slot] = hour;
    }
    return tz->offset[slot];
}

/* Calendar year (UTC) of an arrival time, cached by day range. */
static int32_t arrival_year(struct ag_tzcache *tz, int64_t arrival_ms)
{
    int64_t day = floor_div(arrival_ms, MS_PER_DAY);
    if (day < tz->year_first_day || day >= tz->year_end_day) {
        int64_t y;
        unsigned m, d;
        civil_from_days(day, &y, &m, &d);
        tz->year = (int32_t)y;
        tz->year_first_day = ag_days_from_civil(y, 1, 1);
        tz->year_end_day = ag_days_from_civil(y + 1, 1, 1);
    }
    return tz->year;
}

/* ---- small fixed-width readers ----------------------------------------- */

static int is_digit(char c)
{
    return (unsigned char)(c - '0') < 10;
}

/* Two decimal digits at p, or -1. */
static int d2(const char *p)
{
    if (!is_digit(p[0]) || !is_digit(p[1]))
        return -1;
    return (p[0] - '0') * 10 + (p[1] - '0');
}

/* Skips ".ddd..." at *i and returns the milliseconds it holds (0 when
 * absent). Digits beyond the third are read and dropped: rsyslog writes
 * microseconds, journalctl too, some relays nanoseconds. */
static int fraction_ms(const char *s, size_t len, size_t *i)
{
    if (*i >= len || s[*i] != '.')
        return 0;
    size_t j = *i + 1;
    int ms = 0, nd = 0;
    /* The usual three or more digits: read three at fixed offsets, then
     * skip the rest, one test per byte. */
    if (len - j >= 3 && is_digit(s[j]) && is_digit(s[j + 1]) && is_digit(s[j + 2])) {
        ms = (s[j] - '0') * 100 + (s[j + 1] - '0') * 10 + (s[j + 2] - '0');
        j += 3;
        while (j < len && is_digit(s[j]))
            j++;
        *i = j;
        return ms;
    }
    while (j < len && is_digit(s[j])) {
        if (nd < 3)
            ms = ms * 10 + (s[j] - '0');
        nd++;
        j++;
    }
    if (nd == 0)
        return 0; /* a lone '.' is not ours: leave it for the caller to reject */
    for (; nd < 3; nd++)
        ms *= 10;
    *i = j;
    return ms;
}

/* ---- timestamps ---------------------------------------------------------- */

/* "Jan".."Dec" -> 1..12, 0 otherwise; one switch on the first letter. */
static unsigned month_number(const char *p)
{
    switch (p[0]) {
    case 'J':
        if (p[1] == 'a' && p[2] == 'n') return 1;
        if (p[1] == 'u' && p[2] == 'n') return 6;
        if (p[1] == 'u' && p[2] == 'l') return 7;
        return 0;
    case 'F': return p[1] == 'e' && p[2] == 'b' ? 2 : 0;
    case 'M':
        if (p[1] != 'a') return 0;
        return p[2] == 'r' ? 3 : p[2] == 'y' ? 5 : 0;
    case 'A':
        if (p[1] == 'p' && p[2] == 'r') return 4;
        if (p[1] == 'u' && p[2] == 'g') return 8;
        return 0;
    case 'S': return p[1] == 'e' && p[2] == 'p' ? 9 : 0;
    case 'O': return p[1] == 'c' && p[2] == 't' ? 10 : 0;
    case 'N': return p[1] == 'o' && p[2] == 'v' ? 11 : 0;
    case 'D': return p[1] == 'e' && p[2] == 'c' ? 12 : 0;
    default: return 0;
    }
}

static int clock_ok(int h, int mi, int s)
{
    return h >= 0 && h < 24 && mi >= 0 && mi < 60 && s >= 0 && s <= 60;
}

/* A local wall-clock time as UTC epoch ms through the zone cache. */
static int64_t local_to_utc_ms(struct ag_tzcache *tz, int64_t y, unsigned mo,
                               unsigned d, int h, int mi, int s, int ms)
{
    int64_t local = ag_days_from_civil(y, mo, d) * SECS_PER_DAY + h * 3600 + mi * 60 + s;
    return (local - tz_offset(tz, local)) * 1000 + ms;
}

/* BSD: "Mmm dd hh:mm:ss" at s[*i], day space- or zero-padded or bare
 * ("Nov  9", "Nov 09", "Nov 9"), optionally ".frac". No year, no zone: the
 * arrival year in the local zone, or the year before when that would put
 * the event more than a day after arrival (a Dec 31 line read on Jan 1),
 * or the year after when the arrival is still Dec 31 in UTC but the event
 * is already Jan 1 in the local zone. */
static int parse_bsd_time(struct ag_tzcache *tz, const char *s, size_t len, size_t *i,
                          int64_t arrival_ms, int64_t *out_ms)
{
    const char *p = s + *i;
    size_t avail = len - *i;
    if (avail < 15 || p[3] != ' ')
        return -1;
    unsigned mo = month_number(p);
    if (mo == 0)
        return -1;
    int d;
    size_t k; /* offset of the clock */
    if (p[4] == ' ' && is_digit(p[5]) && p[6] == ' ') {
        d = p[5] - '0';
        k = 7;
    } else if (is_digit(p[4]) && p[5] == ' ') {
        d = p[4] - '0';
        k = 6;
    } else if ((d = d2(p + 4)) >= 0 && p[6] == ' ') {
        k = 7;
    } else {
        return -1;
    }
    if (avail < k + 8 || d < 1 || d > 31 || p[k + 2] != ':' || p[k + 5] != ':')
        return -1;
    int h = d2(p + k), mi = d2(p + k + 3), sec = d2(p + k + 6);
    if (!clock_ok(h, mi, sec))
        return -1;
    size_t j = *i + k + 8;
    int ms = fraction_ms(s, len, &j);

    int64_t y = arrival_year(tz, arrival_ms);
    int64_t t = local_to_utc_ms(tz, y, mo, (unsigned)d, h, mi, sec, ms);
    int64_t limit = arrival_ms + MS_PER_DAY;
    if (t > limit)
        t = local_to_utc_ms(tz, y - 1, mo, (unsigned)d, h, mi, sec, ms);
    else if (mo == 1 && t + 300 * MS_PER_DAY < arrival_ms) {
        int64_t next = local_to_utc_ms(tz, y + 1, mo, (unsigned)d, h, mi, sec, ms);
        if (next <= limit)
            t = next;
    }
    *out_ms = t;
    *i = j;
    return 0;
}

/* "+hh:mm", "+hhmm", "Z": seconds east of UTC. Returns 0 and advances, 1
 * when there is no zone (local time), -1 when malformed. */
static int zone_offset(const char *s, size_t len, size_t *i, int32_t *off)
{
    if (*i >= len)
        return 1;
    char c = s[*i];
    if (c == 'Z' || c == 'z') {
        *off = 0;
        (*i)++;
        return 0;
    }
    if (c != '+' && c != '-')
        return 1;
    size_t j = *i + 1;
    if (len - j < 4)
        return -1;
    int hh = d2(s + j);
    j += 2;
    if (s[j] == ':')
        j++;
    if (len - j < 2)
        return -1;
    int mm = d2(s + j);
    j += 2;
    if (hh < 0 || mm < 0 || hh > 23 || mm > 59)
        return -1;
    *off = (hh * 3600 + mm * 60) * (c == '-' ? -1 : 1);
    *i = j;
    return 0;
}

/* RFC 3339: "YYYY-MM-DDThh:mm:ss[.frac](Z|+hh:mm|+hhmm)". Without a zone
 * (some relays drop it) the time is local. */
static int finish_iso_time(struct ag_tzcache *tz, const char *s, size_t len, size_t *i,
                           int64_t wall_s, int64_t *out_ms);

static int parse_iso_time(struct ag_tzcache *tz, const char *s, size_t len, size_t *i,
                          int64_t *out_ms)
{
    const char *p = s + *i;
    if (len - *i < 19 || p[16] != ':')
        return -1;
    if (memcmp(p, tz->iso_minute, 16) == 0) {
        int sec = d2(p + 17);
        if (sec < 0 || sec > 60)
            return -1;
        return finish_iso_time(tz, s, len, i, tz->iso_minute_s + sec, out_ms);
    }
    if (p[4] != '-' || p[7] != '-' || p[10] != 'T' || p[13] != ':')
        return -1;
    int yh = d2(p), yl = d2(p + 2), mo = d2(p + 5), d = d2(p + 8);
    int h = d2(p + 11), mi = d2(p + 14), sec = d2(p + 17);
    if (yh < 0 || yl < 0 || mo < 1 || mo > 12 || d < 1 || d > 31 || !clock_ok(h, mi, sec))
        return -1;
    int64_t wall = ag_days_from_civil(yh * 100 + yl, (unsigned)mo, (unsigned)d) * SECS_PER_DAY +
                   h * 3600 + mi * 60;
    memcpy(tz->iso_minute, p, 16);
    tz->iso_minute_s = wall;
    return finish_iso_time(tz, s, len, i, wall + sec, out_ms);
}

/* The fraction and zone after "YYYY-MM-DDTHH:MM:SS"; wall_s is the local
 * wall-clock time as seconds since the epoch. */
static int finish_iso_time(struct ag_tzcache *tz, const char *s, size_t len, size_t *i,
                           int64_t wall_s, int64_t *out_ms)
{
    size_t j = *i + 19;
    int ms = fraction_ms(s, len, &j);
    int32_t off = 0;
    if (tz->iso_zone_ok && len - j >= 6 && memcmp(s + j, tz->iso_zone, 6) == 0) {
        off = tz->iso_zone_off;
        j += 6;
    } else {
        size_t z0 = j;
        int z = zone_offset(s, len, &j, &off);
        if (z < 0)
            return -1;
        if (z > 0) /* no zone: the local one */
            off = tz_offset(tz, wall_s);
        else if (j - z0 == 6 && s[z0 + 3] == ':') {
            memcpy(tz->iso_zone, s + z0, 6);
            tz->iso_zone_off = off;
            tz->iso_zone_ok = 1;
        }
    }
    *out_ms = (wall_s - off) * 1000 + ms;
    *i = j;
    return 0;
}

/* ---- header fields ------------------------------------------------------- */

static struct ag_span span_of(size_t off, size_t len)
{
    struct ag_span sp = {(uint16_t)off, (uint16_t)len};
    return sp;
}

/* "<PRI>": 1-3 digits, at most 191 (facility 23, severity 7). */
static int parse_pri(const char *s, size_t len, size_t *i, int16_t *pri)
{
    if (len < 3 || s[0] != '<')
        return 0;
    size_t j = 1;
    int v = 0;
    while (j < len && j <= 3 && is_digit(s[j]))
        v = v * 10 + (s[j++] - '0');
    if (j == 1 || j >= len || s[j] != '>' || v > 191)
        return -1;
    *pri = (int16_t)v;
    *i = j + 1;
    return 0;
}

/* The next space-delimited token at *i; the space after it is consumed. */
static int next_token(const char *s, size_t len, size_t *i, size_t *tok, size_t *tlen)
{
    if (*i >= len)
        return -1;
    const char *sp = memchr(s + *i, ' ', len - *i);
    if (sp == NULL)
        return -1;
    *tok = *i;
    *tlen = (size_t)(sp - s) - *i;
    *i = (size_t)(sp - s) + 1;
    return *tlen > 0 ? 0 : -1;
}

/* Decimal pid; anything else (empty, letters, overflow) reads as 0. */
static uint32_t pid_value(const char *p, size_t n)
{
    if (n == 0 || n > 10)
        return 0;
    uint64_t v = 0;
    for (size_t k = 0; k < n; k++) {
        if (!is_digit(p[k]))
            return 0;
        v = v * 10 + (uint64_t)(p[k] - '0');
    }
    return v > UINT32_MAX ? 0 : (uint32_t)v;
}

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define SWAR_ONES 0x0101010101010101ULL
#define SWAR_HIGHS 0x8080808080808080ULL
/* Nonzero where a byte of w equals the byte of m (a byte repeated 8 times):
 * the high bit of that byte, exact for the lowest such byte. */
static inline uint64_t swar_eq(uint64_t w, uint64_t m)
{
    uint64_t x = w ^ m;
    return (x - SWAR_ONES) & ~x & SWAR_HIGHS;
}
#endif

/* The first byte in [p, e) that is a, b or c, or e: eight bytes a step
 * where the line allows, since every line's host and tag are scanned. */
static const char *find_any3(const char *p, const char *e, char a, char b, char c)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    const uint64_t ma = SWAR_ONES * (unsigned char)a, mb = SWAR_ONES * (unsigned char)b,
                   mc = SWAR_ONES * (unsigned char)c;
    while (e - p >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        uint64_t hit = swar_eq(w, ma) | swar_eq(w, mb) | swar_eq(w, mc);
        if (hit != 0)
            return p + (__builtin_ctzll(hit) >> 3);
        p += 8;
    }
#endif
    while (p < e && *p != a && *p != b && *p != c)
        p++;
    return p;
}

/* "[pid]" with s[i] == '[': the pid (0 when not all digits) and the offset
 * after ']', or -1 when no ']' comes within PID_FIELD_MAX bytes. */
static int parse_pid(const char *s, size_t len, size_t *i, uint32_t *pid)
{
    size_t p0 = ++*i, k = p0;
    size_t plim = len - k < PID_FIELD_MAX ? len : k + PID_FIELD_MAX;
    uint64_t v = 0;
    while (k < plim && is_digit(s[k]))
        v = v * 10 + (uint64_t)(s[k++] - '0'); /* at most 16 digits: no overflow */
    if (k < plim && s[k] == ']') {
        *pid = k - p0 == 0 || k - p0 > 10 || v > UINT32_MAX ? 0 : (uint32_t)v;
    } else {
        while (k < plim && s[k] != ']')
            k++;
        if (k >= plim)
            return -1;
        *pid = 0; /* letters, "pid.tid": not a pid */
    }
    *i = k + 1;
    return 0;
}

/* "prog[pid]: " or "prog: " at s[*i]; sets program, pid and msg. */
static int parse_tag(const char *s, size_t len, size_t i, struct ag_syslog_hdr *h)
{
    size_t start = i;
    size_t lim = len - i < TAG_MAX ? len : i + TAG_MAX;
    i = (size_t)(find_any3(s + i, s + lim, '[', ':', ' ') - s);
    if (i == start || i >= lim)
        return -1;
    h->program = span_of(start, i - start);
    if (s[i] == '[' && parse_pid(s, len, &i, &h->pid) < 0)
        return -1;
    if (i >= len || s[i] != ':')
        return -1;
    i++;
    if (i < len && s[i] == ' ')
        i++;
    h->msg = span_of(i, len - i);
    return 0;
}

/* After a BSD or ISO time: "host tag: msg". Some local writers omit the
 * host ("Nov  9 04:07:51 sshd[1]: ..."); a first token that already carries
 * the tag's '[' or ':' is taken as the tag. One scan finds the token's
 * first space or '['. */
static int parse_host_and_tag(const char *s, size_t len, size_t i, struct ag_syslog_hdr *h)
{
    if (i >= len || s[i] != ' ')
        return -1;
    i++;
    const char *t = s + i, *e = s + len;
    const char *q = ag_find_either(t, e, ' ', '[');
    if (q == e || q == t)
        return -1; /* no space after it, or an empty token */
    if (*q == '[') {
        if (memchr(q, ' ', (size_t)(e - q)) == NULL)
            return -1; /* a token without a space after it */
        return parse_tag(s, len, i, h);
    }
    if (q[-1] == ':')
        return parse_tag(s, len, i, h);
    h->host = span_of(i, (size_t)(q - t));
    return parse_tag(s, len, (size_t)(q - s) + 1, h);
}

/* An RFC 5424 header field: "-" is the nil value. */
static int nil_or_token(const char *s, size_t len, size_t *i, struct ag_span *out)
{
    size_t tok, tlen;
    if (next_token(s, len, i, &tok, &tlen) < 0)
        return -1;
    *out = (tlen == 1 && s[tok] == '-') ? span_of(tok, 0) : span_of(tok, tlen);
    return 0;
}

/* STRUCTURED-DATA: "-" or one or more "[id k="v" ...]". Inside a quoted
 * value '\' escapes '"', '\' and ']', so a ']' in a value does not end the
 * element. */
static int skip_structured_data(const char *s, size_t len, size_t *i)
{
    size_t j = *i;
    if (j < len && s[j] == '-') {
        *i = j + 1;
        return 0;
    }
    if (j >= len || s[j] != '[')
        return -1;
    while (j < len && s[j] == '[') {
        int quoted = 0;
        for (j++; j < len; j++) {
            char c = s[j];
            if (quoted) {
                if (c == '\\')
                    j++; /* the loop's j++ then skips the escaped byte */
                else if (c == '"')
                    quoted = 0;
            } else if (c == '"') {
                quoted = 1;
            } else if (c == ']') {
                break;
            }
        }
        if (j >= len)
            return -1; /* unterminated element: a truncated line */
        j++;
    }
    *i = j;
    return 0;
}

/* "<PRI>1 TIMESTAMP HOST APP PROCID MSGID SD [MSG]", version already seen. */
static int parse_rfc5424(struct ag_tzcache *tz, const char *s, size_t len, size_t i,
                         struct ag_syslog_hdr *h)
{
    if (i < len && s[i] == '-') {
        i++;
    } else {
        int64_t t;
        if (parse_iso_time(tz, s, len, &i, &t) < 0)
            return -1;
        h->time_ms = t;
        h->has_time = 1;
    }
    if (i >= len || s[i] != ' ')
        return -1;
    i++;
    struct ag_span procid, msgid;
    if (nil_or_token(s, len, &i, &h->host) < 0 ||
        nil_or_token(s, len, &i, &h->program) < 0 ||
        nil_or_token(s, len, &i, &procid) < 0 ||
        nil_or_token(s, len, &i, &msgid) < 0)
        return -1;
    h->pid = pid_value(s + procid.off, procid.len);
    if (skip_structured_data(s, len, &i) < 0)
        return -1;
    if (i < len && s[i] == ' ')
        i++;
    /* RFC 5424 6.4: a UTF-8 message may start with a BOM. */
    if (len - i >= 3 && memcmp(s + i, "\xEF\xBB\xBF", 3) == 0)
        i += 3;
    h->msg = span_of(i, len - i);
    return 0;
}

int ag_syslog_parse(struct ag_tzcache *tz, const char *line, size_t len,
                    int64_t arrival_ms, struct ag_syslog_hdr *h)
{
    memset(h, 0, sizeof *h);
    h->pri = -1;
    if (len == 0 || len > AG_LINE_MAX)
        return -1;
    size_t i = 0;
    if (parse_pri(line, len, &i, &h->pri) < 0)
        return -1;

    /* After <PRI>, "1 " (a version) means RFC 5424; BSD starts with a month
     * name and ISO with four digits and a dash. */
    if (i > 0 && len - i >= 2 && is_digit(line[i]) &&
        (line[i + 1] == ' ' || (len - i >= 3 && is_digit(line[i + 1]) && line[i + 2] == ' '))) {
        i += line[i + 1] == ' ' ? 2 : 3;
        return parse_rfc5424(tz, line, len, i, h);
    }
    if (i >= len)
        return -1; /* a bare "<PRI>" */
    int64_t t;
    if (is_digit(line[i])) {
        if (parse_iso_time(tz, line, len, &i, &t) < 0)
            return -1;
    } else if (parse_bsd_time(tz, line, len, &i, arrival_ms, &t) < 0) {
        return -1;
    }
    h->time_ms = t;
    h->has_time = 1;
    return parse_host_and_tag(line, len, i, h);
}
