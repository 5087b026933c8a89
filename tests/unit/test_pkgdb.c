/*
 * pkgdb: the dpkg database written into a tree is checked against the real
 * tools. Small .debs are built with dpkg-deb, unpacked with pl_deb_read,
 * recorded with pl_pkgdb_install, the tree is exported to a temp dir, and
 * dpkg --root -i of the same .debs, dpkg-query, dpkg --audit/-V,
 * update-alternatives --root and openssl rehash/verify judge the result.
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "lib/cas.h"
#include "lib/deb.h"
#include "lib/fstree.h"
#include "lib/pkgdb.h"
#include "util/buf.h"
#include "util/fsutil.h"
#include "util/log.h"
#include "testutil.h"

#define EPOCH 1700000000

struct fx {
	char *dir;
	struct pl_cas *cas;
	struct pl_fstree *t;
	struct pl_deb *debs[8];
	size_t ndebs;
};

static int pkgdb_put(struct fx *f, const char *path, const char *content);

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct pl_err err = PL_ERR_INIT;
	char *casdir;

	assert_non_null(f);
	f->dir = tu_mkdtemp();
	casdir = tu_path(f->dir, "cas");
	assert_int_equal(pl_cas_open(&f->cas, casdir, &err), 0);
	pl_cas_set_sync(f->cas, false);
	free(casdir);
	assert_int_equal(pl_fstree_new(&f->t, &err), 0);
	pl_log_set_level(PL_LOG_QUIET);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	for (size_t i = 0; i < f->ndebs; i++)
		pl_deb_free(f->debs[i]);
	pl_fstree_free(f->t);
	pl_cas_free(f->cas);
	tu_rmtree(f->dir);
	free(f);
	return 0;
}

/* ---- helpers ---- */

static char *export_tree(struct fx *f, const char *name)
{
	return tu_export_tree(f->t, f->cas, f->dir, name);
}

/* Capture a command's stdout (run in dir) into a malloc'd string. */
static char *sh_out(const char *dir, const char *cmd)
{
	struct pl_buf b = PL_BUF_INIT;
	char *out = tu_path(dir, "out.txt");
	int rc = tu_sh(dir, "%s > '%s' 2>&1", cmd, out);

	if (pl_read_file(out, 0, &b, NULL) < 0)
		fail_msg("no output from '%s'", cmd);
	unlink(out);
	free(out);
	(void)rc;
	return pl_buf_detach(&b, NULL);
}

/*
 * Build <name>.deb in f->dir from a spec: control text, then files as
 * "path=content" pairs, optional conffiles, postinst, md5sums.
 */
struct debspec {
	const char *name;
	const char *control;
	const char *files[8]; /* "usr/bin/x=content" */
	const char *conffiles;
	const char *postinst;
	bool md5sums;
};

static void build_deb(struct fx *f, const struct debspec *s)
{
	char rel[256];

	snprintf(rel, sizeof(rel), "src/%s/DEBIAN/control", s->name);
	tu_write(f->dir, rel, s->control, strlen(s->control));
	for (size_t i = 0; i < 8 && s->files[i]; i++) {
		const char *eq = strchr(s->files[i], '=');

		snprintf(rel, sizeof(rel), "src/%s/%.*s", s->name, (int)(eq - s->files[i]),
			 s->files[i]);
		tu_write(f->dir, rel, eq + 1, strlen(eq + 1));
	}
	if (s->conffiles) {
		snprintf(rel, sizeof(rel), "src/%s/DEBIAN/conffiles", s->name);
		tu_write(f->dir, rel, s->conffiles, strlen(s->conffiles));
	}
	if (s->postinst) {
		snprintf(rel, sizeof(rel), "src/%s/DEBIAN/postinst", s->name);
		tu_write(f->dir, rel, s->postinst, strlen(s->postinst));
		assert_int_equal(tu_sh(f->dir, "chmod 0755 src/%s/DEBIAN/postinst", s->name), 0);
	}
	if (s->md5sums)
		assert_int_equal(tu_sh(f->dir,
				       "cd src/%s && find . -type f ! -path './DEBIAN/*' -printf "
				       "'%%P\\n' | sort | xargs md5sum > DEBIAN/md5sums",
				       s->name),
				 0);
	assert_int_equal(tu_sh(f->dir,
			       "dpkg-deb --root-owner-group -Zgzip --build src/%s %s.deb "
			       ">/dev/null",
			       s->name, s->name),
			 0);
}

