/*
 * recipe: the curation repo's YAML files as C models. Parses recipes
 * (recipes/<name>.yaml), repo settings (plinth.yaml) and central patches
 * (patches/<id>.yaml) from memory buffers with libyaml, strictly: unknown keys,
 * wrong types, duplicate keys, anchors and aliases are errors, and every error
 * reads "file:line:col: message". Each model owns one arena; every string and
 * array in it is borrowed from the model and freed with it. Every item keeps
 * its 1-based line:col so later stages can point at the right place.
 */
#ifndef PL_RECIPE_H
#define PL_RECIPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

/* Input limits: larger or deeper documents are PL_ETOOBIG. */
#define PL_RECIPE_MAX_BYTES (1024 * 1024)
#define PL_RECIPE_MAX_DEPTH 32
#define PL_RECIPE_MAX_NODES 200000

/* Where an item was written. file is borrowed from the model. */
struct pl_mark {
	const char *file;
	int line, col; /* 1-based; 0 when the item was defaulted */
};

/* A list of strings; marks[i] is where v[i] was written. */
struct pl_recipe_list {
	char **v;
	struct pl_mark *marks;
	size_t n;
	bool set; /* the key was present (an empty list differs from none) */
	struct pl_mark mark;
};

/* A string -> string map, sorted by key (keys are unique). */
struct pl_recipe_kv {
	struct pl_mark mark; /* of the key */
	char *key, *value;
};
struct pl_recipe_map {
	struct pl_recipe_kv *v;
	size_t n;
	bool set;
	struct pl_mark mark;
};

/* Severities, ordered; NONE is "never" in a policy. */
enum pl_recipe_sev {
	PL_RECIPE_SEV_NONE = 0,
	PL_RECIPE_SEV_LOW,
	PL_RECIPE_SEV_MEDIUM,
	PL_RECIPE_SEV_HIGH,
	PL_RECIPE_SEV_CRITICAL,
};

/* "critical", "high", "medium", "low" or "none". */
const char *pl_recipe_sev_name(enum pl_recipe_sev sev);

struct pl_recipe_policy {
	struct pl_mark mark;
	bool set;
	bool fail_on_set;
	enum pl_recipe_sev fail_on; /* default high */
	bool fail_unfixed_set;
	bool fail_unfixed;	      /* gate on findings without a fix too */
	struct pl_recipe_list ignore; /* vulnerability ids the gate skips */
};

struct pl_recipe_file {
	struct pl_mark mark, path_mark, source_mark;
	char *path;
	char *content; /* inline content (may hold NULs), or NULL */
	size_t content_len;
	char *source;	   /* repo-relative path, or NULL */
	unsigned mode;	   /* default 0644 */
	uint32_t uid, gid; /* default 0 */
};

struct pl_recipe_dir {
	struct pl_mark mark, path_mark;
	char *path;
	unsigned mode; /* default 0755 */
	uint32_t uid, gid;
};

struct pl_recipe_symlink {
	struct pl_mark mark, path_mark;
	char *path, *target;
};

struct pl_recipe_tarball {
	struct pl_mark mark, source_mark, sha256_mark, destination_mark;
	char *source;	       /* repo-relative path */
	char sha256[65];       /* lowercase hex */
	char *destination;     /* default "/" */
	bool has_uid, has_gid; /* override the archive's owners */
	uint32_t uid, gid;
};

struct pl_recipe_layer {
	struct pl_mark mark;
	char *name, *comment; /* may be NULL */
	bool shorthand;	      /* made from the top-level files/... keys */
	struct pl_recipe_file *files;
	size_t nfiles;
	struct pl_recipe_dir *dirs;
	size_t ndirs;
	struct pl_recipe_symlink *symlinks;
	size_t nsymlinks;
	struct pl_recipe_tarball *tarballs;
	size_t ntarballs;
	/* Debian packages installed in this layer (resolved with the recipe's) */
	struct pl_recipe_list packages;
};

struct pl_recipe_group {
	struct pl_mark mark;
	char *name;
	uint32_t gid;
};

struct pl_recipe_user {
	struct pl_mark mark, gid_mark;
	char *name;
	uint32_t uid, gid; /* gid defaults to uid */
	char *home;	   /* default /home/NAME, /root for uid 0 */
	char *shell;	   /* default /usr/sbin/nologin */
	char *gecos;	   /* default "" */
};

struct pl_recipe_accounts {
	struct pl_mark mark;
	struct pl_recipe_group *groups;
	size_t ngroups;
	struct pl_recipe_user *users;
	size_t nusers;
};

struct pl_recipe_port {
	struct pl_mark mark;
	uint16_t port;
	char proto[5]; /* "tcp", "udp" or "sctp" */
	char spec[16]; /* normalised "80/tcp" */
};

