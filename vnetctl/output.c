// SPDX-License-Identifier: BSD-3-Clause
// vnetctl's output (output.h): cells, tables, --json and the bad-answer message. Main thread of
// vnetctl only.

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vnetctl/output.h"

void cell_auto(const json_t *v, char *buf, size_t size) {
	if (json_is_string(v))
		snprintf(buf, size, "%s", json_string_value(v));
	else if (json_is_integer(v))
		snprintf(buf, size, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	else if (json_is_real(v))
		snprintf(buf, size, "%.1f", json_real_value(v));
	else if (json_is_boolean(v))
		snprintf(buf, size, "%s", json_is_true(v) ? "yes" : "no");
	else if (json_is_array(v))
		cell_join(v, ",", buf, size);
	else
		snprintf(buf, size, "-");
}

void cell_join(const json_t *arr, const char *sep, char *buf, size_t size) {
	char item[CELL_SIZE];
	size_t i, len = 0;
	const json_t *v;

	snprintf(buf, size, "-");
	json_array_foreach(arr, i, v) {
		if (json_is_array(v)) // no recursion: nested arrays are not expected
			snprintf(item, sizeof(item), "[...]");
		else
			cell_auto(v, item, sizeof(item));
		len += (size_t)snprintf(buf + len, size - len, "%s%s", i ? sep : "", item);
		if (len >= size)
			break;
	}
}

void cell_link(const json_t *v, char *buf, size_t size) {
	snprintf(buf, size, "%s", json_is_true(v) ? "up" : json_is_false(v) ? "down" : "-");
}

void cell_seconds(const json_t *v, char *buf, size_t size) {
	if (json_is_number(v))
		snprintf(buf, size, "%.0fs", json_number_value(v));
	else
		snprintf(buf, size, "-");
}

void cell_uptime(const json_t *v, char *buf, size_t size) {
	long long s = json_is_number(v) ? (long long)json_number_value(v) : -1;

	if (s < 0)
		snprintf(buf, size, "-");
	else if (s >= 86400)
		snprintf(buf, size, "%lldd %02lld:%02lld:%02lld", s / 86400, s / 3600 % 24,
			 s / 60 % 60, s % 60);
	else
		snprintf(buf, size, "%02lld:%02lld:%02lld", s / 3600, s / 60 % 60, s % 60);
}

void cell_format(const struct table_column *col, const json_t *row, char *buf, size_t size) {
	const json_t *v = json_object_get(row, col->key);

	if (v == NULL || json_is_null(v))
		snprintf(buf, size, "-");
	else
		(col->fmt ? col->fmt : cell_auto)(v, buf, size);
}

// Print one line: the titles when `row` is NULL. No trailing blanks.
static void table_line(const struct table_column *cols, size_t n_cols, const int *width,
		       const json_t *row) {
	char line[TABLE_MAX_COLS * (CELL_SIZE + 2)], cell[CELL_SIZE];
	size_t len = 0;

	for (size_t c = 0; c < n_cols; c++) {
		const char *text = row ? cell : cols[c].title;

		if (row != NULL)
			cell_format(&cols[c], row, cell, sizeof(cell));
		len += (size_t)snprintf(line + len, sizeof(line) - len,
					cols[c].right ? "%*s  " : "%-*s  ", width[c], text);
	}
	while (len > 0 && line[len - 1] == ' ')
		len--;
	printf("%.*s\n", (int)len, line);
}

void table_print(const json_t *rows, const struct table_column *cols, size_t n_cols,
		 const char *empty) {
	char cell[CELL_SIZE];
	int width[TABLE_MAX_COLS];
	const json_t *row;
	size_t i;

	if (json_array_size(rows) == 0) {
		printf("%s\n", empty);
		return;
	}
	for (size_t c = 0; c < n_cols && c < TABLE_MAX_COLS; c++) {
		width[c] = (int)strlen(cols[c].title);
		json_array_foreach(rows, i, row) {
			cell_format(&cols[c], row, cell, sizeof(cell));
			if ((int)strlen(cell) > width[c])
				width[c] = (int)strlen(cell);
		}
	}
	n_cols = n_cols < TABLE_MAX_COLS ? n_cols : TABLE_MAX_COLS;
	table_line(cols, n_cols, width, NULL);
	json_array_foreach(rows, i, row)
		table_line(cols, n_cols, width, row);
}

int table_result_print(const struct cli *cli, const json_t *rows,
		       const struct table_column *cols, size_t n_cols, const char *empty) {
	if (!json_is_array(rows))
		return out_bad_answer(cli, "an array");
	table_print(rows, cols, n_cols, empty);
	return CLI_OK;
}

void table_fields_print(const json_t *obj, const struct table_column *cols, size_t n_cols) {
	char cell[CELL_SIZE];

	for (size_t c = 0; c < n_cols; c++) {
		cell_format(&cols[c], obj, cell, sizeof(cell));
		printf("%-12s%s\n", cols[c].title, cell);
	}
}

void out_json_print(const json_t *result) {
	char *text = json_dumps(result, JSON_INDENT(2) | JSON_ENCODE_ANY);

	printf("%s\n", text ? text : "null");
	free(text);
}

int out_bad_answer(const struct cli *cli, const char *expected) {
	fprintf(stderr, "vnetctl: %s: unexpected answer from vnetd (expected %s)\n",
		cli->cmd->method, expected);
	return CLI_REMOTE;
}
