/*
 * pkgdb/write: record installed .debs in the tree's dpkg database the way
 * dpkg --unpack + --configure leave it: status paragraphs in dpkg's field
 * order (lib/dpkg/parse.c fieldinfos, then unknown fields as the control
 * file has them), sorted by name and architecture, and the info/ files.
 * Paragraphs already in the tree (a base image) are kept byte for byte
 * unless a new package of the same name replaces them.
 */
#include "lib/pkgdb.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/pkgdb/internal.h"
#include "util/buf.h"
#include "util/log.h"

/* dpkg 1.21 lib/dpkg/parse.c fieldinfos[], the order dpkg writes them. */
static const char *const dpkg_fields[] = {
    "Package",
    "Essential",
    "Protected",
    "Status",
    "Priority",
    "Section",
    "Installed-Size",
    "Origin",
    "Maintainer",
    "Bugs",
    "Architecture",
    "Multi-Arch",
    "Source",
    "Version",
    "Config-Version",
    "Replaces",
    "Provides",
    "Depends",
    "Pre-Depends",
    "Recommends",
    "Suggests",
    "Breaks",
    "Conflicts",
    "Enhances",
    "Conffiles",
    "Filename",
    "Size",
    "MD5sum",
    "MSDOS-Filename",
    "Description",
    "Triggers-Pending",
    "Triggers-Awaited",
};
#define N_DPKG_FIELDS (sizeof(dpkg_fields) / sizeof(dpkg_fields[0]))

/* Fields a control file may not set for the database (dpkg computes them). */
static bool computed_field(const char *name)
{
	static const char *const computed[] = {
	    "Status", "Config-Version", "Conffiles",	    "Filename",	       "Size",
	    "MD5sum", "MSDOS-Filename", "Triggers-Pending", "Triggers-Awaited"};

	for (size_t i = 0; i < sizeof(computed) / sizeof(computed[0]); i++)
		if (strcasecmp(name, computed[i]) == 0)
			return true;
	return false;
}

static bool dependency_field(const char *name)
{
	static const char *const deps[] = {"Replaces",	  "Provides",	"Depends",
					   "Pre-Depends", "Recommends", "Suggests",
					   "Breaks",	  "Conflicts",	"Enhances"};

	for (size_t i = 0; i < sizeof(deps) / sizeof(deps[0]); i++)
		if (strcasecmp(name, deps[i]) == 0)
			return true;
	return false;
}

/* One package of the database being written. */
struct entry {
	char *name, *arch, *multi_arch;
	char *infoname; /* "pkg" or "pkg:arch" */
	char *para;	/* serialized paragraph, each line '\n'-terminated */
	size_t para_len;
	const struct pl_deb *deb; /* NULL for a paragraph kept from the tree */
	bool replaced;		  /* a later package took its slot: not written */
	bool stale;		  /* kept from the tree and replaced: info files go */
};

struct entries {
	struct entry *v;
	size_t n, cap;
};

static void entries_release(struct entries *es)
{
	for (size_t i = 0; i < es->n; i++) {
		free(es->v[i].name);
		free(es->v[i].arch);
		free(es->v[i].multi_arch);
		free(es->v[i].infoname);
		free(es->v[i].para);
	}
	free(es->v);
	memset(es, 0, sizeof(*es));
}

static struct entry *entries_add(struct entries *es, struct pl_err *err)
{
	if (es->n == es->cap) {
		size_t cap = es->cap ? es->cap * 2 : 64;
		struct entry *v = realloc(es->v, cap * sizeof(*v));

		if (!v) {
			pl_err_set(err, PL_ENOMEM, "out of memory");
			return NULL;
		}
		es->v = v;
		es->cap = cap;
	}
	memset(&es->v[es->n], 0, sizeof(es->v[0]));
	return &es->v[es->n++];
}

/* "Name: value\n", or "Name:\n..." when the first line is empty (Conffiles). */
static int add_field(struct pl_buf *b, const char *name, const char *value, struct pl_err *err)
{
	if (value[0] == '\n')
		return pl_buf_addf(b, err, "%s:%s\n", name, value);
	return pl_buf_addf(b, err, "%s: %s\n", name, value);
}

