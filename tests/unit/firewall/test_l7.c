// SPDX-License-Identifier: BSD-3-Clause
// The firewall's L7 parsers on whole, split, truncated, oversized and hostile input: an HTTP
// request head, a TLS ClientHello (one record, several records, a post-quantum-sized one), DNS
// questions, and host name patterns.

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "firewall/l7_parse.h"
#include "tests/unit/firewall/l7_samples.h"

static const char http_req[] = "GET /api/items?x=1 HTTP/1.1\r\n"
			       "User-Agent: t\r\n"
			       "Host: Shop.Example.:8080\r\n"
			       "Accept: */*\r\n"
			       "\r\n";

static void http_whole_and_split(void **state) {
	struct l7_http h;
	size_t n = strlen(http_req);

	(void)state;
	assert_int_equal(l7_http_parse((const uint8_t *)http_req, n, &h), L7_OK);
	assert_string_equal(h.method, "GET");
	assert_string_equal(h.path, "/api/items?x=1");
	assert_string_equal(h.host, "shop.example");
	// Split anywhere: never refused, and complete only with the empty line.
	for (size_t i = 0; i < n; i++)
		assert_int_equal(l7_http_parse((const uint8_t *)http_req, i, &h), L7_MORE);
	// A body after the head changes nothing.
	{
		char buf[256];
		snprintf(buf, sizeof(buf), "%sbody bytes", http_req);
		assert_int_equal(l7_http_parse((const uint8_t *)buf, strlen(buf), &h), L7_OK);
		assert_string_equal(h.host, "shop.example");
	}
}

static void http_refused(void **state) {
	static const char *const bad[] = {
		"GET /a HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",       // two Hosts
		"GET  /a HTTP/1.1\r\nHost: a\r\n\r\n",                 // two spaces
		"GET http://a/ HTTP/1.1\r\nHost: a\r\n\r\n",          // absolute form
		"GET /a HTTP/2.0\r\nHost: a\r\n\r\n",                 // not 1.x
		"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",                   // the HTTP/2 preface
		"GET /a HTTP/1.1\nHost: a\n\n",                       // bare LF
		"GET /a HTTP/1.1\r\nHost: a b\r\n\r\n",               // a space in the host
		"GET /a HTTP/1.1\r\n folded: x\r\n\r\n",              // obsolete line folding
		"\x16\x03\x01\x00\x10",                                // TLS
	};
	struct l7_http h;
	uint8_t big[L7_HTTP_MAX + 100];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(l7_http_parse((const uint8_t *)bad[i], strlen(bad[i]), &h), L7_BAD);
	{ // a NUL in the head
		static const uint8_t nul[] = "GET /a HTTP/1.1\r\nHost: a\0b\r\n\r\n";
		assert_int_equal(l7_http_parse(nul, sizeof(nul) - 1, &h), L7_BAD);
	}
	// A head that does not end within L7_HTTP_MAX bytes.
	memcpy(big, "GET /", 5);
	memset(big + 5, 'a', sizeof(big) - 5);
	assert_int_equal(l7_http_parse(big, L7_HTTP_MAX - 10, &h), L7_MORE);
	assert_int_equal(l7_http_parse(big, sizeof(big), &h), L7_BAD);
}

// A ClientHello with server name `sni` (NULL: none) and `pad` bytes of padding extension, in
// records of at most `rec` bytes of payload. Its length.

static void tls_sni_whole_split_and_large(void **state) {
	uint8_t ch[20000];
	char sni[L7_NAME_MAX + 1];
	size_t n;

	(void)state;
	n = client_hello(ch, "A.Example", 0, 16384);
	assert_int_equal(l7_tls_sni(ch, n, sni), L7_OK);
	assert_string_equal(sni, "a.example");
	for (size_t i = 0; i < n; i++)
		assert_int_equal(l7_tls_sni(ch, i, sni), L7_MORE);
	// A post-quantum-sized ClientHello (~1.7 KB, two TCP segments), and one in three records.
	n = client_hello(ch, "pq.example", 1500, 16384);
	assert_true(n > 1600);
	assert_int_equal(l7_tls_sni(ch, 1400, sni), L7_MORE);
	assert_int_equal(l7_tls_sni(ch, n, sni), L7_OK);
	assert_string_equal(sni, "pq.example");
	n = client_hello(ch, "rec.example", 600, 300);
	assert_int_equal(l7_tls_sni(ch, n, sni), L7_OK);
	assert_string_equal(sni, "rec.example");
	for (size_t i = 0; i < n; i += 7)
		assert_int_equal(l7_tls_sni(ch, i, sni), L7_MORE);
	// No server name: decided, with none.
	n = client_hello(ch, NULL, 0, 16384);
	assert_int_equal(l7_tls_sni(ch, n, sni), L7_OK);
	assert_string_equal(sni, "");
}

