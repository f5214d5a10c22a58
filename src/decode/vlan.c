/*
 * vlan.c - 802.1Q and 802.1ad (QinQ) tags, stacked.
 *
 * A tag is TCI (PCP, DEI, 12-bit VLAN id) and the next EtherType.  Tags
 * belong to the link-layer header: each one extends LAYER_ETH by four
 * bytes.  Ids of the first VLAN_MAX_TAGS tags are kept, outermost first;
 * deeper stacks are followed (iteratively) but flagged malformed.
 */
#include "decoders.h"

static bool is_vlan_tpid(uint16_t type)
{
    return type == 0x8100 || type == 0x88a8 || type == 0x9100;
}

void decode_vlan(struct packet *pkt, struct cursor c, uint16_t tpid)
{
    uint16_t type = tpid;
    /* a loop, not recursion: a frame may stack thousands of tags */
    while (is_vlan_tpid(type)) {
        uint16_t tci;
        if (!cursor_peek_be16(&c, 0, &tci) || !cursor_peek_be16(&c, 2, &type)) {
            layer_truncated(pkt, LAYER_ETH);
            return;
        }
        cursor_skip(&c, 4);
        if (pkt->eth.vlan_count < VLAN_MAX_TAGS)
            pkt->eth.vlan_id[pkt->eth.vlan_count++] = tci & 0x0fff;
        else
            layer_malformed(pkt, LAYER_ETH);
        if (packet_has(pkt, LAYER_ETH))
            pkt->ref[LAYER_ETH].len += 4;
    }
    if (type < 1536) {
        pkt->not_decoded = true;
        return;
    }
    decode_ethertype(pkt, c, type);
}
