/*
 * digest.h - the message digests fingerprints are made of (OpenSSL
 * libcrypto's EVP interface, each digest fetched from the provider once:
 * OpenSSL 3 looks it up on every use otherwise).
 */
#ifndef NETSIFT_DIGEST_H
#define NETSIFT_DIGEST_H

#include <stddef.h>

#define DIGEST_MD5_HEX_LEN 33    /* 32 lower-case hex digits and the NUL (JA3, JA3S) */
#define DIGEST_SHA256_B64_LEN 44 /* 43 base64 characters and the NUL */

/* Lower-case hex MD5; "" when libcrypto fails. */
void digest_md5_hex(const void *data, size_t len, char out[DIGEST_MD5_HEX_LEN]);
/* base64(SHA-256(data)) without '=' padding; "" when libcrypto fails. */
void digest_sha256_b64(const void *data, size_t len, char out[DIGEST_SHA256_B64_LEN]);

#endif
