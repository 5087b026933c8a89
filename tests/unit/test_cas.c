#include <dirent.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "lib/cas.h"
#include "testutil.h"

/* sha256("hello\n") */
#define HELLO_DIGEST "sha256:5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03"

struct fx {
	char *dir;
	struct pl_cas *cas;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct pl_err err = PL_ERR_INIT;

	f->dir = tu_mkdtemp();
	if (pl_cas_open(&f->cas, f->dir, &err) < 0)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	pl_cas_free(f->cas);
	tu_rmtree(f->dir);
	free(f);
	return 0;
}

/* Entries of the blob directory, temporary files included. */
static int count_blob_dir(const char *root, int *tmps)
{
	char *p = tu_path(root, "blobs/sha256");
	DIR *d = opendir(p);
	struct dirent *de;
	int n = 0;

	assert_non_null(d);
	*tmps = 0;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' && (!de->d_name[1] || !strcmp(de->d_name, "..")))
			continue;
		if (strstr(de->d_name, "tmp"))
			(*tmps)++;
		n++;
	}
	closedir(d);
	free(p);
	return n;
}

static void test_cas_put_read_roundtrip(void **state)
{
	struct fx *f = *state;
	struct pl_err err = PL_ERR_INIT;
	char digest[PL_DIGEST_SIZE];
	char *data = NULL, *path = NULL, *want;
	size_t len = 0;
	uint64_t size = 0;
	struct stat st;

	assert_int_equal(pl_cas_put_buf(f->cas, "hello\n", 6, NULL, digest, &err), 0);
	assert_string_equal(digest, HELLO_DIGEST);
	assert_true(pl_cas_has(f->cas, digest));
	assert_int_equal(pl_cas_size(f->cas, digest, &size, &err), 0);
	assert_int_equal(size, 6);
	assert_int_equal(pl_cas_read(f->cas, digest, 0, &data, &len, &err), 0);
	assert_int_equal(len, 6);
	assert_memory_equal(data, "hello\n", 6);
	free(data);

	assert_int_equal(pl_cas_path(f->cas, digest, &path, &err), 0);
	want = tu_path(f->dir, "blobs/sha256/5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03");
	assert_string_equal(path, want);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0644);
	assert_string_equal(pl_cas_root(f->cas), f->dir);
	free(path);
	free(want);
}

static void test_cas_writer_streams_chunks(void **state)
{
	struct fx *f = *state;
	struct pl_err err = PL_ERR_INIT;
	struct pl_cas_writer *w = NULL;
	char d1[PL_DIGEST_SIZE], d2[PL_DIGEST_SIZE];
	char *big = malloc(300000);
	uint64_t size = 0;
	int tmps;

	for (size_t i = 0; i < 300000; i++)
		big[i] = (char)(i * 7 + (i >> 9));
	assert_int_equal(pl_cas_writer_new(f->cas, &w, &err), 0);
	for (size_t off = 0; off < 300000; off += 70001) {
		size_t n = 300000 - off < 70001 ? 300000 - off : 70001;

		assert_int_equal(pl_cas_writer_write(w, big + off, n, &err), 0);
	}
	assert_int_equal(pl_cas_writer_commit(w, NULL, d1, &size, &err), 0);
	assert_int_equal(size, 300000);
	assert_int_equal(pl_sha256_buf(big, 300000, d2, &err), 0);
	assert_string_equal(d1, d2);
	assert_int_equal(count_blob_dir(f->dir, &tmps), 1);
	assert_int_equal(tmps, 0);

	/* same content again: still one blob, no leftovers */
	assert_int_equal(pl_cas_put_buf(f->cas, big, 300000, d2, NULL, &err), 0);
	assert_int_equal(count_blob_dir(f->dir, &tmps), 1);
	assert_int_equal(tmps, 0);
	free(big);
}

static void test_cas_verify_mismatch_discards(void **state)
{
	struct fx *f = *state;
	struct pl_err err = PL_ERR_INIT;
	char digest[PL_DIGEST_SIZE] = "";
	int tmps;

	assert_int_equal(pl_cas_put_buf(f->cas, "hello\n", 6,
					"sha256:0000000000000000000000000000000000000000000000000000000000000000",
					digest, &err),
			 PL_EVERIFY);
	assert_non_null(strstr(err.msg, HELLO_DIGEST));
	assert_false(pl_cas_has(f->cas, HELLO_DIGEST));
	assert_int_equal(count_blob_dir(f->dir, &tmps), 0);

	pl_err_init(&err);
	assert_int_equal(pl_cas_put_buf(f->cas, "hello\n", 6, HELLO_DIGEST, digest, &err), 0);
	assert_true(pl_cas_has(f->cas, HELLO_DIGEST));
}

