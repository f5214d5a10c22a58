/*
 * pppoe.c - PPPoE session stage (EtherType 0x8864, RFC 2516).
 *
 * The 6-byte PPPoE header and the 2-byte PPP protocol field belong to the
 * link-layer header (LAYER_ETH grows by eight bytes).  PPP protocol
 * 0x0021 is IPv4 and 0x0057 IPv6; other PPP protocols (LCP, IPCP, ...)
 * and the discovery stage (0x8863) are not decoded.  The payload ends
 * where the PPPoE length says.
 */
#include "decoders.h"

void decode_pppoe(struct packet *pkt, struct cursor c)
{
    uint16_t length, proto;
    if (!cursor_peek_be16(&c, 4, &length) || !cursor_peek_be16(&c, 6, &proto)) {
        layer_truncated(pkt, LAYER_ETH);
        return;
    }
    cursor_skip(&c, 8);
    if (packet_has(pkt, LAYER_ETH))
        pkt->ref[LAYER_ETH].len += 8;
    if (length < 2) {
        layer_malformed(pkt, LAYER_ETH);
        return;
    }
    c = cursor_sub(&c, (size_t)length - 2);
    if (proto == 0x0021)
        decode_ethertype(pkt, c, 0x0800);
    else if (proto == 0x0057)
        decode_ethertype(pkt, c, 0x86dd);
    else
        pkt->not_decoded = true;
}
