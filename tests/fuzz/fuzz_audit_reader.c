/*
 * fuzz_audit_reader.c - libFuzzer harness for the audit record reader
 * (src/audit/reader.c), the code behind `netsift dump`.
 *
 * The first input byte picks how the rest is presented: even, as the
 * file itself (gzip framing, members, trailers); odd, as the
 * decompressed record stream, which the harness gzips first so that the
 * fuzzer reaches the varint framing and the protobuf unpacking instead
 * of stopping at zlib's checks.  The file lives in a memfd.  Every
 * record is read to the end: next() must give 1, 0 or -1, an error must
 * name an offset, and timestamps are looked up on every record.
 */
#define _GNU_SOURCE
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <zlib.h>

#include "audit/reader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void require(bool ok)
{
    if (!ok)
        abort();
}

/* gzip of n bytes (one member); NULL on failure. */
static uint8_t *gzip_bytes(const uint8_t *in, size_t n, size_t *outlen)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    if (deflateInit2(&z, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return NULL;
    size_t cap = deflateBound(&z, (uLong)n) + 64;
    uint8_t *out = malloc(cap);
    if (out) {
        z.next_in = (Bytef *)in;
        z.avail_in = (uInt)n;
        z.next_out = out;
        z.avail_out = (uInt)cap;
        if (deflate(&z, Z_FINISH) != Z_STREAM_END) {
            free(out);
            out = NULL;
        }
        *outlen = cap - z.avail_out;
    }
    deflateEnd(&z);
    return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > (1u << 20))
        return 0;
    const uint8_t *file = data + 1;
    size_t len = size - 1;
    uint8_t *gz = NULL;
    if (data[0] & 1) {
        gz = gzip_bytes(file, len, &len);
        if (!gz)
            return 0;
        file = gz;
    }
    int fd = memfd_create("audit", MFD_CLOEXEC);
    require(fd >= 0);
    require(write(fd, file, len) == (ssize_t)len);
    require(lseek(fd, 0, SEEK_SET) == 0);
    free(gz);

    char err[512];
    memset(err, 'x', sizeof err);
    struct audit_reader *r = audit_reader_fdopen(fd, "fuzz", err, sizeof err);
    if (!r) {
        require(memchr(err, '\0', sizeof err) != NULL);
        require(strstr(err, "offset") != NULL || strstr(err, "memory") != NULL);
        return 0;
    }
    require(audit_reader_header(r) != NULL);
    require((unsigned)audit_reader_type(r) < REC_COUNT);
    const ProtobufCMessage *m;
    int rc;
    uint64_t n = 0;
    while ((rc = audit_reader_next(r, &m, err, sizeof err)) == 1) {
        require(m->descriptor == audit_types[audit_reader_type(r)].desc);
        (void)audit_record_timestamp(m);
        n++;
    }
    require(rc == 0 || rc == -1);
    if (rc < 0)
        require(strstr(err, "offset") != NULL || strstr(err, "memory") != NULL);
    require(audit_reader_count(r) == n);
    (void)audit_reader_truncated(r, NULL);
    audit_reader_close(r);
    return 0;
}
