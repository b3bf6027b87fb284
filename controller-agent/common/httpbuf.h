// SPDX-License-Identifier: BSD-3-Clause
// An HTTP answer's body gathered by libcurl (CURLOPT_WRITEFUNCTION), NUL-terminated, bounded.
#pragma once

#include <stddef.h>

struct http_buf {
	char *p;    // the body so far (NULL: none yet); free() it
	size_t n;   // its length
	size_t max; // the most it may hold (0: 256 MiB); past it the transfer fails
};

// libcurl's write callback, `arg` a struct http_buf.
size_t http_buf_collect(char *data, size_t size, size_t nmemb, void *arg);
