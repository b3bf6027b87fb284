// SPDX-License-Identifier: BSD-3-Clause
// Names and descriptions of the drop reasons, generated from the one list in drop.h.

#include <ctype.h>
#include <string.h>

#include "dataplane/drop.h"

// Lowercase names are built once from the X-macro at start-up.
static char drop_names_buf[DROP__COUNT][40];
const char *const dp_drop_names[DROP__COUNT] = {
#define X(name, desc) drop_names_buf[DROP_##name],
	DP_DROP_REASONS(X)
#undef X
};

const char *const dp_drop_descs[DROP__COUNT] = {
#define X(name, desc) desc,
	DP_DROP_REASONS(X)
#undef X
};

static const char *const drop_upper[DROP__COUNT] = {
#define X(name, desc) #name,
	DP_DROP_REASONS(X)
#undef X
};

__attribute__((constructor)) static void drop_names_init(void) {
	for (int i = 0; i < DROP__COUNT; i++) {
		size_t j;
		for (j = 0; drop_upper[i][j] != '\0' && j < sizeof(drop_names_buf[i]) - 1; j++)
			drop_names_buf[i][j] = (char)tolower((unsigned char)drop_upper[i][j]);
		drop_names_buf[i][j] = '\0';
	}
}

int dp_drop_reason_parse(const char *name) {
	for (int i = 0; i < DROP__COUNT; i++)
		if (strcmp(dp_drop_names[i], name) == 0)
			return i;
	return -1;
}
