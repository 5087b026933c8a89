/*
 * Writing layers: fstree walk -> libarchive pax_restricted writer -> one
 * write callback that hashes the tar (diff_id) and feeds the compressor,
 * whose output streams into a cas writer (which hashes the blob). File
 * contents are copied from the content cas through a fixed buffer, so memory
 * does not grow with file sizes.
 */
#include "lib/layer.h"

#include <errno.h>
#include <locale.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "lib/layer/compress.h"
#include "util/buf.h"

#define IO_BUF (256u << 10)
#define TAR_BLOCK 10240
#define STAGE_BUF (512u << 10)

struct writer {
	const struct pl_layer_write_opts *o;
	const struct pl_cas *content;
	struct archive *a;
	struct archive_entry *ae;
	struct pl_compress *comp;
	struct pl_cas_writer *cw;
	struct pl_sha256 tar_hash;
	uint64_t tar_size;
	unsigned char *io;
	unsigned char *stage; /* tar bytes not yet hashed and compressed */
	size_t stage_len;
	struct pl_buf name;
	/* errors raised inside libarchive's callback, reported after it returns */
	int cb_rc;
	bool discard; /* failed: swallow what archive_write_free flushes */
	struct pl_err *err;
};

static int64_t clamp_mtime(const struct writer *w, int64_t mtime)
{
	return mtime > w->o->epoch ? w->o->epoch : mtime;
}

static int archive_fail(struct writer *w, const char *what)
{
	if (w->cb_rc < 0)
		return pl_err_wrap(w->err, "%s", what);
	return pl_err_set(w->err, PL_EIO, "%s: %s", what,
			  archive_error_string(w->a) ? archive_error_string(w->a) : "libarchive error");
}

static int blob_sink(void *ctx, const void *data, size_t len, struct pl_err *err)
{
	struct writer *w = ctx;

	return pl_cas_writer_write(w->cw, data, len, err);
}

/* Hash and compress a run of tar bytes. */
static int tar_emit(struct writer *w, const void *buf, size_t len)
{
	pl_sha256_update(&w->tar_hash, buf, len);
	w->tar_size += len;
	return pl_compress_write(w->comp, buf, len, w->err);
}

/*
 * libarchive hands over 10 KiB records; coalescing them into larger runs
 * cuts the per-call cost of hashing and of feeding the compressor.
 */
static la_ssize_t tar_out(struct archive *a, void *ctx, const void *buf, size_t len)
{
	struct writer *w = ctx;
	int rc = 0;

	(void)a;
	if (w->discard)
		return (la_ssize_t)len;
	if (w->stage_len + len > STAGE_BUF && w->stage_len > 0) {
		rc = tar_emit(w, w->stage, w->stage_len);
		w->stage_len = 0;
	}
	if (rc == 0 && len >= STAGE_BUF) {
		rc = tar_emit(w, buf, len);
	} else if (rc == 0) {
		memcpy(w->stage + w->stage_len, buf, len);
		w->stage_len += len;
	}
	if (rc < 0) {
		w->cb_rc = rc;
		return -1;
	}
	return (la_ssize_t)len;
}

/* Set name to s plus an optional suffix. */
static int set_name(struct writer *w, const char *s, size_t n, const char *suffix)
{
	int rc;

	pl_buf_reset(&w->name);
	rc = pl_buf_add(&w->name, s, n, w->err);
	if (rc == 0 && suffix)
		rc = pl_buf_adds(&w->name, suffix, w->err);
	return rc;
}

/* An empty mode-0 root-owned regular file: the OCI whiteout markers. */
static int put_marker(struct writer *w, int64_t mtime)
{
	struct archive_entry *ae = w->ae;

	archive_entry_clear(ae);
	archive_entry_copy_pathname(ae, w->name.data);
	archive_entry_set_filetype(ae, AE_IFREG);
	archive_entry_set_perm(ae, 0);
	archive_entry_set_uid(ae, 0);
	archive_entry_set_gid(ae, 0);
	archive_entry_set_mtime(ae, clamp_mtime(w, mtime), 0);
	archive_entry_set_size(ae, 0);
	if (archive_write_header(w->a, ae) < ARCHIVE_WARN)
		return archive_fail(w, "write whiteout");
	return 0;
}

static int put_whiteout(struct writer *w, const struct pl_fsentry *e)
{
	const char *slash = strrchr(e->path, '/');
	size_t dirlen = slash ? (size_t)(slash - e->path) + 1 : 0;
	int rc;

	rc = set_name(w, e->path, dirlen, ".wh.");
	if (rc == 0)
		rc = pl_buf_adds(&w->name, e->path + dirlen, w->err);
	if (rc == 0)
		rc = put_marker(w, e->meta->mtime);
	return rc;
}

