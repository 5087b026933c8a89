/*
 * layer/read: apply a tar stream to an fstree. libarchive only parses; every
 * path goes through fstree's rules and file contents stream into the cas,
 * so nothing named by the archive is ever opened on the host.
 */
#include "lib/layer.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <libdeflate.h>
#include <zlib.h>

#define DEFAULT_MAX_ENTRIES 1000000u
#define MAX_PATH_LEN 4096
#define READ_CHUNK 65536

/* ---- set of paths this archive added (for opaque dirs and whiteouts) ---- */

enum { ADDED = 1, ANCESTOR = 2 };

struct pset_slot {
	char *key;
	uint64_t hash;
	int flag;
};

struct pset {
	struct pset_slot *slots;
	size_t cap, len; /* cap a power of two */
};

static uint64_t fnv(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ULL;

	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 1099511628211ULL;
	}
	return h;
}

static struct pset_slot *pset_find(const struct pset *ps, const char *s, size_t n, uint64_t h)
{
	size_t i;

	if (!ps->cap)
		return NULL;
	for (i = h & (ps->cap - 1); ps->slots[i].key; i = (i + 1) & (ps->cap - 1))
		if (ps->slots[i].hash == h && strlen(ps->slots[i].key) == n &&
		    memcmp(ps->slots[i].key, s, n) == 0)
			return &ps->slots[i];
	return NULL;
}

static int pset_grow(struct pset *ps, struct pl_err *err)
{
	size_t cap = ps->cap ? ps->cap * 2 : 256;
	struct pset_slot *s = calloc(cap, sizeof(*s));

	if (!s)
		return pl_err_set(err, PL_ENOMEM, "out of memory");
	for (size_t j = 0; j < ps->cap; j++) {
		size_t i;

		if (!ps->slots[j].key)
			continue;
		for (i = ps->slots[j].hash & (cap - 1); s[i].key; i = (i + 1) & (cap - 1))
			;
		s[i] = ps->slots[j];
	}
	free(ps->slots);
	ps->slots = s;
	ps->cap = cap;
	return 0;
}

/* Insert s[0..n) with flag; returns 1 when it was already there. */
static int pset_add(struct pset *ps, const char *s, size_t n, int flag, struct pl_err *err)
{
	uint64_t h = fnv(s, n);
	struct pset_slot *slot = pset_find(ps, s, n, h);
	size_t i;
	int rc;

	if (slot) {
		if (flag == ADDED)
			slot->flag = ADDED;
		return 1;
	}
	if ((ps->len + 1) * 2 > ps->cap) {
		rc = pset_grow(ps, err);
		if (rc < 0)
			return rc;
	}
	for (i = h & (ps->cap - 1); ps->slots[i].key; i = (i + 1) & (ps->cap - 1))
		;
	ps->slots[i].key = strndup(s, n);
	if (!ps->slots[i].key)
		return pl_err_set(err, PL_ENOMEM, "out of memory");
	ps->slots[i].hash = h;
	ps->slots[i].flag = flag;
	ps->len++;
	return 0;
}

/* Record path and, as ANCESTOR, each of its parents. */
static int pset_add_path(struct pset *ps, const char *path, struct pl_err *err)
{
	size_t n = strlen(path);
	int rc;

	if (n == 0)
		return 0;
	rc = pset_add(ps, path, n, ADDED, err);
	if (rc != 0)
		return rc < 0 ? rc : 0;
	while (n > 0) {
		while (n > 0 && path[n - 1] != '/')
			n--;
		if (n == 0)
			break;
		n--; /* drop the '/' */
		rc = pset_add(ps, path, n, ANCESTOR, err);
		if (rc < 0)
			return rc;
		if (rc == 1)
			break; /* its parents are in already */
	}
	return 0;
}

static int pset_flag(const struct pset *ps, const char *path)
{
	size_t n = strlen(path);
	struct pset_slot *s = pset_find(ps, path, n, fnv(path, n));

	return s ? s->flag : 0;
}

