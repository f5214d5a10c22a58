/*
 * budget.h - one memory budget (--memory) for the whole capture.
 *
 * Each sink has caps that bound what it holds however long the capture
 * runs: the monitor's flow table, the audit flow tables, the reassembly
 * memcap, the batches of rows waiting for a database.  Each default is
 * sized for that sink alone; with every sink on and every cap full at once
 * (a SYN flood from distinct addresses fills them all within seconds) they
 * add up to far more than one budget.  So before the sinks open, each
 * enabled sink states what it holds: fixed bytes (a page cache, nDPI's
 * per-worker module) and caps, each a number of units of a known size.
 * memory_plan_fit() then lowers, in one proportion, every cap the user did
 * not set, until fixed bytes, set caps and lowered caps fit the budget.
 * A cap is never raised, and never lowered below its minimum.
 *
 * The unit sizes are measured, not computed from sizeof: they include the
 * allocator's overhead and what a full cap drags along (a flow's nDPI
 * state, its fingerprint collector).  bench/memory.sh checks the result.
 */
#ifndef NETSIFT_BUDGET_H
#define NETSIFT_BUDGET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MEMORY_PLAN_MAX 24

/* Part of the budget kept back for what no sink states: the allocator's
 * per-thread arenas and fragmentation.  Small, because the stated sizes
 * are those of the worst traffic for each cap at once. */
#define MEMORY_SLACK_PERCENT 5

struct memory_item {
    const char *what;    /* "monitor flow table", for --help-like listings and tests */
    uint64_t *cap;       /* the cap's field; NULL: fixed bytes */
    double unit_bytes;   /* bytes one unit of *cap costs when full */
    uint64_t min_units;  /* never lowered below */
    uint64_t units;      /* *cap when it was stated */
    bool lowerable;      /* a cap the user did not set */
};

struct memory_plan {
    uint64_t budget; /* bytes; 0: no budget, nothing is lowered */
    struct memory_item item[MEMORY_PLAN_MAX];
    size_t n;
    /* set by memory_plan_fit() */
    uint64_t fixed_bytes;  /* fixed items and caps the user set */
    uint64_t wanted_bytes; /* lowerable caps at their defaults */
    uint64_t planned_bytes; /* everything, after lowering */
    unsigned caps_percent; /* lowerable caps' size after / before, 1-100 */
};

void memory_plan_init(struct memory_plan *p, uint64_t budget);

/* Bytes held whatever the caps. */
void memory_fixed(struct memory_plan *p, const char *what, uint64_t bytes);

/* A cap: *cap units of unit_bytes each.  given: the user set it, so it
 * is kept (and counted as fixed). */
void memory_cap(struct memory_plan *p, const char *what, uint64_t *cap, double unit_bytes,
                uint64_t min_units, bool given);

/* What an item holds at most now: a cap at its current value, or its
 * fixed bytes. */
uint64_t memory_item_bytes(const struct memory_item *it);

/* Lower the lowerable caps in one proportion until the plan fits
 * budget less MEMORY_SLACK_PERCENT.  Returns false when even the fixed
 * bytes and the caps at their minimums exceed it (the caps are then at
 * their minimums; the caller warns). */
bool memory_plan_fit(struct memory_plan *p);

#endif
