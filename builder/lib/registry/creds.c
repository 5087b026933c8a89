/*
 * registry creds: registry credentials where docker and podman keep them
 * (--creds, containers auth.json, docker config.json and its
 * docker-credential-* helpers). Everything read here may hold a secret, so
 * buffers and parsed JSON strings are wiped before they are freed, jansson's
 * error text (which quotes the input) is never shown, and helpers get their
 * input on stdin, never on their command line.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "lib/registry.h"
#include "util/fsutil.h"
#include "util/json.h"

#define MAX_CONFIG (4u << 20)
#define MAX_HELPER_OUT (64u << 10)
#define HELPER_TIMEOUT_MS 30000
#define HUB_KEY "https://index.docker.io/v1/"
#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* ---- hosts and keys ---------------------------------------------------- */

/* The host part of a key or host: scheme and path stripped. */
static void host_span(const char *s, const char **start, size_t *len)
{
	if (!strncasecmp(s, "https://", 8))
		s += 8;
	else if (!strncasecmp(s, "http://", 7))
		s += 7;
	*start = s;
	*len = strcspn(s, "/");
}

static bool is_hub(const char *s, size_t n)
{
	static const char *const names[] = {"docker.io", "index.docker.io", "registry-1.docker.io"};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strlen(names[i]) == n && !strncasecmp(names[i], s, n))
			return true;
	return false;
}

/* Do a config key and a host name the same registry, as docker matches them? */
static bool same_host(const char *a, const char *b)
{
	const char *as, *bs;
	size_t an, bn;

	host_span(a, &as, &an);
	host_span(b, &bs, &bn);
	if (an == 0 || bn == 0)
		return false;
	if (is_hub(as, an) && is_hub(bs, bn))
		return true;
	return an == bn && !strncasecmp(as, bs, an);
}

/*
 * The name host is stored under: the bare host, docker.io as docker
 * (HUB_KEY, also what helpers are asked for) or podman ("docker.io") writes it.
 */
static char *host_key(const char *host, bool docker)
{
	const char *s;
	size_t n;

	host_span(host, &s, &n);
	if (is_hub(s, n))
		return strdup(docker ? HUB_KEY : "docker.io");
	return strndup(s, n);
}

static int check_host(const char *host, struct pl_err *err)
{
	const char *s;
	size_t n;

	if (!host)
		return pl_err_set(err, PL_EINVAL, "no registry host given");
	host_span(host, &s, &n);
	if (n == 0)
		return pl_err_set(err, PL_EINVAL, "invalid registry host '%s'", host);
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
			return pl_err_set(err, PL_EINVAL, "invalid registry host '%.*s'", (int)n,
					  s);
	return 0;
}

/* ---- secrets ------------------------------------------------------------ */

static void free_secret(char *s)
{
	if (s) {
		OPENSSL_cleanse(s, strlen(s));
		free(s);
	}
}

static void buf_wipe(struct pl_buf *b)
{
	if (b->data)
		OPENSSL_cleanse(b->data, b->cap ? b->cap : b->len);
	pl_buf_release(b);
}

/*
 * Wipe every string in j. jansson keeps each string in a malloc'd copy of
 * its own, so writing over it is safe; only for trees about to be freed.
 */
static void json_wipe(json_t *j)
{
	const char *k;
	json_t *v;
	size_t i;

	if (json_is_string(j))
		OPENSSL_cleanse((char *)json_string_value(j), json_string_length(j));
	else if (json_is_object(j))
		json_object_foreach(j, k, v) json_wipe(v);
	else if (json_is_array(j))
		json_array_foreach(j, i, v) json_wipe(v);
}

static void json_wipe_decref(json_t *j)
{
	if (j) {
		json_wipe(j);
		json_decref(j);
	}
}

