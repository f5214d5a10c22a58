/*
 * encoders.c - layer encoders: struct packet fields into protobuf
 * messages (see encoders.h), one function per record type and one table
 * saying which layer each needs and which layers encapsulate it.
 */
#include "encoders.h"

#include <string.h>
#include <strings.h>

#include "../decode/cursor.h"
#include "../decode/tls_hello.h"
#include "../util/text.h"

#define BIT(r) (1u << (r))
#define LINK_BITS (BIT(REC_ETHERNET) | BIT(REC_DOT1Q))
#define NET_BITS (BIT(REC_IPV4) | BIT(REC_IPV6))
#define TRANSPORT_BITS (BIT(REC_TCP) | BIT(REC_UDP))

struct enc_ctx {
    const struct packet *pkt;
    bool payload;
    audit_emit_fn emit;
    void *ctx;
};

/* The captured bytes after a layer's header. */
static struct bytes after(const struct packet *pkt, enum layer l)
{
    const uint8_t *end = pkt->data + pkt->caplen;
    const uint8_t *p = pkt->ref[l].hdr + pkt->ref[l].len;
    if (p < pkt->data || p > end)
        return (struct bytes){NULL, 0};
    return (struct bytes){p, (uint32_t)(end - p)};
}

static void set_payload(const struct enc_ctx *e, struct bytes b, int32_t *size,
                        ProtobufCBinaryData *out)
{
    *size = (int32_t)b.len;
    if (e->payload && b.len) {
        out->data = (uint8_t *)b.p;
        out->len = b.len;
    }
}

static void addr_text(struct bytes b, char out[ADDR_TEXT_MAX])
{
    out[0] = '\0';
    if (b.p && b.len)
        format_addr(b.p, b.len > 16 ? 16 : b.len, out);
}

static int enc_ethernet(const struct enc_ctx *e)
{
    const struct packet *pkt = e->pkt;
    Netsift__Ethernet m = NETSIFT__ETHERNET__INIT;
    char src[ADDR_TEXT_MAX], dst[ADDR_TEXT_MAX];
    addr_text(pkt->eth.src, src);
    addr_text(pkt->eth.dst, dst);
    m.timestamp = (int64_t)pkt->timestamp;
    m.srcmac = src;
    m.dstmac = dst;
    m.ethernettype = pkt->eth.type;
    m.payloadtype = pkt->eth.payload_type;
    m.linktype = (int32_t)pkt->eth.linktype;
    m.headerlength = (int32_t)pkt->ref[LAYER_ETH].len;
    set_payload(e, after(pkt, LAYER_ETH), &m.payloadsize, &m.payload);
    return e->emit(e->ctx, REC_ETHERNET, &m.base);
}

/* One record per tag.  The tags are the last 4 bytes per tag of the link
 * header: TCI, then the EtherType that follows (the first tag's TPID is
 * the base header's type field). */
static int enc_dot1q(const struct enc_ctx *e)
{
    const struct packet *pkt = e->pkt;
    const struct layer_ref *ref = &pkt->ref[LAYER_ETH];
    bool whole = pkt->eth.vlan_count < VLAN_MAX_TAGS &&
                 ref->len >= 4u * pkt->eth.vlan_count;
    struct cursor c = cursor_make(ref->hdr, ref->len);
    size_t base = whole ? ref->len - 4u * pkt->eth.vlan_count : 0;
    for (unsigned i = 0; i < pkt->eth.vlan_count; i++) {
        Netsift__Dot1Q m = NETSIFT__DOT1_Q__INIT;
        uint16_t tci = pkt->eth.vlan_id[i], type = 0;
        if (whole && cursor_peek_be16(&c, base + 4 * i, &tci) &&
            cursor_peek_be16(&c, base + 4 * i + 2, &type)) {
            m.priority = tci >> 13;
            m.dropeligible = (tci >> 12) & 1;
            m.type = type;
        }
        m.timestamp = (int64_t)pkt->timestamp;
        m.vlanidentifier = pkt->eth.vlan_id[i];
        m.index = (int32_t)i;
        int rc = e->emit(e->ctx, REC_DOT1Q, &m.base);
        if (rc)
            return rc;
    }
    return 0;
}

