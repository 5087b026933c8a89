/*
 * plinth vulndb: where the database lives (plinth.yaml's vulndb.path unless
 * given), importing feeds from files, and updating from the feeds
 * plinth.yaml lists (URLs fetched, repo paths read from the commit).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/fetch.h"
#include "lib/pipeline/internal.h"
#include "lib/vulndb.h"
#include "util/buf.h"
#include "util/fsutil.h"
#include "util/log.h"

#define FEED_MAX ((size_t)1 << 30)

int pl_vuln_db_path(const struct pl_vuln_opts *o, struct pl_source *src, char **out,
		    struct pl_err *err)
{
	*out = strdup(o->db_path ? o->db_path
				 : src && src->settings ? src->settings->vulndb.path : "out/vuln.db");
	return *out ? 0 : pl_err_set(err, PL_ENOMEM, "out of memory");
}

/* Open the database, creating it and its directory when asked. */
static int open_db(const char *path, bool create, struct pl_vulndb **db, struct pl_err *err)
{
	char *dir = strdup(path), *slash;
	int rc = 0;

	if (!dir)
		return pl_err_set(err, PL_ENOMEM, "out of memory");
	slash = strrchr(dir, '/');
	if (create && slash && slash != dir) {
		*slash = '\0';
		rc = pl_mkdir_p(dir, 0755, err);
	}
	free(dir);
	if (rc == 0)
		rc = pl_vulndb_open(db, path, create, err);
	return rc;
}

static void add_stats(struct pl_vulndb_stats *to, const struct pl_vulndb_stats *s)
{
	to->records += s->records;
	to->unchanged += s->unchanged;
	to->skipped += s->skipped;
}

int pl_vuln_import(const struct pl_vuln_opts *o, enum pl_feed_kind kind,
		   const char *const *paths, size_t n, struct pl_vuln_result *res,
		   struct pl_err *err)
{
	struct pl_vulndb *db = NULL;
	int rc;

	memset(res, 0, sizeof(*res));
	if (!o->db_path)
		return pl_err_set(err, PL_EUSAGE, "name the database with --db PATH");
	rc = open_db(o->db_path, true, &db, err);
	for (size_t i = 0; rc == 0 && i < n; i++) {
		struct pl_vulndb_stats st = { 0 };

		rc = pl_vulndb_import_path(db, paths[i], kind, &st, err);
		if (rc == 0)
			add_stats(&res->stats, &st);
		else
			pl_err_wrap(err, "import '%s'", paths[i]);
	}
	if (rc == 0)
		rc = pl_vulndb_snapshot(db, res->snapshot, err);
	pl_vulndb_close(db);
	return rc;
}

static enum pl_feed_kind feed_kind(const char *k)
{
	if (!strcmp(k, "osv"))
		return PL_FEED_OSV;
	if (!strcmp(k, "debian"))
		return PL_FEED_DEBIAN_TRACKER;
	if (!strcmp(k, "alpine"))
		return PL_FEED_ALPINE_SECDB;
	return PL_FEED_AUTO;
}

/*
 * One feed: an http(s) or file URL is downloaded, anything else is a path
 * in the curation repo read at the commit.
 */
static int update_feed(struct pl_vulndb *db, struct pl_fetch *f, struct pl_source *src,
		       const struct pl_settings_feed *feed, struct pl_vulndb_stats *st,
		       struct pl_err *err)
{
	enum pl_feed_kind kind = feed_kind(feed->kind);
	char *data = NULL;
	size_t len = 0;
	bool url = strstr(feed->url, "://") != NULL;
	int rc;

	if (url)
		rc = pl_fetch_get(f, feed->url, FEED_MAX, &data, &len, err);
	else
		rc = pl_source_read(src, feed->url, FEED_MAX, &data, &len, err);
	if (rc < 0)
		goto out;
	/* named by its URL, so a re-fetched feed replaces its own rows */
	rc = pl_vulndb_import_buf(db, kind, feed->url, data, len, st, err);
out:
	if (rc < 0)
		pl_err_wrap(err, PL_MARK_FMT ": feed '%s'", PL_MARK_ARGS(feed->mark), feed->url);
	free(data);
	return rc;
}

