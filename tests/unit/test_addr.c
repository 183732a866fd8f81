/* test_addr.c - addr.c: strict IPv4/IPv6 parsing (malformed text gives no
 * address), IPv4-mapped folding, zone ids, RFC 5952 output, /64 prefixes,
 * private ranges and CIDR matching. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "filters/addr.h"
#include "tests/unit/ag_test.h"

/* Parses s from an exact-size heap copy so that ASan sees any overread. */
static int parse_exact(const char *s, struct ag_addr *a)
{
    size_t n = strlen(s);
    char *b = malloc(n ? n : 1);
    ck_assert_ptr_nonnull(b);
    memcpy(b, s, n);
    int rc = ag_addr_parse(b, n, a);
    free(b);
    return rc;
}

/* in parses and prints as out. */
static void expect_addr(const char *in, int af, const char *out)
{
    struct ag_addr a;
    ck_assert_msg(parse_exact(in, &a) == 0, "'%s' rejected", in);
    ck_assert_msg(a.af == af, "'%s': af %d, expected %d", in, a.af, af);
    char buf[AG_ADDR_STRLEN];
    size_t n = ag_addr_format(&a, buf);
    ck_assert_msg(strcmp(buf, out) == 0, "'%s' printed as '%s', expected '%s'", in, buf, out);
    ck_assert_uint_eq(n, strlen(out));
}

static void expect_reject(const char *in)
{
    struct ag_addr a;
    ck_assert_msg(parse_exact(in, &a) < 0, "'%s' accepted", in);
}

START_TEST(ipv4_valid)
{
    expect_addr("1.2.3.4", AG_AF_INET, "1.2.3.4");
    expect_addr("0.0.0.0", AG_AF_INET, "0.0.0.0");
    expect_addr("255.255.255.255", AG_AF_INET, "255.255.255.255");
    expect_addr("203.0.113.45", AG_AF_INET, "203.0.113.45");
    expect_addr("10.0.0.100", AG_AF_INET, "10.0.0.100");
    expect_addr("[192.0.2.1]", AG_AF_INET, "192.0.2.1");
    struct ag_addr a;
    ck_assert_int_eq(parse_exact("192.0.2.1", &a), 0);
    ck_assert_uint_eq(a.b[0], 192);
    ck_assert_uint_eq(a.b[3], 1);
    for (int i = 4; i < 16; i++)
        ck_assert_uint_eq(a.b[i], 0);
}
END_TEST

