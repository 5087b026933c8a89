/* Tests for pl_layer_write: deterministic tar, compression, digests, memory. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <locale.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include <archive.h>
#include <archive_entry.h>

#include "lib/cas.h"
#include "lib/fstree.h"
#include "lib/layer.h"
#include "testutil.h"
#include "util/buf.h"
#include "util/digest.h"
#include "util/fsutil.h"

#define EPOCH 1700000000 /* 2023-11-14 22:13:20 UTC */

struct fixture {
	char *dir;
	struct pl_cas *content;
	struct pl_cas *out;
	struct pl_fstree *t;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char *p;

	assert_non_null(f);
	f->dir = tu_mkdtemp();
	p = tu_path(f->dir, "content");
	assert_int_equal(pl_cas_open(&f->content, p, NULL), 0);
	free(p);
	p = tu_path(f->dir, "out");
	assert_int_equal(pl_cas_open(&f->out, p, NULL), 0);
	free(p);
	assert_int_equal(pl_fstree_new(&f->t, NULL), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	pl_fstree_free(f->t);
	pl_cas_free(f->content);
	pl_cas_free(f->out);
	tu_rmtree(f->dir);
	free(f);
	return 0;
}

static struct pl_fsmeta meta(enum pl_ftype type, uint32_t mode, int64_t mtime)
{
	struct pl_fsmeta m;

	memset(&m, 0, sizeof(m));
	m.type = type;
	m.mode = mode;
	m.mtime = mtime;
	return m;
}

static void add_dir(struct fixture *f, const char *path, uint32_t mode, int64_t mtime)
{
	struct pl_fsmeta m = meta(PL_FT_DIR, mode, mtime);

	assert_int_equal(pl_fstree_put(f->t, path, &m, NULL), 0);
}

static void add_file(struct fixture *f, const char *path, const void *data, size_t len, uint32_t mode,
		     uint32_t uid, int64_t mtime)
{
	struct pl_fsmeta m = meta(PL_FT_REG, mode, mtime);

	m.uid = uid;
	m.gid = uid;
	m.size = len;
	assert_int_equal(pl_cas_put_buf(f->content, data, len, NULL, m.digest, NULL), 0);
	assert_int_equal(pl_fstree_put(f->t, path, &m, NULL), 0);
}

/* A tree using every kind of entry the writer knows. */
static void build_tree(struct fixture *f)
{
	struct pl_fsmeta m;
	static const char big_name[] =
		"usr/share/doc/a-package-with-a-rather-long-name/examples/"
		"a-file-name-long-enough-to-need-a-pax-header-because-ustar-names-stop-at-100-"
		"bytes-ustar-stops-at-100.txt";

	add_dir(f, "etc", 0755, 1000);
	add_file(f, "etc/passwd", "root:x:0:0::/root:/bin/sh\n", 26, 0644, 0, 2000000000);
	add_file(f, "etc/shadow", "root:*::0:::::\n", 15, 0640, 0, 500);
	add_dir(f, "usr", 0755, 1000);
	add_dir(f, "usr/bin", 0755, 1000);
	add_file(f, "usr/bin/tool", "#!/bin/sh\necho hi\n", 18, 04755, 0, 1000);
	assert_int_equal(pl_fstree_link(f->t, "usr/bin/tool-alias", "usr/bin/tool", NULL), 0);
	m = meta(PL_FT_SYMLINK, 0777, 1000);
	m.link = "tool";
	assert_int_equal(pl_fstree_put(f->t, "usr/bin/sh", &m, NULL), 0);
	add_file(f, "usr/bin/ping", "ELF", 3, 0755, 0, 1000);
	assert_int_equal(pl_fstree_set_xattr(f->t, "usr/bin/ping", "security.capability",
					     "\x01\x00\x00\x02\x00\x20\x00\x00", 8, NULL),
			 0);
	add_dir(f, "dev", 0755, 1000);
	m = meta(PL_FT_CHR, 0666, 1000);
	m.devmajor = 1;
	m.devminor = 3;
	assert_int_equal(pl_fstree_put(f->t, "dev/null", &m, NULL), 0);
	m = meta(PL_FT_BLK, 0660, 1000);
	m.devmajor = 8;
	m.devminor = 1;
	m.gid = 6;
	assert_int_equal(pl_fstree_put(f->t, "dev/sda1", &m, NULL), 0);
	m = meta(PL_FT_FIFO, 0600, 1000);
	assert_int_equal(pl_fstree_put(f->t, "dev/initctl", &m, NULL), 0);
	add_dir(f, "home", 0755, 1000);
	add_file(f, "home/app/.profile", "PATH=/bin\n", 10, 0600, 65532, 1000);
	m = meta(PL_FT_WHITEOUT, 0, 3000000000LL);
	assert_int_equal(pl_fstree_put(f->t, "usr/bin/gone", &m, NULL), 0);
	add_dir(f, "var", 0755, 1000);
	add_dir(f, "var/cache", 0755, 1000);
	assert_int_equal(pl_fstree_set_opaque(f->t, "var/cache", true, NULL), 0);
	add_file(f, "var/cache/fresh", "new\n", 4, 0644, 0, 1000);
	add_file(f, big_name, "x", 1, 0644, 0, 1000);
	add_file(f, "empty", "", 0, 0644, 0, 1000);
}

static void write_layer(struct fixture *f, enum pl_compression comp, int threads,
			struct pl_layer_result *res)
{
	struct pl_layer_write_opts o = { comp, 0, threads, EPOCH };
	struct pl_err err = PL_ERR_INIT;
	int rc = pl_layer_write(f->t, f->content, f->out, &o, res, &err);

