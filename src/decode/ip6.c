/*
 * ip6.c - IPv6 (RFC 8200) and its extension header chain.
 *
 * The fixed 40-byte header and every extension header up to the upper
 * layer (hop-by-hop 0, routing 43, fragment 44, destination options 60,
 * AH 51, mobility 135, HIP 139, shim6 140) form LAYER_IP6, so ip6h_hash
 * covers them all.  ip6.upper is the protocol found at the end of the
 * chain.  A fragment with a non-zero offset is not decoded further;
 * ESP (50) and "no next header" (59) end the walk.
 */
#include "decoders.h"

#define IP6_MAX_EXT_HEADERS 32

static bool is_extension_header(uint8_t nxt)
{
    switch (nxt) {
    case 0: case 43: case 44: case 51: case 60: case 135: case 139: case 140:
        return true;
    default:
        return false;
    }
}

/* The chain runs past the captured bytes: keep what there is, flag it. */
static void chain_cut(struct packet *pkt, const uint8_t *start, const struct cursor *c)
{
    layer_set(pkt, LAYER_IP6, start, (size_t)(c->p - start) + c->left);
    layer_truncated(pkt, LAYER_IP6);
}

void decode_ip6(struct packet *pkt, struct cursor c)
{
    struct ip6_fields *ip = &pkt->ip6;
    if (!cursor_has(&c, 40)) {
        layer_truncated(pkt, LAYER_IP6);
        return;
    }
    const uint8_t *start = c.p;
    cursor_peek_be32(&c, 0, &ip->flow);
    cursor_peek_be16(&c, 4, &ip->plen);
    cursor_peek_u8(&c, 6, &ip->nxt);
    cursor_peek_u8(&c, 7, &ip->hlim);
    ip->vfc = (uint8_t)(ip->flow >> 24);
    struct cursor addr = c;
    cursor_skip(&addr, 8);
    cursor_get_bytes(&addr, ip->src, 16);
    cursor_get_bytes(&addr, ip->dst, 16);
    ip->ext_count = 0;
    ip->fragment = false;
    ip->frag_off = 0;
    ip->upper = ip->nxt;
    if ((ip->vfc >> 4) != 6) { /* not an IPv6 header at all: no row */
        layer_malformed(pkt, LAYER_IP6);
        return;
    }
    cursor_skip(&c, 40);
    /* a zero payload length means a jumbogram: take what was captured */
    size_t payload_len = ip->plen ? ip->plen : c.left;
    if (c.left < payload_len)
        layer_truncated(pkt, LAYER_IP6);
    c = cursor_sub(&c, payload_len);

    uint8_t nxt = ip->nxt;
    while (is_extension_header(nxt)) {
        uint8_t next, hlen_field;
        if (!cursor_peek_u8(&c, 0, &next) || !cursor_peek_u8(&c, 1, &hlen_field)) {
            chain_cut(pkt, start, &c);
            return;
        }
        size_t ext_len = nxt == 51 ? ((size_t)hlen_field + 2) * 4
                       : nxt == 44 ? 8
                       : ((size_t)hlen_field + 1) * 8;
        if (nxt == 44) {
            uint16_t off_field;
            if (!cursor_peek_be16(&c, 2, &off_field)) {
                chain_cut(pkt, start, &c);
                return;
            }
            ip->fragment = true;
            ip->frag_off = off_field >> 3;
        }
        if (!cursor_skip(&c, ext_len)) {
            chain_cut(pkt, start, &c);
            return;
        }
        nxt = next;
        if (++ip->ext_count >= IP6_MAX_EXT_HEADERS) {
            layer_set(pkt, LAYER_IP6, start, (size_t)(c.p - start));
            layer_malformed(pkt, LAYER_IP6);
            return;
        }
    }
    ip->upper = nxt;
    layer_set(pkt, LAYER_IP6, start, (size_t)(c.p - start));
    if (ip->fragment && ip->frag_off != 0)
        return;
    if (nxt == 59) /* no next header */
        return;
    decode_ip_proto(pkt, c, nxt);
}
