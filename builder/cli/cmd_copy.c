/* plinth push, pull and copy: one command under three names, as skopeo copy. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "lib/pipeline.h"
#include "util/json.h"
#include "util/log.h"

enum { OPT_JSON = 256, OPT_PARALLEL, OPT_KEY, OPT_KEYS, OPT_SKIP_VERIFY };

static const struct option options[] = {
	{ "json", no_argument, NULL, OPT_JSON },
	{ "parallel", required_argument, NULL, OPT_PARALLEL },
	{ "key", required_argument, NULL, OPT_KEY },
	{ "keys", required_argument, NULL, OPT_KEYS },
	{ "insecure-skip-verify", no_argument, NULL, OPT_SKIP_VERIFY },
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
	struct pl_trust_opts t = { 0 };
	struct pl_verified v = { 0 };
	struct pl_err err = PL_ERR_INIT;
	bool json = false, skip = false, pull = !strcmp(cmd, "pull");
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
		case OPT_KEY:
			t.key = optarg;
			break;
		case OPT_KEYS:
			t.keys_dir = optarg;
			break;
		case OPT_SKIP_VERIFY:
			skip = true;
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
	if (!pull && (t.key || t.keys_dir || skip))
		return cli_usage_error(cmd, "--key, --keys and --insecure-skip-verify are pull's");
	cache = cli_cache_dir();
	o.cache_dir = cache;
	t.src.reg = &o.reg;
	t.src.cache_dir = cache;
	/* pull verifies what the trust policy covers; copy and push move bytes */
	if (pull)
		rc = pl_pull(&t, argv[optind], argv[optind + 1], &o, skip, &res, &v, &err);
	else
		rc = pl_copy(argv[optind], argv[optind + 1], &o, &res, &err);
	free(cache);
	if (rc < 0) {
		pl_verified_release(&v);
		return cli_fail(cmd, &err);
	}
	for (size_t i = 0; i < v.n && !json; i++)
		fprintf(stderr, "verified %s: signed by %s\n", v.sigs[i].digest, v.sigs[i].key);
	pl_verified_release(&v);
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