	if (rc != 0)
		fail_msg("pl_layer_write: %s", err.msg);
}

/* Decompress the blob to <dir>/layer.tar with the system tool. */
static char *unpack(struct fixture *f, const struct pl_layer_result *res, const char *tool)
{
	char *blob = NULL;

	assert_int_equal(pl_cas_path(f->out, res->digest, &blob, NULL), 0);
	assert_int_equal(tu_sh(f->dir, "%s -dc '%s' > layer.tar", tool, blob), 0);
	free(blob);
	return tu_path(f->dir, "layer.tar");
}

static void check_blob(struct fixture *f, const struct pl_layer_result *res, const char *tool)
{
	char d[PL_DIGEST_SIZE];
	uint64_t size = 0;
	char *tar;

	assert_int_equal(pl_cas_size(f->out, res->digest, &size, NULL), 0);
	assert_int_equal(size, res->size);
	tar = unpack(f, res, tool);
	assert_int_equal(pl_sha256_file(tar, d, &size, NULL), 0);
	assert_string_equal(d, res->diff_id);
	assert_int_equal(size, res->tar_size);
	assert_int_equal(size % 10240, 0);
	free(tar);
}

static void test_layer_write_deterministic(void **state)
{
	struct fixture *f = *state;
	struct pl_layer_result a, b, c;
	struct pl_fstree *copy = NULL;

	build_tree(f);
	write_layer(f, PL_COMP_GZIP, 2, &a);
	write_layer(f, PL_COMP_GZIP, 2, &b);
	assert_string_equal(a.digest, b.digest);
	assert_string_equal(a.diff_id, b.diff_id);
	assert_int_equal(a.size, b.size);
	assert_string_equal(a.media_type, PL_MT_LAYER_GZIP);
	/* a clone is the same tree: same bytes */
	assert_int_equal(pl_fstree_clone(f->t, &copy, NULL), 0);
	pl_fstree_free(f->t);
	f->t = copy;
	write_layer(f, PL_COMP_GZIP, 1, &c);
	assert_string_equal(a.digest, c.digest);
	/* and any change shows */
	add_file(f, "etc/passwd", "root:x:0:0::/root:/bin/bash\n", 28, 0644, 0, 1);
	write_layer(f, PL_COMP_GZIP, 2, &c);
	assert_string_not_equal(a.diff_id, c.diff_id);
	assert_string_not_equal(a.digest, c.digest);
}

static void add_big_files(struct fixture *f)
{
	size_t len = 5u << 20, i;
	unsigned char *p = malloc(len);
	uint64_t s = 88172645463325252ULL;

	assert_non_null(p);
	for (i = 0; i < len; i++) {
		s ^= s << 13;
		s ^= s >> 7;
		s ^= s << 17;
		p[i] = (i & 64) ? (unsigned char)('a' + s % 4) : (unsigned char)s;
	}
	add_file(f, "opt/blob1", p, len, 0644, 0, 1);
	add_file(f, "opt/blob2", p + 1000, len - 1000, 0644, 0, 1);
	free(p);
}

static void test_layer_write_threads_identical(void **state)
{
	struct fixture *f = *state;
	static const enum pl_compression comps[] = { PL_COMP_GZIP, PL_COMP_ZSTD };
	static const int threads[] = { 2, 3, 0, 8 };
	size_t i, k;

	build_tree(f);
	add_big_files(f);
	for (i = 0; i < 2; i++) {
		struct pl_layer_result ref, other;

		write_layer(f, comps[i], 1, &ref);
		assert_true(ref.tar_size > 10u << 20);
		for (k = 0; k < sizeof(threads) / sizeof(threads[0]); k++) {
			write_layer(f, comps[i], threads[k], &other);
			assert_string_equal(ref.digest, other.digest);
			assert_string_equal(ref.diff_id, other.diff_id);
		}
		/* gzip and zstd layers hold the same tar */
		if (i == 1) {
			struct pl_layer_result gz;

			write_layer(f, PL_COMP_GZIP, 2, &gz);
			assert_string_equal(gz.diff_id, ref.diff_id);
			assert_string_not_equal(gz.digest, ref.digest);
		}
	}
}

static void test_layer_write_decompresses_to_diff_id(void **state)
{
	struct fixture *f = *state;
	struct pl_layer_result gz, zs, none;

	build_tree(f);
	add_big_files(f);
	write_layer(f, PL_COMP_GZIP, 0, &gz);
	check_blob(f, &gz, "gzip");
	assert_true(gz.size < gz.tar_size);
	write_layer(f, PL_COMP_ZSTD, 0, &zs);
	assert_string_equal(zs.media_type, PL_MT_LAYER_ZSTD);
	check_blob(f, &zs, "zstd -q");
	assert_string_equal(zs.diff_id, gz.diff_id);
	write_layer(f, PL_COMP_NONE, 0, &none);
	assert_string_equal(none.media_type, PL_MT_LAYER_TAR);
	assert_string_equal(none.digest, none.diff_id);
	assert_string_equal(none.diff_id, gz.diff_id);
	assert_int_equal(none.size, none.tar_size);
}

/* tar -tv as GNU tar prints it, in UTC. */
static void read_listing(struct fixture *f, struct pl_buf *out)
{
	struct pl_layer_result res;
	char *tar, *lst;

	write_layer(f, PL_COMP_GZIP, 2, &res);
	tar = unpack(f, &res, "gzip");
	assert_int_equal(tu_sh(f->dir, "TZ=UTC tar --numeric-owner -tvf layer.tar > list.txt"), 0);
	lst = tu_path(f->dir, "list.txt");
	pl_buf_init(out, 0);
	assert_int_equal(pl_read_file(lst, 0, out, NULL), 0);
	free(tar);
	free(lst);
}

static void test_layer_write_tar_listing(void **state)
{
	struct fixture *f = *state;
	static const char *order[] = {
		"dev/\n", "dev/initctl\n", "dev/null\n", "dev/sda1\n", "empty\n", "etc/\n",
		"etc/passwd\n", "etc/shadow\n", "home/\n", "home/app/\n", "home/app/.profile\n",
		"usr/\n", "usr/bin/\n", "usr/bin/.wh.gone\n", "usr/bin/ping\n", "usr/bin/sh -> tool\n",
		"usr/bin/tool\n", "usr/bin/tool-alias link to usr/bin/tool\n", "usr/share/",
		"var/\n", "var/cache/\n", "var/cache/.wh..wh..opq\n", "var/cache/fresh\n",
	};
	struct pl_buf l;
	const char *p;
	size_t i;

	build_tree(f);
	read_listing(f, &l);
	p = l.data;
	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		const char *q = strstr(p, order[i]);

		if (!q)
			fail_msg("'%s' missing or out of order in:\n%s", order[i], l.data);
		p = q + strlen(order[i]);
	}
	/* numeric ids, clamped mtimes, modes */
	assert_non_null(strstr(l.data, "-rw-r--r-- 0/0              26 2023-11-14 22:13 etc/passwd\n"));
	assert_non_null(strstr(l.data, "-rw-r----- 0/0              15 1970-01-01 00:08 etc/shadow\n"));
	assert_non_null(strstr(l.data, "-rwsr-xr-x 0/0"));
	assert_non_null(strstr(l.data, "-rw------- 65532/65532      10 "));
	assert_non_null(strstr(l.data, "---------- 0/0               0 2023-11-14 22:13 usr/bin/.wh.gone\n"));
	assert_non_null(strstr(l.data, "crw-rw-rw- 0/0             1,3 "));
	assert_non_null(strstr(l.data, "brw-rw---- 0/6             8,1 "));
	assert_non_null(strstr(l.data, "prw------- 0/0"));
	/* no names anywhere: only numeric owners */
	assert_null(strstr(l.data, "root"));
	pl_buf_release(&l);
}

