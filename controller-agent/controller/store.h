// SPDX-License-Identifier: BSD-3-Clause
// The controller's store (docs/controller.md, "Store"): every object of the API as a JSON body
// under (kind, id), with its project and name for filters, and a store-wide revision that grows
// with every change. One interface; this file's backend is SQLite (a file, the default). Every
// call is one transaction: it applies whole or not at all.
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

struct store;

// Open (creating if needed) the SQLite store at `path`. NULL with `err` set.
struct store *store_open(const char *path, char *err, size_t err_size);
void store_close(struct store *st);

// The object (kind, id) as a new JSON object, or NULL if there is none.
json_t *store_get(struct store *st, const char *kind, const char *id);

// Every object of `kind` (of `project` only, if not NULL), oldest first: a new JSON array.
json_t *store_list(struct store *st, const char *kind, const char *project);

// Write object (kind, id) of `project` named `name` (NULL: none) with body `obj` (created or
// replaced). Returns the store's new revision, or 0 on failure.
uint64_t store_put(struct store *st, const char *kind, const char *id, const char *project,
		   const char *name, const json_t *obj);

// The store's revision: it grows with every change of an object (not tokens' expiry).
uint64_t store_revision(struct store *st);

// The same, without a new revision: for what no host's document depends on (tokens, what hosts
// report). 0 or -1.
int store_put_quiet(struct store *st, const char *kind, const char *id, const char *project,
		    const char *name, const json_t *obj);

// Remove object (kind, id). Returns the new revision, or 0 if there was none.
uint64_t store_delete(struct store *st, const char *kind, const char *id);

// Remove the tokens (kind "token") whose "expires" is before `now` (seconds): not a change of
// what agents see, so the revision stays.
void store_tokens_expire(struct store *st, int64_t now);

// Users: name -> (password hash, project, role). 0 or -1.
int store_user_put(struct store *st, const char *name, const char *hash, const char *project,
		   const char *role);
// The user `name` (a new object {name, hash, project, role}) or NULL.
json_t *store_user_get(struct store *st, const char *name);
