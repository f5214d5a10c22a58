/*
 * extract.c - netsift extract: packets of the raw packet store back out
 * as one pcap file (see extract.h).
 *
 * The rows come from DB_PATH/pcap-meta.sqlite through one parameter-bound
 * query, in timestamp order (the index on meta.timestamp); packets of
 * different files with the same timestamp come in the order their files
 * were created, then by position.  Each packet is read as Arkime serves
 * a session: seek to the row's offset in its file, read the 16-byte
 * record header and the data, and check the header against the row.  A
 * BPF expression is applied to each packet read (pcap_offline_filter).
 *
 * What cannot be read (a missing, truncated or corrupt pcap file, a row
 * whose record does not match, a damaged index) is named on stderr, one
 * line per file with the rows concerned; everything else is exported and
 * the exit status is 1.  File names come only from the index and must be
 * store names (<uuid>.pcap): nothing else becomes a path.
 */
#define _GNU_SOURCE
#include "extract.h"
#include "header_files.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <pcap/pcap.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../conf/conf.h"
#include "../decode/community_id.h"
#include "../util/text.h"
#include "pcap_store.h"

#define MAX_OPEN_FILES 64
#define FILE_BUFFER (64u << 10)
#define MAX_RECORD (256u << 20) /* no libpcap link type allows more */
#define ID_MAX 64

struct args {
    char db_path[CONF_PATH_MAX];
    const char *out;
    bool quiet;
    bool has_from, has_to;
    uint64_t from, to;          /* microseconds, inclusive */
    char mac[ADDR_TEXT_MAX];    /* as stored; "" when not given */
    char ip[ADDR_TEXT_MAX];
    int port;                   /* -1 when not given */
    const char *sql;            /* --sql: a read-only query of headers.sqlite, or NULL */
    char community_id[COMMUNITY_ID_SIZE]; /* --community-id, "" when not given */
    char filter[8192];
};

/* A pcap file named by the index, and the rows of it not exported. */
struct pfile {
    char name[PCAP_NAME_LEN + 1]; /* "" for rows whose name is not a store name */
    pcap_t *p;                    /* open: the reader that checked its header */
    FILE *fp;
    char *buf;
    uint64_t size, pos, last_use;
    bool nsec, swapped, bad;      /* bad: cannot be read at all */
    int linktype, snaplen;
    uint64_t lost;
    char reason[256];
    char first_id[ID_MAX], last_id[ID_MAX];
};

struct row {
    const char *id, *name;
    int64_t timestamp, caplen, length, offset;
};

struct extract {
    struct args a;
    char dir[CONF_PATH_MAX + 8];
    char db_file[CONF_PATH_MAX + 32];
    sqlite3 *db;
    struct pfile *files; /* sorted by name */
    size_t nfiles, cap;
    unsigned nopen;
    uint64_t clock;
    int guess_linktype, guess_snaplen;
    pcap_t *out_dead;
    pcap_dumper_t *out;
    int out_linktype;
    struct bpf_program prog;
    bool have_prog;
    uint8_t *buf;
    size_t bufcap;
    uint64_t rows, written;
    uint64_t selected;    /* --sql: header rows the query returned */
    uint64_t not_stored;  /* --sql: of those, rows with no packet in the store */
};

/* ---- arguments ------------------------------------------------------ */

