// SPDX-License-Identifier: BSD-3-Clause
// The agents' side of the API (docs/controller.md, "Hosts"): hosts register with their VTEP, read
// their rules document (waiting for a newer revision than the one they have), and report what they
// applied and their ports' states; /v2.0/agents lists them as Neutron agents.

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "controller/api_int.h"
#include "controller/compile.h"
#include "controller/ipam.h"

#define HOST_ALIVE_S 75 // a host that asked for its rules within this many seconds is alive

// When each host last asked (in memory: liveness is no change of the tenants' state).
static pthread_mutex_t seen_lock = PTHREAD_MUTEX_INITIALIZER;
static json_t *seen;

static void host_seen(const char *name) {
	pthread_mutex_lock(&seen_lock);
	if (seen == NULL)
		seen = json_object();
	json_object_set_new(seen, name, json_integer((json_int_t)time(NULL)));
	pthread_mutex_unlock(&seen_lock);
}

static time_t host_last_seen(const char *name) {
	time_t t;

	pthread_mutex_lock(&seen_lock);
	t = (time_t)json_integer_value(json_object_get(seen, name));
	pthread_mutex_unlock(&seen_lock);
	return t;
}

static bool name_valid(const char *s) {
	size_t n = s != NULL ? strlen(s) : 0;

	if (n == 0 || n > 63)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || strchr("_.:-", s[i]) != NULL))
			return false;
	return true;
}

void agents(struct ctrl *c, const json_t *query, const struct who *w, struct api_reply *r) {
	json_t *hosts = store_list(c->st, "host", NULL), *out = json_array(), *h;
	time_t now = time(NULL);
	size_t i;

	(void)w;
	json_array_foreach(hosts, i, h) {
		const char *name = json_string_value(json_object_get(h, "name"));
		time_t last = host_last_seen(name);
		char hb[32];
		json_t *a;
		now_iso(hb, last != 0 ? last : (time_t)json_integer_value(json_object_get(h, "registered")));
		a = json_pack("{sssssssssbsbsssss{sOsI}}", "id", json_string_value(json_object_get(h, "id")),
			      "agent_type", "vnet agent", "binary", "vnet-agent", "host", name, "alive",
			      last != 0 && now - last <= HOST_ALIVE_S, "admin_state_up", 1, "topic", "N/A",
			      "heartbeat_timestamp", hb, "configurations", "vtep",
			      json_object_get(h, "vtep"), "applied_revision",
			      json_integer_value(json_object_get(h, "applied_revision")));
		if (matches(a, query))
			json_array_append_new(out, view_fields(a, json_object_get(query, "fields")));
		else
			json_decref(a);
	}
	json_decref(hosts);
	r->status = 200;
	r->body = json_pack("{so}", "agents", out);
}

static uint64_t ms_now(void) {
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000 + (uint64_t)t.tv_nsec / 1000000;
}

