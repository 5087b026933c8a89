/*
 * The libcurl transport of the registry client: one request per call, on
 * an easy handle taken from a small pool so that several threads can push
 * blobs at once and each keeps its connection alive between requests.
 */
#include <curl/curl.h>
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/registry.h"
#include "util/fsutil.h"

#define POOL_MAX 16
#define CA_BUNDLE_MAX (16u << 20)
#define DEFAULT_MAX_BODY (1u << 20)
#define CONNECT_TIMEOUT_S 15L
#define MAX_REDIRECTS 10L
#define SYSTEM_CA_BUNDLE "/etc/ssl/certs/ca-certificates.crt"

struct curl_transport {
	struct pl_http_transport t; /* first: the public handle points here */
	pthread_mutex_t lock;
	CURL *pool[POOL_MAX];
	size_t n_pool;
	CURLSH *share;
	pthread_mutex_t share_lock[CURL_LOCK_DATA_LAST];
	bool verify;
	struct pl_buf ca;  /* system CAs plus the extra ones, or empty */
	char *client_cert, *client_key, *user_agent;
};

/* ---- responses ---- */

void pl_http_resp_init(struct pl_http_resp *r)
{
	memset(r, 0, sizeof(*r));
	pl_buf_init(&r->body, DEFAULT_MAX_BODY);
}

static void clear_headers(struct pl_http_resp *r)
{
	for (size_t i = 0; i < r->n_headers; i++) {
		free(r->headers[i].name);
		free(r->headers[i].value);
	}
	free(r->headers);
	r->headers = NULL;
	r->n_headers = 0;
}

void pl_http_resp_release(struct pl_http_resp *r)
{
	clear_headers(r);
	pl_buf_release(&r->body);
	memset(r, 0, sizeof(*r));
}

const char *pl_http_resp_header(const struct pl_http_resp *r, const char *name)
{
	for (size_t i = 0; i < r->n_headers; i++)
		if (strcasecmp(r->headers[i].name, name) == 0)
			return r->headers[i].value;
	return NULL;
}

int pl_http_resp_add_header(struct pl_http_resp *r, const char *name, size_t nlen,
			    const char *value, size_t vlen, struct pl_err *err)
{
	struct pl_http_hdr *v = realloc(r->headers, (r->n_headers + 1) * sizeof(*v));

	if (!v)
		return pl_err_set(err, PL_ENOMEM, "out of memory");
	r->headers = v;
	v[r->n_headers].name = strndup(name, nlen);
	v[r->n_headers].value = strndup(value, vlen);
	if (!v[r->n_headers].name || !v[r->n_headers].value) {
		free(v[r->n_headers].name);
		free(v[r->n_headers].value);
		return pl_err_set(err, PL_ENOMEM, "out of memory");
	}
	r->n_headers++;
	return 0;
}

/* ---- one transfer ---- */

struct xfer {
	const struct pl_http_req *req;
	struct pl_http_resp *resp;
	struct pl_err *err;
	int rc;                 /* a sink or memory error that aborted the transfer */
	uint64_t read_pos;      /* request body bytes handed to curl */
	char errbuf[CURL_ERROR_SIZE];
};

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
	struct xfer *x = ud;
	size_t len = size * n, k, end = len;
	const char *colon;

	/* a new status line (after a redirect or 100 Continue) starts a new header set */
	if (len >= 5 && memcmp(p, "HTTP/", 5) == 0) {
		clear_headers(x->resp);
		return len;
	}
	while (end > 0 && (p[end - 1] == '\r' || p[end - 1] == '\n'))
		end--;
	colon = memchr(p, ':', end);
	if (!colon)
		return len;
	k = (size_t)(colon - p);
	colon++;
	while (colon < p + end && (*colon == ' ' || *colon == '\t'))
		colon++;
	if (pl_http_resp_add_header(x->resp, p, k, colon, (size_t)(p + end - colon), x->err) < 0) {
		x->rc = PL_ENOMEM;
		return 0;
	}
	return len;
}

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
	struct xfer *x = ud;
	size_t len = size * n;
	long status = x->resp->status;

	x->resp->received += len;
	if (status >= 200 && status < 300 && x->req->sink) {
		int rc = x->req->sink(x->req->sink_ctx, p, len, x->err);
		if (rc < 0) {
			x->rc = rc;
			return 0;
		}
		return len;
	}
	/* error bodies are only for messages: keep what fits, drop the rest */
	if (x->resp->body.len + len <= x->resp->body.max) {
		struct pl_err e = PL_ERR_INIT;
		if (pl_buf_add(&x->resp->body, p, len, &e) < 0) {
			x->rc = pl_err_set(x->err, PL_ENOMEM, "out of memory");
			return 0;
		}
	} else if (status >= 200 && status < 300) {
		x->rc = pl_err_set(x->err, PL_ETOOBIG, "%s %s: response larger than %zu bytes",
				   x->req->method, x->req->url, x->resp->body.max);
		return 0;
	}
	return len;
}

