// SPDX-License-Identifier: BSD-3-Clause
// Fuzz target: pkt_parse on one frame (no EAL). The input is the frame. Besides the sanitizers,
// it checks what parse promises the nodes after it: on DROP_NONE, every header it records lies
// inside the first segment and inside the frame; parsing is deterministic.

#include <stdint.h>
#include <string.h>

#include "dataplane/parse.h"
#include "dataplane/pkt.h"
#include "tests/fuzz/fuzz_common.h"
#include "tests/lib/pktbuf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
	struct rte_mbuf *m = pktbuf_create(data, size, 1);
	enum dp_drop_reason r1, r2;
	struct pkt_meta first;

	if (m == NULL) // longer than one test buffer holds
		return 0;
	r1 = pkt_parse(m);
	first = *pkt_meta(m);
	pkt_meta_reset(pkt_meta(m), 1);
	r2 = pkt_parse(m);
	if (r1 != r2 || memcmp(&first, pkt_meta(m), sizeof(first)) != 0)
		fuzz_fail("parse is not deterministic");
	if ((int)r1 < 0 || r1 >= DROP__COUNT)
		fuzz_fail("parse returned %d", (int)r1);
	if (r1 == DROP_NONE) {
		const struct pkt_meta *meta = &first;
		if (meta->l3_off > m->data_len)
			fuzz_fail("l3_off %u past the segment (%u)", meta->l3_off, m->data_len);
		if ((meta->l3 == PKT_L3_IP4 || meta->l3 == PKT_L3_IP6) &&
		    (uint32_t)meta->l3_off + meta->l3_len > m->pkt_len)
			fuzz_fail("l3 ends at %u, past the frame (%u)", meta->l3_off + meta->l3_len,
				  m->pkt_len);
		if (meta->l4 != PKT_L4_NONE &&
		    (meta->l4_off < meta->l3_off || meta->l4_off + 4u > m->data_len))
			fuzz_fail("l4_off %u outside the segment", meta->l4_off);
	}
	pktbuf_destroy(m);
	return 0;
}
