/*
 * Unit tests for the registry client (client.c, ops.c) against a fake
 * transport: each request is recorded (method, URL, headers, body bytes)
 * and answered from a script, so authentication, retries, uploads,
 * downloads and tag paging are checked request by request.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <openssl/evp.h>

#include "lib/cas.h"
#include "lib/oci.h"
#include "lib/registry.h"
#include "util/buf.h"
#include "util/digest.h"
#include "testutil.h"

/* ---- the fake transport ---------------------------------------------------- */

#define MAX_REQS 32
#define MAX_REQ_HDRS 16

/* One scripted answer. */
struct answer {
	long status;           /* 0: a connection failure before any answer (PL_ENET) */
	const char *hdrs[4];   /* "Name: value" */
	const void *body;      /* NULL: none */
	size_t len;            /* 0 with a body: strlen(body) */
	bool cut;              /* deliver the body, then fail with PL_ENET */
};

/* One recorded request. */
struct rec {
	char *method;
	char *url;
	char *hdrs[MAX_REQ_HDRS];
	size_t n_hdrs;
	char *body;
	size_t body_len;
	bool follow;
	bool sink;
	int64_t t_ms;
};

struct fake {
	struct pl_http_transport t;
	const struct answer *script;
	size_t n_script, next;
	struct rec reqs[MAX_REQS];
	size_t n;
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int record(struct rec *rq, const struct pl_http_req *req, struct pl_err *err)
{
	rq->method = strdup(req->method);
	rq->url = strdup(req->url);
	rq->follow = req->follow;
	rq->sink = req->sink != NULL;
	rq->t_ms = now_ms();
	for (const char *const *h = req->headers; h && *h; h++) {
		assert_true(rq->n_hdrs < MAX_REQ_HDRS);
		rq->hdrs[rq->n_hdrs++] = strdup(*h);
	}
	if (req->body_fd >= 0) {
		ssize_t got;

		rq->body_len = (size_t)req->body_fd_len;
		rq->body = malloc(rq->body_len + 1);
		assert_non_null(rq->body);
		got = pread(req->body_fd, rq->body, rq->body_len, (off_t)req->body_off);
		if (got < 0 || (size_t)got != rq->body_len)
			return pl_err_set(err, PL_EIO, "fake: short read of the request body");
	} else if (req->body) {
		rq->body_len = req->body_len;
		rq->body = malloc(rq->body_len + 1);
		assert_non_null(rq->body);
		memcpy(rq->body, req->body, rq->body_len);
	}
	return 0;
}

static int fake_send(void *ctx, const struct pl_http_req *req, struct pl_http_resp *resp,
		     struct pl_err *err)
{
	struct fake *f = ctx;
	const struct answer *a;
	struct rec *rq;
	const char *body;
	size_t len;
	int rc;

	if (f->n == MAX_REQS)
		return pl_err_set(err, PL_ENET, "fake: too many requests");
	rq = &f->reqs[f->n++];
	rc = record(rq, req, err);
	if (rc < 0)
		return rc;
	if (f->next >= f->n_script)
		return pl_err_set(err, PL_ENET, "fake: unexpected request %s %s", req->method,
				  req->url);
	a = &f->script[f->next++];
	if (a->status == 0)
		return pl_err_set(err, PL_ENET, "fake: connection reset");
	resp->status = a->status;
	resp->sent = rq->body_len;
	for (size_t i = 0; i < 4 && a->hdrs[i]; i++) {
		const char *colon = strchr(a->hdrs[i], ':');
		const char *v;

		assert_non_null(colon);
		v = colon + 1;
		while (*v == ' ')
			v++;
		rc = pl_http_resp_add_header(resp, a->hdrs[i], (size_t)(colon - a->hdrs[i]), v,
					     strlen(v), err);
		if (rc < 0)
			return rc;
	}
	body = a->body;
	len = body ? (a->len ? a->len : strlen(body)) : 0;
	if (strcmp(req->method, "HEAD") == 0)
		len = 0;
	if (len && req->sink && a->status >= 200 && a->status < 300) {
		/* in pieces, as a real transfer arrives */
		for (size_t off = 0; off < len;) {
			size_t piece = len - off < 1024 ? len - off : 1024;

			rc = req->sink(req->sink_ctx, body + off, piece, err);
			if (rc < 0)
				return rc;
			off += piece;
			resp->received += piece;
		}
	} else if (len) {
		rc = pl_buf_add(&resp->body, body, len, err);
		if (rc < 0)
			return rc;
		resp->received = len;
	}
	if (a->cut)
		return pl_err_set(err, PL_ENET, "fake: connection reset after %zu bytes", len);
	return 0;
}

static void fake_init(struct fake *f, const struct answer *script, size_t n)
{
	memset(f, 0, sizeof(*f));
	f->t.send = fake_send;
	f->t.ctx = f;
	f->script = script;
	f->n_script = n;
}

static void fake_release(struct fake *f)
{
	for (size_t i = 0; i < f->n; i++) {
		struct rec *rq = &f->reqs[i];

		free(rq->method);
		free(rq->url);
		for (size_t k = 0; k < rq->n_hdrs; k++)
			free(rq->hdrs[k]);
		free(rq->body);
	}
	memset(f, 0, sizeof(*f));
}

/* The value of request header name (case-insensitive), or NULL. */
static const char *hdr(const struct rec *rq, const char *name)
{
	size_t n = strlen(name);

	for (size_t i = 0; i < rq->n_hdrs; i++) {
		const char *h = rq->hdrs[i];

		if (strncasecmp(h, name, n) == 0 && h[n] == ':') {
			h += n + 1;
			while (*h == ' ')
				h++;
			return h;
		}
	}
	return NULL;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* The percent-decoded value of query parameter key of url (malloc'd), or NULL. */
static char *qparam(const char *url, const char *key)
{
	const char *q = strchr(url, '?');
	size_t klen = strlen(key);

	while (q && *q) {
		const char *p = q + 1, *end = strchr(p, '&');
		size_t plen = end ? (size_t)(end - p) : strlen(p);

		if (plen > klen && strncmp(p, key, klen) == 0 && p[klen] == '=') {
			char *out = malloc(plen + 1), *o = out;

			assert_non_null(out);
			for (const char *s = p + klen + 1; s < p + plen; s++) {
				if (*s == '%' && s + 2 < p + plen + 1 && hexval(s[1]) >= 0 &&
				    hexval(s[2]) >= 0) {
					*o++ = (char)(hexval(s[1]) * 16 + hexval(s[2]));
					s += 2;
				} else {
					*o++ = *s;
				}
			}
			*o = 0;
			return out;
		}
		q = end;
	}
	return NULL;
}

static void assert_qparam(const char *url, const char *key, const char *want)
{
	char *v = qparam(url, key);

	if (!v)
		fail_msg("'%s' has no query parameter '%s'", url, key);
	assert_string_equal(v, want);
	free(v);
}

static void assert_contains(const char *hay, const char *needle)
{
	if (!hay || !strstr(hay, needle))
		fail_msg("'%s' does not contain '%s'", hay ? hay : "(null)", needle);
}

static void assert_req(const struct fake *f, size_t i, const char *method, const char *url)
{
	if (i >= f->n)
		fail_msg("request %zu was not sent (only %zu)", i, f->n);
	assert_string_equal(f->reqs[i].method, method);
	assert_string_equal(f->reqs[i].url, url);
}

static struct pl_registry *mkreg(struct fake *f, struct pl_reg_opts *o)
{
	struct pl_err err = PL_ERR_INIT;
	struct pl_registry *r = NULL;

	o->transport = &f->t;
	if (!o->backoff_ms)
		o->backoff_ms = 1;
	if (pl_registry_new(&r, "reg.example", o, &err) != 0)
		fail_msg("pl_registry_new: %s", err.msg);
	return r;
}

/* ---- fixtures ---------------------------------------------------------------- */

struct fx {
	char *dir;
};

static int setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));

