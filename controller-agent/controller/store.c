// SPDX-License-Identifier: BSD-3-Clause
// The store's SQLite backend (store.h).

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "controller/store.h"

struct store {
	sqlite3 *db;
};

static const char *const schema =
	"PRAGMA journal_mode=WAL;"
	"CREATE TABLE IF NOT EXISTS objects (kind TEXT NOT NULL, id TEXT NOT NULL, project TEXT,"
	" name TEXT, body TEXT NOT NULL, revision INTEGER NOT NULL, PRIMARY KEY (kind, id));"
	"CREATE INDEX IF NOT EXISTS objects_project ON objects (kind, project);"
	"CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);"
	"INSERT OR IGNORE INTO meta VALUES ('revision', 0);"
	"CREATE TABLE IF NOT EXISTS users (name TEXT PRIMARY KEY, hash TEXT NOT NULL,"
	" project TEXT NOT NULL, role TEXT NOT NULL);";

struct store *store_open(const char *path, char *err, size_t err_size) {
	struct store *st = calloc(1, sizeof(*st));
	char *msg = NULL;

	if (st == NULL) {
		snprintf(err, err_size, "out of memory");
		return NULL;
	}
	if (sqlite3_open(path, &st->db) != SQLITE_OK ||
	    sqlite3_exec(st->db, schema, NULL, NULL, &msg) != SQLITE_OK) {
		snprintf(err, err_size, "%s: %s", path, msg != NULL ? msg : sqlite3_errmsg(st->db));
		sqlite3_free(msg);
		store_close(st);
		return NULL;
	}
	sqlite3_busy_timeout(st->db, 5000);
	return st;
}

void store_close(struct store *st) {
	if (st == NULL)
		return;
	sqlite3_close(st->db);
	free(st);
}

static json_t *row_json(sqlite3_stmt *s, int col) {
	const char *text = (const char *)sqlite3_column_text(s, col);
	return text != NULL ? json_loads(text, 0, NULL) : NULL;
}

json_t *store_get(struct store *st, const char *kind, const char *id) {
	sqlite3_stmt *s;
	json_t *obj = NULL;

	if (sqlite3_prepare_v2(st->db, "SELECT body FROM objects WHERE kind = ? AND id = ?", -1, &s,
			       NULL) != SQLITE_OK)
		return NULL;
	sqlite3_bind_text(s, 1, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, id, -1, SQLITE_STATIC);
	if (sqlite3_step(s) == SQLITE_ROW)
		obj = row_json(s, 0);
	sqlite3_finalize(s);
	return obj;
}

json_t *store_list(struct store *st, const char *kind, const char *project) {
	sqlite3_stmt *s;
	json_t *list = json_array();

	if (sqlite3_prepare_v2(st->db,
			       project != NULL ? "SELECT body FROM objects WHERE kind = ? AND project = ?"
						 " ORDER BY rowid"
					       : "SELECT body FROM objects WHERE kind = ? ORDER BY rowid",
			       -1, &s, NULL) != SQLITE_OK)
		return list;
	sqlite3_bind_text(s, 1, kind, -1, SQLITE_STATIC);
	if (project != NULL)
		sqlite3_bind_text(s, 2, project, -1, SQLITE_STATIC);
	while (sqlite3_step(s) == SQLITE_ROW) {
		json_t *o = row_json(s, 0);
		if (o != NULL)
			json_array_append_new(list, o);
	}
	sqlite3_finalize(s);
	return list;
}