/* Unpack <name>.deb into the tree with the deb module, keeping the pl_deb. */
static void unpack(struct fx *f, const char *name)
{
	struct pl_err err = PL_ERR_INIT;
	struct pl_deb_read_opts o = {name, true};
	char rel[128];
	char *p;
	int fd;

	snprintf(rel, sizeof(rel), "%s.deb", name);
	p = tu_path(f->dir, rel);
	fd = open(p, O_RDONLY);
	assert_true(fd >= 0);
	if (pl_deb_read(fd, f->t, f->cas, &o, &f->debs[f->ndebs], &err) < 0)
		fail_msg("%s", err.msg);
	f->ndebs++;
	close(fd);
	free(p);
}

static void install(struct fx *f, unsigned style)
{
	struct pl_err err = PL_ERR_INIT;
	struct pl_pkgdb_write_opts o = {EPOCH, style};

	if (pl_pkgdb_install(f->t, f->cas, (const struct pl_deb *const *)f->debs, f->ndebs, &o,
			     &err) < 0)
		fail_msg("%s", err.msg);
}

static const struct debspec alpha = {
    "alpha",
    "Package: alpha\nVersion: 1.0-1\nArchitecture: all\nMaintainer: T <t@example.org>\n"
    "Installed-Size: 12\nDepends: libc6 (>= 2.34),\n beta\nHomepage: https://example.org\n"
    "Description: alpha tool\n long text\n .\n more\nSection: misc\nPriority: optional\n"
    "Multi-Arch: foreign\nEssential: no\n",
    {"etc/alpha.conf=setting=1\n", "usr/bin/alpha-pager=#!/bin/sh\n", "usr/bin/alpha-ed=ed\n",
     "usr/share/man/man1/alpha-pager.1.gz=man\n", NULL},
    "/etc/alpha.conf\n",
    "#!/bin/sh\nset -e\nif [ \"$1\" = configure ]; then\n"
    "\tupdate-alternatives --install /usr/bin/pager pager /usr/bin/alpha-pager 50 \\\n"
    "\t\t--slave /usr/share/man/man1/pager.1.gz pager.1.gz \\\n"
    "\t\t/usr/share/man/man1/alpha-pager.1.gz\n"
    "\tupdate-alternatives --quiet --install \"/usr/bin/ed\" 'ed' /usr/bin/alpha-ed 10 "
    ">/dev/null 2>&1 || true # the editor\n"
    "\tupdate-alternatives --install /usr/bin/x x \"$DIR/x\" 10\n"
    "fi\n",
    false, /* dpkg generates md5sums for it */
};

static const struct debspec beta = {
    "beta",
    "Package: beta\nSource: betasrc (3.4-2)\nVersion: 2:3.4~rc1-2+b1\nArchitecture: amd64\n"
    "Multi-Arch: same\nMaintainer: T <t@example.org>\nPre-Depends: alpha\n"
    "Description: beta library\nBuilt-Using: gcc (= 1)\nProtected: yes\n",
    {"usr/lib/x86_64-linux-gnu/libbeta.so.1=ELF\n", "usr/bin/beta-pager=beta\n",
     "usr/share/man/man1/beta-pager.1.gz=betaman\n", NULL},
    NULL,
    "#!/bin/sh\n"
    "update-alternatives --install /usr/bin/pager pager /usr/bin/beta-pager 80 --slave "
    "/usr/share/man/man1/pager.1.gz pager.1.gz /usr/share/man/man1/beta-pager.1.gz "
    "--slave /usr/bin/pg pg /usr/bin/beta-pg\n",
    true,
};

static const struct debspec gamma_ = {
    "gamma",
    "Package: gamma\nVersion: 0.1\nArchitecture: all\nMaintainer: T <t@example.org>\n"
    "Description: gamma data\nX-Custom: kept\n",
    {"usr/share/gamma/data=1\n", "etc/gamma/a.conf=a\n", NULL},
    "/etc/gamma/a.conf\n",
    NULL,
    true,
};

/* ---- tests ---- */