	if (!fx)
		return -1;
	fx->dir = tu_mkdtemp();
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fx *fx = *state;

	tu_rmtree(fx->dir);
	free(fx);
	return 0;
}

/* Deterministic, non-repeating-looking bytes. */
static unsigned char *blob_bytes(size_t n, unsigned seed)
{
	unsigned char *b = malloc(n ? n : 1);
	uint32_t x = 2463534242u ^ seed;

	assert_non_null(b);
	for (size_t i = 0; i < n; i++) {
		x ^= x << 13, x ^= x >> 17, x ^= x << 5;
		b[i] = (unsigned char)x;
	}
	return b;
}

/* Write data to dir/name and open it read-only (positioned at its end, as allowed). */
static int blob_file(const char *dir, const char *name, const void *data, size_t len)
{
	char *p = tu_path(dir, name);
	int fd;

	tu_write(dir, name, data, len);
	fd = open(p, O_RDONLY);
	assert_true(fd >= 0);
	assert_true(lseek(fd, 0, SEEK_END) >= 0);
	free(p);
	return fd;
}

static char *digest_of(const void *data, size_t len)
{
	static char d[4][PL_DIGEST_SIZE];
	static int k;
	struct pl_err err = PL_ERR_INIT;
	char *out = d[k++ % 4];

	assert_int_equal(pl_sha256_buf(data, len, out, &err), 0);
	return out;
}

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const char manifest[] =
	"{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
	"\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\","
	"\"digest\":\"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a\","
	"\"size\":2},\"layers\":[]}  \n";

#define CHALLENGE                                                                            \
	"WWW-Authenticate: Bearer realm=\"https://auth.example/token\",service=\"svc\","  \
	"scope=\"repository:a/b:pull\""

/* ---- manifests, anonymous -------------------------------------------------------- */

static void test_registry_get_manifest_anonymous(void **state)
{
	struct pl_err err = PL_ERR_INIT;
	struct pl_reg_opts o = { 0 };
	struct pl_reg_manifest m;
	struct fake f;
	struct pl_registry *r;
	char want[PL_DIGEST_SIZE], claim[120], url[200];
	const char *other = "{\"schemaVersion\":2,\"layers\":[]}";
	const char *accept;
	int rc;

	(void)state;
	snprintf(want, sizeof(want), "%s", digest_of(manifest, strlen(manifest)));
	snprintf(claim, sizeof(claim), "Docker-Content-Digest: %s", want);
	struct answer script[] = {
		{ 200, { "Content-Type: " PL_MT_OCI_MANIFEST, claim }, manifest, 0, false },
		/* the same bytes by digest */
		{ 200, { "Content-Type: " PL_MT_OCI_MANIFEST }, manifest, 0, false },
		/* a digest reference answered with other bytes */
		{ 200, { "Content-Type: " PL_MT_OCI_MANIFEST }, other, 0, false },
		/* a tag answered with a Docker-Content-Digest the bytes do not have */
		{ 200, { "Content-Type: " PL_MT_OCI_MANIFEST,
			 "Docker-Content-Digest: sha256:"
			 "0000000000000000000000000000000000000000000000000000000000000000" },
		  manifest, 0, false },
		/* an old registry's generic type: the document's mediaType counts */
		{ 200, { "Content-Type: application/json" }, manifest, 0, false },
	};
	fake_init(&f, script, N(script));
	r = mkreg(&f, &o);

	rc = pl_registry_get_manifest(r, "a/b", "v1", &m, &err);
	assert_int_equal(rc, 0);
	assert_int_equal(f.n, 1);
	assert_req(&f, 0, "GET", "https://reg.example/v2/a/b/manifests/v1");
	assert_null(hdr(&f.reqs[0], "Authorization"));
	accept = hdr(&f.reqs[0], "Accept");
	assert_contains(accept, PL_MT_OCI_MANIFEST);
	assert_contains(accept, PL_MT_OCI_INDEX);
	assert_contains(accept, PL_MT_DOCKER_MANIFEST);
	assert_contains(accept, PL_MT_DOCKER_LIST);
	assert_int_equal(m.body.len, strlen(manifest));
	assert_memory_equal(m.body.data, manifest, strlen(manifest));
	assert_string_equal(m.digest, want);
	assert_string_equal(m.media_type, PL_MT_OCI_MANIFEST);
	pl_reg_manifest_release(&m);

	rc = pl_registry_get_manifest(r, "a/b", want, &m, &err);
	assert_int_equal(rc, 0);
	snprintf(url, sizeof(url), "https://reg.example/v2/a/b/manifests/%s", want);
	assert_req(&f, 1, "GET", url);
	assert_string_equal(m.digest, want);
	pl_reg_manifest_release(&m);

	rc = pl_registry_get_manifest(r, "a/b", want, &m, &err);
	assert_int_equal(rc, PL_EVERIFY);
	assert_contains(err.msg, want);
	assert_contains(err.msg, digest_of(other, strlen(other)));
	assert_null(m.body.data);
	assert_int_equal(f.n, 3); /* a verification failure is not retried */

	pl_err_init(&err);
	rc = pl_registry_get_manifest(r, "a/b", "v1", &m, &err);
	assert_int_equal(rc, PL_EVERIFY);
	assert_contains(err.msg, "sha256:0000000000000000");
	assert_contains(err.msg, want);
	assert_null(m.body.data);

	pl_err_init(&err);
	rc = pl_registry_get_manifest(r, "a/b", "v1", &m, &err);
	assert_int_equal(rc, 0);
	assert_string_equal(m.media_type, PL_MT_OCI_MANIFEST);
	pl_reg_manifest_release(&m);
	assert_int_equal(f.n, 5);

	pl_registry_free(r);
	fake_release(&f);
}

