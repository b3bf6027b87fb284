// SPDX-License-Identifier: BSD-3-Clause
// vnet-agent: one per host. Registers the host with the controller, follows the host's rules
// document (a long poll from the revision it has, answered whole or as ops), hands each change to
// vnetd as one transaction, and reports the revision applied and its ports' states. Keeps the last
// document on disk so that the host keeps forwarding on it, and vnetd gets it back at once, when
// the controller is away. docs/agent.md.

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <linux/if_addr.h>

#include <curl/curl.h>
#include <jansson.h>
#include <microhttpd.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/route.h>

#include "common/docops.h"
#include "common/httpbuf.h"
#include "vnetctl/rpc.h"
#include "vnetctl/vnetctl.h"

#define MAX_URLS 8

static const char usage[] =
	"usage: vnet-agent --controller URL[,URL...] --host NAME --vtep ADDRESS --vnetd SOCKET\n"
	"                  --state-dir DIR [--cert FILE --key FILE] [--ca FILE]\n"
	"                  [--token-file FILE] [--listen ADDR:PORT]\n"
	"\n"
	"Registers host NAME (its VXLAN tunnel address ADDRESS) with the controller, follows the\n"
	"host's rules document (GET /vnet/v1/hosts/NAME/rules?since=REV&ops=1), applies each change\n"
	"to the vnetd at SOCKET as one transaction, and reports the revision applied and the ports'\n"
	"states. The controller URLs are tried in turn, with a backoff (0.2 s doubling to 5 s).\n"
	"--cert/--key: the host's client certificate (mutual TLS; `vnet-controller ca issue`); --ca:\n"
	"the CA that signed the controller's. --token-file: an admin token instead (a demo on\n"
	"loopback). --state-dir: the last applied document (applied.json, written atomically) and\n"
	"the containers' namespaces (netns.json). --listen: GET /status (JSON) and /metrics\n"
	"(Prometheus), and POST /v1/ports/ID/netns {\"netns\": PATH, \"ifname\": NAME} for a container\n"
	"port's network namespace (the CNI plugin's call). docs/agent.md.\n";

struct agent {
	char url[MAX_URLS][256];
	unsigned int n_url, cur;
	char host[64], vtep[64], vnetd[256], dir[256];
	char cert[256], key[256], ca[256], token[160];
	pthread_mutex_t lock; // everything below, and every apply to vnetd
	json_t *doc;          // the last document from the controller that vnetd applied (or NULL)
	json_t *given;        // what vnetd was given for it (containers' devices filled in)
	uint64_t applied;     // its revision
	uint64_t vnetd_rev;   // the revision vnetd holds: `applied`, or an older one with the same
			      // content (changes elsewhere that left this host's document as it was)
	json_t *netns;        // port id -> {"netns", "ifname"}
	unsigned int left_out; // container ports of the last document without a vNIC yet
	bool reachable;       // the controller answered the last request
	time_t received_at;   // when the last document (or ops) came
	time_t last_contact;  // when the controller last answered
	uint64_t polls, errors, applies_whole, applies_ops, vnetd_restores, refused;
	// Live migration: ports handed to another host and taken from one, connections imported,
	// handoffs that came without connections in time.
	uint64_t handoffs_out, handoffs_in, handoff_connections, handoff_timeouts;
	char last_error[256];
};

// The long poll: the controller answers within AGENT_POLL_S (unchanged, if nothing changed); an
// answer 10 s later than that means the controller is hung (stale from then on).
#define AGENT_POLL_S 20

static struct agent ag;
static volatile sig_atomic_t stop;

