#include "fetch.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include "util/buf.h"
#include "util/fsutil.h"
#include "util/log.h"

#ifndef PL_VERSION
#define PL_VERSION "0.1.0"
#endif

#define DEFAULT_PARALLEL 4
#define DEFAULT_RETRIES 4
#define DEFAULT_BACKOFF_MS 500
#define DEFAULT_TIMEOUT_S 60
#define CONNECT_TIMEOUT_S 30
#define MAX_REDIRECTS 5
#define MAX_DELAY_MS 60000L	  /* cap of one backoff delay and of Retry-After */
#define CA_BUNDLE_MAX (64u << 20) /* system bundle plus the extra cacert */
#define SYSTEM_CA_BUNDLE "/etc/ssl/certs/ca-certificates.crt"

struct pl_fetch {
	struct pl_cas *cache;
	CURLM *multi;
	int parallel, retries;
	long backoff_ms, timeout_s;
	bool offline;
	char *user_agent;
	struct pl_buf ca; /* system CAs + o->cacert as one PEM blob, empty without cacert */
	uint64_t downloads, bytes;
	uint64_t rng;
};

enum job_state { JOB_READY, JOB_RUNNING, JOB_WAIT, JOB_DONE };

/* One URL to download, over as many attempts as the retry rules allow. */
struct job {
	struct pl_fetch *f;
	const char *url, *what, *sha256;
	int64_t size;
	char *safe_url;	    /* url without user:pass@, for messages */
	const char *secret; /* user:pass part of url (borrowed), or NULL */
	size_t secret_len;
	enum job_state state;
	int attempts, verify_fails;
	int64_t ready_ms;
	CURL *easy;
	struct pl_cas_writer *w; /* sink: the cache ... */
	struct pl_buf *mem;	 /* ... or memory */
	uint64_t got;
	int abort_code; /* set when the write callback stopped the transfer */
	struct pl_err werr;
	char status[96]; /* last HTTP status line, "503 Service Unavailable" */
	char errbuf[CURL_ERROR_SIZE];
	/* results */
	int rc;
	struct pl_err err;
	char digest[PL_DIGEST_SIZE];
	uint64_t out_size;
	bool from_cache;
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* xorshift64: jitter only, no need for quality. */
static uint64_t next_rand(struct pl_fetch *f)
{
	uint64_t x = f->rng;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	f->rng = x;
	return x;
}

/*
 * The user:pass@ part of a URL's authority: where it starts and how long it
 * is including the '@'. Length 0 when there is none.
 */
static size_t userinfo_span(const char *url, size_t *start)
{
	const char *p = strstr(url, "://"), *host, *at = NULL;
	size_t i;

	*start = 0;
	if (!p)
		return 0;
	host = p + 3;
	for (i = 0; host[i] && host[i] != '/' && host[i] != '?' && host[i] != '#'; i++)
		if (host[i] == '@')
			at = host + i;
	if (!at)
		return 0;
	*start = (size_t)(host - url);
	return (size_t)(at - host) + 1;
}

/* A copy of url fit for messages and logs: credentials removed. */
static char *redact_url(const char *url)
{
	size_t start, n = userinfo_span(url, &start), len = strlen(url);
	char *out = malloc(len + 1);

	if (!out)
		return NULL;
	memcpy(out, url, start);
	memcpy(out + start, url + start + n, len - start - n + 1);
	return out;
}

static bool is_file_url(const char *url)
{
	return strncasecmp(url, "file:", 5) == 0;
}

static const char *plural(int n)
{
	return n == 1 ? "" : "s";
}

static int read_into(const char *path, struct pl_buf *b, struct pl_err *err)
{
	int rc = pl_read_file(path, CA_BUNDLE_MAX, b, err);

	if (rc == 0 && b->len && b->data[b->len - 1] != '\n')
		rc = pl_buf_addch(b, '\n', err);
	return rc;
}

/*
 * CURLOPT_CAINFO would replace the system CAs; the extra bundle is meant to
 * add to them, so both go into one in-memory PEM blob.
 */
static int load_ca(struct pl_fetch *f, const char *cacert, struct pl_err *err)
{
	const char *sys = SYSTEM_CA_BUNDLE;
	char *def = NULL;
	CURL *h = curl_easy_init();
	struct stat st;
	int rc;

	if (h && curl_easy_getinfo(h, CURLINFO_CAINFO, &def) == CURLE_OK && def && *def)
		sys = def;
	pl_buf_init(&f->ca, CA_BUNDLE_MAX);
	rc = 0;
	if (stat(sys, &st) == 0)
		rc = read_into(sys, &f->ca, err);
	if (rc == 0)
		rc = read_into(cacert, &f->ca, err);
	if (rc < 0)
		pl_err_wrap(err, "CA bundle");
	if (h)
		curl_easy_cleanup(h);
	return rc;
}

int pl_fetch_new(struct pl_fetch **out, struct pl_cas *cache, const struct pl_fetch_opts *o,
		 struct pl_err *err)
{
	static const struct pl_fetch_opts defaults;
	struct pl_fetch *f;
	int rc;

