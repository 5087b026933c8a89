/*
 * scan: what is installed in an image (dpkg or apk database, os-release,
 * licenses), matched against the vulnerability database into findings with
 * severity, fix state and a one-line reason; reports (table, JSON, SARIF),
 * the policy gate, and SBOMs (SPDX 2.3, CycloneDX 1.5). A scan is a pure
 * function of (inventory, db snapshot): no clock, no network.
 */
#ifndef PL_SCAN_H
#define PL_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/cas.h"
#include "lib/fstree.h"
#include "lib/recipe.h"
#include "lib/vulndb.h"
#include "util/buf.h"
#include "util/err.h"

/* ---- versions ---- */

/*
 * Compare two Alpine package versions as apk-tools does
 * (digits{.digits}{letter}{_suffix{N}}{~hash}{-rN}; _alpha _beta _pre _rc
 * sort before the release, _cvs _svn _git _hg _p after). Returns <0, 0, >0.
 * Invalid versions still get a total order (apk's token fallback).
 */
int pl_apkver_cmp(const char *a, const char *b);

/* True when v is a valid apk version string. */
bool pl_apkver_valid(const char *v);

/*
 * apk's fuzzy comparison ("~" in a dependency): a is equal to b when b is a
 * prefix of a by version components ("3.6.9" ~ "3.6"). <0, 0, >0.
 */
int pl_apkver_cmp_fuzzy(const char *a, const char *b);

/* ---- inventory ---- */

enum pl_inv_kind {
	PL_INV_NONE = 0, /* no package database found */
	PL_INV_DEB,
	PL_INV_APK,
};

/* The parts of os-release a scan needs. Strings are malloc'd, NULL when absent. */
struct pl_osrel {
	char *id;	  /* "debian", "alpine" */
	char *version_id; /* "12", "3.15.4"; NULL on Debian testing/sid */
	char *codename;	  /* "bookworm" */
	char *pretty;	  /* PRETTY_NAME */
};

/*
 * Parse os-release text (KEY=value lines, shell-style quoting) into o
 * (released with pl_osrel_release). Malformed lines are skipped as systemd
 * does; only allocation failure is an error.
 */
int pl_osrel_parse(const char *data, size_t len, struct pl_osrel *o, struct pl_err *err);
void pl_osrel_release(struct pl_osrel *o);

/* One installed package. Strings malloc'd and owned by the inventory. */
struct pl_inv_pkg {
	char *name;
	char *version;	       /* installed binary version */
	char *arch;	       /* "" when unknown */
	char *source;	       /* source package (Debian) or origin (Alpine) */
	char *source_version;  /* Debian Source: (version), else the binary version */
	char *license;	       /* "GPL-2+ AND BSD-3-clause", or NULL when not known */
	char *db_path;	       /* "var/lib/dpkg/status", "lib/apk/db/installed" */
	int line;	       /* first line of the package's entry in db_path */
};

struct pl_inventory {
	enum pl_inv_kind kind;
	struct pl_osrel os;
	struct pl_inv_pkg *pkgs; /* database order */
	size_t n, cap;
};

/* An empty inventory; release with pl_inventory_release. */
void pl_inventory_init(struct pl_inventory *inv);
void pl_inventory_release(struct pl_inventory *inv);
void pl_inventory_free(struct pl_inventory *inv);

/*
 * Parse Alpine's lib/apk/db/installed (blank-line separated entries of
 * "X:value" lines; P name, V version, A arch, o origin, L license) and
 * append the packages to inv (kind becomes PL_INV_APK). what names the file
 * in errors and in db_path. An entry without P or V is PL_EINVAL
 * "what:line: ...".
 */
int pl_apkdb_parse(struct pl_inventory *inv, const char *data, size_t len, const char *what,
		   struct pl_err *err);

/*
 * Licenses of a Debian machine-readable copyright file: the distinct
 * "License:" short names in order, joined by " AND " (malloc'd into *out),
 * or *out = NULL when the file is not machine-readable or names none.
 */
int pl_copyright_licenses(const char *data, size_t len, char **out, struct pl_err *err);

/*
 * The inventory of an image tree (contents in cas): os-release
 * (etc/os-release, else usr/lib/os-release, symlinks resolved inside the
 * tree), the dpkg database (pl_pkgdb_read: status and status.d/) with
 * licenses from usr/share/doc/<pkg>/copyright, or lib/apk/db/installed.
 * A tree without either database gives kind PL_INV_NONE and no packages.
 * *out is owned by the caller (pl_inventory_free).
 */
