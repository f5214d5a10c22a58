/*
 * pcap_loop.c - the "bare libpcap read loop" floor for bench/run.
 *
 * Usage: pcap_loop_bench FILE
 *
 * Opens FILE with pcap_open_offline(), reads every packet with
 * pcap_next_ex() and does nothing else except touch the first byte of each
 * packet (folded into a checksum that is printed, so the compiler cannot
 * drop the read).  No decoding, no output per packet, no storage: this is
 * the fastest any libpcap-based tool can go through the file, and bench/run
 * reports every other tool's wall time as a multiple of this one.
 *
 * Prints one line: packet count, captured bytes, original (wire) bytes and
 * the checksum.  Exits 0 on success, 1 on an open/read error, 2 on bad usage.
 *
 * Build (bench/run does this itself):
 *   gcc -std=c11 -O2 -Wall -Wextra bench/pcap_loop.c -lpcap -o pcap_loop_bench
 */

/* <pcap/pcap.h> uses the BSD types u_char/u_int, which glibc only declares
 * outside strict ISO mode. */
#define _DEFAULT_SOURCE 1

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>

#include <pcap/pcap.h>

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s FILE\n", argc > 0 ? argv[0] : "pcap_loop_bench");
        return 2;
    }

    char errbuf[PCAP_ERRBUF_SIZE];
    pcap_t *p = pcap_open_offline(argv[1], errbuf);
    if (p == NULL) {
        fprintf(stderr, "pcap_loop_bench: %s: %s\n", argv[1], errbuf);
        return 1;
    }

    struct pcap_pkthdr *hdr;
    const u_char *data;
    uint64_t packets = 0, caplen_bytes = 0, wire_bytes = 0;
    uint32_t checksum = 0;
    int rc;

    while ((rc = pcap_next_ex(p, &hdr, &data)) == 1) {
        packets++;
        caplen_bytes += hdr->caplen;
        wire_bytes += hdr->len;
        if (hdr->caplen > 0)
            checksum = checksum * 31u + data[0];
    }

    int status = 0;
    if (rc == PCAP_ERROR) {
        fprintf(stderr, "pcap_loop_bench: %s: read error after %" PRIu64 " packets: %s\n",
                argv[1], packets, pcap_geterr(p));
        status = 1;
    }
    /* rc == PCAP_ERROR_BREAK (-2) is the normal end of a savefile. */

    printf("%" PRIu64 " packets, %" PRIu64 " bytes captured, %" PRIu64
           " bytes on the wire (checksum %08" PRIx32 ")\n",
           packets, caplen_bytes, wire_bytes, checksum);

    pcap_close(p);
    return status;
}
