/*
 * Tests for the .deb reader (deb/debfile.c): real packages built with
 * dpkg-deb, hand-made ones (ar + libarchive-written tars) for zstd/bzip2
 * and malformed or hostile input.
 */
#include <archive.h>
#include <archive_entry.h>
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

#include "lib/deb.h"
#include "testutil.h"
#include "util/buf.h"
#include "util/digest.h"
#include "util/fsutil.h"

/* One tar entry: type f(ile) d(ir) l(symlink) h(ardlink) c(har device). */
struct ent {
	const char *path;
	char type;
	const char *data; /* contents or link target */
	unsigned mode;
};

enum filt { F_NONE, F_GZIP, F_XZ, F_ZSTD, F_BZIP2 };

struct member {
	const char *name;
	const void *data;
	size_t len;
};

struct fx {
	char *dir;
	struct pl_cas *cas;
	struct pl_fstree *t;
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
	pl_cas_set_sync(f->cas, false);
	free(casdir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

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

static struct pl_buf make_tar(const struct ent *ents, size_t n, enum filt filt)
{
	struct pl_buf b = PL_BUF_INIT;
	struct archive *a = archive_write_new();
	struct archive_entry *e = archive_entry_new();

	assert_int_equal(archive_write_set_format_gnutar(a), ARCHIVE_OK);
	switch (filt) {
	case F_GZIP:
		assert_int_equal(archive_write_add_filter_gzip(a), ARCHIVE_OK);
		break;
	case F_XZ:
		assert_int_equal(archive_write_add_filter_xz(a), ARCHIVE_OK);
		break;
	case F_ZSTD:
		assert_int_equal(archive_write_add_filter_zstd(a), ARCHIVE_OK);
		break;
	case F_BZIP2:
		assert_int_equal(archive_write_add_filter_bzip2(a), ARCHIVE_OK);
		break;
	default:
		break;
	}
	assert_int_equal(archive_write_set_bytes_in_last_block(a, 1), ARCHIVE_OK);
	assert_int_equal(archive_write_open(a, &b, NULL, to_buf, NULL), ARCHIVE_OK);
	for (size_t i = 0; i < n; i++) {
		const struct ent *x = &ents[i];
		size_t len = x->data ? strlen(x->data) : 0;

		archive_entry_clear(e);
		archive_entry_set_pathname(e, x->path);
		archive_entry_set_mtime(e, 1700000000, 0);
		archive_entry_set_perm(e, x->mode ? x->mode : (x->type == 'd' ? 0755 : 0644));
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
			archive_entry_set_filetype(e, AE_IFCHR);
			archive_entry_set_rdevmajor(e, 1);
			archive_entry_set_rdevminor(e, 3);
			break;
		default:
			archive_entry_set_filetype(e, AE_IFREG);
			archive_entry_set_size(e, (la_int64_t)len);
		}
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

/* A System V / GNU ar archive as dpkg-deb writes it (no '/' after names). */
static struct pl_buf make_ar(const struct member *m, size_t n)
{
	struct pl_buf b = PL_BUF_INIT;

	assert_int_equal(pl_buf_adds(&b, "!<arch>\n", NULL), 0);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(pl_buf_addf(&b, NULL, "%-16s%-12s%-6s%-6s%-8s%-10zu`\n", m[i].name,
					     "0", "0", "0", "100644", m[i].len), 0);
		assert_int_equal(pl_buf_add(&b, m[i].data, m[i].len, NULL), 0);
		if (m[i].len % 2)
			assert_int_equal(pl_buf_addch(&b, '\n', NULL), 0);
	}
	return b;
}

static int mem_fd(const void *data, size_t len)
{
	int fd = memfd_create("deb", MFD_CLOEXEC);

	assert_true(fd >= 0);
	if (len)
		assert_int_equal(write(fd, data, len), (ssize_t)len);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	return fd;
}

static const struct ent control_ents[] = {
	{ "./", 'd', NULL, 0755 },
	{ "./control", 'f', "Package: hello\nVersion: 1.0-1\nArchitecture: amd64\n"
			    "Maintainer: Test <t@example.org>\nDescription: test\n", 0 },
	{ "./md5sums", 'f', "d41d8cd98f00b204e9800998ecf8427e  usr/bin/hello\n", 0 },
	{ "./postinst", 'f', "#!/bin/sh\nexit 0\n", 0755 },
};

/* A .deb from members debian-binary + control.tar<cs> + data.tar<ds>. */
static struct pl_buf hand_deb(const struct ent *data, size_t n, enum filt cf, const char *cname,
			      enum filt df, const char *dname)
{
	struct pl_buf c = make_tar(control_ents, 4, cf), d = make_tar(data, n, df), deb;
	struct member m[] = {
		{ "debian-binary", "2.0\n", 4 },
		{ cname, c.data, c.len },
		{ dname, d.data, d.len },
	};

	deb = make_ar(m, 3);
	pl_buf_release(&c);
	pl_buf_release(&d);
	return deb;
}

static int read_buf(struct fx *f, const void *data, size_t len, bool unpack, struct pl_deb **d,
		    struct pl_err *err)
{
	struct pl_deb_read_opts o = { "package 'test.deb'", unpack };
	int fd = mem_fd(data, len);
	int rc = pl_deb_read(fd, f->t, f->cas, &o, d, err);

	close(fd);
	return rc;
}

static void expect_fail(struct fx *f, const struct pl_buf *b, int code, const char *needle)
{
	struct pl_deb *d = NULL;
	struct pl_err err = PL_ERR_INIT;
	int rc = read_buf(f, b->data, b->len, true, &d, &err);
	if (getenv("PL_TEST_VERBOSE"))
		print_message("%s\n", err.msg);

	if (rc != code)
		fail_msg("rc %d (%s), want %d", rc, err.msg, code);
	assert_null(d);
	if (!strstr(err.msg, needle))
		fail_msg("message '%s' lacks '%s'", err.msg, needle);
	if (strncmp(err.msg, "package 'test.deb'", 18) != 0)
		fail_msg("message '%s' does not name the package", err.msg);
}

static void assert_content(struct fx *f, const char *path, const char *want)
{
	const struct pl_fsmeta *m = pl_fstree_get(f->t, path);
	char *data = NULL;
	size_t len = 0;
	struct pl_err err = PL_ERR_INIT;

	if (!m)
		fail_msg("'%s' missing from the tree", path);
	assert_int_equal(m->type, PL_FT_REG);
	assert_int_equal(pl_cas_read(f->cas, m->digest, 0, &data, &len, &err), 0);
	assert_int_equal(len, strlen(want));
	assert_memory_equal(data, want, len);
	free(data);
}

static void assert_paths(const struct pl_deb *d, const char *const *want, size_t n)
{
	for (size_t i = 0; i < n && i < d->npaths; i++)
		if (strcmp(d->paths[i], want[i]) != 0)
			fail_msg("path %zu is '%s', want '%s'", i, d->paths[i], want[i]);
	assert_int_equal(d->npaths, n);
}

/* ---- real packages from dpkg-deb ---- */

static void build_pkg(const char *dir)
{
	assert_int_equal(
		tu_sh(dir, "mkdir -p pkg/DEBIAN pkg/usr/bin pkg/usr/share/doc/hello pkg/etc && "
			   "printf 'Package: hello\\nVersion: 2:1.0-1~deb12u1\\nArchitecture: amd64\\n"
			   "Maintainer: T <t@example.org>\\nDepends: libc6 (>= 2.34)\\n"
			   "Description: hi\\n long\\n' > pkg/DEBIAN/control && "
			   "printf '/etc/hello.conf\\n' > pkg/DEBIAN/conffiles && "
			   "printf 'interest-noawait /usr/share/hello\\n' > pkg/DEBIAN/triggers && "
			   "printf '#!/bin/sh\\necho post\\n' > pkg/DEBIAN/postinst && "
			   "printf '#!/bin/sh\\necho pre\\n' > pkg/DEBIAN/preinst && "
			   "chmod 755 pkg/DEBIAN/postinst pkg/DEBIAN/preinst && "
			   "printf 'hello binary\\n' > pkg/usr/bin/hello && chmod 755 pkg/usr/bin/hello && "
			   "printf 'greeting=1\\n' > pkg/etc/hello.conf && "
			   "ln -s hello pkg/usr/bin/hi && "
			   "printf 'doc\\n' > pkg/usr/share/doc/hello/README && "
			   "(cd pkg && md5sum usr/bin/hello usr/share/doc/hello/README > DEBIAN/md5sums)"),
		0);
}

/* paths agree with the data.tar's own listing (dpkg-deb --fsys-tarfile | tar -t). */
static void assert_same_as_tar_listing(struct fx *f, const struct pl_deb *d)
{
	struct pl_buf b = PL_BUF_INIT;
	struct pl_err err = PL_ERR_INIT;
	char *list = tu_path(f->dir, "list.txt"), *p, *nl;
	size_t i = 0;

	assert_int_equal(tu_sh(f->dir, "dpkg-deb --fsys-tarfile hello.deb | tar -t | "
				       "sed -e 's|^\\./$|/.|' -e 's|^\\.||' -e 's|/$||' > list.txt"),
			 0);
	assert_int_equal(pl_read_file(list, 0, &b, &err), 0);
	for (p = b.data; (nl = strchr(p, '\n')) != NULL; p = nl + 1, i++) {
		*nl = '\0';
		assert_true(i < d->npaths);
		assert_string_equal(d->paths[i], p);
	}
	assert_int_equal(i, d->npaths);
	pl_buf_release(&b);
	free(list);
}

/* Every control.tar file but control, for dpkg's info directory. */
static void assert_members(const struct pl_deb *d)
{
	const char *names[] = { "conffiles", "md5sums", "postinst", "preinst", "triggers" };
	bool seen[5] = { false };

	for (size_t i = 0; d->nmembers != 5 && i < d->nmembers; i++)
		print_error("member %zu: %s\n", i, d->members[i].name);
	assert_int_equal(d->nmembers, 5);
	for (size_t i = 0; i < d->nmembers; i++) {
		const struct pl_deb_member *m = &d->members[i];
		size_t j;

		for (j = 0; j < 5 && strcmp(m->name, names[j]) != 0; j++)
			;
		if (j == 5)
			fail_msg("unexpected member '%s'", m->name);
		assert_false(seen[j]);
		seen[j] = true;
		assert_int_equal(strlen(m->data), m->len);
		if (strcmp(m->name, "postinst") == 0) {
			assert_int_equal(m->mode, 0755);
			assert_string_equal(m->data, d->postinst);
		}
		if (strcmp(m->name, "triggers") == 0) {
			assert_int_equal(m->mode, 0644);
			assert_string_equal(m->data, "interest-noawait /usr/share/hello\n");
		}
	}
}

static void test_debfile_dpkg_deb_compressors(void **state)
{
	struct fx *f = *state;
	static const char *const comps[] = { "gzip", "xz", "zstd", "none" };
	static const char *const want[] = {
		"/.", "/etc", "/etc/hello.conf", "/usr", "/usr/bin", "/usr/bin/hello",
		"/usr/share", "/usr/share/doc", "/usr/share/doc/hello",
		"/usr/share/doc/hello/README", "/usr/bin/hi", /* dpkg-deb puts symlinks last */
	};

	build_pkg(f->dir);
	for (size_t i = 0; i < sizeof(comps) / sizeof(comps[0]); i++) {
		struct pl_buf b = PL_BUF_INIT;
		struct pl_err err = PL_ERR_INIT;
		struct pl_deb *d = NULL;
		const struct pl_fsmeta *m;
		char *deb = tu_path(f->dir, "hello.deb");

		if (tu_sh(f->dir, "dpkg-deb --root-owner-group -Z%s --build pkg hello.deb "
			  ">/dev/null", comps[i]) != 0) {
			print_message("dpkg-deb -Z%s not available, skipped\n", comps[i]);
			free(deb);
			continue;
		}
		assert_int_equal(pl_read_file(deb, 0, &b, &err), 0);
		pl_fstree_free(f->t);
		assert_int_equal(pl_fstree_new(&f->t, &err), 0);
		if (read_buf(f, b.data, b.len, true, &d, &err) != 0)
			fail_msg("-Z%s: %s", comps[i], err.msg);
		assert_non_null(strstr(d->control, "Version: 2:1.0-1~deb12u1\n"));
		assert_int_equal(d->control_len, strlen(d->control));
		assert_string_equal(d->conffiles, "/etc/hello.conf\n");
		assert_int_equal(d->conffiles_len, 16);
		assert_string_equal(d->postinst, "#!/bin/sh\necho post\n");
		assert_string_equal(d->preinst, "#!/bin/sh\necho pre\n");
		assert_non_null(strstr(d->md5sums, "  usr/bin/hello\n"));
		assert_members(d);
		assert_paths(d, want, sizeof(want) / sizeof(want[0]));
		assert_same_as_tar_listing(f, d);
		assert_content(f, "usr/bin/hello", "hello binary\n");
		assert_content(f, "etc/hello.conf", "greeting=1\n");
		m = pl_fstree_get(f->t, "usr/bin/hello");
		assert_int_equal(m->mode, 0755);
		assert_int_equal(m->uid, 0);
		m = pl_fstree_get(f->t, "usr/bin/hi");
		assert_non_null(m);
		assert_int_equal(m->type, PL_FT_SYMLINK);
		assert_string_equal(m->link, "hello");
		pl_deb_free(d);
		pl_buf_release(&b);
		free(deb);
	}
}

static void test_debfile_control_only(void **state)
{
	struct fx *f = *state;
	struct pl_buf b = PL_BUF_INIT;
	struct pl_err err = PL_ERR_INIT;
	struct pl_deb *d = NULL;
	struct pl_deb_read_opts o = { "package 'hello.deb'", false };
	char *deb = tu_path(f->dir, "hello.deb");
	int fd;

	build_pkg(f->dir);
	assert_int_equal(tu_sh(f->dir, "dpkg-deb --root-owner-group -Zxz --build pkg hello.deb "
				       ">/dev/null"), 0);
	assert_int_equal(pl_read_file(deb, 0, &b, &err), 0);
	fd = mem_fd(b.data, b.len);
	/* no tree and no store needed when only the control part is read */
	assert_int_equal(pl_deb_read(fd, NULL, NULL, &o, &d, &err), 0);
	close(fd);
	assert_non_null(strstr(d->control, "Package: hello\n"));
	assert_null(d->paths);
	assert_int_equal(d->npaths, 0);
	assert_int_equal(pl_fstree_count(f->t), 0);
	pl_deb_free(d);
	/* unpack without a tree is a usage error, not a crash */
	fd = mem_fd(b.data, b.len);
	o.unpack = true;
	assert_int_equal(pl_deb_read(fd, NULL, NULL, &o, &d, &err), PL_EINVAL);
	close(fd);
	pl_buf_release(&b);
	free(deb);
}

/* ---- hand-made packages ---- */

static const struct ent basic_data[] = {
	{ "./", 'd', NULL, 0 },
	{ "./usr/", 'd', NULL, 0 },
	{ "./usr/bin/", 'd', NULL, 0 },
	{ "./usr/bin/tool", 'f', "tool\n", 0755 },
	{ "./usr/bin/tool2", 'h', "./usr/bin/tool", 0 },
	{ "./dev/", 'd', NULL, 0 },
	{ "./dev/null", 'c', NULL, 0666 },
};

static void test_debfile_zstd_bzip2_and_extra_members(void **state)
{
	struct fx *f = *state;
	static const char *const want[] = { "/.", "/usr", "/usr/bin", "/usr/bin/tool",
					    "/usr/bin/tool2", "/dev", "/dev/null" };
	const struct {
		enum filt cf;
		const char *cname;
		enum filt df;
		const char *dname;
	} v[] = {
		{ F_ZSTD, "control.tar.zst", F_ZSTD, "data.tar.zst" },
		{ F_NONE, "control.tar", F_BZIP2, "data.tar.bz2" },
		{ F_GZIP, "control.tar.gz", F_NONE, "data.tar" },
		{ F_XZ, "control.tar.xz", F_XZ, "data.tar.xz" },
	};

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		struct pl_buf b = hand_deb(basic_data, 7, v[i].cf, v[i].cname, v[i].df, v[i].dname);
		struct pl_err err = PL_ERR_INIT;
		struct pl_deb *d = NULL;
		const struct pl_fsmeta *m;

		if (read_buf(f, b.data, b.len, true, &d, &err) != 0)
			fail_msg("%s + %s: %s", v[i].cname, v[i].dname, err.msg);
		assert_paths(d, want, 7);
		assert_string_equal(d->postinst, "#!/bin/sh\nexit 0\n");
		assert_null(d->conffiles);
		assert_null(d->preinst);
		assert_content(f, "usr/bin/tool2", "tool\n");
		m = pl_fstree_get(f->t, "dev/null");
		assert_non_null(m);
		assert_int_equal(m->type, PL_FT_CHR);
		assert_int_equal(m->devmajor, 1);
		assert_int_equal(m->devminor, 3);
		pl_deb_free(d);
		pl_buf_release(&b);
	}
	{
		/* members starting with '_' are skipped, members after data.tar ignored */
		struct pl_buf c = make_tar(control_ents, 4, F_GZIP), dt = make_tar(basic_data, 7, F_XZ);
		struct member m[] = {
			{ "debian-binary", "2.0\n", 4 },  { "_gpgorigin", "sig", 3 },
			{ "control.tar.gz", c.data, c.len }, { "_extra", "x", 1 },
			{ "data.tar.xz", dt.data, dt.len }, { "trailing", "junk", 4 },
		};
		struct pl_buf b = make_ar(m, 6);
		struct pl_err err = PL_ERR_INIT;
		struct pl_deb *d = NULL;

		if (read_buf(f, b.data, b.len, true, &d, &err) != 0)
			fail_msg("%s", err.msg);
		assert_int_equal(d->npaths, 7);
		pl_deb_free(d);
		pl_buf_release(&b);
		pl_buf_release(&c);
		pl_buf_release(&dt);
	}
}

/* A tree with the merged-/usr symlinks, as base-files + usrmerge leave it. */
static void merged_usr(struct fx *f)
{
	struct pl_err err = PL_ERR_INIT;
	struct pl_fsmeta dir = { .type = PL_FT_DIR, .mode = 0755 };
	struct pl_fsmeta ln = { .type = PL_FT_SYMLINK, .mode = 0777 };

	assert_int_equal(pl_fstree_put(f->t, "usr/bin", &dir, &err), 0);
	assert_int_equal(pl_fstree_put(f->t, "usr/lib", &dir, &err), 0);
	ln.link = "usr/bin";
	assert_int_equal(pl_fstree_put(f->t, "bin", &ln, &err), 0);
	ln.link = "/usr/lib";
	assert_int_equal(pl_fstree_put(f->t, "lib", &ln, &err), 0);
}

static void test_debfile_merged_usr(void **state)
{
	struct fx *f = *state;
	static const struct ent data[] = {
		{ "./", 'd', NULL, 0 },
		{ "./bin/", 'd', NULL, 0700 },
		{ "./bin/bash", 'f', "bash\n", 0755 },
		{ "./bin/rbash", 'h', "./bin/bash", 0 },
		{ "./bin/sh", 'l', "bash", 0 },
		{ "./lib/", 'd', NULL, 0 },
		{ "./lib/x86_64-linux-gnu/", 'd', NULL, 0 },
		{ "./lib/x86_64-linux-gnu/libc.so.6", 'f', "libc\n", 0 },
		{ "./usr/", 'd', NULL, 0 },
		{ "./usr/bin/", 'd', NULL, 0 },
		{ "./usr/bin/env", 'f', "env\n", 0755 },
	};
	static const char *const want[] = {
		"/.", "/bin", "/bin/bash", "/bin/rbash", "/bin/sh", "/lib", "/lib/x86_64-linux-gnu",
		"/lib/x86_64-linux-gnu/libc.so.6", "/usr", "/usr/bin", "/usr/bin/env",
	};
	struct pl_buf b = hand_deb(data, sizeof(data) / sizeof(data[0]), F_GZIP, "control.tar.gz",
				   F_XZ, "data.tar.xz");
	struct pl_err err = PL_ERR_INIT;
	struct pl_deb *d = NULL;
	const struct pl_fsmeta *m;

	merged_usr(f);
	if (read_buf(f, b.data, b.len, true, &d, &err) != 0)
		fail_msg("%s", err.msg);
	/* the archive's names are recorded as dpkg's .list has them */
	assert_paths(d, want, sizeof(want) / sizeof(want[0]));
	/* the symlinks stay; contents land below usr/ */
	m = pl_fstree_get(f->t, "bin");
	assert_int_equal(m->type, PL_FT_SYMLINK);
	assert_string_equal(m->link, "usr/bin");
	m = pl_fstree_get(f->t, "lib");
	assert_int_equal(m->type, PL_FT_SYMLINK);
	assert_content(f, "usr/bin/bash", "bash\n");
	assert_content(f, "usr/bin/rbash", "bash\n");
	assert_content(f, "usr/lib/x86_64-linux-gnu/libc.so.6", "libc\n");
	assert_content(f, "usr/bin/env", "env\n");
	m = pl_fstree_get(f->t, "usr/bin/sh");
	assert_int_equal(m->type, PL_FT_SYMLINK);
	/* an existing directory keeps its metadata (dpkg leaves it alone) */
	assert_int_equal(pl_fstree_get(f->t, "usr/bin")->mode, 0755);
	assert_null(pl_fstree_get(f->t, "usr/usr"));
	pl_deb_free(d);
	pl_buf_release(&b);
}

static void test_debfile_hostile_paths(void **state)
{
	struct fx *f = *state;
	static const struct ent dotdot[] = { { "./", 'd', NULL, 0 }, { "../etc/passwd", 'f', "x", 0 } };
	static const struct ent dotdot2[] = { { "./usr/../../x", 'f', "x", 0 } };
	static const struct ent hl[] = { { "./a", 'h', "../../etc/shadow", 0 } };
	static const struct ent over_dir[] = { { "./usr/bin", 'f', "not a dir", 0 } };
	static const struct ent link_over_dir[] = { { "./usr", 'l', "/elsewhere", 0 } };
	/* symlinks out of the tree are followed, but clamped at its root */
	static const struct ent escape[] = {
		{ "./", 'd', NULL, 0 },
		{ "./up", 'l', "../../../../../..", 0 },
		{ "./root", 'l', "/", 0 },
		{ "./etcl", 'l', "/etc", 0 },
		{ "./up/x", 'f', "x\n", 0 },
		{ "./root/y", 'f', "y\n", 0 },
		{ "./etcl/passwd", 'f', "root:x:0:0::/root:/bin/sh\n", 0 },
	};
	struct pl_buf b;
	struct pl_err err = PL_ERR_INIT;
	struct pl_deb *d = NULL;
	struct pl_fsmeta dir = { .type = PL_FT_DIR, .mode = 0755 };
	struct stat st;

	b = hand_deb(dotdot, 2, F_GZIP, "control.tar.gz", F_GZIP, "data.tar.gz");
	expect_fail(f, &b, PL_EPOLICY, "'..'");
	pl_buf_release(&b);
	b = hand_deb(dotdot2, 1, F_GZIP, "control.tar.gz", F_GZIP, "data.tar.gz");
	expect_fail(f, &b, PL_EPOLICY, "'..'");
	pl_buf_release(&b);
	b = hand_deb(hl, 1, F_GZIP, "control.tar.gz", F_GZIP, "data.tar.gz");
	expect_fail(f, &b, PL_EPOLICY, "'..'");
	pl_buf_release(&b);

	assert_int_equal(pl_fstree_put(f->t, "usr/bin", &dir, &err), 0);
	b = hand_deb(over_dir, 1, F_GZIP, "control.tar.gz", F_GZIP, "data.tar.gz");
	expect_fail(f, &b, PL_EPOLICY, "would replace directory '/usr/bin'");
	pl_buf_release(&b);
	b = hand_deb(link_over_dir, 1, F_GZIP, "control.tar.gz", F_GZIP, "data.tar.gz");
	expect_fail(f, &b, PL_EPOLICY, "would replace directory '/usr'");
	pl_buf_release(&b);
	assert_int_equal(pl_fstree_get(f->t, "usr/bin")->type, PL_FT_DIR);

	b = hand_deb(escape, 7, F_GZIP, "control.tar.gz", F_GZIP, "data.tar.gz");
	if (read_buf(f, b.data, b.len, true, &d, &err) != 0)
		fail_msg("%s", err.msg);
	assert_content(f, "x", "x\n");
	assert_content(f, "y", "y\n");
	assert_content(f, "etc/passwd", "root:x:0:0::/root:/bin/sh\n");
	assert_string_equal(d->paths[6], "/etcl/passwd");
	/* and nothing was written on the host but the store */
	assert_int_equal(stat("/x", &st), -1);
	assert_int_equal(stat("/y", &st), -1);
	pl_deb_free(d);
	pl_buf_release(&b);
}

static void test_debfile_malformed(void **state)
{
	struct fx *f = *state;
	struct pl_buf c = make_tar(control_ents, 4, F_GZIP), dt = make_tar(basic_data, 7, F_GZIP);
	struct pl_buf b;
	static const char garbage[] = "this is not an ar archive at all, just text\n";
	struct pl_buf g = { (char *)garbage, sizeof(garbage) - 1, 0, 0 };
	struct pl_buf empty = { (char *)"", 0, 0, 0 };

	expect_fail(f, &g, PL_EINVAL, "not a .deb");
	expect_fail(f, &empty, PL_EINVAL, "");
	{
		struct member m[] = { { "control.tar.gz", c.data, c.len }, { "data.tar.gz", dt.data, dt.len } };

		b = make_ar(m, 2);
		expect_fail(f, &b, PL_EINVAL, "first member is 'control.tar.gz', not 'debian-binary'");
		pl_buf_release(&b);
	}
	{
		struct member m[] = { { "debian-binary", "2.0\n", 4 }, { "data.tar.gz", dt.data, dt.len },
				      { "control.tar.gz", c.data, c.len } };

		b = make_ar(m, 3);
		expect_fail(f, &b, PL_EINVAL, "unexpected member 'data.tar.gz' where 'control.tar'");
		pl_buf_release(&b);
	}
	{
		struct member m[] = { { "debian-binary", "3.0\n", 4 }, { "control.tar.gz", c.data, c.len },
				      { "data.tar.gz", dt.data, dt.len } };

		b = make_ar(m, 3);
		expect_fail(f, &b, PL_EINVAL, "debian-binary");
		pl_buf_release(&b);
		m[0].data = "2.0";
		m[0].len = 3;
		b = make_ar(m, 3);
		expect_fail(f, &b, PL_EINVAL, "debian-binary");
		pl_buf_release(&b);
		m[0].data = "2.1\n";
		m[0].len = 4;
		b = make_ar(m, 3);
		{
			/* format 2.x is accepted, as dpkg does */
			struct pl_deb *d = NULL;
			struct pl_err err = PL_ERR_INIT;

			assert_int_equal(read_buf(f, b.data, b.len, true, &d, &err), 0);
			pl_deb_free(d);
		}
		pl_buf_release(&b);
	}
	{
		struct member m[] = { { "debian-binary", "2.0\n", 4 }, { "control.tar.gz", c.data, c.len } };

		b = make_ar(m, 2);
		expect_fail(f, &b, PL_EINVAL, "missing member 'data.tar'");
		pl_buf_release(&b);
		b = make_ar(m, 1);
		expect_fail(f, &b, PL_EINVAL, "missing member 'control.tar'");
		pl_buf_release(&b);
	}
	{
		/* names that do not match the contents, unknown compressors */
		struct member m[] = { { "debian-binary", "2.0\n", 4 }, { "control.tar.gz", c.data, c.len },
				      { "data.tar.xz", dt.data, dt.len } };

		b = make_ar(m, 3);
		expect_fail(f, &b, PL_EINVAL, "member 'data.tar.xz' is not what its name says");
		pl_buf_release(&b);
		m[2].name = "data.tar.lz4";
		b = make_ar(m, 3);
		expect_fail(f, &b, PL_EINVAL, "unexpected member 'data.tar.lz4'");
		pl_buf_release(&b);
		m[1].name = "control.tar.bz2";
		b = make_ar(m, 3);
		expect_fail(f, &b, PL_EINVAL, "unexpected member 'control.tar.bz2'");
		pl_buf_release(&b);
	}
	{
		/* a control.tar without ./control */
		static const struct ent nocontrol[] = { { "./", 'd', NULL, 0 }, { "./postinst", 'f', "x", 0 } };
		struct pl_buf nc = make_tar(nocontrol, 2, F_GZIP);
		struct member m[] = { { "debian-binary", "2.0\n", 4 }, { "control.tar.gz", nc.data, nc.len },
				      { "data.tar.gz", dt.data, dt.len } };

		b = make_ar(m, 3);
		expect_fail(f, &b, PL_EINVAL, "has no 'control' file");
		pl_buf_release(&b);
		pl_buf_release(&nc);
	}
	{
		/* a control file that is not a control paragraph */
		static const struct ent badctl[] = { { "./control", 'f', "Package hello\n", 0 } };
		struct pl_buf bc = make_tar(badctl, 1, F_GZIP);
		struct member m[] = { { "debian-binary", "2.0\n", 4 }, { "control.tar.gz", bc.data, bc.len },
				      { "data.tar.gz", dt.data, dt.len } };

		b = make_ar(m, 3);
		expect_fail(f, &b, PL_EINVAL, "control:1: expected 'Name: value'");
		pl_buf_release(&b);
		pl_buf_release(&bc);
	}
	{
		/* truncated: the ar ends in the middle of data.tar */
		struct member m[] = { { "debian-binary", "2.0\n", 4 }, { "control.tar.gz", c.data, c.len },
				      { "data.tar.gz", dt.data, dt.len } };

		b = make_ar(m, 3);
		b.len -= dt.len / 2;
		expect_fail(f, &b, PL_EINVAL, "data.tar.gz");
		pl_buf_release(&b);
		/* corrupt compressed data: flip bytes in the middle of the gzip stream */
		b = make_ar(m, 3);
		for (size_t i = 0; i < 8; i++)
			b.data[b.len - dt.len / 2 + i] ^= 0x5a;
		expect_fail(f, &b, PL_EINVAL, "data.tar.gz");
		pl_buf_release(&b);
		/* a cut ar header */
		b = make_ar(m, 3);
		b.len = 8 + 30;
		expect_fail(f, &b, PL_EINVAL, "");
		pl_buf_release(&b);
	}
	pl_buf_release(&c);
	pl_buf_release(&dt);
}

static void test_debfile_huge_control(void **state)
{
	struct fx *f = *state;
	size_t big = (size_t)5 << 20;
	char *ctl = malloc(big + 1);
	struct ent ents[] = { { "./control", 'f', ctl, 0 } };
	struct pl_buf c, dt = make_tar(basic_data, 7, F_GZIP), b;

	assert_non_null(ctl);
	memcpy(ctl, "Package: a\nDescription: x\n", 26);
	memset(ctl + 26, 'a', big - 26);
	for (size_t i = 100; i < big; i += 100)
		ctl[i] = i % 200 ? '\n' : ' ';
	ctl[big] = '\0';
	c = make_tar(ents, 1, F_XZ);
	{
		struct member m[] = { { "debian-binary", "2.0\n", 4 }, { "control.tar.xz", c.data, c.len },
				      { "data.tar.gz", dt.data, dt.len } };

		b = make_ar(m, 3);
		expect_fail(f, &b, PL_ETOOBIG, "control.tar: 'control' is larger than");
		pl_buf_release(&b);
	}
	pl_buf_release(&c);
	pl_buf_release(&dt);
	free(ctl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_debfile_dpkg_deb_compressors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_debfile_control_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_debfile_zstd_bzip2_and_extra_members, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_debfile_merged_usr, setup, teardown),
		cmocka_unit_test_setup_teardown(test_debfile_hostile_paths, setup, teardown),
		cmocka_unit_test_setup_teardown(test_debfile_malformed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_debfile_huge_control, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
