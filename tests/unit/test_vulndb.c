/*
 * vulndb: real feeds from the vulndata collection (ELTS OSV advisories, osv.dev
 * DSA/DLA records, Debian tracker JSON excerpts, Alpine secdb YAML) are
 * imported and the facts read from those files are looked up; synthetic
 * feeds cover the edges (several intervals, withdrawn, unknown ecosystems,
 * malformed records, tracker no-dsa/end-of-life semantics, changelogs,
 * changed feeds, schema migration). $PL_VULNDATA overrides the data path.
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
#include <sqlite3.h>

#include "lib/vulndb.h"
#include "util/buf.h"
#include "util/fsutil.h"
#include "util/log.h"
#include "testutil.h"

struct fx {
	char *dir, *dbpath;
	struct pl_vulndb *db;
	struct pl_buf warnings;
	int nwarn;
};

static void on_warn(const char *msg, void *ctx)
{
	struct fx *f = ctx;

	f->nwarn++;
	if (pl_buf_adds(&f->warnings, msg, NULL) < 0 || pl_buf_addch(&f->warnings, '\n', NULL) < 0)
		abort();
}

static const char *vulndata(void)
{
	const char *d = getenv("PL_VULNDATA");

	return d && *d ? d : "/work/shared/vulndata";
}

static char *vd(const char *rel)
{
	return tu_path(vulndata(), rel);
}

static void need_vulndata(void)
{
	struct stat sb;
	char *p = vd("README.md");

	if (stat(p, &sb) != 0) {
		free(p);
		skip();
	}
	free(p);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct pl_err err = PL_ERR_INIT;

	assert_non_null(f);
	f->dir = tu_mkdtemp();
	f->dbpath = tu_path(f->dir, "vuln.db");
	pl_buf_init(&f->warnings, 0);
	pl_log_set_level(PL_LOG_QUIET);
	assert_int_equal(pl_vulndb_open(&f->db, f->dbpath, true, &err), 0);
	pl_vulndb_set_warn(f->db, on_warn, f);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	pl_vulndb_close(f->db);
	if (getenv("PL_TEST_VERBOSE") && f->warnings.data)
		fputs(f->warnings.data, stderr);
	pl_buf_release(&f->warnings);
	free(f->dbpath);
	tu_rmtree(f->dir);
	free(f);
	return 0;
}

/* ---- collecting look-ups ---- */

struct row {
	char *record, *feed, *feed_name, *ecosystem, *package, *introduced, *fixed, *last_affected,
	    *urgency, *reason, *note, *cvss, *summary, *details, *published, *modified;
	enum pl_vuln_status status;
	char *versions; /* ' '-joined */
	char *cves;	/* ' '-joined */
};

struct rows {
	struct row v[512];
	size_t n;
};

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

static char *join(const char *const *l)
{
	struct pl_buf b = PL_BUF_INIT;

	if (!l)
		return NULL;
	for (size_t i = 0; l[i]; i++)
		if ((i && pl_buf_addch(&b, ' ', NULL) < 0) || pl_buf_adds(&b, l[i], NULL) < 0)
			abort();
	return b.data ? pl_buf_detach(&b, NULL) : strdup("");
}

static int collect_fn(const struct pl_vulndb_affected *a, void *ctx, struct pl_err *err)
{
	struct rows *r = ctx;
	struct row *w;

	(void)err;
	assert_true(r->n < sizeof(r->v) / sizeof(r->v[0]));
	assert_non_null(a->cves);
	w = &r->v[r->n++];
	w->record = dup_or_null(a->record);
	w->feed = dup_or_null(a->feed);
	w->feed_name = dup_or_null(a->feed_name);
	w->ecosystem = dup_or_null(a->ecosystem);
	w->package = dup_or_null(a->package);
	w->introduced = dup_or_null(a->introduced);
	w->fixed = dup_or_null(a->fixed);
	w->last_affected = dup_or_null(a->last_affected);
	w->urgency = dup_or_null(a->urgency);
	w->reason = dup_or_null(a->reason);
	w->note = dup_or_null(a->note);
	w->cvss = dup_or_null(a->cvss_vector);
	w->summary = dup_or_null(a->summary);
	w->details = dup_or_null(a->details);
	w->published = dup_or_null(a->published);
	w->modified = dup_or_null(a->modified);
	w->status = a->status;
	w->versions = join(a->versions);
	w->cves = join(a->cves);
	return 0;
}

static void rows_free(struct rows *r)
{
	for (size_t i = 0; i < r->n; i++) {
		struct row *w = &r->v[i];

		free(w->record);
		free(w->feed);
		free(w->feed_name);
		free(w->ecosystem);
		free(w->package);
		free(w->introduced);
		free(w->fixed);
		free(w->last_affected);
		free(w->urgency);
		free(w->reason);
		free(w->note);
		free(w->cvss);
		free(w->summary);
		free(w->details);
		free(w->published);
		free(w->modified);
		free(w->versions);
		free(w->cves);
	}
	free(r);
}

static struct rows *lookup(struct fx *f, const char *eco, const char *pkg)
{
	struct rows *r = calloc(1, sizeof(*r));
	struct pl_err err = PL_ERR_INIT;

	assert_non_null(r);
	assert_int_equal(pl_vulndb_lookup(f->db, eco, pkg, collect_fn, r, &err), 0);
	return r;
}

/* The nth row about record (0-based), or NULL. */
static const struct row *find(const struct rows *r, const char *record, size_t nth)
{
	for (size_t i = 0; i < r->n; i++)
		if (strcmp(r->v[i].record, record) == 0 && nth-- == 0)
			return &r->v[i];
	return NULL;
}

static size_t count(const struct rows *r, const char *record)
{
	size_t n = 0;

	for (size_t i = 0; i < r->n; i++)
		n += strcmp(r->v[i].record, record) == 0;
	return n;
}

static int count_feed(const struct pl_vulndb_feed *fd, void *ctx, struct pl_err *err)
{
	(void)fd;
	(void)err;
	(*(int *)ctx)++;
	return 0;
}

static int nfeeds(struct fx *f)
{
	struct pl_err err = PL_ERR_INIT;
	int n = 0;

	assert_int_equal(pl_vulndb_feeds(f->db, count_feed, &n, &err), 0);
	return n;
}

