/*
 * gen_sample.c - writes netsift's deterministic sample capture.
 *
 * sample/sample.pcap is the small capture that the decoders, sinks, unit
 * tests and the differential tests against tshark run on. It is generated
 * from this file rather than recorded, so that every frame is reviewable,
 * every address is a documentation/private one, and the file can be
 * rebuilt bit for bit: timestamps start at 1700000000.000000 and advance
 * by a fixed step, nothing depends on rand() or the clock, and two runs
 * produce byte-identical output.
 *
 *   gcc -std=c11 -Wall -Wextra -O2 tools/gen_sample.c -lpcap -o build/gen_sample
 *   build/gen_sample sample/sample.pcap        (-l also lists the frames)
 *
 * How packets are built: a struct pkt is a byte buffer written front to
 * back with put_u8/put_be16/put_be32/put_bytes. Each layer helper (eth,
 * vlan, ip4, ip6, the IPv6 extension headers, udp, tcp, icmp_hdr) stores
 * its EtherType or protocol number in the field left open by the layer
 * before it, so any stacking works. pkt_finish() then fills in IP lengths,
 * the IPv4 header checksum and the UDP length and TCP/UDP/ICMP/ICMPv6/IGMP
 * checksums (with the pseudo-header where the protocol has one).
 *
 * The frame sequence is in main(); sample/README.md lists it by number.
 * The last frames are deliberately broken; each says how.
 */
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE
#endif /* u_char & co. for pcap.h under -std=c11 */

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pcap/pcap.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TS_START_SEC 1700000000u
#define TS_STEP_US   1000u /* every frame is 1 ms after the previous one */
#define SNAPLEN      65535
#define PKT_MAX      2048
#define ETH_MIN      60    /* shortest Ethernet frame without FCS */

/* ------------------------------------------------------------------ */
/* Errors                                                              */

static void die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("gen_sample: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(1);
}

/* ------------------------------------------------------------------ */
/* Byte buffer                                                         */

struct pkt {
    uint8_t d[PKT_MAX];
    size_t  n;
    size_t  etype_off;  /* EtherType field the next layer fills in, 0 = none */
    size_t  proto_off;  /* IP protocol / next-header field still open, 0 = none */
    size_t  ip_off;     /* start of the (innermost) IP header */
    int     ip_ver;     /* 0 (no IP), 4 or 6 */
    size_t  l4_off;     /* start of the upper-layer header */
    uint8_t l4;         /* its protocol number, 0 = none (e.g. a fragment) */
    uint8_t ps_src[16]; /* pseudo-header addresses; ps_dst is the final */
    uint8_t ps_dst[16]; /* destination when a routing header is present */
};

static void put_u8(struct pkt *p, uint8_t v)
{
    if (p->n >= PKT_MAX)
        die("packet larger than %d bytes", PKT_MAX);
    p->d[p->n++] = v;
}

static void put_be16(struct pkt *p, uint16_t v)
{
    put_u8(p, (uint8_t)(v >> 8));
    put_u8(p, (uint8_t)v);
}

static void put_be32(struct pkt *p, uint32_t v)
{
    put_be16(p, (uint16_t)(v >> 16));
    put_be16(p, (uint16_t)v);
}

static void put_bytes(struct pkt *p, const void *src, size_t len)
{
    if (len == 0)
        return; /* src may be NULL */
    if (len > PKT_MAX - p->n)
        die("packet larger than %d bytes", PKT_MAX);
    memcpy(p->d + p->n, src, len);
    p->n += len;
}

static void put_zero(struct pkt *p, size_t len)
{
    while (len--)
        put_u8(p, 0);
}

static void put_str(struct pkt *p, const char *s)
{
    put_bytes(p, s, strlen(s));
}

/* LEN bytes counting up from FIRST: recognisable filler for payloads. */
static void put_pattern(struct pkt *p, size_t len, uint8_t first)
{
    for (size_t i = 0; i < len; i++)
        put_u8(p, (uint8_t)(first + i));
}

static void set_be16(struct pkt *p, size_t off, uint16_t v)
{
    p->d[off] = (uint8_t)(v >> 8);
    p->d[off + 1] = (uint8_t)v;
}

/* Addresses are written as text in the tables below and parsed here. */
static void put_mac(struct pkt *p, const char *s)
{
    unsigned b[6];
    if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5]) != 6)
        die("bad MAC address '%s'", s);
    for (int i = 0; i < 6; i++)
        put_u8(p, (uint8_t)b[i]);
}

static void put_addr(struct pkt *p, int af, const char *s)
{
    uint8_t a[16];
    if (inet_pton(af, s, a) != 1)
        die("bad IPv%d address '%s'", af == AF_INET ? 4 : 6, s);
    put_bytes(p, a, af == AF_INET ? 4 : 16);
}

static void put_ip4(struct pkt *p, const char *s) { put_addr(p, AF_INET, s); }
static void put_ip6(struct pkt *p, const char *s) { put_addr(p, AF_INET6, s); }

/* ------------------------------------------------------------------ */
/* Checksums                                                           */

static uint32_t sum16(uint32_t sum, const uint8_t *d, size_t len)
{
    for (size_t i = 0; i + 1 < len; i += 2)
        sum += (uint32_t)d[i] << 8 | d[i + 1];
    if (len & 1)
        sum += (uint32_t)d[len - 1] << 8;
    return sum;
}