static void usage(FILE *f)
{
    fprintf(f,
            "NAME\n"
            "    netsift extract - write stored packets back out as one pcap file\n\n"
            "SYNOPSIS\n"
            "    netsift extract [-d DIR] [--from T] [--to T] [--mac M] [--ip A] [--port P]\n"
            "                    [--sql QUERY] [--community-id ID] -w FILE [BPF expression]\n\n"
            "DESCRIPTION\n"
            "    Reads the raw packet store that `netsift capture --file-write` fills (pcap\n"
            "    files in DIR/pcap/, indexed in DIR/pcap-meta.sqlite), chooses packets by\n"
            "    time, address and port through the index, reads each one from its file at\n"
            "    its stored offset, applies the BPF expression if one is given, and writes\n"
            "    them in timestamp order to FILE, a pcap file.  Every record read is checked\n"
            "    against its index row.\n\n"
            "OPTIONS\n"
            "    -d, --db-path DIR\n"
            "        The capture's database directory (default ./netsift-db).\n"
            "    --from T, --to T\n"
            "        Only packets captured at or after / at or before T: seconds since the\n"
            "        epoch (1700000000, 1700000000.25) or a UTC date and time (2023-11-14,\n"
            "        2023-11-14T22:13:20, '2023-11-14 22:13:20.5').\n"
            "    --mac M\n"
            "        Only packets from or to MAC address M (aa:bb:cc:dd:ee:ff or aa-bb-...).\n"
            "    --ip A\n"
            "        Only packets whose (outer) IPv4 or IPv6 source or destination is A.\n"
            "    --port P\n"
            "        Only TCP or UDP packets from or to port P.\n"
            "    --sql QUERY\n"
            "        Only the packets whose header rows QUERY selects: one read-only SELECT\n"
            "        on the header tables (any table, joins, WHERE, LIMIT) that returns the\n"
            "        columns timestamp and ethh_hash, and frame when it can (SELECT * does;\n"
            "        without frame, every stored packet with that timestamp and link header\n"
            "        matches).  The query runs on a read-only connection that refuses\n"
            "        anything but reading (INSERT, DROP, PRAGMA, ATTACH, a second\n"
            "        statement: exit status 2).  Selected rows whose packet is no longer\n"
            "        stored (its pcap file removed by retention) are counted in the\n"
            "        summary, not an error.  The tables are those of DIR/headers.sqlite and\n"
            "        of the closed files of DIR/headers/ (--db-rotate-size), as netsift sql\n"
            "        shows them: tables reading every file whose time range meets\n"
            "        --from/--to.\n"
            "    --community-id ID\n"
            "        Only the packets of the flow with this Community ID (1:base64, as\n"
            "        Zeek, Suricata and netsift's community_id columns show it).\n"
            "    -w, --write FILE\n"
            "        Write the packets to FILE; '-' writes to standard output, e.g.\n"
            "        | tcpdump -r -  or  | wireshark -k -i -.\n"
            "    -q, --quiet\n"
            "        No summary line on standard error.\n"
            "    -h, --help\n"
            "        Show this text.\n"
            "    BPF expression\n"
            "        Trailing arguments: a pcap-filter(7) expression each packet must match.\n\n"
            "EXIT STATUS\n"
            "    0 every matching packet was written; 1 some could not be read (each pcap\n"
            "    file concerned is named on standard error with the ids of its rows not\n"
            "    exported; the others were written), the index could not be read, or FILE\n"
            "    could not be written; 2 a usage error.\n\n"
            "EXAMPLES\n"
            "    netsift extract -d /var/lib/netsift --from 2024-05-01T10:00:00 -w out.pcap\n"
            "    netsift extract -d db --ip 192.0.2.1 --port 53 -w - | tcpdump -nn -r -\n"
            "    netsift extract -d db -w syn.pcap 'tcp[tcpflags] & tcp-syn != 0'\n"
            "    netsift extract -d db -w rst.pcap --sql 'SELECT * FROM tcp WHERE rst = 1'\n"
            "    netsift extract -d db -w flow.pcap --community-id '1:wCb3OG7yAFWelaUydu0D+125CLM='\n");
}

/* Fraction digits after '.', as microseconds; end of the digits in *end. */
static uint64_t parse_fraction(const char *s, const char **end)
{
    uint64_t us = 0, scale = 100000;
    if (*s == '.')
        for (s++; isdigit((unsigned char)*s); s++, scale /= 10)
            us += (uint64_t)(*s - '0') * scale;
    *end = s;
    return us;
}

int extract_parse_time(const char *text, uint64_t *us)
{
    static const char *const formats[] = {"%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d"};
    for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++) {
        struct tm tm;
        memset(&tm, 0, sizeof tm);
        const char *end = strptime(text, formats[i], &tm);
        if (!end)
            continue;
        uint64_t frac = parse_fraction(end, &end);
        if (*end == 'Z')
            end++;
        time_t t = timegm(&tm);
        if (*end || t < 0)
            continue;
        *us = (uint64_t)t * 1000000u + frac;
        return 0;
    }
    if (!isdigit((unsigned char)text[0]))
        return -1;
    char *end;
    errno = 0;
    unsigned long long secs = strtoull(text, &end, 10);
    const char *rest;
    uint64_t frac = parse_fraction(end, &rest);
    if (errno || *rest || secs > UINT64_MAX / 1000000u - 1)
        return -1;
    *us = (uint64_t)secs * 1000000u + frac;
    return 0;
}

/* aa:bb:cc:dd:ee:ff or aa-bb-..., one or two hex digits each, into the
 * stored form. */
static int parse_mac(const char *s, char out[ADDR_TEXT_MAX])
{
    uint8_t b[6];
    for (int i = 0; i < 6; i++) {
        int n = 0;
        unsigned v = 0;
        for (; n < 2 && isxdigit((unsigned char)*s); n++, s++)
            v = v * 16 + (unsigned)(isdigit((unsigned char)*s) ? *s - '0' : (tolower(*s) - 'a' + 10));
        if (n == 0 || (i < 5 && *s != ':' && *s != '-'))
            return -1;
        b[i] = (uint8_t)v;
        if (i < 5)
            s++;
    }
    if (*s)
        return -1;
    format_hex_colon(b, 6, out);
    return 0;
}

static int parse_ip(const char *s, char out[ADDR_TEXT_MAX])
{
    uint8_t b[16];
    if (inet_pton(AF_INET, s, b) == 1)
        format_ip4(b, out);
    else if (inet_pton(AF_INET6, s, b) == 1)
        format_ip6(b, out);
    else
        return -1;
    return 0;
}

static int parse_port(const char *s, int *port)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (!isdigit((unsigned char)s[0]) || *end || errno || v > 65535)
        return -1;
    *port = (int)v;
    return 0;
}

/* "1:" and 28 base64 characters (a SHA-1), as community_id.h writes. */
static int parse_community_id(const char *s, char out[COMMUNITY_ID_SIZE])
{
    if (strlen(s) != COMMUNITY_ID_SIZE - 1 || s[0] != '1' || s[1] != ':' || s[29] != '=')
        return -1;
    for (int i = 2; i < 29; i++)
        if (!isalnum((unsigned char)s[i]) && s[i] != '+' && s[i] != '/')
            return -1;
    memcpy(out, s, COMMUNITY_ID_SIZE);
    return 0;
}