	*out = NULL;
	if (!o)
		o = &defaults;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return pl_err_set(err, PL_ENET, "initialise libcurl");
	f = calloc(1, sizeof(*f));
	if (!f) {
		curl_global_cleanup();
		return pl_err_set(err, PL_ENOMEM, "out of memory");
	}
	f->cache = cache;
	f->parallel = o->parallel > 0 ? o->parallel : DEFAULT_PARALLEL;
	f->retries = o->retries < 0 ? 0 : o->retries == 0 ? DEFAULT_RETRIES : o->retries;
	f->backoff_ms = o->backoff_ms > 0 ? o->backoff_ms : DEFAULT_BACKOFF_MS;
	f->timeout_s = o->timeout_s > 0 ? o->timeout_s : DEFAULT_TIMEOUT_S;
	f->offline = o->offline;
	f->rng = (uint64_t)now_ms() * 2654435761u + (uintptr_t)f;
	if (!f->rng)
		f->rng = 1;
	pl_buf_init(&f->ca, CA_BUNDLE_MAX);
	if (o->user_agent)
		f->user_agent = strdup(o->user_agent);
	else if (asprintf(&f->user_agent, "plinth/%s", PL_VERSION) < 0)
		f->user_agent = NULL;
	f->multi = curl_multi_init();
	if (!f->user_agent || !f->multi) {
		rc = pl_err_set(err, PL_ENOMEM, "out of memory");
		goto out;
	}
	curl_multi_setopt(f->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long)f->parallel);
	rc = 0;
	if (o->cacert)
		rc = load_ca(f, o->cacert, err);
out:
	if (rc < 0) {
		pl_fetch_free(f);
		f = NULL;
	}
	*out = f;
	return rc;
}

void pl_fetch_free(struct pl_fetch *f)
{
	if (!f)
		return;
	if (f->multi)
		curl_multi_cleanup(f->multi);
	free(f->user_agent);
	pl_buf_release(&f->ca);
	free(f);
	curl_global_cleanup();
}

void pl_fetch_stats(const struct pl_fetch *f, uint64_t *downloads, uint64_t *bytes)
{
	if (downloads)
		*downloads = f->downloads;
	if (bytes)
		*bytes = f->bytes;
}

/* "what (url)" or "url". */
static void job_name(const struct job *j, char *out, size_t n)
{
	if (j->what)
		snprintf(out, n, "%s (%s)", j->what, j->safe_url);
	else
		snprintf(out, n, "%s", j->safe_url);
}

static int job_init(struct job *j, struct pl_fetch *f, const char *url, const char *what,
		    const char *sha256, int64_t size, struct pl_err *err)
{
	size_t start, n;

	memset(j, 0, sizeof(*j));
	j->f = f;
	j->url = url;
	j->what = what;
	j->sha256 = sha256;
	j->size = size;
	j->state = JOB_READY;
	pl_err_init(&j->err);
	j->safe_url = redact_url(url);
	if (!j->safe_url)
		return pl_err_set(err, PL_ENOMEM, "out of memory");
	n = userinfo_span(url, &start);
	if (n > 1) {
		j->secret = url + start;
		j->secret_len = n - 1;
	}
	return 0;
}

