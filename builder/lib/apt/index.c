/*
 * Opening repositories: InRelease (or Release + Release.gpg) fetched or read
 * from the offline cache, verified with gpgv, then every Packages index the
 * verified Release names, fetched by digest, decompressed with libarchive and
 * parsed into the name -> versions / providers index.
 */
#include <archive.h>
#include <archive_entry.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/apt/internal.h"
#include "lib/deb.h"
#include "util/fsutil.h"
#include "util/log.h"

/* ---- arena ---- */

struct apt_block {
	struct apt_block *next;
	size_t used, cap;
	_Alignas(max_align_t) unsigned char data[];
};

void *apt_arena_alloc(struct apt_arena *ar, size_t n)
{
	struct apt_block *b = ar->head;
	size_t align = _Alignof(max_align_t);

	n = (n + align - 1) & ~(align - 1);
	if (!b || b->cap - b->used < n) {
		size_t cap = n > 256 * 1024 ? n : 256 * 1024;
		b = malloc(sizeof(*b) + cap);
		if (!b)
			return NULL;
		b->cap = cap;
		b->used = 0;
		b->next = ar->head;
		ar->head = b;
	}
	void *p = b->data + b->used;
	b->used += n;
	return p;
}

char *apt_arena_strndup(struct apt_arena *ar, const char *s, size_t n)
{
	char *p = apt_arena_alloc(ar, n + 1);

	if (p) {
		memcpy(p, s, n);
		p[n] = '\0';
	}
	return p;
}

char *apt_arena_strdup(struct apt_arena *ar, const char *s)
{
	return apt_arena_strndup(ar, s, strlen(s));
}

void apt_arena_release(struct apt_arena *ar)
{
	while (ar->head) {
		struct apt_block *n = ar->head->next;
		free(ar->head);
		ar->head = n;
	}
}

/* ---- name index ---- */

static size_t hash_str(const char *s)
{
	size_t h = 1469598103934665603ull;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ull;
	return h;
}

const struct apt_ent *apt_ent_find(const struct pl_apt *a, const char *name)
{
	if (!a->nslots)
		return NULL;
	for (size_t i = hash_str(name) & (a->nslots - 1);; i = (i + 1) & (a->nslots - 1)) {
		size_t s = a->slots[i];
		if (!s)
			return NULL;
		if (!strcmp(a->ents[s - 1].name, name))
			return &a->ents[s - 1];
	}
}

static int rehash(struct pl_apt *a, struct pl_err *err)
{
	size_t n = a->nslots ? a->nslots * 2 : 1024;
	size_t *slots = calloc(n, sizeof(*slots));

	if (!slots)
		return pl_err_set(err, PL_ENOMEM, "out of memory");
	for (size_t e = 0; e < a->nents; e++) {
		size_t i = hash_str(a->ents[e].name) & (n - 1);
		while (slots[i])
			i = (i + 1) & (n - 1);
		slots[i] = e + 1;
	}
	free(a->slots);
	a->slots = slots;
	a->nslots = n;
	return 0;
}

/* The entry for name, created when absent; *idx is its index. */
static int ent_get(struct pl_apt *a, const char *name, size_t *idx, struct pl_err *err)
{
	size_t i;
	int rc;

	if (a->nslots) {
		for (i = hash_str(name) & (a->nslots - 1); a->slots[i];
		     i = (i + 1) & (a->nslots - 1)) {
			if (!strcmp(a->ents[a->slots[i] - 1].name, name)) {
				*idx = a->slots[i] - 1;
				return 0;
			}
		}
	}
	if ((a->nents + 1) * 2 > a->nslots && (rc = rehash(a, err)) < 0)
		return rc;
	if (a->nents == a->capents) {
		size_t nc = a->capents ? a->capents * 2 : 1024;
		struct apt_ent *ne = realloc(a->ents, nc * sizeof(*ne));
		if (!ne)
			return pl_err_set(err, PL_ENOMEM, "out of memory");
		a->ents = ne;
		a->capents = nc;
	}
	struct apt_ent *e = &a->ents[a->nents];
	memset(e, 0, sizeof(*e));
	e->name = apt_arena_strdup(&a->arena, name);
	if (!e->name)
		return pl_err_set(err, PL_ENOMEM, "out of memory");
	for (i = hash_str(name) & (a->nslots - 1); a->slots[i]; i = (i + 1) & (a->nslots - 1))
		;
	a->slots[i] = a->nents + 1;
	*idx = a->nents++;
	return 0;
}