// One JSON line a message on standard error (the journal).
static void alog(const char *level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void alog(const char *level, const char *fmt, ...) {
	char msg[1024], ts[32];
	struct timespec now;
	struct tm tm;
	json_t *line;
	char *text;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(ts + strlen(ts), sizeof(ts) - strlen(ts), ".%03ldZ", now.tv_nsec / 1000000);
	line = json_pack("{ssssssss}", "time", ts, "level", level, "host", ag.host, "msg", msg);
	text = line != NULL ? json_dumps(line, JSON_COMPACT) : NULL;
	if (text != NULL)
		fprintf(stderr, "%s\n", text);
	free(text);
	json_decref(line);
}

// ---- files --------------------------------------------------------------------------------------

// Write `j` to DIR/name atomically: a temporary file, fsync, rename, fsync of the directory. A
// crash leaves the old file or the new one.
static int save_json(const char *name, const json_t *j) {
	char path[600], tmp[610];
	int fd, dfd;
	char *text = json_dumps(j, JSON_COMPACT);
	size_t n = text != NULL ? strlen(text) : 0;
	int ret = -1;

	if (text == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s/%s", ag.dir, name);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd >= 0 && write(fd, text, n) == (ssize_t)n && fsync(fd) == 0 && close(fd) == 0) {
		fd = -1;
		if (rename(tmp, path) == 0) {
			dfd = open(ag.dir, O_RDONLY | O_DIRECTORY);
			if (dfd >= 0) {
				fsync(dfd);
				close(dfd);
			}
			ret = 0;
		}
	}
	if (fd >= 0)
		close(fd);
	if (ret < 0)
		alog("error", "cannot write %s: %s", path, strerror(errno));
	free(text);
	return ret;
}

static json_t *load_json(const char *name) {
	char path[600];

	snprintf(path, sizeof(path), "%s/%s", ag.dir, name);
	return json_load_file(path, 0, NULL);
}

// ---- vnetd --------------------------------------------------------------------------------------

static int vnetd_call(const char *method, json_t *params, json_t **result) {
	json_t *res = NULL;
	int ret = rpc_call(ag.vnetd, method, params, &res);

	if (result != NULL)
		*result = res;
	else
		json_decref(res);
	return ret == CLI_OK ? 0 : -1;
}

// vnetd's revision, or -1 if it does not answer.
static long long vnetd_revision(void) {
	json_t *st = NULL;
	long long rev = -1;

	if (vnetd_call("status", NULL, &st) == 0)
		rev = json_integer_value(json_object_get(st, "revision"));
	json_decref(st);
	return rev;
}

// The document as vnetd takes it on this host: a container's port gets its veth made by vnetd
// in the container's namespace, once the agent knows that namespace (the CNI plugin says it); a
// port whose interface (tap + the id's first 11 characters, as Neutron names it) exists already
// is adopted as it is (made by a hypervisor or another plugin; vnetd never deletes it); any other
// container port is left out (its container does not exist yet).
static json_t *localize(const json_t *doc) {
	json_t *out = json_deep_copy(doc), *ports = json_array(), *p;
	size_t i;

	ag.left_out = 0;
	json_object_del(out, "moved_away");

	json_array_foreach(json_object_get(out, "ports"), i, p) {
		const char *dev = json_string_value(json_object_get(p, "device"));
		const json_t *ns = json_object_get(ag.netns, json_string_value(json_object_get(p, "id")));
		json_object_del(p, "moved_from"); // the controller's word to the agent, not vnetd's
		if (dev != NULL && strncmp(dev, "veth:", 5) == 0 && strchr(dev, ',') == NULL) {
			char d[512];
			if (ns == NULL && if_nametoindex(dev + 5) != 0) {
				json_array_append(ports, p);
				continue;
			}
			if (ns == NULL) {
				ag.left_out++;
				continue;
			}
			snprintf(d, sizeof(d), "%s,netns=%s,peer=%s", dev,
				 json_string_value(json_object_get(ns, "netns")),
				 json_string_value(json_object_get(ns, "ifname")));
			json_object_set_new(p, "device", json_string(d));
		}
		json_array_append(ports, p);
	}
	json_object_set_new(out, "ports", ports);
	return out;
}

// In a container's namespace: its interface up with the port's addresses and a default route
// through the subnet's gateway (what a CNI plugin does). libnl, from a thread that entered the
// namespace.
struct nsconf {
	char netns[256], ifname[32];
	json_t *ips;     // ["10.1.0.5/24", ...]
	json_t *gateways; // ["10.1.0.1", ...] one per family at most
	int ret;
};

static void *nsconf_thread(void *arg) {
	struct nsconf *c = arg;
	struct nl_sock *sk = NULL;
	struct rtnl_link *link = NULL, *change = NULL;
	int fd = open(c->netns, O_RDONLY | O_CLOEXEC), ifindex;
	const json_t *x;
	size_t i;

	c->ret = -1;
	if (fd < 0 || setns(fd, CLONE_NEWNET) < 0)
		goto out;
	sk = nl_socket_alloc();
	if (sk == NULL || nl_connect(sk, NETLINK_ROUTE) < 0 ||
	    rtnl_link_get_kernel(sk, 0, c->ifname, &link) < 0)
		goto out;
	ifindex = rtnl_link_get_ifindex(link);
	change = rtnl_link_alloc();
	rtnl_link_set_flags(change, IFF_UP);
	if (rtnl_link_change(sk, link, change, 0) < 0)
		goto out;
	json_array_foreach(c->ips, i, x) {
		struct rtnl_addr *a = rtnl_addr_alloc();
		struct nl_addr *local = NULL;
		int err;
		if (nl_addr_parse(json_string_value(x), AF_UNSPEC, &local) < 0) {
			rtnl_addr_put(a);
			goto out;
		}
		rtnl_addr_set_ifindex(a, ifindex);
		rtnl_addr_set_local(a, local);
		if (nl_addr_get_family(local) == AF_INET6)
			rtnl_addr_set_flags(a, IFA_F_NODAD);
		err = rtnl_addr_add(sk, a, NLM_F_CREATE | NLM_F_EXCL);
		nl_addr_put(local);
		rtnl_addr_put(a);
		if (err < 0 && err != -NLE_EXIST)
			goto out;
	}
	json_array_foreach(c->gateways, i, x) {
		struct rtnl_route *r = rtnl_route_alloc();
		struct rtnl_nexthop *nh = rtnl_route_nh_alloc();
		struct nl_addr *gw = NULL, *dst = NULL;
		int family, err;
		if (nl_addr_parse(json_string_value(x), AF_UNSPEC, &gw) < 0) {
			rtnl_route_put(r);
			rtnl_route_nh_free(nh);
			goto out;
		}
		family = nl_addr_get_family(gw);
		nl_addr_parse(family == AF_INET ? "0.0.0.0/0" : "::/0", family, &dst);
		rtnl_route_set_family(r, (uint8_t)family);
		rtnl_route_set_dst(r, dst);
		rtnl_route_nh_set_gateway(nh, gw);
		rtnl_route_nh_set_ifindex(nh, ifindex);
		rtnl_route_add_nexthop(r, nh);
		err = rtnl_route_add(sk, r, NLM_F_CREATE | NLM_F_EXCL);
		nl_addr_put(gw);
		nl_addr_put(dst);
		rtnl_route_put(r);
		if (err < 0 && err != -NLE_EXIST)
			goto out;
	}
	c->ret = 0;
out:
	if (change != NULL)
		rtnl_link_put(change);
	if (link != NULL)
		rtnl_link_put(link);
	if (sk != NULL)
		nl_socket_free(sk);
	if (fd >= 0)
		close(fd);
	return NULL;
}

// Configure every container port of `given` whose namespace is known.
static void configure_containers(const json_t *given) {
	const json_t *p, *n, *s;
	size_t i, j, k;

	json_array_foreach(json_object_get(given, "ports"), i, p) {
		const char *dev = json_string_value(json_object_get(p, "device"));
		const json_t *ns = json_object_get(ag.netns, json_string_value(json_object_get(p, "id")));
		struct nsconf c = {0};
		pthread_t t;
		if (ns == NULL || dev == NULL || strstr(dev, ",netns=") == NULL)
			continue;
		snprintf(c.netns, sizeof(c.netns), "%s", json_string_value(json_object_get(ns, "netns")));
		snprintf(c.ifname, sizeof(c.ifname), "%s", json_string_value(json_object_get(ns, "ifname")));
		c.ips = json_array();
		c.gateways = json_array();
		json_array_foreach(json_object_get(given, "networks"), j, n) {
			if (!json_equal(json_object_get(n, "id"), json_object_get(p, "network")))
				continue;
			json_array_foreach(json_object_get(n, "subnets"), k, s) {
				const char *cidr = json_string_value(json_object_get(s, "cidr"));
				const char *slash = cidr != NULL ? strchr(cidr, '/') : NULL;
				const json_t *ip;
				size_t m;
				bool v6 = cidr != NULL && strchr(cidr, ':') != NULL;
				if (slash == NULL)
					continue;
				json_array_foreach(json_object_get(p, "ips"), m, ip) {
					const char *a = json_string_value(ip);
					if (a != NULL && (strchr(a, ':') != NULL) == v6) {
						char buf[80];
						snprintf(buf, sizeof(buf), "%s%s", a, slash);
						json_array_append_new(c.ips, json_string(buf));
					}
				}
				if (json_is_string(json_object_get(s, "gateway")))
					json_array_append(c.gateways, json_object_get(s, "gateway"));
			}
		}
		if (pthread_create(&t, NULL, nsconf_thread, &c) == 0) {
			pthread_join(t, NULL);
			if (c.ret < 0)
				alog("error", "port %s: cannot configure %s in %s",
				     json_string_value(json_object_get(p, "id")), c.ifname, c.netns);
		}
		json_decref(c.ips);
		json_decref(c.gateways);
	}
}

// The last document and what vnetd holds, on disk (applied.json), atomically.
static void save_state(void) {
	json_t *st = json_pack("{sOsI}", "document", ag.doc, "vnetd_revision",
			       (json_int_t)ag.vnetd_rev);

	save_json("applied.json", st);
	json_decref(st);
}

// Give vnetd document `doc` (the controller's, at its revision), as one transaction: the ops from
// what vnetd has when it has ours, else the whole document. Under ag.lock. 0 or -1.
// A VM port's vhost-user socket is vnetd's (the server): its directory must exist first (the
// controller's --vhost-dir, /run/vnet/vhost by default, is gone after a reboot).
static void vhost_dirs(const json_t *given) {
	const json_t *p;
	size_t i;

	json_array_foreach(json_object_get(given, "ports"), i, p) {
		const char *dev = json_string_value(json_object_get(p, "device"));
		char dir[512], *end;
		if (dev == NULL || strncmp(dev, "vhost:", 6) != 0)
			continue;
		snprintf(dir, sizeof(dir), "%s", dev + 6);
		end = strchr(dir, ',');
		if (end != NULL)
			*end = '\0';
		end = strrchr(dir, '/');
		if (end == NULL || end == dir)
			continue;
		*end = '\0';
		for (char *q = dir + 1; *q != '\0'; q++)
			if (*q == '/') {
				*q = '\0';
				mkdir(dir, 0755);
				*q = '/';
			}
		if (mkdir(dir, 0755) < 0 && errno != EEXIST)
			alog("warning", "cannot make %s for port %s's vhost-user socket: %s", dir,
			     json_string_value(json_object_get(p, "id")), strerror(errno));
	}
}

static double ms_between(const struct timespec *a, const struct timespec *b) {
	return (double)(b->tv_sec - a->tv_sec) * 1e3 + (double)(b->tv_nsec - a->tv_nsec) / 1e6;
}

static int apply(json_t *doc, bool whole) {
	struct timespec t0, t1, t2;
	json_t *given = localize(doc), *params, *res = NULL;
	uint64_t rev = (uint64_t)json_integer_value(json_object_get(doc, "revision"));
	bool by_ops = !whole && ag.given != NULL;

	if (by_ops) {
		json_t *ops = doc_ops(ag.given, given);
		if (json_array_size(ops) == 0) { // vnetd has it all already: not a transaction
			json_decref(ops);
			json_decref(given);
			if (ag.doc != doc) {
				json_decref(ag.doc);
				ag.doc = json_incref(doc);
			}
			ag.applied = rev;
			save_state();
			return 0;
		}
		params = json_pack("{sIso}", "revision", (json_int_t)rev, "ops", ops);
	} else {
		params = json_deep_copy(given);
	}
	vhost_dirs(given);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (vnetd_call("apply", params, &res) < 0) {
		json_decref(given);
		ag.refused++;
		snprintf(ag.last_error, sizeof(ag.last_error), "vnetd refused revision %llu",
			 (unsigned long long)rev);
		alog("error", "vnetd refused revision %llu (%s)", (unsigned long long)rev,
		     by_ops ? "ops" : "whole");
		return -1;
	}
	json_decref(res);
	if (by_ops)
		ag.applies_ops++;
	else
		ag.applies_whole++;
	json_decref(ag.given);
	ag.given = given;
	if (ag.doc != doc) {
		json_decref(ag.doc);
		ag.doc = json_incref(doc);
	}
	ag.applied = rev;
	ag.vnetd_rev = rev;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	save_state();
	configure_containers(given);
	clock_gettime(CLOCK_MONOTONIC, &t2);
	alog("info", "applied revision %llu (%s): vnetd %.1f ms, then state and containers %.1f ms",
	     (unsigned long long)rev, by_ops ? "ops" : "whole document", ms_between(&t0, &t1),
	     ms_between(&t1, &t2));
	return 0;
}

// ---- the controller -----------------------------------------------------------------------------

// One request to the current controller URL. The HTTP status (0: no answer), the body in *ans.
static long http_as(CURL *h, const char *token, const char *method, const char *path,
		    const json_t *body, long timeout_s, json_t **ans) {
	struct curl_slist *hdr = NULL;
	struct http_buf b = {0};
	char url[512], tok[200];
	char *text = body != NULL ? json_dumps(body, JSON_COMPACT) : NULL;
	long code = 0;

	*ans = NULL;
	snprintf(url, sizeof(url), "%s%s", ag.url[ag.cur], path);
	curl_easy_reset(h);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, http_buf_collect);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 1000L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, timeout_s);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	hdr = curl_slist_append(hdr, "Content-Type: application/json");
	if (token != NULL && token[0] != '\0') {
		snprintf(tok, sizeof(tok), "X-Auth-Token: %s", token);
		hdr = curl_slist_append(hdr, tok);
	}
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
	if (ag.cert[0] != '\0') {
		curl_easy_setopt(h, CURLOPT_SSLCERT, ag.cert);
		curl_easy_setopt(h, CURLOPT_SSLKEY, ag.key);
	}
	if (ag.ca[0] != '\0')
		curl_easy_setopt(h, CURLOPT_CAINFO, ag.ca);
	if (text != NULL)
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, text);
	if (curl_easy_perform(h) == CURLE_OK)
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
	if (code != 0 && b.p != NULL)
		*ans = json_loads(b.p, 0, NULL);
	curl_slist_free_all(hdr);
	free(b.p);
	free(text);
	return code;
}

