/* Tests for the layer writer's parallel gzip/zstd compressor. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lib/layer/compress.h"
#include "testutil.h"
#include "util/buf.h"
#include "util/fsutil.h"

struct fixture {
	char *dir;
	unsigned char *data; /* compressible pseudo-random text */
	size_t len;
};

static uint64_t rng_next(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* Words from a small alphabet with some random bytes: compresses ~3x. */
static void fill(unsigned char *p, size_t n, uint64_t seed)
{
	static const char *words[] = { "alpha ", "beta ", "gamma\n", "delta ", "layer ",
				       "tar ", "gzip ", "zstd\n", "plinth ", "chunk " };
	uint64_t s = seed | 1;
	size_t i = 0;

	while (i < n) {
		uint64_t r = rng_next(&s);
		const char *w = words[r % 10];
		size_t wl = strlen(w);

		if ((r >> 32) % 7 == 0) {
			p[i++] = (unsigned char)(r >> 40);
			continue;
		}
		if (wl > n - i)
			wl = n - i;
		memcpy(p + i, w, wl);
		i += wl;
	}
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->dir = tu_mkdtemp();
	f->len = 20u << 20;
	f->data = malloc(f->len);
	assert_non_null(f->data);
	fill(f->data, f->len, 42);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	tu_rmtree(f->dir);
	free(f->data);
	free(f);
	return 0;
}

static int buf_sink(void *ctx, const void *data, size_t len, struct pl_err *err)
{
	return pl_buf_add(ctx, data, len, err);
}

/* Compress data[0..len) writing in pieces of the given step sizes. */
static void compress_buf(enum pl_compression comp, int level, int threads, const unsigned char *data,
			 size_t len, size_t step, struct pl_buf *out)
{
	struct pl_err err = PL_ERR_INIT;
	struct pl_compress *c = NULL;
	size_t off = 0, k = 0;

	pl_buf_init(out, 0);
	assert_int_equal(pl_compress_new(&c, comp, level, threads, buf_sink, out, &err), 0);
	while (off < len) {
		/* vary the piece sizes so chunk boundaries never line up with writes */
		size_t n = step + (k++ % 3) * 7;

		if (n > len - off)
			n = len - off;
		assert_int_equal(pl_compress_write(c, data + off, n, &err), 0);
		off += n;
	}
	assert_int_equal(pl_compress_finish(c, &err), 0);
	assert_int_equal(pl_compress_in_bytes(c), len);
	pl_compress_free(c);
}

/* Decompress blob with the system tool and compare with want. */
static void check_tool(const char *dir, const char *tool, const struct pl_buf *blob,
		       const unsigned char *want, size_t want_len)
{
	struct pl_buf got = PL_BUF_INIT;
	char *in = tu_path(dir, "blob");
	char *outp = tu_path(dir, "plain");

	assert_int_equal(pl_write_file_atomic(in, blob->data, blob->len, 0644, NULL), 0);
	assert_int_equal(tu_sh(dir, "%s -dc blob > plain", tool), 0);
	assert_int_equal(pl_read_file(outp, 0, &got, NULL), 0);
	assert_int_equal(got.len, want_len);
	assert_memory_equal(got.data, want, want_len);
	pl_buf_release(&got);
	free(in);
	free(outp);
}

static void test_compress_gzip_roundtrip(void **state)
{
	struct fixture *f = *state;
	struct pl_buf out;

	compress_buf(PL_COMP_GZIP, 0, 2, f->data, f->len, 100000, &out);
	assert_true(out.len < f->len / 2);
	/* gzip header of the first member: no name, no timestamp */
	assert_int_equal((unsigned char)out.data[0], 0x1f);
	assert_int_equal((unsigned char)out.data[1], 0x8b);
	assert_int_equal(out.data[3], 0);
	assert_memory_equal(out.data + 4, "\0\0\0\0", 4);
	check_tool(f->dir, "gzip", &out, f->data, f->len);
	pl_buf_release(&out);
}

static void test_compress_zstd_roundtrip(void **state)
{
	struct fixture *f = *state;
	struct pl_buf out;

	compress_buf(PL_COMP_ZSTD, 0, 2, f->data, f->len, 100000, &out);
	assert_true(out.len < f->len / 2);
	check_tool(f->dir, "zstd -q", &out, f->data, f->len);
	pl_buf_release(&out);
}

static void check_threads_identical(struct fixture *f, enum pl_compression comp)
{
	static const int threads[] = { 1, 2, 3, 8 };
	static const size_t steps[] = { 65536, 10240, 1000003, 512 };
	struct pl_buf ref, other;
	size_t i;

	compress_buf(comp, 0, 1, f->data, f->len, 4096, &ref);
	for (i = 0; i < sizeof(threads) / sizeof(threads[0]); i++) {
		compress_buf(comp, 0, threads[i], f->data, f->len, steps[i], &other);
		assert_int_equal(other.len, ref.len);
		assert_memory_equal(other.data, ref.data, ref.len);
		pl_buf_release(&other);
	}
	pl_buf_release(&ref);
}

static void test_compress_gzip_threads_identical(void **state)
{
	check_threads_identical(*state, PL_COMP_GZIP);
}

static void test_compress_zstd_threads_identical(void **state)
{
	check_threads_identical(*state, PL_COMP_ZSTD);
}

static void test_compress_default_threads(void **state)
{
	struct fixture *f = *state;
	struct pl_buf a, b;

	/* threads 0 = online CPUs; must match an explicit count byte for byte */
	compress_buf(PL_COMP_GZIP, 0, 0, f->data, 3u << 20, 70000, &a);
	compress_buf(PL_COMP_GZIP, 0, 5, f->data, 3u << 20, 70000, &b);
	assert_int_equal(a.len, b.len);
	assert_memory_equal(a.data, b.data, a.len);
	pl_buf_release(&a);
	pl_buf_release(&b);
}

static void test_compress_empty(void **state)
{
	struct fixture *f = *state;
	struct pl_buf out;

	compress_buf(PL_COMP_GZIP, 0, 2, f->data, 0, 1, &out);
	assert_true(out.len > 0);
	check_tool(f->dir, "gzip", &out, (const unsigned char *)"", 0);
	pl_buf_release(&out);
	compress_buf(PL_COMP_ZSTD, 0, 2, f->data, 0, 1, &out);
	assert_true(out.len > 0);
	check_tool(f->dir, "zstd -q", &out, (const unsigned char *)"", 0);
	pl_buf_release(&out);
}

static void test_compress_none_passthrough(void **state)
{
	struct fixture *f = *state;
	struct pl_buf out;

	compress_buf(PL_COMP_NONE, 0, 2, f->data, 100000, 999, &out);
	assert_int_equal(out.len, 100000);
	assert_memory_equal(out.data, f->data, 100000);
	pl_buf_release(&out);
}

static void test_compress_levels(void **state)
{
	struct fixture *f = *state;
	struct pl_err err = PL_ERR_INIT;
	struct pl_compress *c = NULL;
	struct pl_buf l1, l9;

	assert_int_equal(pl_compress_new(&c, PL_COMP_GZIP, 13, 1, buf_sink, NULL, &err), PL_EINVAL);
	assert_null(c);
	assert_non_null(strstr(err.msg, "level"));
	pl_err_init(&err);
	assert_int_equal(pl_compress_new(&c, PL_COMP_ZSTD, 99, 1, buf_sink, NULL, &err), PL_EINVAL);
	assert_null(c);
	compress_buf(PL_COMP_GZIP, 1, 2, f->data, 4u << 20, 65536, &l1);
	compress_buf(PL_COMP_GZIP, 9, 2, f->data, 4u << 20, 65536, &l9);
	assert_true(l9.len < l1.len);
	check_tool(f->dir, "gzip", &l9, f->data, 4u << 20);
	pl_buf_release(&l1);
	pl_buf_release(&l9);
}

static int failing_sink(void *ctx, const void *data, size_t len, struct pl_err *err)
{
	int *calls = ctx;

	(void)data;
	(void)len;
	if (++*calls >= 2)
		return pl_err_set(err, PL_EIO, "disk full");
	return 0;
}

static void test_compress_sink_error(void **state)
{
	struct fixture *f = *state;
	static const enum pl_compression comps[] = { PL_COMP_GZIP, PL_COMP_ZSTD };
	size_t i;

	for (i = 0; i < 2; i++) {
		struct pl_err err = PL_ERR_INIT;
		struct pl_compress *c = NULL;
		int calls = 0, rc = 0;
		size_t off;

		assert_int_equal(pl_compress_new(&c, comps[i], 1, 2, failing_sink, &calls, &err), 0);
		for (off = 0; off < f->len && rc == 0; off += 1u << 20)
			rc = pl_compress_write(c, f->data + off, 1u << 20, &err);
		if (rc == 0)
			rc = pl_compress_finish(c, &err);
		assert_int_equal(rc, PL_EIO);
		assert_string_equal(err.msg, "disk full");
		/* a failed stream stays failed */
		assert_int_equal(pl_compress_write(c, "x", 1, &err), PL_EIO);
		pl_compress_free(c);
	}
}

static void test_compress_free_unfinished(void **state)
{
	struct fixture *f = *state;
	struct pl_err err = PL_ERR_INIT;
	struct pl_compress *c = NULL;
	struct pl_buf out = PL_BUF_INIT;

	/* workers busy with queued chunks must still stop cleanly */
	assert_int_equal(pl_compress_new(&c, PL_COMP_GZIP, 0, 3, buf_sink, &out, &err), 0);
	assert_int_equal(pl_compress_write(c, f->data, 5u << 20, &err), 0);
	pl_compress_free(c);
	pl_buf_release(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_compress_gzip_roundtrip),
		cmocka_unit_test(test_compress_zstd_roundtrip),
		cmocka_unit_test(test_compress_gzip_threads_identical),
		cmocka_unit_test(test_compress_zstd_threads_identical),
		cmocka_unit_test(test_compress_default_threads),
		cmocka_unit_test(test_compress_empty),
		cmocka_unit_test(test_compress_none_passthrough),
		cmocka_unit_test(test_compress_levels),
		cmocka_unit_test(test_compress_sink_error),
		cmocka_unit_test(test_compress_free_unfinished),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