/* dpkg writes a dependency field on one line with single spaces. */
static int add_dep_field(struct pl_buf *b, const char *name, const char *value, struct pl_err *err)
{
	bool space = false;
	int rc;

	rc = pl_buf_addf(b, err, "%s: ", name);
	for (const char *p = value; rc == 0 && *p; p++) {
		if (*p == ' ' || *p == '\t' || *p == '\n') {
			space = true;
			continue;
		}
		if (space && b->data[b->len - 1] != ' ')
			rc = pl_buf_addch(b, ' ', err);
		space = false;
		if (rc == 0)
			rc = pl_buf_addch(b, *p, err);
	}
	if (rc == 0)
		rc = pl_buf_addch(b, '\n', err);
	return rc;
}

/* Control file paragraph copied out of the parser. */
struct control {
	struct pl_pkgfield *f;
	size_t n;
	int paras;
};

static void control_release(struct control *c)
{
	for (size_t i = 0; i < c->n; i++) {
		free(c->f[i].name);
		free(c->f[i].value);
	}
	free(c->f);
	memset(c, 0, sizeof(*c));
}

static int on_control(const struct pl_deb822_para *p, void *vctx, struct pl_err *err)
{
	struct control *c = vctx;

	if (c->paras++ > 0)
		return 0;
	c->f = calloc(p->n ? p->n : 1, sizeof(*c->f));
	if (!c->f)
		return pl_err_set(err, PL_ENOMEM, "out of memory");
	for (size_t i = 0; i < p->n; i++) {
		c->f[i].name = strdup(p->fields[i].name);
		c->f[i].value = strdup(p->fields[i].value);
		c->n++;
		if (!c->f[i].name || !c->f[i].value)
			return pl_err_set(err, PL_ENOMEM, "out of memory");
	}
	return 0;
}

static const char *control_get(const struct control *c, const char *name)
{
	for (size_t i = 0; i < c->n; i++)
		if (strcasecmp(c->f[i].name, name) == 0)
			return c->f[i].value;
	return NULL;
}

/*
 * The Conffiles value ("\n /etc/x <md5>" lines) for a conffiles list, hashes
 * from the tree. Entries flagged remove-on-upgrade only matter on upgrades.
 */
static int conffiles_value(const struct pl_fstree *t, const struct pl_cas *cas,
			   const struct pl_deb *d, const char *pkg, struct pl_buf *out,
			   struct pl_err *err)
{
	const char *p = d->conffiles, *end = d->conffiles + d->conffiles_len;
	int rc = 0;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		char *path = NULL, *data = NULL;
		size_t len = 0;
		char md5[33];

		while (p < le && (*p == ' ' || *p == '\t'))
			p++;
		while (le > p && (le[-1] == ' ' || le[-1] == '\t' || le[-1] == '\r'))
			le--;
		if (p < le && *p == '/') {
			path = strndup(p, (size_t)(le - p));
			if (!path)
				return pl_err_set(err, PL_ENOMEM, "out of memory");
			rc = pkgdb_tree_read(t, cas, path, &data, &len, err);
			if (rc == PL_ENOTFOUND && err->code == 0) {
				pl_log_warn("package '%s': conffile '%s' is not in the tree; not "
					    "recorded in its Conffiles",
					    pkg, path);
				rc = 0;
			} else if (rc == 0) {
				rc = pkgdb_md5_hex(data, len, md5, err);
				if (rc == 0)
					rc = pl_buf_addf(out, err, "\n %s %s", path, md5);
			}
			free(data);
			free(path);
			if (rc < 0)
				return rc;
		}
		p = nl ? nl + 1 : end;
	}
	return 0;
}