// As this host: its certificate, or the admin token of --token-file.
static long http(CURL *h, const char *method, const char *path, const json_t *body, long timeout_s,
		 json_t **ans) {
	return http_as(h, ag.token, method, path, body, timeout_s, ans);
}

static void contact(bool ok, const char *what) {
	pthread_mutex_lock(&ag.lock);
	if (ok) {
		if (!ag.reachable)
			alog("info", "controller %s reachable", ag.url[ag.cur]);
		ag.reachable = true;
		ag.last_contact = time(NULL);
	} else {
		if (ag.reachable)
			alog("warning", "controller %s unreachable (%s): forwarding on revision %llu",
			     ag.url[ag.cur], what, (unsigned long long)ag.applied);
		ag.reachable = false;
		ag.errors++;
		snprintf(ag.last_error, sizeof(ag.last_error), "%s: %s", ag.url[ag.cur], what);
		ag.cur = (ag.cur + 1) % ag.n_url; // the next controller
	}
	pthread_mutex_unlock(&ag.lock);
}

static void backoff(unsigned int *ms) {
	struct timespec t = {.tv_sec = *ms / 1000, .tv_nsec = (long)(*ms % 1000) * 1000000};

	nanosleep(&t, NULL);
	*ms = *ms * 2 > 5000 ? 5000 : *ms * 2;
}

// The ports' states for the controller: ACTIVE when vnetd has the port.
static json_t *port_states(void) {
	json_t *ports = NULL, *out = json_object(), *p;
	size_t i;

	json_array_foreach(json_object_get(ag.doc, "ports"), i, p)
		json_object_set_new(out, json_string_value(json_object_get(p, "id")), json_string("DOWN"));
	if (vnetd_call("show.ports", NULL, &ports) == 0)
		json_array_foreach(ports, i, p) {
			const char *name = json_string_value(json_object_get(p, "name"));
			if (name != NULL && json_object_get(out, name) != NULL)
				json_object_set_new(out, name, json_string("ACTIVE"));
		}
	json_decref(ports);
	return out;
}

// Tell the controller the revision applied and the ports' states.
static void report(CURL *h) {
	json_t *req, *ans = NULL;
	char path[128];
	long code;

	pthread_mutex_lock(&ag.lock);
	req = json_pack("{sIso}", "revision", (json_int_t)ag.applied, "ports", port_states());
	pthread_mutex_unlock(&ag.lock);
	snprintf(path, sizeof(path), "/vnet/v1/hosts/%s/status", ag.host);
	code = http(h, "POST", path, req, 10, &ans);
	json_decref(req);
	json_decref(ans);
	if (code != 204)
		contact(false, "status refused");
}


// ---- live migration (docs/agent.md, "Live migration") -------------------------------------------

#define HANDOFF_WAIT_MS 2000 // how long a port arriving here waits for its connections

// Whether doc has a local port with (network, mac) of p.
static bool doc_has(const json_t *doc, const json_t *p) {
	const json_t *q;
	size_t i;

	json_array_foreach(json_object_get(doc, "ports"), i, q)
		if (json_equal(json_object_get(q, "network"), json_object_get(p, "network")) &&
		    json_equal(json_object_get(q, "mac"), json_object_get(p, "mac")))
			return true;
	return false;
}

// The ids of the ports local in `from` that `to` says are moving to another host ("moved_away",
// not deleted: their connections go with them); with
// `arriving`, those local in `to` and not in `from` that the controller says are moving here
// from another host ("moved_from").
static json_t *moved_ports(const json_t *from, const json_t *to, bool arriving) {
	json_t *out = json_array();
	const json_t *p;
	size_t i;

	if (from == NULL || to == NULL)
		return out;
	if (arriving) {
		json_array_foreach(json_object_get(to, "ports"), i, p)
			if (json_is_string(json_object_get(p, "moved_from")) && !doc_has(from, p))
				json_array_append(out, json_object_get(p, "id"));
		return out;
	}
	json_array_foreach(json_object_get(from, "ports"), i, p) {
		const json_t *a;
		size_t j;
		if (doc_has(to, p))
			continue;
		json_array_foreach(json_object_get(to, "moved_away"), j, a)
			if (json_equal(a, json_object_get(p, "id")))
				json_array_append(out, (json_t *)a);
	}
	return out;
}

