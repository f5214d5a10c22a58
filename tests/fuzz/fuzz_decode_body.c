/*
 * fuzz_decode_body.c - one decoder fuzzing step, shared by the libFuzzer
 * harness (fuzz_decode.c) and the plain ctest replay driver
 * (tests/unit/test_fuzz_replay.c, which #includes this file).
 *
 * Input: one selector byte, then the frame.  The selector picks the link
 * type: its value modulo FUZZ_NLINKTYPES indexes fuzz_linktypes[] (0 is
 * Ethernet; make-seeds.sh writes 0).  The frame is decoded with caplen =
 * its size, then added to a batch so the row formatting (addresses, DNS
 * names, DHCP options) is fuzzed too.  Beyond "no crash", the decoder's
 * contract is checked: every present layer lies inside the captured
 * bytes and carries XXH32 of exactly those bytes, and the DNS name is
 * NUL-terminated.  A broken invariant aborts, which both drivers report.
 */
#include <pcap/dlt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "decode/packet.h"
#include "store/batch.h"

static const int fuzz_linktypes[] = {DLT_EN10MB, DLT_LINUX_SLL, DLT_LINUX_SLL2, DLT_RAW,
                                     DLT_IPV4,   DLT_IPV6,      DLT_NULL,       DLT_LOOP};
#define FUZZ_NLINKTYPES (sizeof fuzz_linktypes / sizeof fuzz_linktypes[0])

int fuzz_decode_one(const uint8_t *data, size_t size);

static void fuzz_require(bool ok)
{
    if (!ok)
        abort();
}

int fuzz_decode_one(const uint8_t *data, size_t size)
{
    static struct batch batch;
    static bool ready;
    static unsigned runs;
    if (size == 0 || size - 1 > UINT32_MAX)
        return 0;
    if (!ready) {
        batch_init(&batch, header_tables, LAYER_COUNT);
        ready = true;
    }
    int linktype = fuzz_linktypes[data[0] % FUZZ_NLINKTYPES];
    const uint8_t *frame = data + 1;
    uint32_t caplen = (uint32_t)(size - 1);

    struct packet pkt;
    decode_packet(&pkt, linktype, frame, caplen, caplen, 1700000000000000ull + runs);
    for (int l = 0; l < LAYER_COUNT; l++) {
        if (!packet_has(&pkt, l))
            continue;
        const struct layer_ref *r = &pkt.ref[l];
        fuzz_require(r->hdr >= frame && r->hdr <= frame + caplen);
        fuzz_require(r->len <= caplen - (size_t)(r->hdr - frame));
        fuzz_require(r->hash == XXH32(r->hdr, r->len, 0));
    }
    if (packet_has(&pkt, LAYER_DNS) || packet_has(&pkt, LAYER_MDNS))
        fuzz_require(memchr(pkt.dns.qname, '\0', sizeof pkt.dns.qname) != NULL);

    uint64_t before = batch.rows;
    fuzz_require(batch_add_packet(&batch, &pkt));
    fuzz_require(batch.rows ==
                 before +
                     (packet_has(&pkt, LAYER_ETH) ? (uint64_t)__builtin_popcount(pkt.layers) : 0));
    if (++runs % 1024 == 0 || batch.rows > 100000) {
        if (batch.rows)
            fuzz_require(batch_sort(&batch));
        batch_reset(&batch);
    }
    return 0;
}
