/*
 * test_json.c - the one JSON writer (util/json.h) and the summary built
 * on it (util/report.h): any bytes give valid JSON in valid UTF-8 (read
 * back by jansson's own parser, which refuses invalid UTF-8), valid UTF-8
 * is kept as it is, each invalid byte becomes U+FFFD.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "util/json.h"
#include "util/report.h"

/* The text json_print writes for v (malloc'd). */
static char *printed(const json_t *v)
{
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    assert_non_null(f);
    assert_int_equal(json_print(f, v), 0);
    fclose(f);
    return out;
}

/* The string that json_text_n(s, n) gives, read back by jansson's parser. */
static void round_trip(const char *s, size_t n, const char *want, size_t want_len)
{
    json_t *v = json_text_n(s, n);
    assert_non_null(v);
    char *text = printed(v);
    json_error_t e;
    json_t *back = json_loads(text, JSON_DECODE_ANY | JSON_ALLOW_NUL, &e);
    if (!back)
        fail_msg("not valid JSON: %s (%s)", text, e.text);
    assert_int_equal(json_string_length(back), want_len);
    assert_memory_equal(json_string_value(back), want, want_len);
    json_decref(back);
    json_decref(v);
    free(text);
}

static void test_text(void **state)
{
    (void)state;
    round_trip("plain", 5, "plain", 5);
    round_trip("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80", 14, "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80", 14);
    round_trip("q\"b\\s\n\x01", 7, "q\"b\\s\n\x01", 7);
    round_trip("a\0b", 3, "a\0b", 3);
    round_trip("\xFF", 1, "\xEF\xBF\xBD", 3);                          /* never valid */
    round_trip("x\xC3", 2, "x\xEF\xBF\xBD", 4);                        /* cut short */
    round_trip("\xC0\xAF", 2, "\xEF\xBF\xBD\xEF\xBF\xBD", 6);          /* overlong '/' */
    round_trip("\xED\xA0\x80", 3, "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD", 9); /* a surrogate */
    round_trip("\xF4\x90\x80\x80", 4,
               "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD", 12); /* above U+10FFFF */
    round_trip("\x80" "ok", 3, "\xEF\xBF\xBD" "ok", 5);
}

/* Random bytes, as a packet or a foreign file brings them: always JSON
 * that jansson reads back. */
static void test_any_bytes(void **state)
{
    (void)state;
    uint32_t x = 2463534242u;
    unsigned char buf[64];
    for (int round = 0; round < 20000; round++) {
        size_t n = (size_t)(round % 64);
        for (size_t i = 0; i < n; i++) {
            x ^= x << 13, x ^= x >> 17, x ^= x << 5;
            buf[i] = (unsigned char)(round & 1 ? x : 0x80 | (x & 0x7f));
        }
        json_t *v = json_text_n((const char *)buf, n);
        assert_non_null(v);
        char *text = printed(v);
        json_t *back = json_loads(text, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
        if (!back)
            fail_msg("round %d: not valid JSON: %s", round, text);
        json_decref(back);
        json_decref(v);
        free(text);
    }
}

/* The summary: sections, numbers, a source name that is not UTF-8. */
static void test_report(void **state)
{
    (void)state;
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    assert_non_null(f);
    struct report r;
    report_begin(&r, f, true);
    report_str(&r, "source", "/tmp/caf\xE9.pcap");
    report_u64(&r, "packets", 82);
    report_section(&r, "headers");
    report_double(&r, "seconds", 0.1);
    report_u64(&r, "big", UINT64_MAX);
    report_end_section(&r);
    report_u64(&r, "after", 1);
    report_end(&r);
    fclose(f);
    json_error_t e;
    json_t *back = json_loads(out, 0, &e);
    if (!back)
        fail_msg("not valid JSON: %s (%s)", out, e.text);
    assert_string_equal(json_string_value(json_object_get(back, "source")), "/tmp/caf\xEF\xBF\xBD.pcap");
    assert_int_equal(json_integer_value(json_object_get(back, "packets")), 82);
    assert_int_equal(json_integer_value(json_object_get(back, "after")), 1);
    json_t *h = json_object_get(back, "headers");
    assert_true(json_real_value(json_object_get(h, "seconds")) == 0.1);
    assert_non_null(strstr(out, "\"seconds\":0.1,"));
    assert_true(json_real_value(json_object_get(h, "big")) > 1.8e19);
    /* keys in the order given */
    assert_true(strstr(out, "\"source\"") < strstr(out, "\"packets\"") &&
                strstr(out, "\"headers\"") < strstr(out, "\"after\""));
    json_decref(back);
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_text),
        cmocka_unit_test(test_any_bytes),
        cmocka_unit_test(test_report),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