static void tls_refused(void **state) {
	uint8_t ch[20000];
	char sni[L7_NAME_MAX + 1];
	size_t n;

	(void)state;
	n = client_hello(ch, "a.example", 0, 16384);
	ch[0] = 23; // application data, not a handshake
	assert_int_equal(l7_tls_sni(ch, n, sni), L7_BAD);
	n = client_hello(ch, "a.example", 0, 16384);
	ch[5] = 2; // a ServerHello
	assert_int_equal(l7_tls_sni(ch, n, sni), L7_BAD);
	n = client_hello(ch, "a.example", 0, 16384);
	ch[n - 16] = 0xff; // the server_name extension's length, past the message
	assert_int_equal(l7_tls_sni(ch, n, sni), L7_BAD);
	n = client_hello(ch, "a b", 0, 16384); // a space in the name
	assert_int_equal(l7_tls_sni(ch, n, sni), L7_BAD);
	// A handshake message longer than L7_TLS_MAX: refused at once, not held for ever.
	n = client_hello(ch, "a.example", 17000, 16384);
	assert_int_equal(l7_tls_sni(ch, 2000, sni), L7_BAD);
	assert_int_equal(l7_tls_sni((const uint8_t *)"GET / HTTP/1.1\r\n", 16, sni), L7_BAD);
}


static void dns_questions(void **state) {
	static const char *const two[] = {"WWW.Example.com", "mail.example.com"};
	char names[L7_DNS_QUESTIONS][L7_NAME_MAX + 1];
	uint8_t m[1024];
	unsigned int n;
	size_t len;

	(void)state;
	len = dns_query(m, two, 2);
	assert_int_equal(l7_dns_questions(m, len, names, &n, NULL), L7_OK);
	assert_int_equal(n, 2);
	assert_string_equal(names[0], "www.example.com");
	assert_string_equal(names[1], "mail.example.com");
	assert_int_equal(l7_dns_questions(m, len - 3, names, &n, NULL), L7_BAD); // truncated
	m[2] |= 0x80;
	assert_int_equal(l7_dns_questions(m, len, names, &n, NULL), L7_BAD); // a response
	m[2] &= 0x7f;
	m[12] = 0xc0; m[13] = 12; // a pointer to itself
	assert_int_equal(l7_dns_questions(m, len, names, &n, NULL), L7_BAD);
	len = dns_query(m, two, 1);
	m[12] = 64; // a label over 63
	assert_int_equal(l7_dns_questions(m, len, names, &n, NULL), L7_BAD);
	m[5] = 0; // no question
	assert_int_equal(l7_dns_questions(m, len, names, &n, NULL), L7_BAD);
}

static void name_patterns(void **state) {
	(void)state;
	assert_true(l7_name_match("a.example", "a.example"));
	assert_true(l7_name_match("A.Example", "a.example"));
	assert_true(l7_name_match("*.example.com", "a.example.com"));
	assert_true(l7_name_match("*.example.com", "b.a.example.com"));
	assert_false(l7_name_match("*.example.com", "example.com"));
	assert_false(l7_name_match("*.example.com", "aexample.com"));
	assert_false(l7_name_match("a.example", "b.a.example"));
}

int main(void) {
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(http_whole_and_split),
		cmocka_unit_test(http_refused),
		cmocka_unit_test(tls_sni_whole_split_and_large),
		cmocka_unit_test(tls_refused),
		cmocka_unit_test(dns_questions),
		cmocka_unit_test(name_patterns),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
