/*
 * fuzz_defrag.c - libFuzzer harness for IPv4 fragment reassembly
 * (src/capture/defrag.c) behind the decoder.
 *
 * The input is a script of fragments: each is a 5-byte header (byte 0:
 * bits 0-2 the datagram id, bit 3 more fragments, bit 4 a 16 s step of
 * packet time, bit 5 cut the frame short by byte 4's value, bit 6 put
 * 8 bytes of IP options; bytes 1-2: big-endian fragment offset field
 * (13 bits, 8-byte units); byte 3: payload length) and its payload.  Each
 * becomes an Ethernet + IPv4 frame that is decoded and handed to the
 * reassembler; a rebuilt frame is decoded again.  The memory cap is tiny,
 * so eviction happens, and the timeout short, so expiry happens.  Every
 * frame is its own heap block of exactly its size.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "capture/defrag.h"

#define MEMCAP (24 * 1024)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct defrag *d = defrag_new(MEMCAP, 30 * 1000000ull);
    if (!d)
        return 0;
    uint64_t ts = 1700000000000000ull;
    while (size >= 5) {
        uint8_t ctl = data[0], cut = data[4];
        uint16_t off = (uint16_t)((data[1] << 8 | data[2]) & 0x1fff);
        size_t plen = data[3];
        data += 5;
        size -= 5;
        if (plen > size)
            plen = size;
        size_t opts = (ctl & 0x40) ? 8 : 0, ihl = 20 + opts;
        size_t len = 14 + ihl + plen;
        uint8_t *f = malloc(len);
        if (!f)
            break;
        memset(f, 0, 14);
        f[12] = 0x08;
        uint8_t *ip = f + 14;
        memset(ip, 0, ihl);
        ip[0] = (uint8_t)(0x40 | (ihl / 4));
        ip[2] = (uint8_t)((ihl + plen) >> 8);
        ip[3] = (uint8_t)(ihl + plen);
        ip[5] = ctl & 7;
        uint16_t fo = (uint16_t)(off | ((ctl & 8) ? 0x2000 : 0));
        ip[6] = (uint8_t)(fo >> 8);
        ip[7] = (uint8_t)fo;
        ip[8] = 64;
        ip[9] = 17;
        ip[12] = 10, ip[15] = 1, ip[16] = 10, ip[19] = 2;
        memcpy(ip + ihl, data, plen);
        data += plen;
        size -= plen;
        if (ctl & 0x10)
            ts += 16 * 1000000ull;
        size_t caplen = (ctl & 0x20) && cut < len ? len - cut : len;
        uint8_t *cap = malloc(caplen);
        if (!cap) {
            free(f);
            break;
        }
        memcpy(cap, f, caplen);
        free(f);
        struct packet pkt;
        decode_packet(&pkt, 1, cap, (uint32_t)caplen, (uint32_t)len, ts);
        const uint8_t *frame;
        uint32_t flen;
        if (packet_is_ip4_fragment(&pkt) && defrag_packet(d, &pkt, &frame, &flen)) {
            uint8_t *copy = malloc(flen);
            if (copy) {
                memcpy(copy, frame, flen);
                struct packet whole;
                decode_packet(&whole, 1, copy, flen, flen, ts);
                if (packet_is_ip4_fragment(&whole) || !packet_has(&whole, LAYER_IP4))
                    abort(); /* a rebuilt datagram is one whole IPv4 packet */
                free(copy);
            }
        }
        free(cap);
    }
    struct defrag_stats st;
    defrag_free(d, &st);
    if (st.peak_memory > MEMCAP)
        abort();
    return 0;
}
