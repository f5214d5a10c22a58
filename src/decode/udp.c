/*
 * udp.c - UDP (RFC 768) and the port dispatch to DNS, mDNS and DHCP.
 *
 * The payload ends at the UDP length (dropping padding) or at caplen.  A
 * length field below 8, or above the IP payload of an unfragmented
 * datagram, is malformed.  Application protocols are chosen by port:
 * 5353 mDNS, 53 DNS, 67/68 DHCP (BOOTP).
 */
#include "decoders.h"

static bool ip_fragmented(const struct packet *pkt)
{
    if (packet_has(pkt, LAYER_IP6) && pkt->ip6.fragment)
        return true;
    return packet_has(pkt, LAYER_IP4) && (pkt->ip4.off & 0x2000);
}

void decode_udp(struct packet *pkt, struct cursor c)
{
    struct udp_fields *u = &pkt->udp;
    if (!cursor_has(&c, 8)) {
        layer_truncated(pkt, LAYER_UDP);
        return;
    }
    cursor_peek_be16(&c, 0, &u->source);
    cursor_peek_be16(&c, 2, &u->dest);
    cursor_peek_be16(&c, 4, &u->len);
    cursor_peek_be16(&c, 6, &u->check);
    layer_set(pkt, LAYER_UDP, c.p, 8);
    cursor_skip(&c, 8);
    u->payload = (struct bytes){c.p, (uint32_t)c.left};
    if (u->len < 8) {
        layer_malformed(pkt, LAYER_UDP);
        return;
    }
    size_t payload_len = (size_t)u->len - 8;
    if (payload_len > c.left) {
        /* the datagram continues in the next fragment (expected), was cut
         * by the snapshot length, or claims more than the IP packet holds */
        if (pkt->truncated & ((1u << LAYER_IP4) | (1u << LAYER_IP6)))
            layer_truncated(pkt, LAYER_UDP);
        else if (!ip_fragmented(pkt))
            layer_malformed(pkt, LAYER_UDP);
    } else {
        c = cursor_sub(&c, payload_len);
        u->payload.len = (uint32_t)payload_len;
    }

    if (pkt->flow_only)
        return;
    enum layer app;
    if (u->source == 5353 || u->dest == 5353)
        app = LAYER_MDNS;
    else if (u->source == 53 || u->dest == 53)
        app = LAYER_DNS;
    else if ((u->source == 67 || u->source == 68) && (u->dest == 67 || u->dest == 68))
        app = LAYER_DHCP;
    else
        return;
    if (app == LAYER_DHCP)
        decode_dhcp(pkt, c);
    else
        decode_dns(pkt, c, app, false);
    /* these take the whole payload as their header: cut when it was cut */
    if ((pkt->truncated & (1u << LAYER_UDP)) && packet_has(pkt, app))
        layer_truncated(pkt, app);
}
