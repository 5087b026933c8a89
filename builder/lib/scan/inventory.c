/*
 * Inventory: os-release, the dpkg database (through pkgdb) or Alpine's apk
 * database, and Debian machine-readable copyright licenses, read from an
 * image tree or from a host directory treated as a chroot.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/pkgdb.h"
#include "lib/scan.h"
#include "lib/scan/internal.h"
#include "util/fsutil.h"

#define OSREL_MAX (64 * 1024)
#define DB_MAX (256u * 1024 * 1024)
#define COPYRIGHT_MAX (1024 * 1024)
#define MAX_LINKS 40

char *sc_strdup(const char *s)
{
	return s ? strdup(s) : NULL;
}

char *sc_strndup(const char *s, size_t n)
{
	char *d = malloc(n + 1);

	if (d) {
		memcpy(d, s, n);
		d[n] = '\0';
	}
	return d;
}

/* ---- os-release ---- */

void pl_osrel_release(struct pl_osrel *o)
{
	free(o->id);
	free(o->version_id);
	free(o->codename);
	free(o->pretty);
	memset(o, 0, sizeof(*o));
}

/* Unquote a shell-style value in place ("..." with \ escapes, '...', or bare). */
static size_t unquote(char *v, size_t len)
{
	size_t i, o = 0;
	char q;

	if (len >= 1 && (v[0] == '"' || v[0] == '\'')) {
		q = v[0];
		for (i = 1; i < len && v[i] != q; i++) {
			if (q == '"' && v[i] == '\\' && i + 1 < len)
				i++;
			v[o++] = v[i];
		}
		return o;
	}
	while (len > 0 && (v[len - 1] == ' ' || v[len - 1] == '\t'))
		len--;
	for (i = 0; i < len; i++) {
		if (v[i] == '\\' && i + 1 < len)
			i++;
		v[o++] = v[i];
	}
	return o;
}

int pl_osrel_parse(const char *data, size_t len, struct pl_osrel *o, struct pl_err *err)
{
	const char *p = data, *end = data + len;
	char *val = NULL;
	int rc = 0;

	memset(o, 0, sizeof(*o));
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end, *eq, *k = p;
		char **slot = NULL;
		size_t klen, vlen;

		p = nl ? nl + 1 : end;
		while (k < le && (*k == ' ' || *k == '\t'))
			k++;
		if (k == le || *k == '#' || !(eq = memchr(k, '=', (size_t)(le - k))))
			continue;
		klen = (size_t)(eq - k);
		if (klen == 2 && !memcmp(k, "ID", 2))
			slot = &o->id;
		else if (klen == 10 && !memcmp(k, "VERSION_ID", 10))
			slot = &o->version_id;
		else if (klen == 16 && !memcmp(k, "VERSION_CODENAME", 16))
			slot = &o->codename;
		else if (klen == 11 && !memcmp(k, "PRETTY_NAME", 11))
			slot = &o->pretty;
		if (!slot)
			continue;
		if (!(val = sc_strndup(eq + 1, (size_t)(le - eq - 1)))) {
			rc = pl_err_set(err, PL_ENOMEM, "out of memory");
			goto out;
		}
		vlen = unquote(val, strlen(val));
		val[vlen] = '\0';
		if (memchr(eq + 1, '\0', (size_t)(le - eq - 1)) || !vlen) {
			free(val);
			val = NULL;
			continue;
		}
		free(*slot);
		*slot = val;
		val = NULL;
	}
out:
	free(val);
	if (rc < 0)
		pl_osrel_release(o);
	return rc;
}

/* ---- inventory ---- */

void pl_inventory_init(struct pl_inventory *inv)
{
	memset(inv, 0, sizeof(*inv));
}

void pl_inventory_release(struct pl_inventory *inv)
{
	size_t i;

	for (i = 0; i < inv->n; i++) {
		struct pl_inv_pkg *p = &inv->pkgs[i];

		free(p->name);
		free(p->version);
		free(p->arch);
		free(p->source);
		free(p->source_version);
		free(p->license);
		free(p->db_path);
	}
	free(inv->pkgs);
	pl_osrel_release(&inv->os);
	memset(inv, 0, sizeof(*inv));
}

void pl_inventory_free(struct pl_inventory *inv)
{
	if (inv) {
		pl_inventory_release(inv);
		free(inv);
	}
}

