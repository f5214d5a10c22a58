/*
 * copybuf.h - a growing byte buffer for the PostgreSQL side of the sync:
 * rows of COPY ... FROM STDIN data in PostgreSQL's text format, and SQL
 * text built from compiled-in identifiers.
 *
 * Out of memory is sticky: the buffer stops growing, `oom` is set, and
 * the caller checks it once at the end.
 */
#ifndef NETSIFT_COPYBUF_H
#define NETSIFT_COPYBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct copybuf {
    char *data;
    size_t len, cap;
    unsigned fields; /* fields in the row being built */
    bool oom;
};

void copybuf_init(struct copybuf *b);
void copybuf_free(struct copybuf *b);
/* Empty it (keeps the memory). */
void copybuf_reset(struct copybuf *b);
/* Append bytes as they are / formatted text (both keep data NUL-terminated). */
void copybuf_add(struct copybuf *b, const char *s, size_t n);
void copybuf_printf(struct copybuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * COPY text format (PostgreSQL manual, COPY, "Text Format"): fields are
 * separated by a tab and rows end with a newline, so inside a value a
 * backslash, tab, newline and carriage return are written \\, \t, \n
 * and \r; every other byte stands for itself.  NULL is \N, which no
 * escaped value can look like (its backslash would be doubled), and the
 * end-of-data marker \. cannot appear either.  Writes the escaped form of
 * s[0..n) to out, which has room for 2 * n bytes; returns its length.
 */
size_t copy_escape(char *out, const char *s, size_t n);

/* One field of the current row: text (escaped), a NULL, an integer. */
void copy_field_text(struct copybuf *b, const char *s, size_t n);
void copy_field_null(struct copybuf *b);
void copy_field_int(struct copybuf *b, int64_t v);
/* End the current row. */
void copy_end_row(struct copybuf *b);

#endif
