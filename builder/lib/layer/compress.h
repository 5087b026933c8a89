/*
 * compress: the layer writer's streaming compressor (internal to layer).
 * gzip cuts the input into fixed 1 MiB chunks compressed in parallel by
 * libdeflate, each chunk one gzip member; zstd is libzstd with nbWorkers >= 1.
 * Chunking and job sizes never depend on the thread count, so neither do the
 * output bytes. Memory is bounded by a fixed number of chunks in flight.
 */
#ifndef PL_LAYER_COMPRESS_H
#define PL_LAYER_COMPRESS_H

#include <stddef.h>
#include <stdint.h>

#include "lib/layer.h"
#include "util/err.h"

/* gzip input chunk; each becomes one gzip member. Part of the output format. */
#define PL_COMPRESS_GZIP_CHUNK (1u << 20)

/*
 * Receives compressed bytes in order, always on the thread that calls
 * pl_compress_write/_finish. A negative return stops the stream.
 */
typedef int (*pl_compress_sink_fn)(void *ctx, const void *data, size_t len, struct pl_err *err);

struct pl_compress;

/*
 * Start a compressor. level 0 is the default (gzip 6, zstd 3); threads 0 is
 * the number of online CPUs. PL_EINVAL for a level out of range.
 */
int pl_compress_new(struct pl_compress **out, enum pl_compression comp, int level, int threads,
		    pl_compress_sink_fn sink, void *ctx, struct pl_err *err);

/* Feed len bytes; may call the sink with output that is ready. */
int pl_compress_write(struct pl_compress *c, const void *data, size_t len, struct pl_err *err);

/* Flush everything to the sink and end the stream. Write no more afterwards. */
int pl_compress_finish(struct pl_compress *c, struct pl_err *err);

/* Stop the workers and free c (finished or not); accepts NULL. */
void pl_compress_free(struct pl_compress *c);

/* Total uncompressed bytes fed so far. */
uint64_t pl_compress_in_bytes(const struct pl_compress *c);

#endif