int pl_scan_inventory_tree(const struct pl_fstree *t, const struct pl_cas *cas,
			   struct pl_inventory **out, struct pl_err *err);

/*
 * The same from a host directory holding a root filesystem (rootfs:DIR).
 * Only the few files needed are read; every path is resolved as inside a
 * chroot at root (absolute links relative to root, ".." clamped at it), so
 * a link never leads out of the root.
 */
int pl_scan_inventory_dir(const char *root, struct pl_inventory **out, struct pl_err *err);

/*
 * Open path under root as a chroot would (see above) and read it whole
 * (at most max bytes) into out. PL_ENOTFOUND when it does not exist.
 */
int pl_scan_read_in_root(const char *root, const char *path, size_t max, struct pl_buf *out,
			 struct pl_err *err);

/*
 * The vulndb ecosystem of an inventory: "debian:12" (VERSION_ID, else the
 * codename through pl_debian_release: "debian:sid"), "alpine:3.15".
 * PL_ENOTFOUND when the distribution is not one the database knows.
 */
int pl_scan_ecosystem(const struct pl_inventory *inv, char *buf, size_t size,
		      struct pl_err *err);

/* ---- severity and CVSS ---- */

enum pl_sev {
	PL_SEV_UNKNOWN = 0,
	PL_SEV_NONE,	   /* CVSS 0.0 */
	PL_SEV_NEGLIGIBLE, /* Debian "unimportant" */
	PL_SEV_LOW,
	PL_SEV_MEDIUM,
	PL_SEV_HIGH,
	PL_SEV_CRITICAL,
};
#define PL_SEV_COUNT 7

/* "unknown", "none", "negligible", "low", "medium", "high", "critical". */
const char *pl_sev_name(enum pl_sev s);
/* The inverse; PL_EINVAL for another name. */
int pl_sev_parse(const char *name, enum pl_sev *out, struct pl_err *err);
/* A recipe policy severity (recipe.h) as a scan severity. */
enum pl_sev pl_sev_from_recipe(enum pl_recipe_sev s);

/*
 * The CVSS v3.0/v3.1 base score (0.0-10.0) of a vector
 * ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"; temporal and
 * environmental metrics are accepted and ignored). PL_EINVAL when the
 * vector is not CVSS 3.x or lacks a base metric.
 */
int pl_cvss3_score(const char *vector, double *score, struct pl_err *err);
/* The qualitative rating of a score (0 none, <4 low, <7 medium, <9 high, else critical). */
enum pl_sev pl_cvss_rating(double score);

/*
 * Severity of a Debian tracker urgency: unimportant -> negligible, low,
 * medium, high; "*"/"**" suffixes, "not yet assigned" and anything else
 * -> unknown.
 */
enum pl_sev pl_sev_from_urgency(const char *urgency);

/* ---- findings and reports ---- */

enum pl_fstate {
	PL_FSTATE_FIXED = 0, /* an update exists */
	PL_FSTATE_UNFIXED,   /* affected, no fix yet */
	PL_FSTATE_WONT_FIX,  /* the distribution will not fix it (nodsa, ignored, postponed) */
	PL_FSTATE_EOL,	     /* the release is no longer supported for this package */
};
#define PL_FSTATE_COUNT 4

/* "fixed", "unfixed", "wont-fix", "end-of-life". */
const char *pl_fstate_name(enum pl_fstate s);

/* One CVE in one installed package. Strings malloc'd, owned by the report. */
struct pl_finding {
	char *cve;
	char *package;	      /* binary package */
	char *source;	      /* source package (origin on Alpine) */
	char *installed;      /* binary version */
	char *source_version; /* the version compared */
	char *fixed;	      /* or NULL */
	enum pl_fstate state;
	enum pl_sev sev;
	double cvss;	   /* base score, or -1 when no vector was known */
	char *cvss_vector; /* or NULL */
	char *feed;	   /* "debian-tracker", "osv", ... */
	char *feed_name;   /* the feed's file or URL */
	char *record;	   /* "DSA-5678-1", "CVE-2024-1234" */
	char *summary;	   /* or NULL */
	char *why;	   /* one line */
	char *db_path;	   /* where the package is recorded in the image */
	int db_line;	   /* its first line there */
	bool ignored;	   /* matched an ignore entry */
	char *ignore_reason;
};

/* An ignore entry that had expired when it was applied. */
struct pl_expired_ignore {
	char *id, *package, *expires, *where; /* where: "file:line:col" */
};

