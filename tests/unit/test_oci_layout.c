/* Unit tests for the OCI image layout store. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "lib/layer.h"
#include "lib/oci.h"
#include "testutil.h"
#include "util/fsutil.h"
#include "util/json.h"

struct fx {
	char *tmp;
	char *dir; /* layout dir inside tmp */
	struct pl_oci_layout *l;
};

static void ok(int rc, const struct pl_err *err)
{
	if (rc != 0)
		fail_msg("rc %d: %s", rc, err->msg);
}

static int setup(void **state)
{
	struct pl_err err = PL_ERR_INIT;
	struct fx *f = calloc(1, sizeof(*f));

	f->tmp = tu_mkdtemp();
	f->dir = tu_path(f->tmp, "layout");
	ok(pl_oci_layout_open(&f->l, f->dir, true, &err), &err);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	pl_oci_layout_free(f->l);
	free(f->dir);
	tu_rmtree(f->tmp);
	free(f);
	return 0;
}

static char *slurp(const char *dir, const char *rel)
{
	struct pl_err err = PL_ERR_INIT;
	struct pl_buf b = PL_BUF_INIT;
	char *p = tu_path(dir, rel);

	ok(pl_read_file(p, 0, &b, &err), &err);
	free(p);
	return pl_buf_detach(&b, NULL);
}

/* A small manifest (config + one fake layer) stored in the layout. */
static void put_manifest(struct pl_oci_layout *l, const char *layer_text, struct pl_oci_desc *out)
{
	struct pl_err err = PL_ERR_INIT;
	struct pl_oci_config c = {0};
	struct pl_oci_manifest m = {0};
	struct pl_oci_desc layer;
	json_t *j;

	ok(pl_oci_layout_put_blob(l, layer_text, strlen(layer_text), NULL, PL_MT_LAYER_TAR,
				  &layer, &err),
	   &err);
	c.architecture = strdup("amd64");
	c.os = strdup("linux");
	ok(pl_oci_strv_push(&c.diff_ids, layer.digest, &err), &err);
	ok(pl_oci_config_to_json(&c, &j, &err), &err);
	ok(pl_oci_layout_put_json(l, j, PL_MT_OCI_CONFIG, &m.config, &err), &err);
	json_decref(j);
	m.layers = calloc(1, sizeof(*m.layers));
	m.layers[0] = layer;
	m.n_layers = 1;
	ok(pl_oci_manifest_to_json(&m, &j, &err), &err);
	ok(pl_oci_layout_put_json(l, j, PL_MT_OCI_MANIFEST, out, &err), &err);
	json_decref(j);
	pl_oci_manifest_release(&m);
	pl_oci_config_release(&c);
}

static void test_oci_layout_create_and_reopen(void **state)
{
	struct fx *f = *state;
	struct pl_err err = PL_ERR_INIT;
	struct pl_oci_layout *l2 = NULL;
	struct pl_oci_index ix;
	char *s;

	s = slurp(f->dir, "oci-layout");
	assert_string_equal(s, "{\"imageLayoutVersion\":\"1.0.0\"}");
	free(s);
	s = slurp(f->dir, "index.json");
	assert_string_equal(s, "{\"manifests\":[],\"mediaType\":\"" PL_MT_OCI_INDEX
			       "\",\"schemaVersion\":2}");
	free(s);
	ok(pl_oci_layout_read_index(f->l, &ix, &err), &err);
	assert_int_equal(ix.n_manifests, 0);
	pl_oci_index_release(&ix);

	ok(pl_oci_layout_open(&l2, f->dir, false, &err), &err);
	assert_string_equal(pl_oci_layout_dir(l2), f->dir);
	assert_non_null(pl_oci_layout_cas(l2));
	pl_oci_layout_free(l2);
}

static void test_oci_layout_open_refuses_non_layouts(void **state)
{
	struct fx *f = *state;
	struct pl_err err = PL_ERR_INIT;
	struct pl_oci_layout *l2 = NULL;
	char *p = tu_path(f->tmp, "missing");
	char *bad = tu_path(f->tmp, "bad");

	assert_int_equal(pl_oci_layout_open(&l2, p, false, &err), PL_ENOTFOUND);
	assert_null(l2);
	assert_non_null(strstr(err.msg, p));

	/* a directory without oci-layout */
	tu_write(f->tmp, "bad/index.json", "{}", 2);
	pl_err_init(&err);
	assert_int_equal(pl_oci_layout_open(&l2, bad, false, &err), PL_ENOTFOUND);
	assert_non_null(strstr(err.msg, "not an OCI image layout"));

	/* wrong version */
	tu_write(f->tmp, "bad/oci-layout", "{\"imageLayoutVersion\":\"2.0.0\"}", 30);
	pl_err_init(&err);
	assert_int_equal(pl_oci_layout_open(&l2, bad, true, &err), PL_EINVAL);
	assert_non_null(strstr(err.msg, "imageLayoutVersion \"2.0.0\""));
	assert_null(l2);
	free(p);
	free(bad);
}

