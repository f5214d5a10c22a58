/*
 * http_body.c - hashing, decoding and extraction of HTTP bodies (see
 * http_body.h).
 */
#define _GNU_SOURCE
#include "http_body.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "../util/fsutil.h"

static int coding_of(const char *enc)
{
    if (strcasecmp(enc, "gzip") == 0 || strcasecmp(enc, "x-gzip") == 0)
        return 1;
    if (strcasecmp(enc, "deflate") == 0)
        return 2;
    return 0;
}

bool body_begin(struct http_body *b, const char *content_encoding, struct body_out *out)
{
    memset(b, 0, sizeof *b);
    b->active = true;
    b->fd = -1;
    b->coding = coding_of(content_encoding);
    b->md_raw = EVP_MD_CTX_new();
    if (!b->md_raw || !EVP_DigestInit_ex(b->md_raw, EVP_sha256(), NULL))
        return false;
    if (b->coding) {
        b->md_dec = EVP_MD_CTX_new();
        if (!b->md_dec || !EVP_DigestInit_ex(b->md_dec, EVP_sha256(), NULL))
            return false;
    }
    b->out = out && out->dirfd >= 0 ? out : NULL;
    return true;
}

static void drop_buffer(struct http_body *b)
{
    if (b->buf)
        b->out->buffered -= b->buf_cap;
    free(b->buf);
    b->buf = NULL;
    b->buf_len = b->buf_cap = 0;
}

/* Keep n more bytes in memory; false when the body is too large for that
 * (or the worker's budget is spent). */
static bool buffer(struct http_body *b, const uint8_t *p, size_t n)
{
    struct body_out *out = b->out;
    size_t need = b->buf_len + n;
    if (need > BODY_BUFFER_MAX)
        return false;
    if (need > b->buf_cap) {
        size_t cap = b->buf_cap ? b->buf_cap : 4096;
        while (cap < need)
            cap *= 2;
        if (cap > BODY_BUFFER_MAX)
            cap = BODY_BUFFER_MAX;
        if (out->buffered + (cap - b->buf_cap) > BODY_BUFFER_BUDGET)
            return false;
        uint8_t *nb = realloc(b->buf, cap);
        if (!nb)
            return false;
        out->buffered += cap - b->buf_cap;
        b->buf = nb;
        b->buf_cap = cap;
    }
    memcpy(b->buf + b->buf_len, p, n);
    b->buf_len = need;
    return true;
}

static void write_fd(struct http_body *b, const uint8_t *p, size_t n);

/* The temporary file, with what was held in memory so far. */
static bool open_temporary(struct http_body *b)
{
    struct body_out *out = b->out;
    snprintf(b->tmp, sizeof b->tmp, ".partial-%u-%llu", out->worker,
             (unsigned long long)++out->counter);
    b->fd = create_file_at(out->dirfd, b->tmp);
    if (b->fd < 0) {
        b->write_error = true;
        drop_buffer(b);
        return false;
    }
    write_fd(b, b->buf, b->buf_len);
    drop_buffer(b);
    return true;
}

static void write_out(struct http_body *b, const uint8_t *p, size_t n)
{
    if (!b->out || b->write_error)
        return;
    if (b->fd < 0 && (buffer(b, p, n) || !open_temporary(b)))
        return;
    write_fd(b, p, n);
}

static void write_fd(struct http_body *b, const uint8_t *p, size_t n)
{
    while (b->fd >= 0 && n > 0) {
        ssize_t w = write(b->fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            b->write_error = true;
            return;
        }
        p += w;
        n -= (size_t)w;
    }
}

/* Bytes of decoded content. */
static void content(struct http_body *b, const uint8_t *p, size_t n)
{
    if (b->coding && b->len + n > HTTP_DECODED_MAX) {
        b->decoded_cut = true;
        n = (size_t)(HTTP_DECODED_MAX - b->len);
    }
    if (!n)
        return;
    b->len += n;
    if (b->coding)
        EVP_DigestUpdate(b->md_dec, p, n); /* the raw hash is kept by body_data() */
    if (!b->gap)
        write_out(b, p, n);
}

