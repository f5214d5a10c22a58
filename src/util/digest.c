/*
 * digest.c - MD5 and SHA-256 for fingerprints (see digest.h).
 */
#include "digest.h"

#include <openssl/evp.h>
#include <pthread.h>
#include <stdbool.h>
#include <string.h>

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

void digest_sha256_b64(const void *data, size_t len, char out[DIGEST_SHA256_B64_LEN])
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

void digest_md5_hex(const void *data, size_t len, char out[DIGEST_MD5_HEX_LEN])
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
