/*
 * tls_hello.h - the TLS ClientHello and ServerHello, for fingerprints:
 * SNI, JA3 (client) and JA3S (server).
 *
 * Input is the first bytes one side of a TCP connection sent, in order
 * (stream_prefix.h).  tls_first_handshake() joins the payloads of the
 * leading handshake records until the first handshake message is whole;
 * tls_parse_client_hello() and tls_parse_server_hello() read it through
 * the bounds-checked cursor.
 *
 * JA3 is MD5 of "version,ciphers,extensions,groups,point_formats" (decimal
 * values joined by '-', GREASE values left out), JA3S MD5 of
 * "version,cipher,extensions" (Salesforce's definitions).
 */
#ifndef NETSIFT_TLS_HELLO_H
#define NETSIFT_TLS_HELLO_H

#include <stddef.h>
#include <stdint.h>

#include "fingerprint.h"

#define TLS_HANDSHAKE_MAX 16384 /* longest first handshake message netsift reads */

enum tls_status { TLS_MORE, TLS_DONE, TLS_BAD };

/* The first handshake message in stream[0..n) (TLS records of content type
 * 22), joined into msg (msg_max bytes).  TLS_DONE with *msg_len set, TLS_MORE
 * when the stream ends before it does, TLS_BAD when this is not TLS
 * or the message is longer than msg_max. */
enum tls_status tls_first_handshake(const uint8_t *stream, size_t n, uint8_t *msg,
                                    size_t msg_max, size_t *msg_len);

struct tls_client_hello {
    char sni[FP_TEXT_MAX + 1];    /* server_name host_name, lower-cased; "" if none */
    char ja3[FP_MD5_HEX_LEN];
};

struct tls_server_hello {
    char ja3s[FP_MD5_HEX_LEN];
};

/* 0, or -1 when msg is not a well-formed ClientHello / ServerHello. */
int tls_parse_client_hello(const uint8_t *msg, size_t len, struct tls_client_hello *out);
int tls_parse_server_hello(const uint8_t *msg, size_t len, struct tls_server_hello *out);

#endif
