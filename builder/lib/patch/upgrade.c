/*
 * The upgrade action: replace installed packages with a repository's
 * candidate, pulling in missing or too-old dependencies, as dpkg would have
 * left the tree (old files gone, new files unpacked, database updated).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/deb.h"
#include "lib/patch.h"
#include "util/log.h"

#define LIST_MAX (64u * 1024 * 1024)

struct cand {
	const struct pl_apt *apt;
	const struct pl_apt_pkg *pkg;
	const struct pl_pkg *old; /* installed version, or NULL */
};

struct plan {
	struct cand *v;
	size_t n, cap;
};

static int plan_add(struct plan *pl, const struct pl_apt *apt, const struct pl_apt_pkg *pkg,
		    const struct pl_pkg *old, struct pl_err *err)
{
	if (pl->n == pl->cap) {
		size_t nc = pl->cap ? pl->cap * 2 : 8;
		struct cand *nv = realloc(pl->v, nc * sizeof(*nv));

		if (!nv)
			return pl_err_set(err, PL_ENOMEM, "out of memory");
		pl->v = nv;
		pl->cap = nc;
	}
	pl->v[pl->n].apt = apt;
	pl->v[pl->n].pkg = pkg;
	pl->v[pl->n].old = old;
	pl->n++;
	return 0;
}

static const struct cand *plan_find(const struct plan *pl, const char *name)
{
	for (size_t i = 0; i < pl->n; i++)
		if (strcmp(pl->v[i].pkg->name, name) == 0)
			return &pl->v[i];
	return NULL;
}

static const struct pl_pkg *installed(const struct pl_pkgdb *db, const char *name)
{
	for (size_t i = 0; i < db->n; i++)
		if (db->pkgs[i].installed && strcmp(db->pkgs[i].name, name) == 0)
			return &db->pkgs[i];
	return NULL;
}

/* Does a Provides field satisfy alt? Versioned deps need "name (= v)". */
static bool provides_ok(const char *provides, const struct pl_dep_alt *alt)
{
	struct pl_deplist l = {0};
	struct pl_err ignore = PL_ERR_INIT;
	bool ok = false;

	if (!provides || pl_deplist_parse(provides, "Provides", &l, &ignore) < 0)
		return false;
	for (size_t i = 0; i < l.n && !ok; i++) {
		const struct pl_dep_alt *p = &l.v[i].alts[0];

		if (strcmp(p->name, alt->name) != 0)
			continue;
		if (alt->op == PL_DEP_ANY)
			ok = true;
		else if (p->op == PL_DEP_EQ && p->version)
			ok = pl_dep_version_ok(alt, p->version);
	}
	pl_deplist_release(&l);
	return ok;
}

/* Is alt satisfied by the plan or (for packages the plan leaves alone) the database? */
static bool satisfied(const struct plan *pl, const struct pl_pkgdb *db,
		      const struct pl_dep_alt *alt)
{
	const struct cand *c = plan_find(pl, alt->name);

	if (c)
		return pl_dep_version_ok(alt, c->pkg->version);
	for (size_t i = 0; i < pl->n; i++)
		if (provides_ok(pl->v[i].pkg->provides, alt))
			return true;
	for (size_t i = 0; i < db->n; i++) {
		const struct pl_pkg *k = &db->pkgs[i];

		if (!k->installed || plan_find(pl, k->name))
			continue;
		if (strcmp(k->name, alt->name) == 0 && pl_dep_version_ok(alt, k->version))
			return true;
		if (provides_ok(pl_pkg_get(k, "Provides"), alt))
			return true;
	}
	return false;
}

/* The highest version of name satisfying alt across the repositories. */
static bool best(const struct pl_patch_env *env, const struct pl_dep_alt *alt,
		 const struct pl_apt **apt, const struct pl_apt_pkg **pkg)
{
	*pkg = NULL;
	for (size_t a = 0; a < env->napts; a++) {
		size_t n = 0;
		const struct pl_apt_pkg *const *v = pl_apt_lookup(env->apts[a], alt->name, &n);

		for (size_t i = 0; i < n; i++) {
			if (!pl_dep_version_ok(alt, v[i]->version))
				continue;
			if (!*pkg || pl_debver_cmp(v[i]->version, (*pkg)->version) > 0) {
				*pkg = v[i];
				*apt = env->apts[a];
			}
			break; /* highest first */
		}
	}
	return *pkg != NULL;
}