/* The status paragraph of a freshly installed package. */
static int new_paragraph(const struct pl_fstree *t, const struct pl_cas *cas,
			 const struct pl_deb *d, size_t idx, struct entry *e, struct pl_err *err)
{
	struct control c;
	struct pl_buf b = PL_BUF_INIT, conf = PL_BUF_INIT;
	const char *name, *version, *arch, *ma;
	bool *used = NULL;
	int rc;

	memset(&c, 0, sizeof(c));
	rc = pl_deb822_parse(d->control ? d->control : "", d->control ? d->control_len : 0,
			     "control", on_control, &c, err);
	if (rc < 0) {
		pl_err_wrap(err, "package %zu", idx + 1);
		goto out;
	}
	name = control_get(&c, "Package");
	version = control_get(&c, "Version");
	arch = control_get(&c, "Architecture");
	if (c.paras != 1 || !name || !*name) {
		rc = pl_err_set(
		    err, PL_EINVAL,
		    "package %zu: control file is not one paragraph with a Package field", idx + 1);
		goto out;
	}
	if (!version || !*version || !arch || !*arch) {
		rc = pl_err_set(err, PL_EINVAL, "package '%s': control file lacks %s", name,
				!version || !*version ? "Version" : "Architecture");
		goto out;
	}
	ma = control_get(&c, "Multi-Arch");
	e->name = strdup(name);
	e->arch = strdup(arch);
	e->multi_arch = strdup(ma ? ma : "");
	if (!e->name || !e->arch || !e->multi_arch) {
		rc = pl_err_set(err, PL_ENOMEM, "out of memory");
		goto out;
	}
	e->infoname = pkgdb_infoname(name, arch, ma, err);
	if (!e->infoname) {
		rc = PL_ENOMEM;
		goto out;
	}
	e->deb = d;
	if (d->conffiles && d->conffiles_len) {
		rc = conffiles_value(t, cas, d, name, &conf, err);
		if (rc < 0)
			goto out;
	}
	used = calloc(c.n ? c.n : 1, sizeof(*used));
	if (!used) {
		rc = pl_err_set(err, PL_ENOMEM, "out of memory");
		goto out;
	}
	for (size_t k = 0; k < N_DPKG_FIELDS; k++) {
		const char *fname = dpkg_fields[k];

		if (strcmp(fname, "Status") == 0) {
			rc = pl_buf_adds(&b, "Status: install ok installed\n", err);
		} else if (strcmp(fname, "Conffiles") == 0) {
			if (conf.len)
				rc = add_field(&b, fname, conf.data, err);
		} else if (!computed_field(fname)) {
			for (size_t i = 0; i < c.n; i++) {
				const char *v = c.f[i].value;

				if (used[i] || strcasecmp(c.f[i].name, fname) != 0)
					continue;
				used[i] = true;
				if (!*v)
					break;
				/* dpkg writes the booleans only when set, Multi-Arch unless no */
				if ((strcmp(fname, "Essential") == 0 ||
				     strcmp(fname, "Protected") == 0) &&
				    strcasecmp(v, "yes") != 0)
					break;
				if (strcmp(fname, "Multi-Arch") == 0 && strcasecmp(v, "no") == 0)
					break;
				if (dependency_field(fname))
					rc = add_dep_field(&b, fname, v, err);
				else
					rc = add_field(&b, fname, v, err);
				break;
			}
		}
		if (rc < 0)
			goto out;
	}
	/* unknown fields follow, in the control file's order */
	for (size_t i = 0; i < c.n; i++) {
		bool known = false;

		for (size_t k = 0; k < N_DPKG_FIELDS && !known; k++)
			known = strcasecmp(c.f[i].name, dpkg_fields[k]) == 0;
		if (used[i] || known || !*c.f[i].value)
			continue;
		rc = add_field(&b, c.f[i].name, c.f[i].value, err);
		if (rc < 0)
			goto out;
	}
	e->para = pl_buf_detach(&b, &e->para_len);
	if (!e->para)
		rc = pl_err_set(err, PL_ENOMEM, "out of memory");
out:
	free(used);
	pl_buf_release(&b);
	pl_buf_release(&conf);
	control_release(&c);
	return rc;
}