/* Append a package; strings are copied. */
static int inv_add(struct pl_inventory *inv, const char *name, const char *version,
		   const char *arch, const char *source, const char *source_version,
		   const char *db_path, int line, struct pl_err *err)
{
	struct pl_inv_pkg *p;

	if (inv->n == inv->cap) {
		size_t cap = inv->cap ? inv->cap * 2 : 64;
		struct pl_inv_pkg *v = realloc(inv->pkgs, cap * sizeof(*v));

		if (!v)
			return pl_err_set(err, PL_ENOMEM, "out of memory");
		inv->pkgs = v;
		inv->cap = cap;
	}
	p = &inv->pkgs[inv->n];
	memset(p, 0, sizeof(*p));
	p->name = strdup(name);
	p->version = strdup(version);
	p->arch = strdup(arch ? arch : "");
	p->source = strdup(source && *source ? source : name);
	p->source_version = strdup(source_version && *source_version ? source_version : version);
	p->db_path = strdup(db_path);
	p->line = line;
	inv->n++;
	if (!p->name || !p->version || !p->arch || !p->source || !p->source_version ||
	    !p->db_path)
		return pl_err_set(err, PL_ENOMEM, "out of memory");
	return 0;
}

/* ---- Alpine ---- */

int pl_apkdb_parse(struct pl_inventory *inv, const char *data, size_t len, const char *what,
		   struct pl_err *err)
{
	const char *p = data, *end = data + len;
	char *f[5] = {NULL, NULL, NULL, NULL, NULL}; /* P V A o L */
	int lineno = 0, start = 0, rc = 0, i;

	inv->kind = PL_INV_APK;
	for (;;) {
		const char *nl = p < end ? memchr(p, '\n', (size_t)(end - p)) : NULL;
		const char *le = nl ? nl : end;
		bool blank = p >= end || le == p;

		if (p < end)
			lineno++;
		if (blank) {
			if (start) {
				if (!f[0] || !f[1]) {
					rc = pl_err_set(err, PL_EINVAL,
							"%s:%d: package entry without %s", what,
							start, !f[0] ? "a name (P:)" : "a version (V:)");
					goto out;
				}
				rc = inv_add(inv, f[0], f[1], f[2], f[3], NULL, what, start, err);
				if (rc < 0)
					goto out;
				if (f[4] && !(inv->pkgs[inv->n - 1].license = strdup(f[4]))) {
					rc = pl_err_set(err, PL_ENOMEM, "out of memory");
					goto out;
				}
				for (i = 0; i < 5; i++) {
					free(f[i]);
					f[i] = NULL;
				}
				start = 0;
			}
			if (p >= end)
				break;
			p = le + 1;
			continue;
		}
		if (!start)
			start = lineno;
		if (le - p >= 2 && p[1] == ':') {
			int slot = -1;

			switch (p[0]) {
			case 'P': slot = 0; break;
			case 'V': slot = 1; break;
			case 'A': slot = 2; break;
			case 'o': slot = 3; break;
			case 'L': slot = 4; break;
			default: break;
			}
			if (slot >= 0) {
				size_t vlen = (size_t)(le - p - 2);

				if (memchr(p + 2, '\0', vlen)) {
					rc = pl_err_set(err, PL_EINVAL, "%s:%d: NUL byte in a field",
							what, lineno);
					goto out;
				}
				if (vlen == 0 && slot <= 1) {
					rc = pl_err_set(err, PL_EINVAL, "%s:%d: empty %c: field", what,
							lineno, p[0]);
					goto out;
				}
				free(f[slot]);
				if (!(f[slot] = sc_strndup(p + 2, vlen))) {
					rc = pl_err_set(err, PL_ENOMEM, "out of memory");
					goto out;
				}
			}
		}
		p = nl ? nl + 1 : end;
	}
out:
	for (i = 0; i < 5; i++)
		free(f[i]);
	return rc;
}

/* ---- Debian copyright ---- */

static bool line_is_field(const char *p, const char *le, const char *name, const char **val)
{
	size_t n = strlen(name);

	if ((size_t)(le - p) <= n || strncasecmp(p, name, n) != 0 || p[n] != ':')
		return false;
	p += n + 1;
	while (p < le && (*p == ' ' || *p == '\t'))
		p++;
	*val = p;
	return true;
}

