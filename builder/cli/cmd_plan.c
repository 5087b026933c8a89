/* plinth plan */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "lib/pipeline.h"
#include "util/json.h"

enum { OPT_REPO = 256, OPT_REF, OPT_ALL, OPT_JSON, OPT_LEDGER, OPT_OUT, OPT_DB, OPT_CACHE };

static const struct option options[] = {
	{ "repo", required_argument, NULL, OPT_REPO },
	{ "ref", required_argument, NULL, OPT_REF },
	{ "all", no_argument, NULL, OPT_ALL },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "ledger", required_argument, NULL, OPT_LEDGER },
	{ "out", required_argument, NULL, OPT_OUT },
	{ "db", required_argument, NULL, OPT_DB },
	{ "cache", required_argument, NULL, OPT_CACHE },
	CLI_REG_OPTIONS,
	{ NULL, 0, NULL, 0 },
};

int cmd_plan(int argc, char **argv)
{
	struct pl_build_opts o;
	struct pl_reg_opts reg;
	struct pl_err err = PL_ERR_INIT;
	struct pl_buf b = PL_BUF_INIT;
	char *cache = NULL;
	bool json = false;
	json_t *j = NULL, *img;
	size_t i;
	int c, k, ret = PL_EXIT_OK;

	memset(&o, 0, sizeof(o));
	cli_reg_init(&reg);
	o.src.reg = &reg;
	while ((c = getopt_long(argc, argv, "", options, NULL)) != -1) {
		if ((k = cli_reg_opt("plan", c, optarg, &reg)) != 0) {
			if (k < 0)
				return PL_EXIT_USAGE;
			continue;
		}
		switch (c) {
		case OPT_REPO: o.src.repo = optarg; break;
		case OPT_REF: o.src.ref = optarg; break;
		case OPT_ALL: o.all = true; break;
		case OPT_JSON: json = true; break;
		case OPT_LEDGER: o.ledger_path = optarg; break;
		case OPT_OUT: o.out_dir = strncmp(optarg, "oci:", 4) ? optarg : optarg + 4; break;
		case OPT_DB: o.db_path = optarg; break;
		case OPT_CACHE: o.src.cache_dir = optarg; break;
		default: return cli_usage_error("plan", "unknown option");
		}
	}
	o.recipes = (const char *const *)(argv + optind);
	o.nrecipes = (size_t)(argc - optind);
	if (!o.src.cache_dir)
		o.src.cache_dir = cache = cli_cache_dir();
	if (pl_plan(&o, &j, &err) < 0) {
		free(cache);
		return cli_fail("plan", &err);
	}
	if (json) {
		if (pl_json_dump_pretty(j, &b, &err) < 0)
			ret = cli_fail("plan", &err);
		else
			fputs(b.data, stdout);
	} else {
		printf("%-24s %-8s %s\n", "IMAGE", "REBUILD", "WHY");
		json_array_foreach(json_object_get(j, "images"), i, img) {
			json_t *rs = json_object_get(img, "reasons"), *r;
			size_t n;

			printf("%-24s %-8s", json_string_value(json_object_get(img, "recipe")),
			       json_is_true(json_object_get(img, "rebuild")) ? "yes" : "no");
			json_array_foreach(rs, n, r)
				printf("%s%s", n ? "; " : " ", json_string_value(r));
			printf("%s\n", json_array_size(rs) ? "" : " inputs unchanged");
		}
	}
	pl_buf_release(&b);
	json_decref(j);
	free(cache);
	return ret;
}
