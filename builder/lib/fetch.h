/*
 * fetch: downloads with libcurl into a cas. Every download names its
 * expected size and sha256 when known (verified before the blob is
 * committed, so the cache never holds wrong bytes), transient failures
 * (connection errors, timeouts, HTTP 5xx/429) are retried with exponential
 * backoff, and a batch runs several transfers at once (curl multi).
 * http, https and file:// URLs; offline mode serves only what is cached.
 */
#ifndef PL_FETCH_H
#define PL_FETCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/cas.h"
#include "util/digest.h"
#include "util/err.h"

struct pl_fetch_opts {
	int parallel;          /* transfers at once; 0 = 4 */
	int retries;           /* retries after the first attempt; 0 = 4, <0 = none */
	long backoff_ms;       /* first retry delay, doubled each time; 0 = 500 */
	long timeout_s;        /* stall timeout per transfer (no bytes for this long); 0 = 60 */
	bool offline;          /* never touch the network: cached blobs or PL_ENOTFOUND */
	const char *cacert;    /* extra CA bundle, or NULL */
	const char *user_agent;/* NULL = "plinth/<version>" */
};

/* One fetcher is used by one thread at a time; it keeps connections open between calls. */
struct pl_fetch;

/*
 * Make a fetcher storing into cache (borrowed: it must outlive the fetcher).
 * o may be NULL for the defaults. Fails when o->cacert can not be read.
 */
int pl_fetch_new(struct pl_fetch **out, struct pl_cas *cache, const struct pl_fetch_opts *o,
		 struct pl_err *err);
void pl_fetch_free(struct pl_fetch *f);

/* One download of a batch. */
struct pl_fetch_item {
	const char *url;
	const char *sha256;  /* "sha256:<hex>" expected, or NULL (then never cached by name) */
	int64_t size;        /* expected size, or -1 */
	const char *what;    /* names it in errors ("Packages.xz of 'bookworm'"); NULL = url */
	/* results */
	char digest[PL_DIGEST_SIZE]; /* the blob's digest in the cache */
	uint64_t got_size;
	bool from_cache;     /* already in the cache: nothing was downloaded */
	int rc;              /* 0 or the item's error code */
};

/*
 * Fetch every item into the cache, at most o->parallel at once. Items whose
 * sha256 is already cached are not downloaded; items sharing a sha256 are
 * downloaded once (from the first one's URL) and get the same results. An
 * item with a size gets at most that many bytes (more aborts the transfer).
 * file:// URLs are read even offline. Returns 0 when all succeeded;
 * otherwise the first failing item's error (naming its what/url, the HTTP
 * status or curl error, and the attempts made), with every item's rc set.
 * In offline mode a missing item is PL_ENOTFOUND naming it.
 */
int pl_fetch_batch(struct pl_fetch *f, struct pl_fetch_item *items, size_t n,
		   struct pl_err *err);

/*
 * Fetch one URL whose digest is not known in advance (InRelease, Release)
 * into *data (malloc'd and NUL-terminated after *len bytes, at most max
 * bytes, else PL_ETOOBIG; max 0 = no cap). Same retry rules as a batch.
 * Never served from the cache (not even offline: use pl_fetch_get_cached
 * for that); offline it is PL_ENOTFOUND unless the URL is file://. HTTP 404
 * is PL_ENOTFOUND.
 */
int pl_fetch_get(struct pl_fetch *f, const char *url, size_t max, char **data, size_t *len,
		 struct pl_err *err);

/*
 * Like pl_fetch_get, but the body is also stored in the cache and recorded
 * as the last copy of that URL (credentials stripped) in <cache>/urls/.
 * Offline, that last copy is returned, or PL_ENOTFOUND when there is none.
 * Online it always downloads: a failed download never falls back to a
 * stale copy.
 */
int pl_fetch_get_cached(struct pl_fetch *f, const char *url, size_t max, char **data,
			size_t *len, struct pl_err *err);

/*
 * Statistics since pl_fetch_new: downloads completed (cache hits excluded)
 * and body bytes received (over every attempt, failed ones included).
 */
void pl_fetch_stats(const struct pl_fetch *f, uint64_t *downloads, uint64_t *bytes);

#endif
