/*
 * scan: inventory (os-release, dpkg and apk databases, licenses, chroot
 * path resolution), CVSS, matching against a vulndb built in the test from
 * hand-written feeds whose answers are known and from the real feeds in
 * /work/shared/vulndata, reports, ignores and the gate.
 */
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
#include "lib/fstree.h"
#include "lib/recipe.h"
#include "lib/scan.h"
#include "lib/vulndb.h"
#include "util/buf.h"
#include "util/fsutil.h"
#include "util/json.h"
#include "util/log.h"
#include "testutil.h"

#define VD "/work/shared/vulndata/"

struct fx {
	char *dir;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->dir = tu_mkdtemp();
	pl_log_set_level(PL_LOG_QUIET);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	tu_rmtree(f->dir);
	free(f);
	return 0;
}

static bool have_vulndata(void)
{
	return access(VD "dpkg-status/bookworm-devhost.status", R_OK) == 0;
}

static void copy_in(const char *root, const char *rel, const char *src)
{
	struct pl_buf b = PL_BUF_INIT;
	struct pl_err err = PL_ERR_INIT;

	assert_int_equal(pl_read_file(src, 0, &b, &err), 0);
	tu_write(root, rel, b.data, b.len);
	pl_buf_release(&b);
}

/* A rootfs dir from a real status file and os-release (etc/os-release a relative link). */
static char *real_rootfs(const char *dir, const char *name)
{
	char src[256], *root = tu_path(dir, name);

	snprintf(src, sizeof(src), VD "dpkg-status/%s.status", name);
	copy_in(root, "var/lib/dpkg/status", src);
	snprintf(src, sizeof(src), VD "dpkg-status/%s.os-release", name);
	copy_in(root, "usr/lib/os-release", src);
	assert_int_equal(tu_sh(root, "mkdir -p etc && ln -s ../usr/lib/os-release etc/os-release"), 0);
	return root;
}

/* ---- inventory ---- */

static void test_scan_osrel_parse(void **state)
{
	static const char txt[] = "PRETTY_NAME=\"Debian GNU/Linux trixie/sid\"\n"
				  "# comment\nNAME='Debian'\nVERSION_CODENAME=trixie\n"
				  "ID=debian\nbroken line\nHOME_URL=\"https://x/\"\n";
	struct pl_osrel o;
	struct pl_err err = PL_ERR_INIT;
	struct pl_inventory inv;
	char eco[64];

	(void)state;
	assert_int_equal(pl_osrel_parse(txt, sizeof(txt) - 1, &o, &err), 0);
	assert_string_equal(o.id, "debian");
	assert_string_equal(o.codename, "trixie");
	assert_string_equal(o.pretty, "Debian GNU/Linux trixie/sid");
	assert_null(o.version_id);
	/* testing has no VERSION_ID: the codename gives the release */
	pl_inventory_init(&inv);
	inv.os = o;
	assert_int_equal(pl_scan_ecosystem(&inv, eco, sizeof(eco), &err), 0);
	assert_string_equal(eco, "debian:13");
	free(inv.os.codename);
	inv.os.codename = strdup("sid");
	assert_int_equal(pl_scan_ecosystem(&inv, eco, sizeof(eco), &err), 0);
	assert_string_equal(eco, "debian:sid");
	free(inv.os.id);
	inv.os.id = strdup("alpine");
	inv.os.version_id = strdup("3.15.4");
	assert_int_equal(pl_scan_ecosystem(&inv, eco, sizeof(eco), &err), 0);
	assert_string_equal(eco, "alpine:3.15");
	free(inv.os.id);
	inv.os.id = strdup("fedora");
	assert_int_equal(pl_scan_ecosystem(&inv, eco, sizeof(eco), &err), PL_ENOTFOUND);
	pl_inventory_release(&inv);
}

static const char apkdb[] = "C:Q1abc=\nP:musl\nV:1.2.2-r7\nA:x86_64\nS:383152\no:musl\n"
			    "L:MIT\nF:lib\nR:ld-musl-x86_64.so.1\n\n"
			    "P:zlib\nV:1.2.12-r1\nA:x86_64\no:zlib\nL:Zlib\n\n"
			    "P:libcrypto1.1\nV:1.1.1l-r0\nA:x86_64\no:openssl\nL:OpenSSL\n\n"
			    "P:zsh\nV:5.8-r0\nA:x86_64\nL:custom\n";

static void test_scan_apkdb_parse(void **state)
{
	struct pl_inventory inv;
	struct pl_err err = PL_ERR_INIT;
	static const char bad[] = "P:a\nV:1\n\nP:b\nA:x86\n";

	(void)state;
	pl_inventory_init(&inv);
	assert_int_equal(pl_apkdb_parse(&inv, apkdb, sizeof(apkdb) - 1, "installed", &err), 0);
	assert_int_equal(inv.kind, PL_INV_APK);
	assert_int_equal(inv.n, 4);
	assert_string_equal(inv.pkgs[2].name, "libcrypto1.1");
	assert_string_equal(inv.pkgs[2].source, "openssl");
	assert_string_equal(inv.pkgs[2].version, "1.1.1l-r0");
	assert_string_equal(inv.pkgs[2].source_version, "1.1.1l-r0");
	assert_string_equal(inv.pkgs[2].license, "OpenSSL");
	assert_int_equal(inv.pkgs[2].line, 17);
	assert_string_equal(inv.pkgs[3].source, "zsh"); /* no o: -> the name */
	pl_inventory_release(&inv);

	pl_inventory_init(&inv);
	assert_int_equal(pl_apkdb_parse(&inv, bad, sizeof(bad) - 1, "installed", &err), PL_EINVAL);
	assert_non_null(strstr(err.msg, "installed:4: package entry without a version"));
	pl_inventory_release(&inv);
}

