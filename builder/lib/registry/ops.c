/*
 * The distribution API's operations: ping, manifests, blob existence,
 * mounts, monolithic and chunked (resumable) uploads, verified resumable
 * downloads, and tag listing. Errors name the registry, repository and
 * object; reg_send handles authentication and plain retries.
 */
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/registry/internal.h"
#include "util/json.h"
#include "util/log.h"

#define ACCEPT_MANIFESTS                                                                    \
	"Accept: " PL_MT_OCI_MANIFEST ", " PL_MT_OCI_INDEX ", " PL_MT_DOCKER_MANIFEST ", " \
	PL_MT_DOCKER_LIST
#define TAGS_PAGE 1000
#define TAGS_MAX_PAGES 1000

static int scope_of(const char *repo, const char *actions, char **out, struct pl_err *err)
{
	if (asprintf(out, "repository:%s:%s", repo, actions) < 0)
		return pl_err_set(err, PL_ENOMEM, "out of memory");
	return 0;
}

static void wrap(struct pl_registry *r, const char *repo, const char *what, struct pl_err *err)
{
	if (what)
		pl_err_wrap(err, "registry '%s': repository '%s': %s", reg_domain(r), repo, what);
	else if (repo)
		pl_err_wrap(err, "registry '%s': repository '%s'", reg_domain(r), repo);
	else
		pl_err_wrap(err, "registry '%s'", reg_domain(r));
}

int pl_registry_ping(struct pl_registry *r, const char *repo, struct pl_err *err)
{
	struct pl_http_req q = { .method = "GET", .body_fd = -1 };
	struct pl_http_resp resp;
	char *url = NULL, *scope = NULL;
	int rc;

	pl_http_resp_init(&resp);
	rc = reg_url(r, &url, err, "/v2/");
	if (rc == 0 && repo)
		rc = scope_of(repo, "pull", &scope, err);
	if (rc < 0)
		goto out;
	q.url = url;
	rc = reg_send(r, scope ? scope : "registry:catalog:*", &q, &resp, true, err);
	/* /v2/ with a repository-scoped token may still be 401 on some registries */
	if (rc == 0 && resp.status != 200)
		rc = reg_status_error(&resp, 0, err);
out:
	if (rc < 0)
		wrap(r, NULL, NULL, err);
	pl_http_resp_release(&resp);
	free(url);
	free(scope);
	return rc;
}

/* ---- manifests ---- */

void pl_reg_manifest_release(struct pl_reg_manifest *m)
{
	pl_buf_release(&m->body);
	memset(m, 0, sizeof(*m));
}

static bool is_digest(const char *ref)
{
	return strncmp(ref, "sha256:", 7) == 0;
}

int pl_registry_get_manifest(struct pl_registry *r, const char *repo, const char *reference,
			     struct pl_reg_manifest *out, struct pl_err *err)
{
	const char *hdrs[] = { ACCEPT_MANIFESTS, NULL };
	struct pl_http_req q = { .method = "GET", .body_fd = -1, .headers = hdrs,
				 .max_body = PL_OCI_JSON_MAX };
	struct pl_http_resp resp;
	char *url = NULL, *scope = NULL, what[200];
	const char *ct, *claimed;
	size_t k;
	int rc;

