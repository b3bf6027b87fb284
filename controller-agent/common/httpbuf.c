// SPDX-License-Identifier: BSD-3-Clause
// An HTTP answer's body gathered by libcurl (httpbuf.h).

#include <stdlib.h>
#include <string.h>

#include "common/httpbuf.h"

size_t http_buf_collect(char *data, size_t size, size_t nmemb, void *arg) {
	struct http_buf *b = arg;
	size_t n = size * nmemb, max = b->max != 0 ? b->max : (256u << 20);
	char *p;

	if (b->n + n > max)
		return 0; // libcurl fails the transfer: CURLE_WRITE_ERROR
	p = realloc(b->p, b->n + n + 1);
	if (p == NULL)
		return 0;
	memcpy(p + b->n, data, n);
	b->n += n;
	p[b->n] = '\0';
	b->p = p;
	return n;
}