struct pl_recipe_config {
	struct pl_mark mark;
	bool set;
	char *user, *workdir, *stop_signal; /* NULL when absent */
	struct pl_mark user_mark, workdir_mark, stop_signal_mark;
	struct pl_recipe_map env, labels;
	struct pl_recipe_list entrypoint, cmd, volumes;
	struct pl_recipe_port *ports;
	size_t nports;
	struct pl_mark ports_mark;
};

enum pl_recipe_patches {
	PL_RECIPE_PATCHES_ALL = 0, /* default: every matching patch */
	PL_RECIPE_PATCHES_NONE,
	PL_RECIPE_PATCHES_LIST, /* only patch_ids (that also match) */
};

/* How installed packages are recorded (dpkg_database:). */
enum pl_recipe_dpkgdb {
	PL_RECIPE_DPKGDB_STATUS = 0, /* var/lib/dpkg/status, as dpkg and apt keep it */
	PL_RECIPE_DPKGDB_STATUS_D,   /* var/lib/dpkg/status.d/<pkg>, as distroless */
	PL_RECIPE_DPKGDB_BOTH,
};

struct pl_recipe_arena;

struct pl_recipe {
	struct pl_recipe_arena *arena;
	const char *file;
	char *name;
	struct pl_mark name_mark;
	char *description;
	char *base; /* "scratch" (default) or an image reference */
	struct pl_mark base_mark;
	struct pl_recipe_list tags;	     /* default ["latest"] */
	struct pl_recipe_list architectures; /* Debian names; default [amd64] */
	struct pl_recipe_list sources;	     /* repository names from plinth.yaml */
	struct pl_recipe_list packages;
	bool essential;                      /* package_set: every Essential: yes package */
	bool required;                       /* package_set: every Priority: required one */
	enum pl_recipe_dpkgdb dpkg_database;
	enum pl_recipe_patches patches;
	struct pl_recipe_list patch_ids;
	struct pl_mark patches_mark;
	struct pl_recipe_policy policy;
	/* `layers:` in order, then the top-level shorthand layer if any */
	struct pl_recipe_layer *layers;
	size_t nlayers;
	struct pl_recipe_accounts accounts;
	struct pl_recipe_config config;
	struct pl_recipe_map annotations;
};

/*
 * Parse a recipe from data (len bytes; need not be NUL-terminated). file
 * names the input in messages and marks (e.g. "recipes/app.yaml"). On success
 * *out is a new recipe the caller frees with pl_recipe_free. Errors:
 * PL_EINVAL (syntax, types, keys: "file:line:col: message"), PL_ETOOBIG
 * (size, depth or node limits), PL_ENOMEM. Cross-field rules are checked by
 * pl_recipe_lint, not here; pl_recipe_load does both.
 */
int pl_recipe_parse(const char *data, size_t len, const char *file, struct pl_recipe **out,
		    struct pl_err *err);
void pl_recipe_free(struct pl_recipe *r);

/* Debian architecture name -> OCI architecture and variant (NULL if none). */
int pl_recipe_arch_oci(const char *deb, const char **arch, const char **variant);

/* ---- settings: plinth.yaml ---- */

enum pl_settings_compression {
	PL_SETTINGS_GZIP = 0,
	PL_SETTINGS_ZSTD,
};

struct pl_settings_repo {
	struct pl_mark mark;
	char *name, *url, *suite;
	struct pl_recipe_list components;    /* default [main] */
	struct pl_recipe_list architectures; /* default: all recipe arches */
	char *keyring;			     /* path under keys/, or NULL */
	struct pl_mark keyring_mark;
	bool trusted; /* skip signature checks (local) */
};

struct pl_settings_feed {
	struct pl_mark mark;
	char *kind; /* "osv", "debian" or "alpine" */
	char *url;  /* https URL or repo-relative / absolute path */
};

struct pl_buf;

/*
 * trust: which keys must sign which images, and which upstream bases may be
 * imported at all. Repository patterns are globs (see pl_trust_glob) over the
 * full repository name with its registry ("docker.io/library/debian", never
 * "debian") or, for OCI layouts, over "oci:PATH".
 */
enum pl_trust_default {
	PL_TRUST_ALLOW = 0, /* an image no rule covers is pulled unverified */
	PL_TRUST_DENY,	    /* ... is refused */
};

/* trust.images[i]: images in these repositories must be signed by these keys. */
struct pl_trust_rule {
	struct pl_mark mark;		    /* of the list item */
	struct pl_recipe_list repositories; /* globs, at least one */
	struct pl_recipe_list keys;	    /* "keys/....pub|.pem", at least one */
	bool require_all;		    /* every key must have signed (default: any one) */
};

