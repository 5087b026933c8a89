/*
 * ledger/db: opening the ledger, its schema and forward migrations, sqlite
 * error conversion, cached statements and batches. The schema version is
 * PRAGMA user_version; migrations[n] takes a ledger from version n to n + 1
 * and all pending ones run in one transaction.
 */
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/ledger/internal.h"
#include "util/fsutil.h"
#include "util/log.h"

/*
 * images and cells are derived from builds and build_patches, maintained
 * by every append in its transaction, so that the rollout reads one row per
 * (image, patch) instead of the whole history: cells holds, per image and
 * patch, the newest build that evaluated the patch (eval, applied), the
 * newest successful build that applied it (carrier) and the newest such
 * build that was published (pub). build_strings holds the lists of a build:
 * kind 0 tags, 1 published locations, 2 attestation digests. build_patches
 * and cells, a hundred rows per build, carry no foreign keys: the append
 * writes them with their build in one transaction, and the checks cost a
 * third of a bulk import.
 */
static const char *const migrations[] = {
    /* 0 -> 1: the initial schema */
    "CREATE TABLE images(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE,"
    " latest INTEGER, latest_success INTEGER);"
    "CREATE TABLE builds(id INTEGER PRIMARY KEY,"
    " image INTEGER NOT NULL REFERENCES images(id),"
    " started INTEGER NOT NULL, finished INTEGER NOT NULL,"
    " outcome INTEGER NOT NULL CHECK(outcome BETWEEN 0 AND 2), message TEXT,"
    " builder_version TEXT, repo_url TEXT, repo_commit TEXT, lock_digest TEXT,"
    " recipe_blob TEXT, base_digest TEXT, vulndb_digest TEXT, inputs_digest TEXT,"
    " image_digest TEXT, signing_key TEXT,"
    " npublished INTEGER NOT NULL DEFAULT 0, npatches INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX builds_image ON builds(image, id);"
    "CREATE TABLE build_strings(build INTEGER NOT NULL REFERENCES builds(id),"
    " kind INTEGER NOT NULL, pos INTEGER NOT NULL, value TEXT NOT NULL,"
    " PRIMARY KEY(build, kind, pos)) WITHOUT ROWID;"
    "CREATE TABLE findings(build INTEGER NOT NULL REFERENCES builds(id),"
    " phase INTEGER NOT NULL, severity INTEGER NOT NULL, fixable INTEGER NOT NULL,"
    " unfixed INTEGER NOT NULL, PRIMARY KEY(build, phase, severity)) WITHOUT ROWID;"
    "CREATE TABLE patches(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, title TEXT,"
    " severity TEXT, cves TEXT, advisory TEXT, first_seen INTEGER NOT NULL,"
    " first_commit TEXT);"
    "CREATE TABLE build_patches(build INTEGER NOT NULL, patch INTEGER NOT NULL,"
    " applied INTEGER NOT NULL,"
    " PRIMARY KEY(build, patch)) WITHOUT ROWID;"
    "CREATE TABLE cells(image INTEGER NOT NULL, patch INTEGER NOT NULL, eval INTEGER NOT NULL,"
    " applied INTEGER NOT NULL, carrier INTEGER, pub INTEGER,"
    " PRIMARY KEY(image, patch)) WITHOUT ROWID;",
    /* 1 -> 2: find the build that produced an image digest */
    "CREATE INDEX builds_digest ON builds(image_digest);",
};

#define NMIGRATIONS ((int)(sizeof(migrations) / sizeof(migrations[0])))
_Static_assert(NMIGRATIONS == PL_LEDGER_SCHEMA_VERSION, "one migration per schema version");

int ldg_sql_err(struct pl_ledger *l, const char *what, struct pl_err *err)
{
	int c = sqlite3_errcode(l->h);
	int code = PL_EIO;

	if (c == SQLITE_NOMEM)
		code = PL_ENOMEM;
	else if (c == SQLITE_NOTADB || c == SQLITE_CORRUPT)
		code = PL_EINVAL;
	return pl_err_set(err, code, "ledger '%s': %s: %s", l->path, what, sqlite3_errmsg(l->h));
}

int ldg_exec(struct pl_ledger *l, const char *sql, const char *what, struct pl_err *err)
{
	if (sqlite3_exec(l->h, sql, NULL, NULL, NULL) != SQLITE_OK)
		return ldg_sql_err(l, what, err);
	return 0;
}

int ldg_stmt(struct pl_ledger *l, enum ldg_stmt which, const char *sql, sqlite3_stmt **out,
	     struct pl_err *err)
{
	sqlite3_stmt **st = &l->st[which];

	if (*st) {
		sqlite3_reset(*st);
		sqlite3_clear_bindings(*st);
	} else if (sqlite3_prepare_v3(l->h, sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL) !=
		   SQLITE_OK) {
		return ldg_sql_err(l, "prepare a statement", err);
	}
	*out = *st;
	return 0;
}