static int enc_arp(const struct enc_ctx *e)
{
    const struct arp_fields *a = &e->pkt->arp;
    Netsift__ARP m = NETSIFT__ARP__INIT;
    char sha[ADDR_TEXT_MAX], spa[ADDR_TEXT_MAX], tha[ADDR_TEXT_MAX], tpa[ADDR_TEXT_MAX];
    addr_text(a->sha, sha);
    addr_text(a->spa, spa);
    addr_text(a->tha, tha);
    addr_text(a->tpa, tpa);
    m.timestamp = (int64_t)e->pkt->timestamp;
    m.addrtype = a->hrd;
    m.protocol = a->pro;
    m.hwaddresssize = a->hln;
    m.protaddresssize = a->pln;
    m.operation = a->op;
    m.srchwaddress = sha;
    m.srcprotaddress = spa;
    m.dsthwaddress = tha;
    m.dstprotaddress = tpa;
    return e->emit(e->ctx, REC_ARP, &m.base);
}

static int enc_ipv4(const struct enc_ctx *e)
{
    const struct packet *pkt = e->pkt;
    const struct ip4_fields *ip = &pkt->ip4;
    Netsift__IPv4 m = NETSIFT__IPV4__INIT;
    char src[16], dst[16];
    format_ip4(ip->src, src);
    format_ip4(ip->dst, dst);
    m.timestamp = (int64_t)pkt->timestamp;
    m.version = ip->v;
    m.ihl = ip->hl;
    m.tos = ip->tos;
    m.length = ip->len;
    m.id = ip->id;
    m.flags = ip->off >> 13;
    m.fragoffset = ip->off & 0x1fff;
    m.ttl = ip->ttl;
    m.protocol = ip->p;
    m.checksum = ip->sum;
    m.srcip = src;
    m.dstip = dst;
    if (pkt->ref[LAYER_IP4].len > 20) {
        m.options.data = (uint8_t *)pkt->ref[LAYER_IP4].hdr + 20;
        m.options.len = pkt->ref[LAYER_IP4].len - 20;
    }
    set_payload(e, after(pkt, LAYER_IP4), &m.payloadsize, &m.payload);
    return e->emit(e->ctx, REC_IPV4, &m.base);
}

#define IP6_EXT_MAX 32

static int enc_ipv6(const struct enc_ctx *e)
{
    const struct packet *pkt = e->pkt;
    const struct ip6_fields *ip = &pkt->ip6;
    Netsift__IPv6 m = NETSIFT__IPV6__INIT;
    Netsift__IPv6ExtensionHeader ext[IP6_EXT_MAX];
    Netsift__IPv6ExtensionHeader *extp[IP6_EXT_MAX];
    char src[ADDR_TEXT_MAX], dst[ADDR_TEXT_MAX];
    format_ip6(ip->src, src);
    format_ip6(ip->dst, dst);
    m.timestamp = (int64_t)pkt->timestamp;
    m.version = ip->vfc >> 4;
    m.trafficclass = (int32_t)((ip->flow >> 20) & 0xff);
    m.flowlabel = ip->flow & 0xfffff;
    m.length = ip->plen;
    m.nextheader = ip->nxt;
    m.hoplimit = ip->hlim;
    m.srcip = src;
    m.dstip = dst;
    m.upperprotocol = ip->upper;
    m.fragment = ip->fragment;
    m.fragmentoffset = ip->frag_off;
    /* the extension headers as the decoder walked them (same lengths) */
    struct cursor c = cursor_make(pkt->ref[LAYER_IP6].hdr, pkt->ref[LAYER_IP6].len);
    uint8_t nxt = ip->nxt, hl;
    cursor_skip(&c, 40);
    size_t n = 0;
    while (n < ip->ext_count && n < IP6_EXT_MAX && cursor_peek_u8(&c, 1, &hl)) {
        size_t len = nxt == 51 ? ((size_t)hl + 2) * 4 : nxt == 44 ? 8 : ((size_t)hl + 1) * 8;
        netsift__ipv6_extension_header__init(&ext[n]);
        ext[n].type = nxt;
        ext[n].length = (int32_t)len;
        extp[n] = &ext[n];
        n++;
        if (!cursor_peek_u8(&c, 0, &nxt) || !cursor_skip(&c, len))
            break;
    }
    m.n_extensionheaders = n;
    m.extensionheaders = extp;
    set_payload(e, after(pkt, LAYER_IP6), &m.payloadsize, &m.payload);
    return e->emit(e->ctx, REC_IPV6, &m.base);
}

