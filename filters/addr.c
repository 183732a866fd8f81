/* addr.c - strict IPv4/IPv6 parsing, RFC 5952 formatting, /64 prefixes and
 * CIDR matching for source addresses taken from auth logs.
 *
 * Strict on purpose: the text comes from log lines an attacker partly writes,
 * and a lenient parser (inet_aton takes "1.2.3", "0x7f.1", "010.0.0.1") would
 * turn garbage into a real address that then gets counted or blocked. */
#include "filters/addr.h"

#include <string.h>

/* "%zone" suffixes (fe80::1%eth0) are kept short by every OS: IFNAMSIZ is 16
 * on Linux, and a numeric scope id fits in 10 digits. */
#define AG_ZONE_MAX 32

static inline int ag_addr_digit(char c)
{
    return (unsigned char)(c - '0') < 10;
}

/* Dotted quad, exactly four decimal parts of 1-3 digits, each <= 255, no
 * leading zero (01.2.3.4 is octal to inet_aton, so its meaning is unclear:
 * reject rather than guess). */
static int parse_ipv4(const char *s, size_t len, uint8_t out[4])
{
    if (len < 7 || len > 15)
        return -1; /* "1.2.3.4" to "255.255.255.255" */
    const char *p = s, *e = s + len;
    for (int part = 0; part < 4; part++) {
        if (part > 0 && (p == e || *p++ != '.'))
            return -1;
        if (p == e || !ag_addr_digit(*p))
            return -1;
        unsigned v = (unsigned)(*p++ - '0');
        if (p < e && ag_addr_digit(*p)) {
            if (v == 0)
                return -1; /* a leading zero */
            v = v * 10 + (unsigned)(*p++ - '0');
            if (p < e && ag_addr_digit(*p))
                v = v * 10 + (unsigned)(*p++ - '0');
        }
        if (v > 255)
            return -1;
        out[part] = (uint8_t)v;
    }
    return p == e ? 0 : -1;
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* A zone id is an interface name or number: printable, no spaces, no
 * delimiters that would show the token is really something else. */
static int zone_ok(const char *z, size_t len)
{
    if (len == 0 || len > AG_ZONE_MAX)
        return 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)z[i];
        if (c <= ' ' || c >= 0x7f || c == '%' || c == '[' || c == ']' || c == '/')
            return 0;
    }
    return 1;
}

/* RFC 4291 section 2.2 text forms: up to eight 16-bit hex groups, one "::"
 * standing for one or more zero groups, optionally ending in a dotted quad
 * for the low 32 bits. */
static int parse_ipv6(const char *s, size_t len, uint8_t out[16])
{
    uint8_t b[16];
    int ngroups = 0;   /* 16-bit groups written to b */
    int gap = -1;      /* group index where "::" stands, or -1 */
    size_t i = 0;

    if (len < 2)
        return -1;
    if (s[0] == ':') {
        if (s[1] != ':')
            return -1; /* a single leading colon */
        gap = 0;
        i = 2;
        if (i == len)
            goto done; /* "::" */
    }
    for (;;) {
        size_t start = i;
        unsigned v = 0;
        while (i < len && i - start < 4) {
            int h = hex_value(s[i]);
            if (h < 0)
                break;
            v = (v << 4) | (unsigned)h;
            i++;
        }
        if (i == start)
            return -1; /* empty group: ":::" or a trailing single ':' */
        if (i < len && s[i] == '.') {
            /* Embedded IPv4: the rest of the text is a dotted quad and takes
             * the last two groups. */
            if (ngroups > 6)
                return -1;
            if (parse_ipv4(s + start, len - start, b + ngroups * 2) < 0)
                return -1;
            ngroups += 2;
            break;
        }
        if (ngroups >= 8)
            return -1;
        b[ngroups * 2] = (uint8_t)(v >> 8);
        b[ngroups * 2 + 1] = (uint8_t)v;
        ngroups++;
        if (i == len)
            break;
        if (s[i] != ':')
            return -1; /* a 5th hex digit, or any other byte */
        i++;
        if (i < len && s[i] == ':') {
            if (gap >= 0)
                return -1; /* a second "::" */
            gap = ngroups;
            i++;
            if (i == len)
                break; /* trailing "::" */
        } else if (i == len) {
            return -1; /* trailing single ':' */
        }
    }
done:
    if (gap < 0) {
        if (ngroups != 8)
            return -1;
        memcpy(out, b, 16);
        return 0;
    }
    /* "::" must stand for at least one group (RFC 4291 allows "::" only for
     * one or more; RFC 5952 prints a lone zero group, but inputs with "::"
     * and eight explicit groups are malformed). */
    if (ngroups > 7)
        return -1;
    int tail = ngroups - gap;
    memset(out, 0, 16);
    memcpy(out, b, (size_t)gap * 2);
    memcpy(out + 16 - tail * 2, b + gap * 2, (size_t)tail * 2);
    return 0;
}

