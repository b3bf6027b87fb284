// SPDX-License-Identifier: BSD-3-Clause
// Frames described in words (trace_build.h; the grammar in docs/vnetctl.md, "Packets in words").

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_arp.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "dataplane/config.h"
#include "dataplane/trace_build.h"

#define PAYLOAD_MAX 1400 // bytes of payload a description may make

static const struct trace_build_tunnel *tunnel;

void trace_build_tunnel_register(const struct trace_build_tunnel *t) {
	tunnel = t;
}

enum proto { P_NONE, P_TCP, P_UDP, P_ICMP, P_ICMP6, P_ARP };

struct addr {
	int family; // AF_INET, AF_INET6; 0: not given
	uint8_t b[16];
};

struct desc {
	struct addr src, dst, arp_target, arp_sender;
	struct rte_ether_addr smac, dmac;
	bool have_smac, have_dmac, tunneled, arp_reply;
	uint8_t tunnel_state[TRACE_TUNNEL_STATE] __attribute__((aligned(8)));
	long vlan, ttl;
	enum proto proto;
	long sport, dport, seq, ack, icmp_id, icmp_seq;
	uint8_t tcp_flags;
	bool flags_given;
	int icmp_type; // 0: echo request (default), 1: echo reply
	uint8_t payload[PAYLOAD_MAX];
	size_t payload_len;
};

static int fail(char *err, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t size, const char *fmt, ...) {
	va_list ap;
	int n = snprintf(err, size, "describe: ");

	va_start(ap, fmt);
	vsnprintf(err + n, size > (size_t)n ? size - (size_t)n : 0, fmt, ap);
	va_end(ap);
	return -1;
}

static bool addr_parse(const char *s, struct addr *a) {
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, s, a->b) == 1)
		a->family = AF_INET;
	else if (inet_pton(AF_INET6, s, a->b) == 1)
		a->family = AF_INET6;
	return a->family != 0;
}

static bool addr_from_json(const json_t *s, struct addr *a) {
	return json_is_string(s) && addr_parse(json_string_value(s), a);
}

static bool addr_eq(const struct addr *a, const struct addr *b) {
	return a->family == b->family && memcmp(a->b, b->b, a->family == AF_INET ? 4 : 16) == 0;
}

// Whether a is in prefix "10.1.0.0/24".
static bool in_prefix(const struct addr *a, const char *cidr) {
	char buf[64], *slash;
	struct addr p;
	long len;
	int bits;

	snprintf(buf, sizeof(buf), "%s", cidr);
	slash = strchr(buf, '/');
	if (slash == NULL)
		return false;
	*slash = '\0';
	len = strtol(slash + 1, NULL, 10);
	if (!addr_parse(buf, &p) || p.family != a->family)
		return false;
	bits = (int)len;
	for (int i = 0; bits > 0; i++, bits -= 8) {
		uint8_t m = bits >= 8 ? 0xff : (uint8_t)(0xff << (8 - bits));
		if ((a->b[i] & m) != (p.b[i] & m))
			return false;
	}
	return true;
}

static bool mac_parse(const char *s, struct rte_ether_addr *m) {
	return rte_ether_unformat_addr(s, m) == 0;
}

static bool num(const char *s, long lo, long hi, long *out) {
	char *end;
	long v;

	if (s == NULL)
		return false;
	errno = 0;
	v = strtol(s, &end, 0);
	if (errno != 0 || *end != '\0' || end == s || v < lo || v > hi)
		return false;
	*out = v;
	return true;
}

static int payload_add(struct desc *d, const void *p, size_t n, char *err, size_t es) {
	if (d->payload_len + n > PAYLOAD_MAX)
		return fail(err, es, "payload longer than %d bytes", PAYLOAD_MAX);
	memcpy(d->payload + d->payload_len, p, n);
	d->payload_len += n;
	return 0;
}

static int payload_u16(struct desc *d, uint16_t v, char *err, size_t es) {
	uint8_t b[2] = {(uint8_t)(v >> 8), (uint8_t)v};
	return payload_add(d, b, 2, err, es);
}