/* Decode docker's "auth" (base64 of "user:pass", split at the first ':'). */
static int decode_auth(const char *b64, char **user, char **pass)
{
	size_t n = strlen(b64), pad = 0, padded, i;
	unsigned char *in = NULL, *dec = NULL;
	char *colon;
	int len, rc = -1;

	*user = *pass = NULL;
	while (n > 0 && b64[n - 1] == '=' && pad < 2) {
		n--;
		pad++;
	}
	if (n == 0 || n % 4 == 1 || n > MAX_CONFIG)
		return -1;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)b64[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '+' || c == '/'))
			return -1;
	}
	/* padding is optional on input; EVP_DecodeBlock wants it */
	padded = (n + 3) / 4 * 4;
	in = malloc(padded + 1);
	dec = malloc(padded / 4 * 3 + 1);
	if (!in || !dec)
		goto out;
	memcpy(in, b64, n);
	memset(in + n, '=', padded - n);
	in[padded] = '\0';
	len = EVP_DecodeBlock(dec, in, (int)padded);
	if (len < 0)
		goto out;
	len -= (int)(padded - n);
	if (len < 0 || memchr(dec, '\0', (size_t)len))
		goto out;
	dec[len] = '\0';
	colon = strchr((char *)dec, ':');
	if (!colon)
		goto out;
	*user = strndup((char *)dec, (size_t)(colon - (char *)dec));
	*pass = strdup(colon + 1);
	if (!*user || !*pass) {
		free_secret(*user);
		free_secret(*pass);
		*user = *pass = NULL;
		goto out;
	}
	rc = 0;
out:
	if (in)
		OPENSSL_cleanse(in, padded);
	if (dec)
		OPENSSL_cleanse(dec, padded / 4 * 3 + 1);
	free(in);
	free(dec);
	return rc;
}

static char *encode_auth(const char *user, const char *secret)
{
	size_t ul = strlen(user), sl = strlen(secret), n;
	unsigned char *plain = NULL;
	char *enc = NULL;

	if (ul > INT_MAX / 2 || sl > INT_MAX / 2)
		return NULL;
	n = ul + 1 + sl;
	plain = malloc(n);
	enc = malloc((n + 2) / 3 * 4 + 1);
	if (plain && enc) {
		memcpy(plain, user, ul);
		plain[ul] = ':';
		memcpy(plain + ul + 1, secret, sl);
		EVP_EncodeBlock((unsigned char *)enc, plain, (int)n);
	} else {
		free(enc);
		enc = NULL;
	}
	if (plain)
		OPENSSL_cleanse(plain, n);
	free(plain);
	return enc;
}

/* ---- config files ------------------------------------------------------- */

/*
 * Load a credentials file as a JSON object. PL_ENOTFOUND (err untouched)
 * when it does not exist. The parse error names the file, line and column
 * only: jansson's text quotes the input, which may be a secret.
 */
static int load_config(const char *path, json_t **out, struct pl_err *err)
{
	struct pl_err e = PL_ERR_INIT;
	struct pl_buf b;
	json_error_t jerr;
	json_t *j = NULL;
	int rc;

	*out = NULL;
	pl_buf_init(&b, 0);
	rc = pl_read_file(path, MAX_CONFIG, &b, &e);
	if (rc == PL_ENOTFOUND)
		goto out;
	if (rc < 0) {
		rc = pl_err_set(err, rc, "%s", e.msg);
		goto out;
	}
	j = json_loadb(b.data ? b.data : "", b.len, 0, &jerr);
	if (!j) {
		rc = pl_err_set(err, PL_EINVAL, "'%s':%d:%d: malformed JSON", path, jerr.line,
				jerr.column);
		goto out;
	}
	if (!json_is_object(j)) {
		rc = pl_err_set(err, PL_EINVAL, "'%s': not a JSON object", path);
		goto out;
	}
	*out = j;
	j = NULL;
out:
	json_wipe_decref(j);
	buf_wipe(&b);
	return rc;
}

/* obj[key] as an object (NULL when absent); PL_EINVAL when it is something else. */
static int member_obj(json_t *obj, const char *key, const char *path, json_t **out,
		      struct pl_err *err)
{
	json_t *v = json_object_get(obj, key);

	*out = NULL;
	if (v && !json_is_object(v) && !json_is_null(v))
		return pl_err_set(err, PL_EINVAL, "'%s': \"%s\" is not an object", path, key);
	*out = json_is_object(v) ? v : NULL;
	return 0;
}

/* The key of obj naming host: a canonical spelling first, then any alias. */
static const char *find_key(json_t *obj, const char *host)
{
	const char *k;
	json_t *v;

	for (int docker = 0; docker < 2; docker++) {
		char *c = host_key(host, docker);
		void *it = c ? json_object_iter_at(obj, c) : NULL;

		free(c);
		if (it)
			return json_object_iter_key(it);
	}
	json_object_foreach(obj, k, v) if (same_host(k, host)) return k;
	return NULL;
}

/*
 * Credentials of auths[key]: "identitytoken", else "auth", else
 * "username"/"password". *none when the entry holds none (docker leaves
 * empty entries behind when a helper keeps the secret).
 */
