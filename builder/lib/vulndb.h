/*
 * vulndb: the offline vulnerability database, one SQLite file. Imports OSV
 * records (Debian:N and Alpine:vX.Y ecosystems), the Debian security tracker
 * JSON, Alpine secdb (JSON or YAML) and CVE fixes named in Debian changelogs,
 * incrementally and idempotently; records each feed's digest and time; and
 * answers "what is known about source package P in ecosystem E" for the
 * scanner. Ecosystems are normalised: "debian:12" (tracker codenames map to
 * release numbers, sid is "debian:sid"), "alpine:3.15".
 */
#ifndef PL_VULNDB_H
#define PL_VULNDB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/digest.h"
#include "util/err.h"

struct pl_vulndb;

/*
 * Open the database at path (created with the current schema when create is
 * set and it does not exist; an older schema is migrated forward). WAL mode,
 * busy timeout. Free with pl_vulndb_close.
 */
int pl_vulndb_open(struct pl_vulndb **out, const char *path, bool create, struct pl_err *err);
void pl_vulndb_close(struct pl_vulndb *db);

/*
 * Where warnings about skipped records go ("FILE: RECORD: why"); the default
 * (fn NULL) is pl_log_warn. At most 1000 per import are passed on, the rest
 * are only counted in the final "N more warnings" message.
 */
typedef void (*pl_vulndb_warn_fn)(const char *msg, void *ctx);
void pl_vulndb_set_warn(struct pl_vulndb *db, pl_vulndb_warn_fn fn, void *ctx);

enum pl_feed_kind {
	PL_FEED_AUTO = 0,       /* guess from the content */
	PL_FEED_OSV,            /* one OSV JSON record, a directory of them, or a .zip */
	PL_FEED_DEBIAN_TRACKER, /* security-tracker.debian.org/tracker/data/json */
	PL_FEED_ALPINE_SECDB,   /* secdb JSON or YAML */
	PL_FEED_CHANGELOG,      /* see pl_vulndb_import_changelog */
};

const char *pl_feed_kind_name(enum pl_feed_kind k); /* "osv", "debian-tracker", ... */

struct pl_vulndb_stats {
	uint64_t records;  /* records imported or updated */
	uint64_t unchanged;/* records already present with the same content */
	uint64_t skipped;  /* withdrawn, unknown ecosystem, or malformed (each warned about) */
};

/*
 * Import a feed from a file, a directory (every .json and .yaml file below it) or
 * a .zip. Malformed records are skipped with a warning naming the file and
 * record; a file that is not the kind at all is PL_EINVAL naming it. A feed
 * whose digest is already recorded is a no-op (unchanged counts it). The
 * import is one transaction: all of it or nothing.
 */
int pl_vulndb_import_path(struct pl_vulndb *db, const char *path, enum pl_feed_kind kind,
			  struct pl_vulndb_stats *st, struct pl_err *err);

/*
 * The same, recording the feed under name (e.g. the URL it was downloaded
 * from) instead of path, so that the snapshot does not depend on where the
 * file happens to lie. name NULL = path.
 */
int pl_vulndb_import_path_as(struct pl_vulndb *db, const char *path, const char *name,
			     enum pl_feed_kind kind, struct pl_vulndb_stats *st,
			     struct pl_err *err);

/* The same for a feed already in memory; name identifies it (URL or file). */
int pl_vulndb_import_buf(struct pl_vulndb *db, enum pl_feed_kind kind, const char *name,
			 const char *data, size_t len, struct pl_vulndb_stats *st,
			 struct pl_err *err);

/*
 * Record the CVEs a Debian changelog names as fixed: each entry's header
 * ("src (version) dist; urgency=...") gives the version, and every CVE-id in
 * its body is recorded as fixed in that version of source package src, for
 * ecosystem (e.g. "debian:12"). Feed name: what (e.g. the .deb's URL).
 */
int pl_vulndb_import_changelog(struct pl_vulndb *db, const char *ecosystem, const char *what,
			       const char *text, size_t len, struct pl_vulndb_stats *st,
			       struct pl_err *err);