void apt_split_source(const char *s, const char **name, size_t *name_len, const char **ver,
		      size_t *ver_len)
{
	const char *p;

	while (*s == ' ')
		s++;
	p = s;
	while (*p && *p != ' ' && *p != '(')
		p++;
	*name = s;
	*name_len = (size_t)(p - s);
	*ver = NULL;
	*ver_len = 0;
	p = strchr(p, '(');
	if (p) {
		const char *e = strchr(p, ')');
		p++;
		while (*p == ' ')
			p++;
		if (e) {
			while (e > p && e[-1] == ' ')
				e--;
			*ver = p;
			*ver_len = (size_t)(e - p);
		}
	}
}

/* ---- Packages ---- */

struct pkgs_ctx {
	struct pl_apt *a;
	size_t repo;
	const char *what;
	size_t added;
};

static const char *field(const struct pl_deb822_para *p, const char *name)
{
	const char *v = pl_deb822_get(p, name);

	if (v)
		while (*v == ' ')
			v++;
	return v;
}

static int arena_opt(struct pl_apt *a, const char *v, const char **out, struct pl_err *err)
{
	*out = NULL;
	if (!v || !*v)
		return 0;
	*out = apt_arena_strdup(&a->arena, v);
	return *out ? 0 : pl_err_set(err, PL_ENOMEM, "out of memory");
}

static int safe_pool_path(const char *p)
{
	if (!*p || *p == '/' || strstr(p, "..") || strstr(p, "//"))
		return 0;
	for (; *p; p++)
		if ((unsigned char)*p <= 0x20 || *p == 0x7f || *p == '?' || *p == '#' || *p == '\\')
			return 0;
	return 1;
}

static int add_provides(struct pl_apt *a, struct apt_pkg *pk, const char *what, struct pl_err *err)
{
	struct pl_deplist l = {0};
	int rc;

	rc = pl_deplist_parse(pk->pub.provides, what, &l, err);
	if (rc < 0)
		goto out;
	for (size_t i = 0; i < l.n; i++) {
		for (size_t j = 0; j < l.v[i].nalts; j++) {
			const struct pl_dep_alt *alt = &l.v[i].alts[j];
			size_t idx;

			rc = ent_get(a, alt->name, &idx, err);
			if (rc < 0)
				goto out;
			struct apt_ent *e = &a->ents[idx];
			if (e->nprov == e->capprov) {
				size_t nc = e->capprov ? e->capprov * 2 : 4;
				struct apt_prov *np = realloc(e->prov, nc * sizeof(*np));
				if (!np) {
					rc = pl_err_set(err, PL_ENOMEM, "out of memory");
					goto out;
				}
				e->prov = np;
				e->capprov = nc;
			}
			e->prov[e->nprov].pkg = pk;
			e->prov[e->nprov].version = NULL;
			if (alt->op == PL_DEP_EQ && alt->version) {
				e->prov[e->nprov].version =
				    apt_arena_strdup(&a->arena, alt->version);
				if (!e->prov[e->nprov].version) {
					rc = pl_err_set(err, PL_ENOMEM, "out of memory");
					goto out;
				}
			}
			e->nprov++;
		}
	}
	rc = 0;
out:
	pl_deplist_release(&l);
	return rc;
}

