/*
 * test_http.c - the HTTP/1.x parser (src/stream/http.c) fed reassembled
 * bytes directly: keep-alive, pipelining, chunked bodies split anywhere,
 * 100-continue, HEAD and 304 without bodies, close-delimited bodies,
 * gzip and deflate decoding, gaps, and the bounds on hostile input.
 * Body hashes are checked against SHA-256 computed here with OpenSSL.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <zlib.h>

#include "decode/http.h"
#include "stream/http.h"

#define MAXT 64

struct got {
    struct http_txn t[MAXT];
    char uri[MAXT][256];
    int n;
};

static void on_emit(void *user, const struct reasm_conn *c, struct http_txn *t)
{
    struct got *g = user;
    (void)c;
    assert_true(g->n < MAXT);
    g->t[g->n] = *t;
    snprintf(g->uri[g->n], sizeof g->uri[0], "%s", t->uri ? t->uri : "");
    g->t[g->n].uri = g->uri[g->n];
    g->t[g->n].uri_buf = NULL;
    g->n++;
}

struct fixture {
    struct reasm_conn conn;
    struct http_ctx ctx;
    struct http_conn *h;
    struct got got;
};

static struct fixture *fx_new(void)
{
    struct fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    f->conn.key.family = 4;
    f->conn.key.port[0] = 40000;
    f->conn.key.port[1] = 80;
    f->ctx.out.dirfd = -1;
    f->ctx.memcap = 1 << 20;
    f->ctx.emit = on_emit;
    f->ctx.user = &f->got;
    f->h = http_conn_new(&f->ctx, &f->conn);
    assert_non_null(f->h);
    return f;
}

/* Feed text to a direction in pieces of `step` bytes (0: all at once). */
static bool feed(struct fixture *f, int dir, const void *p, size_t n, size_t step)
{
    const uint8_t *b = p;
    bool more = true;
    if (!step)
        step = n;
    for (size_t i = 0; i < n; i += step)
        more = http_data(&f->ctx, f->h, dir, b + i, n - i < step ? n - i : step, 1000 + i);
    return more;
}

static void feeds(struct fixture *f, int dir, const char *s, size_t step)
{
    feed(f, dir, s, strlen(s), step);
}

static void fx_end(struct fixture *f)
{
    http_conn_end(&f->ctx, f->h);
    assert_int_equal(f->ctx.memory, 0); /* everything given back */
}

