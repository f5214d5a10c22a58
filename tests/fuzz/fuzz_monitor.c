/*
 * fuzz_monitor.c - libFuzzer harness for the bytes the device monitor
 * and the control socket read from outside: the control command parser,
 * TLS hello reassembly and parsing (JA3/JA3S/SNI), HTTP request heads and
 * SSH banners, the stream layer (src/capture/reasm_stream.h) that puts
 * their segments in order, and the collector that reads them from a
 * flow's TCP segments (hellos, heads, banners, DNS over TCP).
 *
 * Input: one selector byte, then the data.  Checked besides memory
 * safety: a parsed command's fields are in their documented ranges; the
 * text outputs are NUL-terminated, at most FP_TEXT_MAX bytes, without
 * control bytes; a JA3 is 32 lower-case hex digits; a JA4 has its
 * fixed shape (t, version, d/i, two 2-digit counts, ALPN, '_', 12 hex
 * digits, '_', 12 hex digits).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "control/protocol.h"
#include "monitor/cleartext.h"
#include "monitor/collect.h"
#include "capture/reasm_stream.h"
#include "decode/tls_hello.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void require(bool ok)
{
    if (!ok)
        abort();
}

static void clean_text(const char *s, size_t max)
{
    size_t n = strnlen(s, max + 1);
    require(n <= max);
    for (size_t i = 0; i < n; i++)
        require((unsigned char)s[i] >= 0x20 && s[i] != 0x7f);
}

static void hex32(const char *s)
{
    if (!s[0])
        return;
    require(strlen(s) == 32);
    for (int i = 0; i < 32; i++)
        require((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'));
}

static bool is_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

static void ja4_shape(const char *s)
{
    require(strlen(s) == FP_JA4_LEN - 1 && s[0] == 't' && (s[3] == 'd' || s[3] == 'i'));
    for (int i = 4; i < 8; i++)
        require(s[i] >= '0' && s[i] <= '9');
    require(s[10] == '_' && s[23] == '_');
    for (int i = 11; i < 36; i++)
        require(i == 23 || is_hex(s[i]));
}

static void fuzz_command(const uint8_t *d, size_t n)
{
    struct control_cmd c;
    char why[256];
    if (control_parse((const char *)d, n, &c, why, sizeof why) != 0) {
        clean_text(why, sizeof why - 1);
        return;
    }
    require(c.verb <= CMD_QUERY_FLOWS && c.op < OP_COUNT && c.timestamp <= (uint64_t)INT64_MAX);
    if (c.has_mac)
        require(strlen(c.mac) == 17);
    if (c.verb == CMD_QUERY_FINGERPRINT && !c.all_protocols)
        require(c.protocol[0] && strlen(c.protocol) <= CONTROL_PROTO_MAX);
}

static void fuzz_tls(const uint8_t *d, size_t n)
{
    static uint8_t msg[TLS_HANDSHAKE_MAX];
    size_t len = 0;
    struct tls_client_hello ch;
    struct tls_server_hello sh;
    /* as a record stream, and as a bare handshake message */
    if (tls_first_handshake(d, n, msg, sizeof msg, &len) == TLS_DONE) {
        require(len >= 4 && len <= sizeof msg);
        if (tls_parse_client_hello(msg, len, &ch) == 0) {
            clean_text(ch.sni, FP_TEXT_MAX);
            hex32(ch.ja3);
            ja4_shape(ch.ja4);
        }
        if (tls_parse_server_hello(msg, len, &sh) == 0)
            hex32(sh.ja3s);
    }
    if (tls_parse_client_hello(d, n, &ch) == 0) {
        clean_text(ch.sni, FP_TEXT_MAX);
        hex32(ch.ja3);
        ja4_shape(ch.ja4);
    }
    if (tls_parse_server_hello(d, n, &sh) == 0)
        hex32(sh.ja3s);
}

static void fuzz_cleartext(const uint8_t *d, size_t n)
{
    char a[FP_TEXT_MAX + 1], b[FP_TEXT_MAX + 1];
    for (int final = 0; final < 2; final++) {
        if (http_parse_request(d, n, final, a, b) == CT_DONE) {
            clean_text(a, FP_TEXT_MAX);
            clean_text(b, FP_TEXT_MAX);
        }
        if (ssh_parse_banner(d, n, final, a) == CT_DONE)
            clean_text(a, FP_TEXT_MAX);
    }
}

/* What a fuzzed stream delivered. */
struct delivered {
    uint64_t bytes, gaps;
};

static void on_data(void *user, const uint8_t *p, size_t n, uint64_t ts)
{
    struct delivered *d = user;
    (void)ts;
    require(n > 0 && p != NULL);
    d->bytes += n;
}

static void on_gap(void *user, uint64_t n)
{
    struct delivered *d = user;
    d->gaps += n;
}

/* Segments: 2-byte length, 4-byte sequence number, then the bytes.
 * Checked: the caps hold, every byte up to next_seq was delivered or
 * declared a gap exactly once, and the memory count returns to 0. */
