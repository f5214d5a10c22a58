/*
 * report.c - text or JSON summary output (see report.h).
 */
#include "report.h"

#include <inttypes.h>
#include <math.h>

#include "json.h"

/* JSON: v set as key of the innermost open section (v is taken). */
static void set(struct report *r, const char *key, json_t *v)
{
    json_object_set_new(r->open[r->depth], key, v);
}

void report_begin(struct report *r, FILE *f, bool json)
{
    r->f = f;
    r->json = json;
    r->depth = 0;
    r->open[0] = json ? json_object() : NULL;
}

void report_section(struct report *r, const char *name)
{
    if (r->json) {
        json_t *o = json_object();
        if (r->depth < REPORT_DEPTH_MAX) {
            set(r, name, json_incref(o));
            r->open[r->depth + 1] = o;
        }
        json_decref(o); /* beyond the depth: its figures go nowhere */
    } else {
        fprintf(r->f, "%*s%s:\n", 2 * r->depth, "", name);
    }
    r->depth++;
}

void report_end_section(struct report *r)
{
    r->depth--;
}

/* Text: the key's line start; JSON: false when the section is too deep. */
static bool begin_value(struct report *r, const char *key)
{
    if (r->json)
        return r->depth <= REPORT_DEPTH_MAX;
    fprintf(r->f, "%*s%s: ", 2 * r->depth, "", key);
    return true;
}

void report_u64(struct report *r, const char *key, uint64_t v)
{
    if (!begin_value(r, key))
        return;
    if (r->json)
        set(r, key, v <= INT64_MAX ? json_integer((json_int_t)v) : json_real((double)v));
    else
        fprintf(r->f, "%" PRIu64 "\n", v);
}

void report_double(struct report *r, const char *key, double v)
{
    if (!begin_value(r, key))
        return;
    if (r->json)
        set(r, key, isfinite(v) ? json_real(round(v * 1000) / 1000) : json_null());
    else
        fprintf(r->f, "%.3f\n", v);
}

void report_str(struct report *r, const char *key, const char *v)
{
    if (!begin_value(r, key))
        return;
    if (r->json)
        set(r, key, json_text(v));
    else
        fprintf(r->f, "%s\n", v);
}

void report_end(struct report *r)
{
    if (r->json) {
        json_print(r->f, r->open[0]);
        json_decref(r->open[0]);
        r->open[0] = NULL;
    }
    fflush(r->f);
}