static void import_buf(struct fx *f, enum pl_feed_kind kind, const char *name, const char *text,
		       struct pl_vulndb_stats *st)
{
	struct pl_err err = PL_ERR_INIT;
	int rc = pl_vulndb_import_buf(f->db, kind, name, text, strlen(text), st, &err);

	if (rc != 0)
		fail_msg("import '%s': %s", name, err.msg);
}

static bool warned(struct fx *f, const char *a, const char *b)
{
	/* one warning line holding both a and b */
	for (const char *p = f->warnings.data; p && *p;) {
		const char *nl = strchr(p, '\n');
		char *line = strndup(p, nl ? (size_t)(nl - p) : strlen(p));
		bool yes = strstr(line, a) && (!b || strstr(line, b));

		free(line);
		if (yes)
			return true;
		p = nl ? nl + 1 : p + strlen(p);
	}
	return false;
}

static void put(const char *dir, const char *rel, const char *text)
{
	tu_write(dir, rel, text, strlen(text));
}

/* ---- real OSV feeds ---- */

static void test_vulndb_osv_elts_directory(void **state)
{
	struct fx *f = *state;
	struct pl_err err = PL_ERR_INIT;
	struct pl_vulndb_stats st, st2;
	char snap1[PL_DIGEST_SIZE], snap2[PL_DIGEST_SIZE];
	char *dir;
	struct rows *r;
	const struct row *w;

	need_vulndata();
	dir = vd("debian-osv/elts-advisories");
	assert_int_equal(pl_vulndb_import_path(f->db, dir, PL_FEED_AUTO, &st, &err), 0);
	/* 1712 files; ELA-669-1 writes "ranges" as an object, not an array */
	assert_int_equal(st.records + st.skipped, 1712);
	assert_int_equal(st.skipped, 1);
	assert_int_equal(st.unchanged, 0);
	assert_true(warned(f, "ELA-669-1.json: ELA-669-1:", "ranges is not an array"));

	/* ELA-10-1: exiv2 in Debian 7, fixed in 0.23-1+deb7u3, six CVEs in "related" */
	r = lookup(f, "debian:7", "exiv2");
	assert_non_null(w = find(r, "ELA-10-1", 0));
	assert_int_equal(count(r, "ELA-10-1"), 1);
	assert_int_equal(w->status, PL_VULN_AFFECTED);
	assert_null(w->introduced);
	assert_string_equal(w->fixed, "0.23-1+deb7u3");
	assert_null(w->last_affected);
	assert_string_equal(w->cves, "CVE-2018-10958 CVE-2018-10998 CVE-2018-10999 CVE-2018-11531 "
				     "CVE-2018-12264 CVE-2018-12265");
	assert_string_equal(w->feed, "osv");
	assert_string_equal(w->feed_name, dir);
	assert_string_equal(w->ecosystem, "debian:7");
	assert_string_equal(w->package, "exiv2");
	assert_string_equal(w->modified, "2018-06-28T00:00:00Z");
	assert_null(w->versions);
	/* rows come sorted by record id */
	for (size_t i = 1; i < r->n; i++)
		assert_true(strcmp(r->v[i - 1].record, r->v[i].record) <= 0);
	rows_free(r);

	/* ELA-1000-1: ceph in Debian 8 and 9, one CVE */
	r = lookup(f, "Debian:9", "ceph");
	assert_non_null(w = find(r, "ELA-1000-1", 0));
	assert_string_equal(w->fixed, "10.2.11-2+deb9u2");
	assert_string_equal(w->cves, "CVE-2023-43040");
	rows_free(r);
	r = lookup(f, "debian:8", "ceph");
	assert_non_null(w = find(r, "ELA-1000-1", 0));
	assert_string_equal(w->fixed, "0.80.7-2+deb8u6");
	rows_free(r);
	/* the skipped record left nothing behind */
	r = lookup(f, "debian:8", "http-parser");
	assert_null(find(r, "ELA-669-1", 0));
	rows_free(r);

	/* the same bytes again: a no-op */
	assert_int_equal(pl_vulndb_snapshot(f->db, snap1, &err), 0);
	assert_int_equal(pl_vulndb_import_path(f->db, dir, PL_FEED_OSV, &st2, &err), 0);
	assert_int_equal(st2.records, 0);
	assert_int_equal(st2.skipped, 0);
	assert_int_equal(st2.unchanged, st.records);
	assert_int_equal(pl_vulndb_snapshot(f->db, snap2, &err), 0);
	assert_string_equal(snap1, snap2);
	assert_int_equal(nfeeds(f), 1);
	free(dir);
}

static void test_vulndb_osv_dsa_and_dla(void **state)
{
	struct fx *f = *state;
	struct pl_err err = PL_ERR_INIT;
	struct pl_vulndb_stats st;
	char *p;
	struct rows *r;
	const struct row *w;

	need_vulndata();
	p = vd("debian-osv/osvdev-DSA-3029-1.json");
	assert_int_equal(pl_vulndb_import_path(f->db, p, PL_FEED_AUTO, &st, &err), 0);
	assert_int_equal(st.records, 1);
	free(p);
	r = lookup(f, "debian:7", "nginx");
	assert_int_equal(r->n, 1);
	w = &r->v[0];
	assert_string_equal(w->record, "DSA-3029-1");
	assert_string_equal(w->fixed, "1.2.1-2.2+wheezy3");
	assert_string_equal(w->cves, "CVE-2014-3616"); /* from aliases */
	assert_string_equal(w->summary, "nginx - security update");
	assert_string_equal(w->published, "2014-09-20T00:00:00Z");
	assert_non_null(strstr(w->details, "virtual host confusion"));
	rows_free(r);

	/* DLA-3623-1 has an empty affected list: a record with nothing to say */
	p = vd("debian-osv/osvdev-DLA-3623-1.json");
	assert_int_equal(pl_vulndb_import_path(f->db, p, PL_FEED_OSV, &st, &err), 0);
	assert_int_equal(st.records, 1);
	assert_int_equal(st.skipped, 0);
	free(p);
	assert_int_equal(nfeeds(f), 2);
}

/* ---- synthetic OSV edges ---- */

