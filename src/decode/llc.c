/*
 * llc.c - IEEE 802.2 LLC with SNAP (RFC 1042, 802.1H), after an 802.3
 * length field and in 802.11 data frames.
 *
 * DSAP 0xaa, SSAP 0xaa, control 0x03 and an OUI of 00-00-00 (RFC 1042)
 * or 00-00-f8 (802.1H bridge tunnel) carry an EtherType: the 8-byte
 * LLC/SNAP header is added to the link-layer header (LAYER_ETH, so that
 * ethh_hash covers it) and the payload is decoded by that EtherType (IPv4,
 * IPv6, ARP, ...).  Other LLC payloads (STP, NetBIOS, IPX, CDP with
 * Cisco's OUI, ...) are not decoded.
 */
#include "decoders.h"

void decode_llc(struct packet *pkt, struct cursor c)
{
    uint8_t dsap, ssap, control, oui[3];
    uint16_t type;
    if (!cursor_peek_u8(&c, 0, &dsap) || !cursor_peek_u8(&c, 1, &ssap) ||
        !cursor_peek_u8(&c, 2, &control)) {
        layer_truncated(pkt, LAYER_ETH);
        return;
    }
    if (dsap != 0xaa || ssap != 0xaa || control != 0x03) {
        pkt->not_decoded = true; /* plain LLC: STP, NetBIOS, ... */
        return;
    }
    if (!cursor_peek_u8(&c, 3, &oui[0]) || !cursor_peek_u8(&c, 4, &oui[1]) ||
        !cursor_peek_u8(&c, 5, &oui[2]) || !cursor_peek_be16(&c, 6, &type)) {
        layer_truncated(pkt, LAYER_ETH);
        return;
    }
    if (oui[0] != 0 || oui[1] != 0 || (oui[2] != 0 && oui[2] != 0xf8)) {
        pkt->not_decoded = true; /* an organisation's own protocol (CDP, ...) */
        return;
    }
    cursor_skip(&c, 8);
    if (packet_has(pkt, LAYER_ETH))
        pkt->ref[LAYER_ETH].len += 8;
    decode_ethertype(pkt, c, type);
}
