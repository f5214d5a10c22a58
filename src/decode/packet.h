/*
 * packet.h - one decoded packet: the contract between the decoder and
 * every sink.
 *
 * decode_packet() walks the captured bytes once, layer by layer, and fills
 * one struct packet: for each layer present a pointer to its header inside
 * the captured buffer, the header length as captured, a 32-bit hash of
 * those bytes, and the parsed fields the sinks need.  Nothing is copied
 * except DNS names (which must be decompressed).  Truncated and malformed
 * layers set a bit in `truncated` / `malformed` and stop the walk; they
 * never read past caplen.
 *
 * This is the specification's capture_packet, extended.  A field of a
 * layer is meaningful only when the layer's bit is set in `layers`
 * (packet_has()); decode_packet() does not clear the fields of absent
 * layers, to keep the hot path cheap.
 */
#ifndef NETSIFT_PACKET_H
#define NETSIFT_PACKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The decoded layers, in storage-table order.  One SQLite table each. */
enum layer {
    LAYER_ETH,
    LAYER_ARP,
    LAYER_IP4,
    LAYER_IP6,
    LAYER_TCP,
    LAYER_UDP,
    LAYER_ICMP4,
    LAYER_ICMP6,
    LAYER_DNS,
    LAYER_MDNS,
    LAYER_DHCP,
    LAYER_COUNT
};

/* Lower-case name of a layer ("eth", "ip4", ...), also its table name. */
const char *layer_name(enum layer l);

/* A span of captured bytes (never owned). */
struct bytes {
    const uint8_t *p;
    uint32_t len;
};

/* Where a layer's header sits in the captured buffer and its hash. */
struct layer_ref {
    const uint8_t *hdr; /* first byte of the header */
    uint32_t len;       /* header bytes as captured (options included) */
    uint32_t hash;      /* XXH32(hdr, len, seed 0) */
};

#define VLAN_MAX_TAGS 4
#define DNS_NAME_MAX 1024 /* presentation form, escapes included */

struct eth_fields {
    uint32_t linktype;      /* pcap LINKTYPE_* of the frame */
    struct bytes dst;       /* destination hardware address; len 0 if none */
    struct bytes src;       /* source hardware address; len 0 if none */
    uint16_t type;          /* first EtherType / protocol of the link header */
    uint16_t payload_type;  /* EtherType after all VLAN tags */
    uint8_t vlan_count;     /* 802.1Q / 802.1ad tags seen (max VLAN_MAX_TAGS) */
    uint16_t vlan_id[VLAN_MAX_TAGS]; /* outermost first */
};

struct arp_fields {
    uint16_t hrd, pro;
    uint8_t hln, pln;
    uint16_t op;
    struct bytes sha, spa, tha, tpa;
};

struct ip4_fields {
    uint8_t hl, v, tos;
    uint16_t len, id, off; /* off: flags and fragment offset, as on the wire */
    uint8_t ttl, p;
    uint16_t sum;
    uint8_t src[4], dst[4];
};

struct ip6_fields {
    uint32_t flow;   /* first 32 bits: version, traffic class, flow label */
    uint16_t plen;
    uint8_t nxt;     /* next header of the fixed header */
    uint8_t hlim;
    uint8_t vfc;     /* first byte: version and high bits of traffic class */
    uint8_t src[16], dst[16];
    uint8_t upper;   /* protocol after the extension header chain */
    uint8_t ext_count;
    bool fragment;   /* a fragment header was seen */
    uint16_t frag_off; /* its offset field in 8-byte units */
};

struct tcp_fields {
    uint16_t source, dest;
    uint32_t seq, ack_seq;
    uint8_t doff, res1; /* res1: the 4 bits after doff (reserved + AE/NS) */
    uint8_t flags;      /* byte 13: CWR ECE URG ACK PSH RST SYN FIN */
    uint16_t window, check, urg_ptr;
    struct bytes payload;
};

struct udp_fields {
    uint16_t source, dest, len, check;
    struct bytes payload;
};

struct icmp_fields { /* ICMPv4 and ICMPv6 share the first 8 bytes' shape */
    uint8_t type, code;
    uint16_t checksum;
    uint32_t data32; /* bytes 4..7 (gateway / id+seq / mtu / pointer) */
};

struct dns_fields { /* DNS and mDNS */
    bool over_tcp;
    uint16_t tid, flags, qdcount, ancount, nscount, arcount;
    bool has_question;
    char qname[DNS_NAME_MAX];
    uint16_t qtype, qclass;
    uint16_t answers_parsed; /* answer records walked successfully */
};

