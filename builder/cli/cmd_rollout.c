/* plinth rollout, plinth history, plinth advisory: the ledger's read side */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cli/cli.h"
#include "lib/ledger.h"
#include "lib/pipeline.h"
#include "util/buf.h"
#include "util/fsutil.h"
#include "util/json.h"

enum { OPT_LEDGER = 256, OPT_FORMAT, OPT_OUT, OPT_KEYS, OPT_COSIGN_KEY };

enum fmt { FMT_TABLE, FMT_JSON, FMT_HTML, FMT_MD };

static const struct option options[] = {
	{ "ledger", required_argument, NULL, OPT_LEDGER },
	{ "format", required_argument, NULL, OPT_FORMAT },
	{ "out", required_argument, NULL, OPT_OUT },
	{ "keys", required_argument, NULL, OPT_KEYS },
	{ "cosign-key", required_argument, NULL, OPT_COSIGN_KEY },
	{ NULL, 0, NULL, 0 },
};

struct ropts {
	const char *ledger, *out, *keys, *cosign_key;
	enum fmt fmt;
	bool fmt_set;
};

/* Which formats a command takes, as a bit per enum fmt. */
#define F(x) (1u << (x))

static int parse(const char *cmd, int argc, char **argv, unsigned formats, bool out_ok,
		 struct ropts *o)
{
	static const char *const names[] = {"table", "json", "html", "md"};
	int c;

	while ((c = getopt_long(argc, argv, "", options, NULL)) != -1) {
		switch (c) {
		case OPT_LEDGER: o->ledger = optarg; break;
		case OPT_OUT:
			if (!out_ok)
				return cli_usage_error(cmd, "--out is not an option of %s", cmd);
			o->out = optarg;
			break;
		case OPT_KEYS: o->keys = optarg; break;
		case OPT_COSIGN_KEY: o->cosign_key = optarg; break;
		case OPT_FORMAT: {
			int k;

			for (k = 0; k < 4; k++)
				if (!strcmp(optarg, names[k]) && (formats & F(k)))
					break;
			if (k == 4)
				return cli_usage_error(cmd, "unknown --format '%s'", optarg);
			o->fmt = (enum fmt)k;
			o->fmt_set = true;
			break;
		}
		default: return cli_usage_error(cmd, "unknown option");
		}
	}
	if ((o->keys || o->cosign_key) && strcmp(cmd, "advisory"))
		return cli_usage_error(cmd, "--keys and --cosign-key are options of advisory");
	return 0;
}

/*
 * The ledger: --ledger, else $PLINTH_LEDGER, else plinth.yaml's ledger.path
 * in the curation repo around the current directory, else out/ledger.db.
 * A report never creates one: a missing file is an error, not an empty
 * ledger. Returns the path or NULL after printing why.
 */
static char *ledger_path(const char *cmd, const char *flag)
{
	struct pl_err err = PL_ERR_INIT;
	struct pl_source_opts so = { 0 };
	const char *env = getenv("PLINTH_LEDGER");
	char *path = NULL;

	if (pl_ledger_locate(&so, flag ? flag : env && *env ? env : NULL, &path, &err) < 0) {
		cli_fail(cmd, &err);
		return NULL;
	}
	return path;
}

static struct pl_ledger *open_ledger(const char *cmd, const char *flag, char **path_out)
{
	struct pl_err err = PL_ERR_INIT;
	struct pl_ledger *l = NULL;
	char *path = ledger_path(cmd, flag);

	if (!path)
		return NULL;
	if (pl_ledger_open(&l, path, &err) < 0) {
		cli_fail(cmd, &err);
		free(path);
		return NULL;
	}
	*path_out = path;
	return l;
}

/* The report time: SOURCE_DATE_EPOCH when set (reproducible reports), else now. */
static int64_t report_time(void)
{
	long long t;

	if (cli_source_date_epoch(&t) == 1)
		return (int64_t)t;
	return (int64_t)time(NULL);
}

/* Print b or write it atomically to out. */
static int emit(const char *cmd, const char *out, struct pl_buf *b)
{
	struct pl_err err = PL_ERR_INIT;

	if (!out) {
		if (b->len && fwrite(b->data, 1, b->len, stdout) != b->len) {
			fprintf(stderr, "plinth: %s: writing to stdout failed\n", cmd);
			return PL_EXIT_FAIL;
		}
		return PL_EXIT_OK;
	}
	if (pl_write_file_atomic(out, b->data ? b->data : "", b->len, 0644, &err) < 0)
		return cli_fail(cmd, &err);
	fprintf(stderr, "plinth: %s: wrote %s\n", cmd, out);
	return PL_EXIT_OK;
}

static int dump_json(json_t *j, struct pl_buf *b, struct pl_err *err)
{
	return pl_json_dump_pretty(j, b, err);
}