/* A paragraph kept from the tree's status file, serialized as read. */
static int old_paragraph(const struct pl_pkg *p, struct entry *e, struct pl_err *err)
{
	struct pl_buf b = PL_BUF_INIT;
	int rc = 0;

	e->name = strdup(p->name);
	e->arch = strdup(p->arch);
	e->multi_arch = strdup(p->multi_arch);
	if (!e->name || !e->arch || !e->multi_arch)
		return pl_err_set(err, PL_ENOMEM, "out of memory");
	e->infoname = pkgdb_infoname(p->name, p->arch, p->multi_arch, err);
	if (!e->infoname)
		return PL_ENOMEM;
	for (size_t i = 0; i < p->nfields && rc == 0; i++)
		rc = add_field(&b, p->fields[i].name, p->fields[i].value, err);
	if (rc == 0) {
		e->para = pl_buf_detach(&b, &e->para_len);
		if (!e->para)
			rc = pl_err_set(err, PL_ENOMEM, "out of memory");
	}
	pl_buf_release(&b);
	return rc;
}

/* Same database slot: dpkg keys by name, and by architecture for Multi-Arch: same. */
static bool same_slot(const struct entry *a, const struct entry *b)
{
	if (strcmp(a->name, b->name) != 0)
		return false;
	if (strcmp(a->multi_arch, "same") == 0 && strcmp(b->multi_arch, "same") == 0)
		return strcmp(a->arch, b->arch) == 0;
	return true;
}

static int cmp_entry(const void *va, const void *vb)
{
	const struct entry *a = va, *b = vb;
	int c = strcmp(a->name, b->name);

	return c ? c : strcmp(a->arch, b->arch);
}

/* md5sums as dpkg generates them for a package that ships none (conffiles included). */
static int generate_md5sums(const struct pl_fstree *t, const struct pl_cas *cas,
			    const struct pl_deb *d, struct pl_buf *out, struct pl_err *err)
{
	int rc = 0;

	for (size_t i = 0; i < d->npaths && rc == 0; i++) {
		struct pl_err quiet = PL_ERR_INIT;
		const char *path = d->paths[i];
		const struct pl_fsmeta *m;
		char *canon = NULL, *data = NULL;
		size_t len = 0;
		char md5[33];

		if (pl_fstree_resolve(t, path, false, false, &canon, &quiet) < 0) {
			free(canon);
			continue;
		}
		m = pl_fstree_get(t, canon);
		if (m && m->type == PL_FT_REG) {
			rc = pl_cas_read(cas, m->digest, PKGDB_MAX_FILE, &data, &len, err);
			if (rc == 0)
				rc = pkgdb_md5_hex(data, len, md5, err);
			if (rc == 0)
				rc = pl_buf_addf(out, err, "%s  %s\n", md5,
						 path[0] == '/' ? path + 1 : path);
		}
		free(data);
		free(canon);
	}
	return rc;
}

/* info/<name>.<x> for a control file name x (no dot): stale once a package is replaced. */
struct stale_ctx {
	const struct entries *es;
	char **paths;
	size_t n, cap;
};

static int find_stale(const struct pl_fsentry *fe, void *vctx, struct pl_err *err)
{
	static const char prefix[] = PKGDB_ADMINDIR "/info/";
	struct stale_ctx *c = vctx;
	const char *base;

	if (strncmp(fe->path, prefix, sizeof(prefix) - 1) != 0)
		return 0;
	base = fe->path + sizeof(prefix) - 1;
	if (strchr(base, '/'))
		return 0;
	for (size_t i = 0; i < c->es->n; i++) {
		const struct entry *e = &c->es->v[i];
		size_t l = strlen(e->infoname);
		const char *x;

		if (!e->stale || strncmp(base, e->infoname, l) != 0 || base[l] != '.')
			continue;
		x = base + l + 1;
		if (!*x || strspn(x, "abcdefghijklmnopqrstuvwxyz0123456789_-") != strlen(x))
			continue;
		if (c->n == c->cap) {
			size_t cap = c->cap ? c->cap * 2 : 16;
			char **v = realloc(c->paths, cap * sizeof(*v));

			if (!v)
				return pl_err_set(err, PL_ENOMEM, "out of memory");
			c->paths = v;
			c->cap = cap;
		}
		c->paths[c->n] = strdup(fe->path);
		if (!c->paths[c->n])
			return pl_err_set(err, PL_ENOMEM, "out of memory");
		c->n++;
		break;
	}
	return 0;
}

