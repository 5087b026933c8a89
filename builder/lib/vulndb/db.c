/*
 * vulndb/db: the SQLite side. Schema and forward migrations, one
 * transaction per feed import (a feed whose digest is already recorded is a
 * no-op; a changed one replaces that feed's rows), record insertion with a
 * per-record digest (so a changed feed reports which records really
 * changed), the snapshot digest, the feed list and look-ups.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "lib/vulndb/internal.h"
#include "util/log.h"

#define SCHEMA_VERSION 2

struct pl_vulndb {
	sqlite3 *h;
	char *path;
	pl_vulndb_warn_fn warn;
	void *warn_ctx;
	sqlite3_stmt *ins_rec, *ins_stmt, *old_rec, *lookup;
};

/*
 * The current layout. Statements point at their record, records at their
 * feed; summary/details live once per record (the tracker repeats a CVE's
 * description for every release otherwise).
 */
static const char schema_v2[] =
    "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "CREATE TABLE feeds(id INTEGER PRIMARY KEY, kind TEXT NOT NULL, name TEXT NOT NULL,"
    " digest TEXT NOT NULL, imported_at INTEGER NOT NULL, records INTEGER NOT NULL);"
    "CREATE INDEX feeds_name ON feeds(kind, name);"
    "CREATE TABLE records(id INTEGER PRIMARY KEY, feed_id INTEGER NOT NULL,"
    " key TEXT NOT NULL, record TEXT NOT NULL, digest BLOB NOT NULL, summary TEXT,"
    " details TEXT, published TEXT, modified TEXT, UNIQUE(feed_id, key));"
    "CREATE TABLE stmts(id INTEGER PRIMARY KEY, rec_id INTEGER NOT NULL,"
    " ecosystem TEXT NOT NULL, package TEXT NOT NULL, status TEXT NOT NULL,"
    " introduced TEXT, fixed TEXT, last_affected TEXT, versions TEXT, urgency TEXT,"
    " reason TEXT, note TEXT, cves TEXT NOT NULL, cvss_vector TEXT);"
    "CREATE INDEX stmts_pkg ON stmts(ecosystem, package);"
    "CREATE INDEX stmts_rec ON stmts(rec_id);";

/*
 * Migrations: migrations[n] takes a database from version n to n + 1.
 * Version 0 is the first layout, before the meta table existed: feeds
 * (same columns as now) and one flat stmts table carrying the record's
 * summary/published/modified on every row. Version 1 only added meta.
 * Version 2 moved the per-record fields into records (with a digest per
 * record, empty for migrated rows, so the next import counts them as
 * updated) and added details and note.
 */
static const char *const migrations[] = {
    /* 0 -> 1 */
    "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);",
    /* 1 -> 2 */
    "CREATE TABLE records(id INTEGER PRIMARY KEY, feed_id INTEGER NOT NULL,"
    " key TEXT NOT NULL, record TEXT NOT NULL, digest BLOB NOT NULL, summary TEXT,"
    " details TEXT, published TEXT, modified TEXT, UNIQUE(feed_id, key));"
    "INSERT INTO records(feed_id, key, record, digest, summary, published, modified)"
    " SELECT feed_id, record, record, x'', max(summary), max(published), max(modified)"
    " FROM stmts GROUP BY feed_id, record;"
    "CREATE TABLE stmts2(id INTEGER PRIMARY KEY, rec_id INTEGER NOT NULL,"
    " ecosystem TEXT NOT NULL, package TEXT NOT NULL, status TEXT NOT NULL,"
    " introduced TEXT, fixed TEXT, last_affected TEXT, versions TEXT, urgency TEXT,"
    " reason TEXT, note TEXT, cves TEXT NOT NULL, cvss_vector TEXT);"
    "INSERT INTO stmts2(id, rec_id, ecosystem, package, status, introduced, fixed,"
    " last_affected, versions, urgency, reason, cves, cvss_vector)"
    " SELECT s.id, r.id, s.ecosystem, s.package, s.status, s.introduced, s.fixed,"
    " s.last_affected, s.versions, s.urgency, s.reason, coalesce(s.cves, ''), s.cvss_vector"
    " FROM stmts s JOIN records r ON r.feed_id = s.feed_id AND r.key = s.record;"
    "DROP TABLE stmts;"
    "ALTER TABLE stmts2 RENAME TO stmts;"
    "DROP INDEX IF EXISTS feeds_name;"
    "CREATE INDEX feeds_name ON feeds(kind, name);"
    "CREATE INDEX stmts_pkg ON stmts(ecosystem, package);"
    "CREATE INDEX stmts_rec ON stmts(rec_id);",
};

static int sql_err(struct pl_vulndb *db, struct pl_err *err, const char *what)
{
	int c = sqlite3_errcode(db->h);
	int code = PL_EIO;

	if (c == SQLITE_NOMEM)
		code = PL_ENOMEM;
	else if (c == SQLITE_NOTADB || c == SQLITE_CORRUPT)
		code = PL_EINVAL;
	return pl_err_set(err, code, "vulnerability database '%s': %s: %s", db->path, what,
			  sqlite3_errmsg(db->h));
}

static int exec(struct pl_vulndb *db, const char *sql, const char *what, struct pl_err *err)
{
	if (sqlite3_exec(db->h, sql, NULL, NULL, NULL) != SQLITE_OK)
		return sql_err(db, err, what);
	return 0;
}

static int prepare(struct pl_vulndb *db, sqlite3_stmt **st, const char *sql, struct pl_err *err)
{
	if (*st) {
		sqlite3_reset(*st);
		sqlite3_clear_bindings(*st);
		return 0;
	}
	if (sqlite3_prepare_v3(db->h, sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL) != SQLITE_OK)
		return sql_err(db, err, "prepare");
	return 0;
}

static bool table_exists(struct pl_vulndb *db, const char *name)
{
	sqlite3_stmt *st = NULL;
	bool yes = false;

	if (sqlite3_prepare_v2(db->h, "SELECT 1 FROM sqlite_master WHERE type='table' AND name=?",
			       -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
		yes = sqlite3_step(st) == SQLITE_ROW;
	}
	sqlite3_finalize(st);
	return yes;
}

/* -1: empty database; else the schema version. */
static int read_version(struct pl_vulndb *db, int *version, struct pl_err *err)
{
	sqlite3_stmt *st = NULL;
	int rc = 0;

	*version = -1;
	if (!table_exists(db, "meta")) {
		/* sqlite reads the header lazily: make a non-database fail here */
		if (exec(db, "SELECT count(*) FROM sqlite_master", "read", err) < 0)
			return err->code;
		if (table_exists(db, "feeds"))
			*version = 0;
		return 0;
	}
	if (sqlite3_prepare_v2(db->h, "SELECT value FROM meta WHERE key='schema_version'", -1, &st,
			       NULL) != SQLITE_OK)
		return sql_err(db, err, "read the schema version");
	if (sqlite3_step(st) == SQLITE_ROW) {
		const char *v = (const char *)sqlite3_column_text(st, 0);
		char *end = NULL;
		long n = v ? strtol(v, &end, 10) : -1;

		if (!v || *end || n < 0 || n > 1000000)
			rc = pl_err_set(err, PL_EINVAL,
					"vulnerability database '%s': bad schema_version '%s'",
					db->path, v ? v : "");
		else
			*version = (int)n;
	} else {
		*version = 0;
	}
	sqlite3_finalize(st);
	return rc;
}

static int set_version(struct pl_vulndb *db, int v, struct pl_err *err)
{
	char sql[128];

	snprintf(sql, sizeof(sql),
		 "INSERT OR REPLACE INTO meta(key, value) VALUES('schema_version', '%d')", v);
	return exec(db, sql, "set the schema version", err);
}

static int migrate(struct pl_vulndb *db, struct pl_err *err)
{
	int rc, version;

	rc = exec(db, "BEGIN IMMEDIATE", "begin", err);
	if (rc < 0)
		return rc;
	rc = read_version(db, &version, err);
	if (rc < 0)
		goto out;
	if (version > SCHEMA_VERSION) {
		rc =
		    pl_err_set(err, PL_EINVAL,
			       "vulnerability database '%s' has schema version %d, newer than this "
			       "plinth knows (%d): use a newer plinth or a new database",
			       db->path, version, SCHEMA_VERSION);
		goto out;
	}
	if (version < 0) {
		rc = exec(db, schema_v2, "create the schema", err);
		if (rc == 0)
			rc = set_version(db, SCHEMA_VERSION, err);
	} else {
		for (; version < SCHEMA_VERSION && rc == 0; version++) {
			pl_log_info("vulnerability database '%s': migrating schema %d -> %d",
				    db->path, version, version + 1);
			rc = exec(db, migrations[version], "migrate the schema", err);
			if (rc == 0)
				rc = set_version(db, version + 1, err);
		}
	}
out:
	if (rc < 0) {
		sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
		return rc;
	}
	return exec(db, "COMMIT", "commit", err);
}

int pl_vulndb_open(struct pl_vulndb **out, const char *path, bool create, struct pl_err *err)
{
	struct pl_vulndb *db = NULL;
	int rc = 0;
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;

	*out = NULL;
	if (!create && access(path, F_OK) != 0)
		return pl_err_errno(err, errno == ENOENT ? PL_ENOTFOUND : PL_EIO,
				    "vulnerability database '%s'", path);
	if (create)
		flags |= SQLITE_OPEN_CREATE;
	db = calloc(1, sizeof(*db));
	if (!db || !(db->path = strdup(path))) {
		free(db);
		return pl_err_set(err, PL_ENOMEM, "out of memory");
	}
	if (sqlite3_open_v2(path, &db->h, flags, NULL) != SQLITE_OK) {
		rc = db->h ? sql_err(db, err, "open")
			   : pl_err_set(err, PL_ENOMEM, "out of memory opening '%s'", path);
		goto out;
	}
	sqlite3_extended_result_codes(db->h, 0);
	sqlite3_busy_timeout(db->h, 10000);
	rc = exec(db, "PRAGMA journal_mode=WAL", "enable WAL", err);
	if (rc == 0)
		rc = exec(db, "PRAGMA synchronous=NORMAL", "set synchronous", err);
	/* an import is one big transaction: keep its index pages in memory */
	if (rc == 0)
		rc = exec(db, "PRAGMA cache_size=-65536", "set the cache size", err);
	/* and do not keep a WAL as large as the largest import around afterwards */
	if (rc == 0)
		rc = exec(db, "PRAGMA journal_size_limit=16777216", "limit the WAL", err);
	if (rc == 0)
		rc = migrate(db, err);
out:
	if (rc < 0) {
		pl_vulndb_close(db);
		return rc;
	}
	*out = db;
	return 0;
}

void pl_vulndb_close(struct pl_vulndb *db)
{
	if (!db)
		return;
	sqlite3_finalize(db->ins_rec);
	sqlite3_finalize(db->ins_stmt);
	sqlite3_finalize(db->old_rec);
	sqlite3_finalize(db->lookup);
	sqlite3_close(db->h);
	free(db->path);
	free(db);
}

void pl_vulndb_set_warn(struct pl_vulndb *db, pl_vulndb_warn_fn fn, void *ctx)
{
	db->warn = fn;
	db->warn_ctx = ctx;
}

const char *pl_feed_kind_name(enum pl_feed_kind k)
{
	switch (k) {
	case PL_FEED_AUTO:
		return "auto";
	case PL_FEED_OSV:
		return "osv";
	case PL_FEED_DEBIAN_TRACKER:
		return "debian-tracker";
	case PL_FEED_ALPINE_SECDB:
		return "alpine-secdb";
	case PL_FEED_CHANGELOG:
		return "changelog";
	}
	return "unknown";
}

static const char *const status_names[] = {"affected",	   "fixed",    "open",
					   "not-affected", "wont-fix", "eol"};

const char *pl_vuln_status_name(enum pl_vuln_status s)
{
	if ((unsigned)s < sizeof(status_names) / sizeof(status_names[0]))
		return status_names[s];
	return "unknown";
}

static enum pl_vuln_status status_from_name(const char *s)
{
	for (size_t i = 0; s && i < sizeof(status_names) / sizeof(status_names[0]); i++)
		if (strcmp(s, status_names[i]) == 0)
			return (enum pl_vuln_status)i;
	return PL_VULN_AFFECTED; /* a row written by a newer plinth: the safe reading */
}

/* ---- records ---- */

void vdb_rec_init(struct vdb_rec *r)
{
	memset(r, 0, sizeof(*r));
}

void vdb_rec_release(struct vdb_rec *r)
{
	for (size_t i = 0; i < r->nowned; i++)
		free(r->owned[i]);
	free(r->owned);
	free(r->rows);
	vdb_rec_init(r);
}

const char *vdb_rec_own(struct vdb_rec *r, char *s)
{
	if (!s)
		return NULL;
	if (r->nowned == r->capowned) {
		size_t cap = r->capowned ? r->capowned * 2 : 8;
		char **v = realloc(r->owned, cap * sizeof(*v));

		if (!v) {
			free(s);
			return NULL;
		}
		r->owned = v;
		r->capowned = cap;
	}
	r->owned[r->nowned++] = s;
	return s;
}

const char *vdb_rec_strdup(struct vdb_rec *r, const char *s)
{
	return vdb_rec_own(r, strdup(s));
}

struct vdb_row *vdb_rec_row(struct vdb_rec *r)
{
	if (r->nrows == r->caprows) {
		size_t cap = r->caprows ? r->caprows * 2 : 4;
		struct vdb_row *v = realloc(r->rows, cap * sizeof(*v));

		if (!v)
			return NULL;
		r->rows = v;
		r->caprows = cap;
	}
	memset(&r->rows[r->nrows], 0, sizeof(r->rows[0]));
	return &r->rows[r->nrows++];
}

/* ---- import ---- */

static void emit(struct vdb_imp *imp, const char *msg)
{
	imp->nwarn++;
	if (imp->nwarn > VDB_WARN_MAX)
		return;
	if (imp->db->warn)
		imp->db->warn(msg, imp->db->warn_ctx);
	else
		pl_log_warn("%s", msg);
}

void vdb_imp_warn(struct vdb_imp *imp, const char *fmt, ...)
{
	char msg[1024];
	int n = snprintf(msg, sizeof(msg), "%s: ", imp->file ? imp->file : "?");
	va_list ap;

	if (n < 0 || (size_t)n >= sizeof(msg))
		n = 0;
	va_start(ap, fmt);
	vsnprintf(msg + n, sizeof(msg) - (size_t)n, fmt, ap);
	va_end(ap);
	emit(imp, msg);
}

void vdb_imp_skip(struct vdb_imp *imp, const char *record, const char *fmt, ...)
{
	char msg[1024];
	int n = snprintf(msg, sizeof(msg), "%s: %s: ", imp->file ? imp->file : "?",
			 record && *record ? record : "(no id)");
	va_list ap;

	if (n < 0 || (size_t)n >= sizeof(msg))
		n = 0;
	va_start(ap, fmt);
	vsnprintf(msg + n, sizeof(msg) - (size_t)n, fmt, ap);
	va_end(ap);
	emit(imp, msg);
	imp->st->skipped++;
}

bool vdb_imp_first(struct vdb_imp *imp, const char *tag)
{
	char **v;

	for (size_t i = 0; i < imp->nwarned; i++)
		if (strcmp(imp->warned[i], tag) == 0)
			return false;
	if (imp->nwarned >= 256)
		return false; /* enough said */
	v = realloc(imp->warned, (imp->nwarned + 1) * sizeof(*v));
	if (!v)
		return true;
	imp->warned = v;
	if ((v[imp->nwarned] = strdup(tag)) != NULL)
		imp->nwarned++;
	return true;
}

static void hash_str(struct pl_sha256 *h, const char *s)
{
	if (s)
		pl_sha256_update(h, s, strlen(s) + 1);
	else
		pl_sha256_update(h, "\xff", 1);
}

static int bind_opt(sqlite3_stmt *st, int i, const char *s)
{
	return s ? sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC) : sqlite3_bind_null(st, i);
}

int vdb_imp_record(struct vdb_imp *imp, struct vdb_rec *r, struct pl_err *err)
{
	struct pl_vulndb *db = imp->db;
	struct pl_sha256 h = {NULL};
	unsigned char digest[PL_SHA256_LEN];
	sqlite3_int64 rec_id;
	int rc, s;
	bool same = false;

	rc = pl_sha256_init(&h, err);
	if (rc < 0)
		return rc;
	hash_str(&h, r->key);
	hash_str(&h, r->record);
	hash_str(&h, r->summary);
	hash_str(&h, r->details);
	hash_str(&h, r->published);
	hash_str(&h, r->modified);
	for (size_t i = 0; i < r->nrows; i++) {
		const struct vdb_row *w = &r->rows[i];

		hash_str(&h, w->ecosystem);
		hash_str(&h, w->package);
		hash_str(&h, pl_vuln_status_name(w->status));
		hash_str(&h, w->introduced);
		hash_str(&h, w->fixed);
		hash_str(&h, w->last_affected);
		hash_str(&h, w->versions);
		hash_str(&h, w->urgency);
		hash_str(&h, w->reason);
		hash_str(&h, w->note);
		hash_str(&h, w->cves);
		hash_str(&h, w->cvss);
	}
	pl_sha256_final(&h, digest);
	pl_sha256_release(&h);

	rc = prepare(db, &db->ins_rec,
		     "INSERT OR IGNORE INTO records(feed_id, key, record, digest, summary, details,"
		     " published, modified) VALUES(?, ?, ?, ?, ?, ?, ?, ?)",
		     err);
	if (rc < 0)
		return rc;
	sqlite3_bind_int64(db->ins_rec, 1, imp->feed_id);
	sqlite3_bind_text(db->ins_rec, 2, r->key, -1, SQLITE_STATIC);
	sqlite3_bind_text(db->ins_rec, 3, r->record, -1, SQLITE_STATIC);
	sqlite3_bind_blob(db->ins_rec, 4, digest, sizeof(digest), SQLITE_STATIC);
	bind_opt(db->ins_rec, 5, r->summary);
	bind_opt(db->ins_rec, 6, r->details);
	bind_opt(db->ins_rec, 7, r->published);
	bind_opt(db->ins_rec, 8, r->modified);
	if (sqlite3_step(db->ins_rec) != SQLITE_DONE)
		return sql_err(db, err, "insert a record");
	if (sqlite3_changes(db->h) == 0) {
		vdb_imp_skip(imp, r->record, "duplicate record '%s' in this feed, skipped", r->key);
		return 0;
	}
	rec_id = sqlite3_last_insert_rowid(db->h);

	if (imp->old_feed_id) {
		rc = prepare(db, &db->old_rec,
			     "SELECT digest FROM records WHERE feed_id = ? AND key = ?", err);
		if (rc < 0)
			return rc;
		sqlite3_bind_int64(db->old_rec, 1, imp->old_feed_id);
		sqlite3_bind_text(db->old_rec, 2, r->key, -1, SQLITE_STATIC);
		s = sqlite3_step(db->old_rec);
		if (s == SQLITE_ROW)
			same = sqlite3_column_bytes(db->old_rec, 0) == (int)sizeof(digest) &&
			       memcmp(sqlite3_column_blob(db->old_rec, 0), digest,
				      sizeof(digest)) == 0;
		else if (s != SQLITE_DONE)
			return sql_err(db, err, "read a record");
		sqlite3_reset(db->old_rec);
	}

	rc = prepare(db, &db->ins_stmt,
		     "INSERT INTO stmts(rec_id, ecosystem, package, status, introduced, fixed,"
		     " last_affected, versions, urgency, reason, note, cves, cvss_vector)"
		     " VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
		     err);
	for (size_t i = 0; rc == 0 && i < r->nrows; i++) {
		const struct vdb_row *w = &r->rows[i];
		sqlite3_stmt *st = db->ins_stmt;

		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, rec_id);
		sqlite3_bind_text(st, 2, w->ecosystem, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, w->package, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, pl_vuln_status_name(w->status), -1, SQLITE_STATIC);
		bind_opt(st, 5, w->introduced);
		bind_opt(st, 6, w->fixed);
		bind_opt(st, 7, w->last_affected);
		bind_opt(st, 8, w->versions);
		bind_opt(st, 9, w->urgency);
		bind_opt(st, 10, w->reason);
		bind_opt(st, 11, w->note);
		sqlite3_bind_text(st, 12, w->cves ? w->cves : "", -1, SQLITE_STATIC);
		bind_opt(st, 13, w->cvss);
		if (sqlite3_step(st) != SQLITE_DONE)
			rc = sql_err(db, err, "insert a statement");
	}
	if (rc < 0)
		return rc;
	imp->nrecords++;
	if (same)
		imp->st->unchanged++;
	else
		imp->st->records++;
	return 0;
}

