/*
 * reader.c - audit record files back into messages (see reader.h):
 * zlib's gzread (which reads concatenated gzip members as one stream)
 * under a small buffer that takes the varint framing apart.
 */
#define _GNU_SOURCE
#include "reader.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

struct audit_reader {
    gzFile gz;
    char name[256];
    uint8_t *buf;
    size_t len, pos, cap;
    uint64_t base;   /* decompressed offset of buf[0] */
    bool eof;        /* gzread has nothing more */
    bool truncated;  /* ... because the input ended inside a member */
    bool partial;    /* the stream ended inside a record */
    uint64_t partial_off;
    Netsift__Header *hdr;
    enum audit_rec rec;
    ProtobufCMessage *cur;
    uint64_t cur_off, count;
};

static void fail(struct audit_reader *r, char *err, size_t errlen, const char *what, uint64_t off)
{
    snprintf(err, errlen, "%s: %s at offset %llu", r->name, what, (unsigned long long)off);
}

/* Read more decompressed bytes so that at least `want` are buffered
 * from pos, if the stream has them.  0, or -1 (damaged gzip data). */
static int fill(struct audit_reader *r, size_t want, char *err, size_t errlen)
{
    if (r->pos) {
        memmove(r->buf, r->buf + r->pos, r->len - r->pos);
        r->len -= r->pos;
        r->base += r->pos;
        r->pos = 0;
    }
    if (want > r->cap) {
        size_t cap = r->cap ? r->cap : 65536;
        while (cap < want)
            cap *= 2;
        uint8_t *p = realloc(r->buf, cap);
        if (!p) {
            snprintf(err, errlen, "%s: out of memory", r->name);
            return -1;
        }
        r->buf = p;
        r->cap = cap;
    }
    while (!r->eof && r->len < want) {
        int n = gzread(r->gz, r->buf + r->len, (unsigned)(r->cap - r->len));
        int code = Z_OK;
        const char *msg = gzerror(r->gz, &code);
        if (n > 0) {
            r->len += (size_t)n;
            continue;
        }
        r->eof = true;
        if (code == Z_BUF_ERROR) {
            r->truncated = true; /* ended inside a gzip member */
        } else if (code != Z_OK) {
            /* zlib prefixes the message with the path ("<fd:3>: ...") */
            const char *why = msg ? strrchr(msg, ':') : NULL;
            why = why ? why + 2 : msg ? msg : "?";
            snprintf(err, errlen, "%s: damaged gzip data (%s) at compressed offset %lld "
                     "(decompressed offset %llu)", r->name, why, (long long)gzoffset(r->gz),
                     (unsigned long long)(r->base + r->len));
            return -1;
        }
    }
    return 0;
}

/* The next framed message: 1 and its bytes, 0 at the end, -1. */
static int next_frame(struct audit_reader *r, const uint8_t **p, size_t *len, char *err,
                      size_t errlen)
{
    if (r->len - r->pos < 10 && fill(r, 10, err, errlen) != 0)
        return -1;
    size_t avail = r->len - r->pos;
    if (avail == 0)
        return 0;
    uint64_t size = 0;
    size_t i = 0;
    for (;; i++) {
        if (i >= avail) { /* the stream ends inside the length */
            r->partial = true;
            r->partial_off = r->base + r->pos;
            return 0;
        }
        if (i >= 10) {
            fail(r, err, errlen, "bad record length (varint longer than 10 bytes)", r->base + r->pos);
            return -1;
        }
        uint8_t b = r->buf[r->pos + i];
        size |= (uint64_t)(b & 0x7f) << (7 * i);
        if (!(b & 0x80))
            break;
    }
    size_t hl = i + 1;
    if (size > AUDIT_RECORD_MAX) {
        char what[128];
        snprintf(what, sizeof what, "record length %llu exceeds the limit of %u bytes (not a record stream?)",
                 (unsigned long long)size, AUDIT_RECORD_MAX);
        fail(r, err, errlen, what, r->base + r->pos);
        return -1;
    }
    if (r->len - r->pos < hl + size) {
        if (fill(r, hl + (size_t)size, err, errlen) != 0)
            return -1;
        if (r->len - r->pos < hl + size) {
            r->partial = true;
            r->partial_off = r->base + r->pos;
            return 0;
        }
    }
    r->cur_off = r->base + r->pos;
    *p = r->buf + r->pos + hl;
    *len = (size_t)size;
    r->pos += hl + (size_t)size;
    return 1;
}