static size_t on_read(char *p, size_t size, size_t n, void *ud)
{
	struct xfer *x = ud;
	const struct pl_http_req *q = x->req;
	size_t want = size * n;
	uint64_t total = q->body_fd >= 0 ? q->body_fd_len : q->body_len;
	uint64_t left = total - x->read_pos;

	if (want > left)
		want = (size_t)left;
	if (want == 0)
		return 0;
	if (q->body_fd >= 0) {
		ssize_t got = pread(q->body_fd, p, want, (off_t)(q->body_off + x->read_pos));
		if (got <= 0) {
			x->rc = pl_err_set(x->err, PL_EIO, "read request body: %s",
					   got < 0 ? strerror(errno) : "unexpected end of file");
			return CURL_READFUNC_ABORT;
		}
		want = (size_t)got;
	} else {
		memcpy(p, (const char *)q->body + x->read_pos, want);
	}
	x->read_pos += want;
	return want;
}

static CURL *take_handle(struct curl_transport *c)
{
	CURL *h = NULL;

	pthread_mutex_lock(&c->lock);
	if (c->n_pool > 0)
		h = c->pool[--c->n_pool];
	pthread_mutex_unlock(&c->lock);
	if (!h)
		h = curl_easy_init();
	else
		curl_easy_reset(h);
	return h;
}

static void give_handle(struct curl_transport *c, CURL *h)
{
	pthread_mutex_lock(&c->lock);
	if (c->n_pool < POOL_MAX) {
		c->pool[c->n_pool++] = h;
		h = NULL;
	}
	pthread_mutex_unlock(&c->lock);
	if (h)
		curl_easy_cleanup(h);
}

/* The status is known once a header block ends, before any body arrives. */
struct hdr_ctx {
	struct xfer *x;
	CURL *h;
};

static size_t on_header_status(char *p, size_t size, size_t n, void *ud)
{
	struct hdr_ctx *hc = ud;
	size_t len = size * n;

	if (len <= 2 && (len == 0 || p[0] == '\r' || p[0] == '\n')) {
		/* end of a header block: the status of this response is final */
		long st = 0;
		curl_easy_getinfo(hc->h, CURLINFO_RESPONSE_CODE, &st);
		hc->x->resp->status = st;
		return len;
	}
	return on_header(p, size, n, hc->x);
}

static int curl_send(void *ctx, const struct pl_http_req *req, struct pl_http_resp *resp,
		     struct pl_err *err)
{
	struct curl_transport *c = ctx;
	struct xfer x = { .req = req, .resp = resp, .err = err };
	struct hdr_ctx hc = { .x = &x };
	struct curl_slist *hdrs = NULL, *tmp;
	CURL *h = take_handle(c);
	CURLcode cc;
	uint64_t body_len = req->body_fd >= 0 ? req->body_fd_len : req->body_len;
	bool has_body = req->body_fd >= 0 || req->body;
	int rc = 0;