// Before revision `next` is applied: the connections of the ports it moves away from this host
// (vnetd's conntrack.export, while they are still here) go to the controller, then the
// connections of the ports it brings here are fetched (waiting up to HANDOFF_WAIT_MS for the other
// host). Returns {port id: connections} to import once `next` is applied. Called with ag.lock
// held; releases it while talking to the controller.
static json_t *handoffs_before(CURL *h, const json_t *next) {
	json_t *out = json_object(), *leaving = moved_ports(ag.doc, next, false),
	       *arriving = moved_ports(ag.doc, next, true), *exports = json_object(), *v;
	const char *id;
	char path[320];
	size_t i;

	json_array_foreach(leaving, i, v) {
		json_t *x = NULL;
		if (vnetd_call("conntrack.export", json_pack("{sO}", "port", v), &x) == 0 && x != NULL)
			json_object_set_new(exports, json_string_value(v), x);
		else
			json_decref(x);
	}
	pthread_mutex_unlock(&ag.lock);
	json_object_foreach(exports, id, v) {
		json_t *ans = NULL;
		long code;
		snprintf(path, sizeof(path), "/vnet/v1/hosts/%s/handoffs/%s", ag.host, id);
		code = http(h, "PUT", path, v, 30, &ans);
		json_decref(ans);
		if (code == 204) {
			alog("info", "port %s moves away: its %zu connections handed to the controller",
			     id, json_array_size(json_object_get(v, "connections")));
			__atomic_add_fetch(&ag.handoffs_out, 1, __ATOMIC_RELAXED);
		} else if (code != 404) {
			alog("warning", "port %s moves away: the controller did not take its connections "
				        "(%ld)", id, code);
		}
	}
	json_array_foreach(arriving, i, v) {
		json_t *ans = NULL, *ho;
		long code;
		snprintf(path, sizeof(path), "/vnet/v1/hosts/%s/handoffs/%s?wait=%d", ag.host,
			 json_string_value(v), HANDOFF_WAIT_MS);
		code = http(h, "GET", path, NULL, HANDOFF_WAIT_MS / 1000 + 10, &ans);
		ho = json_object_get(ans, "handoff");
		if (code == 200 && json_is_array(json_object_get(ho, "connections"))) {
			json_object_set(out, json_string_value(v), json_object_get(ho, "connections"));
		} else if (code == 200) {
			alog("warning", "port %s comes from host %s, which gave no connections in %d ms: "
				        "they are picked up again here where the rules allow, refused where "
				        "not", json_string_value(v),
			     json_string_value(json_object_get(ho, "from")), HANDOFF_WAIT_MS);
			__atomic_add_fetch(&ag.handoff_timeouts, 1, __ATOMIC_RELAXED);
		}
		json_decref(ans);
	}
	pthread_mutex_lock(&ag.lock);
	json_decref(leaving);
	json_decref(arriving);
	json_decref(exports);
	return out;
}

// After: the connections of the ports that came, into vnetd. Under ag.lock.
static void handoffs_after(json_t *imports) {
	const char *id;
	json_t *cs;

	json_object_foreach(imports, id, cs) {
		json_t *res = NULL;
		if (vnetd_call("conntrack.import", json_pack("{sssO}", "port", id, "connections", cs),
			       &res) == 0) {
			alog("info", "port %s came from another host: %lld of its %zu connections "
				     "imported (%lld known, %lld refused)", id,
			     json_integer_value(json_object_get(res, "imported")), json_array_size(cs),
			     json_integer_value(json_object_get(res, "known")),
			     json_integer_value(json_object_get(res, "refused")));
			ag.handoffs_in++;
			ag.handoff_connections += (uint64_t)json_integer_value(json_object_get(res, "imported"));
		} else {
			alog("warning", "port %s came from another host: vnetd refused its connections", id);
		}
		json_decref(res);
	}
}

static void *run(void *arg) {
	CURL *h = curl_easy_init();
	unsigned int wait_ms = 200;
	bool registered = false, whole = true;
	char path[256];

	(void)arg;
	while (!stop) {
		json_t *ans = NULL, *req;
		long code;
		if (!registered) {
			req = json_pack("{ssss}", "name", ag.host, "vtep", ag.vtep);
			code = http(h, "POST", "/vnet/v1/hosts", req, 10, &ans);
			json_decref(req);
			json_decref(ans);
			if (code != 200) {
				contact(false, code == 0 ? "no answer" : "registration refused");
				if (code == 403 || code == 401)
					alog("error", "the controller refused host %s (%ld): check the "
						      "certificate or token", ag.host, code);
				backoff(&wait_ms);
				continue;
			}
			contact(true, NULL);
			registered = true;
			alog("info", "registered with VTEP %s at %s", ag.vtep, ag.url[ag.cur]);
		}
		pthread_mutex_lock(&ag.lock);
		if (ag.applied > 0 && !whole)
			snprintf(path, sizeof(path), "/vnet/v1/hosts/%s/rules?since=%llu&ops=1&wait=%d",
				 ag.host, (unsigned long long)ag.applied, AGENT_POLL_S);
		else
			snprintf(path, sizeof(path), "/vnet/v1/hosts/%s/rules", ag.host);
		pthread_mutex_unlock(&ag.lock);
		code = http(h, "GET", path, NULL, AGENT_POLL_S + 10, &ans);
		ag.polls++;
		if (code == 404) {
			registered = false;
			json_decref(ans);
			continue;
		}
		if (code != 200 || !json_is_object(ans)) {
			json_decref(ans);
			contact(false, code == 0 ? "no answer" : "bad answer");
			backoff(&wait_ms);
			continue;
		}
		contact(true, NULL);
		wait_ms = 200;
		if (json_is_true(json_object_get(ans, "unchanged"))) {
			json_decref(ans);
			continue;
		}
		pthread_mutex_lock(&ag.lock);
		ag.received_at = time(NULL);
		if (json_is_object(json_object_get(ans, "document"))) {
			json_t *imports = handoffs_before(h, json_object_get(ans, "document"));
			whole = apply(json_object_get(ans, "document"), false) < 0;
			if (!whole)
				handoffs_after(imports);
			json_decref(imports);
		} else if (json_is_array(json_object_get(ans, "ops")) && ag.doc != NULL &&
			   (uint64_t)json_integer_value(json_object_get(ans, "base")) == ag.applied) {
			json_t *next = json_deep_copy(ag.doc);
			char err[256];
			if (doc_apply_ops(next, json_object_get(ans, "ops"), err, sizeof(err)) < 0) {
				alog("error", "the controller's ops do not fit revision %llu (%s): "
					      "asking for the whole document",
				     (unsigned long long)ag.applied, err);
				whole = true;
			} else {
				json_t *imports;
				json_object_set(next, "revision", json_object_get(ans, "revision"));
				json_object_del(next, "moved_away");
				if (json_object_get(ans, "moved_away") != NULL)
					json_object_set(next, "moved_away", json_object_get(ans, "moved_away"));
				imports = handoffs_before(h, next);
				whole = apply(next, false) < 0;
				if (!whole)
					handoffs_after(imports);
				json_decref(imports);
			}
			json_decref(next);
		} else {
			whole = true;
		}
		if (whole && ag.refused > 0 && strncmp(ag.last_error, "vnetd refused", 13) == 0) {
			// vnetd refused it: not again at once (the next request is for the whole document)
			pthread_mutex_unlock(&ag.lock);
			backoff(&wait_ms);
			pthread_mutex_lock(&ag.lock);
		}
		pthread_mutex_unlock(&ag.lock);
		json_decref(ans);
		report(h);
	}
	curl_easy_cleanup(h);
	return NULL;
}