static int enc_tcp(const struct enc_ctx *e)
{
    const struct packet *pkt = e->pkt;
    const struct tcp_fields *t = &pkt->tcp;
    Netsift__TCP m = NETSIFT__TCP__INIT;
    m.timestamp = (int64_t)pkt->timestamp;
    m.srcport = t->source;
    m.dstport = t->dest;
    m.seqnum = t->seq;
    m.acknum = t->ack_seq;
    m.dataoffset = t->doff;
    m.reserved = t->res1;
    m.fin = t->flags & 0x01;
    m.syn = (t->flags >> 1) & 1;
    m.rst = (t->flags >> 2) & 1;
    m.psh = (t->flags >> 3) & 1;
    m.ack = (t->flags >> 4) & 1;
    m.urg = (t->flags >> 5) & 1;
    m.ece = (t->flags >> 6) & 1;
    m.cwr = (t->flags >> 7) & 1;
    m.window = t->window;
    m.checksum = t->check;
    m.urgent = t->urg_ptr;
    if (pkt->ref[LAYER_TCP].len > 20) {
        m.options.data = (uint8_t *)pkt->ref[LAYER_TCP].hdr + 20;
        m.options.len = pkt->ref[LAYER_TCP].len - 20;
    }
    set_payload(e, t->payload, &m.payloadsize, &m.payload);
    return e->emit(e->ctx, REC_TCP, &m.base);
}

static int enc_udp(const struct enc_ctx *e)
{
    const struct udp_fields *u = &e->pkt->udp;
    Netsift__UDP m = NETSIFT__UDP__INIT;
    m.timestamp = (int64_t)e->pkt->timestamp;
    m.srcport = u->source;
    m.dstport = u->dest;
    m.length = u->len;
    m.checksum = u->check;
    set_payload(e, u->payload, &m.payloadsize, &m.payload);
    return e->emit(e->ctx, REC_UDP, &m.base);
}

static int enc_icmpv4(const struct enc_ctx *e)
{
    const struct icmp_fields *i = &e->pkt->icmp4;
    Netsift__ICMPv4 m = NETSIFT__ICMPV4__INIT;
    m.timestamp = (int64_t)e->pkt->timestamp;
    m.type = i->type;
    m.code = i->code;
    m.checksum = i->checksum;
    m.rest = i->data32;
    set_payload(e, after(e->pkt, LAYER_ICMP4), &m.payloadsize, &m.payload);
    return e->emit(e->ctx, REC_ICMPV4, &m.base);
}

static int enc_icmpv6(const struct enc_ctx *e)
{
    const struct icmp_fields *i = &e->pkt->icmp6;
    Netsift__ICMPv6 m = NETSIFT__ICMPV6__INIT;
    m.timestamp = (int64_t)e->pkt->timestamp;
    m.type = i->type;
    m.code = i->code;
    m.checksum = i->checksum;
    m.rest = i->data32;
    set_payload(e, after(e->pkt, LAYER_ICMP6), &m.payloadsize, &m.payload);
    return e->emit(e->ctx, REC_ICMPV6, &m.base);
}

