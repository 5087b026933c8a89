/*
 * vulndb/internal: what the feed parsers share with the database layer. A
 * parser turns one feed record into a struct vdb_rec (rows borrow strings
 * from the parser's JSON, or from the record's own pool) and hands it to
 * vdb_imp_record, which deduplicates, digests and inserts it.
 */
#ifndef PL_VULNDB_INTERNAL_H
#define PL_VULNDB_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/vulndb.h"
#include "util/buf.h"

#define VDB_FIELD_MAX (1u << 20)     /* largest string field stored (1 MiB) */
#define VDB_FILE_MAX (256u << 20)    /* largest single OSV/secdb file or zip entry */
#define VDB_FEED_MAX (4096ull << 20) /* largest tracker JSON / changelog */
#define VDB_WARN_MAX 1000	     /* warnings per import before they are only counted */

/* One statement; strings borrowed until vdb_imp_record returns. */
struct vdb_row {
	const char *ecosystem, *package;
	enum pl_vuln_status status;
	const char *introduced, *fixed, *last_affected;
	const char *versions; /* '\n'-joined, or NULL */
	const char *urgency, *reason, *note;
	const char *cves; /* '\n'-joined, "" when none */
	const char *cvss;
};

struct vdb_rec {
	const char *key;    /* unique within the feed */
	const char *record; /* id shown to users */
	const char *summary, *details, *published, *modified;
	struct vdb_row *rows;
	size_t nrows, caprows;
	char **owned;
	size_t nowned, capowned;
};

void vdb_rec_init(struct vdb_rec *r);
/* Free the pool and the rows; r is empty and reusable. */
void vdb_rec_release(struct vdb_rec *r);
/* Take ownership of s (malloc'd); returns s, or NULL (s freed) on ENOMEM. */
const char *vdb_rec_own(struct vdb_rec *r, char *s);
const char *vdb_rec_strdup(struct vdb_rec *r, const char *s);
/* Append a zeroed row; NULL on ENOMEM. */
struct vdb_row *vdb_rec_row(struct vdb_rec *r);

struct vdb_imp {
	struct pl_vulndb *db;
	enum pl_feed_kind kind;
	const char *file; /* the file being read, for messages */
	int64_t feed_id, old_feed_id;
	uint64_t nrecords;
	struct pl_vulndb_stats *st;
	unsigned nwarn;
	char **warned; /* ecosystems/codenames already warned about */
	size_t nwarned;
};

/* Insert one record; a duplicate key is warned about and skipped. */
int vdb_imp_record(struct vdb_imp *imp, struct vdb_rec *r, struct pl_err *err);
/* Warn "file: record: message" and count the record as skipped. */
void vdb_imp_skip(struct vdb_imp *imp, const char *record, const char *fmt, ...) PL_PRINTF(3, 4);
/* Warn "file: message" (not counted). */
void vdb_imp_warn(struct vdb_imp *imp, const char *fmt, ...) PL_PRINTF(2, 3);
/* True the first time tag is seen in this import. */
bool vdb_imp_first(struct vdb_imp *imp, const char *tag);

/*
 * Start a feed's transaction: *unchanged (and the transaction already
 * closed, st->unchanged counting the feed's records) when kind/name is
 * recorded with this digest. Then vdb_feed_commit or vdb_feed_abort.
 */
int vdb_feed_begin(struct vdb_imp *imp, const char *name, const char *digest, bool *unchanged,
		   struct pl_err *err);
int vdb_feed_commit(struct vdb_imp *imp, struct pl_err *err);
void vdb_feed_abort(struct vdb_imp *imp);
void vdb_imp_release(struct vdb_imp *imp);

/* ---- parsers (one data buffer = one file) ---- */

/* single: the file is the whole feed, so a non-OSV file is PL_EINVAL, not a skip */
int vdb_osv_parse(struct vdb_imp *imp, const char *data, size_t len, bool single,
		  struct pl_err *err);
int vdb_tracker_parse(struct vdb_imp *imp, const char *data, size_t len, struct pl_err *err);
int vdb_secdb_parse(struct vdb_imp *imp, const char *data, size_t len, bool single,
		    struct pl_err *err);
int vdb_changelog_parse(struct vdb_imp *imp, const char *ecosystem, const char *data, size_t len,
			struct pl_err *err);

/* ---- shared helpers (common.c) ---- */

/*
 * Normalise an ecosystem: "Debian:12", "debian:bookworm" -> "debian:12";
 * "Alpine:v3.15" -> "alpine:3.15". Writes into out; false when unknown.
 */
bool vdb_ecosystem(const char *in, char *out, size_t outsz);
/* A source package name worth storing: 1..255 bytes, no space/control/'/'. */
bool vdb_name_ok(const char *s);
/* A record id: 1..255 printable bytes, no spaces. */
bool vdb_id_ok(const char *s);
bool vdb_is_cve(const char *s);
/*
 * Load one JSON value from data; NULL with why filled ("line 3 column 4:
 * ...") when it is not JSON.
 */
json_t *vdb_json_load(const char *data, size_t len, char *why, size_t whysz);
/*
 * Strings from a JSON object: 0 ok (*out NULL when absent or null), -1 when
 * of another type or larger than VDB_FIELD_MAX, with why set.
 */
int vdb_jstr(const json_t *obj, const char *key, const char **out, char *why, size_t whysz);
/* Append s to a '\n'-joined list unless already there. */
int vdb_list_add(struct pl_buf *b, const char *s, struct pl_err *err) PL_WUR;

/* ---- sniffing ---- */
enum pl_feed_kind vdb_sniff(const char *data, size_t len);

#endif
