#include <curl/curl.h>
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "lib/cas.h"
#include "lib/fetch.h"
#include "util/buf.h"
#include "util/digest.h"
#include "util/fsutil.h"
#include "testutil.h"

/*
 * The tests talk to tests/unit/fetch_server.py, started once for the whole
 * binary on 127.0.0.1 (a free port) and killed by its pid at the end. Without
 * python3 every test is skipped.
 */

#define NFILES 20

struct server {
	char *root; /* files it serves */
	pid_t pid;
	int port;
	char *digests[NFILES];
	size_t sizes[NFILES];
};

static struct server srv;

struct fx {
	char *dir;
	struct pl_cas *cas;
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * tests/unit/fetch_server.py: next to this source as compiled (relative to
 * the repo root), else above the test binary (build/.../tests/test_fetch),
 * else under $PL_SRCDIR.
 */
static char *script_path(void)
{
	const char *src = __FILE__, *slash = strrchr(src, '/'), *env = getenv("PL_SRCDIR");
	char exe[4096], *p = NULL, *cut;
	ssize_t n;

	if (asprintf(&p, "%.*sfetch_server.py", slash ? (int)(slash - src + 1) : 0, src) < 0)
		abort();
	if (access(p, R_OK) == 0)
		return p;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	exe[n > 0 ? n : 0] = '\0';
	while ((cut = strrchr(exe, '/')) != NULL) {
		*cut = '\0';
		free(p);
		if (asprintf(&p, "%s/tests/unit/fetch_server.py", exe) < 0)
			abort();
		if (access(p, R_OK) == 0)
			return p;
	}
	if (env) {
		free(p);
		if (asprintf(&p, "%s/tests/unit/fetch_server.py", env) < 0)
			abort();
	}
	return p;
}

/* File i: a few KiB to ~100 KiB of bytes that differ per file. */
static void make_file(int i, struct pl_buf *b)
{
	size_t n = 2048 + (size_t)i * 5000;
	uint32_t x = 0x9e3779b9u * (uint32_t)(i + 1);

	pl_buf_reset(b);
	for (size_t k = 0; k < n; k++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		assert_int_equal(pl_buf_addch(b, (char)(x & 0xff), NULL), 0);
	}
}

/*
 * Start fetch_server.py serving root (HTTPS when cert and key are given);
 * fills *port and *pid, or leaves *port 0 when it can not run.
 */
static void start_server(const char *root, const char *cert, const char *key, int *port,
			 pid_t *pid_out)
{
	char *script = script_path(), *portfile = tu_path(root, "server.port");
	int64_t deadline;
	pid_t pid;

	*port = 0;
	*pid_out = 0;
	unlink(portfile);
	if (access(script, R_OK) != 0) {
		fprintf(stderr, "fetch tests: %s not found, skipping\n", script);
		goto out;
	}
	pid = fork();
	if (pid < 0)
		goto out;
	if (pid == 0) {
		/* without a cert the list simply ends there */
		execlp("python3", "python3", script, root, portfile, "300", cert, key,
		       (char *)NULL);
		_exit(127);
	}
	deadline = now_ms() + 15000;
	while (now_ms() < deadline && !*port) {
		FILE *fp = fopen(portfile, "r");
		int status, p = 0, spid = 0;

		if (fp) {
			if (fscanf(fp, "%d %d", &p, &spid) == 2 && p > 0)
				*port = p;
			fclose(fp);
			continue;
		}
		if (waitpid(pid, &status, WNOHANG) == pid) {
			fprintf(stderr, "fetch tests: python3 server did not start, skipping\n");
			goto out;
		}
		usleep(20000);
	}
	if (*port) {
		*pid_out = pid;
	} else {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
out:
	free(portfile);
	free(script);
}

static void stop_server(pid_t pid)
{
	if (pid > 0) {
		kill(pid, SIGTERM);
		waitpid(pid, NULL, 0);
	}
}

static int group_setup(void **state)
{
	struct pl_buf b = PL_BUF_INIT;
	char name[32];

	(void)state;
	/* the server is on 127.0.0.1: a proxy from the environment must not be asked */
	static const char *proxies[] = {"http_proxy",  "HTTP_PROXY", "https_proxy",
					"HTTPS_PROXY", "all_proxy",  "ALL_PROXY"};
	for (size_t i = 0; i < sizeof(proxies) / sizeof(proxies[0]); i++)
		unsetenv(proxies[i]);
	srv.root = tu_mkdtemp();
	for (int i = 0; i < NFILES; i++) {
		char d[PL_DIGEST_SIZE];

		make_file(i, &b);
		snprintf(name, sizeof(name), "f%02d", i);
		tu_write(srv.root, name, b.data, b.len);
		if (pl_sha256_buf(b.data, b.len, d, NULL) < 0)
			return -1;
		srv.digests[i] = strdup(d);
		srv.sizes[i] = b.len;
	}
	pl_buf_release(&b);
	tu_write(srv.root, "hello.txt", "hello\n", 6);
	start_server(srv.root, NULL, NULL, &srv.port, &srv.pid);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	stop_server(srv.pid);
	for (int i = 0; i < NFILES; i++)
		free(srv.digests[i]);
	tu_rmtree(srv.root);
	return 0;
}

static size_t collect(char *data, size_t size, size_t nmemb, void *ud)
{
	if (pl_buf_add(ud, data, size * nmemb, NULL) < 0)
		return 0;
	return size * nmemb;
}

/* GET a control path of the server with plain libcurl (not the code under test). */
static json_t *control(const char *path)
{
	struct pl_buf b = PL_BUF_INIT;
	char url[256];
	CURL *h = curl_easy_init();
	json_t *j;

	assert_non_null(h);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", srv.port, path);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
	assert_int_equal(curl_easy_perform(h), CURLE_OK);
	curl_easy_cleanup(h);
	j = json_loadb(b.data ? b.data : "", b.len, 0, NULL);
	pl_buf_release(&b);
	return j;
}

static long stat_total(void)
{
	json_t *j = control("/_stats");
	long n;

	assert_non_null(j);
	n = (long)json_integer_value(json_object_get(j, "requests"));
	json_decref(j);
	return n;
}

static long stat_max_concurrent(void)
{
	json_t *j = control("/_stats");
	long n;

	assert_non_null(j);
	n = (long)json_integer_value(json_object_get(j, "max_concurrent"));
	json_decref(j);
	return n;
}

/* Requests the server saw for one exact path+query. */
static long stat_path(const char *path)
{
	json_t *j = control("/_stats");
	long n;

	assert_non_null(j);
	n = (long)json_integer_value(json_object_get(json_object_get(j, "paths"), path));
	json_decref(j);
	return n;
}

static int setup(void **state)
{
	struct fx *f;
	struct pl_err err = PL_ERR_INIT;

	if (!srv.port) {
		*state = NULL;
		return 0;
	}
	f = calloc(1, sizeof(*f));
	assert_non_null(f);
	f->dir = tu_mkdtemp();
	if (pl_cas_open(&f->cas, f->dir, &err) < 0)
		return -1;
	json_decref(control("/_reset"));
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	if (!f)
		return 0;
	pl_cas_free(f->cas);
	tu_rmtree(f->dir);
	free(f);
	return 0;
}

#define NEED_SERVER()                                                                              \
	do {                                                                                       \
		if (!*state)                                                                       \
			skip();                                                                    \
	} while (0)

static char *url_of(const char *path)
{
	char *u;

	if (asprintf(&u, "http://127.0.0.1:%d%s", srv.port, path) < 0)
		abort();
	return u;
}

static struct pl_fetch *new_fetch(struct fx *f, int parallel, int retries, long timeout_s,
				  bool offline)
{
	struct pl_fetch_opts o = {0};
	struct pl_fetch *fe = NULL;
	struct pl_err err = PL_ERR_INIT;

	o.parallel = parallel;
	o.retries = retries;
	o.backoff_ms = 10;
	o.timeout_s = timeout_s;
	o.offline = offline;
	assert_int_equal(pl_fetch_new(&fe, f->cas, &o, &err), 0);
	return fe;
}

/* Blobs and temporary files in the store. */
static int count_blobs(struct fx *f)
{
	char *p = tu_path(f->dir, "blobs/sha256");
	DIR *d = opendir(p);
	struct dirent *de;
	int n = 0;

	assert_non_null(d);
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			n++;
	closedir(d);
	free(p);
	return n;
}

/* One item for file i, URL path "/fNN" plus query. */
static void item_for(struct pl_fetch_item *it, int i, const char *query, char **url)
{
	char path[128];

	snprintf(path, sizeof(path), "/f%02d%s", i, query ? query : "");
	*url = url_of(path);
	memset(it, 0, sizeof(*it));
	it->url = *url;
	it->sha256 = srv.digests[i];
	it->size = (int64_t)srv.sizes[i];
	it->what = NULL;
}

/* Fetch file i with a query; returns the batch rc, err filled. */
static int fetch_one(struct pl_fetch *fe, int i, const char *query, struct pl_fetch_item *it,
		     struct pl_err *err)
{
	char *url = NULL;
	int rc;

	item_for(it, i, query, &url);
	rc = pl_fetch_batch(fe, it, 1, err);
	free(url);
	return rc;
}

static void test_fetch_batch_parallel(void **state)
{
	struct fx *f;
	struct pl_fetch_item items[NFILES];
	char *urls[NFILES];
	struct pl_err err = PL_ERR_INIT;
	struct pl_fetch *fe;
	uint64_t downloads = 0, bytes = 0, want_bytes = 0;
	long maxc;

	NEED_SERVER();
	f = *state;
	fe = new_fetch(f, 4, 0, 0, false);
	for (int i = 0; i < NFILES; i++) {
		item_for(&items[i], i, "?slow=100", &urls[i]);
		want_bytes += srv.sizes[i];
	}
	assert_int_equal(pl_fetch_batch(fe, items, NFILES, &err), 0);
	for (int i = 0; i < NFILES; i++) {
		assert_int_equal(items[i].rc, 0);
		assert_string_equal(items[i].digest, srv.digests[i]);
		assert_int_equal(items[i].got_size, srv.sizes[i]);
		assert_false(items[i].from_cache);
		assert_true(pl_cas_has(f->cas, srv.digests[i]));
		free(urls[i]);
	}
	maxc = stat_max_concurrent();
	assert_true(maxc > 1);	/* transfers overlapped */
	assert_true(maxc <= 4); /* ... but never more than asked for */
	assert_int_equal(stat_total(), NFILES);
	pl_fetch_stats(fe, &downloads, &bytes);
	assert_int_equal(downloads, NFILES);
	assert_int_equal(bytes, want_bytes);
	assert_int_equal(count_blobs(f), NFILES); /* no temporary file left */
	pl_fetch_free(fe);
}

static void test_fetch_retry_after_503(void **state)
{
	struct fx *f;
	struct pl_fetch_item it;
	struct pl_err err = PL_ERR_INIT;
	struct pl_fetch *fe;

	NEED_SERVER();
	f = *state;
	fe = new_fetch(f, 0, 3, 0, false);
	assert_int_equal(fetch_one(fe, 1, "?status=503&times=2", &it, &err), 0);
	assert_int_equal(it.rc, 0);
	assert_string_equal(it.digest, srv.digests[1]);
	assert_int_equal(stat_path("/f01?status=503&times=2"), 3);
	pl_fetch_free(fe);
}

static void test_fetch_retries_exhausted(void **state)
{
	struct fx *f;
	struct pl_fetch_item it;
	struct pl_err err = PL_ERR_INIT;
	struct pl_fetch *fe;

	NEED_SERVER();
	f = *state;
	fe = new_fetch(f, 0, 2, 0, false);
	it.what = NULL;
	assert_int_equal(fetch_one(fe, 2, "?status=503", &it, &err), PL_ENET);
	assert_int_equal(it.rc, PL_ENET);
	assert_non_null(strstr(err.msg, "HTTP 503 Service Unavailable"));
	assert_non_null(strstr(err.msg, "(3 attempts)"));
	assert_non_null(strstr(err.msg, "/f02?status=503"));
	assert_int_equal(stat_path("/f02?status=503"), 3);
	assert_int_equal(count_blobs(f), 0);
	pl_fetch_free(fe);
}

static void test_fetch_429_honours_retry_after(void **state)
{
	struct fx *f;
	struct pl_fetch_item it;
	struct pl_err err = PL_ERR_INIT;
	struct pl_fetch *fe;
	int64_t t0;

	NEED_SERVER();
	f = *state;
	fe = new_fetch(f, 0, 2, 0, false);
	t0 = now_ms();
	assert_int_equal(fetch_one(fe, 3, "?status=429&retry_after=1&times=1", &it, &err), 0);
	/* backoff is 10 ms: only Retry-After explains a wait of a second */
	assert_true(now_ms() - t0 >= 900);
	assert_int_equal(stat_path("/f03?status=429&retry_after=1&times=1"), 2);
	pl_fetch_free(fe);
}

static void test_fetch_404_fails_fast(void **state)
{
	struct fx *f;
	struct pl_fetch_item it;
	struct pl_err err = PL_ERR_INIT;
	struct pl_fetch *fe;
	char *url = url_of("/no-such-file");

	NEED_SERVER();
	f = *state;
	fe = new_fetch(f, 0, 4, 0, false);
	memset(&it, 0, sizeof(it));
	it.url = url;
	it.sha256 = srv.digests[0];
	it.size = -1;
	it.what = "libfoo_1.0_amd64.deb";
	assert_int_equal(pl_fetch_batch(fe, &it, 1, &err), PL_ENOTFOUND);
	assert_int_equal(it.rc, PL_ENOTFOUND);
	assert_non_null(strstr(err.msg, "libfoo_1.0_amd64.deb"));
	assert_non_null(strstr(err.msg, "HTTP 404"));
	assert_non_null(strstr(err.msg, "(1 attempt)"));
	assert_int_equal(stat_path("/no-such-file"), 1);

	/* other 4xx: not retried either, but not "not found" */
	err = (struct pl_err)PL_ERR_INIT;
	assert_int_equal(fetch_one(fe, 4, "?status=403", &it, &err), PL_ENET);
	assert_non_null(strstr(err.msg, "HTTP 403"));
	assert_int_equal(stat_path("/f04?status=403"), 1);
	free(url);
	pl_fetch_free(fe);
}

static void test_fetch_wrong_bytes_verify(void **state)
{
	struct fx *f;
	struct pl_fetch_item it;
	struct pl_err err = PL_ERR_INIT;
	struct pl_fetch *fe;
	char *url;

	NEED_SERVER();
	f = *state;
	fe = new_fetch(f, 0, 4, 0, false);
	item_for(&it, 5, "?wrong=1", &url);
	it.what = "Packages.xz of 'bookworm'";
	assert_int_equal(pl_fetch_batch(fe, &it, 1, &err), PL_EVERIFY);
	assert_int_equal(it.rc, PL_EVERIFY);
	assert_non_null(strstr(err.msg, "Packages.xz of 'bookworm'"));
	assert_non_null(strstr(err.msg, srv.digests[5])); /* expected */
	assert_non_null(strstr(err.msg, "(2 attempts)")); /* retried once, not 5 times */
	assert_int_equal(stat_path("/f05?wrong=1"), 2);
	assert_false(pl_cas_has(f->cas, srv.digests[5]));
	assert_int_equal(count_blobs(f), 0); /* neither the wrong blob nor a temp file */

	/* a mirror mid-sync: wrong once, right the second time */
	err = (struct pl_err)PL_ERR_INIT;
	assert_int_equal(fetch_one(fe, 6, "?wrong=1&times=1", &it, &err), 0);
	assert_true(pl_cas_has(f->cas, srv.digests[6]));
	assert_int_equal(stat_path("/f06?wrong=1&times=1"), 2);
	free(url);
	pl_fetch_free(fe);
}

static void test_fetch_truncated_body_retried(void **state)
{
	struct fx *f;
	struct pl_fetch_item it;
	struct pl_err err = PL_ERR_INIT;
	struct pl_fetch *fe;

	NEED_SERVER();
	f = *state;
	fe = new_fetch(f, 0, 2, 0, false);
	assert_int_equal(fetch_one(fe, 7, "?drop=1&times=1", &it, &err), 0);
	assert_string_equal(it.digest, srv.digests[7]);
	assert_int_equal(stat_path("/f07?drop=1&times=1"), 2);

	/* always truncated: a network error naming the attempts */
	err = (struct pl_err)PL_ERR_INIT;
	assert_int_equal(fetch_one(fe, 8, "?drop=1", &it, &err), PL_ENET);
	assert_non_null(strstr(err.msg, "(3 attempts)"));
	assert_false(pl_cas_has(f->cas, srv.digests[8]));
	pl_fetch_free(fe);
}

static void test_fetch_size_limit(void **state)
{
	struct fx *f;
	struct pl_fetch_item it;
	struct pl_err err = PL_ERR_INIT;
	struct pl_fetch *fe;
	char *url, *data = NULL;
	size_t len = 0;

	NEED_SERVER();
	f = *state;
	fe = new_fetch(f, 0, 4, 0, false);
	item_for(&it, 9, NULL, &url);
	it.size -= 100; /* the index claims fewer bytes than the server sends */
	assert_int_equal(pl_fetch_batch(fe, &it, 1, &err), PL_EVERIFY);
	assert_non_null(strstr(err.msg, "more than the expected"));
	assert_int_equal(count_blobs(f), 0);
	free(url);

	/* more bytes than claimed by the index, the other way round */
	item_for(&it, 9, NULL, &url);
	it.size += 100;
	err = (struct pl_err)PL_ERR_INIT;
	assert_int_equal(pl_fetch_batch(fe, &it, 1, &err), PL_EVERIFY);
	assert_non_null(strstr(err.msg, "expected"));
	assert_int_equal(count_blobs(f), 0);
	free(url);

	/* in memory: a cap */
	url = url_of("/f10");
	err = (struct pl_err)PL_ERR_INIT;
	assert_int_equal(pl_fetch_get(fe, url, 1000, &data, &len, &err), PL_ETOOBIG);
	assert_null(data);
	assert_int_equal(stat_path("/f10"), 1); /* not retried */
	free(url);
	pl_fetch_free(fe);
}

static void test_fetch_cache_hit_skips_network(void **state)
{
	struct fx *f;
	struct pl_fetch_item items[3];
	char *urls[3];
	struct pl_err err = PL_ERR_INIT;
	struct pl_fetch *fe;
	uint64_t downloads = 1;
	long before;

	NEED_SERVER();
	f = *state;
	fe = new_fetch(f, 0, 0, 0, false);
	for (int i = 0; i < 3; i++)
		item_for(&items[i], i, NULL, &urls[i]);
	assert_int_equal(pl_fetch_batch(fe, items, 3, &err), 0);
	pl_fetch_free(fe);
	before = stat_total();
	assert_int_equal(before, 3);

	fe = new_fetch(f, 0, 0, 0, false);
	assert_int_equal(pl_fetch_batch(fe, items, 3, &err), 0);
	for (int i = 0; i < 3; i++) {
		assert_true(items[i].from_cache);
		assert_string_equal(items[i].digest, srv.digests[i]);
		assert_int_equal(items[i].got_size, srv.sizes[i]);
		free(urls[i]);
	}
	assert_int_equal(stat_total(), before);
	pl_fetch_stats(fe, &downloads, NULL);
	assert_int_equal(downloads, 0);
	pl_fetch_free(fe);
}

static void test_fetch_duplicates_fetched_once(void **state)
{
	struct fx *f;
	struct pl_fetch_item items[3];
	char *urls[3];
	struct pl_err err = PL_ERR_INIT;
	struct pl_fetch *fe;

	NEED_SERVER();
	f = *state;
	fe = new_fetch(f, 0, 0, 0, false);
	item_for(&items[0], 11, "?copy=a", &urls[0]);
	item_for(&items[1], 12, NULL, &urls[1]);
	item_for(&items[2], 11, "?copy=b", &urls[2]);
	assert_int_equal(pl_fetch_batch(fe, items, 3, &err), 0);
	assert_int_equal(stat_path("/f11?copy=a"), 1);
	assert_int_equal(stat_path("/f11?copy=b"), 0);
	assert_int_equal(stat_total(), 2);
	assert_int_equal(items[2].rc, 0);
	assert_string_equal(items[2].digest, srv.digests[11]);
	assert_int_equal(items[2].got_size, srv.sizes[11]);
	for (int i = 0; i < 3; i++)
		free(urls[i]);
	pl_fetch_free(fe);
}

static void test_fetch_offline(void **state)
{
	struct fx *f;
	struct pl_fetch_item items[2];
	char *urls[2];
	struct pl_err err = PL_ERR_INIT;
	struct pl_fetch *fe;
	char *data = NULL, *url;
	size_t len = 0;

	NEED_SERVER();
	f = *state;
	fe = new_fetch(f, 0, 0, 0, false);
	assert_int_equal(fetch_one(fe, 13, NULL, &items[0], &err), 0);
	pl_fetch_free(fe);
	json_decref(control("/_reset"));

	fe = new_fetch(f, 0, 0, 0, true);
	item_for(&items[0], 13, NULL, &urls[0]);
	item_for(&items[1], 14, NULL, &urls[1]);
	items[1].what = "libbar_2.0_amd64.deb";
	assert_int_equal(pl_fetch_batch(fe, items, 2, &err), PL_ENOTFOUND);
	assert_int_equal(items[0].rc, 0);
	assert_true(items[0].from_cache);
	assert_int_equal(items[1].rc, PL_ENOTFOUND);
	assert_non_null(strstr(err.msg, "offline: libbar_2.0_amd64.deb ("));
	assert_non_null(strstr(err.msg, "/f14) is not in the cache"));
	url = url_of("/hello.txt");
	err = (struct pl_err)PL_ERR_INIT;
	assert_int_equal(pl_fetch_get(fe, url, 0, &data, &len, &err), PL_ENOTFOUND);
	assert_int_equal(stat_total(), 0); /* no request at all */
	free(url);
	free(urls[0]);
	free(urls[1]);
	pl_fetch_free(fe);
}

static void test_fetch_file_urls(void **state)
{
	struct fx *f;
	struct pl_fetch_item it;
	struct pl_err err = PL_ERR_INIT;
	struct pl_fetch *fe;
	char *url, *data = NULL;
	size_t len = 0;

	NEED_SERVER();
	f = *state;
	fe = new_fetch(f, 0, 3, 0, true); /* offline: file:// is still fine */
	if (asprintf(&url, "file://%s/f15", srv.root) < 0)
		abort();
	memset(&it, 0, sizeof(it));
	it.url = url;
	it.sha256 = srv.digests[15];
	it.size = (int64_t)srv.sizes[15];
	assert_int_equal(pl_fetch_batch(fe, &it, 1, &err), 0);
	assert_true(pl_cas_has(f->cas, srv.digests[15]));
	assert_int_equal(pl_fetch_get(fe, url, 0, &data, &len, &err), 0);
	assert_int_equal(len, srv.sizes[15]);
	free(data);
	free(url);

	if (asprintf(&url, "file://%s/missing", srv.root) < 0)
		abort();
	it.url = url;
	assert_int_equal(pl_fetch_batch(fe, &it, 1, &err), 0); /* cached now: no read */
	it.sha256 = srv.digests[16];
	assert_int_equal(pl_fetch_batch(fe, &it, 1, &err), PL_ENOTFOUND);
	assert_non_null(strstr(err.msg, "(1 attempt)"));
	free(url);

	/* no other scheme */
	err = (struct pl_err)PL_ERR_INIT;
	it.url = "ftp://127.0.0.1/x";
	fe = (pl_fetch_free(fe), new_fetch(f, 0, 3, 0, false));
	assert_int_equal(pl_fetch_batch(fe, &it, 1, &err), PL_EINVAL);
	assert_non_null(strstr(err.msg, "(1 attempt)"));
	pl_fetch_free(fe);
}

static void test_fetch_credentials_not_in_errors(void **state)
{
	struct fx *f;
	struct pl_fetch_item it;
	struct pl_err err = PL_ERR_INIT;
	struct pl_fetch *fe;
	char *url;

	NEED_SERVER();
	f = *state;
	fe = new_fetch(f, 0, 1, 0, false);
	if (asprintf(&url, "http://alice:s3cret@127.0.0.1:%d/f17?status=404", srv.port) < 0)
		abort();
	memset(&it, 0, sizeof(it));
	it.url = url;
	it.sha256 = srv.digests[17];
	it.size = -1;
	assert_int_equal(pl_fetch_batch(fe, &it, 1, &err), PL_ENOTFOUND);
	assert_non_null(strstr(err.msg, "http://127.0.0.1:"));
	assert_null(strstr(err.msg, "s3cret"));
	assert_null(strstr(err.msg, "alice"));
	pl_fetch_free(fe);

	fe = new_fetch(f, 0, 1, 0, true);
	err = (struct pl_err)PL_ERR_INIT;
	assert_int_equal(pl_fetch_batch(fe, &it, 1, &err), PL_ENOTFOUND);
	assert_non_null(strstr(err.msg, "offline"));
	assert_null(strstr(err.msg, "s3cret"));
	assert_null(strstr(err.msg, "alice"));
	free(url);
	pl_fetch_free(fe);
}

static void test_fetch_stall_times_out_and_retries(void **state)
{
	struct fx *f;
	struct pl_fetch_item it;
	struct pl_err err = PL_ERR_INIT;
	struct pl_fetch *fe;
	int64_t t0;

	NEED_SERVER();
	f = *state;
	fe = new_fetch(f, 0, 2, 1, false);
	t0 = now_ms();
	assert_int_equal(fetch_one(fe, 18, "?stall=6&times=1", &it, &err), 0);
	assert_true(now_ms() - t0 < 5000); /* gave up on the stalled one early */
	assert_int_equal(stat_path("/f18?stall=6&times=1"), 2);
	pl_fetch_free(fe);
}

static void test_fetch_redirects(void **state)
{
	struct fx *f;
	struct pl_fetch_item it;
	struct pl_err err = PL_ERR_INIT;
	struct pl_fetch *fe;

	NEED_SERVER();
	f = *state;
	fe = new_fetch(f, 0, 2, 0, false);
	assert_int_equal(fetch_one(fe, 19, "?redirect=/f19", &it, &err), 0);
	assert_string_equal(it.digest, srv.digests[19]);

	err = (struct pl_err)PL_ERR_INIT;
	assert_int_equal(fetch_one(fe, 0, "?redirect=self", &it, &err), PL_ENET);
	assert_non_null(strstr(err.msg, "(1 attempt)"));
	assert_int_equal(stat_path("/f00?redirect=self"), 6); /* first + 5 redirects */
	pl_fetch_free(fe);
}

static void test_fetch_get_memory(void **state)
{
	struct fx *f;
	struct pl_err err = PL_ERR_INIT;
	struct pl_fetch *fe;
	char *url = url_of("/hello.txt?status=503&times=1"), *data = NULL;
	size_t len = 0;

	NEED_SERVER();
	f = *state;
	fe = new_fetch(f, 0, 2, 0, false);
	assert_int_equal(pl_fetch_get(fe, url, 100, &data, &len, &err), 0);
	assert_int_equal(len, 6);
	assert_memory_equal(data, "hello\n", 6);
	assert_int_equal(data[6], '\0');
	free(data);
	data = NULL;
	assert_int_equal(stat_path("/hello.txt?status=503&times=1"), 2);
	assert_int_equal(count_blobs(f), 0); /* never stored */
	free(url);

	url = url_of("/InRelease-missing");
	assert_int_equal(pl_fetch_get(fe, url, 100, &data, &len, &err), PL_ENOTFOUND);
	assert_null(data);
	assert_int_equal(stat_path("/InRelease-missing"), 1);
	free(url);
	pl_fetch_free(fe);
}

static void test_fetch_get_cached_offline(void **state)
{
	struct fx *f;
	struct pl_err err = PL_ERR_INIT;
	struct pl_fetch *fe;
	char *url = url_of("/hello.txt"), *other = url_of("/f01"), *data = NULL;
	size_t len = 0;

	NEED_SERVER();
	f = *state;
	fe = new_fetch(f, 0, 0, 0, false);
	assert_int_equal(pl_fetch_get_cached(fe, url, 100, &data, &len, &err), 0);
	assert_int_equal(len, 6);
	free(data);
	data = NULL;
	pl_fetch_free(fe);

	fe = new_fetch(f, 0, 0, 0, true);
	json_decref(control("/_reset"));
	assert_int_equal(pl_fetch_get_cached(fe, url, 100, &data, &len, &err), 0);
	assert_int_equal(len, 6);
	assert_memory_equal(data, "hello\n", 6);
	free(data);
	data = NULL;
	assert_int_equal(pl_fetch_get_cached(fe, other, 0, &data, &len, &err), PL_ENOTFOUND);
	assert_non_null(strstr(err.msg, "offline"));
	assert_int_equal(stat_total(), 0);
	free(url);
	free(other);
	pl_fetch_free(fe);
}

static void test_fetch_no_digest_always_downloads(void **state)
{
	struct fx *f;
	struct pl_fetch_item it;
	struct pl_err err = PL_ERR_INIT;
	struct pl_fetch *fe;
	char *url;

	NEED_SERVER();
	f = *state;
	fe = new_fetch(f, 0, 0, 0, false);
	item_for(&it, 1, NULL, &url);
	it.sha256 = NULL;
	it.size = -1;
	assert_int_equal(pl_fetch_batch(fe, &it, 1, &err), 0);
	assert_string_equal(it.digest, srv.digests[1]);
	assert_int_equal(it.got_size, srv.sizes[1]);
	assert_int_equal(pl_fetch_batch(fe, &it, 1, &err), 0);
	assert_false(it.from_cache);
	assert_int_equal(stat_path("/f01"), 2);
	free(url);
	pl_fetch_free(fe);
}

static void test_fetch_connection_refused_and_first_error(void **state)
{
	struct fx *f;
	struct pl_fetch_item items[3];
	char *urls[3];
	struct pl_err err = PL_ERR_INIT;
	struct pl_fetch *fe;
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	int s, port;

	NEED_SERVER();
	f = *state;
	/* a port nobody listens on: bind, learn it, close */
	s = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(s >= 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(s, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(s, (struct sockaddr *)&sa, &sl), 0);
	port = ntohs(sa.sin_port);
	close(s);

	fe = new_fetch(f, 0, 1, 0, false);
	item_for(&items[0], 2, NULL, &urls[0]);
	item_for(&items[1], 3, NULL, &urls[1]);
	free(urls[1]);
	if (asprintf(&urls[1], "http://127.0.0.1:%d/f03", port) < 0)
		abort();
	items[1].url = urls[1];
	items[1].what = "refused";
	item_for(&items[2], 4, "?status=404", &urls[2]);
	assert_int_equal(pl_fetch_batch(fe, items, 3, &err), PL_ENET);
	assert_int_equal(items[0].rc, 0);
	assert_int_equal(items[1].rc, PL_ENET);
	assert_int_equal(items[2].rc, PL_ENOTFOUND);
	/* the first failing item in order names the error, the rest are counted */
	assert_non_null(strstr(err.msg, "refused"));
	assert_non_null(strstr(err.msg, "(2 attempts)"));
	assert_non_null(strstr(err.msg, "and 1 more item failed"));
	for (int i = 0; i < 3; i++)
		free(urls[i]);
	pl_fetch_free(fe);
}

/* HTTPS with a self-signed certificate: refused, unless it is the extra cacert. */
static void test_fetch_https_cacert(void **state)
{
	struct fx *f;
	struct pl_fetch_opts o = {0};
	struct pl_fetch_item it;
	struct pl_err err = PL_ERR_INIT;
	struct pl_fetch *fe = NULL;
	char *cert, *key, *url = NULL;
	int port = 0;
	pid_t pid = 0;

	NEED_SERVER();
	f = *state;
	cert = tu_path(f->dir, "cert.pem");
	key = tu_path(f->dir, "key.pem");
	if (tu_sh(f->dir, "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 "
			  "-nodes -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 "
			  "-days 2 -keyout key.pem -out cert.pem >/dev/null 2>&1") != 0) {
		free(cert);
		free(key);
		skip();
	}
	start_server(srv.root, cert, key, &port, &pid);
	assert_true(port > 0);
	if (asprintf(&url, "https://127.0.0.1:%d/f05", port) < 0)
		abort();
	memset(&it, 0, sizeof(it));
	it.url = url;
	it.sha256 = srv.digests[5];
	it.size = (int64_t)srv.sizes[5];

	o.retries = 2;
	o.backoff_ms = 10;
	assert_int_equal(pl_fetch_new(&fe, f->cas, &o, &err), 0);
	assert_int_equal(pl_fetch_batch(fe, &it, 1, &err), PL_ENET);
	assert_non_null(strstr(err.msg, "(1 attempt)")); /* an untrusted peer is not retried */
	pl_fetch_free(fe);

	o.cacert = cert;
	err = (struct pl_err)PL_ERR_INIT;
	assert_int_equal(pl_fetch_new(&fe, f->cas, &o, &err), 0);
	assert_int_equal(pl_fetch_batch(fe, &it, 1, &err), 0);
	assert_true(pl_cas_has(f->cas, srv.digests[5]));
	pl_fetch_free(fe);

	o.cacert = "/nonexistent/ca.pem";
	assert_true(pl_fetch_new(&fe, f->cas, &o, &err) < 0);
	assert_null(fe);

	stop_server(pid);
	free(url);
	free(cert);
	free(key);
}

static void test_fetch_bad_input(void **state)
{
	struct fx *f;
	struct pl_fetch_item it;
	struct pl_err err = PL_ERR_INIT;
	struct pl_fetch *fe;

	NEED_SERVER();
	f = *state;
	fe = new_fetch(f, 0, 0, 0, false);
	memset(&it, 0, sizeof(it));
	it.url = "http://127.0.0.1/x";
	it.sha256 = "sha256:ABC";
	assert_int_equal(pl_fetch_batch(fe, &it, 1, &err), PL_EINVAL);
	assert_int_equal(pl_fetch_batch(fe, NULL, 0, &err), 0);
	pl_fetch_free(fe);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_fetch_batch_parallel, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fetch_retry_after_503, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fetch_retries_exhausted, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fetch_429_honours_retry_after, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fetch_404_fails_fast, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fetch_wrong_bytes_verify, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fetch_truncated_body_retried, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fetch_size_limit, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fetch_cache_hit_skips_network, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fetch_duplicates_fetched_once, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fetch_offline, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fetch_file_urls, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fetch_credentials_not_in_errors, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fetch_stall_times_out_and_retries, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_fetch_redirects, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fetch_get_memory, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fetch_get_cached_offline, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fetch_no_digest_always_downloads, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fetch_connection_refused_and_first_error, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_fetch_https_cacert, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fetch_bad_input, setup, teardown),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