static const uint8_t v4mapped_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

int ag_addr_parse(const char *s, size_t len, struct ag_addr *out)
{
    if (len >= 2 && s[0] == '[' && s[len - 1] == ']') {
        s++;
        len -= 2;
    }
    if (len == 0 || len > AG_ADDR_STRLEN + 1 + AG_ZONE_MAX)
        return -1;

    /* A dotted quad first: the common case, and text that parses as one
     * holds digits and dots only. Otherwise a colon in the text means IPv6,
     * and without one it is nothing. */
    uint8_t v4[4];
    if (parse_ipv4(s, len, v4) == 0) {
        memset(out, 0, sizeof *out);
        out->af = AG_AF_INET;
        memcpy(out->b, v4, 4);
        return 0;
    }
    if (memchr(s, ':', len) == NULL)
        return -1;

    const char *pct = memchr(s, '%', len);
    if (pct != NULL) {
        size_t zlen = len - (size_t)(pct - s) - 1;
        if (!zone_ok(pct + 1, zlen))
            return -1;
        len = (size_t)(pct - s);
    }
    uint8_t v6[16];
    if (parse_ipv6(s, len, v6) < 0)
        return -1;
    memset(out, 0, sizeof *out);
    if (memcmp(v6, v4mapped_prefix, sizeof v4mapped_prefix) == 0) {
        /* ::ffff:a.b.c.d is the same host as a.b.c.d (dual-stack sockets log
         * it that way); one attacker must map to one key. */
        out->af = AG_AF_INET;
        memcpy(out->b, v6 + 12, 4);
        return 0;
    }
    out->af = AG_AF_INET6;
    memcpy(out->b, v6, 16);
    return 0;
}

/* Decimal of a byte without leading zeros; returns the bytes written. */
static size_t put_u8(char *p, unsigned v)
{
    size_t n = 0;
    if (v >= 100)
        p[n++] = (char)('0' + v / 100);
    if (v >= 10)
        p[n++] = (char)('0' + v / 10 % 10);
    p[n++] = (char)('0' + v % 10);
    return n;
}

/* Lower-case hex of a 16-bit group without leading zeros (RFC 5952 4.1). */
static size_t put_hex16(char *p, unsigned v)
{
    static const char digits[] = "0123456789abcdef";
    size_t n = 0;
    int started = 0;
    for (int shift = 12; shift >= 0; shift -= 4) {
        unsigned d = (v >> shift) & 0xf;
        if (d != 0 || started || shift == 0) {
            p[n++] = digits[d];
            started = 1;
        }
    }
    return n;
}

/* RFC 5952 4.2: compress the longest run of two or more zero groups, the
 * first one on a tie; a single zero group is printed as "0". */
static void longest_zero_run(const unsigned g[8], int *best_at, int *best_len)
{
    *best_at = -1;
    *best_len = 1;
    for (int i = 0; i < 8;) {
        if (g[i] != 0) {
            i++;
            continue;
        }
        int j = i;
        while (j < 8 && g[j] == 0)
            j++;
        if (j - i > *best_len) {
            *best_at = i;
            *best_len = j - i;
        }
        i = j;
    }
}