// Run `sql` (the object write) and bump the revision in one transaction; the new revision or 0.
static uint64_t write_tx(struct store *st, sqlite3_stmt *s) {
	sqlite3_stmt *r = NULL;
	uint64_t rev = 0;

	if (sqlite3_exec(st->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return 0;
	if (sqlite3_step(s) != SQLITE_DONE || sqlite3_changes(st->db) == 0)
		goto rollback;
	if (sqlite3_prepare_v2(st->db,
			       "UPDATE meta SET value = value + 1 WHERE key = 'revision' RETURNING value",
			       -1, &r, NULL) != SQLITE_OK ||
	    sqlite3_step(r) != SQLITE_ROW)
		goto rollback;
	rev = (uint64_t)sqlite3_column_int64(r, 0);
	sqlite3_finalize(r);
	r = NULL;
	if (sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK)
		return rev;
rollback:
	sqlite3_finalize(r);
	sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	return 0;
}

// The five columns of an object write (kind, id, project, name, body) into statement s.
static void bind_object(sqlite3_stmt *s, const char *kind, const char *id, const char *project,
			const char *name, const char *body) {
	sqlite3_bind_text(s, 1, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, project, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 5, body, -1, SQLITE_STATIC);
}

uint64_t store_put(struct store *st, const char *kind, const char *id, const char *project,
		   const char *name, const json_t *obj) {
	char *body = json_dumps(obj, JSON_COMPACT | JSON_SORT_KEYS);
	sqlite3_stmt *s;
	uint64_t rev = 0;

	if (body == NULL)
		return 0;
	if (sqlite3_prepare_v2(st->db,
			       "INSERT INTO objects (kind, id, project, name, body, revision) VALUES"
			       " (?, ?, ?, ?, ?, (SELECT value + 1 FROM meta WHERE key = 'revision'))"
			       " ON CONFLICT (kind, id) DO UPDATE SET project = excluded.project,"
			       " name = excluded.name, body = excluded.body, revision = excluded.revision",
			       -1, &s, NULL) == SQLITE_OK) {
		bind_object(s, kind, id, project, name, body);
		rev = write_tx(st, s);
		sqlite3_finalize(s);
	}
	free(body);
	return rev;
}

int store_put_quiet(struct store *st, const char *kind, const char *id, const char *project,
		    const char *name, const json_t *obj) {
	char *body = json_dumps(obj, JSON_COMPACT | JSON_SORT_KEYS);
	sqlite3_stmt *s;
	int ret = -1;

	if (body == NULL)
		return -1;
	if (sqlite3_prepare_v2(st->db,
			       "INSERT INTO objects (kind, id, project, name, body, revision) VALUES"
			       " (?, ?, ?, ?, ?, 0) ON CONFLICT (kind, id) DO UPDATE SET"
			       " project = excluded.project, name = excluded.name, body = excluded.body",
			       -1, &s, NULL) == SQLITE_OK) {
		bind_object(s, kind, id, project, name, body);
		if (sqlite3_step(s) == SQLITE_DONE)
			ret = 0;
		sqlite3_finalize(s);
	}
	free(body);
	return ret;
}

uint64_t store_delete(struct store *st, const char *kind, const char *id) {
	sqlite3_stmt *s;
	uint64_t rev = 0;

	if (sqlite3_prepare_v2(st->db, "DELETE FROM objects WHERE kind = ? AND id = ?", -1, &s,
			       NULL) != SQLITE_OK)
		return 0;
	sqlite3_bind_text(s, 1, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, id, -1, SQLITE_STATIC);
	rev = write_tx(st, s);
	sqlite3_finalize(s);
	return rev;
}

uint64_t store_revision(struct store *st) {
	sqlite3_stmt *s;
	uint64_t rev = 0;

	if (sqlite3_prepare_v2(st->db, "SELECT value FROM meta WHERE key = 'revision'", -1, &s,
			       NULL) != SQLITE_OK)
		return 0;
	if (sqlite3_step(s) == SQLITE_ROW)
		rev = (uint64_t)sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return rev;
}

void store_tokens_expire(struct store *st, int64_t now) {
	sqlite3_stmt *s;

	if (sqlite3_prepare_v2(st->db, "DELETE FROM objects WHERE kind = 'token' AND"
				       " json_extract(body, '$.expires') < ?", -1, &s, NULL) != SQLITE_OK)
		return;
	sqlite3_bind_int64(s, 1, now);
	sqlite3_step(s);
	sqlite3_finalize(s);
}

int store_user_put(struct store *st, const char *name, const char *hash, const char *project,
		   const char *role) {
	sqlite3_stmt *s;
	int ret = -1;

	if (sqlite3_prepare_v2(st->db, "INSERT OR REPLACE INTO users VALUES (?, ?, ?, ?)", -1, &s,
			       NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, hash, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, project, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, role, -1, SQLITE_STATIC);
	if (sqlite3_step(s) == SQLITE_DONE)
		ret = 0;
	sqlite3_finalize(s);
	return ret;
}

json_t *store_user_get(struct store *st, const char *name) {
	sqlite3_stmt *s;
	json_t *u = NULL;

	if (sqlite3_prepare_v2(st->db, "SELECT hash, project, role FROM users WHERE name = ?", -1,
			       &s, NULL) != SQLITE_OK)
		return NULL;
	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	if (sqlite3_step(s) == SQLITE_ROW)
		u = json_pack("{ssssssss}", "name", name, "hash", sqlite3_column_text(s, 0),
			      "project", sqlite3_column_text(s, 1), "role",
			      sqlite3_column_text(s, 2));
	sqlite3_finalize(s);
	return u;
}
