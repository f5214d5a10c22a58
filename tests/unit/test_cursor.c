/*
 * test_cursor.c - the bounds-checked cursor every decoder reads through.
 *
 * Buffers are heap blocks of exactly the size under test, so a read one
 * byte too far is an AddressSanitizer error, not a silent pass.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "decode/cursor.h"

static uint8_t *heap(const char *bytes, size_t n)
{
    uint8_t *p = malloc(n ? n : 1);
    assert_non_null(p);
    memcpy(p, bytes, n);
    return p;
}

static void test_make_and_has(void **state)
{
    (void)state;
    uint8_t *buf = heap("\x01\x02\x03", 3);
    struct cursor c = cursor_make(buf, 3);
    assert_ptr_equal(c.p, buf);
    assert_int_equal(c.left, 3);
    assert_true(cursor_has(&c, 0));
    assert_true(cursor_has(&c, 3));
    assert_false(cursor_has(&c, 4));
    assert_false(cursor_has(&c, SIZE_MAX));
    free(buf);
}

static void test_get_u8_be16_be32(void **state)
{
    (void)state;
    uint8_t *buf = heap("\xab\x12\x34\xde\xad\xbe\xef", 7);
    struct cursor c = cursor_make(buf, 7);
    uint8_t u8 = 0;
    uint16_t u16 = 0;
    uint32_t u32 = 0;
    assert_true(cursor_get_u8(&c, &u8));
    assert_int_equal(u8, 0xab);
    assert_int_equal(c.left, 6);
    assert_true(cursor_get_be16(&c, &u16));
    assert_int_equal(u16, 0x1234);
    assert_int_equal(c.left, 4);
    assert_true(cursor_get_be32(&c, &u32));
    assert_int_equal(u32, 0xdeadbeefu);
    assert_int_equal(c.left, 0);
    assert_ptr_equal(c.p, buf + 7);
    /* empty: every read fails and leaves the value and cursor alone */
    u8 = 0x55;
    assert_false(cursor_get_u8(&c, &u8));
    assert_int_equal(u8, 0x55);
    assert_false(cursor_get_be16(&c, &u16));
    assert_false(cursor_get_be32(&c, &u32));
    assert_int_equal(u16, 0x1234);
    assert_int_equal(u32, 0xdeadbeefu);
    assert_ptr_equal(c.p, buf + 7);
    free(buf);
}

static void test_short_reads_fail_unchanged(void **state)
{
    (void)state;
    uint8_t *buf = heap("\x01\x02\x03", 3);
    struct cursor c = cursor_make(buf + 2, 1); /* one byte left */
    uint16_t u16 = 0x7777;
    uint32_t u32 = 0x77777777;
    assert_false(cursor_get_be16(&c, &u16));
    assert_int_equal(u16, 0x7777);
    assert_ptr_equal(c.p, buf + 2);
    assert_int_equal(c.left, 1);

    c = cursor_make(buf, 3);
    assert_false(cursor_get_be32(&c, &u32));
    assert_int_equal(u32, 0x77777777);
    assert_ptr_equal(c.p, buf);
    assert_int_equal(c.left, 3);
    free(buf);
}

static void test_peek_offsets(void **state)
{
    (void)state;
    uint8_t *buf = heap("\x10\x20\x30\x40\x50", 5);
    struct cursor c = cursor_make(buf, 5);
    uint8_t u8;
    uint16_t u16;
    uint32_t u32;
    assert_true(cursor_peek_u8(&c, 4, &u8));
    assert_int_equal(u8, 0x50);
    assert_false(cursor_peek_u8(&c, 5, &u8));
    assert_true(cursor_peek_be16(&c, 3, &u16));
    assert_int_equal(u16, 0x4050);
    assert_false(cursor_peek_be16(&c, 4, &u16));
    assert_true(cursor_peek_be32(&c, 1, &u32));
    assert_int_equal(u32, 0x20304050u);
    assert_false(cursor_peek_be32(&c, 2, &u32));
    /* offsets near SIZE_MAX must not wrap around */
    assert_false(cursor_peek_u8(&c, SIZE_MAX, &u8));
    assert_false(cursor_peek_be16(&c, SIZE_MAX, &u16));
    assert_false(cursor_peek_be16(&c, SIZE_MAX - 1, &u16));
    assert_false(cursor_peek_be32(&c, SIZE_MAX - 2, &u32));
    assert_false(cursor_peek_be32(&c, SIZE_MAX, &u32));
    /* peeks never move the cursor */
    assert_ptr_equal(c.p, buf);
    assert_int_equal(c.left, 5);
    free(buf);
}

