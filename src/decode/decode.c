/*
 * decode.c - entry point of the decoder: link-type dispatch, the
 * EtherType and IP-protocol dispatch tables, and header hashing.
 *
 * decode_packet() resets the per-packet state, hands the frame to the
 * decoder of its link type, and once the walk is over computes one XXH32
 * (seed 0) per present layer over that layer's header bytes as captured.
 */
#include <pcap/dlt.h>
#include <xxhash.h>

#include "decoders.h"
#include "flow.h"

static const char *const layer_names[LAYER_COUNT] = {
    [LAYER_ETH] = "eth",     [LAYER_ARP] = "arp",     [LAYER_IP4] = "ip4",
    [LAYER_IP6] = "ip6",     [LAYER_TCP] = "tcp",     [LAYER_UDP] = "udp",
    [LAYER_ICMP4] = "icmp4", [LAYER_ICMP6] = "icmp6", [LAYER_DNS] = "dns",
    [LAYER_MDNS] = "mdns",   [LAYER_DHCP] = "dhcp",
};

const char *layer_name(enum layer l)
{
    return (unsigned)l < LAYER_COUNT ? layer_names[l] : "?";
}

void layer_set(struct packet *pkt, enum layer l, const uint8_t *hdr, size_t len)
{
    pkt->layers |= 1u << l;
    pkt->ref[l].hdr = hdr;
    pkt->ref[l].len = (uint32_t)len;
}

bool decode_linktype_supported(int linktype)
{
    switch (linktype) {
    case DLT_EN10MB:
    case DLT_LINUX_SLL:
    case DLT_LINUX_SLL2:
    case DLT_RAW:
    case DLT_IPV4:
    case DLT_IPV6:
    case DLT_NULL:
    case DLT_LOOP:
    case DLT_C_HDLC:
    case DLT_PPP:
    case DLT_PPP_SERIAL:
    case DLT_PPP_ETHER:
    case DLT_IEEE802_11:
    case DLT_IEEE802_11_RADIO:
        return true;
    default:
        return false;
    }
}

static void decode(struct packet *pkt, int linktype, const uint8_t *data, uint32_t caplen,
                   uint32_t length, uint64_t timestamp_us, bool flow_only)
{
    pkt->flow_only = flow_only;
    pkt->timestamp = timestamp_us;
    pkt->caplen = caplen;
    pkt->length = length;
    pkt->data = data;
    pkt->layers = 0;
    pkt->truncated = 0;
    pkt->malformed = 0;
    pkt->unknown_linktype = false;
    pkt->not_decoded = false;
    pkt->cid_state = 0;
    pkt->eth.linktype = (uint32_t)linktype;
    pkt->eth.vlan_count = 0;

    struct cursor c = cursor_make(data, caplen);
    switch (linktype) {
    case DLT_EN10MB:
        decode_eth(pkt, c);
        break;
    case DLT_LINUX_SLL:
        decode_sll(pkt, c);
        break;
    case DLT_LINUX_SLL2:
        decode_sll2(pkt, c);
        break;
    case DLT_RAW:
    case DLT_IPV4:
    case DLT_IPV6:
        decode_raw(pkt, c, linktype);
        break;
    case DLT_NULL:
        decode_null(pkt, c, false);
        break;
    case DLT_LOOP:
        decode_null(pkt, c, true);
        break;
    case DLT_C_HDLC:
        decode_chdlc(pkt, c);
        break;
    case DLT_PPP:
    case DLT_PPP_SERIAL:
        decode_ppp(pkt, c);
        break;
    case DLT_PPP_ETHER:
        decode_ppp_ether(pkt, c);
        break;
    case DLT_IEEE802_11:
    case DLT_IEEE802_11_RADIO:
        decode_ieee80211(pkt, c, linktype == DLT_IEEE802_11_RADIO);
        break;
    default:
        pkt->unknown_linktype = true;
        break;
    }

    flow_tuple_fill(pkt);
    if (flow_only)
        return;
    for (uint32_t bits = pkt->layers; bits; bits &= bits - 1) {
        int l = __builtin_ctz(bits);
        pkt->ref[l].hash = XXH32(pkt->ref[l].hdr, pkt->ref[l].len, 0);
    }
}

void decode_packet(struct packet *pkt, int linktype, const uint8_t *data, uint32_t caplen,
                   uint32_t length, uint64_t timestamp_us)
{
    decode(pkt, linktype, data, caplen, length, timestamp_us, false);
}

void decode_packet_flow(struct packet *pkt, int linktype, const uint8_t *data, uint32_t caplen,
                        uint32_t length, uint64_t timestamp_us)
{
    decode(pkt, linktype, data, caplen, length, timestamp_us, true);
}

void decode_ethertype(struct packet *pkt, struct cursor c, uint16_t type)
{
    pkt->eth.payload_type = type;
    switch (type) {
    case 0x0800:
        decode_ip4(pkt, c);
        break;
    case 0x86dd:
        decode_ip6(pkt, c);
        break;
    case 0x0806: /* ARP */
    case 0x8035: /* RARP */
        decode_arp(pkt, c);
        break;
    case 0x8100: /* 802.1Q */
    case 0x88a8: /* 802.1ad */
    case 0x9100: /* pre-standard QinQ */
        decode_vlan(pkt, c, type);
        break;
    case 0x8847: /* MPLS unicast */
    case 0x8848: /* MPLS multicast */
        decode_mpls(pkt, c);
        break;
    case 0x8864: /* PPPoE session */
        decode_pppoe(pkt, c);
        break;
    default:
        pkt->not_decoded = true;
        break;
    }
}

void decode_ip_proto(struct packet *pkt, struct cursor c, uint8_t proto)
{
    switch (proto) {
    case 6:
        decode_tcp(pkt, c);
        break;
    case 17:
        decode_udp(pkt, c);
        break;
    case 1:
        decode_icmp4(pkt, c);
        break;
    case 58:
        decode_icmp6(pkt, c);
        break;
    case 51: /* AH over IPv4 (over IPv6 it is part of the extension chain) */
        decode_ah(pkt, c);
        break;
    default:
        pkt->not_decoded = true;
        break;
    }
}