/* Read the tar back with libarchive and check every field. */
static void test_layer_write_entries(void **state)
{
	struct fixture *f = *state;
	struct pl_layer_result res;
	struct archive *a;
	struct archive_entry *e;
	char *tar;
	int n = 0, seen_opq = 0;
	const char *prev = NULL;
	char prevbuf[512] = "";

	build_tree(f);
	write_layer(f, PL_COMP_ZSTD, 2, &res);
	tar = unpack(f, &res, "zstd -q");
	a = archive_read_new();
	assert_non_null(a);
	archive_read_support_format_tar(a);
	assert_int_equal(archive_read_open_filename(a, tar, 10240), ARCHIVE_OK);
	while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
		const char *path = archive_entry_pathname(e);
		mode_t type = archive_entry_filetype(e);

		n++;
		/* sorted, parents first; no atime/ctime, no owner names */
		assert_false(archive_entry_atime_is_set(e));
		assert_false(archive_entry_ctime_is_set(e));
		assert_true(!archive_entry_uname(e) || !*archive_entry_uname(e));
		assert_true(!archive_entry_gname(e) || !*archive_entry_gname(e));
		assert_true(archive_entry_mtime(e) <= EPOCH);
		if (strcmp(path, "usr/bin/ping") == 0) {
			const char *name;
			const void *val;
			size_t len;

			assert_int_equal(archive_entry_xattr_reset(e), 1);
			assert_int_equal(archive_entry_xattr_next(e, &name, &val, &len), ARCHIVE_OK);
			assert_string_equal(name, "security.capability");
			assert_int_equal(len, 8);
			assert_memory_equal(val, "\x01\x00\x00\x02\x00\x20\x00\x00", 8);
		} else {
			assert_int_equal(archive_entry_xattr_count(e), 0);
		}
		if (strcmp(path, "usr/bin/tool") == 0) {
			char buf[64];

			assert_int_equal(archive_entry_perm(e), 04755);
			assert_int_equal(archive_read_data(a, buf, sizeof(buf)), 18);
			assert_memory_equal(buf, "#!/bin/sh\necho hi\n", 18);
		}
		if (strcmp(path, "usr/bin/tool-alias") == 0) {
			assert_string_equal(archive_entry_hardlink(e), "usr/bin/tool");
			assert_int_equal(archive_entry_size(e), 0);
		}
		if (strcmp(path, "usr/bin/sh") == 0) {
			assert_int_equal(type, AE_IFLNK);
			assert_string_equal(archive_entry_symlink(e), "tool");
		}
		if (strcmp(path, "dev/null") == 0) {
			assert_int_equal(type, AE_IFCHR);
			assert_int_equal(archive_entry_rdevmajor(e), 1);
			assert_int_equal(archive_entry_rdevminor(e), 3);
		}
		if (strcmp(path, "dev/sda1") == 0) {
			assert_int_equal(type, AE_IFBLK);
			assert_int_equal(archive_entry_rdevmajor(e), 8);
			assert_int_equal(archive_entry_rdevminor(e), 1);
			assert_int_equal(archive_entry_gid(e), 6);
		}
		if (strcmp(path, "dev/initctl") == 0)
			assert_int_equal(type, AE_IFIFO);
		if (strcmp(path, "usr/bin/.wh.gone") == 0 ||
		    strcmp(path, "var/cache/.wh..wh..opq") == 0) {
			assert_int_equal(type, AE_IFREG);
			assert_int_equal(archive_entry_perm(e), 0);
			assert_int_equal(archive_entry_size(e), 0);
			assert_int_equal(archive_entry_uid(e), 0);
			assert_int_equal(archive_entry_gid(e), 0);
		}
		if (strcmp(path, "usr/bin/.wh.gone") == 0)
			assert_int_equal(archive_entry_mtime(e), EPOCH);
		if (strcmp(path, "var/cache/.wh..wh..opq") == 0) {
			/* right after its directory */
			assert_string_equal(prevbuf, "var/cache/");
			seen_opq = 1;
		}
		if (strcmp(path, "home/app/.profile") == 0) {
			assert_int_equal(archive_entry_uid(e), 65532);
			assert_int_equal(archive_entry_gid(e), 65532);
		}
		if (type == AE_IFDIR)
			assert_int_equal(path[strlen(path) - 1], '/');
		if (strstr(path, "ustar-stops-at-100.txt"))
			assert_true(strlen(path) > 100);
		if (prev)
			assert_true(strcmp(prevbuf, path) < 0 || strstr(path, ".wh."));
		prev = prevbuf;
		snprintf(prevbuf, sizeof(prevbuf), "%s", path);
	}
	assert_int_equal(n, (int)pl_fstree_count(f->t) + 1 /* opq marker */);
	assert_true(seen_opq);
	assert_int_equal(archive_read_free(a), ARCHIVE_OK);
	free(tar);
}