static void test_scan_copyright_licenses(void **state)
{
	static const char mr[] =
		"Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n"
		"Upstream-Name: x\n\nFiles: *\nCopyright: 2020 A\nLicense: GPL-2+\n\n"
		"Files: lib/*\nLicense: BSD-3-clause\n\nFiles: debian/*\nLicense: GPL-2+\n\n"
		"License: GPL-2+\n This program is free software\n";
	static const char free_form[] = "This is Debian's prepackaged x.\n\nLicense: GPL-2\n";
	struct pl_err err = PL_ERR_INIT;
	char *out = NULL;

	(void)state;
	assert_int_equal(pl_copyright_licenses(mr, sizeof(mr) - 1, &out, &err), 0);
	assert_string_equal(out, "GPL-2+ AND BSD-3-clause");
	free(out);
	assert_int_equal(pl_copyright_licenses(free_form, sizeof(free_form) - 1, &out, &err), 0);
	assert_null(out);
}

/* rootfs:DIR never leaves the root: absolute and ../ links resolve inside it. */
static void test_scan_inventory_dir_chroot(void **state)
{
	struct fx *f = *state;
	char *root = tu_path(f->dir, "root"), *outside = tu_path(f->dir, "outside");
	char cmd[1024];
	struct pl_inventory *inv = NULL;
	struct pl_err err = PL_ERR_INIT;
	static const char status[] =
		"Package: hello\nStatus: install ok installed\nArchitecture: amd64\n"
		"Version: 2.10-3+b1\nSource: hello (2.10-3)\n\n"
		"Package: gone\nStatus: deinstall ok config-files\nVersion: 1.0\n";
	static const char sd[] = "Package: distroless\nArchitecture: amd64\nVersion: 1:1.0-1\n"
				 "Source: dl (1.0-1)\n";
	static const char osr[] = "ID=debian\nVERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\n";
	static const char evil[] = "ID=evil\n";
	static const char cr[] =
		"Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n\n"
		"Files: *\nLicense: GPL-3+\n";

	(void)state;
	tu_write(outside, "os-release", evil, sizeof(evil) - 1);
	tu_write(root, "usr/lib/os-release", osr, sizeof(osr) - 1);
	tu_write(root, "var/lib/dpkg/real-status", status, sizeof(status) - 1);
	tu_write(root, "var/lib/dpkg/status.d/distroless", sd, sizeof(sd) - 1);
	tu_write(root, "var/lib/dpkg/status.d/distroless.md5sums", "x", 1);
	tu_write(root, "usr/share/doc/hello-data/copyright", cr, sizeof(cr) - 1);
	/* etc/os-release climbs far above the root: clamped, it names usr/lib/os-release */
	snprintf(cmd, sizeof(cmd),
		 "mkdir -p etc && ln -s ../../../../../../../usr/lib/os-release etc/os-release && "
		 "ln -s /var/lib/dpkg/real-status var/lib/dpkg/status && "
		 "ln -s hello-data usr/share/doc/hello && "
		 "ln -s %s/os-release usr/lib/os-release.host", outside);
	assert_int_equal(tu_sh(root, "%s", cmd), 0);
	assert_int_equal(pl_scan_inventory_dir(root, &inv, &err), 0);
	assert_string_equal(inv->os.id, "debian");
	assert_string_equal(inv->os.version_id, "12");
	assert_int_equal(inv->kind, PL_INV_DEB);
	assert_int_equal(inv->n, 2);
	assert_string_equal(inv->pkgs[0].name, "hello");
	assert_string_equal(inv->pkgs[0].version, "2.10-3+b1");
	assert_string_equal(inv->pkgs[0].source_version, "2.10-3");
	assert_string_equal(inv->pkgs[0].license, "GPL-3+");
	assert_string_equal(inv->pkgs[0].db_path, "var/lib/dpkg/status");
	assert_string_equal(inv->pkgs[1].name, "distroless");
	assert_string_equal(inv->pkgs[1].source, "dl");
	assert_string_equal(inv->pkgs[1].db_path, "var/lib/dpkg/status.d/distroless");
	assert_null(inv->pkgs[1].license);
	pl_inventory_free(inv);

	/* an absolute link to a host file resolves inside the root: not found */
	{
		struct pl_buf b = PL_BUF_INIT;

		assert_int_equal(pl_scan_read_in_root(root, "usr/lib/os-release.host", 4096, &b, &err),
				 PL_ENOTFOUND);
		assert_int_equal(pl_scan_read_in_root(root, "/etc/../etc/./os-release", 4096, &b, &err),
				 0);
		assert_non_null(strstr(b.data, "bookworm"));
		pl_buf_release(&b);
	}
	free(root);
	free(outside);
}

static void put_file(struct pl_fstree *t, struct pl_cas *cas, const char *path, const char *s)
{
	struct pl_fsmeta m;
	struct pl_err err = PL_ERR_INIT;

	memset(&m, 0, sizeof(m));
	m.type = PL_FT_REG;
	m.mode = 0644;
	m.size = strlen(s);
	assert_int_equal(pl_cas_put_buf(cas, s, strlen(s), NULL, m.digest, &err), 0);
	assert_int_equal(pl_fstree_put(t, path, &m, &err), 0);
}

static void put_link(struct pl_fstree *t, const char *path, const char *target)
{
	struct pl_fsmeta m;
	struct pl_err err = PL_ERR_INIT;

	memset(&m, 0, sizeof(m));
	m.type = PL_FT_SYMLINK;
	m.mode = 0777;
	m.link = (char *)target;
	assert_int_equal(pl_fstree_put(t, path, &m, &err), 0);
}

