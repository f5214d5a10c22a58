/*
 * tcp.c - TCP (RFC 9293) header with options.
 *
 * The header is doff*4 bytes, options included (clipped to what was
 * captured, then flagged truncated).  The payload is what follows inside
 * the IP payload.  DNS over TCP (port 53) is decoded from the start of a
 * segment's payload when it begins with the 2-byte length prefix; without
 * reassembly, messages split across segments are not decoded.
 */
#include "decoders.h"

void decode_tcp(struct packet *pkt, struct cursor c)
{
    struct tcp_fields *t = &pkt->tcp;
    if (!cursor_has(&c, 20)) {
        layer_truncated(pkt, LAYER_TCP);
        return;
    }
    uint8_t off_byte;
    cursor_peek_be16(&c, 0, &t->source);
    cursor_peek_be16(&c, 2, &t->dest);
    cursor_peek_be32(&c, 4, &t->seq);
    cursor_peek_be32(&c, 8, &t->ack_seq);
    cursor_peek_u8(&c, 12, &off_byte);
    cursor_peek_u8(&c, 13, &t->flags);
    cursor_peek_be16(&c, 14, &t->window);
    cursor_peek_be16(&c, 16, &t->check);
    cursor_peek_be16(&c, 18, &t->urg_ptr);
    t->doff = off_byte >> 4;
    t->res1 = off_byte & 0x0f;
    t->payload = (struct bytes){NULL, 0};

    size_t hlen = (size_t)t->doff * 4;
    if (t->doff < 5) {
        layer_set(pkt, LAYER_TCP, c.p, 20);
        layer_malformed(pkt, LAYER_TCP);
        return;
    }
    if (!cursor_has(&c, hlen)) {
        layer_set(pkt, LAYER_TCP, c.p, c.left);
        layer_truncated(pkt, LAYER_TCP);
        return;
    }
    layer_set(pkt, LAYER_TCP, c.p, hlen);
    cursor_skip(&c, hlen);
    t->payload = (struct bytes){c.p, (uint32_t)c.left};
    uint16_t msg_len;
    if (!pkt->flow_only && (t->source == 53 || t->dest == 53) && cursor_get_be16(&c, &msg_len) && msg_len > 0) {
        decode_dns(pkt, cursor_sub(&c, msg_len), LAYER_DNS, true);
        if (msg_len > c.left && packet_has(pkt, LAYER_DNS))
            layer_truncated(pkt, LAYER_DNS); /* cut, or continued in the next segment */
    }
}