static int remove_stale(struct pl_fstree *t, const struct entries *es, struct pl_err *err)
{
	struct stale_ctx c;
	bool any = false;
	int rc;

	for (size_t i = 0; i < es->n; i++)
		any = any || es->v[i].stale;
	if (!any)
		return 0;
	memset(&c, 0, sizeof(c));
	c.es = es;
	rc = pl_fstree_walk(t, find_stale, &c, err);
	for (size_t i = 0; i < c.n; i++) {
		if (rc == 0)
			rc = pl_fstree_remove(t, c.paths[i], err);
		free(c.paths[i]);
	}
	free(c.paths);
	return rc;
}

static int write_info(struct pl_fstree *t, struct pl_cas *cas, const struct entry *e, int64_t epoch,
		      struct pl_err *err)
{
	static const char info[] = PKGDB_ADMINDIR "/info/";
	const struct pl_deb *d = e->deb;
	struct pl_buf b = PL_BUF_INIT;
	char *path = NULL;
	int rc = 0;

	for (size_t i = 0; i < d->npaths && rc == 0; i++)
		rc = pl_buf_addf(&b, err, "%s\n", d->paths[i]);
	if (rc == 0 && (path = pkgdb_strf(err, "%s%s.list", info, e->infoname)) == NULL)
		rc = PL_ENOMEM;
	if (rc == 0)
		rc = pkgdb_tree_put_file(t, cas, path, b.data ? b.data : "", b.len, 0644, epoch,
					 err);
	free(path);
	path = NULL;
	pl_buf_reset(&b);

	if (rc == 0 && (path = pkgdb_strf(err, "%s%s.md5sums", info, e->infoname)) == NULL)
		rc = PL_ENOMEM;
	if (rc == 0 && d->md5sums)
		rc =
		    pkgdb_tree_put_file(t, cas, path, d->md5sums, d->md5sums_len, 0644, epoch, err);
	else if (rc == 0) {
		rc = generate_md5sums(t, cas, d, &b, err);
		if (rc == 0)
			rc = pkgdb_tree_put_file(t, cas, path, b.data ? b.data : "", b.len, 0644,
						 epoch, err);
	}
	free(path);
	path = NULL;

	if (rc == 0 && (path = pkgdb_strf(err, "%s%s.conffiles", info, e->infoname)) == NULL)
		rc = PL_ENOMEM;
	if (rc == 0 && d->conffiles && d->conffiles_len)
		rc = pkgdb_tree_put_file(t, cas, path, d->conffiles, d->conffiles_len, 0644, epoch,
					 err);
	else if (rc == 0 && pl_fstree_get(t, path))
		rc = pl_fstree_remove(t, path, err);
	free(path);
	pl_buf_release(&b);
	if (rc < 0)
		pl_err_wrap(err, "package '%s'", e->name);
	return rc;
}

