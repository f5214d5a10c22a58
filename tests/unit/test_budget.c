/*
 * test_budget.c - the memory budget (capture/budget.h): nothing is lowered
 * when the plan fits; caps the user did not set are lowered in one
 * proportion, never below their minimums (the others then take the rest);
 * caps the user set and fixed bytes are kept; no budget lowers nothing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "capture/budget.h"

#define MIB (1ull << 20)
/* what a plan may take: the budget less its slack */
#define TARGET(b) ((b) / 100 * (100 - MEMORY_SLACK_PERCENT))

static void test_fits_untouched(void **state)
{
    (void)state;
    struct memory_plan p;
    memory_plan_init(&p, 256 * MIB);
    uint64_t flows = 1000, batch = 10 * MIB;
    memory_fixed(&p, "process", 12 * MIB);
    memory_cap(&p, "flows", &flows, 1024, 100, false);
    memory_cap(&p, "batches", &batch, 1, MIB, false);
    assert_true(memory_plan_fit(&p));
    assert_int_equal(flows, 1000);
    assert_int_equal(batch, 10 * MIB);
    assert_int_equal(p.caps_percent, 100);
    assert_int_equal(p.planned_bytes, 12 * MIB + 1000 * 1024 + 10 * MIB);
}

static void test_lowered_in_proportion(void **state)
{
    (void)state;
    struct memory_plan p;
    memory_plan_init(&p, 100 * MIB);
    uint64_t flows = 200000, batch = 100 * MIB, given = 1000;
    memory_fixed(&p, "process", 20 * MIB);
    memory_cap(&p, "flows", &flows, 512, 1000, false); /* 97.7 MiB */
    memory_cap(&p, "batches", &batch, 1, MIB, false);
    memory_cap(&p, "set by the user", &given, 10 * 1024, 10, true); /* 9.8 MiB, kept */
    assert_true(memory_plan_fit(&p));
    assert_int_equal(given, 1000);
    /* both lowered by the same factor */
    double f1 = (double)flows / 200000, f2 = (double)batch / (100 * MIB);
    assert_true(f1 > 0.2 && f1 < 0.4);
    assert_true(f1 - f2 < 0.001 && f2 - f1 < 0.001);
    assert_true(p.planned_bytes <= TARGET(100 * MIB));
    assert_true(p.planned_bytes > TARGET(100 * MIB) - MIB); /* and the room is used */
    assert_int_equal(p.fixed_bytes, 20 * MIB + 1000 * 10 * 1024);
    assert_true(p.caps_percent >= 20 && p.caps_percent <= 40);
}

static void test_minimums_then_the_rest(void **state)
{
    (void)state;
    struct memory_plan p;
    memory_plan_init(&p, 64 * MIB);
    /* the first cap's minimum (40 MiB) is above its share: it stays at it,
     * and the second takes what is left */
    uint64_t a = 100 * MIB, b = 100 * MIB;
    memory_cap(&p, "a", &a, 1, 40 * MIB, false);
    memory_cap(&p, "b", &b, 1, MIB, false);
    assert_true(memory_plan_fit(&p));
    assert_int_equal(a, 40 * MIB);
    assert_true(b >= TARGET(64 * MIB) - 40 * MIB - 1 && b <= TARGET(64 * MIB) - 40 * MIB);

    /* minimums above the budget: they are kept, and the plan says so */
    memory_plan_init(&p, 64 * MIB);
    a = b = 100 * MIB;
    memory_fixed(&p, "process", 30 * MIB);
    memory_cap(&p, "a", &a, 1, 40 * MIB, false);
    memory_cap(&p, "b", &b, 1, 20 * MIB, false);
    assert_false(memory_plan_fit(&p));
    assert_int_equal(a, 40 * MIB);
    assert_int_equal(b, 20 * MIB);
    assert_int_equal(p.planned_bytes, 90 * MIB);
}

static void test_no_budget_and_never_raised(void **state)
{
    (void)state;
    struct memory_plan p;
    memory_plan_init(&p, 0);
    uint64_t flows = 1u << 30;
    memory_cap(&p, "flows", &flows, 4096, 1, false);
    assert_true(memory_plan_fit(&p));
    assert_int_equal(flows, 1u << 30);

    /* a cap whose default is under its minimum keeps its default */
    memory_plan_init(&p, 32 * MIB);
    uint64_t small = 10, big = 1ull << 40;
    memory_cap(&p, "small", &small, 1, 1000, false);
    memory_cap(&p, "big", &big, 1, 1, false);
    memory_plan_fit(&p);
    assert_int_equal(small, 10);
    assert_true(big <= TARGET(32 * MIB));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fits_untouched),
        cmocka_unit_test(test_lowered_in_proportion),
        cmocka_unit_test(test_minimums_then_the_rest),
        cmocka_unit_test(test_no_budget_and_never_raised),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
