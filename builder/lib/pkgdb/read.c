/*
 * pkgdb/read: dpkg's status file and distroless status.d/ files into a list
 * of packages. Strict about what dpkg itself rejects (no Package, an
 * installed package without Version, a Status that is not three words),
 * tolerant of the rest: unknown fields, any field order, comments.
 */
#include "lib/pkgdb.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/pkgdb/internal.h"
#include "util/buf.h"

void pl_pkgdb_init(struct pl_pkgdb *db)
{
	memset(db, 0, sizeof(*db));
}

static void pkg_release(struct pl_pkg *p)
{
	for (size_t i = 0; i < p->nfields; i++) {
		free(p->fields[i].name);
		free(p->fields[i].value);
	}
	free(p->fields);
	free((char *)p->name);
	free((char *)p->version);
	free((char *)p->arch);
	free((char *)p->multi_arch);
	free((char *)p->source);
	free((char *)p->source_version);
	free((char *)p->status);
	free((char *)p->file);
	memset(p, 0, sizeof(*p));
}

void pl_pkgdb_release(struct pl_pkgdb *db)
{
	if (!db)
		return;
	for (size_t i = 0; i < db->n; i++)
		pkg_release(&db->pkgs[i]);
	free(db->pkgs);
	pl_pkgdb_init(db);
}

void pl_pkgdb_free(struct pl_pkgdb *db)
{
	pl_pkgdb_release(db);
	free(db);
}

const char *pl_pkg_get(const struct pl_pkg *p, const char *name)
{
	for (size_t i = 0; i < p->nfields; i++)
		if (strcasecmp(p->fields[i].name, name) == 0)
			return p->fields[i].value;
	return NULL;
}