START_TEST(ipv4_malformed)
{
    static const char *const bad[] = {
        "999.1.1.1", "256.0.0.1", "1.2.3", "1.2.3.4.5", "01.2.3.4", "1.02.3.4", "1.2.3.004",
        "1..2.3", ".1.2.3", "1.2.3.", "", " 1.2.3.4", "1.2.3.4 ", "1.2.3.-4", "1.2.3.4/8",
        "1.2.3.4%eth0", "0x7f.0.0.1", "1234.1.1.1", "1.2.3.4a", "a.b.c.d", "[1.2.3.4",
        "1.2.3.4]", "[]", "1,2,3,4", "4294967295", "1.2.3.4:22",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        expect_reject(bad[i]);
}
END_TEST

START_TEST(ipv6_valid)
{
    expect_addr("::1", AG_AF_INET6, "::1");
    expect_addr("::", AG_AF_INET6, "::");
    expect_addr("2001:db8::1", AG_AF_INET6, "2001:db8::1");
    expect_addr("2001:DB8::A", AG_AF_INET6, "2001:db8::a");
    expect_addr("2001:0db8:0000:0000:0000:0000:0000:0001", AG_AF_INET6, "2001:db8::1");
    expect_addr("1:2:3:4:5:6:7:8", AG_AF_INET6, "1:2:3:4:5:6:7:8");
    expect_addr("1::", AG_AF_INET6, "1::");
    expect_addr("1:2:3:4:5:6:7::", AG_AF_INET6, "1:2:3:4:5:6:7:0");
    expect_addr("::2:3:4:5:6:7:8", AG_AF_INET6, "0:2:3:4:5:6:7:8");
    expect_addr("fe80::1%eth0", AG_AF_INET6, "fe80::1");
    expect_addr("fe80::1%2", AG_AF_INET6, "fe80::1");
    expect_addr("[2001:db8::2]", AG_AF_INET6, "2001:db8::2");
    expect_addr("1:2:3:4:5:6:1.2.3.4", AG_AF_INET6, "1:2:3:4:5:6:102:304");
    /* IPv4-compatible (deprecated) is not mapped: it stays IPv6. */
    expect_addr("::1.2.3.4", AG_AF_INET6, "::102:304");
}
END_TEST

START_TEST(ipv6_malformed)
{
    static const char *const bad[] = {
        "::1::2", "1:2:3:4:5:6:7:8:9", "12345::1", ":1", "1:", "1:::2", ":::",
        "fe80::1%", "fe80::1%eth 0", "fe80::1%a%b", "g::1", "1:2:3:4:5:6:7:1.2.3.4",
        "::ffff:1.2.3", "::ffff:999.1.1.1", "::ffff:01.2.3.4", "1::2:3:4:5:6:7:8",
        "1:2:3:4:5:6:7", "2001:db8::1 ", "[::1", "::1]", "2001:db8:::1",
        "1.2.3.4::", "::1.2.3.4:5", "0:0:0:0:0:0:0:0:0",
        "fe80::1%012345678901234567890123456789012", /* zone longer than any interface */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        expect_reject(bad[i]);
}
END_TEST

START_TEST(ipv4_mapped_folds_to_ipv4)
{
    expect_addr("::ffff:1.2.3.4", AG_AF_INET, "1.2.3.4");
    expect_addr("::FFFF:203.0.113.7", AG_AF_INET, "203.0.113.7");
    expect_addr("::ffff:0102:0304", AG_AF_INET, "1.2.3.4");
    expect_addr("0:0:0:0:0:ffff:c000:201", AG_AF_INET, "192.0.2.1");
    struct ag_addr a, b;
    ck_assert_int_eq(parse_exact("::ffff:198.51.100.9", &a), 0);
    ck_assert_int_eq(parse_exact("198.51.100.9", &b), 0);
    ck_assert(ag_addr_equal(&a, &b));
}
END_TEST

START_TEST(rfc5952_format)
{
    /* 4.2.2: one zero group is not compressed. */
    expect_addr("2001:db8:0:1:1:1:1:1", AG_AF_INET6, "2001:db8:0:1:1:1:1:1");
    /* 4.2.3: the longest run is compressed, the first on a tie. */
    expect_addr("2001:0:0:1:0:0:0:1", AG_AF_INET6, "2001:0:0:1::1");
    expect_addr("2001:db8:0:0:1:0:0:1", AG_AF_INET6, "2001:db8::1:0:0:1");
    /* 4.1: no leading zeros; 4.3: lower case. */
    expect_addr("2001:0DB8:00AB:000C::0001", AG_AF_INET6, "2001:db8:ab:c::1");
    expect_addr("0:0:0:0:0:0:0:0", AG_AF_INET6, "::");
    expect_addr("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", AG_AF_INET6,
                "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
    struct ag_addr none;
    memset(&none, 0, sizeof none);
    char buf[AG_ADDR_STRLEN];
    buf[0] = 'x';
    ck_assert_uint_eq(ag_addr_format(&none, buf), 0);
    ck_assert_str_eq(buf, "");
}
END_TEST

/* Any address, printed and parsed again, is the same address: the printer
 * and the parser agree on every byte pattern, zero runs included. */
START_TEST(format_parse_roundtrip)
{
    uint32_t seed = 12345;
    for (int i = 0; i < 20000; i++) {
        struct ag_addr a, b;
        memset(&a, 0, sizeof a);
        a.af = (i % 3 == 0) ? AG_AF_INET : AG_AF_INET6;
        int n = a.af == AG_AF_INET ? 4 : 16;
        for (int k = 0; k < n; k++) {
            seed = seed * 1103515245u + 12345u;
            /* Many zero bytes, so that zero runs of every length occur. */
            a.b[k] = (seed >> 16) % 3 == 0 ? (uint8_t)(seed >> 8) : 0;
        }
        if (a.af == AG_AF_INET6 && memcmp(a.b, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12) == 0)
            continue; /* mapped: folds to IPv4 by design */
        char buf[AG_ADDR_STRLEN];
        size_t len = ag_addr_format(&a, buf);
        ck_assert_uint_lt(len, AG_ADDR_STRLEN);
        ck_assert_msg(parse_exact(buf, &b) == 0, "'%s' does not parse back", buf);
        ck_assert_msg(ag_addr_equal(&a, &b), "'%s' parses to another address", buf);
    }
}
END_TEST

START_TEST(prefix64)
{
    struct ag_addr a, p, q;
    ck_assert_int_eq(parse_exact("2001:db8:dfd9:5689:1234:5678:9abc:def0", &a), 0);
    ag_addr_prefix64(&a, &p);
    char buf[AG_ADDR_STRLEN];
    ag_addr_format(&p, buf);
    ck_assert_str_eq(buf, "2001:db8:dfd9:5689::");
    ck_assert_int_eq(parse_exact("2001:db8:dfd9:5689::ffff", &a), 0);
    ag_addr_prefix64(&a, &q);
    ck_assert(ag_addr_equal(&p, &q));
    ck_assert_int_eq(parse_exact("203.0.113.9", &a), 0);
    ag_addr_prefix64(&a, &p);
    ck_assert(ag_addr_equal(&a, &p));
}
END_TEST

START_TEST(equal_needs_same_family)
{
    struct ag_addr a, b;
    ck_assert_int_eq(parse_exact("::1", &a), 0);
    ck_assert_int_eq(parse_exact("0.0.0.1", &b), 0);
    ck_assert(!ag_addr_equal(&a, &b));
    ck_assert_int_eq(parse_exact("0:0::1", &b), 0);
    ck_assert(ag_addr_equal(&a, &b));
}
END_TEST

START_TEST(private_ranges)
{
    static const struct {
        const char *a;
        int priv;
    } cases[] = {
        {"10.1.2.3", 1},      {"172.16.0.1", 1},   {"172.31.255.255", 1}, {"172.32.0.1", 0},
        {"172.15.0.1", 0},    {"192.168.1.1", 1},  {"192.169.1.1", 0},    {"127.0.0.1", 1},
        {"169.254.1.1", 1},   {"0.1.2.3", 1},      {"8.8.8.8", 0},        {"100.64.0.1", 0},
        {"192.0.2.1", 0},     {"224.0.0.1", 0},    {"::1", 1},            {"::", 1},
        {"fe80::1", 1},       {"febf::1", 1},      {"fec0::1", 0},        {"fc00::1", 1},
        {"fd12:3456::1", 1},  {"2001:db8::1", 0},  {"ff02::1", 0},        {"::2", 0},
        {"::ffff:10.0.0.1", 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct ag_addr a;
        ck_assert_int_eq(parse_exact(cases[i].a, &a), 0);
        ck_assert_msg(ag_addr_is_private(&a) == cases[i].priv, "%s: private should be %d",
                      cases[i].a, cases[i].priv);
    }
    struct ag_addr none;
    memset(&none, 0, sizeof none);
    ck_assert(!ag_addr_is_private(&none));
}
END_TEST

static int cidr_exact(const char *s, struct ag_cidr *c)
{
    size_t n = strlen(s);
    char *b = malloc(n ? n : 1);
    ck_assert_ptr_nonnull(b);
    memcpy(b, s, n);
    int rc = ag_cidr_parse(b, n, c);
    free(b);
    return rc;
}

static int in_cidr(const char *cidr, const char *addr)
{
    struct ag_cidr c;
    struct ag_addr a;
    ck_assert_msg(cidr_exact(cidr, &c) == 0, "cidr '%s' rejected", cidr);
    ck_assert_int_eq(parse_exact(addr, &a), 0);
    return ag_cidr_contains(&c, &a);
}

START_TEST(cidr)
{
    ck_assert(in_cidr("10.0.0.0/8", "10.255.1.2"));
    ck_assert(!in_cidr("10.0.0.0/8", "11.0.0.1"));
    ck_assert(in_cidr("10.1.2.3/8", "10.9.9.9")); /* host bits ignored */
    ck_assert(in_cidr("192.0.2.0/25", "192.0.2.127"));
    ck_assert(!in_cidr("192.0.2.0/25", "192.0.2.128"));
    ck_assert(in_cidr("0.0.0.0/0", "8.8.8.8"));
    ck_assert(in_cidr("203.0.113.9", "203.0.113.9"));
    ck_assert(!in_cidr("203.0.113.9", "203.0.113.10"));
    ck_assert(in_cidr("2001:db8::/32", "2001:db8:ffff::1"));
    ck_assert(!in_cidr("2001:db8::/32", "2001:db9::1"));
    ck_assert(in_cidr("2001:db8:1:2::/63", "2001:db8:1:3::1"));
    ck_assert(!in_cidr("2001:db8:1:2::/64", "2001:db8:1:3::1"));
    ck_assert(in_cidr("::/0", "2001:db8::1"));
    ck_assert(!in_cidr("::/0", "1.2.3.4")); /* families never mix */
    ck_assert(in_cidr("::ffff:10.0.0.0/104", "10.7.7.7"));

    struct ag_cidr c;
    ck_assert_int_eq(cidr_exact("10.0.0.0/8", &c), 0);
    ck_assert_uint_eq(c.bits, 8);
    ck_assert_int_eq(cidr_exact("2001:db8::1", &c), 0);
    ck_assert_uint_eq(c.bits, 128);
    static const char *const bad[] = {"10.0.0.0/33", "10.0.0.0/", "10.0.0.0/08", "::/129",
                                      "10.0.0.0/a", "10.0.0.0/8/8", "999.0.0.0/8",
                                      "::ffff:10.0.0.0/95", "/8", "10.0.0.0/-1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_msg(cidr_exact(bad[i], &c) < 0, "cidr '%s' accepted", bad[i]);
}
END_TEST

/* Random bytes never crash the parser, and whatever it accepts prints as
 * text that parses back to the same address. */
START_TEST(random_text)
{
    static const char alphabet[] = "0123456789abcdefABCDEF:.%[]/ x";
    uint32_t seed = 99;
    for (int i = 0; i < 200000; i++) {
        char s[48];
        seed = seed * 1103515245u + 12345u;
        size_t n = (seed >> 16) % sizeof s;
        for (size_t k = 0; k < n; k++) {
            seed = seed * 1103515245u + 12345u;
            s[k] = alphabet[(seed >> 16) % (sizeof alphabet - 1)];
        }
        char *b = malloc(n ? n : 1);
        memcpy(b, s, n);
        struct ag_addr a, again;
        if (ag_addr_parse(b, n, &a) == 0) {
            char txt[AG_ADDR_STRLEN];
            ag_addr_format(&a, txt);
            ck_assert_int_eq(ag_addr_parse(txt, strlen(txt), &again), 0);
            ck_assert(ag_addr_equal(&a, &again));
        }
        free(b);
    }
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("addr");
    TCase *tc = tcase_create("addr");
    tcase_add_test(tc, ipv4_valid);
    tcase_add_test(tc, ipv4_malformed);
    tcase_add_test(tc, ipv6_valid);
    tcase_add_test(tc, ipv6_malformed);
    tcase_add_test(tc, ipv4_mapped_folds_to_ipv4);
    tcase_add_test(tc, rfc5952_format);
    tcase_add_test(tc, format_parse_roundtrip);
    tcase_add_test(tc, prefix64);
    tcase_add_test(tc, equal_needs_same_family);
    tcase_add_test(tc, private_ranges);
    tcase_add_test(tc, cidr);
    tcase_add_test(tc, random_text);
    tcase_set_timeout(tc, 60);
    suite_add_tcase(s, tc);
    return s;
}

AG_TEST_MAIN
