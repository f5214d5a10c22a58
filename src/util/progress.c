/*
 * progress.c - terminal progress bar (see progress.h).
 */
#define _GNU_SOURCE
#include "progress.h"

#include <stdio.h>
#include <time.h>

uint64_t monotonic_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

void progress_init(struct progress *p, uint64_t total_bytes, bool enabled, uint64_t now_us)
{
    p->enabled = enabled && total_bytes > 0;
    p->total_bytes = total_bytes;
    p->start_us = now_us;
    p->last_draw_us = 0; /* draw at the first update: feedback at once */
    p->drawn = false;
}

void progress_update(struct progress *p, uint64_t done, uint64_t packets, uint64_t now_us)
{
    if (!p->enabled || (p->drawn && now_us - p->last_draw_us < 250000))
        return;
    p->last_draw_us = now_us;
    p->drawn = true;
    double frac = done >= p->total_bytes ? 1.0 : (double)done / (double)p->total_bytes;
    double secs = (double)(now_us - p->start_us) / 1e6;
    double rate = secs > 0 ? (double)packets / secs : 0;
    double eta = frac > 0 ? secs / frac - secs : 0;
    char bar[31];
    int filled = (int)(frac * 30);
    for (int i = 0; i < 30; i++)
        bar[i] = i < filled ? '#' : '.';
    bar[30] = '\0';
    fprintf(stderr, "\r%3.0f%% [%s] %.1f/%.1f MB  %llu packets  %.0f pkt/s  ETA %.0fs \033[K",
            frac * 100, bar, (double)done / 1e6, (double)p->total_bytes / 1e6,
            (unsigned long long)packets, rate, eta);
    fflush(stderr);
}

void progress_finish(struct progress *p)
{
    if (p->enabled && p->drawn) {
        fputs("\r\033[K", stderr);
        fflush(stderr);
    }
}
