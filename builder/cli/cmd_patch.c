/* plinth patch */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "lib/oci.h"
#include "lib/pipeline.h"
#include "util/buf.h"
#include "util/json.h"

enum { OPT_REPO = 256, OPT_REF, OPT_OUT, OPT_PATCH, OPT_ARCH, OPT_CACHE, OPT_DB, OPT_OFFLINE,
       OPT_PLAN, OPT_ALL, OPT_JSON };

static const struct option options[] = {
	{ "repo", required_argument, NULL, OPT_REPO },
	{ "ref", required_argument, NULL, OPT_REF },
	{ "out", required_argument, NULL, OPT_OUT },
	{ "patch", required_argument, NULL, OPT_PATCH },
	{ "arch", required_argument, NULL, OPT_ARCH },
	{ "cache", required_argument, NULL, OPT_CACHE },
	{ "db", required_argument, NULL, OPT_DB },
	{ "offline", no_argument, NULL, OPT_OFFLINE },
	{ "plan", no_argument, NULL, OPT_PLAN },
	{ "all", no_argument, NULL, OPT_ALL },
	{ "json", no_argument, NULL, OPT_JSON },
	CLI_REG_OPTIONS,
	{ NULL, 0, NULL, 0 },
};

static struct pl_reg_opts reg;

static int run_plan(struct pl_source_opts *src, int n, char **names, bool offline, bool json)
{
	struct pl_err err = PL_ERR_INIT;
	struct pl_buf b = PL_BUF_INIT;
	char *cache = NULL;
	json_t *plan = NULL, *img, *p, *a;
	size_t i, k, m;
	int ret = PL_EXIT_OK;

	if (!src->cache_dir)
		src->cache_dir = cache = cli_cache_dir();
	if (pl_patch_plan(src, (const char *const *)names, (size_t)n, offline, &plan, &err) < 0) {
		free(cache);
		return cli_fail("patch", &err);
	}
	if (json) {
		if (pl_json_dump_pretty(plan, &b, &err) < 0)
			ret = cli_fail("patch", &err);
		else
			fputs(b.data, stdout);
	} else {
		json_array_foreach(plan, i, img) {
			printf("%s:", json_string_value(json_object_get(img, "recipe")));
			if (json_array_size(json_object_get(img, "patches")) == 0)
				printf(" no patch applies");
			printf("\n");
			json_array_foreach(json_object_get(img, "patches"), k, p) {
				printf("  %s (%s)\n", json_string_value(json_object_get(p, "id")),
				       json_string_value(json_object_get(p, "why")));
				json_array_foreach(json_object_get(p, "actions"), m, a)
					printf("    %s\n", json_string_value(a));
			}
			if (json_object_get(img, "note"))
				printf("  (%s)\n", json_string_value(json_object_get(img, "note")));
		}
	}
	json_decref(plan);
	pl_buf_release(&b);
	free(cache);
	return ret;
}

int cmd_patch(int argc, char **argv)
{
	struct pl_patch_image_opts o;
	struct pl_build_result res;
	struct pl_err err = PL_ERR_INIT;
	struct pl_ref out = { 0 };
	const char **ids = NULL;
	const char *outs = NULL;
	char *cache = NULL, day[11];
	size_t nids = 0;
	bool plan = false, json = false;
	long long epoch;
	time_t now = time(NULL);
	struct tm tm;
	int c, rc, ret = PL_EXIT_OK;

	memset(&o, 0, sizeof(o));
	ids = calloc((size_t)argc, sizeof(*ids));
	if (!ids)
		return PL_EXIT_FAIL;
	cli_reg_init(&reg);
	o.build.src.reg = &reg;
	while ((c = getopt_long(argc, argv, "", options, NULL)) != -1) {
		int k = cli_reg_opt("patch", c, optarg, &reg);
		if (k < 0)
			return PL_EXIT_USAGE;
		if (k > 0)
			continue;
		switch (c) {
		case OPT_REPO: o.build.src.repo = optarg; break;
		case OPT_REF: o.build.src.ref = optarg; break;
		case OPT_OUT: outs = optarg; break;
		case OPT_PATCH: ids[nids++] = optarg; break;
		case OPT_ARCH: o.arch = optarg; break;
		case OPT_CACHE: o.build.src.cache_dir = optarg; break;
		case OPT_DB: o.build.db_path = optarg; break;
		case OPT_OFFLINE: o.build.offline = true; break;
		case OPT_PLAN: plan = true; break;
		case OPT_ALL: break; /* the default for --plan */
		case OPT_JSON: json = true; break;
		default: free(ids); return cli_usage_error("patch", "unknown option");
		}
	}
	if (plan) {
		free(ids);
		return run_plan(&o.build.src, argc - optind, argv + optind, o.build.offline, json);
	}
	if (optind + 1 != argc || !outs) {
		free(ids);
		return cli_usage_error("patch", "usage: plinth patch TARGET --out oci:DIR:REF");
	}
	if (pl_ref_parse(outs, &out, &err) < 0 || out.kind != PL_REF_OCI || !out.tag) {
		pl_ref_release(&out);
		free(ids);
		return cli_usage_error("patch", "--out wants oci:DIR:REF%s%s", err.msg[0] ? ": " : "",
				       err.msg);
	}
	o.target = argv[optind];
	o.out_ref = out.tag;
	o.build.out_dir = out.path;
	o.build.patch_ids = ids;
	o.build.npatch_ids = nids;
	o.build.tmp_dir = getenv("TMPDIR");
	gmtime_r(&now, &tm);
	strftime(day, sizeof(day), "%Y-%m-%d", &tm);
	o.build.today = day;
	if (cli_source_date_epoch(&epoch) == 1) {
		o.build.has_epoch = true;
		o.build.epoch = epoch;
	}
	if (!o.build.src.cache_dir)
		o.build.src.cache_dir = cache = cli_cache_dir();
	rc = pl_patch_image(&o, &res, &err);
	if (rc < 0) {
		ret = cli_fail("patch", &err);
		for (size_t i = 0; i < res.n; i++)
			if (res.images[i].gate_refused)
				ret = PL_EXIT_POLICY;
	} else {
		cli_print_build(&res);
		if (!res.n || !res.images[0].patch_ids)
			fprintf(stderr, "plinth: patch: no patch applies to '%s'; the image was "
					"copied unchanged\n", o.target);
	}
	pl_build_result_release(&res);
	pl_ref_release(&out);
	free(cache);
	free(ids);
	return ret;
}
