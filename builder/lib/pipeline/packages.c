/*
 * packages: a recipe's Debian packages for one architecture. The lock (from
 * the commit's recipes/<name>.lock.json, or a fresh resolution against the
 * recipe's repositories) names exact files; they are fetched into the
 * content cache (sha256-verified), unpacked into a copy of the merged tree
 * the way dpkg would (merged /usr included), the dpkg database and the
 * maintainer-script effects written, and the difference becomes the layer.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "lib/apt.h"
#include "lib/deb.h"
#include "lib/pipeline/internal.h"
#include "lib/pkgdb.h"
#include "lib/vulndb.h"
#include "util/buf.h"
#include "util/json.h"
#include "util/log.h"

#define KEYRING_MAX (16u << 20)

void pl_locks_release(struct pl_locks *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->archs[i]);
		pl_apt_lock_free(l->locks[i]);
	}
	free(l->archs);
	free(l->locks);
	memset(l, 0, sizeof(*l));
}

struct pl_apt_lock *pl_locks_get(const struct pl_locks *l, const char *arch)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->archs[i], arch))
			return l->locks[i];
	return NULL;
}

static int locks_add(struct pl_locks *l, const char *arch, struct pl_apt_lock *lock,
		     struct pl_err *err)
{
	char **a = realloc(l->archs, (l->n + 1) * sizeof(*a));
	struct pl_apt_lock **k;

	if (!a)
		return pl_err_set(err, PL_ENOMEM, "out of memory");
	l->archs = a;
	k = realloc(l->locks, (l->n + 1) * sizeof(*k));
	if (!k)
		return pl_err_set(err, PL_ENOMEM, "out of memory");
	l->locks = k;
	l->archs[l->n] = strdup(arch);
	if (!l->archs[l->n])
		return pl_err_set(err, PL_ENOMEM, "out of memory");
	l->locks[l->n++] = lock;
	return 0;
}

int pl_lock_path(const char *recipe, struct pl_buf *out, struct pl_err *err)
{
	return pl_buf_addf(out, err, "%s/%s.lock.json", PL_RECIPES_DIR, recipe);
}

/*
 * The lock file: {"architectures": {"<arch>": <apt lock>, ...}, "recipe": NAME,
 * "version": 1}, written pretty with sorted keys.
 */
int pl_locks_write(const struct pl_locks *l, const char *recipe, struct pl_buf *out,
		   struct pl_err *err)
{
	json_t *root = json_object(), *archs = json_object();
	struct pl_buf one = PL_BUF_INIT;
	int rc = 0;

	if (!root || !archs) {
		json_decref(root);
		json_decref(archs);
		return pl_err_set(err, PL_ENOMEM, "out of memory");
	}
	rc = pl_json_set_new(root, "architectures", archs, err);
	if (rc == 0)
		rc = pl_json_set_str(root, "recipe", recipe, err);
	if (rc == 0)
		rc = pl_json_set_new(root, "version", json_integer(1), err);
	for (size_t i = 0; rc == 0 && i < l->n; i++) {
		json_t *j = NULL;

		pl_buf_reset(&one);
		rc = pl_apt_lock_write(l->locks[i], &one, err);
		if (rc == 0)
			rc = pl_json_load(one.data, one.len, "lock", &j, err);
		if (rc == 0)
			rc = pl_json_set_new(archs, l->archs[i], j, err);
	}
	if (rc == 0)
		rc = pl_json_dump_pretty(root, out, err);
	json_decref(root);
	pl_buf_release(&one);
	return rc;
}

