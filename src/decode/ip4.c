/*
 * ip4.c - IPv4 (RFC 791) with options and fragments.
 *
 * The header is ip_hl*4 bytes, options included (clipped to what was
 * captured, then flagged truncated).  The payload handed on ends at
 * ip_len (dropping Ethernet padding) or at caplen, whichever comes first.
 * A total length of 0 (captured before TCP segmentation offload filled it
 * in) means "everything captured".  Only the first fragment (offset 0) is decoded further: later fragments
 * carry no upper-layer header.
 */
#include "decoders.h"

void decode_ip4(struct packet *pkt, struct cursor c)
{
    struct ip4_fields *ip = &pkt->ip4;
    uint8_t vhl;
    if (!cursor_has(&c, 20)) {
        layer_truncated(pkt, LAYER_IP4);
        return;
    }
    cursor_peek_u8(&c, 0, &vhl);
    ip->v = vhl >> 4;
    ip->hl = vhl & 0x0f;
    cursor_peek_u8(&c, 1, &ip->tos);
    cursor_peek_be16(&c, 2, &ip->len);
    cursor_peek_be16(&c, 4, &ip->id);
    cursor_peek_be16(&c, 6, &ip->off);
    cursor_peek_u8(&c, 8, &ip->ttl);
    cursor_peek_u8(&c, 9, &ip->p);
    cursor_peek_be16(&c, 10, &ip->sum);
    struct cursor addr = c;
    cursor_skip(&addr, 12);
    cursor_get_bytes(&addr, ip->src, 4);
    cursor_get_bytes(&addr, ip->dst, 4);

    size_t hlen = (size_t)ip->hl * 4;
    if (ip->v != 4 || ip->hl < 5) { /* stored (as tshark shows it), flagged */
        layer_set(pkt, LAYER_IP4, c.p, 20);
        layer_malformed(pkt, LAYER_IP4);
        return;
    }
    if (!cursor_has(&c, hlen)) {
        layer_set(pkt, LAYER_IP4, c.p, c.left);
        layer_truncated(pkt, LAYER_IP4);
        return;
    }
    layer_set(pkt, LAYER_IP4, c.p, hlen);
    cursor_skip(&c, hlen);
    size_t payload_len;
    if (ip->len == 0) {
        /* TCP segmentation offload: the NIC fills the length in later */
        payload_len = c.left;
    } else if (ip->len < hlen) {
        layer_malformed(pkt, LAYER_IP4);
        return;
    } else {
        payload_len = ip->len - hlen;
    }
    if (c.left < payload_len)
        layer_truncated(pkt, LAYER_IP4); /* cut by the snapshot length */
    struct cursor payload = cursor_sub(&c, payload_len);
    if ((ip->off & 0x1fff) != 0) /* not the first fragment */
        return;
    decode_ip_proto(pkt, payload, ip->p);
}