static int entry_cred(json_t *entry, const char *path, const char *key, struct pl_reg_cred *out,
		      bool *none, struct pl_err *err)
{
	const char *tok, *auth, *u, *p;

	*none = false;
	if (!json_is_object(entry))
		return pl_err_set(err, PL_EINVAL, "'%s': auths '%s' is not an object", path, key);
	tok = pl_json_str(entry, "identitytoken");
	auth = pl_json_str(entry, "auth");
	u = pl_json_str(entry, "username");
	p = pl_json_str(entry, "password");
	if (tok && *tok) {
		out->identity_token = true;
		out->secret = strdup(tok);
		if (!out->secret)
			return pl_err_set(err, PL_ENOMEM, "out of memory");
	} else if (auth && *auth) {
		if (decode_auth(auth, &out->user, &out->secret) < 0)
			return pl_err_set(err, PL_EINVAL,
					  "'%s': auths '%s': \"auth\" is not base64 of USER:PASS",
					  path, key);
	} else if (u && *u && p) {
		out->user = strdup(u);
		out->secret = strdup(p);
		if (!out->user || !out->secret)
			return pl_err_set(err, PL_ENOMEM, "out of memory");
	} else {
		*none = true;
		return 0;
	}
	out->origin = strdup(path);
	if (!out->origin)
		return pl_err_set(err, PL_ENOMEM, "out of memory");
	return 0;
}

/* ---- credential helpers -------------------------------------------------- */

static int check_helper_name(const char *name, const char *path, struct pl_err *err)
{
	if (!*name)
		return pl_err_set(err, PL_EINVAL, "'%s': empty credential helper name", path);
	for (const char *s = name; *s; s++)
		if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7f || *s == '/')
			return pl_err_set(err, PL_EINVAL, "'%s': invalid credential helper name",
					  path);
	return 0;
}

/* The executable docker-credential-<name> in the directories of search. */
static char *find_helper(const char *name, const char *search)
{
	const char *d = search;

	while (*d) {
		size_t n = strcspn(d, ":");
		struct stat st;
		char *p;

		/* an empty entry would mean the working directory: not for a helper */
		if (n > 0) {
			if (asprintf(&p, "%.*s/docker-credential-%s", (int)n, d, name) < 0)
				return NULL;
			if (stat(p, &st) == 0 && S_ISREG(st.st_mode) && access(p, X_OK) == 0)
				return p;
			free(p);
		}
		d += n;
		if (*d == ':')
			d++;
	}
	return NULL;
}

/* The environment for a helper: ours, with PATH set to the helper path. */
static char **helper_env(const char *search, char **pathvar)
{
	size_t n = 0, i, j = 0;
	char **env;

	*pathvar = NULL;
	while (environ && environ[n])
		n++;
	env = calloc(n + 2, sizeof(*env));
	if (!env || asprintf(pathvar, "PATH=%s", search) < 0) {
		free(env);
		*pathvar = NULL;
		return NULL;
	}
	for (i = 0; i < n; i++)
		if (strncmp(environ[i], "PATH=", 5) != 0)
			env[j++] = environ[i];
	env[j++] = *pathvar;
	env[j] = NULL;
	return env;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Read what is there without blocking; *eof at end of file. */
static int drain(int fd, struct pl_buf *out, bool *eof, const char *what, struct pl_err *err)
{
	char chunk[4096];

	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if (n < 0)
			return pl_err_errno(err, PL_EIO, "%s: read", what);
		if (n == 0) {
			*eof = true;
			return 0;
		}
		if (pl_buf_add(out, chunk, (size_t)n, NULL) < 0) {
			OPENSSL_cleanse(chunk, sizeof(chunk));
			return pl_err_set(err, PL_EIO, "%s: more than %u bytes of output", what,
					  MAX_HELPER_OUT);
		}
		OPENSSL_cleanse(chunk, sizeof(chunk));
	}
}

/*
 * Run docker-credential-<name> verb with input on stdin; its stdout goes
 * to out (capped) and its exit status to *status. stdin is a socket so a
 * helper that exits without reading cannot raise SIGPIPE here; the
 * timeout holds even when a grandchild keeps stdout open.
 */