static int pkg_para(const struct pl_deb822_para *p, void *vctx, struct pl_err *err)
{
	struct pkgs_ctx *c = vctx;
	struct pl_apt *a = c->a;
	const char *name = field(p, "Package"), *ver = field(p, "Version");
	const char *arch = field(p, "Architecture"), *fn = field(p, "Filename");
	const char *size = field(p, "Size"), *sha = field(p, "SHA256"), *v;
	struct apt_pkg *pk;
	size_t idx;
	char *end;
	int rc;

	if (!name || !ver || !arch) {
		return pl_err_set(err, PL_EINVAL, "%s:%d: paragraph without %s", c->what, p->line,
				  !name	 ? "Package"
				  : !ver ? "Version"
					 : "Architecture");
	}
	if (strcmp(arch, a->arch) != 0 && strcmp(arch, "all") != 0)
		return 0; /* another architecture's package (a mixed index) */
	if (!fn || !size || !sha)
		return pl_err_set(err, PL_EINVAL, "%s:%d: package '%s' has no %s", c->what, p->line,
				  name,
				  !fn	  ? "Filename"
				  : !size ? "Size"
					  : "SHA256");
	if (strlen(sha) != 64 || strspn(sha, "0123456789abcdef") != 64)
		return pl_err_set(err, PL_EINVAL, "%s:%d: package '%s': SHA256 is not a sha256",
				  c->what, p->line, name);
	if (!safe_pool_path(fn))
		return pl_err_set(err, PL_EINVAL, "%s:%d: package '%s': unsafe Filename '%.100s'",
				  c->what, p->line, name, fn);
	if ((rc = pl_debver_check(ver, err)) < 0) {
		pl_err_wrap(err, "%s:%d: package '%s'", c->what, p->line, name);
		return rc;
	}
	errno = 0;
	long long sz = strtoll(size, &end, 10);
	if (errno || *end || sz < 0 || !isdigit((unsigned char)*size))
		return pl_err_set(err, PL_EINVAL, "%s:%d: package '%s': bad Size '%.30s'", c->what,
				  p->line, name, size);

	rc = ent_get(a, name, &idx, err);
	if (rc < 0)
		return rc;
	/* the same package twice in one repository (binary-all and binary-arch) */
	for (size_t i = 0; i < a->ents[idx].n; i++) {
		const struct pl_apt_pkg *o = a->ents[idx].v[i];
		if (o->repo == c->repo && !strcmp(o->version, ver) && !strcmp(o->arch, arch))
			return 0;
	}
	pk = apt_arena_alloc(&a->arena, sizeof(*pk));
	if (!pk)
		return pl_err_set(err, PL_ENOMEM, "out of memory");
	memset(pk, 0, sizeof(*pk));
	pk->pub.name = a->ents[idx].name;
	pk->pub.size = sz;
	pk->pub.repo = c->repo;
	snprintf(pk->pub.sha256, sizeof(pk->pub.sha256), "sha256:%s", sha);
	if ((rc = arena_opt(a, ver, &pk->pub.version, err)) < 0 ||
	    (rc = arena_opt(a, arch, &pk->pub.arch, err)) < 0 ||
	    (rc = arena_opt(a, fn, &pk->pub.filename, err)) < 0 ||
	    (rc = arena_opt(a, field(p, "Depends"), &pk->pub.depends, err)) < 0 ||
	    (rc = arena_opt(a, field(p, "Pre-Depends"), &pk->pub.pre_depends, err)) < 0 ||
	    (rc = arena_opt(a, field(p, "Provides"), &pk->pub.provides, err)) < 0 ||
	    (rc = arena_opt(a, field(p, "Conflicts"), &pk->pub.conflicts, err)) < 0 ||
	    (rc = arena_opt(a, field(p, "Breaks"), &pk->pub.breaks, err)) < 0 ||
	    (rc = arena_opt(a, field(p, "Priority"), &pk->pub.priority, err)) < 0 ||
	    (rc = arena_opt(a, field(p, "Multi-Arch"), &pk->pub.multi_arch, err)) < 0)
		return rc;
	v = field(p, "Essential");
	pk->pub.essential = v && !strcmp(v, "yes");
	v = field(p, "Source");
	if (v && *v) {
		const char *sn, *sv;
		size_t snl, svl;

		apt_split_source(v, &sn, &snl, &sv, &svl);
		pk->pub.source = apt_arena_strndup(&a->arena, sn, snl);
		pk->pub.source_version =
		    sv ? apt_arena_strndup(&a->arena, sv, svl) : pk->pub.version;
	} else {
		pk->pub.source = pk->pub.name;
		pk->pub.source_version = pk->pub.version;
	}
	if (!pk->pub.source || !pk->pub.source_version)
		return pl_err_set(err, PL_ENOMEM, "out of memory");
	pk->ent = idx;

	struct apt_ent *e = &a->ents[idx];
	if (e->n == e->cap) {
		size_t nc = e->cap ? e->cap * 2 : 2;
		const struct pl_apt_pkg **nv = realloc(e->v, nc * sizeof(*nv));
		if (!nv)
			return pl_err_set(err, PL_ENOMEM, "out of memory");
		e->v = nv;
		e->cap = nc;
	}
	e->v[e->n++] = &pk->pub;
	if (a->npkgs == a->cappkgs) {
		size_t nc = a->cappkgs ? a->cappkgs * 2 : 1024;
		struct apt_pkg **np = realloc(a->pkgs, nc * sizeof(*np));
		if (!np)
			return pl_err_set(err, PL_ENOMEM, "out of memory");
		a->pkgs = np;
		a->cappkgs = nc;
	}
	pk->id = a->npkgs;
	a->pkgs[a->npkgs++] = pk;
	c->added++;
	if (pk->pub.provides) {
		char what[300];
		snprintf(what, sizeof(what), "%s: %s: Provides", c->what, name);
		rc = add_provides(a, pk, what, err);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* Decompress an index (xz, gz, bz2 or plain by name) into out. */
static int decompress(const char *path, const char *data, size_t len, struct pl_buf *out,
		      const char *what, struct pl_err *err)
{
	struct archive *ar = NULL;
	struct archive_entry *ent;
	char buf[65536];
	int rc;

	const char *dot = strrchr(path, '.'), *slash = strrchr(path, '/');
	if (!dot || (slash && dot < slash) || !strcmp(dot, ".Packages")) {
		return pl_buf_add(out, data, len, err);
	}
	ar = archive_read_new();
	if (!ar)
		return pl_err_set(err, PL_ENOMEM, "out of memory");
	archive_read_support_filter_all(ar);
	archive_read_support_format_raw(ar);
	if (archive_read_open_memory(ar, data, len) != ARCHIVE_OK) {
		rc = pl_err_set(err, PL_EINVAL, "%s: %s", what, archive_error_string(ar));
		goto out;
	}
	rc = archive_read_next_header(ar, &ent);
	if (rc == ARCHIVE_EOF) {
		rc = 0;
		goto out;
	}
	if (rc != ARCHIVE_OK) {
		rc = pl_err_set(err, PL_EINVAL, "%s: %s", what, archive_error_string(ar));
		goto out;
	}
	for (;;) {
		la_ssize_t n = archive_read_data(ar, buf, sizeof(buf));
		if (n == 0)
			break;
		if (n < 0) {
			rc = pl_err_set(err, PL_EINVAL, "%s: %s", what, archive_error_string(ar));
			goto out;
		}
		rc = pl_buf_add(out, buf, (size_t)n, err);
		if (rc < 0) {
			if (rc == PL_ETOOBIG)
				pl_err_wrap(err, "%s", what);
			goto out;
		}
	}
	rc = 0;
out:
	archive_read_free(ar);
	return rc;
}

/* ---- repositories ---- */

static bool list_has(const struct pl_recipe_list *l, const char *s)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->v[i], s))
			return true;
	return false;
}