/* One option's value into a; -1 with a reason in err. */
static int set_arg(struct args *a, int ch, const char *v, char *err, size_t errlen)
{
    int rc = 0;
    switch (ch) {
    case 'd':
        rc = strlen(v) < sizeof a->db_path ? 0 : -1;
        if (rc == 0)
            memcpy(a->db_path, v, strlen(v) + 1);
        break;
    case 'w': a->out = v; break;
    case 'q': a->quiet = true; break;
    case 'F': rc = extract_parse_time(v, &a->from); a->has_from = true; break;
    case 'T': rc = extract_parse_time(v, &a->to); a->has_to = true; break;
    case 'm': rc = parse_mac(v, a->mac); break;
    case 'i': rc = parse_ip(v, a->ip); break;
    case 'p': rc = parse_port(v, &a->port); break;
    case 'S': a->sql = v; break;
    case 'C': rc = parse_community_id(v, a->community_id); break;
    default:
        snprintf(err, errlen, "unknown option (see --help)");
        return -1;
    }
    if (rc != 0)
        snprintf(err, errlen, "'%s' is not a valid %s", v,
                 ch == 'd' ? "path (too long)" : ch == 'F' || ch == 'T' ? "time" :
                 ch == 'm' ? "MAC address" : ch == 'i' ? "IP address" :
                 ch == 'C' ? "Community ID (1: and 28 base64 characters)" : "port");
    return rc;
}

/* Trailing arguments: the BPF expression. */
static int join_filter(struct args *a, int first, int argc, char **argv, char *err, size_t errlen)
{
    size_t used = 0;
    for (int i = first; i < argc; i++) {
        int n = snprintf(a->filter + used, sizeof a->filter - used, "%s%s", i > first ? " " : "",
                         argv[i]);
        if (n < 0 || (size_t)n >= sizeof a->filter - used) {
            snprintf(err, errlen, "filter expression is too long");
            return -1;
        }
        used += (size_t)n;
    }
    return 0;
}