/* ---- authentication ---------------------------------------------------------- */

static void test_registry_bearer_token_flow(void **state)
{
	struct pl_err err = PL_ERR_INIT;
	struct pl_reg_opts o = { 0 };
	struct pl_reg_manifest m;
	struct fake f;
	struct pl_registry *r;
	int rc;

	(void)state;
	const struct answer script[] = {
		{ 401, { CHALLENGE }, "{\"errors\":[{\"code\":\"UNAUTHORIZED\"}]}", 0, false },
		{ 200, { "Content-Type: application/json" },
		  "{\"token\":\"TOKEN1\",\"expires_in\":300}", 0, false },
		{ 200, { "Content-Type: " PL_MT_OCI_MANIFEST }, manifest, 0, false },
		/* the same scope again: the cached token */
		{ 200, { "Content-Type: " PL_MT_OCI_MANIFEST }, manifest, 0, false },
		/* a push scope: a token of its own */
		{ 200, { NULL }, "{\"access_token\":\"TOKEN2\"}", 0, false },
		{ 201, { NULL }, NULL, 0, false },
	};
	fake_init(&f, script, N(script));
	o.creds.creds = "u:p";
	r = mkreg(&f, &o);

	rc = pl_registry_get_manifest(r, "a/b", "v1", &m, &err);
	assert_int_equal(rc, 0);
	pl_reg_manifest_release(&m);
	assert_int_equal(f.n, 3);
	assert_req(&f, 0, "GET", "https://reg.example/v2/a/b/manifests/v1");
	assert_null(hdr(&f.reqs[0], "Authorization"));
	/* the token request: realm, service and the client's scope, Basic credentials */
	assert_string_equal(f.reqs[1].method, "GET");
	assert_true(strncmp(f.reqs[1].url, "https://auth.example/token?", 27) == 0);
	assert_qparam(f.reqs[1].url, "service", "svc");
	assert_qparam(f.reqs[1].url, "scope", "repository:a/b:pull");
	assert_string_equal(hdr(&f.reqs[1], "Authorization"), "Basic dTpw"); /* base64("u:p") */
	assert_req(&f, 2, "GET", "https://reg.example/v2/a/b/manifests/v1");
	assert_string_equal(hdr(&f.reqs[2], "Authorization"), "Bearer TOKEN1");

	rc = pl_registry_get_manifest(r, "a/b", "v1", &m, &err);
	assert_int_equal(rc, 0);
	pl_reg_manifest_release(&m);
	assert_int_equal(f.n, 4);
	assert_string_equal(hdr(&f.reqs[3], "Authorization"), "Bearer TOKEN1");

	rc = pl_registry_put_manifest(r, "a/b", "v2", manifest, strlen(manifest),
				      PL_MT_OCI_MANIFEST, &err);
	assert_int_equal(rc, 0);
	assert_int_equal(f.n, 6);
	assert_true(strncmp(f.reqs[4].url, "https://auth.example/token?", 27) == 0);
	assert_qparam(f.reqs[4].url, "scope", "repository:a/b:pull,push");
	assert_string_equal(hdr(&f.reqs[4], "Authorization"), "Basic dTpw");
	assert_req(&f, 5, "PUT", "https://reg.example/v2/a/b/manifests/v2");
	assert_string_equal(hdr(&f.reqs[5], "Authorization"), "Bearer TOKEN2");
	assert_string_equal(hdr(&f.reqs[5], "Content-Type"), PL_MT_OCI_MANIFEST);
	assert_int_equal(f.reqs[5].body_len, strlen(manifest));
	assert_memory_equal(f.reqs[5].body, manifest, strlen(manifest));

	pl_registry_free(r);
	fake_release(&f);
}

static void test_registry_bearer_token_renewed_on_401(void **state)
{
	struct pl_err err = PL_ERR_INIT;
	struct pl_reg_opts o = { 0 };
	struct pl_reg_manifest m;
	struct fake f;
	struct pl_registry *r;

	(void)state;
	const struct answer script[] = {
		{ 401, { CHALLENGE }, NULL, 0, false },
		{ 200, { NULL }, "{\"token\":\"T1\",\"expires_in\":300}", 0, false },
		{ 200, { "Content-Type: " PL_MT_OCI_MANIFEST }, manifest, 0, false },
		/* the registry no longer takes T1 */
		{ 401, { CHALLENGE ",error=\"invalid_token\"" }, NULL, 0, false },
		{ 200, { NULL }, "{\"token\":\"T2\",\"expires_in\":300}", 0, false },
		{ 200, { "Content-Type: " PL_MT_OCI_MANIFEST }, manifest, 0, false },
		{ 200, { "Content-Type: " PL_MT_OCI_MANIFEST }, manifest, 0, false },
	};
	fake_init(&f, script, N(script));
	r = mkreg(&f, &o);

	assert_int_equal(pl_registry_get_manifest(r, "a/b", "v1", &m, &err), 0);
	pl_reg_manifest_release(&m);
	assert_int_equal(f.n, 3);
	/* no credentials configured: an anonymous token request */
	assert_null(hdr(&f.reqs[1], "Authorization"));
	assert_string_equal(hdr(&f.reqs[2], "Authorization"), "Bearer T1");

	assert_int_equal(pl_registry_get_manifest(r, "a/b", "v1", &m, &err), 0);
	pl_reg_manifest_release(&m);
	assert_int_equal(f.n, 6);
	assert_string_equal(hdr(&f.reqs[3], "Authorization"), "Bearer T1");
	assert_true(strncmp(f.reqs[4].url, "https://auth.example/token?", 27) == 0);
	assert_qparam(f.reqs[4].url, "scope", "repository:a/b:pull");
	assert_req(&f, 5, "GET", "https://reg.example/v2/a/b/manifests/v1");
	assert_string_equal(hdr(&f.reqs[5], "Authorization"), "Bearer T2");

	/* the renewed token is what the cache holds now */
	assert_int_equal(pl_registry_get_manifest(r, "a/b", "v1", &m, &err), 0);
	pl_reg_manifest_release(&m);
	assert_int_equal(f.n, 7);
	assert_string_equal(hdr(&f.reqs[6], "Authorization"), "Bearer T2");

	pl_registry_free(r);
	fake_release(&f);
}