// GET /vnet/v1/hosts/NAME/rules[?since=REV[&ops=1]]: the host's document; with `since`, a long
// poll that answers when the host's document differs from the one it had at REV (a change that
// leaves it as it was does not wake the agent), or after --poll-max with {"unchanged": true} and
// the revision up to which it is known to be the same. With ops=1, the answer is the operations
// from REV's document to the new one when this controller knows REV's document
// ({"revision", "base", "ops"}), else the whole document ({"revision", "document"}).
static void rules_get(struct ctrl *c, const char *name, const json_t *query, struct api_reply *r) {
	const json_t *since = json_object_get(query, "since");
	const char *since_s = json_string_value(json_array_get(since, 0));
	const char *ops_s = json_string_value(json_array_get(json_object_get(query, "ops"), 0));
	bool want_ops = ops_s != NULL && strcmp(ops_s, "1") == 0;
	// ?wait=S: the host's own bound (an agent that must notice a hung controller soon), never
	// more than --poll-max.
	const char *ws = json_string_value(json_array_get(json_object_get(query, "wait"), 0));
	uint64_t wait_s = ws != NULL && strtoul(ws, NULL, 10) > 0 && strtoul(ws, NULL, 10) < c->poll_max_s
				  ? strtoul(ws, NULL, 10) : c->poll_max_s;
	uint64_t have = 0, seen, deadline = ms_now() + wait_s * 1000;
	char *end = NULL;

	if (since != NULL) {
		errno = 0;
		have = since_s != NULL ? strtoull(since_s, &end, 10) : 0;
		if (since_s == NULL || since_s[0] < '0' || since_s[0] > '9' || *end != '\0' ||
		    errno != 0) {
			neutron_error(r, 400, "HTTPBadRequest", "Invalid input for since. Reason: a "
				      "revision (a decimal number) is expected.");
			return;
		}
	}
	seen = have;
	for (;;) {
		struct host_view v;
		if (since != NULL) {
			uint64_t rev = store_revision(c->st), now = ms_now();
			if (rev < have) // a revision this store never had (another store's): start over
				since = NULL;
			else if (rev <= seen) {
				if (now >= deadline) {
					r->status = 200;
					r->body = json_pack("{sIsb}", "revision", (json_int_t)seen,
							    "unchanged", 1);
					return;
				}
				store_wait(c->st, seen, (unsigned int)(deadline - now));
				continue;
			}
		}
		compile_host_view(c, name, &v);
		if (since != NULL && v.older_view) {
			host_view_clear(&v);
			continue;
		}
		if (since != NULL && !v.changed && v.known_from <= have && have <= v.known_to) {
			seen = v.rev; // this host's document is the one it has: wait on
			host_view_clear(&v);
			continue;
		}
		r->status = 200;
		if (since != NULL && want_ops && v.changed && v.prev != NULL && v.known_from <= have &&
		    have <= v.known_to) {
			r->body = json_pack("{sIsIso}", "revision", (json_int_t)v.rev, "base",
					    (json_int_t)have, "ops", doc_ops(v.prev, v.doc));
			// Not a list the ops cover: the document's own, whole (live migration).
			if (json_object_get(v.doc, "moved_away") != NULL)
				json_object_set(r->body, "moved_away", json_object_get(v.doc, "moved_away"));
		} else {
			json_t *doc = json_copy(v.doc); // v.doc is the one kept for the host: as it is
			json_object_set_new(doc, "revision", json_integer((json_int_t)v.rev));
			r->body = json_pack("{sIso}", "revision", (json_int_t)v.rev, "document", doc);
		}
		host_view_clear(&v);
		return;
	}
}

// ---- handoffs (live migration: docs/agent.md, "Live migration") -------------------------------

#define HANDOFF_WAIT_MAX_MS 10000 // the longest ?wait= a host may ask

// PUT /vnet/v1/hosts/FROM/handoffs/PORT {connections: [...]} (vnetd's conntrack.export): the
// host a port left gives its connections. GET /vnet/v1/hosts/TO/handoffs/PORT[?wait=MS]: the
// host it goes to takes them, waiting up to MS for them; {"handoff": {port, from, to, state:
// "exported" | "waiting", connections}}. 404 when no handoff of that port concerns the host.
static void handoff(struct ctrl *c, const char *method, const char *name, const char *port,
		    const json_t *query, const char *body, struct api_reply *r) {
	json_t *h = store_get(c->st, "handoff", port), *req = NULL;
	bool put = strcmp(method, "PUT") == 0;

	if (!put && strcmp(method, "GET") != 0) {
		neutron_error(r, 405, "HTTPMethodNotAllowed", "a handoff is PUT by the host a port "
			      "leaves and read (GET) by the host it goes to");
		goto out;
	}
	if (h == NULL || strcmp(json_string_value(json_object_get(h, put ? "from" : "to")), name) != 0) {
		neutron_error(r, 404, "HandoffNotFound", "No handoff of port %s %s host %s.", port,
			      put ? "from" : "to", name);
		goto out;
	}
	if (put) {
		const json_t *cs;
		req = body != NULL ? json_loads(body, 0, NULL) : NULL;
		cs = json_object_get(req, "connections");
		if (!json_is_array(cs)) {
			neutron_error(r, 400, "HTTPBadRequest", "Invalid input: {\"connections\": [...]} "
				      "(vnetd's conntrack.export)");
			goto out;
		}
		json_object_set(h, "connections", (json_t *)cs);
		json_object_set_new(h, "exported_at", json_integer((json_int_t)time(NULL)));
		if (store_put_quiet(c->st, "handoff", port, NULL, NULL, h) < 0) {
			neutron_error(r, 500, "HTTPInternalServerError", "the store refused the write");
			goto out;
		}
		r->status = 204;
		goto out;
	}
	{
		const char *w = json_string_value(json_array_get(json_object_get(query, "wait"), 0));
		long wait_ms = w != NULL ? strtol(w, NULL, 10) : 0;
		struct timespec t0, t;
		if (wait_ms < 0 || wait_ms > HANDOFF_WAIT_MAX_MS)
			wait_ms = wait_ms < 0 ? 0 : HANDOFF_WAIT_MAX_MS;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		for (;;) {
			long left;
			if (h == NULL || json_object_get(h, "connections") != NULL)
				break;
			clock_gettime(CLOCK_MONOTONIC, &t);
			left = wait_ms - ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000);
			if (left <= 0)
				break;
			// Slices of 50 ms: another controller's quiet write (etcd) wakes no one here.
			store_wait_quiet(c->st, left < 50 ? (unsigned int)left : 50);
			json_decref(h);
			h = store_get(c->st, "handoff", port);
		}
		if (h == NULL || strcmp(json_string_value(json_object_get(h, "to")), name) != 0) {
			neutron_error(r, 404, "HandoffNotFound", "No handoff of port %s to host %s.", port,
				      name);
			goto out;
		}
		json_object_set_new(h, "state", json_string(json_object_get(h, "connections") != NULL
								   ? "exported" : "waiting"));
		r->status = 200;
		r->body = json_pack("{sO}", "handoff", h);
	}