static void pset_release(struct pset *ps)
{
	for (size_t i = 0; i < ps->cap; i++)
		free(ps->slots[i].key);
	free(ps->slots);
	ps->slots = NULL;
	ps->cap = ps->len = 0;
}

static bool keep_added(const char *path, void *ctx)
{
	return pset_flag(ctx, path) != 0;
}

/* ---- reading ---- */

struct reader {
	struct pl_fstree *t;
	struct pl_cas *cas;
	const struct pl_layer_read_opts *o;
	struct archive *a;
	struct pset added;
	char *buf;
};

/* prefix + "/" + path in canonical form. */
static int full_path(const struct reader *r, const char *path, char **out, struct pl_err *err)
{
	char *joined = NULL;
	int rc;

	if (!r->o->prefix || !r->o->prefix[0])
		return pl_fstree_normalize(path, out, err);
	if (asprintf(&joined, "%s/%s", r->o->prefix, path) < 0)
		return pl_err_set(err, PL_ENOMEM, "out of memory");
	rc = pl_fstree_normalize(joined, out, err);
	free(joined);
	return rc;
}

/* Re-raise a fstree error under another code (the first message wins otherwise). */
static int recode(struct pl_err *err, int code, const struct pl_err *tmp)
{
	return pl_err_set(err, code, "%s", tmp->msg);
}

static int do_whiteout(struct reader *r, const char *path, const char *base, struct pl_err *err)
{
	const char *name = base + 4;
	size_t dirlen = (size_t)(base - path);
	char *target = NULL, *dir = NULL;
	struct pl_err tmp = PL_ERR_INIT;
	int rc = 0, flag;

	dir = strndup(path, dirlen ? dirlen - 1 : 0);
	if (!dir)
		return pl_err_set(err, PL_ENOMEM, "out of memory");
	if (strcmp(name, ".wh..opq") == 0) {
		/* hide what lower layers put in dir, keep what this layer added */
		rc = pl_fstree_prune(r->t, dir, keep_added, &r->added, &tmp);
		if (rc == PL_ENOTFOUND)
			rc = 0;
		else if (rc < 0)
			rc = recode(err, rc, &tmp);
		goto out;
	}
	if (!name[0] || strcmp(name, ".") == 0 || strcmp(name, "..") == 0) {
		rc = pl_err_set(err, PL_EPOLICY, "invalid whiteout name '%s'", base);
		goto out;
	}
	if (asprintf(&target, "%s%s%s", dir, dir[0] ? "/" : "", name) < 0) {
		target = NULL;
		rc = pl_err_set(err, PL_ENOMEM, "out of memory");
		goto out;
	}
	/* whiteouts only hide lower layers, never what this archive added */
	flag = pset_flag(&r->added, target);
	if (flag == ADDED)
		goto out;
	if (flag == ANCESTOR)
		rc = pl_fstree_prune(r->t, target, keep_added, &r->added, &tmp);
	else
		rc = pl_fstree_remove(r->t, target, &tmp);
	if (rc == PL_ENOTFOUND)
		rc = 0;
	else if (rc < 0)
		rc = recode(err, rc, &tmp);
out:
	free(dir);
	free(target);
	return rc;
}

static int read_contents(struct reader *r, struct pl_fsmeta *m, struct pl_err *err)
{
	struct pl_cas_writer *w = NULL;
	int rc;

	rc = pl_cas_writer_new(r->cas, &w, err);
	if (rc < 0)
		return rc;
	for (;;) {
		la_ssize_t n = archive_read_data(r->a, r->buf, READ_CHUNK);

		if (n == 0)
			break;
		if (n < 0) {
			rc = pl_err_set(err, PL_EINVAL, "read contents: %s",
					archive_error_string(r->a) ? archive_error_string(r->a)
								   : "corrupt archive");
			goto out;
		}
		rc = pl_cas_writer_write(w, r->buf, (size_t)n, err);
		if (rc < 0)
			goto out;
	}
	rc = pl_cas_writer_commit(w, NULL, m->digest, &m->size, err);
	w = NULL;
out:
	pl_cas_writer_abort(w);
	return rc;
}

