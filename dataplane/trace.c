// SPDX-License-Identifier: BSD-3-Clause
// Trace records, control side: per-node formatters, and turning a record into JSON for vnetctl.

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <rte_graph.h>

#include "dataplane/config.h"
#include "dataplane/trace.h"

// Registered formatters, by node name: a list as long as what registers.
struct formatter_entry {
	const char *node;
	const struct trace_formatter *fmt;
	struct formatter_entry *next;
};
static struct formatter_entry *formatters;

void trace_formatter_register(const char *node_name, const struct trace_formatter *fmt) {
	struct formatter_entry *e = malloc(sizeof(*e));

	if (e == NULL)
		rte_panic("trace_formatter_register %s: out of memory\n", node_name);
	*e = (struct formatter_entry){node_name, fmt, formatters};
	formatters = e;
}

static const struct trace_formatter *formatter_lookup(const char *node) {
	for (const struct formatter_entry *e = formatters; e != NULL; e = e->next)
		if (strcmp(e->node, node) == 0)
			return e->fmt;
	return NULL;
}

static const char *port_name(const struct dp_config *cfg, uint16_t port_id, char *buf,
			     size_t size) {
	const struct dp_port *p = cfg ? dp_config_port_get(cfg, port_id) : NULL;

	if (port_id == PKT_PORT_NONE)
		return "-";
	if (p != NULL)
		return p->name;
	snprintf(buf, size, "port%u", port_id);
	return buf;
}

json_t *trace_record_to_json(const struct trace_record *r, const struct dp_config *cfg) {
	const char *node = rte_node_id_to_name(r->node_id);
	char fields[256] = "", b1[16], b2[16], *next = NULL;
	const struct trace_formatter *fmt;
	json_t *data = NULL;
	const char *verdict;
	json_t *o;

	node = node ? node : "?";
	fmt = formatter_lookup(node);
	if (fmt != NULL && r->data_size > 0) {
		if (fmt->text != NULL)
			fmt->text(r, fields, sizeof(fields));
		if (fmt->fields != NULL)
			data = fmt->fields(r);
	} else if (r->data_size > 0) {
		for (uint8_t i = 0; i < r->data_size && i < TRACE_DATA_MAX; i++)
			snprintf(fields + 2 * i, sizeof(fields) - 2 * i, "%02x", r->data[i]);
	}
	if ((r->flags & TRACE_F_TERMINAL) && strcmp(node, DP_CONSUME_NODE) == 0)
		verdict = "consumed";
	else if (r->flags & TRACE_F_TERMINAL)
		verdict = r->drop_reason != DROP_NONE ? "drop" : "tx";
	else if (r->edge == DP_EDGE_DROP)
		verdict = "drop";
	else
		verdict = "next";
	if (!(r->flags & TRACE_F_TERMINAL)) {
		static char *names[256];
		rte_edge_t n = rte_node_edge_count(r->node_id);
		if (r->edge < n && n <= RTE_DIM(names) && rte_node_edge_get(r->node_id, names) > 0)
			next = names[r->edge];
	}
	o = json_pack("{sssssssisssssi}", "node", node, "next", next ? next : "", "verdict",
		      verdict, "len", (int)r->pkt_len, "in_port",
		      port_name(cfg, r->in_port, b1, sizeof(b1)), "out_port",
		      port_name(cfg, r->out_port, b2, sizeof(b2)), "bd", (int)r->bd_id);
	if (r->bd_id == PKT_BD_NONE)
		json_object_set_new(o, "bd", json_null());
	json_object_set_new(o, "fields", json_string(fields));
	json_object_set_new(o, "data", data != NULL ? data : json_object());
	json_object_set_new(o, "generation", json_integer((json_int_t)r->generation));
	if (r->drop_reason != DROP_NONE && r->drop_reason < DROP__COUNT) {
		json_object_set_new(o, "drop_reason", json_string(dp_drop_names[r->drop_reason]));
		json_object_set_new(o, "drop_description",
				    json_string(dp_drop_descs[r->drop_reason]));
	}
	return o;
}
