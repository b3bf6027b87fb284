// SPDX-License-Identifier: BSD-3-Clause
// Sample L7 payloads for the firewall's tests: a TLS ClientHello with a server name (padded to
// any size, cut into records of any size) and a DNS query with any questions.
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <string.h>

// A ClientHello for `sni` (NULL: none) with `pad` bytes of padding extension, in TLS records of
// at most `rec` bytes of handshake each, into out (up to 20 KB). Its length.
static inline size_t client_hello(uint8_t *out, const char *sni, size_t pad, size_t rec) {
	uint8_t hs[20000];
	size_t n = 4, ext_start, o = 0;

	hs[n++] = 3; hs[n++] = 3;                       // legacy version
	memset(hs + n, 0x11, 32); n += 32;              // random
	hs[n++] = 32; memset(hs + n, 0x22, 32); n += 32; // session id
	hs[n++] = 0; hs[n++] = 4; hs[n++] = 0x13; hs[n++] = 1; hs[n++] = 0x13; hs[n++] = 2;
	hs[n++] = 1; hs[n++] = 0;                       // compression: null
	ext_start = n;
	n += 2;
	if (sni != NULL) {
		size_t l = strlen(sni);
		hs[n++] = 0; hs[n++] = 0;                // server_name
		hs[n++] = (uint8_t)((l + 5) >> 8); hs[n++] = (uint8_t)(l + 5);
		hs[n++] = (uint8_t)((l + 3) >> 8); hs[n++] = (uint8_t)(l + 3);
		hs[n++] = 0;                             // host_name
		hs[n++] = (uint8_t)(l >> 8); hs[n++] = (uint8_t)l;
		memcpy(hs + n, sni, l); n += l;
	}
	if (pad > 0) {
		hs[n++] = 0; hs[n++] = 21;               // padding
		hs[n++] = (uint8_t)(pad >> 8); hs[n++] = (uint8_t)pad;
		memset(hs + n, 0, pad); n += pad;
	}
	hs[ext_start] = (uint8_t)((n - ext_start - 2) >> 8);
	hs[ext_start + 1] = (uint8_t)(n - ext_start - 2);
	hs[0] = 1;
	hs[1] = (uint8_t)((n - 4) >> 16); hs[2] = (uint8_t)((n - 4) >> 8); hs[3] = (uint8_t)(n - 4);
	for (size_t p = 0; p < n; p += rec) {
		size_t l = n - p < rec ? n - p : rec;
		out[o++] = 22; out[o++] = 3; out[o++] = 1;
		out[o++] = (uint8_t)(l >> 8); out[o++] = (uint8_t)l;
		memcpy(out + o, hs + p, l);
		o += l;
	}
	return o;
}

// A DNS query (id 0x1234, RD) with questions names[0..n) (type A, class IN) into m. Its length.
static inline size_t dns_query(uint8_t *m, const char *const *names, unsigned int n) {
	size_t o = 12;

	memset(m, 0, 12);
	m[0] = 0x12; m[1] = 0x34; m[2] = 0x01; // RD
	m[5] = (uint8_t)n;
	for (unsigned int q = 0; q < n; q++) {
		const char *s = names[q];
		while (*s) {
			const char *dot = strchr(s, '.');
			size_t l = dot ? (size_t)(dot - s) : strlen(s);
			m[o++] = (uint8_t)l;
			memcpy(m + o, s, l);
			o += l;
			s += l + (dot ? 1 : 0);
		}
		m[o++] = 0;
		m[o++] = 0; m[o++] = 1; m[o++] = 0; m[o++] = 1; // A, IN
	}
	return o;
}