// "a.example" as DNS labels (3a..7example0).
static int dns_name(struct desc *d, const char *name, char *err, size_t es) {
	const char *p = name;

	while (*p != '\0') {
		const char *dot = strchr(p, '.');
		size_t n = dot != NULL ? (size_t)(dot - p) : strlen(p);
		uint8_t len = (uint8_t)n;
		if (n == 0 || n > 63)
			return fail(err, es, "\"%s\": not a domain name", name);
		if (payload_add(d, &len, 1, err, es) < 0 || payload_add(d, p, n, err, es) < 0)
			return -1;
		p += n + (dot != NULL);
	}
	return payload_add(d, "", 1, err, es);
}

// A TLS 1.2 ClientHello record with one cipher suite and the server_name extension.
static int tls_client_hello(struct desc *d, const char *sni, char *err, size_t es) {
	size_t n = strlen(sni), ext = 2 + 2 + 2 + 1 + 2 + n, hs = 2 + 32 + 1 + 2 + 2 + 1 + 1 + 2 + ext;
	uint8_t random[32];

	if (n == 0 || n > 255)
		return fail(err, es, "tls sni: a name of 1..255 characters");
	for (int i = 0; i < 32; i++)
		random[i] = (uint8_t)(i * 7 + 1);
	if (payload_add(d, "\x16\x03\x01", 3, err, es) < 0 || payload_u16(d, (uint16_t)(4 + hs), err, es) < 0 ||
	    payload_add(d, "\x01\x00", 2, err, es) < 0 || payload_u16(d, (uint16_t)hs, err, es) < 0 ||
	    payload_add(d, "\x03\x03", 2, err, es) < 0 || payload_add(d, random, 32, err, es) < 0 ||
	    payload_add(d, "\x00", 1, err, es) < 0 ||                            // session id
	    payload_add(d, "\x00\x02\x13\x01", 4, err, es) < 0 ||                // TLS_AES_128_GCM_SHA256
	    payload_add(d, "\x01\x00", 2, err, es) < 0 ||                        // no compression
	    payload_u16(d, (uint16_t)ext, err, es) < 0 || payload_add(d, "\x00\x00", 2, err, es) < 0 ||
	    payload_u16(d, (uint16_t)(ext - 4), err, es) < 0 || payload_u16(d, (uint16_t)(n + 3), err, es) < 0 ||
	    payload_add(d, "\x00", 1, err, es) < 0 || payload_u16(d, (uint16_t)n, err, es) < 0 ||
	    payload_add(d, sni, n, err, es) < 0)
		return -1;
	return 0;
}

static const struct {
	const char *name;
	uint8_t flag;
} tcp_flags[] = {
	{"fin", RTE_TCP_FIN_FLAG}, {"syn", RTE_TCP_SYN_FLAG}, {"rst", RTE_TCP_RST_FLAG},
	{"psh", RTE_TCP_PSH_FLAG}, {"ack", RTE_TCP_ACK_FLAG}, {"urg", RTE_TCP_URG_FLAG},
};

#define WORDS "from, to, from-mac, to-mac, vlan, ttl, tcp, udp, icmp, icmp6, arp, sport, dport, " \
	      "syn, ack, fin, rst, psh, urg, seq, ack-seq, echo, echo-reply, id, who-has, tell, " \
	      "reply, http (method, host, path), tls sni, dns query, payload, len"

static int set_proto(struct desc *d, enum proto p, const char *w, char *err, size_t es) {
	if (d->proto != P_NONE && d->proto != p)
		return fail(err, es, "\"%s\": the packet is already another protocol", w);
	d->proto = p;
	return 0;
}

