/*
 * dump.c - `netsift dump`: print audit records (reader.c) as an aligned
 * table, CSV (a header line of the record's field names, then one line
 * per record: the spec's CSVHeader/CSVRecord) or JSON (one object per
 * line).  Every record type goes through the same code: the fields come
 * from the protobuf-c message descriptor, so a new record type or field
 * needs nothing here.
 */
#define _GNU_SOURCE
#include "dump.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../util/json.h"
#include "reader.h"

enum mode { MODE_TABLE, MODE_CSV, MODE_JSON };

#define TABLE_SAMPLE 256 /* rows buffered to size the table's columns */

static void sb_putn(struct sbuf *s, const char *p, size_t n)
{
    if (s->len + n + 1 > s->cap) {
        size_t cap = s->cap ? s->cap : 256;
        while (cap < s->len + n + 1)
            cap *= 2;
        char *q = realloc(s->p, cap);
        if (!q) {
            fprintf(stderr, "netsift dump: out of memory\n");
            exit(1);
        }
        s->p = q;
        s->cap = cap;
    }
    memcpy(s->p + s->len, p, n);
    s->len += n;
    s->p[s->len] = '\0';
}

static void sb_puts(struct sbuf *s, const char *p)
{
    sb_putn(s, p, strlen(p));
}

