/*
 * pktbuild.c - the unit tests' byte-buffer builder (see pktbuild.h).
 */
#include "pktbuild.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode/packet.h"

const uint8_t PB_MAC_DST[6] = {0x00, 0x1b, 0x21, 0xaa, 0xbb, 0xcc};
const uint8_t PB_MAC_SRC[6] = {0x02, 0x42, 0xac, 0x11, 0x00, 0x02};
const uint8_t PB_IP4_SRC[4] = {10, 0, 0, 1};
const uint8_t PB_IP4_DST[4] = {192, 168, 200, 254};
const uint8_t PB_IP6_SRC[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01};
const uint8_t PB_IP6_DST[16] = {0xfe, 0x80, 0,    0,    0,    0,    0,    0,
                                0x02, 0x11, 0x22, 0xff, 0xfe, 0x33, 0x44, 0x55};

static void room(struct pb *b, size_t n)
{
    if (n > PB_MAX - b->len) {
        fprintf(stderr, "pktbuild: buffer full (%zu + %zu > %d)\n", b->len, n, PB_MAX);
        abort();
    }
}

void pb_init(struct pb *b)
{
    memset(b->d, 0, sizeof b->d);
    b->len = 0;
}

size_t put_u8(struct pb *b, uint8_t v)
{
    room(b, 1);
    b->d[b->len] = v;
    return b->len++;
}

size_t put_be16(struct pb *b, uint16_t v)
{
    size_t at = put_u8(b, (uint8_t)(v >> 8));
    put_u8(b, (uint8_t)v);
    return at;
}

size_t put_be32(struct pb *b, uint32_t v)
{
    size_t at = put_be16(b, (uint16_t)(v >> 16));
    put_be16(b, (uint16_t)v);
    return at;
}

size_t put_bytes(struct pb *b, const void *p, size_t n)
{
    room(b, n);
    size_t at = b->len;
    if (n)
        memcpy(b->d + at, p, n);
    b->len += n;
    return at;
}