int pl_copyright_licenses(const char *data, size_t len, char **out, struct pl_err *err)
{
	const char *p = data, *end = data + len, *v;
	struct pl_buf b = PL_BUF_INIT;
	bool machine = false, first_para = true;
	int rc = 0;

	*out = NULL;
	pl_buf_init(&b, 64 * 1024);
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end, *ve;

		if (le == p || (le - p == 1 && *p == '\r'))
			first_para = false;
		if (first_para && line_is_field(p, le, "Format", &v) &&
		    (memmem(v, (size_t)(le - v), "copyright-format", 16) ||
		     memmem(v, (size_t)(le - v), "dep5", 4) ||
		     memmem(v, (size_t)(le - v), "DEP5", 4)))
			machine = true;
		if (machine && line_is_field(p, le, "License", &v)) {
			ve = le;
			while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t' || ve[-1] == '\r'))
				ve--;
			if (ve > v && !memchr(v, '\0', (size_t)(ve - v))) {
				/* distinct names only: look for " AND name" boundaries */
				size_t n = (size_t)(ve - v);
				const char *s = b.data;
				bool seen = false;

				while (s && (s = memmem(s, b.len - (size_t)(s - b.data), v, n))) {
					bool left = s == b.data || (s - b.data >= 5 && !memcmp(s - 5, " AND ", 5));
					bool right = (size_t)(s - b.data) + n == b.len ||
						     !memcmp(s + n, " AND ", 5);

					if (left && right) {
						seen = true;
						break;
					}
					s++;
				}
				if (!seen && ((b.len && (rc = pl_buf_adds(&b, " AND ", err)) < 0) ||
					      (rc = pl_buf_add(&b, v, n, err)) < 0))
					goto out;
			}
		}
		p = nl ? nl + 1 : end;
	}
	if (machine && b.len)
		*out = pl_buf_detach(&b, NULL);
out:
	pl_buf_release(&b);
	return rc;
}

/* ---- readers: an fstree, or a host directory as a chroot ---- */

/* Reads one file of the image: 0, PL_ENOTFOUND, or another error. */
typedef int (*read_fn)(void *ctx, const char *path, size_t max, struct pl_buf *out,
		       struct pl_err *err);

struct tree_ctx {
	const struct pl_fstree *t;
	const struct pl_cas *cas;
};

static int tree_read(void *vctx, const char *path, size_t max, struct pl_buf *out,
		     struct pl_err *err)
{
	struct tree_ctx *c = vctx;
	const struct pl_fsmeta *m;
	struct pl_err e2 = PL_ERR_INIT;
	char *canon = NULL, *data = NULL;
	size_t len = 0;
	int rc;

	rc = pl_fstree_resolve(c->t, path, true, false, &canon, &e2);
	if (rc < 0) {
		rc = rc == PL_ENOTFOUND ? PL_ENOTFOUND : pl_err_set(err, rc, "%s", e2.msg);
		goto out;
	}
	m = pl_fstree_get(c->t, canon);
	if (!m || m->type != PL_FT_REG) {
		rc = PL_ENOTFOUND;
		goto out;
	}
	if (m->size > max) {
		rc = pl_err_set(err, PL_ETOOBIG, "'%s' is larger than %zu bytes", path, max);
		goto out;
	}
	if ((rc = pl_cas_read(c->cas, m->digest, max, &data, &len, err)) < 0)
		goto out;
	rc = pl_buf_add(out, data, len, err);
out:
	free(canon);
	free(data);
	return rc;
}

/*
 * Resolve path inside root like a chroot: symlinks followed (absolute
 * targets from root, ".." never above it), at most MAX_LINKS. *host is the
 * host path of the result. The directory is trusted not to change while it
 * is read (a scan of a rootfs, not a sandbox).
 */