// Parse the words into d. 0 or -1.
static int parse(char *text, struct desc *d, char *err, size_t es) {
	char *words[TRACE_BUILD_WORDS_MAX + 1], *save = NULL, *w;
	const char *http_method = NULL, *http_host = NULL, *http_path = NULL;
	int n = 0;

	for (w = strtok_r(text, " \t\n", &save); w != NULL; w = strtok_r(NULL, " \t\n", &save)) {
		if (n == TRACE_BUILD_WORDS_MAX)
			return fail(err, es, "more than %d words", TRACE_BUILD_WORDS_MAX);
		words[n++] = w;
	}
	words[n] = NULL;
	if (n == 0)
		return fail(err, es, "no words (for example: from 10.1.0.11 to 10.1.0.12 icmp echo)");
	d->vlan = d->sport = d->dport = d->seq = d->ack = -1;
	d->ttl = 64;
	d->icmp_id = 1;
	d->icmp_seq = 1;
	for (int i = 0; i < n; i++) {
		const char *a = words[i + 1];
		int taken;
		w = words[i];
#define NEED(what)                                                                                 \
	do {                                                                                       \
		if (a == NULL)                                                                     \
			return fail(err, es, "\"%s\" needs %s", w, what);                           \
		i++;                                                                               \
	} while (0)
		if (strcmp(w, "from") == 0 || strcmp(w, "to") == 0) {
			NEED("an address");
			if (!addr_parse(a, strcmp(w, "from") == 0 ? &d->src : &d->dst))
				return fail(err, es, "%s \"%s\": not an IPv4 or IPv6 address", w, a);
		} else if (strcmp(w, "from-mac") == 0 || strcmp(w, "to-mac") == 0) {
			struct rte_ether_addr *m = w[0] == 'f' ? &d->smac : &d->dmac;
			NEED("a MAC address");
			if (!mac_parse(a, m))
				return fail(err, es, "%s \"%s\": not a MAC address", w, a);
			*(w[0] == 'f' ? &d->have_smac : &d->have_dmac) = true;
		} else if (strcmp(w, "vlan") == 0) {
			NEED("a VLAN id");
			if (!num(a, 0, 4095, &d->vlan))
				return fail(err, es, "vlan \"%s\": 0..4095", a);
		} else if (strcmp(w, "ttl") == 0 || strcmp(w, "hlim") == 0) {
			NEED("a number");
			if (!num(a, 0, 255, &d->ttl))
				return fail(err, es, "%s \"%s\": 0..255", w, a);
		} else if (strcmp(w, "tcp") == 0 || strcmp(w, "udp") == 0) {
			if (set_proto(d, w[0] == 't' ? P_TCP : P_UDP, w, err, es) < 0)
				return -1;
		} else if (strcmp(w, "icmp") == 0 || strcmp(w, "icmp6") == 0) {
			if (set_proto(d, w[4] == '6' ? P_ICMP6 : P_ICMP, w, err, es) < 0)
				return -1;
		} else if (strcmp(w, "arp") == 0) {
			if (set_proto(d, P_ARP, w, err, es) < 0)
				return -1;
		} else if (strcmp(w, "sport") == 0 || strcmp(w, "dport") == 0) {
			NEED("a port number");
			if (!num(a, 0, 65535, w[0] == 's' ? &d->sport : &d->dport))
				return fail(err, es, "%s \"%s\": 0..65535", w, a);
		} else if (strcmp(w, "seq") == 0 || strcmp(w, "ack-seq") == 0) {
			NEED("a number");
			if (!num(a, 0, 4294967295L, w[0] == 's' ? &d->seq : &d->ack))
				return fail(err, es, "%s \"%s\": 0..4294967295", w, a);
		} else if (strcmp(w, "id") == 0) {
			NEED("a number");
			if (!num(a, 0, 65535, &d->icmp_id))
				return fail(err, es, "id \"%s\": 0..65535", a);
		} else if (strcmp(w, "echo") == 0 || strcmp(w, "echo-reply") == 0) {
			if (d->proto == P_NONE)
				d->proto = P_ICMP; // the family follows the addresses
			if (d->proto != P_ICMP && d->proto != P_ICMP6)
				return fail(err, es, "\"%s\" goes with icmp or icmp6", w);
			d->icmp_type = strcmp(w, "echo") == 0 ? 0 : 1;
		} else if (strcmp(w, "who-has") == 0 || strcmp(w, "tell") == 0) {
			NEED("an IPv4 address");
			if (set_proto(d, P_ARP, w, err, es) < 0)
				return -1;
			if (!addr_parse(a, w[0] == 'w' ? &d->arp_target : &d->arp_sender) ||
			    (w[0] == 'w' ? d->arp_target.family : d->arp_sender.family) != AF_INET)
				return fail(err, es, "%s \"%s\": not an IPv4 address", w, a);
		} else if (strcmp(w, "reply") == 0) {
			if (set_proto(d, P_ARP, w, err, es) < 0)
				return -1;
			d->arp_reply = true;
		} else if (strcmp(w, "http") == 0) {
			if (set_proto(d, P_TCP, w, err, es) < 0)
				return -1;
			http_method = http_method ? http_method : "GET";
		} else if (strcmp(w, "method") == 0 || strcmp(w, "host") == 0 || strcmp(w, "path") == 0) {
			NEED("a value");
			if (http_method == NULL)
				return fail(err, es, "\"%s\" goes after http", w);
			*(w[0] == 'm' ? &http_method : w[0] == 'h' ? &http_host : &http_path) = a;
		} else if (strcmp(w, "tls") == 0) {
			if (set_proto(d, P_TCP, w, err, es) < 0)
				return -1;
			if (a == NULL || strcmp(a, "sni") != 0 || words[i + 2] == NULL)
				return fail(err, es, "tls needs \"sni NAME\"");
			if (tls_client_hello(d, words[i + 2], err, es) < 0)
				return -1;
			if (d->dport < 0)
				d->dport = 443;
			i += 2;
		} else if (strcmp(w, "dns") == 0) {
			if (set_proto(d, P_UDP, w, err, es) < 0)
				return -1;
			if (a == NULL || strcmp(a, "query") != 0 || words[i + 2] == NULL)
				return fail(err, es, "dns needs \"query NAME\"");
			if (payload_add(d, "\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00", 12, err, es) < 0 ||
			    dns_name(d, words[i + 2], err, es) < 0 ||
			    payload_add(d, "\x00\x01\x00\x01", 4, err, es) < 0) // A, IN
				return -1;
			if (d->dport < 0)
				d->dport = 53;
			i += 2;
		} else if (strcmp(w, "payload") == 0) {
			NEED("a text");
			if (payload_add(d, a, strlen(a), err, es) < 0)
				return -1;
		} else if (strcmp(w, "len") == 0) {
			long len;
			NEED("a number of bytes");
			if (!num(a, 0, PAYLOAD_MAX, &len))
				return fail(err, es, "len \"%s\": 0..%d", a, PAYLOAD_MAX);
			while (d->payload_len < (size_t)len)
				d->payload[d->payload_len++] = 0;
		} else if (tunnel != NULL && (d->tunneled || strcmp(w, tunnel->word) == 0) &&
			   (taken = tunnel->parse(d->tunnel_state, &words[i], n - i, err, es)) != 0) {
			if (taken < 0)
				return -1;
			d->tunneled = true;
			i += taken - 1;
		} else {
			bool flag = false;
			for (size_t f = 0; f < RTE_DIM(tcp_flags); f++)
				if (strcmp(w, tcp_flags[f].name) == 0) {
					if (set_proto(d, P_TCP, w, err, es) < 0)
						return -1;
					d->tcp_flags |= tcp_flags[f].flag;
					d->flags_given = flag = true;
				}
			if (!flag)
				return fail(err, es, "unknown word \"%s\" (words: %s%s%s)", w, WORDS,
					    tunnel != NULL ? ", " : "", tunnel != NULL ? tunnel->word : "");
		}
#undef NEED
	}
	if (http_method != NULL) {
		char req[PAYLOAD_MAX];
		int len = snprintf(req, sizeof(req), "%s %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: vnetctl-trace\r\n\r\n",
				   http_method, http_path ? http_path : "/", http_host ? http_host : "example");
		if (len < 0 || (size_t)len >= sizeof(req) || payload_add(d, req, (size_t)len, err, es) < 0)
			return fail(err, es, "http request longer than %d bytes", PAYLOAD_MAX);
		if (d->dport < 0)
			d->dport = 80;
	}
	if (d->proto == P_TCP && !d->flags_given)
		d->tcp_flags = d->payload_len > 0 ? RTE_TCP_PSH_FLAG | RTE_TCP_ACK_FLAG : RTE_TCP_SYN_FLAG;
	return 0;
}