int pl_locks_parse(const char *data, size_t len, const char *what, struct pl_locks *out,
		   struct pl_err *err)
{
	struct pl_buf one = PL_BUF_INIT, name = PL_BUF_INIT;
	json_t *root = NULL, *archs;
	const char *arch;
	json_t *v;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = pl_json_load(data, len, what, &root, err);
	if (rc < 0)
		return rc;
	archs = json_object_get(root, "architectures");
	if (!json_is_object(root) || !json_is_integer(json_object_get(root, "version")) ||
	    json_integer_value(json_object_get(root, "version")) != 1 || !json_is_object(archs)) {
		rc = pl_err_set(err, PL_EINVAL,
				"%s: not a plinth lock file (want {\"version\": 1, "
				"\"architectures\": {...}}); run plinth lock",
				what);
		goto out;
	}
	json_object_foreach(archs, arch, v) {
		struct pl_apt_lock *lock = NULL;

		pl_buf_reset(&one);
		pl_buf_reset(&name);
		rc = pl_json_dump(v, &one, err);
		if (rc == 0)
			rc = pl_buf_addf(&name, err, "%s: architectures.%s", what, arch);
		if (rc == 0)
			rc = pl_apt_lock_parse(one.data, one.len, name.data, &lock, err);
		if (rc == 0 && strcmp(lock->arch, arch) != 0)
			rc = pl_err_set(err, PL_EINVAL, "%s: holds a lock for '%s'", name.data,
					lock->arch);
		if (rc == 0)
			rc = locks_add(out, arch, lock, err);
		else
			pl_apt_lock_free(lock);
		if (rc < 0)
			break;
	}
out:
	if (rc < 0)
		pl_locks_release(out);
	json_decref(root);
	pl_buf_release(&one);
	pl_buf_release(&name);
	return rc;
}

int pl_recipe_requests(const struct pl_recipe *r, struct pl_oci_strv *out, struct pl_err *err)
{
	int rc = 0;

	memset(out, 0, sizeof(*out));
	for (size_t k = 0; rc == 0 && k <= r->nlayers; k++) {
		const struct pl_recipe_list *pk = k ? &r->layers[k - 1].packages : &r->packages;

		for (size_t i = 0; rc == 0 && i < pk->n; i++)
			rc = pl_oci_strv_push(out, pk->v[i], err);
	}
	if (rc < 0)
		pl_oci_strv_release(out);
	return rc;
}

bool pl_recipe_has_packages(const struct pl_recipe *r)
{
	for (size_t i = 0; i < r->nlayers; i++)
		if (r->layers[i].packages.n)
			return true;
	return r->packages.n > 0;
}

/* Where a recipe's packages were written, for messages. */
static const struct pl_mark *packages_mark(const struct pl_recipe *r)
{
	if (r->packages.n)
		return &r->packages.mark;
	for (size_t i = 0; i < r->nlayers; i++)
		if (r->layers[i].packages.n)
			return &r->layers[i].packages.mark;
	return &r->packages.mark;
}

int pl_open_repos(const struct pl_pkg_ctx *c, const char *const *names,
		  const struct pl_mark *marks, size_t n, const char *arch, struct pl_apt **out,
		  struct pl_err *err)
{
	const struct pl_settings *s = c->src->settings;
	struct pl_apt_source *src = NULL;
	struct pl_apt_opts ao = { 0 };
	char **keys = NULL;
	int rc = 0;

	*out = NULL;
	src = calloc(n ? n : 1, sizeof(*src));
	keys = calloc(n ? n : 1, sizeof(*keys));
	if (!src || !keys) {
		rc = pl_err_set(err, PL_ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; rc == 0 && i < n; i++) {
		const struct pl_settings_repo *repo = pl_settings_repo(s, names[i]);

		if (!repo) {
			rc = pl_err_set(err, PL_EINVAL,
					PL_MARK_FMT ": no repository '%s' in plinth.yaml",
					PL_MARK_ARGS(marks[i]), names[i]);
			break;
		}
		src[i].repo = repo;
		if (repo->keyring) {
			rc = pl_source_read(c->src, repo->keyring, KEYRING_MAX, &keys[i],
					    &src[i].keyring_len, err);
			if (rc < 0)
				pl_err_wrap(err, "keyring of repository '%s'", repo->name);
			src[i].keyring = keys[i];
		}
	}
	if (rc < 0)
		goto out;
	ao.arch = arch;
	ao.cache_dir = c->cache_dir;
	ao.offline = c->offline;
	rc = pl_apt_open(out, src, n, c->fetch, c->content, &ao, err);
out:
	for (size_t i = 0; keys && i < n; i++)
		free(keys[i]);
	free(keys);
	free(src);
	return rc;
}

/* Open the recipe's repositories (keyrings read from the commit) for arch. */
static int open_apt(const struct pl_pkg_ctx *c, const struct pl_recipe *r, const char *arch,
		    struct pl_apt **out, struct pl_err *err)
{
	return pl_open_repos(c, (const char *const *)r->sources.v, r->sources.marks,
			     r->sources.n, arch, out, err);
}

/* Resolve the recipe's packages for arch into a new lock. */
static int resolve(const struct pl_pkg_ctx *c, const struct pl_recipe *r, const char *arch,
		   struct pl_apt_lock **out, struct pl_err *err)
{
	struct pl_apt_resolve_opts ro = { 0 };
	struct pl_apt_resolution res;
	struct pl_oci_strv req = { 0 };
	struct pl_apt *apt = NULL;
	int rc;

