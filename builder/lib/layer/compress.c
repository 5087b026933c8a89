#include "lib/layer/compress.h"

#include <assert.h>
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libdeflate.h>
#include <zstd.h>

#define MAX_THREADS 64

enum slot_state { SLOT_FREE = 0, SLOT_QUEUED, SLOT_WORKING, SLOT_DONE };

/* One gzip chunk: its input, its compressed member, where it is. */
struct slot {
	unsigned char *in;
	size_t in_len;
	unsigned char *out;
	size_t out_cap, out_len;
	enum slot_state state;
};

struct worker {
	struct pl_compress *c;
	struct libdeflate_compressor *ld;
	pthread_t tid;
	bool started;
};

struct pl_compress {
	enum pl_compression comp;
	int level;
	int threads;
	pl_compress_sink_fn sink;
	void *ctx;
	uint64_t in_bytes;
	bool failed;

	/*
	 * gzip: a ring of nslots chunks. The producer fills slot
	 * next_submit % nslots, workers take chunks in submission order,
	 * the producer hands finished ones to the sink in the same order.
	 * Sequence numbers only grow: emitted <= taken <= submitted.
	 */
	pthread_mutex_t mu;
	pthread_cond_t work_cv, done_cv;
	bool sync_init;
	struct slot *slots;
	size_t nslots;
	uint64_t next_submit, next_take, next_emit;
	bool stop;
	struct worker *workers;

	/* zstd */
	ZSTD_CCtx *zc;
	unsigned char *zout;
	size_t zout_cap;
};

static int default_threads(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	if (n < 1)
		return 1;
	return n > MAX_THREADS ? MAX_THREADS : (int)n;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct pl_compress *c = w->c;

	pthread_mutex_lock(&c->mu);
	for (;;) {
		struct slot *s;
		size_t n;

		while (!c->stop && c->next_take == c->next_submit)
			pthread_cond_wait(&c->work_cv, &c->mu);
		if (c->stop)
			break;
		s = &c->slots[c->next_take % c->nslots];
		c->next_take++;
		s->state = SLOT_WORKING;
		pthread_mutex_unlock(&c->mu);

		/* The bound makes failure impossible; 0 would be a bug. */
		n = libdeflate_gzip_compress(w->ld, s->in, s->in_len, s->out, s->out_cap);

		pthread_mutex_lock(&c->mu);
		s->out_len = n;
		s->state = SLOT_DONE;
		pthread_cond_broadcast(&c->done_cv);
	}
	pthread_mutex_unlock(&c->mu);
	return NULL;
}

/*
 * Hand finished chunks to the sink in order. With wait, block until the
 * oldest chunk in flight is done (so its slot can be reused) and emit it.
 */
static int gz_emit(struct pl_compress *c, bool wait, struct pl_err *err)
{
	int rc = 0;

	for (;;) {
		struct slot *s;
		bool done;

		pthread_mutex_lock(&c->mu);
		if (c->next_emit == c->next_submit) {
			pthread_mutex_unlock(&c->mu);
			break;
		}
		s = &c->slots[c->next_emit % c->nslots];
		while (wait && s->state != SLOT_DONE)
			pthread_cond_wait(&c->done_cv, &c->mu);
		done = s->state == SLOT_DONE;
		pthread_mutex_unlock(&c->mu);
		if (!done)
			break;
		/* Done slots are the producer's alone: no lock needed here. */
		if (s->out_len == 0) {
			rc = pl_err_set(err, PL_EIO, "gzip: chunk compression failed");
			goto out;
		}
		rc = c->sink(c->ctx, s->out, s->out_len, err);
		if (rc < 0)
			goto out;
		s->state = SLOT_FREE;
		s->in_len = 0;
		pthread_mutex_lock(&c->mu);
		c->next_emit++;
		pthread_mutex_unlock(&c->mu);
		wait = false;
	}
out:
	return rc;
}

/* The slot the producer fills, made free and allocated. */
static int gz_cur(struct pl_compress *c, struct slot **out, struct pl_err *err)
{
	struct slot *s;
	int rc = 0;

	if (c->next_submit - c->next_emit == c->nslots) {
		rc = gz_emit(c, true, err);
		if (rc < 0)
			goto out;
	}
	s = &c->slots[c->next_submit % c->nslots];
	assert(s->state == SLOT_FREE);
	if (!s->in) {
		s->in = malloc(PL_COMPRESS_GZIP_CHUNK);
		s->out_cap = libdeflate_gzip_compress_bound(c->workers[0].ld, PL_COMPRESS_GZIP_CHUNK);
		s->out = malloc(s->out_cap);
		if (!s->in || !s->out) {
			rc = pl_err_set(err, PL_ENOMEM, "gzip: out of memory");
			goto out;
		}
	}
	*out = s;
out:
	return rc;
}

