/*
 * decoders.h - internal interface between the per-protocol decoders.
 *
 * Each protocol file exports one decode_<proto>() taking the packet and a
 * cursor that starts at the protocol's first byte and ends where the
 * enclosing layer says the payload ends (never past caplen).  Decoders
 * chain by next-protocol number through the small dispatch functions
 * below (Suricata's decode-*.c shape).  None of this is for sinks: they
 * only see struct packet.
 */
#ifndef NETSIFT_DECODERS_H
#define NETSIFT_DECODERS_H

#include "cursor.h"
#include "packet.h"

/* Record a layer as present: header pointer, captured length and hash. */
void layer_set(struct packet *pkt, enum layer l, const uint8_t *hdr, size_t len);

static inline void layer_truncated(struct packet *pkt, enum layer l)
{
    pkt->truncated |= 1u << l;
}

static inline void layer_malformed(struct packet *pkt, enum layer l)
{
    pkt->malformed |= 1u << l;
}

/* link layers */
void decode_eth(struct packet *pkt, struct cursor c);
void decode_sll(struct packet *pkt, struct cursor c);
void decode_sll2(struct packet *pkt, struct cursor c);
void decode_null(struct packet *pkt, struct cursor c, bool big_endian);
void decode_raw(struct packet *pkt, struct cursor c, int linktype);
void decode_chdlc(struct packet *pkt, struct cursor c);
void decode_llc(struct packet *pkt, struct cursor c);
/* LINKTYPE_IEEE802_11 (radiotap false) and LINKTYPE_IEEE802_11_RADIOTAP */
void decode_ieee80211(struct packet *pkt, struct cursor c, bool radiotap);
void decode_ppp(struct packet *pkt, struct cursor c);
void decode_ppp_ether(struct packet *pkt, struct cursor c);
/* A link header of hdr_len bytes without hardware addresses (loopback,
 * raw IP, PPP, Cisco HDLC): LAYER_ETH covers it, eth.type holds the
 * EtherType of what follows (0: not decoded), which is then decoded. */
void decode_link_without_addresses(struct packet *pkt, struct cursor c, size_t hdr_len,
                                   uint16_t ethertype);
/* The PPP protocol field at offset `at` (RFC 1661 6.5: one byte when
 * compressed, recognised by its low bit set): the protocol and its size.
 * False when the capture ends inside it. */
bool ppp_protocol(const struct cursor *c, size_t at, uint16_t *proto, size_t *size);
/* The EtherType of what a PPP protocol carries (IPv4, IPv6, MPLS); 0 for
 * the rest (LCP, IPCP, CHAP, ...: not decoded). */
uint16_t ppp_ethertype(uint16_t proto);

/* continue after the link header (VLAN tags included) at this EtherType */
void decode_ethertype(struct packet *pkt, struct cursor c, uint16_t type);
void decode_vlan(struct packet *pkt, struct cursor c, uint16_t tpid);
void decode_mpls(struct packet *pkt, struct cursor c);
void decode_pppoe(struct packet *pkt, struct cursor c);
void decode_ah(struct packet *pkt, struct cursor c);

void decode_arp(struct packet *pkt, struct cursor c);
void decode_ip4(struct packet *pkt, struct cursor c);
void decode_ip6(struct packet *pkt, struct cursor c);

/* continue after an IP header at this protocol number */
void decode_ip_proto(struct packet *pkt, struct cursor c, uint8_t proto);

void decode_tcp(struct packet *pkt, struct cursor c);
void decode_udp(struct packet *pkt, struct cursor c);
void decode_icmp4(struct packet *pkt, struct cursor c);
void decode_icmp6(struct packet *pkt, struct cursor c);

/* application layers, chosen by port */
void decode_dns(struct packet *pkt, struct cursor c, enum layer as, bool over_tcp);
void decode_dhcp(struct packet *pkt, struct cursor c);

/* DNS name reader, exposed for the unit tests and the fuzzer. */
enum dns_name_status { DNS_NAME_OK, DNS_NAME_TRUNCATED, DNS_NAME_MALFORMED };

/*
 * Read the (possibly compressed) name at *pos inside msg[0..msg_len).
 * When out is not NULL, writes its presentation form ("www.example.com",
 * "." for the root; labels escaped as text_escape() does, dots inside a
 * label as "\.") into out (out_size bytes, always NUL-terminated).  On
 * success *pos moves past the name's bytes in place (a pointer ends it).
 * Pointers may go anywhere inside the message; at most DNS_MAX_POINTERS
 * are followed, so a pointer loop ends as DNS_NAME_MALFORMED.
 */
#define DNS_MAX_POINTERS 64
enum dns_name_status dns_read_name(const uint8_t *msg, size_t msg_len, size_t *pos,
                                   char *out, size_t out_size);

#endif
