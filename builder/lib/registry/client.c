/*
 * The registry client's request loop: base URL (https, or http where
 * allowed), authentication (anonymous, basic, bearer tokens cached per
 * scope and renewed on expiry or 401) and bounded retries with backoff and
 * jitter. The operations (manifests, blobs, tags) are in ops.c.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/registry/internal.h"
#include "util/json.h"
#include "util/log.h"

#define DEFAULT_RETRIES 5
#define DEFAULT_BACKOFF_MS 500L
#define DEFAULT_MAX_WAIT_S 120L
#define MAX_DELAY_MS 15000L
#define TOKEN_MAX (64u << 10)
#define DEFAULT_TOKEN_TTL 60
#define TOKEN_MARGIN_S 10

int64_t reg_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static bool is_loopback(const char *host)
{
	struct in_addr a4;
	struct in6_addr a6;
	char h[256];
	const char *colon;
	size_t n;

	/* strip the port: "[::1]:5000", "127.0.0.1:5000", "localhost:5000" */
	if (host[0] == '[') {
		colon = strchr(host, ']');
		n = colon ? (size_t)(colon - host - 1) : 0;
		host++;
	} else {
		colon = strrchr(host, ':');
		n = colon ? (size_t)(colon - host) : strlen(host);
	}
	if (n == 0 || n >= sizeof(h))
		return false;
	memcpy(h, host, n);
	h[n] = 0;
	if (strcasecmp(h, "localhost") == 0)
		return true;
	if (inet_pton(AF_INET, h, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	if (inet_pton(AF_INET6, h, &a6) == 1)
		return IN6_IS_ADDR_LOOPBACK(&a6);
	return false;
}

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

/* The containers certs.d layout: CAs *.crt, a client pair *.cert + *.key. */
static int cert_dir_tls(struct pl_registry *r, const char *dir, struct pl_err *err)
{
	struct stat st;

	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
		return pl_err_set(err, PL_ENOTFOUND, "cert dir '%s': %s", dir,
				  errno ? strerror(errno) : "not a directory");
	r->tls.ca_dir = r->cert_dir = strdup(dir);
	if (!r->cert_dir)
		return pl_err_set(err, PL_ENOMEM, "out of memory");
	return reg_find_client_pair(r, dir, err);
}

int pl_registry_new(struct pl_registry **out, const char *domain, const struct pl_reg_opts *o,
		    struct pl_err *err)
{
	static const struct pl_reg_opts defaults;
	struct pl_registry *r;
	int rc = 0;

	*out = NULL;
	if (!o)
		o = &defaults;
	r = calloc(1, sizeof(*r));
	if (!r)
		return pl_err_set(err, PL_ENOMEM, "out of memory");
	pthread_mutex_init(&r->lock, NULL);
	r->domain = strdup(domain);
	/* docker.io is served by registry-1.docker.io */
	r->host = strdup(strcmp(domain, "docker.io") == 0 ? "registry-1.docker.io" : domain);
	r->creds = o->creds;
	r->creds.creds = dup_or_null(o->creds.creds);
	r->retries = o->retries < 0 ? 0 : o->retries == 0 ? DEFAULT_RETRIES : o->retries;
	r->backoff_ms = o->backoff_ms > 0 ? o->backoff_ms : DEFAULT_BACKOFF_MS;
	r->max_wait_ms = (o->max_wait_s > 0 ? o->max_wait_s : DEFAULT_MAX_WAIT_S) * 1000;
	r->chunk_size = o->chunk_size ? o->chunk_size : REG_DEFAULT_CHUNK;
	r->parallel = o->parallel > 0 ? o->parallel : 4;
	r->insecure = o->insecure;
	r->loopback = is_loopback(r->host);
	r->rng = (uint64_t)reg_now_ms() * 2654435761u + (uintptr_t)r;
	if (!r->domain || !r->host || (o->creds.creds && !r->creds.creds)) {
		rc = pl_err_set(err, PL_ENOMEM, "out of memory");
		goto out;
	}
	if (o->transport) {
		r->t = o->transport;
	} else {
		char *dflt = NULL;
		struct stat st;

		r->tls.verify = !o->insecure;
		r->tls.cacert = o->cacert;
		if (o->cert_dir) {
			rc = cert_dir_tls(r, o->cert_dir, err);
		} else if (asprintf(&dflt, "/etc/containers/certs.d/%s", r->domain) >= 0) {
			if (stat(dflt, &st) == 0 && S_ISDIR(st.st_mode))
				rc = cert_dir_tls(r, dflt, err);
			free(dflt);
		}
		if (rc == 0)
			rc = pl_http_curl_new(&r->own, &r->tls, err);
		r->t = r->own;
	}
	/* a transport given by the caller (tests) decides the scheme itself */
	if (rc == 0 && o->transport && asprintf(&r->base, "https://%s", r->host) < 0)
		rc = pl_err_set(err, PL_ENOMEM, "out of memory");
out:
	if (rc < 0) {
		pl_err_wrap(err, "registry '%s'", domain);
		pl_registry_free(r);
		return rc;
	}
	*out = r;
	return 0;
}

void pl_registry_free(struct pl_registry *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n_tokens; i++) {
		free(r->tokens[i].scope);
		if (r->tokens[i].token) {
			OPENSSL_cleanse(r->tokens[i].token, strlen(r->tokens[i].token));
			free(r->tokens[i].token);
		}
	}
	free(r->tokens);
	pl_reg_cred_release(&r->cred);
	if (r->creds.creds) {
		OPENSSL_cleanse((char *)r->creds.creds, strlen(r->creds.creds));
		free((char *)r->creds.creds);
	}
	pl_reg_challenge_release(&r->challenge);
	pl_http_curl_free(r->own);
	pthread_mutex_destroy(&r->lock);
	free(r->cert_dir);
	free(r->client_cert);
	free(r->client_key);
	free(r->base);
	free(r->domain);
	free(r->host);
	free(r);
}