/* trust.bases[i]: an upstream base plinth build may import. */
struct pl_trust_base {
	struct pl_mark mark; /* of the list item */
	char *repository;    /* glob */
	struct pl_mark repository_mark;
	struct pl_recipe_list digests; /* "sha256:<hex>"; unset: any digest */
	struct pl_recipe_list keys;    /* unset: no upstream signature required */
};

struct pl_trust {
	bool set; /* the trust: section was present */
	struct pl_mark mark;
	struct pl_trust_rule *images; /* document order */
	size_t nimages;
	struct pl_trust_base *bases; /* document order */
	size_t nbases;
	bool bases_set; /* bases: present: only listed bases may be imported */
	enum pl_trust_default default_action;
	struct pl_mark default_mark;
};

struct pl_settings {
	struct pl_recipe_arena *arena;
	const char *file;
	char *registry; /* NULL: publish to the OCI layout only */
	char *output;	/* default "out/images" */
	enum pl_settings_compression compression;
	struct pl_settings_repo *repos; /* document order */
	size_t nrepos;
	struct pl_recipe_policy policy;
	struct {
		struct pl_mark mark;
		char *path; /* default "out/vuln.db" */
		struct pl_settings_feed *feeds;
		size_t nfeeds;
	} vulndb;
	struct {
		struct pl_mark mark;
		char *key; /* private key path, or NULL */
	} signing;
	struct {
		struct pl_mark mark;
		char *path; /* default "out/ledger.db" */
	} ledger;
	struct {
		struct pl_mark mark;
		struct pl_recipe_list order, exclude;
	} patches;
	struct pl_trust trust;
};

/* Parse plinth.yaml; same contract as pl_recipe_parse. */
int pl_settings_parse(const char *data, size_t len, const char *file, struct pl_settings **out,
		      struct pl_err *err);
void pl_settings_free(struct pl_settings *s);

/* The repository called name, or NULL. Borrowed. */
const struct pl_settings_repo *pl_settings_repo(const struct pl_settings *s, const char *name);

/*
 * Match name against a trust pattern, as a pure string operation: '?'
 * matches one character and '*' any run of characters, neither crossing a
 * '/'; '**' matches any run including '/' and, when it is a whole path
 * component, also no component at all, so it can stand for zero or more
 * components between two others. Everything else is literal and
 * case-sensitive. In a pattern that starts with "oci:" (a layout path, not a
 * repository hierarchy) '*' and '?' cross '/' too, so "oci:*" is every
 * layout. A pattern with a wildcard never matches a name with an empty, "."
 * or ".." path component: callers pass normalised names. Examples are in
 * docs/configuration.md#trust.
 */
bool pl_trust_glob(const char *pattern, const char *name);

/* The first trust.images rule (document order) covering repository, or NULL. */
const struct pl_trust_rule *pl_trust_rule_for(const struct pl_trust *t, const char *repository);

/*
 * May the base image repository@digest be imported? digest is
 * "sha256:<hex>", or NULL when unknown (then only a rule without digests can
 * admit it). Returns 1 when allowed, with *rule (if rule is non-NULL) the
 * trust.bases entry that admitted it, or NULL when trust.bases is absent (any
 * base allowed); the caller checks that entry's keys. Returns 0 when refused
 * and appends the reason to why (if non-NULL). PL_ENOMEM (or PL_ETOOBIG from
 * why's cap) is the only error.
 */
int pl_trust_base_allowed(const struct pl_trust *t, const char *repository, const char *digest,
			  const struct pl_trust_base **rule, struct pl_buf *why,
			  struct pl_err *err);

/* ---- central patches: patches/<id>.yaml ---- */

enum pl_patch_applies {
	PL_PATCH_APPLIES_ALL = 0,
	PL_PATCH_APPLIES_PACKAGE,
	PL_PATCH_APPLIES_RECIPES,
	PL_PATCH_APPLIES_LABELS,
};

enum pl_patch_action_kind {
	PL_PATCH_UPGRADE = 0,
	PL_PATCH_DIFF,
	PL_PATCH_REMOVE,
	PL_PATCH_CHMOD,
	PL_PATCH_CHOWN,
	PL_PATCH_FILE,
};

struct pl_patch_action {
	struct pl_mark mark;
	enum pl_patch_action_kind kind;
	struct pl_recipe_list packages; /* upgrade */
	char *from;			/* upgrade: repository name */
	char *version;			/* upgrade: exact version, or NULL */
	char *diff;			/* diff: repo-relative path */
	struct pl_recipe_list paths;	/* remove */
	char *path;			/* chmod, chown, file */
	struct pl_mark path_mark;
	unsigned mode;	       /* chmod; file (default 0644) */
	bool has_uid, has_gid; /* chown (at least one) */
	uint32_t uid, gid;
	char *content; /* file: inline, or NULL */
	size_t content_len;
	char *source; /* file: repo-relative path, or NULL */
};

