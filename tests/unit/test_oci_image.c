/* Unit tests for the OCI JSON models: builders, parsers, canonical bytes. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lib/layer.h"
#include "lib/oci.h"
#include "testutil.h"
#include "util/json.h"

#define DA "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define DB "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define DC "sha256:cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"

static void ok(int rc, const struct pl_err *err)
{
	if (rc != 0)
		fail_msg("rc %d: %s", rc, err->msg);
}

static char *dump(const json_t *j)
{
	struct pl_err err = PL_ERR_INIT;
	struct pl_buf b = PL_BUF_INIT;

	ok(pl_json_dump(j, &b, &err), &err);
	return pl_buf_detach(&b, NULL);
}

static void set_desc(struct pl_oci_desc *d, const char *mt, const char *digest, uint64_t size)
{
	memset(d, 0, sizeof(*d));
	d->media_type = strdup(mt);
	snprintf(d->digest, sizeof(d->digest), "%s", digest);
	d->size = size;
}

static void test_oci_image_desc_canonical_bytes(void **state)
{
	struct pl_err err = PL_ERR_INIT;
	struct pl_oci_desc d;
	json_t *j;
	char *s;

	(void)state;
	set_desc(&d, PL_MT_OCI_MANIFEST, DA, 1234);
	ok(pl_oci_map_set(&d.annotations, "z", "last", &err), &err);
	ok(pl_oci_map_set(&d.annotations, "a", "first", &err), &err);
	d.platform = calloc(1, sizeof(*d.platform));
	d.platform->architecture = strdup("arm64");
	d.platform->os = strdup("linux");
	d.platform->variant = strdup("v8");
	ok(pl_oci_desc_to_json(&d, &j, &err), &err);
	s = dump(j);
	assert_string_equal(s, "{\"annotations\":{\"a\":\"first\",\"z\":\"last\"},"
			       "\"digest\":\"" DA "\",\"mediaType\":\"" PL_MT_OCI_MANIFEST "\","
			       "\"platform\":{\"architecture\":\"arm64\",\"os\":\"linux\","
			       "\"variant\":\"v8\"},\"size\":1234}");
	free(s);
	json_decref(j);
	pl_oci_desc_release(&d);
	assert_null(d.media_type);
}

static void fill_config(struct pl_oci_config *c)
{
	struct pl_err err = PL_ERR_INIT;

	memset(c, 0, sizeof(*c));
	c->architecture = strdup("amd64");
	c->os = strdup("linux");
	c->created = strdup("2024-05-01T00:00:00Z");
	c->author = strdup("plinth");
	c->user = strdup("65532");
	/* order as given, not sorted */
	ok(pl_oci_strv_push(&c->env, "PATH=/usr/bin:/bin", &err), &err);
	ok(pl_oci_strv_push(&c->env, "A=1", &err), &err);
	ok(pl_oci_strv_push(&c->entrypoint, "/bin/tini", &err), &err);
	ok(pl_oci_strv_push(&c->cmd, "/bin/sh", &err), &err);
	ok(pl_oci_strv_push(&c->cmd, "-c", &err), &err);
	c->working_dir = strdup("/home/app");
	ok(pl_oci_map_set(&c->labels, "org.example.b", "2", &err), &err);
	ok(pl_oci_map_set(&c->labels, "org.example.a", "1", &err), &err);
	ok(pl_oci_strv_push(&c->exposed_ports, "443/tcp", &err), &err);
	ok(pl_oci_strv_push(&c->exposed_ports, "80/tcp", &err), &err);
	c->stop_signal = strdup("SIGTERM");
	ok(pl_oci_strv_push(&c->volumes, "/data", &err), &err);
	ok(pl_oci_strv_push(&c->diff_ids, DA, &err), &err);
	ok(pl_oci_strv_push(&c->diff_ids, DB, &err), &err);
	c->n_history = 2;
	c->history = calloc(2, sizeof(*c->history));
	c->history[0].created = strdup("2024-05-01T00:00:00Z");
	c->history[0].created_by = strdup("plinth build debian-base");
	c->history[0].comment = strdup("packages");
	c->history[1].created_by = strdup("ENV A=1");
	c->history[1].empty_layer = true;
}

