/*
 * collect.c - one flow's fingerprint inputs (see collect.h).
 */
#include "collect.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../decode/cursor.h"
#include "../decode/decoders.h"
#include "../capture/reasm.h"
#include "cleartext.h"
#include "../decode/tls_hello.h"

#define TCP_SYN 0x02
#define TCP_ACK 0x10

/* The kind of TCP collector a stream's first bytes call for, or FP_NONE. */
static enum fp_kind content_kind(const uint8_t *p, size_t n)
{
    if (n >= 6 && p[0] == 22 && p[1] == 3 && p[5] == 1) /* handshake record, ClientHello */
        return FP_TLS;
    if (ssh_is_banner(p, n))
        return FP_SSH;
    if (http_is_request(p, n))
        return FP_HTTP;
    return FP_NONE;
}

enum fp_kind collect_candidate(const struct packet *pkt, const struct collect_seq *seq,
                               unsigned dir, bool *pending)
{
    *pending = false;
    if (packet_has(pkt, LAYER_TCP)) {
        if (pkt->tcp.payload.len == 0)
            return FP_NONE;
        if (pkt->tcp.source == 53 || pkt->tcp.dest == 53)
            return FP_DNS; /* DNS over TCP: messages read from the client's stream */
        if (seq && seq->known[dir] && seq_diff(pkt->tcp.seq, seq->next[dir]) > 0) {
            *pending = true; /* bytes before these are still to come */
            return FP_NONE;
        }
        return content_kind(pkt->tcp.payload.p, pkt->tcp.payload.len);
    }
    if ((packet_has(pkt, LAYER_DNS) || packet_has(pkt, LAYER_MDNS)) && pkt->dns.has_question)
        return FP_DNS;
    if (packet_has(pkt, LAYER_DHCP) && pkt->dhcp.op == 1)
        return FP_DHCP;
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

/* ---- TCP directions in order ---------------------------------------- */

/* A stream callback's `user`: which direction of which collector. */
struct dir_ref {
    struct collector *c;
    unsigned dir;
};

static void dns_bytes(struct collector *c, struct collect_dir *d, const uint8_t *p, size_t n);

static bool reserve(struct collect_dir *d, uint32_t need)
{
    if (need <= d->cap)
        return true;
    uint32_t cap = d->cap ? d->cap : 2048;
    while (cap < need)
        cap *= 2;
    if (cap > d->max)
        cap = d->max;
    uint8_t *b = realloc(d->buf, cap);
    if (!b)
        return false;
    d->buf = b;
    d->cap = cap;
    return true;
}

/* Append in-order bytes to the direction's buffer (up to its max). */
static void append(struct collect_dir *d, const uint8_t *p, size_t n)
{
    if (n > d->max - d->len)
        n = d->max - d->len;
    if (n == 0)
        return;
    if (!reserve(d, d->len + (uint32_t)n)) {
        d->cut = true;
        return;
    }
    memcpy(d->buf + d->len, p, n);
    d->len += (uint32_t)n;
}

static void on_data(void *user, const uint8_t *p, size_t n, uint64_t ts)
{
    struct dir_ref *x = user;
    struct collect_dir *d = &x->c->dir[x->dir];
    (void)ts;
    if (d->cut)
        return;
    if (x->c->dns_tcp)
        dns_bytes(x->c, d, p, n);
    else
        append(d, p, n);
}

static void on_gap(void *user, uint64_t n)
{
    struct dir_ref *x = user;
    (void)n;
    x->c->dir[x->dir].cut = true; /* what follows a hole is not the prefix */
}

static struct reasm_stream_env stream_env(const struct collector *c, const struct collect_dir *d)
{
    struct reasm_stream_env e = {.cap = c->dns_tcp ? COLLECT_DNS_TCP_MAX : d->max,
                                 .max_segs = COLLECT_OOO_SEGS, .st = c->st,
                                 .data = on_data, .gap = on_gap};
    return e;
}

static void dir_start(struct collect_dir *d, uint32_t seq)
{
    reasm_stream_start(&d->rs, seq);
    d->start = seq;
}

static void dir_free(struct collector *c, struct collect_dir *d)
{
    struct reasm_stream_env e = stream_env(c, d);
    reasm_stream_free(&e, &d->rs);
    free(d->buf);
    memset(d, 0, sizeof *d);
}

/* One segment of direction dir into its stream. */
static void feed(struct collector *c, unsigned dir, const struct reasm_seg *s)
{
    struct collect_dir *d = &c->dir[dir];
    uint32_t n = s->len, missing = s->missing;
    uint32_t seq = s->seq + ((s->flags & TCP_SYN) ? 1 : 0); /* a SYN takes one number */
    if (d->cut || (n == 0 && missing == 0))
        return;
    if (!d->rs.started)
        dir_start(d, seq); /* picked up mid-stream: it begins here */
    if (!c->dns_tcp) {
        /* only the first max bytes are read: later ones are not even held */
        int32_t off = seq_diff(seq, d->start);
        if (off >= 0 && (uint32_t)off >= d->max)
            return;
        if (off >= 0 && n + missing > d->max - (uint32_t)off) {
            if (n > d->max - (uint32_t)off)
                n = d->max - (uint32_t)off;
            missing = d->max - (uint32_t)off - n;
        }
    }
    struct reasm_stream_env e = stream_env(c, d);
    struct dir_ref x = {c, dir};
    reasm_stream_add(&e, &x, &d->rs, seq, s->payload, n, missing, s->ts);
}

static void set_limits(struct collector *c)
{
    uint32_t max = c->dns_tcp            ? COLLECT_DNS_TCP_MAX
                   : c->pending || c->kind == FP_TLS ? TLS_HANDSHAKE_MAX + 64
                   : c->kind == FP_HTTP  ? FP_HTTP_HEAD_MAX
                                         : SSH_BANNER_MAX;
    for (unsigned i = 0; i < 2; i++) {
        struct collect_dir *d = &c->dir[i];
        d->max = max;
        if (d->len > max) {
            d->len = max;
            d->cut = true;
        }
    }
}

/* The part of direction dir that is not read. */
static void not_read(struct collector *c, unsigned dir)
{
    c->have[dir] = true;
    dir_free(c, &c->dir[dir]);
}

/* A pending collector: decide its kind from the first bytes of a
 * direction, once there are enough of them (or no more will come). */
static void resolve(struct collector *c, bool final)
{
    for (unsigned i = 0; i < 2; i++) {
        struct collect_dir *d = &c->dir[i];
        if (d->len == 0 || (d->len < 8 && !final && !d->cut))
            continue;
        c->pending = false;
        c->kind = content_kind(d->buf, d->len);
        if (c->kind == FP_NONE) { /* nothing identifies a device here */
            not_read(c, 0);
            not_read(c, 1);
            c->complete = true;
            return;
        }
        c->client_dir = (uint8_t)i;
        set_limits(c);
        if (c->kind == FP_HTTP)
            not_read(c, i ^ 1); /* nothing is read from the server side */
        return;
    }
}

/* ---- DNS over TCP -------------------------------------------------- */

/* The whole message (or its first COLLECT_DNS_TCP_MAX bytes) is in d->buf. */
static void dns_message(struct collector *c, struct collect_dir *d)
{
    struct packet scratch; /* the DNS decoder writes its fields into a packet */
    scratch.layers = scratch.truncated = scratch.malformed = 0;
    decode_dns(&scratch, cursor_make(d->buf, d->len), LAYER_DNS, true);
    if (!packet_has(&scratch, LAYER_DNS) || !scratch.dns.has_question)
        return;
    text_cut(scratch.dns.qname, FP_TEXT_MAX, true, c->name);
    c->primary = c->complete = true;
}

/* Bytes of the client's stream: 2-byte lengths, each followed by a message. */
static void dns_bytes(struct collector *c, struct collect_dir *d, const uint8_t *p, size_t n)
{
    while (n && !c->complete) {
        if (d->skip) { /* the rest of a message longer than what is read */
            size_t k = n < d->skip ? n : d->skip;
            d->skip -= (uint32_t)k;
            p += k, n -= k;
            continue;
        }
        if (d->nlen < 2) {
            d->msg_len = (uint16_t)(d->msg_len << 8 | *p++);
            n--;
            if (++d->nlen == 2)
                d->len = 0;
            if (d->nlen == 2 && d->msg_len == 0)
                d->nlen = 0; /* an empty message */
            continue;
        }
        uint32_t want = d->msg_len < d->max ? d->msg_len : d->max;
        size_t k = n < want - d->len ? n : want - d->len;
        append(d, p, k);
        p += k, n -= k;
        if (d->cut)
            return;
        if (d->len < want)
            continue;
        dns_message(c, d);
        d->skip = d->msg_len - want;
        d->nlen = 0;
        d->msg_len = 0;
    }
}

/* ---- starting ------------------------------------------------------ */

void collect_start(struct collector *c, enum fp_kind kind, const struct packet *pkt,
                   unsigned dir, const struct collect_seq *seq, struct reasm_stats *st)
{
    memset(c, 0, sizeof *c);
    c->kind = kind;
    c->client_dir = (uint8_t)dir;
    c->st = st;
    if (!packet_has(pkt, LAYER_TCP)) {
        collect_packet(c, pkt, dir);
        return;
    }
    c->pending = kind == FP_NONE;
    if (kind == FP_DNS) {
        uint16_t sp = pkt->tcp.source, dp = pkt->tcp.dest;
        c->dns_tcp = true;
        c->client_dir = (uint8_t)(dp == 53 && sp != 53 ? dir : sp == 53 && dp != 53 ? dir ^ 1 : 0);
    }
    set_limits(c);
    /* where each direction begins: this packet's data starts its stream
     * unless bytes before it are known to be missing still; the other
     * direction at the byte this packet acknowledges (several SYN-ACKs of
     * different sequence numbers leave only that one sure), else after
     * what the flow saw of it */
    uint32_t first = pkt->tcp.seq + ((pkt->tcp.flags & TCP_SYN) ? 1 : 0);
    for (unsigned i = 0; i < 2; i++) {
        if (i == dir && !(seq && seq->known[i] && seq_diff(first, seq->next[i]) > 0))
            dir_start(&c->dir[i], first);
        else if (i == dir)
            dir_start(&c->dir[i], seq->next[i]);
        else if (pkt->tcp.flags & TCP_ACK)
            dir_start(&c->dir[i], pkt->tcp.ack_seq);
        else if (seq && seq->known[i])
            dir_start(&c->dir[i], seq->next[i]);
    }
    if (kind == FP_HTTP)
        not_read(c, dir ^ 1); /* nothing is read from the server side */
    if (c->dns_tcp)
        not_read(c, c->client_dir ^ 1u);
    collect_packet(c, pkt, dir);
}

void collect_start_quic(struct collector *c, const char *sni)
{
    memset(c, 0, sizeof *c);
    c->kind = FP_QUIC;
    text_cut(sni, FP_QUIC_SNI_MAX, true, c->name);
    c->primary = c->name[0] != '\0';
    c->complete = true;
}

/* TLS: the ClientHello from the client side, the ServerHello from the other. */
static enum tls_status parse_tls(struct collector *c, unsigned dir, const struct collect_dir *s)
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

/* Try to read direction dir's part from its bytes; final: no more bytes. */
static void parse_dir(struct collector *c, unsigned dir, bool final)
{
    struct collect_dir *s = &c->dir[dir];
    bool more;
    final |= s->cut || s->len >= s->max;
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
    not_read(c, dir);
    if (c->have[0] && c->have[1])
        c->complete = true;
}

static void collect_dns(struct collector *c, const struct packet *pkt)
{
    if (!(packet_has(pkt, LAYER_DNS) || packet_has(pkt, LAYER_MDNS)) || !pkt->dns.has_question)
        return;
    text_cut(pkt->dns.qname, FP_TEXT_MAX, true, c->name);
    c->primary = c->complete = true;
}

static void collect_dhcp(struct collector *c, const struct packet *pkt)
{
    const struct dhcp_fields *d = &pkt->dhcp;
    if (!packet_has(pkt, LAYER_DHCP) || d->op != 1)
        return;
    collect_dhcp_params(d->param_list.p, d->param_list.len, c->part_a);
    text_field(d->vendor_class.p, d->vendor_class.len, FP_TEXT_MAX, false, c->part_b);
    text_field(d->host_name.p, d->host_name.len, FP_TEXT_MAX, false, c->name);
    c->primary = c->complete = true;
}

/* A TCP segment of a stream collector. */
static void collect_tcp(struct collector *c, const struct packet *pkt, unsigned dir)
{
    struct reasm_seg s;
    if (c->have[dir] || !reasm_seg_of(pkt, &s))
        return;
    feed(c, dir, &s);
    if (c->pending)
        resolve(c, false);
    if (!c->pending && !c->dns_tcp)
        parse_dir(c, dir, false);
    if (c->dns_tcp && (c->complete || c->dir[dir].cut)) {
        not_read(c, dir);
        c->complete = true;
    }
}

void collect_packet(struct collector *c, const struct packet *pkt, unsigned dir)
{
    if (c->complete)
        return;
    switch (c->kind) {
    case FP_DNS:
        if (c->dns_tcp)
            collect_tcp(c, pkt, dir);
        else
            collect_dns(c, pkt);
        return;
    case FP_DHCP:
        collect_dhcp(c, pkt);
        return;
    case FP_NONE: /* pending: a TCP stream of a kind still to be seen */
    case FP_TLS:
    case FP_HTTP:
    case FP_SSH:
        collect_tcp(c, pkt, dir);
        return;
    default:
        return;
    }
}

bool collect_fingerprint(struct collector *c, struct fingerprint *fp)
{
    if (c->pending)
        resolve(c, true);
    if (c->kind == FP_TLS || c->kind == FP_HTTP || c->kind == FP_SSH) {
        parse_dir(c, 0, true);
        parse_dir(c, 1, true);
    }
    if (!c->primary)
        return false;
    fp->ja4[0] = fp->ja3[0] = '\0';
    switch (c->kind) {
    case FP_DNS: fp_make_dns(fp, c->name); return true;
    case FP_DHCP: fp_make_dhcp(fp, c->part_a, c->part_b, c->name); return true;
    case FP_TLS:
        fp_make_tls(fp, c->name, c->ja4, c->part_b);
        memcpy(fp->ja4, c->ja4, sizeof fp->ja4);
        memcpy(fp->ja3, c->part_a, sizeof fp->ja3 - 1); /* part_a: the JA3, 32 hex digits */
        fp->ja3[sizeof fp->ja3 - 1] = '\0';
        return true;
    case FP_HTTP: fp_make_http(fp, c->name, c->part_a); return true;
    case FP_SSH: fp_make_ssh(fp, c->name, c->part_a); return true;
    case FP_QUIC: fp_make_quic(fp, c->name); return true;
    default: return false;
    }
}

void collect_free(struct collector *c)
{
    dir_free(c, &c->dir[0]);
    dir_free(c, &c->dir[1]);
}
