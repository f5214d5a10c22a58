/*
 * test_ring.c - the reader-to-worker ring (src/capture/ring.c): a producer
 * thread pushes 200,000 frames of varying sizes through a small ring (so
 * it wraps and fills thousands of times) while this thread consumes them;
 * every frame must come out once, in order, with its number, timestamp,
 * lengths and bytes intact, and the ring must then report done.  Also: a
 * non-blocking push on a full ring says full and drops nothing that was
 * pushed before; a frame too large for the ring is refused.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "capture/ring.h"

#define FRAMES 200000u
#define RING_SIZE (64u * 1024)

static uint32_t frame_len(uint64_t n)
{
    return (uint32_t)((n * 2654435761u) % 1500u) + 1u; /* 1..1500 bytes */
}

static uint8_t frame_byte(uint64_t n, uint32_t i)
{
    return (uint8_t)(n * 31u + i * 7u);
}

static void *producer(void *arg)
{
    struct ring *r = arg;
    static uint8_t buf[1500];
    for (uint64_t n = 1; n <= FRAMES; n++) {
        uint32_t len = frame_len(n);
        for (uint32_t i = 0; i < len; i++)
            buf[i] = frame_byte(n, i);
        if (!ring_push(r, n, n * 1000u, len, len + 4u, buf))
            abort();
    }
    ring_close(r);
    return NULL;
}

static void test_threads_in_order(void **state)
{
    (void)state;
    struct ring r;
    assert_int_equal(ring_init(&r, RING_SIZE), 0);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, producer, &r), 0);
    uint64_t expect = 1;
    for (;;) {
        struct ring_packet p;
        bool done;
        if (!ring_peek(&r, &p, &done)) {
            if (done)
                break;
            continue;
        }
        assert_int_equal(p.number, expect);
        assert_int_equal(p.timestamp_us, expect * 1000u);
        uint32_t len = frame_len(expect);
        assert_int_equal(p.caplen, len);
        assert_int_equal(p.length, len + 4u);
        for (uint32_t i = 0; i < len; i++)
            if (p.data[i] != frame_byte(expect, i))
                fail_msg("frame %llu byte %u differs", (unsigned long long)expect, i);
        ring_release(&r);
        expect++;
    }
    assert_int_equal(expect, FRAMES + 1);
    pthread_join(t, NULL);
    assert_true(r.full_waits > 0); /* the small ring did fill */
    ring_free(&r);
}

static void test_try_push_full(void **state)
{
    (void)state;
    struct ring r;
    assert_int_equal(ring_init(&r, 16 * 1024), 0);
    uint8_t frame[1000];
    memset(frame, 0x5a, sizeof frame);
    bool full = false;
    uint64_t pushed = 0;
    while (ring_try_push(&r, pushed + 1, 0, sizeof frame, sizeof frame, frame, &full))
        pushed++;
    assert_true(full);
    assert_true(pushed >= 10);
    /* everything pushed is there, in order */
    for (uint64_t n = 1; n <= pushed; n++) {
        struct ring_packet p;
        bool done;
        assert_true(ring_peek(&r, &p, &done));
        assert_int_equal(p.number, n);
        ring_release(&r);
    }
    /* and there is room again */
    assert_true(ring_try_push(&r, 99, 0, sizeof frame, sizeof frame, frame, &full));
    /* a frame larger than half the ring never fits */
    static uint8_t big[9000];
    assert_false(ring_try_push(&r, 100, 0, sizeof big, sizeof big, big, &full));
    assert_false(full);
    assert_false(ring_push(&r, 100, 0, sizeof big, sizeof big, big));
    ring_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_threads_in_order),
        cmocka_unit_test(test_try_push_full),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