/* Our database equals what dpkg itself writes for the same .debs. */
static void test_pkgdb_write_matches_dpkg(void **state)
{
	struct fx *f = *state;
	const struct debspec *specs[] = {&alpha, &beta, &gamma_};
	struct debspec plain[3];
	char *root, *out;

	/* dpkg --root would chroot to run postinsts: compare without them */
	for (int i = 0; i < 3; i++) {
		plain[i] = *specs[i];
		plain[i].postinst = NULL;
		build_deb(f, &plain[i]);
		unpack(f, plain[i].name);
	}
	install(f, 0);
	root = export_tree(f, "ours");
	assert_int_equal(tu_sh(f->dir, "mkdir -p real/var/lib/dpkg/info real/var/lib/dpkg/updates "
				       "&& touch real/var/lib/dpkg/status"),
			 0);
	assert_int_equal(
	    tu_sh(f->dir, "dpkg --root=\"$PWD/real\" --force-depends --force-not-root -i alpha.deb "
			  "beta.deb gamma.deb >/dev/null 2>&1"),
	    0);
	assert_int_equal(tu_sh(f->dir, "cmp real/var/lib/dpkg/status ours/var/lib/dpkg/status"), 0);
	assert_int_equal(tu_sh(f->dir, "for x in alpha.list alpha.md5sums alpha.conffiles "
				       "beta:amd64.list beta:amd64.md5sums gamma.list "
				       "gamma.md5sums gamma.conffiles format; do cmp "
				       "real/var/lib/dpkg/info/$x ours/var/lib/dpkg/info/$x || "
				       "exit 1; done"),
			 0);
	assert_int_equal(tu_sh(f->dir, "test ! -e ours/var/lib/dpkg/info/beta:amd64.conffiles"), 0);

	out = sh_out(f->dir, "dpkg-query --admindir=ours/var/lib/dpkg -W "
			     "-f='${Package} ${Version} ${source:Package} ${source:Version}\\n'");
	assert_string_equal(out, "alpha 1.0-1 alpha 1.0-1\n"
				 "beta 2:3.4~rc1-2+b1 betasrc 3.4-2\n"
				 "gamma 0.1 gamma 0.1\n");
	free(out);
	out = sh_out(f->dir, "dpkg --admindir=ours/var/lib/dpkg --audit");
	assert_string_equal(out, "");
	free(out);
	out = sh_out(f->dir, "dpkg --root=\"$PWD/ours\" -V");
	assert_string_equal(out, "");
	free(out);
	/* dpkg -V notices a changed file, so the md5sums are really used */
	assert_int_equal(tu_sh(f->dir, "echo changed > ours/usr/share/gamma/data"), 0);
	out = sh_out(f->dir, "dpkg --root=\"$PWD/ours\" -V gamma");
	assert_non_null(strstr(out, "/usr/share/gamma/data"));
	free(out);
	free(root);
}

