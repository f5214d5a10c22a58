/*
 * filter.c - parsing and matching a watcher's user-space filter (see
 * filter.h).
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "filter.h"

#include <arpa/inet.h>
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void filter_init(struct watch_filter *f)
{
    memset(f, 0, sizeof *f);
    f->protocol = PROTO_ANY;
}

void filter_free(struct watch_filter *f)
{
    if (f->match_data)
        pcre2_match_data_free(f->match_data);
    if (f->re)
        pcre2_code_free(f->re);
    f->re = f->match_data = NULL;
}

int filter_parse_mac(const char *text, uint8_t mac[6], char *err, size_t errlen)
{
    unsigned v[6];
    char tail;
    if (sscanf(text, "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
               &tail) != 6 &&
        sscanf(text, "%2x-%2x-%2x-%2x-%2x-%2x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
               &tail) != 6) {
        snprintf(err, errlen, "bad MAC address '%s' (want aa:bb:cc:dd:ee:ff)", text);
        return -1;
    }
    for (int i = 0; i < 6; i++)
        mac[i] = (uint8_t)v[i];
    return 0;
}

int filter_parse_cidr(const char *text, struct cidr *c, char *err, size_t errlen)
{
    char addr[INET6_ADDRSTRLEN + 8];
    if (strlen(text) >= sizeof addr)
        goto bad;
    snprintf(addr, sizeof addr, "%s", text);
    char *slash = strchr(addr, '/');
    long prefix = -1;
    if (slash) {
        *slash = '\0';
        char *end;
        if (!slash[1] || slash[1] == '-' || slash[1] == '+')
            goto bad;
        prefix = strtol(slash + 1, &end, 10);
        if (*end)
            goto bad;
    }
    memset(c, 0, sizeof *c);
    if (inet_pton(AF_INET, addr, c->addr) == 1)
        c->family = 4;
    else if (inet_pton(AF_INET6, addr, c->addr) == 1)
        c->family = 6;
    else
        goto bad;
    long max = c->family == 4 ? 32 : 128;
    if (prefix < 0)
        prefix = max;
    if (prefix > max)
        goto bad;
    c->prefix = (uint8_t)prefix;
    /* host bits must be zero, as with ip route: 10.0.0.1/8 is a mistake */
    for (unsigned bit = (unsigned)prefix; bit < (unsigned)max; bit++)
        if (c->addr[bit / 8] & (0x80u >> (bit % 8))) {
            snprintf(err, errlen, "bad CIDR '%s': host bits set after /%ld", text, prefix);
            return -1;
        }
    return 0;
bad:
    snprintf(err, errlen, "bad IP address or CIDR '%s'", text);
    return -1;
}

static int parse_port(const char *s, const char *end, uint16_t *out)
{
    if (s == end || end - s > 5)
        return -1;
    unsigned v = 0;
    for (const char *p = s; p < end; p++) {
        if (*p < '0' || *p > '9')
            return -1;
        v = v * 10 + (unsigned)(*p - '0');
    }
    if (v > 65535)
        return -1;
    *out = (uint16_t)v;
    return 0;
}

int filter_parse_ports(const char *text, struct port_range *r, char *err, size_t errlen)
{
    const char *dash = strchr(text, '-');
    const char *end = text + strlen(text);
    if (dash ? parse_port(text, dash, &r->lo) || parse_port(dash + 1, end, &r->hi)
             : parse_port(text, end, &r->lo)) {
        snprintf(err, errlen, "bad port or range '%s' (want 0-65535 or LO-HI)", text);
        return -1;
    }
    if (!dash)
        r->hi = r->lo;
    if (r->lo > r->hi) {
        snprintf(err, errlen, "bad port range '%s': %u > %u", text, r->lo, r->hi);
        return -1;
    }
    r->set = true;
    return 0;
}

static const struct {
    const char *name;
    int value;
} protocols[] = {
    {"tcp", 6},    {"udp", 17},        {"icmp", 1},       {"icmp6", 58},
    {"sctp", 132}, {"gre", 47},        {"esp", 50},       {"ah", 51},
    {"igmp", 2},   {"arp", PROTO_ARP}, {"ip", PROTO_IP4}, {"ip6", PROTO_IP6},
};

int filter_parse_protocol(const char *text, int *proto, char *err, size_t errlen)
{
    for (size_t i = 0; i < sizeof protocols / sizeof protocols[0]; i++)
        if (strcmp(text, protocols[i].name) == 0) {
            *proto = protocols[i].value;
            return 0;
        }
    char *end;
    long v = strtol(text, &end, 10);
    if (*text && !*end && v >= 0 && v <= 255 && text[0] != '-' && text[0] != '+') {
        *proto = (int)v;
        return 0;
    }
    snprintf(err, errlen,
             "unknown protocol '%s' (tcp, udp, icmp, icmp6, sctp, gre, esp, ah, igmp, arp, ip, "
             "ip6 or an IP protocol number 0-255)",
             text);
    return -1;
}

