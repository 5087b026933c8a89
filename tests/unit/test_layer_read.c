#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include <zlib.h>

#include "lib/layer.h"
#include "util/buf.h"
#include "testutil.h"

/* One archive entry to generate: type f(ile) d(ir) l(symlink) h(ardlink) c b p(fifo). */
struct ent {
	const char *path;
	char type;
	const char *data; /* contents, or the link target */
	unsigned mode;
	const char *xname, *xval; /* one xattr (pax SCHILY.xattr) */
};

enum comp { PLAIN, GZIP, ZSTD };

struct fx {
	char *dir;    /* scratch root: only "cas" may ever appear in it */
	struct pl_cas *cas;
	struct pl_fstree *t;
	char sentinel[64]; /* a name no one uses: must never appear on the host */
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct pl_err err = PL_ERR_INIT;
	char *casdir;

	f->dir = tu_mkdtemp();
	casdir = tu_path(f->dir, "cas");
	if (pl_cas_open(&f->cas, casdir, &err) < 0 || pl_fstree_new(&f->t, &err) < 0)
		return -1;
	free(casdir);
	snprintf(f->sentinel, sizeof(f->sentinel), "plinth-sentinel-%ld", (long)getpid());
	*state = f;
	return 0;
}

/*
 * Nothing escaped: the scratch dir holds only the cas, and the sentinel name
 * exists neither in the scratch dir's parent nor in /etc nor in /tmp.
 */
static void assert_no_escape(const struct fx *f)
{
	DIR *d = opendir(f->dir);
	struct dirent *de;
	const char *where[] = { "/etc", "/tmp", NULL };
	char *parent = strdup(f->dir);
	struct stat st;
	char p[4200];

	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		assert_string_equal(de->d_name, "cas");
	}
	closedir(d);
	*strrchr(parent, '/') = '\0';
	where[2] = parent;
	for (int i = 0; i < 3; i++) {
		snprintf(p, sizeof(p), "%s/%s", where[i], f->sentinel);
		assert_int_not_equal(lstat(p, &st), 0);
	}
	free(parent);
}

static int teardown(void **state)
{
	struct fx *f = *state;

	assert_no_escape(f);
	pl_fstree_free(f->t);
	pl_cas_free(f->cas);
	tu_rmtree(f->dir);
	free(f);
	return 0;
}

static la_ssize_t to_buf(struct archive *a, void *ctx, const void *data, size_t len)
{
	(void)a;
	if (pl_buf_add(ctx, data, len, NULL) < 0)
		return -1;
	return (la_ssize_t)len;
}

/* Build an archive in memory from ents (pax unless format says otherwise). */
static struct pl_buf make_tar(const struct ent *ents, size_t n, enum comp comp)
{
	struct pl_buf b = PL_BUF_INIT;
	struct archive *a = archive_write_new();
	struct archive_entry *e = archive_entry_new();

	assert_int_equal(archive_write_set_format_pax_restricted(a), ARCHIVE_OK);
	/* names are bytes, whatever the locale (as Debian's data.tar has them) */
	assert_int_equal(archive_write_set_format_option(a, "pax", "hdrcharset", "BINARY"),
			 ARCHIVE_OK);
	if (comp == GZIP)
		assert_int_equal(archive_write_add_filter_gzip(a), ARCHIVE_OK);
	if (comp == ZSTD)
		assert_int_equal(archive_write_add_filter_zstd(a), ARCHIVE_OK);
	/* no zero padding after the compressed stream (real layers have none) */
	assert_int_equal(archive_write_set_bytes_in_last_block(a, 1), ARCHIVE_OK);
	assert_int_equal(archive_write_open(a, &b, NULL, to_buf, NULL), ARCHIVE_OK);
	for (size_t i = 0; i < n; i++) {
		const struct ent *x = &ents[i];
		size_t len = x->data ? strlen(x->data) : 0;

		archive_entry_clear(e);
		archive_entry_set_pathname(e, x->path);
		archive_entry_set_uid(e, 1000);
		archive_entry_set_gid(e, 1001);
		archive_entry_set_mtime(e, 1700000000 + (time_t)i, 0);
		archive_entry_set_perm(e, x->mode ? x->mode : 0644);
		switch (x->type) {
		case 'd':
			archive_entry_set_filetype(e, AE_IFDIR);
			break;
		case 'l':
			archive_entry_set_filetype(e, AE_IFLNK);
			archive_entry_set_symlink(e, x->data);
			break;
		case 'h':
			archive_entry_set_filetype(e, AE_IFREG);
			archive_entry_set_hardlink(e, x->data);
			break;
		case 'c':
		case 'b':
			archive_entry_set_filetype(e, x->type == 'c' ? AE_IFCHR : AE_IFBLK);
			archive_entry_set_rdevmajor(e, 1);
			archive_entry_set_rdevminor(e, 3);
			break;
		case 'p':
			archive_entry_set_filetype(e, AE_IFIFO);
			break;
		default:
			archive_entry_set_filetype(e, AE_IFREG);
			archive_entry_set_size(e, (la_int64_t)len);
		}
		if (x->xname)
			archive_entry_xattr_add_entry(e, x->xname, x->xval, strlen(x->xval));
		if (archive_write_header(a, e) != ARCHIVE_OK)
			fail_msg("write %s: %s", x->path, archive_error_string(a));
		if (x->type == 'f' && len)
			assert_int_equal(archive_write_data(a, x->data, len), (la_ssize_t)len);
	}
	assert_int_equal(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
	archive_entry_free(e);
	return b;
}

static int mem_fd(const void *data, size_t len)
{
	int fd = memfd_create("layer", MFD_CLOEXEC);

	assert_true(fd >= 0);
	if (len)
		assert_int_equal(write(fd, data, len), (ssize_t)len);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	return fd;
}

static struct pl_layer_read_opts opts(void)
{
	struct pl_layer_read_opts o;