	memset(out, 0, sizeof(*out));
	pl_http_resp_init(&resp);
	snprintf(what, sizeof(what), "manifest '%s'", reference);
	if (is_digest(reference) && pl_digest_check(reference, err) < 0)
		return PL_EINVAL;
	rc = reg_url(r, &url, err, "/v2/%s/manifests/%s", repo, reference);
	if (rc == 0)
		rc = scope_of(repo, "pull", &scope, err);
	if (rc < 0)
		goto out;
	q.url = url;
	rc = reg_send(r, scope, &q, &resp, true, err);
	if (rc < 0)
		goto out;
	if (resp.status != 200) {
		rc = reg_status_error(&resp, 0, err);
		goto out;
	}
	ct = pl_http_resp_header(&resp, "Content-Type");
	k = ct ? strcspn(ct, "; ") : 0;
	if (k >= sizeof(out->media_type))
		k = 0;
	memcpy(out->media_type, ct ? ct : "", k);
	out->media_type[k] = 0;
	rc = pl_sha256_buf(resp.body.data ? resp.body.data : "", resp.body.len, out->digest, err);
	if (rc < 0)
		goto out;
	if (is_digest(reference) && strcmp(reference, out->digest) != 0) {
		rc = pl_err_set(err, PL_EVERIFY, "the registry sent content hashing to %s",
				out->digest);
		goto out;
	}
	claimed = pl_http_resp_header(&resp, "Docker-Content-Digest");
	if (claimed && is_digest(claimed) && strcmp(claimed, out->digest) != 0) {
		rc = pl_err_set(err, PL_EVERIFY, "the registry says %s but the content hashes to %s",
				claimed, out->digest);
		goto out;
	}
	if (!out->media_type[0] || strcmp(out->media_type, "application/json") == 0 ||
	    strcmp(out->media_type, "text/plain") == 0) {
		/* old registries: take the type the document declares */
		json_t *j = NULL;
		const char *mt;
		if (pl_json_load(resp.body.data, resp.body.len, what, &j, err) < 0) {
			rc = PL_EINVAL;
			goto out;
		}
		mt = pl_oci_sniff_media_type(j);
		snprintf(out->media_type, sizeof(out->media_type), "%s", mt ? mt : "");
		json_decref(j);
	}
	out->body = resp.body;
	pl_buf_init(&resp.body, PL_OCI_JSON_MAX);
out:
	if (rc < 0) {
		wrap(r, repo, what, err);
		pl_reg_manifest_release(out);
	}
	pl_http_resp_release(&resp);
	free(url);
	free(scope);
	return rc;
}

int pl_registry_put_manifest(struct pl_registry *r, const char *repo, const char *reference,
			     const void *data, size_t len, const char *media_type,
			     struct pl_err *err)
{
	struct pl_http_req q = { .method = "PUT", .body_fd = -1, .body = data, .body_len = len };
	struct pl_http_resp resp;
	char *url = NULL, *scope = NULL, *ct = NULL, what[200];
	const char *hdrs[2] = { NULL, NULL };
	int rc;

	pl_http_resp_init(&resp);
	snprintf(what, sizeof(what), "manifest '%s'", reference);
	rc = reg_url(r, &url, err, "/v2/%s/manifests/%s", repo, reference);
	if (rc == 0)
		rc = scope_of(repo, "pull,push", &scope, err);
	if (rc == 0 && asprintf(&ct, "Content-Type: %s", media_type) < 0)
		rc = pl_err_set(err, PL_ENOMEM, "out of memory");
	if (rc < 0)
		goto out;
	hdrs[0] = ct;
	q.headers = hdrs;
	q.url = url;
	rc = reg_send(r, scope, &q, &resp, true, err);
	if (rc == 0 && resp.status != 201 && resp.status != 200)
		rc = reg_status_error(&resp, PL_ENET, err);
out:
	if (rc < 0)
		wrap(r, repo, what, err);
	pl_http_resp_release(&resp);
	free(url);
	free(scope);
	free(ct);
	return rc;
}

/* ---- blobs ---- */

static void stat_add(uint64_t *v, uint64_t n)
{
	__atomic_add_fetch(v, n, __ATOMIC_RELAXED);
}

static void stat_inc(unsigned *v)
{
	__atomic_add_fetch(v, 1, __ATOMIC_RELAXED);
}

int pl_registry_blob_exists(struct pl_registry *r, const char *repo, const char *digest,
			    uint64_t *size, struct pl_err *err)
{
	struct pl_http_req q = { .method = "HEAD", .body_fd = -1 };
	struct pl_http_resp resp;
	char *url = NULL, *scope = NULL, what[100];
	const char *cl;
	int rc;

	pl_http_resp_init(&resp);
	snprintf(what, sizeof(what), "blob %s", digest);
	rc = reg_url(r, &url, err, "/v2/%s/blobs/%s", repo, digest);
	if (rc == 0)
		rc = scope_of(repo, "pull", &scope, err);
	if (rc < 0)
		goto out;
	q.url = url;
	rc = reg_send(r, scope, &q, &resp, true, err);
	if (rc < 0)
		goto out;
	if (resp.status == 404) {
		rc = PL_ENOTFOUND;
		goto done;
	}
	if (resp.status != 200) {
		rc = reg_status_error(&resp, 0, err);
		goto out;
	}
	cl = pl_http_resp_header(&resp, "Content-Length");
	if (size)
		*size = cl ? strtoull(cl, NULL, 10) : 0;
out:
	if (rc < 0)
		wrap(r, repo, what, err);
done:
	pl_http_resp_release(&resp);
	free(url);
	free(scope);
	return rc;
}