static int copy_content(struct writer *w, const struct pl_fsentry *e)
{
	uint64_t left = e->meta->size;
	int fd = -1;
	int rc;

	rc = pl_cas_open_read(w->content, e->meta->digest, &fd, w->err);
	if (rc < 0)
		goto out;
	while (left > 0) {
		size_t want = left < IO_BUF ? (size_t)left : IO_BUF;
		ssize_t n = read(fd, w->io, want);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = pl_err_errno(w->err, PL_EIO, "read content %s", e->meta->digest);
			goto out;
		}
		if (n == 0) {
			rc = pl_err_set(w->err, PL_EVERIFY, "content %s is shorter than %llu bytes",
					e->meta->digest, (unsigned long long)e->meta->size);
			goto out;
		}
		if (archive_write_data(w->a, w->io, (size_t)n) != n) {
			rc = archive_fail(w, "write data");
			goto out;
		}
		left -= (uint64_t)n;
	}
out:
	if (fd >= 0)
		close(fd);
	return rc;
}

static int put_entry(const struct pl_fsentry *e, void *ctx, struct pl_err *err)
{
	struct writer *w = ctx;
	const struct pl_fsmeta *m = e->meta;
	struct archive_entry *ae = w->ae;
	bool data = false;
	size_t i;
	int rc = 0;

	(void)err; /* the same as w->err */
	if (m->type == PL_FT_WHITEOUT) {
		rc = put_whiteout(w, e);
		goto out;
	}
	rc = set_name(w, e->path, strlen(e->path), m->type == PL_FT_DIR ? "/" : NULL);
	if (rc < 0)
		goto out;
	archive_entry_clear(ae);
	archive_entry_copy_pathname(ae, w->name.data);
	archive_entry_set_perm(ae, m->mode & 07777);
	archive_entry_set_uid(ae, m->uid);
	archive_entry_set_gid(ae, m->gid);
	archive_entry_set_mtime(ae, clamp_mtime(w, m->mtime), 0);
	archive_entry_set_size(ae, 0);
	switch (m->type) {
	case PL_FT_REG:
		archive_entry_set_filetype(ae, AE_IFREG);
		if (e->hardlink_to) {
			archive_entry_copy_hardlink(ae, e->hardlink_to);
		} else {
			archive_entry_set_size(ae, (la_int64_t)m->size);
			data = m->size > 0;
		}
		break;
	case PL_FT_DIR:
		archive_entry_set_filetype(ae, AE_IFDIR);
		break;
	case PL_FT_SYMLINK:
		archive_entry_set_filetype(ae, AE_IFLNK);
		archive_entry_copy_symlink(ae, m->link ? m->link : "");
		break;
	case PL_FT_CHR:
	case PL_FT_BLK:
		archive_entry_set_filetype(ae, m->type == PL_FT_CHR ? AE_IFCHR : AE_IFBLK);
		archive_entry_set_rdevmajor(ae, m->devmajor);
		archive_entry_set_rdevminor(ae, m->devminor);
		break;
	case PL_FT_FIFO:
		archive_entry_set_filetype(ae, AE_IFIFO);
		break;
	default:
		rc = pl_err_set(w->err, PL_EINVAL, "'%s': unknown file type %d", e->path,
				(int)m->type);
		goto out;
	}
	for (i = 0; i < e->nxattrs; i++)
		archive_entry_xattr_add_entry(ae, e->xattrs[i].name, e->xattrs[i].value,
					      e->xattrs[i].len);
	if (archive_write_header(w->a, ae) < ARCHIVE_WARN) {
		rc = archive_fail(w, "write header");
		goto out;
	}
	if (data) {
		rc = copy_content(w, e);
		if (rc < 0)
			goto out;
	}
	if (m->type == PL_FT_DIR && e->opaque) {
		rc = set_name(w, e->path, strlen(e->path), "/.wh..wh..opq");
		if (rc == 0)
			rc = put_marker(w, m->mtime);
	}
out:
	if (rc < 0)
		pl_err_wrap(w->err, "'%s'", e->path);
	return rc;
}

