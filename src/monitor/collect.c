/*
 * collect.c - one flow's fingerprint inputs (see collect.h).
 */
#include "collect.h"

#include <stdio.h>
#include <string.h>

#include "cleartext.h"
#include "tls_hello.h"

enum fp_kind collect_candidate(const struct packet *pkt)
{
    if ((packet_has(pkt, LAYER_DNS) || packet_has(pkt, LAYER_MDNS)) && pkt->dns.has_question)
        return FP_DNS;
    if (packet_has(pkt, LAYER_DHCP) && pkt->dhcp.op == 1)
        return FP_DHCP;
    if (!packet_has(pkt, LAYER_TCP) || pkt->tcp.payload.len == 0)
        return FP_NONE;
    const uint8_t *p = pkt->tcp.payload.p;
    size_t n = pkt->tcp.payload.len;
    if (n >= 6 && p[0] == 22 && p[1] == 3 && p[5] == 1) /* handshake record, ClientHello */
        return FP_TLS;
    if (ssh_is_banner(p, n))
        return FP_SSH;
    if (http_is_request(p, n))
        return FP_HTTP;
    return FP_NONE;
}

void collect_dhcp_params(const uint8_t *p, size_t n, char out[FP_TEXT_MAX + 1])
{
    size_t used = 0;
    out[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        char num[8];
        int w = snprintf(num, sizeof num, "%s%u", i ? "," : "", p[i]);
        if (used + (size_t)w > FP_TEXT_MAX)
            break;
        memcpy(out + used, num, (size_t)w + 1);
        used += (size_t)w;
    }
}

static void prefix_limits(struct collector *c)
{
    uint32_t max = c->kind == FP_TLS ? TLS_HANDSHAKE_MAX + 64
                   : c->kind == FP_HTTP ? HTTP_HEAD_MAX
                                        : SSH_BANNER_MAX;
    c->dir[0].max = c->dir[1].max = max;
}

void collect_start(struct collector *c, enum fp_kind kind, const struct packet *pkt,
                   unsigned dir)
{
    memset(c, 0, sizeof *c);
    c->kind = kind;
    c->client_dir = (uint8_t)dir;
    if (kind == FP_HTTP)
        c->have[dir ^ 1] = true; /* nothing is read from the server side */
    prefix_limits(c);
    collect_packet(c, pkt, dir);
}

void collect_start_quic(struct collector *c, const char *sni)
{
    memset(c, 0, sizeof *c);
    c->kind = FP_QUIC;
    fp_cut(sni, FP_QUIC_SNI_MAX, true, c->name);
    c->primary = c->name[0] != '\0';
    c->complete = true;
}

/* TLS: the ClientHello from the client side, the ServerHello from the other. */
static enum tls_status parse_tls(struct collector *c, unsigned dir, const struct stream_prefix *s)
{
    static _Thread_local uint8_t msg[TLS_HANDSHAKE_MAX];
    size_t len = 0;
    enum tls_status st = tls_first_handshake(s->buf, s->len, msg, sizeof msg, &len);
    if (st != TLS_DONE)
        return st;
    if (dir == c->client_dir) {
        struct tls_client_hello ch;
        if (tls_parse_client_hello(msg, len, &ch) != 0)
            return TLS_BAD;
        memcpy(c->name, ch.sni, sizeof c->name);
        memcpy(c->part_a, ch.ja3, sizeof ch.ja3);
        memcpy(c->ja4, ch.ja4, sizeof ch.ja4);
        c->primary = true;
    } else {
        struct tls_server_hello sh;
        if (tls_parse_server_hello(msg, len, &sh) != 0)
            return TLS_BAD;
        memcpy(c->part_b, sh.ja3s, sizeof sh.ja3s);
    }
    return TLS_DONE;
}

