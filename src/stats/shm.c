/*
 * shm.c - statistics segments: layout, sequence lock, readers (see shm.h).
 */
#define _GNU_SOURCE
#include "shm.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../util/text.h"

const unsigned stats_window_seconds[STATS_WINDOWS] = {1, 10, 60};

const char *const stats_kind_names[SK_COUNT] = {
    [SK_MAC] = "mac",           [SK_IP] = "ip",
    [SK_IFACE] = "interface",   [SK_PROTO] = "protocol",
    [SK_CONV] = "conversation", [SK_HOST] = "host",
};

int stats_kind_lookup(const char *name)
{
    for (int k = 0; k < SK_COUNT; k++)
        if (strcmp(name, stats_kind_names[k]) == 0)
            return k;
    return -1;
}

/* A cheap, order-dependent mix of 64-bit words (splitmix64 steps). */
static uint64_t mix(const uint64_t *w, size_t n)
{
    uint64_t h = 0x9e3779b97f4a7c15ull;
    for (size_t i = 0; i < n; i++) {
        h ^= w[i] + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
        h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9ull;
        h = (h ^ (h >> 27)) * 0x94d049bb133111ebull;
        h ^= h >> 31;
    }
    return h;
}

uint64_t stats_entry_check(const struct stats_entry *e)
{
    uint64_t w[offsetof(struct stats_entry, check) / 8];
    memcpy(w, e, sizeof w);
    return mix(w, sizeof w / 8);
}

uint64_t stats_header_check(const struct stats_shm_header *h)
{
    /* from nentries (after seq) up to check */
    size_t from = offsetof(struct stats_shm_header, nentries);
    uint64_t
        w[(offsetof(struct stats_shm_header, check) - offsetof(struct stats_shm_header, nentries)) /
          8];
    memcpy(w, (const char *)h + from, sizeof w);
    return mix(w, sizeof w / 8);
}

static void side_text(uint8_t type, const uint8_t *v, char *out)
{
    switch (type) {
    case AT_MAC: format_hex_colon(v, 6, out); break;
    case AT_IP4: format_ip4(v, out); break;
    case AT_IP6: format_ip6(v, out); break;
    case AT_TEXT: {
        char raw[17];
        memcpy(raw, v, 16);
        raw[16] = '\0';
        text_escape((const uint8_t *)raw, strlen(raw), out, ADDR_TEXT_MAX, false);
        break;
    }
    default: out[0] = '\0';
    }
}

void stats_key_side(const struct stats_key *k, int side, char *out)
{
    side_text(side ? k->type_b : k->type_a, side ? k->b : k->a, out);
}

void stats_key_format(const struct stats_key *k, char *out)
{
    char a[ADDR_TEXT_MAX], b[ADDR_TEXT_MAX];
    stats_key_side(k, 0, a);
    stats_key_side(k, 1, b);
    if (k->type_b != AT_NONE)
        snprintf(out, STATS_KEY_TEXT, "%s,%s", a, b);
    else
        snprintf(out, STATS_KEY_TEXT, "%s", a);
}

void stats_shm_name(const char *prefix, const char *watcher, char *out)
{
    snprintf(out, STATS_NAME_MAX * 2 + 2, "/%s.%s", prefix, watcher);
}