static void test_registry_wrong_credentials(void **state)
{
	struct pl_err err = PL_ERR_INIT;
	struct pl_reg_opts o = { 0 };
	struct pl_reg_manifest m;
	struct fake f;
	struct pl_registry *r;
	char enc[64];
	int rc;

	(void)state;
	EVP_EncodeBlock((unsigned char *)enc, (const unsigned char *)"joe:hunter2-s3cret", 18);

	/* bearer: the token server refuses the credentials */
	const struct answer bearer[] = {
		{ 401, { CHALLENGE }, NULL, 0, false },
		{ 401, { NULL }, "{\"details\":\"incorrect username or password\"}", 0, false },
	};
	fake_init(&f, bearer, N(bearer));
	o.creds.creds = "joe:hunter2-s3cret";
	r = mkreg(&f, &o);
	rc = pl_registry_get_manifest(r, "a/b", "v1", &m, &err);
	assert_int_equal(rc, PL_EAUTH);
	assert_int_equal(f.n, 2); /* a refusal is not retried */
	assert_non_null(strstr(err.msg, "a/b"));
	assert_null(strstr(err.msg, "hunter2"));
	assert_null(strstr(err.msg, enc));
	pl_registry_free(r);
	fake_release(&f);

	/* basic: the registry keeps answering 401 */
	const struct answer basic[] = {
		{ 401, { "WWW-Authenticate: Basic realm=\"x\"" }, NULL, 0, false },
		{ 401, { "WWW-Authenticate: Basic realm=\"x\"" }, NULL, 0, false },
		{ 401, { "WWW-Authenticate: Basic realm=\"x\"" }, NULL, 0, false },
		{ 401, { "WWW-Authenticate: Basic realm=\"x\"" }, NULL, 0, false },
	};
	pl_err_init(&err);
	fake_init(&f, basic, N(basic));
	r = mkreg(&f, &o);
	rc = pl_registry_get_manifest(r, "a/b", "v1", &m, &err);
	assert_int_equal(rc, PL_EAUTH);
	assert_true(f.n >= 2 && f.n <= 3);
	assert_contains(err.msg, "--creds");
	assert_null(strstr(err.msg, "hunter2"));
	assert_null(strstr(err.msg, enc));
	pl_registry_free(r);
	fake_release(&f);
}

static void test_registry_basic_auth(void **state)
{
	struct pl_err err = PL_ERR_INIT;
	struct pl_reg_opts o = { 0 };
	struct pl_reg_manifest m;
	struct fake f;
	struct pl_registry *r;

	(void)state;
	const struct answer script[] = {
		{ 401, { "WWW-Authenticate: Basic realm=\"x\"" }, NULL, 0, false },
		{ 200, { "Content-Type: " PL_MT_OCI_MANIFEST }, manifest, 0, false },
		{ 200, { "Content-Type: " PL_MT_OCI_MANIFEST }, manifest, 0, false },
	};
	fake_init(&f, script, N(script));
	o.creds.creds = "u:p";
	r = mkreg(&f, &o);

	assert_int_equal(pl_registry_get_manifest(r, "a/b", "v1", &m, &err), 0);
	pl_reg_manifest_release(&m);
	assert_int_equal(f.n, 2);
	assert_null(hdr(&f.reqs[0], "Authorization"));
	assert_req(&f, 1, "GET", "https://reg.example/v2/a/b/manifests/v1");
	assert_string_equal(hdr(&f.reqs[1], "Authorization"), "Basic dTpw");
	/* once the registry said Basic, the header goes with every request */
	assert_int_equal(pl_registry_get_manifest(r, "a/b", "v1", &m, &err), 0);
	pl_reg_manifest_release(&m);
	assert_int_equal(f.n, 3);
	assert_string_equal(hdr(&f.reqs[2], "Authorization"), "Basic dTpw");

	pl_registry_free(r);
	fake_release(&f);
}

/* ---- retries ------------------------------------------------------------------ */

static void test_registry_retries_busy_answers(void **state)
{
	struct pl_err err = PL_ERR_INIT;
	struct pl_reg_opts o = { 0 };
	struct pl_reg_manifest m;
	struct fake f;
	struct pl_registry *r;

	(void)state;
	const struct answer script[] = {
		{ 503, { NULL }, NULL, 0, false },
		{ 503, { NULL }, NULL, 0, false },
		{ 200, { "Content-Type: " PL_MT_OCI_MANIFEST }, manifest, 0, false },
		/* a connection failure is retried the same way */
		{ 0, { NULL }, NULL, 0, false },
		{ 200, { "Content-Type: " PL_MT_OCI_MANIFEST }, manifest, 0, false },
	};
	fake_init(&f, script, N(script));
	r = mkreg(&f, &o);

	assert_int_equal(pl_registry_get_manifest(r, "a/b", "v1", &m, &err), 0);
	assert_int_equal(f.n, 3);
	for (size_t i = 0; i < 3; i++)
		assert_req(&f, i, "GET", "https://reg.example/v2/a/b/manifests/v1");
	assert_memory_equal(m.body.data, manifest, strlen(manifest));
	pl_reg_manifest_release(&m);

	assert_int_equal(pl_registry_get_manifest(r, "a/b", "v1", &m, &err), 0);
	assert_int_equal(f.n, 5);
	pl_reg_manifest_release(&m);

	pl_registry_free(r);
	fake_release(&f);
}