static int resolve_in_root(const char *root, const char *path, char **host, struct pl_err *err)
{
	struct pl_buf canon = PL_BUF_INIT, rest = PL_BUF_INIT, tmp = PL_BUF_INIT;
	char target[PATH_MAX];
	struct stat st;
	int links = 0, rc = 0;

	*host = NULL;
	pl_buf_init(&canon, PATH_MAX);
	pl_buf_init(&rest, 16 * PATH_MAX);
	if ((rc = pl_buf_adds(&canon, root, err)) < 0 || (rc = pl_buf_adds(&rest, path, err)) < 0)
		goto out;
	while (canon.len > 1 && canon.data[canon.len - 1] == '/')
		canon.data[--canon.len] = '\0';
	{
		size_t rootlen = canon.len;
		size_t pos = 0;

		while (pos < rest.len) {
			size_t s, e;

			while (pos < rest.len && rest.data[pos] == '/')
				pos++;
			s = pos;
			while (pos < rest.len && rest.data[pos] != '/')
				pos++;
			e = pos;
			if (e == s || (e - s == 1 && rest.data[s] == '.'))
				continue;
			if (e - s == 2 && rest.data[s] == '.' && rest.data[s + 1] == '.') {
				while (canon.len > rootlen && canon.data[canon.len - 1] != '/')
					canon.len--;
				if (canon.len > rootlen)
					canon.len--;
				canon.data[canon.len] = '\0';
				continue;
			}
			if ((rc = pl_buf_addch(&canon, '/', err)) < 0 ||
			    (rc = pl_buf_add(&canon, rest.data + s, e - s, err)) < 0)
				goto out;
			if (lstat(canon.data, &st) != 0) {
				rc = errno == ENOENT || errno == ENOTDIR
					     ? PL_ENOTFOUND
					     : pl_err_errno(err, PL_EIO, "'%s'", canon.data);
				goto out;
			}
			if (S_ISLNK(st.st_mode)) {
				ssize_t n = readlink(canon.data, target, sizeof(target) - 1);

				if (n < 0) {
					rc = pl_err_errno(err, PL_EIO, "readlink '%s'", canon.data);
					goto out;
				}
				target[n] = '\0';
				if (++links > MAX_LINKS) {
					rc = pl_err_set(err, PL_EINVAL,
							"'%s': too many levels of symbolic links", path);
					goto out;
				}
				/* drop the link itself; an absolute target restarts at root */
				while (canon.len > rootlen && canon.data[canon.len - 1] != '/')
					canon.len--;
				if (canon.len > rootlen)
					canon.len--;
				if (target[0] == '/')
					canon.len = rootlen;
				canon.data[canon.len] = '\0';
				pl_buf_reset(&tmp);
				if ((rc = pl_buf_adds(&tmp, target, err)) < 0 ||
				    (rc = pl_buf_addch(&tmp, '/', err)) < 0 ||
				    (rc = pl_buf_add(&tmp, rest.data + pos, rest.len - pos, err)) < 0)
					goto out;
				pl_buf_reset(&rest);
				if ((rc = pl_buf_add(&rest, tmp.data, tmp.len, err)) < 0)
					goto out;
				pos = 0;
			}
		}
	}
	*host = pl_buf_detach(&canon, NULL);
	if (!*host)
		rc = pl_err_set(err, PL_ENOMEM, "out of memory");
out:
	pl_buf_release(&canon);
	pl_buf_release(&rest);
	pl_buf_release(&tmp);
	return rc;
}

int pl_scan_read_in_root(const char *root, const char *path, size_t max, struct pl_buf *out,
			 struct pl_err *err)
{
	char *host = NULL;
	struct stat st;
	int rc;

	if ((rc = resolve_in_root(root, path, &host, err)) < 0)
		goto out;
	if (stat(host, &st) != 0 || !S_ISREG(st.st_mode)) {
		rc = PL_ENOTFOUND;
		goto out;
	}
	if ((uint64_t)st.st_size > max) {
		rc = pl_err_set(err, PL_ETOOBIG, "'%s' is larger than %zu bytes", path, max);
		goto out;
	}
	rc = pl_read_file(host, max, out, err);
out:
	free(host);
	return rc;
}

static int dir_read(void *ctx, const char *path, size_t max, struct pl_buf *out,
		    struct pl_err *err)
{
	return pl_scan_read_in_root(ctx, path, max, out, err);
}

/* Read path into a fresh buffer; *found false when it does not exist. */
static int read_opt(read_fn rd, void *ctx, const char *path, size_t max, struct pl_buf *b,
		    bool *found, struct pl_err *err)
{
	int rc;

	pl_buf_reset(b);
	*found = false;
	rc = rd(ctx, path, max, b, err);
	if (rc == PL_ENOTFOUND)
		return 0;
	if (rc < 0)
		return pl_err_wrap(err, "read '%s'", path);
	*found = true;
	return 0;
}

static int read_os(read_fn rd, void *ctx, struct pl_inventory *inv, struct pl_err *err)
{
	struct pl_buf b = PL_BUF_INIT;
	bool found;
	int rc;

	pl_buf_init(&b, OSREL_MAX);
	rc = read_opt(rd, ctx, "etc/os-release", OSREL_MAX, &b, &found, err);
	if (rc == 0 && !found)
		rc = read_opt(rd, ctx, "usr/lib/os-release", OSREL_MAX, &b, &found, err);
	if (rc == 0 && found)
		rc = pl_osrel_parse(b.data, b.len, &inv->os, err);
	pl_buf_release(&b);
	return rc;
}