static const char osv_multi[] =
    "{\"id\":\"OSV-T-1\",\"aliases\":[\"CVE-2024-0001\",\"GHSA-xxxx\"],"
    "\"upstream\":[\"CVE-2024-0002\"],\"related\":[\"CVE-2024-0001\"],"
    "\"severity\":[{\"type\":\"CVSS_V4\",\"score\":\"CVSS:4.0/AV:N/AC:L\"},"
    "{\"type\":\"CVSS_V3\",\"score\":\"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H\"}],"
    "\"affected\":[{\"package\":{\"ecosystem\":\"Debian:12\",\"name\":\"foo\"},"
    "\"ranges\":[{\"type\":\"ECOSYSTEM\",\"events\":[{\"introduced\":\"0\"},{\"fixed\":\"1.0-1\"},"
    "{\"introduced\":\"2.0-1\"},{\"fixed\":\"2.0-3\"},{\"introduced\":\"3.0-1\"}]},"
    "{\"type\":\"ECOSYSTEM\",\"events\":[{\"introduced\":\"1:5.0-1\"},{\"last_affected\":\"1:5.0-"
    "4\"}]},"
    "{\"type\":\"GIT\",\"repo\":\"x\",\"events\":[{\"introduced\":\"abc\"}]}],"
    "\"versions\":[\"0.9-1\",\"0.9-2\"]},"
    "{\"package\":{\"ecosystem\":\"Alpine:v3.18\",\"name\":\"foo\"},"
    "\"severity\":[{\"type\":\"CVSS_V4\",\"score\":\"CVSS:4.0/AV:L\"}],"
    "\"ranges\":[{\"type\":\"ECOSYSTEM\",\"events\":[{\"introduced\":\"0\"},{\"fixed\":\"1.2-r0\"}]"
    "}]},"
    "{\"package\":{\"ecosystem\":\"PyPI\",\"name\":\"foo\"},"
    "\"ranges\":[{\"type\":\"ECOSYSTEM\",\"events\":[{\"introduced\":\"0\"}]}]}]}";

static void test_vulndb_osv_intervals_versions_severity(void **state)
{
	struct fx *f = *state;
	struct pl_vulndb_stats st;
	struct rows *r;
	const struct row *w;

	import_buf(f, PL_FEED_OSV, "multi.json", osv_multi, &st);
	assert_int_equal(st.records, 1);
	r = lookup(f, "debian:12", "foo");
	assert_int_equal(r->n, 5); /* 3 intervals + 1 last_affected + versions */
	w = &r->v[0];
	assert_null(w->introduced);
	assert_string_equal(w->fixed, "1.0-1");
	assert_string_equal(w->cves, "CVE-2024-0001 CVE-2024-0002");
	assert_string_equal(w->cvss, "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H");
	w = &r->v[1];
	assert_string_equal(w->introduced, "2.0-1");
	assert_string_equal(w->fixed, "2.0-3");
	w = &r->v[2];
	assert_string_equal(w->introduced, "3.0-1");
	assert_null(w->fixed);
	assert_null(w->last_affected);
	w = &r->v[3];
	assert_string_equal(w->introduced, "1:5.0-1");
	assert_string_equal(w->last_affected, "1:5.0-4");
	assert_null(w->fixed);
	w = &r->v[4];
	assert_string_equal(w->versions, "0.9-1 0.9-2");
	assert_null(w->introduced);
	assert_null(w->fixed);
	rows_free(r);
	/* Alpine:v3.18 -> alpine:3.18, its own CVSS v4 vector kept as text */
	r = lookup(f, "alpine:3.18", "foo");
	assert_int_equal(r->n, 1);
	assert_string_equal(r->v[0].fixed, "1.2-r0");
	assert_string_equal(r->v[0].cvss, "CVSS:4.0/AV:L");
	rows_free(r);
	/* PyPI: not kept, warned once */
	assert_true(warned(f, "ecosystem 'PyPI'", NULL));
}

static void test_vulndb_osv_skips_bad_records(void **state)
{
	struct fx *f = *state;
	struct pl_err err = PL_ERR_INIT;
	struct pl_vulndb_stats st;
	struct pl_buf huge = PL_BUF_INIT;
	char *dir = tu_path(f->dir, "osv");
	struct rows *r;
	static const char good[] =
	    "{\"id\":\"GOOD-1\",\"affected\":[{\"package\":{\"ecosystem\":\"Debian:11\","
	    "\"name\":\"bar\"},\"ranges\":[{\"type\":\"ECOSYSTEM\",\"events\":[{\"introduced\":"
	    "\"0\"},{\"fixed\":\"1.0-1\"}]}]}]}";

	tu_write(dir, "a/good.json", good, strlen(good));
	put(dir, "a/badjson.json", "{\"id\": \"X\",");
	put(dir, "b/withdrawn.json",
	    "{\"id\":\"WD-1\",\"withdrawn\":\"2024-01-01T00:00:00Z\",\"affected\":[]}");
	put(dir, "b/types.json",
	    "{\"id\":\"TYPES-1\",\"affected\":[{\"package\":{\"ecosystem\":\"Debian:11\","
	    "\"name\":42}}]}");
	put(dir, "b/aliases.json", "{\"id\":\"AL-1\",\"aliases\":\"CVE-2020-1234\"}");
	put(dir, "c/badver.json",
	    "{\"id\":\"BADVER-1\",\"affected\":[{\"package\":{\"ecosystem\":\"Debian:11\","
	    "\"name\":\"bar\"},\"ranges\":[{\"type\":\"ECOSYSTEM\",\"events\":[{\"introduced\":"
	    "\"0\"},{\"fixed\":\"1.0 -1\"}]}]}]}");
	put(dir, "c/unknown.json",
	    "{\"id\":\"GO-1\",\"affected\":[{\"package\":{\"ecosystem\":\"Go\",\"name\":\"x\"}}]}");
	put(dir, "c/unknown2.json",
	    "{\"id\":\"GO-2\",\"affected\":[{\"package\":{\"ecosystem\":\"Go\",\"name\":\"y\"}}]}");
	assert_int_equal(pl_buf_adds(&huge, "{\"id\":\"HUGE-1\",\"details\":\"", NULL), 0);
	for (int i = 0; i < (1 << 20) / 64 + 1; i++)
		assert_int_equal(
		    pl_buf_adds(&huge,
				"0123456789012345678901234567890123456789012345678901234567890123",
				NULL),
		    0);
	assert_int_equal(pl_buf_adds(&huge, "\",\"affected\":[]}", NULL), 0);
	tu_write(dir, "d/huge.json", huge.data, huge.len);
	put(dir, "d/notes.txt", "ignored");

	assert_int_equal(pl_vulndb_import_path(f->db, dir, PL_FEED_OSV, &st, &err), 0);
	assert_int_equal(st.records, 1);
	assert_int_equal(st.skipped, 8);
	assert_true(warned(f, "a/badjson.json", "invalid JSON"));
	assert_true(warned(f, "b/withdrawn.json: WD-1:", "withdrawn"));
	assert_true(warned(f, "b/types.json: TYPES-1:", "'name' is not a string"));
	assert_true(warned(f, "b/aliases.json: AL-1:", "'aliases' is not an array"));
	assert_true(warned(f, "c/badver.json: BADVER-1:", "fixed"));
	assert_true(warned(f, "d/huge.json: HUGE-1:", "larger than 1 MiB"));
	assert_true(warned(f, "ecosystem 'Go'", NULL));
	assert_false(warned(f, "ecosystem 'Go'", "GO-2")); /* once per ecosystem */
	r = lookup(f, "debian:11", "bar");
	assert_int_equal(r->n, 1);
	assert_string_equal(r->v[0].record, "GOOD-1");
	rows_free(r);
	pl_buf_release(&huge);
	free(dir);
}

