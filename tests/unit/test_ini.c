/*
 * test_ini.c - the INI reader of both configuration files (util/ini.h):
 * comments (also inline), quotes, sections, line ends, long lines, errors
 * with FILE:LINE; and every example configuration printed in README.md
 * and the Markdown files of docs/, read as printed by the reader of its file (netsift.conf:
 * conf_load_file; the daemon's: daemon_conf_parse).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "conf/conf.h"
#include "stats/daemon_conf.h"
#include "util/ini.h"

/* What the handlers saw: "section|key=value\n" per key, "[name]\n" per section. */
struct seen {
    char text[32768];
};

static int on_section(void *arg, const char *name, unsigned line, char *why, size_t whylen)
{
    struct seen *s = arg;
    (void)line;
    if (strcmp(name, "refuse") == 0) {
        snprintf(why, whylen, "no such section");
        return -1;
    }
    size_t u = strlen(s->text);
    snprintf(s->text + u, sizeof s->text - u, "[%s]\n", name);
    return 0;
}

static int on_key(void *arg, const char *section, const char *key, const char *value,
                  unsigned line, char *why, size_t whylen)
{
    struct seen *s = arg;
    (void)line, (void)why, (void)whylen;
    size_t u = strlen(s->text);
    snprintf(s->text + u, sizeof s->text - u, "%s|%s=%s\n", section, key, value);
    return 0;
}

static const struct ini_handlers handlers = {on_section, on_key};

static int parse(const char *text, struct seen *s, char *err, size_t errlen)
{
    s->text[0] = err[0] = '\0';
    return ini_parse(text, strlen(text), "t.conf", &handlers, s, err, errlen);
}