static void sb_printf(struct sbuf *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(struct sbuf *s, const char *fmt, ...)
{
    char tmp[128];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n > 0)
        sb_putn(s, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

static void format_message(struct sbuf *s, const ProtobufCMessage *m, enum mode mode);

/* One value of a field (elem points at it). */
static void format_value(struct sbuf *s, const ProtobufCFieldDescriptor *f, const void *elem,
                         enum mode mode)
{
    switch (f->type) {
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32:
        sb_printf(s, "%" PRId32, *(const int32_t *)elem);
        break;
    case PROTOBUF_C_TYPE_ENUM: {
        int32_t v = *(const int32_t *)elem;
        const ProtobufCEnumValue *ev =
            protobuf_c_enum_descriptor_get_value((const ProtobufCEnumDescriptor *)f->descriptor, v);
        if (ev)
            sb_puts(s, ev->name);
        else
            sb_printf(s, "%" PRId32, v);
        break;
    }
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32:
        sb_printf(s, "%" PRIu32, *(const uint32_t *)elem);
        break;
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
        sb_printf(s, "%" PRId64, *(const int64_t *)elem);
        break;
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
        sb_printf(s, "%" PRIu64, *(const uint64_t *)elem);
        break;
    case PROTOBUF_C_TYPE_FLOAT:
        sb_printf(s, "%g", (double)*(const float *)elem);
        break;
    case PROTOBUF_C_TYPE_DOUBLE:
        sb_printf(s, "%g", *(const double *)elem);
        break;
    case PROTOBUF_C_TYPE_BOOL:
        sb_puts(s, *(const protobuf_c_boolean *)elem ? "true" : "false");
        break;
    case PROTOBUF_C_TYPE_STRING: {
        const char *str = *(char *const *)elem;
        sb_puts(s, str ? str : "");
        break;
    }
    case PROTOBUF_C_TYPE_BYTES: { /* lower-case hex */
        const ProtobufCBinaryData *b = elem;
        for (size_t i = 0; i < b->len; i++)
            sb_printf(s, "%02x", b->data[i]);
        break;
    }
    case PROTOBUF_C_TYPE_MESSAGE: {
        const ProtobufCMessage *sub = *(ProtobufCMessage *const *)elem;
        if (sub)
            format_message(s, sub, mode);
        break;
    }
    }
}

static size_t value_size(const ProtobufCFieldDescriptor *f)
{
    switch (f->type) {
    case PROTOBUF_C_TYPE_INT64: case PROTOBUF_C_TYPE_SINT64: case PROTOBUF_C_TYPE_SFIXED64:
    case PROTOBUF_C_TYPE_UINT64: case PROTOBUF_C_TYPE_FIXED64: case PROTOBUF_C_TYPE_DOUBLE:
        return 8;
    case PROTOBUF_C_TYPE_BOOL:
        return sizeof(protobuf_c_boolean);
    case PROTOBUF_C_TYPE_STRING: case PROTOBUF_C_TYPE_MESSAGE:
        return sizeof(void *);
    case PROTOBUF_C_TYPE_BYTES:
        return sizeof(ProtobufCBinaryData);
    default:
        return 4;
    }
}

/* A field as text: repeated ones as "a;b". */
static void format_field(struct sbuf *s, const ProtobufCMessage *m, const ProtobufCFieldDescriptor *f,
                         enum mode mode)
{
    const char *base = (const char *)m;
    if (f->label != PROTOBUF_C_LABEL_REPEATED) {
        format_value(s, f, base + f->offset, mode);
        return;
    }
    size_t n = *(const size_t *)(base + f->quantifier_offset);
    const char *arr = *(char *const *)(base + f->offset);
    for (size_t i = 0; i < n; i++) {
        if (i)
            sb_puts(s, ";");
        format_value(s, f, arr + i * value_size(f), mode);
    }
}

/* A nested message as text: "Name=value/Name=value". */
static void format_message(struct sbuf *s, const ProtobufCMessage *m, enum mode mode)
{
    const ProtobufCMessageDescriptor *d = m->descriptor;
    for (unsigned i = 0; i < d->n_fields; i++) {
        if (i)
            sb_puts(s, "/");
        sb_printf(s, "%s=", d->fields[i].name);
        format_field(s, m, &d->fields[i], mode);
    }
}

/* ---- JSON (util/json.h): the same values as jansson values ---- */

static json_t *message_json(const ProtobufCMessage *m, const ProtobufCFieldDescriptor *const *fields,
                            size_t nf);

static json_t *value_json(const ProtobufCFieldDescriptor *f, const void *elem)
{
    switch (f->type) {
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32:
        return json_integer(*(const int32_t *)elem);
    case PROTOBUF_C_TYPE_ENUM: {
        int32_t v = *(const int32_t *)elem;
        const ProtobufCEnumValue *ev =
            protobuf_c_enum_descriptor_get_value((const ProtobufCEnumDescriptor *)f->descriptor, v);
        return ev ? json_text(ev->name) : json_integer(v);
    }
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32:
        return json_integer(*(const uint32_t *)elem);
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
        return json_integer(*(const int64_t *)elem);
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64: {
        uint64_t v = *(const uint64_t *)elem;
        return v <= INT64_MAX ? json_integer((json_int_t)v) : json_real((double)v);
    }
    case PROTOBUF_C_TYPE_FLOAT:
        return json_real(*(const float *)elem);
    case PROTOBUF_C_TYPE_DOUBLE:
        return json_real(*(const double *)elem);
    case PROTOBUF_C_TYPE_BOOL:
        return json_boolean(*(const protobuf_c_boolean *)elem);
    case PROTOBUF_C_TYPE_STRING:
        return json_text(*(char *const *)elem);
    case PROTOBUF_C_TYPE_BYTES: { /* lower-case hex */
        const ProtobufCBinaryData *b = elem;
        char *hex = malloc(b->len * 2 + 1);
        if (!hex)
            return NULL;
        for (size_t i = 0; i < b->len; i++)
            snprintf(hex + 2 * i, 3, "%02x", b->data[i]);
        hex[2 * b->len] = '\0';
        json_t *v = json_string_nocheck(hex);
        free(hex);
        return v;
    }
    case PROTOBUF_C_TYPE_MESSAGE: {
        const ProtobufCMessage *sub = *(ProtobufCMessage *const *)elem;
        return sub ? message_json(sub, NULL, 0) : json_null();
    }
    }
    return json_null();
}

/* A field: repeated ones as an array. */
static json_t *field_json(const ProtobufCMessage *m, const ProtobufCFieldDescriptor *f)
{
    const char *base = (const char *)m;
    if (f->label != PROTOBUF_C_LABEL_REPEATED)
        return value_json(f, base + f->offset);
    size_t n = *(const size_t *)(base + f->quantifier_offset);
    const char *arr = *(char *const *)(base + f->offset);
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, value_json(f, arr + i * value_size(f)));
    return a;
}

/* A message as an object: the given fields, or all of them (fields NULL). */
static json_t *message_json(const ProtobufCMessage *m, const ProtobufCFieldDescriptor *const *fields,
                            size_t nf)
{
    const ProtobufCMessageDescriptor *d = m->descriptor;
    json_t *o = json_object();
    size_t n = fields ? nf : d->n_fields;
    for (size_t i = 0; i < n; i++) {
        const ProtobufCFieldDescriptor *f = fields ? fields[i] : &d->fields[i];
        json_object_set_new(o, f->name, field_json(m, f));
    }
    return o;
}

static void csv_cell(FILE *out, const char *v)
{
    if (strpbrk(v, ",\"\r\n") == NULL) {
        fputs(v, out);
        return;
    }
    fputc('"', out);
    for (; *v; v++) {
        if (*v == '"')
            fputc('"', out);
        fputc(*v, out);
    }
    fputc('"', out);
}

void dump_csv_header(FILE *out, const ProtobufCFieldDescriptor *const *fields, size_t nf)
{
    for (size_t i = 0; i < nf; i++) {
        fputs(i ? "," : "", out);
        csv_cell(out, fields[i]->name);
    }
}

void dump_csv_record(FILE *out, const ProtobufCMessage *m, const ProtobufCFieldDescriptor *const *fields,
                     size_t nf, struct sbuf *scratch)
{
    for (size_t i = 0; i < nf; i++) {
        scratch->len = 0;
        sb_puts(scratch, "");
        format_field(scratch, m, fields[i], MODE_CSV);
        fputs(i ? "," : "", out);
        csv_cell(out, scratch->p);
    }
}

struct table {
    size_t ncols;
    size_t *width;
    char **cells; /* TABLE_SAMPLE rows of ncols */
    size_t rows;
    bool sized;
};

static void table_print_row(struct table *t, FILE *out, char *const *cells)
{
    for (size_t c = 0; c < t->ncols; c++) {
        for (char *p = cells[c]; *p; p++) /* keep one row on one line */
            if ((unsigned char)*p < 0x20)
                *p = ' ';
        fprintf(out, "%s%-*s", c ? "  " : "", c + 1 < t->ncols ? (int)t->width[c] : 0, cells[c]);
    }
    fputc('\n', out);
}

static void table_flush(struct table *t, FILE *out, const char *const *names)
{
    if (!t->sized) {
        for (size_t c = 0; c < t->ncols; c++)
            fprintf(out, "%s%-*s", c ? "  " : "", c + 1 < t->ncols ? (int)t->width[c] : 0, names[c]);
        fputc('\n', out);
        t->sized = true;
    }
    for (size_t r = 0; r < t->rows; r++) {
        table_print_row(t, out, t->cells + r * t->ncols);
        for (size_t c = 0; c < t->ncols; c++)
            free(t->cells[r * t->ncols + c]);
    }
    t->rows = 0;
}

static void usage(FILE *f)
{
    fprintf(f,
            "NAME\n"
            "    netsift dump - print the records of an audit record file\n\n"
            "SYNOPSIS\n"
            "    netsift dump [--csv | --json] [--select FIELD,...] FILE.ncap.gz\n"
            "    netsift dump --header [--json] FILE.ncap.gz\n\n"
            "DESCRIPTION\n"
            "    Reads a DIR/<Type>.ncap.gz file written by 'netsift capture --audit DIR'\n"
            "    (gzip, length-delimited protobuf messages after a Header; see docs/audit.md)\n"
            "    and prints its records, one per line, with the fields of the record type\n"
            "    in their .proto order.  Timestamps are microseconds since the epoch (UTC);\n"
            "    bytes fields are printed as lower-case hex; repeated fields are joined\n"
            "    with ';' (a JSON array with --json).\n"
            "    A file that ends inside a record (a capture that was killed) is read up to\n"
            "    its last whole record, with a warning.\n\n"
            "OPTIONS\n"
            "    --csv\n"
            "        CSV: a header line of field names, then one line per record (RFC 4180\n"
            "        quoting).\n"
            "    --json\n"
            "        One JSON object per record per line.\n"
            "    --select FIELD,...\n"
            "        Only these fields, in this order (names as in the header line; any case).\n"
            "    --header\n"
            "        Print only the file's Header (created, input source, type, version,\n"
            "        payloads) and the number of records is not computed.\n"
            "    -h, --help\n"
            "        Show this text.\n\n"
            "EXIT STATUS\n"
            "    0 success (also for a truncated file, after the warning); 1 an unreadable,\n"
            "    corrupt or foreign file (the error names the offset; records before it are\n"
            "    printed); 2 a usage error.\n\n"
            "EXAMPLES\n"
            "    netsift dump audit/TCP.ncap.gz | head\n"
            "    netsift dump --csv --select Timestamp,SrcIP,DstIP,NumPackets audit/Connection.ncap.gz\n"
            "    netsift dump --json audit/DNS.ncap.gz | jq .QuestionName\n");
}

/* The fields to print: all, or those of --select.  0, or -1. */
static int select_fields(const ProtobufCMessageDescriptor *d, const char *list,
                         const ProtobufCFieldDescriptor ***out, size_t *n)
{
    *out = calloc(d->n_fields + 64, sizeof **out);
    if (!*out)
        return -1;
    *n = 0;
    if (!list) {
        for (unsigned i = 0; i < d->n_fields; i++)
            (*out)[(*n)++] = &d->fields[i];
        return 0;
    }
    while (*list) {
        size_t len = strcspn(list, ",");
        const ProtobufCFieldDescriptor *f = NULL;
        for (unsigned i = 0; i < d->n_fields && len; i++)
            if (strlen(d->fields[i].name) == len && strncasecmp(d->fields[i].name, list, len) == 0)
                f = &d->fields[i];
        if (!f || *n >= d->n_fields + 64) {
            fprintf(stderr, "netsift dump: --select: %s has no field '%.*s'; its fields:", d->short_name,
                    (int)len, list);
            for (unsigned i = 0; i < d->n_fields; i++)
                fprintf(stderr, "%s%s", i ? "," : " ", d->fields[i].name);
            fprintf(stderr, "\n");
            return -1;
        }
        (*out)[(*n)++] = f;
        list += len;
        if (*list == ',')
            list++;
    }
    return 0;
}

static void print_header(const struct audit_reader *r, bool json, FILE *out)
{
    const Netsift__Header *h = audit_reader_header(r);
    struct sbuf s = {0};
    if (json) {
        json_t *o = message_json(&h->base, NULL, 0);
        json_print(out, o);
        json_decref(o);
    } else {
        const ProtobufCMessageDescriptor *d = h->base.descriptor;
        for (unsigned i = 0; i < d->n_fields; i++) {
            s.len = 0;
            format_field(&s, &h->base, &d->fields[i], MODE_TABLE);
            fprintf(out, "%s: %s\n", d->fields[i].name, s.len ? s.p : "");
        }
    }
    free(s.p);
}

int dump_main(int argc, char **argv)
{
    enum mode mode = MODE_TABLE;
    bool header_only = false;
    const char *select = NULL;
    static const struct option longopts[] = {
        {"csv", no_argument, NULL, 'C'},     {"json", no_argument, NULL, 'J'},
        {"select", required_argument, NULL, 'S'}, {"header", no_argument, NULL, 'H'},
        {"help", no_argument, NULL, 'h'},    {NULL, 0, NULL, 0},
    };
    opterr = 0;
    optind = 1;
    int ch;
    while ((ch = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
        switch (ch) {
        case 'C': mode = MODE_CSV; break;
        case 'J': mode = MODE_JSON; break;
        case 'S': select = optarg; break;
        case 'H': header_only = true; break;
        case 'h': usage(stdout); return 0;
        default:
            fprintf(stderr, "netsift dump: %s '%s' (see --help)\n",
                    ch == ':' ? "option needs a value:" : "unknown option", argv[optind - 1]);
            return 2;
        }
    }
    if (optind + 1 != argc) {
        fprintf(stderr, "netsift dump: give exactly one FILE.ncap.gz (see --help)\n");
        return 2;
    }
    char err[1024];
    struct audit_reader *r = audit_reader_open(argv[optind], err, sizeof err);
    if (!r) {
        fprintf(stderr, "netsift dump: %s\n", err);
        return 1;
    }
    if (header_only) {
        print_header(r, mode == MODE_JSON, stdout);
        audit_reader_close(r);
        return 0;
    }
    const ProtobufCMessageDescriptor *d = audit_types[audit_reader_type(r)].desc;
    const ProtobufCFieldDescriptor **fields;
    size_t nf;
    if (select_fields(d, select, &fields, &nf) != 0) {
        free(fields);
        audit_reader_close(r);
        return 2;
    }
    const char **names = calloc(nf, sizeof *names);
    struct table t = {.ncols = nf, .width = calloc(nf, sizeof(size_t)),
                      .cells = calloc(nf * TABLE_SAMPLE, sizeof(char *))};
    if (!names || !t.width || !t.cells) {
        fprintf(stderr, "netsift dump: out of memory\n");
        return 1;
    }
    for (size_t i = 0; i < nf; i++) {
        names[i] = fields[i]->name;
        t.width[i] = strlen(names[i]);
    }
    if (mode == MODE_CSV) {
        dump_csv_header(stdout, fields, nf);
        fputc('\n', stdout);
    }
    const ProtobufCMessage *m;
    struct sbuf s = {0};
    int rc;
    while ((rc = audit_reader_next(r, &m, err, sizeof err)) == 1) {
        if (mode == MODE_JSON) {
            json_t *o = message_json(m, fields, nf);
            json_print(stdout, o);
            json_decref(o);
            continue;
        }
        if (mode == MODE_CSV) {
            dump_csv_record(stdout, m, fields, nf, &s);
            fputc('\n', stdout);
            continue;
        }
        char **row = t.cells + t.rows * nf;
        for (size_t i = 0; i < nf; i++) {
            s.len = 0;
            sb_puts(&s, "");
            format_field(&s, m, fields[i], mode);
            row[i] = strdup(s.p);
            if (!t.sized && strlen(s.p) > t.width[i])
                t.width[i] = strlen(s.p);
        }
        if (++t.rows == (t.sized ? 1 : TABLE_SAMPLE)) {
            table_flush(&t, stdout, names);
        }
    }
    if (mode == MODE_TABLE)
        table_flush(&t, stdout, names);
    fflush(stdout);
    int status = 0;
    uint64_t off;
    if (rc < 0) {
        fprintf(stderr, "netsift dump: %s (after %llu records)\n", err,
                (unsigned long long)audit_reader_count(r));
        status = 1;
    } else if (audit_reader_truncated(r, &off)) {
        fprintf(stderr, "netsift dump: warning: %s is truncated at offset %llu (the capture was "
                "interrupted?); read %llu whole records\n", argv[optind], (unsigned long long)off,
                (unsigned long long)audit_reader_count(r));
    }
    free(s.p);
    free(names);
    free(t.width);
    free(t.cells);
    free(fields);
    audit_reader_close(r);
    return status;
}