struct audit_reader *audit_reader_fdopen(int fd, const char *name, char *err, size_t errlen)
{
    struct audit_reader *r = calloc(1, sizeof *r);
    if (!r) {
        snprintf(err, errlen, "%s: out of memory", name);
        close(fd);
        return NULL;
    }
    snprintf(r->name, sizeof r->name, "%s", name);
    r->gz = gzdopen(fd, "rb");
    if (!r->gz) {
        snprintf(err, errlen, "%s: cannot read: out of memory", name);
        close(fd);
        free(r);
        return NULL;
    }
    gzbuffer(r->gz, 128 * 1024);
    if (fill(r, 1, err, errlen) != 0) {
        audit_reader_close(r);
        return NULL;
    }
    if (r->len == 0) {
        fail(r, err, errlen, r->truncated ? "truncated gzip data, no record" : "empty file, no Header record", 0);
        audit_reader_close(r);
        return NULL;
    }
    if (gzdirect(r->gz)) {
        fail(r, err, errlen, "not a gzip file (no gzip magic)", 0);
        audit_reader_close(r);
        return NULL;
    }
    const uint8_t *p;
    size_t len;
    int rc = next_frame(r, &p, &len, err, errlen);
    if (rc == 0) {
        fail(r, err, errlen, "file ends inside the Header record", 0);
        rc = -1;
    }
    if (rc < 0) {
        audit_reader_close(r);
        return NULL;
    }
    r->hdr = netsift__header__unpack(NULL, len, p);
    int rec = r->hdr ? audit_type_by_nc(r->hdr->type) : -1;
    if (!r->hdr || rec < 0 || strncmp(r->hdr->version, "netsift", 7) != 0) {
        char what[128];
        if (r->hdr && rec < 0)
            snprintf(what, sizeof what, "not a netsift audit file (unknown record type %d in the Header)",
                     (int)r->hdr->type);
        else
            snprintf(what, sizeof what, "not a netsift audit file (no netsift Header record)");
        fail(r, err, errlen, what, 0);
        audit_reader_close(r);
        return NULL;
    }
    r->rec = (enum audit_rec)rec;
    return r;
}

struct audit_reader *audit_reader_open(const char *path, char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    return audit_reader_fdopen(fd, path, err, errlen);
}

const Netsift__Header *audit_reader_header(const struct audit_reader *r)
{
    return r->hdr;
}

enum audit_rec audit_reader_type(const struct audit_reader *r)
{
    return r->rec;
}

int audit_reader_next(struct audit_reader *r, const ProtobufCMessage **m, char *err,
                      size_t errlen)
{
    if (r->cur) {
        protobuf_c_message_free_unpacked(r->cur, NULL);
        r->cur = NULL;
    }
    const uint8_t *p;
    size_t len;
    int rc = next_frame(r, &p, &len, err, errlen);
    if (rc <= 0)
        return rc;
    r->cur = protobuf_c_message_unpack(audit_types[r->rec].desc, NULL, len, p);
    if (!r->cur) {
        char what[128];
        snprintf(what, sizeof what, "record of %zu bytes is not a valid %s message", len,
                 audit_types[r->rec].name);
        fail(r, err, errlen, what, r->cur_off);
        return -1;
    }
    r->count++;
    *m = r->cur;
    return 1;
}

uint64_t audit_reader_offset(const struct audit_reader *r)
{
    return r->cur_off;
}

uint64_t audit_reader_count(const struct audit_reader *r)
{
    return r->count;
}

bool audit_reader_truncated(const struct audit_reader *r, uint64_t *offset_out)
{
    if (offset_out)
        *offset_out = r->partial ? r->partial_off : r->base + r->len;
    return r->partial || r->truncated;
}

void audit_reader_close(struct audit_reader *r)
{
    if (!r)
        return;
    if (r->cur)
        protobuf_c_message_free_unpacked(r->cur, NULL);
    if (r->hdr)
        netsift__header__free_unpacked(r->hdr, NULL);
    if (r->gz)
        gzclose(r->gz);
    free(r->buf);
    free(r);
}

int64_t audit_record_timestamp(const ProtobufCMessage *m)
{
    static const char *const names[] = {"Timestamp", "TimestampFirst"};
    for (int i = 0; i < 2; i++) {
        const ProtobufCFieldDescriptor *f =
            protobuf_c_message_descriptor_get_field_by_name(m->descriptor, names[i]);
        if (f && f->type == PROTOBUF_C_TYPE_INT64 && f->label != PROTOBUF_C_LABEL_REPEATED)
            return *(const int64_t *)((const char *)m + f->offset);
    }
    return -1;
}