size_t put_fill(struct pb *b, uint8_t v, size_t n)
{
    room(b, n);
    size_t at = b->len;
    memset(b->d + at, v, n);
    b->len += n;
    return at;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

size_t put_hex(struct pb *b, const char *hex)
{
    size_t at = b->len;
    int hi = -1;
    for (const char *s = hex; *s; s++) {
        if (*s == ' ' || *s == ':' || *s == '.' || *s == '\n')
            continue;
        int v = hexval(*s);
        if (v < 0) {
            fprintf(stderr, "pktbuild: bad hex digit '%c' in \"%s\"\n", *s, hex);
            abort();
        }
        if (hi < 0) {
            hi = v;
        } else {
            put_u8(b, (uint8_t)(hi << 4 | v));
            hi = -1;
        }
    }
    if (hi >= 0) {
        fprintf(stderr, "pktbuild: odd number of hex digits in \"%s\"\n", hex);
        abort();
    }
    return at;
}

void set_u8(struct pb *b, size_t off, uint8_t v)
{
    if (off >= b->len)
        abort();
    b->d[off] = v;
}

void set_be16(struct pb *b, size_t off, uint16_t v)
{
    set_u8(b, off, (uint8_t)(v >> 8));
    set_u8(b, off + 1, (uint8_t)v);
}

size_t put_eth(struct pb *b, uint16_t type)
{
    size_t at = put_bytes(b, PB_MAC_DST, 6);
    put_bytes(b, PB_MAC_SRC, 6);
    put_be16(b, type);
    return at;
}

size_t put_vlan(struct pb *b, uint16_t tpid, uint16_t tci, uint16_t inner_type)
{
    size_t at = put_be16(b, tpid);
    put_be16(b, tci);
    put_be16(b, inner_type);
    return at;
}

size_t put_ip4(struct pb *b, uint8_t proto, const char *opts_hex)
{
    size_t at = put_u8(b, 0x45);
    put_u8(b, PB_IP4_TOS);
    put_be16(b, 0); /* total length: finish_ip4() */
    put_be16(b, PB_IP4_ID);
    put_be16(b, PB_IP4_OFF);
    put_u8(b, PB_IP4_TTL);
    put_u8(b, proto);
    put_be16(b, PB_IP4_SUM);
    put_bytes(b, PB_IP4_SRC, 4);
    put_bytes(b, PB_IP4_DST, 4);
    if (opts_hex) {
        size_t o = put_hex(b, opts_hex);
        size_t n = b->len - o;
        if (n % 4 || n > 40) {
            fprintf(stderr, "pktbuild: IPv4 options of %zu bytes\n", n);
            abort();
        }
        b->d[at] = (uint8_t)(0x40 | (5 + n / 4));
    }
    return at;
}

void finish_ip4(struct pb *b, size_t ip)
{
    set_be16(b, ip + 2, (uint16_t)(b->len - ip));
}

size_t put_ip6(struct pb *b, uint8_t nxt)
{
    size_t at = put_be32(b, PB_IP6_FLOW);
    put_be16(b, 0); /* payload length: finish_ip6() */
    put_u8(b, nxt);
    put_u8(b, PB_IP6_HLIM);
    put_bytes(b, PB_IP6_SRC, 16);
    put_bytes(b, PB_IP6_DST, 16);
    return at;
}

void finish_ip6(struct pb *b, size_t ip)
{
    set_be16(b, ip + 4, (uint16_t)(b->len - ip - 40));
}

size_t put_udp(struct pb *b, uint16_t sport, uint16_t dport)
{
    size_t at = put_be16(b, sport);
    put_be16(b, dport);
    put_be16(b, 0); /* length: finish_udp() */
    put_be16(b, PB_UDP_SUM);
    return at;
}

void finish_udp(struct pb *b, size_t udp)
{
    set_be16(b, udp + 4, (uint16_t)(b->len - udp));
}

size_t put_tcp(struct pb *b, uint16_t sport, uint16_t dport, uint8_t flags, const char *opts_hex)
{
    size_t at = put_be16(b, sport);
    put_be16(b, dport);
    put_be32(b, PB_TCP_SEQ);
    put_be32(b, PB_TCP_ACK);
    put_u8(b, 5 << 4);
    put_u8(b, flags);
    put_be16(b, PB_TCP_WIN);
    put_be16(b, PB_TCP_SUM);
    put_be16(b, PB_TCP_URP);
    if (opts_hex) {
        size_t o = put_hex(b, opts_hex);
        size_t n = b->len - o;
        if (n % 4 || n > 40) {
            fprintf(stderr, "pktbuild: TCP options of %zu bytes\n", n);
            abort();
        }
        b->d[at + 12] = (uint8_t)((5 + n / 4) << 4);
    }
    return at;
}

void build_udp4(struct pb *b, uint16_t sport, uint16_t dport, const void *payload, size_t n,
                struct layout *lay)
{
    pb_init(b);
    put_eth(b, 0x0800);
    lay->ip = put_ip4(b, 17, NULL);
    lay->l4 = put_udp(b, sport, dport);
    lay->payload = put_bytes(b, payload, n);
    finish_udp(b, lay->l4);
    finish_ip4(b, lay->ip);
    lay->end = b->len;
}

void build_tcp4(struct pb *b, uint16_t sport, uint16_t dport, uint8_t flags, const char *ip_opts,
                const char *tcp_opts, const void *payload, size_t n, struct layout *lay)
{
    pb_init(b);
    put_eth(b, 0x0800);
    lay->ip = put_ip4(b, 6, ip_opts);
    lay->l4 = put_tcp(b, sport, dport, flags, tcp_opts);
    lay->payload = put_bytes(b, payload, n);
    finish_ip4(b, lay->ip);
    lay->end = b->len;
}

void build_udp6(struct pb *b, uint16_t sport, uint16_t dport, const void *payload, size_t n,
                struct layout *lay)
{
    pb_init(b);
    put_eth(b, 0x86dd);
    lay->ip = put_ip6(b, 17);
    lay->l4 = put_udp(b, sport, dport);
    lay->payload = put_bytes(b, payload, n);
    finish_udp(b, lay->l4);
    finish_ip6(b, lay->ip);
    lay->end = b->len;
}

uint8_t *pb_dup(const struct pb *b, size_t n)
{
    uint8_t *p = malloc(n); /* malloc(0): a block ASan flags on any access */
    if (!p && n == 0)
        p = malloc(1);
    if (!p)
        abort();
    if (n)
        memcpy(p, b->d, n);
    return p;
}

uint8_t *decode_pb(struct packet *pkt, int linktype, const struct pb *b, size_t caplen)
{
    if (caplen > b->len)
        abort();
    uint8_t *d = pb_dup(b, caplen);
    memset(pkt, 0xa5, sizeof *pkt);
    decode_packet(pkt, linktype, d, (uint32_t)caplen, (uint32_t)b->len, PB_TS);
    return d;
}