/* A base image's paragraphs are kept; a new version replaces the old one. */
static void test_pkgdb_write_merges_base(void **state)
{
	struct fx *f = *state;
	struct pl_err err = PL_ERR_INIT;
	struct pl_pkgdb *db = NULL;
	const struct pl_pkg *p;
	struct pl_fsmeta m;
	const char *zlib =
	    "Package: zlib1g\nStatus: install ok installed\nPriority: optional\n"
	    "Maintainer: Mark Brown <broonie@debian.org>\nArchitecture: amd64\nMulti-Arch: "
	    "same\nSource: zlib\nVersion: 1:1.2.13.dfsg-1\n"
	    "Description: compression library - runtime\nHomepage: http://zlib.net/\n\n";
	const char *old_alpha =
	    "Package: alpha\nStatus: install ok installed\nMaintainer: T <t@example.org>\n"
	    "Architecture: all\nVersion: 0.9\nDescription: old alpha\n\n";
	char base[1024];
	char *out, *root;

	snprintf(base, sizeof(base), "%s%s", zlib, old_alpha);
	assert_int_equal(pkgdb_put(f, "var/lib/dpkg/status", base), 0);
	assert_int_equal(pkgdb_put(f, "var/lib/dpkg/info/alpha.postinst", "#!/bin/sh\n"), 0);
	assert_int_equal(pkgdb_put(f, "var/lib/dpkg/info/alpha.list", "/.\n/old\n"), 0);
	assert_int_equal(pkgdb_put(f, "var/lib/dpkg/info/zlib1g:amd64.list", "/.\n"), 0);
	assert_int_equal(pkgdb_put(f, "var/lib/dpkg/info/zlib1g:amd64.md5sums", ""), 0);
	build_deb(f, &gamma_);
	unpack(f, "gamma");
	build_deb(f, &alpha);
	unpack(f, "alpha");
	install(f, PL_PKGDB_STATUS | PL_PKGDB_STATUS_D);

	assert_int_equal(pl_pkgdb_read(f->t, f->cas, &db, &err), 0);
	/* status: alpha gamma zlib1g; status.d/ repeats alpha and gamma */
	assert_int_equal(db->n, 3);
	assert_non_null(pl_fstree_get(f->t, "var/lib/dpkg/status.d/alpha"));
	assert_non_null(pl_fstree_get(f->t, "var/lib/dpkg/status.d/gamma"));
	p = pl_pkgdb_find(db, "alpha", NULL);
	assert_non_null(p);
	assert_string_equal(p->version, "1.0-1");
	assert_string_equal(p->file, "var/lib/dpkg/status");
	p = pl_pkgdb_find(db, "zlib1g", "amd64");
	assert_non_null(p);
	assert_string_equal(p->source, "zlib");
	assert_string_equal(p->source_version, "1:1.2.13.dfsg-1");
	pl_pkgdb_free(db);
	/* the old alpha's maintainer script went with it */
	assert_null(pl_fstree_get(f->t, "var/lib/dpkg/info/alpha.postinst"));
	assert_non_null(pl_fstree_get(f->t, "var/lib/dpkg/info/zlib1g:amd64.list"));
	memcpy(&m, pl_fstree_get(f->t, "var/lib/dpkg/status"), sizeof(m));
	assert_int_equal(m.mode, 0644);
	assert_int_equal(m.mtime, EPOCH);

	root = export_tree(f, "merged");
	out = sh_out(f->dir, "dpkg-query --admindir=merged/var/lib/dpkg -W "
			     "-f='${Package} ${Version}\\n'");
	assert_string_equal(out, "alpha 1.0-1\ngamma 0.1\nzlib1g 1:1.2.13.dfsg-1\n");
	free(out);
	/* the base paragraph is byte for byte what it was */
	out = sh_out(f->dir, "sed -n '/^Package: zlib1g/,/^$/p' merged/var/lib/dpkg/status");
	assert_string_equal(out, zlib);
	free(out);
	free(root);

	/* distroless readers see the same packages in status.d/ alone */
	assert_int_equal(pl_fstree_remove(f->t, "var/lib/dpkg/status", &err), 0);
	assert_int_equal(pl_pkgdb_read(f->t, f->cas, &db, &err), 0);
	assert_int_equal(db->n, 2);
	assert_string_equal(db->pkgs[0].file, "var/lib/dpkg/status.d/alpha");
	assert_string_equal(db->pkgs[0].version, "1.0-1");
	assert_true(db->pkgs[0].installed);
	pl_pkgdb_free(db);
}

/* ---- alternatives ---- */

static void test_pkgdb_alt_scan_shell_forms(void **state)
{
	struct pl_err err = PL_ERR_INIT;
	struct pl_alt_list l = {NULL, 0};

	(void)state;
	assert_int_equal(pl_alt_scan(alpha.postinst, "alpha", &l, &err), 0);
	assert_int_equal(l.n, 2); /* the "$DIR" one is skipped */
	assert_string_equal(l.v[0].link, "/usr/bin/pager");
	assert_string_equal(l.v[0].name, "pager");
	assert_string_equal(l.v[0].path, "/usr/bin/alpha-pager");
	assert_int_equal(l.v[0].priority, 50);
	assert_int_equal(l.v[0].nslaves, 1);
	assert_string_equal(l.v[0].slaves[0].link, "/usr/share/man/man1/pager.1.gz");
	assert_string_equal(l.v[0].slaves[0].path, "/usr/share/man/man1/alpha-pager.1.gz");
	assert_string_equal(l.v[1].link, "/usr/bin/ed");
	assert_string_equal(l.v[1].name, "ed");
	assert_int_equal(l.v[1].nslaves, 0);
	pl_alt_list_release(&l);

	assert_int_equal(
	    pl_alt_scan("# update-alternatives --install /a a /b 1\n"
			"echo update-alternatives --install /a a /b 1\n"
			"[ -x /x ] && /usr/bin/update-alternatives --install /a a /b -5\n"
			"update-alternatives --remove a /b\n"
			"update-alternatives --install /c c /d x1\n"
			"update-alternatives --install /e\\ f e '/g h' 3\n",
			"p", &l, &err),
	    0);
	assert_int_equal(l.n, 2);
	assert_int_equal(l.v[0].priority, -5);
	assert_string_equal(l.v[1].link, "/e f");
	assert_string_equal(l.v[1].path, "/g h");
	pl_alt_list_release(&l);
}