static int gz_submit(struct pl_compress *c, struct slot *s, struct pl_err *err)
{
	pthread_mutex_lock(&c->mu);
	s->state = SLOT_QUEUED;
	c->next_submit++;
	pthread_cond_signal(&c->work_cv);
	pthread_mutex_unlock(&c->mu);
	return gz_emit(c, false, err);
}

static int gz_write(struct pl_compress *c, const unsigned char *p, size_t len, struct pl_err *err)
{
	int rc = 0;

	while (len > 0) {
		struct slot *s = NULL;
		size_t n;

		rc = gz_cur(c, &s, err);
		if (rc < 0)
			goto out;
		n = PL_COMPRESS_GZIP_CHUNK - s->in_len;
		if (n > len)
			n = len;
		memcpy(s->in + s->in_len, p, n);
		s->in_len += n;
		p += n;
		len -= n;
		if (s->in_len == PL_COMPRESS_GZIP_CHUNK) {
			rc = gz_submit(c, s, err);
			if (rc < 0)
				goto out;
		}
	}
out:
	return rc;
}

static int gz_finish(struct pl_compress *c, struct pl_err *err)
{
	struct slot *s = NULL;
	int rc;

	rc = gz_cur(c, &s, err);
	if (rc < 0)
		goto out;
	/* A partial last chunk; an empty stream still gets one (empty) member. */
	if (s->in_len > 0 || c->in_bytes == 0) {
		rc = gz_submit(c, s, err);
		if (rc < 0)
			goto out;
	}
	while (c->next_emit != c->next_submit) {
		rc = gz_emit(c, true, err);
		if (rc < 0)
			goto out;
	}
out:
	return rc;
}

static int gz_start(struct pl_compress *c, struct pl_err *err)
{
	int rc = 0;
	int i;

	if (c->level < 1 || c->level > 12) {
		rc = pl_err_set(err, PL_EINVAL, "gzip level %d out of range (1-12)", c->level);
		goto out;
	}
	c->nslots = 2 * (size_t)c->threads + 2;
	c->slots = calloc(c->nslots, sizeof(*c->slots));
	c->workers = calloc((size_t)c->threads, sizeof(*c->workers));
	if (!c->slots || !c->workers) {
		rc = pl_err_set(err, PL_ENOMEM, "gzip: out of memory");
		goto out;
	}
	if (pthread_mutex_init(&c->mu, NULL) != 0)
		abort();
	pthread_cond_init(&c->work_cv, NULL);
	pthread_cond_init(&c->done_cv, NULL);
	c->sync_init = true;
	for (i = 0; i < c->threads; i++) {
		c->workers[i].c = c;
		c->workers[i].ld = libdeflate_alloc_compressor(c->level);
		if (!c->workers[i].ld) {
			rc = pl_err_set(err, PL_ENOMEM, "gzip: out of memory");
			goto out;
		}
	}
	for (i = 0; i < c->threads; i++) {
		int e = pthread_create(&c->workers[i].tid, NULL, worker_main, &c->workers[i]);

		if (e != 0) {
			errno = e;
			rc = pl_err_errno(err, PL_EIO, "gzip: cannot start a thread");
			goto out;
		}
		c->workers[i].started = true;
	}
out:
	return rc;
}

static int zstd_check(size_t r, const char *what, struct pl_err *err)
{
	if (ZSTD_isError(r))
		return pl_err_set(err, PL_EIO, "zstd: %s: %s", what, ZSTD_getErrorName(r));
	return 0;
}

static int zstd_start(struct pl_compress *c, struct pl_err *err)
{
	int rc = 0;

	if (c->level < 1 || c->level > ZSTD_maxCLevel()) {
		rc = pl_err_set(err, PL_EINVAL, "zstd level %d out of range (1-%d)", c->level,
				ZSTD_maxCLevel());
		goto out;
	}
	c->zc = ZSTD_createCCtx();
	c->zout_cap = ZSTD_CStreamOutSize();
	c->zout = malloc(c->zout_cap);
	if (!c->zc || !c->zout) {
		rc = pl_err_set(err, PL_ENOMEM, "zstd: out of memory");
		goto out;
	}
	rc = zstd_check(ZSTD_CCtx_setParameter(c->zc, ZSTD_c_compressionLevel, c->level),
			"set level", err);
	if (rc < 0)
		goto out;
	rc = zstd_check(ZSTD_CCtx_setParameter(c->zc, ZSTD_c_checksumFlag, 1), "set checksum", err);
	if (rc < 0)
		goto out;
	/*
	 * Multi-threaded zstd output depends on the job size, not on the number
	 * of workers, but differs from single-threaded output: always use at
	 * least one worker so the bytes never depend on the thread count.
	 */
	rc = zstd_check(ZSTD_CCtx_setParameter(c->zc, ZSTD_c_nbWorkers, c->threads),
			"set workers (libzstd built without threads?)", err);
out:
	return rc;
}