static void test_oci_image_config_round_trip(void **state)
{
	struct pl_err err = PL_ERR_INIT;
	struct pl_oci_config c, c2;
	json_t *j, *j2;
	char *s, *s2;

	(void)state;
	fill_config(&c);
	ok(pl_oci_config_to_json(&c, &j, &err), &err);
	s = dump(j);
	/* Env keeps its order; sets become {"k":{}}; empty_layer only when true */
	assert_non_null(strstr(s, "\"Env\":[\"PATH=/usr/bin:/bin\",\"A=1\"]"));
	assert_non_null(strstr(s, "\"ExposedPorts\":{\"443/tcp\":{},\"80/tcp\":{}}"));
	assert_non_null(strstr(s, "\"rootfs\":{\"diff_ids\":[\"" DA "\",\"" DB "\"],"
				  "\"type\":\"layers\"}"));
	assert_non_null(strstr(s, "{\"created_by\":\"ENV A=1\",\"empty_layer\":true}"));
	assert_null(strstr(s, "\"empty_layer\":false"));

	ok(pl_oci_config_parse(s, strlen(s), "config test", &c2, &err), &err);
	assert_string_equal(c2.architecture, "amd64");
	assert_string_equal(c2.user, "65532");
	assert_int_equal(c2.env.n, 2);
	assert_string_equal(c2.env.v[0], "PATH=/usr/bin:/bin");
	assert_string_equal(c2.env.v[1], "A=1");
	assert_null(c2.env.v[2]);
	assert_int_equal(c2.cmd.n, 2);
	assert_string_equal(pl_oci_map_get(&c2.labels, "org.example.a"), "1");
	assert_int_equal(c2.exposed_ports.n, 2);
	assert_int_equal(c2.volumes.n, 1);
	assert_string_equal(c2.volumes.v[0], "/data");
	assert_string_equal(c2.stop_signal, "SIGTERM");
	assert_int_equal(c2.diff_ids.n, 2);
	assert_string_equal(c2.diff_ids.v[1], DB);
	assert_int_equal(c2.n_history, 2);
	assert_false(c2.history[0].empty_layer);
	assert_true(c2.history[1].empty_layer);
	assert_string_equal(c2.history[0].comment, "packages");

	/* canonical bytes are stable through a round trip */
	ok(pl_oci_config_to_json(&c2, &j2, &err), &err);
	s2 = dump(j2);
	assert_string_equal(s, s2);

	free(s);
	free(s2);
	json_decref(j);
	json_decref(j2);
	pl_oci_config_release(&c);
	pl_oci_config_release(&c2);
}

static void test_oci_image_config_empty_vs_absent(void **state)
{
	struct pl_err err = PL_ERR_INIT;
	struct pl_oci_config c;
	const char *in = "{\"architecture\":\"amd64\",\"os\":\"linux\","
			 "\"config\":{\"Cmd\":[],\"Entrypoint\":null,\"Labels\":null,"
			 "\"Volumes\":null,\"Hostname\":\"\",\"AttachStdin\":false},"
			 "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}";
	json_t *j;
	char *s;

	(void)state;
	/* docker-style nulls and unknown members are accepted */
	ok(pl_oci_config_parse(in, strlen(in), "docker config", &c, &err), &err);
	assert_non_null(c.cmd.v);
	assert_int_equal(c.cmd.n, 0);
	assert_null(c.entrypoint.v);
	assert_null(c.env.v);
	ok(pl_oci_config_to_json(&c, &j, &err), &err);
	s = dump(j);
	assert_non_null(strstr(s, "\"config\":{\"Cmd\":[]}"));
	free(s);
	json_decref(j);
	pl_oci_config_release(&c);
}