int pl_pkgdb_write(struct pl_fstree *t, struct pl_cas *cas, const struct pl_deb *const *debs,
		   size_t n, const struct pl_pkgdb_write_opts *o, struct pl_err *err)
{
	static const char *const dirs[] = {PKGDB_ADMINDIR, PKGDB_ADMINDIR "/info",
					   PKGDB_ADMINDIR "/updates", PKGDB_ADMINDIR "/triggers",
					   PKGDB_ADMINDIR "/alternatives"};
	unsigned style = o->style ? o->style : PL_PKGDB_STATUS;
	struct entries es;
	struct pl_pkgdb old;
	struct pl_buf status = PL_BUF_INIT;
	char *data = NULL, *path = NULL;
	size_t len = 0, nold;
	int rc;

	memset(&es, 0, sizeof(es));
	pl_pkgdb_init(&old);
	rc = pkgdb_tree_read(t, cas, PKGDB_ADMINDIR "/status", &data, &len, err);
	if (rc == PL_ENOTFOUND && err->code == 0)
		rc = 0;
	else if (rc == 0)
		rc = pl_pkgdb_parse(&old, data, len, PKGDB_ADMINDIR "/status", false, err);
	if (rc < 0)
		goto out;
	for (size_t i = 0; i < old.n; i++) {
		struct entry *e = entries_add(&es, err);

		if (!e) {
			rc = PL_ENOMEM;
			goto out;
		}
		rc = old_paragraph(&old.pkgs[i], e, err);
		if (rc < 0)
			goto out;
	}
	nold = es.n;
	for (size_t i = 0; i < n; i++) {
		struct entry *e = entries_add(&es, err);

		if (!e) {
			rc = PL_ENOMEM;
			goto out;
		}
		rc = new_paragraph(t, cas, debs[i], i, e, err);
		if (rc < 0)
			goto out;
		/* a later package of the same slot wins, as a later dpkg -i would */
		for (size_t j = 0; j + 1 < es.n; j++) {
			struct entry *x = &es.v[j];

			if (x->replaced || !same_slot(x, e))
				continue;
			x->replaced = true;
			x->stale = j < nold;
		}
	}

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		rc = pkgdb_tree_put_dir(t, dirs[i], o->epoch, err);
		if (rc < 0)
			goto out;
	}
	/* replaced packages' info files go before the new ones are written */
	rc = remove_stale(t, &es, err);
	if (rc < 0)
		goto out;
	for (size_t i = nold; i < es.n; i++) {
		if (es.v[i].replaced)
			continue;
		rc = write_info(t, cas, &es.v[i], o->epoch, err);
		if (rc < 0)
			goto out;
	}

	qsort(es.v, es.n, sizeof(es.v[0]), cmp_entry);
	for (size_t i = 0; i < es.n; i++) {
		const struct entry *e = &es.v[i];

		if (e->replaced)
			continue;
		rc = pl_buf_add(&status, e->para, e->para_len, err);
		if (rc == 0)
			rc = pl_buf_addch(&status, '\n', err);
		if (rc < 0)
			goto out;
		if ((style & PL_PKGDB_STATUS_D) && e->deb) {
			path = pkgdb_strf(err, PKGDB_ADMINDIR "/status.d/%s", e->infoname);
			if (!path) {
				rc = PL_ENOMEM;
				goto out;
			}
			rc = pkgdb_tree_put_dir(t, PKGDB_ADMINDIR "/status.d", o->epoch, err);
			if (rc == 0)
				rc = pkgdb_tree_put_file(t, cas, path, e->para, e->para_len, 0644,
							 o->epoch, err);
			free(path);
			path = NULL;
			if (rc < 0)
				goto out;
		}
	}
	if (style & PL_PKGDB_STATUS) {
		rc = pkgdb_tree_put_file(t, cas, PKGDB_ADMINDIR "/status",
					 status.data ? status.data : "", status.len, 0644, o->epoch,
					 err);
		if (rc < 0)
			goto out;
	}
	/* the database format version dpkg >= 1.17 records */
	if (!pl_fstree_get(t, PKGDB_ADMINDIR "/info/format")) {
		rc = pkgdb_tree_put_file(t, cas, PKGDB_ADMINDIR "/info/format", "1\n", 2, 0644,
					 o->epoch, err);
		if (rc < 0)
			goto out;
	}
	if (!pl_fstree_get(t, PKGDB_ADMINDIR "/available")) {
		rc = pkgdb_tree_put_file(t, cas, PKGDB_ADMINDIR "/available", "", 0, 0644, o->epoch,
					 err);
		if (rc < 0)
			goto out;
	}
	rc = 0;
out:
	free(data);
	free(path);
	pl_buf_release(&status);
	entries_release(&es);
	pl_pkgdb_release(&old);
	return rc;
}