static int zstd_run(struct pl_compress *c, const void *data, size_t len, ZSTD_EndDirective end,
		    struct pl_err *err)
{
	ZSTD_inBuffer in = { data, len, 0 };
	int rc = 0;

	for (;;) {
		ZSTD_outBuffer ob = { c->zout, c->zout_cap, 0 };
		size_t left = ZSTD_compressStream2(c->zc, &ob, &in, end);

		rc = zstd_check(left, "compress", err);
		if (rc < 0)
			goto out;
		if (ob.pos > 0) {
			rc = c->sink(c->ctx, c->zout, ob.pos, err);
			if (rc < 0)
				goto out;
		}
		if (end == ZSTD_e_end ? left == 0 : in.pos == in.size)
			break;
	}
out:
	return rc;
}

int pl_compress_new(struct pl_compress **out, enum pl_compression comp, int level, int threads,
		    pl_compress_sink_fn sink, void *ctx, struct pl_err *err)
{
	struct pl_compress *c = NULL;
	int rc = 0;

	*out = NULL;
	c = calloc(1, sizeof(*c));
	if (!c) {
		rc = pl_err_set(err, PL_ENOMEM, "compress: out of memory");
		goto out;
	}
	c->comp = comp;
	c->sink = sink;
	c->ctx = ctx;
	c->threads = threads > 0 ? threads : default_threads();
	if (c->threads > MAX_THREADS)
		c->threads = MAX_THREADS;
	switch (comp) {
	case PL_COMP_GZIP:
		c->level = level ? level : 6;
		rc = gz_start(c, err);
		break;
	case PL_COMP_ZSTD:
		c->level = level ? level : 3;
		rc = zstd_start(c, err);
		break;
	case PL_COMP_NONE:
		break;
	default:
		rc = pl_err_set(err, PL_EINVAL, "unknown compression %d", (int)comp);
		break;
	}
	if (rc < 0)
		goto out;
	*out = c;
	c = NULL;
out:
	pl_compress_free(c);
	return rc;
}

int pl_compress_write(struct pl_compress *c, const void *data, size_t len, struct pl_err *err)
{
	int rc = 0;

	if (c->failed) {
		rc = pl_err_set(err, PL_EIO, "compress: stream already failed");
		goto out;
	}
	if (len == 0)
		goto out;
	c->in_bytes += len;
	switch (c->comp) {
	case PL_COMP_GZIP:
		rc = gz_write(c, data, len, err);
		break;
	case PL_COMP_ZSTD:
		rc = zstd_run(c, data, len, ZSTD_e_continue, err);
		break;
	default:
		rc = c->sink(c->ctx, data, len, err);
		break;
	}
out:
	if (rc < 0)
		c->failed = true;
	return rc;
}

int pl_compress_finish(struct pl_compress *c, struct pl_err *err)
{
	int rc = 0;

	if (c->failed) {
		rc = pl_err_set(err, PL_EIO, "compress: stream already failed");
		goto out;
	}
	switch (c->comp) {
	case PL_COMP_GZIP:
		rc = gz_finish(c, err);
		break;
	case PL_COMP_ZSTD:
		rc = zstd_run(c, NULL, 0, ZSTD_e_end, err);
		break;
	default:
		break;
	}
out:
	if (rc < 0)
		c->failed = true;
	return rc;
}

uint64_t pl_compress_in_bytes(const struct pl_compress *c)
{
	return c->in_bytes;
}

void pl_compress_free(struct pl_compress *c)
{
	size_t i;

	if (!c)
		return;
	if (c->sync_init) {
		pthread_mutex_lock(&c->mu);
		c->stop = true;
		pthread_cond_broadcast(&c->work_cv);
		pthread_mutex_unlock(&c->mu);
	}
	if (c->workers) {
		for (i = 0; i < (size_t)c->threads; i++) {
			if (c->workers[i].started)
				pthread_join(c->workers[i].tid, NULL);
			if (c->workers[i].ld)
				libdeflate_free_compressor(c->workers[i].ld);
		}
		free(c->workers);
	}
	if (c->slots) {
		for (i = 0; i < c->nslots; i++) {
			free(c->slots[i].in);
			free(c->slots[i].out);
		}
		free(c->slots);
	}
	if (c->sync_init) {
		pthread_mutex_destroy(&c->mu);
		pthread_cond_destroy(&c->work_cv);
		pthread_cond_destroy(&c->done_cv);
	}
	ZSTD_freeCCtx(c->zc);
	free(c->zout);
	free(c);
}