static uint64_t octal(const unsigned char *p, size_t n)
{
	uint64_t v = 0;
	size_t i;

	for (i = 0; i < n && p[i] >= '0' && p[i] <= '7'; i++)
		v = v * 8 + (uint64_t)(p[i] - '0');
	return v;
}

/* Pax extended headers must not carry the pid, the time or a user name. */
static void test_layer_write_pax_headers_stable(void **state)
{
	struct fixture *f = *state;
	struct pl_layer_result res;
	struct pl_buf tar = PL_BUF_INIT;
	char *path;
	char pid[32];
	size_t off;
	int npax = 0;

	build_tree(f);
	write_layer(f, PL_COMP_NONE, 1, &res);
	assert_int_equal(pl_cas_path(f->out, res.digest, &path, NULL), 0);
	assert_int_equal(pl_read_file(path, 0, &tar, NULL), 0);
	snprintf(pid, sizeof(pid), "%ld", (long)getpid());
	for (off = 0; off + 512 <= tar.len; off += 512) {
		const unsigned char *h = (const unsigned char *)tar.data + off;
		uint64_t size;

		if (h[0] == 0)
			continue;
		/* a ustar header: checksum field is octal, magic "ustar" */
		if (memcmp(h + 257, "ustar", 5) != 0)
			continue;
		size = octal(h + 124, 12);
		if (h[156] == 'x') {
			npax++;
			assert_non_null(strstr((const char *)h, "PaxHeader/"));
			assert_null(strstr((const char *)h, pid));
			assert_true(octal(h + 136, 12) <= EPOCH);
			assert_int_equal(h[265], 0); /* uname */
			assert_int_equal(h[297], 0); /* gname */
			assert_null(memmem(h + 512, size, "time=", 5));
			assert_null(memmem(h + 512, size, "uname", 5));
		}
		off += (size + 511) / 512 * 512;
	}
	/* the long name and the xattr need one each */
	assert_int_equal(npax, 2);
	pl_buf_release(&tar);
	free(path);
}

