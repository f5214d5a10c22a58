/*
 * fuzz_dns_name.c - libFuzzer harness for dns_read_name().
 *
 * Input: a 2-byte big-endian start offset (taken modulo the message
 * length + 1), then the message.  The name is read three times, into a
 * full buffer, into no buffer and into a small one: status and end
 * position must agree (the wire walk never depends on the output), an
 * accepted name must end inside the message after its start, and the
 * text must be NUL-terminated valid UTF-8 without control bytes.  Small
 * messages are also read from every start offset.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "decode/decoders.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void require(bool ok)
{
    if (!ok)
        abort();
}

/* True when s is valid UTF-8 with no C0 control bytes and no DEL. */
static bool clean_utf8(const char *s)
{
    const uint8_t *p = (const uint8_t *)s;
    while (*p) {
        if (*p < 0x80) {
            if (*p < 0x20 || *p == 0x7f)
                return false;
            p++;
            continue;
        }
        size_t n = *p >= 0xf0 ? 4 : *p >= 0xe0 ? 3 : *p >= 0xc2 ? 2 : 0;
        if (n == 0 || *p > 0xf4)
            return false;
        for (size_t i = 1; i < n; i++)
            if ((p[i] & 0xc0) != 0x80)
                return false;
        p += n;
    }
    return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    const uint8_t *msg = data + 2;
    size_t len = size - 2;
    size_t start = ((size_t)data[0] << 8 | data[1]) % (len + 1);

    char out[DNS_NAME_MAX], small[16];
    size_t small_size = data[1] % sizeof small; /* 0 .. 15 */
    size_t pos = start, pos_null = start, pos_small = start;
    enum dns_name_status st = dns_read_name(msg, len, &pos, out, sizeof out);
    enum dns_name_status st_null = dns_read_name(msg, len, &pos_null, NULL, 0);
    enum dns_name_status st_small = dns_read_name(msg, len, &pos_small, small, small_size);
    require(st == DNS_NAME_OK || st == DNS_NAME_TRUNCATED || st == DNS_NAME_MALFORMED);
    require(st == st_null && st == st_small);
    require(pos == pos_null && pos == pos_small);
    require(memchr(out, '\0', sizeof out) != NULL);
    if (small_size)
        require(memchr(small, '\0', small_size) != NULL);
    if (st == DNS_NAME_OK) {
        require(pos > start && pos <= len);
        require(out[0] != '\0');
        require(clean_utf8(out));
        if (small_size)
            require(clean_utf8(small) && strncmp(small, out, strlen(small)) == 0);
    } else {
        require(pos == start);
    }

    if (len <= 512) {
        for (size_t s = 0; s <= len; s++) {
            size_t p = s;
            if (dns_read_name(msg, len, &p, out, sizeof out) == DNS_NAME_OK)
                require(p > s && p <= len && clean_utf8(out));
        }
    }
    return 0;
}