// ---- the rules document -------------------------------------------------------------------------

static const json_t *find_by(const json_t *arr, const char *key, const char *value) {
	const json_t *x;
	size_t i;

	json_array_foreach(arr, i, x)
		if (json_is_string(json_object_get(x, key)) &&
		    strcmp(json_string_value(json_object_get(x, key)), value) == 0)
			return x;
	return NULL;
}

// The MAC of the port (local or remote) of network `net` that has address a; false if none.
static bool mac_of_address(const json_t *doc, const char *net, const struct addr *a,
			   struct rte_ether_addr *mac) {
	static const char *const lists[] = {"ports", "remote_ports"};

	for (size_t l = 0; l < RTE_DIM(lists); l++) {
		const json_t *p, *ip;
		size_t i, j;
		json_array_foreach(json_object_get(doc, lists[l]), i, p) {
			if (!json_is_string(json_object_get(p, "network")) ||
			    strcmp(json_string_value(json_object_get(p, "network")), net) != 0)
				continue;
			json_array_foreach(json_object_get(p, "ips"), j, ip) {
				struct addr b;
				if (addr_from_json(ip, &b) && addr_eq(a, &b))
					return mac_parse(json_string_value(json_object_get(p, "mac")), mac);
			}
		}
	}
	return false;
}