static void test_vulndb_osv_single_file_not_osv(void **state)
{
	struct fx *f = *state;
	struct pl_err err = PL_ERR_INIT;
	struct pl_vulndb_stats st;

	assert_int_equal(
	    pl_vulndb_import_buf(f->db, PL_FEED_OSV, "x.json", "{\"a\":1}", 7, &st, &err),
	    PL_EINVAL);
	assert_non_null(strstr(err.msg, "x.json"));
	pl_err_init(&err);
	assert_int_equal(pl_vulndb_import_buf(f->db, PL_FEED_OSV, "y.json", "nope", 4, &st, &err),
			 PL_EINVAL);
	assert_non_null(strstr(err.msg, "y.json"));
	pl_err_init(&err);
	assert_int_equal(pl_vulndb_import_buf(f->db, PL_FEED_AUTO, "z.txt", "hello", 5, &st, &err),
			 PL_EINVAL);
	assert_non_null(strstr(err.msg, "z.txt"));
	assert_int_equal(nfeeds(f), 0);
}

static void test_vulndb_osv_zip(void **state)
{
	struct fx *f = *state;
	struct pl_err err = PL_ERR_INIT;
	struct pl_vulndb_stats st;
	char *zip = tu_path(f->dir, "all.zip");
	struct rows *r;

	tu_write(f->dir, "z/multi.json", osv_multi, strlen(osv_multi));
	tu_write(f->dir, "z/bad.json", "[1", 2);
	assert_int_equal(tu_sh(f->dir,
			       "python3 -c \"import zipfile; z = zipfile.ZipFile('all.zip', "
			       "'w', zipfile.ZIP_DEFLATED); z.write('z/multi.json', "
			       "'multi.json'); z.write('z/bad.json', 'bad.json'); z.close()\""),
			 0);
	assert_int_equal(pl_vulndb_import_path(f->db, zip, PL_FEED_AUTO, &st, &err), 0);
	assert_int_equal(st.records, 1);
	assert_int_equal(st.skipped, 1);
	assert_true(warned(f, "all.zip:bad.json", "invalid JSON"));
	r = lookup(f, "debian:12", "foo");
	assert_int_equal(r->n, 5);
	rows_free(r);
	assert_int_equal(pl_vulndb_import_path(f->db, zip, PL_FEED_AUTO, &st, &err), 0);
	assert_int_equal(st.unchanged, 1);
	assert_int_equal(st.records, 0);
	free(zip);
}

/* ---- Debian tracker ---- */

static void test_vulndb_tracker_real_excerpts(void **state)
{
	struct fx *f = *state;
	struct pl_err err = PL_ERR_INIT;
	struct pl_vulndb_stats st;
	char *p;
	struct rows *r;
	const struct row *w;

	need_vulndata();
	p = vd("debian-tracker-json/osvdev-debian_security_tracker_mock.json");
	assert_int_equal(pl_vulndb_import_path(f->db, p, PL_FEED_AUTO, &st, &err), 0);
	assert_int_equal(st.records, 3);
	free(p);
	/* CVE-2014-1424: resolved with fixed_version "0" everywhere = not affected */
	r = lookup(f, "debian:12", "apparmor");
	assert_int_equal(r->n, 3);
	assert_non_null(w = find(r, "CVE-2014-1424", 0));
	assert_int_equal(w->status, PL_VULN_NOT_AFFECTED);
	assert_null(w->fixed);
	assert_string_equal(w->urgency, "unimportant");
	assert_string_equal(w->cves, "CVE-2014-1424");
	assert_string_equal(w->feed, "debian-tracker");
	assert_non_null(strstr(w->summary, "miscompilation flaw"));
	/* CVE-2016-1585: open in bookworm (unimportant stays a severity) */
	assert_non_null(w = find(r, "CVE-2016-1585", 0));
	assert_int_equal(w->status, PL_VULN_OPEN);
	assert_string_equal(w->urgency, "unimportant");
	/* CVE-2017-6507: fixed in 2.11.0-3, urgency "not yet assigned" */
	assert_non_null(w = find(r, "CVE-2017-6507", 0));
	assert_int_equal(w->status, PL_VULN_FIXED);
	assert_string_equal(w->fixed, "2.11.0-3");
	assert_string_equal(w->urgency, "not yet assigned");
	rows_free(r);
	r = lookup(f, "debian:sid", "apparmor");
	assert_non_null(w = find(r, "CVE-2016-1585", 0));
	assert_int_equal(w->status, PL_VULN_FIXED);
	assert_string_equal(w->fixed, "3.0.12-1");
	rows_free(r);

	p = vd("debian-tracker-json/vunnel-debian.json");
	assert_int_equal(pl_vulndb_import_path(f->db, p, PL_FEED_DEBIAN_TRACKER, &st, &err), 0);
	/* 7 (source, CVE) pairs, chromium-browser's "releases": [] included */
	assert_int_equal(st.records, 7);
	assert_int_equal(st.skipped, 0);
	free(p);
	r = lookup(f, "debian:9", "prototypejs"); /* stretch */
	assert_non_null(w = find(r, "CVE-2008-7220", 0));
	assert_int_equal(w->status, PL_VULN_FIXED);
	assert_string_equal(w->fixed, "1.6.0.2-1");
	assert_string_equal(w->urgency, "high**");
	assert_non_null(w = find(r, "CVE-2007-2383", 0));
	assert_int_equal(w->status, PL_VULN_NOT_AFFECTED);
	rows_free(r);
	r = lookup(f, "debian:8", "txt2man");
	assert_string_equal(find(r, "CVE-2013-1444", 0)->urgency, "low**");
	rows_free(r);
	/* chromium in buster: open with urgency end-of-life = EOL */
	r = lookup(f, "debian:10", "chromium");
	assert_non_null(w = find(r, "CVE-2022-0456", 0));
	assert_int_equal(w->status, PL_VULN_EOL);
	assert_string_equal(w->urgency, "end-of-life");
	rows_free(r);
	r = lookup(f, "debian:11", "chromium");
	assert_string_equal(find(r, "CVE-2022-0456", 0)->fixed, "98.0.4758.80-1~deb11u1");
	rows_free(r);
	r = lookup(f, "debian:12", "sope");
	assert_string_equal(find(r, "CVE-2025-53603", 0)->fixed, "5.8.0-1+deb12u1");
	rows_free(r);
	assert_int_equal(nfeeds(f), 2);
}

