/*
 * reader.h - reading audit record files (DIR/<Type>.ncap.gz) back.
 *
 * The reader of `netsift dump`, and the API for anything else that
 * consumes records (labeling): open a file, look at its Header, then
 * take the records one by one as unpacked protobuf-c messages of the
 * type the Header names.
 *
 *     struct audit_reader *r = audit_reader_open(path, err, sizeof err);
 *     const ProtobufCMessage *m;
 *     int rc;
 *     while ((rc = audit_reader_next(r, &m, err, sizeof err)) == 1)
 *         ... audit_record_timestamp(m) ...
 *     if (rc < 0) -> err names the offset of the damage
 *     if (audit_reader_truncated(r)) -> the file ended inside a record
 *     audit_reader_close(r);
 *
 * Offsets are byte offsets in the decompressed stream (the one the
 * varint framing is defined on), except for damaged gzip data, where the
 * compressed offset is given as well.  A file that ends inside a gzip
 * member or inside a record (a capture that was killed) is read up to
 * its last whole record; then next() returns 0 and truncated() is true.
 * A record larger than AUDIT_RECORD_MAX, one that does not unpack as its
 * type, a missing or foreign Header, or a file that is not gzip at all
 * are errors.
 */
#ifndef NETSIFT_AUDIT_READER_H
#define NETSIFT_AUDIT_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "audit_types.h"

#define AUDIT_RECORD_MAX (64u << 20)

struct audit_reader;

/* NULL with a one-line reason in err. */
struct audit_reader *audit_reader_open(const char *path, char *err, size_t errlen);
/* The same on an open descriptor (taken over; closed by close()). */
struct audit_reader *audit_reader_fdopen(int fd, const char *name, char *err, size_t errlen);

const Netsift__Header *audit_reader_header(const struct audit_reader *r);
/* Index in audit_types[] of the records' type. */
enum audit_rec audit_reader_type(const struct audit_reader *r);

/* 1 and the next record in *m (valid until the next call), 0 at the end,
 * -1 with a reason naming the offset in err. */
int audit_reader_next(struct audit_reader *r, const ProtobufCMessage **m, char *err,
                      size_t errlen);

/* Decompressed offset of the last record returned. */
uint64_t audit_reader_offset(const struct audit_reader *r);
/* Records returned so far. */
uint64_t audit_reader_count(const struct audit_reader *r);
/* The file ended inside a record or gzip member (after next() gave 0);
 * offset_out: where the partial record starts. */
bool audit_reader_truncated(const struct audit_reader *r, uint64_t *offset_out);

void audit_reader_close(struct audit_reader *r);

/* The record's Timestamp (layer records) or TimestampFirst (flow
 * records), microseconds; -1 when it has neither. */
int64_t audit_record_timestamp(const ProtobufCMessage *m);

#endif
