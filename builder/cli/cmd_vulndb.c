/* plinth vulndb import|update|info */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "lib/pipeline.h"
#include "lib/vulndb.h"

enum { OPT_DB = 256, OPT_KIND, OPT_REPO, OPT_REF, OPT_CACHE, OPT_OFFLINE, OPT_CHANGELOGS };

static const struct option options[] = {
	{ "db", required_argument, NULL, OPT_DB },
	{ "kind", required_argument, NULL, OPT_KIND },
	{ "repo", required_argument, NULL, OPT_REPO },
	{ "ref", required_argument, NULL, OPT_REF },
	{ "cache", required_argument, NULL, OPT_CACHE },
	{ "offline", no_argument, NULL, OPT_OFFLINE },
	{ "changelogs", no_argument, NULL, OPT_CHANGELOGS },
	{ NULL, 0, NULL, 0 },
};

static int print_feed(const struct pl_vulndb_feed *f, void *ctx, struct pl_err *err)
{
	char when[32];
	time_t t = (time_t)f->imported_at;
	struct tm tm;

	(void)ctx;
	(void)err;
	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	printf("  %-15s %8llu records  %s  %.19s  %s\n", f->kind, (unsigned long long)f->records,
	       when, f->digest, f->name);
	return 0;
}

static int info(const char *path)
{
	struct pl_err err = PL_ERR_INIT;
	struct pl_vulndb *db = NULL;
	char snap[PL_DIGEST_SIZE];
	int ret = PL_EXIT_OK;

	if (pl_vulndb_open(&db, path, false, &err) < 0 || pl_vulndb_snapshot(db, snap, &err) < 0) {
		ret = cli_fail("vulndb", &err);
	} else {
		printf("database %s\nsnapshot %s\nfeeds:\n", path, snap);
		if (pl_vulndb_feeds(db, print_feed, NULL, &err) < 0)
			ret = cli_fail("vulndb", &err);
	}
	pl_vulndb_close(db);
	return ret;
}

int cmd_vulndb(int argc, char **argv)
{
	struct pl_vuln_opts o;
	struct pl_vuln_result res;
	struct pl_err err = PL_ERR_INIT;
	enum pl_feed_kind kind = PL_FEED_AUTO;
	const char *verb;
	char *cache = NULL;
	int c, rc, ret = PL_EXIT_OK;

	memset(&o, 0, sizeof(o));
	while ((c = getopt_long(argc, argv, "", options, NULL)) != -1) {
		switch (c) {
		case OPT_DB: o.db_path = optarg; break;
		case OPT_REPO: o.src.repo = optarg; break;
		case OPT_REF: o.src.ref = optarg; break;
		case OPT_CACHE: o.src.cache_dir = optarg; break;
		case OPT_OFFLINE: o.offline = true; break;
		case OPT_CHANGELOGS: o.changelogs = true; break;
		case OPT_KIND:
			if (!strcmp(optarg, "osv"))
				kind = PL_FEED_OSV;
			else if (!strcmp(optarg, "debian"))
				kind = PL_FEED_DEBIAN_TRACKER;
			else if (!strcmp(optarg, "alpine"))
				kind = PL_FEED_ALPINE_SECDB;
			else if (strcmp(optarg, "auto"))
				return cli_usage_error("vulndb",
						       "--kind is osv, debian, alpine or auto");
			break;
		default: return cli_usage_error("vulndb", "unknown option");
		}
	}
	if (optind >= argc)
		return cli_usage_error("vulndb", "say import, update or info");
	verb = argv[optind++];
	if (!o.src.cache_dir)
		o.src.cache_dir = cache = cli_cache_dir();
	if (!strcmp(verb, "import")) {
		if (optind >= argc) {
			free(cache);
			return cli_usage_error("vulndb", "import wants feed files, directories or zips");
		}
		rc = pl_vuln_import(&o, kind, (const char *const *)(argv + optind),
				    (size_t)(argc - optind), &res, &err);
	} else if (!strcmp(verb, "update")) {
		rc = pl_vuln_update(&o, &res, &err);
	} else if (!strcmp(verb, "info")) {
		free(cache);
		if (!o.db_path)
			return cli_usage_error("vulndb", "info wants --db PATH");
		return info(o.db_path);
	} else {
		free(cache);
		return cli_usage_error("vulndb", "no verb '%s' (import, update, info)", verb);
	}
	if (rc < 0)
		ret = cli_fail("vulndb", &err);
	else
		printf("%llu records imported, %llu unchanged, %llu skipped; snapshot %s\n",
		       (unsigned long long)res.stats.records,
		       (unsigned long long)res.stats.unchanged,
		       (unsigned long long)res.stats.skipped, res.snapshot);
	free(cache);
	return ret;
}
