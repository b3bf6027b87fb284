// SPDX-License-Identifier: BSD-3-Clause
// Addresses for the controller's IPAM: IPv4 and IPv6 as 128-bit numbers, prefixes, pools.
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

typedef unsigned __int128 u128;

struct ip {
	int family;   // 4 or 6
	u128 v;       // host order (IPv4 in the low 32 bits)
};

bool ip_parse(const char *s, struct ip *a);
void ip_format(const struct ip *a, char *buf, size_t size);
// "10.0.0.0/24": the network (host bits cleared), its length, and whether host bits were set.
bool cidr_parse(const char *s, struct ip *net, int *len, bool *host_bits);
// The last address of net/len.
struct ip cidr_last(const struct ip *net, int len);
bool cidr_contains(const struct ip *net, int len, const struct ip *a);
int ip_cmp(const struct ip *a, const struct ip *b);
struct ip ip_add(const struct ip *a, u128 n);
// The EUI-64 (SLAAC) address of MAC "fa:16:3e:..." in prefix net/64.
bool ip_slaac(const struct ip *net, const char *mac, struct ip *out);
