/*
 * apt: Debian repositories as apt sees them. Fetches each repository's
 * InRelease (or Release + Release.gpg), verifies it with gpgv against the
 * keyring the curation repo names, trusts only the signed text, then fetches
 * the Packages indexes through fetch (size and sha256 from the verified
 * Release) into an in-memory package index. On top: a deterministic
 * dependency resolver and the lock file (JSON) that pins its result.
 */
#ifndef PL_APT_H
#define PL_APT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/cas.h"
#include "lib/fetch.h"
#include "lib/recipe.h"
#include "util/buf.h"
#include "util/digest.h"
#include "util/err.h"

/* Input limits. */
#define PL_APT_MAX_RELEASE (16u * 1024 * 1024) /* InRelease / Release bytes */
#define PL_APT_MAX_INDEX (1024u * 1024 * 1024) /* one decompressed Packages index */
#define PL_APT_MAX_LOCK (64u * 1024 * 1024)    /* lock file bytes */

/* ---- Release files ---- */

/* One line of the Release's SHA256 list. */
struct pl_apt_release_file {
	char *path; /* relative to dists/<suite>/ ("main/binary-amd64/Packages.xz") */
	uint64_t size;
	char sha256[PL_DIGEST_SIZE]; /* "sha256:<hex>" */
};

struct pl_apt_release {
	char *origin, *label, *suite, *codename; /* NULL when absent */
	char *date_str, *valid_until_str;	 /* as written, NULL when absent */
	int64_t date, valid_until;		 /* Unix seconds, -1 when absent */
	char **archs, **components;		 /* space-separated fields split */
	size_t narchs, ncomponents;
	bool by_hash;			   /* Acquire-By-Hash: yes */
	bool no_support_all;		   /* No-Support-for-Architecture-all: Packages */
	struct pl_apt_release_file *files; /* SHA256 entries, in file order */
	size_t nfiles;
};

/*
 * Parse a Release file's text (already stripped of any signature). what names
 * it in errors. Malformed fields (a SHA256 line that is not "hex size path",
 * an unparseable Date or Valid-Until, a path with ".." or a leading '/') are
 * PL_EINVAL "what: ...". Free with pl_apt_release_free.
 */
int pl_apt_release_parse(const char *data, size_t len, const char *what,
			 struct pl_apt_release **out, struct pl_err *err);
void pl_apt_release_free(struct pl_apt_release *r);

/* The SHA256 entry for path, or NULL. Borrowed. */
const struct pl_apt_release_file *pl_apt_release_find(const struct pl_apt_release *r,
						      const char *path);

/*
 * Split a clearsigned message as apt does: it must start with "-----BEGIN PGP
 * SIGNED MESSAGE-----", carry only Hash: armour headers, hold exactly one
 * signed text and one signature block, and nothing but whitespace may follow.
 * The dash-escaped signed text (without the newline that belongs to the
 * signature armour) is appended to out. Anything else is PL_EVERIFY "what:
 * ...": text outside the signature is never trusted.
 */
int pl_apt_clearsigned_text(const char *data, size_t len, const char *what, struct pl_buf *out,
			    struct pl_err *err);

/* RFC 2822 dates as Release files write them ("Sat, 10 Jun 2023 08:57:55 UTC"). */
int pl_apt_parse_date(const char *s, int64_t *out, struct pl_err *err);

/*
 * Verify a signature with gpgv, as apt does: the keyring bytes (a binary
 * OpenPGP keyring, or an ASCII-armoured key which is dearmoured first) go to
 * a temporary file, gpgv runs with --status-fd (fork/exec, no shell), and the
 * result is good only when gpgv reports a GOODSIG and VALIDSIG, no BADSIG,
 * expired or revoked key, and the digest algorithm is not weak (MD5, SHA-1,
 * RIPEMD-160). Signatures by keys absent from the keyring are ignored when
 * another signature is good (several Debian keys sign each InRelease).
 * sig NULL: data is a clearsigned message; otherwise sig is a detached
 * signature of data. Failure is PL_EVERIFY with gpgv's reason in err (the
 * caller wraps it); a missing gpgv is PL_EIO. gpgv NULL runs "gpgv" from PATH.
 */
int pl_apt_gpgv_verify(const char *gpgv, const void *keyring, size_t keyring_len, const char *data,
		       size_t len, const char *sig, size_t sig_len, struct pl_err *err);

/* ---- repositories and the package index ---- */

