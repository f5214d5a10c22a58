/*
 * sll.c - Linux "cooked" capture headers, v1 (LINKTYPE_LINUX_SLL, 16
 * bytes) and v2 (LINKTYPE_LINUX_SLL2, 20 bytes), as produced by capturing
 * on the "any" interface.
 *
 * The cooked header is the frame's link-layer header (LAYER_ETH): its
 * source address (when it is a 6-byte hardware address or shorter) goes
 * to eth.src; there is no destination address.  The protocol field is an
 * EtherType except for a few Linux pseudo-types, which are not decoded.
 */
#include "decoders.h"

static void cooked_common(struct packet *pkt, struct cursor c, size_t hdr_len,
                          uint16_t proto, uint8_t halen, size_t addr_off)
{
    const uint8_t *start = c.p;
    pkt->eth.dst = (struct bytes){NULL, 0};
    pkt->eth.src = (struct bytes){start + addr_off, halen > 8 ? 8 : halen};
    pkt->eth.type = proto;
    pkt->eth.payload_type = proto;
    layer_set(pkt, LAYER_ETH, start, hdr_len);
    cursor_skip(&c, hdr_len);
    if (proto < 1536) { /* LINUX_SLL_P_802_2, _802_3, CAN, ... */
        pkt->not_decoded = true;
        return;
    }
    decode_ethertype(pkt, c, proto);
}

void decode_sll(struct packet *pkt, struct cursor c)
{
    uint16_t halen, proto;
    if (!cursor_peek_be16(&c, 4, &halen) || !cursor_peek_be16(&c, 14, &proto)) {
        layer_truncated(pkt, LAYER_ETH);
        return;
    }
    cooked_common(pkt, c, 16, proto, halen > 8 ? 8 : (uint8_t)halen, 6);
}

void decode_sll2(struct packet *pkt, struct cursor c)
{
    uint16_t proto;
    uint8_t halen;
    if (!cursor_peek_be16(&c, 0, &proto) || !cursor_peek_u8(&c, 11, &halen) ||
        !cursor_has(&c, 20)) {
        layer_truncated(pkt, LAYER_ETH);
        return;
    }
    cooked_common(pkt, c, 20, proto, halen, 12);
}