static const char tracker_sem[] =
    "{\"pkg-a\": {"
    " \"CVE-2024-1000\": {\"description\": \"d1\", \"releases\": {"
    "  \"bookworm\": {\"status\": \"open\", \"urgency\": \"low\", \"nodsa\": \"Minor issue\","
    "                \"nodsa_reason\": \"\"},"
    "  \"bullseye\": {\"status\": \"open\", \"urgency\": \"low\", \"nodsa\": \"Minor issue\","
    "                \"nodsa_reason\": \"postponed\"},"
    "  \"buster\": {\"status\": \"open\", \"urgency\": \"low\", \"nodsa\": \"\","
    "                \"nodsa_reason\": \"ignored\"},"
    "  \"stretch\": {\"status\": \"open\", \"urgency\": \"end-of-life\"},"
    "  \"trixie\": {\"status\": \"undetermined\", \"urgency\": \"not yet assigned\"},"
    "  \"sid\": {\"status\": \"resolved\", \"fixed_version\": \"1:2.0-1\", \"urgency\": "
    "\"medium*\"},"
    "  \"experimental\": {\"status\": \"open\"}}},"
    " \"CVE-2024-1001\": {\"releases\": {\"bookworm\": {\"status\": \"resolved\","
    "   \"fixed_version\": \"not a version\"}}},"
    " \"CVE-2024-1002\": {\"releases\": {\"bookworm\": {\"status\": \"fixed-ish\"}}},"
    " \"CVE-2024-1003\": {\"releases\": {\"bookworm\": {\"status\": 3}}},"
    " \"TEMP-0000000-ABCDEF\": {\"releases\": {\"bookworm\": {\"status\": \"open\"}}}"
    "}, \"pkg-b\": [1, 2, }}";

static void test_vulndb_tracker_semantics(void **state)
{
	struct fx *f = *state;
	struct pl_vulndb_stats st;
	struct rows *r;
	const struct row *w;

	import_buf(f, PL_FEED_AUTO, "tracker.json", tracker_sem, &st);
	assert_int_equal(st.records, 2);
	assert_int_equal(st.skipped, 4); /* 1001 bad version, 1002 status, 1003 type, pkg-b */
	assert_true(warned(f, "tracker.json: CVE-2024-1001:", "fixed_version"));
	assert_true(warned(f, "tracker.json: CVE-2024-1002:", "unknown status 'fixed-ish'"));
	assert_true(warned(f, "tracker.json: CVE-2024-1003:", "'status' is not a string"));
	assert_true(warned(f, "tracker.json: pkg-b:", "invalid JSON"));
	assert_true(warned(f, "'experimental'", NULL));

	r = lookup(f, "debian:12", "pkg-a");
	assert_non_null(w = find(r, "CVE-2024-1000", 0));
	assert_int_equal(w->status, PL_VULN_WONT_FIX);
	assert_string_equal(w->reason, "no-dsa");
	assert_string_equal(w->note, "Minor issue");
	assert_string_equal(w->summary, "d1");
	assert_non_null(w = find(r, "TEMP-0000000-ABCDEF", 0));
	assert_int_equal(w->status, PL_VULN_OPEN);
	assert_string_equal(w->cves, ""); /* not a CVE id */
	rows_free(r);
	r = lookup(f, "debian:11", "pkg-a");
	w = find(r, "CVE-2024-1000", 0);
	assert_int_equal(w->status, PL_VULN_WONT_FIX);
	assert_string_equal(w->reason, "postponed");
	rows_free(r);
	r = lookup(f, "debian:10", "pkg-a");
	w = find(r, "CVE-2024-1000", 0);
	assert_int_equal(w->status, PL_VULN_WONT_FIX);
	assert_string_equal(w->reason, "ignored");
	assert_null(w->note);
	rows_free(r);
	r = lookup(f, "debian:9", "pkg-a");
	assert_int_equal(find(r, "CVE-2024-1000", 0)->status, PL_VULN_EOL);
	rows_free(r);
	r = lookup(f, "debian:13", "pkg-a");
	assert_int_equal(find(r, "CVE-2024-1000", 0)->status, PL_VULN_OPEN);
	rows_free(r);
	r = lookup(f, "debian:sid", "pkg-a");
	w = find(r, "CVE-2024-1000", 0);
	assert_int_equal(w->status, PL_VULN_FIXED);
	assert_string_equal(w->fixed, "1:2.0-1");
	assert_string_equal(w->urgency, "medium*");
	rows_free(r);
}

