/*
 * json.h - the one JSON writer: every JSON netsift prints (the capture
 * summary, netsift stats --json, netsift dump --json) is a jansson value
 * dumped here, so that the output is valid JSON in valid UTF-8 whatever
 * bytes the traffic or a foreign file put in a string.
 */
#ifndef NETSIFT_JSON_H
#define NETSIFT_JSON_H

#include <jansson.h>
#include <stddef.h>
#include <stdio.h>

/* A JSON string of n bytes: valid UTF-8 is kept, each byte of an invalid
 * sequence becomes U+FFFD (the replacement character, as WHATWG decoders
 * and Python's errors="replace" do), NUL becomes U+0000.  NULL only when
 * out of memory (jansson's setters take NULL and fail). */
json_t *json_text_n(const char *s, size_t n);
/* json_text_n of a NUL-terminated string; NULL s gives "". */
json_t *json_text(const char *s);

/* v as compact JSON text (no blank between tokens, keys in insertion
 * order) and a newline on f.  Reals are printed with up to 15 significant
 * digits (0.1 stays 0.1).  0, or -1 when out of memory or f failed. */
int json_print(FILE *f, const json_t *v);

/* v as compact JSON text, malloc'd (free()), or NULL when out of memory. */
char *json_format(const json_t *v);

#endif