/* Our links and admin file equal what update-alternatives --root makes. */
static void test_pkgdb_alternatives_match_update_alternatives(void **state)
{
	struct fx *f = *state;
	char *root, *out;

	build_deb(f, &alpha);
	build_deb(f, &beta);
	unpack(f, "alpha");
	unpack(f, "beta");
	install(f, 0);
	root = export_tree(f, "ours");
	out = sh_out(f->dir, "update-alternatives --admindir ours/var/lib/dpkg/alternatives "
			     "--altdir ours/etc/alternatives --query pager");
	assert_non_null(strstr(out, "Value: /usr/bin/beta-pager\n"));
	assert_non_null(strstr(out, "Status: auto\n"));
	free(out);
	assert_int_equal(tu_sh(f->dir, "test \"$(readlink ours/usr/bin/pager)\" = "
				       "/etc/alternatives/pager && test \"$(readlink "
				       "ours/etc/alternatives/pager)\" = /usr/bin/beta-pager"),
			 0);
	/* the same commands through the real tool on a copy without our links */
	assert_int_equal(
	    tu_sh(f->dir, "cp -a ours real && rm -rf real/etc/alternatives/* "
			  "real/var/lib/dpkg/alternatives/* real/usr/bin/pager real/usr/bin/ed "
			  "real/usr/share/man/man1/pager.1.gz && "
			  "U='update-alternatives --root '$PWD/real' --log /dev/null --quiet' && "
			  "$U --install /usr/bin/pager pager /usr/bin/alpha-pager 50 --slave "
			  "/usr/share/man/man1/pager.1.gz pager.1.gz "
			  "/usr/share/man/man1/alpha-pager.1.gz && "
			  "$U --install /usr/bin/ed ed /usr/bin/alpha-ed 10 && "
			  "$U --install /usr/bin/pager pager /usr/bin/beta-pager 80 --slave "
			  "/usr/share/man/man1/pager.1.gz pager.1.gz "
			  "/usr/share/man/man1/beta-pager.1.gz --slave /usr/bin/pg pg "
			  "/usr/bin/beta-pg >/dev/null 2>&1; rm -rf real/var/log real/dev"),
	    0);
	assert_int_equal(tu_sh(f->dir, "diff -r --no-dereference ours real >/dev/null"), 0);
	free(root);
}

/* ---- CA certificates ---- */

#define MOZ "/usr/share/ca-certificates/mozilla/"
#define CA1 "Autoridad_de_Certificacion_Firmaprofesional_CIF_A62634068.crt"
#define CA2 "Autoridad_de_Certificacion_Firmaprofesional_CIF_A62634068_2.crt"
#define CA3 "ISRG_Root_X1.crt"

static int pkgdb_put(struct fx *f, const char *path, const char *content)
{
	struct pl_err err = PL_ERR_INIT;
	struct pl_fsmeta m;

	memset(&m, 0, sizeof(m));
	m.type = PL_FT_REG;
	m.mode = 0644;
	m.size = strlen(content);
	if (pl_cas_put_buf(f->cas, content, strlen(content), NULL, m.digest, &err) < 0)
		return -1;
	return pl_fstree_put(f->t, path, &m, &err);
}

static void put_host_file(struct fx *f, const char *host, const char *path)
{
	struct pl_buf b = PL_BUF_INIT;

	assert_int_equal(pl_read_file(host, 0, &b, NULL), 0);
	assert_int_equal(pkgdb_put(f, path, b.data), 0);
	pl_buf_release(&b);
}