static void test_oci_layout_put_blob_digest_mismatch_refused(void **state)
{
	struct fx *f = *state;
	struct pl_err err = PL_ERR_INIT;
	struct pl_oci_desc d;
	char want[PL_DIGEST_SIZE], other[PL_DIGEST_SIZE];
	char *data = NULL;
	size_t len;

	ok(pl_sha256_buf("hello", 5, want, &err), &err);
	ok(pl_sha256_buf("HELLO", 5, other, &err), &err);
	assert_int_equal(pl_oci_layout_put_blob(f->l, "HELLO", 5, want, "x/y", NULL, &err),
			 PL_EVERIFY);
	assert_non_null(strstr(err.msg, want));
	assert_false(pl_cas_has(pl_oci_layout_cas(f->l), want));
	assert_false(pl_cas_has(pl_oci_layout_cas(f->l), other));

	pl_err_init(&err);
	ok(pl_oci_layout_put_blob(f->l, "hello", 5, want, "x/y", &d, &err), &err);
	assert_string_equal(d.digest, want);
	assert_int_equal(d.size, 5);
	assert_string_equal(d.media_type, "x/y");
	pl_oci_desc_release(&d);
	ok(pl_oci_layout_read_blob(f->l, want, 0, &data, &len, &err), &err);
	assert_int_equal(len, 5);
	assert_memory_equal(data, "hello", 5);
	free(data);
}

static void test_oci_layout_read_blob_rechecks_digest(void **state)
{
	struct fx *f = *state;
	struct pl_err err = PL_ERR_INIT;
	struct pl_oci_desc d;
	char *path = NULL, *data = NULL;
	size_t len;
	FILE *fp;

	ok(pl_oci_layout_put_blob(f->l, "good", 4, NULL, "x/y", &d, &err), &err);
	ok(pl_cas_path(pl_oci_layout_cas(f->l), d.digest, &path, &err), &err);
	chmod(path, 0644);
	fp = fopen(path, "wb");
	assert_non_null(fp);
	fputs("evil", fp);
	fclose(fp);
	assert_int_equal(pl_oci_layout_read_blob(f->l, d.digest, 0, &data, &len, &err), PL_EVERIFY);
	assert_null(data);
	assert_non_null(strstr(err.msg, "corrupt"));
	free(path);
	pl_oci_desc_release(&d);

	pl_err_init(&err);
	assert_int_equal(pl_oci_layout_read_blob(f->l, "sha256:00", 0, &data, &len, &err),
			 PL_EINVAL);
}

static void test_oci_layout_put_json_canonical(void **state)
{
	struct fx *f = *state;
	struct pl_err err = PL_ERR_INIT;
	struct pl_oci_desc d;
	char want[PL_DIGEST_SIZE];
	const char *canon = "{\"a\":1,\"b\":[2,3]}";
	json_t *j = json_pack("{s:[i,i],s:i}", "b", 2, 3, "a", 1);

	ok(pl_oci_layout_put_json(f->l, j, "application/json", &d, &err), &err);
	ok(pl_sha256_buf(canon, strlen(canon), want, &err), &err);
	assert_string_equal(d.digest, want);
	assert_int_equal(d.size, strlen(canon));
	json_decref(j);
	pl_oci_desc_release(&d);
}