/* 0, 1 when help was printed, -1 on a usage error (reason in err). */
static int parse_args(struct args *a, int argc, char **argv, char *err, size_t errlen)
{
    static const struct option longopts[] = {
        {"db-path", required_argument, NULL, 'd'}, {"from", required_argument, NULL, 'F'},
        {"to", required_argument, NULL, 'T'},      {"mac", required_argument, NULL, 'm'},
        {"ip", required_argument, NULL, 'i'},      {"port", required_argument, NULL, 'p'},
        {"write", required_argument, NULL, 'w'},   {"quiet", no_argument, NULL, 'q'},
        {"sql", required_argument, NULL, 'S'},     {"community-id", required_argument, NULL, 'C'},
        {"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0},
    };
    snprintf(a->db_path, sizeof a->db_path, "netsift-db");
    a->port = -1;
    opterr = 0;
    optind = 1;
    int ch;
    while ((ch = getopt_long(argc, argv, ":d:w:qh", longopts, NULL)) != -1) {
        if (ch == 'h') {
            usage(stdout);
            return 1;
        }
        if (ch == '?' || ch == ':') {
            snprintf(err, errlen, "%s %s", ch == ':' ? "a value is missing after" : "unknown option",
                     argv[optind - 1]);
            return -1;
        }
        if (set_arg(a, ch, optarg, err, errlen) != 0)
            return -1;
    }
    if (!a->out) {
        snprintf(err, errlen, "no output: give -w FILE (or -w - for standard output)");
        return -1;
    }
    if (a->has_from && a->has_to && a->from > a->to) {
        snprintf(err, errlen, "--from is later than --to");
        return -1;
    }
    return join_filter(a, optind, argc, argv, err, errlen);
}

/* ---- the pcap files ------------------------------------------------- */

static int cmp_name(const void *key, const void *elem)
{
    return strcmp(key, ((const struct pfile *)elem)->name);
}

/* The entry of a file, added when new; NULL when out of memory.  Names
 * that are not store names share the entry "" and are never opened. */
static struct pfile *file_for(struct extract *x, const char *name)
{
    const char *key = name && pcap_name_valid(name) ? name : "";
    struct pfile *f = x->nfiles ? bsearch(key, x->files, x->nfiles, sizeof *x->files, cmp_name)
                                : NULL;
    if (f)
        return f;
    if (x->nfiles == x->cap) {
        size_t cap = x->cap ? x->cap * 2 : 64;
        struct pfile *p = realloc(x->files, cap * sizeof *p);
        if (!p)
            return NULL;
        x->files = p;
        x->cap = cap;
    }
    size_t at = 0;
    while (at < x->nfiles && strcmp(x->files[at].name, key) < 0)
        at++;
    memmove(&x->files[at + 1], &x->files[at], (x->nfiles - at) * sizeof *x->files);
    f = &x->files[at];
    memset(f, 0, sizeof *f);
    snprintf(f->name, sizeof f->name, "%s", key);
    x->nfiles++;
    if (!key[0]) {
        char shown[64];
        text_escape((const uint8_t *)(name ? name : "NULL"), name ? strlen(name) : 4, shown,
                    sizeof shown, false);
        snprintf(f->reason, sizeof f->reason, "not a store file name (e.g. '%s')", shown);
        f->bad = true;
    }
    return f;
}

static void close_pfile(struct extract *x, struct pfile *f)
{
    if (!f->p)
        return;
    pcap_close(f->p); /* closes f->fp */
    free(f->buf);
    f->p = NULL;
    f->fp = NULL;
    f->buf = NULL;
    x->nopen--;
}

static void close_least_used(struct extract *x)
{
    struct pfile *lru = NULL;
    for (size_t i = 0; i < x->nfiles; i++)
        if (x->files[i].p && (!lru || x->files[i].last_use < lru->last_use))
            lru = &x->files[i];
    if (lru)
        close_pfile(x, lru);
}

static void file_bad(struct pfile *f, const char *why)
{
    f->bad = true;
    snprintf(f->reason, sizeof f->reason, "%s", why);
}

/* Open a file and check its pcap header with libpcap; on failure the
 * file is marked bad with the reason. */
static void open_pfile(struct extract *x, struct pfile *f)
{
    char path[sizeof x->dir + PCAP_NAME_LEN + 2], errbuf[PCAP_ERRBUF_SIZE] = "";
    snprintf(path, sizeof path, "%s/%s", x->dir, f->name);
    if (x->nopen >= MAX_OPEN_FILES)
        close_least_used(x);
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    FILE *fp = fd >= 0 ? fdopen(fd, "rb") : NULL;
    struct stat st;
    uint8_t magic[4];
    const char *why = !fp                     ? strerror(errno)
                      : fstat(fd, &st) != 0   ? strerror(errno)
                      : !S_ISREG(st.st_mode)  ? "not a regular file"
                                              : NULL;
    if (why) {
        file_bad(f, why);
        if (fp)
            fclose(fp);
        else if (fd >= 0)
            close(fd);
        return;
    }
    f->buf = malloc(FILE_BUFFER);
    if (f->buf)
        setvbuf(fp, f->buf, _IOFBF, FILE_BUFFER);
    bool have_magic = fread(magic, 1, sizeof magic, fp) == sizeof magic;
    rewind(fp);
    f->p = have_magic ? pcap_fopen_offline(fp, errbuf) : NULL;
    if (!f->p) {
        file_bad(f, have_magic ? errbuf : "empty or cut inside the pcap header");
        fclose(fp);
        free(f->buf);
        f->buf = NULL;
        return;
    }
    uint32_t m = (uint32_t)magic[0] << 24 | (uint32_t)magic[1] << 16 | (uint32_t)magic[2] << 8 | magic[3];
    f->nsec = m == 0xa1b23c4du || m == 0x4d3cb2a1u;
    if (!f->nsec && m != 0xa1b2c3d4u && m != 0xd4c3b2a1u) { /* pcapng: not what the store writes */
        file_bad(f, "not a pcap file (pcapng?)");
        pcap_close(f->p);
        f->p = NULL;
        free(f->buf);
        f->buf = NULL;
        return;
    }
    f->fp = fp;
    f->size = (uint64_t)st.st_size;
    f->pos = UINT64_MAX; /* unknown: seek first */
    f->swapped = pcap_is_swapped(f->p);
    f->linktype = pcap_datalink(f->p);
    f->snaplen = pcap_snapshot(f->p);
    x->nopen++;
}

/* A row not exported, counted against its file. */
static void lose(struct pfile *f, const char *id, const char *why)
{
    if (f->lost++ == 0)
        snprintf(f->first_id, sizeof f->first_id, "%s", id ? id : "NULL");
    snprintf(f->last_id, sizeof f->last_id, "%s", id ? id : "NULL");
    if (why && !f->reason[0])
        snprintf(f->reason, sizeof f->reason, "%.*s", (int)sizeof f->reason - 1, why);
}

static uint32_t get32(const uint8_t *p, bool swapped)
{
    uint32_t v;
    memcpy(&v, p, sizeof v);
    return swapped ? __builtin_bswap32(v) : v;
}

static int grow_buffer(struct extract *x, size_t n)
{
    if (n <= x->bufcap)
        return 0;
    size_t cap = x->bufcap ? x->bufcap : 65536;
    while (cap < n)
        cap *= 2;
    uint8_t *b = realloc(x->buf, cap);
    if (!b)
        return -1;
    x->buf = b;
    x->bufcap = cap;
    return 0;
}

/* Read the row's record into x->buf and h, checked against the row and
 * the file's size.  0, or -1 with the reason in why. */
static int read_record(struct extract *x, struct pfile *f, const struct row *r,
                       struct pcap_pkthdr *h, char *why, size_t n)
{
    uint64_t off = (uint64_t)r->offset;
    uint8_t rec[PCAP_REC_HDR];
    if (r->offset < PCAP_FILE_HDR || off > f->size || f->size - off < PCAP_REC_HDR) {
        snprintf(why, n, "truncated: a row points at offset %" PRId64 ", the file has %" PRIu64 " bytes",
                 r->offset, f->size);
        return -1;
    }
    if (f->pos != off && fseeko(f->fp, (off_t)off, SEEK_SET) != 0) {
        f->pos = UINT64_MAX;
        snprintf(why, n, "cannot seek to offset %" PRIu64 ": %s", off, strerror(errno));
        return -1;
    }
    f->pos = UINT64_MAX;
    if (fread(rec, 1, sizeof rec, f->fp) != sizeof rec) {
        snprintf(why, n, "cannot read the record at offset %" PRIu64, off);
        return -1;
    }
    uint32_t sec = get32(rec, f->swapped), frac = get32(rec + 4, f->swapped);
    uint32_t caplen = get32(rec + 8, f->swapped), len = get32(rec + 12, f->swapped);
    uint32_t usec = f->nsec ? frac / 1000 : frac;
    /* the row holds the capture's time; the record its seconds in 32 bits */
    uint64_t row_ts = (uint64_t)r->timestamp;
    if (caplen != r->caplen || len != r->length || sec != (uint32_t)(row_ts / 1000000u) ||
        usec != row_ts % 1000000u) {
        snprintf(why, n, "corrupt: the record at offset %" PRIu64 " does not match its row "
                 "(caplen %u/%" PRId64 ", length %u/%" PRId64 ", time %u.%06u/%" PRIu64 ")",
                 off, caplen, r->caplen, len, r->length, sec, usec, row_ts);
        return -1;
    }
    if (caplen > MAX_RECORD || caplen > f->size - off - PCAP_REC_HDR) {
        snprintf(why, n, "truncated: the record at offset %" PRIu64 " needs %u bytes, the file has %" PRIu64,
                 off, caplen + PCAP_REC_HDR, f->size - off);
        return -1;
    }
    if (grow_buffer(x, caplen ? caplen : 1) != 0 || fread(x->buf, 1, caplen, f->fp) != caplen) {
        snprintf(why, n, "cannot read %u bytes at offset %" PRIu64, caplen, off + PCAP_REC_HDR);
        return -1;
    }
    f->pos = off + PCAP_REC_HDR + caplen;
    h->ts.tv_sec = (time_t)sec;
    h->ts.tv_usec = (suseconds_t)usec;
    h->caplen = caplen;
    h->len = len;
    return 0;
}

/* ---- output --------------------------------------------------------- */

/* Compile the BPF expression for a link type; 0 or -1 (message printed). */
static int compile_filter(struct extract *x, pcap_t *dead)
{
    if (!x->a.filter[0])
        return 0;
    if (x->have_prog)
        pcap_freecode(&x->prog);
    x->have_prog = pcap_compile(dead, &x->prog, x->a.filter, 1, PCAP_NETMASK_UNKNOWN) == 0;
    if (!x->have_prog)
        fprintf(stderr, "netsift extract: bad filter expression '%s': %s\n", x->a.filter,
                pcap_geterr(dead));
    return x->have_prog ? 0 : -1;
}

static int open_output(struct extract *x, int linktype, int snaplen)
{
    x->out_dead = pcap_open_dead(linktype, snaplen);
    x->out = x->out_dead ? pcap_dump_open(x->out_dead, x->a.out) : NULL;
    if (!x->out) {
        fprintf(stderr, "netsift extract: cannot write '%s': %s\n", x->a.out,
                x->out_dead ? pcap_geterr(x->out_dead) : "out of memory");
        return -1;
    }
    x->out_linktype = linktype;
    return linktype == x->guess_linktype ? 0 : compile_filter(x, x->out_dead);
}

/* Close the output; 0, or -1 when it could not be written. */
static int close_output(struct extract *x)
{
    if (!x->out && open_output(x, x->guess_linktype, x->guess_snaplen) != 0)
        return -1;
    int rc = pcap_dump_flush(x->out) == 0 && !ferror(pcap_dump_file(x->out)) ? 0 : -1;
    int e = errno;
    pcap_dump_close(x->out);
    x->out = NULL;
    if (rc != 0)
        fprintf(stderr, "netsift extract: cannot write '%s': %s\n", x->a.out, strerror(e));
    return rc;
}

/* ---- the rows ------------------------------------------------------- */

/* Export one row.  -1 only when the output cannot be opened. */
static int export_row(struct extract *x, sqlite3_stmt *st)
{
    struct row r = {(const char *)sqlite3_column_text(st, 0), (const char *)sqlite3_column_text(st, 2),
                    sqlite3_column_int64(st, 1), sqlite3_column_int64(st, 3),
                    sqlite3_column_int64(st, 4), sqlite3_column_int64(st, 5)};
    struct pfile *f = file_for(x, r.name);
    char why[512];
    struct pcap_pkthdr h;
    if (!f) {
        fprintf(stderr, "netsift extract: out of memory\n");
        return -1;
    }
    if (!f->bad && !f->p)
        open_pfile(x, f);
    f->last_use = ++x->clock;
    if (f->bad || read_record(x, f, &r, &h, why, sizeof why) != 0) {
        lose(f, r.id, f->bad ? NULL : why);
        return 0;
    }
    if (!x->out && open_output(x, f->linktype, f->snaplen) != 0)
        return -1;
    if (f->linktype != x->out_linktype) {
        snprintf(why, sizeof why, "link type %s differs from the output's (%s)",
                 pcap_datalink_val_to_name(f->linktype) ? pcap_datalink_val_to_name(f->linktype) : "?",
                 pcap_datalink_val_to_name(x->out_linktype) ? pcap_datalink_val_to_name(x->out_linktype) : "?");
        lose(f, r.id, why);
        return 0;
    }
    if (x->have_prog && !pcap_offline_filter(&x->prog, &h, x->buf))
        return 0;
    pcap_dump((u_char *)x->out, &h, x->buf);
    x->written++;
    return 0;
}

static const char QUERY_HEAD[] =
    "SELECT m.id, m.timestamp, m.name, m.caplen, m.length, m.file_offset FROM meta AS m"
    " LEFT JOIN files AS f ON f.name = m.name WHERE coalesce(f.deleting, 0) = 0";
static const char QUERY_ORDER[] = " ORDER BY m.timestamp, f.opened, m.name, m.file_offset";
/* --sql: the meta rows of the selected header rows (temp.sel), found
 * through the timestamp index; %s: the frame condition (FRAME_MATCH, or
 * nothing for a store written before meta had the frame column) */
static const char QUERY_SELECTED[] =
    " AND m.rowid IN (SELECT m2.rowid FROM temp.sel AS s JOIN meta AS m2"
    " ON m2.timestamp = s.ts AND m2.ethh_hash = s.ethh%s)";
static const char FRAME_MATCH2[] = " AND (s.frame IS NULL OR m2.frame = s.frame)";
/* --sql: selected header rows with no packet in the store */
static const char QUERY_NOT_STORED[] =
    "SELECT count(*) FROM temp.sel AS s WHERE NOT EXISTS (SELECT 1 FROM meta AS m"
    " LEFT JOIN files AS f ON f.name = m.name WHERE m.timestamp = s.ts AND m.ethh_hash = s.ethh"
    "%s AND coalesce(f.deleting, 0) = 0)";
static const char FRAME_MATCH[] = " AND (s.frame IS NULL OR m.frame = s.frame)";

/* True when meta has the frame column (stores written since it was added). */
static bool meta_has_frame(sqlite3 *db)
{
    sqlite3_stmt *st;
    bool has = false;
    if (sqlite3_prepare_v2(db, "SELECT 1 FROM pragma_table_info('meta') WHERE name = 'frame'", -1,
                           &st, NULL) == SQLITE_OK) {
        has = sqlite3_step(st) == SQLITE_ROW;
        sqlite3_finalize(st);
    }
    return has;
}

/* The query for the arguments: fixed clauses, values bound, never pasted. */
static sqlite3_stmt *prepare_query(struct extract *x)
{
    char sql[2048], selected[512];
    const struct args *a = &x->a;
    snprintf(selected, sizeof selected, QUERY_SELECTED, meta_has_frame(x->db) ? FRAME_MATCH2 : "");
    snprintf(sql, sizeof sql, "%s%s%s%s%s%s%s%s%s", QUERY_HEAD,
             a->has_from ? " AND m.timestamp >= ?1" : "", a->has_to ? " AND m.timestamp <= ?2" : "",
             a->mac[0] ? " AND (m.src_mac = ?3 OR m.dst_mac = ?3)" : "",
             a->ip[0] ? " AND (m.src_ip = ?4 OR m.dst_ip = ?4)" : "",
             a->port >= 0 ? " AND (m.src_port = ?5 OR m.dst_port = ?5)" : "",
             a->community_id[0] ? " AND m.community_id = ?6" : "",
             a->sql ? selected : "", QUERY_ORDER);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(x->db, sql, -1, &st, NULL) != SQLITE_OK)
        return NULL;
    if (a->has_from)
        sqlite3_bind_int64(st, 1, a->from > INT64_MAX ? INT64_MAX : (int64_t)a->from);
    if (a->has_to)
        sqlite3_bind_int64(st, 2, a->to > INT64_MAX ? INT64_MAX : (int64_t)a->to);
    if (a->mac[0])
        sqlite3_bind_text(st, 3, a->mac, -1, SQLITE_STATIC);
    if (a->ip[0])
        sqlite3_bind_text(st, 4, a->ip, -1, SQLITE_STATIC);
    if (a->port >= 0)
        sqlite3_bind_int(st, 5, a->port);
    if (a->community_id[0])
        sqlite3_bind_text(st, 6, a->community_id, -1, SQLITE_STATIC);
    return st;
}

