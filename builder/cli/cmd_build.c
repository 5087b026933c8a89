/* plinth build */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "lib/pipeline.h"
#include "lib/scan.h"
#include "util/buf.h"
#include "util/json.h"

enum { OPT_REPO = 256, OPT_REF, OPT_OUT, OPT_ALL, OPT_ZSTD, OPT_JSON, OPT_REPRO, OPT_CACHE,
       OPT_THREADS, OPT_OFFLINE, OPT_UPDATE_LOCK, OPT_DB, OPT_PUSH, OPT_JOBS, OPT_FORCE,
       OPT_LEDGER, OPT_SIGN, OPT_KEY, OPT_PASSFILE };

static const struct option options[] = {
	{ "repo", required_argument, NULL, OPT_REPO },
	{ "ref", required_argument, NULL, OPT_REF },
	{ "out", required_argument, NULL, OPT_OUT },
	{ "all", no_argument, NULL, OPT_ALL },
	{ "zstd", no_argument, NULL, OPT_ZSTD },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "check-reproducible", no_argument, NULL, OPT_REPRO },
	{ "cache", required_argument, NULL, OPT_CACHE },
	{ "threads", required_argument, NULL, OPT_THREADS },
	{ "offline", no_argument, NULL, OPT_OFFLINE },
	{ "update-lock", no_argument, NULL, OPT_UPDATE_LOCK },
	{ "db", required_argument, NULL, OPT_DB },
	{ "push", required_argument, NULL, OPT_PUSH },
	{ "jobs", required_argument, NULL, OPT_JOBS },
	{ "force", no_argument, NULL, OPT_FORCE },
	{ "ledger", required_argument, NULL, OPT_LEDGER },
	{ "sign", no_argument, NULL, OPT_SIGN },
	{ "key", required_argument, NULL, OPT_KEY },
	{ "password-file", required_argument, NULL, OPT_PASSFILE },
	CLI_REG_OPTIONS,
	{ NULL, 0, NULL, 0 },
};

static struct pl_reg_opts reg;

/* "oci:DIR" -> "DIR"; a bare DIR is accepted too. */
static const char *layout_dir(const char *s)
{
	return strncmp(s, "oci:", 4) == 0 ? s + 4 : s;
}

/* "scan: 1 critical, 2 high; 2 fixed, 1 unfixed, 1 ignored (database sha256:...)" */
static void print_scan(const struct pl_built_image *img)
{
	const char *sep = "";
	size_t total = 0;

	if (!img->scanned) {
		printf("  %s: not scanned: %s\n", img->name, img->not_scanned ? img->not_scanned
									   : "unknown");
		return;
	}
	printf("  %s: scan:", img->name);
	for (int i = PL_SEV_COUNT - 1; i >= 0; i--) {
		total += img->by_sev[i];
		if (img->by_sev[i]) {
			printf("%s %zu %s", sep, img->by_sev[i], pl_sev_name((enum pl_sev)i));
			sep = ",";
		}
	}
	if (!total)
		printf(" no findings");
	sep = ";";
	for (int i = 0; i < PL_FSTATE_COUNT; i++) {
		if (img->by_state[i]) {
			printf("%s %zu %s", sep, img->by_state[i], pl_fstate_name((enum pl_fstate)i));
			sep = ",";
		}
	}
	if (img->ignored)
		printf("%s %zu ignored", sep, img->ignored);
	printf(" (database %.19s)\n", img->db_digest);
}

/* "patches PL-1, PL-2; closed: PL-1 CVE-a CVE-b" */
static void print_patches(const struct pl_built_image *img)
{
	json_t *closed = NULL, *list;
	const char *id;
	size_t i, n = 0;

	printf("  %s: patches %s", img->name, img->patch_ids);
	if (img->patch_closed &&
	    pl_json_load(img->patch_closed, strlen(img->patch_closed), "closed", &closed, NULL) ==
		    0) {
		json_object_foreach(closed, id, list) {
			json_t *c;

			if (json_array_size(list) == 0)
				continue;
			printf("%s %s", n++ ? ";" : "; closed", id);
			json_array_foreach(list, i, c)
				printf(" %s", json_string_value(c));
		}
	}
	printf("\n");
	json_decref(closed);
}

