/*
 * dhcp.c - BOOTP (RFC 951) and DHCP (RFC 2131/2132) messages.
 *
 * The stored header is the whole BOOTP message as captured (fixed part
 * and options), so dhcph_hash covers the options too.  After the magic
 * cookie the options are walked once; the ones the sinks use (53 message
 * type, 12 host name, 55 parameter list, 60 vendor class, 61 client id,
 * 50 requested address) are kept as spans into the packet.
 */
#include "decoders.h"

#define BOOTP_FIXED_LEN 236
#define DHCP_MAGIC_COOKIE 0x63825363u

static void dhcp_options(struct packet *pkt, struct cursor c)
{
    struct dhcp_fields *d = &pkt->dhcp;
    for (;;) {
        uint8_t code, len;
        if (!cursor_get_u8(&c, &code))
            return; /* options may end without an END option */
        if (code == 0)
            continue;
        if (code == 255)
            return;
        if (!cursor_get_u8(&c, &len) || !cursor_has(&c, len)) {
            layer_truncated(pkt, LAYER_DHCP);
            return;
        }
        struct bytes value = {c.p, len};
        switch (code) {
        case 53:
            if (len >= 1)
                d->msg_type = c.p[0];
            else
                layer_malformed(pkt, LAYER_DHCP);
            break;
        case 12: d->host_name = value; break;
        case 55: d->param_list = value; break;
        case 60: d->vendor_class = value; break;
        case 61: d->client_id = value; break;
        case 50: d->requested_ip = value; break;
        }
        cursor_skip(&c, len);
    }
}

void decode_dhcp(struct packet *pkt, struct cursor c)
{
    struct dhcp_fields *d = &pkt->dhcp;
    if (!cursor_has(&c, BOOTP_FIXED_LEN)) {
        layer_truncated(pkt, LAYER_DHCP);
        return;
    }
    cursor_peek_u8(&c, 0, &d->op);
    cursor_peek_u8(&c, 1, &d->htype);
    cursor_peek_u8(&c, 2, &d->hlen);
    cursor_peek_u8(&c, 3, &d->hops);
    cursor_peek_be32(&c, 4, &d->xid);
    cursor_peek_be16(&c, 8, &d->secs);
    cursor_peek_be16(&c, 10, &d->flags);
    struct cursor addr = c;
    cursor_skip(&addr, 12);
    cursor_get_bytes(&addr, d->ciaddr, 4);
    cursor_get_bytes(&addr, d->yiaddr, 4);
    cursor_get_bytes(&addr, d->siaddr, 4);
    cursor_get_bytes(&addr, d->giaddr, 4);
    d->chaddr = (struct bytes){addr.p, d->hlen > 16 ? 16 : d->hlen};
    d->msg_type = -1;
    d->host_name = d->vendor_class = d->param_list = (struct bytes){NULL, 0};
    d->client_id = d->requested_ip = (struct bytes){NULL, 0};
    layer_set(pkt, LAYER_DHCP, c.p, c.left);

    uint32_t cookie;
    if (!cursor_peek_be32(&c, BOOTP_FIXED_LEN, &cookie) || cookie != DHCP_MAGIC_COOKIE)
        return; /* plain BOOTP: no options */
    cursor_skip(&c, BOOTP_FIXED_LEN + 4);
    dhcp_options(pkt, c);
}
