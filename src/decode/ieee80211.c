/*
 * ieee80211.c - IEEE 802.11 data frames (LINKTYPE_IEEE802_11), also
 * behind a radiotap header (LINKTYPE_IEEE802_11_RADIOTAP).
 *
 * Radiotap (radiotap.org): version 0, a little-endian length that the
 * header is skipped by, and the "present" bitmaps; of its fields only
 * Flags is read (its FCS bit: the frame then ends with a 4-byte FCS that
 * is not payload), walking TSFT's 8-byte alignment before it.
 *
 * 802.11 MAC header: frame control (type, subtype, To DS, From DS,
 * Protected, +HTC/Order), duration, addresses 1-3, sequence control,
 * address 4 when both DS bits are set, QoS control for QoS data
 * subtypes, HT control when a QoS data frame has +HTC set.  Data frames
 * that carry data, are not protected and are not A-MSDUs go on to LLC/SNAP
 * (llc.c); everything else (management and control frames, null data,
 * encrypted and aggregated data) is counted in `eth` and not decoded,
 * as tshark does without keys.
 *
 * LAYER_ETH covers radiotap and the MAC header (and the LLC/SNAP header,
 * added by llc.c); eth.dst and eth.src are the destination and source
 * addresses as the DS bits place them, eth.type the EtherType of the
 * payload (0 when none is decoded).
 */
#include "decoders.h"

#define FC_TYPE_DATA 2
#define FC_TO_DS 0x0100
#define FC_FROM_DS 0x0200
#define FC_PROTECTED 0x4000
#define FC_ORDER 0x8000
#define RADIOTAP_FLAGS_FCS 0x10

static bool peek_le16(const struct cursor *c, size_t off, uint16_t *v)
{
    uint16_t be;
    if (!cursor_peek_be16(c, off, &be))
        return false;
    *v = (uint16_t)(be >> 8 | be << 8);
    return true;
}

static bool peek_le32(const struct cursor *c, size_t off, uint32_t *v)
{
    uint32_t be;
    if (!cursor_peek_be32(c, off, &be))
        return false;
    *v = __builtin_bswap32(be);
    return true;
}

/* The radiotap header at c: its length, and whether the frame ends with
 * an FCS.  False when it is cut or not radiotap version 0. */
static bool radiotap(const struct cursor *c, uint16_t *len, bool *fcs)
{
    uint8_t version;
    uint32_t present, word;
    *fcs = false;
    if (!cursor_peek_u8(c, 0, &version) || !peek_le16(c, 2, len) || !peek_le32(c, 4, &present) ||
        version != 0 || *len < 8 || !cursor_has(c, *len))
        return false;
    size_t off = 8;
    for (word = present; word & 0x80000000u; off += 4) /* extended bitmaps */
        if (off + 4 > *len || !peek_le32(c, off, &word))
            return false;
    if (!(present & 0x2)) /* no Flags field */
        return true;
    if (present & 0x1) /* TSFT: 8 bytes, aligned to 8 */
        off = ((off + 7) & ~(size_t)7) + 8;
    uint8_t flags;
    if (off >= *len || !cursor_peek_u8(c, off, &flags))
        return false;
    *fcs = flags & RADIOTAP_FLAGS_FCS;
    return true;
}

void decode_ieee80211(struct packet *pkt, struct cursor c, bool has_radiotap)
{
    const uint8_t *start = c.p;
    uint16_t rt_len = 0, fc;
    bool fcs = false;
    pkt->eth.dst = pkt->eth.src = (struct bytes){NULL, 0};
    if (has_radiotap && !radiotap(&c, &rt_len, &fcs)) {
        layer_truncated(pkt, LAYER_ETH);
        return;
    }
    cursor_skip(&c, rt_len);
    if (!peek_le16(&c, 0, &fc)) {
        layer_truncated(pkt, LAYER_ETH);
        return;
    }
    unsigned type = (fc >> 2) & 3, subtype = (fc >> 4) & 0xf;
    bool to_ds = fc & FC_TO_DS, from_ds = fc & FC_FROM_DS;
    bool qos = type == FC_TYPE_DATA && (subtype & 0x8);
    size_t hdr = type == FC_TYPE_DATA ? 24 + (to_ds && from_ds ? 6 : 0) + (qos ? 2 : 0) +
                                            (qos && (fc & FC_ORDER) ? 4 : 0)
                                      : type == 0 ? 24 /* management: fc .. sequence control */
                                                  : 10; /* control: fc, duration, addr1 at least */
    pkt->eth.type = pkt->eth.payload_type = 0;
    if (!cursor_has(&c, hdr)) {
        layer_truncated(pkt, LAYER_ETH);
        return;
    }
    layer_set(pkt, LAYER_ETH, start, rt_len + hdr);
    if (type != FC_TYPE_DATA) { /* management, control, extension */
        pkt->eth.dst = (struct bytes){c.p + 4, 6};
        pkt->not_decoded = true;
        return;
    }
    const uint8_t *a1 = c.p + 4, *a2 = c.p + 10, *a3 = c.p + 16, *a4 = c.p + 24;
    pkt->eth.dst = (struct bytes){to_ds ? a3 : a1, 6};
    pkt->eth.src = (struct bytes){from_ds ? (to_ds ? a4 : a3) : a2, 6};
    uint8_t qos_low = 0;
    if (qos)
        cursor_peek_u8(&c, 24 + (to_ds && from_ds ? 6 : 0), &qos_low);
    /* null data (subtype bit 2), encrypted, A-MSDU (QoS control bit 7) */
    if ((subtype & 0x4) || (fc & FC_PROTECTED) || (qos_low & 0x80)) {
        pkt->not_decoded = true;
        return;
    }
    size_t at = (size_t)(c.p - pkt->data) + hdr; /* the payload's offset in the frame */
    cursor_skip(&c, hdr);
    if (fcs) { /* the last 4 bytes on the wire are the FCS */
        size_t wire_left = pkt->length > at ? pkt->length - at : 0;
        c = cursor_sub(&c, wire_left >= 4 ? wire_left - 4 : 0);
    }
    decode_llc(pkt, c);
    pkt->eth.type = pkt->eth.payload_type;
}
