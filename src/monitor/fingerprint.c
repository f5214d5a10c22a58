/*
 * fingerprint.c - fingerprint inputs, SHA-256 and base64 (see
 * fingerprint.h).  Hashing is OpenSSL libcrypto's EVP interface.
 */
#include "fingerprint.h"

#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "../util/text.h"

const char *fp_kind_name(enum fp_kind k)
{
    static const char *const names[] = {"none", "dns", "dhcp", "tls", "http", "ssh", "quic"};
    return (unsigned)k < sizeof names / sizeof names[0] ? names[k] : "?";
}

/* The digests, fetched from the provider once (OpenSSL 3 looks them up on
 * every use otherwise); EVP_MD objects may be shared between threads. */
static pthread_once_t fetched = PTHREAD_ONCE_INIT;
static EVP_MD *sha256_md, *md5_md;

static void fetch_digests(void)
{
    sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
    md5_md = EVP_MD_fetch(NULL, "MD5", NULL);
}

static const EVP_MD *digest(bool sha256)
{
    pthread_once(&fetched, fetch_digests);
    if (sha256)
        return sha256_md ? sha256_md : EVP_sha256();
    return md5_md ? md5_md : EVP_md5();
}

void fp_sha256_b64(const void *data, size_t len, char out[FP_HASH_LEN])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    unsigned char b64[4 * ((EVP_MAX_MD_SIZE + 2) / 3) + 1];
    if (EVP_Digest(data, len, md, &mdlen, digest(true), NULL) != 1 || mdlen != 32) {
        out[0] = '\0';
        return;
    }
    int n = EVP_EncodeBlock(b64, md, (int)mdlen); /* 44 characters, one '=' */
    while (n > 0 && b64[n - 1] == '=')
        n--;
    memcpy(out, b64, (size_t)n);
    out[n] = '\0';
}

void fp_md5_hex(const void *data, size_t len, char out[FP_MD5_HEX_LEN])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    if (EVP_Digest(data, len, md, &mdlen, digest(false), NULL) != 1 || mdlen != 16) {
        out[0] = '\0';
        return;
    }
    for (unsigned i = 0; i < 16; i++) {
        out[2 * i] = hex[md[i] >> 4];
        out[2 * i + 1] = hex[md[i] & 15];
    }
    out[32] = '\0';
}

/* Bytes of the escaped-text piece starting at s: "\DDD", "\x", one UTF-8
 * character, or one byte. */
static size_t piece_len(const char *s)
{
    unsigned char b = (unsigned char)s[0];
    if (b == '\\')
        return s[1] >= '0' && s[1] <= '9' ? 4 : 2;
    if (b >= 0xf0)
        return 4;
    if (b >= 0xe0)
        return 3;
    if (b >= 0xc0)
        return 2;
    return 1;
}

char *fp_cut(const char *in, size_t max, bool lower_case, char out[FP_TEXT_MAX + 1])
{
    size_t n = strlen(in), o = 0;
    if (max > FP_TEXT_MAX)
        max = FP_TEXT_MAX;
    while (o < n) {
        size_t p = piece_len(in + o);
        if (o + p > n || o + p > max)
            break;
        o += p;
    }
    for (size_t i = 0; i < o; i++) {
        char c = in[i];
        out[i] = lower_case && c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
    }
    out[o] = '\0';
    return out;
}

char *fp_text(const uint8_t *in, size_t n, size_t max, bool lower_case,
              char out[FP_TEXT_MAX + 1])
{
    char escaped[FP_TEXT_MAX + 8];
    if (max > FP_TEXT_MAX)
        max = FP_TEXT_MAX;
    /* text_escape stops before a piece that does not fit: never split */
    text_escape(in, n, escaped, max + 1, false);
    return fp_cut(escaped, max, lower_case, out);
}

/* input = parts joined by '\n'; hash it; set kind and query. */
static void make(struct fingerprint *fp, enum fp_kind kind, const char *query,
                 const char *const *parts, int nparts)
{
    size_t used = 0;
    fp->kind = kind;
    for (int i = 0; i < nparts; i++) {
        /* parts are at most FP_TEXT_MAX bytes: three and two newlines fit */
        size_t n = parts[i] ? strnlen(parts[i], FP_TEXT_MAX) : 0;
        if (i)
            fp->input[used++] = '\n';
        memcpy(fp->input + used, parts[i] ? parts[i] : "", n);
        used += n;
    }
    fp->input[used] = '\0';
    fp_sha256_b64(fp->input, used, fp->hash);
    size_t q = query ? strnlen(query, FP_TEXT_MAX) : 0;
    memcpy(fp->query, query ? query : "", q);
    fp->query[q] = '\0';
}

void fp_make_dns(struct fingerprint *fp, const char *qname)
{
    const char *parts[] = {qname};
    make(fp, FP_DNS, qname, parts, 1);
}

void fp_make_tls(struct fingerprint *fp, const char *sni, const char *ja4, const char *ja3s)
{
    const char *parts[] = {sni, ja4, ja3s};
    make(fp, FP_TLS, sni, parts, 3);
}

void fp_make_http(struct fingerprint *fp, const char *host, const char *user_agent)
{
    const char *parts[] = {host, user_agent};
    make(fp, FP_HTTP, host, parts, 2);
}

void fp_make_ssh(struct fingerprint *fp, const char *client, const char *server)
{
    const char *parts[] = {client, server};
    make(fp, FP_SSH, client, parts, 2);
}

void fp_make_dhcp(struct fingerprint *fp, const char *params, const char *vendor_class,
                  const char *host_name)
{
    const char *parts[] = {params, vendor_class};
    make(fp, FP_DHCP, host_name, parts, 2);
}

void fp_make_quic(struct fingerprint *fp, const char *sni)
{
    const char *parts[] = {sni};
    make(fp, FP_QUIC, sni, parts, 1);
}
