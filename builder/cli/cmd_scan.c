/* plinth scan and plinth sbom */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "lib/pipeline.h"
#include "lib/scan.h"
#include "util/buf.h"

enum { OPT_DB = 256, OPT_FORMAT, OPT_FAIL_ON, OPT_IGNORE_UNFIXED, OPT_ARCH, OPT_REPO, OPT_REF,
       OPT_CACHE, OPT_NAME };

static const struct option options[] = {
	{ "db", required_argument, NULL, OPT_DB },
	{ "format", required_argument, NULL, OPT_FORMAT },
	{ "fail-on", required_argument, NULL, OPT_FAIL_ON },
	{ "ignore-unfixed", no_argument, NULL, OPT_IGNORE_UNFIXED },
	{ "arch", required_argument, NULL, OPT_ARCH },
	{ "repo", required_argument, NULL, OPT_REPO },
	{ "ref", required_argument, NULL, OPT_REF },
	{ "cache", required_argument, NULL, OPT_CACHE },
	{ "name", required_argument, NULL, OPT_NAME },
	CLI_REG_OPTIONS,
	{ NULL, 0, NULL, 0 },
};

static struct pl_reg_opts reg;

static void today(char out[11])
{
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 11, "%Y-%m-%d", &tm);
}

/* Shared by scan and sbom: flags into o; the format into *format. */
static int parse(const char *cmd, int argc, char **argv, struct pl_scan_target_opts *o,
		 const char **format, const char **name)
{
	struct pl_err err = PL_ERR_INIT;
	enum pl_sev sev;
	int c;

	cli_reg_init(&reg);
	o->src.reg = &reg;
	while ((c = getopt_long(argc, argv, "", options, NULL)) != -1) {
		int k = cli_reg_opt(cmd, c, optarg, &reg);
		if (k < 0)
			return PL_EXIT_USAGE;
		if (k > 0)
			continue;
		switch (c) {
		case OPT_DB: o->gate.db_path = optarg; break;
		case OPT_FORMAT: *format = optarg; break;
		case OPT_ARCH: o->arch = optarg; break;
		case OPT_REPO: o->src.repo = optarg; break;
		case OPT_REF: o->src.ref = optarg; break;
		case OPT_CACHE: o->src.cache_dir = optarg; break;
		case OPT_NAME: *name = optarg; break;
		case OPT_IGNORE_UNFIXED: o->gate.ignore_unfixed = true; break;
		case OPT_FAIL_ON:
			if (pl_sev_parse(optarg, &sev, &err) < 0)
				return cli_usage_error(cmd, "--fail-on: %s", err.msg);
			o->gate.fail_on = (int)sev;
			break;
		default: return cli_usage_error(cmd, "unknown option");
		}
	}
	if (optind + 1 != argc)
		return cli_usage_error(cmd, "give one target: oci:DIR:REF or rootfs:DIR");
	o->target = argv[optind];
	return 0;
}

int cmd_scan(int argc, char **argv)
{
	struct pl_scan_target_opts o;
	struct pl_scan_result res;
	struct pl_err err = PL_ERR_INIT;
	struct pl_buf out = PL_BUF_INIT;
	const char *format = "table", *name = NULL;
	char *cache = NULL, day[11];
	int rc, ret = PL_EXIT_OK;

	memset(&o, 0, sizeof(o));
	rc = parse("scan", argc, argv, &o, &format, &name);
	if (rc)
		return rc;
	if (strcmp(format, "table") && strcmp(format, "json") && strcmp(format, "sarif"))
		return cli_usage_error("scan", "--format is table, json or sarif");
	if (!o.src.cache_dir)
		o.src.cache_dir = cache = cli_cache_dir();
	today(day);
	o.gate.today = day;
	o.want_report = true;
	if (pl_scan_target(&o, &res, &err) < 0) {
		ret = cli_fail("scan", &err);
		goto out;
	}
	if (!strcmp(format, "json"))
		rc = pl_report_json(res.report, &out, &err);
	else if (!strcmp(format, "sarif"))
		rc = pl_report_sarif(res.report, &out, &err);
	else
		rc = pl_report_table(res.report, &out, &err);
	if (rc < 0) {
		ret = cli_fail("scan", &err);
		goto out;
	}
	fputs(out.data ? out.data : "", stdout);
	if (res.gate_rc < 0) {
		cli_fail("scan", &res.gate_err);
		ret = PL_EXIT_POLICY;
	}
out:
	pl_scan_result_release(&res);
	pl_buf_release(&out);
	free(cache);
	return ret;
}

int cmd_sbom(int argc, char **argv)
{
	struct pl_scan_target_opts o;
	struct pl_scan_result res;
	struct pl_sbom_opts so = { 0 };
	struct pl_err err = PL_ERR_INIT;
	struct pl_buf out = PL_BUF_INIT;
	const char *format = "spdx", *name = NULL;
	char *cache = NULL;
	int rc, ret = PL_EXIT_OK;

	memset(&o, 0, sizeof(o));
	rc = parse("sbom", argc, argv, &o, &format, &name);
	if (rc)
		return rc;
	if (strcmp(format, "spdx") && strcmp(format, "cyclonedx"))
		return cli_usage_error("sbom", "--format is spdx or cyclonedx");
	if (!o.src.cache_dir)
		o.src.cache_dir = cache = cli_cache_dir();
	if (pl_scan_target(&o, &res, &err) < 0) {
		ret = cli_fail("sbom", &err);
		goto out;
	}
	so.name = name ? name : o.target;
	so.digest = res.digest[0] ? res.digest : NULL;
	so.created = (int64_t)time(NULL);
	so.tool = "plinth-" PL_VERSION;
	rc = !strcmp(format, "spdx") ? pl_sbom_spdx(res.inv, &so, &out, &err)
				     : pl_sbom_cyclonedx(res.inv, &so, &out, &err);
	if (rc < 0)
		ret = cli_fail("sbom", &err);
	else
		fputs(out.data, stdout);
out:
	pl_scan_result_release(&res);
	pl_buf_release(&out);
	free(cache);
	return ret;
}
