/*
 * eth.c - Ethernet II (LINKTYPE_ETHERNET).
 *
 * The link-layer header (LAYER_ETH) is the 14-byte MAC header; VLAN tags
 * that follow extend it (see vlan.c), so ethh_hash covers destination,
 * source, every tag and the final EtherType.  A type/length field below
 * 1536 is an 802.3 length: the LLC payload it measures (trailer padding
 * left out) is decoded by llc.c when it is SNAP with an EtherType.
 */
#include "decoders.h"

void decode_eth(struct packet *pkt, struct cursor c)
{
    const uint8_t *start = c.p;
    uint16_t type;
    if (!cursor_peek_be16(&c, 12, &type)) {
        layer_truncated(pkt, LAYER_ETH);
        return;
    }
    pkt->eth.dst = (struct bytes){start, 6};
    pkt->eth.src = (struct bytes){start + 6, 6};
    pkt->eth.type = type;
    pkt->eth.payload_type = type;
    layer_set(pkt, LAYER_ETH, start, 14);
    cursor_skip(&c, 14);
    if (type < 1536) { /* 802.3 length field, LLC payload */
        decode_llc(pkt, cursor_sub(&c, type));
        return;
    }
    decode_ethertype(pkt, c, type);
}