static int enc_dns(const struct enc_ctx *e)
{
    const struct packet *pkt = e->pkt;
    const struct dns_fields *d = &pkt->dns;
    Netsift__DNS m = NETSIFT__DNS__INIT;
    /* the decoder's presentation form: text_escape() output, valid UTF-8 */
    char name[DNS_NAME_MAX];
    memcpy(name, d->qname, sizeof name);
    name[sizeof name - 1] = '\0';
    m.timestamp = (int64_t)pkt->timestamp;
    m.id = d->tid;
    m.qr = d->flags >> 15;
    m.opcode = (d->flags >> 11) & 0xf;
    m.aa = (d->flags >> 10) & 1;
    m.tc = (d->flags >> 9) & 1;
    m.rd = (d->flags >> 8) & 1;
    m.ra = (d->flags >> 7) & 1;
    m.z = (d->flags >> 4) & 7;
    m.responsecode = d->flags & 0xf;
    m.qdcount = d->qdcount;
    m.ancount = d->ancount;
    m.nscount = d->nscount;
    m.arcount = d->arcount;
    m.questionname = d->has_question ? name : (char *)"";
    m.questiontype = d->has_question ? d->qtype : 0;
    m.questionclass = d->has_question ? d->qclass : 0;
    m.answersparsed = d->answers_parsed;
    m.overtcp = d->over_tcp;
    m.multicast = packet_has(pkt, LAYER_MDNS);
    return e->emit(e->ctx, REC_DNS, &m.base);
}

static void escape_bytes(struct bytes b, char *out, size_t size)
{
    out[0] = '\0';
    if (b.p && text_escape(b.p, b.len, out, size, false) == (size_t)-1)
        out[size - 1] = '\0';
}

static int enc_dhcpv4(const struct enc_ctx *e)
{
    const struct dhcp_fields *d = &e->pkt->dhcp;
    Netsift__DHCPv4 m = NETSIFT__DHCPV4__INIT;
    char ci[16], yi[16], si[16], gi[16], hw[ADDR_TEXT_MAX], host[1024], vendor[1024];
    char params[255 * 4 + 1], cid[255 * 3 + 1], req[ADDR_TEXT_MAX];
    format_ip4(d->ciaddr, ci);
    format_ip4(d->yiaddr, yi);
    format_ip4(d->siaddr, si);
    format_ip4(d->giaddr, gi);
    addr_text(d->chaddr, hw);
    escape_bytes(d->host_name, host, sizeof host);
    escape_bytes(d->vendor_class, vendor, sizeof vendor);
    size_t used = 0;
    params[0] = '\0';
    for (uint32_t i = 0; d->param_list.p && i < d->param_list.len && i < 255; i++)
        used += (size_t)snprintf(params + used, sizeof params - used, "%s%u", i ? "," : "",
                                 d->param_list.p[i]);
    cid[0] = '\0';
    for (uint32_t i = 0; d->client_id.p && i < d->client_id.len && i < 255; i++)
        snprintf(cid + 3 * i - (i ? 1 : 0), sizeof cid - 3 * i, i ? ":%02x" : "%02x",
                 d->client_id.p[i]);
    addr_text(d->requested_ip, req);
    m.timestamp = (int64_t)e->pkt->timestamp;
    m.operation = d->op;
    m.hardwaretype = d->htype;
    m.hardwarelen = d->hlen;
    m.hardwareopts = d->hops;
    m.xid = d->xid;
    m.secs = d->secs;
    m.flags = d->flags;
    m.clientip = ci;
    m.yourclientip = yi;
    m.nextserverip = si;
    m.relayagentip = gi;
    m.clienthwaddr = hw;
    m.messagetype = d->msg_type;
    m.hostname = host;
    m.vendorclassid = vendor;
    m.parameterlist = params;
    m.clientid = cid;
    m.requestedip = req;
    return e->emit(e->ctx, REC_DHCPV4, &m.base);
}

/* The TLS handshake type a TCP segment starts with (a handshake record,
 * 1 ClientHello, 2 ServerHello), or 0. */