// vnetd holds a newer revision than the agent noted (the agent was stopped between vnetd's
// answer and writing applied.json, or someone else gave vnetd a document): what vnetd has is
// taken as it is (rules.get), not replaced by the older document; the controller's next answer
// is then a diff from it. Under ag.lock. 0, or -1 if vnetd did not say.
static int adopt_vnetd(long long rev) {
	json_t *res = NULL;

	if (vnetd_call("rules.get", NULL, &res) < 0 || !json_is_object(json_object_get(res, "document")) ||
	    json_integer_value(json_object_get(res, "revision")) != rev) {
		json_decref(res);
		return -1;
	}
	json_decref(ag.given);
	ag.given = json_incref(json_object_get(res, "document"));
	ag.vnetd_rev = (uint64_t)rev;
	json_decref(res);
	save_state();
	alog("info", "vnetd is at revision %lld, newer than the %llu the agent noted: its document "
		     "is kept as it is (the controller's next answer is applied as a diff from it)",
	     rev, (unsigned long long)ag.applied);
	return 0;
}

// Whether the interface of a port left out of the document (no namespace known, no interface)
// exists now: made by a hypervisor or a plugin after the port came. Under ag.lock.
static bool tap_appeared(const json_t *doc) {
	const json_t *p;
	size_t i;

	json_array_foreach(json_object_get(doc, "ports"), i, p) {
		const char *dev = json_string_value(json_object_get(p, "device"));
		if (dev != NULL && strncmp(dev, "veth:", 5) == 0 && strchr(dev, ',') == NULL &&
		    json_object_get(ag.netns, json_string_value(json_object_get(p, "id"))) == NULL &&
		    if_nametoindex(dev + 5) != 0)
			return true;
	}
	return false;
}

// vnetd restarted (its revision is not ours): it gets the last document back at once, from memory
// (or the disk), without waiting for the controller. Every 200 ms.
static void *watch_vnetd(void *arg) {
	unsigned int tick = 0;

	(void)arg;
	while (!stop) {
		struct timespec t = {0, 200 * 1000000};
		long long rev = vnetd_revision();
		if (rev >= 0 && tick++ % 5 == 0) { // every second: the rules' freshness, for `status`
			json_t *rep;
			pthread_mutex_lock(&ag.lock);
			rep = json_pack("{sssbsIsIsI}", "controller", ag.url[ag.cur], "reachable",
					ag.reachable, "received_at", (json_int_t)ag.received_at,
					"contact_at", (json_int_t)ag.last_contact, "revision",
					(json_int_t)ag.applied);
			pthread_mutex_unlock(&ag.lock);
			vnetd_call("agent.report", rep, NULL);
		}
		pthread_mutex_lock(&ag.lock);
		if (rev >= 0 && ag.doc != NULL && (uint64_t)rev == ag.vnetd_rev && ag.left_out > 0 &&
		    tap_appeared(ag.doc))
			apply(ag.doc, false); // the port comes in now that its interface exists
		if (rev >= 0 && ag.doc != NULL && (uint64_t)rev > ag.vnetd_rev && rev > 0)
			adopt_vnetd(rev);
		if (rev >= 0 && ag.doc != NULL && (uint64_t)rev != ag.vnetd_rev) {
			alog("warning", "vnetd is at revision %lld, not %llu (restarted?): applying "
					"revision %llu again", rev, (unsigned long long)ag.vnetd_rev,
			     (unsigned long long)ag.applied);
			if (apply(ag.doc, true) == 0)
				ag.vnetd_restores++;
		}
		pthread_mutex_unlock(&ag.lock);
		nanosleep(&t, NULL);
	}
	return NULL;
}

// ---- the local API ------------------------------------------------------------------------------

static enum MHD_Result send_text(struct MHD_Connection *conn, unsigned int status, char *text,
				 const char *type) {
	struct MHD_Response *r = MHD_create_response_from_buffer(strlen(text), text,
								 MHD_RESPMEM_MUST_FREE);
	enum MHD_Result ret;

	MHD_add_response_header(r, "Content-Type", type);
	ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result send_json(struct MHD_Connection *conn, unsigned int status, json_t *j) {
	char *text = json_dumps(j, JSON_COMPACT);

	json_decref(j);
	return send_text(conn, status, text != NULL ? text : strdup("{}"), "application/json");
}

// ---- CNI (vnet-cni calls these) -------------------------------------------------------------

// A token of the tenant the CNI configuration names ({"user", "password", "project"}), or NULL.
static char *tenant_token(CURL *h, const json_t *auth, char *err, size_t err_size) {
	const char *user = json_string_value(json_object_get(auth, "user"));
	const char *pw = json_string_value(json_object_get(auth, "password"));
	const char *project = json_string_value(json_object_get(auth, "project"));
	json_t *req, *ans = NULL;
	struct curl_slist *hdr = NULL;
	struct http_buf b = {0};
	char url[512], *text, *tok = NULL;
	long code = 0;

	if (user == NULL || pw == NULL || project == NULL) {
		snprintf(err, err_size, "the network's configuration has no auth {user, password, project}");
		return NULL;
	}
	req = json_pack("{s{s{s[s]s{s{sss{ss}ss}}}s{s{sss{ss}}}}}", "auth", "identity", "methods",
			"password", "password", "user", "name", user, "domain", "name", "Default",
			"password", pw, "scope", "project", "name", project, "domain", "name",
			"Default");
	text = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	snprintf(url, sizeof(url), "%s/v3/auth/tokens", ag.url[ag.cur]);
	curl_easy_reset(h);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, text);
	hdr = curl_slist_append(hdr, "Content-Type: application/json");
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, http_buf_collect);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, 10L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	if (ag.ca[0] != '\0')
		curl_easy_setopt(h, CURLOPT_CAINFO, ag.ca);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, NULL);
	{
		struct curl_header *th = NULL;
		if (curl_easy_perform(h) == CURLE_OK) {
			curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
			if (code == 201 && curl_easy_header(h, "X-Subject-Token", 0, CURLH_HEADER, -1,
							    &th) == CURLHE_OK)
				tok = strdup(th->value);
		}
	}
	if (tok == NULL)
		snprintf(err, err_size, "the controller refused %s of project %s (%ld)", user, project,
			 code);
	(void)ans;
	curl_slist_free_all(hdr);
	free(b.p);
	free(text);
	return tok;
}

// A request with a tenant's token (not the host's identity).
static long tenant_http(CURL *h, const char *token, const char *method, const char *path,
			const json_t *body, json_t **ans) {
	return http_as(h, token, method, path, body, 15, ans);
}

// Does vnetd have port `id` from the agent (and the agent configured its container)?
static bool port_live(const char *id) {
	bool live = false;
	json_t *p;
	size_t i;

	pthread_mutex_lock(&ag.lock);
	json_array_foreach(json_object_get(ag.given, "ports"), i, p)
		if (strcmp(json_string_value(json_object_get(p, "id")), id) == 0 &&
		    strstr(json_string_value(json_object_get(p, "device")), ",netns=") != NULL)
			live = true;
	pthread_mutex_unlock(&ag.lock);
	return live;
}

