// SPDX-License-Identifier: BSD-3-Clause
// The controller's store (docs/controller.md, "Store"): every object of the API as a JSON body
// under (kind, id), with its project and name for filters, and a store-wide revision that grows
// with every change. One interface, two backends: SQLite (a file; the default) and etcd v3 (several
// controllers share it; store_etcd.c).
//
// Requests are transactions. A write request runs between store_tx_begin and store_tx_commit: its
// reads see its own writes, its writes are kept aside and applied at the commit all at once, with
// one new revision, and only if nobody else changed the store since the transaction began (else
// the commit says "conflict" and the request is run again). A read request runs between
// store_read_begin and store_read_end: every read sees the store at one revision.
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

struct store;

// What a backend does (store_sqlite.c, store_etcd.c). Bodies are JSON objects.
struct store_ops {
	const char *name;
	void (*close)(void *b);
	// The object's body or NULL.
	json_t *(*get)(void *b, const char *kind, const char *id);
	// The objects of `kind` (of `project` only, if not NULL), oldest first: [[id, body], ...].
	json_t *(*list)(void *b, const char *kind, const char *project);
	// The same, of the objects whose body's string member `field` is `value`.
	json_t *(*find)(void *b, const char *kind, const char *field, const char *value);
	uint64_t (*revision)(void *b);
	// Apply `writes` (an array of [kind, id, project|null, name|null, body|null (delete)]) at
	// once. bump: the revision grows by one, and only if it is still `base` (else 1, conflict).
	// Not bump: the writes go in whatever the revision is. 0 (with the revision in *rev), 1 or
	// -1 (failed; nothing written).
	int (*commit)(void *b, const json_t *writes, bool bump, uint64_t base, uint64_t *rev);
	// Remove the tokens whose "expires" is before `now`.
	void (*tokens_expire)(void *b, int64_t now);
	int (*user_put)(void *b, const char *name, const json_t *user);
	json_t *(*user_get)(void *b, const char *name);
	// A consistent view for the reads of this thread until read_end (etcd: reads at one etcd
	// revision). NULL: the backend's reads are consistent under the store's lock.
	void (*read_begin)(void *b);
	void (*read_end)(void *b);
};

void *store_sqlite_open(const char *path, char *err, size_t err_size);
extern const struct store_ops store_sqlite_ops;
void *store_etcd_open(const char *endpoints, char *err, size_t err_size);
extern const struct store_ops store_etcd_ops;

// Open the store `spec`: a file path (SQLite, created if needed) or "etcd:URL[,URL...]" (the
// members' client URLs, tried in turn). NULL with `err` set.
struct store *store_open(const char *spec, char *err, size_t err_size);
void store_close(struct store *st);
// "sqlite" or "etcd".
const char *store_backend(const struct store *st);
// A number no other store opened by this process has (for caches keyed by store and revision).
uint64_t store_id(const struct store *st);

// ---- requests ----
void store_read_begin(struct store *st);
void store_read_end(struct store *st);
void store_tx_begin(struct store *st);
// 0: applied (the new revision in *rev, or the old one if nothing was written); 1: conflict
// (someone else changed the store: nothing written, run the request again); -1: the store failed.
int store_tx_commit(struct store *st, uint64_t *rev);
void store_tx_abort(struct store *st);

// Wait up to `timeout_ms` for a revision newer than `have`; the revision then. May be called in a
// read request (the view is renewed).
uint64_t store_wait(struct store *st, uint64_t have, unsigned int timeout_ms);

// Wait up to `timeout_ms` for any write, quiet ones (store_put_quiet) of this process included.
// Quiet writes of other controllers (etcd) do not wake it: callers wait in short slices.
void store_wait_quiet(struct store *st, unsigned int timeout_ms);

// ---- objects ----
// The object (kind, id) as a new JSON object, or NULL if there is none.
json_t *store_get(struct store *st, const char *kind, const char *id);

// Every object of `kind` (of `project` only, if not NULL), oldest first: a new JSON array.
json_t *store_list(struct store *st, const char *kind, const char *project);

// Every object of `kind` whose body's string member `field` is `value`, oldest first: a new JSON
// array. Indexed for (port, network_id) and (subnet, network_id) on SQLite.
json_t *store_find(struct store *st, const char *kind, const char *field, const char *value);

// Write object (kind, id) of `project` named `name` (NULL: none) with body `obj` (created or
// replaced). In a transaction: kept for the commit. Outside: applied at once. Returns the store's
// new revision (in a transaction, the one the commit will make), or 0 on failure.
uint64_t store_put(struct store *st, const char *kind, const char *id, const char *project,
		   const char *name, const json_t *obj);

// The store's revision: it grows with every change of an object (not tokens' expiry).
uint64_t store_revision(struct store *st);

// The same, at once and without a new revision (even in a transaction): for what no host's
// document depends on (tokens, what hosts report). 0 or -1.
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
