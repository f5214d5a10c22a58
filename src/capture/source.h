/*
 * source.h - where packets come from: libpcap only.
 *
 * Live: pcap_create + snaplen/promiscuous/timeout/immediate/buffer size +
 * pcap_activate (TPACKET_V3 memory-mapped ring on Linux), non-blocking,
 * waited on with poll().  Offline: pcap_open_offline reads pcap and
 * pcapng.  The BPF filter is compiled and set for both.
 */
#ifndef NETSIFT_SOURCE_H
#define NETSIFT_SOURCE_H

#include <pcap/pcap.h>
#include <stdbool.h>
#include <stdint.h>

#include "../conf/conf.h"

struct source {
    pcap_t *pcap;
    bool live;
    bool may_block;     /* offline from a pipe or FIFO: reads wait for the writer */
    int linktype;
    uint64_t file_size; /* offline: bytes, for progress */
    char *read_buffer;  /* offline: the stream's buffer (freed after pcap_close) */
    char name[CONF_PATH_MAX];
};

/* Open and filter.  Returns 0, or an exit status (1 runtime, 2 usage)
 * with a one-line reason in err. */
int source_open(struct source *s, const struct netsift_conf *conf, char *err, size_t errlen);

/* Offline: bytes of the file consumed so far. */
uint64_t source_position(const struct source *s);

void source_close(struct source *s);

#endif