int cmd_rollout(int argc, char **argv)
{
	struct pl_err err = PL_ERR_INIT;
	struct ropts o = {0};
	struct pl_ledger *l = NULL;
	struct pl_ledger_rollout *r = NULL;
	struct pl_rollout_opts ro = { 0 };
	struct pl_ledger_report_opts rep = {0};
	struct pl_buf b = PL_BUF_INIT;
	char *path = NULL, *cache = NULL;
	json_t *j = NULL;
	int rc, ret = PL_EXIT_FAIL;

	rc = parse("rollout", argc, argv, F(FMT_TABLE) | F(FMT_JSON) | F(FMT_HTML) | F(FMT_MD),
		   true, &o);
	if (rc)
		return rc;
	path = ledger_path("rollout", o.ledger);
	if (!path)
		return PL_EXIT_FAIL;
	ro.ledger_path = path;
	ro.src.cache_dir = cache = cli_cache_dir();
	ro.patch_ids = (const char *const *)argv + optind;
	ro.npatch_ids = (size_t)(argc - optind);
	if (!ro.npatch_ids)
		ro.patch_ids = NULL;
	ro.now = report_time();
	/* the ledger, plus the patches and recipes of the curation repo as it stands */
	rc = pl_rollout(&ro, &l, &r, &err);
	if (rc == PL_ENOTFOUND) {
		fprintf(stderr, "plinth: rollout: %s ('plinth rollout' lists the known patches)\n",
			err.msg);
		goto out;
	}
	if (rc < 0) {
		ret = cli_fail("rollout", &err);
		goto out;
	}
	rep.source = path;
	rep.generated = ro.now;
	switch (o.fmt) {
	case FMT_TABLE: rc = pl_ledger_rollout_table(r, ro.npatch_ids > 0, &b, &err); break;
	case FMT_MD: rc = pl_ledger_rollout_md(r, &rep, &b, &err); break;
	case FMT_HTML: rc = pl_ledger_rollout_html(r, &rep, &b, &err); break;
	case FMT_JSON:
		rc = pl_ledger_rollout_json(r, &j, &err);
		if (rc == 0)
			rc = dump_json(j, &b, &err);
		break;
	}
	if (rc < 0)
		ret = cli_fail("rollout", &err);
	else
		ret = emit("rollout", o.out, &b);
out:
	json_decref(j);
	pl_buf_release(&b);
	pl_ledger_rollout_free(r);
	pl_ledger_free(l);
	free(path);
	free(cache);
	return ret;
}

int cmd_history(int argc, char **argv)
{
	struct pl_err err = PL_ERR_INIT;
	struct ropts o = {0};
	struct pl_ledger *l = NULL;
	struct pl_ledger_history *h = NULL;
	struct pl_buf b = PL_BUF_INIT;
	char *path = NULL;
	json_t *j = NULL;
	int rc, ret = PL_EXIT_FAIL;

	rc = parse("history", argc, argv, F(FMT_TABLE) | F(FMT_JSON), false, &o);
	if (rc)
		return rc;
	if (optind + 1 != argc)
		return cli_usage_error("history", "give exactly one image (recipe name)");
	l = open_ledger("history", o.ledger, &path);
	if (!l)
		return PL_EXIT_FAIL;
	if (pl_ledger_history(l, argv[optind], &h, &err) < 0) {
		ret = cli_fail("history", &err);
		goto out;
	}
	if (h->n == 0) {
		fprintf(stderr, "plinth: history: no builds of image '%s' in ledger '%s'\n",
			argv[optind], path);
		goto out;
	}
	if (o.fmt == FMT_JSON) {
		rc = pl_ledger_history_json(h, &j, &err);
		if (rc == 0)
			rc = dump_json(j, &b, &err);
	} else {
		rc = pl_ledger_history_table(h, &b, &err);
	}
	ret = rc < 0 ? cli_fail("history", &err) : emit("history", NULL, &b);
out:
	json_decref(j);
	pl_buf_release(&b);
	pl_ledger_history_free(h);
	pl_ledger_free(l);
	free(path);
	return ret;
}

int cmd_advisory(int argc, char **argv)
{
	struct pl_err err = PL_ERR_INIT;
	struct ropts o = {0};
	struct pl_ledger *l = NULL;
	struct pl_ledger_rollout *r = NULL;
	struct pl_ledger_report_opts rep = {0};
	struct pl_buf b = PL_BUF_INIT;
	char *path = NULL;
	json_t *j = NULL;
	int rc, ret = PL_EXIT_FAIL;

	struct pl_rollout_opts ro = { 0 };
	char *cache = NULL;

	o.fmt = FMT_MD;
	rc = parse("advisory", argc, argv, F(FMT_JSON) | F(FMT_HTML) | F(FMT_MD), true, &o);
	if (rc)
		return rc;
	if (optind + 1 != argc)
		return cli_usage_error("advisory", "give exactly one patch id");
	path = ledger_path("advisory", o.ledger);
	if (!path)
		return PL_EXIT_FAIL;
	rep.generated = report_time();
	ro.ledger_path = path;
	ro.src.cache_dir = cache = cli_cache_dir();
	ro.patch_ids = (const char *const *)argv + optind;
	ro.npatch_ids = 1;
	ro.now = rep.generated;
	rc = pl_rollout(&ro, &l, &r, &err);
	if (rc == PL_ENOTFOUND) {
		fprintf(stderr, "plinth: advisory: %s ('plinth rollout' lists the known patches)\n",
			err.msg);
		goto out;
	}
	if (rc < 0) {
		ret = cli_fail("advisory", &err);
		goto out;
	}
	rep.keys_dir = o.keys;
	rep.cosign_key = o.cosign_key;
	switch (o.fmt) {
	case FMT_HTML: rc = pl_ledger_advisory_html(r, &rep, &b, &err); break;
	case FMT_JSON:
		rc = pl_ledger_advisory_json(r, &j, &err);
		if (rc == 0)
			rc = dump_json(j, &b, &err);
		break;
	default: rc = pl_ledger_advisory_md(r, &rep, &b, &err); break;
	}
	ret = rc < 0 ? cli_fail("advisory", &err) : emit("advisory", o.out, &b);
out:
	json_decref(j);
	pl_buf_release(&b);
	pl_ledger_rollout_free(r);
	pl_ledger_free(l);
	free(path);
	free(cache);
	return ret;
}