int vdb_feed_begin(struct vdb_imp *imp, const char *name, const char *digest, bool *unchanged,
		   struct pl_err *err)
{
	struct pl_vulndb *db = imp->db;
	sqlite3_stmt *st = NULL;
	int rc, s;

	*unchanged = false;
	rc = exec(db, "BEGIN IMMEDIATE", "begin the import", err);
	if (rc < 0)
		return rc;
	if (sqlite3_prepare_v2(db->h,
			       "SELECT id, digest, records FROM feeds WHERE kind = ? AND name = ?"
			       " ORDER BY id DESC LIMIT 1",
			       -1, &st, NULL) != SQLITE_OK) {
		rc = sql_err(db, err, "find the feed");
		goto out;
	}
	sqlite3_bind_text(st, 1, pl_feed_kind_name(imp->kind), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	s = sqlite3_step(st);
	if (s == SQLITE_ROW) {
		const char *d = (const char *)sqlite3_column_text(st, 1);

		if (d && strcmp(d, digest) == 0) {
			imp->st->unchanged += (uint64_t)sqlite3_column_int64(st, 2);
			*unchanged = true;
			sqlite3_finalize(st);
			st = NULL;
			rc = exec(db, "COMMIT", "commit", err);
			goto out;
		}
		imp->old_feed_id = sqlite3_column_int64(st, 0);
	} else if (s != SQLITE_DONE) {
		rc = sql_err(db, err, "find the feed");
		goto out;
	}
	sqlite3_finalize(st);
	st = NULL;
	if (sqlite3_prepare_v2(db->h,
			       "INSERT INTO feeds(kind, name, digest, imported_at, records)"
			       " VALUES(?, ?, ?, ?, 0)",
			       -1, &st, NULL) != SQLITE_OK) {
		rc = sql_err(db, err, "record the feed");
		goto out;
	}
	sqlite3_bind_text(st, 1, pl_feed_kind_name(imp->kind), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, digest, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)time(NULL));
	if (sqlite3_step(st) != SQLITE_DONE) {
		rc = sql_err(db, err, "record the feed");
		goto out;
	}
	imp->feed_id = sqlite3_last_insert_rowid(db->h);
out:
	sqlite3_finalize(st);
	if (rc < 0)
		sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

static int exec_id(struct pl_vulndb *db, const char *sql, int64_t id, struct pl_err *err)
{
	sqlite3_stmt *st = NULL;
	int rc = 0;

	if (sqlite3_prepare_v2(db->h, sql, -1, &st, NULL) != SQLITE_OK)
		return sql_err(db, err, "prepare");
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, id);
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = sql_err(db, err, "update");
	sqlite3_finalize(st);
	return rc;
}

