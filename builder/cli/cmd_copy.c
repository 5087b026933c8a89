/* plinth push, pull and copy: one command under three names, as skopeo copy. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "util/json.h"
#include "util/log.h"

enum { OPT_JSON = 256, OPT_PARALLEL };

static const struct option options[] = {
	{ "json", no_argument, NULL, OPT_JSON },
	{ "parallel", required_argument, NULL, OPT_PARALLEL },
	CLI_REG_OPTIONS,
	{ NULL, 0, NULL, 0 },
};

static int print_json(const char *src, const char *dst, const struct pl_copy_result *r)
{
	struct pl_err err = PL_ERR_INIT;
	struct pl_buf out;
	json_t *j = json_object(), *blobs = json_array();
	int rc;

	for (size_t i = 0; i < r->blobs.n; i++)
		json_array_append_new(blobs, json_string(r->blobs.v[i]));
	json_object_set_new(j, "source", json_string(src));
	json_object_set_new(j, "destination", json_string(dst));
	json_object_set_new(j, "digest", json_string(r->digest));
	json_object_set_new(j, "mediaType", json_string(r->media_type));
	json_object_set_new(j, "blobs", blobs);
	json_object_set_new(j, "bytesSent", json_integer((json_int_t)r->stats.bytes_sent));
	json_object_set_new(j, "bytesReceived", json_integer((json_int_t)r->stats.bytes_received));
	json_object_set_new(j, "blobsPushed", json_integer(r->stats.blobs_pushed));
	json_object_set_new(j, "blobsMounted", json_integer(r->stats.blobs_mounted));
	json_object_set_new(j, "blobsSkipped", json_integer(r->stats.blobs_skipped));
	json_object_set_new(j, "blobsPulled", json_integer(r->stats.blobs_pulled));
	json_object_set_new(j, "retries", json_integer(r->stats.retries));
	pl_buf_init(&out, 0);
	rc = pl_json_dump_pretty(j, &out, &err);
	if (rc == 0)
		printf("%s\n", out.data);
	pl_buf_release(&out);
	json_decref(j);
	return rc;
}

int cmd_copy(int argc, char **argv)
{
	const char *cmd = argv[0];
	struct pl_copy_opts o = { .progress = true, .all_platforms = true };
	struct pl_copy_result res;
	struct pl_err err = PL_ERR_INIT;
	bool json = false;
	char *cache = NULL;
	int c, rc;

	cli_reg_init(&o.reg);
	while ((c = getopt_long(argc, argv, "", options, NULL)) != -1) {
		int r = cli_reg_opt(cmd, c, optarg, &o.reg);
		if (r < 0)
			return PL_EXIT_USAGE;
		if (r > 0)
			continue;
		switch (c) {
		case OPT_JSON:
			json = true;
			break;
		case OPT_PARALLEL:
			o.reg.parallel = (int)strtol(optarg, NULL, 10);
			if (o.reg.parallel < 1 || o.reg.parallel > 16)
				return cli_usage_error(cmd, "--parallel wants 1 to 16");
			break;
		default:
			return cli_usage_error(cmd, "unknown option");
		}
	}
	if (argc - optind != 2)
		return cli_usage_error(cmd, "want SOURCE and DESTINATION");
	cache = cli_cache_dir();
	o.cache_dir = cache;
	rc = pl_copy(argv[optind], argv[optind + 1], &o, &res, &err);
	free(cache);
	if (rc < 0)
		return cli_fail(cmd, &err);
	if (json) {
		print_json(argv[optind], argv[optind + 1], &res);
	} else if (pl_log_get_level() > PL_LOG_QUIET) {
		printf("%s %s\n", argv[optind + 1], res.digest);
		fprintf(stderr, "%u blobs: %u sent, %u mounted, %u already there, %u pulled; "
				"%" PRIu64 " bytes sent\n",
			(unsigned)res.blobs.n, res.stats.blobs_pushed, res.stats.blobs_mounted,
			res.stats.blobs_skipped, res.stats.blobs_pulled, res.stats.bytes_sent);
	} else {
		printf("%s\n", res.digest);
	}
	pl_copy_result_release(&res);
	return PL_EXIT_OK;
}