static void test_layer_write_missing_content(void **state)
{
	struct fixture *f = *state;
	struct pl_layer_write_opts o = { PL_COMP_GZIP, 0, 2, EPOCH };
	struct pl_layer_result res;
	struct pl_err err = PL_ERR_INIT;
	struct pl_fsmeta m = meta(PL_FT_REG, 0644, 1);
	char *blobs;
	int rc;

	build_tree(f);
	m.size = 10;
	assert_int_equal(pl_sha256_buf("not stored", 10, m.digest, NULL), 0);
	assert_int_equal(pl_fstree_put(f->t, "lost", &m, NULL), 0);
	rc = pl_layer_write(f->t, f->content, f->out, &o, &res, &err);
	assert_int_equal(rc, PL_ENOTFOUND);
	assert_non_null(strstr(err.msg, "'lost'"));
	/* nothing committed, no temporary left behind */
	blobs = tu_path(f->dir, "out");
	assert_int_equal(tu_sh(blobs, "test -z \"$(find . -type f)\""), 0);
	free(blobs);

	/* content shorter than the size the tree records */
	pl_err_init(&err);
	m.size = 100;
	assert_int_equal(pl_cas_put_buf(f->content, "short", 5, NULL, m.digest, NULL), 0);
	assert_int_equal(pl_fstree_put(f->t, "lost", &m, NULL), 0);
	rc = pl_layer_write(f->t, f->content, f->out, &o, &res, &err);
	assert_int_equal(rc, PL_EVERIFY);
	assert_non_null(strstr(err.msg, "shorter"));
}

static void test_layer_write_bad_level(void **state)
{
	struct fixture *f = *state;
	struct pl_layer_write_opts o = { PL_COMP_ZSTD, 50, 1, EPOCH };
	struct pl_layer_result res;
	struct pl_err err = PL_ERR_INIT;

	build_tree(f);
	assert_int_equal(pl_layer_write(f->t, f->content, f->out, &o, &res, &err), PL_EINVAL);
	assert_non_null(strstr(err.msg, "level"));
}

