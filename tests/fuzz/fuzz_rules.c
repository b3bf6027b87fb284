// SPDX-License-Identifier: BSD-3-Clause
// Fuzz target: `apply`, the transaction path of the agent and `vnetctl apply`. The input is the
// JSON text of a transaction: a whole rules document or an `ops` transaction, applied over the
// base document of fuzz_common.c (restored after every input that changed it). Invariants: a
// refused transaction says why and changes nothing (generation, revision, ports); an accepted
// one publishes exactly one new generation. Devices other than net_null are left alone
// (fuzz_devices_are_safe).

#include <stdint.h>
#include <string.h>

#include <jansson.h>

#include "dataplane/config.h"
#include "dataplane/rules.h"
#include "tests/fuzz/fuzz_common.h"
#include "tests/lib/harness.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
	static struct harness *h;
	const struct dp_config *before;
	uint64_t gen0, rev0, gen = 0;
	uint16_t ports0;
	json_error_t jerr;
	json_t *txn;
	int ret;

	if (h == NULL)
		h = fuzz_engine_init();
	txn = json_loadb((const char *)data, size, 0, &jerr);
	if (txn == NULL)
		return 0;
	if (!fuzz_devices_are_safe(txn)) {
		json_decref(txn);
		return 0;
	}
	before = dp_config_current();
	gen0 = before->generation;
	rev0 = before->revision;
	ports0 = before->n_ports;
	h->err[0] = '\0';
	ret = rules_apply(txn, &gen, h->err, sizeof(h->err));
	json_decref(txn);
	if (ret < 0) {
		const struct dp_config *now = dp_config_current();
		if (h->err[0] == '\0')
			fuzz_fail("refused (%d) without a message", ret);
		if (now->generation != gen0 || now->revision != rev0 || now->n_ports != ports0)
			fuzz_fail("refused but changed: generation %lu -> %lu, revision %lu -> %lu",
				  gen0, now->generation, rev0, now->revision);
		return 0;
	}
	if (dp_config_current()->generation != gen0 + 1 || gen != gen0 + 1)
		fuzz_fail("accepted: generation %lu -> %lu (reported %lu)", gen0,
			  dp_config_current()->generation, gen);
	fuzz_rules_reset(h);
	return 0;
}
