// SPDX-License-Identifier: BSD-3-Clause
// The firewall's L7 parsers (l7_parse.h).

#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "firewall/l7_parse.h"

#define MIN_SZ(a, b) ((a) < (b) ? (a) : (b))

// ---- HTTP/1.x request head ---------------------------------------------------------------------

static bool token_char(uint8_t c) { // RFC 9110 tchar
	return isalnum(c) || strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

// The end of the line that starts at `p` (the index of its CR LF), or -1 if not in buf[0..len).
static long line_end(const uint8_t *buf, size_t len, size_t p) {
	for (size_t i = p; i + 1 < len; i++) {
		if (buf[i] == '\r' && buf[i + 1] == '\n')
			return (long)i;
		if (buf[i] == '\n' || buf[i] == '\r')
			return -2; // a bare CR or LF: not how a request is written
	}
	return -1;
}

enum l7_result l7_http_parse(const uint8_t *buf, size_t len, struct l7_http *out) {
	size_t p = 0, i;
	long e;
	bool have_host = false;

	memset(out, 0, sizeof(*out));
	if (len > L7_HTTP_MAX)
		len = L7_HTTP_MAX + 1; // enough to tell it is over
	// Every byte of a head is printable ASCII, space, tab, CR or LF.
	for (i = 0; i < len && i < L7_HTTP_MAX; i++)
		if (buf[i] == 0 || buf[i] >= 0x7f ||
		    (buf[i] < 0x20 && buf[i] != '\r' && buf[i] != '\n' && buf[i] != '\t'))
			return L7_BAD;
	// Request line: METHOD SP target SP HTTP/1.x CRLF.
	for (i = 0; i < len && token_char(buf[i]); i++)
		if (i >= sizeof(out->method) - 1)
			return L7_BAD;
	if (i == len)
		return len > L7_HTTP_MAX ? L7_BAD : L7_MORE;
	if (i == 0 || buf[i] != ' ')
		return L7_BAD;
	memcpy(out->method, buf, i);
	p = i + 1;
	for (i = p; i < len && buf[i] > ' '; i++)
		;
	if (i == len)
		return len > L7_HTTP_MAX ? L7_BAD : L7_MORE;
	if (i == p || buf[i] != ' ' || buf[p] != '/' || i - p > L7_PATH_MAX)
		return L7_BAD; // origin-form only: "GET /path HTTP/1.1"
	memcpy(out->path, buf + p, i - p);
	p = i + 1;
	e = line_end(buf, MIN_SZ(len, L7_HTTP_MAX), p);
	if (e == -1)
		return len > L7_HTTP_MAX ? L7_BAD : L7_MORE;
	if (e < 0 || (size_t)e - p != 8 || memcmp(buf + p, "HTTP/1.", 7) != 0 ||
	    (buf[p + 7] != '0' && buf[p + 7] != '1'))
		return L7_BAD;
	p = (size_t)e + 2;
	// Headers, up to the empty line; Host once at most.
	for (;;) {
		size_t colon;

		e = line_end(buf, MIN_SZ(len, L7_HTTP_MAX), p);
		if (e == -1)
			return len > L7_HTTP_MAX ? L7_BAD : L7_MORE;
		if (e < 0)
			return L7_BAD;
		if ((size_t)e == p)
			return L7_OK; // the empty line: the head is complete
		for (colon = p; colon < (size_t)e && token_char(buf[colon]); colon++)
			;
		if (colon == p || colon == (size_t)e || buf[colon] != ':')
			return L7_BAD; // a header is "name: value"; no obsolete line folding
		if (colon - p == 4 && strncasecmp((const char *)buf + p, "host", 4) == 0) {
			size_t v = colon + 1, end = (size_t)e, k = 0;
			if (have_host)
				return L7_BAD; // two Hosts: which would the server take?
			have_host = true;
			while (v < end && (buf[v] == ' ' || buf[v] == '\t'))
				v++;
			while (end > v && (buf[end - 1] == ' ' || buf[end - 1] == '\t'))
				end--;
			for (; v < end && buf[v] != ':'; v++) { // the port, if any, is not the name
				if (k >= L7_NAME_MAX || !(isalnum(buf[v]) || buf[v] == '-' || buf[v] == '.'))
					return L7_BAD;
				out->host[k++] = (char)tolower(buf[v]);
			}
			if (k == 0)
				return L7_BAD;
			if (k > 0 && out->host[k - 1] == '.') // "example.com." is "example.com"
				out->host[--k] = '\0';
		}
		p = (size_t)e + 2;
	}
}

// ---- TLS ClientHello -----------------------------------------------------------------------------

static uint32_t be16(const uint8_t *p) {
	return (uint32_t)p[0] << 8 | p[1];
}

static uint32_t be24(const uint8_t *p) {
	return (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
}

enum l7_result l7_tls_sni(const uint8_t *buf, size_t len, char sni[L7_NAME_MAX + 1]) {
	uint8_t hs[L7_TLS_MAX];
	size_t have = 0, need = 0, p = 0, i, end;

	sni[0] = '\0';
	// Gather the handshake message from its records (type 22, TLS 1.x).
	while (p < len) {
		size_t rlen, take;

		if (len - p < 5)
			break;
		if (buf[p] != 22 || buf[p + 1] != 3 || buf[p + 2] > 4)
			return L7_BAD;
		rlen = be16(buf + p + 3);
		if (rlen == 0 || rlen > 16384 + 256)
			return L7_BAD;
		take = MIN_SZ(rlen, len - p - 5);
		if (have + take > sizeof(hs))
			return L7_BAD;
		memcpy(hs + have, buf + p + 5, take);
		have += take;
		p += 5 + take;
		if (take < rlen)
			break; // the record goes on in a later segment
		if (need == 0 && have >= 4) {
			if (hs[0] != 1) // ClientHello
				return L7_BAD;
			need = 4 + be24(hs + 1);
			if (need > sizeof(hs))
				return L7_BAD;
		}
		if (need != 0 && have >= need)
			break;
	}
	if (p == 0 && len >= 3 && (buf[0] != 22 || buf[1] != 3))
		return L7_BAD;
	if (have >= 4 && need == 0) {
		if (hs[0] != 1)
			return L7_BAD;
		need = 4 + be24(hs + 1);
		if (need > sizeof(hs))
			return L7_BAD;
	}
	if (need == 0 || have < need)
		return len > L7_TLS_MAX ? L7_BAD : L7_MORE;
	// ClientHello: version (2), random (32), session id, cipher suites, compression, extensions.
	end = need;
	i = 4 + 2 + 32;
	if (i + 1 > end)
		return L7_BAD;
	i += 1 + hs[i];
	if (i + 2 > end)
		return L7_BAD;
	i += 2 + be16(hs + i);
	if (i + 1 > end)
		return L7_BAD;
	i += 1 + hs[i];
	if (i == end)
		return L7_OK; // no extensions: no name
	if (i + 2 > end || i + 2 + be16(hs + i) != end)
		return L7_BAD;
	i += 2;
	while (i < end) {
		uint32_t type, elen;

		if (i + 4 > end)
			return L7_BAD;
		type = be16(hs + i);
		elen = be16(hs + i + 2);
		i += 4;
		if (i + elen > end)
			return L7_BAD;
		if (type == 0) { // server_name: a list of (type, name)
			size_t j = i, lend;
			if (elen < 2 || (lend = j + 2 + be16(hs + j)) != i + elen)
				return L7_BAD;
			j += 2;
			while (j < lend) {
				uint32_t nlen;
				if (j + 3 > lend)
					return L7_BAD;
				nlen = be16(hs + j + 1);
				if (j + 3 + nlen > lend)
					return L7_BAD;
				if (hs[j] == 0) { // host_name
					if (sni[0] != '\0' || nlen == 0 || nlen > L7_NAME_MAX)
						return L7_BAD; // one host_name (RFC 6066)
					for (uint32_t k = 0; k < nlen; k++) {
						uint8_t c = hs[j + 3 + k];
						if (!(isalnum(c) || c == '-' || c == '.'))
							return L7_BAD;
						sni[k] = (char)tolower(c);
					}
					sni[nlen] = '\0';
				}
				j += 3 + nlen;
			}
		}
		i += elen;
	}
	return L7_OK;
}

// ---- DNS questions -------------------------------------------------------------------------------

// The name at msg[*off], into name (lowercase, dotted); *off past it (past the first pointer). 0,
// or -1 if malformed.
static int dns_name(const uint8_t *msg, size_t len, size_t *off, char name[L7_NAME_MAX + 1]) {
	size_t p = *off, n = 0;
	bool jumped = false;
	unsigned int hops = 0;

	for (;;) {
		uint8_t l;

		if (p >= len)
			return -1;
		l = msg[p];
		if ((l & 0xc0) == 0xc0) { // a pointer: earlier in the message, a bounded number
			if (p + 1 >= len || ++hops > 16)
				return -1;
			if (!jumped)
				*off = p + 2;
			jumped = true;
			p = ((size_t)(l & 0x3f) << 8 | msg[p + 1]);
			if (p >= len)
				return -1;
			continue;
		}
		if (l & 0xc0)
			return -1;
		if (l == 0) {
			if (!jumped)
				*off = p + 1;
			name[n] = '\0';
			return n == 0 ? -1 : 0; // the root alone is no name to allow
		}
		if (p + 1 + l > len || n + (n ? 1 : 0) + l > L7_NAME_MAX)
			return -1;
		if (n)
			name[n++] = '.';
		for (uint8_t k = 0; k < l; k++) {
			uint8_t c = msg[p + 1 + k];
			if (!(isalnum(c) || c == '-' || c == '_'))
				return -1;
			name[n++] = (char)tolower(c);
		}
		p += 1 + l;
	}
}

enum l7_result l7_dns_questions(const uint8_t *msg, size_t len,
				char names[L7_DNS_QUESTIONS][L7_NAME_MAX + 1], unsigned int *n,
				size_t *end) {
	uint32_t qd;
	size_t off = 12;

	*n = 0;
	if (len < 12 || (msg[2] & 0x80) || ((msg[2] >> 3) & 0xf) != 0)
		return L7_BAD; // a response, or not a standard query
	qd = be16(msg + 4);
	if (qd == 0 || qd > L7_DNS_QUESTIONS)
		return L7_BAD;
	for (uint32_t q = 0; q < qd; q++) {
		if (dns_name(msg, len, &off, names[q]) < 0 || off + 4 > len)
			return L7_BAD;
		off += 4; // type, class
		(*n)++;
	}
	if (end != NULL)
		*end = off;
	return L7_OK;
}

bool l7_name_match(const char *pattern, const char *name) {
	size_t pl = strlen(pattern), nl = strlen(name);

	if (pl >= 2 && pattern[0] == '*' && pattern[1] == '.')
		return nl > pl - 1 && strcasecmp(name + nl - (pl - 1), pattern + 1) == 0;
	return strcasecmp(pattern, name) == 0;
}
