/*
 * protocol.h - the control protocol's commands, parsed strictly.
 *
 * One command per line (at most CONTROL_LINE_MAX bytes with its LF; a CR
 * before the LF is dropped), words separated by single spaces or tabs:
 *
 *   PING
 *   STATS
 *   QUERY_FINGERPRINT mac timestamp op protocol
 *   QUERY_FLOWS [mac]
 *
 * mac is aa:bb:cc:dd:ee:ff (hex, either case), timestamp a decimal
 * number of microseconds (at most 2^63 - 1), op one of >= <= > < =,
 * protocol `all` or an nDPI protocol name ([A-Za-z0-9._-], 1 to 63
 * characters).  Anything else is refused with a reason; nothing from a
 * command is ever pasted into SQL (values are bound as parameters).
 * The reply format is in docs/control.md.
 */
#ifndef NETSIFT_CONTROL_PROTOCOL_H
#define NETSIFT_CONTROL_PROTOCOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CONTROL_LINE_MAX 4096   /* bytes of a command line, LF included */
#define CONTROL_PROTO_MAX 63    /* bytes of a protocol name */

enum control_verb { CMD_PING, CMD_STATS, CMD_QUERY_FINGERPRINT, CMD_QUERY_FLOWS };

enum control_op { OP_GE, OP_LE, OP_GT, OP_LT, OP_EQ, OP_COUNT };

struct control_cmd {
    enum control_verb verb;
    bool has_mac;
    char mac[18];              /* lower-case "aa:bb:cc:dd:ee:ff" */
    uint64_t timestamp;
    enum control_op op;
    bool all_protocols;
    char protocol[CONTROL_PROTO_MAX + 1];
};

/*
 * Parse one line (without its LF; len bytes, NUL bytes refused).
 * 0 on success; -1 with a one-line reason (no newline) in why.
 */
int control_parse(const char *line, size_t len, struct control_cmd *cmd, char *why,
                  size_t whylen);

/* The operator's text (">=", ...). */
const char *control_op_text(enum control_op op);

#endif