static void test_scan_inventory_tree(void **state)
{
	struct fx *f = *state;
	struct pl_fstree *t = NULL;
	struct pl_cas *cas = NULL;
	struct pl_inventory *inv = NULL;
	struct pl_err err = PL_ERR_INIT;
	char *casdir = tu_path(f->dir, "cas");

	assert_int_equal(pl_cas_open(&cas, casdir, &err), 0);
	assert_int_equal(pl_fstree_new(&t, &err), 0);
	put_file(t, cas, "etc/alpine-release", "3.15.4\n");
	put_file(t, cas, "usr/lib/os-release",
		 "NAME=\"Alpine Linux\"\nID=alpine\nVERSION_ID=3.15.4\n"
		 "PRETTY_NAME=\"Alpine Linux v3.15\"\n");
	put_link(t, "etc/os-release", "../usr/lib/os-release");
	put_file(t, cas, "lib/apk/db/installed", apkdb);
	assert_int_equal(pl_scan_inventory_tree(t, cas, &inv, &err), 0);
	assert_int_equal(inv->kind, PL_INV_APK);
	assert_string_equal(inv->os.id, "alpine");
	assert_int_equal(inv->n, 4);
	assert_string_equal(inv->pkgs[1].name, "zlib");
	assert_string_equal(inv->pkgs[1].db_path, "lib/apk/db/installed");
	pl_inventory_free(inv);
	pl_fstree_free(t);
	pl_cas_free(cas);
	free(casdir);
}

static void test_scan_inventory_real_status(void **state)
{
	static const char *const names[] = {"bookworm-devhost", "bookworm-minbase",
					    "bullseye-minbase", "trixie-minbase"};
	static const size_t counts[] = {816, 96, 96, 78};
	static const char *const ecos[] = {"debian:12", "debian:12", "debian:11", "debian:13"};
	struct fx *f = *state;
	size_t i, j;

	if (!have_vulndata())
		skip();
	for (i = 0; i < 4; i++) {
		char *root = real_rootfs(f->dir, names[i]), eco[64];
		struct pl_inventory *inv = NULL;
		struct pl_err err = PL_ERR_INIT;
		size_t differ = 0;

		assert_int_equal(pl_scan_inventory_dir(root, &inv, &err), 0);
		assert_int_equal(inv->n, counts[i]);
		assert_int_equal(pl_scan_ecosystem(inv, eco, sizeof(eco), &err), 0);
		assert_string_equal(eco, ecos[i]);
		for (j = 0; j < inv->n; j++) {
			const struct pl_inv_pkg *p = &inv->pkgs[j];
			size_t sl = strlen(p->source_version);

			/* binary != source version beyond a binNMU "+bN" */
			if (strcmp(p->version, p->source_version) &&
			    !(strncmp(p->version, p->source_version, sl) == 0 &&
			      p->version[sl] == '+' && p->version[sl + 1] == 'b'))
				differ++;
			if (i == 0 && !strcmp(p->name, "bsdutils")) {
				assert_string_equal(p->version, "1:2.38.1-5+deb12u3");
				assert_string_equal(p->source, "util-linux");
				assert_string_equal(p->source_version, "2.38.1-5+deb12u3");
			}
		}
		if (i == 0)
			assert_int_equal(differ, 20);
		pl_inventory_free(inv);
		free(root);
	}
}

/* ---- CVSS ---- */

static void test_scan_cvss_scores(void **state)
{
	static const struct {
		const char *v;
		double s;
		enum pl_sev sev;
	} cases[] = {
		{"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8, PL_SEV_CRITICAL},
		{"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", 10.0, PL_SEV_CRITICAL},
		{"CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", 6.1, PL_SEV_MEDIUM},
		{"CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N", 5.5, PL_SEV_MEDIUM},
		{"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N", 7.5, PL_SEV_HIGH},
		{"CVSS:3.0/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H", 8.8, PL_SEV_HIGH},
		{"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:N/A:N", 5.3, PL_SEV_MEDIUM},
		{"CVSS:3.1/AV:L/AC:H/PR:L/UI:N/S:U/C:N/I:N/A:H", 4.7, PL_SEV_MEDIUM},
		{"CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H/E:P/RL:O", 7.8, PL_SEV_HIGH},
		{"CVSS:3.1/AV:P/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N", 1.6, PL_SEV_LOW},
		{"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N", 0.0, PL_SEV_NONE},
	};
	struct pl_err err = PL_ERR_INIT;
	double s;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(pl_cvss3_score(cases[i].v, &s, &err), 0);
		if (s < cases[i].s - 0.001 || s > cases[i].s + 0.001)
			fail_msg("%s: %.1f, want %.1f", cases[i].v, s, cases[i].s);
		assert_int_equal(pl_cvss_rating(s), cases[i].sev);
	}
	assert_int_equal(pl_cvss3_score("AV:N/AC:L/Au:N/C:P/I:P/A:P", &s, &err), PL_EINVAL);
	assert_int_equal(pl_cvss3_score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H", &s, NULL),
			 PL_EINVAL);
	assert_int_equal(pl_sev_from_urgency("unimportant"), PL_SEV_NEGLIGIBLE);
	assert_int_equal(pl_sev_from_urgency("high"), PL_SEV_HIGH);
	assert_int_equal(pl_sev_from_urgency("high**"), PL_SEV_UNKNOWN);
	assert_int_equal(pl_sev_from_urgency("low*"), PL_SEV_UNKNOWN);
	assert_int_equal(pl_sev_from_urgency("not yet assigned"), PL_SEV_UNKNOWN);
}

/* ---- matching ---- */

