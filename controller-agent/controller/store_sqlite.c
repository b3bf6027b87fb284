// SPDX-License-Identifier: BSD-3-Clause
// The store's SQLite backend (store.h): one file, one connection, each call under the backend's
// lock. Two controllers on one file are kept consistent by the revision check at commit, but only
// the controller that wrote wakes its long polls at once: use etcd for several controllers.

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "controller/store.h"

struct sqlite_store {
	sqlite3 *db;
	pthread_mutex_t lock;
};

static const char *const schema =
	"PRAGMA journal_mode=WAL;"
	"CREATE TABLE IF NOT EXISTS objects (kind TEXT NOT NULL, id TEXT NOT NULL, project TEXT,"
	" name TEXT, body TEXT NOT NULL, revision INTEGER NOT NULL, PRIMARY KEY (kind, id));"
	"CREATE INDEX IF NOT EXISTS objects_project ON objects (kind, project);"
	"CREATE INDEX IF NOT EXISTS objects_network ON objects (kind, json_extract(body, '$.network_id'));"
	"CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);"
	"INSERT OR IGNORE INTO meta VALUES ('revision', 0);"
	"CREATE TABLE IF NOT EXISTS users (name TEXT PRIMARY KEY, hash TEXT NOT NULL,"
	" project TEXT NOT NULL, role TEXT NOT NULL);";