static int tls_hello_type(const struct packet *pkt)
{
    struct cursor c = cursor_make(pkt->tcp.payload.p, pkt->tcp.payload.len);
    uint8_t ct, major, hs;
    if (!packet_has(pkt, LAYER_TCP) || !cursor_peek_u8(&c, 0, &ct) ||
        !cursor_peek_u8(&c, 1, &major) || !cursor_peek_u8(&c, 5, &hs) || ct != 22 || major != 3)
        return 0;
    return hs == 1 || hs == 2 ? hs : 0;
}

struct tls_endpoints {
    char src[ADDR_TEXT_MAX], dst[ADDR_TEXT_MAX];
};

/* The first handshake message of the segment, whole; 0 or -1. */
static int tls_message(const struct packet *pkt, uint8_t *msg, size_t max, size_t *len,
                       struct tls_endpoints *ep)
{
    if (tls_first_handshake(pkt->tcp.payload.p, pkt->tcp.payload.len, msg, max, len) != TLS_DONE)
        return -1;
    if (packet_has(pkt, LAYER_IP4)) {
        format_ip4(pkt->ip4.src, ep->src);
        format_ip4(pkt->ip4.dst, ep->dst);
    } else if (packet_has(pkt, LAYER_IP6)) {
        format_ip6(pkt->ip6.src, ep->src);
        format_ip6(pkt->ip6.dst, ep->dst);
    } else {
        ep->src[0] = ep->dst[0] = '\0';
    }
    return 0;
}

static int enc_tls_client(const struct enc_ctx *e)
{
    static _Thread_local uint8_t msg[TLS_HANDSHAKE_MAX];
    size_t len;
    struct tls_endpoints ep;
    struct tls_client_hello ch;
    if (tls_hello_type(e->pkt) != 1 || tls_message(e->pkt, msg, sizeof msg, &len, &ep) != 0 ||
        tls_parse_client_hello(msg, len, &ch) != 0)
        return 0;
    Netsift__TLSClientHello m = NETSIFT__TLSCLIENT_HELLO__INIT;
    m.timestamp = (int64_t)e->pkt->timestamp;
    m.srcip = ep.src, m.dstip = ep.dst;
    m.srcport = e->pkt->tcp.source, m.dstport = e->pkt->tcp.dest;
    m.sni = ch.sni, m.ja3 = ch.ja3, m.ja4 = ch.ja4;
    return e->emit(e->ctx, REC_TLSCLIENTHELLO, &m.base);
}

static int enc_tls_server(const struct enc_ctx *e)
{
    static _Thread_local uint8_t msg[TLS_HANDSHAKE_MAX];
    size_t len;
    struct tls_endpoints ep;
    struct tls_server_hello sh;
    if (tls_hello_type(e->pkt) != 2 || tls_message(e->pkt, msg, sizeof msg, &len, &ep) != 0 ||
        tls_parse_server_hello(msg, len, &sh) != 0)
        return 0;
    Netsift__TLSServerHello m = NETSIFT__TLSSERVER_HELLO__INIT;
    m.timestamp = (int64_t)e->pkt->timestamp;
    m.srcip = ep.src, m.dstip = ep.dst;
    m.srcport = e->pkt->tcp.source, m.dstport = e->pkt->tcp.dest;
    m.ja3s = sh.ja3s;
    return e->emit(e->ctx, REC_TLSSERVERHELLO, &m.base);
}

/* One row per layer encoder: what it needs and what encapsulates it. */
static const struct layer_encoder {
    enum audit_rec rec;
    int (*encode)(const struct enc_ctx *e);
    uint32_t outer; /* records whose exclusion suppresses this one */
} layer_encoders[] = {
    {REC_ETHERNET, enc_ethernet, 0},
    {REC_DOT1Q, enc_dot1q, BIT(REC_ETHERNET)},
    {REC_ARP, enc_arp, LINK_BITS},
    {REC_IPV4, enc_ipv4, LINK_BITS},
    {REC_IPV6, enc_ipv6, LINK_BITS},
    {REC_TCP, enc_tcp, LINK_BITS | NET_BITS},
    {REC_UDP, enc_udp, LINK_BITS | NET_BITS},
    {REC_ICMPV4, enc_icmpv4, LINK_BITS | NET_BITS},
    {REC_ICMPV6, enc_icmpv6, LINK_BITS | NET_BITS},
    {REC_DNS, enc_dns, LINK_BITS | NET_BITS | TRANSPORT_BITS},
    {REC_DHCPV4, enc_dhcpv4, LINK_BITS | NET_BITS | TRANSPORT_BITS},
    {REC_TLSCLIENTHELLO, enc_tls_client, LINK_BITS | NET_BITS | TRANSPORT_BITS},
    {REC_TLSSERVERHELLO, enc_tls_server, LINK_BITS | NET_BITS | TRANSPORT_BITS},
};
#define NENCODERS (sizeof layer_encoders / sizeof layer_encoders[0])

