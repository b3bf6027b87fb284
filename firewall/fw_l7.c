// SPDX-License-Identifier: BSD-3-Clause
// The L7 decision (fw_l7.h): the parsers of l7_parse.c over the first bytes, each rule's match.

#include <netinet/in.h>
#include <string.h>

#include "firewall/fw_l7.h"
#include "firewall/l7_parse.h"

bool fw_l7_l34_match(const struct fw_set *s, const struct fw_rule *r, const struct fw_l7_conn *c) {
	uint8_t full, rest;

	if (r->dir != c->dir || (r->family != 0 && r->family != c->family) ||
	    (r->proto >= 0 && r->proto != c->proto) || c->dport < r->port_lo ||
	    c->dport > r->port_hi)
		return false;
	full = r->remote_len / 8;
	rest = r->remote_len % 8;
	if (memcmp(r->remote, c->remote, full) != 0)
		return false;
	if (rest != 0 && ((r->remote[full] ^ c->remote[full]) & (uint8_t)(0xff << (8 - rest))) != 0)
		return false;
	if (r->remote_group >= 0) {
		for (uint8_t b = 0; b < s->n_remote; b++)
			if (s->remote[b] == r->remote_group)
				return (c->gmask >> b) & 1;
		return false;
	}
	return true;
}

static bool names_match(const json_t *names, const char *name) {
	const json_t *v;
	size_t i;

	json_array_foreach(names, i, v)
		if (l7_name_match(json_string_value(v), name))
			return true;
	return false;
}

// What the parsers made of the bytes, each parsed once, when a rule first needs it.
struct fw_l7_parsed {
	int8_t http, tls, dns;  // -1: not parsed yet, else enum l7_result
	struct l7_http h;
	char sni[L7_NAME_MAX + 1];
	char names[L7_DNS_QUESTIONS][L7_NAME_MAX + 1];
	unsigned int n_names;
	size_t dns_end;
};

static enum l7_result parse_dns(struct fw_l7_parsed *p, const uint8_t *buf, size_t len,
				bool stream) {
	size_t mlen;

	if (!stream)
		return l7_dns_questions(buf, len, p->names, &p->n_names, &p->dns_end);
	if (len < 2)
		return L7_MORE;
	mlen = (size_t)buf[0] << 8 | buf[1];
	if (len < 2 + mlen)
		return 2 + mlen > L7_TLS_MAX ? L7_BAD : L7_MORE;
	return l7_dns_questions(buf + 2, mlen, p->names, &p->n_names, NULL);
}

// Rule r's L7 match on the bytes: L7_OK (matches), L7_MORE, or L7_BAD (does not match).
static enum l7_result rule_match(const struct fw_rule *r, struct fw_l7_parsed *p,
				 const uint8_t *buf, size_t len, bool stream) {
	switch (r->l7.kind) {
	case FW_L7_HTTP:
		if (p->http < 0)
			p->http = (int8_t)l7_http_parse(buf, len, &p->h);
		if (p->http != L7_OK)
			return (enum l7_result)p->http;
		if (r->l7.host != NULL && !l7_name_match(r->l7.host, p->h.host))
			return L7_BAD;
		if (r->l7.path_prefix != NULL &&
		    strncmp(p->h.path, r->l7.path_prefix, strlen(r->l7.path_prefix)) != 0)
			return L7_BAD;
		if (r->l7.methods != 0) {
			bool ok = false;
			for (unsigned int b = 0; fw_http_methods[b] != NULL && !ok; b++)
				ok = (r->l7.methods >> b & 1) &&
				     strcmp(p->h.method, fw_http_methods[b]) == 0;
			if (!ok)
				return L7_BAD;
		}
		return L7_OK;
	case FW_L7_TLS:
		if (p->tls < 0)
			p->tls = (int8_t)l7_tls_sni(buf, len, p->sni);
		if (p->tls != L7_OK)
			return (enum l7_result)p->tls;
		return p->sni[0] != '\0' && names_match(r->l7.names, p->sni) ? L7_OK : L7_BAD;
	case FW_L7_DNS:
		if (p->dns < 0)
			p->dns = (int8_t)parse_dns(p, buf, len, stream);
		if (p->dns != L7_OK)
			return (enum l7_result)p->dns;
		for (unsigned int q = 0; q < p->n_names; q++) // every question must be allowed
			if (!names_match(r->l7.names, p->names[q]))
				return L7_BAD;
		return L7_OK;
	default:
		return L7_BAD;
	}
}

enum fw_l7_verdict fw_l7_decide(const struct fw_cfg *fc, const struct fw_set *s,
				const struct fw_l7_conn *c, const uint8_t *buf, size_t len,
				bool stream, uint32_t *rule, size_t *dns_end) {
	struct fw_l7_parsed p;
	bool more = false;

	p.http = p.tls = p.dns = -1;
	p.dns_end = 0;
	*rule = 0;
	for (uint16_t k = 0; k < s->n_l7[c->dir]; k++) {
		const struct fw_rule *r = &fc->rules[s->l7[c->dir][k]];
		enum l7_result res;

		if (!fw_l7_l34_match(s, r, c))
			continue;
		res = rule_match(r, &p, buf, len, stream);
		if (res == L7_OK) {
			*rule = s->l7[c->dir][k] + 1;
			break;
		}
		more |= res == L7_MORE;
	}
	if (dns_end != NULL)
		*dns_end = p.dns == L7_OK ? p.dns_end : 0;
	return *rule != 0 ? FW_L7_ALLOW : more ? FW_L7_MORE : FW_L7_DENY;
}

uint32_t fw_l7_rule_by_sig(const struct fw_cfg *fc, const struct fw_set *s,
			   const struct fw_l7_conn *c, uint32_t sig) {
	for (uint16_t k = 0; k < s->n_l7[c->dir]; k++) {
		const struct fw_rule *r = &fc->rules[s->l7[c->dir][k]];
		if (r->sig == sig && fw_l7_l34_match(s, r, c))
			return s->l7[c->dir][k] + 1;
	}
	return 0;
}