/* <cache>/apt/<url without scheme, '/' as '_'>_dists_<suite> */
static int cache_dir_for(const char *cache, const char *url, const char *suite, char **out,
			 struct pl_err *err)
{
	struct pl_buf b = PL_BUF_INIT;
	const char *u = strstr(url, "://");
	int rc;

	u = u ? u + 3 : url;
	rc = pl_buf_addf(&b, err, "%s/apt/", cache);
	for (const char *s = u; rc == 0 && *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch == '/')
			rc = pl_buf_addch(&b, '_', err);
		else if (isalnum(ch) || ch == '.' || ch == '-' || ch == '~' || ch == '+')
			rc = pl_buf_addch(&b, (char)ch, err);
		else
			rc = pl_buf_addf(&b, err, "%%%02x", ch);
	}
	if (rc == 0)
		rc = pl_buf_adds(&b, "_dists_", err);
	for (const char *s = suite; rc == 0 && *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (isalnum(ch) || ch == '.' || ch == '-' || ch == '~' || ch == '+')
			rc = pl_buf_addch(&b, (char)ch, err);
		else
			rc = pl_buf_addf(&b, err, "%%%02x", ch);
	}
	if (rc < 0) {
		pl_buf_release(&b);
		return rc;
	}
	*out = pl_buf_detach(&b, NULL);
	return 0;
}

static int read_cached(const char *dir, const char *name, struct pl_buf *out, bool *found,
		       struct pl_err *err)
{
	char *p = NULL;
	int rc;

	*found = false;
	if (asprintf(&p, "%s/%s", dir, name) < 0)
		return pl_err_set(err, PL_ENOMEM, "out of memory");
	if (access(p, F_OK) != 0) {
		free(p);
		return 0;
	}
	rc = pl_read_file(p, PL_APT_MAX_RELEASE, out, err);
	free(p);
	if (rc == 0)
		*found = true;
	return rc;
}

/* Fetch or load the Release; fills *text with the trusted text. */
static int load_release(struct pl_apt *a, struct apt_repo *r, const struct pl_apt_source *src,
			struct pl_fetch *f, const struct pl_apt_opts *o, struct pl_buf *text,
			struct pl_err *err)
{
	const struct pl_settings_repo *sr = src->repo;
	char *url = NULL, *cdir = NULL, *data = NULL, *sig = NULL;
	size_t len = 0, sig_len = 0;
	struct pl_buf cb = PL_BUF_INIT, cs = PL_BUF_INIT;
	bool inrelease = true, found = false;
	const char *fname = "InRelease";
	int rc;