static void test_vulndb_tracker_truncated_is_refused(void **state)
{
	struct fx *f = *state;
	struct pl_err err = PL_ERR_INIT;
	struct pl_vulndb_stats st;
	static const char t[] =
	    "{\"a\": {\"CVE-2024-1\": {\"releases\": {}}}, \"b\": {\"CVE-2024-2\"";
	struct rows *r;

	assert_int_equal(pl_vulndb_import_buf(f->db, PL_FEED_DEBIAN_TRACKER, "cut.json", t,
					      strlen(t), &st, &err),
			 PL_EINVAL);
	assert_non_null(strstr(err.msg, "cut.json"));
	assert_non_null(strstr(err.msg, "truncated"));
	/* all or nothing: "a" was parsed before the cut but is not there */
	assert_int_equal(nfeeds(f), 0);
	r = lookup(f, "debian:12", "a");
	assert_int_equal(r->n, 0);
	rows_free(r);
}

/* ---- Alpine secdb ---- */

static void test_vulndb_secdb_yaml_and_json(void **state)
{
	struct fx *f = *state;
	struct pl_err err = PL_ERR_INIT;
	struct pl_vulndb_stats st;
	char *p;
	struct rows *r;
	const struct row *w;
	static const char json[] =
	    "{\"apkurl\":\"x\",\"archs\":[\"x86_64\"],\"reponame\":\"main\",\"urlprefix\":\"u\","
	    "\"distroversion\":\"v3.19\",\"packages\":[{\"pkg\":{\"name\":\"openssl\",\"secfixes\":"
	    "{"
	    "\"3.1.4-r1\":[\"CVE-2023-5678\"],\"3.1.4-r3\":[\"CVE-2023-6129 CVE-2023-6237\"],"
	    "\"0\":[\"CVE-2022-1234\"],\"3.1.5-r0\":[\"XSA-999 (not really)\"]}}},"
	    "{\"pkg\":{\"name\":\"nofix\"}}, 7]}";

	need_vulndata();
	p = vd("alpine-secdb/vunnel-v3.15-main.yaml");
	assert_int_equal(pl_vulndb_import_path(f->db, p, PL_FEED_AUTO, &st, &err), 0);
	free(p);
	/* xz 1, zeromq 3, zlib 2, zsh 4, zstd 3 (package, id) pairs */
	assert_int_equal(st.records, 13);
	r = lookup(f, "alpine:3.15", "zsh");
	assert_int_equal(r->n, 4);
	assert_non_null(w = find(r, "CVE-2018-1071", 0));
	assert_int_equal(w->status, PL_VULN_FIXED);
	assert_string_equal(w->fixed, "5.4.2-r1");
	assert_string_equal(w->feed, "alpine-secdb");
	assert_string_equal(find(r, "CVE-2021-45444", 0)->fixed, "5.8.1-r0");
	rows_free(r);
	p = vd("alpine-secdb/vunnel-v3.15-community.yaml");
	assert_int_equal(pl_vulndb_import_path(f->db, p, PL_FEED_ALPINE_SECDB, &st, &err), 0);
	free(p);
	assert_int_equal(st.records, 3);
	r = lookup(f, "alpine:3.15", "alpine");
	assert_string_equal(find(r, "CVE-2021-38370", 0)->fixed, "2.25-r0");
	rows_free(r);

	import_buf(f, PL_FEED_AUTO, "v3.19-main.json", json, &st);
	assert_int_equal(st.records, 5);
	assert_int_equal(st.skipped, 1); /* the 7 */
	r = lookup(f, "alpine:3.19", "openssl");
	assert_int_equal(r->n, 5);
	assert_int_equal(find(r, "CVE-2022-1234", 0)->status, PL_VULN_NOT_AFFECTED);
	assert_string_equal(find(r, "CVE-2023-6237", 0)->fixed, "3.1.4-r3");
	assert_string_equal(find(r, "XSA-999", 0)->cves, "");
	rows_free(r);
}

/* ---- changelogs ---- */

static const char changelog[] =
    "openssl (3.0.15-1~deb12u1) bookworm-security; urgency=medium\n"
    "\n"
    "  * New upstream release, fixes CVE-2024-5535 and cve-2024-9143.\n"
    "  * Revert the fix for CVE-2023-0464 (regression).\n"
    "\n"
    " -- Sebastian Andrzej Siewior <sebastian@breakpoint.cc>  Sun, 27 Oct 2024 20:19:04 +0100\n"
    "\n"
    "openssl (1.0-1!bad) bookworm; urgency=low\n"
    "\n"
    "  * CVE-2022-9999\n"
    "\n"
    " -- X <x@example.org>  Mon, 01 Jan 2024 00:00:00 +0000\n"
    "\n"
    "openssl (3.0.9-1) unstable; urgency=medium\n"
    "\n"
    "  * Fix CVE-2023-0464 (Closes: #1034720), CVE-2023-2650.\n"
    "  * Not a CVE: XCVE-2023-1111, CVE-2023-12.\n"
    "\n"
    " -- X <x@example.org>  Mon, 01 Jun 2023 00:00:00 +0000\n"
    "\n"
    "Local variables:\n"
    "  CVE-2001-0001\n";

static void test_vulndb_changelog(void **state)
{
	struct fx *f = *state;
	struct pl_err err = PL_ERR_INIT;
	struct pl_vulndb_stats st;
	struct rows *r;
	const struct row *w;

	assert_int_equal(pl_vulndb_import_changelog(f->db, "debian:12", "openssl_3.0.15.deb",
						    changelog, strlen(changelog), &st, &err),
			 0);
	assert_int_equal(st.records, 4);
	assert_int_equal(st.skipped, 1);
	assert_true(warned(f, "openssl_3.0.15.deb: openssl:", "1.0-1!bad"));
	r = lookup(f, "debian:12", "openssl");
	assert_int_equal(r->n, 4);
	/* named in the newest and the oldest entry: the oldest fixed it */
	assert_non_null(w = find(r, "CVE-2023-0464", 0));
	assert_int_equal(w->status, PL_VULN_FIXED);
	assert_string_equal(w->fixed, "3.0.9-1");
	assert_string_equal(w->feed, "changelog");
	assert_string_equal(w->cves, "CVE-2023-0464");
	assert_string_equal(find(r, "CVE-2024-9143", 0)->fixed, "3.0.15-1~deb12u1");
	assert_string_equal(find(r, "CVE-2023-2650", 0)->fixed, "3.0.9-1");
	assert_null(find(r, "CVE-2022-9999", 0));
	assert_null(find(r, "CVE-2023-1111", 0));
	assert_null(find(r, "CVE-2001-0001", 0));
	rows_free(r);
	assert_int_equal(pl_vulndb_import_changelog(f->db, "debian:12", "openssl_3.0.15.deb",
						    changelog, strlen(changelog), &st, &err),
			 0);
	assert_int_equal(st.unchanged, 4);
	assert_int_equal(st.records, 0);
	assert_int_equal(pl_vulndb_import_changelog(f->db, "pypi:1", "x", changelog,
						    strlen(changelog), &st, &err),
			 PL_EINVAL);
	pl_err_init(&err);
	assert_int_equal(
	    pl_vulndb_import_changelog(f->db, "debian:12", "empty", "hello\n", 6, &st, &err),
	    PL_EINVAL);
	assert_non_null(strstr(err.msg, "empty"));
}