	memset(&res, 0, sizeof(res));
	*out = NULL;
	ro.essential = r->essential;
	ro.required = r->required;
	rc = pl_recipe_requests(r, &req, err);
	if (rc == 0)
		rc = open_apt(c, r, arch, &apt, err);
	if (rc == 0)
		rc = pl_apt_resolve(apt, (const char *const *)req.v, req.n, &ro, &res, err);
	if (rc == 0)
		rc = pl_apt_lock_from(apt, &res, out, err);
	pl_apt_resolution_release(&res);
	pl_apt_free(apt);
	pl_oci_strv_release(&req);
	return rc;
}

int pl_packages_resolve(const struct pl_pkg_ctx *c, const struct pl_recipe *r,
			struct pl_locks *out, struct pl_err *err)
{
	int rc = 0;

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; rc == 0 && i < r->architectures.n; i++) {
		struct pl_apt_lock *lock = NULL;

		pl_log_info("resolving %s for %s", r->name, r->architectures.v[i]);
		rc = resolve(c, r, r->architectures.v[i], &lock, err);
		if (rc == 0)
			rc = locks_add(out, r->architectures.v[i], lock, err);
		else
			pl_apt_lock_free(lock);
	}
	if (rc < 0) {
		pl_err_wrap(err, PL_MARK_FMT ": packages", PL_MARK_ARGS(*packages_mark(r)));
		pl_locks_release(out);
	}
	return rc;
}

int pl_packages_locks(const struct pl_pkg_ctx *c, const struct pl_recipe *r, bool update,
		      struct pl_locks *out, struct pl_err *err)
{
	struct pl_buf path = PL_BUF_INIT;
	struct pl_oci_strv req = { 0 };
	char *data = NULL;
	size_t len = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = pl_recipe_requests(r, &req, err);
	if (rc == 0)
		rc = pl_lock_path(r->name, &path, err);
	if (rc < 0)
		goto out;
	if (!update) {
		rc = pl_source_read(c->src, path.data, PL_APT_MAX_LOCK, &data, &len, err);
		if (rc == PL_ENOTFOUND) {
			pl_err_init(err);
			update = true;
			pl_log_warn("%s has no %s at this commit: resolving against the "
				    "repositories (run plinth lock to pin it)",
				    r->file, path.data);
		} else if (rc < 0) {
			goto out;
		}
	}
	if (update) {
		rc = pl_packages_resolve(c, r, out, err);
		goto out;
	}
	rc = pl_locks_parse(data, len, path.data, out, err);
	for (size_t i = 0; rc == 0 && i < r->architectures.n; i++) {
		const char *arch = r->architectures.v[i];
		struct pl_apt_lock *lock = pl_locks_get(out, arch);

		if (!lock)
			rc = pl_err_set(err, PL_EINVAL,
					"%s has no packages for architecture '%s'; run plinth lock "
					"or build with --update-lock",
					path.data, arch);
		else if (pl_apt_lock_check(lock, (const char *const *)req.v, req.n, arch, err) < 0)
			rc = pl_err_wrap(err, "%s does not satisfy %s (run plinth lock or build "
					 "with --update-lock)", path.data, r->file);
	}
out:
	if (rc < 0)
		pl_locks_release(out);
	free(data);
	pl_buf_release(&path);
	pl_oci_strv_release(&req);
	return rc;
}

