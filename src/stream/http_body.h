/*
 * http_body.h - one HTTP message body on its way out: counted, SHA-256
 * hashed (OpenSSL EVP), gzip/deflate-decoded (zlib) when the message says
 * so, and, when extraction is on, written to a file named by the SHA-256
 * of its content (nothing from the packet becomes part of a path).
 *
 * What is hashed and written is the content as a user sees it: the
 * body after chunked transfer coding is removed and, for Content-Encoding
 * gzip, x-gzip or deflate, after decompression (as tshark --export-objects
 * writes it).  A body whose decompression fails is hashed as transferred
 * and not extracted (flag decode_error).  Decompressed output past
 * HTTP_DECODED_MAX is cut (flag decoded_cut).  A body with a gap is
 * hashed over the bytes that were seen, flagged, and not extracted.
 *
 * A body is held in memory up to BODY_BUFFER_MAX bytes (and while the
 * worker's bodies hold less than BODY_BUFFER_BUDGET in all), and only a
 * larger one goes to a temporary file as it arrives; at its end the
 * content is renamed into place, or not written at all when a file of
 * that name (that content) is already there or the body is not kept.
 * Extracted files appear whole: always written under a temporary name
 * first.
 */
#ifndef NETSIFT_HTTP_BODY_H
#define NETSIFT_HTTP_BODY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HTTP_DECODED_MAX (256ull << 20)
#define BODY_BUFFER_MAX (64u << 10)
#define BODY_BUFFER_BUDGET (8u << 20)

/* Where bodies are extracted; shared by the bodies of one worker. */
struct body_out {
    int dirfd;            /* directory of extracted files; -1: no extraction */
    unsigned worker;
    uint64_t counter;     /* names of temporary files */
    uint64_t files;       /* bodies extracted (written, or their content already there) */
    uint64_t write_errors;
    size_t buffered;      /* bytes this worker's bodies hold in memory (body_buffer) */
};

struct http_body {
    bool active;
    int coding;           /* 0 none, 1 gzip, 2 deflate (zlib or raw, detected) */
    bool decoding;        /* zlib stream open */
    bool decode_error, decoded_cut, gap, write_error;
    uint64_t wire_len;    /* entity bytes (after dechunking) */
    uint64_t len;         /* content bytes hashed (decoded) */
    void *md_raw, *md_dec; /* EVP_MD_CTX */
    void *z;              /* z_stream */
    struct body_out *out; /* where it is extracted (NULL or dirfd -1: nowhere) */
    uint8_t *buf;         /* content held in memory until it outgrows BODY_BUFFER_MAX */
    size_t buf_len, buf_cap;
    int fd;               /* temporary extraction file, -1 if none (yet) */
    char tmp[64];         /* its name inside out->dir */
};

/* Start a body; content_encoding may be "" (none).  Returns false when
 * out of memory (the body is then only counted). */
bool body_begin(struct http_body *b, const char *content_encoding, struct body_out *out);
void body_data(struct http_body *b, const uint8_t *p, size_t n, struct body_out *out);
void body_gap(struct http_body *b, uint64_t n);
/* Finish: sha_hex gets the hex SHA-256 of the content (65 bytes) and the
 * content length is in b->len; the file (if any) gets its final name.
 * Frees everything. */
void body_end(struct http_body *b, char sha_hex[65], struct body_out *out);
/* Drop a body without a result (freeing everything). */
void body_abort(struct http_body *b, struct body_out *out);

#endif