static const char *outcome(const struct pl_built_image *img)
{
	if (img->rc == 0)
		return img->unchanged ? "unchanged" : "built";
	return img->gate_refused ? "refused by policy" : "failed";
}

/* "2 critical, 1 high" of an image's findings, or "-" */
static void findings(const struct pl_built_image *img, char *out, size_t n)
{
	size_t k = 0;

	out[0] = 0;
	for (int i = PL_SEV_COUNT - 1; i >= 0 && k < n; i--)
		if (img->by_sev[i])
			k += (size_t)snprintf(out + k, n - k, "%s%zu %s", k ? ", " : "",
					      img->by_sev[i], pl_sev_name((enum pl_sev)i));
	if (!out[0])
		snprintf(out, n, "%s", img->scanned ? "none" : "-");
}

/* The fleet's summary: one row per image. */
static void print_summary(const struct pl_build_result *res)
{
	printf("\n%-24s %-19s %-22s %-26s %s\n", "IMAGE", "DIGEST", "PATCHES", "FINDINGS",
	       "OUTCOME");
	for (size_t i = 0; i < res->n; i++) {
		const struct pl_built_image *img = &res->images[i];
		char f[128];

		findings(img, f, sizeof(f));
		printf("%-24s %-19.19s %-22s %-26s %s\n", img->name ? img->name : "?",
		       img->rc == 0 ? img->desc.digest : "-", img->patch_ids ? img->patch_ids : "-",
		       f, outcome(img));
	}
	printf("%zu built, %zu unchanged, %zu refused by policy, %zu failed%s%s\n", res->built,
	       res->unchanged, res->refused, res->failed, res->ledger ? "; recorded in " : "",
	       res->ledger ? res->ledger : "");
}

void cli_print_build(const struct pl_build_result *res)
{
	for (size_t i = 0; i < res->n; i++) {
		const struct pl_built_image *img = &res->images[i];

		if (img->rc < 0) {
			printf("%s: %s: %s\n", img->name ? img->name : "?", outcome(img),
			       img->message ? img->message : "");
			continue;
		}
		if (img->unchanged) {
			for (size_t k = 0; k < img->refs.n; k++)
				printf("oci:%s:%s %s (unchanged)\n", res->out_dir, img->refs.v[k],
				       img->desc.digest);
			continue;
		}

		for (size_t k = 0; k < img->refs.n; k++)
			printf("oci:%s:%s %s%s\n", res->out_dir, img->refs.v[k], img->desc.digest,
			       img->reproducible ? " (reproducible)" : "");
		for (size_t k = 0; k < img->published.n; k++)
			printf("%s %s\n", img->published.v[k], img->desc.digest);
		if (img->refs.n && img->patch_ids)
			print_patches(img);
		if (img->refs.n)
			print_scan(img);
	}
	if (res->n > 1)
		print_summary(res);
}

