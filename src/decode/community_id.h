/*
 * community_id.h - Community ID v1, the public flow-hash standard
 * (corelight/community-id-spec) that Zeek, Suricata, Arkime and
 * Wireshark compute, so a flow can be looked up by one string across
 * tools.
 *
 * The value is "1:" followed by the base64 of a SHA-1 over: the 16-bit
 * seed (network order), the two addresses, the IP protocol, one zero
 * byte and, for TCP, UDP, SCTP, ICMP and ICMPv6, two 16-bit "ports" in
 * network order.  The endpoints are ordered (smaller address first, then
 * smaller port) so both directions give the same value.  ICMP uses the
 * type as the source port and, for request/reply types, the
 * counterpart's type as the destination port (else the code, and no
 * reordering: those messages are one-way).
 */
#ifndef NETSIFT_COMMUNITY_ID_H
#define NETSIFT_COMMUNITY_ID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "packet.h"

/* "1:" + 28 base64 characters + NUL */
#define COMMUNITY_ID_SIZE 31

/*
 * The Community ID of one flow tuple into out.  addr_len is 4 (IPv4) or
 * 16 (IPv6).  For ICMP (1) and ICMPv6 (58) give the type as sport and
 * the code as dport; without has_ports the hash covers no ports (the
 * standard's treatment of port-less protocols).  0, or -1 (bad
 * addr_len, or a library failure) with out "".
 */
int community_id_v1(uint16_t seed, const uint8_t *src, const uint8_t *dst, size_t addr_len,
                     uint8_t proto, bool has_ports, uint16_t sport, uint16_t dport,
                     char out[COMMUNITY_ID_SIZE]);

/*
 * The Community ID of a decoded packet's flow (outer IPv4/IPv6 header;
 * ports of TCP, UDP, SCTP; type/code of ICMP and ICMPv6).  NULL when the
 * packet has no IP header, or carries TCP/UDP/SCTP/ICMP whose header is
 * missing (a later fragment, a cut capture): the standard then has no
 * value.  Computed once per packet and kept in pkt (the cache is reset
 * by decode_packet), with the process-wide seed below.
 */
const char *packet_community_id(const struct packet *pkt);

/* The seed used by packet_community_id() (0 unless set; --community-id-seed).
 * Set it before packets flow. */
void community_id_set_seed(uint16_t seed);
uint16_t community_id_seed(void);

#endif
