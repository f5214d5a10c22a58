/*
 * fuzz_daemon_conf.c - libFuzzer harness for the statistics daemon's
 * configuration parser and filter compiler (src/stats/daemon_conf.c,
 * filter.c).
 *
 * Each input is parsed as a daemon configuration file (interfaces are not
 * looked up).  The result must be 0 or -1 with a NUL-terminated
 * "fuzz.conf:LINE: reason"; every watcher's compiled filter (CIDRs, port
 * ranges, protocol, PCRE2 regex) is then run against a fixed TCP frame
 * with a payload.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "decode/packet.h"
#include "stats/daemon_conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t frame[] = {
    0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0x08, 0x00, /* eth */
    0x45, 0x00, 0x00, 0x2d, 0x00, 0x01, 0x00, 0x00, 0x40, 0x06, 0x00, 0x00, 10,   0,
    0,    1,    10,   0,    0,    2,    0x04, 0xd2, 0x00, 0x50, 0,    0,    0,    1,
    0,    0,    0,    0,    0x50, 0x18, 0x20, 0x00, 0,    0,    0,    0, /* tcp */
    'G',  'E',  'T',  ' ',  '/',
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct daemon_conf c;
    char err[1200];
    err[sizeof err - 1] = 'x';
    int rc = daemon_conf_parse(&c, (const char *)data, size, "fuzz.conf", DCONF_NO_IFACE_CHECK, err,
                               sizeof err - 1);
    if (rc != 0 && rc != -1)
        abort();
    if (rc != 0) {
        if (!memchr(err, '\0', sizeof err - 1) || strncmp(err, "fuzz.conf", 9) != 0)
            abort();
        return 0;
    }
    static struct packet pkt;
    decode_packet(&pkt, 1, frame, sizeof frame, sizeof frame, 1);
    for (size_t i = 0; i < c.nwatchers; i++) {
        if (!memchr(c.watchers[i].name, '\0', sizeof c.watchers[i].name))
            abort();
        (void)filter_match(&c.watchers[i].filter, &pkt);
    }
    daemon_conf_free(&c);
    return 0;
}