/* Try to read direction dir's part from its prefix; final: no more bytes. */
static void parse_dir(struct collector *c, unsigned dir, bool final)
{
    struct stream_prefix *s = &c->dir[dir];
    bool more;
    final |= s->failed || stream_prefix_full(s);
    if (c->have[dir] || (s->len == 0 && !final))
        return;
    if (s->len == 0) {
        more = false; /* nothing came from this side */
    } else if (c->kind == FP_TLS) {
        more = parse_tls(c, dir, s) == TLS_MORE;
    } else if (c->kind == FP_HTTP) {
        enum ct_status st = http_parse_request(s->buf, s->len, final, c->name, c->part_a);
        c->primary |= st == CT_DONE;
        more = st == CT_MORE;
    } else {
        char *out = dir == 0 ? c->name : c->part_a;
        enum ct_status st = ssh_parse_banner(s->buf, s->len, final, out);
        c->primary |= st == CT_DONE;
        more = st == CT_MORE;
    }
    if (more && !final)
        return;
    c->have[dir] = true;
    stream_prefix_free(s);
    if (c->have[0] && c->have[1])
        c->complete = true;
}

static void collect_dns(struct collector *c, const struct packet *pkt)
{
    if (!(packet_has(pkt, LAYER_DNS) || packet_has(pkt, LAYER_MDNS)) || !pkt->dns.has_question)
        return;
    fp_cut(pkt->dns.qname, FP_TEXT_MAX, true, c->name);
    c->primary = c->complete = true;
}

static void collect_dhcp(struct collector *c, const struct packet *pkt)
{
    const struct dhcp_fields *d = &pkt->dhcp;
    if (!packet_has(pkt, LAYER_DHCP) || d->op != 1)
        return;
    collect_dhcp_params(d->param_list.p, d->param_list.len, c->part_a);
    fp_text(d->vendor_class.p, d->vendor_class.len, FP_TEXT_MAX, false, c->part_b);
    fp_text(d->host_name.p, d->host_name.len, FP_TEXT_MAX, false, c->name);
    c->primary = c->complete = true;
}

void collect_packet(struct collector *c, const struct packet *pkt, unsigned dir)
{
    if (c->complete)
        return;
    switch (c->kind) {
    case FP_DNS:
        collect_dns(c, pkt);
        return;
    case FP_DHCP:
        collect_dhcp(c, pkt);
        return;
    case FP_TLS:
    case FP_HTTP:
    case FP_SSH:
        if (!packet_has(pkt, LAYER_TCP) || pkt->tcp.payload.len == 0 || c->have[dir])
            return;
        stream_prefix_add(&c->dir[dir], pkt->tcp.seq, pkt->tcp.payload.p, pkt->tcp.payload.len);
        parse_dir(c, dir, false);
        return;
    default:
        return;
    }
}

bool collect_fingerprint(struct collector *c, struct fingerprint *fp)
{
    if (c->kind == FP_TLS || c->kind == FP_HTTP || c->kind == FP_SSH) {
        parse_dir(c, 0, true);
        parse_dir(c, 1, true);
    }
    if (!c->primary)
        return false;
    fp->ja4[0] = '\0';
    switch (c->kind) {
    case FP_DNS: fp_make_dns(fp, c->name); return true;
    case FP_DHCP: fp_make_dhcp(fp, c->part_a, c->part_b, c->name); return true;
    case FP_TLS:
        fp_make_tls(fp, c->name, c->part_a, c->part_b);
        memcpy(fp->ja4, c->ja4, sizeof fp->ja4);
        return true;
    case FP_HTTP: fp_make_http(fp, c->name, c->part_a); return true;
    case FP_SSH: fp_make_ssh(fp, c->name, c->part_a); return true;
    case FP_QUIC: fp_make_quic(fp, c->name); return true;
    default: return false;
    }
}

void collect_free(struct collector *c)
{
    stream_prefix_free(&c->dir[0]);
    stream_prefix_free(&c->dir[1]);
}