/* ---- feeds over time ---- */

static void test_vulndb_changed_feed_replaces_rows(void **state)
{
	struct fx *f = *state;
	struct pl_err err = PL_ERR_INIT;
	struct pl_vulndb_stats st;
	char s1[PL_DIGEST_SIZE], s2[PL_DIGEST_SIZE];
	struct rows *r;
	static const char v1[] =
	    "{\"p\": {\"CVE-2024-1\": {\"releases\": {\"bookworm\": {\"status\": \"open\"}}},"
	    "        \"CVE-2024-2\": {\"releases\": {\"bookworm\": {\"status\": \"open\"}}}}}";
	static const char v2[] =
	    "{\"p\": {\"CVE-2024-1\": {\"releases\": {\"bookworm\": {\"status\": \"open\"}}},"
	    "        \"CVE-2024-2\": {\"releases\": {\"bookworm\": {\"status\": \"resolved\","
	    "                          \"fixed_version\": \"1.2-3\"}}},"
	    "        \"CVE-2024-3\": {\"releases\": {\"bookworm\": {\"status\": \"open\"}}}}}";

	import_buf(f, PL_FEED_DEBIAN_TRACKER, "https://tracker/json", v1, &st);
	assert_int_equal(st.records, 2);
	assert_int_equal(pl_vulndb_snapshot(f->db, s1, &err), 0);
	import_buf(f, PL_FEED_DEBIAN_TRACKER, "https://tracker/json", v2, &st);
	assert_int_equal(st.records, 2);   /* CVE-2024-2 changed, CVE-2024-3 new */
	assert_int_equal(st.unchanged, 1); /* CVE-2024-1 */
	assert_int_equal(pl_vulndb_snapshot(f->db, s2, &err), 0);
	assert_string_not_equal(s1, s2);
	assert_int_equal(nfeeds(f), 1);
	r = lookup(f, "debian:12", "p");
	assert_int_equal(r->n, 3);
	assert_int_equal(count(r, "CVE-2024-2"), 1);
	assert_int_equal(find(r, "CVE-2024-2", 0)->status, PL_VULN_FIXED);
	rows_free(r);
	/* back to v1: CVE-2024-3 disappears */
	import_buf(f, PL_FEED_DEBIAN_TRACKER, "https://tracker/json", v1, &st);
	r = lookup(f, "debian:12", "p");
	assert_int_equal(r->n, 2);
	assert_null(find(r, "CVE-2024-3", 0));
	rows_free(r);
	assert_int_equal(pl_vulndb_snapshot(f->db, s2, &err), 0);
	assert_string_equal(s1, s2);
}

static int check_feed(const struct pl_vulndb_feed *fd, void *ctx, struct pl_err *err)
{
	(void)ctx;
	(void)err;
	assert_string_equal(fd->kind, "osv");
	assert_string_equal(fd->name, "https://osv/DSA.json");
	assert_int_equal(pl_digest_check(fd->digest, NULL), 0);
	assert_true(fd->imported_at > 1700000000);
	assert_int_equal(fd->records, 1);
	return 0;
}

static void test_vulndb_feeds_and_reopen(void **state)
{
	struct fx *f = *state;
	struct pl_err err = PL_ERR_INIT;
	struct pl_vulndb_stats st;
	char s1[PL_DIGEST_SIZE], s2[PL_DIGEST_SIZE];
	struct rows *r;
	char *p = tu_path(f->dir, "dsa.json");

	tu_write(f->dir, "dsa.json", osv_multi, strlen(osv_multi));
	assert_int_equal(
	    pl_vulndb_import_path_as(f->db, p, "https://osv/DSA.json", PL_FEED_OSV, &st, &err), 0);
	assert_int_equal(pl_vulndb_feeds(f->db, check_feed, NULL, &err), 0);
	assert_int_equal(pl_vulndb_snapshot(f->db, s1, &err), 0);
	pl_vulndb_close(f->db);
	assert_int_equal(pl_vulndb_open(&f->db, f->dbpath, false, &err), 0);
	pl_vulndb_set_warn(f->db, on_warn, f);
	assert_int_equal(pl_vulndb_snapshot(f->db, s2, &err), 0);
	assert_string_equal(s1, s2);
	r = lookup(f, "debian:12", "foo");
	assert_int_equal(r->n, 5);
	assert_string_equal(r->v[0].feed_name, "https://osv/DSA.json");
	rows_free(r);
	free(p);
}

static void test_vulndb_open_errors(void **state)
{
	struct fx *f = *state;
	struct pl_err err = PL_ERR_INIT;
	struct pl_vulndb *db = NULL;
	char *missing = tu_path(f->dir, "nope.db");
	char *junk = tu_path(f->dir, "junk.db");

	assert_int_equal(pl_vulndb_open(&db, missing, false, &err), PL_ENOTFOUND);
	assert_null(db);
	assert_non_null(strstr(err.msg, "nope.db"));
	put(f->dir, "junk.db", "this is not a database, not at all, no no no no no no no");
	pl_err_init(&err);
	assert_true(pl_vulndb_open(&db, junk, false, &err) < 0);
	assert_non_null(strstr(err.msg, "junk.db"));
	free(missing);
	free(junk);
}

/* ---- schema migration ---- */