static void inflate_some(struct http_body *b, const uint8_t *p, size_t n)
{
    z_stream *z = b->z;
    if (!z) {
        z = b->z = calloc(1, sizeof *z);
        int wbits = 15 + 16; /* gzip */
        if (b->coding == 2) /* deflate: zlib wrapper if the header checks, else raw */
            wbits = (n >= 2 && (p[0] & 0x0f) == 8 && ((p[0] << 8) | p[1]) % 31 == 0) ? 15 : -15;
        if (!z || inflateInit2(z, wbits) != Z_OK) {
            free(z);
            b->z = NULL;
            b->decode_error = true;
            return;
        }
        b->decoding = true;
    }
    uint8_t outbuf[16384];
    z->next_in = (Bytef *)p;
    z->avail_in = (uInt)n;
    while (z->avail_in > 0 && !b->decoded_cut) {
        z->next_out = outbuf;
        z->avail_out = sizeof outbuf;
        int rc = inflate(z, Z_NO_FLUSH);
        content(b, outbuf, sizeof outbuf - z->avail_out);
        if (rc == Z_STREAM_END) {
            if (b->coding == 1 && z->avail_in > 0 && inflateReset(z) == Z_OK)
                continue; /* concatenated gzip members */
            break;        /* trailing bytes after the stream are ignored */
        }
        if (rc != Z_OK && rc != Z_BUF_ERROR) {
            b->decode_error = true;
            return;
        }
        if (rc == Z_BUF_ERROR && z->avail_out != 0)
            break;
    }
}

void body_data(struct http_body *b, const uint8_t *p, size_t n, struct body_out *out)
{
    (void)out;
    if (!b->active || n == 0)
        return;
    b->wire_len += n;
    if (b->md_raw)
        EVP_DigestUpdate(b->md_raw, p, n);
    if (!b->coding)
        content(b, p, n);
    else if (!b->decode_error && !b->gap)
        inflate_some(b, p, n);
}

void body_gap(struct http_body *b, uint64_t n)
{
    (void)n;
    b->gap = true;
}

/* A kept body's file under its name (the SHA-256 of its content): not
 * written again when it is already there. */
static void store(struct http_body *b, const char *name)
{
    struct body_out *out = b->out;
    struct stat st; /* a link of that name is not the file: the rename replaces it */
    if (!b->write_error && fstatat(out->dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
        S_ISREG(st.st_mode)) {
        out->files++;
        return;
    }
    if (!b->write_error && b->fd < 0)
        open_temporary(b);
    if (b->fd >= 0 && close(b->fd) != 0)
        b->write_error = true;
    b->fd = -1;
    if (!b->write_error && renameat(out->dirfd, b->tmp, out->dirfd, name) == 0) {
        out->files++;
        return;
    }
    out->write_errors++;
    if (b->tmp[0])
        unlinkat(out->dirfd, b->tmp, 0);
}

static void release(struct http_body *b, bool keep, const char *name)
{
    if (b->z) {
        inflateEnd(b->z);
        free(b->z);
    }
    EVP_MD_CTX_free(b->md_raw);
    EVP_MD_CTX_free(b->md_dec);
    if (b->out && keep)
        store(b, name);
    if (b->fd >= 0) {
        close(b->fd);
        unlinkat(b->out->dirfd, b->tmp, 0);
    }
    if (b->out)
        drop_buffer(b);
    b->active = false;
    b->z = b->md_raw = b->md_dec = NULL;
    b->fd = -1;
}

void body_end(struct http_body *b, char sha_hex[65], struct body_out *out)
{
    uint8_t md[EVP_MAX_MD_SIZE];
    unsigned mdlen = 0;
    sha_hex[0] = '\0';
    if (!b->active)
        return;
    bool decoded = b->coding && !b->decode_error && b->decoding;
    if (b->coding && !decoded)
        b->len = b->wire_len; /* reported as transferred */
    void *md_ctx = decoded ? b->md_dec : b->md_raw;
    if (md_ctx && EVP_DigestFinal_ex(md_ctx, md, &mdlen))
        for (unsigned i = 0; i < mdlen && i < 32; i++)
            snprintf(sha_hex + 2 * i, 3, "%02x", md[i]);
    bool keep = sha_hex[0] && !b->gap && (!b->coding || decoded) && b->wire_len > 0;
    (void)out;
    release(b, keep, sha_hex);
}

void body_abort(struct http_body *b, struct body_out *out)
{
    (void)out;
    if (b->active)
        release(b, false, NULL);
}