static void test_registry_retry_after_honoured(void **state)
{
	struct pl_err err = PL_ERR_INIT;
	struct pl_reg_opts o = { 0 };
	struct pl_reg_manifest m;
	struct fake f;
	struct pl_registry *r;
	int64_t waited;

	(void)state;
	const struct answer script[] = {
		{ 429, { "Retry-After: 1" }, NULL, 0, false },
		{ 200, { "Content-Type: " PL_MT_OCI_MANIFEST }, manifest, 0, false },
	};
	fake_init(&f, script, N(script));
	r = mkreg(&f, &o);

	assert_int_equal(pl_registry_get_manifest(r, "a/b", "v1", &m, &err), 0);
	pl_reg_manifest_release(&m);
	assert_int_equal(f.n, 2);
	waited = f.reqs[1].t_ms - f.reqs[0].t_ms;
	if (waited < 900 || waited > 3000)
		fail_msg("waited %lld ms after Retry-After: 1", (long long)waited);

	pl_registry_free(r);
	fake_release(&f);
}

static void test_registry_retries_exhausted(void **state)
{
	struct pl_err err = PL_ERR_INIT;
	struct pl_reg_opts o = { 0 };
	struct pl_reg_manifest m;
	struct fake f;
	struct pl_registry *r;
	int rc;

	(void)state;
	const struct answer script[] = {
		{ 503, { NULL }, NULL, 0, false },
		{ 503, { NULL }, NULL, 0, false },
		{ 503, { NULL }, NULL, 0, false },
		{ 200, { "Content-Type: " PL_MT_OCI_MANIFEST }, manifest, 0, false },
	};
	fake_init(&f, script, N(script));
	o.retries = 2;
	r = mkreg(&f, &o);

	rc = pl_registry_get_manifest(r, "a/b", "v1", &m, &err);
	assert_int_equal(rc, PL_ENET);
	assert_int_equal(f.n, 3); /* the first attempt and two retries */
	assert_contains(err.msg, "HTTP 503");
	assert_contains(err.msg, "reg.example");

	pl_registry_free(r);
	fake_release(&f);
}

static void test_registry_not_found_not_retried(void **state)
{
	struct pl_err err = PL_ERR_INIT;
	struct pl_reg_opts o = { 0 };
	struct pl_reg_manifest m;
	struct fake f;
	struct pl_registry *r;
	int rc;

	(void)state;
	const struct answer script[] = {
		{ 404, { "Content-Type: application/json" },
		  "{\"errors\":[{\"code\":\"MANIFEST_UNKNOWN\",\"message\":\"manifest unknown\"}]}",
		  0, false },
		{ 200, { "Content-Type: " PL_MT_OCI_MANIFEST }, manifest, 0, false },
	};
	fake_init(&f, script, N(script));
	r = mkreg(&f, &o);

	rc = pl_registry_get_manifest(r, "a/b", "v9", &m, &err);
	assert_int_equal(rc, PL_ENOTFOUND);
	assert_int_equal(f.n, 1);
	assert_contains(err.msg, "HTTP 404");
	assert_contains(err.msg, "MANIFEST_UNKNOWN");
	assert_contains(err.msg, "v9");

	pl_registry_free(r);
	fake_release(&f);
}

/* ---- pushing blobs ---------------------------------------------------------------- */

static void test_registry_push_blob_skips_present(void **state)
{
	struct fx *fx = *state;
	struct pl_err err = PL_ERR_INIT;
	struct pl_reg_opts o = { 0 };
	struct pl_reg_stats st = { 0 };
	unsigned char *data = blob_bytes(300, 1);
	const char *dg = digest_of(data, 300);
	char url[200];
	struct fake f;
	struct pl_registry *r;
	int fd = blob_file(fx->dir, "blob", data, 300);

	const struct answer script[] = {
		{ 200, { "Content-Length: 300" }, NULL, 0, false },
	};
	fake_init(&f, script, N(script));
	r = mkreg(&f, &o);

	assert_int_equal(pl_registry_push_blob(r, "a/b", dg, 300, fd, NULL, &st, &err), 0);
	assert_int_equal(f.n, 1);
	snprintf(url, sizeof(url), "https://reg.example/v2/a/b/blobs/%s", dg);
	assert_req(&f, 0, "HEAD", url);
	assert_int_equal(st.blobs_skipped, 1);
	assert_int_equal(st.blobs_pushed, 0);
	assert_int_equal(st.bytes_sent, 0);

	close(fd);
	free(data);
	pl_registry_free(r);
	fake_release(&f);
}

static void test_registry_push_blob_monolithic(void **state)
{
	struct fx *fx = *state;
	struct pl_err err = PL_ERR_INIT;
	struct pl_reg_opts o = { 0 };
	struct pl_reg_stats st = { 0 };
	unsigned char *data = blob_bytes(300, 2);
	const char *dg = digest_of(data, 300);
	char url[300];
	struct fake f;
	struct pl_registry *r;
	int fd = blob_file(fx->dir, "blob", data, 300);

	const struct answer script[] = {
		{ 404, { NULL }, NULL, 0, false },
		/* a relative Location that already has a query */
		{ 202, { "Location: /v2/a/b/blobs/uploads/uuid?_state=xyz", "Range: 0-0" }, NULL, 0,
		  false },
		{ 201, { NULL }, NULL, 0, false },
	};
	fake_init(&f, script, N(script));
	r = mkreg(&f, &o);

	assert_int_equal(pl_registry_push_blob(r, "a/b", dg, 300, fd, NULL, &st, &err), 0);
	assert_int_equal(f.n, 3);
	assert_string_equal(f.reqs[0].method, "HEAD");
	assert_req(&f, 1, "POST", "https://reg.example/v2/a/b/blobs/uploads/");
	snprintf(url, sizeof(url),
		 "https://reg.example/v2/a/b/blobs/uploads/uuid?_state=xyz&digest=sha256%%3A%s",
		 dg + 7);
	assert_req(&f, 2, "PUT", url);
	assert_int_equal(f.reqs[2].body_len, 300);
	assert_memory_equal(f.reqs[2].body, data, 300);
	assert_int_equal(st.blobs_pushed, 1);
	assert_int_equal(st.blobs_skipped, 0);
	assert_int_equal(st.bytes_sent, 300);

	close(fd);
	free(data);
	pl_registry_free(r);
	fake_release(&f);
}