/* Debian packages of db (installed only; a later duplicate name+arch dropped), licenses. */
static int add_pkgdb(struct pl_inventory *inv, const struct pl_pkgdb *db, read_fn rd, void *ctx,
		     struct pl_err *err)
{
	struct pl_buf b = PL_BUF_INIT;
	char path[600];
	size_t i, j;
	int rc = 0;

	pl_buf_init(&b, COPYRIGHT_MAX);
	for (i = 0; i < db->n; i++) {
		const struct pl_pkg *p = &db->pkgs[i];
		bool dup = false, found;

		if (!p->installed || !p->version[0])
			continue;
		for (j = 0; j < i && !dup; j++)
			dup = db->pkgs[j].installed && !strcmp(db->pkgs[j].name, p->name) &&
			      !strcmp(db->pkgs[j].arch, p->arch);
		if (dup)
			continue;
		if ((rc = inv_add(inv, p->name, p->version, p->arch, p->source, p->source_version,
				  p->file, p->line, err)) < 0)
			goto out;
		if (strchr(p->name, '/') || strlen(p->name) > 256)
			continue;
		snprintf(path, sizeof(path), "usr/share/doc/%s/copyright", p->name);
		rc = read_opt(rd, ctx, path, COPYRIGHT_MAX, &b, &found, err);
		if (rc == PL_ETOOBIG || (rc < 0 && err && err->code == PL_ETOOBIG)) {
			/* an oversized copyright file is not worth failing the scan */
			pl_err_init(err);
			rc = 0;
			continue;
		}
		if (rc < 0)
			goto out;
		if (found &&
		    (rc = pl_copyright_licenses(b.data, b.len, &inv->pkgs[inv->n - 1].license, err)) < 0)
			goto out;
	}
	inv->kind = PL_INV_DEB;
out:
	pl_buf_release(&b);
	return rc;
}

static int read_apk(read_fn rd, void *ctx, struct pl_inventory *inv, bool *found,
		    struct pl_err *err)
{
	struct pl_buf b = PL_BUF_INIT;
	int rc;

	pl_buf_init(&b, DB_MAX);
	rc = read_opt(rd, ctx, "lib/apk/db/installed", DB_MAX, &b, found, err);
	if (rc == 0 && *found)
		rc = pl_apkdb_parse(inv, b.data, b.len, "lib/apk/db/installed", err);
	pl_buf_release(&b);
	return rc;
}

static int inv_new(struct pl_inventory **out, struct pl_err *err)
{
	if (!(*out = calloc(1, sizeof(**out))))
		return pl_err_set(err, PL_ENOMEM, "out of memory");
	return 0;
}

int pl_scan_inventory_tree(const struct pl_fstree *t, const struct pl_cas *cas,
			   struct pl_inventory **out, struct pl_err *err)
{
	struct tree_ctx c = {t, cas};
	struct pl_inventory *inv = NULL;
	struct pl_pkgdb *db = NULL;
	bool found = false;
	int rc;

