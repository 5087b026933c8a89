/*
 * vulndb/import: feeds from files, directory trees, .zip archives (libarchive)
 * and memory. Works out the feed's kind and digest, opens the feed's
 * transaction (a no-op when the digest is already recorded) and hands each
 * file to its parser.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "lib/vulndb/internal.h"
#include "util/buf.h"
#include "util/digest.h"

/* ---- files ---- */

struct map {
	const char *data;
	size_t len;
	void *addr;
};

static int map_file(const char *path, uint64_t max, struct map *m, struct pl_err *err)
{
	struct stat sb;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int rc = 0;

	memset(m, 0, sizeof(*m));
	m->data = "";
	if (fd < 0)
		return pl_err_errno(err, errno == ENOENT ? PL_ENOTFOUND : PL_EIO, "open '%s'",
				    path);
	if (fstat(fd, &sb) < 0) {
		rc = pl_err_errno(err, PL_EIO, "stat '%s'", path);
	} else if (!S_ISREG(sb.st_mode)) {
		rc = pl_err_set(err, PL_EINVAL, "'%s' is not a regular file", path);
	} else if ((uint64_t)sb.st_size > max) {
		rc = pl_err_set(err, PL_ETOOBIG, "'%s' is larger than %llu MiB", path,
				(unsigned long long)(max >> 20));
	} else if (sb.st_size > 0) {
		m->addr = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
		if (m->addr == MAP_FAILED) {
			m->addr = NULL;
			rc = pl_err_errno(err, PL_EIO, "map '%s'", path);
		} else {
			m->data = m->addr;
			m->len = (size_t)sb.st_size;
			madvise(m->addr, m->len, MADV_SEQUENTIAL);
		}
	}
	close(fd);
	return rc;
}

static void unmap_file(struct map *m)
{
	if (m->addr)
		munmap(m->addr, m->len);
	memset(m, 0, sizeof(*m));
}

static bool has_suffix(const char *s, const char *suf)
{
	size_t n = strlen(s), k = strlen(suf);

	return n >= k && strcmp(s + n - k, suf) == 0;
}

static bool feed_file(const char *name)
{
	return has_suffix(name, ".json") || has_suffix(name, ".yaml") || has_suffix(name, ".yml");
}

struct files {
	char **v; /* paths relative to the root */
	size_t n, cap;
};