/* Hand-written tracker data for bookworm, relative to bookworm-devhost's versions. */
static const char tracker[] =
	"{\"openssl\": {"
	" \"CVE-2099-0001\": {\"description\": \"openssl bug one\", \"releases\": {\"bookworm\":"
	"  {\"status\": \"resolved\", \"fixed_version\": \"3.0.20-1~deb12u1\", \"urgency\": \"high\","
	"   \"repositories\": {\"bookworm\": \"3.0.19-1~deb12u2\"}}}},"
	" \"CVE-2099-0002\": {\"releases\": {\"bookworm\": {\"status\": \"resolved\","
	"   \"fixed_version\": \"3.0.11-1~deb12u2\", \"urgency\": \"medium\", \"repositories\": {}}}},"
	" \"CVE-2099-0003\": {\"releases\": {\"bookworm\": {\"status\": \"resolved\","
	"   \"fixed_version\": \"0\", \"urgency\": \"unimportant\", \"repositories\": {}}}},"
	" \"CVE-2099-0004\": {\"releases\": {\"bullseye\": {\"status\": \"open\","
	"   \"urgency\": \"high\", \"repositories\": {}}}}},"
	"\"glibc\": {"
	" \"CVE-2099-0010\": {\"releases\": {\"bookworm\": {\"status\": \"open\","
	"   \"urgency\": \"unimportant\", \"repositories\": {}}}},"
	" \"CVE-2099-0011\": {\"releases\": {\"bookworm\": {\"status\": \"open\","
	"   \"nodsa\": \"Minor issue\", \"nodsa_reason\": \"\", \"urgency\": \"medium**\","
	"   \"repositories\": {}}}}},"
	"\"bash\": {"
	" \"CVE-2099-0020\": {\"releases\": {\"bookworm\": {\"status\": \"resolved\","
	"   \"fixed_version\": \"5.2.15-3\", \"urgency\": \"not yet assigned\", \"repositories\": {}}}}},"
	"\"coreutils\": {"
	" \"CVE-2099-0030\": {\"releases\": {\"bookworm\": {\"status\": \"resolved\","
	"   \"fixed_version\": \"9.1-1\", \"urgency\": \"low\", \"repositories\": {}}}}},"
	"\"lvm2\": {"
	" \"CVE-2099-0040\": {\"releases\": {\"bookworm\": {\"status\": \"resolved\","
	"   \"fixed_version\": \"2.03.16-3\", \"urgency\": \"medium\", \"repositories\": {}}}}},"
	"\"osslsigncode\": {"
	" \"CVE-2099-0050\": {\"releases\": {\"bookworm\": {\"status\": \"resolved\","
	"   \"fixed_version\": \"2.5-1\", \"urgency\": \"low\", \"repositories\": {}}}},"
	" \"CVE-2099-0051\": {\"releases\": {\"bookworm\": {\"status\": \"resolved\","
	"   \"fixed_version\": \"2.9-1\", \"urgency\": \"medium\", \"repositories\": {}}}}},"
	"\"curl\": {"
	" \"CVE-2099-0060\": {\"releases\": {\"bookworm\": {\"status\": \"open\","
	"   \"urgency\": \"high\", \"repositories\": {}}}}},"
	"\"tar\": {"
	" \"CVE-2099-0070\": {\"releases\": {\"bookworm\": {\"status\": \"open\","
	"   \"urgency\": \"end-of-life\", \"repositories\": {}}}}}"
	"}";

/* OSV: bash has a CVSS vector (severity when the tracker has none); coreutils only in OSV. */
static const char osv_bash[] =
	"{\"id\": \"DEBIAN-CVE-2099-0020\", \"modified\": \"2024-01-01T00:00:00Z\","
	" \"aliases\": [\"CVE-2099-0020\"],"
	" \"severity\": [{\"type\": \"CVSS_V3\", \"score\": "
	"\"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H\"}],"
	" \"affected\": [{\"package\": {\"ecosystem\": \"Debian:12\", \"name\": \"bash\"},"
	"  \"ranges\": [{\"type\": \"ECOSYSTEM\", \"events\": [{\"introduced\": \"0\"},"
	"   {\"fixed\": \"5.2.15-4\"}]}]}]}";
static const char osv_coreutils[] =
	"{\"id\": \"DSA-9999-1\", \"modified\": \"2024-01-01T00:00:00Z\","
	" \"summary\": \"coreutils security update\", \"related\": [\"CVE-2099-0031\"],"
	" \"severity\": [{\"type\": \"CVSS_V3\", \"score\": "
	"\"CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N\"}],"
	" \"affected\": [{\"package\": {\"ecosystem\": \"Debian:12\", \"name\": \"coreutils\"},"
	"  \"ranges\": [{\"type\": \"ECOSYSTEM\", \"events\": [{\"introduced\": \"0\"},"
	"   {\"fixed\": \"9.1-2\"}]}]}]}";
static const char curl_changelog[] =
	"curl (7.88.1-10+deb12u14) bookworm-security; urgency=medium\n\n"
	"  * Fix CVE-2099-0060: a bug.\n\n"
	" -- Maintainer <m@example.org>  Mon, 01 Jan 2024 00:00:00 +0000\n";

static struct pl_vulndb *open_db(const char *dir, const char *name)
{
	struct pl_vulndb *db = NULL;
	struct pl_err err = PL_ERR_INIT;
	char *path = tu_path(dir, name);

	if (pl_vulndb_open(&db, path, true, &err) < 0)
		fail_msg("vulndb open: %s", err.msg);
	free(path);
	return db;
}

static void import_buf(struct pl_vulndb *db, enum pl_feed_kind k, const char *name,
		       const char *data)
{
	struct pl_err err = PL_ERR_INIT;
	struct pl_vulndb_stats st;

	memset(&st, 0, sizeof(st));
	if (pl_vulndb_import_buf(db, k, name, data, strlen(data), &st, &err) < 0)
		fail_msg("import %s: %s", name, err.msg);
}

static struct pl_vulndb *handwritten_db(const char *dir)
{
	struct pl_vulndb *db = open_db(dir, "hand.db");
	struct pl_err err = PL_ERR_INIT;
	struct pl_vulndb_stats st;