/* Names are bytes: the process locale must not change the tar. */
static void test_layer_write_names_locale_independent(void **state)
{
	struct fixture *f = *state;
	struct pl_layer_result c_res, utf8_res;
	locale_t utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
	locale_t prev;
	char *tar;

	assert_true(utf8 != (locale_t)0);
	add_file(f, "usr/share/locale/caf\xc3\xa9/na\xefve", "x", 1, 0644, 0, 1);
	add_file(f, "usr/share/locale/latin1-\xe9t\xe9", "y", 1, 0644, 0, 1);
	write_layer(f, PL_COMP_NONE, 1, &c_res);
	prev = uselocale(utf8);
	write_layer(f, PL_COMP_NONE, 1, &utf8_res);
	uselocale(prev);
	freelocale(utf8);
	assert_string_equal(c_res.digest, utf8_res.digest);
	/* and the names come back as the same bytes */
	tar = unpack(f, &c_res, "gzip -f");
	assert_int_equal(tu_sh(f->dir, "tar --quoting-style=literal -tf layer.tar 2>/dev/null | grep -q '^usr/share/locale/caf\xc3\xa9/$'"), 0);
	assert_int_equal(tu_sh(f->dir, "tar --quoting-style=literal -tf layer.tar 2>/dev/null | grep -q '^usr/share/locale/latin1-\xe9t\xe9$'"), 0);
	free(tar);
}

static long maxrss_kib(void)
{
	struct rusage ru;

	assert_int_equal(getrusage(RUSAGE_SELF, &ru), 0);
	return ru.ru_maxrss;
}

/* Runs first, before other tests raise the peak: 64 MiB through a few MiB. */
static void test_layer_write_large_file_bounded_memory(void **state)
{
	struct fixture *f = *state;
	struct pl_cas_writer *w = NULL;
	struct pl_fsmeta m = meta(PL_FT_REG, 0644, 1);
	struct pl_layer_result res;
	unsigned char *chunk = calloc(1, 1u << 20);
	uint64_t s = 1;
	long before, grown;
	size_t i, k;

	assert_non_null(chunk);
	/* mostly zeros with random islands: "sparse-ish" content */
	assert_int_equal(pl_cas_writer_new(f->content, &w, NULL), 0);
	for (i = 0; i < 64; i++) {
		memset(chunk, 0, 1u << 20);
		for (k = 0; k < 4096; k++) {
			s ^= s << 13;
			s ^= s >> 7;
			s ^= s << 17;
			chunk[(i * 7919 + k * 61) % (1u << 20)] = (unsigned char)s;
		}
		assert_int_equal(pl_cas_writer_write(w, chunk, 1u << 20, NULL), 0);
	}
	assert_int_equal(pl_cas_writer_commit(w, NULL, m.digest, &m.size, NULL), 0);
	free(chunk);
	assert_int_equal(m.size, 64u << 20);
	assert_int_equal(pl_fstree_put(f->t, "var/lib/big.img", &m, NULL), 0);

	before = maxrss_kib();
	write_layer(f, PL_COMP_GZIP, 2, &res);
	grown = maxrss_kib() - before;
	assert_true(res.tar_size > 64u << 20);
	/* ring of 6 x 2 MiB chunks, a 256 KiB read buffer: far below 64 MiB */
	if (grown > 24 * 1024)
		fail_msg("peak RSS grew by %ld KiB writing a 64 MiB file", grown);
	check_blob(f, &res, "gzip");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_layer_write_large_file_bounded_memory, setup, teardown),
		cmocka_unit_test_setup_teardown(test_layer_write_deterministic, setup, teardown),
		cmocka_unit_test_setup_teardown(test_layer_write_threads_identical, setup, teardown),
		cmocka_unit_test_setup_teardown(test_layer_write_decompresses_to_diff_id, setup, teardown),
		cmocka_unit_test_setup_teardown(test_layer_write_tar_listing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_layer_write_entries, setup, teardown),
		cmocka_unit_test_setup_teardown(test_layer_write_pax_headers_stable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_layer_write_missing_content, setup, teardown),
		cmocka_unit_test_setup_teardown(test_layer_write_bad_level, setup, teardown),
		cmocka_unit_test_setup_teardown(test_layer_write_names_locale_independent, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
