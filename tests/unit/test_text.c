/*
 * test_text.c - text_escape() (printable ASCII and valid UTF-8 pass,
 * everything else as \DDD, output size limits) and the address formats.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "util/text.h"

/* Escape n bytes (from an exact-size heap copy) into a large buffer. */
static size_t esc(const char *in, size_t n, bool dot, char *out, size_t out_size)
{
    uint8_t *h = malloc(n ? n : 1);
    assert_non_null(h);
    memcpy(h, in, n);
    size_t r = text_escape(h, n, out, out_size, dot);
    free(h);
    return r;
}

static void test_escape_table(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        size_t n;
        bool dot;
        const char *out;
    } cases[] = {
        {"", 0, false, ""},
        {"hello world", 11, false, "hello world"},
        {"~!@#$%^&*()_+{}|:\"<>?`-=[];',./", 31, false, "~!@#$%^&*()_+{}|:\"<>?`-=[];',./"},
        {"a.b", 3, false, "a.b"},
        {"a.b", 3, true, "a\\.b"},
        {"..", 2, true, "\\.\\."},
        {"back\\slash", 10, false, "back\\\\slash"},
        {"back\\slash", 10, true, "back\\\\slash"},
        {"\x00", 1, false, "\\000"},
        {"\x01\x1f\x7f", 3, false, "\\001\\031\\127"},
        {"\t\r\n", 3, false, "\\009\\013\\010"},
        {"\x80", 1, false, "\\128"},
        {"\xff\xfe", 2, false, "\\255\\254"},
        {"caf\xc3\xa9", 5, false, "caf\xc3\xa9"},           /* U+00E9 */
        {"\xc2\x80", 2, false, "\xc2\x80"},                 /* U+0080, smallest 2-byte */
        {"\xdf\xbf", 2, false, "\xdf\xbf"},                 /* U+07FF */
        {"\xe0\xa0\x80", 3, false, "\xe0\xa0\x80"},         /* U+0800 */
        {"\xe2\x82\xac", 3, false, "\xe2\x82\xac"},         /* euro sign */
        {"\xef\xbf\xbd", 3, false, "\xef\xbf\xbd"},         /* U+FFFD */
        {"\xf0\x90\x80\x80", 4, false, "\xf0\x90\x80\x80"}, /* U+10000 */
        {"\xf4\x8f\xbf\xbf", 4, false, "\xf4\x8f\xbf\xbf"}, /* U+10FFFF */
        {"\xc0\xaf", 2, false, "\\192\\175"},               /* overlong '/' */
        {"\xc1\xbf", 2, false, "\\193\\191"},
        {"\xe0\x80\xaf", 3, false, "\\224\\128\\175"},          /* overlong 3-byte */
        {"\xf0\x80\x80\xaf", 4, false, "\\240\\128\\128\\175"}, /* overlong 4-byte */
        {"\xed\xa0\x80", 3, false, "\\237\\160\\128"},          /* surrogate U+D800 */
        {"\xed\xbf\xbf", 3, false, "\\237\\191\\191"},          /* surrogate U+DFFF */
        {"\xf4\x90\x80\x80", 4, false, "\\244\\144\\128\\128"}, /* above U+10FFFF */
        {"\xf5\x80\x80\x80", 4, false, "\\245\\128\\128\\128"},
        {"\xe2\x82", 2, false, "\\226\\130"}, /* cut at the end */
        {"\xc3"
         "A",
         2, false, "\\195A"}, /* bad continuation */
        {"\xe2\x28\xa1", 3, false, "\\226(\\161"},
        {"a\xc3\xa9.\x01", 5, true, "a\xc3\xa9\\.\\001"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char out[256];
        size_t r = esc(cases[i].in, cases[i].n, cases[i].dot, out, sizeof out);
        assert_string_equal(out, cases[i].out);
        assert_int_equal(r, strlen(cases[i].out));
    }
}

static void test_escape_every_byte(void **state)
{
    (void)state;
    /* a lone byte: printable ASCII as itself, everything else \DDD */
    for (int v = 0; v < 256; v++) {
        char in = (char)v, out[16], want[16];
        if (v == '\\')
            strcpy(want, "\\\\");
        else if (v >= 0x20 && v < 0x7f)
            want[0] = (char)v, want[1] = '\0';
        else
            snprintf(want, sizeof want, "\\%03d", v);
        size_t r = esc(&in, 1, false, out, sizeof out);
        assert_string_equal(out, want);
        assert_int_equal(r, strlen(want));
    }
}

static void test_escape_output_size(void **state)
{
    (void)state;
    char out[16];
    memset(out, 'Q', sizeof out);
    assert_int_equal(esc("abc", 3, false, out, 4), 3);
    assert_string_equal(out, "abc");

    memset(out, 'Q', sizeof out);
    assert_int_equal(esc("abc", 3, false, out, 3), (size_t)-1);
    assert_string_equal(out, "ab");
    assert_int_equal(out[3], 'Q');

    memset(out, 'Q', sizeof out);
    assert_int_equal(esc("abc", 3, false, out, 1), (size_t)-1);
    assert_string_equal(out, "");
    assert_int_equal(out[1], 'Q');

    memset(out, 'Q', sizeof out);
    assert_int_equal(esc("abc", 3, false, out, 0), (size_t)-1);
    assert_int_equal(out[0], 'Q');

    /* empty input fits in one byte */
    memset(out, 'Q', sizeof out);
    assert_int_equal(esc("", 0, false, out, 1), 0);
    assert_string_equal(out, "");

    /* an escape or a UTF-8 sequence is never cut in half */
    memset(out, 'Q', sizeof out);
    assert_int_equal(esc("a\x01", 2, false, out, 5), (size_t)-1);
    assert_string_equal(out, "a");
    memset(out, 'Q', sizeof out);
    assert_int_equal(esc("a\x01", 2, false, out, 6), 5);
    assert_string_equal(out, "a\\001");
    memset(out, 'Q', sizeof out);
    assert_int_equal(esc("a\xe2\x82\xac", 4, false, out, 4), (size_t)-1);
    assert_string_equal(out, "a");
    memset(out, 'Q', sizeof out);
    assert_int_equal(esc("a.", 2, true, out, 3), (size_t)-1);
    assert_string_equal(out, "a");
}