int filter_set_regex(struct watch_filter *f, const char *pattern, char *err, size_t errlen)
{
    int code;
    PCRE2_SIZE off;
    pcre2_code *re =
        pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED, 0, &code, &off, NULL);
    if (!re) {
        PCRE2_UCHAR msg[256];
        pcre2_get_error_message(code, msg, sizeof msg);
        snprintf(err, errlen, "bad regex '%s': %s at offset %zu", pattern, (const char *)msg,
                 (size_t)off);
        return -1;
    }
    filter_free(f);
    f->re = re;
    f->jit = pcre2_jit_compile(re, PCRE2_JIT_COMPLETE) == 0;
    f->match_data = pcre2_match_data_create_from_pattern(re, NULL);
    if (!f->match_data) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

static bool cidr_match(const struct cidr *c, int family, const uint8_t *addr)
{
    if (c->family != family)
        return false;
    unsigned full = c->prefix / 8, rest = c->prefix % 8;
    if (memcmp(c->addr, addr, full) != 0)
        return false;
    if (rest) {
        uint8_t mask = (uint8_t)(0xffu << (8 - rest));
        if ((c->addr[full] & mask) != (addr[full] & mask))
            return false;
    }
    return true;
}

static bool in_range(const struct port_range *r, uint16_t p)
{
    return p >= r->lo && p <= r->hi;
}

struct bytes filter_payload(const struct packet *pkt)
{
    if (packet_has(pkt, LAYER_TCP))
        return pkt->tcp.payload;
    if (packet_has(pkt, LAYER_UDP))
        return pkt->udp.payload;
    for (int l = LAYER_ICMP4; l <= LAYER_ICMP6; l++)
        if (packet_has(pkt, (enum layer)l)) {
            const struct layer_ref *r = &pkt->ref[l];
            const uint8_t *end = pkt->data + pkt->caplen;
            const uint8_t *p = r->hdr + 8;
            if (r->len >= 8 && p <= end)
                return (struct bytes){p, (uint32_t)(end - p)};
        }
    return (struct bytes){NULL, 0};
}

bool filter_match(struct watch_filter *f, const struct packet *pkt)
{
    bool has_eth = packet_has(pkt, LAYER_ETH) && pkt->eth.src.len == 6 && pkt->eth.dst.len == 6;
    if (f->src_mac_set && !(has_eth && memcmp(pkt->eth.src.p, f->src_mac, 6) == 0))
        return false;
    if (f->dst_mac_set && !(has_eth && memcmp(pkt->eth.dst.p, f->dst_mac, 6) == 0))
        return false;
    if (f->mac_set && !(has_eth && (memcmp(pkt->eth.src.p, f->mac, 6) == 0 ||
                                    memcmp(pkt->eth.dst.p, f->mac, 6) == 0)))
        return false;

    const struct flow_tuple *t = &pkt->flow;
    int family = t->family;
    const uint8_t *src = t->src, *dst = t->dst;
    if (f->src_ip.family && !cidr_match(&f->src_ip, family, src))
        return false;
    if (f->dst_ip.family && !cidr_match(&f->dst_ip, family, dst))
        return false;
    if (f->ip.family && !cidr_match(&f->ip, family, src) && !cidr_match(&f->ip, family, dst))
        return false;

    bool l4 = t->ports;
    uint16_t sport = t->sport, dport = t->dport;
    if (f->src_port.set && !(l4 && in_range(&f->src_port, sport)))
        return false;
    if (f->dst_port.set && !(l4 && in_range(&f->dst_port, dport)))
        return false;
    if (f->port.set && !(l4 && (in_range(&f->port, sport) || in_range(&f->port, dport))))
        return false;

    if (f->protocol != PROTO_ANY) {
        bool ok;
        switch (f->protocol) {
        case PROTO_ARP: ok = packet_has(pkt, LAYER_ARP); break;
        case PROTO_IP4: ok = family == 4; break;
        case PROTO_IP6: ok = family == 6; break;
        default:
            ok = family && t->proto == f->protocol;
        }
        if (!ok)
            return false;
    }

    if (f->re) {
        struct bytes pl = filter_payload(pkt);
        if (!pl.p || pl.len == 0)
            return false;
        int rc = f->jit ? pcre2_jit_match(f->re, pl.p, pl.len, 0, 0, f->match_data, NULL)
                        : pcre2_match(f->re, pl.p, pl.len, 0, 0, f->match_data, NULL);
        if (rc < 0)
            return false;
    }
    return true;
}