	import_buf(db, PL_FEED_DEBIAN_TRACKER, "tracker.json", tracker);
	import_buf(db, PL_FEED_OSV, "DEBIAN-CVE-2099-0020.json", osv_bash);
	import_buf(db, PL_FEED_OSV, "DSA-9999-1.json", osv_coreutils);
	memset(&st, 0, sizeof(st));
	if (pl_vulndb_import_changelog(db, "debian:12", "curl.changelog", curl_changelog,
				       strlen(curl_changelog), &st, &err) < 0)
		fail_msg("changelog: %s", err.msg);
	return db;
}

static const struct pl_finding *find(const struct pl_report *r, const char *cve, const char *pkg)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		if (!strcmp(r->v[i].cve, cve) && !strcmp(r->v[i].package, pkg))
			return &r->v[i];
	return NULL;
}

static size_t count_cve(const struct pl_report *r, const char *cve)
{
	size_t i, n = 0;

	for (i = 0; i < r->n; i++)
		n += !strcmp(r->v[i].cve, cve);
	return n;
}

static void scan_real(const char *dir, const char *name, struct pl_vulndb *db,
		      struct pl_report **r)
{
	char *root = real_rootfs(dir, name);
	struct pl_inventory *inv = NULL;
	struct pl_err err = PL_ERR_INIT;
	struct pl_scan_opts o = {"rootfs:test", NULL};

	assert_int_equal(pl_scan_inventory_dir(root, &inv, &err), 0);
	if (pl_scan_run(inv, db, &o, r, &err) < 0)
		fail_msg("scan: %s", err.msg);
	pl_inventory_free(inv);
	free(root);
}

static void test_scan_match_handwritten_bookworm(void **state)
{
	struct fx *f = *state;
	struct pl_vulndb *db;
	struct pl_report *r = NULL;
	const struct pl_finding *x;

	if (!have_vulndata())
		skip();
	db = handwritten_db(f->dir);
	scan_real(f->dir, "bookworm-devhost", db, &r);
	assert_int_equal(r->packages, 816);
	assert_string_equal(r->ecosystem, "debian:12");
	assert_true(!strncmp(r->db_digest, "sha256:", 7));

	/* fixed: an update exists, for every binary of source openssl */
	assert_int_equal(count_cve(r, "CVE-2099-0001"), 3);
	x = find(r, "CVE-2099-0001", "libssl3");
	assert_non_null(x);
	assert_int_equal(x->state, PL_FSTATE_FIXED);
	assert_int_equal(x->sev, PL_SEV_HIGH);
	assert_string_equal(x->source, "openssl");
	assert_string_equal(x->fixed, "3.0.20-1~deb12u1");
	assert_string_equal(x->feed, "debian-tracker");
	assert_string_equal(x->why, "source openssl 3.0.19-1~deb12u2 < 3.0.20-1~deb12u1 fixed in "
				    "CVE-2099-0001 (debian-tracker, bookworm)");
	/* installed >= fixed, not-affected ("0"), another release: nothing */
	assert_int_equal(count_cve(r, "CVE-2099-0002"), 0);
	assert_int_equal(count_cve(r, "CVE-2099-0003"), 0);
	assert_int_equal(count_cve(r, "CVE-2099-0004"), 0);

	/* open (unimportant) and nodsa (wont-fix), on all 9 glibc binaries */
	assert_int_equal(count_cve(r, "CVE-2099-0010"), 9);
	x = find(r, "CVE-2099-0010", "libc6");
	assert_non_null(x);
	assert_int_equal(x->state, PL_FSTATE_UNFIXED);
	assert_int_equal(x->sev, PL_SEV_NEGLIGIBLE);
	assert_null(x->fixed);
	assert_int_equal(count_cve(r, "CVE-2099-0011"), 9);
	x = find(r, "CVE-2099-0011", "locales");
	assert_non_null(x);
	assert_int_equal(x->state, PL_FSTATE_WONT_FIX);
	assert_int_equal(x->sev, PL_SEV_UNKNOWN); /* "medium**" and no vector */

	/* binNMU: bash 5.2.15-2+b8 compared as source 5.2.15-2; tracker's fix wins over OSV's;
	 * "not yet assigned" -> the OSV CVSS vector (9.8) gives the severity */
	x = find(r, "CVE-2099-0020", "bash");
	assert_non_null(x);
	assert_string_equal(x->installed, "5.2.15-2+b8");
	assert_string_equal(x->source_version, "5.2.15-2");
	assert_string_equal(x->fixed, "5.2.15-3");
	assert_string_equal(x->feed, "debian-tracker");
	assert_int_equal(x->sev, PL_SEV_CRITICAL);
	assert_true(x->cvss > 9.79 && x->cvss < 9.81);

	/* coreutils: tracker says fixed at the installed version; OSV alone speaks of 0031 */
	assert_int_equal(count_cve(r, "CVE-2099-0030"), 0);
	x = find(r, "CVE-2099-0031", "coreutils");
	assert_non_null(x);
	assert_string_equal(x->feed, "osv");
	assert_string_equal(x->record, "DSA-9999-1");
	assert_string_equal(x->fixed, "9.1-2");
	assert_int_equal(x->sev, PL_SEV_MEDIUM);

	/* epoch in the binary only: dmsetup 2:1.02.185-2 from lvm2 2.03.16-2 < 2.03.16-3 */
	assert_int_equal(count_cve(r, "CVE-2099-0040"), 2);
	x = find(r, "CVE-2099-0040", "dmsetup");
	assert_non_null(x);
	assert_string_equal(x->installed, "2:1.02.185-2");
	assert_string_equal(x->source_version, "2.03.16-2");

	/* backport 2.9-1~bpo12+1: >= 2.5-1 (not reported), < 2.9-1 (reported) */
	assert_int_equal(count_cve(r, "CVE-2099-0050"), 0);
	x = find(r, "CVE-2099-0051", "osslsigncode");
	assert_non_null(x);
	assert_string_equal(x->fixed, "2.9-1");

	/* tracker open, but the installed changelog names the fix: suppressed */
	assert_int_equal(count_cve(r, "CVE-2099-0060"), 0);

	/* end-of-life */
	x = find(r, "CVE-2099-0070", "tar");
	assert_non_null(x);
	assert_int_equal(x->state, PL_FSTATE_EOL);

	assert_int_equal(r->n, 3 + 9 + 9 + 1 + 1 + 2 + 1 + 1);
	assert_int_equal(r->by_state[PL_FSTATE_FIXED], 3 + 1 + 1 + 2 + 1);
	assert_int_equal(r->by_state[PL_FSTATE_UNFIXED], 9);
	assert_int_equal(r->by_state[PL_FSTATE_WONT_FIX], 9);
	assert_int_equal(r->by_state[PL_FSTATE_EOL], 1);
	assert_int_equal(r->by_sev[PL_SEV_CRITICAL], 1);
	assert_int_equal(r->by_sev[PL_SEV_HIGH], 3);
	/* sorted by severity desc, then package */
	assert_string_equal(r->v[0].package, "bash");
	assert_string_equal(r->v[1].package, "libssl-dev");
	pl_report_free(r);

	/* the same database on bullseye: only the bullseye statement (openssl 0004) */
	scan_real(f->dir, "bullseye-minbase", db, &r);
	assert_string_equal(r->ecosystem, "debian:11");
	pl_report_free(r);
	pl_vulndb_close(db);
}