static void test_cas_abort_leaves_nothing(void **state)
{
	struct fx *f = *state;
	struct pl_err err = PL_ERR_INIT;
	struct pl_cas_writer *w = NULL;
	int tmps;

	static char big[300 * 1024];

	/* a small blob is kept in memory: no file until commit */
	assert_int_equal(pl_cas_writer_new(f->cas, &w, &err), 0);
	assert_int_equal(pl_cas_writer_write(w, "abc", 3, &err), 0);
	assert_int_equal(count_blob_dir(f->dir, &tmps), 0);
	pl_cas_writer_abort(w);
	/* a large one streams into a temporary file, which abort removes */
	memset(big, 'x', sizeof(big));
	assert_int_equal(pl_cas_writer_new(f->cas, &w, &err), 0);
	assert_int_equal(pl_cas_writer_write(w, "abc", 3, &err), 0);
	assert_int_equal(pl_cas_writer_write(w, big, sizeof(big), &err), 0);
	assert_int_equal(count_blob_dir(f->dir, &tmps), 1);
	assert_int_equal(tmps, 1);
	pl_cas_writer_abort(w);
	pl_cas_writer_abort(NULL);
	assert_int_equal(count_blob_dir(f->dir, &tmps), 0);
}

static void test_cas_rejects_bad_digests(void **state)
{
	struct fx *f = *state;
	struct pl_err err = PL_ERR_INIT;
	char *path = NULL;
	int fd = -1;
	static const char *bad[] = {
		"sha256:../../../../etc/passwd",
		"sha256:5891B5B522D5DF086D0FF0B110FBD9D21BB4FC7163AF34D08286A2E846F6BE03",
		"md5:5891b5b522d5df086d0ff0b110fbd9d2",
		"",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		pl_err_init(&err);
		assert_false(pl_cas_has(f->cas, bad[i]));
		assert_int_equal(pl_cas_path(f->cas, bad[i], &path, &err), PL_EINVAL);
		assert_null(path);
		pl_err_init(&err);
		assert_int_equal(pl_cas_open_read(f->cas, bad[i], &fd, &err), PL_EINVAL);
		assert_int_equal(fd, -1);
	}
}

static void test_cas_missing_blob_not_found(void **state)
{
	struct fx *f = *state;
	struct pl_err err = PL_ERR_INIT;
	uint64_t size;
	char *data;
	size_t len;
	int fd;

	assert_false(pl_cas_has(f->cas, HELLO_DIGEST));
	assert_int_equal(pl_cas_size(f->cas, HELLO_DIGEST, &size, &err), PL_ENOTFOUND);
	pl_err_init(&err);
	assert_int_equal(pl_cas_open_read(f->cas, HELLO_DIGEST, &fd, &err), PL_ENOTFOUND);
	pl_err_init(&err);
	assert_int_equal(pl_cas_read(f->cas, HELLO_DIGEST, 0, &data, &len, &err), PL_ENOTFOUND);
}

