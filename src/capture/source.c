/*
 * source.c - libpcap live and offline sources (see source.h).
 */
#define _GNU_SOURCE
#include "source.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#define SOURCE_READ_BUFFER (1u << 20)

/* ---- a gzip-compressed capture file as a stream for libpcap ---- */

static ssize_t gz_read(void *cookie, char *buf, size_t n)
{
    int got = gzread(cookie, buf, n > INT_MAX ? INT_MAX : (unsigned)n);
    if (got < 0) {
        int zerr;
        gzerror(cookie, &zerr);
        errno = zerr == Z_ERRNO ? errno : EILSEQ; /* libpcap says strerror(errno) */
        return -1;
    }
    return got;
}

/* ftell() for the progress bar: the compressed bytes read so far */
static int gz_seek(void *cookie, off64_t *offset, int whence)
{
    if (whence != SEEK_CUR || *offset != 0)
        return -1;
    z_off_t at = gzoffset(cookie);
    if (at < 0)
        return -1;
    *offset = at;
    return 0;
}

static int gz_close(void *cookie)
{
    return gzclose(cookie) == Z_OK ? 0 : -1;
}

/* The stream of fd through zlib, or NULL (fd is closed either way). */
static FILE *gz_stream(int fd)
{
    gzFile gz = gzdopen(fd, "rb");
    if (!gz) {
        close(fd);
        return NULL;
    }
    gzbuffer(gz, SOURCE_READ_BUFFER);
    FILE *f = fopencookie(gz, "rb", (cookie_io_functions_t){gz_read, NULL, gz_seek, gz_close});
    if (!f)
        gzclose(gz);
    return f;
}

/* Whether the file at path starts with gzip's magic bytes. */
static bool gzip_file(const char *path)
{
    unsigned char magic[2];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    bool gz = fd >= 0 && read(fd, magic, 2) == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
    if (fd >= 0)
        close(fd);
    return gz;
}

static int open_offline(struct source *s, const struct netsift_conf *conf, char *err, size_t errlen)
{
    char errbuf[PCAP_ERRBUF_SIZE] = "";
    struct stat st;
    bool std_in = strcmp(conf->read_file, "-") == 0;
    if (std_in ? fstat(STDIN_FILENO, &st) != 0 : stat(conf->read_file, &st) != 0) {
        snprintf(err, errlen, "cannot read '%s': %s", conf->read_file, strerror(errno));
        return 1;
    }
    if (S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "cannot read '%s': is a directory", conf->read_file);
        return 1;
    }
    if (S_ISREG(st.st_mode) && st.st_size == 0) { /* a pipe or FIFO may still deliver */
        snprintf(err, errlen, "cannot read '%s': empty file, not a pcap or pcapng capture",
                 conf->read_file);
        return 1;
    }
    s->file_size = (uint64_t)st.st_size;
    s->may_block = !S_ISREG(st.st_mode);
    /* our own stream with a 1 MiB buffer: libpcap's default (the block
     * size, 4 KiB) costs one read() per few packets; standard input and
     * gzip files through zlib */
    /* a gzip file through zlib; a pipe, a FIFO or standard input as it
     * comes (zlib would wait to fill its buffer, and a pipe cannot be
     * peeked at: `zcat f.pcap.gz | netsift capture -r -`) */
    bool through_zlib = !std_in && S_ISREG(st.st_mode) && gzip_file(conf->read_file);
    FILE *f = std_in         ? fdopen(dup(STDIN_FILENO), "rb")
              : through_zlib ? gz_stream(open(conf->read_file, O_RDONLY | O_CLOEXEC))
                             : fopen(conf->read_file, "rb");
    if (std_in)
        s->may_block = true;
    if (!f) {
        snprintf(err, errlen, "cannot read '%s': %s", conf->read_file, strerror(errno));
        return 1;
    }
    s->read_buffer = through_zlib ? NULL : malloc(SOURCE_READ_BUFFER);
    if (s->read_buffer) /* glibc ignores the size without a buffer of ours */
        setvbuf(f, s->read_buffer, _IOFBF, SOURCE_READ_BUFFER);
    s->pcap = pcap_fopen_offline_with_tstamp_precision(f, PCAP_TSTAMP_PRECISION_MICRO, errbuf);
    if (!s->pcap) {
        fclose(f);
        free(s->read_buffer);
        s->read_buffer = NULL;
        snprintf(err, errlen, "cannot read '%s': %s", conf->read_file,
                 through_zlib && strstr(errbuf, strerror(EILSEQ))
                     ? "gzip data that zlib cannot inflate (corrupt or cut)"
                     : errbuf);
        return 1;
    }
    snprintf(s->name, sizeof s->name, "%s", std_in ? "standard input" : conf->read_file);
    return 0;
}

