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
 * NUL-terminated.  The audit layer encoders (src/audit/encoders.c) run on
 * every decoded frame too: each record must pack, unpack and pack again
 * to the same bytes, and every string field must be valid UTF-8.  A
 * broken invariant aborts, which both drivers report.
 */
#include <pcap/dlt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "audit/encoders.h"
#include "decode/packet.h"
#include "db/batch.h"

static const int fuzz_linktypes[] = {DLT_EN10MB, DLT_LINUX_SLL, DLT_LINUX_SLL2, DLT_RAW,
                                     DLT_IPV4,   DLT_IPV6,      DLT_NULL,       DLT_LOOP,
                                     DLT_PPP,    DLT_PPP_SERIAL, DLT_PPP_ETHER, DLT_C_HDLC,
                                     DLT_IEEE802_11, DLT_IEEE802_11_RADIO};
#define FUZZ_NLINKTYPES (sizeof fuzz_linktypes / sizeof fuzz_linktypes[0])

int fuzz_decode_one(const uint8_t *data, size_t size);

static void fuzz_require(bool ok)
{
    if (!ok)
        abort();
}

static bool fuzz_utf8(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        int n = *p < 0x80 ? 0 : (*p >> 5) == 6 && *p >= 0xc2 ? 1 : (*p >> 4) == 14 ? 2
              : (*p >> 3) == 30 && *p <= 0xf4 ? 3 : -1;
        if (n < 0)
            return false;
        for (p++; n > 0; n--, p++)
            if ((*p & 0xc0) != 0x80)
                return false;
    }
    return true;
}

/* audit_emit_fn: check one audit record. */
static int fuzz_audit_record(void *ctx, enum audit_rec rec, const ProtobufCMessage *m)
{
    static uint8_t a[1 << 20], b[1 << 20];
    (void)ctx;
    fuzz_require(m->descriptor == audit_types[rec].desc);
    size_t n = protobuf_c_message_get_packed_size(m);
    fuzz_require(n <= sizeof a && protobuf_c_message_pack(m, a) == n);
    ProtobufCMessage *u = protobuf_c_message_unpack(m->descriptor, NULL, n, a);
    fuzz_require(u != NULL);
    fuzz_require(protobuf_c_message_pack(u, b) == n && memcmp(a, b, n) == 0);
    for (unsigned i = 0; i < m->descriptor->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &m->descriptor->fields[i];
        if (f->type == PROTOBUF_C_TYPE_STRING && f->label != PROTOBUF_C_LABEL_REPEATED)
            fuzz_require(fuzz_utf8(*(char *const *)((const char *)m + f->offset)));
    }
    protobuf_c_message_free_unpacked(u, NULL);
    return 0;
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

    fuzz_require(audit_encode_layers(&pkt, (1u << REC_COUNT) - 1, 0, runs & 1,
                                     fuzz_audit_record, NULL) == 0);

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
