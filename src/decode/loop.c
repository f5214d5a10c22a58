/*
 * loop.c - link types without hardware addresses: BSD loopback
 * (LINKTYPE_NULL: 4-byte address family in the capturing host's byte
 * order; LINKTYPE_LOOP: the same in network order; a Cisco HDLC header
 * (0x0f 0x00 and an EtherType) in its place is recognised too), raw IP
 * (LINKTYPE_RAW, LINKTYPE_IPV4, LINKTYPE_IPV6) and Cisco HDLC
 * (LINKTYPE_C_HDLC: address 0x0f or 0x8f, control 0, an EtherType).
 *
 * LAYER_ETH is still recorded for every frame, so every table joins to
 * eth: for loopback it covers the 4-byte family, for raw IP it is empty
 * (ethh_hash = XXH32 of zero bytes).  eth.type holds the equivalent
 * EtherType (0x0800 or 0x86dd), 0 when the family is unknown.
 */
#include <pcap/dlt.h>

#include "decoders.h"

void decode_link_without_addresses(struct packet *pkt, struct cursor c, size_t hdr_len,
                                   uint16_t ethertype)
{
    pkt->eth.dst = (struct bytes){NULL, 0};
    pkt->eth.src = (struct bytes){NULL, 0};
    pkt->eth.type = ethertype;
    pkt->eth.payload_type = ethertype;
    layer_set(pkt, LAYER_ETH, c.p, hdr_len);
    cursor_skip(&c, hdr_len);
    if (ethertype == 0)
        pkt->not_decoded = true;
    else
        decode_ethertype(pkt, c, ethertype);
}

void decode_null(struct packet *pkt, struct cursor c, bool big_endian)
{
    uint32_t be;
    if (!cursor_peek_be32(&c, 0, &be)) {
        layer_truncated(pkt, LAYER_ETH);
        return;
    }
    uint32_t le = __builtin_bswap32(be);
    if ((be >> 24 == 0x0f || be >> 24 == 0x8f) && (be >> 16 & 0xff) == 0) {
        /* Cisco HDLC address and control bytes, then an EtherType */
        decode_link_without_addresses(pkt, c, 4, (uint16_t)be);
        return;
    }
    /* LINKTYPE_NULL is in the writer's byte order: a family fits 16 bits */
    uint32_t family = big_endian ? be : (le <= 0xffff ? le : be);
    uint16_t ethertype = 0;
    switch (family) {
    case 2: /* AF_INET everywhere */
        ethertype = 0x0800;
        break;
    case 10: /* Linux */
    case 24: /* NetBSD, OpenBSD, BSD/OS */
    case 28: /* FreeBSD */
    case 30: /* macOS */
        ethertype = 0x86dd;
        break;
    }
    decode_link_without_addresses(pkt, c, 4, ethertype);
}

void decode_raw(struct packet *pkt, struct cursor c, int linktype)
{
    uint8_t first = 0;
    uint16_t ethertype = 0;
    if (linktype == DLT_IPV4)
        ethertype = 0x0800;
    else if (linktype == DLT_IPV6)
        ethertype = 0x86dd;
    else if (cursor_peek_u8(&c, 0, &first))
        ethertype = (first >> 4) == 4 ? 0x0800 : (first >> 4) == 6 ? 0x86dd : 0;
    decode_link_without_addresses(pkt, c, 0, ethertype);
}

void decode_chdlc(struct packet *pkt, struct cursor c)
{
    uint16_t ethertype;
    if (!cursor_peek_be16(&c, 2, &ethertype)) {
        layer_truncated(pkt, LAYER_ETH);
        return;
    }
    /* Cisco's SLARP reuses RARP's 0x8035 and is not ARP; it, CDP (0x2000)
     * and the other Cisco protocols are not decoded */
    decode_link_without_addresses(pkt, c, 4, ethertype == 0x8035 ? 0 : ethertype);
}
