/*
 * fuzz_stream.c - libFuzzer harness for TCP reassembly and the HTTP
 * parser together (src/stream/).
 *
 * The input is a script of segments on one connection (and a second one
 * on other ports, to exercise the table): each segment is a 4-byte
 * header (byte 0: bit 0 direction, bit 1 SYN, bit 2 FIN, bit 3 RST,
 * bit 4 second connection; bytes 1-2: big-endian sequence offset from
 * the direction's base, so segments overlap, repeat and leave holes;
 * byte 3: payload length) and its payload.  Memory caps are tiny, so
 * eviction and forced gaps happen.  The engine's accounting must come
 * back to zero when everything ends.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "stream/http.h"
#include "capture/reasm.h"

struct state {
    struct reasm *r;
    struct http_ctx http;
};

static void on_open(void *user, struct reasm_conn *c)
{
    struct state *s = user;
    c->app = http_conn_new(&s->http, c);
}

static void on_data(void *user, struct reasm_conn *c, int dir, const uint8_t *p, size_t n,
                    uint64_t ts)
{
    struct state *s = user;
    if (c->app && !http_data(&s->http, c->app, dir, p, n, ts))
        reasm_ignore(s->r, c, dir);
}

static void on_gap(void *user, struct reasm_conn *c, int dir, uint64_t n)
{
    struct state *s = user;
    if (c->app)
        http_gap(&s->http, c->app, dir, n);
}

static void on_close(void *user, struct reasm_conn *c, enum reasm_end why)
{
    struct state *s = user;
    (void)why;
    if (c->app)
        http_conn_end(&s->http, c->app);
    c->app = NULL;
}

static void on_emit(void *user, const struct reasm_conn *c, struct http_txn *t)
{
    (void)user, (void)c;
    if (t->uri && strlen(t->uri) > 4 * HTTP_HEAD_MAX)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint8_t a[4] = {10, 0, 0, 1}, b[4] = {10, 0, 0, 2};
    struct state s = {0};
    struct reasm_conf conf = {.memcap = 64 * 1024, .conn_memcap = 4096, .idle_us = 1000000};
    struct reasm_callbacks cb = {on_open, on_data, on_gap, on_close};
    s.http.out.dirfd = -1;
    s.http.memcap = 256 * 1024;
    s.http.emit = on_emit;
    s.r = reasm_new(&conf, &cb, &s);
    if (!s.r)
        return 0;
    uint64_t ts = 1;
    while (size >= 4) {
        uint8_t op = data[0], len = data[3];
        uint16_t off = (uint16_t)(data[1] << 8 | data[2]);
        data += 4, size -= 4;
        if (len > size)
            len = (uint8_t)size;
        int dir = op & 1;
        struct reasm_seg seg = {
            .family = 4, .src = dir ? b : a, .dst = dir ? a : b,
            .sport = (uint16_t)(dir ? 80 : (op & 16 ? 5001 : 5000)),
            .dport = (uint16_t)(dir ? (op & 16 ? 5001 : 5000) : 80),
            .seq = (dir ? 0xfffff000u : 0x7ffffff0u) + off,
            .flags = (uint8_t)(0x10 | (op & 2 ? 0x02 : 0) | (op & 4 ? 0x01 : 0) | (op & 8 ? 0x04 : 0)),
            .payload = data, .len = len, .ts = ts};
        ts += (op & 0x80) ? 2000000 : 1; /* sometimes long enough to expire */
        reasm_segment(s.r, &seg);
        data += len, size -= len;
        if (reasm_stats(s.r)->memory > conf.memcap)
            abort();
    }
    reasm_flush(s.r);
    if (reasm_stats(s.r)->memory != 0 || s.http.memory != 0)
        abort();
    reasm_free(s.r);
    return 0;
}
