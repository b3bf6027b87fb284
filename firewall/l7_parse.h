// SPDX-License-Identifier: BSD-3-Clause
// The L7 parsers of the firewall (docs/firewall.md, "L7"): what an `l7` rule looks at in the first
// bytes of a connection, or in a DNS message. Pure functions over a byte buffer (the connection's
// first in-order payload bytes, which the caller may have gathered from several segments): no
// allocation, bounded work, every input accepted (hostile, truncated or oversized). Each says
// whether it could decide (L7_OK), needs more bytes (L7_MORE: the caller holds the segment, up to
// its bound) or never will (L7_BAD: the connection is denied, fail closed).
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum l7_result {
	L7_OK = 0,
	L7_MORE,   // incomplete: more bytes of the same stream may complete it
	L7_BAD,    // not this protocol, malformed, or beyond the inspection bound
};

#define L7_HTTP_MAX 4096     // bytes of an HTTP request head inspected (request line + headers)
#define L7_TLS_MAX 16384     // bytes of a ClientHello inspected (records and handshake)
#define L7_NAME_MAX 253      // a host name
#define L7_PATH_MAX 1024     // an HTTP path kept (the rules' path_prefix is at most that)
#define L7_DNS_QUESTIONS 16  // questions of one DNS query looked at

struct l7_http {
	char method[16];         // "GET"
	char path[L7_PATH_MAX + 1]; // the request target's path (no query string cut: as sent)
	char host[L7_NAME_MAX + 1]; // Host, lowercase, without ":port"; "" if absent (HTTP/1.0)
};

// The head of an HTTP/1.x request: request line, then headers up to the empty line. L7_OK once
// the request line and the end of the headers are in `buf`; L7_MORE before (and under
// L7_HTTP_MAX bytes); L7_BAD for anything else (two Host headers, a request line that is not
// "METHOD SP target SP HTTP/1.x", a NUL or control byte, more than L7_HTTP_MAX bytes).
enum l7_result l7_http_parse(const uint8_t *buf, size_t len, struct l7_http *out);

// The server name of a TLS ClientHello (extension server_name, host_name), lowercase: L7_OK with
// `sni` set ("" if the ClientHello has none); L7_MORE while the handshake message is incomplete
// (it may span TLS records and TCP segments: a post-quantum ClientHello is ~1.7 KB); L7_BAD if the
// bytes are no TLS handshake record, no ClientHello, malformed, or longer than L7_TLS_MAX.
enum l7_result l7_tls_sni(const uint8_t *buf, size_t len, char sni[L7_NAME_MAX + 1]);

// The questions of a DNS query message (no TCP length prefix): up to L7_DNS_QUESTIONS names,
// lowercase, without the trailing dot, into names[]; *n their number. L7_OK; L7_BAD if it is not a
// query (QR set, opcode not 0), has no question or more than L7_DNS_QUESTIONS, or a name is
// malformed (labels over 63, a name over 253, a compression pointer out of bounds or in a loop).
// *end (if not NULL): the offset after the question section (what a REFUSED answer repeats).
enum l7_result l7_dns_questions(const uint8_t *msg, size_t len,
				char names[L7_DNS_QUESTIONS][L7_NAME_MAX + 1], unsigned int *n,
				size_t *end);

// Whether host `name` (lowercase) matches `pattern`: the same name (case-insensitive), or for
// "*.suffix" any name that ends in ".suffix" with one label or more before it.
bool l7_name_match(const char *pattern, const char *name);
