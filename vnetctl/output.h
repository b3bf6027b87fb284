// SPDX-License-Identifier: BSD-3-Clause
// vnetctl's output: cells (one JSON value as text), column tables and "label  value" lists of
// JSON objects, --json, and the message for an answer of the wrong shape. Every command prints
// through these, so that all tables look alike (docs/vnetctl.md, "Description").
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "vnetctl/vnetctl.h"

#define CELL_SIZE 512      // bytes of one formatted cell, with its NUL
#define TABLE_MAX_COLS 12  // columns of one table

// Format one value (never NULL or null: cell_format() prints those as "-").
typedef void (*cell_fmt_fn)(const json_t *v, char *buf, size_t size);

// One table column: `key` of each row object, formatted by `fmt` (NULL: cell_auto).
struct table_column {
	const char *title;
	const char *key;
	cell_fmt_fn fmt;
	bool right; // right-aligned (numbers)
};

// Any scalar or array of scalars: strings as they are, integers, reals with one decimal,
// booleans as yes/no, arrays joined with ','; anything else is "-".
void cell_auto(const json_t *v, char *buf, size_t size);
// true/false as up/down.
void cell_link(const json_t *v, char *buf, size_t size);
// A number of seconds, rounded: "13s".
void cell_seconds(const json_t *v, char *buf, size_t size);
// Seconds as "1d 02:03:04" or "02:03:04".
void cell_uptime(const json_t *v, char *buf, size_t size);
// Join the elements of the array `arr` with `sep`; "-" when empty.
void cell_join(const json_t *arr, const char *sep, char *buf, size_t size);
// Format `row[col->key]`; a missing or null value is "-".
void cell_format(const struct table_column *col, const json_t *row, char *buf, size_t size);

// Print the array of objects `rows` as a table with a header (columns as wide as their widest
// cell, no trailing blanks), or the line `empty` if there are none.
void table_print(const json_t *rows, const struct table_column *cols, size_t n_cols,
		 const char *empty);
// table_print() of a result that must be an array; out_bad_answer() if it is not.
int table_result_print(const struct cli *cli, const json_t *rows,
		       const struct table_column *cols, size_t n_cols, const char *empty);
// Print `obj` as "label  value" lines, one per column.
void table_fields_print(const json_t *obj, const struct table_column *cols, size_t n_cols);

// --json: `result` exactly as received, indented by two.
void out_json_print(const json_t *result);
// An answer of the wrong shape: say what was expected. Returns CLI_REMOTE.
int out_bad_answer(const struct cli *cli, const char *expected);