	*out = NULL;
	if ((rc = inv_new(&inv, err)) < 0 || (rc = read_os(tree_read, &c, inv, err)) < 0)
		goto out;
	if ((rc = pl_pkgdb_read(t, cas, &db, err)) < 0)
		goto out;
	if (db->n) {
		rc = add_pkgdb(inv, db, tree_read, &c, err);
		goto out;
	}
	rc = read_apk(tree_read, &c, inv, &found, err);
out:
	pl_pkgdb_free(db);
	if (rc < 0)
		pl_inventory_free(inv);
	else
		*out = inv;
	return rc;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool skip_status_d(const char *n)
{
	size_t l = strlen(n);

	return n[0] == '.' || (l >= 8 && !strcmp(n + l - 8, ".md5sums")) ||
	       (l >= 5 && !strcmp(n + l - 5, ".list"));
}

/* status and status.d/ of a host root into db. */
static int dir_pkgdb(const char *root, struct pl_pkgdb *db, struct pl_err *err)
{
	struct pl_buf b = PL_BUF_INIT;
	char **names = NULL, *dir = NULL, path[PATH_MAX];
	size_t n = 0, cap = 0, i;
	DIR *d = NULL;
	struct dirent *de;
	bool found;
	int rc;

	pl_buf_init(&b, DB_MAX);
	rc = read_opt(dir_read, (void *)root, "var/lib/dpkg/status", DB_MAX, &b, &found, err);
	if (rc == 0 && found)
		rc = pl_pkgdb_parse(db, b.data, b.len, "var/lib/dpkg/status", false, err);
	if (rc < 0)
		goto out;
	rc = resolve_in_root(root, "var/lib/dpkg/status.d", &dir, err);
	if (rc == PL_ENOTFOUND) {
		rc = 0;
		goto out;
	}
	if (rc < 0 || !(d = opendir(dir)))
		goto out;
	while ((de = readdir(d))) {
		if (skip_status_d(de->d_name))
			continue;
		if (n == cap) {
			char **v = realloc(names, (cap = cap ? cap * 2 : 32) * sizeof(*v));

			if (!v) {
				rc = pl_err_set(err, PL_ENOMEM, "out of memory");
				goto out;
			}
			names = v;
		}
		if (!(names[n] = strdup(de->d_name))) {
			rc = pl_err_set(err, PL_ENOMEM, "out of memory");
			goto out;
		}
		n++;
	}
	if (n)
		qsort(names, n, sizeof(*names), cmp_str);
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "var/lib/dpkg/status.d/%s", names[i]);
		if ((rc = read_opt(dir_read, (void *)root, path, DB_MAX, &b, &found, err)) < 0)
			goto out;
		if (found && (rc = pl_pkgdb_parse(db, b.data, b.len, path, true, err)) < 0)
			goto out;
	}
out:
	if (d)
		closedir(d);
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	free(dir);
	pl_buf_release(&b);
	return rc;
}

int pl_scan_inventory_dir(const char *root, struct pl_inventory **out, struct pl_err *err)
{
	struct pl_inventory *inv = NULL;
	struct pl_pkgdb db;
	struct stat st;
	bool found = false;
	int rc;

	*out = NULL;
	pl_pkgdb_init(&db);
	if (stat(root, &st) != 0 || !S_ISDIR(st.st_mode)) {
		rc = pl_err_errno(err, PL_ENOTFOUND, "rootfs '%s' is not a directory", root);
		goto out;
	}
	if ((rc = inv_new(&inv, err)) < 0 || (rc = read_os(dir_read, (void *)root, inv, err)) < 0)
		goto out;
	if ((rc = dir_pkgdb(root, &db, err)) < 0)
		goto out;
	if (db.n) {
		rc = add_pkgdb(inv, &db, dir_read, (void *)root, err);
		goto out;
	}
	rc = read_apk(dir_read, (void *)root, inv, &found, err);
out:
	pl_pkgdb_release(&db);
	if (rc < 0) {
		pl_inventory_free(inv);
		pl_err_wrap(err, "rootfs '%s'", root);
	} else {
		*out = inv;
	}
	return rc;
}

int pl_scan_ecosystem(const struct pl_inventory *inv, char *buf, size_t size, struct pl_err *err)
{
	const char *id = inv->os.id, *vid = inv->os.version_id, *rel;

	if (!id)
		return pl_err_set(err, PL_ENOTFOUND, "no os-release: the distribution is unknown");
	if (!strcmp(id, "debian")) {
		rel = NULL;
		if (vid) {
			size_t k = strspn(vid, "0123456789");

			if (k && (vid[k] == '\0' || vid[k] == '.')) {
				snprintf(buf, size, "debian:%.*s", (int)k, vid);
				return 0;
			}
		}
		if (inv->os.codename)
			rel = pl_debian_release(inv->os.codename);
		if (!rel)
			return pl_err_set(err, PL_ENOTFOUND,
					  "debian release '%s' is not one the database knows",
					  inv->os.codename ? inv->os.codename : "?");
		snprintf(buf, size, "debian:%s", rel);
		return 0;
	}
	if (!strcmp(id, "alpine")) {
		const char *dot = vid ? strchr(vid, '.') : NULL;
		size_t k;

		if (!dot)
			return pl_err_set(err, PL_ENOTFOUND, "alpine without a VERSION_ID");
		k = strspn(dot + 1, "0123456789");
		snprintf(buf, size, "alpine:%.*s", (int)(dot + 1 - vid + (ptrdiff_t)k), vid);
		return 0;
	}
	return pl_err_set(err, PL_ENOTFOUND, "distribution '%s' is not supported by the scanner", id);
}
