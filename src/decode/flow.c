/*
 * flow.c - the symmetric flow hash that assigns packets to workers.
 *
 * Both directions of a conversation hash alike: the two endpoints
 * (address and, for TCP/UDP, port) are put in a fixed order before
 * hashing, together with the IP protocol and the outer VLAN id.  Frames
 * without IP hash by their MAC pair; frames without either hash to 0.
 * Later IPv4/IPv6 fragments carry no ports and may land on another
 * worker than the first fragment.
 */
#include <string.h>
#include <xxhash.h>

#include "packet.h"

struct endpoint {
    uint8_t addr[16];
    uint16_t port;
};

uint32_t packet_flow_hash(const struct packet *pkt)
{
    struct {
        struct endpoint lo, hi;
        uint16_t vlan;
        uint8_t proto;
    } key;
    struct endpoint a, b;
    memset(&key, 0, sizeof key);
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    if (packet_has(pkt, LAYER_IP4)) {
        memcpy(a.addr, pkt->ip4.src, 4);
        memcpy(b.addr, pkt->ip4.dst, 4);
        key.proto = pkt->ip4.p;
    } else if (packet_has(pkt, LAYER_IP6)) {
        memcpy(a.addr, pkt->ip6.src, 16);
        memcpy(b.addr, pkt->ip6.dst, 16);
        key.proto = pkt->ip6.upper;
    } else if (packet_has(pkt, LAYER_ETH) && pkt->eth.src.len == 6 && pkt->eth.dst.len == 6) {
        memcpy(a.addr, pkt->eth.src.p, 6);
        memcpy(b.addr, pkt->eth.dst.p, 6);
    } else {
        return 0;
    }
    if (packet_has(pkt, LAYER_TCP)) {
        a.port = pkt->tcp.source;
        b.port = pkt->tcp.dest;
    } else if (packet_has(pkt, LAYER_UDP)) {
        a.port = pkt->udp.source;
        b.port = pkt->udp.dest;
    }
    bool swap = memcmp(&a, &b, sizeof a) > 0;
    key.lo = swap ? b : a;
    key.hi = swap ? a : b;
    key.vlan = pkt->eth.vlan_count ? pkt->eth.vlan_id[0] : 0;
    return XXH32(&key, sizeof key, 0);
}