static int run_helper(const struct pl_reg_credsrc *src, const char *name, const char *verb,
		      const char *input, size_t input_len, struct pl_buf *out, int *status,
		      struct pl_err *err)
{
	const char *search = src->helper_path ? src->helper_path : DEFAULT_PATH;
	char *exe = NULL, *pathvar = NULL, **env = NULL, what[160];
	int sv[2] = {-1, -1}, op[2] = {-1, -1}, wst = 0, rc = 0;
	pid_t pid = -1;
	size_t sent = 0;
	bool eof = false, exited = false;
	long long deadline;

	snprintf(what, sizeof(what), "docker-credential-%s %s", name, verb);
	exe = find_helper(name, search);
	if (!exe) {
		rc = pl_err_set(err, PL_EIO,
				"credential helper 'docker-credential-%s' not found in '%s'", name,
				search);
		goto out;
	}
	env = helper_env(search, &pathvar);
	if (!env) {
		rc = pl_err_set(err, PL_ENOMEM, "out of memory");
		goto out;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0 ||
	    pipe2(op, O_CLOEXEC) < 0) {
		rc = pl_err_errno(err, PL_EIO, "%s: pipe", what);
		goto out;
	}
	pid = fork();
	if (pid < 0) {
		rc = pl_err_errno(err, PL_EIO, "%s: fork", what);
		goto out;
	}
	if (pid == 0) {
		char *argv[3];
		/* move both ends clear of 0 and 1 before dup2 onto them */
		int in = fcntl(sv[1], F_DUPFD_CLOEXEC, 3);
		int o = fcntl(op[1], F_DUPFD_CLOEXEC, 3);

		argv[0] = exe;
		argv[1] = (char *)verb;
		argv[2] = NULL;
		if (in < 0 || o < 0 || dup2(in, 0) < 0 || dup2(o, 1) < 0)
			_exit(127);
		execve(exe, argv, env);
		_exit(127);
	}
	close(sv[1]);
	close(op[1]);
	sv[1] = op[1] = -1;
	if (fcntl(op[0], F_SETFL, O_NONBLOCK) < 0 || fcntl(sv[0], F_SETFL, O_NONBLOCK) < 0) {
		rc = pl_err_errno(err, PL_EIO, "%s: pipe", what);
		goto out;
	}
	if (input_len == 0)
		shutdown(sv[0], SHUT_WR);
	deadline = now_ms() + HELPER_TIMEOUT_MS;
	while (!exited || !eof) {
		struct pollfd fds[2];
		nfds_t nf = 0;
		long long left = deadline - now_ms();
		int w;

		if (left <= 0) {
			rc = pl_err_set(err, PL_EIO, "%s: no answer after %d s", what,
					HELPER_TIMEOUT_MS / 1000);
			goto out;
		}
		if (sv[0] >= 0 && sent < input_len)
			fds[nf++] = (struct pollfd){.fd = sv[0], .events = POLLOUT};
		if (!eof)
			fds[nf++] = (struct pollfd){.fd = op[0], .events = POLLIN};
		/* wake up now and then to notice an exit while a grandchild holds stdout */
		if (poll(fds, nf, left < 50 ? (int)left : 50) < 0 && errno != EINTR) {
			rc = pl_err_errno(err, PL_EIO, "%s: poll", what);
			goto out;
		}
		if (sv[0] >= 0 && sent < input_len) {
			ssize_t n = send(sv[0], input + sent, input_len - sent, MSG_NOSIGNAL);

			if (n > 0)
				sent += (size_t)n;
			if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
				/* the helper does not read its input: let its answer say why */
				close(sv[0]);
				sv[0] = -1;
			} else if (sent == input_len) {
				shutdown(sv[0], SHUT_WR);
			}
		}
		if (!eof && (rc = drain(op[0], out, &eof, what, err)) < 0)
			goto out;
		if (!exited) {
			w = waitpid(pid, &wst, WNOHANG);
			if (w == pid) {
				exited = true;
				pid = -1;
				/* all it wrote is in the pipe now */
				if (!eof && (rc = drain(op[0], out, &eof, what, err)) < 0)
					goto out;
				eof = true;
			} else if (w < 0 && errno != EINTR) {
				rc = pl_err_errno(err, PL_EIO, "%s: wait", what);
				goto out;
			}
		}
	}
	if (WIFSIGNALED(wst)) {
		rc = pl_err_set(err, PL_EIO, "%s: killed by signal %d", what, WTERMSIG(wst));
		goto out;
	}
	*status = WEXITSTATUS(wst);
	if (*status == 127 && out->len == 0)
		rc = pl_err_set(err, PL_EIO, "cannot run '%s'", exe);