/* The locked package satisfying alt (by name or Provides), or -1. */
static long lock_find(const struct pl_apt_lock *l, const struct pl_dep_alt *alt)
{
	for (size_t i = 0; i < l->npkgs; i++)
		if (!strcmp(l->pkgs[i].name, alt->name) && pl_dep_version_ok(alt, l->pkgs[i].version))
			return (long)i;
	for (size_t i = 0; i < l->npkgs; i++) {
		struct pl_deplist prov = { 0 };
		bool hit = false;

		if (!*l->pkgs[i].provides ||
		    pl_deplist_parse(l->pkgs[i].provides, "Provides", &prov, NULL) < 0)
			continue;
		for (size_t k = 0; k < prov.n && !hit; k++)
			for (size_t j = 0; j < prov.v[k].nalts && !hit; j++) {
				const struct pl_dep_alt *p = &prov.v[k].alts[j];

				hit = !strcmp(p->name, alt->name) &&
				      (alt->op == PL_DEP_ANY ||
				       (p->version && pl_dep_version_ok(alt, p->version)));
			}
		pl_deplist_release(&prov);
		if (hit)
			return (long)i;
	}
	return -1;
}

/* Give group g every unassigned package the dependency text s reaches. */
static int reach(const struct pl_apt_lock *l, const char *s, size_t g, size_t *group,
		 struct pl_err *err)
{
	struct pl_deplist deps = { 0 };
	int rc;

	if (!s || !*s)
		return 0;
	rc = pl_deplist_parse(s, "dependencies", &deps, err);
	for (size_t i = 0; rc == 0 && i < deps.n; i++) {
		long k = -1;

		for (size_t j = 0; k < 0 && j < deps.v[i].nalts; j++)
			k = lock_find(l, &deps.v[i].alts[j]);
		if (k < 0 || group[k] != SIZE_MAX)
			continue;
		group[k] = g;
		rc = reach(l, l->pkgs[k].pre_depends, g, group, err);
		if (rc == 0)
			rc = reach(l, l->pkgs[k].depends, g, group, err);
	}
	pl_deplist_release(&deps);
	return rc;
}

int pl_packages_groups(const struct pl_apt_lock *l, const struct pl_recipe *r, size_t *group,
		       struct pl_err *err)
{
	struct pl_buf req = PL_BUF_INIT;
	int rc = 0;

	for (size_t i = 0; i < l->npkgs; i++)
		group[i] = SIZE_MAX;
	for (size_t g = 0; rc == 0 && g <= r->nlayers; g++) {
		const struct pl_recipe_list *pk = g ? &r->layers[g - 1].packages : &r->packages;

		for (size_t i = 0; rc == 0 && i < pk->n; i++) {
			const char *eq = strchr(pk->v[i], '=');

			/* "name=version" is the dependency "name (= version)" */
			pl_buf_reset(&req);
			if (eq)
				rc = pl_buf_addf(&req, err, "%.*s (= %s)", (int)(eq - pk->v[i]),
						 pk->v[i], eq + 1);
			else
				rc = pl_buf_adds(&req, pk->v[i], err);
			if (rc == 0)
				rc = reach(l, req.data, g, group, err);
		}
	}
	/* whatever no request reaches (the lock says it is needed) goes first */
	for (size_t i = 0; i < l->npkgs; i++)
		if (group[i] == SIZE_MAX)
			group[i] = 0;
	pl_buf_release(&req);
	return rc;
}

/*
 * Merged /usr, as debootstrap and mmdebstrap set up bookworm: the top-level
 * bin, sbin and lib directories are links into usr/. Only for an empty
 * tree: a base image keeps whatever layout it has.
 */
