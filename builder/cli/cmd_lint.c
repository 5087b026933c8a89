/* plinth lint */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "lib/pipeline.h"

enum { OPT_REPO = 256, OPT_REF, OPT_CACHE };

static const struct option options[] = {
	{ "repo", required_argument, NULL, OPT_REPO },
	{ "ref", required_argument, NULL, OPT_REF },
	{ "cache", required_argument, NULL, OPT_CACHE },
	{ NULL, 0, NULL, 0 },
};

int cmd_lint(int argc, char **argv)
{
	struct pl_source_opts src;
	struct pl_lint lint;
	struct pl_err err = PL_ERR_INIT;
	char *cache = NULL;
	int c, rc, ret;

	memset(&src, 0, sizeof(src));
	while ((c = getopt_long(argc, argv, "", options, NULL)) != -1) {
		switch (c) {
		case OPT_REPO: src.repo = optarg; break;
		case OPT_REF: src.ref = optarg; break;
		case OPT_CACHE: src.cache_dir = optarg; break;
		default: return cli_usage_error("lint", "unknown option");
		}
	}
	if (!src.cache_dir)
		src.cache_dir = cache = cli_cache_dir();
	pl_lint_init(&lint);
	rc = pl_lint_repo(&src, (const char *const *)(argv + optind), (size_t)(argc - optind),
			  &lint, &err);
	for (size_t i = 0; i < lint.n; i++)
		printf("%s\n", lint.msgs[i]);
	if (rc < 0)
		ret = cli_fail("lint", &err);
	else if (rc > 0) {
		fprintf(stderr, "plinth: lint: %d problem%s\n", rc, rc == 1 ? "" : "s");
		ret = PL_EXIT_FAIL;
	} else {
		ret = PL_EXIT_OK;
	}
	pl_lint_release(&lint);
	free(cache);
	return ret;
}