out:
	if (pid > 0) {
		kill(pid, SIGKILL);
		while (waitpid(pid, &wst, 0) < 0 && errno == EINTR)
			;
	}
	for (int i = 0; i < 2; i++) {
		if (sv[i] >= 0)
			close(sv[i]);
		if (op[i] >= 0)
			close(op[i]);
	}
	free(exe);
	free(env);
	free(pathvar);
	return rc;
}

/*
 * A failed helper: "credentials not found" is PL_ENOTFOUND; anything else
 * PL_EIO with the first line of what it said, cut short and printable.
 */
static int helper_failed(const char *name, const char *verb, const char *server,
			 const struct pl_buf *outb, int status, struct pl_err *err)
{
	const char *s = outb->data ? outb->data : "";
	char line[121];
	size_t i;

	if (strstr(s, "credentials not found"))
		return pl_err_set(err, PL_ENOTFOUND,
				  "docker-credential-%s has no credentials for '%s'", name, server);
	for (i = 0; i < sizeof(line) - 1 && s[i] && s[i] != '\n'; i++)
		line[i] = (unsigned char)s[i] >= 0x20 && (unsigned char)s[i] < 0x7f ? s[i] : '?';
	line[i] = '\0';
	return pl_err_set(err, PL_EIO, "docker-credential-%s %s '%s' failed with status %d%s%s",
			  name, verb, server, status, line[0] ? ": " : "", line);
}

static int helper_get(const struct pl_reg_credsrc *src, const char *name, const char *server,
		      struct pl_reg_cred *out, struct pl_err *err)
{
	struct pl_buf b;
	json_error_t jerr;
	json_t *j = NULL;
	const char *u, *s;
	int status = 0, rc;

	pl_buf_init(&b, MAX_HELPER_OUT);
	rc = run_helper(src, name, "get", server, strlen(server), &b, &status, err);
	if (rc < 0)
		goto out;
	if (status != 0) {
		rc = helper_failed(name, "get", server, &b, status, err);
		goto out;
	}
	j = json_loadb(b.data ? b.data : "", b.len, 0, &jerr);
	u = pl_json_str(j, "Username");
	s = pl_json_str(j, "Secret");
	if (!json_is_object(j) || !u || !s) {
		rc = pl_err_set(err, PL_EINVAL,
				"docker-credential-%s get '%s': expected JSON with Username and "
				"Secret",
				name, server);
		goto out;
	}
	if (!*s) {
		rc = pl_err_set(err, PL_ENOTFOUND,
				"docker-credential-%s has no credentials for '%s'", name, server);
		goto out;
	}
	/* docker's convention: the user "<token>" marks an identity token */
	out->identity_token = !strcmp(u, "<token>");
	out->user = out->identity_token ? NULL : strdup(u);
	out->secret = strdup(s);
	if (asprintf(&out->origin, "docker-credential-%s", name) < 0)
		out->origin = NULL;
	if ((!out->identity_token && !out->user) || !out->secret || !out->origin)
		rc = pl_err_set(err, PL_ENOMEM, "out of memory");
out:
	json_wipe_decref(j);
	buf_wipe(&b);
	return rc;
}

/* The helper configured for host: credHelpers[host], else credsStore, else NULL. */
static int helper_for(json_t *cfg, const char *path, const char *host, const char **name,
		      struct pl_err *err)
{
	json_t *helpers = NULL, *store;
	const char *k;
	int rc;

	*name = NULL;
	rc = member_obj(cfg, "credHelpers", path, &helpers, err);
	if (rc < 0)
		return rc;
	k = helpers ? find_key(helpers, host) : NULL;
	if (k) {
		json_t *v = json_object_get(helpers, k);

		if (!json_is_string(v))
			return pl_err_set(err, PL_EINVAL, "'%s': credHelpers '%s' is not a string",
					  path, k);
		*name = json_string_value(v);
	} else {
		store = json_object_get(cfg, "credsStore");
		if (store && !json_is_string(store) && !json_is_null(store))
			return pl_err_set(err, PL_EINVAL, "'%s': \"credsStore\" is not a string",
					  path);
		if (json_is_string(store) && *json_string_value(store))
			*name = json_string_value(store);
	}
	return *name ? check_helper_name(*name, path, err) : 0;
}

/* ---- lookup -------------------------------------------------------------- */