// The destination MAC for a in network `net`: its port's, the router's for a gateway or an
// address off the network's subnets. 0, or -1 with err.
static int resolve_dmac(const json_t *doc, const json_t *net, const struct addr *a,
			struct rte_ether_addr *mac, char *err, size_t es) {
	const char *nid = json_string_value(json_object_get(net, "id"));
	const json_t *s, *rt = NULL;
	bool on_subnet = false, gateway = false;
	char txt[INET6_ADDRSTRLEN];
	size_t i;

	if (a->family == AF_INET && memcmp(a->b, "\xff\xff\xff\xff", 4) == 0) {
		memset(mac->addr_bytes, 0xff, 6);
		return 0;
	}
	if (a->family == AF_INET6 && a->b[0] == 0xff) { // multicast: 33:33 and the low 32 bits
		uint8_t m[6] = {0x33, 0x33, a->b[12], a->b[13], a->b[14], a->b[15]};
		memcpy(mac->addr_bytes, m, 6);
		return 0;
	}
	inet_ntop(a->family, a->b, txt, sizeof(txt));
	json_array_foreach(json_object_get(net, "subnets"), i, s) {
		struct addr g;
		if (json_is_string(json_object_get(s, "cidr")) &&
		    in_prefix(a, json_string_value(json_object_get(s, "cidr"))))
			on_subnet = true;
		if (addr_from_json(json_object_get(s, "gateway"), &g) && addr_eq(a, &g))
			gateway = true;
	}
	if (on_subnet && !gateway) {
		if (mac_of_address(doc, nid, a, mac))
			return 0;
		return fail(err, es, "no port of network %s has address %s: say to-mac", nid, txt);
	}
	if (!on_subnet && !gateway && json_array_size(json_object_get(net, "subnets")) == 0 &&
	    mac_of_address(doc, nid, a, mac))
		return 0; // a network without subnets: its ports' addresses
	if (json_is_string(json_object_get(net, "router")))
		rt = find_by(json_object_get(doc, "routers"), "id",
			     json_string_value(json_object_get(net, "router")));
	if (rt != NULL && mac_parse(json_string_value(json_object_get(rt, "mac")), mac))
		return 0;
	return fail(err, es, "%s is not in network %s's subnets and the network has no router: say to-mac",
		    txt, nid);
}

// ---- the frame ----------------------------------------------------------------------------------