/* ---- --sql: the user's query, read-only ------------------------------ */

/* Authorizer of the user's connection: reading only.  Everything else
 * (writes, schema changes, PRAGMA, ATTACH/DETACH, transactions) is
 * refused when the statement is prepared. */
static int read_only_authorizer(void *arg, int action, const char *a, const char *b,
                                const char *c, const char *d)
{
    (void)arg, (void)a, (void)b, (void)c, (void)d;
    switch (action) {
    case SQLITE_SELECT:
    case SQLITE_READ:
    case SQLITE_FUNCTION:
    case SQLITE_RECURSIVE:
        return SQLITE_OK;
    default:
        return SQLITE_DENY;
    }
}

/* Index of the result column called name (any case), or -1. */
static int column_index(sqlite3_stmt *st, const char *name)
{
    for (int i = 0; i < sqlite3_column_count(st); i++)
        if (sqlite3_column_name(st, i) && strcasecmp(sqlite3_column_name(st, i), name) == 0)
            return i;
    return -1;
}

/* Prepare the user's query on a read-only connection to the header
 * files of the --from/--to range (header_files.h: the tables read
 * every file) and check it is one read-only SELECT returning the key
 * columns.  The statement, or NULL with the reason printed (*usage set when it is the
 * query's fault, not the database's). */