/* One repository to open: its settings and its keyring's bytes (from git). */
struct pl_apt_source {
	const struct pl_settings_repo *repo;
	const void *keyring; /* keys/<repo->keyring> bytes; NULL only with repo->trusted */
	size_t keyring_len;
};

struct pl_apt_opts {
	const char *arch;      /* Debian architecture ("amd64"); required */
	const char *cache_dir; /* last verified InRelease per repo goes under
				  <cache_dir>/apt/; NULL keeps none */
	bool offline;	       /* use the cached InRelease (re-verified) and cached
				  indexes only; the fetch should be offline too */
	bool allow_expired;    /* accept a Release past its Valid-Until (apt's
				  Acquire::Check-Valid-Until=false) */
	int64_t now;	       /* clock for Valid-Until; 0 = time(NULL) */
	const char *gpgv;      /* gpgv binary; NULL = "gpgv" from PATH */
};

/* A binary package of the index. Strings are owned by the pl_apt. */
struct pl_apt_pkg {
	const char *name, *version, *arch;
	const char *depends, *pre_depends, *provides; /* raw fields, NULL when absent */
	const char *conflicts, *breaks;
	const char *priority, *multi_arch;   /* NULL when absent */
	const char *source, *source_version; /* Source: name and version, defaulting
						to the package's own */
	const char *filename;		     /* pool path relative to the repo url */
	int64_t size;
	char sha256[PL_DIGEST_SIZE]; /* "sha256:<hex>" */
	bool essential;
	size_t repo; /* index of its repository (source order) */
};

/* What pl_apt_open learnt of a repository. Borrowed from the pl_apt. */
struct pl_apt_repo_info {
	const char *name, *url, *suite;
	const struct pl_apt_release *release;
	char release_sha256[PL_DIGEST_SIZE]; /* of the signed Release text */
	bool verified;			     /* false: trusted without a signature check */
	size_t npkgs;			     /* packages it contributed */
};

struct pl_apt;

/*
 * Open n repositories in order (the order is the tie-break for equal
 * versions): fetch and verify each Release, fetch the Packages index of
 * every configured component for o->arch (and binary-all when the Release
 * splits it out) through f, whose blobs land in cas (the fetch's own cache),
 * and parse them. Signature failures are PL_EVERIFY "repository 'NAME':
 * InRelease signature does not verify with keys/X: <reason>"; an index that
 * does not match the Release is PL_EVERIFY naming the index; an expired
 * Release is PL_EVERIFY unless o->allow_expired. Free with pl_apt_free.
 */
int pl_apt_open(struct pl_apt **out, const struct pl_apt_source *src, size_t n, struct pl_fetch *f,
		struct pl_cas *cas, const struct pl_apt_opts *o, struct pl_err *err);
void pl_apt_free(struct pl_apt *a);

size_t pl_apt_nrepos(const struct pl_apt *a);
const struct pl_apt_repo_info *pl_apt_repo(const struct pl_apt *a, size_t i);

/*
 * Every version of the binary package name (for the opened architecture and
 * 'all'), highest first, equal versions in repository order. *n = 0 when
 * there is none. Borrowed.
 */
const struct pl_apt_pkg *const *pl_apt_lookup(const struct pl_apt *a, const char *name, size_t *n);

/* Full download URL of a package ("<repo url>/<Filename>"), malloc'd. */
char *pl_apt_pkg_url(const struct pl_apt *a, const struct pl_apt_pkg *p);

/* ---- resolver ---- */

struct pl_apt_resolve_opts {
	bool essential;	  /* also install every Essential: yes package */
	bool required;	  /* also install every Priority: required package */
	size_t max_steps; /* backtracking budget; 0 = 200000 */
};

/* A resolution: chosen packages sorted by name. Pointers borrowed from the pl_apt. */
struct pl_apt_resolution {
	const struct pl_apt_pkg **pkgs;
	size_t n;
	char **requested; /* the requests as given, owned */
	size_t nrequested;
};

/*
 * Resolve requests for the opened architecture. A request is a package name,
 * "name=version", or a dependency expression ("name (>= 2)", "a | b").
 * Depends and Pre-Depends are followed transitively; an alternative already
 * chosen (or provided by a chosen package) is preferred, otherwise the first
 * satisfiable alternative in order; a name resolves to its highest allowed
 * version across repositories (equal versions: the earlier repository),
 * falling back to packages that Provide it (versioned provides honoured).
 * "x:any" is allowed when x is Multi-Arch: allowed. Recommends and Suggests
 * are ignored. Unsatisfiable requests and Conflicts/Breaks among chosen
 * packages are PL_EINVAL naming the chain ("cannot install 'a': a depends
 * on 'b (>= 2)', which needs 'libc6 (>= 9.0)'; repository 'bookworm' has
 * only 2.36-9"). Release res with pl_apt_resolution_release.
 */