static void files_release(struct files *f)
{
	for (size_t i = 0; i < f->n; i++)
		free(f->v[i]);
	free(f->v);
	memset(f, 0, sizeof(*f));
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every .json, .yaml and .yml file under root/rel, skipping dot files and directories. */
static int walk(const char *root, const char *rel, struct files *f, int depth, struct pl_err *err)
{
	char *dir = NULL;
	DIR *d = NULL;
	struct dirent *de;
	struct pl_buf path = PL_BUF_INIT;
	int rc = 0;

	if (depth > 32)
		return pl_err_set(err, PL_EINVAL, "'%s/%s': directories nested too deep", root,
				  rel);
	rc = pl_buf_addf(&path, err, "%s%s%s", root, *rel ? "/" : "", rel);
	if (rc < 0)
		return rc;
	dir = pl_buf_detach(&path, NULL);
	if (!dir)
		return pl_err_set(err, PL_ENOMEM, "out of memory");
	if (!(d = opendir(dir))) {
		rc = pl_err_errno(err, PL_EIO, "open directory '%s'", dir);
		goto out;
	}
	while (rc == 0 && (errno = 0, de = readdir(d)) != NULL) {
		struct stat sb;
		char *full = NULL, *r = NULL;
		size_t fl = strlen(dir) + strlen(de->d_name) + 2;
		size_t rl = strlen(rel) + strlen(de->d_name) + 2;

		if (de->d_name[0] == '.')
			continue;
		full = malloc(fl);
		r = malloc(rl);
		if (!full || !r) {
			free(full);
			free(r);
			rc = pl_err_set(err, PL_ENOMEM, "out of memory");
			break;
		}
		snprintf(full, fl, "%s/%s", dir, de->d_name);
		snprintf(r, rl, "%s%s%s", rel, *rel ? "/" : "", de->d_name);
		if (stat(full, &sb) < 0) {
			rc = pl_err_errno(err, PL_EIO, "stat '%s'", full);
		} else if (S_ISDIR(sb.st_mode)) {
			rc = walk(root, r, f, depth + 1, err);
		} else if (S_ISREG(sb.st_mode) && feed_file(de->d_name)) {
			if (f->n == f->cap) {
				size_t nc = f->cap ? f->cap * 2 : 256;
				char **v = realloc(f->v, nc * sizeof(*v));

				if (!v) {
					rc = pl_err_set(err, PL_ENOMEM, "out of memory");
				} else {
					f->v = v;
					f->cap = nc;
				}
			}
			if (rc == 0) {
				f->v[f->n++] = r;
				r = NULL;
			}
		}
		free(full);
		free(r);
	}
	if (rc == 0 && errno != 0)
		rc = pl_err_errno(err, PL_EIO, "read directory '%s'", dir);
out:
	if (d)
		closedir(d);
	free(dir);
	return rc;
}

/* ---- dispatch ---- */

static int parse_one(struct vdb_imp *imp, const char *data, size_t len, bool single,
		     struct pl_err *err)
{
	switch (imp->kind) {
	case PL_FEED_OSV:
		return vdb_osv_parse(imp, data, len, single, err);
	case PL_FEED_DEBIAN_TRACKER:
		return vdb_tracker_parse(imp, data, len, err);
	case PL_FEED_ALPINE_SECDB:
		return vdb_secdb_parse(imp, data, len, single, err);
	default:
		return pl_err_set(err, PL_EINVAL,
				  "'%s': %s feeds are imported with "
				  "pl_vulndb_import_changelog",
				  imp->file, pl_feed_kind_name(imp->kind));
	}
}

static void imp_init(struct vdb_imp *imp, struct pl_vulndb *db, enum pl_feed_kind kind,
		     struct pl_vulndb_stats *st)
{
	memset(imp, 0, sizeof(*imp));
	imp->db = db;
	imp->kind = kind;
	imp->st = st;
	memset(st, 0, sizeof(*st));
}

static enum pl_feed_kind resolve_kind(enum pl_feed_kind kind, const char *data, size_t len)
{
	return kind == PL_FEED_AUTO ? vdb_sniff(data, len) : kind;
}

static int kind_unknown(const char *what, struct pl_err *err)
{
	return pl_err_set(
	    err, PL_EINVAL,
	    "cannot tell what kind of vulnerability feed '%s' is (OSV, Debian tracker "
	    "JSON, Alpine secdb): name the kind",
	    what);
}

/* ---- zip ---- */

static int import_zip(struct vdb_imp *imp, const char *name, const char *path, const char *mem,
		      size_t memlen, struct pl_err *err)
{
	struct archive *a = NULL;
	struct archive_entry *ae;
	struct pl_buf buf = PL_BUF_INIT;
	struct pl_buf label = PL_BUF_INIT;
	char digest[PL_DIGEST_SIZE];
	bool unchanged = false, begun = false;
	int rc, r;

	if (imp->kind != PL_FEED_OSV)
		return pl_err_set(err, PL_EINVAL, "'%s': only OSV feeds come as .zip", name);
	rc = path ? pl_sha256_file(path, digest, NULL, err)
		  : pl_sha256_buf(mem, memlen, digest, err);
	if (rc < 0)
		return rc;
	rc = vdb_feed_begin(imp, name, digest, &unchanged, err);
	if (rc < 0 || unchanged)
		return rc;
	begun = true;
	if (!(a = archive_read_new())) {
		rc = pl_err_set(err, PL_ENOMEM, "out of memory");
		goto out;
	}
	archive_read_support_format_zip(a);
	r = path ? archive_read_open_filename(a, path, 1 << 16)
		 : archive_read_open_memory(a, mem, memlen);
	if (r != ARCHIVE_OK) {
		rc = pl_err_set(err, PL_EINVAL, "'%s' is not a readable zip: %s", name,
				archive_error_string(a));
		goto out;
	}
	while (rc == 0 && (r = archive_read_next_header(a, &ae)) == ARCHIVE_OK) {
		const char *en = archive_entry_pathname(ae);
		la_ssize_t n;

		if (archive_entry_filetype(ae) != AE_IFREG || !en || !has_suffix(en, ".json"))
			continue;
		pl_buf_reset(&label);
		rc = pl_buf_addf(&label, err, "%s:%s", name, en);
		if (rc < 0)
			break;
		imp->file = label.data;
		if (archive_entry_size_is_set(ae) &&
		    archive_entry_size(ae) > (la_int64_t)VDB_FILE_MAX) {
			vdb_imp_skip(imp, NULL, "larger than %u MiB, skipped", VDB_FILE_MAX >> 20);
			continue;
		}
		pl_buf_reset(&buf);
		buf.max = VDB_FILE_MAX;
		for (;;) {
			rc = pl_buf_grow(&buf, 1 << 16, err);
			if (rc < 0)
				break;
			n = archive_read_data(a, buf.data + buf.len, buf.cap - buf.len - 1);
			if (n < 0) {
				rc = pl_err_set(err, PL_EINVAL, "'%s': %s", label.data,
						archive_error_string(a));
				break;
			}
			if (n == 0)
				break;
			buf.len += (size_t)n;
			buf.data[buf.len] = '\0';
		}
		if (rc == PL_ETOOBIG) {
			pl_err_init(err);
			rc = 0;
			vdb_imp_skip(imp, NULL, "larger than %u MiB, skipped", VDB_FILE_MAX >> 20);
			continue;
		}
		if (rc == 0)
			rc = vdb_osv_parse(imp, buf.data ? buf.data : "", buf.len, false, err);
	}
	if (rc == 0 && r != ARCHIVE_EOF)
		rc = pl_err_set(err, PL_EINVAL, "'%s': %s", name, archive_error_string(a));
	imp->file = name;
	if (rc == 0)
		rc = vdb_feed_commit(imp, err);
out:
	if (rc < 0 && begun)
		vdb_feed_abort(imp);
	archive_read_free(a);
	pl_buf_release(&buf);
	pl_buf_release(&label);
	return rc;
}

/* ---- directories ---- */

static int import_dir(struct vdb_imp *imp, const char *name, const char *root, struct pl_err *err)
{
	struct files f = {NULL, 0, 0};
	struct pl_sha256 h = {NULL};
	struct pl_buf path = PL_BUF_INIT;
	char digest[PL_DIGEST_SIZE], fd[PL_DIGEST_SIZE];
	bool unchanged = false, begun = false;
	struct map m = {NULL, 0, NULL};
	int rc;

	rc = walk(root, "", &f, 0, err);
	if (rc < 0)
		goto out;
	if (f.n)
		qsort(f.v, f.n, sizeof(*f.v), str_cmp);
	if (imp->kind == PL_FEED_CHANGELOG) {
		rc =
		    pl_err_set(err, PL_EINVAL, "'%s': changelogs are imported one at a time", root);
		goto out;
	}
	rc = pl_sha256_init(&h, err);
	for (size_t i = 0; rc == 0 && i < f.n; i++) {
		pl_buf_reset(&path);
		rc = pl_buf_addf(&path, err, "%s/%s", root, f.v[i]);
		if (rc == 0)
			rc = pl_sha256_file(path.data, fd, NULL, err);
		if (rc < 0)
			break;
		if (imp->kind == PL_FEED_AUTO) {
			rc = map_file(path.data, VDB_FEED_MAX, &m, err);
			if (rc < 0)
				break;
			imp->kind = vdb_sniff(m.data, m.len);
			unmap_file(&m);
		}
		pl_sha256_update(&h, f.v[i], strlen(f.v[i]) + 1);
		pl_sha256_update(&h, fd, strlen(fd));
		pl_sha256_update(&h, "\n", 1);
	}
	if (rc < 0)
		goto out;
	pl_sha256_final_digest(&h, digest);
	if (imp->kind == PL_FEED_AUTO) {
		rc = kind_unknown(root, err);
		goto out;
	}
	rc = vdb_feed_begin(imp, name, digest, &unchanged, err);
	if (rc < 0 || unchanged)
		goto out;
	begun = true;
	for (size_t i = 0; rc == 0 && i < f.n; i++) {
		pl_buf_reset(&path);
		rc = pl_buf_addf(&path, err, "%s/%s", root, f.v[i]);
		if (rc < 0)
			break;
		imp->file = path.data;
		rc = map_file(path.data,
			      imp->kind == PL_FEED_DEBIAN_TRACKER ? VDB_FEED_MAX : VDB_FILE_MAX, &m,
			      err);
		if (rc == PL_ETOOBIG) {
			pl_err_init(err);
			rc = 0;
			vdb_imp_skip(imp, NULL, "larger than %u MiB, skipped", VDB_FILE_MAX >> 20);
			continue;
		}
		if (rc == 0)
			rc = parse_one(imp, m.data, m.len, false, err);
		unmap_file(&m);
	}
	imp->file = root;
	if (rc == 0)
		rc = vdb_feed_commit(imp, err);
out:
	if (rc < 0 && begun)
		vdb_feed_abort(imp);
	pl_sha256_release(&h);
	pl_buf_release(&path);
	files_release(&f);
	return rc;
}

/* ---- one buffer ---- */

static int import_mem(struct vdb_imp *imp, const char *name, const char *data, size_t len,
		      struct pl_err *err)
{
	char digest[PL_DIGEST_SIZE];
	bool unchanged = false;
	int rc;

	imp->kind = resolve_kind(imp->kind, data, len);
	if (imp->kind == PL_FEED_AUTO)
		return kind_unknown(name, err);
	if (imp->kind == PL_FEED_OSV && len >= 4 && memcmp(data, "PK\3\4", 4) == 0)
		return import_zip(imp, name, NULL, data, len, err);
	if (imp->kind == PL_FEED_CHANGELOG)
		return parse_one(imp, data, len, true, err);
	rc = pl_sha256_buf(data, len, digest, err);
	if (rc == 0)
		rc = vdb_feed_begin(imp, name, digest, &unchanged, err);
	if (rc < 0 || unchanged)
		return rc;
	rc = parse_one(imp, data, len, true, err);
	if (rc == 0)
		rc = vdb_feed_commit(imp, err);
	if (rc < 0)
		vdb_feed_abort(imp);
	return rc;
}

int pl_vulndb_import_path_as(struct pl_vulndb *db, const char *path, const char *name,
			     enum pl_feed_kind kind, struct pl_vulndb_stats *st, struct pl_err *err)
{
	struct pl_vulndb_stats local;
	struct vdb_imp imp;
	struct stat sb;
	struct map m = {NULL, 0, NULL};
	int rc;

	if (!name)
		name = path;
	imp_init(&imp, db, kind, st ? st : &local);
	imp.file = path;
	if (stat(path, &sb) < 0)
		return pl_err_errno(err, errno == ENOENT ? PL_ENOTFOUND : PL_EIO, "feed '%s'",
				    path);
	if (S_ISDIR(sb.st_mode)) {
		rc = import_dir(&imp, name, path, err);
	} else if ((kind == PL_FEED_AUTO || kind == PL_FEED_OSV) && has_suffix(path, ".zip")) {
		imp.kind = PL_FEED_OSV;
		rc = import_zip(&imp, name, path, NULL, 0, err);
	} else {
		rc = map_file(path, VDB_FEED_MAX, &m, err);
		if (rc == 0 && imp.kind == PL_FEED_OSV && m.len >= 4 &&
		    memcmp(m.data, "PK\3\4", 4) == 0)
			rc = import_zip(&imp, name, path, NULL, 0, err);
		else if (rc == 0)
			rc = import_mem(&imp, name, m.data, m.len, err);
		unmap_file(&m);
	}
	vdb_imp_release(&imp);
	return rc;
}

int pl_vulndb_import_path(struct pl_vulndb *db, const char *path, enum pl_feed_kind kind,
			  struct pl_vulndb_stats *st, struct pl_err *err)
{
	return pl_vulndb_import_path_as(db, path, NULL, kind, st, err);
}

int pl_vulndb_import_buf(struct pl_vulndb *db, enum pl_feed_kind kind, const char *name,
			 const char *data, size_t len, struct pl_vulndb_stats *st,
			 struct pl_err *err)
{
	struct pl_vulndb_stats local;
	struct vdb_imp imp;
	int rc;

	imp_init(&imp, db, kind, st ? st : &local);
	imp.file = name;
	rc = import_mem(&imp, name, data, len, err);
	vdb_imp_release(&imp);
	return rc;
}

int pl_vulndb_import_changelog(struct pl_vulndb *db, const char *ecosystem, const char *what,
			       const char *text, size_t len, struct pl_vulndb_stats *st,
			       struct pl_err *err)
{
	struct pl_vulndb_stats local;
	struct vdb_imp imp;
	struct pl_sha256 h = {NULL};
	char eco[80], digest[PL_DIGEST_SIZE];
	bool unchanged = false;
	int rc;

	imp_init(&imp, db, PL_FEED_CHANGELOG, st ? st : &local);
	imp.file = what;
	if (!vdb_ecosystem(ecosystem, eco, sizeof(eco)) || strncmp(eco, "debian:", 7) != 0)
		return pl_err_set(err, PL_EINVAL,
				  "changelog '%s': ecosystem '%s' is not a Debian release "
				  "(\"debian:12\")",
				  what, ecosystem);
	if (len > VDB_FEED_MAX)
		return pl_err_set(err, PL_ETOOBIG, "changelog '%s' is too large", what);
	/* the ecosystem is part of what the feed says: importing for another one replaces it */
	rc = pl_sha256_init(&h, err);
	if (rc < 0)
		return rc;
	pl_sha256_update(&h, eco, strlen(eco) + 1);
	pl_sha256_update(&h, text, len);
	pl_sha256_final_digest(&h, digest);
	pl_sha256_release(&h);
	rc = vdb_feed_begin(&imp, what, digest, &unchanged, err);
	if (rc == 0 && !unchanged) {
		rc = vdb_changelog_parse(&imp, eco, text, len, err);
		if (rc == 0)
			rc = vdb_feed_commit(&imp, err);
		if (rc < 0)
			vdb_feed_abort(&imp);
	}
	vdb_imp_release(&imp);
	return rc;
}
