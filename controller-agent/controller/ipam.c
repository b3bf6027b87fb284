// SPDX-License-Identifier: BSD-3-Clause
// Address arithmetic (ipam.h).

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controller/ipam.h"

bool ip_parse(const char *s, struct ip *a) {
	uint8_t b[16];

	if (s == NULL)
		return false;
	if (inet_pton(AF_INET, s, b) == 1) {
		a->family = 4;
		a->v = (u128)b[0] << 24 | (u128)b[1] << 16 | (u128)b[2] << 8 | b[3];
		return true;
	}
	if (inet_pton(AF_INET6, s, b) == 1) {
		a->family = 6;
		a->v = 0;
		for (int i = 0; i < 16; i++)
			a->v = a->v << 8 | b[i];
		return true;
	}
	return false;
}

void ip_format(const struct ip *a, char *buf, size_t size) {
	uint8_t b[16];
	int n = a->family == 4 ? 4 : 16;

	for (int i = 0; i < n; i++)
		b[i] = (uint8_t)(a->v >> (8 * (n - 1 - i)));
	inet_ntop(a->family == 4 ? AF_INET : AF_INET6, b, buf, (socklen_t)size);
}

static u128 host_mask(int family, int len) {
	int bits = (family == 4 ? 32 : 128) - len;
	return bits >= 128 ? ~(u128)0 : bits <= 0 ? 0 : (((u128)1 << bits) - 1);
}

bool cidr_parse(const char *s, struct ip *net, int *len, bool *host_bits) {
	char addr[64], *slash, *end;
	long l;

	if (s == NULL || strlen(s) >= sizeof(addr))
		return false;
	snprintf(addr, sizeof(addr), "%s", s);
	slash = strchr(addr, '/');
	if (slash == NULL)
		return false;
	*slash = '\0';
	l = strtol(slash + 1, &end, 10);
	if (*end != '\0' || slash[1] == '\0' || !ip_parse(addr, net) || l < 0 ||
	    l > (net->family == 4 ? 32 : 128))
		return false;
	*len = (int)l;
	*host_bits = (net->v & host_mask(net->family, *len)) != 0;
	net->v &= ~host_mask(net->family, *len);
	if (net->family == 4)
		net->v &= 0xffffffffu;
	return true;
}

struct ip cidr_last(const struct ip *net, int len) {
	struct ip l = *net;
	l.v |= host_mask(net->family, len);
	return l;
}

bool cidr_contains(const struct ip *net, int len, const struct ip *a) {
	return a->family == net->family && (a->v & ~host_mask(net->family, len)) == net->v;
}

int ip_cmp(const struct ip *a, const struct ip *b) {
	return a->v < b->v ? -1 : a->v > b->v;
}

struct ip ip_add(const struct ip *a, u128 n) {
	struct ip r = *a;
	r.v += n;
	return r;
}

bool ip_slaac(const struct ip *net, const char *mac, struct ip *out) {
	unsigned int m[6];

	if (sscanf(mac, "%x:%x:%x:%x:%x:%x", &m[0], &m[1], &m[2], &m[3], &m[4], &m[5]) != 6)
		return false;
	*out = *net;
	out->v |= (u128)(m[0] ^ 2) << 56 | (u128)m[1] << 48 | (u128)m[2] << 40 | (u128)0xff << 32 |
		  (u128)0xfe << 24 | (u128)m[3] << 16 | (u128)m[4] << 8 | m[5];
	return true;
}