static void manifest_fixture(struct pl_oci_manifest *m)
{
	struct pl_err err = PL_ERR_INIT;

	memset(m, 0, sizeof(*m));
	set_desc(&m->config, PL_MT_OCI_CONFIG, DA, 100);
	m->n_layers = 2;
	m->layers = calloc(2, sizeof(*m->layers));
	set_desc(&m->layers[0], PL_MT_LAYER_GZIP, DB, 200);
	set_desc(&m->layers[1], PL_MT_LAYER_ZSTD, DC, 300);
	ok(pl_oci_map_set(&m->annotations, PL_ANN_REVISION, "abc123", &err), &err);
}

static void test_oci_image_manifest_round_trip(void **state)
{
	struct pl_err err = PL_ERR_INIT;
	struct pl_oci_manifest m, m2;
	json_t *j, *j2;
	char *s, *s2;

	(void)state;
	manifest_fixture(&m);
	ok(pl_oci_manifest_to_json(&m, &j, &err), &err);
	s = dump(j);
	assert_non_null(strstr(s, "\"schemaVersion\":2"));
	assert_non_null(strstr(s, "\"mediaType\":\"" PL_MT_OCI_MANIFEST "\""));
	ok(pl_oci_manifest_parse(s, strlen(s), NULL, &m2, &err), &err);
	assert_int_equal(m2.schema_version, 2);
	assert_string_equal(m2.media_type, PL_MT_OCI_MANIFEST);
	assert_string_equal(m2.config.digest, DA);
	assert_int_equal(m2.config.size, 100);
	assert_int_equal(m2.n_layers, 2);
	assert_string_equal(m2.layers[1].media_type, PL_MT_LAYER_ZSTD);
	assert_int_equal(m2.layers[1].size, 300);
	assert_string_equal(pl_oci_map_get(&m2.annotations, PL_ANN_REVISION), "abc123");
	ok(pl_oci_manifest_to_json(&m2, &j2, &err), &err);
	s2 = dump(j2);
	assert_string_equal(s, s2);
	free(s);
	free(s2);
	json_decref(j);
	json_decref(j2);
	pl_oci_manifest_release(&m);
	pl_oci_manifest_release(&m2);
}

static void test_oci_image_index_round_trip(void **state)
{
	struct pl_err err = PL_ERR_INIT;
	struct pl_oci_index ix = {0}, ix2;
	json_t *j, *j2;
	char *s, *s2;

	(void)state;
	ix.n_manifests = 1;
	ix.manifests = calloc(1, sizeof(*ix.manifests));
	set_desc(&ix.manifests[0], PL_MT_OCI_MANIFEST, DA, 500);
	ix.manifests[0].platform = calloc(1, sizeof(struct pl_oci_platform));
	ix.manifests[0].platform->architecture = strdup("amd64");
	ix.manifests[0].platform->os = strdup("linux");
	ok(pl_oci_index_to_json(&ix, &j, &err), &err);
	s = dump(j);
	ok(pl_oci_index_parse(s, strlen(s), NULL, &ix2, &err), &err);
	assert_int_equal(ix2.n_manifests, 1);
	assert_string_equal(ix2.manifests[0].platform->architecture, "amd64");
	assert_null(ix2.manifests[0].platform->variant);
	ok(pl_oci_index_to_json(&ix2, &j2, &err), &err);
	s2 = dump(j2);
	assert_string_equal(s, s2);
	assert_string_equal(s, "{\"manifests\":[{\"digest\":\"" DA
			       "\",\"mediaType\":\"" PL_MT_OCI_MANIFEST
			       "\",\"platform\":{\"architecture\":\"amd64\","
			       "\"os\":\"linux\"},\"size\":500}],\"mediaType\":\"" PL_MT_OCI_INDEX
			       "\",\"schemaVersion\":2}");
	free(s);
	free(s2);
	json_decref(j);
	json_decref(j2);
	pl_oci_index_release(&ix);
	pl_oci_index_release(&ix2);
}