const char *reg_domain(const struct pl_registry *r)
{
	return r->domain;
}

/* ---- registry error messages ---- */

/*
 * " (CODE: message)" from a registry's error body, when it has one:
 * {"errors":[{"code":"BLOB_UNKNOWN","message":"blob unknown to registry"}]}.
 */
static void error_detail(const struct pl_http_resp *resp, char *out, size_t n)
{
	json_t *j = NULL, *e;
	json_error_t je;
	const char *code, *msg;

	out[0] = 0;
	if (!resp->body.len)
		return;
	j = json_loadb(resp->body.data, resp->body.len, 0, &je);
	e = j ? json_array_get(json_object_get(j, "errors"), 0) : NULL;
	code = e ? json_string_value(json_object_get(e, "code")) : NULL;
	msg = e ? json_string_value(json_object_get(e, "message")) : NULL;
	if (code || msg)
		snprintf(out, n, " (%s%s%s)", code ? code : "", code && msg ? ": " : "",
			 msg ? msg : "");
	json_decref(j);
}

static const char *reason(long status)
{
	switch (status) {
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 409: return "Conflict";
	case 413: return "Payload Too Large";
	case 416: return "Range Not Satisfiable";
	case 429: return "Too Many Requests";
	case 500: return "Internal Server Error";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	default: return "";
	}
}

int reg_status_error(const struct pl_http_resp *resp, int code, struct pl_err *err)
{
	char detail[300];

	error_detail(resp, detail, sizeof(detail));
	if (code == 0)
		code = resp->status == 404 ? PL_ENOTFOUND
		       : resp->status == 401 || resp->status == 403 ? PL_EAUTH
								     : PL_ENET;
	return pl_err_set(err, code, "HTTP %ld %s%s", resp->status, reason(resp->status), detail);
}

/* ---- retries ---- */

static bool retryable_status(long s)
{
	return s == 408 || s == 429 || (s >= 500 && s <= 599 && s != 501 && s != 505);
}

/* Retry-After in seconds (the delta form; an HTTP date is treated as absent). */
static long retry_after_ms(const struct pl_http_resp *resp)
{
	const char *v = pl_http_resp_header(resp, "Retry-After");
	char *end;
	long s;

	if (!v)
		return -1;
	errno = 0;
	s = strtol(v, &end, 10);
	if (errno || end == v || s < 0)
		return -1;
	return s > 300 ? 300000L : s * 1000L;
}