static const char *opname(enum pl_dep_op op)
{
	switch (op) {
	case PL_DEP_LT:
		return "<<";
	case PL_DEP_LE:
		return "<=";
	case PL_DEP_EQ:
		return "=";
	case PL_DEP_GE:
		return ">=";
	case PL_DEP_GT:
		return ">>";
	default:
		return "";
	}
}

/* Close the plan over Depends and Pre-Depends. */
static int close_deps(struct plan *pl, const struct pl_pkgdb *db, const struct pl_patch_env *env,
		      const char *arch, struct pl_err *err)
{
	int rc = 0;

	for (size_t i = 0; i < pl->n && rc == 0; i++) {
		const char *fields[2] = {pl->v[i].pkg->pre_depends, pl->v[i].pkg->depends};

		for (int fi = 0; fi < 2 && rc == 0; fi++) {
			struct pl_deplist l = {0};

			if (!fields[fi])
				continue;
			rc = pl_deplist_parse(fields[fi], fi ? "Depends" : "Pre-Depends", &l, err);
			if (rc < 0) {
				pl_err_wrap(err, "upgrade: '%s' %s", pl->v[i].pkg->name,
					    pl->v[i].pkg->version);
				break;
			}
			for (size_t d = 0; d < l.n && rc == 0; d++) {
				const struct pl_dep *dep = &l.v[d];
				bool any = false, ok = false;

				for (size_t k = 0; k < dep->nalts && !ok; k++) {
					if (!pl_dep_arch_ok(&dep->alts[k], arch))
						continue;
					any = true;
					ok = satisfied(pl, db, &dep->alts[k]);
				}
				if (!any || ok)
					continue;
				for (size_t k = 0; k < dep->nalts && !ok; k++) {
					const struct pl_apt *apt = NULL;
					const struct pl_apt_pkg *p = NULL;

					if (!pl_dep_arch_ok(&dep->alts[k], arch) ||
					    plan_find(pl, dep->alts[k].name) ||
					    !best(env, &dep->alts[k], &apt, &p))
						continue;
					rc = plan_add(pl, apt, p, installed(db, p->name), err);
					ok = rc == 0;
				}
				if (rc == 0 && !ok) {
					const struct pl_dep_alt *a0 = &dep->alts[0];

					rc = pl_err_set(
					    err, PL_EINVAL,
					    "upgrade: '%s' %s depends on '%s%s%s%s%s%s', "
					    "which no repository satisfies",
					    pl->v[i].pkg->name, pl->v[i].pkg->version, a0->name,
					    a0->version ? " (" : "", opname(a0->op),
					    a0->version ? " " : "", a0->version ? a0->version : "",
					    a0->version ? ")" : "");
				}
			}
			pl_deplist_release(&l);
		}
	}
	return rc;
}

/* ---- file ownership ---- */

struct strs {
	char **v;
	size_t n, cap;
};

static int strs_add(struct strs *s, const char *p, size_t len, struct pl_err *err)
{
	if (s->n == s->cap) {
		size_t nc = s->cap ? s->cap * 2 : 64;
		char **nv = realloc(s->v, nc * sizeof(*nv));

		if (!nv)
			return pl_err_set(err, PL_ENOMEM, "out of memory");
		s->v = nv;
		s->cap = nc;
	}
	s->v[s->n] = strndup(p, len);
	if (!s->v[s->n])
		return pl_err_set(err, PL_ENOMEM, "out of memory");
	s->n++;
	return 0;
}

