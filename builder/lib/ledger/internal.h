/*
 * ledger/internal: what the ledger's files share: the handle, cached
 * statements, sqlite error conversion, a bump arena for query results, and
 * two seams for tests (open at an older schema, pause inside an append).
 */
#ifndef PL_LEDGER_INTERNAL_H
#define PL_LEDGER_INTERNAL_H

#include <sqlite3.h>
#include <stdint.h>

#include "lib/ledger.h"

enum ldg_stmt {
	LS_IMAGE,
	LS_BUILD,
	LS_STRING,
	LS_FINDING,
	LS_PATCH,
	LS_EVAL,
	LS_CELL,
	LS_IMAGE_LATEST,
	LS_READ_BUILD,
	LS_READ_STRINGS,
	LS_READ_FINDINGS,
	LS_READ_EVALS,
	LS_NSTMT
};

/* Called inside pl_ledger_append after every insert, before the commit. */
typedef void (*ldg_hook_fn)(void *ctx);

/*
 * Inside a batch (which holds the write lock) the patches upserted so far,
 * by id, with a hash of the metadata written: an unchanged patch is not
 * written again for every build of a bulk import.
 */
struct ldg_pcache {
	char **names;
	int64_t *ids;
	uint64_t *meta;
	size_t cap, n;
};

struct pl_ledger {
	sqlite3 *h;
	char *path;
	int batch; /* inside pl_ledger_batch_begin */
	struct ldg_pcache pc;
	sqlite3_stmt *st[LS_NSTMT];
	ldg_hook_fn hook;
	void *hook_ctx;
};

/* Set err from the handle's last error: "ledger 'PATH': what: sqlite msg". */
int ldg_sql_err(struct pl_ledger *l, const char *what, struct pl_err *err);
int ldg_exec(struct pl_ledger *l, const char *sql, const char *what, struct pl_err *err);
/* A cached statement, reset and unbound. */
int ldg_stmt(struct pl_ledger *l, enum ldg_stmt which, const char *sql, sqlite3_stmt **out,
	     struct pl_err *err);

/* Bump allocator: query results are freed all at once. */
struct ldg_arena {
	struct ldg_chunk *head;
	int oom; /* set by a failed allocation; checked once at the end */
};
void *ldg_alloc(struct ldg_arena *a, size_t n);
/* Copy of s (NULL for NULL, or when out of memory: see oom). */
char *ldg_strdup(struct ldg_arena *a, const char *s);
void ldg_arena_release(struct ldg_arena *a);

/* Split a newline-joined list (cves) into an arena array; NULL text is empty. */
void ldg_split(struct ldg_arena *a, const char *text, const char *const **out, size_t *n);

/* Fill p from 7 columns from c: name, title, severity, cves, advisory, first seen/commit. */
void ldg_patch_from_row(struct ldg_arena *a, sqlite3_stmt *st, int c, struct pl_ledger_patch *p);

/* Read a build's tags, published locations and attestations into b. */
int ldg_read_strings(struct pl_ledger *l, struct ldg_arena *a, int64_t id,
		     struct pl_ledger_build *b, struct pl_err *err);

/* Read builds (with everything they point to) into dst, in ids order. */
int ldg_read_builds(struct pl_ledger *l, struct ldg_arena *a, const int64_t *ids, size_t n,
		    struct pl_ledger_build *dst, struct pl_err *err);

/* Forget the patch cache (on batch end and on any rollback). */
void ldg_pcache_clear(struct ldg_pcache *c);

/* Test seams. */
int ldg_open_version(struct pl_ledger **out, const char *path, int version,
		     struct pl_err *err);
void ldg_set_hook(struct pl_ledger *l, ldg_hook_fn fn, void *ctx);

#endif