static long backoff_delay(struct pl_registry *r, int attempt)
{
	long d = r->backoff_ms;
	uint64_t x;

	for (int i = 0; i < attempt && d < MAX_DELAY_MS; i++)
		d *= 2;
	if (d > MAX_DELAY_MS)
		d = MAX_DELAY_MS;
	pthread_mutex_lock(&r->lock);
	/* xorshift jitter: up to half the delay again */
	x = r->rng;
	x ^= x << 13, x ^= x >> 7, x ^= x << 17;
	r->rng = x;
	pthread_mutex_unlock(&r->lock);
	return d + (long)(x % (uint64_t)(d / 2 + 1));
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

bool reg_retry_wait(struct pl_registry *r, struct reg_try *t, const struct pl_http_resp *resp,
		    const char *why)
{
	long d = -1;

	if (t->attempt >= r->retries)
		return false;
	if (!t->start_ms)
		t->start_ms = reg_now_ms();
	if (resp)
		d = retry_after_ms(resp);
	if (d < 0)
		d = backoff_delay(r, t->attempt);
	if (reg_now_ms() + d - t->start_ms > r->max_wait_ms)
		return false;
	t->attempt++;
	__atomic_add_fetch(&r->n_retries, 1, __ATOMIC_RELAXED);
	pl_log_info("registry %s: %s; retry %d/%d in %ld ms", r->domain, why, t->attempt, r->retries,
		    d);
	sleep_ms(d);
	return true;
}

/* ---- base URL ---- */

/* GET base/v2/: the status, or 0 when no HTTP answer came. */
static long probe(struct pl_registry *r, const char *base)
{
	struct pl_http_req q = { .method = "GET", .body_fd = -1, .timeout_s = 15 };
	struct pl_http_resp resp;
	struct pl_err e = PL_ERR_INIT;
	char *url = NULL;
	long st = 0;

	if (asprintf(&url, "%s/v2/", base) < 0)
		return 0;
	q.url = url;
	pl_http_resp_init(&resp);
	if (r->t->send(r->t->ctx, &q, &resp, &e) == 0)
		st = resp.status;
	pl_http_resp_release(&resp);
	free(url);
	return st;
}

/*
 * Loopback registries, and any with --tls-verify=false, may speak plain
 * HTTP (as docker and podman allow): TLS is tried first, and plain HTTP is
 * used only when TLS got no answer but HTTP does answer as a registry --
 * so a TLS registry with an unknown CA still fails as a TLS error.
 */
static int decide_base(struct pl_registry *r, struct pl_err *err)
{
	char *https = NULL, *http = NULL;
	bool plain = false;
	long st;

	if (asprintf(&https, "https://%s", r->host) < 0 || asprintf(&http, "http://%s", r->host) < 0) {
		free(https);
		return pl_err_set(err, PL_ENOMEM, "out of memory");
	}
	if ((r->loopback || r->insecure) && probe(r, https) == 0) {
		st = probe(r, http);
		plain = st == 200 || st == 401;
	}
	r->base = plain ? http : https;
	free(plain ? https : http);
	return 0;
}

int reg_url(struct pl_registry *r, char **url, struct pl_err *err, const char *fmt, ...)
{
	struct pl_buf b;
	va_list ap;
	int rc = 0;

	*url = NULL;
	pthread_mutex_lock(&r->lock);
	if (!r->base)
		rc = decide_base(r, err);
	pthread_mutex_unlock(&r->lock);
	if (rc < 0)
		return rc;
	pl_buf_init(&b, 0);
	rc = pl_buf_adds(&b, r->base, err);
	va_start(ap, fmt);
	if (rc == 0)
		rc = pl_buf_vaddf(&b, err, fmt, ap);
	va_end(ap);
	if (rc < 0) {
		pl_buf_release(&b);
		return rc;
	}
	*url = pl_buf_detach(&b, NULL);
	return 0;
}

int reg_resolve_location(struct pl_registry *r, const char *loc, char **url, struct pl_err *err)
{
	if (strncmp(loc, "http://", 7) == 0 || strncmp(loc, "https://", 8) == 0) {
		*url = strdup(loc);
		return *url ? 0 : pl_err_set(err, PL_ENOMEM, "out of memory");
	}
	if (loc[0] != '/')
		return pl_err_set(err, PL_ENET, "registry '%s' answered an unusable Location '%.100s'",
				  r->domain, loc);
	return reg_url(r, url, err, "%s", loc);
}

/* ---- authentication ---- */

static char *b64(const void *data, size_t len)
{
	size_t n = 4 * ((len + 2) / 3) + 1;
	char *out = malloc(n);

	if (out)
		EVP_EncodeBlock((unsigned char *)out, data, (int)len);
	return out;
}

static void free_secret(char *s)
{
	if (s) {
		OPENSSL_cleanse(s, strlen(s));
		free(s);
	}
}

/* Credentials are looked up once, the first time a registry asks for them. */
static int get_cred(struct pl_registry *r, const struct pl_reg_cred **out, struct pl_err *err)
{
	int rc = 0;

	pthread_mutex_lock(&r->lock);
	if (!r->cred_looked) {
		struct pl_err e = PL_ERR_INIT;

		/* "none configured" is not an error: the registry may not ask */
		rc = pl_reg_creds_lookup(&r->creds, r->domain, &r->cred, &e);
		if (rc == PL_ENOTFOUND)
			rc = 0;
		if (rc < 0)
			*err = e;
		if (rc == 0)
			r->cred_looked = true;
	}
	pthread_mutex_unlock(&r->lock);
	*out = r->cred.secret ? &r->cred : NULL;
	return rc;
}

/* "user:pass" base64, or NULL with no credentials. */
static int basic_header(struct pl_registry *r, char **hdr, struct pl_err *err)
{
	const struct pl_reg_cred *c;
	struct pl_buf up;
	char *enc = NULL;
	int rc;

	*hdr = NULL;
	rc = get_cred(r, &c, err);
	if (rc < 0 || !c || !c->user)
		return rc;
	pl_buf_init(&up, 0);
	rc = pl_buf_addf(&up, err, "%s:%s", c->user, c->secret);
	if (rc == 0 && !(enc = b64(up.data, up.len)))
		rc = pl_err_set(err, PL_ENOMEM, "out of memory");
	if (rc == 0 && asprintf(hdr, "Authorization: Basic %s", enc) < 0)
		rc = pl_err_set(err, PL_ENOMEM, "out of memory");
	if (up.data)
		OPENSSL_cleanse(up.data, up.len);
	pl_buf_release(&up);
	free_secret(enc);
	return rc;
}

static bool unreserved(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '.' || c == '_' || c == '~';
}

int reg_add_query(struct pl_buf *b, const char *key, const char *val, struct pl_err *err)
{
	char sep = b->len == 0 ? 0 : memchr(b->data, '?', b->len) || !strstr(b->data, "://")
					     ? '&'
					     : '?';
	int rc = sep ? pl_buf_addch(b, sep, err) : 0;

	if (rc == 0)
		rc = pl_buf_addf(b, err, "%s=", key);
	for (const unsigned char *p = (const unsigned char *)val; rc == 0 && *p; p++)
		rc = unreserved(*p) ? pl_buf_addch(b, (char)*p, err)
				    : pl_buf_addf(b, err, "%%%02X", *p);
	return rc;
}

/*
 * Ask the realm for a token covering scope ("repository:a:pull,push
 * repository:b:pull": each is sent as its own scope parameter). With an
 * identity token the OAuth2 refresh_token grant is used, as docker does;
 * otherwise a GET with Basic credentials (or none: anonymous pull).
 */
static int fetch_token(struct pl_registry *r, const char *scope, char **token, int64_t *expires,
		       struct pl_err *err)
{
	struct pl_http_req q = { .body_fd = -1, .max_body = TOKEN_MAX };
	struct pl_http_resp resp;
	struct pl_buf url, form;
	const struct pl_reg_cred *c = NULL;
	char *auth = NULL, *sc = NULL, *save = NULL, *tok, *realm = NULL, *service = NULL;
	const char *hdrs[3] = { NULL, NULL, NULL };
	json_t *j = NULL;
	const char *t;
	json_int_t ttl;
	int rc;
	struct reg_try tr = { 0 };

	*token = NULL;
	pl_buf_init(&url, 0);
	pl_buf_init(&form, 0);
	pl_http_resp_init(&resp);
	/* another thread may learn a new challenge meanwhile: work on copies */
	pthread_mutex_lock(&r->lock);
	realm = r->challenge.realm ? strdup(r->challenge.realm) : NULL;
	service = r->challenge.service ? strdup(r->challenge.service) : NULL;
	pthread_mutex_unlock(&r->lock);
	if (!realm || (strncmp(realm, "https://", 8) != 0 && strncmp(realm, "http://", 7) != 0)) {
		rc = pl_err_set(err, PL_ENET, "bearer challenge without a usable realm");
		goto out;
	}
	rc = get_cred(r, &c, err);
	if (rc < 0)
		goto out;
	rc = pl_buf_adds(&url, realm, err);
	if (rc == 0 && service)
		rc = reg_add_query(&url, "service", service, err);
	if (rc < 0)
		goto out;
	if (c && c->identity_token) {
		rc = reg_add_query(&form, "grant_type", "refresh_token", err);
		if (rc == 0)
			rc = reg_add_query(&form, "client_id", "plinth", err);
		if (rc == 0 && service)
			rc = reg_add_query(&form, "service", service, err);
		if (rc == 0)
			rc = reg_add_query(&form, "refresh_token", c->secret, err);
	}
	if (rc < 0)
		goto out;
	sc = strdup(scope);
	if (!sc) {
		rc = pl_err_set(err, PL_ENOMEM, "out of memory");
		goto out;
	}
	for (char *s = strtok_r(sc, " ", &save); s && rc == 0; s = strtok_r(NULL, " ", &save))
		rc = reg_add_query(c && c->identity_token ? &form : &url, "scope", s, err);
	if (rc < 0)
		goto out;
	if (c && c->identity_token) {
		q.method = "POST";
		q.body = form.data;
		q.body_len = form.len;
		hdrs[0] = "Content-Type: application/x-www-form-urlencoded";
	} else {
		q.method = "GET";
		if (c) {
			rc = basic_header(r, &auth, err);
			if (rc < 0)
				goto out;
			hdrs[0] = auth;
		}
	}
	q.url = url.data;
	q.headers = hdrs;
	for (;;) {
		pl_http_resp_release(&resp);
		pl_http_resp_init(&resp);
		resp.body.max = TOKEN_MAX;
		rc = r->t->send(r->t->ctx, &q, &resp, err);
		if (rc == PL_ENET && reg_retry_wait(r, &tr, NULL, err->msg)) {
			pl_err_init(err);
			continue;
		}
		if (rc == 0 && retryable_status(resp.status) &&
		    reg_retry_wait(r, &tr, &resp, "token server busy"))
			continue;
		break;
	}
	if (rc < 0) {
		pl_err_wrap(err, "token server");
		goto out;
	}
	if (resp.status == 401 || resp.status == 403) {
		rc = pl_err_set(err, PL_EAUTH, "token server refused %s (HTTP %ld)",
				c ? "the credentials" : "anonymous access", resp.status);
		goto out;
	}
	if (resp.status != 200) {
		rc = reg_status_error(&resp, PL_ENET, err);
		pl_err_wrap(err, "token server");
		goto out;
	}
	rc = pl_json_load(resp.body.data, resp.body.len, "token server answer", &j, err);
	if (rc < 0)
		goto out;
	t = pl_json_str(j, "token");
	if (!t || !*t)
		t = pl_json_str(j, "access_token");
	if (!t || !*t) {
		rc = pl_err_set(err, PL_ENET, "token server answer has no token");
		goto out;
	}
	ttl = json_integer_value(json_object_get(j, "expires_in"));
	if (ttl <= 0)
		ttl = DEFAULT_TOKEN_TTL;
	tok = strdup(t);
	if (!tok) {
		rc = pl_err_set(err, PL_ENOMEM, "out of memory");
		goto out;
	}
	*token = tok;
	*expires = reg_now_ms() + ((int64_t)ttl - (ttl > 2 * TOKEN_MARGIN_S ? TOKEN_MARGIN_S : 0)) * 1000;
out:
	if (j) {
		/* the answer holds the token: wipe the parsed copy's source too */
		json_decref(j);
	}
	if (resp.body.data)
		OPENSSL_cleanse(resp.body.data, resp.body.len);
	pl_http_resp_release(&resp);
	if (form.data)
		OPENSSL_cleanse(form.data, form.len);
	pl_buf_release(&form);
	pl_buf_release(&url);
	free_secret(auth);
	free(sc);
	free(realm);
	free(service);
	return rc;
}

/* The cached token for scope, or a new one; the copy is the caller's. */
static int bearer_header(struct pl_registry *r, const char *scope, bool renew, char **hdr,
			 struct pl_err *err)
{
	char *tok = NULL;
	int64_t exp = 0, now = reg_now_ms();
	struct reg_token *slot = NULL;
	int rc = 0;

	*hdr = NULL;
	pthread_mutex_lock(&r->lock);
	for (size_t i = 0; i < r->n_tokens; i++) {
		if (strcmp(r->tokens[i].scope, scope) == 0) {
			slot = &r->tokens[i];
			break;
		}
	}
	if (slot && !renew && slot->token && slot->expires > now &&
	    asprintf(hdr, "Authorization: Bearer %s", slot->token) < 0)
		rc = pl_err_set(err, PL_ENOMEM, "out of memory");
	pthread_mutex_unlock(&r->lock);
	if (rc < 0 || *hdr)
		return rc;
	rc = fetch_token(r, scope, &tok, &exp, err);
	if (rc < 0)
		return rc;
	if (asprintf(hdr, "Authorization: Bearer %s", tok) < 0) {
		free_secret(tok);
		return pl_err_set(err, PL_ENOMEM, "out of memory");
	}
	pthread_mutex_lock(&r->lock);
	slot = NULL;
	for (size_t i = 0; i < r->n_tokens; i++)
		if (strcmp(r->tokens[i].scope, scope) == 0)
			slot = &r->tokens[i];
	if (!slot) {
		struct reg_token *v = realloc(r->tokens, (r->n_tokens + 1) * sizeof(*v));
		char *s = strdup(scope);
		if (v && s) {
			r->tokens = v;
			slot = &v[r->n_tokens++];
			memset(slot, 0, sizeof(*slot));
			slot->scope = s;
		} else {
			if (v)
				r->tokens = v;
			free(s);
		}
	}
	if (slot) {
		free_secret(slot->token);
		slot->token = tok;
		slot->expires = exp;
		tok = NULL;
	}
	pthread_mutex_unlock(&r->lock);
	free_secret(tok);
	return 0;
}

/* Learn the scheme the registry wants from its 401 answer. */
static int learn_challenge(struct pl_registry *r, const struct pl_http_resp *resp,
			   struct pl_err *err)
{
	const char *h = pl_http_resp_header(resp, "WWW-Authenticate");
	struct pl_reg_challenge c = { 0 };
	struct pl_err e = PL_ERR_INIT;
	int rc;

	if (!h)
		return pl_err_set(err, PL_EAUTH, "HTTP 401 without a WWW-Authenticate challenge");
	rc = pl_reg_challenge_parse(h, &c, &e);
	if (rc < 0) {
		pl_reg_challenge_release(&c);
		if (rc == PL_ENOTFOUND)
			return pl_err_set(err, PL_EAUTH,
					  "no supported authentication scheme in '%.200s'", h);
		*err = e;
		return rc;
	}
	pthread_mutex_lock(&r->lock);
	pl_reg_challenge_release(&r->challenge);
	r->challenge = c;
	r->auth = strcasecmp(c.scheme, "bearer") == 0 ? REG_AUTH_BEARER : REG_AUTH_BASIC;
	pthread_mutex_unlock(&r->lock);
	return 0;
}

static int auth_header(struct pl_registry *r, const char *scope, bool renew, char **hdr,
		       struct pl_err *err)
{
	enum reg_auth a;

	pthread_mutex_lock(&r->lock);
	a = r->auth;
	pthread_mutex_unlock(&r->lock);
	*hdr = NULL;
	if (a == REG_AUTH_BASIC)
		return basic_header(r, hdr, err);
	if (a == REG_AUTH_BEARER)
		return bearer_header(r, scope, renew, hdr, err);
	return 0;
}

static int auth_refused(struct pl_registry *r, struct pl_err *err)
{
	const struct pl_reg_cred *c = NULL;
	struct pl_err e = PL_ERR_INIT;

	get_cred(r, &c, &e);
	if (c)
		return pl_err_set(err, PL_EAUTH, "credentials from %s were refused", c->origin);
	return pl_err_set(err, PL_EAUTH, "authentication required: run 'plinth login %s' or "
					 "pass --creds USER:PASS",
			  r->domain);
}

/*
 * Send q with authentication and retries. scope is the token scope for
 * bearer registries. Connection errors and 408/429/5xx are retried unless
 * q streams to a sink (the caller resumes those itself); a 401 learns the
 * challenge or renews the token once. Without retry, connection errors and
 * busy answers go back to the caller (whose request can not simply be sent
 * again). resp holds the final answer.
 */
int reg_send(struct pl_registry *r, const char *scope, struct pl_http_req *q,
	     struct pl_http_resp *resp, bool retry, struct pl_err *err)
{
	const char *hdrs[REG_MAX_HEADERS + 2];
	const char *const *given = q->headers;
	struct reg_try tr = { 0 };
	char *auth = NULL;
	size_t n = 0;
	bool renewed = false;
	int rc, auth_tries = 0;

	for (const char *const *p = q->headers; p && *p; p++) {
		assert(n < REG_MAX_HEADERS);
		hdrs[n++] = *p;
	}
	for (;;) {
		free_secret(auth);
		auth = NULL;
		rc = auth_header(r, scope, renewed, &auth, err);
		renewed = false; /* a new token only for the attempt right after a 401 */
		if (rc < 0)
			break;
		hdrs[n] = auth;
		hdrs[n + 1] = NULL;
		q->headers = hdrs;
		pl_http_resp_release(resp);
		pl_http_resp_init(resp);
		rc = r->t->send(r->t->ctx, q, resp, err);
		if (rc == PL_ENET && retry && !q->sink && reg_retry_wait(r, &tr, NULL, err->msg)) {
			pl_err_init(err);
			continue;
		}
		if (rc < 0)
			break;
		if (resp->status == 401 && auth_tries < 2) {
			auth_tries++;
			rc = learn_challenge(r, resp, err);
			if (rc < 0)
				break;
			renewed = true;
			continue;
		}
		if (resp->status == 401) {
			rc = auth_refused(r, err);
			break;
		}
		if (retryable_status(resp->status) && retry && !q->sink) {
			char why[64];
			snprintf(why, sizeof(why), "HTTP %ld", resp->status);
			if (reg_retry_wait(r, &tr, resp, why))
				continue;
		}
		break;
	}
	q->headers = given;
	free_secret(auth);
	return rc;
}

int reg_find_client_pair(struct pl_registry *r, const char *dir, struct pl_err *err)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int rc = 0;

	if (!d)
		return pl_err_set(err, PL_EIO, "cert dir '%s': %s", dir, strerror(errno));
	while ((e = readdir(d))) {
		size_t n = strlen(e->d_name);
		struct stat st;
		if (n <= 5 || strcmp(e->d_name + n - 5, ".cert") != 0)
			continue;
		if (asprintf(&r->client_cert, "%s/%s", dir, e->d_name) < 0 ||
		    asprintf(&r->client_key, "%s/%.*s.key", dir, (int)(n - 5), e->d_name) < 0) {
			rc = pl_err_set(err, PL_ENOMEM, "out of memory");
			break;
		}
		if (stat(r->client_key, &st) != 0) {
			rc = pl_err_set(err, PL_ENOTFOUND, "cert dir '%s': '%s' has no key '%s'", dir,
					e->d_name, r->client_key);
			break;
		}
		r->tls.client_cert = r->client_cert;
		r->tls.client_key = r->client_key;
		break;
	}
	closedir(d);
	return rc;
}