static int merged_usr(struct pl_fstree *t, const char *arch, int64_t epoch, struct pl_err *err)
{
	static const char *const links[] = { "bin", "sbin", "lib", NULL };
	struct pl_fsmeta dir = { .type = PL_FT_DIR, .mode = 0755, .mtime = epoch };
	struct pl_buf target = PL_BUF_INIT;
	int rc = 0;

	if (pl_fstree_count(t) != 0)
		return 0;
	rc = pl_fstree_put(t, "usr", &dir, err);
	for (size_t i = 0; rc == 0 && links[i]; i++) {
		struct pl_fsmeta l = { .type = PL_FT_SYMLINK, .mode = 0777, .mtime = epoch };
		char usrdir[16];

		snprintf(usrdir, sizeof(usrdir), "usr/%s", links[i]);
		pl_buf_reset(&target);
		rc = pl_fstree_put(t, usrdir, &dir, err);
		if (rc == 0)
			rc = pl_buf_addf(&target, err, "usr/%s", links[i]);
		l.link = target.data;
		if (rc == 0)
			rc = pl_fstree_put(t, links[i], &l, err);
	}
	/* the dynamic loader's directory on the 64-bit x86 ABI */
	if (rc == 0 && !strcmp(arch, "amd64")) {
		struct pl_fsmeta l = { .type = PL_FT_SYMLINK, .mode = 0777, .mtime = epoch,
				       .link = "usr/lib64" };

		rc = pl_fstree_put(t, "usr/lib64", &dir, err);
		if (rc == 0)
			rc = pl_fstree_put(t, "lib64", &l, err);
	}
	pl_buf_release(&target);
	return rc;
}

/*
 * Download each locked file from the mirror plinth.yaml names now for its
 * repository (the sha256 pins the bytes, so any mirror that still holds the
 * file will do); the lock's own URL when the repository is gone.
 */
static int mirror_urls(const struct pl_pkg_ctx *c, const struct pl_apt_lock *lock,
		       struct pl_fetch_item *items, size_t n, char ***urls, struct pl_err *err)
{
	*urls = calloc(n ? n : 1, sizeof(**urls));
	if (!*urls)
		return pl_err_set(err, PL_ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		const struct pl_settings_repo *repo =
		    pl_settings_repo(c->src->settings, lock->pkgs[i].repository);
		size_t ul;

		if (!repo || !repo->url)
			continue;
		ul = strlen(repo->url);
		while (ul && repo->url[ul - 1] == '/')
			ul--;
		if (asprintf(&(*urls)[i], "%.*s/%s", (int)ul, repo->url,
			     lock->pkgs[i].filename) < 0) {
			(*urls)[i] = NULL;
			return pl_err_set(err, PL_ENOMEM, "out of memory");
		}
		items[i].url = (*urls)[i];
	}
	return 0;
}