static int creds_flag(const char *creds, struct pl_reg_cred *out, struct pl_err *err)
{
	const char *colon = strchr(creds, ':');

	if (!colon || colon == creds)
		return pl_err_set(err, PL_EINVAL,
				  "--creds: expected USER:PASS with a non-empty USER");
	out->user = strndup(creds, (size_t)(colon - creds));
	out->secret = strdup(colon + 1);
	out->origin = strdup("--creds");
	if (!out->user || !out->secret || !out->origin)
		return pl_err_set(err, PL_ENOMEM, "out of memory");
	return 0;
}

/*
 * Credentials for host from one file (helpers it names included). *none
 * when the file is missing or has nothing for host.
 */
static int lookup_file(const struct pl_reg_credsrc *src, const char *path, const char *host,
		       bool docker, struct pl_reg_cred *out, bool *none, struct pl_err *err)
{
	json_t *cfg = NULL, *auths = NULL;
	const char *helper, *key;
	char *server = NULL;
	int rc;

	*none = true;
	rc = load_config(path, &cfg, err);
	if (rc == PL_ENOTFOUND) {
		rc = 0;
		goto out;
	}
	if (rc < 0)
		goto out;
	rc = helper_for(cfg, path, host, &helper, err);
	if (rc < 0)
		goto out;
	if (helper) {
		server = host_key(host, docker);
		if (!server) {
			rc = pl_err_set(err, PL_ENOMEM, "out of memory");
			goto out;
		}
		/* a configured helper has the last word, as in docker */
		rc = helper_get(src, helper, server, out, err);
		*none = false;
		goto out;
	}
	rc = member_obj(cfg, "auths", path, &auths, err);
	if (rc < 0 || !auths)
		goto out;
	key = find_key(auths, host);
	if (key)
		rc = entry_cred(json_object_get(auths, key), path, key, out, none, err);
out:
	free(server);
	json_wipe_decref(cfg);
	return rc;
}

static char *join(const char *dir, const char *rel)
{
	char *p;

	return asprintf(&p, "%s/%s", dir, rel) < 0 ? NULL : p;
}

/* The containers auth files to look in, in order; NULL entries are skipped. */
static int containers_paths(const struct pl_reg_credsrc *src, char *paths[2], struct pl_err *err)
{
	paths[0] = paths[1] = NULL;
	if (src->auth_file) {
		paths[0] = strdup(src->auth_file);
		if (!paths[0])
			return pl_err_set(err, PL_ENOMEM, "out of memory");
		return 0;
	}
	if (src->runtime_dir && !(paths[0] = join(src->runtime_dir, "containers/auth.json")))
		return pl_err_set(err, PL_ENOMEM, "out of memory");
	if (src->config_home)
		paths[1] = join(src->config_home, "containers/auth.json");
	else if (src->home)
		paths[1] = join(src->home, ".config/containers/auth.json");
	else
		return 0;
	return paths[1] ? 0 : pl_err_set(err, PL_ENOMEM, "out of memory");
}

static char *docker_path(const struct pl_reg_credsrc *src)
{
	if (src->docker_config)
		return join(src->docker_config, "config.json");
	if (src->home)
		return join(src->home, ".docker/config.json");
	return NULL;
}

int pl_reg_creds_lookup(const struct pl_reg_credsrc *src, const char *host, struct pl_reg_cred *out,
			struct pl_err *err)
{
	char *paths[3] = {NULL, NULL, NULL};
	bool none = true;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = check_host(host, err);
	if (rc < 0)
		goto out;
	if (src->creds) {
		rc = creds_flag(src->creds, out, err);
		goto out;
	}
	rc = containers_paths(src, paths, err);
	if (rc < 0)
		goto out;
	if ((src->docker_config || src->home) && !(paths[2] = docker_path(src))) {
		rc = pl_err_set(err, PL_ENOMEM, "out of memory");
		goto out;
	}
	for (int i = 0; i < 3 && none; i++) {
		if (!paths[i])
			continue;
		rc = lookup_file(src, paths[i], host, i == 2, out, &none, err);
		if (rc < 0)
			goto out;
	}
	if (none)
		rc = pl_err_set(err, PL_ENOTFOUND, "no credentials for '%s'", host);
out:
	for (int i = 0; i < 3; i++)
		free(paths[i]);
	if (rc < 0)
		pl_reg_cred_release(out);
	return rc;
}