static void job_release(struct job *j)
{
	if (j->easy) {
		curl_multi_remove_handle(j->f->multi, j->easy);
		curl_easy_cleanup(j->easy);
		j->easy = NULL;
	}
	pl_cas_writer_abort(j->w);
	j->w = NULL;
	free(j->safe_url);
	j->safe_url = NULL;
}

/* Finish a job with an error "fetch NAME: <reason> (N attempts)". */
static void job_fail(struct job *j, int code, const char *reason)
{
	char name[1024];

	job_name(j, name, sizeof(name));
	if (j->attempts > 0)
		pl_err_set(&j->err, code, "fetch %s: %s (%d attempt%s)", name, reason, j->attempts,
			   plural(j->attempts));
	else
		pl_err_set(&j->err, code, "fetch %s: %s", name, reason);
	j->rc = code;
	j->state = JOB_DONE;
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *ud)
{
	struct job *j = ud;
	size_t n = size * nmemb, len = n;
	const char *sp;

	if (n > 5 && memcmp(data, "HTTP/", 5) == 0) {
		while (len && (data[len - 1] == '\r' || data[len - 1] == '\n'))
			len--;
		sp = memchr(data, ' ', len);
		if (sp) {
			len -= (size_t)(sp + 1 - data);
			if (len >= sizeof(j->status))
				len = sizeof(j->status) - 1;
			memcpy(j->status, sp + 1, len);
			j->status[len] = '\0';
		}
	}
	return n;
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *ud)
{
	struct job *j = ud;
	size_t n = size * nmemb;
	long code = 0;
	int rc;

	curl_easy_getinfo(j->easy, CURLINFO_RESPONSE_CODE, &code);
	/* The body of an error response is a web page, not the file. */
	if (code != 0 && (code < 200 || code > 299))
		return n;
	j->f->bytes += n;
	if (j->size >= 0 && j->got + n > (uint64_t)j->size) {
		pl_err_set(&j->werr, PL_EVERIFY, "more than the expected %lld bytes",
			   (long long)j->size);
		j->abort_code = PL_EVERIFY;
		return 0;
	}
	if (j->mem)
		rc = pl_buf_add(j->mem, data, n, &j->werr);
	else
		rc = pl_cas_writer_write(j->w, data, n, &j->werr);
	if (rc < 0) {
		j->abort_code = rc;
		return 0;
	}
	j->got += n;
	return n;
}

#define SETOPT(opt, val)                                                                           \
	do {                                                                                       \
		if (curl_easy_setopt(h, opt, val) != CURLE_OK)                                     \
			goto fail;                                                                 \
	} while (0)