static int open_live(struct source *s, const struct netsift_conf *conf, char *err, size_t errlen)
{
    char errbuf[PCAP_ERRBUF_SIZE] = "";
    s->live = true;
    snprintf(s->name, sizeof s->name, "%s", conf->interface);
    s->pcap = pcap_create(conf->interface, errbuf);
    if (!s->pcap) {
        snprintf(err, errlen, "interface '%s': %s", conf->interface, errbuf);
        return 1;
    }
    pcap_set_snaplen(s->pcap, (int)conf->snaplen);
    pcap_set_promisc(s->pcap, conf->promiscuous);
    pcap_set_timeout(s->pcap, (int)conf->buffer_timeout);
    pcap_set_immediate_mode(s->pcap, conf->immediate);
    pcap_set_buffer_size(s->pcap, (int)(conf->buffer_size > 2097151 ? 2097151 : conf->buffer_size) * 1024);
    int rc = pcap_activate(s->pcap);
    if (rc < 0) {
        const char *why = pcap_geterr(s->pcap);
        switch (rc) {
        case PCAP_ERROR_NO_SUCH_DEVICE:
            snprintf(err, errlen, "interface '%s': no such interface", conf->interface);
            break;
        case PCAP_ERROR_PERM_DENIED:
            snprintf(err, errlen,
                     "interface '%s': permission denied (run as root or give the binary "
                     "CAP_NET_RAW,CAP_NET_ADMIN with setcap)",
                     conf->interface);
            break;
        default:
            snprintf(err, errlen, "interface '%s': %s%s%s", conf->interface, pcap_statustostr(rc),
                     why && *why ? ": " : "", why ? why : "");
        }
        return 1;
    }
    if (rc > 0)
        fprintf(stderr, "netsift: warning: interface '%s': %s: %s\n", conf->interface,
                pcap_statustostr(rc), pcap_geterr(s->pcap));
    if (pcap_setnonblock(s->pcap, 1, errbuf) != 0) {
        snprintf(err, errlen, "interface '%s': %s", conf->interface, errbuf);
        return 1;
    }
    return 0;
}

static int set_filter(struct source *s, const struct netsift_conf *conf, char *err, size_t errlen)
{
    if (!conf->filter[0])
        return 0;
    bpf_u_int32 net = 0, mask = PCAP_NETMASK_UNKNOWN;
    char errbuf[PCAP_ERRBUF_SIZE];
    if (s->live && pcap_lookupnet(conf->interface, &net, &mask, errbuf) != 0)
        mask = PCAP_NETMASK_UNKNOWN;
    struct bpf_program prog;
    if (pcap_compile(s->pcap, &prog, conf->filter, 1, mask) != 0) {
        snprintf(err, errlen, "bad filter expression '%s': %s", conf->filter, pcap_geterr(s->pcap));
        return 2;
    }
    int rc = pcap_setfilter(s->pcap, &prog);
    pcap_freecode(&prog);
    if (rc != 0) {
        snprintf(err, errlen, "cannot set filter '%s': %s", conf->filter, pcap_geterr(s->pcap));
        return 1;
    }
    return 0;
}

int source_open(struct source *s, const struct netsift_conf *conf, char *err, size_t errlen)
{
    memset(s, 0, sizeof *s);
    int rc = conf->read_file[0] ? open_offline(s, conf, err, errlen) : open_live(s, conf, err, errlen);
    if (rc == 0)
        rc = set_filter(s, conf, err, errlen);
    if (rc != 0) {
        source_close(s);
        return rc;
    }
    s->linktype = pcap_datalink(s->pcap);
    return 0;
}

uint64_t source_position(const struct source *s)
{
    if (s->live || !s->pcap)
        return 0;
    FILE *f = pcap_file(s->pcap);
    long pos = f ? ftell(f) : -1;
    return pos < 0 ? 0 : (uint64_t)pos;
}

void source_close(struct source *s)
{
    if (s->pcap)
        pcap_close(s->pcap); /* closes the stream */
    s->pcap = NULL;
    free(s->read_buffer);
    s->read_buffer = NULL;
}
