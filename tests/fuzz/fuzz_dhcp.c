/*
 * fuzz_dhcp.c - libFuzzer harness for the DHCP option walk.
 *
 * The input is the option area of a DHCP message: it is wrapped in a
 * well-formed Ethernet + IPv4 + UDP 68 -> 67 frame with a BOOTP fixed
 * part and the magic cookie, so every mutation reaches the options
 * instead of dying in the outer headers.  The frame then goes through
 * the decoder fuzzing step (fuzz_decode_body.c: layer bounds, hashes,
 * row formatting), and the kept option spans (host name, parameter
 * list, vendor class, client id, requested address) must lie inside the
 * option area.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "decode/packet.h"

int fuzz_decode_one(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ETH_LEN 14
#define IP4_LEN 20
#define UDP_LEN 8
#define BOOTP_LEN 236
#define OPTIONS_AT (1 + ETH_LEN + IP4_LEN + UDP_LEN + BOOTP_LEN + 4) /* after the selector */
#define OPTIONS_MAX 4096

static void require(bool ok)
{
    if (!ok)
        abort();
}

static void put16(uint8_t *p, size_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static bool inside(struct bytes b, const uint8_t *lo, const uint8_t *hi)
{
    return b.len == 0 || (b.p >= lo && b.p + b.len <= hi);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t frame[OPTIONS_AT + OPTIONS_MAX];
    if (size > OPTIONS_MAX)
        size = OPTIONS_MAX;
    memset(frame, 0, OPTIONS_AT);
    uint8_t *eth = frame + 1, *ip = eth + ETH_LEN, *udp = ip + IP4_LEN, *bootp = udp + UDP_LEN;
    memset(eth, 0xff, 6);                                  /* broadcast */
    memcpy(eth + 6, "\x02\x00\x00\x00\x00\x01", 6);
    eth[12] = 0x08;                                        /* IPv4 */
    size_t udp_len = UDP_LEN + BOOTP_LEN + 4 + size;
    ip[0] = 0x45;
    put16(ip + 2, IP4_LEN + udp_len);
    ip[8] = 64;
    ip[9] = 17;                                            /* UDP */
    memset(ip + 16, 0xff, 4);
    put16(udp, 68);
    put16(udp + 2, 67);
    put16(udp + 4, udp_len);
    bootp[0] = 1, bootp[1] = 1, bootp[2] = 6;              /* request, Ethernet, 6 */
    memcpy(bootp + 28, eth + 6, 6);
    memcpy(bootp + BOOTP_LEN, "\x63\x82\x53\x63", 4);
    memcpy(frame + OPTIONS_AT, data, size);
    fuzz_decode_one(frame, OPTIONS_AT + size);

    /* the spans the sinks read, checked on a decode of our own */
    struct packet pkt;
    decode_packet(&pkt, 1 /* DLT_EN10MB */, frame + 1, (uint32_t)(OPTIONS_AT - 1 + size),
                  (uint32_t)(OPTIONS_AT - 1 + size), 0);
    require(packet_has(&pkt, LAYER_DHCP));
    const uint8_t *lo = frame + OPTIONS_AT, *hi = lo + size;
    const struct dhcp_fields *d = &pkt.dhcp;
    require(inside(d->host_name, lo, hi) && inside(d->param_list, lo, hi) &&
            inside(d->vendor_class, lo, hi) && inside(d->client_id, lo, hi) &&
            inside(d->requested_ip, lo, hi));
    require(d->msg_type >= -1 && d->msg_type <= 255);
    return 0;
}
