/*
 * test_http_body.c - extraction of HTTP bodies (src/stream/http_body.c):
 * small bodies stay in memory and touch the disk only at their end;
 * content already extracted is not written again; large bodies and bodies
 * past the worker's memory budget go through temporary files; nothing
 * temporary is left; a directory that vanished is a counted write error.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "stream/http_body.h"

struct fixture {
    char dir[64];
    struct body_out out;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/test_http_body.XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    f->out.dirfd = open(f->dir, O_RDONLY | O_DIRECTORY);
    assert_true(f->out.dirfd >= 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    DIR *d = opendir(f->dir);
    struct dirent *e;
    while (d && (e = readdir(d)))
        if (e->d_name[0] != '.' || strncmp(e->d_name, ".partial", 8) == 0)
            unlinkat(f->out.dirfd, e->d_name, 0);
    if (d)
        closedir(d);
    close(f->out.dirfd);
    rmdir(f->dir);
    free(f);
    return 0;
}

/* Files in the directory: all, and temporary ones. */
static int count_files(struct fixture *f, int *partial)
{
    int n = 0;
    *partial = 0;
    DIR *d = opendir(f->dir);
    struct dirent *e;
    while (d && (e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        n++;
        *partial += strncmp(e->d_name, ".partial", 8) == 0;
    }
    if (d)
        closedir(d);
    return n;
}

static void sha256_hex(const uint8_t *p, size_t n, char hex[65])
{
    uint8_t md[32];
    unsigned len = 0;
    EVP_Digest(p, n, md, &len, EVP_sha256(), NULL);
    for (unsigned i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
}

/* The file named `name` holds exactly p[0..n). */
static void assert_file(struct fixture *f, const char *name, const uint8_t *p, size_t n)
{
    int fd = openat(f->out.dirfd, name, O_RDONLY);
    assert_true(fd >= 0);
    uint8_t *got = malloc(n + 1);
    assert_int_equal(read(fd, got, n + 1), (ssize_t)n);
    assert_memory_equal(got, p, n);
    free(got);
    close(fd);
}

static uint8_t *pattern(size_t n, unsigned seed)
{
    uint8_t *p = malloc(n);
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)(i * 31 + seed * 7 + (i >> 8));
    return p;
}

/* One body in pieces of `piece` bytes; returns its SHA-256 name. */
static void one_body(struct fixture *f, const uint8_t *p, size_t n, size_t piece, char sha[65])
{
    struct http_body b;
    assert_true(body_begin(&b, "", &f->out));
    for (size_t off = 0; off < n; off += piece)
        body_data(&b, p + off, n - off < piece ? n - off : piece, &f->out);
    body_end(&b, sha, &f->out);
}

static void test_small_body_in_memory(void **state)
{
    struct fixture *f = *state;
    uint8_t *p = pattern(5000, 1);
    struct http_body b;
    assert_true(body_begin(&b, "", &f->out));
    body_data(&b, p, 3000, &f->out);
    body_data(&b, p + 3000, 2000, &f->out);
    int partial, n = count_files(f, &partial);
    assert_int_equal(n, 0); /* nothing on disk before the end */
    char sha[65], want[65];
    body_end(&b, sha, &f->out);
    sha256_hex(p, 5000, want);
    assert_string_equal(sha, want);
    assert_file(f, want, p, 5000);
    assert_int_equal(f->out.files, 1);
    assert_int_equal(f->out.counter, 1); /* one temporary file, made at the end */
    assert_int_equal(f->out.buffered, 0);
    /* the same content again: counted, not written again */
    one_body(f, p, 5000, 700, sha);
    assert_string_equal(sha, want);
    assert_int_equal(f->out.files, 2);
    assert_int_equal(f->out.counter, 1);
    assert_int_equal(count_files(f, &partial), 1);
    free(p);
}

static void test_large_body_through_temporary_file(void **state)
{
    struct fixture *f = *state;
    size_t len = BODY_BUFFER_MAX + 12345;
    uint8_t *p = pattern(len, 2);
    struct http_body b;
    assert_true(body_begin(&b, "", &f->out));
    body_data(&b, p, BODY_BUFFER_MAX, &f->out);
    int partial;
    assert_int_equal(count_files(f, &partial), 0);
    body_data(&b, p + BODY_BUFFER_MAX, len - BODY_BUFFER_MAX, &f->out);
    assert_int_equal(count_files(f, &partial), 1);
    assert_int_equal(partial, 1); /* past the limit: on disk as it arrives */
    char sha[65], want[65];
    body_end(&b, sha, &f->out);
    sha256_hex(p, len, want);
    assert_string_equal(sha, want);
    assert_file(f, want, p, len);
    assert_int_equal(count_files(f, &partial), 1);
    assert_int_equal(partial, 0);
    assert_int_equal(f->out.buffered, 0);
    /* the same large content again: its temporary file is removed */
    one_body(f, p, len, 4096, sha);
    assert_int_equal(f->out.files, 2);
    assert_int_equal(count_files(f, &partial), 1);
    assert_int_equal(partial, 0);
    free(p);
}

static void test_memory_budget(void **state)
{
    struct fixture *f = *state;
    enum { N = BODY_BUFFER_BUDGET / BODY_BUFFER_MAX + 16 };
    size_t len = BODY_BUFFER_MAX - 100;
    struct http_body *b = calloc(N, sizeof *b);
    uint8_t *p[N];
    for (int i = 0; i < N; i++) {
        p[i] = pattern(len, 10 + (unsigned)i);
        assert_true(body_begin(&b[i], "", &f->out));
        body_data(&b[i], p[i], len, &f->out);
        assert_true(f->out.buffered <= BODY_BUFFER_BUDGET);
    }
    int partial;
    count_files(f, &partial);
    assert_int_equal(partial, 16); /* past the budget: temporary files */
    for (int i = 0; i < N; i++) {
        char sha[65], want[65];
        body_end(&b[i], sha, &f->out);
        sha256_hex(p[i], len, want);
        assert_string_equal(sha, want);
        assert_file(f, want, p[i], len);
        free(p[i]);
    }
    assert_int_equal(count_files(f, &partial), N);
    assert_int_equal(partial, 0);
    assert_int_equal(f->out.buffered, 0);
    assert_int_equal(f->out.files, N);
    free(b);
}

static void test_bodies_not_kept(void **state)
{
    struct fixture *f = *state;
    uint8_t *p = pattern(BODY_BUFFER_MAX * 2, 3);
    struct http_body b;
    char sha[65];
    /* a gap: hashed, not extracted */
    assert_true(body_begin(&b, "", &f->out));
    body_data(&b, p, 100, &f->out);
    body_gap(&b, 50);
    body_data(&b, p + 150, 100, &f->out);
    body_end(&b, sha, &f->out);
    /* dropped mid-way, after it reached a temporary file */
    assert_true(body_begin(&b, "", &f->out));
    body_data(&b, p, BODY_BUFFER_MAX * 2, &f->out);
    body_abort(&b, &f->out);
    /* gzip that does not inflate: hashed as transferred, not extracted */
    assert_true(body_begin(&b, "gzip", &f->out));
    body_data(&b, p, 1000, &f->out);
    body_end(&b, sha, &f->out);
    int partial;
    assert_int_equal(count_files(f, &partial), 0);
    assert_int_equal(f->out.files, 0);
    assert_int_equal(f->out.write_errors, 0);
    assert_int_equal(f->out.buffered, 0);
    free(p);
}

static void test_directory_gone(void **state)
{
    struct fixture *f = *state;
    uint8_t *p = pattern(1000, 4);
    assert_int_equal(rmdir(f->dir), 0);
    char sha[65];
    one_body(f, p, 1000, 1000, sha);
    assert_int_equal(strlen(sha), 64); /* still hashed */
    assert_int_equal(f->out.files, 0);
    assert_int_equal(f->out.write_errors, 1);
    assert_int_equal(f->out.buffered, 0);
    free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_small_body_in_memory, setup, teardown),
        cmocka_unit_test_setup_teardown(test_large_body_through_temporary_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_memory_budget, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bodies_not_kept, setup, teardown),
        cmocka_unit_test_setup_teardown(test_directory_gone, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
