/*
 * report.c - text or JSON summary output (see report.h).
 */
#include "report.h"

#include <inttypes.h>

static void key_prefix(struct report *r, const char *key)
{
    if (r->json) {
        fprintf(r->f, "%s\"%s\":", r->need_comma ? "," : "", key);
        r->need_comma = true;
    } else {
        fprintf(r->f, "%*s%s: ", 2 * r->depth, "", key);
    }
}

void report_begin(struct report *r, FILE *f, bool json)
{
    r->f = f;
    r->json = json;
    r->depth = 0;
    r->need_comma = false;
    if (json)
        fputc('{', f);
}

void report_section(struct report *r, const char *name)
{
    if (r->json) {
        key_prefix(r, name);
        fputc('{', r->f);
        r->need_comma = false;
    } else {
        fprintf(r->f, "%*s%s:\n", 2 * r->depth, "", name);
    }
    r->depth++;
}

void report_end_section(struct report *r)
{
    r->depth--;
    if (r->json) {
        fputc('}', r->f);
        r->need_comma = true;
    }
}

void report_u64(struct report *r, const char *key, uint64_t v)
{
    key_prefix(r, key);
    fprintf(r->f, r->json ? "%" PRIu64 : "%" PRIu64 "\n", v);
}

void report_double(struct report *r, const char *key, double v)
{
    key_prefix(r, key);
    fprintf(r->f, r->json ? "%.3f" : "%.3f\n", v);
}

void report_str(struct report *r, const char *key, const char *v)
{
    key_prefix(r, key);
    if (!r->json) {
        fprintf(r->f, "%s\n", v);
        return;
    }
    fputc('"', r->f);
    for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(r->f, "\\%c", *p);
        else if (*p < 0x20)
            fprintf(r->f, "\\u%04x", *p);
        else
            fputc(*p, r->f);
    }
    fputc('"', r->f);
}

void report_end(struct report *r)
{
    if (r->json)
        fputs("}\n", r->f);
    fflush(r->f);
}
