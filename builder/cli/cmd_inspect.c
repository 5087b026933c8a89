/* plinth inspect */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "lib/pipeline.h"
#include "util/buf.h"
#include "util/json.h"

enum { OPT_JSON = 256 };

static const struct option options[] = {
	{ "json", no_argument, NULL, OPT_JSON },
	CLI_REG_OPTIONS,
	{ NULL, 0, NULL, 0 },
};

static void print_map(const char *title, const json_t *m, const char *indent)
{
	const char *k;
	json_t *v;

	if (!json_is_object(m) || json_object_size(m) == 0)
		return;
	printf("%s%s:\n", indent, title);
	json_object_foreach((json_t *)m, k, v)
		printf("%s  %s: %s\n", indent, k, json_is_string(v) ? json_string_value(v) : "");
}

static void print_strs(const char *title, const json_t *a, const char *indent)
{
	size_t i;
	json_t *v;

	if (!json_is_array(a))
		return;
	printf("%s%-12s", indent, title);
	json_array_foreach(a, i, v)
		printf("%s%s", i ? " " : "", json_is_string(v) ? json_string_value(v) : "?");
	printf("\n");
}

static void print_image(const json_t *img)
{
	const json_t *man = json_object_get(img, "manifest");
	const json_t *cfg = json_object_get(img, "config");
	const json_t *cc = json_object_get(cfg, "config");
	size_t i;
	json_t *l;

	printf("Digest:      %s\n", json_string_value(json_object_get(img, "digest")));
	printf("MediaType:   %s\n", json_string_value(json_object_get(img, "mediaType")));
	printf("Platform:    %s/%s\n", json_string_value(json_object_get(cfg, "os")),
	       json_string_value(json_object_get(cfg, "architecture")));
	if (json_object_get(cfg, "created"))
		printf("Created:     %s\n", json_string_value(json_object_get(cfg, "created")));
	printf("Config:      %s\n",
	       json_string_value(json_object_get(json_object_get(man, "config"), "digest")));
	printf("Layers:\n");
	json_array_foreach(json_object_get(man, "layers"), i, l)
		printf("  %s %10lld  %s\n", json_string_value(json_object_get(l, "digest")),
		       (long long)json_integer_value(json_object_get(l, "size")),
		       json_string_value(json_object_get(l, "mediaType")));
	print_map("Annotations", json_object_get(man, "annotations"), "");
	if (json_is_object(cc)) {
		printf("Image config:\n");
		if (json_object_get(cc, "User"))
			printf("  User        %s\n", json_string_value(json_object_get(cc, "User")));
		if (json_object_get(cc, "WorkingDir"))
			printf("  WorkingDir  %s\n",
			       json_string_value(json_object_get(cc, "WorkingDir")));
		print_strs("Env", json_object_get(cc, "Env"), "  ");
		print_strs("Entrypoint", json_object_get(cc, "Entrypoint"), "  ");
		print_strs("Cmd", json_object_get(cc, "Cmd"), "  ");
		if (json_object_get(cc, "ExposedPorts")) {
			const char *k;
			json_t *v;

			printf("  Ports      ");
			json_object_foreach(json_object_get(cc, "ExposedPorts"), k, v)
				printf(" %s", k);
			printf("\n");
		}
		if (json_object_get(cc, "StopSignal"))
			printf("  StopSignal  %s\n",
			       json_string_value(json_object_get(cc, "StopSignal")));
		print_map("Labels", json_object_get(cc, "Labels"), "  ");
	}
}

int cmd_inspect(int argc, char **argv)
{
	struct pl_err err = PL_ERR_INIT;
	struct pl_buf b = PL_BUF_INIT;
	bool json = false;
	json_t *j = NULL;
	struct pl_reg_opts reg;
	struct pl_source_opts so = { .reg = &reg };
	int c, k, ret = PL_EXIT_OK;

	cli_reg_init(&reg);
	while ((c = getopt_long(argc, argv, "", options, NULL)) != -1) {
		if ((k = cli_reg_opt("inspect", c, optarg, &reg)) != 0) {
			if (k < 0)
				return PL_EXIT_USAGE;
			continue;
		}
		switch (c) {
		case OPT_JSON: json = true; break;
		default: return cli_usage_error("inspect", "unknown option");
		}
	}
	if (optind + 1 != argc)
		return cli_usage_error("inspect", "give exactly one image reference (oci:DIR:REF)");
	so.cache_dir = cli_cache_dir();
	k = pl_inspect(&so, argv[optind], &j, &err);
	free((char *)so.cache_dir);
	if (k < 0)
		return cli_fail("inspect", &err);
	if (json) {
		if (pl_json_dump_pretty(j, &b, &err) < 0)
			ret = cli_fail("inspect", &err);
		else
			fputs(b.data, stdout);
	} else if (json_object_get(j, "index")) {
		size_t i;
		json_t *m;

		printf("Index:       %s\n", json_string_value(json_object_get(j, "digest")));
		print_map("Annotations", json_object_get(json_object_get(j, "index"), "annotations"),
			  "");
		json_array_foreach(json_object_get(j, "manifests"), i, m) {
			printf("\n");
			print_image(m);
		}
	} else {
		print_image(j);
	}
	json_decref(j);
	pl_buf_release(&b);
	return ret;
}
