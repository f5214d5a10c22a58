/*
 * ini.h - the INI reader of both configuration files (netsift.conf,
 * conf.h; the daemon's file, stats/daemon_conf.h).
 *
 * The syntax is libinih's, as users of it and of Python's configparser
 * write it: `[section]` lines, `key = value` lines, whole-line comments
 * starting with `#` or `;`, and inline comments: `#` or `;` after a
 * blank ends the value (`db_path = /x   # where` gives `/x`).  A value in
 * matching single or double quotes is taken as quoted, so `#`, `;` and
 * blanks at either end can be part of it; only a blank or a comment may
 * follow the closing quote.  Lines end with LF or CRLF, a UTF-8 byte order
 * mark is skipped, a NUL byte refuses the file.
 *
 * Not libinih itself (issue 24 asks for it; tried with Debian 12's
 * libinih 55 and its run-time knobs: heap line buffer, ini_max_line 16384,
 * inline comments off, multi-line off): it cuts a section name at 49 bytes
 * silently, so `[watcher NAME]` with a valid name of 42 to 63 characters
 * becomes another watcher; it reports no section that has no key (an empty
 * `[watcher x]` vanishes instead of being refused); it ignores text after
 * `]`; it has no quoting, so a `regex =` holding " #" cannot be written;
 * and a line longer than ini_max_line is cut in two, the rest read as a
 * line of its own.  Bending it back needs a pre-pass over every line,
 * which is this parser again.  Here a line may be 16 KiB and a longer one
 * is refused with its number.
 */
#ifndef NETSIFT_INI_H
#define NETSIFT_INI_H

#include <stddef.h>

#define INI_LINE_MAX 16384
#define INI_FILE_MAX (16u << 20)

struct ini_handlers {
    /* A `[name]` line (name trimmed); NULL: sections are accepted and
     * ignored.  0, or -1 with the reason in why (no file or line: added). */
    int (*section)(void *arg, const char *name, unsigned line, char *why, size_t whylen);
    /* A `key = value` line, in the section of the last `[name]` ("" before
     * any).  0, or -1 with the reason in why. */
    int (*key)(void *arg, const char *section, const char *key, const char *value, unsigned line,
               char *why, size_t whylen);
};

/* Parse len bytes of text; fname names it in messages.  0, or -1 with
 * "fname:line: reason" in err (the handlers' reason, or the syntax's). */
int ini_parse(const char *text, size_t len, const char *fname, const struct ini_handlers *h,
              void *arg, char *err, size_t errlen);

/* Read a whole file (at most INI_FILE_MAX bytes) into *text (malloc'd,
 * NUL-terminated).  0, or -1 with "path: reason" in err. */
int ini_read_file(const char *path, char **text, size_t *len, char *err, size_t errlen);

#endif
