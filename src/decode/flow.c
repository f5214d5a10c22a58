/*
 * flow.c - the one flow key (see flow.h): the tuple of a decoded packet,
 * the endpoint order and the symmetric hash.
 *
 * Both directions of a conversation hash alike: the two endpoints
 * (address and, for TCP/UDP, port) are put in order before hashing,
 * together with the IP version and protocol and the outer VLAN id.
 * Frames without IP give the workers' dispatcher their MAC pair's hash;
 * frames without either hash to 0.  A later IP fragment carries no ports:
 * IPv4 fragments are reassembled before the workers (capture/defrag.h),
 * IPv6 ones keep their addresses only.
 */
#include "flow.h"

#include <string.h>
#include <xxhash.h>

int flow_endpoint_cmp(const uint8_t *a, uint16_t pa, const uint8_t *b, uint16_t pb, size_t alen)
{
    int c = memcmp(a, b, alen);
    if (c)
        return c;
    return pa < pb ? -1 : pa > pb;
}

bool flow_order_endpoints(const uint8_t **a, uint16_t *pa, const uint8_t **b, uint16_t *pb,
                          size_t alen)
{
    if (flow_endpoint_cmp(*a, *pa, *b, *pb, alen) <= 0)
        return false;
    const uint8_t *t = *a;
    *a = *b;
    *b = t;
    uint16_t tp = *pa;
    *pa = *pb;
    *pb = tp;
    return true;
}

uint32_t flow_hash(uint8_t family, uint8_t proto, uint16_t vlan, const uint8_t *a, uint16_t pa,
                   const uint8_t *b, uint16_t pb)
{
    size_t alen = family == 6 ? 16 : family == 4 ? 4 : 6;
    flow_order_endpoints(&a, &pa, &b, &pb, alen);
    uint8_t key[2 * (16 + 2) + 4], *w = key;
    *w++ = family;
    *w++ = proto;
    memcpy(w, &vlan, 2);
    w += 2;
    memcpy(w, a, alen);
    w += alen;
    memcpy(w, &pa, 2);
    w += 2;
    memcpy(w, b, alen);
    w += alen;
    memcpy(w, &pb, 2);
    w += 2;
    return XXH32(key, (size_t)(w - key), 0);
}

void flow_tuple_fill(struct packet *pkt)
{
    struct flow_tuple *t = &pkt->flow;
    memset(t, 0, sizeof *t);
    size_t alen;
    if (packet_has(pkt, LAYER_IP4)) {
        t->family = 4;
        t->proto = pkt->ip4.p;
        t->later_fragment = (pkt->ip4.off & 0x1fff) != 0;
        memcpy(t->src, pkt->ip4.src, 4);
        memcpy(t->dst, pkt->ip4.dst, 4);
        alen = 4;
    } else if (packet_has(pkt, LAYER_IP6)) {
        t->family = 6;
        t->proto = pkt->ip6.upper;
        t->later_fragment = pkt->ip6.fragment && pkt->ip6.frag_off != 0;
        memcpy(t->src, pkt->ip6.src, 16);
        memcpy(t->dst, pkt->ip6.dst, 16);
        alen = 16;
    } else {
        return;
    }
    if (packet_has(pkt, LAYER_TCP)) {
        t->ports = true;
        t->sport = pkt->tcp.source;
        t->dport = pkt->tcp.dest;
    } else if (packet_has(pkt, LAYER_UDP)) {
        t->ports = true;
        t->sport = pkt->udp.source;
        t->dport = pkt->udp.dest;
    }
    t->vlan = pkt->eth.vlan_count ? pkt->eth.vlan_id[0] : 0;
    t->lo_side = flow_endpoint_cmp(t->src, t->sport, t->dst, t->dport, alen) > 0;
    t->hash = flow_hash(t->family, t->proto, t->vlan, t->src, t->sport, t->dst, t->dport);
}

uint32_t packet_flow_hash(const struct packet *pkt)
{
    if (pkt->flow.family)
        return pkt->flow.hash;
    if (packet_has(pkt, LAYER_ETH) && pkt->eth.src.len == 6 && pkt->eth.dst.len == 6) {
        return flow_hash(0, 0, pkt->eth.vlan_count ? pkt->eth.vlan_id[0] : 0, pkt->eth.src.p, 0,
                         pkt->eth.dst.p, 0);
    }
    return 0;
}