static uint8_t *put(uint8_t **p, uint8_t *end, size_t n) {
	uint8_t *at = *p;

	if ((size_t)(end - at) < n)
		return NULL;
	*p += n;
	memset(at, 0, n);
	return at;
}

// Ethernet (and VLAN) then the packet d describes, at *p. 0 or -1.
static int build_l2(struct desc *d, uint8_t **p, uint8_t *end, char *err, size_t es) {
	struct rte_ether_hdr *eh = (struct rte_ether_hdr *)put(p, end, sizeof(*eh));
	uint16_t type = d->proto == P_ARP ? RTE_ETHER_TYPE_ARP
			: d->dst.family == AF_INET6 ? RTE_ETHER_TYPE_IPV6 : RTE_ETHER_TYPE_IPV4;
	uint8_t *l3, *l4;
	size_t l4_len;

	if (eh == NULL)
		return fail(err, es, "frame too long");
	eh->dst_addr = d->dmac;
	eh->src_addr = d->smac;
	if (d->vlan >= 0) {
		struct rte_vlan_hdr *vh = (struct rte_vlan_hdr *)put(p, end, sizeof(*vh));
		eh->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_VLAN);
		vh->vlan_tci = rte_cpu_to_be_16((uint16_t)d->vlan);
		vh->eth_proto = rte_cpu_to_be_16(type);
	} else {
		eh->ether_type = rte_cpu_to_be_16(type);
	}
	if (d->proto == P_ARP) {
		struct rte_arp_hdr *ah = (struct rte_arp_hdr *)put(p, end, sizeof(*ah));
		if (ah == NULL)
			return fail(err, es, "frame too long");
		ah->arp_hardware = rte_cpu_to_be_16(RTE_ARP_HRD_ETHER);
		ah->arp_protocol = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
		ah->arp_hlen = 6;
		ah->arp_plen = 4;
		ah->arp_opcode = rte_cpu_to_be_16(d->arp_reply ? RTE_ARP_OP_REPLY : RTE_ARP_OP_REQUEST);
		ah->arp_data.arp_sha = d->smac;
		memcpy(&ah->arp_data.arp_sip, d->arp_sender.b, 4);
		if (d->arp_reply)
			ah->arp_data.arp_tha = d->dmac;
		memcpy(&ah->arp_data.arp_tip, d->arp_target.b, 4);
		return 0;
	}
	l4_len = (d->proto == P_TCP ? sizeof(struct rte_tcp_hdr)
		  : d->proto == P_UDP ? sizeof(struct rte_udp_hdr) : sizeof(struct rte_icmp_hdr)) +
		 d->payload_len;
	if (d->dst.family == AF_INET) {
		struct rte_ipv4_hdr *ih = (struct rte_ipv4_hdr *)(l3 = put(p, end, sizeof(*ih)));
		if (ih == NULL)
			return fail(err, es, "frame too long");
		ih->version_ihl = RTE_IPV4_VHL_DEF;
		ih->total_length = rte_cpu_to_be_16((uint16_t)(sizeof(*ih) + l4_len));
		ih->packet_id = rte_cpu_to_be_16(1);
		ih->fragment_offset = rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG);
		ih->time_to_live = (uint8_t)d->ttl;
		ih->next_proto_id = d->proto == P_TCP ? IPPROTO_TCP : d->proto == P_UDP ? IPPROTO_UDP : IPPROTO_ICMP;
		memcpy(&ih->src_addr, d->src.b, 4);
		memcpy(&ih->dst_addr, d->dst.b, 4);
		ih->hdr_checksum = rte_ipv4_cksum(ih);
	} else {
		struct rte_ipv6_hdr *ih = (struct rte_ipv6_hdr *)(l3 = put(p, end, sizeof(*ih)));
		if (ih == NULL)
			return fail(err, es, "frame too long");
		ih->vtc_flow = rte_cpu_to_be_32(6u << 28);
		ih->payload_len = rte_cpu_to_be_16((uint16_t)l4_len);
		ih->proto = d->proto == P_TCP ? IPPROTO_TCP : d->proto == P_UDP ? IPPROTO_UDP : IPPROTO_ICMPV6;
		ih->hop_limits = (uint8_t)d->ttl;
		memcpy(ih->src_addr, d->src.b, 16);
		memcpy(ih->dst_addr, d->dst.b, 16);
	}
	l4 = put(p, end, l4_len);
	if (l4 == NULL)
		return fail(err, es, "frame too long");
	if (d->proto == P_TCP) {
		struct rte_tcp_hdr *th = (struct rte_tcp_hdr *)l4;
		th->src_port = rte_cpu_to_be_16((uint16_t)(d->sport >= 0 ? d->sport : 40000));
		th->dst_port = rte_cpu_to_be_16((uint16_t)(d->dport >= 0 ? d->dport : 80));
		th->sent_seq = rte_cpu_to_be_32((uint32_t)(d->seq >= 0 ? d->seq : 1000));
		th->recv_ack = rte_cpu_to_be_32((uint32_t)(d->ack >= 0 ? d->ack : (d->tcp_flags & RTE_TCP_ACK_FLAG ? 1 : 0)));
		th->data_off = (uint8_t)(sizeof(*th) / 4) << 4;
		th->tcp_flags = d->tcp_flags;
		th->rx_win = rte_cpu_to_be_16(64240);
		memcpy(th + 1, d->payload, d->payload_len);
	} else if (d->proto == P_UDP) {
		struct rte_udp_hdr *uh = (struct rte_udp_hdr *)l4;
		uh->src_port = rte_cpu_to_be_16((uint16_t)(d->sport >= 0 ? d->sport : 40000));
		uh->dst_port = rte_cpu_to_be_16((uint16_t)(d->dport >= 0 ? d->dport : 7));
		uh->dgram_len = rte_cpu_to_be_16((uint16_t)l4_len);
		memcpy(uh + 1, d->payload, d->payload_len);
	} else {
		struct rte_icmp_hdr *ic = (struct rte_icmp_hdr *)l4;
		bool v6 = d->dst.family == AF_INET6;
		ic->icmp_type = v6 ? (d->icmp_type ? 129 : 128) : (d->icmp_type ? 0 : 8);
		ic->icmp_ident = rte_cpu_to_be_16((uint16_t)d->icmp_id);
		ic->icmp_seq_nb = rte_cpu_to_be_16((uint16_t)d->icmp_seq);
		memcpy(ic + 1, d->payload, d->payload_len);
		if (!v6)
			ic->icmp_cksum = (uint16_t)~rte_raw_cksum(ic, l4_len);
	}
	if (d->proto != P_ICMP || d->dst.family == AF_INET6) { // TCP, UDP, ICMPv6: pseudo-header
		uint16_t ck = d->dst.family == AF_INET ? rte_ipv4_udptcp_cksum((struct rte_ipv4_hdr *)l3, l4)
						       : rte_ipv6_udptcp_cksum((struct rte_ipv6_hdr *)l3, l4);
		// The checksum field's offset: TCP 16, UDP 6, ICMPv6 2.
		memcpy(l4 + (d->proto == P_TCP ? 16 : d->proto == P_UDP ? 6 : 2), &ck, 2);
	}
	return 0;
}

