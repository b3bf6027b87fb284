// SPDX-License-Identifier: BSD-3-Clause
// The store's front (store.h): requests as transactions over either backend, and the wait for a
// new revision that the hosts' long polls use.

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "controller/store.h"

struct store {
	const struct store_ops *ops;
	void *b;
	pthread_mutex_t writer; // one write transaction at a time in this process
	pthread_rwlock_t view;  // read requests (shared) against commits (exclusive)
	pthread_mutex_t wait_lock;
	pthread_cond_t changed; // the revision grew (st->rev)
	uint64_t rev;           // the newest revision known (under wait_lock)
	uint64_t quiet;         // quiet writes made by this process (under wait_lock)
	pthread_t watcher;      // etcd: follows the revision other controllers make
	bool watching;
	volatile bool stop;
	uint64_t id;
};

// This thread's request.
static __thread struct {
	json_t *writes; // a transaction's writes: [[kind, id, project, name, body|null], ...]
	uint64_t base;  // the revision it began at
	bool in_tx, in_read;
} cur;

static void rev_seen(struct store *st, uint64_t rev) {
	pthread_mutex_lock(&st->wait_lock);
	if (rev > st->rev) {
		st->rev = rev;
		pthread_cond_broadcast(&st->changed);
	}
	pthread_mutex_unlock(&st->wait_lock);
}

// etcd: another controller's write is seen here within 50 ms.
static void *watch(void *arg) {
	struct store *st = arg;

	while (!st->stop) {
		uint64_t rev = st->ops->revision(st->b);
		if (rev != 0)
			rev_seen(st, rev);
		usleep(50000);
	}
	return NULL;
}

struct store *store_open(const char *spec, char *err, size_t err_size) {
	struct store *st = calloc(1, sizeof(*st));
	pthread_rwlockattr_t ra;
	pthread_condattr_t ca;

	if (st == NULL) {
		snprintf(err, err_size, "out of memory");
		return NULL;
	}
	if (strncmp(spec, "etcd:", 5) == 0) {
		st->ops = &store_etcd_ops;
		st->b = store_etcd_open(spec + 5, err, err_size);
	} else {
		st->ops = &store_sqlite_ops;
		st->b = store_sqlite_open(strncmp(spec, "sqlite:", 7) == 0 ? spec + 7 : spec, err,
					  err_size);
	}
	if (st->b == NULL) {
		free(st);
		return NULL;
	}
	pthread_mutex_init(&st->writer, NULL);
	pthread_rwlockattr_init(&ra);
	// Commits are short; a stream of reads must not starve them.
	pthread_rwlockattr_setkind_np(&ra, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&st->view, &ra);
	pthread_rwlockattr_destroy(&ra);
	pthread_mutex_init(&st->wait_lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&st->changed, &ca);
	pthread_condattr_destroy(&ca);
	static uint64_t ids;
	st->id = __atomic_add_fetch(&ids, 1, __ATOMIC_RELAXED);
	st->rev = st->ops->revision(st->b);
	if (st->ops == &store_etcd_ops)
		st->watching = pthread_create(&st->watcher, NULL, watch, st) == 0;
	return st;
}

void store_close(struct store *st) {
	if (st == NULL)
		return;
	st->stop = true;
	if (st->watching)
		pthread_join(st->watcher, NULL);
	st->ops->close(st->b);
	pthread_mutex_destroy(&st->writer);
	pthread_rwlock_destroy(&st->view);
	pthread_mutex_destroy(&st->wait_lock);
	pthread_cond_destroy(&st->changed);
	free(st);
}

uint64_t store_id(const struct store *st) {
	return st->id;
}

const char *store_backend(const struct store *st) {
	return st->ops->name;
}

// ---- requests -----------------------------------------------------------------------------------

static void view_begin(struct store *st) {
	pthread_rwlock_rdlock(&st->view);
	if (st->ops->read_begin != NULL)
		st->ops->read_begin(st->b);
}

static void view_end(struct store *st) {
	if (st->ops->read_end != NULL)
		st->ops->read_end(st->b);
	pthread_rwlock_unlock(&st->view);
}

void store_read_begin(struct store *st) {
	view_begin(st);
	cur.in_read = true;
}

void store_read_end(struct store *st) {
	cur.in_read = false;
	view_end(st);
}

void store_tx_begin(struct store *st) {
	pthread_mutex_lock(&st->writer);
	view_begin(st);
	cur.in_tx = true;
	cur.writes = json_array();
	cur.base = st->ops->revision(st->b);
}

