/*
 * pkgdb: the dpkg database inside an image tree. Reads var/lib/dpkg/status
 * and status.d/ into a package list (for scans and SBOMs), writes status,
 * info/<pkg>.{list,md5sums,conffiles} for installed .debs merged with a base
 * image's database, byte for byte as dpkg would, and performs declaratively
 * the maintainer-script effects a base image needs (update-alternatives
 * links, the CA bundle). Contents live in a cas; no host path is touched.
 */
#ifndef PL_PKGDB_H
#define PL_PKGDB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/cas.h"
#include "lib/deb.h"
#include "lib/fstree.h"
#include "util/err.h"

/* One field of a status paragraph, as stored (see struct pl_deb822_field). */
struct pl_pkgfield {
	char *name;
	char *value;
};

/* One paragraph of the database. All strings are owned by the pl_pkgdb. */
struct pl_pkg {
	const char *name;
	const char *version;	    /* "" when the paragraph has none (not installed) */
	const char *arch;	    /* "" when absent */
	const char *multi_arch;	    /* "same", "foreign", "allowed" or "" */
	const char *source;	    /* Source: name, default the binary name */
	const char *source_version; /* Source: (version), default the binary version */
	const char *status;	    /* "install ok installed"; "" when absent */
	bool installed;		    /* files are on disk: state not not-installed/config-files */
	const char *file;	    /* "var/lib/dpkg/status" or ".../status.d/<x>" */
	int line;		    /* first line of the paragraph in file */
	struct pl_pkgfield *fields; /* the raw paragraph, in file order */
	size_t nfields;
};

struct pl_pkgdb {
	struct pl_pkg *pkgs; /* in file order: status first, then status.d/ files sorted */
	size_t n;
	size_t cap;
};

/* An empty database (for pl_pkgdb_parse); release with pl_pkgdb_release. */
void pl_pkgdb_init(struct pl_pkgdb *db);
void pl_pkgdb_release(struct pl_pkgdb *db);
void pl_pkgdb_free(struct pl_pkgdb *db);

/*
 * Parse len bytes of status text (one or more deb822 paragraphs) and append
 * its packages to db; what names the file in errors and in pl_pkg.file.
 * A paragraph without Package, an installed package without Version, or a
 * malformed Source or Status field is PL_EINVAL "what:line: message".
 * missing_status_installed says how a paragraph without Status counts
 * (distroless status.d/ files have none).
 */
int pl_pkgdb_parse(struct pl_pkgdb *db, const char *data, size_t len, const char *what,
		   bool missing_status_installed, struct pl_err *err);

/*
 * Read the database of tree t (contents in cas): var/lib/dpkg/status and
 * every file of var/lib/dpkg/status.d/ (bytewise order; names ending in
 * .md5sums or .list and dot files skipped); a status.d/ paragraph for a
 * package (name and architecture) already read is dropped, so an image with
 * both styles lists each package once. A tree with neither gives an empty
 * database. *out is owned by the caller (pl_pkgdb_free).
 */
int pl_pkgdb_read(const struct pl_fstree *t, const struct pl_cas *cas, struct pl_pkgdb **out,
		  struct pl_err *err);

/* The first package named name (and of architecture arch unless NULL), or NULL. */
const struct pl_pkg *pl_pkgdb_find(const struct pl_pkgdb *db, const char *name, const char *arch);

/* A field of p by case-insensitive name, or NULL. Borrowed. */
const char *pl_pkg_get(const struct pl_pkg *p, const char *name);

/*
 * Split a Source field ("name" or "name (version)") into malloc'd strings;
 * *version is NULL when the field names no version. PL_EINVAL when malformed.
 */
int pl_pkgdb_parse_source(const char *field, char **name, char **version, struct pl_err *err);

/* ---- writing ---- */

enum pl_pkgdb_style {
	PL_PKGDB_STATUS = 1,   /* var/lib/dpkg/status (dpkg, apt) */
	PL_PKGDB_STATUS_D = 2, /* var/lib/dpkg/status.d/<pkg> (distroless scanners) */
};