int trace_build(const struct dp_config *cfg, const char *port, const char *words, uint8_t *out,
		size_t size, char *err, size_t es) {
	const json_t *doc = cfg != NULL ? cfg->doc : NULL, *p = NULL, *net = NULL, *ip;
	struct desc *d = calloc(1, sizeof(*d));
	char *text = strdup(words != NULL ? words : "");
	uint8_t *at = out, *end = out + size;
	size_t i;
	int ret = -1;

	if (d == NULL || text == NULL) {
		fail(err, es, "out of memory");
		goto out;
	}
	if (parse(text, d, err, es) < 0)
		goto out;
	p = find_by(json_object_get(doc, "ports"), "id", port);
	if (d->tunneled) {
		net = tunnel->network(d->tunnel_state, doc, err, es);
		if (net == NULL)
			goto out;
	} else if (p == NULL) {
		fail(err, es, "port %s is not in the rules document%s%s", port,
		     tunnel != NULL ? ": at a feature's port, describe a frame in its tunnel: " : "",
		     tunnel != NULL ? tunnel->word : "");
		goto out;
	} else {
		net = find_by(json_object_get(doc, "networks"), "id",
			      json_string_value(json_object_get(p, "network")));
	}
	// Addresses: the family of whichever is given; the source defaults to the port's.
	if (d->proto == P_ARP) {
		if (d->arp_target.family == 0) {
			fail(err, es, "arp needs \"who-has ADDRESS\"");
			goto out;
		}
		if (d->arp_sender.family == 0 && d->src.family == AF_INET)
			d->arp_sender = d->src;
	} else if (d->dst.family == 0) {
		fail(err, es, "say where the packet goes: to ADDRESS");
		goto out;
	}
	if (d->proto == P_NONE)
		d->proto = P_UDP;
	if (d->proto == P_ICMP && d->dst.family == AF_INET6)
		d->proto = P_ICMP6;
	if (d->proto == P_ICMP6 && d->dst.family != AF_INET6) {
		fail(err, es, "icmp6 goes to an IPv6 address");
		goto out;
	}
	if (d->proto == P_ICMP6)
		d->proto = P_ICMP; // built by family below
	{
		int fam = d->proto == P_ARP ? AF_INET : d->dst.family;
		struct addr *want = d->proto == P_ARP ? &d->arp_sender : &d->src;
		if (want->family == 0 && p != NULL)
			json_array_foreach(json_object_get(p, "ips"), i, ip) {
				struct addr a;
				if (addr_from_json(ip, &a) && a.family == fam) {
					*want = a;
					break;
				}
			}
		if (want->family == 0) {
			fail(err, es, "the port has no %s address: say from ADDRESS",
			     fam == AF_INET ? "IPv4" : "IPv6");
			goto out;
		}
		if (d->proto != P_ARP && d->src.family != d->dst.family) {
			fail(err, es, "from and to are not the same family");
			goto out;
		}
	}
	// MACs.
	if (!d->have_smac) {
		if (d->tunneled) {
			if (!mac_of_address(doc, json_string_value(json_object_get(net, "id")), &d->src, &d->smac)) {
				fail(err, es, "no port of network %s has address %s: say from-mac",
				     json_string_value(json_object_get(net, "id")), "the source");
				goto out;
			}
		} else if (!mac_parse(json_string_value(json_object_get(p, "mac")), &d->smac)) {
			fail(err, es, "port %s has no MAC in the rules: say from-mac", port);
			goto out;
		}
	}
	if (!d->have_dmac) {
		if (d->proto == P_ARP && !d->arp_reply)
			memset(d->dmac.addr_bytes, 0xff, 6);
		else if (d->proto == P_ARP) {
			fail(err, es, "an ARP reply needs to-mac");
			goto out;
		} else if (net == NULL) {
			fail(err, es, "port %s's network is not in the rules: say to-mac", port);
			goto out;
		} else if (resolve_dmac(doc, net, &d->dst, &d->dmac, err, es) < 0) {
			goto out;
		}
	}
	if (d->tunneled) { // the inner frame, then the tunnel's headers around it
		uint8_t *inner = malloc(size);
		int len;
		if (inner == NULL) {
			fail(err, es, "out of memory");
			goto out;
		}
		at = inner;
		end = inner + size;
		if (build_l2(d, &at, end, err, es) < 0) {
			free(inner);
			goto out;
		}
		len = tunnel->wrap(d->tunnel_state, port, inner, (size_t)(at - inner), out, size, err, es);
		free(inner);
		if (len < 0)
			goto out;
		at = out + len;
		end = out + size;
	} else if (build_l2(d, &at, end, err, es) < 0) {
		goto out;
	}
	while (at - out < 60) // the Ethernet minimum, without the FCS
		*at++ = 0;
	ret = (int)(at - out);
out:
	free(d);
	free(text);
	return ret;
}