static void test_pkgdb_ca_bundle_matches_rehash(void **state)
{
	struct fx *f = *state;
	struct pl_err err = PL_ERR_INIT;
	const char *names[] = {CA3, CA2, CA1};
	char *root, *out;

	if (access(MOZ CA1, R_OK) != 0 || access(MOZ CA2, R_OK) != 0 || access(MOZ CA3, R_OK) != 0)
		skip();
	for (int i = 0; i < 3; i++) {
		char host[512], path[512];

		snprintf(host, sizeof(host), MOZ "%s", names[i]);
		snprintf(path, sizeof(path), "usr/share/ca-certificates/mozilla/%s", names[i]);
		put_host_file(f, host, path);
	}
	assert_int_equal(pkgdb_put(f, "usr/share/ca-certificates/local/no-newline.crt",
				   "-----BEGIN CERTIFICATE-----\nnot base64\n"
				   "-----END CERTIFICATE-----"),
			 0);
	assert_int_equal(pl_pkgdb_ca_certificates(f->t, f->cas, EPOCH, &err), 0);
	root = export_tree(f, "ours");

	out = sh_out(f->dir, "grep -v '^#' ours/etc/ca-certificates.conf");
	assert_string_equal(out, "local/no-newline.crt\nmozilla/" CA1 "\nmozilla/" CA2
				 "\nmozilla/" CA3 "\n");
	free(out);
	/* the bundle is the certificates in the configuration's order */
	assert_int_equal(tu_sh(f->dir, "(cat ours/usr/share/ca-certificates/local/no-newline.crt; "
				       "echo; cat " MOZ CA1 " " MOZ CA2 " " MOZ CA3
				       ") | cmp - ours/etc/ssl/certs/ca-certificates.crt"),
			 0);
	out = sh_out(f->dir, "readlink ours/etc/ssl/certs/ISRG_Root_X1.pem");
	assert_string_equal(out, MOZ CA3 "\n");
	free(out);
	/* openssl rehash over the same .pem links makes the same hash links */
	assert_int_equal(tu_sh(f->dir,
			       "mkdir real && cd ours/etc/ssl/certs && for x in *.pem; do "
			       "cp -P $x ../../../../real/; done && cd ../../../../ && "
			       "openssl rehash real 2>/dev/null; cd ours/etc/ssl/certs && "
			       "for x in *.[0-9]; do test \"$(readlink $x)\" = \"$(readlink "
			       "../../../../real/$x)\" || exit 1; done && ls "
			       "../../../../real | grep -c '\\.[0-9]$' | grep -qx 3"),
			 0);
	assert_int_equal(tu_sh(f->dir, "test -L ours/etc/ssl/certs/3bde41ac.1"), 0);
	out = sh_out(f->dir, "openssl verify -CApath ours/etc/ssl/certs " MOZ CA3);
	assert_string_equal(out, MOZ CA3 ": OK\n");
	free(out);
	free(root);
}

/* ---- reading ---- */

static size_t count_packages(const char *data, size_t len)
{
	size_t n = 0;

	for (size_t i = 0; i + 8 <= len; i++)
		if ((i == 0 || data[i - 1] == '\n') && memcmp(data + i, "Package:", 8) == 0)
			n++;
	return n;
}

static void check_real_status(const char *path)
{
	struct pl_err err = PL_ERR_INIT;
	struct pl_buf b = PL_BUF_INIT;
	struct pl_pkgdb db;

	if (pl_read_file(path, 0, &b, NULL) < 0) {
		pl_buf_release(&b);
		return;
	}
	pl_pkgdb_init(&db);
	if (pl_pkgdb_parse(&db, b.data, b.len, path, false, &err) < 0)
		fail_msg("%s", err.msg);
	assert_true(db.n > 0);
	assert_int_equal(db.n, count_packages(b.data, b.len));
	for (size_t i = 0; i < db.n; i++) {
		assert_true(db.pkgs[i].name[0]);
		assert_true(!db.pkgs[i].installed || db.pkgs[i].version[0]);
		assert_true(db.pkgs[i].source[0] && db.pkgs[i].source_version[0]);
	}
	pl_pkgdb_release(&db);
	pl_buf_release(&b);
}

static void test_pkgdb_read_real_status_files(void **state)
{
	struct pl_err err = PL_ERR_INIT;
	struct pl_buf b = PL_BUF_INIT;
	struct pl_pkgdb db;
	const struct pl_pkg *p;

	(void)state;
	check_real_status("tests/fuzz/corpus/fuzz_status/bookworm-minbase.status");
	check_real_status("tests/fuzz/corpus/fuzz_status/bullseye-minbase.status");
	check_real_status("tests/fuzz/corpus/fuzz_status/trixie-minbase.status");
	check_real_status("/var/lib/dpkg/status");
	check_real_status("/work/shared/vulndata/dpkg-status/bookworm-devhost.status");

	assert_int_equal(
	    pl_read_file("tests/fuzz/corpus/fuzz_status/bookworm-minbase.status", 0, &b, NULL), 0);
	pl_pkgdb_init(&db);
	assert_int_equal(pl_pkgdb_parse(&db, b.data, b.len, "s", false, &err), 0);
	assert_int_equal(db.n, 96);
	p = pl_pkgdb_find(&db, "bsdutils", NULL);
	assert_non_null(p);
	assert_string_equal(p->source, "util-linux");
	assert_true(p->installed);
	assert_string_equal(p->status, "install ok installed");
	p = pl_pkgdb_find(&db, "libc6", "amd64");
	assert_non_null(p);
	assert_string_equal(p->source, "glibc");
	assert_string_equal(p->source_version, p->version);
	assert_string_equal(p->multi_arch, "same");
	assert_non_null(pl_pkg_get(p, "description"));
	pl_pkgdb_release(&db);
	pl_buf_release(&b);
}