// POST /v1/cni/add {container_id, netns, ifname, network, auth}: the port of container on this
// host in `network` (a name or id of the tenant's), made in the controller with the container's
// id as device_id, its veth made and addressed in `netns`. Answers {port_id, mac, ips: [{address
// (CIDR), gateway?}]} once vnetd has it (at most 20 s).
static json_t *cni_add(const json_t *req, unsigned int *status) {
	const char *cid = json_string_value(json_object_get(req, "container_id"));
	const char *ns = json_string_value(json_object_get(req, "netns"));
	const char *ifname = json_string_value(json_object_get(req, "ifname"));
	const char *net = json_string_value(json_object_get(req, "network"));
	CURL *h = curl_easy_init();
	json_t *ans = NULL, *port = NULL, *out = NULL, *body;
	char err[256] = "", path[512], *tok = NULL, *esc;
	const char *netid = NULL, *pid;
	long code;

	*status = 400;
	if (cid == NULL || ns == NULL || ifname == NULL || net == NULL || h == NULL ||
	    strlen(cid) > 128 || ns[0] != '/' || strlen(ifname) > 15) {
		out = json_pack("{ss}", "error", "container_id, netns (a path), ifname (1..15) and network are needed");
		goto done;
	}
	*status = 502;
	tok = tenant_token(h, json_object_get(req, "auth"), err, sizeof(err));
	if (tok == NULL)
		goto fail;
	esc = curl_easy_escape(h, net, 0);
	snprintf(path, sizeof(path), "/v2.0/networks?name=%s", esc);
	curl_free(esc);
	code = tenant_http(h, tok, "GET", path, NULL, &ans);
	if (code == 200 && json_array_size(json_object_get(ans, "networks")) == 1)
		netid = json_string_value(json_object_get(json_array_get(json_object_get(ans, "networks"), 0), "id"));
	if (netid == NULL) {
		json_decref(ans);
		snprintf(path, sizeof(path), "/v2.0/networks/%s", net);
		code = tenant_http(h, tok, "GET", path, NULL, &ans);
		netid = code == 200 ? json_string_value(json_object_get(json_object_get(ans, "network"), "id")) : NULL;
	}
	if (netid == NULL) {
		snprintf(err, sizeof(err), "no network '%s' in the project", net);
		*status = 404;
		goto fail;
	}
	body = json_pack("{s{ssssssssss}}", "port", "network_id", netid, "binding:host_id", ag.host,
			 "device_id", cid, "device_owner", "container:vnet-cni", "name", cid);
	code = tenant_http(h, tok, "POST", "/v2.0/ports", body, &port);
	json_decref(body);
	if (code != 201) {
		snprintf(err, sizeof(err), "the controller did not make the port (%ld): %s", code,
			 json_string_value(json_object_get(json_object_get(port, "NeutronError"), "message")) ?: "");
		goto fail;
	}
	pid = json_string_value(json_object_get(json_object_get(port, "port"), "id"));
	pthread_mutex_lock(&ag.lock);
	// Not the tenant's password: DEL brings the network's configuration again.
	json_object_set_new(ag.netns, pid, json_pack("{ssssssss}", "netns", ns, "ifname", ifname,
						     "container_id", cid, "network", netid));
	save_json("netns.json", ag.netns);
	if (ag.doc != NULL)
		apply(ag.doc, false);
	pthread_mutex_unlock(&ag.lock);
	for (int i = 0; i < 4000 && !port_live(pid); i++) { // the controller's document brings it
		struct timespec t = {0, 5 * 1000000};
		nanosleep(&t, NULL);
	}
	if (!port_live(pid)) {
		snprintf(err, sizeof(err), "port %s was made but vnetd did not get it within 20 s", pid);
		*status = 504;
		goto fail;
	}
	{
		const json_t *p = json_object_get(port, "port"), *f;
		json_t *ips = json_array(), *sub = NULL;
		size_t i;
		json_array_foreach(json_object_get(p, "fixed_ips"), i, f) {
			const char *a = json_string_value(json_object_get(f, "ip_address"));
			const char *cidr;
			json_t *ip;
			snprintf(path, sizeof(path), "/v2.0/subnets/%s",
				 json_string_value(json_object_get(f, "subnet_id")));
			if (tenant_http(h, tok, "GET", path, NULL, &sub) != 200) {
				json_decref(sub);
				continue;
			}
			cidr = json_string_value(json_object_get(json_object_get(sub, "subnet"), "cidr"));
			snprintf(err, sizeof(err), "%s%s", a, cidr != NULL && strchr(cidr, '/') ? strchr(cidr, '/') : "");
			ip = json_pack("{ss}", "address", err);
			if (json_is_string(json_object_get(json_object_get(sub, "subnet"), "gateway_ip")))
				json_object_set(ip, "gateway", json_object_get(json_object_get(sub, "subnet"), "gateway_ip"));
			json_array_append_new(ips, ip);
			json_decref(sub);
			sub = NULL;
		}
		out = json_pack("{sssOso}", "port_id", pid, "mac", json_object_get(p, "mac_address"), "ips", ips);
		*status = 200;
	}
	goto done;
fail:
	out = json_pack("{ss}", "error", err);
done:
	json_decref(ans);
	json_decref(port);
	free(tok);
	if (h != NULL)
		curl_easy_cleanup(h);
	return out;
}

// POST /v1/cni/del {container_id, auth}: the container's ports deleted in the controller (and so
// from vnetd). Nothing to delete is success (CNI's DEL is idempotent).
static json_t *cni_del(const json_t *req, unsigned int *status) {
	const char *cid = json_string_value(json_object_get(req, "container_id"));
	CURL *h = curl_easy_init();
	json_t *ids = json_array(), *v, *out;
	char err[256] = "", path[256], *tok = NULL;
	const char *id;
	size_t i;

	*status = 400;
	if (cid == NULL || h == NULL) {
		out = json_pack("{ss}", "error", "container_id is needed");
		goto done;
	}
	pthread_mutex_lock(&ag.lock);
	json_object_foreach(ag.netns, id, v)
		if (json_is_string(json_object_get(v, "container_id")) &&
		    strcmp(json_string_value(json_object_get(v, "container_id")), cid) == 0)
			json_array_append_new(ids, json_string(id));
	pthread_mutex_unlock(&ag.lock);
	*status = 200;
	if (json_array_size(ids) > 0) {
		tok = tenant_token(h, json_object_get(req, "auth"), err, sizeof(err));
		if (tok == NULL) {
			*status = 502;
			out = json_pack("{ss}", "error", err);
			goto done;
		}
	}
	json_array_foreach(ids, i, v) {
		json_t *ans = NULL;
		long code;
		snprintf(path, sizeof(path), "/v2.0/ports/%s", json_string_value(v));
		code = tenant_http(h, tok, "DELETE", path, NULL, &ans);
		json_decref(ans);
		if (code != 204 && code != 404) {
			*status = 502;
			snprintf(err, sizeof(err), "the controller did not delete port %s (%ld)",
				 json_string_value(v), code);
			out = json_pack("{ss}", "error", err);
			goto done;
		}
		pthread_mutex_lock(&ag.lock);
		json_object_del(ag.netns, json_string_value(v));
		save_json("netns.json", ag.netns);
		pthread_mutex_unlock(&ag.lock);
	}
	out = json_pack("{sO}", "deleted", ids);
done:
	json_decref(ids);
	free(tok);
	if (h != NULL)
		curl_easy_cleanup(h);
	return out;
}