out:
	json_decref(h);
	json_decref(req);
}

void hosts(struct ctrl *c, const char *method, const char *name, const char *what,
	   const json_t *query, const struct who *w, const char *body, struct api_reply *r) {
	json_t *req = NULL, *h = NULL;

	bool agent = strcmp(w->role, "agent") == 0;

	if (!agent && strcmp(w->role, "admin") != 0) {
		neutron_error(r, 403, "HTTPForbidden", "hosts are the agents' API (a host certificate, "
			      "or an admin token)");
		return;
	}
	if (agent && (name != NULL ? strcmp(name, w->user) != 0 : strcmp(method, "POST") != 0)) {
		neutron_error(r, 403, "HTTPForbidden", "this certificate is host %s's: it reads and "
			      "reports that host only", w->user);
		return;
	}
	if (name == NULL && strcmp(method, "POST") == 0) { // register
		const char *n, *vtep;
		struct ip a;
		char id[37];
		req = body != NULL ? json_loads(body, 0, NULL) : NULL;
		n = json_string_value(json_object_get(req, "name"));
		vtep = json_string_value(json_object_get(req, "vtep"));
		if (agent && (n == NULL || strcmp(n, w->user) != 0)) {
			neutron_error(r, 403, "HTTPForbidden", "this certificate is host %s's: it "
				      "registers that host only", w->user);
			goto out;
		}
		if (!name_valid(n)) {
			neutron_error(r, 400, "HTTPBadRequest", "Invalid input for name. Reason: 1..63 "
				      "characters of A-Z a-z 0-9 _ . : -");
			goto out;
		}
		if (!ip_parse(vtep, &a) || a.family != 4 || a.v == 0 || (a.v >> 28) >= 14 ||
		    (a.v >> 24) == 0 || (a.v >> 24) == 127) {
			neutron_error(r, 400, "HTTPBadRequest", "Invalid input for vtep. Reason: '%s' is "
				      "not a unicast IPv4 address.", vtep != NULL ? vtep : "");
			goto out;
		}
		h = store_get(c->st, "host", n);
		if (h == NULL) {
			uuid4(id);
			h = json_pack("{sssssIsI}", "name", n, "id", id, "registered",
				      (json_int_t)time(NULL), "applied_revision", (json_int_t)0);
		}
		json_object_set_new(h, "vtep", json_string(vtep));
		if (store_put(c->st, "host", n, NULL, n, h) == 0) {
			neutron_error(r, 500, "HTTPInternalServerError", "the store refused the write");
			goto out;
		}
		host_seen(n);
		r->status = 200;
		r->body = json_pack("{sO}", "host", h);
		goto out;
	}
	if (name == NULL || (h = store_get(c->st, "host", name)) == NULL) {
		neutron_error(r, 404, "HostNotFound", "Host %s is not registered.", name ? name : "");
		goto out;
	}
	if (what != NULL && strcmp(what, "rules") == 0 && strcmp(method, "GET") == 0) {
		rules_get(c, name, query, r);
		host_seen(name);
		goto out;
	}
	if (what != NULL && strcmp(what, "status") == 0 && strcmp(method, "POST") == 0) {
		// The revision applied and the ports' states ("ACTIVE" once vnetd has them).
		const json_t *ports, *st;
		const char *pid;
		req = body != NULL ? json_loads(body, 0, NULL) : NULL;
		if (!json_is_integer(json_object_get(req, "revision")) ||
		    (json_object_get(req, "ports") != NULL && !json_is_object(json_object_get(req, "ports")))) {
			neutron_error(r, 400, "HTTPBadRequest", "Invalid input: {\"revision\": N, "
				      "\"ports\": {\"<port id>\": \"ACTIVE\" | \"DOWN\"}}");
			goto out;
		}
		json_object_set(h, "applied_revision", json_object_get(req, "revision"));
		store_put_quiet(c->st, "host", name, NULL, name, h);
		ports = json_object_get(req, "ports");
		json_object_foreach((json_t *)ports, pid, st) {
			json_t *p = store_get(c->st, "port", pid);
			const char *s = json_string_value(st);
			if (p != NULL && s != NULL && (strcmp(s, "ACTIVE") == 0 || strcmp(s, "DOWN") == 0) &&
			    strcmp(json_string_value(json_object_get(p, "binding:host_id")), name) == 0 &&
			    strcmp(json_string_value(json_object_get(p, "status")), s) != 0) {
				// No new revision: a port's state is in no host's document (a
				// revision would wake every agent for nothing).
				json_object_set_new(p, "status", json_string(s));
				store_put_quiet(c->st, "port", pid,
						json_string_value(json_object_get(p, "project_id")),
						json_string_value(json_object_get(p, "name")), p);
			}
			json_decref(p);
		}
		host_seen(name);
		r->status = 204;
		goto out;
	}
	if (what != NULL && strncmp(what, "handoffs/", 9) == 0) {
		handoff(c, method, name, what + 9, query, body, r);
		host_seen(name);
		goto out;
	}
	neutron_error(r, 404, "HTTPNotFound", "The resource could not be found.");
out:
	json_decref(h);
	json_decref(req);
}

