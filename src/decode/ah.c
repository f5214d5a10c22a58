/*
 * ah.c - IP Authentication Header (RFC 4302) after an IPv4 header.
 *
 * AH is (payload length + 2) 32-bit words; what follows is the protocol
 * in its next-header field.  After IPv6, AH is walked as part of the
 * extension header chain (ip6.c) instead.  AH has no table of its own.
 */
#include "decoders.h"

void decode_ah(struct packet *pkt, struct cursor c)
{
    uint8_t next, len_words;
    if (!cursor_peek_u8(&c, 0, &next) || !cursor_peek_u8(&c, 1, &len_words) ||
        !cursor_skip(&c, ((size_t)len_words + 2) * 4)) {
        layer_truncated(pkt, LAYER_IP4);
        return;
    }
    if (next == 51) { /* AH inside AH: refuse to recurse */
        layer_malformed(pkt, LAYER_IP4);
        return;
    }
    decode_ip_proto(pkt, c, next);
}
