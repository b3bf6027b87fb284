// SPDX-License-Identifier: BSD-3-Clause
// The recent drops (drop_ring.h).

#include <string.h>

#include <jansson.h>
#include <rte_cycles.h>

#include "dataplane/config.h"
#include "dataplane/ctl.h"
#include "dataplane/drop_ring.h"
#include "dataplane/lcore.h"
#include "dataplane/pkt.h"
#include "dataplane/worker.h"

void drop_ring_sample(struct dp_lcore *lc, struct rte_mbuf *m, uint16_t reason) {
	struct drop_ring *dr = lc->drop_ring;
	const struct pkt_meta *meta = pkt_meta(m);
	uint64_t now = lc->now_tsc;
	struct drop_sample *s;
	const void *src;

	if (dr == NULL || reason >= DROP__COUNT)
		return;
	dr->next_tsc = now + rte_get_tsc_hz() / DROP_SAMPLES_PER_SEC;
	s = &dr->s[reason][dr->next[reason]];
	dr->next[reason] = (uint8_t)((dr->next[reason] + 1) % DROP_SAMPLES_PER_REASON);
	__atomic_store_n(&s->seq, s->seq + 1, __ATOMIC_RELAXED); // odd: being written
	__atomic_thread_fence(__ATOMIC_RELEASE);
	s->in_port = meta->in_port;
	s->out_port = meta->out_port;
	s->len = rte_pktmbuf_pkt_len(m);
	s->caplen = (uint16_t)RTE_MIN(s->len, (uint32_t)DROP_SAMPLE_BYTES);
	s->tsc = now;
	src = rte_pktmbuf_read(m, 0, s->caplen, s->data);
	if (src == NULL)
		s->caplen = 0;
	else if (src != s->data)
		memcpy(s->data, src, s->caplen);
	__atomic_store_n(&s->seq, s->seq + 1, __ATOMIC_RELEASE); // even: done
	dr->sampled++;
}

// The tenant of port `name` in the rules document (its network's), or NULL.
static const char *port_tenant(const json_t *doc, const char *name) {
	const json_t *p, *n;
	const char *net = NULL;
	size_t i;

	json_array_foreach(json_object_get(doc, "ports"), i, p)
		if (strcmp(json_string_value(json_object_get(p, "id")) ?: "", name) == 0)
			net = json_string_value(json_object_get(p, "network"));
	json_array_foreach(json_object_get(doc, "networks"), i, n)
		if (net != NULL && strcmp(json_string_value(json_object_get(n, "id")) ?: "", net) == 0)
			return json_string_value(json_object_get(n, "tenant"));
	return NULL;
}

// drops.recent {port?, reason?}: {"samples": [{reason, description, in_port, out_port, tenant,
// len, age_s, frame}], newest first}.
static void method_drops_recent(struct ctl_call *call) {
	const struct dp_config *cfg = dp_config_current();
	const char *port = json_string_value(json_object_get(call->params, "port"));
	const char *why = json_string_value(json_object_get(call->params, "reason"));
	int only = why != NULL ? dp_drop_reason_parse(why) : -1;
	uint64_t now = rte_rdtsc(), hz = rte_get_tsc_hz(), sampled = 0, skipped = 0;
	json_t *out = json_array();

	if (why != NULL && only < 0) {
		json_decref(out);
		ctl_error(call, CTL_ERR_INVALID_PARAMS, "reason: no drop reason \"%s\" (vnetctl drops "
			  "--all lists them)", why);
		return;
	}
	for (unsigned int w = 0; w < dp_workers_count(); w++) {
		const struct dp_lcore *lc = dp_worker_get(w);
		const struct drop_ring *dr = lc != NULL ? lc->drop_ring : NULL;
		if (dr == NULL)
			continue;
		sampled += __atomic_load_n(&dr->sampled, __ATOMIC_RELAXED);
		skipped += __atomic_load_n(&dr->skipped, __ATOMIC_RELAXED);
		for (int r = 1; r < DROP__COUNT; r++) {
			if (only >= 0 && r != only)
				continue;
			for (int k = 0; k < DROP_SAMPLES_PER_REASON; k++) {
				struct drop_sample s;
				const struct drop_sample *live = &dr->s[r][k];
				uint32_t seq = __atomic_load_n(&live->seq, __ATOMIC_ACQUIRE);
				const struct dp_port *in, *outp;
				char hex[2 * DROP_SAMPLE_BYTES + 1];
				json_t *o;
				if (seq == 0 || (seq & 1))
					continue;
				memcpy(&s, live, sizeof(s));
				__atomic_thread_fence(__ATOMIC_ACQUIRE);
				if (__atomic_load_n(&live->seq, __ATOMIC_RELAXED) != seq)
					continue; // rewritten while read: the next call sees it
				in = cfg != NULL ? dp_config_port_get(cfg, s.in_port) : NULL;
				outp = cfg != NULL && s.out_port < DP_PORTS_MAX ? dp_config_port_get(cfg, s.out_port) : NULL;
				if (port != NULL && (in == NULL || strcmp(in->name, port) != 0) &&
				    (outp == NULL || strcmp(outp->name, port) != 0))
					continue;
				for (unsigned int i = 0; i < s.caplen; i++)
					snprintf(hex + 2 * i, 3, "%02x", s.data[i]);
				hex[2 * s.caplen] = '\0';
				o = json_pack("{sssssssIsfss}", "reason", dp_drop_names[r], "description",
					      dp_drop_descs[r], "in_port", in ? in->name : "-", "len",
					      (json_int_t)s.len, "age_s",
					      now > s.tsc ? (double)(now - s.tsc) / (double)hz : 0.0,
					      "frame", hex);
				if (outp != NULL)
					json_object_set_new(o, "out_port", json_string(outp->name));
				if (in != NULL && port_tenant(cfg->doc, in->name) != NULL)
					json_object_set_new(o, "tenant", json_string(port_tenant(cfg->doc, in->name)));
				json_array_append_new(out, o);
			}
		}
	}
	{ // newest first
		size_t n = json_array_size(out);
		for (size_t i = 1; i < n; i++)
			for (size_t j = i; j > 0; j--) {
				json_t *a = json_array_get(out, j - 1), *b = json_array_get(out, j);
				if (json_real_value(json_object_get(a, "age_s")) <=
				    json_real_value(json_object_get(b, "age_s")))
					break;
				json_incref(a);
				json_array_set(out, j - 1, b);
				json_array_set_new(out, j, a);
			}
	}
	call->result = json_pack("{sosIsI}", "samples", out, "sampled", (json_int_t)sampled,
				 "skipped", (json_int_t)skipped);
}

void drop_ring_methods_register(void) {
	ctl_method_register("drops.recent", "the last dropped packets per reason (their first "
			    "128 bytes); params {port, reason}", method_drops_recent);
}