	(void)a;
	if (o->cache_dir && (rc = cache_dir_for(o->cache_dir, r->url, sr->suite, &cdir, err)) < 0)
		goto out;
	if (o->offline) {
		if (!cdir) {
			rc = pl_err_set(err, PL_ENOTFOUND,
					"repository '%s': offline without a cache directory",
					sr->name);
			goto out;
		}
		rc = read_cached(cdir, "InRelease", &cb, &found, err);
		if (rc == 0 && !found) {
			inrelease = false;
			fname = "Release";
			rc = read_cached(cdir, "Release", &cb, &found, err);
			if (rc == 0 && found && !sr->trusted)
				rc = read_cached(cdir, "Release.gpg", &cs, &found, err);
		}
		if (rc < 0)
			goto out;
		if (!found) {
			rc = pl_err_set(err, PL_ENOTFOUND,
					"repository '%s': offline and no verified %s cached in "
					"'%s'; run once online",
					sr->name, fname, cdir);
			goto out;
		}
		data = pl_buf_detach(&cb, &len);
		if (!inrelease && !sr->trusted)
			sig = pl_buf_detach(&cs, &sig_len);
	} else {
		struct pl_err e2 = PL_ERR_INIT;

		if (asprintf(&url, "%s/dists/%s/InRelease", r->url, sr->suite) < 0) {
			url = NULL;
			rc = pl_err_set(err, PL_ENOMEM, "out of memory");
			goto out;
		}
		rc = pl_fetch_get(f, url, PL_APT_MAX_RELEASE, &data, &len, &e2);
		if (rc == PL_ENOTFOUND) {
			inrelease = false;
			fname = "Release";
			free(url);
			if (asprintf(&url, "%s/dists/%s/Release", r->url, sr->suite) < 0) {
				url = NULL;
				rc = pl_err_set(err, PL_ENOMEM, "out of memory");
				goto out;
			}
			rc = pl_fetch_get(f, url, PL_APT_MAX_RELEASE, &data, &len, err);
			if (rc == 0 && !sr->trusted) {
				free(url);
				if (asprintf(&url, "%s/dists/%s/Release.gpg", r->url, sr->suite) <
				    0) {
					url = NULL;
					rc = pl_err_set(err, PL_ENOMEM, "out of memory");
					goto out;
				}
				pl_err_init(&e2);
				rc = pl_fetch_get(f, url, PL_APT_MAX_RELEASE, &sig, &sig_len, &e2);
				if (rc < 0 && rc != PL_ENOTFOUND)
					pl_err_set(err, rc, "%s", e2.msg);
				else if (rc == PL_ENOTFOUND)
					rc = pl_err_set(err, PL_EVERIFY,
							"neither InRelease nor Release.gpg exists; "
							"the repository is unsigned (mark it "
							"trusted to accept that)");
			}
		} else if (rc < 0) {
			pl_err_set(err, rc, "%s", e2.msg);
		}
		if (rc < 0) {
			pl_err_wrap(err, "repository '%s'", sr->name);
			goto out;
		}
	}

	if (!sr->trusted) {
		char keyname[300];

		/* the keyring is a repo path ("keys/x.gpg"), as plinth.yaml names it */
		snprintf(keyname, sizeof(keyname), "%s", sr->keyring ? sr->keyring : "?");
		if (!src->keyring) {
			rc = pl_err_set(err, PL_EVERIFY,
					"repository '%s': no keyring to verify %s with (set "
					"keyring: or trusted: true)",
					sr->name, fname);
			goto out;
		}
		rc = pl_apt_gpgv_verify(o->gpgv, src->keyring, src->keyring_len, data, len, sig,
					sig_len, err);
		if (rc == PL_EVERIFY)
			pl_err_wrap(err, "repository '%s': %s signature does not verify with %s",
				    sr->name, fname, keyname);
		else if (rc < 0)
			pl_err_wrap(err, "repository '%s'", sr->name);
		if (rc < 0)
			goto out;
		r->info.verified = true;
	} else {
		pl_log_warn("repository '%s' is trusted: %s is not signature-checked", sr->name,
			    fname);
	}
	if (inrelease) {
		char what[300];
		snprintf(what, sizeof(what), "repository '%s': InRelease", sr->name);
		rc = pl_apt_clearsigned_text(data, len, what, text, err);
	} else {
		rc = pl_buf_add(text, data, len, err);
	}
	if (rc < 0)
		goto out;