static void test_oci_image_docker_types(void **state)
{
	struct pl_err err = PL_ERR_INIT;
	struct pl_oci_manifest m;
	struct pl_oci_index ix;
	const char *dm =
	    "{\"schemaVersion\":2,\"mediaType\":\"" PL_MT_DOCKER_MANIFEST "\","
	    "\"config\":{\"mediaType\":\"" PL_MT_DOCKER_CONFIG "\",\"size\":7,"
	    "\"digest\":\"" DA "\"},\"layers\":[{\"mediaType\":\"" PL_MT_DOCKER_LAYER_GZIP
	    "\",\"size\":9,\"digest\":\"" DB "\"}]}";
	const char *dl = "{\"schemaVersion\":2,\"mediaType\":\"" PL_MT_DOCKER_LIST "\","
			 "\"manifests\":[{\"mediaType\":\"" PL_MT_DOCKER_MANIFEST "\",\"size\":7,"
			 "\"digest\":\"" DA "\",\"platform\":{\"architecture\":\"arm\","
			 "\"os\":\"linux\",\"variant\":\"v7\",\"os.features\":[]}}]}";

	(void)state;
	ok(pl_oci_manifest_parse(dm, strlen(dm), NULL, &m, &err), &err);
	assert_string_equal(m.media_type, PL_MT_DOCKER_MANIFEST);
	assert_string_equal(m.layers[0].media_type, PL_MT_DOCKER_LAYER_GZIP);
	pl_oci_manifest_release(&m);
	ok(pl_oci_index_parse(dl, strlen(dl), NULL, &ix, &err), &err);
	assert_string_equal(ix.manifests[0].platform->variant, "v7");
	pl_oci_index_release(&ix);

	/* each parser refuses the other kind */
	assert_int_equal(pl_oci_manifest_parse(dl, strlen(dl), "m", &m, &err), PL_EINVAL);
	assert_non_null(strstr(err.msg, "is an index, not an image manifest"));
	pl_err_init(&err);
	assert_int_equal(pl_oci_index_parse(dm, strlen(dm), "i", &ix, &err), PL_EINVAL);
	assert_non_null(strstr(err.msg, "is an image manifest, not an index"));
	assert_true(pl_oci_is_index_type(PL_MT_DOCKER_LIST));
	assert_false(pl_oci_is_index_type(PL_MT_OCI_MANIFEST));
}

struct bad_case {
	int kind; /* 0 manifest, 1 config, 2 index */
	const char *json;
	const char *msg;
};

#define CFGD "{\"mediaType\":\"x\",\"size\":1,\"digest\":\"" DA "\"}"
#define L(d) "{\"mediaType\":\"l\",\"size\":1,\"digest\":" d "}"