static void test_scan_match_real_feeds(void **state)
{
	struct fx *f = *state;
	struct pl_vulndb *db;
	struct pl_report *r = NULL;
	struct pl_err err = PL_ERR_INIT;
	struct pl_vulndb_stats st;
	const struct pl_finding *x;
	static const char *const feeds[] = {
		VD "debian-tracker-json/osvdev-debian_security_tracker_mock.json",
		VD "debian-tracker-json/vunnel-debian.json",
		VD "debian-osv/osvdev-DSA-3029-1.json",
		VD "debian-osv/elts-advisories",
		VD "alpine-secdb/vunnel-v3.15-main.yaml",
		VD "alpine-secdb/vunnel-v3.15-community.yaml",
	};
	size_t i;

	if (!have_vulndata())
		skip();
	db = open_db(f->dir, "real.db");
	for (i = 0; i < sizeof(feeds) / sizeof(feeds[0]); i++) {
		memset(&st, 0, sizeof(st));
		if (pl_vulndb_import_path(db, feeds[i], PL_FEED_AUTO, &st, &err) < 0)
			fail_msg("import %s: %s", feeds[i], err.msg);
	}
	/* apparmor: CVE-2014-1424 "0" (not affected), CVE-2017-6507 fixed in 2.11.0-3
	 * (older than 3.0.8-3), CVE-2016-1585 open/unimportant: the one finding */
	scan_real(f->dir, "bookworm-devhost", db, &r);
	assert_int_equal(r->n, 1);
	x = find(r, "CVE-2016-1585", "libapparmor1");
	assert_non_null(x);
	assert_int_equal(x->state, PL_FSTATE_UNFIXED);
	assert_int_equal(x->sev, PL_SEV_NEGLIGIBLE);
	assert_string_equal(x->source, "apparmor");
	pl_report_free(r);
	/* minbase images hold no package those feeds know for their releases */
	scan_real(f->dir, "bookworm-minbase", db, &r);
	assert_int_equal(r->n, 0);
	pl_report_free(r);
	scan_real(f->dir, "trixie-minbase", db, &r);
	assert_int_equal(r->n, 0);
	pl_report_free(r);

	/* Alpine 3.15 against the real secdb excerpt */
	{
		char *root = tu_path(f->dir, "alpine");
		static const char osr[] = "ID=alpine\nVERSION_ID=3.15.4\nPRETTY_NAME=\"Alpine v3.15\"\n";
		struct pl_inventory *inv = NULL;

		tu_write(root, "etc/os-release", osr, sizeof(osr) - 1);
		tu_write(root, "lib/apk/db/installed", apkdb, sizeof(apkdb) - 1);
		assert_int_equal(pl_scan_inventory_dir(root, &inv, &err), 0);
		if (pl_scan_run(inv, db, NULL, &r, &err) < 0)
			fail_msg("scan: %s", err.msg);
		assert_string_equal(r->ecosystem, "alpine:3.15");
		/* zlib 1.2.12-r1: CVE-2018-25032 fixed in -r0 (no), CVE-2022-37434 in -r2 (yes);
		 * zsh 5.8-r0: CVE-2021-45444 fixed in 5.8.1-r0 */
		assert_int_equal(r->n, 2);
		x = find(r, "CVE-2022-37434", "zlib");
		assert_non_null(x);
		assert_string_equal(x->fixed, "1.2.12-r2");
		assert_int_equal(x->state, PL_FSTATE_FIXED);
		assert_non_null(find(r, "CVE-2021-45444", "zsh"));
		pl_report_free(r);
		pl_inventory_free(inv);
		free(root);
	}
	pl_vulndb_close(db);
}

/* ---- reports, ignores, gate ---- */