	/* keep what verified, for offline use; a failure here only costs offline */
	if (cdir && !o->offline) {
		struct pl_err e2 = PL_ERR_INIT;
		char *p = NULL;

		if (pl_mkdir_p(cdir, 0755, &e2) == 0 &&
		    asprintf(&p, "%s/%s", cdir, inrelease ? "InRelease" : "Release") >= 0) {
			if (pl_write_file_atomic(p, data, len, 0644, &e2) < 0)
				pl_log_warn("repository '%s': %s", sr->name, e2.msg);
			free(p);
			p = NULL;
			if (sig && asprintf(&p, "%s/Release.gpg", cdir) >= 0) {
				if (pl_write_file_atomic(p, sig, sig_len, 0644, &e2) < 0)
					pl_log_warn("repository '%s': %s", sr->name, e2.msg);
				free(p);
			}
			if (inrelease && asprintf(&p, "%s/Release", cdir) >= 0) {
				unlink(p); /* a stale Release must not outlive a newer InRelease */
				free(p);
			}
		} else {
			pl_log_warn("repository '%s': cannot cache %s: %s", sr->name, fname,
				    e2.msg);
		}
	}
	rc = 0;
out:
	free(url);
	free(cdir);
	free(data);
	free(sig);
	pl_buf_release(&cb);
	pl_buf_release(&cs);
	return rc;
}

/* Pick the index for dir ("main/binary-amd64/Packages") the Release lists. */
static const struct pl_apt_release_file *pick_index(const struct pl_apt_release *rel,
						    const char *dir)
{
	static const char *const ext[] = {".xz", ".gz", ".bz2", ""};
	char p[512];

	for (size_t i = 0; i < sizeof(ext) / sizeof(ext[0]); i++) {
		snprintf(p, sizeof(p), "%s%s", dir, ext[i]);
		const struct pl_apt_release_file *f = pl_apt_release_find(rel, p);
		if (f)
			return f;
	}
	return NULL;
}

static int check_release(const struct pl_settings_repo *sr, const struct pl_apt_release *rel,
			 const struct pl_apt_opts *o, struct pl_err *err)
{
	int64_t now = o->now ? o->now : (int64_t)time(NULL);

	if ((!rel->suite || strcmp(rel->suite, sr->suite)) &&
	    (!rel->codename || strcmp(rel->codename, sr->suite)))
		return pl_err_set(err, PL_EVERIFY,
				  "repository '%s': Release is for suite '%s' (codename '%s'), "
				  "not '%s'",
				  sr->name, rel->suite ? rel->suite : "",
				  rel->codename ? rel->codename : "", sr->suite);
	if (rel->valid_until >= 0 && rel->valid_until < now && !o->allow_expired)
		return pl_err_set(err, PL_EVERIFY,
				  "repository '%s': Release expired at '%s' (Valid-Until); the "
				  "mirror is stale or replaying old metadata",
				  sr->name, rel->valid_until_str);
	if (rel->nfiles == 0)
		return pl_err_set(err, PL_EVERIFY, "repository '%s': Release has no SHA256 list",
				  sr->name);
	return 0;
}

static int pkg_order(const void *x, const void *y)
{
	const struct pl_apt_pkg *a = *(const struct pl_apt_pkg *const *)x;
	const struct pl_apt_pkg *b = *(const struct pl_apt_pkg *const *)y;
	int c = pl_debver_cmp(b->version, a->version);

	if (c)
		return c;
	if (a->repo != b->repo)
		return a->repo < b->repo ? -1 : 1;
	c = strcmp(a->arch, b->arch);
	if (c)
		return c;
	const struct apt_pkg *pa = (const struct apt_pkg *)a, *pb = (const struct apt_pkg *)b;
	return pa->id < pb->id ? -1 : pa->id > pb->id;
}

/* Priority rank as apt weighs candidates: required first, extra last. */
static int prio_rank(const char *p)
{
	static const char *const order[] = { "required", "important", "standard", "optional",
					     "extra", NULL };

	for (int i = 0; p && order[i]; i++)
		if (!strcmp(p, order[i]))
			return i;
	return 5;
}

/*
 * Providers of a virtual package: the more important Priority first (awk is
 * mawk, Priority: required, not gawk), then by name, version and repository.
 */
static int prov_order(const void *x, const void *y)
{
	const struct apt_prov *a = x, *b = y;
	int c = prio_rank(a->pkg->pub.priority) - prio_rank(b->pkg->pub.priority);

	if (c)
		return c;
	c = strcmp(a->pkg->pub.name, b->pkg->pub.name);

	if (c)
		return c;
	return pkg_order(&a->pkg, &b->pkg);
}