// POST /v1/cni/check {container_id}: 200 if vnetd has every port of the container, else 404.
static json_t *cni_check(const json_t *req, unsigned int *status) {
	const char *cid = json_string_value(json_object_get(req, "container_id")), *id;
	json_t *ids = json_array(), *v, *out;
	size_t i, live = 0;

	pthread_mutex_lock(&ag.lock);
	json_object_foreach(ag.netns, id, v)
		if (cid != NULL && json_is_string(json_object_get(v, "container_id")) &&
		    strcmp(json_string_value(json_object_get(v, "container_id")), cid) == 0)
			json_array_append_new(ids, json_string(id));
	pthread_mutex_unlock(&ag.lock);
	json_array_foreach(ids, i, v)
		live += port_live(json_string_value(v));
	*status = json_array_size(ids) > 0 && live == json_array_size(ids) ? 200 : 404;
	out = *status == 200 ? json_pack("{sO}", "ports", ids)
			     : json_pack("{ss}", "error", "the container has no port that vnetd holds");
	json_decref(ids);
	return out;
}

static enum MHD_Result local_api(void *cls, struct MHD_Connection *conn, const char *url,
				 const char *method, const char *version, const char *upload,
				 size_t *upload_size, void **con_cls) {
	struct http_buf *body = *con_cls;
	time_t now = time(NULL);

	(void)cls;
	(void)version;
	if (body == NULL) {
		body = calloc(1, sizeof(*body));
		*con_cls = body;
		return body != NULL ? MHD_YES : MHD_NO;
	}
	if (*upload_size > 0) {
		if (body->n + *upload_size < 65536)
			http_buf_collect((char *)upload, 1, *upload_size, body);
		*upload_size = 0;
		return MHD_YES;
	}
	if (strcmp(url, "/status") == 0 && strcmp(method, "GET") == 0) {
		json_t *st;
		pthread_mutex_lock(&ag.lock);
		st = json_pack("{sssIsbsIsIsssIsIsIsIsIsI}", "host", ag.host, "applied_revision",
			       (json_int_t)ag.applied, "controller_reachable", ag.reachable,
			       "received_s_ago",
			       (json_int_t)(ag.received_at ? now - ag.received_at : -1),
			       "contact_s_ago",
			       (json_int_t)(ag.last_contact ? now - ag.last_contact : -1), "controller",
			       ag.url[ag.cur], "polls", (json_int_t)ag.polls, "errors",
			       (json_int_t)ag.errors, "applies_whole", (json_int_t)ag.applies_whole,
			       "applies_ops", (json_int_t)ag.applies_ops, "vnetd_restores",
			       (json_int_t)ag.vnetd_restores, "refused", (json_int_t)ag.refused);
		json_object_set_new(st, "stale", json_boolean(!ag.reachable));
		json_object_set_new(st, "handoffs", json_pack("{sIsIsIsI}", "out",
			(json_int_t)__atomic_load_n(&ag.handoffs_out, __ATOMIC_RELAXED), "in",
			(json_int_t)ag.handoffs_in, "connections", (json_int_t)ag.handoff_connections,
			"timeouts", (json_int_t)__atomic_load_n(&ag.handoff_timeouts, __ATOMIC_RELAXED)));
		json_object_set_new(st, "last_error", json_string(ag.last_error));
		pthread_mutex_unlock(&ag.lock);
		return send_json(conn, 200, st);
	}
	if (strcmp(url, "/metrics") == 0 && strcmp(method, "GET") == 0) {
		char *text = NULL;
		pthread_mutex_lock(&ag.lock);
		if (asprintf(&text,
			     "# HELP vnet_agent_applied_revision The revision vnetd applied.\n"
			     "# TYPE vnet_agent_applied_revision gauge\nvnet_agent_applied_revision %llu\n"
			     "# HELP vnet_agent_controller_reachable 1 if the controller answered last.\n"
			     "# TYPE vnet_agent_controller_reachable gauge\nvnet_agent_controller_reachable %d\n"
			     "# HELP vnet_agent_applies_total Transactions given to vnetd.\n"
			     "# TYPE vnet_agent_applies_total counter\n"
			     "vnet_agent_applies_total{form=\"whole\"} %llu\nvnet_agent_applies_total{form=\"ops\"} %llu\n"
			     "# HELP vnet_agent_vnetd_restores_total Documents given back to a restarted vnetd.\n"
			     "# TYPE vnet_agent_vnetd_restores_total counter\nvnet_agent_vnetd_restores_total %llu\n"
			     "# HELP vnet_agent_controller_errors_total Requests the controller did not answer.\n"
			     "# TYPE vnet_agent_controller_errors_total counter\nvnet_agent_controller_errors_total %llu\n"
			     "# HELP vnet_agent_handoffs_total Ports moved (live migration), by direction.\n"
			     "# TYPE vnet_agent_handoffs_total counter\n"
			     "vnet_agent_handoffs_total{direction=\"out\"} %llu\nvnet_agent_handoffs_total{direction=\"in\"} %llu\n"
			     "# HELP vnet_agent_handoff_connections_total Connections imported with ports that came.\n"
			     "# TYPE vnet_agent_handoff_connections_total counter\nvnet_agent_handoff_connections_total %llu\n"
			     "# HELP vnet_agent_handoff_timeouts_total Ports that came without their connections in time.\n"
			     "# TYPE vnet_agent_handoff_timeouts_total counter\nvnet_agent_handoff_timeouts_total %llu\n",
			     (unsigned long long)ag.applied, ag.reachable ? 1 : 0,
			     (unsigned long long)ag.applies_whole, (unsigned long long)ag.applies_ops,
			     (unsigned long long)ag.vnetd_restores, (unsigned long long)ag.errors,
			     (unsigned long long)__atomic_load_n(&ag.handoffs_out, __ATOMIC_RELAXED),
			     (unsigned long long)ag.handoffs_in, (unsigned long long)ag.handoff_connections,
			     (unsigned long long)__atomic_load_n(&ag.handoff_timeouts, __ATOMIC_RELAXED)) < 0)
			text = NULL;
		pthread_mutex_unlock(&ag.lock);
		return text != NULL ? send_text(conn, 200, text, "text/plain; version=0.0.4") : MHD_NO;
	}
	if (strncmp(url, "/v1/ports/", 10) == 0 && strcmp(method, "POST") == 0 &&
	    strlen(url) > 16 && strcmp(url + strlen(url) - 6, "/netns") == 0) {
		char id[128];
		size_t n = strlen(url) - 16;
		json_t *req = body->p != NULL ? json_loads(body->p, 0, NULL) : NULL;
		const char *ns = json_string_value(json_object_get(req, "netns"));
		const char *ifname = json_string_value(json_object_get(req, "ifname"));
		struct stat sb;
		if (n >= sizeof(id) || ns == NULL || ns[0] != '/' || strlen(ns) > 200 ||
		    stat(ns, &sb) < 0 || (ifname != NULL && (strlen(ifname) == 0 || strlen(ifname) > 15))) {
			json_decref(req);
			return send_json(conn, 400, json_pack("{ss}", "error", "{\"netns\": an existing "
							      "path, \"ifname\"?: 1..15 characters}"));
		}
		memcpy(id, url + 10, n);
		id[n] = '\0';
		pthread_mutex_lock(&ag.lock);
		json_object_set_new(ag.netns, id, json_pack("{ssss}", "netns", ns, "ifname",
							     ifname != NULL ? ifname : "eth0"));
		save_json("netns.json", ag.netns);
		if (ag.doc != NULL)
			apply(ag.doc, false); // the port comes in now that its container exists
		pthread_mutex_unlock(&ag.lock);
		json_decref(req);
		{
			CURL *h = curl_easy_init();
			if (h != NULL) {
				report(h);
				curl_easy_cleanup(h);
			}
		}
		return send_json(conn, 200, json_pack("{ss}", "port", id));
	}
	if ((strcmp(url, "/v1/cni/add") == 0 || strcmp(url, "/v1/cni/del") == 0 ||
	     strcmp(url, "/v1/cni/check") == 0) && strcmp(method, "POST") == 0) {
		json_t *req = body->p != NULL ? json_loads(body->p, 0, NULL) : NULL, *out;
		unsigned int status;
		out = url[8] == 'a' ? cni_add(req, &status)
		      : url[8] == 'd' ? cni_del(req, &status)
				      : cni_check(req, &status);
		json_decref(req);
		return send_json(conn, status, out);
	}
	return send_json(conn, 404, json_pack("{ss}", "error", "GET /status, GET /metrics, "
						     "POST /v1/ports/ID/netns, /v1/cni/add, /v1/cni/del"));
}

