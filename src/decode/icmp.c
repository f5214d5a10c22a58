/*
 * icmp.c - ICMP for IPv4 (RFC 792) and ICMPv6 (RFC 4443, neighbour
 * discovery and MLD included).
 *
 * Both share the shape of their first 8 bytes, which is the header
 * netsift stores: type, code, checksum and the 32-bit rest-of-header
 * (gateway address, echo id/sequence, MTU, pointer, ND flags, ...), kept
 * as one host-order integer like struct icmphdr's un.gateway and
 * icmp6_hdr's icmp6_un_data32.
 */
#include "decoders.h"

static void decode_icmp_header(struct packet *pkt, struct cursor c, enum layer l,
                               struct icmp_fields *i)
{
    if (!cursor_has(&c, 8)) {
        layer_truncated(pkt, l);
        return;
    }
    cursor_peek_u8(&c, 0, &i->type);
    cursor_peek_u8(&c, 1, &i->code);
    cursor_peek_be16(&c, 2, &i->checksum);
    cursor_peek_be32(&c, 4, &i->data32);
    layer_set(pkt, l, c.p, 8);
}

void decode_icmp4(struct packet *pkt, struct cursor c)
{
    decode_icmp_header(pkt, c, LAYER_ICMP4, &pkt->icmp4);
}

void decode_icmp6(struct packet *pkt, struct cursor c)
{
    decode_icmp_header(pkt, c, LAYER_ICMP6, &pkt->icmp6);
}