int pl_packages_layer(const struct pl_pkg_ctx *c, const struct pl_recipe *r,
		      const struct pl_apt_lock *lock, const size_t *group, size_t g,
		      const struct pl_fstree *merged, struct pl_fstree **layer, struct pl_err *err)
{
	struct pl_pkgdb_write_opts wo = { 0 };
	struct pl_fetch_item *items = NULL;
	struct pl_deb **debs = NULL;
	char **urls = NULL;
	struct pl_fstree *work = NULL;
	size_t n = 0, ndebs = 0;
	int rc;

	*layer = NULL;
	rc = pl_apt_lock_items(lock, &items, &n, err);
	if (rc == 0)
		rc = mirror_urls(c, lock, items, n, &urls, err);
	if (rc == 0)
		rc = pl_fetch_batch(c->fetch, items, n, err);
	if (rc == 0)
		rc = pl_fstree_clone(merged, &work, err);
	if (rc == 0)
		rc = merged_usr(work, lock->arch, c->epoch, err);
	if (rc == 0) {
		debs = calloc(n ? n : 1, sizeof(*debs));
		if (!debs)
			rc = pl_err_set(err, PL_ENOMEM, "out of memory");
	}
	for (size_t i = 0; rc == 0 && i < n; i++) {
		struct pl_deb_read_opts ro = { 0 };
		struct pl_buf what = PL_BUF_INIT;
		int fd = -1;

		if (group && group[i] != g)
			continue;
		rc = pl_cas_open_read(c->content, items[i].digest, &fd, err);
		if (rc == 0)
			rc = pl_buf_addf(&what, err, "%s_%s_%s.deb", lock->pkgs[i].name,
					 lock->pkgs[i].version, lock->pkgs[i].arch);
		if (rc == 0) {
			ro.what = what.data;
			ro.unpack = true;
			rc = pl_deb_read(fd, work, c->content, &ro, &debs[ndebs], err);
			if (rc == 0)
				ndebs++;
		}
		if (fd >= 0)
			close(fd);
		pl_buf_release(&what);
	}
	if (rc == 0) {
		wo.epoch = c->epoch;
		wo.style = r->dpkg_database == PL_RECIPE_DPKGDB_STATUS_D ? PL_PKGDB_STATUS_D
			   : r->dpkg_database == PL_RECIPE_DPKGDB_BOTH
				   ? PL_PKGDB_STATUS | PL_PKGDB_STATUS_D
				   : PL_PKGDB_STATUS;
		rc = pl_pkgdb_install(work, c->content, (const struct pl_deb *const *)debs, ndebs,
				      &wo, err);
	}
	if (rc == 0)
		rc = pl_fstree_diff(merged, work, layer, err);
	for (size_t i = 0; debs && i < ndebs; i++)
		pl_deb_free(debs[i]);
	for (size_t i = 0; urls && i < n; i++)
		free(urls[i]);
	free(urls);
	free(debs);
	free(items);
	pl_fstree_free(work);
	if (rc < 0)
		pl_err_wrap(err, PL_MARK_FMT ": packages for %s", PL_MARK_ARGS(*packages_mark(r)),
			    lock->arch);
	return rc;
}

/* ---- changelogs: what a mirror alone says about fixed CVEs ---- */

#define CHANGELOG_MAX (64u << 20)

/* Inflate a gzip'd changelog (zlib, gzip framing) into out. */
static int gunzip(const char *data, size_t len, const char *what, struct pl_buf *out,
		  struct pl_err *err)
{
	z_stream z;
	char chunk[65536];
	int zr = Z_OK, rc = 0;

	memset(&z, 0, sizeof(z));
	if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK)
		return pl_err_set(err, PL_ENOMEM, "out of memory");
	z.next_in = (unsigned char *)(uintptr_t)data;
	z.avail_in = (uInt)len;
	while (rc == 0 && zr != Z_STREAM_END) {
		z.next_out = (unsigned char *)chunk;
		z.avail_out = sizeof(chunk);
		zr = inflate(&z, Z_NO_FLUSH);
		if (zr != Z_OK && zr != Z_STREAM_END) {
			rc = pl_err_set(err, PL_EINVAL, "%s: not a valid gzip stream", what);
			break;
		}
		if (out->len + (sizeof(chunk) - z.avail_out) > CHANGELOG_MAX)
			rc = pl_err_set(err, PL_ETOOBIG, "%s: larger than %u bytes", what,
					CHANGELOG_MAX);
		else
			rc = pl_buf_add(out, chunk, sizeof(chunk) - z.avail_out, err);
		if (zr == Z_OK && z.avail_in == 0 && z.avail_out != 0) {
			rc = rc ? rc : pl_err_set(err, PL_EINVAL, "%s: truncated gzip stream", what);
			break;
		}
	}
	inflateEnd(&z);
	return rc;
}

/*
 * The newest version of pkg's binary in the repositories: download it,
 * read usr/share/doc/<pkg>/changelog.Debian.gz out of it and record every
 * CVE its entries name as fixed in that entry's version.
 */
static int one_changelog(const struct pl_pkg_ctx *c, struct pl_apt *apt, const char *name,
			 const char *ecosystem, struct pl_vulndb *db, struct pl_vulndb_stats *st,
			 struct pl_err *err)
{
	const struct pl_apt_pkg *const *v;
	struct pl_fetch_item it;
	struct pl_vulndb_stats one = { 0 };
	struct pl_deb_read_opts ro = { 0 };
	struct pl_fstree *t = NULL;
	struct pl_deb *deb = NULL;
	struct pl_buf path = PL_BUF_INIT, text = PL_BUF_INIT;
	const struct pl_fsmeta *m;
	char *url = NULL, *canon = NULL, *gz = NULL;
	size_t n = 0, gzlen = 0;
	int fd = -1, rc;