static void sql(sqlite3 *h, const char *s)
{
	char *msg = NULL;

	if (sqlite3_exec(h, s, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("sql: %s: %s", s, msg);
}

static int schema_version(const char *path)
{
	sqlite3 *h = NULL;
	sqlite3_stmt *st = NULL;
	int v = -1;

	assert_int_equal(sqlite3_open(path, &h), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(h, "SELECT value FROM meta WHERE key='schema_version'",
					    -1, &st, NULL),
			 SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = atoi((const char *)sqlite3_column_text(st, 0)); /* test code */
	sqlite3_finalize(st);
	sqlite3_close(h);
	return v;
}

static void test_vulndb_migrates_v0_layout(void **state)
{
	struct fx *f = *state;
	struct pl_err err = PL_ERR_INIT;
	struct pl_vulndb_stats st;
	char *path = tu_path(f->dir, "old.db");
	sqlite3 *h = NULL;
	struct rows *r;
	const struct row *w;

	/* the version-0 layout: no meta table, per-record fields on every statement */
	assert_int_equal(sqlite3_open(path, &h), SQLITE_OK);
	sql(h,
	    "CREATE TABLE feeds(id INTEGER PRIMARY KEY, kind TEXT NOT NULL, name TEXT NOT NULL,"
	    " digest TEXT NOT NULL, imported_at INTEGER NOT NULL, records INTEGER NOT NULL);"
	    "CREATE TABLE stmts(id INTEGER PRIMARY KEY, feed_id INTEGER NOT NULL, record TEXT NOT"
	    " NULL, ecosystem TEXT NOT NULL, package TEXT NOT NULL, status TEXT NOT NULL,"
	    " introduced TEXT, fixed TEXT, last_affected TEXT, versions TEXT, urgency TEXT,"
	    " reason TEXT, cves TEXT, cvss_vector TEXT, summary TEXT, published TEXT,"
	    " modified TEXT);"
	    "CREATE INDEX stmts_pkg ON stmts(ecosystem, package);"
	    "INSERT INTO feeds VALUES(1, 'debian-tracker', 'old.json', 'sha256:"
	    "0000000000000000000000000000000000000000000000000000000000000000', 1600000000, 1);"
	    "INSERT INTO stmts VALUES(1, 1, 'CVE-2020-1', 'debian:11', 'old', 'fixed', NULL,"
	    " '1.0-2', NULL, NULL, 'high', NULL, 'CVE-2020-1', NULL, 'old issue', NULL, NULL);"
	    "INSERT INTO stmts VALUES(2, 1, 'CVE-2020-1', 'debian:12', 'old', 'not-affected',"
	    " NULL, NULL, NULL, NULL, 'high', NULL, 'CVE-2020-1', NULL, 'old issue', NULL, NULL);");
	sqlite3_close(h);

	pl_vulndb_close(f->db);
	assert_int_equal(pl_vulndb_open(&f->db, path, false, &err), 0);
	pl_vulndb_set_warn(f->db, on_warn, f);
	assert_int_equal(schema_version(path), 2);
	r = lookup(f, "debian:11", "old");
	assert_int_equal(r->n, 1);
	w = &r->v[0];
	assert_string_equal(w->record, "CVE-2020-1");
	assert_string_equal(w->fixed, "1.0-2");
	assert_string_equal(w->urgency, "high");
	assert_string_equal(w->summary, "old issue");
	assert_string_equal(w->feed_name, "old.json");
	assert_null(w->note);
	rows_free(r);
	r = lookup(f, "debian:12", "old");
	assert_int_equal(r->v[0].status, PL_VULN_NOT_AFFECTED);
	rows_free(r);
	/* the migrated feed is replaced by a new import of the same name */
	import_buf(f, PL_FEED_DEBIAN_TRACKER, "old.json",
		   "{\"old\": {\"CVE-2020-1\": {\"releases\": {\"bullseye\": {\"status\": "
		   "\"resolved\", \"fixed_version\": \"1.0-3\"}}}}}",
		   &st);
	r = lookup(f, "debian:11", "old");
	assert_int_equal(r->n, 1);
	assert_string_equal(r->v[0].fixed, "1.0-3");
	rows_free(r);
	assert_int_equal(nfeeds(f), 1);

	/* opening again is a no-op; a newer schema is refused */
	pl_vulndb_close(f->db);
	f->db = NULL;
	assert_int_equal(pl_vulndb_open(&f->db, path, false, &err), 0);
	pl_vulndb_close(f->db);
	f->db = NULL;
	assert_int_equal(sqlite3_open(path, &h), SQLITE_OK);
	sql(h, "UPDATE meta SET value = '99' WHERE key = 'schema_version'");
	sqlite3_close(h);
	assert_int_equal(pl_vulndb_open(&f->db, path, false, &err), PL_EINVAL);
	assert_non_null(strstr(err.msg, "99"));
	assert_null(f->db);
	free(path);
}

static void test_vulndb_names(void **state)
{
	(void)state;
	assert_string_equal(pl_debian_release("bookworm"), "12");
	assert_string_equal(pl_debian_release("buzz"), "1.1");
	assert_string_equal(pl_debian_release("forky"), "14");
	assert_string_equal(pl_debian_release("wheezy"), "7");
	assert_string_equal(pl_debian_release("sid"), "sid");
	assert_null(pl_debian_release("experimental"));
	assert_null(pl_debian_release(NULL));
	assert_string_equal(pl_feed_kind_name(PL_FEED_DEBIAN_TRACKER), "debian-tracker");
	assert_string_equal(pl_feed_kind_name(PL_FEED_ALPINE_SECDB), "alpine-secdb");
	assert_string_equal(pl_vuln_status_name(PL_VULN_NOT_AFFECTED), "not-affected");
	assert_string_equal(pl_vuln_status_name(PL_VULN_WONT_FIX), "wont-fix");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_vulndb_osv_elts_directory, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_vulndb_osv_dsa_and_dla, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_vulndb_osv_intervals_versions_severity, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_vulndb_osv_skips_bad_records, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_vulndb_osv_single_file_not_osv, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_vulndb_osv_zip, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_vulndb_tracker_real_excerpts, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_vulndb_tracker_semantics, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_vulndb_tracker_truncated_is_refused, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_vulndb_secdb_yaml_and_json, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_vulndb_changelog, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_vulndb_changed_feed_replaces_rows, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_vulndb_feeds_and_reopen, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_vulndb_open_errors, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_vulndb_migrates_v0_layout, setup, teardown),
	    cmocka_unit_test(test_vulndb_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
