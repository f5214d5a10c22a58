/*
 * ini.c - the INI reader of both configuration files (see ini.h).
 */
#include "ini.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

static char *trim(char *s)
{
    while (blank(*s))
        s++;
    char *e = s + strlen(s);
    while (e > s && blank(e[-1]))
        *--e = '\0';
    return s;
}

/* What follows the syntax at s: nothing, or a comment. */
static bool only_comment(const char *s)
{
    while (blank(*s))
        s++;
    return *s == '\0' || *s == '#' || *s == ';';
}

/* The value of the text after '=': quoted, or up to an inline comment.
 * NULL when text follows a closing quote. */
static char *value_of(char *raw)
{
    char *v = raw;
    while (blank(*v))
        v++;
    if (*v == '"' || *v == '\'') {
        char *close = strchr(v + 1, *v);
        if (close) {
            if (!only_comment(close + 1))
                return NULL;
            *close = '\0';
            return v + 1;
        }
        /* no closing quote: the quote is part of the value */
    }
    for (char *p = v; *p; p++)
        if ((*p == '#' || *p == ';') && p > raw && blank(p[-1])) {
            *p = '\0';
            break;
        }
    return trim(v);
}

int ini_parse(const char *text, size_t len, const char *fname, const struct ini_handlers *h,
              void *arg, char *err, size_t errlen)
{
    if (memchr(text, '\0', len)) {
        snprintf(err, errlen, "%s: not a text file (NUL byte)", fname);
        return -1;
    }
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) {
        text += 3;
        len -= 3;
    }
    char line[INI_LINE_MAX], section[INI_LINE_MAX] = "", why[1024];
    const char *p = text, *end = text + len;
    unsigned lineno = 0;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = (size_t)((nl ? nl : end) - p);
        lineno++;
        if (n >= sizeof line) {
            snprintf(err, errlen, "%s:%u: line too long (at most %d bytes)", fname, lineno,
                     INI_LINE_MAX - 1);
            return -1;
        }
        memcpy(line, p, n);
        line[n] = '\0';
        p = nl ? nl + 1 : end;
        char *s = trim(line);
        if (*s == '\0' || *s == '#' || *s == ';')
            continue;
        why[0] = '\0';
        if (*s == '[') {
            char *close = strchr(s, ']');
            if (!close || !only_comment(close + 1)) {
                snprintf(err, errlen, "%s:%u: bad section header (want [NAME])", fname, lineno);
                return -1;
            }
            *close = '\0';
            snprintf(section, sizeof section, "%s", trim(s + 1));
            if (h->section && h->section(arg, section, lineno, why, sizeof why) != 0) {
                snprintf(err, errlen, "%s:%u: %s", fname, lineno, why);
                return -1;
            }
            continue;
        }
        char *eq = strchr(s, '=');
        if (!eq) {
            snprintf(err, errlen, "%s:%u: expected 'key = value'", fname, lineno);
            return -1;
        }
        *eq = '\0';
        char *key = trim(s), *value = value_of(eq + 1);
        if (!*key) {
            snprintf(err, errlen, "%s:%u: a key is missing before '='", fname, lineno);
            return -1;
        }
        if (!value) {
            snprintf(err, errlen, "%s:%u: '%s': text after the closing quote", fname, lineno, key);
            return -1;
        }
        if (h->key(arg, section, key, value, lineno, why, sizeof why) != 0) {
            snprintf(err, errlen, "%s:%u: %s", fname, lineno, why);
            return -1;
        }
    }
    return 0;
}

int ini_read_file(const char *path, char **text, size_t *len, char *err, size_t errlen)
{
    *text = NULL;
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap + 1);
    bool too_big = false;
    while (buf) {
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            break;
        if (n == cap) {
            if (cap >= INI_FILE_MAX) {
                too_big = true;
                break;
            }
            char *nb = realloc(buf, cap * 2 + 1);
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
    }
    bool read_error = ferror(f);
    fclose(f);
    if (!buf || read_error || too_big) {
        free(buf);
        snprintf(err, errlen, "%s: %s", path,
                 too_big ? "larger than 16 MiB" : read_error ? "read error" : "out of memory");
        return -1;
    }
    buf[n] = '\0';
    *text = buf;
    *len = n;
    return 0;
}