	v = pl_apt_lookup(apt, name, &n);
	if (n == 0)
		return 0;
	url = pl_apt_pkg_url(apt, v[0]);
	if (!url)
		return pl_err_set(err, PL_ENOMEM, "out of memory");
	memset(&it, 0, sizeof(it));
	it.url = url;
	it.sha256 = v[0]->sha256;
	it.size = v[0]->size;
	it.what = v[0]->filename;
	rc = pl_fetch_batch(c->fetch, &it, 1, err);
	if (rc == 0)
		rc = pl_cas_open_read(c->content, it.digest, &fd, err);
	if (rc == 0)
		rc = pl_fstree_new(&t, err);
	if (rc == 0) {
		ro.what = v[0]->filename;
		ro.unpack = true;
		rc = pl_deb_read(fd, t, c->content, &ro, &deb, err);
	}
	if (rc == 0)
		rc = pl_buf_addf(&path, err, "usr/share/doc/%s/changelog.Debian.gz", name);
	/* the doc directory is often a link to a sibling package's */
	if (rc == 0 && pl_fstree_resolve(t, path.data, true, false, &canon, NULL) == 0 &&
	    (m = pl_fstree_get(t, canon)) && m->type == PL_FT_REG) {
		rc = pl_cas_read(c->content, m->digest, CHANGELOG_MAX, &gz, &gzlen, err);
		if (rc == 0)
			rc = gunzip(gz, gzlen, path.data, &text, err);
		if (rc == 0)
			rc = pl_vulndb_import_changelog(db, ecosystem, url, text.data ? text.data : "",
							text.len, &one, err);
		/* each import starts its own counts */
		st->records += one.records;
		st->unchanged += one.unchanged;
		st->skipped += one.skipped;
	} else if (rc == 0) {
		pl_log_info("%s has no %s", v[0]->filename, path.data);
	}
	if (fd >= 0)
		close(fd);
	pl_deb_free(deb);
	pl_fstree_free(t);
	pl_buf_release(&path);
	pl_buf_release(&text);
	free(canon);
	free(gz);
	free(url);
	return rc;
}

int pl_packages_changelogs(const struct pl_pkg_ctx *c, const struct pl_recipe *r,
			   const struct pl_locks *locks, struct pl_vulndb *db,
			   struct pl_vulndb_stats *st, struct pl_err *err)
{
	int rc = 0;

	for (size_t k = 0; rc == 0 && k < locks->n; k++) {
		const struct pl_apt_lock *lock = locks->locks[k];
		struct pl_apt *apt = NULL;
		const char *rel = NULL;
		char eco[64];

		rc = open_apt(c, r, lock->arch, &apt, err);
		for (size_t i = 0; rc == 0 && !rel && i < pl_apt_nrepos(apt); i++) {
			const struct pl_apt_release *re = pl_apt_repo(apt, i)->release;

			if (re && re->codename)
				rel = pl_debian_release(re->codename);
		}
		if (rc == 0 && !rel)
			rc = pl_err_set(err, PL_EINVAL,
					"%s: no Debian release named by the repositories' Release "
					"files",
					r->file);
		if (rc == 0)
			snprintf(eco, sizeof(eco), "debian:%s", rel);
		/* one changelog per source package: its first binary in the lock */
		for (size_t i = 0; rc == 0 && i < lock->npkgs; i++) {
			bool seen = false;

			for (size_t j = 0; j < i && !seen; j++)
				seen = !strcmp(lock->pkgs[j].source, lock->pkgs[i].source);
			if (!seen)
				rc = one_changelog(c, apt, lock->pkgs[i].name, eco, db, st, err);
		}
		pl_apt_free(apt);
	}
	return rc;
}
