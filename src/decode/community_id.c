/*
 * community_id.c - Community ID v1 (see community_id.h).  SHA-1 and
 * base64 come from OpenSSL libcrypto.
 */
#include "community_id.h"

#include <openssl/evp.h>
#include <openssl/sha.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "cursor.h"
#include "flow.h"

static _Atomic uint16_t seed_value;

void community_id_set_seed(uint16_t seed)
{
    atomic_store(&seed_value, seed);
}

uint16_t community_id_seed(void)
{
    return atomic_load_explicit(&seed_value, memory_order_relaxed);
}

/* SHA-1, fetched from the provider once: SHA1() and EVP_sha1() look it up
 * (a lock and a reference count) on every call, once per packet here. */
static pthread_once_t sha1_fetched = PTHREAD_ONCE_INIT;
static EVP_MD *sha1_md;

static void fetch_sha1(void)
{
    sha1_md = EVP_MD_fetch(NULL, "SHA1", NULL);
}

static bool sha1(const uint8_t *data, size_t len, uint8_t digest[SHA_DIGEST_LENGTH])
{
    pthread_once(&sha1_fetched, fetch_sha1);
    unsigned int n = 0;
    return EVP_Digest(data, len, digest, &n, sha1_md ? sha1_md : EVP_sha1(), NULL) == 1 &&
           n == SHA_DIGEST_LENGTH;
}

/* ICMP request/reply pairs: the counterpart's type stands in for the
 * destination port, so a request and its reply hash alike. */
struct icmp_pair {
    uint8_t type, other;
};

static const struct icmp_pair icmp4_pairs[] = {
    {8, 0}, {0, 8},   /* echo */
    {13, 14}, {14, 13}, /* timestamp */
    {15, 16}, {16, 15}, /* information */
    {10, 9}, {9, 10},   /* router solicitation / advertisement */
    {17, 18}, {18, 17}, /* address mask */
};

static const struct icmp_pair icmp6_pairs[] = {
    {128, 129}, {129, 128}, /* echo */
    {130, 131}, {131, 130}, /* multicast listener query / report */
    {133, 134}, {134, 133}, /* router solicitation / advertisement */
    {135, 136}, {136, 135}, /* neighbor solicitation / advertisement */
    {139, 140}, {140, 139}, /* node information query / reply */
    {144, 145}, {145, 144}, /* home agent address discovery */
};

/* Map ICMP type/code to ports; true when the message is one-way. */
static bool icmp_ports(uint8_t proto, uint16_t *sport, uint16_t *dport)
{
    const struct icmp_pair *pairs = proto == 1 ? icmp4_pairs : icmp6_pairs;
    size_t n = proto == 1 ? sizeof icmp4_pairs / sizeof icmp4_pairs[0]
                          : sizeof icmp6_pairs / sizeof icmp6_pairs[0];
    for (size_t i = 0; i < n; i++)
        if (pairs[i].type == *sport) {
            *dport = pairs[i].other;
            return false;
        }
    return true;
}

int community_id_v1(uint16_t seed, const uint8_t *src, const uint8_t *dst, size_t addr_len,
                    uint8_t proto, bool has_ports, uint16_t sport, uint16_t dport,
                    char out[COMMUNITY_ID_SIZE])
{
    out[0] = '\0';
    if (addr_len != 4 && addr_len != 16)
        return -1;
    bool one_way = false;
    if (has_ports && (proto == 1 || proto == 58))
        one_way = icmp_ports(proto, &sport, &dport);
    if (!has_ports)
        sport = dport = 0;
    if (!one_way)
        flow_order_endpoints(&src, &sport, &dst, &dport, addr_len);
    uint8_t buf[2 + 16 + 16 + 2 + 4], *w = buf;
    *w++ = (uint8_t)(seed >> 8);
    *w++ = (uint8_t)seed;
    memcpy(w, src, addr_len);
    w += addr_len;
    memcpy(w, dst, addr_len);
    w += addr_len;
    *w++ = proto;
    *w++ = 0;
    if (has_ports) {
        *w++ = (uint8_t)(sport >> 8);
        *w++ = (uint8_t)sport;
        *w++ = (uint8_t)(dport >> 8);
        *w++ = (uint8_t)dport;
    }
    uint8_t digest[SHA_DIGEST_LENGTH];
    if (!sha1(buf, (size_t)(w - buf), digest))
        return -1;
    out[0] = '1';
    out[1] = ':';
    /* 20 bytes -> 28 characters and a NUL */
    if (EVP_EncodeBlock((unsigned char *)out + 2, digest, SHA_DIGEST_LENGTH) != 28) {
        out[0] = '\0';
        return -1;
    }
    return 0;
}

/* SCTP ports: the first 4 bytes after the IP headers, when captured. */
static bool sctp_ports(const struct packet *pkt, const struct layer_ref *ip, uint16_t *sport,
                       uint16_t *dport)
{
    const uint8_t *end = pkt->data + pkt->caplen;
    const uint8_t *p = ip->hdr + ip->len;
    if (p < pkt->data || p > end)
        return false;
    struct cursor c = cursor_make(p, (size_t)(end - p));
    return cursor_get_be16(&c, sport) && cursor_get_be16(&c, dport);
}

static int compute(const struct packet *pkt, char out[COMMUNITY_ID_SIZE])
{
    const struct flow_tuple *t = &pkt->flow;
    if (!t->family)
        return -1;
    size_t alen = t->family == 4 ? 4 : 16;
    uint8_t proto = t->proto;
    const struct layer_ref *ip = &pkt->ref[t->family == 4 ? LAYER_IP4 : LAYER_IP6];
    uint16_t sport = t->sport, dport = t->dport;
    bool ports = true;
    switch (proto) {
    case 6:
    case 17:
        if (!t->ports)
            return -1;
        break;
    case 1:
    case 58: {
        enum layer l = proto == 1 ? LAYER_ICMP4 : LAYER_ICMP6;
        const struct icmp_fields *f = proto == 1 ? &pkt->icmp4 : &pkt->icmp6;
        if (!packet_has(pkt, l))
            return -1;
        sport = f->type, dport = f->code;
        break;
    }
    case 132:
        if (t->later_fragment || !sctp_ports(pkt, ip, &sport, &dport))
            return -1;
        break;
    default:
        ports = false;
        break;
    }
    return community_id_v1(community_id_seed(), t->src, t->dst, alen, proto, ports, sport, dport, out);
}

const char *packet_community_id(const struct packet *pkt)
{
    /* The cache lives in the packet, which its worker owns: the const
     * is the sinks' promise not to change what was decoded. */
    struct packet *p = (struct packet *)pkt;
    if (p->cid_state == 0)
        p->cid_state = compute(pkt, p->cid) == 0 ? 1 : 2;
    return p->cid_state == 1 ? p->cid : NULL;
}