static void sha_hex(const void *p, size_t n, char out[65])
{
    uint8_t md[32];
    unsigned len = 0;
    EVP_Digest(p, n, md, &len, EVP_sha256(), NULL);
    for (int i = 0; i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
}

static void test_keepalive_and_fields(void **state)
{
    (void)state;
    for (size_t step = 0; step <= 7; step += 7) { /* whole, and split every 7 bytes */
        struct fixture *f = fx_new();
        feeds(f, 0, "GET /a?x=1 HTTP/1.1\r\nHost: example.com\r\nUser-Agent: test/1.0\r\n\r\n", step);
        feeds(f, 1, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello", step);
        assert_int_equal(f->got.n, 1); /* emitted as soon as complete */
        feeds(f, 0, "POST /b HTTP/1.0\r\ncontent-length: 3\r\n\r\nabc", step);
        feeds(f, 1, "HTTP/1.0 404 Not Found\r\nContent-Length: 0\r\n\r\n", step);
        fx_end(f);
        assert_int_equal(f->got.n, 2);
        struct http_txn *t = &f->got.t[0];
        assert_string_equal(t->method, "GET");
        assert_string_equal(t->uri, "/a?x=1");
        assert_string_equal(t->req_version, "1.1");
        assert_string_equal(t->host, "example.com");
        assert_string_equal(t->user_agent, "test/1.0");
        assert_int_equal(t->status, 200);
        assert_string_equal(t->reason, "OK");
        assert_string_equal(t->resp_content_type, "text/plain");
        assert_true(t->has_resp_cl);
        assert_int_equal(t->resp_content_length, 5);
        assert_int_equal(t->resp_body_len, 5);
        char want[65];
        sha_hex("hello", 5, want);
        assert_string_equal(t->resp_body_sha256, want);
        assert_int_equal(t->depth, 0);
        assert_string_equal(t->client_ip, "0.0.0.0");
        assert_int_equal(t->server_port, 80);
        t = &f->got.t[1];
        assert_string_equal(t->method, "POST");
        assert_int_equal(t->depth, 1);
        assert_int_equal(t->req_body_len, 3);
        sha_hex("abc", 3, want);
        assert_string_equal(t->req_body_sha256, want);
        assert_int_equal(t->status, 404);
        assert_string_equal(t->resp_body_sha256, ""); /* no body */
        assert_string_equal(t->flags, "");
        free(f);
    }
}

static void test_pipelining(void **state)
{
    (void)state;
    struct fixture *f = fx_new();
    feeds(f, 0, "GET /1 HTTP/1.1\r\n\r\nGET /2 HTTP/1.1\r\n\r\nHEAD /3 HTTP/1.1\r\n\r\n", 0);
    feeds(f, 1, "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nA"
                "HTTP/1.1 304 Not Modified\r\nContent-Length: 99\r\n\r\n"
                "HTTP/1.1 200 OK\r\nContent-Length: 12345\r\n\r\n", 0);
    fx_end(f);
    assert_int_equal(f->got.n, 3);
    assert_string_equal(f->got.t[0].uri, "/1");
    assert_int_equal(f->got.t[0].resp_body_len, 1);
    assert_string_equal(f->got.t[1].uri, "/2");
    assert_int_equal(f->got.t[1].status, 304); /* 304: no body whatever its length says */
    assert_int_equal(f->got.t[1].resp_body_len, 0);
    assert_string_equal(f->got.t[2].uri, "/3");
    assert_int_equal(f->got.t[2].resp_content_length, 12345); /* HEAD: no body */
    assert_int_equal(f->got.t[2].resp_body_len, 0);
    assert_string_equal(f->got.t[2].flags, "");
    free(f);
}

static void test_chunked(void **state)
{
    (void)state;
    const char *resp = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                       "5;ext=1\r\nhello\r\n1\r\n \r\nA\r\n0123456789\r\n0\r\nX-Trailer: 1\r\n\r\n";
    for (size_t step = 0; step <= 5; step++) {
        struct fixture *f = fx_new();
        feeds(f, 0, "GET / HTTP/1.1\r\n\r\n", 0);
        feeds(f, 1, resp, step);
        feeds(f, 0, "GET /next HTTP/1.1\r\n\r\n", 0);
        feeds(f, 1, "HTTP/1.1 204 No Content\r\n\r\n", 0);
        fx_end(f);
        assert_int_equal(f->got.n, 2);
        struct http_txn *t = &f->got.t[0];
        assert_true(t->resp_chunked);
        assert_int_equal(t->resp_body_len, 16);
        char want[65];
        sha_hex("hello 0123456789", 16, want);
        assert_string_equal(t->resp_body_sha256, want);
        assert_int_equal(f->got.t[1].status, 204);
        free(f);
    }
}

static void test_continue(void **state)
{
    (void)state;
    struct fixture *f = fx_new();
    feeds(f, 0, "PUT /up HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n", 0);
    feeds(f, 1, "HTTP/1.1 100 Continue\r\n\r\n", 0);
    feeds(f, 0, "data", 0);
    feeds(f, 1, "HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n", 0);
    fx_end(f);
    assert_int_equal(f->got.n, 1);
    assert_true(f->got.t[0].has_interim);
    assert_int_equal(f->got.t[0].interim, 100);
    assert_int_equal(f->got.t[0].status, 201);
    assert_int_equal(f->got.t[0].req_body_len, 4);
    free(f);
}

static void test_close_delimited(void **state)
{
    (void)state;
    struct fixture *f = fx_new();
    feeds(f, 0, "GET / HTTP/1.0\r\n\r\n", 0);
    feeds(f, 1, "HTTP/1.0 200 OK\r\n\r\nuntil", 0);
    feeds(f, 1, " the end", 0);
    assert_int_equal(f->got.n, 0);
    fx_end(f);
    assert_int_equal(f->got.n, 1);
    assert_int_equal(f->got.t[0].resp_body_len, 13);
    assert_string_equal(f->got.t[0].flags, "");
    free(f);
}

/* Compress with zlib: gzip (wbits 31), zlib (15) or raw deflate (-15). */
static size_t compress_to(const char *in, uint8_t *out, size_t cap, int wbits)
{
    z_stream z = {0};
    assert_int_equal(deflateInit2(&z, 6, Z_DEFLATED, wbits, 8, Z_DEFAULT_STRATEGY), Z_OK);
    z.next_in = (Bytef *)in;
    z.avail_in = (uInt)strlen(in);
    z.next_out = out;
    z.avail_out = (uInt)cap;
    assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
    size_t n = cap - z.avail_out;
    deflateEnd(&z);
    return n;
}

static void test_gzip_deflate(void **state)
{
    (void)state;
    const char *content = "the quick brown fox jumps over the lazy dog, again and again and again";
    char want[65];
    sha_hex(content, strlen(content), want);
    const struct { const char *enc; int wbits; } cases[] = {
        {"gzip", 31}, {"deflate", 15}, {"deflate", -15}, {"x-gzip", 31}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint8_t z[512];
        size_t zn = compress_to(content, z, sizeof z, cases[i].wbits);
        struct fixture *f = fx_new();
        char head[200];
        snprintf(head, sizeof head,
                 "HTTP/1.1 200 OK\r\nContent-Encoding: %s\r\nContent-Length: %zu\r\n\r\n",
                 cases[i].enc, zn);
        feeds(f, 0, "GET /z HTTP/1.1\r\n\r\n", 0);
        feeds(f, 1, head, 0);
        feed(f, 1, z, zn, 3);
        fx_end(f);
        assert_int_equal(f->got.n, 1);
        assert_int_equal(f->got.t[0].resp_body_len, zn);
        assert_int_equal(f->got.t[0].resp_body_size, strlen(content));
        assert_string_equal(f->got.t[0].resp_body_sha256, want);
        assert_string_equal(f->got.t[0].flags, "");
        free(f);
    }
    /* not really gzip: hashed as transferred, flagged */
    struct fixture *f = fx_new();
    feeds(f, 0, "GET /z HTTP/1.1\r\n\r\n", 0);
    feeds(f, 1, "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 6\r\n\r\nnotgz!", 0);
    fx_end(f);
    sha_hex("notgz!", 6, want);
    assert_string_equal(f->got.t[0].resp_body_sha256, want);
    assert_non_null(strstr(f->got.t[0].flags, "resp_decode_error"));
    free(f);
}

static void test_gaps(void **state)
{
    (void)state;
    struct fixture *f = fx_new();
    feeds(f, 0, "GET /1 HTTP/1.1\r\n\r\nGET /2 HTTP/1.1\r\n\r\n", 0);
    feeds(f, 1, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", 0);
    http_gap(&f->ctx, f->h, 1, 4); /* inside the body: it goes on */
    feeds(f, 1, "ghi", 0);
    assert_int_equal(f->got.n, 1);
    assert_true(f->got.t[0].resp_gap);
    assert_int_equal(f->got.t[0].resp_body_len, 6);
    feeds(f, 1, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab", 0);
    http_gap(&f->ctx, f->h, 1, 100); /* chunked framing lost: resync */
    feeds(f, 1, "zzzz", 0);            /* not a message start: skipped */
    feeds(f, 0, "GET /3 HTTP/1.1\r\n\r\n", 0);
    feeds(f, 1, "HTTP/1.1 302 Found\r\nContent-Length: 0\r\n\r\n", 0);
    fx_end(f);
    assert_int_equal(f->got.n, 3);
    assert_true(f->got.t[1].resp_gap);
    assert_non_null(strstr(f->got.t[1].flags, "gap"));
    assert_string_equal(f->got.t[2].uri, "/3");
    assert_int_equal(f->got.t[2].status, 302);
    assert_int_equal(f->ctx.st.resyncs, 1);
    free(f);
}

static void test_not_http(void **state)
{
    (void)state;
    struct fixture *f = fx_new();
    assert_false(feed(f, 0, "\x16\x03\x01\x02\x00\x01", 6, 0)); /* a TLS hello */
    fx_end(f);
    assert_int_equal(f->got.n, 0);
    assert_int_equal(f->ctx.st.connections, 0);
    free(f);
}

static void test_reply_first(void **state)
{
    (void)state;
    struct fixture *f = fx_new();
    /* the side reasm took for the client sends a response: roles swap */
    feeds(f, 0, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", 0);
    fx_end(f);
    assert_int_equal(f->got.n, 1);
    assert_false(f->got.t[0].has_req);
    assert_non_null(strstr(f->got.t[0].flags, "no_request"));
    assert_int_equal(f->got.t[0].client_port, 80); /* the other side is the client */
    free(f);
}

static void test_hostile(void **state)
{
    (void)state;
    /* an endless head */
    struct fixture *f = fx_new();
    feeds(f, 0, "GET / HTTP/1.1\r\n", 0);
    char junk[4096];
    memset(junk, 'a', sizeof junk);
    bool more = true;
    for (int i = 0; i < 40 && more; i++)
        more = feed(f, 0, junk, sizeof junk, 0);
    assert_false(more);
    assert_int_equal(f->ctx.st.head_too_large, 1);
    assert_true(f->ctx.memory <= HTTP_HEAD_MAX + 4096);
    fx_end(f);
    free(f);
    /* a chunk-size line that never ends, and one that is not hex */
    const char *bad[] = {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
                         "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloXX\r\n"};
    for (int i = 0; i < 2; i++) {
        f = fx_new();
        feeds(f, 0, "GET / HTTP/1.1\r\n\r\n", 0);
        feeds(f, 1, bad[i], 0);
        fx_end(f);
        assert_int_equal(f->ctx.st.bad_chunk, 1);
        assert_non_null(strstr(f->got.t[0].flags, "bad_chunk"));
        free(f);
    }
    f = fx_new();
    feeds(f, 0, "GET / HTTP/1.1\r\n\r\n", 0);
    feeds(f, 1, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", 0);
    for (int i = 0; i < 2000; i++)
        feeds(f, 1, "1;aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\nx\r\n", 0);
    fx_end(f);
    assert_int_equal(f->got.t[0].resp_body_len, 2000);
    free(f);
    /* bogus Content-Length values */
    const char *lens[] = {"-5", "abc", "99999999999999999999", "5, 6"};
    for (int i = 0; i < 4; i++) {
        f = fx_new();
        char req[200];
        snprintf(req, sizeof req, "POST / HTTP/1.1\r\nContent-Length: %s\r\n\r\n", lens[i]);
        feeds(f, 0, req, 0);
        fx_end(f);
        assert_int_equal(f->got.n, 1);
        assert_false(f->got.t[0].has_req_cl);
        assert_non_null(strstr(f->got.t[0].flags, "bad_content_length"));
        free(f);
    }
    /* endless pipelining: the queue is bounded */
    f = fx_new();
    for (int i = 0; i < 100; i++)
        feeds(f, 0, "GET /p HTTP/1.1\r\n\r\n", 0);
    assert_int_equal(f->ctx.st.requests, HTTP_PENDING_MAX);
    assert_int_equal(f->ctx.st.pending_overflow, 1);
    fx_end(f);
    assert_int_equal(f->got.n, HTTP_PENDING_MAX);
    free(f);
}

/* The one head parser (decode/http.h) that the streams sink and the
 * monitor both read heads with. */
static void test_head_parser(void **state)
{
    (void)state;
    struct http_request_line rl;
    const char *req = "GET /a b HTTP/1.1";
    assert_true(http_parse_request_line(req, strlen(req), &rl));
    assert_int_equal(rl.method_len, 3);
    assert_int_equal(rl.uri_len, 4); /* the URI runs to the last blank */
    assert_memory_equal(rl.uri, "/a b", 4);
    assert_memory_equal(rl.version, "1.1", 3);
    assert_false(http_parse_request_line("GET  HTTP/1.1", 13, &rl)); /* empty URI */
    assert_false(http_parse_request_line("GET / HTTP/1", 12, &rl));
    assert_false(http_parse_request_line("GET", 3, &rl));
    struct http_status_line sl;
    assert_true(http_parse_status_line("HTTP/1.0 404 Not Found", 22, &sl));
    assert_int_equal(sl.status, 404);
    assert_int_equal(sl.reason_len, 9);
    assert_true(http_parse_status_line("HTTP/1.1 204", 12, &sl));
    assert_int_equal(sl.reason_len, 0);
    assert_false(http_parse_status_line("HTTP/1.1 20x OK", 15, &sl));
    assert_false(http_parse_status_line("HTTP/1.1 2000", 13, &sl));
    assert_int_equal(http_start_kind("HTT", 3), 0);
    assert_int_equal(http_start_kind("M-SEARCH * HTTP/1.1", 19), 1);
    assert_int_equal(http_start_kind("get /", 5), -1);
    assert_int_equal(http_start_kind("HTTP/1.1 200", 12), 2);
    assert_true(http_known_method("OPTIONS *", 9));
    assert_false(http_known_method("GETX /", 6));

    /* fields: value trimmed, no-colon lines skipped, names any case, the
     * empty line completes the head; an unfinished head is not complete */
    const char *head = "GET / HTTP/1.1\r\nHOST:  Example.COM \t\r\nnonsense\r\n"
                       "user-agent: a: b\r\n\r\nBODY: no\r\n";
    struct http_field_iter it;
    struct http_field hf;
    assert_true(http_fields_begin(&it, head, strlen(head)));
    assert_true(http_field_next(&it, &hf));
    assert_true(http_field_is(&hf, "Host"));
    assert_int_equal(hf.value_len, 11);
    assert_memory_equal(hf.value, "Example.COM", 11);
    assert_true(http_field_next(&it, &hf));
    assert_true(http_field_is(&hf, "User-Agent"));
    assert_int_equal(hf.value_len, 4);
    assert_false(http_field_next(&it, &hf)); /* the empty line: fields after it are body */
    assert_true(it.complete);
    assert_true(http_fields_begin(&it, head, 30));
    while (http_field_next(&it, &hf))
        ;
    assert_false(it.complete);
    assert_false(http_fields_begin(&it, "GET / HT", 8));

    uint64_t cl;
    assert_true(http_content_length("1234", 4, &cl));
    assert_int_equal(cl, 1234);
    assert_false(http_content_length("12a", 3, &cl));
    assert_false(http_content_length("", 0, &cl));
    assert_false(http_content_length("12345678901234567890", 20, &cl));
    assert_true(http_chunked("gzip, chunked", 13));
    assert_true(http_chunked("Chunked ,", 9));
    assert_false(http_chunked("chunked, gzip", 13));
    assert_false(http_chunked(NULL, 0));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_head_parser),
        cmocka_unit_test(test_keepalive_and_fields),
        cmocka_unit_test(test_pipelining),
        cmocka_unit_test(test_chunked),
        cmocka_unit_test(test_continue),
        cmocka_unit_test(test_close_delimited),
        cmocka_unit_test(test_gzip_deflate),
        cmocka_unit_test(test_gaps),
        cmocka_unit_test(test_not_http),
        cmocka_unit_test(test_reply_first),
        cmocka_unit_test(test_hostile),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