static sqlite3_stmt *prepare_user_sql(struct extract *x, struct header_files *hf, sqlite3 **hdb,
                                      int cols[3], bool *usage)
{
    char err[8400];
    sqlite3_stmt *st = NULL, *next = NULL;
    const char *tail = NULL;
    uint64_t from = x->a.has_from ? x->a.from : 0, to = x->a.has_to ? x->a.to : UINT64_MAX;
    *usage = false;
    if (header_files_list(x->a.db_path, hf, err, sizeof err) != 0) {
        fprintf(stderr, "netsift extract: --sql: %s\n", err);
        return NULL;
    }
    *hdb = header_views_open(hf, from, to, err, sizeof err);
    if (!*hdb) {
        fprintf(stderr, "netsift extract: --sql: %s: %s\n", x->a.db_path, err);
        return NULL;
    }
    sqlite3_db_config(*hdb, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
    sqlite3_db_config(*hdb, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL);
    sqlite3_set_authorizer(*hdb, read_only_authorizer, NULL);
    *usage = true;
    if (sqlite3_prepare_v2(*hdb, x->a.sql, -1, &st, &tail) != SQLITE_OK || !st) {
        fprintf(stderr, "netsift extract: --sql refused: %s (only one read-only SELECT is run)\n",
                st || sqlite3_errcode(*hdb) != SQLITE_OK ? sqlite3_errmsg(*hdb) : "no statement");
        sqlite3_finalize(st);
        return NULL;
    }
    /* whatever follows must be nothing but blanks, ';' and comments */
    if (tail && *tail && sqlite3_prepare_v2(*hdb, tail, -1, &next, NULL) != SQLITE_OK) {
        fprintf(stderr, "netsift extract: --sql refused: more than one statement\n");
        sqlite3_finalize(st);
        return NULL;
    }
    if (next) {
        sqlite3_finalize(next);
        fprintf(stderr, "netsift extract: --sql refused: more than one statement\n");
        sqlite3_finalize(st);
        return NULL;
    }
    if (!sqlite3_stmt_readonly(st) || sqlite3_column_count(st) == 0) {
        fprintf(stderr, "netsift extract: --sql refused: not a read-only SELECT\n");
        sqlite3_finalize(st);
        return NULL;
    }
    cols[0] = column_index(st, "timestamp");
    cols[1] = column_index(st, "ethh_hash");
    cols[2] = column_index(st, "frame");
    if (cols[0] < 0 || cols[1] < 0) {
        fprintf(stderr, "netsift extract: --sql: the query must return the columns timestamp and "
                        "ethh_hash (and frame), e.g. SELECT * FROM tcp WHERE ...\n");
        sqlite3_finalize(st);
        return NULL;
    }
    *usage = false;
    return st;
}

/* --sql: run the user's query and keep the keys of its rows in temp.sel
 * on the meta connection.  0, 2 when the query is refused, 1 on a
 * database failure (message printed). */
static int select_rows(struct extract *x)
{
    sqlite3 *hdb = NULL;
    struct header_files hf = {.lock_fd = -1};
    sqlite3_stmt *st, *ins = NULL;
    int cols[3];
    bool usage;
    int status = 1, rc = SQLITE_ERROR;
    st = prepare_user_sql(x, &hf, &hdb, cols, &usage);
    if (!st) {
        sqlite3_close(hdb);
        header_files_free(&hf);
        return usage ? 2 : 1;
    }
    if (sqlite3_exec(x->db, "CREATE TEMP TABLE sel (ts INTEGER, ethh INTEGER, frame INTEGER)",
                     NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_exec(x->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(x->db, "INSERT INTO temp.sel VALUES (?1, ?2, ?3)", -1, &ins, NULL) !=
            SQLITE_OK) {
        fprintf(stderr, "netsift extract: meta database '%s': %s\n", x->db_file, sqlite3_errmsg(x->db));
        goto out;
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        x->selected++;
        for (int i = 0; i < 3; i++)
            if (cols[i] < 0 || sqlite3_column_type(st, cols[i]) == SQLITE_NULL)
                sqlite3_bind_null(ins, i + 1);
            else
                sqlite3_bind_int64(ins, i + 1, sqlite3_column_int64(st, cols[i]));
        if (sqlite3_step(ins) != SQLITE_DONE) {
            fprintf(stderr, "netsift extract: %s\n", sqlite3_errmsg(x->db));
            goto out;
        }
        sqlite3_reset(ins);
    }
    if (rc != SQLITE_DONE) {
        fprintf(stderr, "netsift extract: --sql: %s\n", sqlite3_errmsg(hdb));
        goto out;
    }
    if (sqlite3_exec(x->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        fprintf(stderr, "netsift extract: %s\n", sqlite3_errmsg(x->db));
        goto out;
    }
    sqlite3_stmt *cnt;
    char count_sql[512];
    snprintf(count_sql, sizeof count_sql, QUERY_NOT_STORED, meta_has_frame(x->db) ? FRAME_MATCH : "");
    if (sqlite3_prepare_v2(x->db, count_sql, -1, &cnt, NULL) != SQLITE_OK) {
        fprintf(stderr, "netsift extract: meta database '%s': %s\n", x->db_file, sqlite3_errmsg(x->db));
        goto out;
    }
    if (sqlite3_step(cnt) == SQLITE_ROW)
        x->not_stored = (uint64_t)sqlite3_column_int64(cnt, 0);
    sqlite3_finalize(cnt);
    status = 0;
out:
    sqlite3_finalize(ins);
    sqlite3_finalize(st);
    sqlite3_close(hdb);
    header_files_free(&hf);
    return status;
}

/* The link type and snapshot length of the store's first file, for the
 * filter check and an empty output. */
static void guess_link(struct extract *x)
{
    sqlite3_stmt *st;
    x->guess_linktype = DLT_EN10MB;
    x->guess_snaplen = 262144;
    if (sqlite3_prepare_v2(x->db,
                           "SELECT linktype, snaplen FROM files WHERE deleting = 0 "
                           "ORDER BY opened LIMIT 1",
                           -1, &st, NULL) != SQLITE_OK)
        return;
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 1) > 0) {
        x->guess_linktype = sqlite3_column_int(st, 0);
        x->guess_snaplen = sqlite3_column_int(st, 1);
    }
    sqlite3_finalize(st);
}

static int open_db(struct extract *x)
{
    struct stat st;
    if (stat(x->db_file, &st) != 0) {
        fprintf(stderr, "netsift extract: cannot open meta database '%s': %s\n", x->db_file,
                strerror(errno));
        return -1;
    }
    if (sqlite3_open_v2(x->db_file, &x->db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        fprintf(stderr, "netsift extract: cannot open meta database '%s': %s\n", x->db_file,
                sqlite3_errmsg(x->db));
        return -1;
    }
    sqlite3_busy_timeout(x->db, 5000);
    return 0;
}

/* Every row of the query; 0, 1 when the index failed part-way, -1 when
 * the output failed. */
static int export_rows(struct extract *x)
{
    sqlite3_stmt *st = prepare_query(x);
    if (!st) {
        fprintf(stderr, "netsift extract: meta database '%s': cannot query: %s\n", x->db_file,
                sqlite3_errmsg(x->db));
        return 1;
    }
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        x->rows++;
        if (export_row(x, st) != 0) {
            sqlite3_finalize(st);
            return -1;
        }
    }
    if (rc != SQLITE_DONE)
        fprintf(stderr, "netsift extract: meta database '%s': %s after %" PRIu64
                " rows (those were exported)\n", x->db_file, sqlite3_errmsg(x->db), x->rows);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : 1;
}

/* One line per file with rows not exported; the number of such files. */
static size_t report_losses(const struct extract *x)
{
    size_t n = 0;
    for (size_t i = 0; i < x->nfiles; i++) {
        const struct pfile *f = &x->files[i];
        if (!f->lost)
            continue;
        n++;
        fprintf(stderr, "netsift extract: pcap file '%s/%s': %s; %" PRIu64
                " rows not exported (ids %s .. %s)\n", x->dir, f->name[0] ? f->name : "?",
                f->reason, f->lost, f->first_id, f->last_id);
    }
    return n;
}

static void cleanup(struct extract *x)
{
    for (size_t i = 0; i < x->nfiles; i++)
        close_pfile(x, &x->files[i]);
    free(x->files);
    free(x->buf);
    if (x->have_prog)
        pcap_freecode(&x->prog);
    if (x->out)
        pcap_dump_close(x->out);
    if (x->out_dead)
        pcap_close(x->out_dead);
    sqlite3_close(x->db);
    free(x);
}

int extract_main(int argc, char **argv)
{
    struct extract *x = calloc(1, sizeof *x);
    char err[512];
    if (!x) {
        fprintf(stderr, "netsift extract: out of memory\n");
        return 1;
    }
    int rc = parse_args(&x->a, argc, argv, err, sizeof err);
    if (rc != 0) {
        if (rc < 0)
            fprintf(stderr, "netsift extract: %s\n", err);
        cleanup(x);
        return rc < 0 ? 2 : 0;
    }
    snprintf(x->dir, sizeof x->dir, "%s/" PCAP_DIR, x->a.db_path);
    snprintf(x->db_file, sizeof x->db_file, "%s/" PCAP_META_DB, x->a.db_path);
    if (open_db(x) != 0) {
        cleanup(x);
        return 1;
    }
    guess_link(x);
    pcap_t *check = pcap_open_dead(x->guess_linktype, x->guess_snaplen);
    rc = check ? compile_filter(x, check) : -1;
    if (check)
        pcap_close(check);
    if (rc != 0) {
        cleanup(x);
        return 2;
    }
    if (x->a.sql && (rc = select_rows(x)) != 0) {
        cleanup(x);
        return rc;
    }
    int status = export_rows(x);
    if (status >= 0 && close_output(x) != 0)
        status = -1;
    if (report_losses(x))
        status = status ? status : 1;
    if (!x->a.quiet && status >= 0)
        fprintf(stderr, "netsift extract: %" PRIu64 " packets written to '%s' (%" PRIu64
                " rows matched)\n", x->written, x->a.out, x->rows);
    if (!x->a.quiet && x->a.sql)
        fprintf(stderr, "netsift extract: --sql selected %" PRIu64 " header rows; %" PRIu64
                " of them have no packet in the store (removed by retention or not stored)\n",
                x->selected, x->not_stored);
    cleanup(x);
    return status ? 1 : 0;
}