static int job_start(struct job *j, struct pl_err *err)
{
	struct pl_fetch *f = j->f;
	CURL *h = NULL;
	int rc;

	j->got = 0;
	j->abort_code = 0;
	pl_err_init(&j->werr);
	j->status[0] = '\0';
	j->errbuf[0] = '\0';
	if (j->mem) {
		pl_buf_reset(j->mem);
	} else {
		rc = pl_cas_writer_new(f->cache, &j->w, err);
		if (rc < 0)
			return rc;
	}
	h = curl_easy_init();
	if (!h)
		goto fail;
	SETOPT(CURLOPT_URL, j->url);
	SETOPT(CURLOPT_PROTOCOLS_STR, "http,https,file");
	SETOPT(CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	SETOPT(CURLOPT_FOLLOWLOCATION, 1L);
	SETOPT(CURLOPT_MAXREDIRS, (long)MAX_REDIRECTS);
	SETOPT(CURLOPT_NOSIGNAL, 1L);
	SETOPT(CURLOPT_USERAGENT, f->user_agent);
	SETOPT(CURLOPT_CONNECTTIMEOUT, (long)CONNECT_TIMEOUT_S);
	SETOPT(CURLOPT_LOW_SPEED_LIMIT, 1L);
	SETOPT(CURLOPT_LOW_SPEED_TIME, f->timeout_s);
	SETOPT(CURLOPT_ERRORBUFFER, j->errbuf);
	SETOPT(CURLOPT_WRITEFUNCTION, on_body);
	SETOPT(CURLOPT_WRITEDATA, j);
	SETOPT(CURLOPT_HEADERFUNCTION, on_header);
	SETOPT(CURLOPT_HEADERDATA, j);
	SETOPT(CURLOPT_PRIVATE, j);
	if (f->ca.len) {
		struct curl_blob blob = {f->ca.data, f->ca.len, CURL_BLOB_NOCOPY};

		SETOPT(CURLOPT_CAINFO_BLOB, &blob);
	}
	if (curl_multi_add_handle(f->multi, h) != CURLM_OK)
		goto fail;
	j->easy = h;
	j->attempts++;
	j->state = JOB_RUNNING;
	return 0;
fail:
	if (h)
		curl_easy_cleanup(h);
	pl_cas_writer_abort(j->w);
	j->w = NULL;
	return pl_err_set(err, PL_ENOMEM, "set up a transfer for '%s'", j->safe_url);
}

#undef SETOPT

static bool curl_retryable(CURLcode c)
{
	switch (c) {
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_PARTIAL_FILE:
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
	case CURLE_SSL_CONNECT_ERROR:
		return true;
	default:
		return false;
	}
}

static int curl_code(CURLcode c)
{
	switch (c) {
	case CURLE_FILE_COULDNT_READ_FILE:
		return PL_ENOTFOUND;
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
		return PL_EINVAL;
	default:
		return PL_ENET;
	}
}

/*
 * Schedule another attempt, or fail when the retries are used up. delay_ms
 * is at least the exponential backoff (Retry-After may ask for more).
 */
static void job_retry(struct job *j, int code, const char *reason, long min_delay_ms)
{
	struct pl_fetch *f = j->f;
	int64_t delay;
	char name[1024];

	if (j->attempts > f->retries) {
		job_fail(j, code, reason);
		return;
	}
	delay = f->backoff_ms;
	for (int i = 1; i < j->attempts && delay < MAX_DELAY_MS; i++)
		delay *= 2;
	if (delay > MAX_DELAY_MS)
		delay = MAX_DELAY_MS;
	delay += (int64_t)(next_rand(f) % (uint64_t)(delay / 8 + 1)); /* jitter up to 1/8 */
	if (min_delay_ms > delay)
		delay = min_delay_ms > MAX_DELAY_MS ? MAX_DELAY_MS : min_delay_ms;
	job_name(j, name, sizeof(name));
	pl_log_info("fetch %s: %s, retrying in %lld ms (attempt %d of %d)", name, reason,
		    (long long)delay, j->attempts + 1, f->retries + 1);
	j->ready_ms = now_ms() + delay;
	j->state = JOB_WAIT;
}

/* The transfer's bytes are all here: check them and commit them. */
static void job_complete(struct job *j)
{
	struct pl_fetch *f = j->f;
	struct pl_err e = PL_ERR_INIT;
	char reason[PL_ERR_MSG_MAX + 64];
	char name[1024];
	int rc = 0;

	if (j->mem) {
		j->out_size = j->got;
		goto done;
	}
	if (j->size >= 0 && j->got != (uint64_t)j->size) {
		pl_cas_writer_abort(j->w);
		j->w = NULL;
		snprintf(reason, sizeof(reason), "got %llu bytes, expected %lld",
			 (unsigned long long)j->got, (long long)j->size);
		rc = PL_EVERIFY;
	} else {
		rc = pl_cas_writer_commit(j->w, j->sha256, j->digest, &j->out_size, &e);
		j->w = NULL;
		snprintf(reason, sizeof(reason), "%s", e.msg);
	}
	if (rc == PL_EVERIFY) {
		/* Retried once: a mirror in the middle of a sync serves old bytes. */
		if (j->verify_fails++ == 0)
			job_retry(j, PL_EVERIFY, reason, 0);
		else
			job_fail(j, PL_EVERIFY, reason);
		return;
	}
	if (rc < 0) {
		job_fail(j, rc, reason);
		return;
	}
done:
	f->downloads++;
	job_name(j, name, sizeof(name));
	pl_log_info("fetched %s: %llu bytes", name, (unsigned long long)j->out_size);
	j->rc = 0;
	j->state = JOB_DONE;
}

/* curl says the attempt is over: classify the outcome. */
static void job_finish(struct job *j, CURLcode result)
{
	char reason[PL_ERR_MSG_MAX + 64];
	curl_off_t retry_after = -1;
	long code = 0;

	curl_easy_getinfo(j->easy, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_getinfo(j->easy, CURLINFO_RETRY_AFTER, &retry_after);
	curl_multi_remove_handle(j->f->multi, j->easy);
	curl_easy_cleanup(j->easy);
	j->easy = NULL;

	if (j->abort_code || result != CURLE_OK || (code != 0 && code / 100 != 2)) {
		pl_cas_writer_abort(j->w);
		j->w = NULL;
	}
	if (j->abort_code == PL_EVERIFY) {
		snprintf(reason, sizeof(reason), "%s", j->werr.msg);
		if (j->verify_fails++ == 0)
			job_retry(j, PL_EVERIFY, reason, 0);
		else
			job_fail(j, PL_EVERIFY, reason);
		return;
	}
	if (j->abort_code) {
		job_fail(j, j->abort_code, j->werr.msg);
		return;
	}
	if (result != CURLE_OK) {
		const char *msg = j->errbuf[0] ? j->errbuf : curl_easy_strerror(result);

		/* curl's message may quote the URL; never let credentials through. */
		if (j->secret && memmem(msg, strlen(msg), j->secret, j->secret_len))
			msg = curl_easy_strerror(result);
		snprintf(reason, sizeof(reason), "%s", msg);
		if (curl_retryable(result))
			job_retry(j, PL_ENET, reason, 0);
		else
			job_fail(j, curl_code(result), reason);
		return;
	}
	if (code != 0 && code / 100 != 2) {
		if (j->status[0] && strtol(j->status, NULL, 10) == code)
			snprintf(reason, sizeof(reason), "HTTP %s", j->status);
		else
			snprintf(reason, sizeof(reason), "HTTP %ld", code);
		if (code == 429 || code == 408 || code / 100 == 5) {
			long wait_ms = 0;

			/* Retry-After is honoured up to the cap on any one delay. */
			if (retry_after > 0)
				wait_ms = retry_after > MAX_DELAY_MS / 1000
					      ? MAX_DELAY_MS
					      : (long)retry_after * 1000;
			job_retry(j, PL_ENET, reason, wait_ms);
		} else
			job_fail(j, code == 404 || code == 410 ? PL_ENOTFOUND : PL_ENET, reason);
		return;
	}
	job_complete(j);
}

/* Start an attempt; when even that fails (no temporary file), the job fails. */
static bool start_or_fail(struct job *j, struct pl_progress *prog, size_t *left)
{
	struct pl_err e = PL_ERR_INIT;
	int rc = job_start(j, &e);

	if (rc == 0)
		return true;
	job_fail(j, rc, e.msg);
	(*left)--;
	if (prog)
		pl_progress_add(prog, 1);
	return false;
}

/* Run jobs to completion, at most f->parallel at once. */
static int run_jobs(struct pl_fetch *f, struct job *jobs, size_t n, struct pl_progress *prog,
		    struct pl_err *err)
{
	size_t next = 0, left = 0, waiting = 0, running = 0;
	int rc = 0;

	for (size_t i = 0; i < n; i++)
		if (jobs[i].state != JOB_DONE)
			left++;
	while (left > 0) {
		int64_t now = now_ms(), wake = now + 1000;
		struct CURLMsg *msg;
		int still, queued;

		/* Retries whose delay is over go first, then new jobs in order. */
		for (size_t i = 0; waiting && i < n && running < (size_t)f->parallel; i++) {
			struct job *j = &jobs[i];

			if (j->state != JOB_WAIT)
				continue;
			if (j->ready_ms > now) {
				if (j->ready_ms < wake)
					wake = j->ready_ms;
				continue;
			}
			waiting--;
			if (start_or_fail(j, prog, &left))
				running++;
		}
		while (next < n && running < (size_t)f->parallel) {
			struct job *j = &jobs[next++];

			if (j->state != JOB_READY)
				continue;
			if (start_or_fail(j, prog, &left))
				running++;
		}
		if (curl_multi_perform(f->multi, &still) != CURLM_OK) {
			rc = pl_err_set(err, PL_ENET, "curl multi transfer failed");
			goto out;
		}
		while ((msg = curl_multi_info_read(f->multi, &queued)) != NULL) {
			struct job *j;
			char *priv = NULL;

			if (msg->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &priv);
			j = (struct job *)(void *)priv;
			running--;
			job_finish(j, msg->data.result);
			if (j->state == JOB_WAIT) {
				waiting++;
				if (j->ready_ms < wake)
					wake = j->ready_ms;
			} else if (j->state == JOB_DONE) {
				left--;
				if (prog)
					pl_progress_add(prog, 1);
			}
		}
		if (left == 0)
			break;
		/* A retry may be due before anything else happens. */
		for (size_t i = 0; waiting && i < n; i++)
			if (jobs[i].state == JOB_WAIT && jobs[i].ready_ms < wake)
				wake = jobs[i].ready_ms;
		now = now_ms();
		if (running > 0 || wake > now) {
			int ms = wake > now ? (int)(wake - now) : 0;

			if (curl_multi_poll(f->multi, NULL, 0, ms, NULL) != CURLM_OK) {
				rc = pl_err_set(err, PL_ENET, "curl multi poll failed");
				goto out;
			}
		}
	}
out:
	/* On a setup failure, running transfers are dropped by job_release. */
	return rc;
}

static int cmp_digest(const void *a, const void *b, void *ctx)
{
	const struct pl_fetch_item *items = ctx;
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	int c = strcmp(items[x].sha256, items[y].sha256);

	if (c)
		return c;
	return x < y ? -1 : x > y;
}

/* A cached blob: check its size against what the item expects. */
static void job_from_cache(struct job *j, struct pl_cas *cache)
{
	struct pl_err e = PL_ERR_INIT;
	uint64_t size = 0;
	char reason[PL_ERR_MSG_MAX + 64];
	int rc;

	rc = pl_cas_size(cache, j->sha256, &size, &e);
	if (rc < 0) {
		job_fail(j, rc, e.msg);
		return;
	}
	if (j->size >= 0 && size != (uint64_t)j->size) {
		snprintf(reason, sizeof(reason), "cached blob %s has %llu bytes, expected %lld",
			 j->sha256, (unsigned long long)size, (long long)j->size);
		job_fail(j, PL_EVERIFY, reason);
		return;
	}
	memcpy(j->digest, j->sha256, PL_DIGEST_SIZE);
	j->out_size = size;
	j->from_cache = true;
	j->rc = 0;
	j->state = JOB_DONE;
}

int pl_fetch_batch(struct pl_fetch *f, struct pl_fetch_item *items, size_t n, struct pl_err *err)
{
	struct job *jobs = NULL;
	size_t *order = NULL, *job_of = NULL, todo = 0, nfail = 0, first = SIZE_MAX;
	struct pl_progress prog;
	bool prog_on = false;
	int rc = 0;

	for (size_t i = 0; i < n; i++) {
		items[i].digest[0] = '\0';
		items[i].got_size = 0;
		items[i].from_cache = false;
		items[i].rc = 0;
		if (!items[i].url)
			return pl_err_set(err, PL_EINVAL, "fetch item %zu has no URL", i);
		if (items[i].sha256 && pl_digest_check(items[i].sha256, err) < 0)
			return pl_err_wrap(err, "fetch %s", items[i].what ? items[i].what : "item");
	}
	if (n == 0)
		return 0;
	jobs = calloc(n, sizeof(*jobs));
	order = calloc(n, sizeof(*order));
	job_of = calloc(n, sizeof(*job_of));
	if (!jobs || !order || !job_of) {
		rc = pl_err_set(err, PL_ENOMEM, "out of memory");
		goto out;
	}

	/* Items sharing a digest are one job, run for the first of them. */
	size_t nd = 0, njobs = 0;

	for (size_t i = 0; i < n; i++) {
		job_of[i] = SIZE_MAX;
		if (items[i].sha256)
			order[nd++] = i;
	}
	qsort_r(order, nd, sizeof(*order), cmp_digest, items);
	for (size_t k = 1; k < nd; k++)
		if (!strcmp(items[order[k]].sha256, items[order[k - 1]].sha256))
			job_of[order[k]] =
			    order[k - 1]; /* points at an earlier item, resolved below */
	for (size_t i = 0; i < n; i++) {
		struct pl_fetch_item *it = &items[i];
		struct job *j;

		if (job_of[i] != SIZE_MAX) {
			job_of[i] = job_of[job_of[i]];
			continue;
		}
		j = &jobs[njobs];
		rc = job_init(j, f, it->url, it->what, it->sha256, it->size, err);
		if (rc < 0)
			goto out;
		job_of[i] = njobs++;
		if (it->sha256 && pl_cas_has(f->cache, it->sha256)) {
			job_from_cache(j, f->cache);
		} else if (f->offline && !is_file_url(it->url)) {
			char name[1024];

			job_name(j, name, sizeof(name));
			pl_err_set(&j->err, PL_ENOTFOUND, "offline: %s is not in the cache", name);
			j->rc = PL_ENOTFOUND;
			j->state = JOB_DONE;
		} else {
			todo++;
		}
	}

	if (todo) {
		pl_progress_start(&prog, "fetching", todo);
		prog_on = true;
	}
	rc = run_jobs(f, jobs, njobs, prog_on ? &prog : NULL, err);
	if (rc < 0) {
		/* curl itself broke down: whatever did not finish failed with it */
		for (size_t i = 0; i < n; i++)
			items[i].rc = jobs[job_of[i]].state == JOB_DONE ? jobs[job_of[i]].rc : rc;
		goto out;
	}

	for (size_t i = 0; i < n; i++) {
		struct job *j = &jobs[job_of[i]];

		items[i].rc = j->rc;
		if (j->rc == 0) {
			memcpy(items[i].digest, j->digest, PL_DIGEST_SIZE);
			items[i].got_size = j->out_size;
			items[i].from_cache = j->from_cache;
		} else {
			if (first == SIZE_MAX)
				first = i;
			nfail++;
		}
	}
	if (first != SIZE_MAX) {
		struct job *j = &jobs[job_of[first]];

		if (nfail > 1)
			rc = pl_err_set(err, j->rc, "%s (and %zu more item%s failed)", j->err.msg,
					nfail - 1, nfail == 2 ? "" : "s");
		else
			rc = pl_err_set(err, j->rc, "%s", j->err.msg);
	}
out:
	if (prog_on)
		pl_progress_end(&prog);
	if (jobs)
		for (size_t i = 0; i < n; i++)
			job_release(&jobs[i]);
	free(jobs);
	free(order);
	free(job_of);
	return rc;
}

int pl_fetch_get(struct pl_fetch *f, const char *url, size_t max, char **data, size_t *len,
		 struct pl_err *err)
{
	struct pl_buf mem;
	struct job j;
	int rc;

	*data = NULL;
	if (len)
		*len = 0;
	pl_buf_init(&mem, max);
	rc = job_init(&j, f, url, NULL, NULL, -1, err);
	if (rc < 0)
		goto out;
	j.mem = &mem;
	if (f->offline && !is_file_url(url)) {
		rc = pl_err_set(err, PL_ENOTFOUND, "offline: cannot download %s", j.safe_url);
		goto out;
	}
	rc = run_jobs(f, &j, 1, NULL, err);
	if (rc < 0)
		goto out;
	if (j.rc < 0) {
		rc = pl_err_set(err, j.rc, "%s", j.err.msg);
		goto out;
	}
	*data = pl_buf_detach(&mem, len);
	if (!*data)
		rc = pl_err_set(err, PL_ENOMEM, "out of memory");
out:
	job_release(&j);
	pl_buf_release(&mem);
	return rc;
}

/* <cache root>/urls/<sha256 of the credential-free URL>: the digest last fetched from it. */
static int url_index_path(struct pl_fetch *f, const char *safe_url, char **path, struct pl_err *err)
{
	char d[PL_DIGEST_SIZE];
	int rc;

	rc = pl_sha256_buf(safe_url, strlen(safe_url), d, err);
	if (rc < 0)
		return rc;
	if (asprintf(path, "%s/urls/%s", pl_cas_root(f->cache), pl_digest_hex(d)) < 0) {
		*path = NULL;
		return pl_err_set(err, PL_ENOMEM, "out of memory");
	}
	return 0;
}

int pl_fetch_get_cached(struct pl_fetch *f, const char *url, size_t max, char **data, size_t *len,
			struct pl_err *err)
{
	struct pl_buf idx = PL_BUF_INIT;
	char *safe = NULL, *path = NULL, *dir = NULL;
	char digest[PL_DIGEST_SIZE];
	size_t got = 0;
	int rc;

	*data = NULL;
	if (len)
		*len = 0;
	safe = redact_url(url);
	if (!safe)
		return pl_err_set(err, PL_ENOMEM, "out of memory");
	rc = url_index_path(f, safe, &path, err);
	if (rc < 0)
		goto out;
	if (f->offline && !is_file_url(url)) {
		rc = pl_read_file(path, PL_DIGEST_SIZE + 2, &idx, NULL);
		while (rc == 0 && idx.len && (idx.data[idx.len - 1] == '\n'))
			idx.data[--idx.len] = '\0';
		if (rc < 0 || pl_digest_check(idx.data, NULL) < 0 ||
		    !pl_cas_has(f->cache, idx.data)) {
			rc = pl_err_set(err, PL_ENOTFOUND, "offline: %s is not in the cache", safe);
			goto out;
		}
		rc = pl_cas_read(f->cache, idx.data, max, data, &got, err);
		if (rc < 0) {
			pl_err_wrap(err, "cached copy of %s", safe);
			goto out;
		}
		if (len)
			*len = got;
		goto out;
	}
	rc = pl_fetch_get(f, url, max, data, &got, err);
	if (rc < 0)
		goto out;
	if (len)
		*len = got;
	rc = pl_cas_put_buf(f->cache, *data, got, NULL, digest, err);
	if (rc == 0 && asprintf(&dir, "%s/urls", pl_cas_root(f->cache)) < 0) {
		dir = NULL;
		rc = pl_err_set(err, PL_ENOMEM, "out of memory");
	}
	if (rc == 0)
		rc = pl_mkdir_p(dir, 0755, err);
	if (rc == 0) {
		digest[PL_DIGEST_SIZE - 1] = '\0';
		rc = pl_write_file_atomic(path, digest, strlen(digest), 0644, err);
	}
	if (rc < 0) {
		pl_err_wrap(err, "cache %s", safe);
		free(*data);
		*data = NULL;
		if (len)
			*len = 0;
	}
out:
	pl_buf_release(&idx);
	free(safe);
	free(path);
	free(dir);
	return rc;
}
