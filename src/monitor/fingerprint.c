/*
 * fingerprint.c - fingerprint inputs and their hashes (see
 * fingerprint.h; the digests are util/digest.h's).
 */
#include "fingerprint.h"

#include <stdio.h>
#include <string.h>

#include "../util/digest.h"
#include "../util/text.h"

const char *fp_kind_name(enum fp_kind k)
{
    static const char *const names[] = {"none", "dns", "dhcp", "tls", "http", "ssh", "quic"};
    return (unsigned)k < sizeof names / sizeof names[0] ? names[k] : "?";
}

/* input = parts joined by '\n'; hash it; set kind and query. */
static void make(struct fingerprint *fp, enum fp_kind kind, const char *query,
                 const char *const *parts, int nparts)
{
    size_t used = 0;
    fp->kind = kind;
    for (int i = 0; i < nparts; i++) {
        /* parts are at most FP_TEXT_MAX bytes: three and two newlines fit */
        size_t n = parts[i] ? strnlen(parts[i], FP_TEXT_MAX) : 0;
        if (i)
            fp->input[used++] = '\n';
        memcpy(fp->input + used, parts[i] ? parts[i] : "", n);
        used += n;
    }
    fp->input[used] = '\0';
    digest_sha256_b64(fp->input, used, fp->hash);
    size_t q = query ? strnlen(query, FP_TEXT_MAX) : 0;
    memcpy(fp->query, query ? query : "", q);
    fp->query[q] = '\0';
}

void fp_make_dns(struct fingerprint *fp, const char *qname)
{
    const char *parts[] = {qname};
    make(fp, FP_DNS, qname, parts, 1);
}

void fp_make_tls(struct fingerprint *fp, const char *sni, const char *ja4, const char *ja3s)
{
    const char *parts[] = {sni, ja4, ja3s};
    make(fp, FP_TLS, sni, parts, 3);
}

void fp_make_http(struct fingerprint *fp, const char *host, const char *user_agent)
{
    const char *parts[] = {host, user_agent};
    make(fp, FP_HTTP, host, parts, 2);
}

void fp_make_ssh(struct fingerprint *fp, const char *client, const char *server)
{
    const char *parts[] = {client, server};
    make(fp, FP_SSH, client, parts, 2);
}

void fp_make_dhcp(struct fingerprint *fp, const char *params, const char *vendor_class,
                  const char *host_name)
{
    const char *parts[] = {params, vendor_class};
    make(fp, FP_DHCP, host_name, parts, 2);
}

void fp_make_quic(struct fingerprint *fp, const char *sni)
{
    const char *parts[] = {sni};
    make(fp, FP_QUIC, sni, parts, 1);
}