char *api_metrics(struct ctrl *c) {
	json_t *hs = store_list(c->st, "host", NULL), *h;
	uint64_t rev = store_revision(c->st);
	time_t now = time(NULL);
	unsigned int alive = 0;
	size_t i, len = 0, cap = 4096;
	char *out = malloc(cap);

#define EMIT(...)                                                                                  \
	do {                                                                                       \
		int n_ = snprintf(out + len, cap - len, __VA_ARGS__);                              \
		if (n_ < 0)                                                                        \
			break;                                                                     \
		if ((size_t)n_ >= cap - len) {                                                     \
			char *m_ = realloc(out, cap = cap * 2 + (size_t)n_);                       \
			if (m_ == NULL)                                                            \
				break;                                                             \
			out = m_;                                                                  \
			snprintf(out + len, cap - len, __VA_ARGS__);                               \
		}                                                                                  \
		len += (size_t)n_;                                                                 \
	} while (0)
	if (out == NULL)
		return NULL;
	out[0] = '\0';
	EMIT("# HELP vnet_controller_requests_total API requests answered, by status class.\n"
	     "# TYPE vnet_controller_requests_total counter\n");
	for (int k = 2; k <= 5; k++)
		EMIT("vnet_controller_requests_total{code=\"%dxx\"} %llu\n", k,
		     (unsigned long long)__atomic_load_n(&c->requests[k], __ATOMIC_RELAXED));
	EMIT("# HELP vnet_controller_request_seconds_sum Time spent answering requests (long polls "
	     "included).\n# TYPE vnet_controller_request_seconds_sum counter\n"
	     "vnet_controller_request_seconds_sum %.6f\n",
	     (double)__atomic_load_n(&c->latency_us, __ATOMIC_RELAXED) / 1e6);
	EMIT("# HELP vnet_controller_store_conflicts_total Write requests run again because another "
	     "controller changed the store first.\n# TYPE vnet_controller_store_conflicts_total counter\n"
	     "vnet_controller_store_conflicts_total %llu\n",
	     (unsigned long long)__atomic_load_n(&c->conflicts, __ATOMIC_RELAXED));
	EMIT("# HELP vnet_controller_store_revision The store's revision.\n"
	     "# TYPE vnet_controller_store_revision gauge\nvnet_controller_store_revision %llu\n",
	     (unsigned long long)rev);
	EMIT("# HELP vnet_controller_host_revisions_behind Revisions a host has not applied yet.\n"
	     "# TYPE vnet_controller_host_revisions_behind gauge\n");
	json_array_foreach(hs, i, h) {
		const char *name = json_string_value(json_object_get(h, "name"));
		uint64_t applied = (uint64_t)json_integer_value(json_object_get(h, "applied_revision"));
		time_t last = host_last_seen(name);
		alive += last != 0 && now - last <= HOST_ALIVE_S;
		EMIT("vnet_controller_host_revisions_behind{host=\"%s\"} %llu\n", name,
		     (unsigned long long)(rev > applied ? rev - applied : 0));
	}
	EMIT("# HELP vnet_controller_hosts Hosts registered, and alive (asked for their rules in the "
	     "last %d s).\n# TYPE vnet_controller_hosts gauge\n"
	     "vnet_controller_hosts{state=\"registered\"} %zu\nvnet_controller_hosts{state=\"alive\"} %u\n",
	     HOST_ALIVE_S, json_array_size(hs), alive);
#undef EMIT
	json_decref(hs);
	return out;
}