static void test_peek_on_tiny_windows(void **state)
{
    (void)state;
    uint8_t *buf = heap("\x99", 1);
    struct cursor c = cursor_make(buf, 1);
    uint16_t u16;
    uint32_t u32;
    assert_false(cursor_peek_be16(&c, 0, &u16));
    assert_false(cursor_peek_be32(&c, 0, &u32));
    struct cursor empty = cursor_make(buf + 1, 0);
    uint8_t u8;
    assert_false(cursor_peek_u8(&empty, 0, &u8));
    assert_false(cursor_peek_be16(&empty, 0, &u16));
    assert_false(cursor_peek_be32(&empty, 0, &u32));
    assert_true(cursor_skip(&empty, 0));
    assert_false(cursor_skip(&empty, 1));
    free(buf);
}

static void test_skip(void **state)
{
    (void)state;
    uint8_t *buf = heap("abcdef", 6);
    struct cursor c = cursor_make(buf, 6);
    assert_true(cursor_skip(&c, 2));
    assert_ptr_equal(c.p, buf + 2);
    assert_int_equal(c.left, 4);
    assert_false(cursor_skip(&c, 5));
    assert_ptr_equal(c.p, buf + 2);
    assert_int_equal(c.left, 4);
    assert_false(cursor_skip(&c, SIZE_MAX));
    assert_true(cursor_skip(&c, 4));
    assert_int_equal(c.left, 0);
    assert_ptr_equal(c.p, buf + 6);
    free(buf);
}

static void test_sub(void **state)
{
    (void)state;
    uint8_t *buf = heap("abcdef", 6);
    struct cursor c = cursor_make(buf, 6);
    cursor_skip(&c, 1);
    struct cursor s = cursor_sub(&c, 3);
    assert_ptr_equal(s.p, buf + 1);
    assert_int_equal(s.left, 3);
    s = cursor_sub(&c, 100); /* clipped to what is left */
    assert_int_equal(s.left, 5);
    s = cursor_sub(&c, 0);
    assert_int_equal(s.left, 0);
    /* the parent is not moved */
    assert_ptr_equal(c.p, buf + 1);
    assert_int_equal(c.left, 5);
    /* a sub-cursor cannot read past its own end */
    s = cursor_sub(&c, 2);
    uint8_t u8;
    assert_true(cursor_peek_u8(&s, 1, &u8));
    assert_int_equal(u8, 'c');
    assert_false(cursor_peek_u8(&s, 2, &u8));
    free(buf);
}

static void test_get_bytes(void **state)
{
    (void)state;
    uint8_t *buf = heap("\x01\x02\x03\x04", 4);
    struct cursor c = cursor_make(buf, 4);
    uint8_t out[8];
    memset(out, 0xee, sizeof out);
    assert_true(cursor_get_bytes(&c, out, 3));
    assert_memory_equal(out, "\x01\x02\x03", 3);
    assert_int_equal(out[3], 0xee);
    assert_int_equal(c.left, 1);
    memset(out, 0xee, sizeof out);
    assert_false(cursor_get_bytes(&c, out, 2));
    assert_int_equal(out[0], 0xee); /* nothing copied */
    assert_int_equal(c.left, 1);
    assert_true(cursor_get_bytes(&c, out, 0));
    assert_true(cursor_get_bytes(&c, out, 1));
    assert_int_equal(out[0], 0x04);
    assert_int_equal(c.left, 0);
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_make_and_has),
        cmocka_unit_test(test_get_u8_be16_be32),
        cmocka_unit_test(test_short_reads_fail_unchanged),
        cmocka_unit_test(test_peek_offsets),
        cmocka_unit_test(test_peek_on_tiny_windows),
        cmocka_unit_test(test_skip),
        cmocka_unit_test(test_sub),
        cmocka_unit_test(test_get_bytes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