static void test_oci_layout_tag_retag_resolve(void **state)
{
	struct fx *f = *state;
	struct pl_err err = PL_ERR_INIT;
	struct pl_oci_desc m1, m2, got;
	struct pl_oci_strv refs;
	struct pl_oci_index ix;
	struct pl_oci_manifest man;
	struct pl_oci_config cfg;

	put_manifest(f->l, "layer one", &m1);
	put_manifest(f->l, "layer two", &m2);
	ok(pl_oci_layout_tag(f->l, "b", &m1, &err), &err);
	ok(pl_oci_layout_tag(f->l, "a", &m1, &err), &err);
	ok(pl_oci_layout_tag(f->l, "a", &m2, &err), &err); /* retag */

	ok(pl_oci_layout_read_index(f->l, &ix, &err), &err);
	assert_int_equal(ix.n_manifests, 2);
	assert_string_equal(pl_oci_map_get(&ix.manifests[0].annotations, PL_ANN_REF_NAME), "a");
	assert_string_equal(ix.manifests[0].digest, m2.digest);
	assert_string_equal(pl_oci_map_get(&ix.manifests[1].annotations, PL_ANN_REF_NAME), "b");
	assert_string_equal(ix.manifests[1].digest, m1.digest);
	pl_oci_index_release(&ix);

	ok(pl_oci_layout_resolve(f->l, "a", &got, &err), &err);
	assert_string_equal(got.digest, m2.digest);
	assert_int_equal(got.size, m2.size);
	assert_string_equal(got.media_type, PL_MT_OCI_MANIFEST);
	pl_oci_desc_release(&got);
	ok(pl_oci_layout_resolve(f->l, m1.digest, &got, &err), &err);
	assert_string_equal(pl_oci_map_get(&got.annotations, PL_ANN_REF_NAME), "b");

	/* follow it down to the manifest and config */
	ok(pl_oci_layout_read_manifest(f->l, &got, &man, &err), &err);
	assert_int_equal(man.n_layers, 1);
	ok(pl_oci_layout_read_config(f->l, &man.config, &cfg, &err), &err);
	assert_string_equal(cfg.diff_ids.v[0], man.layers[0].digest);
	pl_oci_config_release(&cfg);
	pl_oci_manifest_release(&man);
	pl_oci_desc_release(&got);

	assert_int_equal(pl_oci_layout_resolve(f->l, "nope", &got, &err), PL_ENOTFOUND);
	assert_non_null(strstr(err.msg, "'nope'"));
	pl_err_init(&err);
	/* two images: an unnamed resolve is ambiguous */
	assert_int_equal(pl_oci_layout_resolve(f->l, NULL, &got, &err), PL_ENOTFOUND);
	pl_err_init(&err);

	ok(pl_oci_layout_list(f->l, &refs, &err), &err);
	assert_int_equal(refs.n, 2);
	assert_string_equal(refs.v[0], "a");
	assert_string_equal(refs.v[1], "b");
	pl_oci_strv_release(&refs);

	ok(pl_oci_layout_untag(f->l, "a", &err), &err);
	assert_int_equal(pl_oci_layout_untag(f->l, "a", &err), PL_ENOTFOUND);
	pl_err_init(&err);
	ok(pl_oci_layout_resolve(f->l, "", &got, &err), &err);
	assert_string_equal(got.digest, m1.digest);
	pl_oci_desc_release(&got);
	pl_oci_desc_release(&m1);
	pl_oci_desc_release(&m2);
}

static void test_oci_layout_tag_refusals(void **state)
{
	struct fx *f = *state;
	struct pl_err err = PL_ERR_INIT;
	struct pl_oci_desc m, ghost = {0};
	struct pl_oci_manifest man;

	put_manifest(f->l, "x", &m);
	assert_int_equal(pl_oci_layout_tag(f->l, "bad//name", &m, &err), PL_EINVAL);
	pl_err_init(&err);
	assert_int_equal(pl_oci_layout_tag(f->l, "", &m, &err), PL_EINVAL);
	pl_err_init(&err);

	/* the manifest must be stored first */
	ghost.media_type = strdup(PL_MT_OCI_MANIFEST);
	snprintf(ghost.digest, sizeof(ghost.digest), "sha256:%064d", 0);
	ghost.size = 3;
	assert_int_equal(pl_oci_layout_tag(f->l, "t", &ghost, &err), PL_ENOTFOUND);
	assert_non_null(strstr(err.msg, "not in the layout"));
	pl_err_init(&err);

	/* a descriptor whose size lies */
	m.size++;
	assert_int_equal(pl_oci_layout_tag(f->l, "t", &m, &err), PL_EVERIFY);
	pl_err_init(&err);
	assert_int_equal(pl_oci_layout_read_manifest(f->l, &m, &man, &err), PL_EVERIFY);
	pl_oci_desc_release(&ghost);
	pl_oci_desc_release(&m);
}

