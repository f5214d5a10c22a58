/*
 * writer.h - writing audit record files (DIR/<Type>.ncap.gz).
 *
 * A file is a sequence of gzip members; together they decompress to one
 * stream of varint-length-delimited protobuf messages, the Header first.
 * Workers never share a buffer: each one packs its records into its own
 * audit_buf per record type and, when the buffer is full (or on the tick
 * or at close), compresses it into one complete gzip member with its own
 * deflater and appends that member to the file under the file's lock.
 * Members are whole, so the file stays valid (gzip -t, zcat, any
 * protobuf reader) whatever the number of workers; only the order of
 * records between workers' blocks varies.
 */
#ifndef NETSIFT_AUDIT_WRITER_H
#define NETSIFT_AUDIT_WRITER_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <zlib.h>

#include "audit_types.h"

/* One record file, shared by the workers. */
struct audit_file {
    int fd;
    pthread_mutex_t lock;
    uint64_t records;        /* records appended (Header not counted) */
    uint64_t bytes;          /* compressed bytes written */
    char path[4200];
};

/* Create path (replacing it) and write hdr as its first gzip member.
 * 0, or -1 with a reason in err. */
int audit_file_create(struct audit_file *f, const char *path, const Netsift__Header *hdr,
                      int level, char *err, size_t errlen);

/* Append one whole gzip member holding `records` records; thread-safe.
 * 0, or -1 (errno set). */
int audit_file_append(struct audit_file *f, const uint8_t *gz, size_t len, uint64_t records);

/* Close; 0 or -1 with a reason in err. */
int audit_file_close(struct audit_file *f, char *err, size_t errlen);

/* A worker's uncompressed records of one type. */
struct audit_buf {
    uint8_t *data;
    size_t len, cap;
    uint64_t records;
};

/* Append one message, varint length first.  0, or -1 when out of memory. */
int audit_buf_add(struct audit_buf *b, const ProtobufCMessage *m);
void audit_buf_free(struct audit_buf *b);

/* A worker's compressor: one gzip member per call. */
struct audit_deflater {
    z_stream z;
    bool ready;
    uint8_t *out;
    size_t cap;
};

int audit_deflater_init(struct audit_deflater *d, int level);
/* Compress n bytes into one gzip member; *out points into d's buffer
 * until the next call.  0, or -1. */
int audit_deflate(struct audit_deflater *d, const uint8_t *in, size_t n, const uint8_t **out,
                  size_t *outlen);
void audit_deflater_free(struct audit_deflater *d);

/* Write the varint encoding of v to out (at least 10 bytes); its length. */
size_t audit_put_varint(uint8_t *out, uint64_t v);

#endif