static void tx_end(struct store *st) {
	json_decref(cur.writes);
	cur.writes = NULL;
	cur.in_tx = false;
	pthread_mutex_unlock(&st->writer);
}

int store_tx_commit(struct store *st, uint64_t *rev) {
	int ret = 0;

	view_end(st);
	*rev = cur.base;
	if (json_array_size(cur.writes) > 0) {
		pthread_rwlock_wrlock(&st->view);
		ret = st->ops->commit(st->b, cur.writes, true, cur.base, rev);
		pthread_rwlock_unlock(&st->view);
		if (ret == 0)
			rev_seen(st, *rev);
	}
	tx_end(st);
	return ret;
}

void store_tx_abort(struct store *st) {
	view_end(st);
	tx_end(st);
}

// Wait on st->changed until `done` says so or timeout_ms pass, the read view (if any) let go
// meanwhile. Under wait_lock, done() sees rev and quiet.
static void wait_changed(struct store *st, unsigned int timeout_ms,
			 bool (*done)(const struct store *st, uint64_t a, uint64_t b), uint64_t a,
			 uint64_t b) {
	bool in_read = cur.in_read;
	struct timespec until;

	if (in_read)
		view_end(st);
	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += timeout_ms / 1000;
	until.tv_nsec += (long)(timeout_ms % 1000) * 1000000;
	if (until.tv_nsec >= 1000000000) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&st->wait_lock);
	if (b == UINT64_MAX) { // store_wait_quiet: from what is now
		a = st->rev;
		b = st->quiet;
	}
	while (!done(st, a, b) &&
	       pthread_cond_timedwait(&st->changed, &st->wait_lock, &until) != ETIMEDOUT)
		;
	pthread_mutex_unlock(&st->wait_lock);
	if (in_read)
		view_begin(st);
}

static bool newer_than(const struct store *st, uint64_t have, uint64_t unused) {
	(void)unused;
	return st->rev > have;
}

static bool any_write(const struct store *st, uint64_t rev, uint64_t quiet) {
	return st->rev != rev || st->quiet != quiet;
}

uint64_t store_wait(struct store *st, uint64_t have, unsigned int timeout_ms) {
	wait_changed(st, timeout_ms, newer_than, have, 0);
	return st->ops->revision(st->b);
}

void store_wait_quiet(struct store *st, unsigned int timeout_ms) {
	wait_changed(st, timeout_ms, any_write, 0, UINT64_MAX);
}

// ---- objects ------------------------------------------------------------------------------------

static bool same_key(const json_t *w, const char *kind, const char *id) {
	return strcmp(json_string_value(json_array_get(w, 0)), kind) == 0 &&
	       strcmp(json_string_value(json_array_get(w, 1)), id) == 0;
}

json_t *store_get(struct store *st, const char *kind, const char *id) {
	if (cur.in_tx)
		for (size_t i = json_array_size(cur.writes); i-- > 0;) {
			const json_t *w = json_array_get(cur.writes, i);
			if (same_key(w, kind, id))
				return json_is_null(json_array_get(w, 4))
					       ? NULL
					       : json_deep_copy(json_array_get(w, 4));
		}
	return st->ops->get(st->b, kind, id);
}

// The backend's [[id, body]] with this transaction's own writes applied, in order; `keep` says
// whether a written body belongs in the result.
static json_t *overlay(json_t *keyed, const char *kind,
		       bool (*keep)(const json_t *w, const void *arg), const void *arg) {
	json_t *out = json_array();
	size_t i, j;

	if (cur.in_tx) {
		for (i = 0; i < json_array_size(cur.writes); i++) {
			const json_t *w = json_array_get(cur.writes, i);
			const char *id = json_string_value(json_array_get(w, 1));
			json_t *body = json_array_get(w, 4);
			bool found = false, in = !json_is_null(body) && keep(w, arg);
			if (strcmp(json_string_value(json_array_get(w, 0)), kind) != 0)
				continue;
			for (j = 0; j < json_array_size(keyed); j++) {
				json_t *kv = json_array_get(keyed, j);
				if (strcmp(json_string_value(json_array_get(kv, 0)), id) != 0)
					continue;
				found = true;
				if (in)
					json_array_set_new(kv, 1, json_deep_copy(body));
				else
					json_array_remove(keyed, j);
				break;
			}
			if (!found && in)
				json_array_append_new(keyed, json_pack("[sO]", id, body));
		}
	}
	for (i = 0; i < json_array_size(keyed); i++)
		json_array_append(out, json_array_get(json_array_get(keyed, i), 1));
	json_decref(keyed);
	return out;
}