/* The changelog fallback for every recipe that installs packages. */
static int update_changelogs(struct pl_source *src, struct pl_cas *cache, struct pl_fetch *f,
			     const struct pl_vuln_opts *o, struct pl_vulndb *db,
			     struct pl_vulndb_stats *st, struct pl_err *err)
{
	struct pl_oci_strv names = { 0 };
	struct pl_pkg_ctx pc;
	int rc;

	memset(&pc, 0, sizeof(pc));
	pc.src = src;
	pc.content = cache;
	pc.fetch = f;
	pc.cache_dir = o->src.cache_dir;
	pc.offline = o->offline;
	pc.epoch = src->commit.time;
	rc = pl_source_recipe_names(src, &names, err);
	for (size_t i = 0; rc == 0 && i < names.n; i++) {
		struct pl_recipe *r = NULL;
		struct pl_locks locks = { 0 };
		struct pl_vulndb_stats s = { 0 };

		rc = pl_source_load_recipe(src, names.v[i], &r, err);
		if (rc == 0 && pl_recipe_has_packages(r)) {
			rc = pl_packages_locks(&pc, r, false, &locks, err);
			if (rc == 0)
				rc = pl_packages_changelogs(&pc, r, &locks, db, &s, err);
			if (rc == 0) {
				add_stats(st, &s);
				pl_log_info("%s: %llu changelog statements", r->file,
					    (unsigned long long)s.records);
			}
		}
		pl_locks_release(&locks);
		pl_recipe_free(r);
	}
	pl_oci_strv_release(&names);
	return rc;
}

int pl_vuln_update(const struct pl_vuln_opts *o, struct pl_vuln_result *res, struct pl_err *err)
{
	struct pl_fetch_opts fo = { 0 };
	struct pl_vulndb *db = NULL;
	struct pl_fetch *f = NULL;
	struct pl_cas *cache = NULL;
	struct pl_buf cdir = PL_BUF_INIT;
	struct pl_source src;
	char *path = NULL;
	int rc;

	memset(res, 0, sizeof(*res));
	rc = pl_source_open(&src, &o->src, NULL, err);
	if (rc < 0)
		return rc;
	if (src.settings->vulndb.nfeeds == 0 && !o->changelogs) {
		rc = pl_err_set(err, PL_EINVAL,
				"plinth.yaml lists no vulnerability feeds (vulndb: feeds:); import "
				"files with plinth vulndb import, or read the repositories' "
				"changelogs with --changelogs");
		goto out;
	}
	rc = pl_vuln_db_path(o, &src, &path, err);
	if (rc == 0)
		rc = open_db(path, true, &db, err);
	fo.offline = o->offline;
	if (rc == 0)
		rc = pl_buf_addf(&cdir, err, "%s/content", o->src.cache_dir);
	if (rc == 0)
		rc = pl_mkdir_p(cdir.data, 0755, err);
	if (rc == 0)
		rc = pl_cas_open(&cache, cdir.data, err);
	if (rc == 0)
		rc = pl_fetch_new(&f, cache, &fo, err);
	for (size_t i = 0; rc == 0 && i < src.settings->vulndb.nfeeds; i++) {
		struct pl_vulndb_stats st = { 0 };

		rc = update_feed(db, f, &src, &src.settings->vulndb.feeds[i], &st, err);
		if (rc == 0)
			add_stats(&res->stats, &st);
	}
	if (rc == 0 && o->changelogs)
		rc = update_changelogs(&src, cache, f, o, db, &res->stats, err);
	if (rc == 0)
		rc = pl_vulndb_snapshot(db, res->snapshot, err);
out:
	pl_fetch_free(f);
	pl_cas_free(cache);
	pl_buf_release(&cdir);
	pl_vulndb_close(db);
	pl_source_release(&src);
	free(path);
	return rc;
}
