// SPDX-License-Identifier: BSD-3-Clause
// Fuzz target: vnetd's configuration file (vnetd_config_load, then the rules it carries through
// rules_validate, as `vnetd --check` does). No EAL. The input is the file. Invariants: a refused
// file has a message that starts with the file's name; an accepted one has EAL arguments.

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "dataplane/rules.h"
#include "dataplane/vnetd_config.h"
#include "tests/fuzz/fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
	static int fd = -1;
	struct vnetd_config vc;
	char path[64], err[1024];

	if (fd < 0) {
		// A rules_file naming standard input must not wait for it.
		int null = open("/dev/null", O_RDONLY);
		dup2(null, 0);
		close(null);
		fd = memfd_create("vnetd.json", 0);
		if (fd < 0)
			fuzz_fail("memfd_create");
	}
	if (ftruncate(fd, 0) < 0 || pwrite(fd, data, size, 0) != (ssize_t)size)
		fuzz_fail("memfd write");
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	err[0] = '\0';
	if (vnetd_config_load(path, &vc, err, sizeof(err)) < 0) {
		if (strncmp(err, path, strlen(path)) != 0)
			fuzz_fail("refused without naming the file: \"%s\"", err);
		return 0;
	}
	if (vc.eal_argc < 1)
		fuzz_fail("accepted without EAL arguments");
	if (vc.rules != NULL && rules_validate(vc.rules, err, sizeof(err)) < 0 && err[0] == '\0')
		fuzz_fail("rules refused without a message");
	vnetd_config_fini(&vc);
	return 0;
}