static void test_registry_push_blob_mount(void **state)
{
	struct fx *fx = *state;
	struct pl_err err = PL_ERR_INIT;
	struct pl_reg_opts o = { 0 };
	struct pl_reg_stats st = { 0 };
	unsigned char *data = blob_bytes(300, 3);
	const char *dg = digest_of(data, 300);
	struct fake f;
	struct pl_registry *r;
	int fd = blob_file(fx->dir, "blob", data, 300);

	const struct answer script[] = {
		{ 404, { NULL }, NULL, 0, false },
		{ 201, { NULL }, NULL, 0, false },
		/* mount-only (no bytes at hand), and the registry can not mount */
		{ 404, { NULL }, NULL, 0, false },
		{ 202, { "Location: /v2/a/b/blobs/uploads/u2" }, NULL, 0, false },
	};
	fake_init(&f, script, N(script));
	r = mkreg(&f, &o);

	assert_int_equal(pl_registry_push_blob(r, "a/b", dg, 300, fd, "c/d", &st, &err), 0);
	assert_int_equal(f.n, 2);
	assert_string_equal(f.reqs[1].method, "POST");
	assert_true(strncmp(f.reqs[1].url, "https://reg.example/v2/a/b/blobs/uploads/?", 42) == 0);
	assert_qparam(f.reqs[1].url, "mount", dg);
	assert_qparam(f.reqs[1].url, "from", "c/d");
	assert_int_equal(st.blobs_mounted, 1);
	assert_int_equal(st.blobs_pushed, 0);

	pl_err_init(&err);
	assert_int_equal(pl_registry_push_blob(r, "a/b", dg, 300, -1, "c/d", &st, &err),
			 PL_ENOTFOUND);
	assert_int_equal(f.n, 4); /* no PUT without bytes */
	assert_int_equal(st.blobs_mounted, 1);
	assert_int_equal(st.blobs_pushed, 0);

	close(fd);
	free(data);
	pl_registry_free(r);
	fake_release(&f);
}

/* ---- chunked uploads ---------------------------------------------------------------- */

#define BLOB_2500 2500

static void assert_patch(const struct fake *f, size_t i, const char *url, const char *range,
			 const unsigned char *data, size_t off, size_t len)
{
	assert_req(f, i, "PATCH", url);
	assert_string_equal(hdr(&f->reqs[i], "Content-Range"), range);
	assert_int_equal(f->reqs[i].body_len, len);
	assert_memory_equal(f->reqs[i].body, data + off, len);
}

static void test_registry_push_blob_chunked(void **state)
{
	struct fx *fx = *state;
	struct pl_err err = PL_ERR_INIT;
	struct pl_reg_opts o = { 0 };
	struct pl_reg_stats st = { 0 };
	unsigned char *data = blob_bytes(BLOB_2500, 4);
	const char *dg = digest_of(data, BLOB_2500);
	char url[300];
	struct fake f;
	struct pl_registry *r;
	int fd = blob_file(fx->dir, "blob", data, BLOB_2500);

	const struct answer script[] = {
		{ 404, { NULL }, NULL, 0, false },
		{ 202, { "Location: /v2/a/b/blobs/uploads/u1?_state=s0", "Range: 0-0" }, NULL, 0,
		  false },
		{ 202, { "Location: /v2/a/b/blobs/uploads/u1?_state=s1", "Range: 0-999" }, NULL, 0,
		  false },
		{ 202, { "Location: /v2/a/b/blobs/uploads/u1?_state=s2", "Range: 0-1999" }, NULL, 0,
		  false },
		{ 202, { "Location: /v2/a/b/blobs/uploads/u1?_state=s3", "Range: 0-2499" }, NULL, 0,
		  false },
		{ 201, { NULL }, NULL, 0, false },
	};
	fake_init(&f, script, N(script));
	o.chunk_size = 1000;
	r = mkreg(&f, &o);

	assert_int_equal(pl_registry_push_blob(r, "a/b", dg, BLOB_2500, fd, NULL, &st, &err), 0);
	assert_int_equal(f.n, 6);
	/* each chunk goes where the previous answer's Location says */
	assert_patch(&f, 2, "https://reg.example/v2/a/b/blobs/uploads/u1?_state=s0", "0-999", data,
		     0, 1000);
	assert_patch(&f, 3, "https://reg.example/v2/a/b/blobs/uploads/u1?_state=s1", "1000-1999",
		     data, 1000, 1000);
	assert_patch(&f, 4, "https://reg.example/v2/a/b/blobs/uploads/u1?_state=s2", "2000-2499",
		     data, 2000, 500);
	snprintf(url, sizeof(url),
		 "https://reg.example/v2/a/b/blobs/uploads/u1?_state=s3&digest=sha256%%3A%s",
		 dg + 7);
	assert_req(&f, 5, "PUT", url);
	assert_int_equal(f.reqs[5].body_len, 0);
	assert_int_equal(st.blobs_pushed, 1);
	assert_int_equal(st.bytes_sent, BLOB_2500);

	close(fd);
	free(data);
	pl_registry_free(r);
	fake_release(&f);
}

static void test_registry_push_blob_chunk_resumes(void **state)
{
	struct fx *fx = *state;
	struct pl_err err = PL_ERR_INIT;
	struct pl_reg_opts o = { 0 };
	struct pl_reg_stats st = { 0 };
	unsigned char *data = blob_bytes(BLOB_2500, 5);
	const char *dg = digest_of(data, BLOB_2500);
	const char *u1 = "https://reg.example/v2/a/b/blobs/uploads/u1";
	char url[300];
	struct fake f;
	struct pl_registry *r;
	int fd = blob_file(fx->dir, "blob", data, BLOB_2500);

	const struct answer script[] = {
		{ 404, { NULL }, NULL, 0, false },
		{ 202, { "Location: /v2/a/b/blobs/uploads/u1" }, NULL, 0, false },
		{ 202, { "Range: 0-999" }, NULL, 0, false },
		/* the second chunk's connection drops */
		{ 0, { NULL }, NULL, 0, false },
		/* the session holds the first chunk only */
		{ 204, { "Range: 0-999" }, NULL, 0, false },
		{ 202, { "Range: 0-1999" }, NULL, 0, false },
		{ 202, { "Range: 0-2499" }, NULL, 0, false },
		{ 201, { NULL }, NULL, 0, false },
	};
	fake_init(&f, script, N(script));
	o.chunk_size = 1000;
	r = mkreg(&f, &o);

	assert_int_equal(pl_registry_push_blob(r, "a/b", dg, BLOB_2500, fd, NULL, &st, &err), 0);
	assert_int_equal(f.n, 8);
	assert_patch(&f, 2, u1, "0-999", data, 0, 1000);
	assert_patch(&f, 3, u1, "1000-1999", data, 1000, 1000);
	assert_req(&f, 4, "GET", u1);
	assert_patch(&f, 5, u1, "1000-1999", data, 1000, 1000);
	assert_patch(&f, 6, u1, "2000-2499", data, 2000, 500);
	snprintf(url, sizeof(url), "%s?digest=sha256%%3A%s", u1, dg + 7);
	assert_req(&f, 7, "PUT", url);
	assert_int_equal(st.blobs_pushed, 1);

	close(fd);
	free(data);
	pl_registry_free(r);
	fake_release(&f);
}