static void local_done(void *cls, struct MHD_Connection *conn, void **con_cls,
		       enum MHD_RequestTerminationCode toe) {
	struct http_buf *b = *con_cls;

	(void)cls;
	(void)conn;
	(void)toe;
	if (b != NULL) {
		free(b->p);
		free(b);
	}
	*con_cls = NULL;
}

static void on_signal(int sig) {
	(void)sig;
	stop = 1;
}

static int read_token(const char *path) {
	FILE *f = fopen(path, "r");

	if (f == NULL || fgets(ag.token, sizeof(ag.token), f) == NULL) {
		if (f != NULL)
			fclose(f);
		return -1;
	}
	fclose(f);
	ag.token[strcspn(ag.token, "\r\n")] = '\0';
	return ag.token[0] != '\0' ? 0 : -1;
}

int main(int argc, char **argv) {
	static const struct option opts[] = {
		{"controller", required_argument, NULL, 'c'}, {"host", required_argument, NULL, 'H'},
		{"vtep", required_argument, NULL, 'v'},       {"vnetd", required_argument, NULL, 's'},
		{"state-dir", required_argument, NULL, 'd'},  {"cert", required_argument, NULL, 'C'},
		{"key", required_argument, NULL, 'K'},        {"ca", required_argument, NULL, 'A'},
		{"token-file", required_argument, NULL, 't'}, {"listen", required_argument, NULL, 'l'},
		{"help", no_argument, NULL, 'h'},             {NULL, 0, NULL, 0},
	};
	const char *controllers = NULL, *listen = NULL;
	struct MHD_Daemon *d = NULL;
	pthread_t runner, watcher;
	struct in_addr a;
	long long vrev;
	int c;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'c': controllers = optarg; break;
		case 'H': snprintf(ag.host, sizeof(ag.host), "%s", optarg); break;
		case 'v': snprintf(ag.vtep, sizeof(ag.vtep), "%s", optarg); break;
		case 's': snprintf(ag.vnetd, sizeof(ag.vnetd), "%s", optarg); break;
		case 'd': snprintf(ag.dir, sizeof(ag.dir), "%s", optarg); break;
		case 'C': snprintf(ag.cert, sizeof(ag.cert), "%s", optarg); break;
		case 'K': snprintf(ag.key, sizeof(ag.key), "%s", optarg); break;
		case 'A': snprintf(ag.ca, sizeof(ag.ca), "%s", optarg); break;
		case 't':
			if (read_token(optarg) < 0) {
				fprintf(stderr, "vnet-agent: --token-file %s: no token in it\n", optarg);
				return 2;
			}
			break;
		case 'l': listen = optarg; break;
		case 'h': fputs(usage, stdout); return 0;
		default: fputs(usage, stderr); return 2;
		}
	}
	if (controllers == NULL || ag.host[0] == '\0' || ag.vnetd[0] == '\0' || ag.dir[0] == '\0' ||
	    inet_pton(AF_INET, ag.vtep, &a) != 1 || (ag.cert[0] == '\0') != (ag.key[0] == '\0')) {
		fprintf(stderr, "vnet-agent: --controller, --host, --vtep (IPv4), --vnetd and "
				"--state-dir are needed (--cert with --key)\n%s", usage);
		return 2;
	}
	{
		char list[2048], *save = NULL;
		snprintf(list, sizeof(list), "%s", controllers);
		for (char *u = strtok_r(list, ",", &save); u != NULL; u = strtok_r(NULL, ",", &save)) {
			if (ag.n_url == MAX_URLS || strlen(u) >= sizeof(ag.url[0]) ||
			    (strncmp(u, "http://", 7) != 0 && strncmp(u, "https://", 8) != 0)) {
				fprintf(stderr, "vnet-agent: --controller: at most %d http(s):// URLs\n",
					MAX_URLS);
				return 2;
			}
			snprintf(ag.url[ag.n_url++], sizeof(ag.url[0]), "%s", u);
		}
	}
	if (mkdir(ag.dir, 0700) < 0 && errno != EEXIST) {
		fprintf(stderr, "vnet-agent: %s: %s\n", ag.dir, strerror(errno));
		return 1;
	}
	pthread_mutex_init(&ag.lock, NULL);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	ag.netns = load_json("netns.json");
	if (!json_is_object(ag.netns)) {
		json_decref(ag.netns);
		ag.netns = json_object();
	}
	// The last document: vnetd keeps it if it has it (an agent restart disturbs nothing), gets it
	// back if it lost it (vnetd restarted while the agent was away).
	{
		json_t *st = load_json("applied.json");
		if (json_is_object(json_object_get(st, "document"))) {
			ag.doc = json_incref(json_object_get(st, "document"));
			ag.applied = (uint64_t)json_integer_value(json_object_get(ag.doc, "revision"));
			ag.vnetd_rev = (uint64_t)json_integer_value(json_object_get(st, "vnetd_revision"));
		}
		json_decref(st);
	}
	vrev = vnetd_revision();
	if (ag.doc != NULL && vrev >= 0 && (uint64_t)vrev == ag.vnetd_rev) {
		ag.given = localize(ag.doc); // what vnetd has
		alog("info", "vnetd holds revision %llu already: nothing to do until the controller "
			     "has more", (unsigned long long)ag.applied);
	} else if (ag.doc != NULL && vrev > 0 && (uint64_t)vrev > ag.vnetd_rev && adopt_vnetd(vrev) == 0) {
		; // vnetd is ahead: kept
	} else if (ag.doc != NULL && vrev >= 0) {
		alog("info", "vnetd is at revision %lld: giving it revision %llu from %s", vrev,
		     (unsigned long long)ag.applied, ag.dir);
		if (apply(ag.doc, true) == 0)
			ag.vnetd_restores++;
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	signal(SIGPIPE, SIG_IGN);
	if (listen != NULL) {
		struct sockaddr_in sa = {.sin_family = AF_INET};
		char host[64];
		int port;
		if (sscanf(listen, "%63[^:]:%d", host, &port) != 2 || port < 1 || port > 65535 ||
		    inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
			fprintf(stderr, "vnet-agent: --listen IPV4:PORT\n");
			return 2;
		}
		sa.sin_port = htons((uint16_t)port);
		d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION,
				     (uint16_t)port, NULL, NULL,
				     local_api, NULL, MHD_OPTION_SOCK_ADDR, &sa,
				     MHD_OPTION_NOTIFY_COMPLETED, local_done, NULL, MHD_OPTION_END);
		if (d == NULL) {
			fprintf(stderr, "vnet-agent: cannot listen on %s: %s\n", listen, strerror(errno));
			return 1;
		}
	}
	alog("info", "following %s for host %s (vnetd %s, state %s)", ag.url[0], ag.host, ag.vnetd,
	     ag.dir);
	pthread_create(&runner, NULL, run, NULL);
	pthread_create(&watcher, NULL, watch_vnetd, NULL);
	while (!stop)
		pause();
	// The long poll may take a while to return: the process ends without waiting for it.
	if (d != NULL)
		MHD_stop_daemon(d);
	alog("info", "stopping at revision %llu", (unsigned long long)ag.applied);
	return 0;
}