static const struct bad_case bad[] = {
    {0,
     "{\"schemaVersion\":2,\"config\":" CFGD
     ",\"layers\":[" L("\"" DA "\"") "," L("\"" DB "\"") "," L("5") "]}",
     "manifest sha256:ab..: layers[2].digest: not a string"},
    {0, "{\"schemaVersion\":1,\"config\":" CFGD ",\"layers\":[]}",
     "manifest sha256:ab..: schemaVersion: unsupported"},
    {0, "{\"schemaVersion\":\"2\"}", "schemaVersion: not an integer"},
    {0, "{\"schemaVersion\":2,\"layers\":[]}", "config: missing"},
    {0, "{\"schemaVersion\":2,\"config\":" CFGD "}", "layers: missing"},
    {0, "{\"schemaVersion\":2,\"config\":" CFGD ",\"layers\":{}}", "layers: not an array"},
    {0,
     "{\"schemaVersion\":2,\"config\":{\"mediaType\":\"x\",\"size\":-1,\"digest\":\"" DA
     "\"},\"layers\":[]}",
     "config.size: negative"},
    {0,
     "{\"schemaVersion\":2,\"config\":{\"mediaType\":\"x\",\"size\":1.5,\"digest\":\"" DA
     "\"},\"layers\":[]}",
     "config.size: not an integer"},
    {0,
     "{\"schemaVersion\":2,\"config\":{\"mediaType\":\"x\",\"size\":1,\"digest\":"
     "\"sha512:00\"},\"layers\":[]}",
     "config.digest: unsupported digest algorithm"},
    {0,
     "{\"schemaVersion\":2,\"config\":{\"mediaType\":\"x\",\"size\":1,\"digest\":"
     "\"sha256:AB\"},\"layers\":[]}",
     "config.digest: not a valid sha256 digest"},
    {0, "{\"schemaVersion\":2,\"config\":{\"size\":1,\"digest\":\"" DA "\"},\"layers\":[]}",
     "config.mediaType: missing"},
    {0, "{\"schemaVersion\":2,\"config\":" CFGD ",\"layers\":[],\"annotations\":{\"a\":1}}",
     "annotations[\"a\"]: not a string"},
    {0, "[1]", "manifest sha256:ab..: not an object"},
    {0, "{\"schemaVersion\":2,\"mediaType\":\"text/plain\",\"config\":" CFGD ",\"layers\":[]}",
     "mediaType: not an image manifest media type"},
    {1, "{\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}",
     "architecture: missing"},
    {1, "{\"architecture\":\"amd64\",\"os\":\"linux\"}", "rootfs: missing"},
    {1,
     "{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"x\","
     "\"diff_ids\":[]}}",
     "rootfs.type: unsupported"},
    {1,
     "{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\","
     "\"diff_ids\":[\"" DA "\",\"nope\"]}}",
     "rootfs.diff_ids[1]: not a valid sha256 digest"},
    {1,
     "{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Env\":[\"A=1\",2]},"
     "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}",
     "config.Env[1]: not a string"},
    {1,
     "{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"User\":0},"
     "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}",
     "config.User: not a string"},
    {1,
     "{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"ExposedPorts\":"
     "{\"80/tcp\":1}},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}",
     "config.ExposedPorts[\"80/tcp\"]: not an object"},
    {1,
     "{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\","
     "\"diff_ids\":[]},\"history\":[{},{\"empty_layer\":\"yes\"}]}",
     "history[1].empty_layer: not a boolean"},
    {2,
     "{\"schemaVersion\":2,\"manifests\":[" CFGD ",{\"mediaType\":\"x\",\"size\":1,"
     "\"digest\":\"" DA "\",\"platform\":{\"os\":\"linux\"}}]}",
     "manifests[1].platform.architecture: missing"},
    {2, "{\"schemaVersion\":2}", "manifests: missing"},
    {2, "{\"schemaVersion\":2,\"manifests\":[],} ", "manifest sha256:ab..:1:"},
};

static void test_oci_image_parse_errors(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct pl_err err = PL_ERR_INIT;
		const char *what = "manifest sha256:ab..";
		size_t len = strlen(bad[i].json);
		int rc;

		if (bad[i].kind == 0) {
			struct pl_oci_manifest m;

			rc = pl_oci_manifest_parse(bad[i].json, len, what, &m, &err);
			assert_null(m.layers);
		} else if (bad[i].kind == 1) {
			struct pl_oci_config c;

			rc = pl_oci_config_parse(bad[i].json, len, what, &c, &err);
			assert_null(c.architecture);
		} else {
			struct pl_oci_index ix;

			rc = pl_oci_index_parse(bad[i].json, len, what, &ix, &err);
			assert_null(ix.manifests);
		}
		if (rc != PL_EINVAL)
			fail_msg("case %zu parsed (rc %d)", i, rc);
		if (!strstr(err.msg, bad[i].msg))
			fail_msg("case %zu: '%s' lacks '%s'", i, err.msg, bad[i].msg);
		if (strncmp(err.msg, what, strlen(what)) != 0)
			fail_msg("case %zu: '%s' does not start with the name", i, err.msg);
	}
}