/* The upload session: where the next request goes, and what the registry holds. */
struct upload {
	struct pl_registry *r;
	const char *repo, *digest, *scope;
	char *loc;
	uint64_t size;
	int fd;
	const void *mem;  /* the bytes, when they are in memory (fd < 0) */
	struct pl_reg_stats *stats;
};

static int set_location(struct upload *u, const struct pl_http_resp *resp, struct pl_err *err)
{
	const char *loc = pl_http_resp_header(resp, "Location");
	char *url = NULL;
	int rc;

	if (!loc)
		return pl_err_set(err, PL_ENET, "upload answer (HTTP %ld) has no Location",
				  resp->status);
	rc = reg_resolve_location(u->r, loc, &url, err);
	if (rc < 0)
		return rc;
	free(u->loc);
	u->loc = url;
	return 0;
}

/*
 * POST an upload session, asking for a mount when from is set: 1 when the
 * blob was mounted (nothing to send), 0 with u->loc set otherwise.
 */
static int upload_start(struct upload *u, const char *from, struct pl_err *err)
{
	struct pl_http_req q = { .method = "POST", .body_fd = -1 };
	struct pl_http_resp resp;
	struct pl_buf url;
	char *base = NULL;
	int rc;

	pl_buf_init(&url, 0);
	pl_http_resp_init(&resp);
	rc = reg_url(u->r, &base, err, "/v2/%s/blobs/uploads/", u->repo);
	if (rc == 0)
		rc = pl_buf_adds(&url, base, err);
	if (rc == 0 && from) {
		rc = reg_add_query(&url, "mount", u->digest, err);
		if (rc == 0)
			rc = reg_add_query(&url, "from", from, err);
	}
	if (rc < 0)
		goto out;
	q.url = url.data;
	rc = reg_send(u->r, u->scope, &q, &resp, true, err);
	if (rc < 0)
		goto out;
	if (resp.status == 201 && from) {
		rc = 1;
		goto out;
	}
	if (resp.status != 202) {
		rc = reg_status_error(&resp, PL_ENET, err);
		pl_err_wrap(err, "start upload");
		goto out;
	}
	rc = set_location(u, &resp, err);
out:
	pl_http_resp_release(&resp);
	pl_buf_release(&url);
	free(base);
	return rc;
}

/* loc plus "digest=<digest>", keeping a query the registry already put there. */
static int with_digest(const struct upload *u, struct pl_buf *url, struct pl_err *err)
{
	int rc = pl_buf_adds(url, u->loc, err);

	if (rc == 0)
		rc = reg_add_query(url, "digest", u->digest, err);
	return rc;
}

/*
 * The closing PUT ?digest=: with the whole blob (a monolithic upload, not
 * retried: a failed PUT ends the session, the caller starts a new one), or
 * with no body after the chunks.
 */
static int upload_put(struct upload *u, bool whole, struct pl_err *err)
{
	const char *hdrs[] = { "Content-Type: application/octet-stream", NULL };
	struct pl_http_req q = { .method = "PUT", .body_fd = -1, .body = "", .headers = hdrs };
	struct pl_http_resp resp;
	struct pl_buf url;
	int rc;

	if (whole && u->mem) {
		q.body = u->mem;
		q.body_len = (size_t)u->size;
	} else if (whole) {
		q.body_fd = u->fd;
		q.body_fd_len = u->size;
	}
	pl_buf_init(&url, 0);
	pl_http_resp_init(&resp);
	rc = with_digest(u, &url, err);
	if (rc < 0)
		goto out;
	q.url = url.data;
	rc = reg_send(u->r, u->scope, &q, &resp, !whole, err);
	stat_add(&u->stats->bytes_sent, resp.sent);
	if (rc == 0 && resp.status != 201)
		rc = reg_status_error(&resp, PL_ENET, err);
	/* a busy registry is worth another session; a refusal is not */
	if (whole && rc < 0 && resp.status && resp.status != 408 && resp.status != 429 &&
	    resp.status < 500)
		rc = PL_EINVAL;
out:
	pl_http_resp_release(&resp);
	pl_buf_release(&url);
	return rc;
}

