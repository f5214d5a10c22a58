/*
 * test_fuzz_replay.c - the decoder fuzzer's body, run by ctest without
 * libFuzzer: every saved crasher (tests/fuzz/regressions/fuzz_decode/),
 * every seed (tests/fuzz/corpus/fuzz_decode/), then 100000 pseudo-random
 * frames from a fixed-seed generator, half of them mutated seeds.  Each
 * input is copied into a heap block of exactly its size, so the sanitizer
 * build catches any over-read; fuzz_decode_one() aborts on a broken
 * decoder invariant.
 *
 * The fuzz directories are found through $SRC_DIR (the source tree) when
 * it is set, else relative to this file's compile-time path.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "../fuzz/fuzz_decode_body.c"

struct input {
    uint8_t *data;
    size_t len;
};

static struct input seeds[512];
static size_t nseeds;

static void fuzz_dir(char *buf, size_t size, const char *sub)
{
    const char *src = getenv("SRC_DIR");
    if (src && *src) {
        snprintf(buf, size, "%s/tests/fuzz/%s", src, sub);
        return;
    }
    const char *file = __FILE__; /* .../tests/unit/test_fuzz_replay.c */
    const char *slash = strrchr(file, '/');
    int dirlen = slash ? (int)(slash - file) : 1;
    snprintf(buf, size, "%.*s/../fuzz/%s", dirlen, slash ? file : ".", sub);
}

/* Run every regular, non-hidden file of dir through fuzz_decode_one();
 * keep copies as seeds when keep is set.  Returns the number of files. */
static size_t replay_dir(const char *dir, bool keep)
{
    DIR *d = opendir(dir);
    if (!d)
        fail_msg("cannot open %s", dir);
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct stat st;
        if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
            continue;
        FILE *f = fopen(path, "rb");
        assert_non_null(f);
        size_t len = (size_t)st.st_size;
        uint8_t *buf = malloc(len ? len : 1);
        assert_non_null(buf);
        assert_int_equal(fread(buf, 1, len, f), len);
        fclose(f);
        fuzz_decode_one(buf, len);
        if (keep && nseeds < sizeof seeds / sizeof seeds[0] && len > 0)
            seeds[nseeds++] = (struct input){buf, len};
        else
            free(buf);
        n++;
    }
    closedir(d);
    return n;
}

static void test_regressions(void **state)
{
    (void)state;
    char dir[4096];
    fuzz_dir(dir, sizeof dir, "regressions/fuzz_decode");
    size_t n = replay_dir(dir, true);
    print_message("replayed %zu regression inputs from %s\n", n, dir);
}

static void test_seeds(void **state)
{
    (void)state;
    char dir[4096];
    fuzz_dir(dir, sizeof dir, "corpus/fuzz_decode");
    size_t n = replay_dir(dir, true);
    assert_true(n > 0);
    print_message("replayed %zu seeds from %s\n", n, dir);
}

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static void test_pseudo_random_frames(void **state)
{
    (void)state;
    enum { RUNS = 100000 };
    for (int i = 0; i < RUNS; i++) {
        size_t len;
        uint8_t *buf;
        if (nseeds && (i & 1)) {
            /* a seed with a few bytes changed, then maybe cut */
            const struct input *s = &seeds[next() % nseeds];
            len = s->len;
            if (next() % 4 == 0)
                len = 1 + next() % len;
            buf = malloc(len);
            assert_non_null(buf);
            memcpy(buf, s->data, len);
            for (int k = (int)(next() % 4) + 1; k > 0; k--) {
                size_t at = next() % len;
                switch (next() % 4) {
                case 0: buf[at] = 0x00; break;
                case 1: buf[at] = 0xff; break;
                case 2: buf[at] ^= (uint8_t)(1u << (next() % 8)); break;
                default: buf[at] = (uint8_t)next(); break;
                }
            }
        } else {
            len = next() % 400;
            buf = malloc(len ? len : 1);
            assert_non_null(buf);
            for (size_t k = 0; k < len; k++)
                buf[k] = (uint8_t)next();
            /* make the link header plausible now and then */
            if (len > 14 && next() % 2) {
                buf[0] = 0; /* Ethernet */
                buf[13] = next() % 2 ? 0x08 : 0x86;
                buf[14] = buf[13] == 0x08 ? 0x00 : 0xdd;
                if (len > 15)
                    buf[15] = buf[13] == 0x08 ? 0x45 : 0x60;
            }
        }
        fuzz_decode_one(buf, len);
        free(buf);
    }
}

static int free_seeds(void **state)
{
    (void)state;
    for (size_t i = 0; i < nseeds; i++)
        free(seeds[i].data);
    nseeds = 0;
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_regressions),
        cmocka_unit_test(test_seeds),
        cmocka_unit_test(test_pseudo_random_frames),
    };
    return cmocka_run_group_tests(tests, NULL, free_seeds);
}
