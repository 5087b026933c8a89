/* plinth lock */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "lib/pipeline.h"

enum { OPT_REPO = 256, OPT_REF, OPT_CACHE, OPT_ALL, OPT_OFFLINE };

static const struct option options[] = {
	{ "repo", required_argument, NULL, OPT_REPO },
	{ "ref", required_argument, NULL, OPT_REF },
	{ "cache", required_argument, NULL, OPT_CACHE },
	{ "all", no_argument, NULL, OPT_ALL },
	{ "offline", no_argument, NULL, OPT_OFFLINE },
	{ NULL, 0, NULL, 0 },
};

int cmd_lock(int argc, char **argv)
{
	struct pl_lock_opts o;
	struct pl_lock_result res;
	struct pl_err err = PL_ERR_INIT;
	char *cache = NULL;
	int c, ret = PL_EXIT_OK;

	memset(&o, 0, sizeof(o));
	while ((c = getopt_long(argc, argv, "", options, NULL)) != -1) {
		switch (c) {
		case OPT_REPO: o.src.repo = optarg; break;
		case OPT_REF: o.src.ref = optarg; break;
		case OPT_CACHE: o.src.cache_dir = optarg; break;
		case OPT_ALL: o.all = true; break;
		case OPT_OFFLINE: o.offline = true; break;
		default: return cli_usage_error("lock", "unknown option");
		}
	}
	if (o.all && optind < argc)
		return cli_usage_error("lock", "give recipe names or --all, not both");
	o.recipes = (const char *const *)(argv + optind);
	o.nrecipes = (size_t)(argc - optind);
	if (!o.src.cache_dir)
		o.src.cache_dir = cache = cli_cache_dir();
	if (pl_lock(&o, &res, &err) < 0) {
		ret = cli_fail("lock", &err);
	} else {
		for (size_t i = 0; i < res.files.n; i++)
			printf("%s: %zu packages\n", res.files.v[i], res.pkgs[i]);
		if (res.files.n == 0)
			fprintf(stderr, "plinth: lock: no recipe has packages to lock\n");
	}
	pl_lock_result_release(&res);
	free(cache);
	return ret;
}