	memset(&o, 0, sizeof(o));
	o.what = "layer 'test.tar'";
	o.uid = o.gid = -1;
	return o;
}

static int read_bytes(struct fx *f, const void *data, size_t len,
		      const struct pl_layer_read_opts *o, struct pl_err *err)
{
	int fd = mem_fd(data, len);
	int rc = pl_layer_read(f->t, f->cas, fd, o, err);

	close(fd);
	return rc;
}

static int read_ents(struct fx *f, const struct ent *ents, size_t n, enum comp comp,
		     const struct pl_layer_read_opts *o, struct pl_err *err)
{
	struct pl_buf b = make_tar(ents, n, comp);
	int rc = read_bytes(f, b.data, b.len, o, err);

	pl_buf_release(&b);
	return rc;
}

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void assert_content(struct fx *f, const char *path, const char *want)
{
	const struct pl_fsmeta *m = pl_fstree_get(f->t, path);
	struct pl_err err = PL_ERR_INIT;
	char *data = NULL;
	size_t len;

	assert_non_null(m);
	assert_int_equal(m->type, PL_FT_REG);
	assert_int_equal(m->size, strlen(want));
	assert_int_equal(pl_cas_read(f->cas, m->digest, 0, &data, &len, &err), 0);
	assert_int_equal(len, strlen(want));
	assert_memory_equal(data, want, len);
	free(data);
}

static int collect_xattr(const struct pl_fsentry *e, void *ctx, struct pl_err *err)
{
	struct pl_buf *b = ctx;

	for (size_t i = 0; i < e->nxattrs; i++)
		if (pl_buf_addf(b, err, "%s %s=%.*s\n", e->path, e->xattrs[i].name,
				(int)e->xattrs[i].len, (const char *)e->xattrs[i].value) < 0)
			return PL_ENOMEM;
	if (e->hardlink_to && pl_buf_addf(b, err, "%s -> %s\n", e->path, e->hardlink_to) < 0)
		return PL_ENOMEM;
	return 0;
}

static const struct ent basic[] = {
	{ "./", 'd', NULL, 0755, NULL, NULL },
	{ "./etc/", 'd', NULL, 0755, NULL, NULL },
	{ "./etc/passwd", 'f', "root:x:0:0::/root:/bin/sh\n", 0644, NULL, NULL },
	{ "./usr/bin/ping", 'f', "ELF", 04755, "security.capability", "cap_net_raw" },
	{ "./usr/bin/ping4", 'h', "./usr/bin/ping", 0, NULL, NULL },
	{ "./bin", 'l', "usr/bin", 0777, NULL, NULL },
	{ "./run/initctl", 'p', NULL, 0600, NULL, NULL },
	{ "./empty", 'f', "", 0600, NULL, NULL },
	{ "./caf\xc3\xa9", 'f', "utf8", 0644, NULL, NULL },
};

static void check_basic(struct fx *f)
{
	const struct pl_fsmeta *m;
	struct pl_buf b = PL_BUF_INIT;
	struct pl_err err = PL_ERR_INIT;

	assert_content(f, "etc/passwd", "root:x:0:0::/root:/bin/sh\n");
	assert_content(f, "empty", "");
	assert_content(f, "caf\xc3\xa9", "utf8");
	m = pl_fstree_get(f->t, "usr/bin/ping");
	assert_int_equal(m->mode, 04755);
	assert_int_equal(m->uid, 1000);
	assert_int_equal(m->gid, 1001);
	assert_int_equal(m->mtime, 1700000003);
	assert_ptr_equal(pl_fstree_get(f->t, "usr/bin/ping4"), m);
	m = pl_fstree_get(f->t, "bin");
	assert_int_equal(m->type, PL_FT_SYMLINK);
	assert_string_equal(m->link, "usr/bin");
	assert_int_equal(pl_fstree_get(f->t, "run/initctl")->type, PL_FT_FIFO);
	assert_int_equal(pl_fstree_get(f->t, "")->mtime, 1700000000);
	/* implicit parent of usr/bin/ping */
	assert_int_equal(pl_fstree_get(f->t, "usr")->type, PL_FT_DIR);
	assert_int_equal(pl_fstree_walk(f->t, collect_xattr, &b, &err), 0);
	assert_string_equal(b.data, "usr/bin/ping security.capability=cap_net_raw\n"
				    "usr/bin/ping4 security.capability=cap_net_raw\n"
				    "usr/bin/ping4 -> usr/bin/ping\n");
	pl_buf_release(&b);
	assert_int_equal(pl_fstree_count(f->t), 11);
}

static void test_layer_read_plain_gzip_zstd(void **state)
{
	struct fx *f = *state;
	struct pl_layer_read_opts o = opts();
	struct pl_err err = PL_ERR_INIT;
	enum comp comps[] = { PLAIN, GZIP, ZSTD };

	for (size_t i = 0; i < N(comps); i++) {
		struct pl_fstree *fresh = NULL;

		assert_int_equal(read_ents(f, basic, N(basic), comps[i], &o, &err), 0);
		check_basic(f);
		assert_int_equal(pl_fstree_new(&fresh, &err), 0);
		pl_fstree_free(f->t);
		f->t = fresh;
	}
}

static void test_layer_read_prefix_and_owner_override(void **state)
{
	struct fx *f = *state;
	struct pl_layer_read_opts o = opts();
	struct pl_err err = PL_ERR_INIT;
	const struct pl_fsmeta *m;

	o.prefix = "/opt/app/";
	o.uid = 0;
	o.gid = 65532;
	assert_int_equal(read_ents(f, basic, N(basic), GZIP, &o, &err), 0);
	assert_content(f, "opt/app/etc/passwd", "root:x:0:0::/root:/bin/sh\n");
	m = pl_fstree_get(f->t, "opt/app/usr/bin/ping");
	assert_int_equal(m->uid, 0);
	assert_int_equal(m->gid, 65532);
	assert_ptr_equal(pl_fstree_get(f->t, "opt/app/usr/bin/ping4"), m);
	assert_null(pl_fstree_get(f->t, "etc"));
	assert_int_equal(pl_fstree_get(f->t, "opt/app")->mtime, 1700000000);
}

static void test_layer_read_large_file_streams(void **state)
{
	struct fx *f = *state;
	struct pl_layer_read_opts o = opts();
	struct pl_err err = PL_ERR_INIT;
	size_t len = 3 * 1024 * 1024 + 17;
	char *big = malloc(len + 1);
	char digest[PL_DIGEST_SIZE];
	struct ent e[1] = { { "big.bin", 'f', big, 0644, NULL, NULL } };
	const struct pl_fsmeta *m;

	for (size_t i = 0; i < len; i++)
		big[i] = (char)('a' + (i * 31 + i / 4096) % 26);
	big[len] = '\0';
	assert_int_equal(read_ents(f, e, 1, GZIP, &o, &err), 0);
	m = pl_fstree_get(f->t, "big.bin");
	assert_int_equal(m->size, len);
	assert_int_equal(pl_sha256_buf(big, len, digest, &err), 0);
	assert_string_equal(m->digest, digest);
	assert_true(pl_cas_has(f->cas, digest));
	free(big);
}

/* A hostile archive: fails with code, the message names the archive and needle. */
static void expect_refused(struct fx *f, const struct ent *ents, size_t n,
			   const struct pl_layer_read_opts *o, int code, const char *needle)
{
	struct pl_err err = PL_ERR_INIT;

	assert_int_equal(read_ents(f, ents, n, GZIP, o, &err), code);
	assert_non_null(strstr(err.msg, "layer 'test.tar'"));
	if (!strstr(err.msg, needle))
		fail_msg("'%s' does not name '%s'", err.msg, needle);
	assert_no_escape(f);
}

static void test_layer_read_refuses_dotdot(void **state)
{
	struct fx *f = *state;
	struct pl_layer_read_opts o = opts();
	char p1[128], p2[128];
	struct ent e1[1] = { { p1, 'f', "x", 0644, NULL, NULL } };
	struct ent e2[2] = { { "ok", 'd', NULL, 0755, NULL, NULL },
			     { p2, 'f', "x", 0644, NULL, NULL } };

	snprintf(p1, sizeof(p1), "../%s", f->sentinel);
	expect_refused(f, e1, 1, &o, PL_EPOLICY, p1);
	snprintf(p2, sizeof(p2), "ok/../../../../../../tmp/%s", f->sentinel);
	expect_refused(f, e2, 2, &o, PL_EPOLICY, p2);
	assert_non_null(pl_fstree_get(f->t, "ok"));
	assert_int_equal(pl_fstree_count(f->t), 1);
}

static void test_layer_read_strips_absolute_paths(void **state)
{
	struct fx *f = *state;
	struct pl_layer_read_opts o = opts();
	struct pl_err err = PL_ERR_INIT;
	char p[128], q[128];
	struct ent e[1] = { { p, 'f', "owned", 0644, NULL, NULL } };

	snprintf(p, sizeof(p), "/etc/%s", f->sentinel);
	assert_int_equal(read_ents(f, e, 1, PLAIN, &o, &err), 0);
	snprintf(q, sizeof(q), "etc/%s", f->sentinel);
	assert_content(f, q, "owned");
	assert_no_escape(f);
}

static void test_layer_read_refuses_paths_through_symlinks(void **state)
{
	struct fx *f = *state;
	struct pl_layer_read_opts o = opts();
	char *parent = strdup(f->dir);
	char p1[128], p2[128], p3[128];
	struct ent e1[2] = { { "evil", 'l', "/etc", 0777, NULL, NULL },
			     { p1, 'f', "pwned", 0644, NULL, NULL } };
	struct ent e2[2] = { { "up", 'l', "../../..", 0777, NULL, NULL },
			     { p2, 'f', "pwned", 0644, NULL, NULL } };
	struct ent e3[3] = { { "d", 'd', NULL, 0755, NULL, NULL },
			     { "d/host", 'l', parent, 0777, NULL, NULL },
			     { p3, 'd', NULL, 0755, NULL, NULL } };

	*strrchr(parent, '/') = '\0';
	snprintf(p1, sizeof(p1), "evil/%s", f->sentinel);
	expect_refused(f, e1, 2, &o, PL_EPOLICY, p1);
	/* the symlink itself is only data and was kept */
	assert_string_equal(pl_fstree_get(f->t, "evil")->link, "/etc");
	assert_null(pl_fstree_get(f->t, p1));

	snprintf(p2, sizeof(p2), "up/tmp/%s", f->sentinel);
	expect_refused(f, e2, 2, &o, PL_EPOLICY, p2);
	snprintf(p3, sizeof(p3), "d/host/%s/", f->sentinel);
	expect_refused(f, e3, 3, &o, PL_EPOLICY, p3);
	free(parent);
}

static void test_layer_read_refuses_bad_hardlinks(void **state)
{
	struct fx *f = *state;
	struct pl_layer_read_opts o = opts();
	struct ent e1[1] = { { "link", 'h', "missing-target", 0, NULL, NULL } };
	struct ent e2[1] = { { "link", 'h', "../x", 0, NULL, NULL } };
	struct ent e3[2] = { { "dir", 'd', NULL, 0755, NULL, NULL },
			     { "link", 'h', "dir", 0, NULL, NULL } };
	struct ent e4[2] = { { "s", 'l', "/etc", 0777, NULL, NULL },
			     { "link", 'h', "s/passwd", 0, NULL, NULL } };

	expect_refused(f, e1, 1, &o, PL_EPOLICY, "'link'");
	expect_refused(f, e1, 1, &o, PL_EPOLICY, "missing-target");
	expect_refused(f, e2, 1, &o, PL_EPOLICY, "'link'");
	expect_refused(f, e3, 2, &o, PL_EPOLICY, "'link'");
	expect_refused(f, e4, 2, &o, PL_EPOLICY, "'link'");
	assert_null(pl_fstree_get(f->t, "link"));
}

static void test_layer_read_devices_need_permission(void **state)
{
	struct fx *f = *state;
	struct pl_layer_read_opts o = opts();
	struct pl_err err = PL_ERR_INIT;
	struct ent c[1] = { { "dev/null", 'c', NULL, 0666, NULL, NULL } };
	struct ent b[1] = { { "dev/sda", 'b', NULL, 0660, NULL, NULL } };
	const struct pl_fsmeta *m;

	expect_refused(f, c, 1, &o, PL_EPOLICY, "'dev/null'");
	expect_refused(f, b, 1, &o, PL_EPOLICY, "'dev/sda'");
	assert_null(pl_fstree_get(f->t, "dev/null"));
	o.allow_devices = true;
	assert_int_equal(read_ents(f, c, 1, PLAIN, &o, &err), 0);
	m = pl_fstree_get(f->t, "dev/null");
	assert_int_equal(m->type, PL_FT_CHR);
	assert_int_equal(m->devmajor, 1);
	assert_int_equal(m->devminor, 3);
	assert_int_equal(m->mode, 0666);
}

static void test_layer_read_truncated_gzip(void **state)
{
	struct fx *f = *state;
	struct pl_layer_read_opts o = opts();
	struct pl_err err = PL_ERR_INIT;
	size_t len = 200000;
	char *big = malloc(len + 1);
	struct ent e[2] = { { "first", 'f', "1", 0644, NULL, NULL },
			    { "second.bin", 'f', big, 0644, NULL, NULL } };
	struct pl_buf b;
	uint64_t x = 88172645463325252ULL;

	/* incompressible data (xorshift) so the cut lands inside the second entry */
	for (size_t i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		big[i] = (char)('!' + (x >> 32) % 90);
	}
	big[len] = '\0';
	b = make_tar(e, 2, GZIP);
	assert_int_equal(read_bytes(f, b.data, b.len * 2 / 3, &o, &err), PL_EINVAL);
	assert_non_null(strstr(err.msg, "layer 'test.tar'"));
	assert_non_null(strstr(err.msg, "second.bin"));
	assert_null(pl_fstree_get(f->t, "second.bin"));

	/* cut in the 8-byte gzip trailer only: the tar inside is complete */
	pl_err_init(&err);
	pl_fstree_free(f->t);
	assert_int_equal(pl_fstree_new(&f->t, &err), 0);
	assert_int_equal(read_bytes(f, b.data, b.len - 4, &o, &err), PL_EINVAL);
	assert_non_null(strstr(err.msg, "layer 'test.tar'"));
	assert_non_null(strstr(err.msg, "second.bin"));
	assert_non_null(strstr(err.msg, "truncated gzip input"));

	/* a wrong CRC in the trailer */
	pl_err_init(&err);
	b.data[b.len - 8] ^= 1;
	assert_int_equal(read_bytes(f, b.data, b.len, &o, &err), PL_EINVAL);
	assert_non_null(strstr(err.msg, "incorrect data check"));
	b.data[b.len - 8] ^= 1;

	/* flipped bytes in the middle of the deflate stream */
	pl_err_init(&err);
	for (size_t i = b.len / 2; i < b.len / 2 + 64; i++)
		b.data[i] ^= 0x5a;
	assert_int_equal(read_bytes(f, b.data, b.len, &o, &err), PL_EINVAL);
	pl_buf_release(&b);
	free(big);
}

/* gzip a buffer as one member (zlib) */
static void gz_member(struct pl_buf *out, const void *data, size_t len)
{
	z_stream z;
	unsigned char chunk[65536];
	int zr;

	memset(&z, 0, sizeof(z));
	assert_int_equal(deflateInit2(&z, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY),
			 Z_OK);
	z.next_in = (unsigned char *)data;
	z.avail_in = (uInt)len;
	do {
		z.next_out = chunk;
		z.avail_out = sizeof(chunk);
		zr = deflate(&z, Z_FINISH);
		assert_int_equal(pl_buf_add(out, chunk, sizeof(chunk) - z.avail_out, NULL), 0);
	} while (zr == Z_OK);
	assert_int_equal(zr, Z_STREAM_END);
	deflateEnd(&z);
}

static void test_layer_read_gzip_members_and_padding(void **state)
{
	struct fx *f = *state;
	struct pl_layer_read_opts o = opts();
	struct pl_err err = PL_ERR_INIT;
	struct pl_buf tar = make_tar(basic, N(basic), PLAIN);
	struct pl_buf gz = PL_BUF_INIT;
	static const char zeros[10240];

	/* two members, as pigz or concatenated streams produce, then block padding */
	gz_member(&gz, tar.data, 1536);
	gz_member(&gz, tar.data + 1536, tar.len - 1536);
	assert_int_equal(pl_buf_add(&gz, zeros, sizeof(zeros), NULL), 0);
	assert_int_equal(read_bytes(f, gz.data, gz.len, &o, &err), 0);
	check_basic(f);
	pl_buf_release(&tar);
	pl_buf_release(&gz);
}

/*
 * Members small enough for the libdeflate fast path mixed with one whose
 * output is larger than it takes (zlib then inflates that one), and a
 * corrupted small member, which must still be refused.
 */
static void test_layer_read_gzip_fast_and_slow_members(void **state)
{
	struct fx *f = *state;
	struct pl_layer_read_opts o = opts();
	struct pl_err err = PL_ERR_INIT;
	size_t big_len = 6u << 20;
	char *big = malloc(big_len + 1);
	struct ent e[2] = { { "a.txt", 'f', "first", 0644, NULL, NULL },
			    { "big.bin", 'f', big, 0644, NULL, NULL } };
	struct pl_buf tar, gz = PL_BUF_INIT;
	const struct pl_fsmeta *m;
	char want[PL_DIGEST_SIZE];
	size_t cut1 = 1024, cut2;

	assert_non_null(big);
	memset(big, 'z', big_len);
	big[big_len] = '\0';
	tar = make_tar(e, 2, PLAIN);
	cut2 = tar.len - 4096;
	gz_member(&gz, tar.data, cut1);                    /* fast */
	gz_member(&gz, tar.data + cut1, cut2 - cut1);      /* > 4 MiB out: zlib */
	gz_member(&gz, tar.data + cut2, tar.len - cut2);   /* fast again */
	assert_int_equal(read_bytes(f, gz.data, gz.len, &o, &err), 0);
	assert_int_equal(pl_sha256_buf(big, big_len, want, NULL), 0);
	m = pl_fstree_get(f->t, "big.bin");
	assert_non_null(m);
	assert_string_equal(m->digest, want);
	assert_non_null(pl_fstree_get(f->t, "a.txt"));

	/* a flipped byte in the last (fast-path) member */
	pl_fstree_free(f->t);
	assert_int_equal(pl_fstree_new(&f->t, &err), 0);
	gz.data[gz.len - 12] ^= 0x40;
	assert_int_equal(read_bytes(f, gz.data, gz.len, &o, &err), PL_EINVAL);
	pl_buf_release(&tar);
	pl_buf_release(&gz);
	free(big);
}

static void test_layer_read_garbage_and_empty(void **state)
{
	struct fx *f = *state;
	struct pl_layer_read_opts o = opts();
	struct pl_err err = PL_ERR_INIT;
	char junk[4096];

	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (char)(i * 131 + 7);
	assert_int_equal(read_bytes(f, junk, sizeof(junk), &o, &err), PL_EINVAL);
	assert_non_null(strstr(err.msg, "layer 'test.tar'"));
	pl_err_init(&err);
	assert_int_equal(read_bytes(f, "", 0, &o, &err), PL_EINVAL);
	/* an archive of end blocks only is a valid, empty layer */
	memset(junk, 0, sizeof(junk));
	pl_err_init(&err);
	assert_int_equal(read_bytes(f, junk, 1024, &o, &err), 0);
	assert_int_equal(pl_fstree_count(f->t), 0);
}

static void test_layer_read_limits(void **state)
{
	struct fx *f = *state;
	struct pl_layer_read_opts o = opts();
	struct ent e[4] = { { "a", 'f', "1", 0644, NULL, NULL },
			    { "b", 'f', "2", 0644, NULL, NULL },
			    { "c", 'f', "3", 0644, NULL, NULL },
			    { "d", 'f', "4", 0644, NULL, NULL } };
	struct pl_err err = PL_ERR_INIT;
	char *longp = malloc(5000);
	struct ent l[1] = { { longp, 'f', "x", 0644, NULL, NULL } };

	o.max_entries = 3;
	expect_refused(f, e, 4, &o, PL_ETOOBIG, "3 entries");
	o.max_entries = 4;
	assert_int_equal(read_ents(f, e, 4, PLAIN, &o, &err), 0);
	o.max_entries = 0;
	for (int i = 0; i < 4999; i++)
		longp[i] = i % 100 == 99 ? '/' : 'p';
	longp[4999] = '\0';
	expect_refused(f, l, 1, &o, PL_ETOOBIG, "4096");
	free(longp);
}

/* lower layer, then an OCI layer with whiteouts on top */
static void test_layer_read_whiteouts(void **state)
{
	struct fx *f = *state;
	struct pl_layer_read_opts o = opts();
	struct pl_err err = PL_ERR_INIT;
	static const struct ent lower[] = {
		{ "a", 'f', "a", 0644, NULL, NULL },
		{ "b/", 'd', NULL, 0755, NULL, NULL },
		{ "b/c", 'f', "c", 0644, NULL, NULL },
		{ "d/", 'd', NULL, 0755, NULL, NULL },
		{ "d/old", 'f', "old", 0644, NULL, NULL },
		{ "d/sub/", 'd', NULL, 0755, NULL, NULL },
		{ "d/sub/old", 'f', "old", 0644, NULL, NULL },
		{ "d/sub/keep-me", 'f', "old", 0644, NULL, NULL },
		{ "e/x", 'f', "x", 0644, NULL, NULL },
	};
	static const struct ent upper[] = {
		{ ".wh.a", 'f', "", 0644, NULL, NULL },
		{ "b/.wh.missing", 'f', "", 0644, NULL, NULL },
		{ "d/", 'd', NULL, 0700, NULL, NULL },
		{ "d/new", 'f', "new", 0644, NULL, NULL },
		{ "d/sub/", 'd', NULL, 0755, NULL, NULL },
		{ "d/sub/new", 'f', "new", 0644, NULL, NULL },
		{ "d/.wh..wh..opq", 'f', "", 0644, NULL, NULL },
		{ "d/sub/keep-me", 'f', "new", 0644, NULL, NULL },
		{ "d/after", 'f', "after", 0644, NULL, NULL },
		{ ".wh.e", 'f', "", 0644, NULL, NULL },
		{ "e/y", 'f', "y", 0644, NULL, NULL },
	};
	const char *want[] = { "b", "b/c", "d", "d/after", "d/new", "d/sub", "d/sub/keep-me",
			       "d/sub/new", "e", "e/y" };

	assert_int_equal(read_ents(f, lower, N(lower), PLAIN, &o, &err), 0);
	o.whiteouts = true;
	assert_int_equal(read_ents(f, upper, N(upper), GZIP, &o, &err), 0);
	assert_int_equal(pl_fstree_count(f->t), N(want));
	for (size_t i = 0; i < N(want); i++)
		if (!pl_fstree_get(f->t, want[i]))
			fail_msg("'%s' missing", want[i]);
	assert_null(pl_fstree_get(f->t, "a"));
	assert_null(pl_fstree_get(f->t, "d/old"));
	assert_null(pl_fstree_get(f->t, "d/sub/old"));
	assert_null(pl_fstree_get(f->t, "e/x"));
	assert_null(pl_fstree_get(f->t, "d/.wh..wh..opq"));
	assert_content(f, "d/sub/keep-me", "new");
	assert_int_equal(pl_fstree_get(f->t, "d")->mode, 0700);
}

static void test_layer_read_whiteouts_off_and_hostile(void **state)
{
	struct fx *f = *state;
	struct pl_layer_read_opts o = opts();
	struct pl_err err = PL_ERR_INIT;
	struct ent plain[1] = { { "x/.wh.y", 'f', "", 0644, NULL, NULL } };
	struct ent dotdot[1] = { { "x/.wh..", 'f', "", 0644, NULL, NULL } };
	struct ent through[2] = { { "s", 'l', "/etc", 0777, NULL, NULL },
				  { "s/.wh.passwd", 'f', "", 0644, NULL, NULL } };

	/* not an OCI layer: the name is just a name */
	assert_int_equal(read_ents(f, plain, 1, PLAIN, &o, &err), 0);
	assert_non_null(pl_fstree_get(f->t, "x/.wh.y"));
	o.whiteouts = true;
	expect_refused(f, dotdot, 1, &o, PL_EPOLICY, "x/.wh..");
	assert_non_null(pl_fstree_get(f->t, "x"));
	expect_refused(f, through, 2, &o, PL_EPOLICY, "s/.wh.passwd");
}


/* ---- pl_layer_read_from and dpkg path mode ---- */

/* A source that hands out at most step bytes per call, and can fail at an offset. */
struct chunky {
	const char *data;
	size_t len, off, step, fail_at;
};

static ssize_t chunky_read(void *ctx, void *buf, size_t n, struct pl_err *err)
{
	struct chunky *c = ctx;
	size_t k = c->len - c->off;

	if (c->fail_at && c->off >= c->fail_at)
		return pl_err_set(err, PL_EIO, "source broke at %zu", c->off);
	if (k > n)
		k = n;
	if (k > c->step)
		k = c->step;
	memcpy(buf, c->data + c->off, k);
	c->off += k;
	return (ssize_t)k;
}

static int record_path(const char *path, void *ctx, struct pl_err *err)
{
	return pl_buf_addf(ctx, err, "%s\n", path);
}

static void test_layer_read_from_callback_and_dpkg_paths(void **state)
{
	struct fx *f = *state;
	struct pl_layer_read_opts o = opts();
	struct pl_err err = PL_ERR_INIT;
	struct pl_fsmeta dir = { .type = PL_FT_DIR, .mode = 0755 };
	struct pl_fsmeta ln = { .type = PL_FT_SYMLINK, .mode = 0777, .link = "usr/bin" };
	static const struct ent data[] = {
		{ "./", 'd', NULL, 0755, NULL, NULL },
		{ "./bin/", 'd', NULL, 0700, NULL, NULL },
		{ "./bin/bash", 'f', "bash", 0755, NULL, NULL },
		{ "./bin/rbash", 'h', "./bin/bash", 0, NULL, NULL },
		{ "./sbin/x", 'f', "x", 0755, NULL, NULL }, /* missing parent: created */
		{ "./usr/lib/", 'd', NULL, 0700, NULL, NULL },
	};
	enum comp comps[] = { PLAIN, GZIP, ZSTD };
	size_t steps[] = { 1, 7, 100000 };

	for (size_t i = 0; i < N(comps); i++) {
		struct pl_buf tar = make_tar(data, N(data), comps[i]);
		struct pl_buf seen = PL_BUF_INIT;
		struct chunky c = { tar.data, tar.len, 0, steps[i], 0 };
		struct pl_fstree *fresh = NULL;

		assert_int_equal(pl_fstree_new(&fresh, &err), 0);
		pl_fstree_free(f->t);
		f->t = fresh;
		assert_int_equal(pl_fstree_put(f->t, "usr/bin", &dir, &err), 0);
		assert_int_equal(pl_fstree_put(f->t, "bin", &ln, &err), 0);
		o.dpkg_paths = true;
		o.on_path = record_path;
		o.on_path_ctx = &seen;
		if (pl_layer_read_from(f->t, f->cas, chunky_read, &c, &o, &err) != 0)
			fail_msg("%s", err.msg);
		assert_string_equal(seen.data, "/.\n/bin\n/bin/bash\n/bin/rbash\n/sbin/x\n/usr/lib\n");
		assert_int_equal(pl_fstree_get(f->t, "bin")->type, PL_FT_SYMLINK);
		assert_content(f, "usr/bin/bash", "bash");
		assert_ptr_equal(pl_fstree_get(f->t, "usr/bin/rbash"),
				 pl_fstree_get(f->t, "usr/bin/bash"));
		assert_content(f, "sbin/x", "x");
		assert_int_equal(pl_fstree_get(f->t, "usr/bin")->mode, 0755); /* left alone */
		assert_int_equal(pl_fstree_get(f->t, "usr/lib")->mode, 0700); /* created */
		/* without dpkg mode a path through the symlink is refused */
		{
			struct pl_buf t2 = make_tar(&data[2], 1, comps[i]);
			struct chunky c2 = { t2.data, t2.len, 0, steps[i], 0 };

			assert_int_equal(pl_fstree_put(f->t, "bin", &ln, &err), 0);
			o.dpkg_paths = false;
			o.on_path = NULL;
			pl_err_init(&err);
			assert_int_equal(pl_layer_read_from(f->t, f->cas, chunky_read, &c2, &o,
							    &err),
					 PL_EPOLICY);
			assert_non_null(strstr(err.msg, "symlink"));
			pl_buf_release(&t2);
		}
		/* a failing source is an error naming its cause */
		c.off = 0;
		c.fail_at = tar.len / 2;
		o.dpkg_paths = true;
		pl_err_init(&err);
		assert_true(pl_layer_read_from(f->t, f->cas, chunky_read, &c, &o, &err) < 0);
		assert_non_null(strstr(err.msg, "source broke at"));
		pl_buf_release(&seen);
		pl_buf_release(&tar);
		o = opts();
	}
}

static void test_layer_read_dpkg_paths_refusals(void **state)
{
	struct fx *f = *state;
	struct pl_layer_read_opts o = opts();
	struct pl_fsmeta dir = { .type = PL_FT_DIR, .mode = 0755 };
	struct ent over[1] = { { "./etc", 'l', "/tmp", 0777, NULL, NULL } };
	struct ent dotdot[1] = { { "./a/../../b", 'f', "x", 0644, NULL, NULL } };
	struct ent clamp[2] = { { "./out", 'l', "../../..", 0777, NULL, NULL },
				{ "./out/etc/x", 'f', "x", 0644, NULL, NULL } };
	struct pl_err err = PL_ERR_INIT;

	o.dpkg_paths = true;
	assert_int_equal(pl_fstree_put(f->t, "etc", &dir, &err), 0);
	expect_refused(f, over, 1, &o, PL_EPOLICY, "would replace directory '/etc'");
	assert_int_equal(pl_fstree_get(f->t, "etc")->type, PL_FT_DIR);
	expect_refused(f, dotdot, 1, &o, PL_EPOLICY, "'..'");
	assert_int_equal(read_ents(f, clamp, 2, PLAIN, &o, &err), 0);
	assert_content(f, "etc/x", "x");
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_layer_read_plain_gzip_zstd),
		T(test_layer_read_prefix_and_owner_override),
		T(test_layer_read_large_file_streams),
		T(test_layer_read_refuses_dotdot),
		T(test_layer_read_strips_absolute_paths),
		T(test_layer_read_refuses_paths_through_symlinks),
		T(test_layer_read_refuses_bad_hardlinks),
		T(test_layer_read_devices_need_permission),
		T(test_layer_read_truncated_gzip),
		T(test_layer_read_gzip_members_and_padding),
		T(test_layer_read_gzip_fast_and_slow_members),
		T(test_layer_read_garbage_and_empty),
		T(test_layer_read_limits),
		T(test_layer_read_whiteouts),
		T(test_layer_read_whiteouts_off_and_hostile),
		T(test_layer_read_from_callback_and_dpkg_paths),
		T(test_layer_read_dpkg_paths_refusals),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
