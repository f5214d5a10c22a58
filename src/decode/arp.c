/*
 * arp.c - ARP and RARP (RFC 826) for any hardware/protocol address size.
 *
 * The header is the 8-byte fixed part plus the four addresses
 * (2*hln + 2*pln bytes); it is recorded only when captured whole.
 */
#include "decoders.h"

void decode_arp(struct packet *pkt, struct cursor c)
{
    struct arp_fields *a = &pkt->arp;
    if (!cursor_peek_be16(&c, 0, &a->hrd) || !cursor_peek_be16(&c, 2, &a->pro) ||
        !cursor_peek_u8(&c, 4, &a->hln) || !cursor_peek_u8(&c, 5, &a->pln) ||
        !cursor_peek_be16(&c, 6, &a->op)) {
        layer_truncated(pkt, LAYER_ARP);
        return;
    }
    size_t len = 8 + 2 * (size_t)a->hln + 2 * (size_t)a->pln;
    if (!cursor_has(&c, len)) {
        layer_truncated(pkt, LAYER_ARP);
        return;
    }
    const uint8_t *p = c.p + 8;
    a->sha = (struct bytes){p, a->hln};
    a->spa = (struct bytes){p + a->hln, a->pln};
    a->tha = (struct bytes){p + a->hln + a->pln, a->hln};
    a->tpa = (struct bytes){p + 2 * a->hln + a->pln, a->pln};
    layer_set(pkt, LAYER_ARP, c.p, len);
}
