/*
 * fuzz_http_head.c - libFuzzer harness for the HTTP/1.x head parser that
 * every HTTP reader shares (decode/http.h: request line, status line,
 * header fields) and for the daemon's Prometheus request parser built on
 * it (stats/metrics_server.h).  Each input is read as a whole head and
 * as its first line; every pointer handed back must lie inside the input
 * and every length must fit.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "decode/http.h"
#include "stats/metrics_server.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void require(bool ok)
{
    if (!ok)
        abort();
}

static bool inside(const char *base, size_t n, const char *p, size_t len)
{
    return p >= base && len <= n && (size_t)(p - base) <= n - len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* a copy of exactly size bytes: ASan catches any read past it */
    char *p = malloc(size ? size : 1);
    if (!p)
        return 0;
    memcpy(p, data, size);

    size_t line = 0;
    while (line < size && p[line] != '\n')
        line++;
    struct http_request_line rl;
    if (http_parse_request_line(p, line, &rl)) {
        require(inside(p, line, rl.method, rl.method_len));
        require(inside(p, line, rl.uri, rl.uri_len));
        require(inside(p, line, rl.version, 3));
        require(http_version(rl.version - 5, 8));
    }
    struct http_status_line sl;
    if (http_parse_status_line(p, line, &sl)) {
        require(sl.status <= 999);
        require(inside(p, line, sl.reason, sl.reason_len));
    }
    int kind = http_start_kind(p, size);
    require(kind >= -1 && kind <= 2);
    (void)http_known_method(p, size);

    struct http_field_iter it;
    struct http_field f;
    unsigned fields = 0;
    if (http_fields_begin(&it, p, size))
        while (http_field_next(&it, &f)) {
            require(inside(p, size, f.name, f.name_len));
            require(inside(p, size, f.value, f.value_len));
            require(memchr(f.name, ':', f.name_len) == NULL);
            require(++fields <= size);
            uint64_t cl;
            if (http_field_is(&f, "Content-Length"))
                (void)http_content_length(f.value, f.value_len, &cl);
            if (http_field_is(&f, "Transfer-Encoding"))
                (void)http_chunked(f.value, f.value_len);
        }

    int head;
    enum metrics_request r = metrics_parse_request(p, size, &head);
    require(r >= MR_INCOMPLETE && r <= MR_TOO_LARGE);
    require(r != MR_TOO_LARGE || size >= METRICS_REQUEST_MAX);
    free(p);
    return 0;
}
