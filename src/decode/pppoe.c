/*
 * pppoe.c - PPPoE session stage (EtherType 0x8864, RFC 2516).
 *
 * The 6-byte PPPoE header and the PPP protocol field (two bytes, or one
 * when compressed: ppp.c) belong to the link-layer header (LAYER_ETH grows
 * by them).  PPP protocol 0x0021 is IPv4, 0x0057 IPv6, 0x0281 MPLS; other
 * PPP protocols (LCP, IPCP, ...) and the discovery stage (0x8863) are not
 * decoded.  The payload ends where the PPPoE length says.
 */
#include "decoders.h"

void decode_pppoe(struct packet *pkt, struct cursor c)
{
    uint16_t length, proto;
    size_t size;
    if (!cursor_peek_be16(&c, 4, &length) || !ppp_protocol(&c, 6, &proto, &size)) {
        layer_truncated(pkt, LAYER_ETH);
        return;
    }
    cursor_skip(&c, 6 + size);
    if (packet_has(pkt, LAYER_ETH))
        pkt->ref[LAYER_ETH].len += 6 + size;
    if (length < size) {
        layer_malformed(pkt, LAYER_ETH);
        return;
    }
    c = cursor_sub(&c, (size_t)length - size);
    uint16_t ethertype = ppp_ethertype(proto);
    if (ethertype)
        decode_ethertype(pkt, c, ethertype);
    else
        pkt->not_decoded = true;
}