static void fuzz_stream(const uint8_t *d, size_t n)
{
    struct reasm_stats st = {0};
    struct reasm_stream_env e = {.cap = 4096, .max_segs = 8, .st = &st, .data = on_data,
                                 .gap = on_gap};
    struct reasm_stream s = {0};
    struct delivered got = {0};
    uint32_t first = 0;
    while (n >= 6) {
        size_t len = (size_t)d[0] << 8 | d[1];
        uint32_t seq = (uint32_t)d[2] << 24 | (uint32_t)d[3] << 16 | (uint32_t)d[4] << 8 | d[5];
        d += 6, n -= 6;
        if (len > n)
            len = n;
        if (!s.started)
            first = seq;
        reasm_stream_add(&e, &got, &s, seq, d, (uint32_t)len, 0, 0);
        require(s.buffered <= e.cap && s.nsegs <= 2 * e.max_segs + 1); /* one segment may fill many holes */
        require((uint32_t)(got.bytes + got.gaps) == s.next_seq - first);
        d += len, n -= len;
    }
    reasm_stream_flush(&e, &got, &s);
    require(s.ooo == NULL && s.buffered == 0 && st.memory == 0);
    require(got.bytes == s.delivered && got.gaps == s.gap_bytes);
    reasm_stream_free(&e, &s);
}

/* The monitor's collector on scripted TCP segments of one flow: each is
 * 1 byte (bit 0: direction, bit 1: SYN, bit 2: ACK), 2 bytes of length,
 * a 4-byte sequence number, 4-byte acknowledgment, then the bytes; the
 * flow's ports are 40000 and 443, or 53 when the selector byte's bit 3
 * is set (DNS over TCP).  The segments go through the monitor's own
 * steps (collect_candidate, collect_start, collect_packet) with the
 * sequence space it would track.  Checked: the texts are clean, every
 * held segment is freed, and the held memory stays under the caps. */
static void fuzz_collector(const uint8_t *d, size_t n, bool dns)
{
    static struct collector c;
    struct reasm_stats st = {0};
    struct collect_seq seq = {{false, false}, {0, 0}};
    bool started = false;
    while (n >= 11) {
        struct packet pkt;
        memset(&pkt, 0, sizeof pkt);
        unsigned dir = d[0] & 1;
        size_t len = (size_t)d[1] << 8 | d[2];
        pkt.layers = 1u << LAYER_IP4 | 1u << LAYER_TCP;
        pkt.tcp.source = dir ? (dns ? 53 : 443) : 40000;
        pkt.tcp.dest = dir ? 40000 : (dns ? 53 : 443);
        pkt.tcp.seq = (uint32_t)d[3] << 24 | (uint32_t)d[4] << 16 | (uint32_t)d[5] << 8 | d[6];
        pkt.tcp.ack_seq = (uint32_t)d[7] << 24 | (uint32_t)d[8] << 16 | (uint32_t)d[9] << 8 | d[10];
        pkt.tcp.flags = (uint8_t)((d[0] & 2 ? 0x02 : 0) | (d[0] & 4 ? 0x10 : 0));
        d += 11, n -= 11;
        if (len > n)
            len = n;
        pkt.tcp.payload.p = d;
        pkt.tcp.payload.len = len;
        if (started) {
            collect_packet(&c, &pkt, dir);
        } else {
            bool pending;
            enum fp_kind k = collect_candidate(&pkt, &seq, dir, &pending);
            if (k != FP_NONE || pending) {
                collect_start(&c, k, &pkt, dir, &seq, &st);
                started = true;
            }
        }
        if (started) {
            for (int i = 0; i < 2; i++)
                require(c.dir[i].len <= c.dir[i].max &&
                        c.dir[i].rs.buffered <= TLS_HANDSHAKE_MAX + 64 &&
                        c.dir[i].rs.nsegs <= 2 * COLLECT_OOO_SEGS + 1);
        }
        uint32_t end = pkt.tcp.seq + (uint32_t)len + ((pkt.tcp.flags & 0x02) ? 1 : 0);
        if (len || (pkt.tcp.flags & 0x02))
            if (!seq.known[dir] || (int32_t)(end - seq.next[dir]) > 0) {
                seq.next[dir] = end;
                seq.known[dir] = true;
            }
        d += len, n -= len;
    }
    if (!started)
        return;
    struct fingerprint fp;
    if (collect_fingerprint(&c, &fp)) {
        clean_text(fp.query, FP_TEXT_MAX);
        hex32(fp.ja3);
    }
    collect_free(&c);
    require(st.memory == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    const uint8_t *d = data + 1;
    size_t n = size - 1;
    if (data[0] % 8 == 7) { /* the collector; bit 3: on port 53 */
        fuzz_collector(d, n, data[0] & 8);
        return 0;
    }
    switch (data[0] % 4) {
    case 0: fuzz_command(d, n); break;
    case 1: fuzz_tls(d, n); break;
    case 2: fuzz_cleartext(d, n); break;
    default: fuzz_stream(d, n); break;
    }
    return 0;
}
