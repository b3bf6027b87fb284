// SPDX-License-Identifier: BSD-3-Clause
// Fuzz target: every control-socket method, through ctl_handle() (what the socket does for each
// request line). The first input byte picks the method; the rest is its "params", pasted into
// {"jsonrpc": "2.0", "id": 1, "method": ..., "params": ...} as it is (so it may break the
// request too); a first byte of 0xf0 or more makes the rest the whole line. Invariants: every
// line gets one JSON-RPC answer, a result or an error with a message. The engine is that of
// fuzz_common.c without a running worker: `trace` answers from its checks, up to injection.

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "dataplane/config.h"
#include "dataplane/ctl.h"
#include "tests/fuzz/fuzz_common.h"
#include "tests/lib/harness.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

// Every method vnetd registers (docs/control-api.md).
static const char *const methods[] = {
	"help", "status", "show.ports", "show.networks", "show.macs", "show.vteps",
	"stats", "drops", "apply", "trace",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
	static struct harness *h;
	uint64_t gen0;
	char *line, *out;
	json_error_t jerr;
	json_t *resp, *err;
	int n;

	if (h == NULL)
		h = fuzz_engine_init();
	if (size == 0)
		return 0;
	line = malloc(size + 128);
	if (data[0] >= 0xf0) {
		memcpy(line, data + 1, size - 1);
		line[size - 1] = '\0';
	} else {
		n = snprintf(line, 128, "{\"jsonrpc\": \"2.0\", \"id\": 1, \"method\": \"%s\", \"params\": ",
			     methods[data[0] % RTE_DIM(methods)]);
		memcpy(line + n, data + 1, size - 1);
		line[n + size - 1] = '}';
		line[n + size] = '\0';
	}
	// Sandbox: a request that would probe another kind of device is not sent.
	resp = json_loads(line, 0, &jerr);
	if (resp != NULL && !fuzz_devices_are_safe(resp)) {
		json_decref(resp);
		free(line);
		return 0;
	}
	json_decref(resp);
	gen0 = dp_config_current()->generation;
	out = ctl_handle(line);
	free(line);
	if (out == NULL)
		fuzz_fail("no answer");
	resp = json_loads(out, 0, &jerr);
	if (resp == NULL)
		fuzz_fail("answer is not JSON: %s", out);
	err = json_object_get(resp, "error");
	if (json_object_get(resp, "result") == NULL && err == NULL)
		fuzz_fail("answer has neither result nor error: %s", out);
	if (err != NULL && json_string_length(json_object_get(err, "message")) == 0)
		fuzz_fail("error without a message: %s", out);
	if (err != NULL && dp_config_current()->generation != gen0)
		fuzz_fail("an error, but the generation moved: %s", out);
	json_decref(resp);
	free(out);
	if (dp_config_current()->generation != gen0)
		fuzz_rules_reset(h);
	return 0;
}