static int set_xattrs(struct reader *r, struct archive_entry *e, const char *path,
		      struct pl_err *err)
{
	const char *name;
	const void *value;
	size_t size;
	int rc;

	if (archive_entry_xattr_reset(e) == 0)
		return 0;
	while (archive_entry_xattr_next(e, &name, &value, &size) == ARCHIVE_OK) {
		if (!name || !name[0])
			continue;
		rc = pl_fstree_set_xattr(r->t, path, name, value, size, err);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/*
 * dpkg's view of where path lands: its parent directory resolved with every
 * symlink followed (clamped at the tree's root), its last component not.
 * Parents missing from the tree stay as named (they are created as plain
 * directories). *out is canonical and free of symlinks, as fstree wants.
 */
static int dpkg_dest(const struct reader *r, const char *path, char **out, struct pl_err *err)
{
	const char *slash = strrchr(path, '/');
	char *dir = NULL, *cdir = NULL, *cur = NULL;
	struct pl_err tmp = PL_ERR_INIT;
	int rc = 0;

	*out = NULL;
	if (!slash) {
		*out = strdup(path);
		return *out ? 0 : pl_err_set(err, PL_ENOMEM, "out of memory");
	}
	dir = strndup(path, (size_t)(slash - path));
	if (!dir)
		return pl_err_set(err, PL_ENOMEM, "out of memory");
	rc = pl_fstree_resolve(r->t, dir, true, true, &cdir, &tmp);
	if (rc == PL_ENOTFOUND) {
		/* a parent further up is missing: resolve as far as the tree goes */
		const char *p = dir;
		bool missing = false;

		rc = 0;
		cur = strdup("");
		if (!cur) {
			rc = pl_err_set(err, PL_ENOMEM, "out of memory");
			goto out;
		}
		while (*p) {
			const char *c = p, *ce = strchr(p, '/');
			char *cand = NULL, *canon = NULL;

			if (!ce)
				ce = p + strlen(p);
			p = *ce ? ce + 1 : ce;
			if (asprintf(&cand, "%s%s%.*s", cur, cur[0] ? "/" : "", (int)(ce - c), c) <
			    0) {
				rc = pl_err_set(err, PL_ENOMEM, "out of memory");
				goto out;
			}
			if (missing) {
				free(cur);
				cur = cand;
				continue;
			}
			pl_err_init(&tmp);
			rc = pl_fstree_resolve(r->t, cand, true, true, &canon, &tmp);
			free(cand);
			if (rc < 0) {
				rc = recode(err, rc == PL_ENOTFOUND ? PL_EINVAL : rc, &tmp);
				goto out;
			}
			free(cur);
			cur = canon;
			missing = pl_fstree_get(r->t, cur) == NULL;
		}
		cdir = cur;
		cur = NULL;
	} else if (rc < 0) {
		rc = recode(err, rc, &tmp);
		goto out;
	}
	if (asprintf(out, "%s%s%s", cdir, cdir[0] ? "/" : "", slash + 1) < 0) {
		*out = NULL;
		rc = pl_err_set(err, PL_ENOMEM, "out of memory");
	}
out:
	free(dir);
	free(cdir);
	free(cur);
	return rc;
}

/* dpkg leaves an existing directory, or a symlink to one, as it is. */
static bool dpkg_dir_exists(const struct reader *r, const char *path)
{
	const struct pl_fsmeta *m;
	struct pl_err tmp = PL_ERR_INIT;
	char *canon = NULL;
	bool yes;

	if (pl_fstree_resolve(r->t, path, true, false, &canon, &tmp) < 0)
		return false;
	m = pl_fstree_get(r->t, canon);
	yes = m && m->type == PL_FT_DIR;
	free(canon);
	return yes;
}

/* A non-directory never replaces a directory (dpkg refuses it too). */
static int dpkg_check_replace(const struct reader *r, const char *path, struct pl_err *err)
{
	const struct pl_fsmeta *m = pl_fstree_get(r->t, path);

	if (m && m->type == PL_FT_DIR)
		return pl_err_set(err, PL_EPOLICY,
				  "would replace directory '/%s' with a non-directory", path);
	return 0;
}

/* Report path to o->on_path in dpkg's .list form. */
static int report_path(struct reader *r, const char *path, struct pl_err *err)
{
	char *s = NULL;
	int rc;

	if (!r->o->on_path)
		return 0;
	if (asprintf(&s, "/%s", path[0] ? path : ".") < 0)
		return pl_err_set(err, PL_ENOMEM, "out of memory");
	rc = r->o->on_path(s, r->o->on_path_ctx, err);
	free(s);
	return rc < 0 ? rc : 0;
}

static int read_entry(struct reader *r, struct archive_entry *e, const char *raw,
		      struct pl_err *err)
{
	struct pl_fsmeta m;
	struct pl_err tmp = PL_ERR_INIT;
	const char *hl = archive_entry_hardlink(e);
	char *path = NULL, *target = NULL;
	const char *base;
	int64_t uid, gid;
	int rc;

	char *listed = NULL;

	memset(&m, 0, sizeof(m));
	if (strlen(raw) > MAX_PATH_LEN)
		return pl_err_set(err, PL_ETOOBIG, "path longer than %d bytes", MAX_PATH_LEN);
	rc = full_path(r, raw, &path, err);
	if (rc < 0)
		goto out;
	if (r->o->dpkg_paths) {
		char *dest = NULL;

		rc = dpkg_dest(r, path, &dest, err);
		if (rc < 0)
			goto out;
		listed = path;
		path = dest;
	}
	base = strrchr(path, '/');
	base = base ? base + 1 : path;
	if (r->o->whiteouts && strncmp(base, ".wh.", 4) == 0) {
		rc = do_whiteout(r, path, base, err);
		goto out;
	}

	uid = r->o->uid >= 0 ? r->o->uid : archive_entry_uid(e);
	gid = r->o->gid >= 0 ? r->o->gid : archive_entry_gid(e);
	if (uid < 0 || uid > UINT32_MAX || gid < 0 || gid > UINT32_MAX) {
		rc = pl_err_set(err, PL_EINVAL, "uid/gid out of range");
		goto out;
	}
	m.uid = (uint32_t)uid;
	m.gid = (uint32_t)gid;
	m.mode = (uint32_t)archive_entry_mode(e) & 07777;
	m.mtime = archive_entry_mtime_is_set(e) ? (int64_t)archive_entry_mtime(e) : 0;

	if (hl) {
		if (strlen(hl) > MAX_PATH_LEN) {
			rc = pl_err_set(err, PL_ETOOBIG, "link target longer than %d bytes",
					MAX_PATH_LEN);
			goto out;
		}
		rc = full_path(r, hl, &target, err);
		if (rc < 0)
			goto out;
		if (r->o->dpkg_paths) {
			char *dest = NULL;

			rc = dpkg_dest(r, target, &dest, err);
			if (rc < 0)
				goto out;
			free(target);
			target = dest;
			rc = dpkg_check_replace(r, path, err);
			if (rc < 0)
				goto out;
		}
		rc = pl_fstree_link(r->t, path, target, &tmp);
		if (rc == PL_ENOTFOUND || rc == PL_EINVAL)
			rc = pl_err_set(err, PL_EPOLICY, "hardlink to '%s' refused: %s", hl,
					tmp.msg);
		else if (rc < 0)
			rc = recode(err, rc, &tmp);
		goto added;
	}

	switch (archive_entry_filetype(e)) {
	case AE_IFREG:
		m.type = PL_FT_REG;
		rc = read_contents(r, &m, err);
		if (rc < 0)
			goto out;
		break;
	case AE_IFDIR:
		m.type = PL_FT_DIR;
		break;
	case AE_IFLNK:
		m.type = PL_FT_SYMLINK;
		/* the target is only data: it is never followed on the host */
		m.link = (char *)archive_entry_symlink(e);
		if (!m.link || !m.link[0]) {
			rc = pl_err_set(err, PL_EINVAL, "symlink without a target");
			goto out;
		}
		if (strlen(m.link) > MAX_PATH_LEN) {
			rc = pl_err_set(err, PL_ETOOBIG, "symlink target longer than %d bytes",
					MAX_PATH_LEN);
			goto out;
		}
		break;
	case AE_IFCHR:
	case AE_IFBLK:
		if (!r->o->allow_devices) {
			rc = pl_err_set(err, PL_EPOLICY, "device nodes are not allowed here");
			goto out;
		}
		m.type = archive_entry_filetype(e) == AE_IFCHR ? PL_FT_CHR : PL_FT_BLK;
		m.devmajor = (uint32_t)archive_entry_rdevmajor(e);
		m.devminor = (uint32_t)archive_entry_rdevminor(e);
		break;
	case AE_IFIFO:
		m.type = PL_FT_FIFO;
		break;
	default:
		rc = pl_err_set(err, PL_EPOLICY, "unsupported entry type 0%o",
				(unsigned)archive_entry_filetype(e));
		goto out;
	}
	if (r->o->dpkg_paths) {
		if (m.type == PL_FT_DIR && dpkg_dir_exists(r, path))
			goto added;
		if (m.type != PL_FT_DIR) {
			rc = dpkg_check_replace(r, path, err);
			if (rc < 0)
				goto out;
		}
	}
	rc = pl_fstree_put(r->t, path, &m, err);
	if (rc < 0)
		goto out;
	rc = set_xattrs(r, e, path, err);
added:
	if (rc == 0 && r->o->whiteouts)
		rc = pset_add_path(&r->added, path, err);
	if (rc == 0)
		rc = report_path(r, listed ? listed : path, err);
out:
	free(path);
	free(listed);
	free(target);
	return rc;
}

/*
 * The byte source under the tar parser. gzip is inflated here with zlib,
 * which checks every member's CRC and size (libarchive's gzip filter does
 * not, so flipped bytes in stored blocks would pass). Anything else goes
 * through a second archive object that only decompresses (format "raw",
 * every filter: zstd, xz and bzip2 check their own checksums). After the
 * tar end-of-archive blocks the source is drained to its real end, so a
 * cut or corrupt trailer is an error too.
 */
struct src {
	pl_layer_src_fn readfn;
	void *readctx;
	bool gzip, in_eof, z_done, z_init;
	z_stream z;
	unsigned char *in, *out;
	size_t in_cap;          /* size of in */
	/*
	 * gzip fast path: a whole member that fits is inflated at once with
	 * libdeflate (about three times zlib's speed; it checks the CRC and size
	 * too). Plinth's own layers are 1 MiB members; anything else (a member
	 * too large, or corrupt: zlib then reports it) goes through zlib.
	 */
	struct libdeflate_decompressor *ld;
	unsigned char *big;
	size_t big_len, big_off;
	bool member_start;
	size_t peek_len;        /* raw mode: bytes peeked and not yet handed on */
	struct archive *outer;  /* raw mode decompressor */
	char msg[160];
};

static int fill(struct src *s, struct pl_err *err)
{
	ssize_t n;

	if (s->z.avail_in && s->z.next_in != s->in)
		memmove(s->in, s->z.next_in, s->z.avail_in);
	s->z.next_in = s->in;
	n = s->readfn(s->readctx, s->in + s->z.avail_in, s->in_cap - s->z.avail_in, err);
	if (n < 0)
		return (int)n;
	if (n == 0)
		s->in_eof = true;
	s->z.avail_in += (uInt)n;
	return 0;
}

#define GZ_IN ((size_t)4 << 20)  /* input buffered for the fast path */
#define GZ_BIG ((size_t)4 << 20) /* largest member output the fast path takes */

/* After a member: another one follows, or the stream ends (trailing bytes ignored, as gzip does). */
static int member_end(struct src *s, struct pl_err *err)
{
	while (s->z.avail_in < 2 && !s->in_eof)
		if (fill(s, err) < 0)
			return -1;
	if (s->z.avail_in >= 2 && s->z.next_in[0] == 0x1f && s->z.next_in[1] == 0x8b)
		s->member_start = true;
	else
		s->z_done = true;
	return 0;
}

/* 1: a member was inflated into big; 0: leave it to zlib; <0: read error. */
static int fast_member(struct src *s, struct pl_err *err)
{
	size_t in_used = 0, out_len = 0;
	enum libdeflate_result r;

	/*
	 * Refill only when less than half the buffer is left: a member larger
	 * than that is rare (Plinth's are about 1 MiB at most) and goes to zlib.
	 */
	if (s->z.avail_in < s->in_cap / 2)
		while (s->z.avail_in < s->in_cap && !s->in_eof)
			if (fill(s, err) < 0)
				return -1;
	if (s->z.avail_in < 18)
		return 0;
	r = libdeflate_gzip_decompress_ex(s->ld, s->z.next_in, s->z.avail_in, s->big, GZ_BIG,
					  &in_used, &out_len);
	if (r != LIBDEFLATE_SUCCESS)
		return 0;
	s->z.next_in += in_used;
	s->z.avail_in -= (uInt)in_used;
	s->big_len = out_len;
	s->big_off = 0;
	s->member_start = false;
	return member_end(s, err) < 0 ? -1 : 1;
}

/* Inflate the next bytes (at most READ_CHUNK) into *buf; 0 bytes means the end. */
static la_ssize_t gz_read(struct src *s, const void **buf, struct pl_err *err)
{
	for (;;) {
		if (s->big_off < s->big_len) {
			size_t n = s->big_len - s->big_off;

			if (n > READ_CHUNK)
				n = READ_CHUNK;
			*buf = s->big + s->big_off;
			s->big_off += n;
			return (la_ssize_t)n;
		}
		if (s->z_done)
			return 0;
		if (!s->member_start || !s->ld)
			break;
		switch (fast_member(s, err)) {
		case 1:
			continue;
		case 0:
			break;
		default:
			return -1;
		}
		break;
	}
	s->member_start = false;
	*buf = s->out;
	s->z.next_out = s->out;
	s->z.avail_out = READ_CHUNK;
	while (!s->z_done && s->z.avail_out == READ_CHUNK) {
		int zr;

		if (s->z.avail_in == 0) {
			if (s->in_eof)
				return pl_err_set(err, PL_EINVAL, "truncated gzip input");
			if (fill(s, err) < 0)
				return -1;
			continue;
		}
		zr = inflate(&s->z, Z_NO_FLUSH);
		if (zr == Z_STREAM_END) {
			inflateReset(&s->z);
			if (member_end(s, err) < 0)
				return -1;
			/* the next member may take the fast path */
			if (s->member_start && s->z.avail_out != READ_CHUNK)
				break;
			if (s->member_start)
				return gz_read(s, buf, err);
		} else if (zr != Z_OK && zr != Z_BUF_ERROR) {
			return pl_err_set(err, PL_EINVAL, "gzip: %s",
					  s->z.msg ? s->z.msg : "corrupt data");
		}
	}
	return (la_ssize_t)(READ_CHUNK - s->z.avail_out);
}

static la_ssize_t outer_read(struct archive *a, void *ctx, const void **buff)
{
	struct src *s = ctx;
	struct pl_err e = PL_ERR_INIT;
	ssize_t n;

	*buff = s->in;
	if (s->peek_len) {
		n = (ssize_t)s->peek_len;
		s->peek_len = 0;
		return n;
	}
	n = s->readfn(s->readctx, s->in, READ_CHUNK, &e);
	if (n < 0) {
		archive_set_error(a, -1, "%s", e.msg[0] ? e.msg : "read error");
		return ARCHIVE_FATAL;
	}
	return n;
}

static la_ssize_t inner_read(struct archive *a, void *ctx, const void **buff)
{
	struct src *s = ctx;
	size_t size = 0;
	la_int64_t off;
	int rc;

	if (s->gzip) {
		struct pl_err e = PL_ERR_INIT;
		la_ssize_t n = gz_read(s, buff, &e);

		if (n < 0) {
			archive_set_error(a, -1, "%s", e.msg);
			return ARCHIVE_FATAL;
		}
		return n;
	}
	rc = archive_read_data_block(s->outer, buff, &size, &off);
	if (rc == ARCHIVE_EOF)
		return 0;
	if (rc < ARCHIVE_WARN) {
		const char *msg = archive_error_string(s->outer);

		archive_set_error(a, -1, "%s", msg ? msg : "corrupt stream");
		return ARCHIVE_FATAL;
	}
	return (la_ssize_t)size;
}

static const char *arch_msg(struct archive *a, const char *dflt)
{
	const char *m = archive_error_string(a);

	return m ? m : dflt;
}

static int src_open(struct src *s, pl_layer_src_fn fn, void *ctx, const char *what,
		    struct pl_err *err)
{
	struct archive_entry *e;
	int ar;

	s->readfn = fn;
	s->readctx = ctx;
	s->in_cap = READ_CHUNK;
	s->in = malloc(READ_CHUNK);
	s->out = malloc(READ_CHUNK);
	if (!s->in || !s->out)
		return pl_err_set(err, PL_ENOMEM, "out of memory");
	s->z.next_in = s->in;
	while (s->z.avail_in < 2 && !s->in_eof)
		if (fill(s, err) < 0)
			return pl_err_wrap(err, "%s", what);
	if (s->z.avail_in == 0)
		return pl_err_set(err, PL_EINVAL, "%s: empty file, not a tar archive", what);
	if (s->z.avail_in >= 2 && s->in[0] == 0x1f && s->in[1] == 0x8b) {
		unsigned char *in = malloc(GZ_IN);

		s->gzip = true;
		if (inflateInit2(&s->z, 16 + MAX_WBITS) != Z_OK) {
			free(in);
			return pl_err_set(err, PL_ENOMEM, "out of memory");
		}
		s->z_init = true;
		s->ld = libdeflate_alloc_decompressor();
		s->big = malloc(GZ_BIG);
		if (!in || !s->ld || !s->big) {
			free(in);
			return pl_err_set(err, PL_ENOMEM, "out of memory");
		}
		/* the larger input buffer holds a whole member for the fast path */
		memcpy(in, s->z.next_in, s->z.avail_in);
		free(s->in);
		s->in = in;
		s->z.next_in = in;
		s->in_cap = GZ_IN;
		s->member_start = true;
		return 0;
	}
	s->peek_len = s->z.avail_in;
	s->outer = archive_read_new();
	if (!s->outer)
		return pl_err_set(err, PL_ENOMEM, "out of memory");
	archive_read_support_filter_all(s->outer);
	archive_read_support_format_raw(s->outer);
	if (archive_read_open(s->outer, s, NULL, outer_read, NULL) != ARCHIVE_OK)
		return pl_err_set(err, PL_EINVAL, "%s: %s", what,
				  arch_msg(s->outer, "cannot open archive"));
	ar = archive_read_next_header(s->outer, &e);
	if (ar < ARCHIVE_WARN || ar == ARCHIVE_EOF)
		return pl_err_set(err, PL_EINVAL, "%s: %s", what,
				  arch_msg(s->outer, "corrupt stream"));
	return 0;
}

static int src_drain(struct src *s, const char *what, const char *last, struct pl_err *err)
{
	struct pl_err e = PL_ERR_INIT;
	const char *msg = NULL;

	while (!msg) {
		const void *buf;
		size_t size;
		la_int64_t off;
		int rc;

		if (s->gzip) {
			la_ssize_t n = gz_read(s, &buf, &e);

			if (n == 0)
				return 0;
			if (n < 0)
				msg = e.msg;
		} else {
			rc = archive_read_data_block(s->outer, &buf, &size, &off);
			if (rc == ARCHIVE_EOF)
				return 0;
			if (rc < ARCHIVE_WARN)
				msg = arch_msg(s->outer, "corrupt stream");
		}
	}
	return pl_err_set(err, PL_EINVAL, "%s: after entry '%s': %s", what, last ? last : "",
			  msg);
}

static void src_release(struct src *s)
{
	if (s->z_init)
		inflateEnd(&s->z);
	if (s->outer)
		archive_read_free(s->outer);
	free(s->in);
	free(s->out);
	free(s->big);
	if (s->ld)
		libdeflate_free_decompressor(s->ld);
}

static ssize_t fd_read(void *ctx, void *buf, size_t n, struct pl_err *err)
{
	int fd = *(int *)ctx;
	ssize_t r;

	do
		r = read(fd, buf, n);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return pl_err_errno(err, PL_EIO, "read");
	return r;
}

int pl_layer_read(struct pl_fstree *t, struct pl_cas *cas, int fd,
		  const struct pl_layer_read_opts *o, struct pl_err *err)
{
	return pl_layer_read_from(t, cas, fd_read, &fd, o, err);
}

int pl_layer_read_from(struct pl_fstree *t, struct pl_cas *cas, pl_layer_src_fn fn,
		       void *src_ctx, const struct pl_layer_read_opts *o, struct pl_err *err)
{
	struct reader r;
	struct src src;
	struct archive_entry *e;
	const char *what = o->what ? o->what : "archive";
	uint64_t max = o->max_entries ? o->max_entries : DEFAULT_MAX_ENTRIES;
	uint64_t count = 0;
	char *last = NULL;
	int rc = 0, ar;

	memset(&r, 0, sizeof(r));
	memset(&src, 0, sizeof(src));
	r.t = t;
	r.cas = cas;
	r.o = o;
	r.buf = malloc(READ_CHUNK);
	r.a = archive_read_new();
	if (!r.buf || !r.a) {
		rc = pl_err_set(err, PL_ENOMEM, "out of memory");
		goto out;
	}
	rc = src_open(&src, fn, src_ctx, what, err);
	if (rc < 0)
		goto out;
	archive_read_support_format_tar(r.a);
	if (archive_read_open(r.a, &src, NULL, inner_read, NULL) != ARCHIVE_OK) {
		rc = pl_err_set(err, PL_EINVAL, "%s: %s", what,
				arch_msg(r.a, "cannot open archive"));
		goto out;
	}
	for (;;) {
		const char *raw;

		ar = archive_read_next_header(r.a, &e);
		if (ar == ARCHIVE_EOF)
			break;
		if (ar < ARCHIVE_WARN) {
			if (last)
				rc = pl_err_set(err, PL_EINVAL, "%s: after entry '%s': %s", what,
						last, arch_msg(r.a, "corrupt archive"));
			else
				rc = pl_err_set(err, PL_EINVAL, "%s: %s", what,
						arch_msg(r.a, "corrupt archive"));
			goto out;
		}
		if (++count > max) {
			rc = pl_err_set(err, PL_ETOOBIG, "%s: more than %llu entries", what,
					(unsigned long long)max);
			goto out;
		}
		raw = archive_entry_pathname(e);
		if (!raw)
			raw = archive_entry_pathname_utf8(e);
		if (!raw) {
			rc = pl_err_set(err, PL_EINVAL, "%s: entry %llu has no readable path",
					what, (unsigned long long)count);
			goto out;
		}
		free(last);
		last = strndup(raw, 256);
		if (!last) {
			rc = pl_err_set(err, PL_ENOMEM, "out of memory");
			goto out;
		}
		rc = read_entry(&r, e, raw, err);
		if (rc < 0) {
			pl_err_wrap(err, "%s: entry '%.200s'", what, raw);
			goto out;
		}
	}
	rc = src_drain(&src, what, last, err);
out:
	if (r.a)
		archive_read_free(r.a);
	src_release(&src);
	pset_release(&r.added);
	free(r.buf);
	free(last);
	return rc;
}
