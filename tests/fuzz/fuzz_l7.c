// SPDX-License-Identifier: BSD-3-Clause
// Fuzz target: the firewall's L7 parsers (firewall/l7_parse.c, no EAL). The first byte picks the
// parser (HTTP request head, TLS ClientHello, DNS questions), the rest is the stream. Besides the
// sanitizers it checks what the firewall relies on: outputs are NUL-terminated names and paths
// within their bounds, lowercase; parsing is deterministic; and a stream is never refused for
// being split: when the whole stream is decided (L7_OK), every prefix of it is L7_MORE or L7_OK
// with the same answer, so a request or ClientHello cut over segments is judged as if whole.

#include <stdint.h>
#include <string.h>

#include "firewall/l7_parse.h"
#include "tests/fuzz/fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_name(const char *s, size_t max) {
	size_t n = strnlen(s, max + 1);

	if (n > max)
		fuzz_fail("a name or path over its bound");
	for (size_t i = 0; i < n; i++)
		if (s[i] >= 'A' && s[i] <= 'Z')
			fuzz_fail("a name not lowercase: %s", s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
	const uint8_t *b = data + 1;
	size_t n = size - 1;

	if (size < 1)
		return 0;
	switch (data[0] % 3) {
	case 0: {
		struct l7_http h, h2;
		enum l7_result r = l7_http_parse(b, n, &h);
		if (r != l7_http_parse(b, n, &h2) || memcmp(&h, &h2, sizeof(h)) != 0)
			fuzz_fail("http: not deterministic");
		if (r == L7_OK) {
			check_name(h.host, L7_NAME_MAX);
			if (strnlen(h.path, sizeof(h.path)) > L7_PATH_MAX || h.path[0] != '/')
				fuzz_fail("http: path");
			for (size_t i = 0; i < n; i += 1 + n / 64) {
				enum l7_result p = l7_http_parse(b, i, &h2);
				if (p == L7_BAD)
					fuzz_fail("http: a prefix of %zu bytes refused", i);
				if (p == L7_OK && memcmp(&h, &h2, sizeof(h)) != 0)
					fuzz_fail("http: a prefix decided otherwise");
			}
		}
		break;
	}
	case 1: {
		char sni[L7_NAME_MAX + 1], sni2[L7_NAME_MAX + 1];
		enum l7_result r = l7_tls_sni(b, n, sni);
		if (r != l7_tls_sni(b, n, sni2) || (r == L7_OK && strcmp(sni, sni2) != 0))
			fuzz_fail("tls: not deterministic");
		if (r == L7_OK) {
			check_name(sni, L7_NAME_MAX);
			for (size_t i = 0; i < n; i += 1 + n / 64) {
				enum l7_result p = l7_tls_sni(b, i, sni2);
				if (p == L7_BAD)
					fuzz_fail("tls: a prefix of %zu bytes refused", i);
				if (p == L7_OK && strcmp(sni, sni2) != 0)
					fuzz_fail("tls: a prefix decided otherwise");
			}
		}
		break;
	}
	default: {
		char names[L7_DNS_QUESTIONS][L7_NAME_MAX + 1];
		unsigned int q = 0;
		if (l7_dns_questions(b, n, names, &q, NULL) == L7_OK) {
			if (q == 0 || q > L7_DNS_QUESTIONS)
				fuzz_fail("dns: %u questions", q);
			for (unsigned int i = 0; i < q; i++)
				check_name(names[i], L7_NAME_MAX);
		}
		break;
	}
	}
	return 0;
}