	if (!h)
		return pl_err_set(err, PL_ENOMEM, "out of memory");
	hc.h = h;
	resp->status = 0;
	if (req->max_body)
		resp->body.max = req->max_body;
	for (const char *const *p = req->headers; p && *p; p++) {
		tmp = curl_slist_append(hdrs, *p);
		if (!tmp) {
			rc = pl_err_set(err, PL_ENOMEM, "out of memory");
			goto out;
		}
		hdrs = tmp;
	}
	/* no "Expect: 100-continue" round trip before uploads */
	tmp = curl_slist_append(hdrs, "Expect:");
	if (!tmp) {
		rc = pl_err_set(err, PL_ENOMEM, "out of memory");
		goto out;
	}
	hdrs = tmp;
	curl_easy_setopt(h, CURLOPT_URL, req->url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_USERAGENT, c->user_agent);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, CONNECT_TIMEOUT_S);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, req->timeout_s > 0 ? req->timeout_s : 60L);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, x.errbuf);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header_status);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, &hc);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &x);
	if (c->share)
		curl_easy_setopt(h, CURLOPT_SHARE, c->share);
	if (req->follow) {
		/* blob storage redirects must not receive the registry's Authorization */
		curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
		curl_easy_setopt(h, CURLOPT_MAXREDIRS, MAX_REDIRECTS);
		curl_easy_setopt(h, CURLOPT_UNRESTRICTED_AUTH, 0L);
	}
	if (!c->verify) {
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
	} else if (c->ca.len) {
		struct curl_blob blob = { c->ca.data, c->ca.len, CURL_BLOB_NOCOPY };
		curl_easy_setopt(h, CURLOPT_CAINFO_BLOB, &blob);
	}
	if (c->client_cert) {
		curl_easy_setopt(h, CURLOPT_SSLCERT, c->client_cert);
		curl_easy_setopt(h, CURLOPT_SSLKEY, c->client_key);
	}
	if (strcmp(req->method, "HEAD") == 0) {
		curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
	} else if (strcmp(req->method, "GET") == 0) {
		curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
	} else {
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, req->method);
		curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(h, CURLOPT_READFUNCTION, on_read);
		curl_easy_setopt(h, CURLOPT_READDATA, &x);
		curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)(has_body ? body_len : 0));
	}
	cc = curl_easy_perform(h);
	resp->sent = x.read_pos;
	if (x.rc < 0) {
		rc = x.rc;
		goto out;
	}
	if (cc != CURLE_OK) {
		const char *why = x.errbuf[0] ? x.errbuf : curl_easy_strerror(cc);
		rc = pl_err_set(err, PL_ENET, "%s", why);
		goto out;
	}
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &resp->status);
out:
	curl_slist_free_all(hdrs);
	if (rc < 0) {
		/* a connection in an unknown state is not reused */
		curl_easy_cleanup(h);
	} else {
		give_handle(c, h);
	}
	return rc;
}

/* ---- construction ---- */

static void share_lock(CURL *h, curl_lock_data data, curl_lock_access access, void *ud)
{
	struct curl_transport *c = ud;

	(void)h, (void)access;
	pthread_mutex_lock(&c->share_lock[data]);
}

static void share_unlock(CURL *h, curl_lock_data data, void *ud)
{
	struct curl_transport *c = ud;

	(void)h;
	pthread_mutex_unlock(&c->share_lock[data]);
}

static int add_pem_file(struct pl_buf *b, const char *path, struct pl_err *err)
{
	int rc = pl_read_file(path, CA_BUNDLE_MAX, b, err);

	if (rc == 0 && b->len && b->data[b->len - 1] != '\n')
		rc = pl_buf_addch(b, '\n', err);
	if (rc < 0)
		pl_err_wrap(err, "CA certificates");
	return rc;
}

static int has_suffix(const char *s, const char *suf)
{
	size_t n = strlen(s), k = strlen(suf);

	return n > k && strcmp(s + n - k, suf) == 0;
}

/*
 * CURLOPT_CAINFO would replace the system CAs; extra CAs (--cacert, the
 * *.crt of a cert dir, as containers-certs.d(5) says) add to them, so all
 * go into one in-memory PEM bundle.
 */