static int open_repo(struct pl_apt *a, size_t ri, const struct pl_apt_source *src,
		     struct pl_fetch *f, struct pl_cas *cas, const struct pl_apt_opts *o,
		     struct pl_err *err)
{
	const struct pl_settings_repo *sr = src->repo;
	struct apt_repo *r = &a->repos[ri];
	struct pl_buf text = PL_BUF_INIT, raw = PL_BUF_INIT;
	struct pl_fetch_item *items = NULL;
	const struct pl_apt_release_file **files = NULL;
	char **urls = NULL, **whats = NULL;
	size_t nitems = 0, ncomp;
	const char *def_comp[] = {"main"};
	char what[400];
	int rc;

	size_t ul = strlen(sr->url);
	while (ul > 1 && sr->url[ul - 1] == '/')
		ul--;
	r->url = strndup(sr->url, ul);
	if (!r->url)
		return pl_err_set(err, PL_ENOMEM, "out of memory");
	r->info.name = sr->name;
	r->info.url = r->url;
	r->info.suite = sr->suite;

	rc = load_release(a, r, src, f, o, &text, err);
	if (rc < 0)
		goto out;
	rc = pl_sha256_buf(text.data, text.len, r->info.release_sha256, err);
	if (rc < 0)
		goto out;
	snprintf(what, sizeof(what), "repository '%s': Release", sr->name);
	rc = pl_apt_release_parse(text.data, text.len, what, &r->release, err);
	if (rc < 0)
		goto out;
	r->info.release = r->release;
	rc = check_release(sr, r->release, o, err);
	if (rc < 0)
		goto out;

	if (sr->architectures.n && !list_has(&sr->architectures, a->arch)) {
		pl_log_info("repository '%s' is not configured for %s; skipped", sr->name, a->arch);
		rc = 0;
		goto out;
	}
	ncomp = sr->components.n ? sr->components.n : 1;
	files = calloc(ncomp * 2, sizeof(*files));
	items = calloc(ncomp * 2, sizeof(*items));
	urls = calloc(ncomp * 2, sizeof(*urls));
	whats = calloc(ncomp * 2, sizeof(*whats));
	if (!files || !items || !urls || !whats) {
		rc = pl_err_set(err, PL_ENOMEM, "out of memory");
		goto out;
	}
	for (size_t c = 0; c < ncomp; c++) {
		const char *comp = sr->components.n ? sr->components.v[c] : def_comp[0];
		const char *archs[2] = {a->arch, "all"};
		for (int k = 0; k < 2; k++) {
			char dir[300];
			const struct pl_apt_release_file *rf;

			snprintf(dir, sizeof(dir), "%s/binary-%s/Packages", comp, archs[k]);
			rf = pick_index(r->release, dir);
			if (k == 1 && (!rf || !r->release->no_support_all))
				continue; /* binary-all is folded into binary-ARCH */
			if (!rf) {
				rc = pl_err_set(err, PL_ENOTFOUND,
						"repository '%s': Release lists no %s index for "
						"component '%s'",
						sr->name, dir, comp);
				goto out;
			}
			files[nitems] = rf;
			if (r->release->by_hash) {
				const char *sl = strrchr(rf->path, '/');
				rc = asprintf(&urls[nitems], "%s/dists/%s/%.*s/by-hash/SHA256/%s",
					      r->url, sr->suite, (int)(sl - rf->path), rf->path,
					      pl_digest_hex(rf->sha256));
			} else {
				rc = asprintf(&urls[nitems], "%s/dists/%s/%s", r->url, sr->suite,
					      rf->path);
			}
			if (rc < 0 || asprintf(&whats[nitems], "%s of repository '%s'", rf->path,
					       sr->name) < 0) {
				rc = pl_err_set(err, PL_ENOMEM, "out of memory");
				goto out;
			}
			items[nitems].url = urls[nitems];
			items[nitems].sha256 = rf->sha256;
			items[nitems].size = (int64_t)rf->size;
			items[nitems].what = whats[nitems];
			nitems++;
		}
	}
	rc = pl_fetch_batch(f, items, nitems, err);
	if (rc < 0 && r->release->by_hash && !o->offline) {
		/* a mirror without by-hash files: retry the plain paths */
		struct pl_err e2 = PL_ERR_INIT;
		bool retry = true;

		for (size_t i = 0; i < nitems; i++)
			if (items[i].rc == PL_EVERIFY)
				retry = false;
		if (retry) {
			int rc2 = 0;

			for (size_t i = 0; i < nitems && rc2 == 0; i++) {
				free(urls[i]);
				if (asprintf(&urls[i], "%s/dists/%s/%s", r->url, sr->suite,
					     files[i]->path) < 0) {
					urls[i] = NULL;
					rc2 = pl_err_set(&e2, PL_ENOMEM, "out of memory");
				}
				items[i].url = urls[i];
			}
			if (rc2 == 0)
				rc2 = pl_fetch_batch(f, items, nitems, &e2);
			rc = rc2;
			if (err)
				*err = e2;
		}
	}
	if (rc < 0)
		goto out;
	for (size_t i = 0; i < nitems; i++) {
		struct pkgs_ctx pc = {a, ri, whats[i], 0};
		char *blob = NULL;
		size_t blen = 0;

		rc = pl_cas_read(cas, items[i].digest, 0, &blob, &blen, err);
		if (rc < 0)
			goto out;
		pl_buf_reset(&raw);
		raw.max = PL_APT_MAX_INDEX;
		rc = decompress(files[i]->path, blob, blen, &raw, whats[i], err);
		free(blob);
		if (rc < 0)
			goto out;
		rc = pl_deb822_parse(raw.data ? raw.data : "", raw.len, whats[i], pkg_para, &pc,
				     err);
		if (rc < 0)
			goto out;
		r->info.npkgs += pc.added;
	}
	rc = 0;
out:
	for (size_t i = 0; urls && whats && i < ncomp * 2; i++) {
		free(urls[i]);
		free(whats[i]);
	}
	free(urls);
	free(whats);
	free(items);
	free(files);
	pl_buf_release(&text);
	pl_buf_release(&raw);
	return rc;
}