size_t ag_addr_format(const struct ag_addr *a, char *buf)
{
    size_t n = 0;
    if (a->af == AG_AF_INET) {
        for (int i = 0; i < 4; i++) {
            if (i > 0)
                buf[n++] = '.';
            n += put_u8(buf + n, a->b[i]);
        }
        buf[n] = '\0';
        return n;
    }
    if (a->af != AG_AF_INET6) {
        buf[0] = '\0';
        return 0;
    }
    unsigned g[8];
    for (int i = 0; i < 8; i++)
        g[i] = (unsigned)a->b[2 * i] << 8 | a->b[2 * i + 1];
    int run_at, run_len;
    longest_zero_run(g, &run_at, &run_len);
    for (int i = 0; i < 8; i++) {
        if (i == run_at) {
            buf[n++] = ':';
            buf[n++] = ':';
            i += run_len - 1;
            continue;
        }
        if (i > 0 && i != run_at + run_len)
            buf[n++] = ':';
        n += put_hex16(buf + n, g[i]);
    }
    buf[n] = '\0';
    return n;
}

void ag_addr_prefix64(const struct ag_addr *a, struct ag_addr *out)
{
    *out = *a;
    if (a->af == AG_AF_INET6)
        memset(out->b + 8, 0, 8);
}

int ag_addr_equal(const struct ag_addr *a, const struct ag_addr *b)
{
    return a->af == b->af && memcmp(a->b, b->b, sizeof a->b) == 0;
}

int ag_addr_is_private(const struct ag_addr *a)
{
    const uint8_t *b = a->b;
    if (a->af == AG_AF_INET) {
        return b[0] == 10 ||                                 /* 10/8 */
               (b[0] == 172 && (b[1] & 0xf0) == 16) ||       /* 172.16/12 */
               (b[0] == 192 && b[1] == 168) ||               /* 192.168/16 */
               b[0] == 127 ||                                /* loopback */
               (b[0] == 169 && b[1] == 254) ||               /* link-local */
               b[0] == 0;                                    /* "this network" */
    }
    if (a->af == AG_AF_INET6) {
        static const uint8_t zero[15] = {0};
        if (memcmp(b, zero, 15) == 0 && (b[15] == 0 || b[15] == 1))
            return 1;                                        /* :: and ::1 */
        return (b[0] & 0xfe) == 0xfc ||                      /* ULA fc00::/7 */
               (b[0] == 0xfe && (b[1] & 0xc0) == 0x80);      /* fe80::/10 */
    }
    return 0;
}

static unsigned addr_bits(const struct ag_addr *a)
{
    return a->af == AG_AF_INET ? 32 : 128;
}

/* Clears every bit past the first `bits`, so that a CIDR written with host
 * bits set ("10.1.2.3/8") still means the network. */
static void mask_to(struct ag_addr *a, unsigned bits)
{
    unsigned nbytes = addr_bits(a) / 8;
    for (unsigned i = 0; i < nbytes; i++) {
        unsigned lo = i * 8;
        if (bits >= lo + 8)
            continue;
        a->b[i] &= bits <= lo ? 0 : (uint8_t)(0xff << (8 - (bits - lo)));
    }
}

int ag_cidr_parse(const char *s, size_t len, struct ag_cidr *out)
{
    const char *slash = memchr(s, '/', len);
    size_t alen = slash ? (size_t)(slash - s) : len;
    if (ag_addr_parse(s, alen, &out->net) < 0)
        return -1;
    unsigned max = addr_bits(&out->net);
    if (slash == NULL) {
        out->bits = (uint8_t)max;
        return 0;
    }
    const char *d = slash + 1;
    size_t dlen = len - alen - 1;
    if (dlen == 0 || dlen > 3 || (dlen > 1 && d[0] == '0'))
        return -1;
    unsigned bits = 0;
    for (size_t i = 0; i < dlen; i++) {
        if (d[i] < '0' || d[i] > '9')
            return -1;
        bits = bits * 10 + (unsigned)(d[i] - '0');
    }
    /* "::ffff:10.0.0.0/104" was folded to IPv4 by the parser: its prefix
     * length counts the 96 mapping bits, which IPv4 does not have. */
    if (out->net.af == AG_AF_INET && memchr(s, ':', alen) != NULL) {
        if (bits < 96)
            return -1;
        bits -= 96;
    }
    if (bits > max)
        return -1;
    out->bits = (uint8_t)bits;
    mask_to(&out->net, bits);
    return 0;
}

int ag_cidr_contains(const struct ag_cidr *c, const struct ag_addr *a)
{
    if (c->net.af != a->af)
        return 0;
    struct ag_addr masked = *a;
    mask_to(&masked, c->bits);
    return memcmp(masked.b, c->net.b, sizeof masked.b) == 0;
}