struct pl_report {
	char *target;	    /* what was scanned ("rootfs:/x", an image reference) */
	char *image_digest; /* or NULL */
	char *os;	    /* PRETTY_NAME or "id version" */
	char *ecosystem;    /* "debian:12" */
	char db_digest[PL_DIGEST_SIZE]; /* database snapshot */
	size_t packages;		/* packages scanned */
	struct pl_finding *v; /* severity desc, then package, then CVE */
	size_t n, cap;
	size_t by_sev[PL_SEV_COUNT];	   /* findings not ignored */
	size_t by_state[PL_FSTATE_COUNT]; /* findings not ignored */
	size_t ignored;
	struct pl_expired_ignore *expired;
	size_t nexpired;
};

struct pl_scan_opts {
	const char *target;	  /* NULL: "unknown" */
	const char *image_digest; /* or NULL */
};

/*
 * Match every package of inv against db: one look-up per distinct source
 * package in the inventory's ecosystem, a decision per CVE (see
 * docs/scan.md: tracker statements win over OSV ranges, NOT_AFFECTED and an
 * installed changelog fix suppress, versions compared with dpkg or apk
 * ordering on the source version), one finding per binary package and CVE.
 * *out is owned by the caller (pl_report_free). PL_ENOTFOUND when the
 * inventory's distribution has no ecosystem.
 */
int pl_scan_run(const struct pl_inventory *inv, struct pl_vulndb *db,
		const struct pl_scan_opts *o, struct pl_report **out, struct pl_err *err);
void pl_report_free(struct pl_report *r);

/*
 * Mark findings matched by ignore entries (id equal, package -- binary or
 * source -- equal when given) as ignored with the entry's reason; entries
 * whose expires date is before today ("YYYY-MM-DD") do not apply and are
 * listed in r->expired. Counts are recomputed.
 */
int pl_report_apply_ignores(struct pl_report *r, const struct pl_ignores *ig, const char *today,
			    struct pl_err *err);

/*
 * The policy gate: PL_EPOLICY, with a message listing the findings that
 * break it ("3 findings at or above high: CVE-x in libssl3 (high, fixed in
 * ...), ..."), when a finding that is not ignored has severity >= fail_on
 * and is fixable (state fixed), or in any state unless ignore_unfixed.
 * fail_on PL_SEV_UNKNOWN or PL_SEV_NONE never fails.
 */
int pl_scan_gate(const struct pl_report *r, enum pl_sev fail_on, bool ignore_unfixed,
		 struct pl_err *err);

/* Text table grouped by package ("pkg installed -> fixed", then CVE lines). */
int pl_report_table(const struct pl_report *r, struct pl_buf *out, struct pl_err *err);

/*
 * JSON (sorted keys, 2-space indent; docs/scan.md): {"schema":
 * "plinth-scan/1", target, image_digest, os, ecosystem, database,
 * packages, counts: {severity: {...}, state: {...}, ignored},
 * findings: [...], expired_ignores: [...]}.
 */
int pl_report_json(const struct pl_report *r, struct pl_buf *out, struct pl_err *err);

/*
 * SARIF 2.1.0: one rule per CVE, one result per finding (level error for
 * critical/high, warning for medium, note otherwise), located at the
 * package database file; ignored findings carry a suppression.
 */
int pl_report_sarif(const struct pl_report *r, struct pl_buf *out, struct pl_err *err);

/* ---- SBOM ---- */

struct pl_sbom_opts {
	const char *name;      /* the image ("registry/app:1"), required */
	const char *digest;    /* image digest "sha256:...", or NULL */
	int64_t created;       /* creation time, seconds since the epoch */
	const char *tool;      /* "plinth-0.1.0"; NULL: "plinth" */
	const char *namespace; /* SPDX documentNamespace prefix; NULL: a plinth URL */
};

/*
 * The package URL of p: pkg:deb/debian/NAME@VERSION?arch=A&distro=debian-12
 * (&upstream=SRC when the source differs), pkg:apk/alpine/... Appended to out.
 */
int pl_purl(const struct pl_inventory *inv, const struct pl_inv_pkg *p, struct pl_buf *out,
	    struct pl_err *err);

/* SPDX 2.3 JSON of inv, deterministic for the same inputs. Appended to out. */
int pl_sbom_spdx(const struct pl_inventory *inv, const struct pl_sbom_opts *o,
		 struct pl_buf *out, struct pl_err *err);

/* CycloneDX 1.5 JSON of inv (serialNumber a UUID derived from the content). */
int pl_sbom_cyclonedx(const struct pl_inventory *inv, const struct pl_sbom_opts *o,
		      struct pl_buf *out, struct pl_err *err);

#endif