static void strs_release(struct strs *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	memset(s, 0, sizeof(*s));
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool strs_has(const struct strs *s, const char *p)
{
	return s->n && bsearch(&p, s->v, s->n, sizeof(*s->v), cmp_str) != NULL;
}

/* Read a tree file into a malloc'd buffer; *data NULL when absent. */
static int tree_read(const struct pl_fstree *t, const struct pl_cas *cas, const char *path,
		     char **data, size_t *len, struct pl_err *err)
{
	const struct pl_fsmeta *m = pl_fstree_get(t, path);

	*data = NULL;
	*len = 0;
	if (!m || m->type != PL_FT_REG)
		return 0;
	return pl_cas_read(cas, m->digest, LIST_MAX, data, len, err);
}

/* The info/<pkg>.list path of an installed package (Multi-Arch: same has :arch). */
static int list_path(const struct pl_fstree *t, const struct pl_pkg *k, char *out, size_t n)
{
	if (k->arch[0]) {
		snprintf(out, n, "var/lib/dpkg/info/%s:%s.list", k->name, k->arch);
		if (pl_fstree_get(t, out))
			return 0;
	}
	snprintf(out, n, "var/lib/dpkg/info/%s.list", k->name);
	return 0;
}

/* Append the canonical paths (symlinked parents followed) of a .list to s. */
static int add_list(const struct pl_fstree *t, const char *data, size_t len, struct strs *raw,
		    struct strs *canonical, struct pl_err *err)
{
	size_t off = 0;
	int rc = 0;

	while (off < len && rc == 0) {
		const char *nl = memchr(data + off, '\n', len - off);
		size_t k = nl ? (size_t)(nl - (data + off)) : len - off;
		const char *p = data + off;
		char *line = NULL, *c = NULL;
		struct pl_err ignore = PL_ERR_INIT;

		off += k + 1;
		while (k > 0 && *p == '/') {
			p++;
			k--;
		}
		if (k == 0 || (k == 1 && *p == '.'))
			continue;
		line = strndup(p, k);
		if (!line)
			return pl_err_set(err, PL_ENOMEM, "out of memory");
		if (raw)
			rc = strs_add(raw, line, k, err);
		if (rc == 0 && canonical &&
		    pl_fstree_resolve(t, line, false, true, &c, &ignore) == 0 && c[0])
			rc = strs_add(canonical, c, strlen(c), err);
		free(c);
		free(line);
	}
	return rc;
}

/* Paths the other packages' .list files name (raw and canonical). */
struct others_ctx {
	const struct pl_fstree *t;
	const struct pl_cas *cas;
	const struct plan *pl;
	struct strs *owned;
};

static int others_one(const struct pl_fsentry *e, void *vctx, struct pl_err *err)
{
	struct others_ctx *c = vctx;
	const char *pfx = "var/lib/dpkg/info/", *name;
	size_t n, pl = strlen(pfx);
	char *data = NULL, pkg[256];
	size_t len = 0;
	int rc;

	if (strncmp(e->path, pfx, pl) != 0 || e->meta->type != PL_FT_REG)
		return 0;
	name = e->path + pl;
	n = strlen(name);
	if (strchr(name, '/') || n < 6 || strcmp(name + n - 5, ".list") != 0 ||
	    n - 5 >= sizeof(pkg))
		return 0;
	memcpy(pkg, name, n - 5);
	pkg[n - 5] = '\0';
	if (strchr(pkg, ':'))
		*strchr(pkg, ':') = '\0';
	if (plan_find(c->pl, pkg))
		return 0;
	rc = pl_cas_read(c->cas, e->meta->digest, LIST_MAX, &data, &len, err);
	if (rc == 0)
		rc = add_list(c->t, data, len, c->owned, c->owned, err);
	free(data);
	return rc;
}

static bool keep_count(const char *path, void *ctx)
{
	(void)path;
	(*(size_t *)ctx)++;
	return true;
}

static int cmp_rev(const void *a, const void *b)
{
	return -strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * Remove what the replaced versions owned and the new ones do not ship:
 * files (and symlinks) unless another package lists them, directories when
 * also empty.
 */
static int remove_old(struct pl_fstree *t, const struct pl_cas *cas, const struct plan *pl,
		      struct strs *oldc, struct pl_deb *const *debs, struct pl_err *err)
{
	struct strs newc = {0}, owned = {0};
	struct others_ctx oc = {t, cas, pl, &owned};
	int rc = 0;

	for (size_t i = 0; i < pl->n && rc == 0; i++) {
		if (!debs[i])
			continue;
		for (size_t k = 0; k < debs[i]->npaths && rc == 0; k++) {
			const char *p = debs[i]->paths[k];

			rc = add_list(t, p, strlen(p), NULL, &newc, err);
		}
	}
	if (rc == 0)
		rc = pl_fstree_walk(t, others_one, &oc, err);
	if (rc < 0)
		goto out;
	qsort(newc.v, newc.n, sizeof(*newc.v), cmp_str);
	qsort(owned.v, owned.n, sizeof(*owned.v), cmp_str);
	qsort(oldc->v, oldc->n, sizeof(*oldc->v), cmp_rev); /* children before parents */
	for (size_t i = 0; i < oldc->n && rc == 0; i++) {
		const char *p = oldc->v[i];
		const struct pl_fsmeta *m = pl_fstree_get(t, p);

		if (!m || strs_has(&newc, p) || strs_has(&owned, p))
			continue;
		if (i > 0 && strcmp(p, oldc->v[i - 1]) == 0)
			continue;
		if (m->type == PL_FT_DIR) {
			size_t nkids = 0;

			rc = pl_fstree_prune(t, p, keep_count, &nkids, err);
			if (rc < 0 || nkids > 0)
				continue;
		}
		rc = pl_fstree_remove(t, p, err);
	}
out:
	strs_release(&newc);
	strs_release(&owned);
	return rc;
}

/* ---- the action ---- */

static int find_from(const struct pl_patch_env *env, const char *from, const struct pl_apt **apt,
		     size_t *repo)
{
	for (size_t a = 0; a < env->napts; a++)
		for (size_t i = 0; i < pl_apt_nrepos(env->apts[a]); i++)
			if (strcmp(pl_apt_repo(env->apts[a], i)->name, from) == 0) {
				*apt = env->apts[a];
				*repo = i;
				return 0;
			}
	return PL_ENOTFOUND;
}

static int add_change(struct pl_patch_action_result *res, const char *name, const char *before,
		      const char *after, struct pl_err *err)
{
	struct pl_patch_pkgchange *nv = realloc(res->pkgs, (res->npkgs + 1) * sizeof(*nv));
	struct pl_patch_pkgchange *c;

	if (!nv)
		return pl_err_set(err, PL_ENOMEM, "out of memory");
	res->pkgs = nv;
	c = &res->pkgs[res->npkgs];
	c->name = strdup(name);
	c->before = strdup(before);
	c->after = strdup(after);
	res->npkgs++;
	if (!c->name || !c->before || !c->after)
		return pl_err_set(err, PL_ENOMEM, "out of memory");
	return 0;
}

static const char *const info_suffixes[] = {
    "list",   "md5sums",   "conffiles", "preinst", "postinst", "prerm",	 "postrm",
    "config", "templates", "triggers",	"shlibs",  "symbols",  "shlibs", NULL,
};

/* Forget the old version's info/ files; pl_pkgdb_install writes the new ones. */
static int drop_info(struct pl_fstree *t, const struct pl_pkg *k, struct pl_err *err)
{
	char path[512];
	int rc = 0;

	for (size_t i = 0; info_suffixes[i] && rc == 0; i++) {
		for (int q = 0; q < 2 && rc == 0; q++) {
			if (q == 0)
				snprintf(path, sizeof(path), "var/lib/dpkg/info/%s.%s", k->name,
					 info_suffixes[i]);
			else if (k->arch[0])
				snprintf(path, sizeof(path), "var/lib/dpkg/info/%s:%s.%s", k->name,
					 k->arch, info_suffixes[i]);
			else
				continue;
			if (pl_fstree_get(t, path))
				rc = pl_fstree_remove(t, path, err);
		}
	}
	return rc;
}

int pl_patch_upgrade(struct pl_fstree *t, const struct pl_patch_env *env,
		     const char *const *packages, size_t npackages, const char *from,
		     const char *version, struct pl_patch_action_result *res, struct pl_err *err)
{
	const char *arch = env->arch ? env->arch : "amd64";
	struct pl_pkgdb *db = NULL;
	struct plan pl = {0};
	struct pl_fetch_item *items = NULL;
	struct pl_deb **debs = NULL;
	struct strs oldc = {0};
	char **urls = NULL;
	const struct pl_apt *fapt = NULL;
	size_t frepo = 0;
	int rc;

	rc = pl_pkgdb_read(t, env->cas, &db, err);
	if (rc < 0)
		goto out;
	if (find_from(env, from, &fapt, &frepo) < 0) {
		rc = pl_err_set(err, PL_ENOTFOUND, "upgrade: repository '%s' is not open", from);
		goto out;
	}
	for (size_t i = 0; i < npackages; i++) {
		const char *name = packages[i];
		const struct pl_pkg *old = installed(db, name);
		const struct pl_apt_pkg *const *v;
		const struct pl_apt_pkg *cand = NULL;
		size_t n = 0;
		int c;

		if (!old) {
			rc = pl_err_set(err, PL_EINVAL, "upgrade: package '%s' is not installed",
					name);
			goto out;
		}
		v = pl_apt_lookup(fapt, name, &n);
		for (size_t k = 0; k < n && !cand; k++)
			if (v[k]->repo == frepo &&
			    (!version || strcmp(v[k]->version, version) == 0))
				cand = v[k];
		if (!cand) {
			if (version)
				rc = pl_err_set(err, PL_ENOTFOUND,
						"upgrade: no version %s of '%s' in repository '%s'",
						version, name, from);
			else
				rc = pl_err_set(err, PL_ENOTFOUND,
						"upgrade: no package '%s' in repository '%s'", name,
						from);
			goto out;
		}
		c = pl_debver_cmp(cand->version, old->version);
		if (c < 0) {
			rc = pl_err_set(err, PL_EPOLICY,
					"upgrade: '%s' %s in repository '%s' is older than the "
					"installed %s",
					name, cand->version, from, old->version);
			goto out;
		}
		if (c == 0) {
			rc = add_change(res, name, old->version, old->version, err);
			if (rc < 0)
				goto out;
			continue;
		}
		if (plan_find(&pl, name))
			continue;
		rc = plan_add(&pl, fapt, cand, old, err);
		if (rc < 0)
			goto out;
	}
	rc = close_deps(&pl, db, env, arch, err);
	if (rc < 0 || pl.n == 0)
		goto out;
	if (!env->fetch || !env->fetch_cas) {
		rc = pl_err_set(err, PL_EINVAL, "upgrade: no fetcher to download packages with");
		goto out;
	}
	items = calloc(pl.n, sizeof(*items));
	urls = calloc(pl.n, sizeof(*urls));
	debs = calloc(pl.n, sizeof(*debs));
	if (!items || !urls || !debs) {
		rc = pl_err_set(err, PL_ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < pl.n; i++) {
		urls[i] = pl_apt_pkg_url(pl.v[i].apt, pl.v[i].pkg);
		if (!urls[i]) {
			rc = pl_err_set(err, PL_ENOMEM, "out of memory");
			goto out;
		}
		items[i].url = urls[i];
		items[i].sha256 = pl.v[i].pkg->sha256;
		items[i].size = pl.v[i].pkg->size;
		items[i].what = pl.v[i].pkg->filename;
	}
	rc = pl_fetch_batch(env->fetch, items, pl.n, err);
	if (rc < 0) {
		pl_err_wrap(err, "upgrade");
		goto out;
	}
	/* what the old versions owned, before anything moves */
	for (size_t i = 0; i < pl.n; i++) {
		char lp[512], *data = NULL;
		size_t len = 0;

		if (!pl.v[i].old)
			continue;
		list_path(t, pl.v[i].old, lp, sizeof(lp));
		rc = tree_read(t, env->cas, lp, &data, &len, err);
		if (rc == 0 && data)
			rc = add_list(t, data, len, NULL, &oldc, err);
		free(data);
		if (rc < 0)
			goto out;
	}
	for (size_t i = 0; i < pl.n; i++) {
		struct pl_deb_read_opts o = {pl.v[i].pkg->filename, true};
		int fd = -1;

		rc = pl_cas_open_read(env->fetch_cas, items[i].digest, &fd, err);
		if (rc == 0) {
			rc = pl_deb_read(fd, t, env->cas, &o, &debs[i], err);
			close(fd);
		}
		if (rc < 0) {
			pl_err_wrap(err, "upgrade '%s'", pl.v[i].pkg->name);
			goto out;
		}
	}
	rc = remove_old(t, env->cas, &pl, &oldc, debs, err);
	for (size_t i = 0; i < pl.n && rc == 0; i++)
		if (pl.v[i].old)
			rc = drop_info(t, pl.v[i].old, err);
	if (rc == 0) {
		struct pl_pkgdb_write_opts wo = {env->epoch, 0};
		const struct pl_fsmeta *sd = pl_fstree_get(t, "var/lib/dpkg/status.d");

		if (pl_fstree_get(t, "var/lib/dpkg/status") || !sd)
			wo.style |= PL_PKGDB_STATUS;
		if (sd && sd->type == PL_FT_DIR)
			wo.style |= PL_PKGDB_STATUS_D;
		rc = pl_pkgdb_install(t, env->cas, (const struct pl_deb *const *)debs, pl.n, &wo,
				      err);
		if (rc < 0)
			pl_err_wrap(err, "upgrade");
	}
	for (size_t i = 0; i < pl.n && rc == 0; i++)
		rc = add_change(res, pl.v[i].pkg->name, pl.v[i].old ? pl.v[i].old->version : "",
				pl.v[i].pkg->version, err);
out:
	if (rc == 0 && !res->result && pl.n == 0) {
		res->result = strdup("unchanged");
		if (!res->result)
			rc = pl_err_set(err, PL_ENOMEM, "out of memory");
	}
	for (size_t i = 0; debs && i < pl.n; i++)
		pl_deb_free(debs[i]);
	free(debs);
	for (size_t i = 0; urls && i < pl.n; i++)
		free(urls[i]);
	free(urls);
	free(items);
	strs_release(&oldc);
	free(pl.v);
	pl_pkgdb_free(db);
	return rc;
}