static void test_format_hex_colon(void **state)
{
    (void)state;
    char out[3 * 16];
    format_hex_colon((const uint8_t *)"\x00\xab\x10\xff\x09\xC0", 6, out);
    assert_string_equal(out, "00:ab:10:ff:09:c0");
    format_hex_colon((const uint8_t *)"\x7f", 1, out);
    assert_string_equal(out, "7f");
    memset(out, 'Q', sizeof out);
    format_hex_colon((const uint8_t *)"", 0, out);
    assert_string_equal(out, "");
    uint8_t all[16];
    for (int i = 0; i < 16; i++)
        all[i] = (uint8_t)(i * 17);
    format_hex_colon(all, 16, out);
    assert_string_equal(out, "00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff");
    assert_int_equal(strlen(out), 47);
}

static void test_format_ip4(void **state)
{
    (void)state;
    char out[16];
    format_ip4((const uint8_t *)"\xc0\xa8\x01\xfe", out);
    assert_string_equal(out, "192.168.1.254");
    format_ip4((const uint8_t *)"\x00\x00\x00\x00", out);
    assert_string_equal(out, "0.0.0.0");
    format_ip4((const uint8_t *)"\xff\xff\xff\xff", out);
    assert_string_equal(out, "255.255.255.255");
    format_ip4((const uint8_t *)"\x0a\x00\x00\x01", out);
    assert_string_equal(out, "10.0.0.1");
}

static void test_format_ip6_rfc5952(void **state)
{
    (void)state;
    static const struct {
        const char *bytes;
        const char *text;
    } cases[] = {
        {"\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01", "2001:db8::1"},
        {"\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", "::"},
        {"\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\x01", "::1"},
        {"\xfe\x80\0\0\0\0\0\0\x02\x11\x22\xff\xfe\x33\x44\x55", "fe80::211:22ff:fe33:4455"},
        /* a single zero field is not compressed (RFC 5952 4.2.2) */
        {"\x20\x01\x0d\xb8\0\0\0\x01\0\x01\0\x01\0\x01\0\x01", "2001:db8:0:1:1:1:1:1"},
        /* the longest run is compressed (4.2.3) */
        {"\x20\x01\0\0\0\0\0\x01\0\0\0\0\0\0\0\x01", "2001:0:0:1::1"},
        /* the first of equal runs (4.2.3) */
        {"\x20\x01\x0d\xb8\0\0\0\0\0\x01\0\0\0\0\0\x01", "2001:db8::1:0:0:1"},
        /* lower case, no leading zeros (4.3, 4.1) */
        {"\x20\x01\x0d\xb8\x00\xAB\x0C\xDE\x00\x00\x00\x00\x00\x00\xF0\x0F",
         "2001:db8:ab:cde::f00f"},
        {"\xff\x02\0\0\0\0\0\0\0\0\0\0\0\0\0\xfb", "ff02::fb"},
        {"\0\0\0\0\0\0\0\0\0\0\xff\xff\xc0\x00\x02\x01", "::ffff:192.0.2.1"},
        {"\x20\x01\x0d\xb8\x00\x01\x00\x02\x00\x03\x00\x04\x00\x05\x00\x00",
         "2001:db8:1:2:3:4:5:0"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char out[ADDR_TEXT_MAX];
        format_ip6((const uint8_t *)cases[i].bytes, out);
        assert_string_equal(out, cases[i].text);
    }
}

static void test_format_addr(void **state)
{
    (void)state;
    char out[ADDR_TEXT_MAX];
    format_addr((const uint8_t *)"\x0a\x01\x02\x03", 4, out);
    assert_string_equal(out, "10.1.2.3");
    format_addr((const uint8_t *)"\xfe\x80\0\0\0\0\0\0\0\0\0\0\0\0\0\x01", 16, out);
    assert_string_equal(out, "fe80::1");
    format_addr((const uint8_t *)"\x00\x1b\x21\xaa\xbb\xcc", 6, out);
    assert_string_equal(out, "00:1b:21:aa:bb:cc");
    format_addr((const uint8_t *)"\x01\x02", 2, out);
    assert_string_equal(out, "01:02");
    format_addr((const uint8_t *)"", 0, out);
    assert_string_equal(out, "");
    /* longer than 16 bytes: the first 16 in colon hex */
    uint8_t big[20];
    for (int i = 0; i < 20; i++)
        big[i] = (uint8_t)(0xa0 + i);
    format_addr(big, 20, out);
    assert_string_equal(out, "a0:a1:a2:a3:a4:a5:a6:a7:a8:a9:aa:ab:ac:ad:ae:af");
    assert_true(strlen(out) < ADDR_TEXT_MAX);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_escape_table),       cmocka_unit_test(test_escape_every_byte),
        cmocka_unit_test(test_escape_output_size), cmocka_unit_test(test_format_hex_colon),
        cmocka_unit_test(test_format_ip4),         cmocka_unit_test(test_format_ip6_rfc5952),
        cmocka_unit_test(test_format_addr),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