/* A pax_restricted writer whose bytes depend only on the entries. */
static int open_archive(struct writer *w)
{
	struct archive *a = archive_write_new();

	w->a = a;
	w->ae = archive_entry_new();
	if (!a || !w->ae)
		return pl_err_set(w->err, PL_ENOMEM, "out of memory");
	/*
	 * pax_restricted writes plain ustar headers unless an entry needs more
	 * (long names, big ids, xattrs), names the extended header
	 * "dir/PaxHeader/name" (no pid, no time), and never adds atime/ctime
	 * when the entry has none. Only SCHILY.xattr keys: what GNU tar,
	 * containerd and Go's archive/tar read.
	 */
	if (archive_write_set_format_pax_restricted(a) != ARCHIVE_OK ||
	    archive_write_set_format_option(a, "pax", "xattrheader", "SCHILY") != ARCHIVE_OK ||
	    archive_write_add_filter_none(a) != ARCHIVE_OK ||
	    archive_write_set_bytes_per_block(a, TAR_BLOCK) != ARCHIVE_OK ||
	    archive_write_set_bytes_in_last_block(a, TAR_BLOCK) != ARCHIVE_OK)
		return archive_fail(w, "tar writer");
	if (archive_write_open2(a, w, NULL, tar_out, NULL, NULL) != ARCHIVE_OK)
		return archive_fail(w, "tar writer");
	return 0;
}

int pl_layer_write(const struct pl_fstree *t, const struct pl_cas *content, struct pl_cas *out,
		   const struct pl_layer_write_opts *o, struct pl_layer_result *res,
		   struct pl_err *err)
{
	struct writer w;
	bool hashing = false;
	locale_t utf8 = (locale_t)0, prev = (locale_t)0;
	int rc;

	memset(&w, 0, sizeof(w));
	memset(res, 0, sizeof(*res));
	w.o = o;
	w.content = content;
	w.err = err;
	pl_buf_init(&w.name, 0);
	w.io = malloc(IO_BUF);
	w.stage = malloc(STAGE_BUF);
	if (!w.io || !w.stage) {
		rc = pl_err_set(err, PL_ENOMEM, "out of memory");
		goto out;
	}
	/*
	 * libarchive converts names from the thread's locale to UTF-8 for pax
	 * "path" records, falling back to hdrcharset=BINARY when that fails: the
	 * bytes would depend on the caller's LANG. Pin C.UTF-8 (built into
	 * glibc >= 2.35 and musl) for this thread while writing.
	 */
	utf8 = newlocale(LC_ALL_MASK, "C.UTF-8", (locale_t)0);
	if (utf8 == (locale_t)0) {
		rc = pl_err_errno(err, PL_EIO, "locale 'C.UTF-8' is not available");
		goto out;
	}
	prev = uselocale(utf8);
	rc = pl_sha256_init(&w.tar_hash, err);
	if (rc < 0)
		goto out;
	hashing = true;
	rc = pl_cas_writer_new(out, &w.cw, err);
	if (rc < 0)
		goto out;
	rc = pl_compress_new(&w.comp, o->comp, o->level, o->threads, blob_sink, &w, err);
	if (rc < 0)
		goto out;
	rc = open_archive(&w);
	if (rc < 0)
		goto out;
	rc = pl_fstree_walk(t, put_entry, &w, err);
	if (rc < 0)
		goto out;
	if (archive_write_close(w.a) != ARCHIVE_OK) {
		rc = archive_fail(&w, "finish tar");
		goto out;
	}
	if (w.stage_len > 0) {
		rc = tar_emit(&w, w.stage, w.stage_len);
		if (rc < 0)
			goto out;
	}
	rc = pl_compress_finish(w.comp, err);
	if (rc < 0)
		goto out;
	pl_sha256_final_digest(&w.tar_hash, res->diff_id);
	rc = pl_cas_writer_commit(w.cw, NULL, res->digest, &res->size, err);
	w.cw = NULL;
	if (rc < 0)
		goto out;
	res->tar_size = w.tar_size;
	res->media_type = o->comp == PL_COMP_GZIP   ? PL_MT_LAYER_GZIP
			  : o->comp == PL_COMP_ZSTD ? PL_MT_LAYER_ZSTD
						    : PL_MT_LAYER_TAR;
out:
	if (w.a) {
		/* after a failure, free must not flush into the compressor */
		w.discard = rc < 0;
		archive_write_free(w.a);
	}
	archive_entry_free(w.ae);
	pl_compress_free(w.comp);
	if (w.cw)
		pl_cas_writer_abort(w.cw);
	if (hashing)
		pl_sha256_release(&w.tar_hash);
	pl_buf_release(&w.name);
	if (prev != (locale_t)0)
		uselocale(prev);
	if (utf8 != (locale_t)0)
		freelocale(utf8);
	free(w.io);
	free(w.stage);
	if (rc < 0)
		pl_err_wrap(err, "write layer");
	return rc;
}