/* The snapshot: sha256 over every feed's (kind, name, digest), in a stable order. */
int pl_vulndb_snapshot(struct pl_vulndb *db, char digest[PL_DIGEST_SIZE], struct pl_err *err);

/* What one feed contributed, for `plinth vulndb info` and reports. */
struct pl_vulndb_feed {
	const char *kind, *name;
	char digest[PL_DIGEST_SIZE];
	int64_t imported_at;
	uint64_t records;
};
typedef int (*pl_vulndb_feed_fn)(const struct pl_vulndb_feed *f, void *ctx, struct pl_err *err);
int pl_vulndb_feeds(struct pl_vulndb *db, pl_vulndb_feed_fn fn, void *ctx, struct pl_err *err);

/* ---- look-ups ---- */

/* docs/vulndb.md has the exact mapping of each feed onto these. */
enum pl_vuln_status {
	PL_VULN_AFFECTED = 0, /* OSV: affected within the range / versions given */
	PL_VULN_FIXED,        /* fixed in `fixed` (tracker "resolved", secdb, changelog) */
	PL_VULN_OPEN,         /* tracker "open"/"undetermined": affected, no fix yet */
	PL_VULN_NOT_AFFECTED, /* tracker fixed_version "0", secdb version "0" */
	PL_VULN_WONT_FIX,     /* tracker open + nodsa (reason "no-dsa", "ignored", "postponed") */
	PL_VULN_EOL,          /* tracker open + urgency "end-of-life" */
};

const char *pl_vuln_status_name(enum pl_vuln_status s);

/*
 * One statement about one source package in one ecosystem. Borrowed during
 * the callback. An OSV affected[] entry gives one AFFECTED statement per
 * interval of its ECOSYSTEM ranges (introduced/fixed/last_affected as
 * written, "0" as NULL) and one more carrying versions[] alone (all range
 * fields NULL); a package is affected when any of them matches. The
 * tracker, secdb and changelog feeds give one statement per (release,
 * CVE), record being the CVE (or TEMP-/XSA- id).
 */
struct pl_vulndb_affected {
	const char *record;        /* feed record id: "DSA-3029-1", "ELA-10-1", "CVE-2023-1234" */
	const char *feed;          /* pl_feed_kind_name */
	const char *feed_name;     /* the file or URL it came from */
	const char *ecosystem;     /* "debian:12" */
	const char *package;       /* source package (Debian), origin (Alpine) */
	enum pl_vuln_status status;
	const char *introduced;    /* NULL = from the beginning ("0") */
	const char *fixed;         /* NULL when there is none */
	const char *last_affected; /* NULL when not given */
	const char *const *versions; /* explicit affected versions (OSV versions[]), NULL-terminated or NULL */
	const char *urgency;       /* tracker urgency as written ("high**", "unimportant"), or NULL */
	const char *reason;        /* nodsa_reason, or NULL */
	const char *const *cves;   /* CVE ids this statement is about, NULL-terminated (never NULL) */
	const char *cvss_vector;   /* "CVSS:3.1/AV:N/...", or NULL */
	const char *summary;       /* or NULL */
	const char *published, *modified; /* RFC 3339 or NULL */
	const char *details;       /* OSV details, or NULL */
	const char *note;          /* tracker nodsa comment ("Minor issue"), or NULL */
};

typedef int (*pl_vulndb_fn)(const struct pl_vulndb_affected *a, void *ctx, struct pl_err *err);

/*
 * Call fn for every statement about package in ecosystem, in a stable
 * order (record id). Ranges are returned as stored: comparing versions is
 * the scanner's job (dpkg or apk ordering by ecosystem).
 */
int pl_vulndb_lookup(struct pl_vulndb *db, const char *ecosystem, const char *package,
		     pl_vulndb_fn fn, void *ctx, struct pl_err *err);

/* "bookworm" -> "12", "sid" -> "sid"; NULL when unknown. */
const char *pl_debian_release(const char *codename);

#endif