const struct pl_pkg *pl_pkgdb_find(const struct pl_pkgdb *db, const char *name, const char *arch)
{
	for (size_t i = 0; i < db->n; i++)
		if (strcmp(db->pkgs[i].name, name) == 0 &&
		    (!arch || strcmp(db->pkgs[i].arch, arch) == 0))
			return &db->pkgs[i];
	return NULL;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* A copy of s[0..n) with surrounding whitespace trimmed. */
static char *dup_trim(const char *s, size_t n)
{
	char *r;

	while (n && is_space(*s)) {
		s++;
		n--;
	}
	while (n && is_space(s[n - 1]))
		n--;
	r = malloc(n + 1);
	if (r) {
		memcpy(r, s, n);
		r[n] = '\0';
	}
	return r;
}

static bool has_space(const char *s)
{
	for (; *s; s++)
		if (is_space(*s))
			return true;
	return false;
}

int pl_pkgdb_parse_source(const char *field, char **name, char **version, struct pl_err *err)
{
	const char *open = strchr(field, '(');
	char *n = NULL, *v = NULL;
	int rc = 0;

	*name = NULL;
	*version = NULL;
	if (!open) {
		n = dup_trim(field, strlen(field));
	} else {
		const char *close = strchr(open, ')');
		const char *rest;

		if (!close) {
			rc = pl_err_set(err, PL_EINVAL, "Source '%s': missing ')'", field);
			goto out;
		}
		for (rest = close + 1; *rest; rest++)
			if (!is_space(*rest)) {
				rc = pl_err_set(err, PL_EINVAL, "Source '%s': text after ')'",
						field);
				goto out;
			}
		n = dup_trim(field, (size_t)(open - field));
		v = dup_trim(open + 1, (size_t)(close - open - 1));
		if (!n || !v)
			goto nomem;
		if (!*v || has_space(v)) {
			rc = pl_err_set(err, PL_EINVAL, "Source '%s': bad version", field);
			goto out;
		}
	}
	if (!n)
		goto nomem;
	if (!*n || has_space(n)) {
		rc = pl_err_set(err, PL_EINVAL, "Source '%s': bad package name", field);
		goto out;
	}
	*name = n;
	*version = v;
	return 0;
nomem:
	rc = pl_err_set(err, PL_ENOMEM, "out of memory");
out:
	free(n);
	free(v);
	return rc;
}

struct parse_ctx {
	struct pl_pkgdb *db;
	const char *what;
	bool missing_status_installed;
};

static char *dup_or_empty(const char *s)
{
	return strdup(s ? s : "");
}

/* Status: want flag state; "installed" unless the state says no files are there. */
static int check_status(const char *st, bool *installed)
{
	const char *w[3];
	size_t wl[3];
	const char *p = st;
	int n = 0;

	while (*p) {
		while (*p == ' ')
			p++;
		if (!*p)
			break;
		if (n == 3)
			return -1;
		w[n] = p;
		while (*p && *p != ' ')
			p++;
		wl[n] = (size_t)(p - w[n]);
		n++;
	}
	if (n != 3)
		return -1;
	*installed = !((wl[2] == 13 && strncmp(w[2], "not-installed", 13) == 0) ||
		       (wl[2] == 12 && strncmp(w[2], "config-files", 12) == 0));
	return 0;
}

static int on_para(const struct pl_deb822_para *para, void *vctx, struct pl_err *err)
{
	struct parse_ctx *c = vctx;
	struct pl_pkgdb *db = c->db;
	struct pl_pkg *p;
	const char *name = pl_deb822_get(para, "Package");
	const char *version = pl_deb822_get(para, "Version");
	const char *status = pl_deb822_get(para, "Status");
	const char *source = pl_deb822_get(para, "Source");
	char *sname = NULL, *sver = NULL;
	bool installed = c->missing_status_installed;
	int rc = 0;

	if (!name || !*name || has_space(name))
		return pl_err_set(err, PL_EINVAL, "%s:%d: paragraph without a valid Package field",
				  c->what, para->line);
	if (status && check_status(status, &installed) < 0)
		return pl_err_set(err, PL_EINVAL,
				  "%s:%d: package '%s': Status '%s' is not 'want flag state'",
				  c->what, para->line, name, status);
	if (installed && (!version || !*version || has_space(version)))
		return pl_err_set(err, PL_EINVAL, "%s:%d: installed package '%s' without a Version",
				  c->what, para->line, name);
	if (source) {
		rc = pl_pkgdb_parse_source(source, &sname, &sver, err);
		if (rc < 0)
			return pl_err_wrap(err, "%s:%d: package '%s'", c->what, para->line, name);
	}
	if (db->n == db->cap) {
		size_t cap = db->cap ? db->cap * 2 : 64;
		struct pl_pkg *v = realloc(db->pkgs, cap * sizeof(*v));

		if (!v)
			goto nomem;
		db->pkgs = v;
		db->cap = cap;
	}
	p = &db->pkgs[db->n];
	memset(p, 0, sizeof(*p));
	db->n++;
	p->installed = installed;
	p->line = para->line;
	p->name = strdup(name);
	p->version = dup_or_empty(version);
	p->arch = dup_or_empty(pl_deb822_get(para, "Architecture"));
	p->multi_arch = dup_or_empty(pl_deb822_get(para, "Multi-Arch"));
	p->status = dup_or_empty(status);
	p->file = strdup(c->what);
	p->source = sname ? sname : strdup(name);
	p->source_version = sver ? sver : dup_or_empty(version);
	sname = sver = NULL;
	if (!p->name || !p->version || !p->arch || !p->multi_arch || !p->status || !p->file ||
	    !p->source || !p->source_version)
		goto nomem;
	p->fields = calloc(para->n, sizeof(*p->fields));
	if (!p->fields)
		goto nomem;
	for (size_t i = 0; i < para->n; i++) {
		p->fields[i].name = strdup(para->fields[i].name);
		p->fields[i].value = strdup(para->fields[i].value);
		p->nfields++;
		if (!p->fields[i].name || !p->fields[i].value)
			goto nomem;
	}
	return 0;
nomem:
	free(sname);
	free(sver);
	return pl_err_set(err, PL_ENOMEM, "out of memory");
}

int pl_pkgdb_parse(struct pl_pkgdb *db, const char *data, size_t len, const char *what,
		   bool missing_status_installed, struct pl_err *err)
{
	struct parse_ctx c = {db, what ? what : "status", missing_status_installed};

	return pl_deb822_parse(data, len, c.what, on_para, &c, err);
}

/* Collects the regular files directly in status.d/ (the walk is sorted). */
struct statusd_ctx {
	const char *dir; /* canonical, "var/lib/dpkg/status.d" */
	size_t dirlen;
	char **names;
	size_t n, cap;
};

static bool ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && strcmp(s + a - b, suffix) == 0;
}