static void test_pkgdb_read_tree_status_d(void **state)
{
	struct fx *f = *state;
	struct pl_err err = PL_ERR_INIT;
	struct pl_pkgdb *db = NULL;

	assert_int_equal(pl_pkgdb_read(f->t, f->cas, &db, &err), 0);
	assert_int_equal(db->n, 0);
	pl_pkgdb_free(db);
	assert_int_equal(pkgdb_put(f, "var/lib/dpkg/status.d/zz",
				   "Package: zz\nVersion: 1\nArchitecture: all\n"),
			 0);
	assert_int_equal(
	    pkgdb_put(f, "var/lib/dpkg/status.d/aa", "Package: aa\nSource: a-src\nVersion: 2\n"),
	    0);
	assert_int_equal(pkgdb_put(f, "var/lib/dpkg/status.d/aa.md5sums", "x  y\n"), 0);
	assert_int_equal(pl_pkgdb_read(f->t, f->cas, &db, &err), 0);
	assert_int_equal(db->n, 2);
	assert_string_equal(db->pkgs[0].name, "aa");
	assert_string_equal(db->pkgs[0].source, "a-src");
	assert_string_equal(db->pkgs[0].source_version, "2");
	assert_true(db->pkgs[0].installed);
	assert_string_equal(db->pkgs[1].file, "var/lib/dpkg/status.d/zz");
	pl_pkgdb_free(db);
}

static void test_pkgdb_read_rejects_bad_paragraphs(void **state)
{
	struct pl_err err = PL_ERR_INIT;
	struct pl_pkgdb db;
	const char *bad[] = {
	    "Package: a\nStatus: install ok installed\nVersion: 1\n\nVersion: 2\n",
	    "Package: a\nStatus: install ok installed\n",
	    "Package: a\nStatus: install ok\nVersion: 1\n",
	    "Package: a\nVersion: 1\nSource: b (1\n",
	    "Package: a\nVersion: 1\nSource: b (1) x\n",
	};
	char *n = NULL, *v = NULL;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		pl_err_init(&err);
		pl_pkgdb_init(&db);
		assert_int_equal(pl_pkgdb_parse(&db, bad[i], strlen(bad[i]), "st", false, &err),
				 PL_EINVAL);
		assert_non_null(strstr(err.msg, "st:"));
		pl_pkgdb_release(&db);
	}
	/* a removed package keeps no version and counts as not installed */
	pl_pkgdb_init(&db);
	assert_int_equal(pl_pkgdb_parse(&db, "Package: a\nStatus: purge ok not-installed\n", 41,
					"st", false, &err),
			 0);
	assert_int_equal(db.n, 1);
	assert_false(db.pkgs[0].installed);
	pl_pkgdb_release(&db);
	assert_int_equal(pl_pkgdb_parse_source("  util-linux   (2.38-1) ", &n, &v, &err), 0);
	assert_string_equal(n, "util-linux");
	assert_string_equal(v, "2.38-1");
	free(n);
	free(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_pkgdb_write_matches_dpkg, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_pkgdb_write_merges_base, setup, teardown),
	    cmocka_unit_test(test_pkgdb_alt_scan_shell_forms),
	    cmocka_unit_test_setup_teardown(test_pkgdb_alternatives_match_update_alternatives,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_pkgdb_ca_bundle_matches_rehash, setup, teardown),
	    cmocka_unit_test(test_pkgdb_read_real_status_files),
	    cmocka_unit_test_setup_teardown(test_pkgdb_read_tree_status_d, setup, teardown),
	    cmocka_unit_test(test_pkgdb_read_rejects_bad_paragraphs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