void pl_reg_cred_release(struct pl_reg_cred *c)
{
	free_secret(c->user);
	free_secret(c->secret);
	free(c->origin);
	memset(c, 0, sizeof(*c));
}

/* ---- login and logout ------------------------------------------------------ */

/* Write cfg to path atomically, mode 0600, its directory made 0700 when missing. */
static int write_config(const char *path, json_t *cfg, struct pl_err *err)
{
	struct pl_buf b;
	char *target = NULL, *dir = NULL, *slash;
	struct stat st;
	int rc;

	pl_buf_init(&b, 0);
	/* a symlinked config.json (dotfile managers) is updated where it points */
	if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode))
		target = realpath(path, NULL);
	if (!target)
		target = strdup(path);
	dir = target ? strdup(target) : NULL;
	if (!dir) {
		rc = pl_err_set(err, PL_ENOMEM, "out of memory");
		goto out;
	}
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		rc = pl_mkdir_p(dir, 0700, err);
		if (rc < 0)
			goto out;
	}
	rc = pl_json_dump_pretty(cfg, &b, err);
	if (rc < 0)
		goto out;
	rc = pl_write_file_atomic(target, b.data, b.len, 0600, err);
out:
	buf_wipe(&b);
	free(target);
	free(dir);
	return rc;
}

/* Remove every key of auths naming host; the number removed. */
static size_t remove_host(json_t *auths, const char *host)
{
	const char *k;
	json_t *v;
	void *tmp;
	size_t n = 0;

	json_object_foreach_safe(auths, tmp, k, v)
	{
		if (same_host(k, host)) {
			json_wipe(v);
			json_object_del(auths, k);
			n++;
		}
	}
	return n;
}

/* auths[key] = {"auth": base64(user:secret)} in cfg, other aliases of host dropped. */
static int set_auth(json_t *cfg, const char *path, const char *host, const char *key,
		    const char *user, const char *secret, struct pl_err *err)
{
	json_t *auths = NULL, *entry = NULL;
	char *enc = NULL;
	int rc;

	rc = member_obj(cfg, "auths", path, &auths, err);
	if (rc < 0)
		goto out;
	if (!auths) {
		rc = pl_json_set_new(cfg, "auths", json_object(), err);
		if (rc < 0)
			goto out;
		auths = json_object_get(cfg, "auths");
	}
	remove_host(auths, host);
	enc = encode_auth(user, secret);
	entry = json_object();
	if (!enc || !entry) {
		rc = pl_err_set(err, PL_ENOMEM, "out of memory");
		goto out;
	}
	rc = pl_json_set_str(entry, "auth", enc, err);
	if (rc < 0)
		goto out;
	rc = pl_json_set_new(auths, key, entry, err);
	entry = NULL;
out:
	json_wipe_decref(entry);
	free_secret(enc);
	return rc;
}

static int helper_store(const struct pl_reg_credsrc *src, const char *name, const char *server,
			const char *user, const char *secret, struct pl_err *err)
{
	struct pl_buf in, outb;
	json_t *j = json_object();
	int status = 0, rc;

	pl_buf_init(&in, 0);
	pl_buf_init(&outb, MAX_HELPER_OUT);
	if (!j) {
		rc = pl_err_set(err, PL_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = pl_json_set_str(j, "ServerURL", server, err)) < 0 ||
	    (rc = pl_json_set_str(j, "Username", user, err)) < 0 ||
	    (rc = pl_json_set_str(j, "Secret", secret, err)) < 0 ||
	    (rc = pl_json_dump(j, &in, err)) < 0)
		goto out;
	rc = run_helper(src, name, "store", in.data, in.len, &outb, &status, err);
	if (rc == 0 && status != 0)
		rc = helper_failed(name, "store", server, &outb, status, err);
	if (rc == PL_ENOTFOUND) /* "not found" makes no sense for store */
		rc = PL_EIO;
out:
	json_wipe_decref(j);
	buf_wipe(&in);
	buf_wipe(&outb);
	return rc;
}

static int helper_erase(const struct pl_reg_credsrc *src, const char *name, const char *server,
			struct pl_err *err)
{
	struct pl_buf outb;
	int status = 0, rc;

	pl_buf_init(&outb, MAX_HELPER_OUT);
	rc = run_helper(src, name, "erase", server, strlen(server), &outb, &status, err);
	if (rc == 0 && status != 0)
		rc = helper_failed(name, "erase", server, &outb, status, err);
	buf_wipe(&outb);
	return rc;
}