static void test_values_and_comments(void **state)
{
    (void)state;
    static const struct {
        const char *text, *want;
    } cases[] = {
        {"a = 1\n", "|a=1\n"},
        {"  a=1  \n", "|a=1\n"},
        {"db_path = /x   # where\n", "|db_path=/x\n"},
        {"db_path = /x ; where\n", "|db_path=/x\n"},
        {"db_path = /x\t# where\n", "|db_path=/x\n"},
        {"db_path = /a#b;c\n", "|db_path=/a#b;c\n"},
        {"db_path = \"/x # y\"  # c\n", "|db_path=/x # y\n"},
        {"db_path = ' padded '\n", "|db_path= padded \n"},
        {"db_path = \"unclosed # c\n", "|db_path=\"unclosed\n"},
        {"a = b = c\n", "|a=b = c\n"},
        {"a =\n", "|a=\n"},
        {"a = # only a comment\n", "|a=\n"},
        {"# comment\n; comment\n\n   \n", ""},
        {"[one]   # heading\nk = v\n[ two ]\nk = w\n", "[one]\none|k=v\n[two]\ntwo|k=w\n"},
        {"a = 1\r\nb = 2\r\n", "|a=1\n|b=2\n"},
        {"\xEF\xBB\xBF" "a = 1\n", "|a=1\n"},
        {"a = 1", "|a=1\n"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct seen s;
        char err[512];
        if (parse(cases[i].text, &s, err, sizeof err) != 0)
            fail_msg("case %zu: %s", i, err);
        if (strcmp(s.text, cases[i].want) != 0)
            fail_msg("case %zu: got '%s', want '%s'", i, s.text, cases[i].want);
    }
}

/* err must hold "t.conf:LINE:" and the given words. */
static void assert_error(const char *text, unsigned line, const char *words)
{
    struct seen s;
    char err[512], where[64];
    assert_int_equal(parse(text, &s, err, sizeof err), -1);
    snprintf(where, sizeof where, "t.conf:%u:", line);
    if (!strstr(err, where) || !strstr(err, words))
        fail_msg("for '%s': error '%s' lacks '%s' or '%s'", text, err, where, words);
}

static void test_errors(void **state)
{
    (void)state;
    assert_error("a = 1\njust words\n", 2, "key = value");
    assert_error("= 1\n", 1, "key is missing");
    assert_error("[open\n", 1, "section header");
    assert_error("[a] b\n", 1, "section header");
    assert_error("a = \"x\" y\n", 1, "after the closing quote");
    assert_error("a = 1\n[refuse]\n", 2, "no such section");
    struct seen s;
    char err[512];
    assert_int_equal(ini_parse("a = 1\n\0b", 8, "t.conf", &handlers, &s, err, sizeof err), -1);
    assert_non_null(strstr(err, "NUL"));
}

/* Longer than Debian's libinih reads (200 bytes) and read whole; longer
 * than INI_LINE_MAX refused with the line's number. */
static void test_long_lines(void **state)
{
    (void)state;
    size_t n = 5000;
    char *text = malloc(INI_LINE_MAX + 64);
    assert_non_null(text);
    strcpy(text, "bpf = ");
    memset(text + 6, 'x', n);
    strcpy(text + 6 + n, " and y=1\n");
    struct seen s;
    char err[512];
    assert_int_equal(parse(text, &s, err, sizeof err), 0);
    assert_int_equal(strlen(s.text), strlen("|bpf=") + n + strlen(" and y=1\n"));
    strcpy(text, "a = 1\nb = ");
    memset(text + 10, 'x', INI_LINE_MAX);
    strcpy(text + 10 + INI_LINE_MAX, "\n");
    assert_int_equal(parse(text, &s, err, sizeof err), -1);
    assert_non_null(strstr(err, "t.conf:2: line too long"));
    free(text);
}

/* The daemon's file: inline comments after every kind of value. */
static void test_daemon_inline_comments(void **state)
{
    (void)state;
    const char *text = "[daemon]   # the daemon\n"
                       "db_path = /tmp/x   # where\n"
                       "[watcher w]\n"
                       "read_file = f.pcap ; a file\n"
                       "port = 53  # dns\n"
                       "regex = \"^GET #x\"  # quoted: the # is the pattern's\n";
    struct daemon_conf c;
    char err[1200];
    if (daemon_conf_parse(&c, text, strlen(text), "d.conf", DCONF_NO_IFACE_CHECK, err,
                          sizeof err) != 0)
        fail_msg("%s", err);
    assert_string_equal(c.db_path, "/tmp/x");
    assert_string_equal(c.watchers[0].read_file, "f.pcap");
    daemon_conf_free(&c);
}

/* A watcher name longer than libinih keeps of a section name (49 bytes)
 * is read whole, and a section without keys is still seen (refused here:
 * a watcher needs something to watch). */
static void test_daemon_long_and_empty_sections(void **state)
{
    (void)state;
    const char *name = "a_watcher_name_of_sixty_characters_which_libinih_would_cut__";
    char text[512];
    snprintf(text, sizeof text, "[daemon]\n[watcher %s]\nread_file = f.pcap\n", name);
    struct daemon_conf c;
    char err[1200];
    if (daemon_conf_parse(&c, text, strlen(text), "d.conf", DCONF_NO_IFACE_CHECK, err,
                          sizeof err) != 0)
        fail_msg("%s", err);
    assert_string_equal(c.watchers[0].name, name);
    daemon_conf_free(&c);
    const char *empty = "[daemon]\n[watcher w]\n";
    assert_int_equal(daemon_conf_parse(&c, empty, strlen(empty), "d.conf", DCONF_NO_IFACE_CHECK,
                                       err, sizeof err),
                     -1);
}

/* An example configuration of a document: an indented code block. */
struct example {
    char *text;
    unsigned line;
};

/* A `[section]` line or a `key = value` line (key: lower case and '_'). */
static bool looks_ini(const char *s)
{
    s += strspn(s, " ");
    if (*s == '[') /* [name] and nothing but a comment after it */
        return s[1] >= 'a' && s[1] <= 'z' && strchr(s, ']') &&
               strchr("#;\n", *(strchr(s, ']') + 1 + strspn(strchr(s, ']') + 1, " ")));
    size_t k = strspn(s, "abcdefghijklmnopqrstuvwxyz_");
    return k > 0 && s[k + strspn(s + k, " ")] == '=';
}

/* The 4-space indented blocks of a Markdown file that hold a `key = value`
 * or `[section]` line, without the indentation. */
static int examples_of(const char *path, struct example *out, int max)
{
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char line[4096];
    int n = 0;
    unsigned lineno = 0, start = 0;
    char *block = NULL;
    size_t len = 0;
    FILE *acc = NULL;
    bool ini = false;
    for (;;) {
        bool more = fgets(line, sizeof line, f) != NULL;
        lineno += more;
        bool indented = more && strncmp(line, "    ", 4) == 0;
        bool blank = more && line[strspn(line, " \t\r\n")] == '\0';
        if (indented) {
            if (!acc) {
                acc = open_memstream(&block, &len);
                assert_non_null(acc);
                start = lineno;
                ini = false;
            }
            fputs(line + 4, acc);
            ini = ini || looks_ini(line + 4);
        } else if (acc && (!blank || !more)) {
            fclose(acc);
            acc = NULL;
            if (ini && n < max)
                out[n++] = (struct example){block, start};
            else
                free(block);
            block = NULL;
        } else if (acc && blank) {
            fputc('\n', acc);
        }
        if (!more)
            break;
    }
    fclose(f);
    return n;
}

static void test_printed_examples(void **state)
{
    (void)state;
    char dir[4096], path[8192];
    snprintf(dir, sizeof dir, "%s/docs", NETSIFT_SOURCE_DIR);
    DIR *d = opendir(dir);
    assert_non_null(d);
    char *files[64];
    int nfiles = 0;
    files[nfiles++] = strdup(NETSIFT_SOURCE_DIR "/README.md");
    assert_non_null(files[0]);
    for (struct dirent *e; (e = readdir(d)) != NULL && nfiles < 64;) {
        size_t l = strlen(e->d_name);
        if (l > 3 && strcmp(e->d_name + l - 3, ".md") == 0) {
            snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
            files[nfiles++] = strdup(path);
        }
    }
    closedir(d);
    int capture_examples = 0, daemon_examples = 0;
    for (int i = 0; i < nfiles; i++) {
        struct example ex[16];
        int n = examples_of(files[i], ex, 16);
        for (int j = 0; j < n; j++) {
            char err[8400];
            const char *first = ex[j].text + strspn(ex[j].text, " \n");
            if (strncmp(first, "[daemon]", 8) == 0 || strncmp(first, "[watcher", 8) == 0) {
                struct daemon_conf c;
                if (daemon_conf_parse(&c, ex[j].text, strlen(ex[j].text), files[i],
                                      DCONF_NO_IFACE_CHECK, err, sizeof err) != 0)
                    fail_msg("the daemon example at %s:%u: %s", files[i], ex[j].line, err);
                daemon_conf_free(&c);
                daemon_examples++;
            } else if (strncmp(first, "# netsift.conf", 14) == 0) {
                char tmp[] = "/tmp/netsift-example-XXXXXX";
                int fd = mkstemp(tmp);
                assert_true(fd >= 0);
                assert_int_equal(write(fd, ex[j].text, strlen(ex[j].text)),
                                 (ssize_t)strlen(ex[j].text));
                close(fd);
                struct netsift_conf c;
                conf_defaults(&c);
                int rc = conf_load_file(&c, tmp, err, sizeof err);
                unlink(tmp);
                if (rc != 0)
                    fail_msg("the netsift.conf example at %s:%u: %s", files[i], ex[j].line, err);
                /* as printed: the inline comments are not part of the values */
                assert_null(strchr(c.filter, '#'));
                assert_null(strchr(c.db_path, '#'));
                capture_examples++;
            } else {
                fail_msg("%s:%u: an example configuration that is neither the daemon's "
                         "([daemon]/[watcher ...] first) nor netsift.conf ('# netsift.conf' "
                         "first): say which, so that this test reads it",
                         files[i], ex[j].line);
            }
            free(ex[j].text);
        }
        free(files[i]);
    }
    assert_true(capture_examples >= 1);
    assert_true(daemon_examples >= 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_values_and_comments),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_long_lines),
        cmocka_unit_test(test_daemon_inline_comments),
        cmocka_unit_test(test_daemon_long_and_empty_sections),
        cmocka_unit_test(test_printed_examples),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