int pl_apt_open(struct pl_apt **out, const struct pl_apt_source *src, size_t n, struct pl_fetch *f,
		struct pl_cas *cas, const struct pl_apt_opts *o, struct pl_err *err)
{
	struct pl_apt *a;
	int rc;

	*out = NULL;
	if (!o || !o->arch || !*o->arch)
		return pl_err_set(err, PL_EINVAL, "apt: no architecture given");
	a = calloc(1, sizeof(*a));
	if (!a)
		return pl_err_set(err, PL_ENOMEM, "out of memory");
	a->arch = strdup(o->arch);
	a->repos = calloc(n ? n : 1, sizeof(*a->repos));
	if (!a->arch || !a->repos) {
		rc = pl_err_set(err, PL_ENOMEM, "out of memory");
		goto out;
	}
	a->nrepos = n;
	for (size_t i = 0; i < n; i++) {
		rc = open_repo(a, i, &src[i], f, cas, o, err);
		if (rc < 0)
			goto out;
	}
	for (size_t e = 0; e < a->nents; e++) {
		struct apt_ent *en = &a->ents[e];
		if (en->n > 1)
			qsort(en->v, en->n, sizeof(*en->v), pkg_order);
		if (en->nprov > 1)
			qsort(en->prov, en->nprov, sizeof(*en->prov), prov_order);
	}
	*out = a;
	a = NULL;
	rc = 0;
out:
	pl_apt_free(a);
	return rc;
}

void pl_apt_free(struct pl_apt *a)
{
	if (!a)
		return;
	for (size_t i = 0; i < a->nrepos; i++) {
		pl_apt_release_free(a->repos[i].release);
		free(a->repos[i].url);
	}
	free(a->repos);
	for (size_t e = 0; e < a->nents; e++) {
		free(a->ents[e].v);
		free(a->ents[e].prov);
	}
	free(a->ents);
	free(a->slots);
	free(a->pkgs);
	free(a->arch);
	apt_arena_release(&a->arena);
	free(a);
}

size_t pl_apt_nrepos(const struct pl_apt *a)
{
	return a->nrepos;
}

const struct pl_apt_repo_info *pl_apt_repo(const struct pl_apt *a, size_t i)
{
	return i < a->nrepos ? &a->repos[i].info : NULL;
}

const struct pl_apt_pkg *const *pl_apt_lookup(const struct pl_apt *a, const char *name, size_t *n)
{
	const struct apt_ent *e = apt_ent_find(a, name);

	*n = e ? e->n : 0;
	return e && e->n ? (const struct pl_apt_pkg *const *)e->v : NULL;
}

char *pl_apt_pkg_url(const struct pl_apt *a, const struct pl_apt_pkg *p)
{
	char *s = NULL;

	if (p->repo >= a->nrepos || asprintf(&s, "%s/%s", a->repos[p->repo].url, p->filename) < 0)
		return NULL;
	return s;
}