static void test_scan_reports_ignores_gate(void **state)
{
	struct fx *f = *state;
	struct pl_vulndb *db;
	struct pl_report *r = NULL;
	struct pl_ignores *ig = NULL;
	struct pl_err err = PL_ERR_INIT;
	struct pl_buf b = PL_BUF_INIT;
	json_t *j;
	static const char ign[] =
		"ignore:\n"
		"  - id: CVE-2099-0020\n    reason: bash is not reachable in this image\n"
		"  - id: CVE-2099-0001\n    package: libssl-dev\n    reason: headers only\n"
		"    expires: 2030-01-01\n"
		"  - id: CVE-2099-0040\n    reason: old waiver\n    expires: 2020-06-30\n";
	static const char bad1[] = "- id: CVE-2099-1\n  package: x\n";
	static const char bad2[] = "- id: CVE-2099-1\n  reason: r\n  expires: 2023-02-30\n";
	static const char bad3[] = "- {id: CVE-2099-1, reason: r, colour: red}\n";

	if (!have_vulndata())
		skip();
	db = handwritten_db(f->dir);
	scan_real(f->dir, "bookworm-devhost", db, &r);

	/* gate before ignores: critical bash and high openssl break fail_on high */
	assert_int_equal(pl_scan_gate(r, PL_SEV_HIGH, true, &err), PL_EPOLICY);
	assert_non_null(strstr(err.msg, "4 findings at or above high with a fix"));
	assert_non_null(strstr(err.msg, "CVE-2099-0020 in bash 5.2.15-2+b8 (critical, fixed in 5.2.15-3)"));
	pl_err_init(&err);

	assert_int_equal(pl_ignores_parse(ign, sizeof(ign) - 1, ".plinthignore.yaml", &ig, &err), 0);
	assert_int_equal(ig->n, 3);
	assert_int_equal(pl_report_apply_ignores(r, ig, "2026-01-15", &err), 0);
	assert_int_equal(r->ignored, 2);
	assert_int_equal(r->nexpired, 1);
	assert_string_equal(r->expired[0].id, "CVE-2099-0040");
	assert_string_equal(r->expired[0].where, ".plinthignore.yaml:8:5");
	assert_true(find(r, "CVE-2099-0040", "dmsetup")->ignored == false);
	assert_true(find(r, "CVE-2099-0001", "libssl-dev")->ignored);
	assert_false(find(r, "CVE-2099-0001", "libssl3")->ignored);
	/* still breaks on libssl3 and openssl */
	assert_int_equal(pl_scan_gate(r, PL_SEV_HIGH, true, &err), PL_EPOLICY);
	assert_non_null(strstr(err.msg, "2 findings"));
	pl_err_init(&err);
	assert_int_equal(pl_scan_gate(r, PL_SEV_CRITICAL, false, &err), 0);
	/* medium with unfixed counted: wont-fix "medium**" is unknown, not medium */
	assert_int_equal(pl_scan_gate(r, PL_SEV_MEDIUM, false, &err), PL_EPOLICY);
	assert_non_null(strstr(err.msg, "6 findings at or above medium:"));
	pl_err_init(&err);
	assert_int_equal(pl_scan_gate(r, PL_SEV_NONE, false, &err), 0);

	/* table */
	assert_int_equal(pl_report_table(r, &b, &err), 0);
	assert_non_null(strstr(b.data, "\nlibssl3 3.0.19-1~deb12u2 -> 3.0.20-1~deb12u1\n"));
	assert_non_null(strstr(b.data, "\ndmsetup 2:1.02.185-2 -> 2.03.16-3\n"));
	assert_non_null(strstr(b.data, "\nlibc6 2.36-9+deb12u14 -> (no fix)\n"));
	assert_non_null(strstr(b.data, "expired ignore: CVE-2099-0040 (expired 2020-06-30"));
	assert_non_null(strstr(b.data, "[ignored: bash is not reachable in this image]"));
	pl_buf_reset(&b);

	/* JSON: stable and complete */
	assert_int_equal(pl_report_json(r, &b, &err), 0);
	assert_int_equal(pl_json_load(b.data, b.len, "report", &j, &err), 0);
	assert_string_equal(pl_json_str(j, "schema"), "plinth-scan/1");
	assert_int_equal(json_array_size(json_object_get(j, "findings")), r->n);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "counts"), "ignored")),
			 2);
	assert_string_equal(pl_json_str(json_array_get(json_object_get(j, "findings"), 0), "cve"),
			    "CVE-2099-0020");
	json_decref(j);
	{
		struct pl_buf b2 = PL_BUF_INIT;

		assert_int_equal(pl_report_json(r, &b2, &err), 0);
		assert_int_equal(b.len, b2.len);
		assert_memory_equal(b.data, b2.data, b.len);
		pl_buf_release(&b2);
	}
	pl_buf_reset(&b);

	/* SARIF 2.1.0: one rule per CVE, results located at the status file */
	assert_int_equal(pl_report_sarif(r, &b, &err), 0);
	assert_int_equal(pl_json_load(b.data, b.len, "sarif", &j, &err), 0);
	assert_string_equal(pl_json_str(j, "version"), "2.1.0");
	{
		json_t *run = json_array_get(json_object_get(j, "runs"), 0);
		json_t *rules = json_object_get(json_object_get(json_object_get(run, "tool"), "driver"),
						"rules");
		json_t *res = json_object_get(run, "results"), *r0 = json_array_get(res, 0);
		json_t *loc = json_object_get(json_object_get(json_array_get(
							      json_object_get(r0, "locations"), 0),
							      "physicalLocation"),
					      "artifactLocation");

		assert_int_equal(json_array_size(rules), 8);
		assert_int_equal(json_array_size(res), r->n);
		assert_string_equal(pl_json_str(r0, "level"), "error");
		assert_string_equal(pl_json_str(loc, "uri"), "var/lib/dpkg/status");
		assert_non_null(json_object_get(r0, "suppressions")); /* bash is ignored */
	}
	json_decref(j);
	pl_buf_release(&b);

	/* ignore file errors carry file:line:col */
	pl_ignores_free(ig);
	ig = NULL;
	pl_err_init(&err);
	assert_int_equal(pl_ignores_parse(bad1, sizeof(bad1) - 1, "i.yaml", &ig, &err), PL_EINVAL);
	assert_non_null(strstr(err.msg, "i.yaml:1:3:"));
	assert_non_null(strstr(err.msg, "reason"));
	pl_err_init(&err);
	assert_int_equal(pl_ignores_parse(bad2, sizeof(bad2) - 1, "i.yaml", &ig, &err), PL_EINVAL);
	assert_non_null(strstr(err.msg, "i.yaml:3:12:"));
	pl_err_init(&err);
	assert_int_equal(pl_ignores_parse(bad3, sizeof(bad3) - 1, "i.yaml", &ig, &err), PL_EINVAL);
	assert_non_null(strstr(err.msg, "colour"));
	pl_err_init(&err);
	assert_int_equal(pl_ignores_parse("", 0, "i.yaml", &ig, &err), 0);
	assert_int_equal(ig->n, 0);
	pl_ignores_free(ig);

	pl_report_free(r);
	pl_vulndb_close(db);
}