struct pl_patchdef {
	struct pl_recipe_arena *arena;
	const char *file;
	char *id;
	struct pl_mark id_mark;
	char *title;
	enum pl_recipe_sev severity;
	struct pl_recipe_list cves;
	char *advisory;	   /* URL or reference, or NULL */
	char *published;   /* "YYYY-MM-DD", or NULL */
	char *description; /* or NULL */
	struct {
		struct pl_mark mark;
		enum pl_patch_applies kind;
		char *package, *below, *at_least; /* PACKAGE */
		bool source;			  /* package names a source package */
		struct pl_recipe_list recipes;	  /* RECIPES */
		struct pl_recipe_map labels;	  /* LABELS: all must match */
	} applies_to;
	struct pl_patch_action *actions;
	size_t nactions;
};

/* Parse a patch definition; same contract as pl_recipe_parse. */
int pl_patchdef_parse(const char *data, size_t len, const char *file, struct pl_patchdef **out,
		      struct pl_err *err);
void pl_patchdef_free(struct pl_patchdef *p);

const char *pl_patch_action_name(enum pl_patch_action_kind kind);

/* ---- lint ---- */

/* Problems found by a lint pass, each "file:line:col: message". */
struct pl_lint {
	char **msgs;
	size_t n, cap;
};

void pl_lint_init(struct pl_lint *l);
void pl_lint_release(struct pl_lint *l);

/* Append a copy of msg (a problem found outside the model checks). */
int pl_lint_add(struct pl_lint *l, const char *msg, struct pl_err *err);

/* Context for cross-file checks; every field may be NULL / 0. */
struct pl_recipe_lint_opts {
	const char *file_name;		    /* "recipes/<name>.yaml": name must match */
	const struct pl_settings *settings; /* sources must be its repositories */
	const char *const *patch_ids;	    /* patches: listed ids must exist */
	size_t npatch_ids;
};

/*
 * Check the cross-field rules of a parsed recipe (paths absolute and
 * normalised, unique paths per layer, valid tags, unique ids, a user's group
 * declared, ...), appending EVERY problem to out in document order. Returns
 * the number of problems appended (>= 0) or PL_ENOMEM.
 */
int pl_recipe_lint(const struct pl_recipe *r, const struct pl_recipe_lint_opts *opts,
		   struct pl_lint *out, struct pl_err *err);

/*
 * Parse and lint data; a parse error counts as one problem. Returns the number
 * of problems appended or PL_ENOMEM.
 */
int pl_recipe_lint_data(const char *data, size_t len, const char *file,
			const struct pl_recipe_lint_opts *opts, struct pl_lint *out,
			struct pl_err *err);

/* Cross-field checks of a patch (id matches file_name if given, paths). */
int pl_patchdef_lint(const struct pl_patchdef *p, const char *file_name, struct pl_lint *out,
		     struct pl_err *err);

/* Cross-field checks of settings (keyrings under keys/, unique names). */
int pl_settings_lint(const struct pl_settings *s, struct pl_lint *out, struct pl_err *err);

/*
 * pl_recipe_parse followed by pl_recipe_lint: the first problem becomes a
 * PL_EINVAL error, so a recipe that loads is safe to build.
 */
int pl_recipe_load(const char *data, size_t len, const char *file,
		   const struct pl_recipe_lint_opts *opts, struct pl_recipe **out,
		   struct pl_err *err);

/* ---- vulnerability ignores: .plinthignore.yaml ---- */

/* One entry: a CVE (for one package, binary or source, when given). */
struct pl_ignore {
	struct pl_mark mark;
	char *id;
	char *package; /* or NULL: every package */
	char *reason;
	char *expires; /* "YYYY-MM-DD", or NULL: never */
};

struct pl_ignores {
	struct pl_recipe_arena *arena;
	const char *file;
	struct pl_ignore *v;
	size_t n;
};

/*
 * Parse an ignore file: a list of {id, package?, reason, expires?}, at the
 * top level or under the key "ignore". id must look like a vulnerability
 * id, reason is required, expires must be a real YYYY-MM-DD date. Errors
 * read "file:line:col: message". An empty document is an empty list.
 * *out is freed with pl_ignores_free.
 */
int pl_ignores_parse(const char *data, size_t len, const char *file, struct pl_ignores **out,
		     struct pl_err *err);
void pl_ignores_free(struct pl_ignores *ig);

/* True when e has an expiry date before today ("YYYY-MM-DD"). */
bool pl_ignore_expired(const struct pl_ignore *e, const char *today);

#endif
