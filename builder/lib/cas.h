/*
 * cas: a content-addressed store on disk, blobs at <root>/blobs/sha256/<hex>
 * (the OCI image layout's blob layout, so a layout is a cas plus index.json).
 * Writes stream into a temporary file while hashing and are renamed to their
 * digest on commit; a blob present under a digest always has those bytes.
 */
#ifndef PL_CAS_H
#define PL_CAS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/digest.h"
#include "util/err.h"

struct pl_cas;
struct pl_cas_writer;

/* Open (creating if needed) a store rooted at dir. Free with pl_cas_free. */
int pl_cas_open(struct pl_cas **out, const char *dir, struct pl_err *err);
void pl_cas_free(struct pl_cas *cas);

/*
 * Whether commits fsync the blob before renaming it (default true). A store
 * that is only a cache (file contents of a build) turns it off: a blob lost
 * in a crash is simply written again, and fsync per small file dominates
 * assembling a large tree.
 */
void pl_cas_set_sync(struct pl_cas *cas, bool sync);

/* The root directory the store was opened at (borrowed). */
const char *pl_cas_root(const struct pl_cas *cas);

/* Start writing a blob whose digest is not yet known. */
int pl_cas_writer_new(struct pl_cas *cas, struct pl_cas_writer **out, struct pl_err *err);
int pl_cas_writer_write(struct pl_cas_writer *w, const void *data, size_t len,
			struct pl_err *err) PL_WUR;
/*
 * Finish: fsync, rename into place, fill digest and size (either may be NULL),
 * free w. When expect is non-NULL and differs from the content's digest the
 * blob is discarded and PL_EVERIFY returned. w is freed in every case.
 */
int pl_cas_writer_commit(struct pl_cas_writer *w, const char *expect,
			 char digest[PL_DIGEST_SIZE], uint64_t *size, struct pl_err *err);
/* Discard a writer and its temporary file. */
void pl_cas_writer_abort(struct pl_cas_writer *w);

/* Store a memory buffer; same expect semantics as commit. */
int pl_cas_put_buf(struct pl_cas *cas, const void *data, size_t len, const char *expect,
		   char digest[PL_DIGEST_SIZE], struct pl_err *err);

/* True when the blob exists. */
bool pl_cas_has(const struct pl_cas *cas, const char *digest);

/* Size of a stored blob; PL_ENOTFOUND when absent. */
int pl_cas_size(const struct pl_cas *cas, const char *digest, uint64_t *size, struct pl_err *err);

/* Host path of a blob (malloc'd; the blob need not exist). */
int pl_cas_path(const struct pl_cas *cas, const char *digest, char **path, struct pl_err *err);

/* Open a blob read-only; PL_ENOTFOUND when absent. Caller closes *fd. */
int pl_cas_open_read(const struct pl_cas *cas, const char *digest, int *fd, struct pl_err *err);

/* Read a whole blob (at most max bytes, 0 = no cap) into a new malloc'd buffer. */
int pl_cas_read(const struct pl_cas *cas, const char *digest, size_t max, char **data,
		size_t *len, struct pl_err *err);

/* Copy a blob from one store into another (hard link when possible). */
int pl_cas_copy(const struct pl_cas *from, struct pl_cas *to, const char *digest,
		struct pl_err *err);

#endif
