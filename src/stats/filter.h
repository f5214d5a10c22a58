/*
 * filter.h - a watcher's user-space packet filter: MAC, IP/CIDR, port
 * range, protocol and a PCRE2 regular expression on the payload, all of
 * which must match (an unset criterion matches everything).
 *
 * The optional BPF expression of a watcher is not here: it goes into the
 * kernel (source.c), so packets it rejects never reach user space.
 */
#ifndef NETSIFT_STATS_FILTER_H
#define NETSIFT_STATS_FILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../decode/packet.h"

struct cidr {
    uint8_t family; /* 0 unset, 4, 6 */
    uint8_t prefix; /* bits */
    uint8_t addr[16];
};

struct port_range {
    bool set;
    uint16_t lo, hi;
};

/* protocol criterion: an IP protocol number, or one of these */
enum { PROTO_ANY = -1, PROTO_ARP = 256, PROTO_IP4 = 257, PROTO_IP6 = 258 };

struct watch_filter {
    bool src_mac_set, dst_mac_set, mac_set;
    uint8_t src_mac[6], dst_mac[6], mac[6];     /* mac: either side */
    struct cidr src_ip, dst_ip, ip;             /* ip: either side */
    struct port_range src_port, dst_port, port; /* port: either side */
    int protocol;                               /* PROTO_ANY, PROTO_*, or 0..255 */
    void *re;                                   /* pcre2_code_8, NULL when none */
    void *match_data;                           /* pcre2_match_data_8 (one thread) */
    bool jit;                                   /* the expression is JIT-compiled */
};

/* Parsers of one criterion's text; 0, or -1 with a reason in err. */
int filter_parse_mac(const char *text, uint8_t mac[6], char *err, size_t errlen);
int filter_parse_cidr(const char *text, struct cidr *c, char *err, size_t errlen);
int filter_parse_ports(const char *text, struct port_range *r, char *err, size_t errlen);
int filter_parse_protocol(const char *text, int *proto, char *err, size_t errlen);
/* Compile a PCRE2 pattern (JIT when available) into f. */
int filter_set_regex(struct watch_filter *f, const char *pattern, char *err, size_t errlen);

void filter_init(struct watch_filter *f);
void filter_free(struct watch_filter *f);

/* True when the decoded packet passes every criterion. */
bool filter_match(struct watch_filter *f, const struct packet *pkt);

/* The payload the regular expression is matched against: TCP or UDP
 * payload; after the 8-byte ICMP/ICMPv6 header; otherwise empty. */
struct bytes filter_payload(const struct packet *pkt);

#endif