static bool of_project(const json_t *w, const void *arg) {
	const char *project = arg, *p = json_string_value(json_array_get(w, 2));

	return project == NULL || (p != NULL && strcmp(p, project) == 0);
}

json_t *store_list(struct store *st, const char *kind, const char *project) {
	return overlay(st->ops->list(st->b, kind, project), kind, of_project, project);
}

struct field_is {
	const char *field, *value;
};

static bool has_field(const json_t *w, const void *arg) {
	const struct field_is *f = arg;
	const char *v = json_string_value(json_object_get(json_array_get(w, 4), f->field));

	return v != NULL && strcmp(v, f->value) == 0;
}

json_t *store_find(struct store *st, const char *kind, const char *field, const char *value) {
	struct field_is f = {field, value};

	return overlay(st->ops->find(st->b, kind, field, value), kind, has_field, &f);
}

// A write outside a transaction: applied at once (retried while others write).
static uint64_t write_now(struct store *st, json_t *w) {
	json_t *writes = json_pack("[o]", w);
	uint64_t rev = 0;

	for (int tries = 0; tries < 100; tries++) {
		uint64_t base = st->ops->revision(st->b);
		int ret;
		// In a read request (a GET that creates a project's default group) this thread holds
		// the view already: the backend's commit is atomic on its own.
		if (!cur.in_read)
			pthread_rwlock_wrlock(&st->view);
		ret = st->ops->commit(st->b, writes, true, base, &rev);
		if (!cur.in_read)
			pthread_rwlock_unlock(&st->view);
		if (ret == 1 && cur.in_read && st->ops->read_end != NULL) { // a newer view
			st->ops->read_end(st->b);
			st->ops->read_begin(st->b);
		}
		if (ret == 0) {
			rev_seen(st, rev);
			break;
		}
		rev = 0;
		if (ret < 0)
			break;
	}
	json_decref(writes);
	return rev;
}

uint64_t store_put(struct store *st, const char *kind, const char *id, const char *project,
		   const char *name, const json_t *obj) {
	json_t *w = json_pack("[sso?o?o]", kind, id, project != NULL ? json_string(project) : NULL,
			      name != NULL ? json_string(name) : NULL, json_deep_copy(obj));

	if (w == NULL)
		return 0;
	if (cur.in_tx) {
		json_array_append_new(cur.writes, w);
		return cur.base + 1;
	}
	return write_now(st, w);
}

uint64_t store_delete(struct store *st, const char *kind, const char *id) {
	json_t *old = store_get(st, kind, id), *w;

	if (old == NULL)
		return 0;
	json_decref(old);
	w = json_pack("[ssnnn]", kind, id);
	if (cur.in_tx) {
		json_array_append_new(cur.writes, w);
		return cur.base + 1;
	}
	return write_now(st, w);
}

int store_put_quiet(struct store *st, const char *kind, const char *id, const char *project,
		    const char *name, const json_t *obj) {
	json_t *writes = json_pack("[[sso?o?o]]", kind, id,
				   project != NULL ? json_string(project) : NULL,
				   name != NULL ? json_string(name) : NULL, json_deep_copy(obj));
	uint64_t rev;
	int ret;

	if (writes == NULL)
		return -1;
	ret = st->ops->commit(st->b, writes, false, 0, &rev);
	json_decref(writes);
	if (ret == 0) {
		pthread_mutex_lock(&st->wait_lock);
		st->quiet++;
		pthread_cond_broadcast(&st->changed);
		pthread_mutex_unlock(&st->wait_lock);
	}
	return ret == 0 ? 0 : -1;
}

uint64_t store_revision(struct store *st) {
	return st->ops->revision(st->b);
}

void store_tokens_expire(struct store *st, int64_t now) {
	st->ops->tokens_expire(st->b, now);
}

int store_user_put(struct store *st, const char *name, const char *hash, const char *project,
		   const char *role) {
	json_t *u = json_pack("{ssssssss}", "name", name, "hash", hash, "project", project, "role",
			      role);
	int ret = u != NULL ? st->ops->user_put(st->b, name, u) : -1;

	json_decref(u);
	return ret;
}

json_t *store_user_get(struct store *st, const char *name) {
	return st->ops->user_get(st->b, name);
}
