/*
 * protocol.c - strict parsing of control commands (see protocol.h).
 */
#include "protocol.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#define MAX_WORDS 6

static const char *const op_texts[OP_COUNT] = {">=", "<=", ">", "<", "="};

const char *control_op_text(enum control_op op)
{
    return (unsigned)op < OP_COUNT ? op_texts[op] : "?";
}

struct word {
    const char *p;
    size_t n;
};

/* Split on spaces and tabs; returns the word count, or -1 when there are
 * more than max. */
static int split(const char *line, size_t len, struct word *w, int max)
{
    int n = 0;
    size_t i = 0;
    while (i < len) {
        while (i < len && (line[i] == ' ' || line[i] == '\t'))
            i++;
        if (i == len)
            break;
        size_t start = i;
        while (i < len && line[i] != ' ' && line[i] != '\t')
            i++;
        if (n == max)
            return -1;
        w[n++] = (struct word){line + start, i - start};
    }
    return n;
}

static bool word_is(const struct word *w, const char *s)
{
    return w->n == strlen(s) && memcmp(w->p, s, w->n) == 0;
}

static int parse_mac(const struct word *w, char out[18])
{
    static const char hex[] = "0123456789abcdef";
    if (w->n != 17)
        return -1;
    for (size_t i = 0; i < 17; i++) {
        char c = w->p[i];
        if (i % 3 == 2) {
            if (c != ':')
                return -1;
            out[i] = ':';
            continue;
        }
        if (c >= 'A' && c <= 'F')
            c = (char)(c - 'A' + 'a');
        if (!c || !strchr(hex, c))
            return -1;
        out[i] = c;
    }
    out[17] = '\0';
    return 0;
}

static int parse_u63(const struct word *w, uint64_t *out)
{
    uint64_t v = 0;
    if (w->n == 0 || w->n > 19)
        return -1;
    for (size_t i = 0; i < w->n; i++) {
        if (w->p[i] < '0' || w->p[i] > '9')
            return -1;
        v = v * 10 + (uint64_t)(w->p[i] - '0');
    }
    if (v > (uint64_t)INT64_MAX)
        return -1;
    *out = v;
    return 0;
}

static int parse_op(const struct word *w, enum control_op *op)
{
    for (int i = 0; i < OP_COUNT; i++)
        if (word_is(w, op_texts[i])) {
            *op = (enum control_op)i;
            return 0;
        }
    return -1;
}

static int parse_protocol(const struct word *w, struct control_cmd *cmd)
{
    if (w->n == 3 && strncasecmp(w->p, "all", 3) == 0) {
        cmd->all_protocols = true;
        return 0;
    }
    if (w->n == 0 || w->n > CONTROL_PROTO_MAX)
        return -1;
    for (size_t i = 0; i < w->n; i++) {
        char c = w->p[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-'))
            return -1;
    }
    memcpy(cmd->protocol, w->p, w->n);
    cmd->protocol[w->n] = '\0';
    return 0;
}

static int fail(char *why, size_t whylen, const char *reason)
{
    snprintf(why, whylen, "%s", reason);
    return -1;
}

static int parse_query_fingerprint(const struct word *w, int n, struct control_cmd *cmd,
                                   char *why, size_t whylen)
{
    if (n != 5)
        return fail(why, whylen,
                    "usage: QUERY_FINGERPRINT mac timestamp op protocol (4 arguments)");
    if (parse_mac(&w[1], cmd->mac) != 0)
        return fail(why, whylen, "bad mac: expected aa:bb:cc:dd:ee:ff");
    cmd->has_mac = true;
    if (parse_u63(&w[2], &cmd->timestamp) != 0)
        return fail(why, whylen, "bad timestamp: expected decimal microseconds below 2^63");
    if (parse_op(&w[3], &cmd->op) != 0)
        return fail(why, whylen, "bad op: expected one of >= <= > < =");
    if (parse_protocol(&w[4], cmd) != 0)
        return fail(why, whylen, "bad protocol: expected all or a name of [A-Za-z0-9._-]");
    return 0;
}

int control_parse(const char *line, size_t len, struct control_cmd *cmd, char *why,
                  size_t whylen)
{
    struct word w[MAX_WORDS];
    memset(cmd, 0, sizeof *cmd);
    if (len && line[len - 1] == '\r')
        len--;
    if (len && memchr(line, '\0', len))
        return fail(why, whylen, "NUL byte in command");
    int n = split(line, len, w, MAX_WORDS);
    if (n < 0)
        return fail(why, whylen, "too many arguments");
    if (n == 0)
        return fail(why, whylen, "empty command");
    if (word_is(&w[0], "PING") || word_is(&w[0], "STATS")) {
        cmd->verb = word_is(&w[0], "PING") ? CMD_PING : CMD_STATS;
        return n == 1 ? 0 : fail(why, whylen, "this command takes no arguments");
    }
    if (word_is(&w[0], "QUERY_FINGERPRINT")) {
        cmd->verb = CMD_QUERY_FINGERPRINT;
        return parse_query_fingerprint(w, n, cmd, why, whylen);
    }
    if (word_is(&w[0], "QUERY_FLOWS")) {
        cmd->verb = CMD_QUERY_FLOWS;
        if (n > 2)
            return fail(why, whylen, "usage: QUERY_FLOWS [mac]");
        if (n == 2 && parse_mac(&w[1], cmd->mac) != 0)
            return fail(why, whylen, "bad mac: expected aa:bb:cc:dd:ee:ff");
        cmd->has_mac = n == 2;
        return 0;
    }
    return fail(why, whylen,
                "unknown command (PING, STATS, QUERY_FINGERPRINT, QUERY_FLOWS)");
}