static int user_version(struct pl_ledger *l, int *v, struct pl_err *err)
{
	sqlite3_stmt *st = NULL;
	int rc = 0;

	if (sqlite3_prepare_v2(l->h, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_ROW)
		rc = ldg_sql_err(l, "read the schema version", err);
	else
		*v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return rc;
}

/* Bring the schema to version target (PL_LEDGER_SCHEMA_VERSION but in tests). */
static int migrate(struct pl_ledger *l, int target, struct pl_err *err)
{
	char sql[64];
	int rc, v = 0;

	rc = ldg_exec(l, "BEGIN IMMEDIATE", "begin the schema check", err);
	if (rc < 0)
		return rc;
	rc = user_version(l, &v, err);
	if (rc < 0)
		goto out;
	if (v > NMIGRATIONS) {
		rc = pl_err_set(err, PL_EINVAL,
				"ledger '%s' has schema version %d, newer than this plinth knows "
				"(%d): use a newer plinth",
				l->path, v, NMIGRATIONS);
		goto out;
	}
	for (; v < target && rc == 0; v++) {
		if (v > 0)
			pl_log_info("ledger '%s': migrating schema %d -> %d", l->path, v, v + 1);
		rc = ldg_exec(l, migrations[v], "migrate the schema", err);
		if (rc == 0) {
			snprintf(sql, sizeof(sql), "PRAGMA user_version=%d", v + 1);
			rc = ldg_exec(l, sql, "set the schema version", err);
		}
	}
out:
	if (rc < 0) {
		sqlite3_exec(l->h, "ROLLBACK", NULL, NULL, NULL);
		return rc;
	}
	return ldg_exec(l, "COMMIT", "commit the schema", err);
}

static int make_parent(const char *path, struct pl_err *err)
{
	const char *slash = strrchr(path, '/');
	char *dir = NULL;
	int rc;

	if (!slash || slash == path)
		return 0;
	dir = strndup(path, (size_t)(slash - path));
	if (!dir)
		return pl_err_set(err, PL_ENOMEM, "out of memory");
	rc = pl_mkdir_p(dir, 0755, err);
	if (rc < 0)
		pl_err_wrap(err, "ledger '%s'", path);
	free(dir);
	return rc;
}

int ldg_open_version(struct pl_ledger **out, const char *path, int version,
		     struct pl_err *err)
{
	struct pl_ledger *l = NULL;
	int rc;

	*out = NULL;
	rc = make_parent(path, err);
	if (rc < 0)
		return rc;
	l = calloc(1, sizeof(*l));
	if (!l || !(l->path = strdup(path))) {
		free(l);
		return pl_err_set(err, PL_ENOMEM, "out of memory");
	}
	if (sqlite3_open_v2(path, &l->h,
			    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
			    NULL) != SQLITE_OK) {
		rc = l->h ? ldg_sql_err(l, "open", err)
			  : pl_err_set(err, PL_ENOMEM, "out of memory opening ledger '%s'", path);
		goto out;
	}
	sqlite3_extended_result_codes(l->h, 0);
	sqlite3_busy_timeout(l->h, 10000);
	rc = ldg_exec(l, "PRAGMA journal_mode=WAL", "enable WAL", err);
	/* WAL + NORMAL: a crash loses at most the last commits, never consistency */
	if (rc == 0)
		rc = ldg_exec(l, "PRAGMA synchronous=NORMAL", "set synchronous", err);
	if (rc == 0)
		rc = ldg_exec(l, "PRAGMA foreign_keys=ON", "enable foreign keys", err);
	if (rc == 0)
		rc = ldg_exec(l, "PRAGMA cache_size=-32768", "set the cache size", err);
	if (rc == 0)
		rc = migrate(l, version, err);
out:
	if (rc < 0) {
		pl_ledger_free(l);
		return rc;
	}
	*out = l;
	return 0;
}

int pl_ledger_open(struct pl_ledger **out, const char *path, struct pl_err *err)
{
	return ldg_open_version(out, path, PL_LEDGER_SCHEMA_VERSION, err);
}

void pl_ledger_free(struct pl_ledger *l)
{
	if (!l)
		return;
	if (l->batch)
		sqlite3_exec(l->h, "ROLLBACK", NULL, NULL, NULL);
	ldg_pcache_clear(&l->pc);
	for (int i = 0; i < LS_NSTMT; i++)
		sqlite3_finalize(l->st[i]);
	sqlite3_close(l->h);
	free(l->path);
	free(l);
}

const char *pl_ledger_path(const struct pl_ledger *l)
{
	return l->path;
}

void ldg_set_hook(struct pl_ledger *l, ldg_hook_fn fn, void *ctx)
{
	l->hook = fn;
	l->hook_ctx = ctx;
}

int pl_ledger_batch_begin(struct pl_ledger *l, struct pl_err *err)
{
	int rc;

	assert(!l->batch);
	rc = ldg_exec(l, "BEGIN IMMEDIATE", "begin a batch", err);
	if (rc == 0)
		l->batch = 1;
	ldg_pcache_clear(&l->pc);
	return rc;
}

int pl_ledger_batch_end(struct pl_ledger *l, bool commit, struct pl_err *err)
{
	int rc = 0;

	assert(l->batch);
	l->batch = 0;
	ldg_pcache_clear(&l->pc);
	if (commit)
		rc = ldg_exec(l, "COMMIT", "commit the batch", err);
	if (!commit || rc < 0)
		sqlite3_exec(l->h, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

static const char *const outcome_names[] = {"success", "gate-refused", "error"};
static const char *const state_names[] = {"pending", "built", "published", "failed",
					  "not-applicable"};
static const char *const sev_names[] = {"critical", "high", "medium", "low", "unknown"};

const char *pl_ledger_outcome_name(enum pl_ledger_outcome o)
{
	return (unsigned)o < 3 ? outcome_names[o] : "unknown";
}

const char *pl_ledger_state_name(enum pl_ledger_state s)
{
	return (unsigned)s < 5 ? state_names[s] : "unknown";
}

const char *pl_ledger_severity_name(enum pl_ledger_severity s)
{
	return (unsigned)s < PL_LEDGER_NSEV ? sev_names[s] : "unknown";
}