static uint16_t fold(uint32_t sum)
{
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

static uint32_t pseudo_header(const struct pkt *p, uint8_t proto, uint32_t len)
{
    size_t alen = p->ip_ver == 4 ? 4 : 16;
    uint32_t sum = sum16(0, p->ps_src, alen);
    sum = sum16(sum, p->ps_dst, alen);
    return sum + (len >> 16) + (len & 0xffff) + proto;
}

/* Where each upper-layer protocol keeps its checksum and length. */
static const struct l4_info {
    uint8_t proto;
    uint8_t ck_off;  /* checksum field offset */
    int8_t  len_off; /* length field offset, -1 = none */
    uint8_t pseudo;  /* checksum covers the IP pseudo-header */
} L4_INFO[] = {
    { IPPROTO_ICMP,    2, -1, 0 },
    { IPPROTO_IGMP,    2, -1, 0 },
    { IPPROTO_TCP,    16, -1, 1 },
    { IPPROTO_UDP,     6,  4, 1 },
    { IPPROTO_ICMPV6,  2, -1, 1 },
};

/* Fills in lengths and checksums. Idempotent. */
static void pkt_finish(struct pkt *p)
{
    if (p->ip_ver == 4) {
        size_t hlen = (p->d[p->ip_off] & 0x0f) * 4u;
        set_be16(p, p->ip_off + 2, (uint16_t)(p->n - p->ip_off));
        set_be16(p, p->ip_off + 10, 0);
        set_be16(p, p->ip_off + 10, fold(sum16(0, p->d + p->ip_off, hlen)));
    } else if (p->ip_ver == 6) {
        set_be16(p, p->ip_off + 4, (uint16_t)(p->n - p->ip_off - 40));
    }
    if (!p->l4)
        return;

    const struct l4_info *li = NULL;
    for (size_t i = 0; i < sizeof L4_INFO / sizeof L4_INFO[0]; i++)
        if (L4_INFO[i].proto == p->l4)
            li = &L4_INFO[i];
    if (!li)
        die("no checksum rule for protocol %u", p->l4);

    uint32_t len = (uint32_t)(p->n - p->l4_off);
    if (li->len_off >= 0)
        set_be16(p, p->l4_off + (size_t)li->len_off, (uint16_t)len);
    set_be16(p, p->l4_off + li->ck_off, 0);
    uint32_t sum = li->pseudo ? pseudo_header(p, p->l4, len) : 0;
    uint16_t ck = fold(sum16(sum, p->d + p->l4_off, len));
    if (ck == 0 && p->l4 == IPPROTO_UDP)
        ck = 0xffff; /* 0 means "no checksum" in UDP */
    set_be16(p, p->l4_off + li->ck_off, ck);
}

/* ------------------------------------------------------------------ */
/* Output                                                              */

static struct {
    pcap_dumper_t *dump;
    uint64_t       ts_us;
    unsigned       frames;
    int            list;
} out;

/* Writes the frame as it is; CAPLEN 0 means the whole frame. */
static void write_frame(struct pkt *p, size_t caplen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void write_frame(struct pkt *p, size_t caplen, const char *fmt, ...)
{
    size_t len = p->n;
    if (len < ETH_MIN) { /* zero padding as on the wire; p->n is unchanged */
        memset(p->d + len, 0, ETH_MIN - len);
        len = ETH_MIN;
    }
    if (caplen == 0 || caplen > len)
        caplen = len;

    struct pcap_pkthdr h;
    memset(&h, 0, sizeof h);
    h.ts.tv_sec = (time_t)(out.ts_us / 1000000u);
    h.ts.tv_usec = (suseconds_t)(out.ts_us % 1000000u);
    h.caplen = (bpf_u_int32)caplen;
    h.len = (bpf_u_int32)len;
    pcap_dump((u_char *)out.dump, &h, p->d);
    out.ts_us += TS_STEP_US;
    out.frames++;

    if (out.list) {
        va_list ap;
        va_start(ap, fmt);
        printf("%3u  ", out.frames);
        vprintf(fmt, ap);
        putchar('\n');
        va_end(ap);
    }
}

/* Finishes and writes a well-formed frame; WHAT describes it for -l. */
#define emit(p, ...) (pkt_finish((p)), write_frame((p), 0, __VA_ARGS__))

/* ------------------------------------------------------------------ */
/* Link layer                                                          */

static void set_etype(struct pkt *p, uint16_t type)
{
    if (!p->etype_off)
        die("no open EtherType field for 0x%04x", type);
    set_be16(p, p->etype_off, type);
    p->etype_off = 0;
}

/* Starts a new frame. */
static void eth(struct pkt *p, const char *dst, const char *src)
{
    memset(p, 0, sizeof *p);
    put_mac(p, dst);
    put_mac(p, src);
    p->etype_off = p->n;
    put_be16(p, 0);
}

/* One VLAN tag: TPID 0x8100 (802.1Q) or 0x88a8 (802.1ad service tag). */
static void vlan(struct pkt *p, uint16_t tpid, uint8_t pcp, uint16_t vid)
{
    set_etype(p, tpid);
    put_be16(p, (uint16_t)(pcp << 13 | vid));
    p->etype_off = p->n;
    put_be16(p, 0);
}

/* ------------------------------------------------------------------ */
/* Network layer                                                       */

static void set_proto(struct pkt *p, uint8_t proto)
{
    if (!p->proto_off)
        die("no open protocol field for %u", proto);
    p->d[p->proto_off] = proto;
    p->proto_off = 0;
}

static uint16_t next_ip_id = 0x1c46;

static void ip4(struct pkt *p, const char *src, const char *dst, uint8_t ttl)
{
    set_etype(p, 0x0800);
    p->ip_off = p->n;
    p->ip_ver = 4;
    put_u8(p, 0x45);              /* version 4, header length 5 words */
    put_u8(p, 0);                 /* DSCP/ECN */
    put_be16(p, 0);               /* total length: pkt_finish */
    put_be16(p, next_ip_id++);
    put_be16(p, 0);               /* flags, fragment offset */
    put_u8(p, ttl);
    p->proto_off = p->n;
    put_u8(p, 0);
    put_be16(p, 0);               /* header checksum: pkt_finish */
    put_ip4(p, src);
    put_ip4(p, dst);
    memcpy(p->ps_src, p->d + p->ip_off + 12, 4);
    memcpy(p->ps_dst, p->d + p->ip_off + 16, 4);
}

/* Options are put_* right after ip4(); this pads them with EOL to a
 * 32-bit boundary and stores the header length. */
static void ip4_options_end(struct pkt *p)
{
    while ((p->n - p->ip_off) % 4)
        put_u8(p, 0);
    p->d[p->ip_off] = (uint8_t)(0x40 | (p->n - p->ip_off) / 4);
}

static void ip6(struct pkt *p, const char *src, const char *dst, uint8_t hlim)
{
    set_etype(p, 0x86dd);
    p->ip_off = p->n;
    p->ip_ver = 6;
    put_be32(p, 0x60000000);      /* version 6, traffic class 0, flow label 0 */
    put_be16(p, 0);               /* payload length: pkt_finish */
    p->proto_off = p->n;
    put_u8(p, 0);
    put_u8(p, hlim);
    put_ip6(p, src);
    put_ip6(p, dst);
    memcpy(p->ps_src, p->d + p->ip_off + 8, 16);
    memcpy(p->ps_dst, p->d + p->ip_off + 24, 16);
}

/* IPv4 or IPv6 between the addresses of two hosts. */
struct host {
    const char *mac;  /* the MAC this host has on the captured link */
    const char *ip4;
    const char *ip6;
};

static void ip_between(struct pkt *p, int v, const struct host *src, const struct host *dst, uint8_t ttl)
{
    if (v == 4)
        ip4(p, src->ip4, dst->ip4, ttl);
    else
        ip6(p, src->ip6, dst->ip6, ttl);
}

/* Opens an extension header (IPv6 options/routing/fragment, or AH) of
 * type TYPE: writes its next-header byte, left open for the next layer,
 * and returns the header's offset. */
static size_t ext_hdr_begin(struct pkt *p, uint8_t type)
{
    set_proto(p, type);
    size_t start = p->n;
    p->proto_off = p->n;
    put_u8(p, 0);
    return start;
}

/* Hop-by-hop (0) or destination options (60) header holding the TLV
 * options OPT, padded with Pad1/PadN to a multiple of 8 octets. */
static void ip6_options(struct pkt *p, uint8_t type, const uint8_t *opt, size_t len)
{
    size_t start = ext_hdr_begin(p, type);
    put_u8(p, 0); /* header length: below */
    put_bytes(p, opt, len);
    size_t pad = (8 - (p->n - start) % 8) % 8;
    if (pad == 1) {
        put_u8(p, 0); /* Pad1 */
    } else if (pad > 1) {
        put_u8(p, 1); /* PadN */
        put_u8(p, (uint8_t)(pad - 2));
        put_zero(p, pad - 2);
    }
    p->d[start + 1] = (uint8_t)((p->n - start) / 8 - 1);
}

/* Type 2 routing header (Mobile IPv6): the packet's final destination is
 * the home address, so the upper-layer pseudo-header uses it. */
static void ip6_routing_type2(struct pkt *p, const char *home)
{
    ext_hdr_begin(p, IPPROTO_ROUTING);
    put_u8(p, 2);     /* header length: 2 x 8 octets beyond the first 8 */
    put_u8(p, 2);     /* routing type 2 */
    put_u8(p, 1);     /* segments left */
    put_be32(p, 0);   /* reserved */
    size_t at = p->n;
    put_ip6(p, home);
    memcpy(p->ps_dst, p->d + at, 16);
}

/* Authentication header (IPv4 or IPv6) with a 96-bit ICV. The ICV is
 * filler, not a real HMAC: nothing in the capture checks it. */
static void ip_ah(struct pkt *p, uint32_t spi, uint32_t seq)
{
    ext_hdr_begin(p, IPPROTO_AH);
    put_u8(p, 4);     /* length: 24 octets / 4 - 2 */
    put_be16(p, 0);   /* reserved */
    put_be32(p, spi);
    put_be32(p, seq);
    put_pattern(p, 12, 0xa0);
}

/* ------------------------------------------------------------------ */
/* Transport layer                                                     */

static void l4_begin(struct pkt *p, uint8_t proto)
{
    set_proto(p, proto);
    p->l4_off = p->n;
    p->l4 = proto;
}

static void udp(struct pkt *p, uint16_t sport, uint16_t dport)
{
    l4_begin(p, IPPROTO_UDP);
    put_be16(p, sport);
    put_be16(p, dport);
    put_be16(p, 0); /* length: pkt_finish */
    put_be16(p, 0); /* checksum: pkt_finish */
}

enum { TH_FIN = 0x01, TH_SYN = 0x02, TH_RST = 0x04, TH_PSH = 0x08, TH_ACK = 0x10, TH_URG = 0x20 };

/* TCP header without options; append options with put_* and call
 * tcp_options_end(). */
static void tcp(struct pkt *p, uint16_t sport, uint16_t dport, uint32_t seq, uint32_t ack,
                uint8_t flags, uint16_t win, uint16_t urp)
{
    l4_begin(p, IPPROTO_TCP);
    put_be16(p, sport);
    put_be16(p, dport);
    put_be32(p, seq);
    put_be32(p, ack);
    put_u8(p, 5 << 4); /* data offset */
    put_u8(p, flags);
    put_be16(p, win);
    put_be16(p, 0);    /* checksum: pkt_finish */
    put_be16(p, urp);
}

static void tcp_options_end(struct pkt *p)
{
    while ((p->n - p->l4_off) % 4)
        put_u8(p, 0); /* EOL */
    p->d[p->l4_off + 12] = (uint8_t)((p->n - p->l4_off) / 4 << 4);
}

/* The type/code/checksum header shared by ICMP, ICMPv6 and IGMP. */
static void icmp_hdr(struct pkt *p, uint8_t proto, uint8_t type, uint8_t code)
{
    l4_begin(p, proto);
    put_u8(p, type);
    put_u8(p, code);
    put_be16(p, 0); /* checksum: pkt_finish */
}

/* ------------------------------------------------------------------ */
/* Fragmentation                                                       */

/* Emits the finished IP packet FULL as fragments carrying FRAG_LEN bytes
 * (a multiple of 8) of its payload each, the last one the rest. IPv4 sets
 * offset/MF in the header; IPv6 inserts a fragment header after the
 * 40-byte IPv6 header (FULL must have no extension headers). */
static void emit_fragments(struct pkt *full, size_t frag_len, uint32_t ip6_id, const char *what)
{
    pkt_finish(full);
    size_t hdr_end = full->ip_off + (full->ip_ver == 4 ? (full->d[full->ip_off] & 0x0f) * 4u : 40u);
    size_t total = full->n - hdr_end;
    size_t nfrag = (total + frag_len - 1) / frag_len;

    for (size_t i = 0, off = 0; i < nfrag; i++, off += frag_len) {
        int more = i + 1 < nfrag;
        struct pkt f;
        memset(&f, 0, sizeof f);
        put_bytes(&f, full->d, hdr_end);
        f.ip_off = full->ip_off;
        f.ip_ver = full->ip_ver;
        if (f.ip_ver == 4) {
            set_be16(&f, f.ip_off + 6, (uint16_t)(off / 8 | (more ? 0x2000 : 0)));
        } else {
            f.proto_off = f.ip_off + 6;
            ext_hdr_begin(&f, IPPROTO_FRAGMENT);
            f.d[f.proto_off] = full->d[full->ip_off + 6]; /* what was fragmented */
            put_u8(&f, 0);
            put_be16(&f, (uint16_t)(off | (more ? 1 : 0)));
            put_be32(&f, ip6_id);
        }
        put_bytes(&f, full->d + hdr_end + off, more ? frag_len : total - off);
        emit(&f, "%s, fragment %zu/%zu", what, i + 1, nfrag);
    }
}

/* ------------------------------------------------------------------ */
/* Hosts                                                               */

/* The capture point is CLIENT's LAN. Remote hosts are reached through
 * the gateway, so on this link they have the gateway's MAC. The DHCP
 * exchange is on a second segment (10.0.0.0/24). */
static const struct host GW      = { "02:00:00:00:00:fe", "192.0.2.1",     "2001:db8::1" };
static const struct host CLIENT  = { "02:00:00:00:00:01", "192.0.2.10",    "2001:db8::10" };
static const struct host CAST    = { "02:00:00:00:00:06", "192.0.2.50",    "fe80::50" };
static const struct host WEB     = { "02:00:00:00:00:fe", "198.51.100.20", "2001:db8:1::20" };
static const struct host RESOLV  = { "02:00:00:00:00:fe", "198.51.100.53", "2001:db8:1::53" };
static const struct host PHONE   = { "02:00:00:00:00:05", "10.0.0.42",     NULL };
static const struct host DHCPD   = { "02:00:00:00:00:0a", "10.0.0.1",      NULL };

#define CLIENT_LL "fe80::10"
#define GW_LL     "fe80::1"
#define BCAST_MAC "ff:ff:ff:ff:ff:ff"

/* ------------------------------------------------------------------ */
/* TCP connections                                                     */

struct tcp_flow {
    int v;                        /* 4 or 6 */
    const struct host *cli, *srv;
    uint16_t cport, sport;
    uint32_t seq[2];              /* next sequence number, [C2S] / [S2C] */
    uint32_t ts[2];               /* last TSval sent, 0 = none yet */
    int use_ts;                   /* timestamps option negotiated */
};

enum { C2S = 0, S2C = 1 };

/* One segment of F in direction DIR. Sequence and acknowledgement numbers
 * follow the data and SYN/FIN flags sent so far; SYNs carry MSS, SACK
 * permitted, timestamps, NOP and window scale like Linux, later segments
 * NOP NOP timestamps, RSTs nothing. */
static void tcp_send(struct tcp_flow *f, int dir, uint8_t flags, uint16_t urp,
                     const void *data, size_t len, const char *what)
{
    const struct host *from = dir == C2S ? f->cli : f->srv;
    const struct host *to = dir == C2S ? f->srv : f->cli;
    struct pkt p;

    eth(&p, to->mac, from->mac);
    ip_between(&p, f->v, from, to, 64);
    tcp(&p, dir == C2S ? f->cport : f->sport, dir == C2S ? f->sport : f->cport,
        f->seq[dir], flags & TH_ACK ? f->seq[!dir] : 0, flags,
        flags & TH_SYN ? 64240 : 502, urp);

    uint32_t tsval = (dir == C2S ? 0x00a1b2c3u : 0x7e570000u) + out.frames * 10u;
    uint32_t tsecr = flags == TH_SYN ? 0 : f->ts[!dir];
    if (flags & TH_SYN) {
        put_u8(&p, 2); put_u8(&p, 4); put_be16(&p, f->v == 4 ? 1460 : 1440); /* MSS */
        put_u8(&p, 4); put_u8(&p, 2);                                         /* SACK permitted */
        put_u8(&p, 8); put_u8(&p, 10); put_be32(&p, tsval); put_be32(&p, tsecr);
        put_u8(&p, 1);                                                        /* NOP */
        put_u8(&p, 3); put_u8(&p, 3); put_u8(&p, 7);                          /* window scale 7 */
        f->use_ts = 1;
    } else if (f->use_ts && !(flags & TH_RST)) {
        put_u8(&p, 1); put_u8(&p, 1);
        put_u8(&p, 8); put_u8(&p, 10); put_be32(&p, tsval); put_be32(&p, tsecr);
    }
    tcp_options_end(&p);
    if (f->use_ts && !(flags & TH_RST))
        f->ts[dir] = tsval;

    put_bytes(&p, data, len);
    f->seq[dir] += (uint32_t)len + !!(flags & TH_SYN) + !!(flags & TH_FIN);
    emit(&p, "%s TCP %s", f->v == 4 ? "IPv4" : "IPv6", what);
}

#define tcp_ctl(f, dir, flags, what) tcp_send((f), (dir), (flags), 0, NULL, 0, (what))

static void tcp_handshake(struct tcp_flow *f)
{
    tcp_ctl(f, C2S, TH_SYN, "SYN with MSS, SACK-permitted, timestamps, window scale");
    tcp_ctl(f, S2C, TH_SYN | TH_ACK, "SYN-ACK with options");
    tcp_ctl(f, C2S, TH_ACK, "ACK (handshake complete)");
}

static void tcp_close(struct tcp_flow *f)
{
    tcp_ctl(f, C2S, TH_FIN | TH_ACK, "FIN/ACK from client");
    tcp_ctl(f, S2C, TH_FIN | TH_ACK, "FIN/ACK from server");
    tcp_ctl(f, C2S, TH_ACK, "last ACK");
}

/* ------------------------------------------------------------------ */
/* DNS                                                                 */

struct dns {
    struct pkt *p;
    size_t base;    /* offset of the DNS header: compression offsets count from here */
};

#define NO_PTR      (-1)
#define DNS_HDR_LEN 12
enum { T_A = 1, T_CNAME = 5, T_SOA = 6, T_PTR = 12, T_TXT = 16, T_AAAA = 28, T_SRV = 33 };
enum { C_IN = 1, C_FLUSH = 0x8000 /* mDNS cache-flush bit */ };

static struct dns dns_begin(struct pkt *p, uint16_t id, uint16_t flags,
                            uint16_t qd, uint16_t an, uint16_t ns, uint16_t ar)
{
    struct dns m = { p, p->n };
    put_be16(p, id);
    put_be16(p, flags);
    put_be16(p, qd);
    put_be16(p, an);
    put_be16(p, ns);
    put_be16(p, ar);
    return m;
}

/* Writes NAME ("www.example.com", or "" for none) as labels, ended by a
 * compression pointer to offset PTR or, with NO_PTR, the root label.
 * Returns the offset of the name within the message. */
static int dns_name(struct dns *m, const char *name, int ptr)
{
    int at = (int)(m->p->n - m->base);
    for (const char *s = name; *s;) {
        size_t len = strcspn(s, ".");
        if (len == 0 || len > 63)
            die("bad DNS name '%s'", name);
        put_u8(m->p, (uint8_t)len);
        put_bytes(m->p, s, len);
        s += len + (s[len] == '.');
    }
    if (ptr == NO_PTR)
        put_u8(m->p, 0);
    else
        put_be16(m->p, (uint16_t)(0xc000 | ptr));
    return at;
}

/* Offset of SUFFIX within NAME written uncompressed at AT: labels take as
 * many octets as the dotted text before them. */
static int dns_suffix(int at, const char *name, const char *suffix)
{
    size_t n = strlen(name), s = strlen(suffix);
    if (s > n || strcmp(name + n - s, suffix) || (s < n && name[n - s - 1] != '.'))
        die("'%s' is not a suffix of '%s'", suffix, name);
    return at + (int)(n - s);
}

static int dns_question(struct dns *m, const char *name, int ptr, uint16_t type, uint16_t cls)
{
    int at = dns_name(m, name, ptr);
    put_be16(m->p, type);
    put_be16(m->p, cls);
    return at;
}

/* Starts a resource record; write its RDATA with put_* or dns_name, then
 * call dns_rr_end() with the returned offset. */
static size_t dns_rr(struct dns *m, const char *name, int ptr, uint16_t type, uint16_t cls, uint32_t ttl)
{
    dns_name(m, name, ptr);
    put_be16(m->p, type);
    put_be16(m->p, cls);
    put_be32(m->p, ttl);
    size_t rdlen = m->p->n;
    put_be16(m->p, 0);
    return rdlen;
}

static void dns_rr_end(struct dns *m, size_t rdlen)
{
    set_be16(m->p, rdlen, (uint16_t)(m->p->n - rdlen - 2));
}

/* A/AAAA record: the address is text in the record's family. */
static void dns_rr_addr(struct dns *m, const char *name, int ptr, uint16_t type, uint16_t cls,
                        uint32_t ttl, const char *addr)
{
    size_t rd = dns_rr(m, name, ptr, type, cls, ttl);
    put_addr(m->p, type == T_A ? AF_INET : AF_INET6, addr);
    dns_rr_end(m, rd);
}

/* CNAME/PTR/NS record: RDATA is a (possibly compressed) name. Returns the
 * offset of that name. */
static int dns_rr_name(struct dns *m, const char *name, int ptr, uint16_t type, uint16_t cls,
                       uint32_t ttl, const char *target, int target_ptr)
{
    size_t rd = dns_rr(m, name, ptr, type, cls, ttl);
    int at = dns_name(m, target, target_ptr);
    dns_rr_end(m, rd);
    return at;
}

/* One DNS message over UDP between two hosts (port 53 at the server side). */
struct dns_udp {
    int v;
    const struct host *cli, *srv;
    uint16_t cport;
};

static void dns_udp_start(struct pkt *p, const struct dns_udp *t, int dir)
{
    const struct host *from = dir == C2S ? t->cli : t->srv;
    const struct host *to = dir == C2S ? t->srv : t->cli;
    eth(p, to->mac, from->mac);
    ip_between(p, t->v, from, to, 64);
    udp(p, dir == C2S ? t->cport : 53, dir == C2S ? 53 : t->cport);
}

/* A standard query with one question, as a stub resolver sends it. */
static void dns_query(const struct dns_udp *t, uint16_t id, const char *name, uint16_t type)
{
    struct pkt p;
    dns_udp_start(&p, t, C2S);
    struct dns m = dns_begin(&p, id, 0x0100 /* RD */, 1, 0, 0, 0);
    dns_question(&m, name, NO_PTR, type, C_IN);
    emit(&p, "DNS query %s (type %u), id 0x%04x", name, type, id);
}

/* ------------------------------------------------------------------ */
/* The capture, one section per protocol family                        */

static void arp(const char *eth_dst, const struct host *from, uint16_t op,
                const char *tha, const char *tpa, const char *what)
{
    struct pkt p;
    eth(&p, eth_dst, from->mac);
    set_etype(&p, 0x0806);
    put_be16(&p, 1);      /* hardware: Ethernet */
    put_be16(&p, 0x0800); /* protocol: IPv4 */
    put_u8(&p, 6);
    put_u8(&p, 4);
    put_be16(&p, op);
    put_mac(&p, from->mac);
    put_ip4(&p, from->ip4);
    put_mac(&p, tha);
    put_ip4(&p, tpa);
    emit(&p, "ARP %s", what);
}

static void gen_arp(void)
{
    arp(BCAST_MAC, &CLIENT, 1, "00:00:00:00:00:00", GW.ip4, "request: who has 192.0.2.1");
    arp(CLIENT.mac, &GW, 2, CLIENT.mac, CLIENT.ip4, "reply: 192.0.2.1 is at 02:00:00:00:00:fe");
    arp(BCAST_MAC, &CAST, 1, "00:00:00:00:00:00", CAST.ip4, "gratuitous request for 192.0.2.50");
}

struct dhcp_opt {
    uint8_t code, len;
    const void *data;
};
#define DOPT(code, ...) { code, sizeof((const uint8_t[]){ __VA_ARGS__ }), (const uint8_t[]){ __VA_ARGS__ } }
#define DOPT_STR(code, s) { code, sizeof(s) - 1, s }
#define DOPT_END { 0, 0, NULL }

enum { BOOTREQUEST = 1, BOOTREPLY = 2 };

/* A broadcast BOOTP message between PHONE and DHCPD, options ending in
 * 255 and padded to 300 octets like real clients do. */
static void dhcp(int op, const char *yiaddr, const struct dhcp_opt *opt, const char *what)
{
    int reply = op == BOOTREPLY;
    struct pkt p;
    eth(&p, BCAST_MAC, reply ? DHCPD.mac : PHONE.mac);
    ip4(&p, reply ? DHCPD.ip4 : "0.0.0.0", "255.255.255.255", 64);
    udp(&p, reply ? 67 : 68, reply ? 68 : 67);

    size_t bootp = p.n;
    put_u8(&p, (uint8_t)op);
    put_u8(&p, 1);             /* htype Ethernet */
    put_u8(&p, 6);             /* hlen */
    put_u8(&p, 0);             /* hops */
    put_be32(&p, 0x3903f326);  /* xid */
    put_be16(&p, 0);           /* secs */
    put_be16(&p, 0x8000);      /* flags: broadcast */
    put_ip4(&p, "0.0.0.0");    /* ciaddr */
    put_ip4(&p, yiaddr);       /* yiaddr */
    put_ip4(&p, reply ? DHCPD.ip4 : "0.0.0.0"); /* siaddr */
    put_ip4(&p, "0.0.0.0");    /* giaddr */
    put_mac(&p, PHONE.mac);    /* chaddr */
    put_zero(&p, 10 + 64 + 128); /* chaddr padding, sname, file */
    put_be32(&p, 0x63825363);  /* magic cookie */
    for (; opt->data; opt++) {
        put_u8(&p, opt->code);
        put_u8(&p, opt->len);
        put_bytes(&p, opt->data, opt->len);
    }
    put_u8(&p, 255);
    while (p.n - bootp < 300)
        put_u8(&p, 0);
    emit(&p, "DHCP %s", what);
}

static void gen_dhcp(void)
{
    const struct dhcp_opt discover[] = {
        DOPT(53, 1),                                  /* DHCPDISCOVER */
        DOPT(61, 1, 0x02, 0, 0, 0, 0, 0x05),          /* client id: Ethernet + MAC */
        DOPT(57, 0x05, 0xdc),                         /* max message size 1500 */
        DOPT_STR(60, "android-dhcp-13"),
        DOPT_STR(12, "pixel-7"),
        DOPT(55, 1, 3, 6, 15, 26, 28, 51, 58, 59, 43), /* parameter request list */
        DOPT_END,
    };
    const struct dhcp_opt offer[] = {
        DOPT(53, 2),                                  /* DHCPOFFER */
        DOPT(54, 10, 0, 0, 1),                        /* server id */
        DOPT(51, 0x00, 0x01, 0x51, 0x80),             /* lease 86400 s */
        DOPT(58, 0x00, 0x00, 0xa8, 0xc0),             /* renewal 43200 s */
        DOPT(59, 0x00, 0x01, 0x27, 0x50),             /* rebinding 75600 s */
        DOPT(1, 255, 255, 255, 0),                    /* subnet mask */
        DOPT(28, 10, 0, 0, 255),                      /* broadcast address */
        DOPT(3, 10, 0, 0, 1),                         /* router */
        DOPT(6, 10, 0, 0, 1),                         /* DNS server */
        DOPT_STR(15, "lan"),                          /* domain name */
        DOPT_END,
    };
    const struct dhcp_opt request[] = {
        DOPT(53, 3),                                  /* DHCPREQUEST */
        DOPT(61, 1, 0x02, 0, 0, 0, 0, 0x05),
        DOPT(50, 10, 0, 0, 42),                       /* requested address */
        DOPT(54, 10, 0, 0, 1),                        /* server id */
        DOPT(57, 0x05, 0xdc),
        DOPT_STR(60, "android-dhcp-13"),
        DOPT_STR(12, "pixel-7"),
        DOPT(55, 1, 3, 6, 15, 26, 28, 51, 58, 59, 43),
        DOPT_END,
    };
    const struct dhcp_opt ack[] = {
        DOPT(53, 5),                                  /* DHCPACK */
        DOPT(54, 10, 0, 0, 1),
        DOPT(51, 0x00, 0x01, 0x51, 0x80),
        DOPT(58, 0x00, 0x00, 0xa8, 0xc0),
        DOPT(59, 0x00, 0x01, 0x27, 0x50),
        DOPT(1, 255, 255, 255, 0),
        DOPT(28, 10, 0, 0, 255),
        DOPT(3, 10, 0, 0, 1),
        DOPT(6, 10, 0, 0, 1),
        DOPT_STR(15, "lan"),
        DOPT_STR(12, "pixel-7"),
        DOPT_END,
    };
    dhcp(BOOTREQUEST, "0.0.0.0", discover, "DISCOVER");
    dhcp(BOOTREPLY, PHONE.ip4, offer, "OFFER 10.0.0.42");
    dhcp(BOOTREQUEST, "0.0.0.0", request, "REQUEST 10.0.0.42");
    dhcp(BOOTREPLY, PHONE.ip4, ack, "ACK 10.0.0.42");
}

static void gen_dns_udp(void)
{
    const struct dns_udp v4 = { 4, &CLIENT, &RESOLV, 53001 };
    const struct dns_udp v6 = { 6, &CLIENT, &RESOLV, 53002 };
    const struct dns_udp lan = { 4, &PHONE, &DHCPD, 53003 };
    struct pkt p;
    struct dns m;
    int q, web, edge;

    /* A: www.example.com is a CNAME chain ending in an A record; every
     * owner name is a pointer back into the message. */
    dns_query(&v4, 0x1a2b, "www.example.com", T_A);
    dns_udp_start(&p, &v4, S2C);
    m = dns_begin(&p, 0x1a2b, 0x8180 /* QR RD RA */, 1, 3, 0, 0);
    q = dns_question(&m, "www.example.com", NO_PTR, T_A, C_IN);
    web = dns_rr_name(&m, "", q, T_CNAME, C_IN, 300,
                      "web", dns_suffix(q, "www.example.com", "example.com"));
    edge = dns_rr_name(&m, "", web, T_CNAME, C_IN, 300, "edge.example.net", NO_PTR);
    dns_rr_addr(&m, "", edge, T_A, C_IN, 60, WEB.ip4);
    emit(&p, "DNS response www.example.com: CNAME web.example.com, CNAME edge.example.net, A, compressed names");

    /* AAAA, over IPv6. */
    dns_query(&v6, 0x2b3c, "www.example.com", T_AAAA);
    dns_udp_start(&p, &v6, S2C);
    m = dns_begin(&p, 0x2b3c, 0x8180, 1, 1, 0, 0);
    q = dns_question(&m, "www.example.com", NO_PTR, T_AAAA, C_IN);
    dns_rr_addr(&m, "", q, T_AAAA, C_IN, 300, WEB.ip6);
    emit(&p, "DNS response www.example.com AAAA 2001:db8:1::20 (over IPv6)");

    /* PTR, on the DHCP segment: who is 10.0.0.1? */
    dns_query(&lan, 0x3c4d, "1.0.0.10.in-addr.arpa", T_PTR);
    dns_udp_start(&p, &lan, S2C);
    m = dns_begin(&p, 0x3c4d, 0x8580 /* QR AA RD RA */, 1, 1, 0, 0);
    q = dns_question(&m, "1.0.0.10.in-addr.arpa", NO_PTR, T_PTR, C_IN);
    dns_rr_name(&m, "", q, T_PTR, C_IN, 3600, "router.lan", NO_PTR);
    emit(&p, "DNS response 1.0.0.10.in-addr.arpa PTR router.lan");

    /* NXDOMAIN with the zone's SOA in the authority section. */
    dns_query(&v4, 0x4d5e, "nonexistent.example.com", T_A);
    dns_udp_start(&p, &v4, S2C);
    m = dns_begin(&p, 0x4d5e, 0x8183 /* QR RD RA, rcode 3 */, 1, 0, 1, 0);
    q = dns_question(&m, "nonexistent.example.com", NO_PTR, T_A, C_IN);
    {
        int zone = dns_suffix(q, "nonexistent.example.com", "example.com");
        size_t rd = dns_rr(&m, "", zone, T_SOA, C_IN, 3600);
        dns_name(&m, "ns1", zone);
        dns_name(&m, "hostmaster", zone);
        put_be32(&p, 2023111401); /* serial */
        put_be32(&p, 7200);       /* refresh */
        put_be32(&p, 3600);       /* retry */
        put_be32(&p, 1209600);    /* expire */
        put_be32(&p, 3600);       /* minimum */
        dns_rr_end(&m, rd);
    }
    emit(&p, "DNS response NXDOMAIN nonexistent.example.com, SOA in authority");
}

static void gen_tcp_http(void)
{
    static const char req[] =
        "GET / HTTP/1.1\r\n"
        "Host: www.example.com\r\n"
        "User-Agent: netsift-sample/1.0\r\n"
        "Accept: */*\r\n"
        "\r\n";
    static const char resp[] =
        "HTTP/1.1 200 OK\r\n"
        "Content-Type: text/plain\r\n"
        "Content-Length: 13\r\n"
        "\r\n"
        "hello, world\n";
    struct tcp_flow f = { 4, &CLIENT, &WEB, 51000, 80, { 0x1f2e3d4cu, 0x9a8b7c6du }, { 0, 0 }, 0 };

    tcp_handshake(&f);
    tcp_send(&f, C2S, TH_PSH | TH_ACK, 0, req, sizeof req - 1, "PSH/ACK HTTP GET");
    tcp_ctl(&f, S2C, TH_ACK, "ACK of request");
    tcp_send(&f, S2C, TH_PSH | TH_ACK, 0, resp, sizeof resp - 1, "PSH/ACK HTTP 200 response");
    tcp_ctl(&f, C2S, TH_ACK, "ACK of response");
    tcp_close(&f);

    /* A connection attempt to a closed port is refused. */
    struct tcp_flow r = { 4, &CLIENT, &WEB, 51001, 8080, { 0x55aa0001u, 0 }, { 0, 0 }, 0 };
    tcp_ctl(&r, C2S, TH_SYN, "SYN to closed port 8080");
    tcp_ctl(&r, S2C, TH_RST | TH_ACK, "RST/ACK: connection refused");
}

static void gen_tcp_dns(void)
{
    struct tcp_flow f = { 4, &CLIENT, &RESOLV, 51002, 53, { 0x2468ace0u, 0x13579bdfu }, { 0, 0 }, 0 };
    struct pkt msg;
    struct dns m;
    int q;

    tcp_handshake(&f);

    /* Both messages carry the 2-byte length prefix of DNS over TCP. */
    memset(&msg, 0, sizeof msg);
    put_be16(&msg, 0);
    m = dns_begin(&msg, 0x5e6f, 0x0100, 1, 0, 0, 0);
    dns_question(&m, "example.org", NO_PTR, T_TXT, C_IN);
    set_be16(&msg, 0, (uint16_t)(msg.n - 2));
    tcp_send(&f, C2S, TH_PSH | TH_ACK, 0, msg.d, msg.n, "DNS query example.org TXT (length-prefixed)");

    memset(&msg, 0, sizeof msg);
    put_be16(&msg, 0);
    m = dns_begin(&msg, 0x5e6f, 0x8180, 1, 1, 0, 0);
    q = dns_question(&m, "example.org", NO_PTR, T_TXT, C_IN);
    {
        static const char txt[] = "v=spf1 -all";
        size_t rd = dns_rr(&m, "", q, T_TXT, C_IN, 3600);
        put_u8(&msg, sizeof txt - 1);
        put_str(&msg, txt);
        dns_rr_end(&m, rd);
    }
    set_be16(&msg, 0, (uint16_t)(msg.n - 2));
    tcp_send(&f, S2C, TH_PSH | TH_ACK, 0, msg.d, msg.n, "DNS response example.org TXT (length-prefixed)");

    tcp_ctl(&f, C2S, TH_ACK, "ACK of DNS response");
    tcp_close(&f);
}

static void gen_tcp_ipv6_urgent(void)
{
    /* Telnet over IPv6; the interrupt (IAC IP IAC DM) is sent urgent, the
     * urgent pointer pointing just past the Data Mark as BSD does. */
    static const uint8_t login[] = "ls -l\r\n";
    static const uint8_t intr[] = { 0xff, 0xf4, 0xff, 0xf2 };
    struct tcp_flow f = { 6, &CLIENT, &WEB, 52000, 23, { 0x6b1d0000u, 0xc0ffee00u }, { 0, 0 }, 0 };

    tcp_handshake(&f);
    tcp_send(&f, C2S, TH_PSH | TH_ACK, 0, login, sizeof login - 1, "PSH/ACK telnet data");
    tcp_ctl(&f, S2C, TH_ACK, "ACK of data");
    tcp_send(&f, C2S, TH_URG | TH_PSH | TH_ACK, sizeof intr, intr, sizeof intr,
             "URG/PSH/ACK telnet IAC IP IAC DM, urgent pointer 4");
    tcp_ctl(&f, S2C, TH_ACK, "ACK of urgent data");
    tcp_close(&f);
}

static void gen_udp_vlan(void)
{
    static const char payload[] = "netsift sample: generic UDP payload\n";
    struct pkt p;

    eth(&p, WEB.mac, CLIENT.mac);
    ip4(&p, CLIENT.ip4, WEB.ip4, 64);
    udp(&p, 40001, 48808);
    put_str(&p, payload);
    emit(&p, "UDP to a high port, no application protocol");

    eth(&p, WEB.mac, CLIENT.mac);
    vlan(&p, 0x8100, 0, 100);
    ip4(&p, CLIENT.ip4, WEB.ip4, 64);
    udp(&p, 40002, 48808);
    put_str(&p, payload);
    emit(&p, "802.1Q VLAN 100: IPv4/UDP");

    /* Provider bridging: service tag 200 outside, customer tag 100 inside. */
    for (int reply = 0; reply <= 1; reply++) {
        const struct host *from = reply ? &WEB : &CLIENT, *to = reply ? &CLIENT : &WEB;
        eth(&p, to->mac, from->mac);
        vlan(&p, 0x88a8, 0, 200);
        vlan(&p, 0x8100, 0, 100);
        ip4(&p, from->ip4, to->ip4, 64);
        icmp_hdr(&p, IPPROTO_ICMP, reply ? 0 : 8, 0);
        put_be16(&p, 0x0b0b);
        put_be16(&p, 1);
        put_pattern(&p, 32, 0x10);
        emit(&p, "802.1ad S-VLAN 200 + 802.1Q C-VLAN 100: ICMP echo %s", reply ? "reply" : "request");
    }
}

/* An IPv4 packet's header plus the first 8 octets of its payload, as an
 * ICMP error quotes it. */
static void put_quote(struct pkt *p, struct pkt *orig)
{
    pkt_finish(orig);
    size_t hlen = (orig->d[orig->ip_off] & 0x0f) * 4u;
    put_bytes(p, orig->d + orig->ip_off, hlen + 8);
}

static void gen_icmp4(void)
{
    struct pkt p, orig;

    for (int reply = 0; reply <= 1; reply++) {
        const struct host *from = reply ? &WEB : &CLIENT, *to = reply ? &CLIENT : &WEB;
        eth(&p, to->mac, from->mac);
        ip4(&p, from->ip4, to->ip4, 64);
        icmp_hdr(&p, IPPROTO_ICMP, reply ? 0 : 8, 0);
        put_be16(&p, 0x0c0c);
        put_be16(&p, 1);
        put_pattern(&p, 48, 0x10);
        emit(&p, "ICMP echo %s", reply ? "reply" : "request");
    }

    /* ping -R: NOP + Record Route with room for 9 addresses. The request
     * leaves it empty; the reply has three hops recorded. */
    static const char *const hops[] = { "192.0.2.1", "198.51.100.20", "198.51.100.1" };
    for (int reply = 0; reply <= 1; reply++) {
        const struct host *from = reply ? &WEB : &CLIENT, *to = reply ? &CLIENT : &WEB;
        eth(&p, to->mac, from->mac);
        ip4(&p, from->ip4, to->ip4, 64);
        put_u8(&p, 1);                            /* NOP */
        put_u8(&p, 7);                            /* Record Route */
        put_u8(&p, 39);
        put_u8(&p, (uint8_t)(4 + (reply ? 3 * 4 : 0))); /* pointer to next free slot */
        for (int i = 0; i < 9; i++)
            put_ip4(&p, reply && i < 3 ? hops[i] : "0.0.0.0");
        ip4_options_end(&p);
        icmp_hdr(&p, IPPROTO_ICMP, reply ? 0 : 8, 0);
        put_be16(&p, 0x0c0d);
        put_be16(&p, 1);
        put_pattern(&p, 48, 0x10);
        emit(&p, "ICMP echo %s, IPv4 options NOP + Record Route", reply ? "reply" : "request");
    }

    /* A datagram to a closed port and the port unreachable quoting it. */
    eth(&orig, WEB.mac, CLIENT.mac);
    ip4(&orig, CLIENT.ip4, WEB.ip4, 64);
    udp(&orig, 40003, 48809);
    put_str(&orig, "anyone there?\n");
    emit(&orig, "UDP to a closed port");
    eth(&p, CLIENT.mac, WEB.mac);
    ip4(&p, WEB.ip4, CLIENT.ip4, 64);
    icmp_hdr(&p, IPPROTO_ICMP, 3, 3);
    put_be32(&p, 0);
    put_quote(&p, &orig);
    emit(&p, "ICMP destination unreachable (port unreachable) quoting IPv4+UDP header");

    /* traceroute: a TTL 1 probe and the gateway's time exceeded. */
    eth(&orig, WEB.mac, CLIENT.mac);
    ip4(&orig, CLIENT.ip4, WEB.ip4, 1);
    udp(&orig, 40004, 33434);
    put_zero(&orig, 32);
    emit(&orig, "UDP traceroute probe, TTL 1");
    eth(&p, CLIENT.mac, GW.mac);
    ip4(&p, GW.ip4, CLIENT.ip4, 64);
    icmp_hdr(&p, IPPROTO_ICMP, 11, 0);
    put_be32(&p, 0);
    put_quote(&p, &orig);
    emit(&p, "ICMP time exceeded in transit quoting the probe");

    /* IGMPv2 report joining the mDNS group: IP option Router Alert. */
    eth(&p, "01:00:5e:00:00:fb", CLIENT.mac);
    ip4(&p, CLIENT.ip4, "224.0.0.251", 1);
    put_u8(&p, 148);                              /* Router Alert */
    put_u8(&p, 4);
    put_be16(&p, 0);                              /* every router examines it */
    ip4_options_end(&p);
    icmp_hdr(&p, IPPROTO_IGMP, 0x16, 0);
    put_ip4(&p, "224.0.0.251");
    emit(&p, "IGMPv2 membership report 224.0.0.251, IPv4 option Router Alert");

    /* One UDP datagram of 1000 octets in three fragments. */
    eth(&p, WEB.mac, CLIENT.mac);
    ip4(&p, CLIENT.ip4, WEB.ip4, 64);
    udp(&p, 40005, 48810);
    put_pattern(&p, 1000 - 8, 0x20);
    emit_fragments(&p, 400, 0, "IPv4 UDP 1000 octets");
}

static void nd_lla_option(struct pkt *p, uint8_t type, const char *mac)
{
    put_u8(p, type); /* 1 source, 2 target link-layer address */
    put_u8(p, 1);    /* length in 8-octet units */
    put_mac(p, mac);
}

static void gen_icmp6(void)
{
    struct pkt p;

    for (int reply = 0; reply <= 1; reply++) {
        const struct host *from = reply ? &WEB : &CLIENT, *to = reply ? &CLIENT : &WEB;
        eth(&p, to->mac, from->mac);
        ip6(&p, from->ip6, to->ip6, 64);
        icmp_hdr(&p, IPPROTO_ICMPV6, reply ? 129 : 128, 0);
        put_be16(&p, 0x0d0d);
        put_be16(&p, 1);
        put_pattern(&p, 32, 0x10);
        emit(&p, "ICMPv6 echo %s", reply ? "reply" : "request");
    }

    /* Neighbor solicitation for the gateway, to its solicited-node group. */
    eth(&p, "33:33:ff:00:00:01", CLIENT.mac);
    ip6(&p, CLIENT.ip6, "ff02::1:ff00:1", 255);
    icmp_hdr(&p, IPPROTO_ICMPV6, 135, 0);
    put_be32(&p, 0);
    put_ip6(&p, GW.ip6);
    nd_lla_option(&p, 1, CLIENT.mac);
    emit(&p, "ICMPv6 neighbor solicitation for 2001:db8::1");

    eth(&p, CLIENT.mac, GW.mac);
    ip6(&p, GW.ip6, CLIENT.ip6, 255);
    icmp_hdr(&p, IPPROTO_ICMPV6, 136, 0);
    put_be32(&p, 0xe0000000); /* router, solicited, override */
    put_ip6(&p, GW.ip6);
    nd_lla_option(&p, 2, GW.mac);
    emit(&p, "ICMPv6 neighbor advertisement 2001:db8::1");

    eth(&p, "33:33:00:00:00:01", GW.mac);
    ip6(&p, GW_LL, "ff02::1", 255);
    icmp_hdr(&p, IPPROTO_ICMPV6, 134, 0);
    put_u8(&p, 64);           /* current hop limit */
    put_u8(&p, 0);            /* flags */
    put_be16(&p, 1800);       /* router lifetime */
    put_be32(&p, 0);          /* reachable time */
    put_be32(&p, 0);          /* retransmission timer */
    nd_lla_option(&p, 1, GW.mac);
    put_u8(&p, 5);            /* MTU option */
    put_u8(&p, 1);
    put_be16(&p, 0);
    put_be32(&p, 1500);
    put_u8(&p, 3);            /* prefix information option */
    put_u8(&p, 4);
    put_u8(&p, 64);           /* prefix length */
    put_u8(&p, 0xc0);         /* on-link, autonomous */
    put_be32(&p, 2592000);    /* valid lifetime */
    put_be32(&p, 604800);     /* preferred lifetime */
    put_be32(&p, 0);
    put_ip6(&p, "2001:db8::");
    emit(&p, "ICMPv6 router advertisement, prefix 2001:db8::/64");

    /* MLDv2 report: hop-by-hop header with Router Alert (MLD). */
    static const uint8_t router_alert_mld[] = { 5, 2, 0, 0 };
    eth(&p, "33:33:00:00:00:16", CLIENT.mac);
    ip6(&p, CLIENT_LL, "ff02::16", 1);
    ip6_options(&p, IPPROTO_HOPOPTS, router_alert_mld, sizeof router_alert_mld);
    icmp_hdr(&p, IPPROTO_ICMPV6, 143, 0);
    put_be16(&p, 0);
    put_be16(&p, 1);          /* one record */
    put_u8(&p, 4);            /* CHANGE_TO_EXCLUDE_MODE: join */
    put_u8(&p, 0);
    put_be16(&p, 0);          /* no sources */
    put_ip6(&p, "ff02::fb");
    emit(&p, "ICMPv6 MLDv2 listener report ff02::fb, hop-by-hop Router Alert");

    /* One UDP datagram of 1200 octets in two fragments. */
    eth(&p, WEB.mac, CLIENT.mac);
    ip6(&p, CLIENT.ip6, WEB.ip6, 64);
    udp(&p, 40006, 48811);
    put_pattern(&p, 1200 - 8, 0x30);
    emit_fragments(&p, 640, 0x5e7f0001u, "IPv6 UDP 1200 octets, fragment header");

    /* Several extension headers in a row: hop-by-hop, destination options,
     * routing type 2, AH, then ICMPv6. The server pings CLIENT at its
     * care-of address 2001:db8::10, the final destination being its home
     * address in the routing header. */
    static const uint8_t padding_only[] = { 1, 4, 0, 0, 0, 0 };
    static const uint8_t tunnel_limit[] = { 4, 1, 4 }; /* tunnel encapsulation limit 4 */
    eth(&p, CLIENT.mac, WEB.mac);
    ip6(&p, WEB.ip6, CLIENT.ip6, 64);
    ip6_options(&p, IPPROTO_HOPOPTS, padding_only, sizeof padding_only);
    ip6_options(&p, IPPROTO_DSTOPTS, tunnel_limit, sizeof tunnel_limit);
    ip6_routing_type2(&p, "2001:db8:2::10");
    ip_ah(&p, 0x00001000, 1);
    icmp_hdr(&p, IPPROTO_ICMPV6, 128, 0);
    put_be16(&p, 0x0e0e);
    put_be16(&p, 1);
    put_pattern(&p, 16, 0x10);
    emit(&p, "IPv6 hop-by-hop + destination options + routing type 2 + AH + ICMPv6 echo request");
}

/* mDNS over IPv4 or IPv6: a browse for Chromecasts and the answer. */
static void gen_mdns(int v)
{
    const char *group = v == 4 ? "224.0.0.251" : "ff02::fb";
    const char *gmac = v == 4 ? "01:00:5e:00:00:fb" : "33:33:00:00:00:fb";
    const char *src = v == 4 ? CLIENT.ip4 : CLIENT_LL;
    const char *cast = v == 4 ? CAST.ip4 : CAST.ip6;
    const char *svc = "_googlecast._tcp.local";
    struct pkt p;
    struct dns m;

    eth(&p, gmac, CLIENT.mac);
    if (v == 4)
        ip4(&p, src, group, 255);
    else
        ip6(&p, src, group, 255);
    udp(&p, 5353, 5353);
    m = dns_begin(&p, 0, 0, 1, 0, 0, 0);
    dns_question(&m, svc, NO_PTR, T_PTR, C_IN);
    emit(&p, "mDNS query %s PTR to %s", svc, group);

    eth(&p, gmac, CAST.mac);
    if (v == 4)
        ip4(&p, cast, group, 255);
    else
        ip6(&p, cast, group, 255);
    udp(&p, 5353, 5353);
    m = dns_begin(&p, 0, 0x8400 /* QR AA */, 0, 1, 0, 3);
    {
        const int s = DNS_HDR_LEN; /* the PTR owner is the first name in the message */
        int inst = dns_rr_name(&m, svc, NO_PTR, T_PTR, C_IN, 120, "Chromecast-5f2a", s);

        size_t rd = dns_rr(&m, "", inst, T_SRV, C_FLUSH | C_IN, 120);
        put_be16(&p, 0);      /* priority */
        put_be16(&p, 0);      /* weight */
        put_be16(&p, 8009);   /* port */
        int target = dns_name(&m, "chromecast-5f2a", dns_suffix(s, svc, "local"));
        dns_rr_end(&m, rd);

        rd = dns_rr(&m, "", inst, T_TXT, C_FLUSH | C_IN, 4500);
        static const char *const txt[] = { "id=5f2a", "md=Chromecast", "fn=Living Room" };
        for (size_t i = 0; i < sizeof txt / sizeof txt[0]; i++) {
            put_u8(&p, (uint8_t)strlen(txt[i]));
            put_str(&p, txt[i]);
        }
        dns_rr_end(&m, rd);

        dns_rr_addr(&m, "", target, v == 4 ? T_A : T_AAAA, C_FLUSH | C_IN, 120, cast);
    }
    emit(&p, "mDNS response to %s: PTR, SRV, TXT, %s", group, v == 4 ? "A" : "AAAA");
}

static void gen_non_ip(void)
{
    struct pkt p;

    /* LLDP from the gateway: the three mandatory TLVs, a few optional
     * ones (long enough that the frame needs no padding), end. */
    eth(&p, "01:80:c2:00:00:0e", GW.mac);
    set_etype(&p, 0x88cc);
    put_be16(&p, 1 << 9 | 7);   /* chassis id, 7 octets */
    put_u8(&p, 4);              /*   subtype: MAC address */
    put_mac(&p, GW.mac);
    put_be16(&p, 2 << 9 | 5);   /* port id, 5 octets */
    put_u8(&p, 5);              /*   subtype: interface name */
    put_str(&p, "eth0");
    put_be16(&p, 3 << 9 | 2);   /* time to live */
    put_be16(&p, 120);
    put_be16(&p, 5 << 9 | 6);   /* system name */
    put_str(&p, "gw.lan");
    put_be16(&p, 6 << 9 | 22);  /* system description */
    put_str(&p, "netsift sample gateway");
    put_be16(&p, 7 << 9 | 4);   /* system capabilities */
    put_be16(&p, 0x0014);       /*   bridge, router */
    put_be16(&p, 0x0010);       /*   enabled: router */
    put_be16(&p, 0);            /* end of LLDPDU */
    emit(&p, "LLDP (EtherType 0x88cc)");

    /* IEEE 802.1 local experimental EtherType: opaque to everyone. */
    eth(&p, BCAST_MAC, CAST.mac);
    set_etype(&p, 0x88b5);
    put_str(&p, "netsift: local experimental EtherType 0x88b5");
    emit(&p, "EtherType 0x88b5 (local experimental)");

    /* 802.3 frame (length, not EtherType) with LLC: an STP config BPDU. */
    eth(&p, "01:80:c2:00:00:00", GW.mac);
    size_t len_off = p.etype_off;
    p.etype_off = 0;
    put_u8(&p, 0x42);           /* DSAP */
    put_u8(&p, 0x42);           /* SSAP */
    put_u8(&p, 0x03);           /* UI */
    put_be16(&p, 0);            /* protocol id */
    put_u8(&p, 0);              /* version */
    put_u8(&p, 0);              /* configuration BPDU */
    put_u8(&p, 0);              /* flags */
    put_be16(&p, 0x8000);       /* root id: priority + MAC */
    put_mac(&p, GW.mac);
    put_be32(&p, 0);            /* root path cost */
    put_be16(&p, 0x8000);       /* bridge id */
    put_mac(&p, GW.mac);
    put_be16(&p, 0x8001);       /* port id */
    put_be16(&p, 0);            /* message age */
    put_be16(&p, 20 * 256);     /* max age */
    put_be16(&p, 2 * 256);      /* hello time */
    put_be16(&p, 15 * 256);     /* forward delay */
    set_be16(&p, len_off, (uint16_t)(p.n - len_off - 2));
    emit(&p, "IEEE 802.3 + LLC: STP configuration BPDU");
}

/* Deliberately broken frames. Everything before this is well-formed. */
static void gen_bad(void)
{
    struct pkt p;

    /* 1. Captured with a short snaplen: caplen stops 10 octets into the
     *    TCP header (14 + 20 + 10), len is the real frame length. */
    eth(&p, WEB.mac, CLIENT.mac);
    ip4(&p, CLIENT.ip4, WEB.ip4, 64);
    tcp(&p, 51003, 80, 0x0badc0deu, 0x600dcafeu, TH_PSH | TH_ACK, 502, 0);
    put_str(&p, "GET /truncated HTTP/1.1\r\nHost: www.example.com\r\n\r\n");
    pkt_finish(&p);
    write_frame(&p, 14 + 20 + 10, "BAD: truncated inside the TCP header (caplen 44 < len %zu)", p.n);

    /* 2. IPv4 header length 4 words (16 octets), below the minimum of 5. */
    eth(&p, WEB.mac, CLIENT.mac);
    ip4(&p, CLIENT.ip4, WEB.ip4, 64);
    udp(&p, 40007, 48812);
    put_str(&p, "bad ihl");
    pkt_finish(&p);
    p.d[p.ip_off] = 0x44;
    write_frame(&p, 0, "BAD: IPv4 header length field 4 (16 octets)");

    /* 3. DNS response whose answer name is a pointer to itself. */
    eth(&p, CLIENT.mac, RESOLV.mac);
    ip4(&p, RESOLV.ip4, CLIENT.ip4, 64);
    udp(&p, 53, 53004);
    struct dns m = dns_begin(&p, 0x0bad, 0x8180, 0, 1, 0, 0);
    dns_rr_addr(&m, "", DNS_HDR_LEN, T_A, C_IN, 60, "192.0.2.66"); /* at 12: -> 12 */
    emit(&p, "BAD: DNS answer name is a compression pointer to itself (loop)");

    /* 4. UDP length 200 but only 8 + 16 octets present. The checksum is
     *    left 0 ("none") so the length is the only fault. */
    eth(&p, WEB.mac, CLIENT.mac);
    ip4(&p, CLIENT.ip4, WEB.ip4, 64);
    udp(&p, 40008, 48813);
    put_pattern(&p, 16, 0x40);
    pkt_finish(&p);
    set_be16(&p, p.l4_off + 4, 200);
    set_be16(&p, p.l4_off + 6, 0);
    write_frame(&p, 0, "BAD: UDP length 200 exceeds the 24 octets present");
}

int main(int argc, char **argv)
{
    int argi = 1;
    if (argc == 3 && strcmp(argv[1], "-l") == 0) {
        out.list = 1;
        argi = 2;
    }
    if (argc != argi + 1 || argv[argi][0] == '-') {
        fprintf(stderr, "usage: gen_sample [-l] OUT.pcap\n");
        return 2;
    }

    pcap_t *dead = pcap_open_dead(DLT_EN10MB, SNAPLEN);
    if (!dead)
        die("pcap_open_dead failed");
    out.dump = pcap_dump_open(dead, argv[argi]);
    if (!out.dump)
        die("%s", pcap_geterr(dead));
    out.ts_us = (uint64_t)TS_START_SEC * 1000000u;

    gen_arp();
    gen_dhcp();
    gen_dns_udp();
    gen_tcp_http();
    gen_tcp_dns();
    gen_tcp_ipv6_urgent();
    gen_udp_vlan();
    gen_icmp4();
    gen_icmp6();
    gen_mdns(4);
    gen_mdns(6);
    gen_non_ip();
    gen_bad();

    if (pcap_dump_flush(out.dump) != 0)
        die("write to %s failed", argv[argi]);
    pcap_dump_close(out.dump);
    pcap_close(dead);
    if (!out.list)
        printf("gen_sample: wrote %u frames to %s\n", out.frames, argv[argi]);
    return 0;
}