/* Where the registry says the session stands: bytes it holds. */
static int upload_offset(struct upload *u, uint64_t *off, struct pl_err *err)
{
	struct pl_http_req q = { .method = "GET", .body_fd = -1, .url = u->loc };
	struct pl_http_resp resp;
	const char *range;
	unsigned long long a, b;
	int rc;

	pl_http_resp_init(&resp);
	rc = reg_send(u->r, u->scope, &q, &resp, true, err);
	if (rc < 0)
		goto out;
	if (resp.status == 404) {
		/* the registry dropped the session (e.g. it kept part of a cut chunk) */
		rc = PL_ENOTFOUND;
		goto out;
	}
	if (resp.status != 204) {
		rc = reg_status_error(&resp, PL_ENET, err);
		pl_err_wrap(err, "upload status");
		goto out;
	}
	range = pl_http_resp_header(&resp, "Range");
	*off = 0;
	/* "0-0" is what distribution says for an empty session, so it means 0 */
	if (range && sscanf(range, "%llu-%llu", &a, &b) == 2 && a == 0 && b > 0)
		*off = (uint64_t)b + 1;
	if (pl_http_resp_header(&resp, "Location"))
		rc = set_location(u, &resp, err);
out:
	pl_http_resp_release(&resp);
	return rc;
}

/*
 * PATCH the blob in chunks from the registry's offset on; after a failed
 * chunk ask the session where it stands and go on from there.
 */
