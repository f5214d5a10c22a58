/*
 * dns.c - DNS (RFC 1035) over UDP and TCP, and mDNS (RFC 6762).
 *
 * The stored "header" of a DNS or mDNS message is the whole message as
 * captured (the 12-byte fixed header alone does not identify a message),
 * so dnsh_hash / mdnsh_hash cover header and sections.  The first
 * question's name, type and class are kept; every question and answer
 * record is walked, so compression loops and records running past the
 * message are caught and flagged.
 */
#include <string.h>

#include "../util/text.h"
#include "decoders.h"

enum dns_name_status dns_read_name(const uint8_t *msg, size_t msg_len, size_t *pos,
                                   char *out, size_t out_size)
{
    size_t p = *pos, resume = 0, wire_len = 1, o = 0;
    unsigned pointers = 0;
    if (out && out_size)
        out[0] = '\0';
    for (;;) {
        if (p >= msg_len)
            return DNS_NAME_TRUNCATED;
        uint8_t len = msg[p];
        if ((len & 0xc0) == 0xc0) {
            if (p + 1 >= msg_len)
                return DNS_NAME_TRUNCATED;
            if (pointers == 0)
                resume = p + 2;
            if (++pointers > DNS_MAX_POINTERS)
                return DNS_NAME_MALFORMED;
            p = (size_t)(len & 0x3f) << 8 | msg[p + 1];
            continue;
        }
        if (len & 0xc0) /* 0x40 / 0x80: obsolete extended label types */
            return DNS_NAME_MALFORMED;
        p++;
        if (len == 0)
            break;
        if (len > msg_len - p)
            return DNS_NAME_TRUNCATED;
        wire_len += (size_t)len + 1;
        if (wire_len > 255)
            return DNS_NAME_MALFORMED;
        if (out && out_size > o + 1) {
            if (o > 0)
                out[o++] = '.';
            size_t n = text_escape(msg + p, len, out + o, out_size - o, true);
            o = n == (size_t)-1 ? out_size - 1 : o + n;
        }
        p += len;
    }
    if (out && out_size > 1 && o == 0) {
        out[0] = '.';
        out[1] = '\0';
    }
    *pos = pointers ? resume : p;
    return DNS_NAME_OK;
}

/* Flag the layer according to how the walk failed. */
static void dns_flag(struct packet *pkt, enum layer as, enum dns_name_status st)
{
    if (st == DNS_NAME_TRUNCATED)
        layer_truncated(pkt, as);
    else
        layer_malformed(pkt, as);
}

void decode_dns(struct packet *pkt, struct cursor c, enum layer as, bool over_tcp)
{
    struct dns_fields *d = &pkt->dns;
    if (!cursor_has(&c, 12)) {
        layer_truncated(pkt, as);
        return;
    }
    cursor_peek_be16(&c, 0, &d->tid);
    cursor_peek_be16(&c, 2, &d->flags);
    cursor_peek_be16(&c, 4, &d->qdcount);
    cursor_peek_be16(&c, 6, &d->ancount);
    cursor_peek_be16(&c, 8, &d->nscount);
    cursor_peek_be16(&c, 10, &d->arcount);
    d->over_tcp = over_tcp;
    d->has_question = false;
    d->qname[0] = '\0';
    d->qtype = d->qclass = 0;
    d->answers_parsed = 0;
    layer_set(pkt, as, c.p, c.left);

    const uint8_t *msg = c.p;
    size_t len = c.left, pos = 12;
    struct cursor fixed;
    for (unsigned i = 0; i < d->qdcount; i++) {
        enum dns_name_status st =
            dns_read_name(msg, len, &pos, i == 0 ? d->qname : NULL, sizeof d->qname);
        if (st != DNS_NAME_OK)
            {
            dns_flag(pkt, as, st);
            return;
        }
        fixed = cursor_make(msg + pos, len - pos);
        uint16_t qtype, qclass;
        if (!cursor_get_be16(&fixed, &qtype) || !cursor_get_be16(&fixed, &qclass))
            {
            layer_truncated(pkt, as);
            return;
        }
        if (i == 0) {
            d->has_question = true;
            d->qtype = qtype;
            d->qclass = qclass;
        }
        pos += 4;
    }
    /* walk every resource record (answer, authority, additional) so that a
     * message cut or corrupted anywhere is flagged */
    unsigned records = (unsigned)d->ancount + d->nscount + d->arcount;
    for (unsigned i = 0; i < records; i++) {
        enum dns_name_status st = dns_read_name(msg, len, &pos, NULL, 0);
        if (st != DNS_NAME_OK) {
            dns_flag(pkt, as, st);
            return;
        }
        uint16_t rdlength;
        fixed = cursor_make(msg + pos, len - pos);
        if (!cursor_peek_be16(&fixed, 8, &rdlength) || !cursor_skip(&fixed, 10u + rdlength)) {
            layer_truncated(pkt, as);
            return;
        }
        pos += 10u + rdlength;
        if (i < d->ancount)
            d->answers_parsed++;
    }
}