static int load_cas(struct curl_transport *c, const struct pl_http_tls *tls, struct pl_err *err)
{
	const char *sys = SYSTEM_CA_BUNDLE;
	char *def = NULL;
	struct stat st;
	DIR *d = NULL;
	struct dirent *e;
	CURL *h;
	int rc = 0;

	if (!tls->cacert && !tls->ca_dir)
		return 0;
	h = curl_easy_init();
	if (h && curl_easy_getinfo(h, CURLINFO_CAINFO, &def) == CURLE_OK && def && *def)
		sys = def;
	if (stat(sys, &st) == 0)
		rc = add_pem_file(&c->ca, sys, err);
	if (h)
		curl_easy_cleanup(h);
	if (rc == 0 && tls->cacert)
		rc = add_pem_file(&c->ca, tls->cacert, err);
	if (rc < 0 || !tls->ca_dir)
		return rc;
	d = opendir(tls->ca_dir);
	if (!d)
		return pl_err_set(err, PL_EIO, "cert dir '%s': %s", tls->ca_dir, strerror(errno));
	while (rc == 0 && (e = readdir(d))) {
		char *path = NULL;
		if (!has_suffix(e->d_name, ".crt"))
			continue;
		if (asprintf(&path, "%s/%s", tls->ca_dir, e->d_name) < 0) {
			rc = pl_err_set(err, PL_ENOMEM, "out of memory");
			break;
		}
		rc = add_pem_file(&c->ca, path, err);
		free(path);
	}
	closedir(d);
	return rc;
}

int pl_http_curl_new(struct pl_http_transport **out, const struct pl_http_tls *tls,
		     struct pl_err *err)
{
	static const struct pl_http_tls defaults = { .verify = true };
	struct curl_transport *c;
	int rc = 0;

	*out = NULL;
	if (!tls)
		tls = &defaults;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return pl_err_set(err, PL_ENET, "initialise libcurl");
	c = calloc(1, sizeof(*c));
	if (!c) {
		curl_global_cleanup();
		return pl_err_set(err, PL_ENOMEM, "out of memory");
	}
	c->t.send = curl_send;
	c->t.ctx = c;
	pthread_mutex_init(&c->lock, NULL);
	for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
		pthread_mutex_init(&c->share_lock[i], NULL);
	pl_buf_init(&c->ca, CA_BUNDLE_MAX);
	c->verify = tls->verify;
	if (tls->user_agent)
		c->user_agent = strdup(tls->user_agent);
	else if (asprintf(&c->user_agent, "plinth/%s", PL_VERSION) < 0)
		c->user_agent = NULL;
	if (tls->client_cert) {
		c->client_cert = strdup(tls->client_cert);
		c->client_key = strdup(tls->client_key ? tls->client_key : tls->client_cert);
	}
	if (!c->user_agent || (tls->client_cert && (!c->client_cert || !c->client_key))) {
		rc = pl_err_set(err, PL_ENOMEM, "out of memory");
		goto out;
	}
	/* DNS, TLS sessions and connections are shared by the pool's handles */
	c->share = curl_share_init();
	if (c->share) {
		curl_share_setopt(c->share, CURLSHOPT_LOCKFUNC, share_lock);
		curl_share_setopt(c->share, CURLSHOPT_UNLOCKFUNC, share_unlock);
		curl_share_setopt(c->share, CURLSHOPT_USERDATA, c);
		curl_share_setopt(c->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
		curl_share_setopt(c->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
	}
	if (tls->verify)
		rc = load_cas(c, tls, err);
out:
	if (rc < 0) {
		pl_http_curl_free(&c->t);
		return rc;
	}
	*out = &c->t;
	return 0;
}

void pl_http_curl_free(struct pl_http_transport *t)
{
	struct curl_transport *c = (struct curl_transport *)t;

	if (!c)
		return;
	for (size_t i = 0; i < c->n_pool; i++)
		curl_easy_cleanup(c->pool[i]);
	if (c->share)
		curl_share_cleanup(c->share);
	pthread_mutex_destroy(&c->lock);
	for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
		pthread_mutex_destroy(&c->share_lock[i]);
	pl_buf_release(&c->ca);
	free(c->client_cert);
	free(c->client_key);
	free(c->user_agent);
	free(c);
	curl_global_cleanup();
}