uint32_t audit_layers_present(const struct packet *pkt)
{
    static const struct {
        enum layer layer;
        enum audit_rec rec;
    } map[] = {
        {LAYER_ETH, REC_ETHERNET}, {LAYER_ARP, REC_ARP},     {LAYER_IP4, REC_IPV4},
        {LAYER_IP6, REC_IPV6},     {LAYER_TCP, REC_TCP},     {LAYER_UDP, REC_UDP},
        {LAYER_ICMP4, REC_ICMPV4}, {LAYER_ICMP6, REC_ICMPV6}, {LAYER_DNS, REC_DNS},
        {LAYER_MDNS, REC_DNS},     {LAYER_DHCP, REC_DHCPV4},
    };
    uint32_t bits = 0;
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (packet_has(pkt, map[i].layer))
            bits |= BIT(map[i].rec);
    if (packet_has(pkt, LAYER_ETH) && pkt->eth.vlan_count)
        bits |= BIT(REC_DOT1Q);
    int tls = tls_hello_type(pkt);
    if (tls)
        bits |= BIT(tls == 1 ? REC_TLSCLIENTHELLO : REC_TLSSERVERHELLO);
    return bits;
}

int audit_encode_layers(const struct packet *pkt, uint32_t enabled, uint32_t excluded,
                        bool payload, audit_emit_fn emit, void *ctx)
{
    uint32_t present = audit_layers_present(pkt);
    uint32_t cut = present & excluded; /* excluded layers this packet has */
    struct enc_ctx e = {pkt, payload, emit, ctx};
    for (size_t i = 0; i < NENCODERS; i++) {
        const struct layer_encoder *le = &layer_encoders[i];
        if (!(present & enabled & BIT(le->rec)) || (le->outer & cut))
            continue;
        int rc = le->encode(&e);
        if (rc)
            return rc;
    }
    return 0;
}

/* Parse a comma-separated list of encoder names into bits. */
static int parse_names(const char *list, uint32_t *bits, char *err, size_t errlen)
{
    *bits = 0;
    while (*list) {
        size_t n = strcspn(list, ",");
        char name[64];
        if (n && n < sizeof name) {
            memcpy(name, list, n);
            name[n] = '\0';
            int r = audit_type_by_name(name);
            if (r < 0) {
                snprintf(err, errlen, "unknown encoder '%s' (see --encoders)", name);
                return -1;
            }
            *bits |= BIT(r);
        } else if (n) {
            snprintf(err, errlen, "unknown encoder '%.*s' (see --encoders)", (int)n, list);
            return -1;
        }
        list += n;
        if (*list == ',')
            list++;
    }
    return 0;
}

int audit_select(const char *include, const char *exclude, uint32_t *enabled,
                 uint32_t *excluded, char *err, size_t errlen)
{
    uint32_t inc = 0, exc = 0;
    if (parse_names(include, &inc, err, errlen) != 0 || parse_names(exclude, &exc, err, errlen) != 0)
        return -1;
    uint32_t all = BIT(REC_COUNT) - 1;
    *enabled = (include[0] ? inc : all) & ~exc;
    *excluded = exc;
    return 0;
}

void audit_list_encoders(FILE *f)
{
    for (int i = 0; i < REC_COUNT; i++)
        fprintf(f, "+ %s%s\n", audit_types[i].name, audit_types[i].custom ? " (custom)" : "");
}