struct dhcp_fields {
    uint8_t op, htype, hlen, hops;
    uint32_t xid;
    uint16_t secs, flags;
    uint8_t ciaddr[4], yiaddr[4], siaddr[4], giaddr[4];
    struct bytes chaddr;     /* first hlen (max 16) bytes of chaddr */
    int16_t msg_type;        /* option 53, -1 if absent */
    struct bytes host_name;  /* option 12 */
    struct bytes vendor_class; /* option 60 */
    struct bytes param_list; /* option 55 */
    struct bytes client_id;  /* option 61 */
    struct bytes requested_ip; /* option 50 */
};

/* The packet's flow, worked out once by the decoder (flow.h): every
 * consumer (the workers' dispatcher, the monitor's flow table, audit
 * flows, Community ID, the raw store's index, the stats filters) reads
 * it instead of deriving its own. */
struct flow_tuple {
    uint8_t family;         /* 4 or 6; 0: no IP header (then the rest is zero) */
    uint8_t proto;          /* IP protocol (IPv6: after the extension headers) */
    bool ports;             /* sport/dport are a TCP or UDP header's */
    bool later_fragment;    /* an IP fragment after the first: no transport header */
    uint16_t sport, dport;  /* host order; 0 without ports */
    uint16_t vlan;          /* outermost VLAN id, 0 untagged */
    uint8_t src[16], dst[16]; /* as sent; IPv4 in the first 4 bytes, the rest zero */
    uint8_t lo_side;        /* 0 when (src, sport) comes first in the endpoint order
                               (flow_endpoint_cmp), 1 when (dst, dport) does */
    uint32_t hash;          /* symmetric (both directions alike): worker and flow table */
};

struct packet {
    /* capture metadata */
    uint64_t timestamp; /* microseconds since the epoch */
    uint32_t caplen;    /* bytes captured */
    uint32_t length;    /* bytes on the wire */
    const uint8_t *data;
    uint64_t number;    /* position in the capture, from 1 (tshark's frame.number when
                           reading a file); set by the pipeline, 0 when unknown */

    /* which layers are present, truncated, malformed: bit (1u << layer) */
    uint32_t layers;
    uint32_t truncated;
    uint32_t malformed;
    bool unknown_linktype; /* link type netsift does not decode */
    bool not_decoded;      /* a payload of a protocol netsift does not decode */
    bool flow_only;        /* decode_packet_flow(): no header hashes, no DNS/DHCP */

    struct layer_ref ref[LAYER_COUNT];

    struct eth_fields eth;
    struct arp_fields arp;
    struct ip4_fields ip4;
    struct ip6_fields ip6;
    struct tcp_fields tcp;
    struct udp_fields udp;
    struct icmp_fields icmp4;
    struct icmp_fields icmp6;
    struct dns_fields dns; /* for LAYER_DNS or LAYER_MDNS */
    struct dhcp_fields dhcp;

    struct flow_tuple flow;

    /* Community ID cache (community_id.h: packet_community_id()):
     * 0 not computed yet, 1 cid holds it, 2 the packet has none. */
    uint8_t cid_state;
    char cid[31];
};

static inline bool packet_has(const struct packet *pkt, enum layer l)
{
    return (pkt->layers >> l) & 1u;
}

/* True when the packet is an IPv4 fragment (more fragments follow, or it
 * has an offset); the pipeline reassembles those (capture/defrag.h). */
static inline bool packet_is_ip4_fragment(const struct packet *pkt)
{
    return packet_has(pkt, LAYER_IP4) && (pkt->ip4.off & 0x3fff) != 0;
}

/*
 * Decode one captured frame of the given pcap link type.  data must hold
 * caplen bytes and stay valid as long as pkt is used.
 */
void decode_packet(struct packet *pkt, int linktype, const uint8_t *data,
                   uint32_t caplen, uint32_t length, uint64_t timestamp_us);

/*
 * As decode_packet(), only as far as the flow hash and IPv4 fragment
 * reassembly need: link, IP and transport layers with their fields, but no
 * header hashes (ref[].hash is not set) and no application layer (DNS,
 * mDNS, DHCP).  The pipeline's reader uses it to pick a worker.
 */
void decode_packet_flow(struct packet *pkt, int linktype, const uint8_t *data,
                        uint32_t caplen, uint32_t length, uint64_t timestamp_us);

/* Symmetric hash of the packet's flow (both directions alike): which
 * worker owns it: the flow tuple's hash, or for frames without IP their
 * MAC pair's.  See flow.c. */
uint32_t packet_flow_hash(const struct packet *pkt);

/* True when netsift decodes frames of this pcap link type. */
bool decode_linktype_supported(int linktype);

#endif