static void test_cas_read_max(void **state)
{
	struct fx *f = *state;
	struct pl_err err = PL_ERR_INIT;
	char digest[PL_DIGEST_SIZE];
	char *data = NULL;
	size_t len;

	assert_int_equal(pl_cas_put_buf(f->cas, "hello\n", 6, NULL, digest, &err), 0);
	assert_int_equal(pl_cas_read(f->cas, digest, 5, &data, &len, &err), PL_ETOOBIG);
	assert_null(data);
	pl_err_init(&err);
	assert_int_equal(pl_cas_read(f->cas, digest, 6, &data, &len, &err), 0);
	free(data);

	/* empty blob */
	assert_int_equal(pl_cas_put_buf(f->cas, "", 0, NULL, digest, &err), 0);
	assert_string_equal(digest,
			    "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	assert_int_equal(pl_cas_read(f->cas, digest, 0, &data, &len, &err), 0);
	assert_int_equal(len, 0);
	free(data);
}

static void test_cas_copy_hardlinks(void **state)
{
	struct fx *f = *state;
	struct pl_err err = PL_ERR_INIT;
	char *dir2 = tu_mkdtemp();
	struct pl_cas *to = NULL;
	char digest[PL_DIGEST_SIZE];
	char *p1, *p2;
	struct stat s1, s2;

	assert_int_equal(pl_cas_open(&to, dir2, &err), 0);
	assert_int_equal(pl_cas_put_buf(f->cas, "hello\n", 6, NULL, digest, &err), 0);
	assert_int_equal(pl_cas_copy(f->cas, to, digest, &err), 0);
	assert_true(pl_cas_has(to, digest));
	assert_int_equal(pl_cas_path(f->cas, digest, &p1, &err), 0);
	assert_int_equal(pl_cas_path(to, digest, &p2, &err), 0);
	assert_int_equal(stat(p1, &s1), 0);
	assert_int_equal(stat(p2, &s2), 0);
	assert_int_equal(s1.st_ino, s2.st_ino);
	/* copying again is a no-op */
	assert_int_equal(pl_cas_copy(f->cas, to, digest, &err), 0);

	pl_err_init(&err);
	assert_int_equal(pl_cas_copy(f->cas, to,
				     "sha256:1111111111111111111111111111111111111111111111111111111111111111",
				     &err),
			 PL_ENOTFOUND);
	free(p1);
	free(p2);
	pl_cas_free(to);
	tu_rmtree(dir2);
}

/* /dev/shm is another file system on most machines: link(2) fails, copy works. */
static void test_cas_copy_across_filesystems(void **state)
{
	struct fx *f = *state;
	struct pl_err err = PL_ERR_INIT;
	char tmpl[] = "/dev/shm/plinth-cas-XXXXXX";
	struct pl_cas *to = NULL;
	char digest[PL_DIGEST_SIZE];
	char *data = NULL, *dir2;
	size_t len;

	if (!mkdtemp(tmpl))
		skip();
	dir2 = strdup(tmpl);
	assert_int_equal(pl_cas_open(&to, dir2, &err), 0);
	assert_int_equal(pl_cas_put_buf(f->cas, "hello\n", 6, NULL, digest, &err), 0);
	assert_int_equal(pl_cas_copy(f->cas, to, digest, &err), 0);
	assert_int_equal(pl_cas_read(to, digest, 0, &data, &len, &err), 0);
	assert_memory_equal(data, "hello\n", 6);
	free(data);
	pl_cas_free(to);
	tu_rmtree(dir2);
}

struct racer {
	struct pl_cas *cas;
	const char *data;
	size_t len;
	int failures;
};

static void *race(void *arg)
{
	struct racer *r = arg;

	for (int i = 0; i < 40; i++) {
		struct pl_err err = PL_ERR_INIT;
		struct pl_cas_writer *w = NULL;

		if (pl_cas_writer_new(r->cas, &w, &err) < 0) {
			r->failures++;
			continue;
		}
		/* two halves, so writers interleave mid-blob */
		if (pl_cas_writer_write(w, r->data, r->len / 2, &err) < 0 ||
		    pl_cas_writer_write(w, r->data + r->len / 2, r->len - r->len / 2, &err) < 0) {
			pl_cas_writer_abort(w);
			r->failures++;
			continue;
		}
		if (pl_cas_writer_commit(w, NULL, NULL, NULL, &err) < 0)
			r->failures++;
	}
	return NULL;
}

static void test_cas_concurrent_writers_same_blob(void **state)
{
	struct fx *f = *state;
	struct pl_err err = PL_ERR_INIT;
	pthread_t th[4];
	struct racer r[4];
	char digest[PL_DIGEST_SIZE];
	char *data = malloc(200000), *got = NULL;
	size_t len;
	int tmps;

	for (size_t i = 0; i < 200000; i++)
		data[i] = (char)(i % 251);
	for (int i = 0; i < 4; i++) {
		r[i] = (struct racer){ f->cas, data, 200000, 0 };
		assert_int_equal(pthread_create(&th[i], NULL, race, &r[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(r[i].failures, 0);
	}
	assert_int_equal(pl_sha256_buf(data, 200000, digest, &err), 0);
	assert_int_equal(pl_cas_read(f->cas, digest, 0, &got, &len, &err), 0);
	assert_int_equal(len, 200000);
	assert_memory_equal(got, data, 200000);
	assert_int_equal(count_blob_dir(f->dir, &tmps), 1);
	assert_int_equal(tmps, 0);
	free(got);
	free(data);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_cas_put_read_roundtrip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cas_writer_streams_chunks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cas_verify_mismatch_discards, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cas_abort_leaves_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cas_rejects_bad_digests, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cas_missing_blob_not_found, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cas_read_max, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cas_copy_hardlinks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cas_copy_across_filesystems, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cas_concurrent_writers_same_blob, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