/* ---- SBOM ---- */

static void test_scan_sbom_spdx_cyclonedx(void **state)
{
	struct fx *f = *state;
	struct pl_inventory *inv = NULL;
	struct pl_err err = PL_ERR_INIT;
	struct pl_buf b = PL_BUF_INIT, b2 = PL_BUF_INIT;
	struct pl_sbom_opts o = {"registry.local/base:12",
				 "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
				 1700000000, "plinth-test", NULL};
	json_t *j, *pkgs, *rels;
	char *root;
	size_t i;
	bool described = false;

	if (!have_vulndata())
		skip();
	root = real_rootfs(f->dir, "bookworm-devhost");
	assert_int_equal(pl_scan_inventory_dir(root, &inv, &err), 0);
	for (i = 0; i < inv->n; i++)
		if (!strcmp(inv->pkgs[i].name, "bsdutils"))
			break;
	assert_true(i < inv->n);
	assert_int_equal(pl_purl(inv, &inv->pkgs[i], &b, &err), 0);
	assert_string_equal(b.data, "pkg:deb/debian/bsdutils@1%3A2.38.1-5+deb12u3?arch=amd64"
				    "&distro=debian-12&upstream=util-linux");
	pl_buf_reset(&b);

	assert_int_equal(pl_sbom_spdx(inv, &o, &b, &err), 0);
	assert_int_equal(pl_sbom_spdx(inv, &o, &b2, &err), 0);
	assert_int_equal(b.len, b2.len);
	assert_memory_equal(b.data, b2.data, b.len);
	assert_int_equal(pl_json_load(b.data, b.len, "spdx", &j, &err), 0);
	assert_string_equal(pl_json_str(j, "spdxVersion"), "SPDX-2.3");
	assert_string_equal(pl_json_str(j, "dataLicense"), "CC0-1.0");
	assert_string_equal(pl_json_str(j, "SPDXID"), "SPDXRef-DOCUMENT");
	assert_string_equal(pl_json_str(j, "name"), "registry.local/base:12");
	assert_non_null(pl_json_str(j, "documentNamespace"));
	assert_string_equal(pl_json_str(json_object_get(j, "creationInfo"), "created"),
			    "2023-11-14T22:13:20Z");
	assert_true(json_array_size(json_object_get(json_object_get(j, "creationInfo"),
						    "creators")) >= 1);
	pkgs = json_object_get(j, "packages");
	assert_int_equal(json_array_size(pkgs), inv->n + 1);
	for (i = 0; i < json_array_size(pkgs); i++) {
		json_t *p = json_array_get(pkgs, i);

		assert_non_null(pl_json_str(p, "SPDXID"));
		assert_true(!strncmp(pl_json_str(p, "SPDXID"), "SPDXRef-", 8));
		assert_non_null(pl_json_str(p, "name"));
		assert_non_null(pl_json_str(p, "downloadLocation"));
	}
	rels = json_object_get(j, "relationships");
	for (i = 0; i < json_array_size(rels); i++) {
		json_t *rel = json_array_get(rels, i);

		if (!strcmp(pl_json_str(rel, "relationshipType"), "DESCRIBES") &&
		    !strcmp(pl_json_str(rel, "spdxElementId"), "SPDXRef-DOCUMENT") &&
		    !strcmp(pl_json_str(rel, "relatedSpdxElement"), "SPDXRef-Image"))
			described = true;
	}
	assert_true(described);
	json_decref(j);
	pl_buf_reset(&b);

	assert_int_equal(pl_sbom_cyclonedx(inv, &o, &b, &err), 0);
	assert_int_equal(pl_json_load(b.data, b.len, "cdx", &j, &err), 0);
	assert_string_equal(pl_json_str(j, "bomFormat"), "CycloneDX");
	assert_string_equal(pl_json_str(j, "specVersion"), "1.5");
	assert_true(!strncmp(pl_json_str(j, "serialNumber"), "urn:uuid:", 9));
	assert_int_equal(strlen(pl_json_str(j, "serialNumber")), 9 + 36);
	assert_string_equal(pl_json_str(json_object_get(json_object_get(j, "metadata"), "component"),
					"name"),
			    "registry.local/base:12");
	assert_int_equal(json_array_size(json_object_get(j, "components")), inv->n);
	for (i = 0; i < json_array_size(json_object_get(j, "components")); i++)
		assert_true(!strncmp(pl_json_str(json_array_get(json_object_get(j, "components"), i),
						 "purl"),
				     "pkg:deb/debian/", 15));
	json_decref(j);

	pl_buf_release(&b);
	pl_buf_release(&b2);
	pl_inventory_free(inv);
	free(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scan_osrel_parse),
		cmocka_unit_test(test_scan_apkdb_parse),
		cmocka_unit_test(test_scan_copyright_licenses),
		cmocka_unit_test_setup_teardown(test_scan_inventory_dir_chroot, setup, teardown),
		cmocka_unit_test_setup_teardown(test_scan_inventory_tree, setup, teardown),
		cmocka_unit_test_setup_teardown(test_scan_inventory_real_status, setup, teardown),
		cmocka_unit_test(test_scan_cvss_scores),
		cmocka_unit_test_setup_teardown(test_scan_match_handwritten_bookworm, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_scan_match_real_feeds, setup, teardown),
		cmocka_unit_test_setup_teardown(test_scan_reports_ignores_gate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_scan_sbom_spdx_cyclonedx, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