static int upload_chunked(struct upload *u, struct pl_err *err)
{
	struct reg_try tr = { 0 };
	uint64_t off = 0, last_off = 0;
	int rc = 0;

	while (off < u->size) {
		uint64_t n = u->size - off < u->r->chunk_size ? u->size - off : u->r->chunk_size;
		char range[80], clen[60];
		const char *hdrs[] = { "Content-Type: application/octet-stream", range, clen,
				       NULL };
		struct pl_http_req q = { .method = "PATCH", .body_fd = u->fd, .body_off = off,
					 .body_fd_len = n, .headers = hdrs, .url = u->loc };
		struct pl_http_resp resp;
		struct pl_err e = PL_ERR_INIT;
		const char *rh;
		unsigned long long a, b;

		snprintf(range, sizeof(range), "Content-Range: %" PRIu64 "-%" PRIu64, off,
			 off + n - 1);
		snprintf(clen, sizeof(clen), "Content-Length: %" PRIu64, n);
		pl_http_resp_init(&resp);
		/* no retries inside: a resend must start where the registry stands */
		rc = reg_send(u->r, u->scope, &q, &resp, false, &e);
		stat_add(&u->stats->bytes_sent, resp.sent);
		if (rc == 0 && resp.status == 202) {
			rh = pl_http_resp_header(&resp, "Range");
			if (rh && sscanf(rh, "%llu-%llu", &a, &b) == 2 && a == 0)
				off = (uint64_t)b + 1;
			else
				off += n;
			rc = pl_http_resp_header(&resp, "Location") ? set_location(u, &resp, err) : 0;
			pl_http_resp_release(&resp);
			if (rc < 0)
				return rc;
			continue;
		}
		if (rc == 0 && resp.status == 416) {
			/* the registry holds something else than we think: start over */
			pl_http_resp_release(&resp);
			return PL_ENOTFOUND;
		}
		if (rc == 0 && !(resp.status == 408 || resp.status == 429 ||
					resp.status >= 500)) {
			rc = reg_status_error(&resp, PL_ENET, err);
			pl_http_resp_release(&resp);
			return rc;
		}
		if (off > last_off) /* chunks went through since the last failure */
			tr.attempt = 0, tr.start_ms = 0;
		last_off = off;
		if (!reg_retry_wait(u->r, &tr, rc == 0 ? &resp : NULL,
				    rc < 0 ? e.msg : "chunk refused")) {
			if (rc < 0)
				rc = pl_err_set(err, rc, "%s", e.msg);
			else
				rc = reg_status_error(&resp, PL_ENET, err);
			pl_http_resp_release(&resp);
			return pl_err_wrap(err, "chunk at %" PRIu64 " after %d retries", off,
					   tr.attempt);
		}
		pl_http_resp_release(&resp);
		rc = upload_offset(u, &off, err);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int push_blob(struct pl_registry *r, const char *repo, const char *digest, uint64_t size,
		     int fd, const void *mem, const char *mount_from, struct pl_reg_stats *stats,
		     struct pl_err *err)
{
	struct pl_reg_stats dummy = { 0 };
	struct upload u = { .r = r, .repo = repo, .digest = digest, .size = size, .fd = fd,
			    .mem = mem };
	struct reg_try tr = { 0 };
	char *scope = NULL, what[100];
	uint64_t have = 0;
	int rc;

	u.stats = stats ? stats : &dummy;
	snprintf(what, sizeof(what), "blob %s", digest);
	rc = pl_registry_blob_exists(r, repo, digest, &have, err);
	if (rc == 0) {
		stat_inc(&u.stats->blobs_skipped);
		return 0;
	}
	if (rc != PL_ENOTFOUND)
		return rc;
	pl_err_init(err);
	if (mount_from && strcmp(mount_from, repo) != 0) {
		if (asprintf(&scope, "repository:%s:pull,push repository:%s:pull", repo,
			     mount_from) < 0)
			scope = NULL;
	} else {
		mount_from = NULL;
		if (asprintf(&scope, "repository:%s:pull,push", repo) < 0)
			scope = NULL;
	}
	if (!scope)
		return pl_err_set(err, PL_ENOMEM, "out of memory");
	u.scope = scope;
	for (;;) {
		struct pl_err e = PL_ERR_INIT;

		rc = upload_start(&u, mount_from, err);
		if (rc == 1) {
			stat_inc(&u.stats->blobs_mounted);
			rc = 0;
			break;
		}
		if (rc < 0)
			break;
		mount_from = NULL; /* asked once; the registry chose to upload */
		if (fd < 0 && !mem) {
			/* a mount-only attempt: the caller has no bytes at hand yet */
			rc = PL_ENOTFOUND;
			break;
		}
		if (size > r->chunk_size && !mem) {
			rc = upload_chunked(&u, err);
			if (rc == PL_ENOTFOUND && reg_retry_wait(r, &tr, NULL, "upload session lost"))
				continue;
			if (rc == PL_ENOTFOUND)
				rc = pl_err_set(err, PL_ENET, "the registry lost the upload session %d "
							      "times", tr.attempt + 1);
			if (rc == 0)
				rc = upload_put(&u, false, err);
			if (rc == 0)
				stat_inc(&u.stats->blobs_pushed);
			break;
		}
		rc = upload_put(&u, true, &e);
		if (rc == 0) {
			stat_inc(&u.stats->blobs_pushed);
			break;
		}
		if (rc == PL_ENET && reg_retry_wait(r, &tr, NULL, e.msg))
			continue;
		rc = pl_err_set(err, e.code && e.code != PL_EINVAL ? e.code : PL_ENET, "%s", e.msg);
		break;
	}
	if (rc < 0 && rc != PL_ENOTFOUND)
		wrap(r, repo, what, err);
	free(u.loc);
	free(scope);
	return rc;
}

int pl_registry_push_blob(struct pl_registry *r, const char *repo, const char *digest,
			  uint64_t size, int fd, const char *mount_from, struct pl_reg_stats *stats,
			  struct pl_err *err)
{
	return push_blob(r, repo, digest, size, fd, NULL, mount_from, stats, err);
}

int pl_registry_push_blob_mem(struct pl_registry *r, const char *repo, const void *data,
			      size_t len, char digest[PL_DIGEST_SIZE], struct pl_err *err)
{
	int rc = pl_sha256_buf(data, len, digest, err);

	if (rc == 0)
		rc = push_blob(r, repo, digest, len, -1, data ? data : "", NULL, NULL, err);
	return rc;
}

/* ---- downloads ---- */

struct pull {
	struct pl_cas_writer *w;
	struct pl_http_resp *resp;
	uint64_t have;     /* bytes written to w */
	uint64_t pos;      /* position in the current response's stream */
	bool fresh;        /* no body byte of the current response seen yet */
	int64_t size;
	struct pl_reg_stats *stats;
};

static int pull_sink(void *ctx, const void *data, size_t len, struct pl_err *err)
{
	struct pull *p = ctx;
	const char *d = data;
	uint64_t skip = 0;

	/* a 206 answer continues where we are; a 200 restarts: skip what we have */
	if (p->fresh) {
		p->fresh = false;
		p->pos = p->resp->status == 206 ? p->have : 0;
	}
	if (p->pos < p->have) {
		skip = p->have - p->pos;
		if (skip > len)
			skip = len;
	}
	p->pos += len;
	if (skip == len)
		return 0;
	d += skip;
	len -= skip;
	if (p->size >= 0 && p->have + len > (uint64_t)p->size)
		return pl_err_set(err, PL_EVERIFY, "more bytes than the %" PRId64 " announced",
				  p->size);
	p->have += len;
	stat_add(&p->stats->bytes_received, len);
	return pl_cas_writer_write(p->w, d, len, err);
}

int pl_registry_pull_blob(struct pl_registry *r, const char *repo, const char *digest,
			  int64_t size, struct pl_cas *cas, struct pl_reg_stats *stats,
			  struct pl_err *err)
{
	struct pl_reg_stats dummy = { 0 };
	struct pl_http_resp resp;
	struct pull p = { .size = size, .stats = stats ? stats : &dummy };
	struct reg_try tr = { 0 };
	uint64_t last_have = 0;
	char *url = NULL, *scope = NULL, what[100], range[64];
	int rc;

	snprintf(what, sizeof(what), "blob %s", digest);
	pl_http_resp_init(&resp);
	if (pl_cas_has(cas, digest)) {
		stat_inc(&p.stats->blobs_skipped);
		return 0;
	}
	rc = pl_digest_check(digest, err);
	if (rc == 0)
		rc = reg_url(r, &url, err, "/v2/%s/blobs/%s", repo, digest);
	if (rc == 0)
		rc = scope_of(repo, "pull", &scope, err);
	if (rc == 0)
		rc = pl_cas_writer_new(cas, &p.w, err);
	if (rc < 0)
		goto out;
	p.resp = &resp;
	for (;;) {
		const char *hdrs[] = { range, NULL };
		struct pl_http_req q = { .method = "GET", .body_fd = -1, .url = url, .follow = true,
					 .sink = pull_sink, .sink_ctx = &p };
		struct pl_err e = PL_ERR_INIT;

		/* cut right at the end: everything is here, the digest decides */
		if (p.have && p.size >= 0 && p.have == (uint64_t)p.size)
			break;
		snprintf(range, sizeof(range), "Range: bytes=%" PRIu64 "-", p.have);
		if (p.have)
			q.headers = hdrs;
		p.fresh = true;
		rc = reg_send(r, scope, &q, &resp, true, &e);
		if (rc == 0 && (resp.status == 200 || resp.status == 206))
			break;
		if (rc == PL_EVERIFY || rc == PL_ENOMEM || rc == PL_EIO) {
			rc = pl_err_set(err, rc, "%s", e.msg);
			goto out;
		}
		if (rc == 0 && resp.status == 404) {
			rc = reg_status_error(&resp, PL_ENOTFOUND, err);
			goto out;
		}
		if (rc == 0 && resp.status == 416 && p.have > 0)
			break; /* nothing after what we have: let the digest decide */
		if (rc == 0 && !(resp.status == 408 || resp.status == 429 || resp.status >= 500)) {
			rc = reg_status_error(&resp, 0, err);
			goto out;
		}
		/* a cut that brought bytes is progress: the budget counts failures in a row */
		if (p.have > last_have)
			tr.attempt = 0, tr.start_ms = 0;
		last_have = p.have;
		if (!reg_retry_wait(r, &tr, rc == 0 ? &resp : NULL, rc < 0 ? e.msg : "HTTP error")) {
			if (rc < 0)
				rc = pl_err_set(err, rc, "%s", e.msg);
			else
				rc = reg_status_error(&resp, PL_ENET, err);
			goto out;
		}
	}
	rc = pl_cas_writer_commit(p.w, digest, NULL, NULL, err);
	p.w = NULL;
	if (rc == PL_EVERIFY)
		pl_err_wrap(err, "content does not match its digest");
	if (rc == 0)
		stat_inc(&p.stats->blobs_pulled);
out:
	if (p.w)
		pl_cas_writer_abort(p.w);
	if (rc < 0)
		wrap(r, repo, what, err);
	pl_http_resp_release(&resp);
	free(url);
	free(scope);
	return rc;
}

int pl_registry_get_blob(struct pl_registry *r, const char *repo, const char *digest, size_t max,
			 char **data, size_t *len, struct pl_err *err)
{
	struct pl_http_req q = { .method = "GET", .body_fd = -1, .follow = true,
				 .max_body = max ? max : PL_OCI_JSON_MAX };
	struct pl_http_resp resp;
	char *url = NULL, *scope = NULL, got[PL_DIGEST_SIZE], what[100];
	int rc;

	*data = NULL;
	*len = 0;
	snprintf(what, sizeof(what), "blob %s", digest);
	pl_http_resp_init(&resp);
	rc = pl_digest_check(digest, err);
	if (rc == 0)
		rc = reg_url(r, &url, err, "/v2/%s/blobs/%s", repo, digest);
	if (rc == 0)
		rc = scope_of(repo, "pull", &scope, err);
	if (rc == 0) {
		q.url = url;
		rc = reg_send(r, scope, &q, &resp, true, err);
	}
	if (rc == 0 && resp.status != 200)
		rc = reg_status_error(&resp, 0, err);
	if (rc == 0)
		rc = pl_sha256_buf(resp.body.data ? resp.body.data : "", resp.body.len, got, err);
	if (rc == 0 && strcmp(got, digest) != 0)
		rc = pl_err_set(err, PL_EVERIFY, "content hashes to %s", got);
	if (rc == 0) {
		*data = pl_buf_detach(&resp.body, len);
		if (!*data && !(*data = calloc(1, 1)))
			rc = pl_err_set(err, PL_ENOMEM, "out of memory");
	}
	if (rc < 0)
		wrap(r, repo, what, err);
	pl_http_resp_release(&resp);
	free(url);
	free(scope);
	return rc;
}

/* ---- tags ---- */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The next page from a Link header: </v2/x/tags/list?n=..&last=..>; rel="next" */
static int next_link(struct pl_registry *r, const struct pl_http_resp *resp, char **url,
		     struct pl_err *err)
{
	const char *l = pl_http_resp_header(resp, "Link"), *a, *b;
	char *loc;
	int rc;

	*url = NULL;
	if (!l || !strstr(l, "rel=\"next\"") || !(a = strchr(l, '<')) || !(b = strchr(a, '>')))
		return 0;
	loc = strndup(a + 1, (size_t)(b - a - 1));
	if (!loc)
		return pl_err_set(err, PL_ENOMEM, "out of memory");
	rc = reg_resolve_location(r, loc, url, err);
	free(loc);
	return rc;
}

int pl_registry_tags(struct pl_registry *r, const char *repo, struct pl_oci_strv *tags,
		     struct pl_err *err)
{
	struct pl_http_resp resp;
	char *url = NULL, *scope = NULL;
	json_t *j = NULL, *arr, *v;
	size_t i;
	int rc, pages = 0;

	pl_http_resp_init(&resp);
	rc = reg_url(r, &url, err, "/v2/%s/tags/list?n=%d", repo, TAGS_PAGE);
	if (rc == 0)
		rc = scope_of(repo, "pull", &scope, err);
	while (rc == 0 && url) {
		struct pl_http_req q = { .method = "GET", .body_fd = -1, .url = url,
					 .max_body = PL_OCI_JSON_MAX };
		char *next = NULL;

		if (++pages > TAGS_MAX_PAGES) {
			rc = pl_err_set(err, PL_ETOOBIG, "more than %d pages of tags", TAGS_MAX_PAGES);
			break;
		}
		rc = reg_send(r, scope, &q, &resp, true, err);
		if (rc == 0 && resp.status != 200)
			rc = reg_status_error(&resp, 0, err);
		if (rc == 0)
			rc = pl_json_load(resp.body.data, resp.body.len, "tag list", &j, err);
		if (rc < 0)
			break;
		arr = json_object_get(j, "tags");
		json_array_foreach(arr, i, v) {
			if (json_is_string(v) && (rc = pl_oci_strv_push(tags, json_string_value(v), err)) < 0)
				break;
		}
		json_decref(j);
		j = NULL;
		if (rc == 0)
			rc = next_link(r, &resp, &next, err);
		free(url);
		url = next;
	}
	if (rc == 0 && !tags->v && !(tags->v = calloc(1, sizeof(*tags->v))))
		rc = pl_err_set(err, PL_ENOMEM, "out of memory");
	if (rc == 0 && tags->n > 1)
		qsort(tags->v, tags->n, sizeof(*tags->v), cmp_str);
	if (rc < 0)
		wrap(r, repo, "tags", err);
	pl_http_resp_release(&resp);
	free(url);
	free(scope);
	return rc;
}