struct pl_pkgdb_write_opts {
	int64_t epoch;	/* mtime of everything written */
	unsigned style; /* PL_PKGDB_* bits; 0 = PL_PKGDB_STATUS */
};

/*
 * Record debs (in install order; their data.tar contents already unpacked
 * into t) as installed: a paragraph each in var/lib/dpkg/status (merged with
 * the database already in t, a package of the same name -- and arch, for
 * Multi-Arch: same -- replaced, all sorted by name and arch as dpkg writes
 * them, fields in dpkg's order, Conffiles hashed from the tree), and
 * info/<pkg>.list, .md5sums (generated from the tree when the .deb has
 * none, as dpkg does), .conffiles. Creates available, info/, updates/,
 * triggers/, alternatives/ when missing. Files 0644 root, directories 0755,
 * mtime opts->epoch. A control paragraph without Package, Version or
 * Architecture is PL_EINVAL naming the package.
 */
int pl_pkgdb_write(struct pl_fstree *t, struct pl_cas *cas, const struct pl_deb *const *debs,
		   size_t n, const struct pl_pkgdb_write_opts *o, struct pl_err *err);

/* ---- maintainer-script effects (docs/debian.md) ---- */

/* One `update-alternatives --install` found in a postinst. */
struct pl_alt_slave {
	char *link, *name, *path;
};

struct pl_alt_install {
	char *link, *name, *path;
	int priority;
	struct pl_alt_slave *slaves;
	size_t nslaves;
};

struct pl_alt_list {
	struct pl_alt_install *v;
	size_t n;
};

/*
 * Find the `update-alternatives --install` commands in a maintainer script
 * (backslash-newline continuations and shell quoting handled) and append
 * them to l. Commands whose arguments need a shell variable or command
 * substitution are skipped with a warning naming pkg. Only allocation
 * failure is an error.
 */
int pl_alt_scan(const char *script, const char *pkg, struct pl_alt_list *l, struct pl_err *err);
void pl_alt_list_release(struct pl_alt_list *l);

/*
 * Do what the postinsts' update-alternatives --install calls would have
 * left: for each name, merged with var/lib/dpkg/alternatives/<name> already
 * in t, the highest-priority choice whose path exists in t is linked
 * (LINK -> /etc/alternatives/NAME -> PATH, and slaves), and the
 * alternatives file is written in update-alternatives' own format (auto
 * mode). A LINK that is a real file is left alone with a warning, as
 * update-alternatives does without --force.
 */
int pl_pkgdb_alternatives(struct pl_fstree *t, struct pl_cas *cas, const struct pl_deb *const *debs,
			  size_t n, int64_t epoch, struct pl_err *err);

/*
 * Do what ca-certificates' postinst and update-ca-certificates do on a
 * fresh install: trust every certificate under usr/share/ca-certificates/
 * (an existing etc/ca-certificates.conf is kept, new certificates appended
 * to it), etc/ssl/certs/<name>.pem links, the OpenSSL subject-hash links
 * (<hash>.N) as `openssl rehash` makes them, and
 * etc/ssl/certs/ca-certificates.crt. Does nothing when t has no
 * usr/share/ca-certificates. A certificate OpenSSL cannot read is linked
 * and bundled but gets no hash link (a warning), as rehash does.
 */
int pl_pkgdb_ca_certificates(struct pl_fstree *t, struct pl_cas *cas, int64_t epoch,
			     struct pl_err *err);

/*
 * The whole step for an assembled tree: pl_pkgdb_write, then the
 * alternatives of debs, then the CA bundle when ca-certificates is
 * installed (from debs or the base database).
 */
int pl_pkgdb_install(struct pl_fstree *t, struct pl_cas *cas, const struct pl_deb *const *debs,
		     size_t n, const struct pl_pkgdb_write_opts *o, struct pl_err *err);

#endif
