// SPDX-License-Identifier: BSD-3-Clause
// Fuzz target: conntrack's TCP state machine (firewall/conntrack.c, included: no EAL, no table).
// The input is a connection's first segment and then segments of either direction (flags,
// sequence and acknowledgement offsets, window, length). Besides the sanitizers it checks what
// the firewall relies on: the state stays a known one; a closed connection (RST) and one in
// time_wait never come back to life without a new SYN; a RST accepted lies in the receiver's
// window as the receiver advertised it (or is the exact next sequence number).

#include <stdint.h>
#include <string.h>

#include "firewall/conntrack.c"
#include "tests/fuzz/fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct seg {
	uint8_t dir_flags; // bit 7: from the responder; bits 0-5: TCP flags
	uint8_t wscale;
	uint16_t win;
	int16_t dseq, dack; // offsets from what the sender sent and the receiver sent
	uint16_t len;
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
	struct ct_key k = {.zone = 1, .family = 4, .proto = IPPROTO_TCP};
	struct ct_entry e;
	struct seg s;
	uint32_t isn[2] = {1000, 50000};

	if (size < sizeof(s))
		return 0;
	memcpy(&s, data, sizeof(s));
	struct ct_pkt p = {.tcp_flags = s.dir_flags & 0x3f, .wscale = s.wscale, .win = s.win,
			   .seq = isn[0], .ack = 0, .len = s.len % 2000};
	entry_init(&e, 0, &k, true, &p, !(p.tcp_flags & RTE_TCP_SYN_FLAG), 0);
	for (size_t off = sizeof(s); off + sizeof(s) <= size; off += sizeof(s)) {
		uint8_t before;
		int d;

		memcpy(&s, data + off, sizeof(s));
		d = s.dir_flags >> 7;
		p = (struct ct_pkt){.tcp_flags = s.dir_flags & 0x3f, .wscale = s.wscale, .win = s.win,
				    .seq = e.dir[d].end + (uint32_t)(int32_t)s.dseq,
				    .ack = e.dir[!d].end + (uint32_t)(int32_t)s.dack, .len = s.len % 2000};
		before = e.state;
		struct ct_entry prev = e;
		enum ct_verdict v = ct_track(&e, &k, d == 0, &p, off);

		if (e.state == CT_NONE || e.state >= CT_STATE_COUNT)
			fuzz_fail("state %u", e.state);
		if (v != CT_OK && memcmp(&prev.dir, &e.dir, sizeof(e.dir)) != 0)
			fuzz_fail("an invalid segment changed the tracking");
		if (v != CT_OK && e.state != before)
			fuzz_fail("an invalid segment changed the state");
		if (before == CT_TCP_CLOSE && e.state != CT_TCP_CLOSE)
			fuzz_fail("a closed connection came back (%s)", ct_state_name(e.state));
		if (before == CT_TCP_TIME_WAIT && e.state != CT_TCP_TIME_WAIT &&
		    e.state != CT_TCP_CLOSE)
			fuzz_fail("time_wait went to %s", ct_state_name(e.state));
		if (v == CT_OK && (p.tcp_flags & RTE_TCP_RST_FLAG) && before != CT_TCP_SYN_SENT) {
			const struct ct_dir *r = &prev.dir[!d];
			uint32_t win = prev.picked_up && r->wscale == 0xff ? r->win << 14 : r->win;
			bool in = (r->seen & CT_SEEN_ACK)
					  ? (int32_t)(p.seq - r->ack) >= 0 &&
						    (int32_t)(r->ack + RTE_MAX(win, 1u) - p.seq) >= 0
					  : p.seq == prev.dir[d].end;
			if (!in)
				fuzz_fail("a RST outside the receiver's window was accepted");
		}
	}
	return 0;
}