static void test_oci_layout_atomic_index_writes(void **state)
{
	struct fx *f = *state;
	struct pl_err err = PL_ERR_INIT;
	struct pl_oci_index ix;
	struct pl_oci_desc m;
	struct pl_buf b = PL_BUF_INIT;
	struct dirent *de;
	json_t *j;
	char *s;
	DIR *d;
	int n = 0;

	put_manifest(f->l, "y", &m);
	for (int i = 0; i < 5; i++)
		ok(pl_oci_layout_tag(f->l, "v", &m, &err), &err);
	/* only the layout's own files remain: no temp files left behind */
	d = opendir(f->dir);
	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (strcmp(de->d_name, "oci-layout") && strcmp(de->d_name, "index.json") &&
		    strcmp(de->d_name, "blobs"))
			fail_msg("stray file '%s' in layout", de->d_name);
		n++;
	}
	closedir(d);
	assert_int_equal(n, 3);

	/* index.json holds exactly the canonical bytes of its model */
	s = slurp(f->dir, "index.json");
	ok(pl_oci_index_parse(s, strlen(s), "index", &ix, &err), &err);
	assert_int_equal(ix.n_manifests, 1);
	ok(pl_oci_index_to_json(&ix, &j, &err), &err);
	ok(pl_json_dump(j, &b, &err), &err);
	assert_string_equal(b.data, s);
	json_decref(j);
	pl_buf_release(&b);
	pl_oci_index_release(&ix);
	free(s);
	pl_oci_desc_release(&m);
}

static void test_oci_layout_keeps_foreign_entries(void **state)
{
	struct fx *f = *state;
	struct pl_err err = PL_ERR_INIT;
	struct pl_oci_index ix;
	struct pl_oci_desc m;
	char idx[512];

	put_manifest(f->l, "z", &m);
	/* an index.json from another tool: pretty printed, one unnamed entry */
	snprintf(idx, sizeof(idx),
		 "{\n  \"schemaVersion\": 2,\n  \"manifests\": [\n    {\"mediaType\": \"%s\", "
		 "\"digest\": \"%s\", \"size\": %llu}\n  ]\n}\n",
		 PL_MT_OCI_MANIFEST, m.digest, (unsigned long long)m.size);
	tu_write(f->dir, "index.json", idx, strlen(idx));
	ok(pl_oci_layout_tag(f->l, "zz", &m, &err), &err);
	ok(pl_oci_layout_read_index(f->l, &ix, &err), &err);
	assert_int_equal(ix.n_manifests, 2);
	assert_string_equal(pl_oci_map_get(&ix.manifests[0].annotations, PL_ANN_REF_NAME), "zz");
	assert_null(pl_oci_map_get(&ix.manifests[1].annotations, PL_ANN_REF_NAME));
	pl_oci_index_release(&ix);
	pl_oci_desc_release(&m);
}

