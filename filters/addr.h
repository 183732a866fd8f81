/* addr.h - source addresses as they appear in auth logs.
 *
 * IPv4 and IPv6 are parsed strictly (a malformed address yields no address,
 * never a wrong one); IPv4-mapped IPv6 is folded to IPv4 so one attacker has
 * one key; IPv6 zone ids are accepted and dropped. */
#ifndef AG_ADDR_H
#define AG_ADDR_H

#include <stdint.h>
#include <stddef.h>

enum ag_af { AG_AF_NONE = 0, AG_AF_INET = 4, AG_AF_INET6 = 6 };

struct ag_addr {
    uint8_t af;        /* enum ag_af */
    uint8_t pad_[3];
    uint8_t b[16];     /* IPv4 in b[0..3], rest zero */
};

/* INET6_ADDRSTRLEN is 46; we never print zone ids. */
#define AG_ADDR_STRLEN 46

/* Parses exactly [s, s+len) as an IPv4 or IPv6 address (optionally
 * "%zone"-suffixed or [bracketed]). Returns 0 and fills *out, or -1. */
int ag_addr_parse(const char *s, size_t len, struct ag_addr *out);

/* Writes the canonical text form (RFC 5952 for IPv6) into buf, NUL-terminated.
 * Returns the length, or 0 for AG_AF_NONE. buf must hold AG_ADDR_STRLEN. */
size_t ag_addr_format(const struct ag_addr *a, char *buf);

/* The /64 prefix of an IPv6 address (low 64 bits cleared); IPv4 unchanged. */
void ag_addr_prefix64(const struct ag_addr *a, struct ag_addr *out);

int ag_addr_equal(const struct ag_addr *a, const struct ag_addr *b);

/* True for addresses no firewall rule should ever block on a host's behalf:
 * RFC 1918, loopback, link-local, 0.0.0.0/8, IPv6 ULA, :: and ::1.
 * Multicast, CGNAT (100.64/10) and documentation ranges are NOT included:
 * a source in them is odd but still a source. */
int ag_addr_is_private(const struct ag_addr *a);

/* CIDR: "10.0.0.0/8", "2001:db8::/32", or a bare address (full length). */
struct ag_cidr {
    struct ag_addr net;
    uint8_t bits;
};
int ag_cidr_parse(const char *s, size_t len, struct ag_cidr *out);
int ag_cidr_contains(const struct ag_cidr *c, const struct ag_addr *a);

#endif
