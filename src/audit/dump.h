/*
 * dump.h - `netsift dump FILE.ncap.gz`: audit records as a table, CSV or
 * JSON lines; and its CSV formatting (the spec's CSVHeader/CSVRecord) for
 * other writers of record CSV (netsift label).
 */
#ifndef NETSIFT_AUDIT_DUMP_H
#define NETSIFT_AUDIT_DUMP_H

#include <stdio.h>

#include <protobuf-c/protobuf-c.h>

int dump_main(int argc, char **argv);

/* A growing string buffer (scratch space of dump_csv_record). */
struct sbuf {
    char *p;
    size_t len, cap;
};

/* The CSV header cells of these fields / one record's cells (RFC 4180
 * quoting), comma-separated, without the line end. */
void dump_csv_header(FILE *out, const ProtobufCFieldDescriptor *const *fields, size_t nf);
void dump_csv_record(FILE *out, const ProtobufCMessage *m, const ProtobufCFieldDescriptor *const *fields,
                     size_t nf, struct sbuf *scratch);

#endif