int pl_apt_resolve(const struct pl_apt *a, const char *const *requests, size_t nrequests,
		   const struct pl_apt_resolve_opts *o, struct pl_apt_resolution *res,
		   struct pl_err *err);
void pl_apt_resolution_release(struct pl_apt_resolution *res);

/* ---- lock file ----
 *
 * recipes/<name>.lock.json, written pretty with sorted keys:
 *
 *   {
 *     "version": 1,
 *     "architecture": "amd64",
 *     "requested": ["base-files", "busybox"],
 *     "repositories": {
 *       "bookworm": {"url": "http://deb.debian.org/debian", "suite": "bookworm",
 *                    "release_sha256": "<hex of the signed Release text>"}
 *     },
 *     "packages": [                           (sorted by name, names unique)
 *       {"name": "busybox", "version": "1:1.35.0-4+b3", "architecture": "amd64",
 *        "repository": "bookworm",            (a key of "repositories")
 *        "url": "http://deb.debian.org/debian/pool/main/b/busybox/busybox_...deb",
 *        "filename": "pool/main/b/busybox/busybox_...deb",
 *        "size": 413032, "sha256": "<64 lowercase hex>",
 *        "source": "busybox", "source_version": "1:1.35.0-4",
 *        "depends": "libc6 (>= 2.34)", "pre_depends": "", "provides": ""}
 *     ]
 *   }
 *
 * Dependency fields are the raw Packages fields, "" when absent.
 */

struct pl_apt_lock_pkg {
	char *name, *version, *arch, *repository, *url, *filename;
	char *source, *source_version;
	char *depends, *pre_depends, *provides; /* "" when absent */
	int64_t size;
	char sha256[PL_DIGEST_SIZE]; /* "sha256:<hex>" (the JSON holds the bare hex) */
};

struct pl_apt_lock_repo {
	char *name, *url, *suite;
	char release_sha256[PL_DIGEST_SIZE]; /* "sha256:<hex>" */
};

struct pl_apt_lock {
	int version; /* 1 */
	char *arch;
	char **requested;
	size_t nrequested;
	struct pl_apt_lock_repo *repos; /* sorted by name */
	size_t nrepos;
	struct pl_apt_lock_pkg *pkgs; /* sorted by name */
	size_t npkgs;
};

/*
 * Build a lock from a resolution of a (only the repositories that
 * contributed a package are listed). Free with pl_apt_lock_free.
 */
int pl_apt_lock_from(const struct pl_apt *a, const struct pl_apt_resolution *res,
		     struct pl_apt_lock **out, struct pl_err *err);
void pl_apt_lock_free(struct pl_apt_lock *l);

/* Append the lock's JSON (pretty, sorted keys, trailing newline) to out. */
int pl_apt_lock_write(const struct pl_apt_lock *l, struct pl_buf *out, struct pl_err *err);

/*
 * Parse a lock file strictly: unknown or missing keys, wrong types, a version
 * other than 1, malformed sha256, negative sizes, unsorted or duplicate
 * package names, and packages naming an unlisted repository are PL_EINVAL
 * "what: packages[3].sha256: not a sha256".
 */
int pl_apt_lock_parse(const char *data, size_t len, const char *what, struct pl_apt_lock **out,
		      struct pl_err *err);

/*
 * Check that the lock still answers a request: same architecture, every
 * request (same syntax as pl_apt_resolve) satisfied by a locked package or
 * one that provides it, and every locked package's Depends and Pre-Depends
 * satisfied within the lock. Otherwise PL_EINVAL saying what is missing
 * ("lock has no package for 'curl'; run plinth lock").
 */
int pl_apt_lock_check(const struct pl_apt_lock *l, const char *const *requests, size_t nrequests,
		      const char *arch, struct pl_err *err);

/*
 * The downloads a lock needs: one fetch item per package (url, sha256, size,
 * what = the package's pool filename), pointing into l. *items is malloc'd
 * (free() it); l must outlive it.
 */
int pl_apt_lock_items(const struct pl_apt_lock *l, struct pl_fetch_item **items, size_t *n,
		      struct pl_err *err);

#endif