static void sq_close(void *b) {
	struct sqlite_store *s = b;

	if (s == NULL)
		return;
	sqlite3_close(s->db);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

void *store_sqlite_open(const char *path, char *err, size_t err_size) {
	struct sqlite_store *s = calloc(1, sizeof(*s));
	char *msg = NULL;

	if (s == NULL) {
		snprintf(err, err_size, "out of memory");
		return NULL;
	}
	pthread_mutex_init(&s->lock, NULL);
	if (sqlite3_open(path, &s->db) != SQLITE_OK ||
	    sqlite3_exec(s->db, schema, NULL, NULL, &msg) != SQLITE_OK) {
		snprintf(err, err_size, "%s: %s", path, msg != NULL ? msg : sqlite3_errmsg(s->db));
		sqlite3_free(msg);
		sq_close(s);
		return NULL;
	}
	sqlite3_busy_timeout(s->db, 5000);
	return s;
}

static json_t *row_json(sqlite3_stmt *q, int col) {
	const char *text = (const char *)sqlite3_column_text(q, col);
	return text != NULL ? json_loads(text, 0, NULL) : NULL;
}

static json_t *sq_get(void *b, const char *kind, const char *id) {
	struct sqlite_store *s = b;
	sqlite3_stmt *q;
	json_t *obj = NULL;

	pthread_mutex_lock(&s->lock);
	if (sqlite3_prepare_v2(s->db, "SELECT body FROM objects WHERE kind = ? AND id = ?", -1, &q,
			       NULL) == SQLITE_OK) {
		sqlite3_bind_text(q, 1, kind, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 2, id, -1, SQLITE_STATIC);
		if (sqlite3_step(q) == SQLITE_ROW)
			obj = row_json(q, 0);
		sqlite3_finalize(q);
	}
	pthread_mutex_unlock(&s->lock);
	return obj;
}

// The rows of `q` (SELECT id, body ...) appended to `list` as [id, body]; q finalized.
static void keyed_rows(sqlite3_stmt *q, json_t *list) {
	while (sqlite3_step(q) == SQLITE_ROW) {
		json_t *o = row_json(q, 1);
		if (o != NULL)
			json_array_append_new(list, json_pack("[so]", sqlite3_column_text(q, 0), o));
	}
	sqlite3_finalize(q);
}

static json_t *sq_list(void *b, const char *kind, const char *project) {
	struct sqlite_store *s = b;
	json_t *list = json_array();
	sqlite3_stmt *q;

	pthread_mutex_lock(&s->lock);
	if (sqlite3_prepare_v2(s->db,
			       project != NULL ? "SELECT id, body FROM objects WHERE kind = ? AND"
						 " project = ? ORDER BY rowid"
					       : "SELECT id, body FROM objects WHERE kind = ? ORDER BY rowid",
			       -1, &q, NULL) == SQLITE_OK) {
		sqlite3_bind_text(q, 1, kind, -1, SQLITE_STATIC);
		if (project != NULL)
			sqlite3_bind_text(q, 2, project, -1, SQLITE_STATIC);
		keyed_rows(q, list);
	}
	pthread_mutex_unlock(&s->lock);
	return list;
}

static json_t *sq_find(void *b, const char *kind, const char *field, const char *value) {
	struct sqlite_store *s = b;
	json_t *list = json_array();
	char sql[200], path[80];
	sqlite3_stmt *q;

	if (strspn(field, "abcdefghijklmnopqrstuvwxyz_") != strlen(field) || strlen(field) > 64)
		return list;
	snprintf(path, sizeof(path), "$.%s", field);
	snprintf(sql, sizeof(sql), "SELECT id, body FROM objects WHERE kind = ? AND "
		 "json_extract(body, '%s') = ? ORDER BY rowid", path);
	pthread_mutex_lock(&s->lock);
	if (sqlite3_prepare_v2(s->db, sql, -1, &q, NULL) == SQLITE_OK) {
		sqlite3_bind_text(q, 1, kind, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 2, value, -1, SQLITE_STATIC);
		keyed_rows(q, list);
	}
	pthread_mutex_unlock(&s->lock);
	return list;
}

static uint64_t revision_locked(struct sqlite_store *s) {
	sqlite3_stmt *q;
	uint64_t rev = 0;

	if (sqlite3_prepare_v2(s->db, "SELECT value FROM meta WHERE key = 'revision'", -1, &q,
			       NULL) != SQLITE_OK)
		return 0;
	if (sqlite3_step(q) == SQLITE_ROW)
		rev = (uint64_t)sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	return rev;
}

static uint64_t sq_revision(void *b) {
	struct sqlite_store *s = b;
	uint64_t rev;

	pthread_mutex_lock(&s->lock);
	rev = revision_locked(s);
	pthread_mutex_unlock(&s->lock);
	return rev;
}

// One write of a commit: [kind, id, project, name, body|null].
static int write_one(struct sqlite_store *s, const json_t *w, uint64_t rev) {
	const json_t *body = json_array_get(w, 4);
	sqlite3_stmt *q;
	char *text = NULL;
	int ret = -1;

	if (json_is_null(body)) {
		if (sqlite3_prepare_v2(s->db, "DELETE FROM objects WHERE kind = ? AND id = ?", -1, &q,
				       NULL) != SQLITE_OK)
			return -1;
	} else {
		text = json_dumps(body, JSON_COMPACT | JSON_SORT_KEYS);
		if (text == NULL ||
		    sqlite3_prepare_v2(s->db,
				       "INSERT INTO objects (kind, id, project, name, body, revision)"
				       " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (kind, id) DO UPDATE SET"
				       " project = excluded.project, name = excluded.name,"
				       " body = excluded.body, revision = excluded.revision",
				       -1, &q, NULL) != SQLITE_OK) {
			free(text);
			return -1;
		}
		sqlite3_bind_text(q, 3, json_string_value(json_array_get(w, 2)), -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 4, json_string_value(json_array_get(w, 3)), -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 5, text, -1, SQLITE_STATIC);
		sqlite3_bind_int64(q, 6, (sqlite3_int64)rev);
	}
	sqlite3_bind_text(q, 1, json_string_value(json_array_get(w, 0)), -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, json_string_value(json_array_get(w, 1)), -1, SQLITE_STATIC);
	if (sqlite3_step(q) == SQLITE_DONE)
		ret = 0;
	sqlite3_finalize(q);
	free(text);
	return ret;
}

static int sq_commit(void *b, const json_t *writes, bool bump, uint64_t base, uint64_t *rev) {
	struct sqlite_store *s = b;
	uint64_t now;
	size_t i;
	int ret = -1;

	pthread_mutex_lock(&s->lock);
	if (sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		goto out;
	now = revision_locked(s);
	if (bump && now != base) {
		ret = 1;
		goto rollback;
	}
	if (bump)
		now++;
	for (i = 0; i < json_array_size(writes); i++)
		if (write_one(s, json_array_get(writes, i), bump ? now : 0) < 0)
			goto rollback;
	if (bump) {
		sqlite3_stmt *q;
		if (sqlite3_prepare_v2(s->db, "UPDATE meta SET value = ? WHERE key = 'revision'", -1,
				       &q, NULL) != SQLITE_OK)
			goto rollback;
		sqlite3_bind_int64(q, 1, (sqlite3_int64)now);
		i = sqlite3_step(q) == SQLITE_DONE;
		sqlite3_finalize(q);
		if (!i)
			goto rollback;
	}
	if (sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK) {
		*rev = now;
		ret = 0;
		goto out;
	}
rollback:
	sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
out:
	pthread_mutex_unlock(&s->lock);
	return ret;
}

static void sq_tokens_expire(void *b, int64_t now) {
	struct sqlite_store *s = b;
	sqlite3_stmt *q;

	pthread_mutex_lock(&s->lock);
	if (sqlite3_prepare_v2(s->db, "DELETE FROM objects WHERE kind = 'token' AND"
				      " json_extract(body, '$.expires') < ?", -1, &q, NULL) == SQLITE_OK) {
		sqlite3_bind_int64(q, 1, now);
		sqlite3_step(q);
		sqlite3_finalize(q);
	}
	pthread_mutex_unlock(&s->lock);
}

static int sq_user_put(void *b, const char *name, const json_t *u) {
	struct sqlite_store *s = b;
	sqlite3_stmt *q;
	int ret = -1;

	pthread_mutex_lock(&s->lock);
	if (sqlite3_prepare_v2(s->db, "INSERT OR REPLACE INTO users VALUES (?, ?, ?, ?)", -1, &q,
			       NULL) == SQLITE_OK) {
		sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 2, json_string_value(json_object_get(u, "hash")), -1,
				  SQLITE_STATIC);
		sqlite3_bind_text(q, 3, json_string_value(json_object_get(u, "project")), -1,
				  SQLITE_STATIC);
		sqlite3_bind_text(q, 4, json_string_value(json_object_get(u, "role")), -1,
				  SQLITE_STATIC);
		if (sqlite3_step(q) == SQLITE_DONE)
			ret = 0;
		sqlite3_finalize(q);
	}
	pthread_mutex_unlock(&s->lock);
	return ret;
}

static json_t *sq_user_get(void *b, const char *name) {
	struct sqlite_store *s = b;
	sqlite3_stmt *q;
	json_t *u = NULL;

	pthread_mutex_lock(&s->lock);
	if (sqlite3_prepare_v2(s->db, "SELECT hash, project, role FROM users WHERE name = ?", -1,
			       &q, NULL) == SQLITE_OK) {
		sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC);
		if (sqlite3_step(q) == SQLITE_ROW)
			u = json_pack("{ssssssss}", "name", name, "hash", sqlite3_column_text(q, 0),
				      "project", sqlite3_column_text(q, 1), "role",
				      sqlite3_column_text(q, 2));
		sqlite3_finalize(q);
	}
	pthread_mutex_unlock(&s->lock);
	return u;
}

const struct store_ops store_sqlite_ops = {
	.name = "sqlite",
	.close = sq_close,
	.get = sq_get,
	.list = sq_list,
	.find = sq_find,
	.revision = sq_revision,
	.commit = sq_commit,
	.tokens_expire = sq_tokens_expire,
	.user_put = sq_user_put,
	.user_get = sq_user_get,
};