int cmd_build(int argc, char **argv)
{
	struct pl_build_opts o;
	struct pl_build_result res;
	struct pl_err err = PL_ERR_INIT;
	char *cache = NULL, day[11], *pass = NULL;
	const char *passfile = NULL;
	bool json = false;
	long long epoch;
	int c, rc, ret = PL_EXIT_OK;

	memset(&o, 0, sizeof(o));
	cli_reg_init(&reg);
	o.src.reg = &reg;
	while ((c = getopt_long(argc, argv, "", options, NULL)) != -1) {
		int k = cli_reg_opt("build", c, optarg, &reg);
		if (k < 0)
			return PL_EXIT_USAGE;
		if (k > 0)
			continue;
		switch (c) {
		case OPT_REPO: o.src.repo = optarg; break;
		case OPT_REF: o.src.ref = optarg; break;
		case OPT_OUT: o.out_dir = layout_dir(optarg); break;
		case OPT_ALL: o.all = true; break;
		case OPT_ZSTD: o.zstd = true; break;
		case OPT_JSON: json = true; break;
		case OPT_REPRO: o.check_reproducible = true; break;
		case OPT_CACHE: o.src.cache_dir = optarg; break;
		case OPT_OFFLINE: o.offline = true; break;
		case OPT_UPDATE_LOCK: o.update_lock = true; break;
		case OPT_DB: o.db_path = optarg; break;
		case OPT_PUSH: o.push_to = optarg; break;
		case OPT_FORCE: o.force = true; break;
		case OPT_LEDGER: o.ledger_path = optarg; break;
		case OPT_SIGN: o.sign = true; break;
		case OPT_KEY: o.sign_key = optarg; o.sign = true; break;
		case OPT_PASSFILE: passfile = optarg; break;
		case OPT_JOBS: {
			char *end;
			long n = strtol(optarg, &end, 10);

			if (*end || n < 1 || n > 64)
				return cli_usage_error("build", "--jobs wants 1..64, not '%s'", optarg);
			o.jobs = (int)n;
			break;
		}
		case OPT_THREADS: {
			char *end;
			long n = strtol(optarg, &end, 10);

			if (*end || n < 0 || n > 256)
				return cli_usage_error("build", "--threads wants 0..256, not '%s'",
						       optarg);
			o.threads = (int)n;
			break;
		}
		default: return cli_usage_error("build", "unknown option");
		}
	}
	if (o.all && optind < argc)
		return cli_usage_error("build", "give recipe names or --all, not both");
	if (!o.all && optind >= argc)
		return cli_usage_error("build", "name the recipes to build, or use --all");
	if (o.out_dir && !*o.out_dir)
		return cli_usage_error("build", "--out wants oci:DIR");
	o.tmp_dir = getenv("TMPDIR");
	{
		time_t now = time(NULL);
		struct tm tm;

		gmtime_r(&now, &tm);
		strftime(day, sizeof(day), "%Y-%m-%d", &tm);
		o.today = day;
	}
	o.recipes = (const char *const *)(argv + optind);
	o.nrecipes = (size_t)(argc - optind);
	switch (cli_source_date_epoch(&epoch)) {
	case 1:
		o.has_epoch = true;
		o.epoch = epoch;
		break;
	case -1:
		return cli_usage_error("build", "SOURCE_DATE_EPOCH must be a non-negative integer");
	}
	if (!o.src.cache_dir) {
		cache = cli_cache_dir();
		if (!cache) {
			fprintf(stderr, "plinth: build: out of memory\n");
			return PL_EXIT_FAIL;
		}
		o.src.cache_dir = cache;
	}
	if (o.sign) {
		bool none;

		pass = cli_passphrase(passfile, false, &none);
		if (!pass && !none)
			return PL_EXIT_FAIL;
		o.sign_pass = pass;
		o.sign_passlen = pass ? strlen(pass) : 0;
	}
	rc = pl_build(&o, &res, &err);
	cli_wipe(pass);
	if (rc < 0 && res.n == 0) {
		ret = cli_fail("build", &err);
	} else if (json) {
		struct pl_buf b = PL_BUF_INIT;
		json_t *j = NULL;

		if (pl_build_result_json(&res, &j, &err) < 0 || pl_json_dump_pretty(j, &b, &err) < 0)
			ret = cli_fail("build", &err);
		else
			fputs(b.data, stdout);
		json_decref(j);
		pl_buf_release(&b);
	} else {
		cli_print_build(&res);
	}
	if (rc < 0 && res.n > 0) {
		ret = cli_fail("build", &err);
		/* exit 3 only when the policy alone refused */
		if (res.failed == 0 && res.refused > 0)
			ret = PL_EXIT_POLICY;
	}
	pl_build_result_release(&res);
	free(cache);
	return ret;
}
