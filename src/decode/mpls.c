/*
 * mpls.c - MPLS label stacks (EtherType 0x8847 unicast, 0x8848 multicast).
 *
 * Labels are 4 bytes each down to the one with the bottom-of-stack bit;
 * like VLAN tags they belong to the link-layer header (LAYER_ETH grows by
 * four bytes a label).  MPLS does not say what it carries: an IPv4 or
 * IPv6 header is recognised by its version nibble; anything else
 * (pseudowires, control words) is not decoded.
 */
#include "decoders.h"

#define MPLS_MAX_LABELS 16

void decode_mpls(struct packet *pkt, struct cursor c)
{
    for (int n = 0;; n++) {
        uint32_t entry;
        if (n == MPLS_MAX_LABELS) {
            layer_malformed(pkt, LAYER_ETH);
            return;
        }
        if (!cursor_get_be32(&c, &entry)) {
            layer_truncated(pkt, LAYER_ETH);
            return;
        }
        if (packet_has(pkt, LAYER_ETH))
            pkt->ref[LAYER_ETH].len += 4;
        if (entry & 0x100) /* bottom of stack */
            break;
    }
    uint8_t first;
    if (!cursor_peek_u8(&c, 0, &first)) {
        pkt->not_decoded = true;
        return;
    }
    if (first >> 4 == 4)
        decode_ethertype(pkt, c, 0x0800);
    else if (first >> 4 == 6)
        decode_ethertype(pkt, c, 0x86dd);
    else
        pkt->not_decoded = true;
}