static void test_oci_layout_concurrent_tags(void **state)
{
	struct fx *f = *state;
	struct pl_err err = PL_ERR_INIT;
	struct pl_oci_desc m;
	struct pl_oci_strv refs;
	enum { N = 8 };
	pid_t pids[N];

	put_manifest(f->l, "c", &m);
	for (int i = 0; i < N; i++) {
		pids[i] = fork();
		assert_true(pids[i] >= 0);
		if (pids[i] == 0) {
			struct pl_oci_layout *l = NULL;
			char ref[32];
			int bad = 0;

			if (pl_oci_layout_open(&l, f->dir, false, &err) < 0)
				_exit(1);
			for (int k = 0; k < 10; k++) {
				snprintf(ref, sizeof(ref), "r%d-%d", i, k);
				if (pl_oci_layout_tag(l, ref, &m, &err) < 0)
					bad = 1;
			}
			pl_oci_layout_free(l);
			_exit(bad);
		}
	}
	for (int i = 0; i < N; i++) {
		int st;

		assert_int_equal(waitpid(pids[i], &st, 0), pids[i]);
		assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
	ok(pl_oci_layout_list(f->l, &refs, &err), &err);
	assert_int_equal(refs.n, N * 10); /* no update lost */
	pl_oci_strv_release(&refs);
	pl_oci_desc_release(&m);
}

/* A real image (gzip'd empty tar layer) that skopeo must be able to read. */
static void test_oci_layout_skopeo_reads_it(void **state)
{
	struct fx *f = *state;
	struct pl_err err = PL_ERR_INIT;
	struct pl_oci_config c = {0};
	struct pl_oci_manifest m = {0};
	struct pl_oci_desc layer, mdesc;
	struct pl_buf tgz = PL_BUF_INIT;
	char diff_id[PL_DIGEST_SIZE];
	char *tar_path, *tgz_path, *out;
	json_t *j = NULL;
	int rc;

	if (tu_sh(f->tmp, "command -v skopeo >/dev/null 2>&1") != 0) {
		print_message("skopeo not installed: skipping\n");
		skip();
	}
	assert_int_equal(tu_sh(f->tmp, "tar -cf layer.tar -T /dev/null && "
				       "gzip -n -c layer.tar > layer.tgz"),
			 0);
	tar_path = tu_path(f->tmp, "layer.tar");
	tgz_path = tu_path(f->tmp, "layer.tgz");
	ok(pl_sha256_file(tar_path, diff_id, NULL, &err), &err);
	ok(pl_read_file(tgz_path, 0, &tgz, &err), &err);
	ok(pl_oci_layout_put_blob(f->l, tgz.data, tgz.len, NULL, PL_MT_LAYER_GZIP, &layer,
				  &err),
	   &err);

	c.architecture = strdup("amd64");
	c.os = strdup("linux");
	c.created = strdup("2024-05-01T00:00:00Z");
	ok(pl_oci_strv_push(&c.env, "PATH=/usr/bin:/bin", &err), &err);
	ok(pl_oci_strv_push(&c.cmd, "/bin/sh", &err), &err);
	ok(pl_oci_strv_push(&c.diff_ids, diff_id, &err), &err);
	c.n_history = 1;
	c.history = calloc(1, sizeof(*c.history));
	c.history[0].created = strdup("2024-05-01T00:00:00Z");
	c.history[0].created_by = strdup("plinth test");
	ok(pl_oci_config_to_json(&c, &j, &err), &err);
	ok(pl_oci_layout_put_json(f->l, j, PL_MT_OCI_CONFIG, &m.config, &err), &err);
	json_decref(j);
	m.layers = calloc(1, sizeof(*m.layers));
	m.layers[0] = layer;
	m.n_layers = 1;
	ok(pl_oci_map_set(&m.annotations, PL_ANN_CREATED, "2024-05-01T00:00:00Z", &err), &err);
	ok(pl_oci_manifest_to_json(&m, &j, &err), &err);
	ok(pl_oci_layout_put_json(f->l, j, PL_MT_OCI_MANIFEST, &mdesc, &err), &err);
	json_decref(j);
	ok(pl_oci_layout_tag(f->l, "v1", &mdesc, &err), &err);

	rc = tu_sh(f->tmp, "skopeo inspect oci:'%s':v1 > inspect.json 2> inspect.err", f->dir);
	if (rc != 0) {
		char *e = slurp(f->tmp, "inspect.err");

		fail_msg("skopeo inspect failed (%d): %s", rc, e);
	}
	out = slurp(f->tmp, "inspect.json");
	assert_non_null(strstr(out, mdesc.digest));
	assert_non_null(strstr(out, "\"Architecture\": \"amd64\""));
	free(out);
	assert_int_equal(tu_sh(f->tmp, "skopeo inspect --config oci:'%s':v1 > /dev/null", f->dir),
			 0);

	/* and the schema validator accepts it, when run from the source tree */
	if (access("tests/integration/oci-validate.py", R_OK) == 0) {
		char cwd[4096];

		assert_non_null(getcwd(cwd, sizeof(cwd)));
		assert_int_equal(tu_sh(f->tmp,
				       "python3 '%s/tests/integration/oci-validate.py' "
				       "'%s' v1 >/dev/null",
				       cwd, f->dir),
				 0);
		/* ...and refuses a broken blob */
		{
			char *p = NULL;
			FILE *fp;

			ok(pl_cas_path(pl_oci_layout_cas(f->l), layer.digest, &p, &err), &err);
			chmod(p, 0644);
			fp = fopen(p, "ab");
			fputc('x', fp);
			fclose(fp);
			assert_int_not_equal(tu_sh(f->tmp,
						   "python3 "
						   "'%s/tests/integration/oci-validate.py' "
						   "'%s' v1 2>/dev/null",
						   cwd, f->dir),
					     0);
			free(p);
		}
	}

	free(tar_path);
	free(tgz_path);
	pl_buf_release(&tgz);
	pl_oci_desc_release(&mdesc);
	pl_oci_manifest_release(&m);
	pl_oci_config_release(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_oci_layout_create_and_reopen, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_oci_layout_open_refuses_non_layouts, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_oci_layout_put_blob_digest_mismatch_refused, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_oci_layout_read_blob_rechecks_digest, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_oci_layout_put_json_canonical, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_oci_layout_tag_retag_resolve, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_oci_layout_tag_refusals, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_oci_layout_atomic_index_writes, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_oci_layout_keeps_foreign_entries, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_oci_layout_concurrent_tags, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_oci_layout_skopeo_reads_it, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
