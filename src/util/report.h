/*
 * report.h - the end-of-run summary, as text or as one JSON object.
 *
 * The capture core and every sink describe their figures through the
 * same few calls; the report decides the format.  Sections nest:
 * report_section("headers") ... report_end_section().  The JSON object
 * is built as the calls come (util/json.h) and printed by report_end().
 */
#ifndef NETSIFT_REPORT_H
#define NETSIFT_REPORT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define REPORT_DEPTH_MAX 8

struct report {
    FILE *f;
    bool json;
    int depth;
    json_t *open[REPORT_DEPTH_MAX + 1]; /* JSON: the object and its open sections */
};

void report_begin(struct report *r, FILE *f, bool json);
void report_section(struct report *r, const char *name);
void report_end_section(struct report *r);
void report_u64(struct report *r, const char *key, uint64_t v);
void report_double(struct report *r, const char *key, double v);
void report_str(struct report *r, const char *key, const char *v);
void report_end(struct report *r);

#endif
