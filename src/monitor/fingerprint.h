/*
 * fingerprint.h - device fingerprints: what is hashed for each kind of
 * flow, and how.
 *
 * A fingerprint is SHA-256 over a documented byte string (the "input"),
 * encoded in base64 (standard alphabet, '=' padding removed: 43
 * characters).  The input depends on what the flow shows about the
 * device (docs/fingerprints.md):
 *
 *   DNS, mDNS  the question name                        query: the name
 *   TLS        SNI "\n" JA3 "\n" JA3S                   query: SNI
 *   HTTP       Host "\n" User-Agent                     query: Host
 *   SSH        client banner "\n" server banner         query: client banner
 *   DHCP       option 55 list "\n" option 60 text       query: option 12 host name
 *   QUIC       SNI as nDPI decrypted it                 query: SNI
 *
 * Every part is netsift's own copy: escaped as database text (util/text.h),
 * names lower-cased (ASCII), cut at fixed lengths (FP_TEXT_MAX bytes,
 * FP_QUIC_SNI_MAX for the QUIC SNI) without splitting an escape or a UTF-8
 * character, so the value never depends on a library's buffer sizes.  A
 * missing part is the empty string.  The DNS input is just the name, so
 * SHA256("1.0.0.10.in-addr.arpa") gives the specification's example
 * NqRTRWiNdfG4zMkiXE9P0eRQIefPgMYV/vXUymxdvNw.
 */
#ifndef NETSIFT_FINGERPRINT_H
#define NETSIFT_FINGERPRINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../decode/tls_hello.h"
#include "../util/digest.h"
#include "../util/text.h"

#define FP_TEXT_MAX TEXT_FIELD_MAX /* bytes of a name, banner, user agent or list */
#define FP_QUIC_SNI_MAX 63  /* below nDPI's host name buffer, whatever its version */
#define FP_HASH_LEN DIGEST_SHA256_B64_LEN
#define FP_INPUT_MAX (3 * (FP_TEXT_MAX + 1))
#define FP_MD5_HEX_LEN DIGEST_MD5_HEX_LEN /* JA3, JA3S */
#define FP_JA4_LEN TLS_JA4_LEN

enum fp_kind { FP_NONE, FP_DNS, FP_DHCP, FP_TLS, FP_HTTP, FP_SSH, FP_QUIC };

struct fingerprint {
    enum fp_kind kind;
    char input[FP_INPUT_MAX];       /* the hashed bytes (no NUL hashed) */
    char hash[FP_HASH_LEN];         /* base64(SHA-256(input)), no padding */
    char query[FP_TEXT_MAX + 1];    /* the table's query column; "" for none */
    char ja4[FP_JA4_LEN];           /* TLS: the client's JA4; "" for none */
    char ja3[FP_MD5_HEX_LEN];       /* TLS: the client's JA3; "" for none */
};

/* Lower-case name of a kind ("dns", "tls", ...). */
const char *fp_kind_name(enum fp_kind k);

/* Build a fingerprint from its (already normalised) parts.  NULL parts
 * are empty. */
void fp_make_dns(struct fingerprint *fp, const char *qname);
/* TLS: SNI, the client's JA4 (stable when a browser shuffles its extensions,
 * unlike JA3) and the server's JA3S. */
void fp_make_tls(struct fingerprint *fp, const char *sni, const char *ja4, const char *ja3s);
void fp_make_http(struct fingerprint *fp, const char *host, const char *user_agent);
void fp_make_ssh(struct fingerprint *fp, const char *client, const char *server);
void fp_make_dhcp(struct fingerprint *fp, const char *params, const char *vendor_class,
                  const char *host_name);
void fp_make_quic(struct fingerprint *fp, const char *sni);

#endif
