/*
 * budget.c - fitting the sinks' caps to one memory budget (see budget.h).
 */
#include "budget.h"

#include <string.h>

void memory_plan_init(struct memory_plan *p, uint64_t budget)
{
    memset(p, 0, sizeof *p);
    p->budget = budget;
    p->caps_percent = 100;
}

static struct memory_item *add_item(struct memory_plan *p, const char *what)
{
    if (p->n == MEMORY_PLAN_MAX)
        return NULL; /* a programming error: the table is sized for every sink's items */
    struct memory_item *it = &p->item[p->n++];
    memset(it, 0, sizeof *it);
    it->what = what;
    return it;
}

void memory_fixed(struct memory_plan *p, const char *what, uint64_t bytes)
{
    struct memory_item *it = add_item(p, what);
    if (it) {
        it->units = bytes;
        it->unit_bytes = 1;
    }
}

void memory_cap(struct memory_plan *p, const char *what, uint64_t *cap, double unit_bytes,
                uint64_t min_units, bool given)
{
    struct memory_item *it = add_item(p, what);
    if (!it)
        return;
    it->cap = cap;
    it->units = *cap;
    it->unit_bytes = unit_bytes;
    it->min_units = min_units < *cap ? min_units : *cap;
    it->lowerable = !given;
}

static uint64_t item_bytes(const struct memory_item *it, uint64_t units)
{
    double b = (double)units * it->unit_bytes;
    return b >= 0x1p64 ? UINT64_MAX : (uint64_t)b;
}

uint64_t memory_item_bytes(const struct memory_item *it)
{
    return it->cap ? item_bytes(it, *it->cap) : it->units;
}

static uint64_t add_sat(uint64_t a, uint64_t b)
{
    return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

bool memory_plan_fit(struct memory_plan *p)
{
    p->fixed_bytes = p->wanted_bytes = 0;
    for (size_t i = 0; i < p->n; i++) {
        const struct memory_item *it = &p->item[i];
        if (it->lowerable)
            p->wanted_bytes = add_sat(p->wanted_bytes, item_bytes(it, it->units));
        else
            p->fixed_bytes = add_sat(p->fixed_bytes, item_bytes(it, it->units));
    }
    p->planned_bytes = add_sat(p->fixed_bytes, p->wanted_bytes);
    p->caps_percent = 100;
    uint64_t target = p->budget / 100 * (100 - MEMORY_SLACK_PERCENT);
    if (p->budget == 0 || p->planned_bytes <= target)
        return true;

    /* Water-filling: lower every cap in one proportion; a cap that would
     * fall below its minimum stays there, and the proportion of the rest
     * is worked out again without it. */
    bool at_min[MEMORY_PLAN_MAX] = {false};
    double scale = 0;
    for (size_t round = 0; round <= p->n; round++) {
        uint64_t room = target, scalable = 0;
        for (size_t i = 0; i < p->n; i++) {
            const struct memory_item *it = &p->item[i];
            uint64_t b = item_bytes(it, it->lowerable && at_min[i] ? it->min_units : it->units);
            if (it->lowerable && !at_min[i])
                scalable = add_sat(scalable, b);
            else
                room = room > b ? room - b : 0;
        }
        scale = scalable ? (double)room / (double)scalable : 0;
        bool clamped = false;
        for (size_t i = 0; i < p->n; i++) {
            const struct memory_item *it = &p->item[i];
            if (it->lowerable && !at_min[i] && (double)it->units * scale < (double)it->min_units)
                at_min[i] = clamped = true;
        }
        if (!clamped)
            break;
    }
    if (scale > 1)
        scale = 1;

    uint64_t lowered = 0;
    p->planned_bytes = p->fixed_bytes;
    for (size_t i = 0; i < p->n; i++) {
        struct memory_item *it = &p->item[i];
        if (!it->lowerable)
            continue;
        uint64_t units = at_min[i] ? it->min_units : (uint64_t)((double)it->units * scale);
        if (units < it->min_units)
            units = it->min_units;
        *it->cap = units;
        lowered = add_sat(lowered, item_bytes(it, units));
    }
    p->planned_bytes = add_sat(p->planned_bytes, lowered);
    unsigned pct = p->wanted_bytes ? (unsigned)((double)lowered * 100 / (double)p->wanted_bytes + 0.5)
                                   : 100;
    p->caps_percent = pct < 1 ? 1 : pct > 100 ? 100 : pct;
    return p->planned_bytes <= target;
}
