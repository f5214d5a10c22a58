/*
 * tls_hello.h - the TLS ClientHello and ServerHello, for every consumer
 * (the monitor's fingerprints, the audit records): SNI, JA3 and JA4
 * (client), JA3S (server).
 *
 * Input is the first bytes one side of a TCP connection sent, in order
 * (capture/reasm_stream.h).  tls_first_handshake() joins the payloads of the
 * leading handshake records until the first handshake message is whole;
 * tls_parse_client_hello() and tls_parse_server_hello() read it through
 * the bounds-checked cursor.
 *
 * JA3 is MD5 of "version,ciphers,extensions,groups,point_formats" (decimal
 * values joined by '-', GREASE values left out), JA3S MD5 of
 * "version,cipher,extensions" (Salesforce's definitions).
 *
 * JA4 (FoxIO's TLS client fingerprint, BSD licence) is
 * "t<version><d|i><ciphers:2><extensions:2><alpn:2>_<b>_<c>": the highest
 * supported_versions value (else the hello's version) as 13/12/11/10/s3,
 * d when a server_name extension is present, the counts of ciphers and
 * extensions without GREASE (at most 99), the first and last character of
 * the first ALPN value (hex digits when not alphanumeric, 00 without
 * ALPN); b is the first 12 hex digits of SHA-256 over the sorted cipher
 * list ("002f,0035,..."), c over the sorted extension list without SNI and
 * ALPN, '_', and the signature algorithms in their order (no '_' when
 * there are none).  An empty list hashes to twelve zeros.
 */
#ifndef NETSIFT_TLS_HELLO_H
#define NETSIFT_TLS_HELLO_H

#include <stddef.h>
#include <stdint.h>

#include "../util/digest.h"
#include "../util/text.h"

#define TLS_HANDSHAKE_MAX 16384 /* longest first handshake message netsift reads */
#define TLS_JA4_LEN 37 /* "t13d1516h2_" + 12 + '_' + 12 hex digits and the NUL */

enum tls_status { TLS_MORE, TLS_DONE, TLS_BAD };

/* The first handshake message in stream[0..n) (TLS records of content type
 * 22), joined into msg (msg_max bytes).  TLS_DONE with *msg_len set, TLS_MORE
 * when the stream ends before it does, TLS_BAD when this is not TLS
 * or the message is longer than msg_max. */
enum tls_status tls_first_handshake(const uint8_t *stream, size_t n, uint8_t *msg,
                                    size_t msg_max, size_t *msg_len);

struct tls_client_hello {
    char sni[TEXT_FIELD_MAX + 1];    /* server_name host_name, lower-cased; "" if none */
    char ja3[DIGEST_MD5_HEX_LEN];
    char ja4[TLS_JA4_LEN];         /* TCP: 't' first (netsift reads TLS over TCP only) */
};

struct tls_server_hello {
    char ja3s[DIGEST_MD5_HEX_LEN];
};

/* 0, or -1 when msg is not a well-formed ClientHello / ServerHello. */
int tls_parse_client_hello(const uint8_t *msg, size_t len, struct tls_client_hello *out);
int tls_parse_server_hello(const uint8_t *msg, size_t len, struct tls_server_hello *out);

#endif
