/*
 * fuzz_alert.c - libFuzzer harness for netsift label's alert parsers:
 * each input is taken as one eve.json line and as one fast.log/Snort
 * line (NUL bytes end it, as a C string does).  A parse must return -1,
 * 0 or 1; an error must leave a NUL-terminated reason; an alert must
 * have an address length of 0 (eve only), 4 or 16 and strings, and must
 * survive alert_endpoint() and an index lookup of itself.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "label/alert.h"
#include "label/index.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void require(bool ok)
{
    if (!ok)
        abort();
}

static void check(int rc, struct alert *a, const char *err, bool eve)
{
    require(rc >= -1 && rc <= 1);
    if (rc < 0)
        require(memchr(err, '\0', 256) != NULL);
    if (rc != 1)
        return;
    require(a->addr_len == 4 || a->addr_len == 16 || (eve && a->addr_len == 0));
    require(a->classification && a->description);
    char buf[128];
    alert_endpoint(a, false, buf, sizeof buf);
    alert_endpoint(a, true, buf, sizeof buf);
    struct label_index *ix = label_index_build(a, 1);
    require(ix != NULL);
    struct label_key k = {.t0 = a->ts,
                          .t1 = a->ts,
                          .proto = a->proto,
                          .addr_len = a->addr_len,
                          .has_ports = true,
                          .pa = a->dport,
                          .pb = a->sport};
    memcpy(k.a, a->dst, 16);
    memcpy(k.b, a->src, 16);
    uint32_t *ids = NULL;
    size_t cap = 0;
    require(label_index_match(ix, &k, &ids, &cap) == 1); /* itself, reversed */
    free(ids);
    label_index_free(ix);
    alert_free(a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *line = malloc(size + 1);
    if (!line)
        return 0;
    memcpy(line, data, size);
    line[size] = '\0';
    struct alert a;
    char err[256];
    memset(err, 'x', sizeof err);
    check(alert_parse_eve(line, &a, err, sizeof err), &a, err, true);
    memset(err, 'x', sizeof err);
    check(alert_parse_fast(line, 2017, &a, err, sizeof err), &a, err, false);
    free(line);
    return 0;
}
