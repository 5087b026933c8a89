/*
 * deb: Debian's own formats. deb822 control paragraphs (Packages, Release,
 * control, status), dpkg's version ordering, dependency fields (Depends,
 * Pre-Depends, Provides, Conflicts, Breaks), and the .deb reader (ar via
 * libarchive; control.tar.{gz,xz,zst} and data.tar.{gz,xz,zst,bz2} streamed
 * into an fstree and a cas, never onto the host).
 */
#ifndef PL_DEB_H
#define PL_DEB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/cas.h"
#include "lib/fstree.h"
#include "util/err.h"

/* ---- deb822 ---- */

struct pl_deb822_field {
	const char *name;  /* as written ("Package") */
	const char *value; /* folded lines joined with '\n', leading space of
			      continuation lines kept as dpkg stores them */
	int line;          /* 1-based line of the field name */
};

struct pl_deb822_para {
	struct pl_deb822_field *fields;
	size_t n;
	int line; /* first line of the paragraph */
};

/* Called once per paragraph; the paragraph is only valid during the call. */
typedef int (*pl_deb822_fn)(const struct pl_deb822_para *p, void *ctx, struct pl_err *err);

/*
 * Parse len bytes of deb822 text (a PGP-signed message's armour is NOT
 * stripped here), calling fn for each paragraph in order. Malformed input
 * (a line that is neither "Name: value", a continuation, nor blank; an
 * empty field name or one with spaces/control bytes or a leading '-'; a
 * duplicate field, compared case-insensitively, in one paragraph; a NUL
 * byte) is PL_EINVAL "what:line: message"; more than 4096 fields in one
 * paragraph is PL_ETOOBIG. Comment lines ('#' in column 1) are skipped,
 * also between a field and its continuation lines. Lines holding only
 * spaces/tabs separate paragraphs like empty ones. Trailing whitespace
 * (including a CR) of every line is dropped. A negative return from fn
 * stops the parse and is returned. Memory is bounded by the largest
 * paragraph, not by len (~1 GB/s on a Packages file).
 */
int pl_deb822_parse(const char *data, size_t len, const char *what, pl_deb822_fn fn, void *ctx,
		    struct pl_err *err);

/* Field value by case-insensitive name, or NULL. Borrowed. */
const char *pl_deb822_get(const struct pl_deb822_para *p, const char *name);

/* ---- versions ---- */

/*
 * Compare two Debian versions ([epoch:]upstream[-revision]) exactly as
 * dpkg --compare-versions does; returns <0, 0, >0.
 */
int pl_debver_cmp(const char *a, const char *b);

/*
 * 0 when v is a version dpkg accepts without complaint, else PL_EINVAL
 * with dpkg's own reason ("version 'x' has bad syntax: epoch in version is
 * empty"). Strict: versions dpkg only warns about (not starting with a
 * digit, characters outside [A-Za-z0-9.+~-:]) are refused too.
 */
int pl_debver_check(const char *v, struct pl_err *err);

/* ---- dependency fields ---- */

enum pl_dep_op { PL_DEP_ANY = 0, PL_DEP_LT, PL_DEP_LE, PL_DEP_EQ, PL_DEP_GE, PL_DEP_GT };

struct pl_dep_alt {
	char *name;
	char *arch;    /* ":any", ":native" or an arch qualifier, without ':'; NULL when none */
	enum pl_dep_op op;
	char *version; /* NULL with PL_DEP_ANY */
	/* "[amd64 !i386]" restrictions and "<!nocheck>" profiles are parsed away */
	char **archs;  /* architecture restriction list as written, NULL-terminated, or NULL */
};

/* One comma-separated item: alternatives joined by '|'. */
struct pl_dep {
	struct pl_dep_alt *alts;
	size_t nalts;
};

struct pl_deplist {
	struct pl_dep *v;
	size_t n;
};