static void test_registry_push_blob_chunk_status_empty_session(void **state)
{
	struct fx *fx = *state;
	struct pl_err err = PL_ERR_INIT;
	struct pl_reg_opts o = { 0 };
	struct pl_reg_stats st = { 0 };
	unsigned char *data = blob_bytes(BLOB_2500, 6);
	const char *dg = digest_of(data, BLOB_2500);
	const char *u1 = "https://reg.example/v2/a/b/blobs/uploads/u1";
	struct fake f;
	struct pl_registry *r;
	int fd = blob_file(fx->dir, "blob", data, BLOB_2500);

	const struct answer script[] = {
		{ 404, { NULL }, NULL, 0, false },
		{ 202, { "Location: /v2/a/b/blobs/uploads/u1" }, NULL, 0, false },
		/* the first chunk fails with a busy answer */
		{ 503, { NULL }, NULL, 0, false },
		/* distribution's way of saying "nothing yet" */
		{ 204, { "Range: 0-0" }, NULL, 0, false },
		{ 202, { "Range: 0-999" }, NULL, 0, false },
		/* the registry kept only part of a cut chunk */
		{ 0, { NULL }, NULL, 0, false },
		{ 204, { "Range: 0-1499" }, NULL, 0, false },
		{ 202, { "Range: 0-2499" }, NULL, 0, false },
		{ 201, { NULL }, NULL, 0, false },
	};
	fake_init(&f, script, N(script));
	o.chunk_size = 1000;
	r = mkreg(&f, &o);

	assert_int_equal(pl_registry_push_blob(r, "a/b", dg, BLOB_2500, fd, NULL, &st, &err), 0);
	assert_int_equal(f.n, 9);
	assert_patch(&f, 2, u1, "0-999", data, 0, 1000);
	assert_req(&f, 3, "GET", u1);
	assert_patch(&f, 4, u1, "0-999", data, 0, 1000);
	assert_patch(&f, 5, u1, "1000-1999", data, 1000, 1000);
	assert_req(&f, 6, "GET", u1);
	assert_patch(&f, 7, u1, "1500-2499", data, 1500, 1000);
	assert_string_equal(f.reqs[8].method, "PUT");
	assert_int_equal(st.blobs_pushed, 1);

	close(fd);
	free(data);
	pl_registry_free(r);
	fake_release(&f);
}

/* ---- pulling blobs ---------------------------------------------------------------- */

#define BLOB_5000 5000

