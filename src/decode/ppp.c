/*
 * ppp.c - PPP (RFC 1661) as a link type and inside PPPoE.
 *
 * LINKTYPE_PPP and LINKTYPE_PPP_HDLC (PPP_SERIAL) frames start with the
 * HDLC-like address and control bytes 0xff 0x03 (RFC 1662), which may be
 * left out (Address-and-Control-Field-Compression); a PPP_SERIAL frame may
 * hold a Cisco HDLC frame instead (address 0x0f or 0x8f).  Then comes the
 * protocol field, two bytes or one when compressed (Protocol-Field-
 * Compression: a one-byte protocol has its low bit set, so 0x21 is IPv4
 * where an uncompressed field reads 0x0021).  LINKTYPE_PPP_ETHER frames are
 * PPPoE session frames without the Ethernet header (decode_pppoe).
 *
 * LAYER_ETH covers the PPP header; eth.type holds the EtherType of the
 * payload: IPv4 0x0021, IPv6 0x0057, MPLS 0x0281/0x0283.  Other protocols
 * (LCP, IPCP, PAP, CHAP, CCP, ...) are not decoded.
 */
#include "decoders.h"

bool ppp_protocol(const struct cursor *c, size_t at, uint16_t *proto, size_t *size)
{
    uint8_t first, second;
    if (!cursor_peek_u8(c, at, &first))
        return false;
    if (first & 1) { /* compressed: one byte */
        *proto = first;
        *size = 1;
        return true;
    }
    if (!cursor_peek_u8(c, at + 1, &second))
        return false;
    *proto = (uint16_t)(first << 8 | second);
    *size = 2;
    return true;
}

uint16_t ppp_ethertype(uint16_t proto)
{
    switch (proto) {
    case 0x0021:
        return 0x0800;
    case 0x0057:
        return 0x86dd;
    case 0x0281:
        return 0x8847;
    case 0x0283:
        return 0x8848;
    default:
        return 0;
    }
}

void decode_ppp(struct packet *pkt, struct cursor c)
{
    uint8_t address = 0, control = 0;
    if (!cursor_peek_u8(&c, 0, &address) || !cursor_peek_u8(&c, 1, &control)) {
        layer_truncated(pkt, LAYER_ETH);
        return;
    }
    if ((address == 0x0f || address == 0x8f) && control == 0x00) {
        decode_chdlc(pkt, c);
        return;
    }
    size_t at = address == 0xff && control == 0x03 ? 2 : 0, size;
    uint16_t proto;
    if (!ppp_protocol(&c, at, &proto, &size)) {
        layer_truncated(pkt, LAYER_ETH);
        return;
    }
    decode_link_without_addresses(pkt, c, at + size, ppp_ethertype(proto));
}

void decode_ppp_ether(struct packet *pkt, struct cursor c)
{
    /* no link header of its own: PPPoE's header and PPP's protocol field
     * are added to LAYER_ETH by decode_pppoe, as after an Ethernet header */
    decode_link_without_addresses(pkt, c, 0, 0x8864);
}
