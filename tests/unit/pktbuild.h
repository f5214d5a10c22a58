/*
 * pktbuild.h - a tiny byte-buffer builder for the unit tests.
 *
 * A struct pb is a fixed buffer that put_*() append to in network byte
 * order; each put returns the offset it wrote at, so a test knows where
 * every header starts and can compute its expected length and hash from
 * the bytes it built, independently of the decoder.  Headers whose length
 * fields depend on what follows (IPv4 total length, IPv6 payload length,
 * UDP length) are put first and patched by finish_*() at the end.
 *
 * Default field values are the PB_* constants below, so tests compare
 * decoded fields against them rather than against anything the decoder
 * produced.
 */
#ifndef NETSIFT_PKTBUILD_H
#define NETSIFT_PKTBUILD_H

#include <stddef.h>
#include <stdint.h>

#define PB_MAX 8192

struct pb {
    uint8_t d[PB_MAX];
    size_t len;
};

void pb_init(struct pb *b);
size_t put_u8(struct pb *b, uint8_t v);
size_t put_be16(struct pb *b, uint16_t v);
size_t put_be32(struct pb *b, uint32_t v);
size_t put_bytes(struct pb *b, const void *p, size_t n);
size_t put_fill(struct pb *b, uint8_t v, size_t n);
/* Hex digits; spaces, ':' and '.' between bytes are ignored. */
size_t put_hex(struct pb *b, const char *hex);
void set_u8(struct pb *b, size_t off, uint8_t v);
void set_be16(struct pb *b, size_t off, uint16_t v);

/* Defaults of the header builders. */
extern const uint8_t PB_MAC_DST[6], PB_MAC_SRC[6];
extern const uint8_t PB_IP4_SRC[4], PB_IP4_DST[4];
extern const uint8_t PB_IP6_SRC[16], PB_IP6_DST[16];
#define PB_IP4_TOS 0x10
#define PB_IP4_ID 0x4242
#define PB_IP4_OFF 0x4000 /* DF */
#define PB_IP4_TTL 64
#define PB_IP4_SUM 0xbeef
#define PB_IP6_FLOW 0x6a812345u /* version 6, traffic class 0xa8, flow 0x12345 */
#define PB_IP6_HLIM 255
#define PB_TCP_SEQ 0x01020304u
#define PB_TCP_ACK 0xa0b0c0d0u
#define PB_TCP_WIN 0xfedc
#define PB_TCP_SUM 0x1234
#define PB_TCP_URP 0x0007
#define PB_UDP_SUM 0xcafe

/* Ethernet II header with PB_MAC_DST/PB_MAC_SRC. */
size_t put_eth(struct pb *b, uint16_t type);
/* 802.1Q/802.1ad tag: TPID, TCI, then the inner EtherType. */
size_t put_vlan(struct pb *b, uint16_t tpid, uint16_t tci, uint16_t inner_type);

/* IPv4 header with defaults; opts_hex (NULL for none) must be a whole
 * number of 32-bit words.  Total length is patched by finish_ip4(). */
size_t put_ip4(struct pb *b, uint8_t proto, const char *opts_hex);
void finish_ip4(struct pb *b, size_t ip);

/* IPv6 fixed header; payload length patched by finish_ip6(). */
size_t put_ip6(struct pb *b, uint8_t nxt);
void finish_ip6(struct pb *b, size_t ip);

/* UDP header; length patched by finish_udp(). */
size_t put_udp(struct pb *b, uint16_t sport, uint16_t dport);
void finish_udp(struct pb *b, size_t udp);

/* TCP header with defaults; opts_hex (NULL for none) a whole number of
 * 32-bit words, doff computed from it. */
size_t put_tcp(struct pb *b, uint16_t sport, uint16_t dport, uint8_t flags, const char *opts_hex);

/* Where the headers of a built frame start. */
struct layout {
    size_t ip, l4, payload, end;
};

/* Ethernet + IPv4 (+ options) + UDP/TCP + payload, lengths patched. */
void build_udp4(struct pb *b, uint16_t sport, uint16_t dport, const void *payload, size_t n,
                struct layout *lay);
void build_tcp4(struct pb *b, uint16_t sport, uint16_t dport, uint8_t flags, const char *ip_opts,
                const char *tcp_opts, const void *payload, size_t n, struct layout *lay);
/* Ethernet + IPv6 + UDP + payload. */
void build_udp6(struct pb *b, uint16_t sport, uint16_t dport, const void *payload, size_t n,
                struct layout *lay);

/* Copy of b's first n bytes in a heap block of exactly n bytes (never
 * NULL), so AddressSanitizer catches a read past the end. */
uint8_t *pb_dup(const struct pb *b, size_t n);

/*
 * Decode the first caplen bytes of b (wire length b->len, timestamp
 * PB_TS) from a fresh pb_dup() copy, after filling *pkt with 0xa5 bytes so
 * that a field the decoder forgot to set shows.  Returns the copy, which
 * the packet points into: free() it when done.
 */
#define PB_TS 1700000000123456ull
struct packet;
uint8_t *decode_pb(struct packet *pkt, int linktype, const struct pb *b, size_t caplen);

/*
 * Assert that layer l of pkt is present, starts at base + off, is len
 * bytes long and hashes to XXH32(base + off, len, 0).  Needs cmocka.h
 * and xxhash.h.
 */
#define ASSERT_LAYER(pkt_, l_, base_, off_, len_)                                                  \
    do {                                                                                           \
        assert_true(packet_has((pkt_), (l_)));                                                     \
        assert_ptr_equal((pkt_)->ref[(l_)].hdr, (const uint8_t *)(base_) + (off_));                \
        assert_int_equal((pkt_)->ref[(l_)].len, (len_));                                           \
        assert_int_equal((pkt_)->ref[(l_)].hash,                                                   \
                         XXH32((const uint8_t *)(base_) + (off_), (size_t)(len_), 0));             \
    } while (0)

#endif