int stats_shm_create(struct stats_shm *s, const char *prefix, const char *watcher,
                     uint32_t capacity, char *err, size_t errlen)
{
    memset(s, 0, sizeof *s);
    stats_shm_name(prefix, watcher, s->name);
    s->size = STATS_HEADER_SIZE + (size_t)capacity * sizeof(struct stats_entry);
    int old = shm_open(s->name, O_RDONLY, 0);
    if (old >= 0) { /* a segment of a running daemon is not taken over */
        pid_t pid = 0;
        struct stats_shm_header h;
        if (pread(old, &h, sizeof h, 0) == (ssize_t)sizeof h && h.magic == STATS_SHM_MAGIC)
            pid = h.pid;
        close(old);
        if (pid > 0 && pid != getpid() && (kill(pid, 0) == 0 || errno == EPERM)) {
            snprintf(err, errlen,
                     "shared memory %s is in use by netsift daemon pid %d (another daemon with "
                     "the same shm_prefix?)",
                     s->name, (int)pid);
            return -1;
        }
    }
    shm_unlink(s->name); /* a segment left by a daemon that died */
    int fd = shm_open(s->name, O_RDWR | O_CREAT | O_EXCL, 0644);
    if (fd < 0) {
        snprintf(err, errlen, "shared memory %s: %s", s->name, strerror(errno));
        return -1;
    }
    if (ftruncate(fd, (off_t)s->size) != 0) {
        snprintf(err, errlen, "shared memory %s: %s", s->name, strerror(errno));
        close(fd);
        shm_unlink(s->name);
        return -1;
    }
    void *p = mmap(NULL, s->size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    if (p == MAP_FAILED) {
        snprintf(err, errlen, "shared memory %s: %s", s->name, strerror(errno));
        shm_unlink(s->name);
        return -1;
    }
    s->hdr = p;
    s->entries = (struct stats_entry *)((char *)p + STATS_HEADER_SIZE);
    /* a new file is zero-filled: seq 0 (even), nentries 0 */
    s->hdr->version = STATS_SHM_VERSION;
    s->hdr->header_size = STATS_HEADER_SIZE;
    s->hdr->entry_size = sizeof(struct stats_entry);
    s->hdr->capacity = capacity;
    snprintf(s->hdr->watcher, sizeof s->hdr->watcher, "%s", watcher);
    s->hdr->check = stats_header_check(s->hdr);
    atomic_thread_fence(memory_order_release);
    s->hdr->magic = STATS_SHM_MAGIC; /* last: a reader that sees it sees the rest */
    return 0;
}

void stats_shm_begin(struct stats_shm *s)
{
    uint64_t q = atomic_load_explicit(&s->hdr->seq, memory_order_relaxed);
    atomic_store_explicit(&s->hdr->seq, q + 1, memory_order_relaxed);
    atomic_thread_fence(memory_order_release);
}

void stats_shm_end(struct stats_shm *s)
{
    struct stats_shm_header *h = s->hdr;
    for (uint64_t i = 0; i < h->nentries; i++)
        s->entries[i].check = stats_entry_check(&s->entries[i]);
    h->publishes++;
    h->check = stats_header_check(h);
    uint64_t q = atomic_load_explicit(&h->seq, memory_order_relaxed);
    atomic_store_explicit(&h->seq, q + 1, memory_order_release);
}

void stats_shm_close(struct stats_shm *s, bool unlink_it)
{
    if (!s->hdr)
        return; /* never created (or closed already): the name is not ours */
    munmap(s->hdr, s->size);
    if (unlink_it && s->name[0])
        shm_unlink(s->name);
    s->hdr = NULL;
    s->entries = NULL;
}

/* A reader retries while the writer is inside a publish: spinning first,
 * then in 1 ms naps (a writer preempted mid-publish on a loaded machine
 * holds the sequence odd for a whole time slice), for READ_PATIENCE_MS
 * in all. */
#define READ_SPINS 64
#define READ_PATIENCE_MS 2000

static int read_once(const void *base, size_t size, struct stats_snapshot *out, char *err,
                     size_t errlen);

int stats_shm_read(const void *base, size_t size, struct stats_snapshot *out, char *err,
                   size_t errlen)
{
    int rc = read_once(base, size, out, err, errlen);
    if (rc != 0)
        stats_snapshot_free(out); /* nothing half-read is handed out */
    return rc;
}

static int read_once(const void *base, size_t size, struct stats_snapshot *out, char *err,
                     size_t errlen)
{
    memset(out, 0, sizeof *out);
    const struct stats_shm_header *h = base;
    if (size < STATS_HEADER_SIZE || h->magic != STATS_SHM_MAGIC) {
        snprintf(err, errlen, "not a netsift statistics segment");
        return -1;
    }
    if (h->version != STATS_SHM_VERSION || h->header_size != STATS_HEADER_SIZE ||
        h->entry_size != sizeof(struct stats_entry)) {
        snprintf(err, errlen, "statistics segment version %u (this netsift reads %u)", h->version,
                 STATS_SHM_VERSION);
        return -1;
    }
    size_t cap = h->capacity;
    if (cap > (size - STATS_HEADER_SIZE) / sizeof(struct stats_entry)) {
        snprintf(err, errlen, "statistics segment shorter than its capacity");
        return -1;
    }
    const struct stats_entry *src =
        (const struct stats_entry *)((const char *)base + STATS_HEADER_SIZE);
    /* room for the entries in use now, grown when a copy shows more: a
     * segment's capacity may be far larger than what it holds */
    size_t room = 0;
    for (int tries = 0; tries < READ_SPINS + READ_PATIENCE_MS; tries++) {
        if (tries >= READ_SPINS) {
            struct timespec nap = {0, 1000000};
            nanosleep(&nap, NULL);
        }
        size_t want = ((const volatile struct stats_shm_header *)h)->nentries;
        want = want > cap ? cap : want;
        if (!out->entries || want > room) {
            room = want + want / 4 + 64 < cap ? want + want / 4 + 64 : cap;
            free(out->entries);
            out->entries = malloc(room ? room * sizeof *out->entries : 1);
            if (!out->entries) {
                snprintf(err, errlen, "out of memory");
                return -1;
            }
        }
        uint64_t s1 =
            atomic_load_explicit(&((struct stats_shm_header *)h)->seq, memory_order_acquire);
        if (s1 & 1) {
            out->retries++;
            sched_yield();
            continue;
        }
        memcpy(&out->hdr, h, sizeof out->hdr);
        size_t n = out->hdr.nentries <= room ? out->hdr.nentries : 0;
        memcpy(out->entries, src, n * sizeof *src);
        atomic_thread_fence(memory_order_acquire);
        uint64_t s2 =
            atomic_load_explicit(&((struct stats_shm_header *)h)->seq, memory_order_relaxed);
        if (s1 != s2 || out->hdr.nentries > room) {
            out->retries++;
            continue;
        }
        if (out->hdr.check != stats_header_check(&out->hdr)) {
            snprintf(err, errlen, "torn read: header check value does not match");
            return -2;
        }
        for (size_t i = 0; i < n; i++)
            if (out->entries[i].check != stats_entry_check(&out->entries[i])) {
                snprintf(err, errlen, "torn read: entry %zu check value does not match", i);
                return -2;
            }
        return 0;
    }
    snprintf(err, errlen, "statistics segment stayed busy");
    return -1;
}

int stats_shm_read_named(const char *prefix, const char *watcher, struct stats_snapshot *out,
                         char *err, size_t errlen)
{
    char name[STATS_NAME_MAX * 2 + 2];
    stats_shm_name(prefix, watcher, name);
    memset(out, 0, sizeof *out);
    int fd = shm_open(name, O_RDONLY, 0);
    if (fd < 0) {
        snprintf(err, errlen, "no watcher '%s' (shared memory %s: %s)", watcher, name,
                 strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || st.st_size < STATS_HEADER_SIZE) {
        close(fd);
        snprintf(err, errlen, "shared memory %s: not a netsift statistics segment", name);
        return -1;
    }
    void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
    close(fd);
    if (p == MAP_FAILED) {
        snprintf(err, errlen, "shared memory %s: %s", name, strerror(errno));
        return -1;
    }
    int rc = stats_shm_read(p, (size_t)st.st_size, out, err, errlen);
    munmap(p, (size_t)st.st_size);
    return rc;
}

void stats_snapshot_free(struct stats_snapshot *s)
{
    free(s->entries);
    s->entries = NULL;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int stats_shm_list(const char *prefix, char ***names)
{
    *names = NULL;
    DIR *d = opendir("/dev/shm");
    if (!d)
        return -1;
    size_t plen = strlen(prefix), n = 0, cap = 0;
    char **v = NULL;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (strncmp(de->d_name, prefix, plen) != 0 || de->d_name[plen] != '.' ||
            !de->d_name[plen + 1])
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 8;
            char **nv = realloc(v, cap * sizeof *v);
            if (!nv)
                break;
            v = nv;
        }
        v[n] = strdup(de->d_name + plen + 1);
        if (v[n])
            n++;
    }
    closedir(d);
    if (n)
        qsort(v, n, sizeof *v, cmp_str);
    *names = v;
    return (int)n;
}