/*
 * Parse a dependency field ("libc6 (>= 2.34), debconf | debconf-2.0"). what
 * names it in errors ("Depends: missing ')' after the version in '...'").
 * Names follow dpkg (alphanumeric first, then [A-Za-z0-9+.-_]); versions
 * are refused only where dpkg errors (pl_debver_check is stricter); an
 * empty or all-blank field is an empty list; "a,,b" and a trailing ','
 * are errors; a "[...]" list may not mix negated and plain names. On error
 * *out is empty. Release with pl_deplist_release (safe to call twice).
 */
int pl_deplist_parse(const char *s, const char *what, struct pl_deplist *out, struct pl_err *err);
void pl_deplist_release(struct pl_deplist *l);

/* True when version satisfies alt's constraint (any version for PL_DEP_ANY). */
bool pl_dep_version_ok(const struct pl_dep_alt *alt, const char *version);

/*
 * True when an arch restriction list admits arch (NULL list admits all).
 * Wildcards "any", "<os>-any", "any-<cpu>" match; a bare arch ("amd64") is
 * the linux port.
 */
bool pl_dep_arch_ok(const struct pl_dep_alt *alt, const char *arch);

/* ---- .deb files ---- */

/* One file of control.tar, for /var/lib/dpkg/info/<package>.<name>. */
struct pl_deb_member {
	char *name;    /* "postinst", "md5sums", "triggers", ... (no '/') */
	char *data;    /* verbatim, NUL-terminated */
	size_t len;
	uint32_t mode; /* permission bits as archived */
};

/* What a .deb brought, for the dpkg database. */
struct pl_deb {
	char *control;     /* the control file, verbatim */
	size_t control_len;
	char *md5sums;     /* control.tar's md5sums, or NULL */
	size_t md5sums_len;
	char *conffiles;   /* control.tar's conffiles, or NULL */
	size_t conffiles_len;
	char *postinst;    /* maintainer scripts, verbatim, or NULL (never run) */
	char *preinst;
	char **paths;      /* data.tar paths in archive order, "/usr/bin/x" form ("./" is
			      "/."; dpkg-deb puts it first), as dpkg's info/<pkg>.list
			      has them; NULL-terminated; NULL without unpack */
	size_t npaths;
	struct pl_deb_member *members; /* every plain file of control.tar but
					  "control", in archive order */
	size_t nmembers;
};

struct pl_deb_read_opts {
	const char *what;    /* names the .deb in errors */
	bool unpack;         /* false: read control.tar only, skip data.tar */
};

/*
 * Read the .deb from fd (read sequentially; a pipe is fine). With unpack,
 * data.tar is streamed into t with contents in cas (pl_layer_read_from in
 * its dpkg_paths mode): paths are resolved in the tree as dpkg does
 * (directory symlinks such as the merged-/usr '/bin -> usr/bin' are
 * followed, clamped inside the tree; a directory entry over an existing
 * directory or symlink to one changes nothing), '..' is refused and so is
 * a non-directory replacing a directory (PL_EPOLICY naming the entry);
 * device nodes are allowed; ownership is the tar's numeric uid/gid.
 * Without unpack t and cas may be NULL and data.tar is skipped.
 *
 * Members as dpkg-deb reads them: "debian-binary" first holding "2.<n>\n";
 * members starting with '_' are skipped; control.tar[.gz|.xz|.zst], then
 * data.tar[.gz|.xz|.zst|.bz2|.lzma]; anything after data.tar is ignored.
 * A member's first bytes must match its name's compression, so no other
 * decoder runs. control.tar must hold "control", one deb822 paragraph with
 * a Package field. Malformed input (not an ar archive, missing or
 * misordered members, corrupt or truncated compression) is PL_EINVAL
 * naming what and the member; control files over their caps (control 4
 * MiB, md5sums 64 MiB, conffiles 1 MiB, scripts 4 MiB, others 16 MiB,
 * 128 MiB together) are PL_ETOOBIG. On error t may hold part of data.tar
 * (unpack into a clone for all-or-nothing). *out is owned by the caller
 * (pl_deb_free).
 */
int pl_deb_read(int fd, struct pl_fstree *t, struct pl_cas *cas, const struct pl_deb_read_opts *o,
		struct pl_deb **out, struct pl_err *err);
void pl_deb_free(struct pl_deb *d);

#endif