static int statusd_collect(const struct pl_fsentry *e, void *vctx, struct pl_err *err)
{
	struct statusd_ctx *c = vctx;
	const char *rest;

	if (strncmp(e->path, c->dir, c->dirlen) != 0 || e->path[c->dirlen] != '/')
		return 0;
	rest = e->path + c->dirlen + 1;
	if (strchr(rest, '/') || rest[0] == '.' || e->meta->type != PL_FT_REG)
		return 0;
	if (ends_with(rest, ".md5sums") || ends_with(rest, ".list"))
		return 0;
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 64;
		char **v = realloc(c->names, cap * sizeof(*v));

		if (!v)
			return pl_err_set(err, PL_ENOMEM, "out of memory");
		c->names = v;
		c->cap = cap;
	}
	c->names[c->n] = strdup(e->path);
	if (!c->names[c->n])
		return pl_err_set(err, PL_ENOMEM, "out of memory");
	c->n++;
	return 0;
}

static int read_one(struct pl_pkgdb *db, const struct pl_fstree *t, const struct pl_cas *cas,
		    const char *path, bool missing_status_installed, struct pl_err *err)
{
	char *data = NULL, *what = NULL;
	size_t len = 0;
	int rc;

	rc = pkgdb_tree_read(t, cas, path, &data, &len, err);
	if (rc == PL_ENOTFOUND && err->code == 0) {
		rc = 0;
		goto out;
	}
	if (rc < 0)
		goto out;
	what = pkgdb_strf(err, "%s", path);
	if (!what) {
		rc = PL_ENOMEM;
		goto out;
	}
	rc = pl_pkgdb_parse(db, data, len, what, missing_status_installed, err);
out:
	free(data);
	free(what);
	return rc;
}

/*
 * An image may carry both styles: a status.d/ paragraph for a package that
 * an earlier file already lists is the same package, not a second one.
 */
static void drop_known(struct pl_pkgdb *db, size_t from)
{
	size_t k = from;

	for (size_t i = from; i < db->n; i++) {
		bool known = false;

		for (size_t j = 0; j < from && !known; j++)
			known = strcmp(db->pkgs[j].name, db->pkgs[i].name) == 0 &&
				strcmp(db->pkgs[j].arch, db->pkgs[i].arch) == 0;
		if (known)
			pkg_release(&db->pkgs[i]);
		else
			db->pkgs[k++] = db->pkgs[i];
	}
	db->n = k;
}

int pl_pkgdb_read(const struct pl_fstree *t, const struct pl_cas *cas, struct pl_pkgdb **out,
		  struct pl_err *err)
{
	struct pl_err quiet = PL_ERR_INIT;
	struct statusd_ctx sd;
	struct pl_pkgdb *db = NULL;
	const struct pl_fsmeta *m;
	char *dir = NULL;
	int rc;

	memset(&sd, 0, sizeof(sd));
	*out = NULL;
	db = calloc(1, sizeof(*db));
	if (!db) {
		rc = pl_err_set(err, PL_ENOMEM, "out of memory");
		goto out;
	}
	rc = read_one(db, t, cas, PKGDB_ADMINDIR "/status", false, err);
	if (rc < 0)
		goto out;
	if (pl_fstree_resolve(t, PKGDB_ADMINDIR "/status.d", true, false, &dir, &quiet) == 0 &&
	    (m = pl_fstree_get(t, dir)) != NULL && m->type == PL_FT_DIR) {
		sd.dir = dir;
		sd.dirlen = strlen(dir);
		/* the tree has no per-directory listing; a walk is sorted and cheap */
		rc = pl_fstree_walk(t, statusd_collect, &sd, err);
		if (rc < 0)
			goto out;
		for (size_t i = 0; i < sd.n; i++) {
			size_t before = db->n;

			rc = read_one(db, t, cas, sd.names[i], true, err);
			if (rc < 0)
				goto out;
			drop_known(db, before);
		}
	}
	*out = db;
	db = NULL;
	rc = 0;
out:
	for (size_t i = 0; i < sd.n; i++)
		free(sd.names[i]);
	free(sd.names);
	free(dir);
	pl_pkgdb_free(db);
	return rc;
}