static size_t count_entries(const char *dir, const char *rel)
{
	char *p = tu_path(dir, rel);
	DIR *d = opendir(p);
	struct dirent *e;
	size_t n = 0;

	free(p);
	if (!d)
		return 0;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

static struct pl_cas *open_cas(const char *dir)
{
	struct pl_err err = PL_ERR_INIT;
	struct pl_cas *cas = NULL;
	char *p = tu_path(dir, "cas");

	if (pl_cas_open(&cas, p, &err) != 0)
		fail_msg("pl_cas_open: %s", err.msg);
	free(p);
	return cas;
}

static void assert_stored(struct pl_cas *cas, const char *dg, const void *data, size_t len)
{
	struct pl_err err = PL_ERR_INIT;
	char *got = NULL;
	size_t n = 0;

	assert_true(pl_cas_has(cas, dg));
	assert_int_equal(pl_cas_read(cas, dg, 0, &got, &n, &err), 0);
	assert_int_equal(n, len);
	assert_memory_equal(got, data, len);
	free(got);
}

static void test_registry_pull_blob_verified(void **state)
{
	struct fx *fx = *state;
	struct pl_err err = PL_ERR_INIT;
	struct pl_reg_opts o = { 0 };
	struct pl_reg_stats st = { 0 };
	unsigned char *data = blob_bytes(BLOB_5000, 7);
	unsigned char *bad = blob_bytes(BLOB_5000, 8);
	char dg[PL_DIGEST_SIZE], url[200];
	struct pl_cas *cas = open_cas(fx->dir);
	struct fake f;
	struct pl_registry *r;
	int rc;

	snprintf(dg, sizeof(dg), "%s", digest_of(data, BLOB_5000));
	const struct answer script[] = {
		{ 200, { NULL }, bad, BLOB_5000, false },
		{ 200, { NULL }, data, BLOB_5000, false },
	};
	fake_init(&f, script, N(script));
	r = mkreg(&f, &o);

	rc = pl_registry_pull_blob(r, "a/b", dg, BLOB_5000, cas, &st, &err);
	assert_int_equal(rc, PL_EVERIFY);
	assert_int_equal(f.n, 1);
	assert_false(pl_cas_has(cas, dg));
	assert_false(pl_cas_has(cas, digest_of(bad, BLOB_5000)));
	assert_int_equal(count_entries(fx->dir, "cas/blobs/sha256"), 0); /* no temp file either */
	assert_int_equal(st.blobs_pulled, 0);

	/* the refused bytes were received all the same */
	assert_int_equal(st.bytes_received, BLOB_5000);
	memset(&st, 0, sizeof(st));
	pl_err_init(&err);
	rc = pl_registry_pull_blob(r, "a/b", dg, BLOB_5000, cas, &st, &err);
	assert_int_equal(rc, 0);
	assert_int_equal(f.n, 2);
	snprintf(url, sizeof(url), "https://reg.example/v2/a/b/blobs/%s", dg);
	assert_req(&f, 1, "GET", url);
	assert_true(f.reqs[1].follow);
	assert_true(f.reqs[1].sink);
	assert_null(hdr(&f.reqs[1], "Range"));
	assert_stored(cas, dg, data, BLOB_5000);
	assert_int_equal(st.blobs_pulled, 1);
	assert_int_equal(st.bytes_received, BLOB_5000);

	/* present already: nothing is asked */
	assert_int_equal(pl_registry_pull_blob(r, "a/b", dg, BLOB_5000, cas, &st, &err), 0);
	assert_int_equal(f.n, 2);

	free(data);
	free(bad);
	pl_cas_free(cas);
	pl_registry_free(r);
	fake_release(&f);
}

static void test_registry_pull_blob_resumes_with_range(void **state)
{
	struct fx *fx = *state;
	struct pl_err err = PL_ERR_INIT;
	struct pl_reg_opts o = { 0 };
	struct pl_reg_stats st = { 0 };
	unsigned char *data = blob_bytes(BLOB_5000, 9);
	char dg[PL_DIGEST_SIZE];
	struct pl_cas *cas = open_cas(fx->dir);
	struct fake f;
	struct pl_registry *r;

	snprintf(dg, sizeof(dg), "%s", digest_of(data, BLOB_5000));
	const struct answer script[] = {
		/* cut after 1800 bytes (not a multiple of the 1024-byte pieces) */
		{ 200, { NULL }, data, 1800, true },
		{ 206, { "Content-Range: bytes 1800-4999/5000" }, data + 1800, BLOB_5000 - 1800,
		  false },
	};
	fake_init(&f, script, N(script));
	r = mkreg(&f, &o);

	assert_int_equal(pl_registry_pull_blob(r, "a/b", dg, BLOB_5000, cas, &st, &err), 0);
	assert_int_equal(f.n, 2);
	assert_null(hdr(&f.reqs[0], "Range"));
	assert_string_equal(hdr(&f.reqs[1], "Range"), "bytes=1800-");
	assert_stored(cas, dg, data, BLOB_5000);
	assert_int_equal(st.blobs_pulled, 1);
	assert_int_equal(st.bytes_received, BLOB_5000);

	free(data);
	pl_cas_free(cas);
	pl_registry_free(r);
	fake_release(&f);
}

static void test_registry_pull_blob_resume_full_answer(void **state)
{
	struct fx *fx = *state;
	struct pl_err err = PL_ERR_INIT;
	struct pl_reg_opts o = { 0 };
	unsigned char *data = blob_bytes(BLOB_5000, 10);
	char dg[PL_DIGEST_SIZE];
	struct pl_cas *cas = open_cas(fx->dir);
	struct fake f;
	struct pl_registry *r;

	snprintf(dg, sizeof(dg), "%s", digest_of(data, BLOB_5000));
	const struct answer script[] = {
		{ 200, { NULL }, data, 2100, true },
		/* the server ignores Range: the whole body again */
		{ 200, { NULL }, data, BLOB_5000, false },
	};
	fake_init(&f, script, N(script));
	r = mkreg(&f, &o);

	/* size unknown (-1) as well */
	assert_int_equal(pl_registry_pull_blob(r, "a/b", dg, -1, cas, NULL, &err), 0);
	assert_int_equal(f.n, 2);
	assert_string_equal(hdr(&f.reqs[1], "Range"), "bytes=2100-");
	assert_stored(cas, dg, data, BLOB_5000);
	assert_int_equal(count_entries(fx->dir, "cas/blobs/sha256"), 1);

	free(data);
	pl_cas_free(cas);
	pl_registry_free(r);
	fake_release(&f);
}

/* ---- tags ---------------------------------------------------------------------- */

static void test_registry_tags_pages(void **state)
{
	struct pl_err err = PL_ERR_INIT;
	struct pl_reg_opts o = { 0 };
	struct pl_oci_strv tags = { 0 };
	struct fake f;
	struct pl_registry *r;
	static const char *const want[] = { "alpha", "beta", "gamma", "zeta" };

	(void)state;
	const struct answer script[] = {
		{ 200, { "Content-Type: application/json",
			 "Link: </v2/a/b/tags/list?n=2&last=x>; rel=\"next\"" },
		  "{\"name\":\"a/b\",\"tags\":[\"zeta\",\"beta\"]}", 0, false },
		{ 200, { "Content-Type: application/json" },
		  "{\"name\":\"a/b\",\"tags\":[\"gamma\",\"alpha\"]}", 0, false },
	};
	fake_init(&f, script, N(script));
	r = mkreg(&f, &o);

	assert_int_equal(pl_registry_tags(r, "a/b", &tags, &err), 0);
	assert_int_equal(f.n, 2);
	assert_req(&f, 0, "GET", "https://reg.example/v2/a/b/tags/list?n=1000");
	assert_req(&f, 1, "GET", "https://reg.example/v2/a/b/tags/list?n=2&last=x");
	assert_int_equal(tags.n, 4);
	for (size_t i = 0; i < 4; i++)
		assert_string_equal(tags.v[i], want[i]);

	pl_oci_strv_release(&tags);
	pl_registry_free(r);
	fake_release(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_registry_get_manifest_anonymous),
		cmocka_unit_test(test_registry_bearer_token_flow),
		cmocka_unit_test(test_registry_bearer_token_renewed_on_401),
		cmocka_unit_test(test_registry_wrong_credentials),
		cmocka_unit_test(test_registry_basic_auth),
		cmocka_unit_test(test_registry_retries_busy_answers),
		cmocka_unit_test(test_registry_retry_after_honoured),
		cmocka_unit_test(test_registry_retries_exhausted),
		cmocka_unit_test(test_registry_not_found_not_retried),
		cmocka_unit_test_setup_teardown(test_registry_push_blob_skips_present, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_registry_push_blob_monolithic, setup, teardown),
		cmocka_unit_test_setup_teardown(test_registry_push_blob_mount, setup, teardown),
		cmocka_unit_test_setup_teardown(test_registry_push_blob_chunked, setup, teardown),
		cmocka_unit_test_setup_teardown(test_registry_push_blob_chunk_resumes, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_registry_push_blob_chunk_status_empty_session,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_registry_pull_blob_verified, setup, teardown),
		cmocka_unit_test_setup_teardown(test_registry_pull_blob_resumes_with_range, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_registry_pull_blob_resume_full_answer, setup,
						teardown),
		cmocka_unit_test(test_registry_tags_pages),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