int vdb_feed_commit(struct vdb_imp *imp, struct pl_err *err)
{
	struct pl_vulndb *db = imp->db;
	sqlite3_stmt *st = NULL;
	int rc = 0;

	if (imp->nwarn > VDB_WARN_MAX) {
		char msg[256];

		snprintf(msg, sizeof(msg), "%s: %u more warnings not shown", imp->file,
			 imp->nwarn - VDB_WARN_MAX);
		imp->nwarn = 0;
		emit(imp, msg);
	}
	if (imp->old_feed_id) {
		rc = exec_id(db,
			     "DELETE FROM stmts WHERE rec_id IN (SELECT id FROM records WHERE"
			     " feed_id = ?)",
			     imp->old_feed_id, err);
		if (rc == 0)
			rc = exec_id(db, "DELETE FROM records WHERE feed_id = ?", imp->old_feed_id,
				     err);
		if (rc == 0)
			rc = exec_id(db, "DELETE FROM feeds WHERE id = ?", imp->old_feed_id, err);
	}
	if (rc == 0) {
		if (sqlite3_prepare_v2(db->h, "UPDATE feeds SET records = ? WHERE id = ?", -1, &st,
				       NULL) != SQLITE_OK) {
			rc = sql_err(db, err, "update the feed");
		} else {
			sqlite3_bind_int64(st, 1, (sqlite3_int64)imp->nrecords);
			sqlite3_bind_int64(st, 2, imp->feed_id);
			if (sqlite3_step(st) != SQLITE_DONE)
				rc = sql_err(db, err, "update the feed");
		}
		sqlite3_finalize(st);
	}
	if (rc == 0)
		rc = exec(db, "COMMIT", "commit the import", err);
	if (rc < 0)
		sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

void vdb_feed_abort(struct vdb_imp *imp)
{
	if (imp->db && !sqlite3_get_autocommit(imp->db->h))
		sqlite3_exec(imp->db->h, "ROLLBACK", NULL, NULL, NULL);
}

void vdb_imp_release(struct vdb_imp *imp)
{
	for (size_t i = 0; i < imp->nwarned; i++)
		free(imp->warned[i]);
	free(imp->warned);
	imp->warned = NULL;
	imp->nwarned = 0;
}

/* ---- queries ---- */

int pl_vulndb_snapshot(struct pl_vulndb *db, char digest[PL_DIGEST_SIZE], struct pl_err *err)
{
	sqlite3_stmt *st = NULL;
	struct pl_sha256 h = {NULL};
	int rc, s;

	if (sqlite3_prepare_v2(db->h,
			       "SELECT kind, name, digest FROM feeds ORDER BY kind, name, digest",
			       -1, &st, NULL) != SQLITE_OK)
		return sql_err(db, err, "list the feeds");
	rc = pl_sha256_init(&h, err);
	while (rc == 0 && (s = sqlite3_step(st)) == SQLITE_ROW) {
		for (int i = 0; i < 3; i++) {
			const char *v = (const char *)sqlite3_column_text(st, i);

			pl_sha256_update(&h, v ? v : "", v ? strlen(v) : 0);
			pl_sha256_update(&h, i == 2 ? "\n" : "", 1);
		}
	}
	if (rc == 0 && s != SQLITE_DONE)
		rc = sql_err(db, err, "list the feeds");
	if (rc == 0)
		pl_sha256_final_digest(&h, digest);
	pl_sha256_release(&h);
	sqlite3_finalize(st);
	return rc;
}

int pl_vulndb_feeds(struct pl_vulndb *db, pl_vulndb_feed_fn fn, void *ctx, struct pl_err *err)
{
	sqlite3_stmt *st = NULL;
	int rc = 0, s;

	if (sqlite3_prepare_v2(db->h,
			       "SELECT kind, name, digest, imported_at, records FROM feeds"
			       " ORDER BY kind, name",
			       -1, &st, NULL) != SQLITE_OK)
		return sql_err(db, err, "list the feeds");
	while (rc == 0 && (s = sqlite3_step(st)) == SQLITE_ROW) {
		struct pl_vulndb_feed f;
		const char *d = (const char *)sqlite3_column_text(st, 2);

		memset(&f, 0, sizeof(f));
		f.kind = (const char *)sqlite3_column_text(st, 0);
		f.name = (const char *)sqlite3_column_text(st, 1);
		snprintf(f.digest, sizeof(f.digest), "%s", d ? d : "");
		f.imported_at = sqlite3_column_int64(st, 3);
		f.records = (uint64_t)sqlite3_column_int64(st, 4);
		rc = fn(&f, ctx, err);
	}
	if (rc == 0 && s != SQLITE_DONE)
		rc = sql_err(db, err, "list the feeds");
	sqlite3_finalize(st);
	return rc;
}

/* Split a '\n'-joined list into a NULL-terminated array (one allocation). */
static char **split_list(const char *s)
{
	size_t n = 0, len = s ? strlen(s) : 0;
	char **v, *copy;
	size_t k = 0;

	if (len)
		n = 1;
	for (size_t i = 0; i < len; i++)
		n += s[i] == '\n';
	v = malloc((n + 1) * sizeof(*v) + len + 1);
	if (!v)
		return NULL;
	copy = (char *)(v + n + 1);
	memcpy(copy, s ? s : "", len + 1);
	if (len) {
		v[k++] = copy;
		for (char *p = copy; *p; p++)
			if (*p == '\n') {
				*p = '\0';
				v[k++] = p + 1;
			}
	}
	v[k] = NULL;
	return v;
}

static const char *col(sqlite3_stmt *st, int i)
{
	return (const char *)sqlite3_column_text(st, i);
}

int pl_vulndb_lookup(struct pl_vulndb *db, const char *ecosystem, const char *package,
		     pl_vulndb_fn fn, void *ctx, struct pl_err *err)
{
	char eco[80];
	int rc, s;

	/* accept "Debian:12" / "bookworm"-style spellings from callers too */
	if (!vdb_ecosystem(ecosystem, eco, sizeof(eco)))
		snprintf(eco, sizeof(eco), "%s", ecosystem);
	rc = prepare(
	    db, &db->lookup,
	    "SELECT r.record, f.kind, f.name, s.ecosystem, s.package, s.status,"
	    " s.introduced, s.fixed, s.last_affected, s.versions, s.urgency, s.reason,"
	    " s.cves, s.cvss_vector, r.summary, r.published, r.modified, r.details, s.note"
	    " FROM stmts s JOIN records r ON r.id = s.rec_id JOIN feeds f ON f.id = r.feed_id"
	    " WHERE s.ecosystem = ? AND s.package = ?"
	    " ORDER BY r.record, f.kind, f.name, s.id",
	    err);
	if (rc < 0)
		return rc;
	sqlite3_bind_text(db->lookup, 1, eco, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(db->lookup, 2, package, -1, SQLITE_TRANSIENT);
	while (rc == 0 && (s = sqlite3_step(db->lookup)) == SQLITE_ROW) {
		struct pl_vulndb_affected a;
		sqlite3_stmt *st = db->lookup;
		char **versions = NULL, **cves = NULL;

		memset(&a, 0, sizeof(a));
		a.record = col(st, 0);
		a.feed = col(st, 1);
		a.feed_name = col(st, 2);
		a.ecosystem = col(st, 3);
		a.package = col(st, 4);
		a.status = status_from_name(col(st, 5));
		a.introduced = col(st, 6);
		a.fixed = col(st, 7);
		a.last_affected = col(st, 8);
		if (col(st, 9) && !(versions = split_list(col(st, 9))))
			rc = pl_err_set(err, PL_ENOMEM, "out of memory");
		a.urgency = col(st, 10);
		a.reason = col(st, 11);
		if (rc == 0 && !(cves = split_list(col(st, 12))))
			rc = pl_err_set(err, PL_ENOMEM, "out of memory");
		a.cvss_vector = col(st, 13);
		a.summary = col(st, 14);
		a.published = col(st, 15);
		a.modified = col(st, 16);
		a.details = col(st, 17);
		a.note = col(st, 18);
		a.versions = (const char *const *)versions;
		a.cves = (const char *const *)cves;
		if (rc == 0)
			rc = fn(&a, ctx, err);
		free(versions);
		free(cves);
	}
	if (rc == 0 && s != SQLITE_DONE)
		rc = sql_err(db, err, "look up");
	sqlite3_reset(db->lookup);
	return rc;
}