/*
 * Where login and logout write: the auth file (containers' naming), or the
 * docker config (docker's naming, through its helper when it has one).
 */
struct target {
	char *path;
	bool docker;
	json_t *cfg;	    /* the file as it is, or a new empty object */
	const char *helper; /* borrowed from cfg */
	char *key;
};

static int target_open(const struct pl_reg_credsrc *src, const char *host, struct target *t,
		       struct pl_err *err)
{
	int rc;

	memset(t, 0, sizeof(*t));
	rc = check_host(host, err);
	if (rc < 0)
		return rc;
	t->docker = !src->auth_file;
	t->path = src->auth_file ? strdup(src->auth_file) : docker_path(src);
	if (!t->path && !src->auth_file && !src->docker_config && !src->home)
		return pl_err_set(err, PL_EINVAL, "no home directory to keep credentials in");
	t->key = host_key(host, t->docker);
	if (!t->path || !t->key)
		return pl_err_set(err, PL_ENOMEM, "out of memory");
	rc = load_config(t->path, &t->cfg, err);
	if (rc == PL_ENOTFOUND) {
		t->cfg = json_object();
		rc = t->cfg ? 0 : pl_err_set(err, PL_ENOMEM, "out of memory");
	}
	if (rc == 0 && t->docker)
		rc = helper_for(t->cfg, t->path, host, &t->helper, err);
	return rc;
}

static void target_close(struct target *t)
{
	free(t->path);
	free(t->key);
	json_wipe_decref(t->cfg);
	memset(t, 0, sizeof(*t));
}

static int set_where(char **where, const char *helper, const char *path, struct pl_err *err)
{
	int n = helper ? asprintf(where, "docker-credential-%s", helper)
		       : ((*where = strdup(path)) ? 0 : -1);

	if (n < 0) {
		*where = NULL;
		return pl_err_set(err, PL_ENOMEM, "out of memory");
	}
	return 0;
}

int pl_reg_creds_store(const struct pl_reg_credsrc *src, const char *host, const char *user,
		       const char *secret, char **where, struct pl_err *err)
{
	struct target t;
	int rc;

	*where = NULL;
	rc = target_open(src, host, &t, err);
	if (rc < 0)
		goto out;
	if (!user || !*user || strchr(user, ':'))
		rc = pl_err_set(err, PL_EINVAL,
				"login to '%s': the user name must be non-empty "
				"and without ':'",
				host);
	else if (!secret)
		rc = pl_err_set(err, PL_EINVAL, "login to '%s': no password given", host);
	if (rc < 0)
		goto out;
	if (t.helper)
		rc = helper_store(src, t.helper, t.key, user, secret, err);
	else if ((rc = set_auth(t.cfg, t.path, host, t.key, user, secret, err)) == 0)
		rc = write_config(t.path, t.cfg, err);
	if (rc == 0)
		rc = set_where(where, t.helper, t.path, err);
out:
	target_close(&t);
	return rc;
}

int pl_reg_creds_erase(const struct pl_reg_credsrc *src, const char *host, char **where,
		       struct pl_err *err)
{
	struct pl_err e = PL_ERR_INIT;
	struct target t;
	json_t *auths = NULL;
	size_t removed = 0;
	bool helper_had = false;
	int rc;

	*where = NULL;
	rc = target_open(src, host, &t, err);
	if (rc < 0)
		goto out;
	if (t.helper) {
		rc = helper_erase(src, t.helper, t.key, &e);
		if (rc < 0 && rc != PL_ENOTFOUND) {
			rc = pl_err_set(err, rc, "%s", e.msg);
			goto out;
		}
		helper_had = rc == 0;
	}
	/* an entry in the file goes too, so that nothing is left behind */
	rc = member_obj(t.cfg, "auths", t.path, &auths, err);
	if (rc < 0)
		goto out;
	if (auths)
		removed = remove_host(auths, host);
	if (removed)
		rc = write_config(t.path, t.cfg, err);
	if (rc < 0)
		goto out;
	if (!helper_had && !removed) {
		rc = pl_err_set(err, PL_ENOTFOUND, "not logged in to '%s' (%s%s)", host,
				t.helper ? "docker-credential-" : "", t.helper ? t.helper : t.path);
		goto out;
	}
	rc = set_where(where, helper_had ? t.helper : NULL, t.path, err);
out:
	target_close(&t);
	return rc;
}
