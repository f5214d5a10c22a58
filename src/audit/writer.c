/*
 * writer.c - audit record files: varint-delimited protobuf messages in
 * gzip members, one member per flushed worker buffer (see writer.h).
 */
#define _GNU_SOURCE
#include "writer.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../util/fsutil.h"

size_t audit_put_varint(uint8_t *out, uint64_t v)
{
    size_t n = 0;
    while (v >= 0x80) {
        out[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    out[n++] = (uint8_t)v;
    return n;
}

int audit_buf_add(struct audit_buf *b, const ProtobufCMessage *m)
{
    size_t size = protobuf_c_message_get_packed_size(m);
    size_t need = b->len + size + 10;
    if (need > b->cap) {
        size_t cap = b->cap ? b->cap : 65536;
        while (cap < need)
            cap *= 2;
        uint8_t *p = realloc(b->data, cap);
        if (!p)
            return -1;
        b->data = p;
        b->cap = cap;
    }
    b->len += audit_put_varint(b->data + b->len, size);
    b->len += protobuf_c_message_pack(m, b->data + b->len);
    b->records++;
    return 0;
}

void audit_buf_free(struct audit_buf *b)
{
    free(b->data);
    memset(b, 0, sizeof *b);
}

int audit_deflater_init(struct audit_deflater *d, int level)
{
    memset(d, 0, sizeof *d);
    /* windowBits 15 + 16: a gzip wrapper around each member */
    if (deflateInit2(&d->z, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return -1;
    d->ready = true;
    return 0;
}

int audit_deflate(struct audit_deflater *d, const uint8_t *in, size_t n, const uint8_t **out,
                  size_t *outlen)
{
    if (!d->ready || n > UINT32_MAX / 2 || deflateReset(&d->z) != Z_OK)
        return -1;
    size_t bound = deflateBound(&d->z, (uLong)n) + 32;
    if (bound > d->cap) {
        uint8_t *p = realloc(d->out, bound);
        if (!p)
            return -1;
        d->out = p;
        d->cap = bound;
    }
    d->z.next_in = (Bytef *)in;
    d->z.avail_in = (uInt)n;
    d->z.next_out = d->out;
    d->z.avail_out = (uInt)d->cap;
    if (deflate(&d->z, Z_FINISH) != Z_STREAM_END)
        return -1;
    *out = d->out;
    *outlen = d->cap - d->z.avail_out;
    return 0;
}

void audit_deflater_free(struct audit_deflater *d)
{
    if (d->ready)
        deflateEnd(&d->z);
    free(d->out);
    memset(d, 0, sizeof *d);
}

static int write_all(int fd, const uint8_t *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

int audit_file_create(struct audit_file *f, const char *path, const Netsift__Header *hdr,
                      int level, char *err, size_t errlen)
{
    memset(f, 0, sizeof *f);
    f->fd = -1;
    snprintf(f->path, sizeof f->path, "%s", path);
    pthread_mutex_init(&f->lock, NULL);
    f->fd = create_file_at(AT_FDCWD, path);
    if (f->fd < 0) {
        snprintf(err, errlen, "cannot create '%s': %s", path, strerror(errno));
        return -1;
    }
    struct audit_buf b = {0};
    struct audit_deflater d;
    const uint8_t *gz;
    size_t gzlen;
    int rc = -1;
    if (audit_buf_add(&b, &hdr->base) == 0 && audit_deflater_init(&d, level) == 0) {
        if (audit_deflate(&d, b.data, b.len, &gz, &gzlen) == 0 &&
            write_all(f->fd, gz, gzlen) == 0) {
            f->bytes = gzlen;
            rc = 0;
        }
        audit_deflater_free(&d);
    }
    audit_buf_free(&b);
    if (rc != 0)
        snprintf(err, errlen, "cannot write the header of '%s': %s", path,
                 errno ? strerror(errno) : "out of memory");
    return rc;
}

int audit_file_append(struct audit_file *f, const uint8_t *gz, size_t len, uint64_t records)
{
    pthread_mutex_lock(&f->lock);
    int rc = write_all(f->fd, gz, len);
    if (rc == 0) {
        f->bytes += len;
        f->records += records;
    }
    pthread_mutex_unlock(&f->lock);
    return rc;
}

int audit_file_close(struct audit_file *f, char *err, size_t errlen)
{
    int rc = 0;
    if (f->fd >= 0 && close(f->fd) != 0) {
        snprintf(err, errlen, "closing '%s': %s", f->path, strerror(errno));
        rc = -1;
    }
    f->fd = -1;
    pthread_mutex_destroy(&f->lock);
    return rc;
}