static void test_oci_image_builder_rejects(void **state)
{
	struct pl_err err = PL_ERR_INIT;
	struct pl_oci_desc d;
	struct pl_oci_config c = {0};
	json_t *j = NULL;

	(void)state;
	set_desc(&d, PL_MT_OCI_CONFIG, "sha256:nothex", 1);
	assert_int_equal(pl_oci_desc_to_json(&d, &j, &err), PL_EINVAL);
	assert_null(j);
	pl_oci_desc_release(&d);
	pl_err_init(&err);
	assert_int_equal(pl_oci_config_to_json(&c, &j, &err), PL_EINVAL);
	assert_non_null(strstr(err.msg, "architecture"));
}

static void test_oci_image_map_ops(void **state)
{
	struct pl_err err = PL_ERR_INIT;
	struct pl_oci_map m = {0};

	(void)state;
	ok(pl_oci_map_set(&m, "b", "1", &err), &err);
	ok(pl_oci_map_set(&m, "a", "2", &err), &err);
	ok(pl_oci_map_set(&m, "c", "3", &err), &err);
	ok(pl_oci_map_set(&m, "b", "4", &err), &err);
	assert_int_equal(m.n, 3);
	assert_string_equal(m.v[0].key, "a");
	assert_string_equal(m.v[1].key, "b");
	assert_string_equal(m.v[1].value, "4");
	assert_string_equal(m.v[2].key, "c");
	pl_oci_map_del(&m, "b");
	pl_oci_map_del(&m, "zz");
	assert_int_equal(m.n, 2);
	assert_null(pl_oci_map_get(&m, "b"));
	assert_string_equal(pl_oci_map_get(&m, "c"), "3");
	pl_oci_map_release(&m);
	assert_int_equal(m.n, 0);
}

static void test_oci_image_time_and_sniff(void **state)
{
	char t[32];
	json_t *j;

	(void)state;
	pl_oci_time(0, t);
	assert_string_equal(t, "1970-01-01T00:00:00Z");
	pl_oci_time(1714521600, t);
	assert_string_equal(t, "2024-05-01T00:00:00Z");
	j = json_pack("{s:[]}", "manifests");
	assert_string_equal(pl_oci_sniff_media_type(j), PL_MT_OCI_INDEX);
	json_decref(j);
	j = json_pack("{s:[]}", "layers");
	assert_string_equal(pl_oci_sniff_media_type(j), PL_MT_OCI_MANIFEST);
	json_decref(j);
	j = json_pack("{s:s}", "mediaType", PL_MT_DOCKER_LIST);
	assert_string_equal(pl_oci_sniff_media_type(j), PL_MT_DOCKER_LIST);
	json_decref(j);
}

static void test_oci_image_desc_copy(void **state)
{
	struct pl_err err = PL_ERR_INIT;
	struct pl_oci_desc a, b;

	(void)state;
	set_desc(&a, PL_MT_OCI_MANIFEST, DA, 5);
	ok(pl_oci_map_set(&a.annotations, "k", "v", &err), &err);
	a.platform = calloc(1, sizeof(*a.platform));
	a.platform->architecture = strdup("amd64");
	a.platform->os = strdup("linux");
	ok(pl_oci_desc_copy(&b, &a, &err), &err);
	pl_oci_desc_release(&a);
	assert_string_equal(b.media_type, PL_MT_OCI_MANIFEST);
	assert_string_equal(b.digest, DA);
	assert_int_equal(b.size, 5);
	assert_string_equal(pl_oci_map_get(&b.annotations, "k"), "v");
	assert_string_equal(b.platform->os, "linux");
	pl_oci_desc_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_oci_image_desc_canonical_bytes),
	    cmocka_unit_test(test_oci_image_config_round_trip),
	    cmocka_unit_test(test_oci_image_config_empty_vs_absent),
	    cmocka_unit_test(test_oci_image_manifest_round_trip),
	    cmocka_unit_test(test_oci_image_index_round_trip),
	    cmocka_unit_test(test_oci_image_docker_types),
	    cmocka_unit_test(test_oci_image_parse_errors),
	    cmocka_unit_test(test_oci_image_builder_rejects),
	    cmocka_unit_test(test_oci_image_map_ops),
	    cmocka_unit_test(test_oci_image_time_and_sniff),
	    cmocka_unit_test(test_oci_image_desc_copy),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
