/*
 * Unit tests for WWW-Authenticate challenges and registry credentials:
 * --creds, containers auth.json, docker config.json and docker-credential-*
 * helpers (a fake helper script written into the test's temp dir).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "lib/registry.h"
#include "util/buf.h"
#include "util/fsutil.h"
#include "testutil.h"

/* ---- challenges ---------------------------------------------------------- */

struct chal_case {
	const char *in;
	const char *scheme, *realm, *service, *scope, *error;
};

static const struct chal_case chal_ok[] = {
    {"Bearer realm=\"https://auth.docker.io/token\",service=\"registry.docker.io\","
     "scope=\"repository:library/debian:pull\"",
     "Bearer", "https://auth.docker.io/token", "registry.docker.io",
     "repository:library/debian:pull", NULL},
    {"Basic realm=\"Registry Realm\"", "Basic", "Registry Realm", NULL, NULL, NULL},
    {"Bearer realm=\"http://127.0.0.1:5001/token\",service=\"plinth-test\","
     "scope=\"repository:a/b:pull,push\",error=\"insufficient_scope\"",
     "Bearer", "http://127.0.0.1:5001/token", "plinth-test", "repository:a/b:pull,push",
     "insufficient_scope"},
    /* lowercase scheme, whitespace around '=' and ',', token values */
    {"bearer   realm = \"https://r/t\" ,  service=svc.example ,scope=\"x\"  ", "Bearer",
     "https://r/t", "svc.example", "x", NULL},
    {"\tBASIC realm=\"r\"\r\n", "Basic", "r", NULL, NULL, NULL},
    /* parameter names are case-insensitive; unknown ones are skipped */
    {"Bearer Realm=\"https://r\",foo=\"bar, baz\",x=y,SERVICE=\"s\"", "Bearer", "https://r", "s",
     NULL, NULL},
    /* backslash escapes */
    {"Basic realm=\"say \\\"hi\\\" \\\\ there\"", "Basic", "say \"hi\" \\ there", NULL, NULL, NULL},
    /* other schemes before the one we speak are skipped */
    {"Negotiate, Bearer realm=\"https://r\",service=\"s\"", "Bearer", "https://r", "s", NULL, NULL},
    {"Negotiate YIIG/w+ab==, Basic realm=\"r\"", "Basic", "r", NULL, NULL, NULL},
    {"Digest realm=\"d\", nonce=\"abc\", qop=\"auth,auth-int\", Bearer realm=\"https://r\"",
     "Bearer", "https://r", NULL, NULL, NULL},
    /* the first usable challenge wins; the rest is not looked at */
    {"Basic realm=\"first\", Bearer realm=\"second\"", "Basic", "first", NULL, NULL, NULL},
    /* a scheme alone, and empty list elements */
    {"Bearer", "Bearer", NULL, NULL, NULL, NULL},
    {" , ,Bearer realm=\"r\",,scope=\"s\",", "Bearer", "r", NULL, "s", NULL},
    /* a repeated parameter: the first one counts */
    {"Bearer realm=\"a\",realm=\"b\"", "Bearer", "a", NULL, NULL, NULL},
    {"Bearer realm=\"\"", "Bearer", "", NULL, NULL, NULL},
};

static void assert_str_or_null(const char *want, const char *got)
{
	if (!want)
		assert_null(got);
	else {
		assert_non_null(got);
		assert_string_equal(want, got);
	}
}

static void test_registry_challenge_parse(void **state)
{
	struct pl_reg_challenge c = {0};

	(void)state;
	for (size_t i = 0; i < sizeof(chal_ok) / sizeof(chal_ok[0]); i++) {
		struct pl_err err = PL_ERR_INIT;
		const struct chal_case *t = &chal_ok[i];
		int rc = pl_reg_challenge_parse(t->in, &c, &err);

		if (rc != 0)
			fail_msg("'%s': %s", t->in, err.msg);
		assert_str_or_null(t->scheme, c.scheme);
		assert_str_or_null(t->realm, c.realm);
		assert_str_or_null(t->service, c.service);
		assert_str_or_null(t->scope, c.scope);
		assert_str_or_null(t->error, c.error);
	}
	pl_reg_challenge_release(&c);
	assert_null(c.scheme);
}

static void test_registry_challenge_not_found(void **state)
{
	static const char *const none[] = {
	    "", "   ", "Negotiate", "Negotiate abc==", "Digest realm=\"x\", nonce=\"y\"", ",,"};
	struct pl_reg_challenge c = {0};
	struct pl_err err = PL_ERR_INIT;

	(void)state;
	for (size_t i = 0; i < sizeof(none) / sizeof(none[0]); i++) {
		pl_err_init(&err);
		assert_int_equal(pl_reg_challenge_parse(none[i], &c, &err), PL_ENOTFOUND);
		assert_null(c.scheme);
	}
	pl_err_init(&err);
	assert_int_equal(pl_reg_challenge_parse(NULL, &c, &err), PL_ENOTFOUND);
}

static void test_registry_challenge_malformed(void **state)
{
	static const char *const bad[] = {
	    "Bearer realm=\"https://auth/token,service=\"x\"", /* unterminated after all */
	    "Bearer realm=\"unterminated",
	    "Bearer realm=\"ends in backslash\\",
	    "Bearer realm=\"a\",service=",
	    "Bearer service=x,realm=",
	    "Bearer realm=\"a\" service=\"b\"",
	    "Bearer=x",
	    "\"Bearer\" realm=x",
	    "Bearer realm=\"a\x01b\"",
	    "Negotiate realm=\"open, Bearer realm=\"x\"",
	    "Bearer realm=a b",
	    "Bearer realm=@",
	};
	struct pl_reg_challenge c = {0};
	char *big;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct pl_err err = PL_ERR_INIT;
		int rc = pl_reg_challenge_parse(bad[i], &c, &err);

		if (rc != PL_EINVAL)
			fail_msg("'%s': got %d, want PL_EINVAL", bad[i], rc);
		assert_non_null(strstr(err.msg, "WWW-Authenticate"));
		assert_null(c.scheme);
		assert_null(c.realm);
	}
	/* a header beyond the cap is refused before it is looked at */
	big = malloc(20000);
	assert_non_null(big);
	memcpy(big, "Bearer realm=\"", 14);
	memset(big + 14, 'a', 20000 - 16);
	memcpy(big + 20000 - 2, "\"", 2);
	{
		struct pl_err err = PL_ERR_INIT;

		assert_int_equal(pl_reg_challenge_parse(big, &c, &err), PL_EINVAL);
		assert_non_null(strstr(err.msg, "longer than"));
	}
	free(big);
}

/* out is released and refilled: an old value never leaks into the new one. */
static void test_registry_challenge_refill(void **state)
{
	struct pl_reg_challenge c = {0};
	struct pl_err err = PL_ERR_INIT;

	(void)state;
	assert_int_equal(
	    pl_reg_challenge_parse("Bearer realm=\"a\",service=\"s\",error=\"e\"", &c, &err), 0);
	assert_int_equal(pl_reg_challenge_parse("Basic realm=\"b\"", &c, &err), 0);
	assert_string_equal(c.scheme, "Basic");
	assert_string_equal(c.realm, "b");
	assert_null(c.service);
	assert_null(c.error);
	assert_int_equal(pl_reg_challenge_parse("Bearer realm=\"x", &c, &err), PL_EINVAL);
	assert_null(c.scheme);
	assert_null(c.realm);
	pl_reg_challenge_release(&c);
}

/* ---- credentials fixture --------------------------------------------------- */

struct fx {
	char *dir;
	char *home, *bin, *path, *runtime, *xdg;
	struct pl_reg_credsrc src;
};

static const char fake_helper[] =
    "#!/bin/sh\n"
    "d=\"$(dirname \"$0\")\"\n"
    "in=\"$(cat)\"\n"
    "printf '%s\\n' \"$#\" \"$@\" > \"$d/argv-$1\"\n"
    "printf '%s' \"$in\" > \"$d/stdin-$1\"\n"
    "printf '%s' \"$PATH\" > \"$d/path-$1\"\n"
    "case \"$1\" in\n"
    "get)\n"
    "  case \"$in\" in\n"
    "  localhost:5000) printf '{\"ServerURL\":\"localhost:5000\",\"Username\":\"helperuser\","
    "\"Secret\":\"helper-secret\"}\\n' ;;\n"
    "  https://index.docker.io/v1/|docker.io) printf "
    "'{\"ServerURL\":\"%s\",\"Username\":\"<token>\","
    "\"Secret\":\"id-token-1\"}' \"$in\" ;;\n"
    "  badjson.example) printf '{\"Username\":\"u\",\"Secret\":\"leaky' ;;\n"
    "  boom.example) echo 'boom: keychain is locked'; exit 3 ;;\n"
    "  empty.example) printf '{\"ServerURL\":\"empty.example\",\"Username\":\"\","
    "\"Secret\":\"\"}' ;;\n"
    "  *) echo 'credentials not found in native keychain'; exit 1 ;;\n"
    "  esac ;;\n"
    "store) exit 0 ;;\n"
    "erase)\n"
    "  case \"$in\" in\n"
    "  localhost:5000|https://index.docker.io/v1/) exit 0 ;;\n"
    "  *) echo 'credentials not found in native keychain'; exit 1 ;;\n"
    "  esac ;;\n"
    "*) exit 2 ;;\n"
    "esac\n";

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	char *helper;

	assert_non_null(f);
	f->dir = tu_mkdtemp();
	f->home = tu_path(f->dir, "home");
	f->bin = tu_path(f->dir, "bin");
	f->runtime = tu_path(f->dir, "run");
	f->xdg = tu_path(f->dir, "xdg");
	assert_true(asprintf(&f->path, "%s:/usr/bin:/bin", f->bin) > 0);
	assert_int_equal(mkdir(f->home, 0755), 0);
	tu_write(f->dir, "bin/docker-credential-fake", fake_helper, strlen(fake_helper));
	helper = tu_path(f->dir, "bin/docker-credential-fake");
	assert_int_equal(chmod(helper, 0755), 0);
	free(helper);
	f->src.home = f->home;
	f->src.helper_path = f->path;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	tu_rmtree(f->dir);
	free(f->home);
	free(f->bin);
	free(f->path);
	free(f->runtime);
	free(f->xdg);
	free(f);
	return 0;
}

static char *b64(const char *s)
{
	size_t n = strlen(s);
	char *out = malloc((n + 2) / 3 * 4 + 1);

	assert_non_null(out);
	EVP_EncodeBlock((unsigned char *)out, (const unsigned char *)s, (int)n);
	return out;
}

/* Write dir/rel holding {"auths": {key: {"auth": base64(userpass)}}}. */
static void write_auth(const char *dir, const char *rel, const char *key, const char *userpass)
{
	char *enc = b64(userpass), *doc;

	assert_true(asprintf(&doc, "{\"auths\": {\"%s\": {\"auth\": \"%s\"}}}", key, enc) > 0);
	tu_write(dir, rel, doc, strlen(doc));
	free(enc);
	free(doc);
}

static void write_str(const char *dir, const char *rel, const char *s)
{
	tu_write(dir, rel, s, strlen(s));
}

static char *read_str(const char *dir, const char *rel)
{
	struct pl_buf b = PL_BUF_INIT;
	char *p = tu_path(dir, rel);

	assert_int_equal(pl_read_file(p, 0, &b, NULL), 0);
	free(p);
	return pl_buf_detach(&b, NULL);
}

static json_t *load_json(const char *dir, const char *rel)
{
	char *p = tu_path(dir, rel);
	json_t *j = json_load_file(p, 0, NULL);

	assert_non_null(j);
	free(p);
	return j;
}

/* Look host up and check user, secret and origin (origin relative to f->dir when it starts with
 * "/"). */
static void expect_cred(struct fx *f, const char *host, const char *user, const char *secret,
			bool identity, const char *origin)
{
	struct pl_reg_cred c = {0};
	struct pl_err err = PL_ERR_INIT;
	int rc = pl_reg_creds_lookup(&f->src, host, &c, &err);

	if (rc != 0)
		fail_msg("lookup '%s': %d %s", host, rc, err.msg);
	assert_str_or_null(user, c.user);
	assert_string_equal(secret, c.secret);
	assert_int_equal(c.identity_token, identity);
	if (origin[0] == '/') {
		char *want = tu_path(f->dir, origin + 1);

		assert_string_equal(want, c.origin);
		free(want);
	} else {
		assert_string_equal(origin, c.origin);
	}
	if (strlen(secret) >= 6)
		assert_null(strstr(c.origin, secret));
	pl_reg_cred_release(&c);
	assert_null(c.secret);
}

static void expect_lookup_fails(struct fx *f, const char *host, int code, const char *in_msg,
				const char *not_in_msg)
{
	struct pl_reg_cred c = {0};
	struct pl_err err = PL_ERR_INIT;
	int rc = pl_reg_creds_lookup(&f->src, host, &c, &err);

	if (rc != code)
		fail_msg("lookup '%s': got %d (%s), want %d", host, rc, err.msg, code);
	assert_null(c.secret);
	assert_null(c.user);
	if (in_msg && !strstr(err.msg, in_msg))
		fail_msg("'%s' not in '%s'", in_msg, err.msg);
	if (not_in_msg && strstr(err.msg, not_in_msg))
		fail_msg("'%s' leaked into '%s'", not_in_msg, err.msg);
}

/* ---- lookup -------------------------------------------------------------------- */

static void test_registry_creds_flag(void **state)
{
	struct fx *f = *state;

	write_auth(f->home, ".docker/config.json", "localhost:5000", "fileuser:filepass");
	f->src.creds = "bob:pa:ss";
	expect_cred(f, "localhost:5000", "bob", "pa:ss", false, "--creds");
	f->src.creds = "bob:";
	expect_cred(f, "localhost:5000", "bob", "", false, "--creds");
	f->src.creds = ":hunter2";
	expect_lookup_fails(f, "localhost:5000", PL_EINVAL, "--creds", "hunter2");
	f->src.creds = "hunter2";
	expect_lookup_fails(f, "localhost:5000", PL_EINVAL, "--creds", "hunter2");
	f->src.creds = NULL;
	expect_cred(f, "localhost:5000", "fileuser", "filepass", false,
		    "/home/.docker/config.json");
}

static void test_registry_creds_docker_auth(void **state)
{
	struct fx *f = *state;

	/* split at the first ':', the password may hold more */
	write_auth(f->home, ".docker/config.json", "localhost:5000", "alice:s3cr:et");
	expect_cred(f, "localhost:5000", "alice", "s3cr:et", false, "/home/.docker/config.json");
	expect_lookup_fails(f, "localhost:5001", PL_ENOTFOUND, "localhost:5001", NULL);
	expect_lookup_fails(f, "localhost", PL_ENOTFOUND, NULL, NULL);
	/* DOCKER_CONFIG wins over HOME/.docker */
	f->src.docker_config = f->xdg;
	expect_lookup_fails(f, "localhost:5000", PL_ENOTFOUND, NULL, NULL);
	write_auth(f->xdg, "config.json", "localhost:5000", "carol:pw");
	expect_cred(f, "localhost:5000", "carol", "pw", false, "/xdg/config.json");
}

static void test_registry_creds_key_forms(void **state)
{
	static const char *const forms[] = {
	    "localhost:5000",	  "https://localhost:5000",	"http://localhost:5000",
	    "localhost:5000/v1/", "https://localhost:5000/v1/", "HTTPS://LocalHost:5000/v2/"};
	static const char *const hub[] = {"https://index.docker.io/v1/", "index.docker.io",
					  "docker.io", "registry-1.docker.io",
					  "https://registry-1.docker.io/v2/"};
	static const char *const hub_hosts[] = {"docker.io", "index.docker.io",
						"registry-1.docker.io"};
	static const char *const others[] = {"localhost:50001", "localhost", "otherhost:5000",
					     "https://localhost:50000/v1/", "xlocalhost:5000"};
	struct fx *f = *state;

	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		write_auth(f->home, ".docker/config.json", forms[i], "u:p");
		expect_cred(f, "localhost:5000", "u", "p", false, "/home/.docker/config.json");
	}
	for (size_t i = 0; i < sizeof(hub) / sizeof(hub[0]); i++) {
		write_auth(f->home, ".docker/config.json", hub[i], "hubuser:hubpass");
		for (size_t j = 0; j < sizeof(hub_hosts) / sizeof(hub_hosts[0]); j++)
			expect_cred(f, hub_hosts[j], "hubuser", "hubpass", false,
				    "/home/.docker/config.json");
		expect_lookup_fails(f, "quay.io", PL_ENOTFOUND, NULL, NULL);
	}
	for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
		write_auth(f->home, ".docker/config.json", others[i], "u:p");
		expect_lookup_fails(f, "localhost:5000", PL_ENOTFOUND, NULL, NULL);
	}
	/* the exact spelling wins over an alias, whatever the order in the file */
	write_str(f->home, ".docker/config.json",
		  "{\"auths\": {\"https://localhost:5000\": {\"auth\": \"YTpi\"},"
		  " \"localhost:5000\": {\"auth\": \"Yzpk\"}}}");
	expect_cred(f, "localhost:5000", "c", "d", false, "/home/.docker/config.json");
}

static void test_registry_creds_identity_token(void **state)
{
	struct fx *f = *state;
	char *enc = b64("someone:ignored"), *doc;

	assert_true(asprintf(&doc,
			     "{\"auths\": {\"localhost:5000\": {\"auth\": \"%s\","
			     " \"identitytoken\": \"refresh-123\"},"
			     " \"reg.example\": {\"auth\": \"%s\", \"identitytoken\": \"\"}}}",
			     enc, enc) > 0);
	write_str(f->home, ".docker/config.json", doc);
	expect_cred(f, "localhost:5000", NULL, "refresh-123", true, "/home/.docker/config.json");
	/* an empty identity token is no token */
	expect_cred(f, "reg.example", "someone", "ignored", false, "/home/.docker/config.json");
	free(enc);
	free(doc);
}

static void test_registry_creds_username_password(void **state)
{
	struct fx *f = *state;

	write_str(f->home, ".docker/config.json",
		  "{\"auths\": {\"localhost:5000\": {\"username\": \"pu\", \"password\": \"pp\"},"
		  " \"empty.example\": {},"
		  " \"email.example\": {\"email\": \"a@b\"}}}");
	expect_cred(f, "localhost:5000", "pu", "pp", false, "/home/.docker/config.json");
	/* entries docker leaves behind when a helper keeps the secret hold nothing */
	expect_lookup_fails(f, "empty.example", PL_ENOTFOUND, NULL, NULL);
	expect_lookup_fails(f, "email.example", PL_ENOTFOUND, NULL, NULL);
}

static void test_registry_creds_precedence(void **state)
{
	struct fx *f = *state;

	write_auth(f->home, ".docker/config.json", "localhost:5000", "docker:1");
	expect_cred(f, "localhost:5000", "docker", "1", false, "/home/.docker/config.json");
	/* HOME/.config/containers/auth.json when XDG_CONFIG_HOME is not set */
	write_auth(f->home, ".config/containers/auth.json", "localhost:5000", "homecfg:2");
	expect_cred(f, "localhost:5000", "homecfg", "2", false,
		    "/home/.config/containers/auth.json");
	f->src.config_home = f->xdg;
	expect_cred(f, "localhost:5000", "docker", "1", false, "/home/.docker/config.json");
	write_auth(f->xdg, "containers/auth.json", "localhost:5000", "xdg:3");
	expect_cred(f, "localhost:5000", "xdg", "3", false, "/xdg/containers/auth.json");
	/* the runtime auth.json first; a file without the host falls through */
	f->src.runtime_dir = f->runtime;
	write_auth(f->runtime, "containers/auth.json", "other.example", "run:0");
	expect_cred(f, "localhost:5000", "xdg", "3", false, "/xdg/containers/auth.json");
	write_auth(f->runtime, "containers/auth.json", "localhost:5000", "run:4");
	expect_cred(f, "localhost:5000", "run", "4", false, "/run/containers/auth.json");
	/* REGISTRY_AUTH_FILE replaces the containers files, docker config still follows */
	f->src.auth_file = f->bin; /* a directory: unreadable, must fail */
	expect_lookup_fails(f, "localhost:5000", PL_EIO, NULL, NULL);
	write_auth(f->dir, "auth-file.json", "localhost:5000", "authfile:5");
	{
		char *p = tu_path(f->dir, "auth-file.json");

		f->src.auth_file = p;
		expect_cred(f, "localhost:5000", "authfile", "5", false, "/auth-file.json");
		write_auth(f->dir, "auth-file.json", "other.example", "x:y");
		expect_cred(f, "localhost:5000", "docker", "1", false, "/home/.docker/config.json");
		f->src.auth_file = NULL;
		free(p);
	}
	/* --creds before everything */
	f->src.creds = "flag:6";
	expect_cred(f, "localhost:5000", "flag", "6", false, "--creds");
}

static void test_registry_creds_not_found(void **state)
{
	struct fx *f = *state;

	expect_lookup_fails(f, "localhost:5000", PL_ENOTFOUND, "localhost:5000", NULL);
	write_str(f->home, ".docker/config.json", "{}");
	expect_lookup_fails(f, "localhost:5000", PL_ENOTFOUND, NULL, NULL);
	write_str(f->home, ".docker/config.json", "{\"auths\": null, \"credsStore\": \"\"}");
	expect_lookup_fails(f, "localhost:5000", PL_ENOTFOUND, NULL, NULL);
	f->src.home = NULL;
	expect_lookup_fails(f, "localhost:5000", PL_ENOTFOUND, NULL, NULL);
	f->src.home = f->home;
	expect_lookup_fails(f, "", PL_EINVAL, NULL, NULL);
	expect_lookup_fails(f, "https://", PL_EINVAL, NULL, NULL);
}

static void test_registry_creds_malformed(void **state)
{
	struct fx *f = *state;
	char *doc;

	/* jansson quotes the input near the error: that must not reach the message */
	write_str(f->home, ".docker/config.json",
		  "{\"auths\": {\"localhost:5000\": {\"auth\": \"c2VjcmV0LXRva2Vu\n");
	expect_lookup_fails(f, "localhost:5000", PL_EINVAL, ".docker/config.json",
			    "c2VjcmV0LXRva2Vu");
	write_str(f->home, ".docker/config.json", "[1, 2]");
	expect_lookup_fails(f, "localhost:5000", PL_EINVAL, ".docker/config.json", NULL);
	write_str(f->home, ".docker/config.json", "{\"auths\": [\"localhost:5000\"]}");
	expect_lookup_fails(f, "localhost:5000", PL_EINVAL, "auths", NULL);
	write_str(f->home, ".docker/config.json", "{\"auths\": {\"localhost:5000\": \"x\"}}");
	expect_lookup_fails(f, "localhost:5000", PL_EINVAL, "localhost:5000", NULL);
	/* bad base64, named by file and key, without the value */
	write_str(f->home, ".docker/config.json",
		  "{\"auths\": {\"localhost:5000\": {\"auth\": \"not*base64!secret\"}}}");
	expect_lookup_fails(f, "localhost:5000", PL_EINVAL, "'localhost:5000'", "secret");
	expect_lookup_fails(f, "localhost:5000", PL_EINVAL, ".docker/config.json", NULL);
	/* base64 of something without ':' */
	doc = b64("nocolonsecret");
	write_auth(f->home, ".docker/config.json", "localhost:5000", "nocolonsecret");
	expect_lookup_fails(f, "localhost:5000", PL_EINVAL, "auth", doc);
	free(doc);
	/* a malformed file is an error even when a later source would answer */
	write_auth(f->home, ".docker/config.json", "localhost:5000", "u:p");
	f->src.config_home = f->xdg;
	write_str(f->xdg, "containers/auth.json", "{\"auths\": ");
	expect_lookup_fails(f, "localhost:5000", PL_EINVAL, "containers/auth.json", NULL);
	/* a malformed entry for another host does not matter */
	write_str(f->xdg, "containers/auth.json",
		  "{\"auths\": {\"other.example\": {\"auth\": \"!!\"}}}");
	expect_cred(f, "localhost:5000", "u", "p", false, "/home/.docker/config.json");
	/* unpadded base64 is accepted, as docker's decoder would after padding */
	write_str(f->home, ".docker/config.json",
		  "{\"auths\": {\"localhost:5000\": {\"auth\": \"dXNlcjpwYXNzd29yZA\"}}}");
	expect_cred(f, "localhost:5000", "user", "password", false, "/home/.docker/config.json");
}

/* ---- helpers ---------------------------------------------------------------- */

static void test_registry_creds_helper_get(void **state)
{
	struct fx *f = *state;
	char *s;

	write_str(f->home, ".docker/config.json",
		  "{\"credHelpers\": {\"localhost:5000\": \"fake\"},"
		  " \"auths\": {\"localhost:5000\": {\"auth\": \"ZmlsZTpmaWxl\"}}}");
	expect_cred(f, "localhost:5000", "helperuser", "helper-secret", false,
		    "docker-credential-fake");
	/* only the verb on the command line, the server on stdin, PATH from helper_path */
	s = read_str(f->bin, "argv-get");
	assert_string_equal(s, "1\nget\n");
	free(s);
	s = read_str(f->bin, "stdin-get");
	assert_string_equal(s, "localhost:5000");
	free(s);
	s = read_str(f->bin, "path-get");
	assert_string_equal(s, f->path);
	free(s);
	/* credsStore for every other host; docker.io is asked for as docker asks */
	write_str(f->home, ".docker/config.json",
		  "{\"credsStore\": \"fake\", \"auths\": {\"https://index.docker.io/v1/\": {}}}");
	expect_cred(f, "docker.io", NULL, "id-token-1", true, "docker-credential-fake");
	s = read_str(f->bin, "stdin-get");
	assert_string_equal(s, "https://index.docker.io/v1/");
	free(s);
	/* credHelpers wins over credsStore */
	write_str(f->home, ".docker/config.json",
		  "{\"credsStore\": \"missing\", \"credHelpers\": {\"https://localhost:5000\": "
		  "\"fake\"}}");
	expect_cred(f, "localhost:5000", "helperuser", "helper-secret", false,
		    "docker-credential-fake");
	/* credHelpers in a containers auth.json work too */
	f->src.config_home = f->xdg;
	write_str(f->xdg, "containers/auth.json", "{\"credHelpers\": {\"docker.io\": \"fake\"}}");
	expect_cred(f, "docker.io", NULL, "id-token-1", true, "docker-credential-fake");
	s = read_str(f->bin, "stdin-get");
	assert_string_equal(s, "docker.io"); /* podman's name for it */
	free(s);
}

static void test_registry_creds_helper_errors(void **state)
{
	struct fx *f = *state;
	struct timespec t0, t1;
	static const char slow[] = "#!/bin/sh\n"
				   "cat >/dev/null\n"
				   "sleep 3 2>/dev/null &\n"
				   "printf '{\"Username\":\"u\",\"Secret\":\"s\"}'\n";
	char *p;

	/* a configured helper has the last word: its "not found" is not-found */
	write_str(f->home, ".docker/config.json",
		  "{\"credsStore\": \"fake\","
		  " \"auths\": {\"nothere.example\": {\"auth\": \"ZmlsZTpmaWxl\"}}}");
	expect_lookup_fails(f, "nothere.example", PL_ENOTFOUND, "docker-credential-fake", NULL);
	expect_lookup_fails(f, "boom.example", PL_EIO, "keychain is locked", NULL);
	expect_lookup_fails(f, "badjson.example", PL_EINVAL, "docker-credential-fake", "leaky");
	expect_lookup_fails(f, "empty.example", PL_ENOTFOUND, NULL, NULL);
	/* a helper that is not installed is an error the user must see */
	write_str(f->home, ".docker/config.json", "{\"credsStore\": \"nosuch\"}");
	expect_lookup_fails(f, "localhost:5000", PL_EIO, "docker-credential-nosuch", NULL);
	/* nor is a helper name that walks out of the search path */
	write_str(f->home, ".docker/config.json",
		  "{\"credsStore\": \"../bin/docker-credential-fake\"}");
	expect_lookup_fails(f, "localhost:5000", PL_EINVAL, "helper name", NULL);
	write_str(f->home, ".docker/config.json", "{\"credHelpers\": {\"localhost:5000\": 7}}");
	expect_lookup_fails(f, "localhost:5000", PL_EINVAL, "credHelpers", NULL);
	/* a grandchild holding stdout open does not hold the lookup */
	tu_write(f->dir, "bin/docker-credential-slow", slow, strlen(slow));
	p = tu_path(f->dir, "bin/docker-credential-slow");
	assert_int_equal(chmod(p, 0755), 0);
	free(p);
	write_str(f->home, ".docker/config.json", "{\"credsStore\": \"slow\"}");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	expect_cred(f, "localhost:5000", "u", "s", false, "docker-credential-slow");
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_true(t1.tv_sec - t0.tv_sec < 2);
}

/* ---- login and logout ------------------------------------------------------- */

static void assert_mode(const char *dir, const char *rel, mode_t mode)
{
	char *p = tu_path(dir, rel);
	struct stat st;

	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 07777, mode);
	free(p);
}

static void test_registry_creds_store_new(void **state)
{
	struct fx *f = *state;
	struct pl_err err = PL_ERR_INIT;
	char *where = NULL, *want;
	json_t *j;

	assert_int_equal(
	    pl_reg_creds_store(&f->src, "localhost:5000", "alice", "pw:1", &where, &err), 0);
	want = tu_path(f->home, ".docker/config.json");
	assert_string_equal(where, want);
	free(want);
	free(where);
	assert_mode(f->home, ".docker", 0700);
	assert_mode(f->home, ".docker/config.json", 0600);
	j = load_json(f->home, ".docker/config.json");
	assert_string_equal(
	    json_string_value(json_object_get(
		json_object_get(json_object_get(j, "auths"), "localhost:5000"), "auth")),
	    "YWxpY2U6cHc6MQ==");
	json_decref(j);
	expect_cred(f, "localhost:5000", "alice", "pw:1", false, "/home/.docker/config.json");
	/* docker.io is stored under docker's key */
	assert_int_equal(pl_reg_creds_store(&f->src, "docker.io", "hub", "hp", &where, &err), 0);
	free(where);
	j = load_json(f->home, ".docker/config.json");
	assert_non_null(
	    json_object_get(json_object_get(j, "auths"), "https://index.docker.io/v1/"));
	assert_non_null(json_object_get(json_object_get(j, "auths"), "localhost:5000"));
	assert_int_equal(json_object_size(json_object_get(j, "auths")), 2);
	json_decref(j);
	expect_cred(f, "index.docker.io", "hub", "hp", false, "/home/.docker/config.json");
	/* bad input writes nothing */
	assert_int_equal(pl_reg_creds_store(&f->src, "localhost:5000", "", "x", &where, &err),
			 PL_EINVAL);
	assert_null(where);
	pl_err_init(&err);
	assert_int_equal(pl_reg_creds_store(&f->src, "localhost:5000", "a:b", "x", &where, &err),
			 PL_EINVAL);
	expect_cred(f, "localhost:5000", "alice", "pw:1", false, "/home/.docker/config.json");
}

static void test_registry_creds_store_preserves(void **state)
{
	struct fx *f = *state;
	struct pl_err err = PL_ERR_INIT;
	char *where = NULL, *p;
	json_t *j, *auths;

	write_str(f->home, ".docker/config.json",
		  "{\"psFormat\": \"table {{.ID}}\", \"proxies\": {\"default\": {\"httpProxy\": "
		  "\"http://proxy:3128\"}},"
		  " \"auths\": {\"other:1\": {\"auth\": \"bzpwdw==\"},"
		  " \"https://localhost:5000\": {\"auth\": \"b2xkOm9sZA==\"}}}");
	p = tu_path(f->home, ".docker/config.json");
	assert_int_equal(chmod(p, 0644), 0);
	assert_int_equal(pl_reg_creds_store(&f->src, "localhost:5000", "new", "np", &where, &err),
			 0);
	free(where);
	assert_mode(f->home, ".docker/config.json", 0600);
	j = load_json(f->home, ".docker/config.json");
	assert_string_equal(json_string_value(json_object_get(j, "psFormat")), "table {{.ID}}");
	assert_string_equal(
	    json_string_value(json_object_get(
		json_object_get(json_object_get(j, "proxies"), "default"), "httpProxy")),
	    "http://proxy:3128");
	auths = json_object_get(j, "auths");
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(auths, "other:1"), "auth")),
	    "bzpwdw==");
	/* the old alias of the same host is replaced, not left to shadow the new entry */
	assert_null(json_object_get(auths, "https://localhost:5000"));
	assert_non_null(json_object_get(auths, "localhost:5000"));
	json_decref(j);
	expect_cred(f, "localhost:5000", "new", "np", false, "/home/.docker/config.json");
	expect_cred(f, "other:1", "o", "pw", false, "/home/.docker/config.json");
	/* a symlinked config.json is updated where it points */
	assert_int_equal(rename(p, f->xdg), 0);
	assert_int_equal(symlink(f->xdg, p), 0);
	assert_int_equal(pl_reg_creds_store(&f->src, "third:3", "t", "tp", &where, &err), 0);
	free(where);
	{
		struct stat st;

		assert_int_equal(lstat(p, &st), 0);
		assert_true(S_ISLNK(st.st_mode));
	}
	expect_cred(f, "third:3", "t", "tp", false, "/home/.docker/config.json");
	expect_cred(f, "other:1", "o", "pw", false, "/home/.docker/config.json");
	free(p);
	/* a malformed file is not overwritten */
	write_str(f->home, ".docker/config.json", "{oops");
	pl_err_init(&err);
	assert_int_equal(pl_reg_creds_store(&f->src, "localhost:5000", "u", "p", &where, &err),
			 PL_EINVAL);
	p = read_str(f->home, ".docker/config.json");
	assert_string_equal(p, "{oops");
	free(p);
}

static void test_registry_creds_store_auth_file(void **state)
{
	struct fx *f = *state;
	struct pl_err err = PL_ERR_INIT;
	char *where = NULL, *af = tu_path(f->dir, "run/containers/auth.json"), *dc;
	json_t *j;

	f->src.auth_file = af;
	assert_int_equal(pl_reg_creds_store(&f->src, "docker.io", "pod", "man", &where, &err), 0);
	assert_string_equal(where, af);
	free(where);
	assert_int_equal(pl_reg_creds_store(&f->src, "localhost:5000", "l", "h", &where, &err), 0);
	free(where);
	assert_mode(f->dir, "run/containers/auth.json", 0600);
	assert_mode(f->dir, "run/containers", 0700);
	j = load_json(f->dir, "run/containers/auth.json");
	assert_non_null(json_object_get(json_object_get(j, "auths"), "docker.io"));
	assert_non_null(json_object_get(json_object_get(j, "auths"), "localhost:5000"));
	json_decref(j);
	/* the docker config is left alone */
	dc = tu_path(f->home, ".docker");
	assert_int_not_equal(access(dc, F_OK), 0);
	free(dc);
	expect_cred(f, "docker.io", "pod", "man", false, "/run/containers/auth.json");
	/* logout from the auth file */
	assert_int_equal(pl_reg_creds_erase(&f->src, "docker.io", &where, &err), 0);
	assert_string_equal(where, af);
	free(where);
	expect_lookup_fails(f, "docker.io", PL_ENOTFOUND, NULL, NULL);
	expect_cred(f, "localhost:5000", "l", "h", false, "/run/containers/auth.json");
	f->src.auth_file = NULL;
	free(af);
}

static void test_registry_creds_erase(void **state)
{
	struct fx *f = *state;
	struct pl_err err = PL_ERR_INIT;
	char *where = NULL;
	json_t *j;

	write_str(f->home, ".docker/config.json",
		  "{\"currentContext\": \"x\", \"auths\": {\"other:1\": {\"auth\": \"bzpwdw==\"},"
		  " \"https://localhost:5000\": {\"auth\": \"YTpi\"},"
		  " \"localhost:5000/v1/\": {\"auth\": \"YTpi\"}}}");
	assert_int_equal(pl_reg_creds_erase(&f->src, "localhost:5000", &where, &err), 0);
	free(where);
	assert_mode(f->home, ".docker/config.json", 0600);
	j = load_json(f->home, ".docker/config.json");
	assert_string_equal(json_string_value(json_object_get(j, "currentContext")), "x");
	assert_int_equal(json_object_size(json_object_get(j, "auths")), 1);
	assert_non_null(json_object_get(json_object_get(j, "auths"), "other:1"));
	json_decref(j);
	expect_lookup_fails(f, "localhost:5000", PL_ENOTFOUND, NULL, NULL);
	assert_int_equal(pl_reg_creds_erase(&f->src, "localhost:5000", &where, &err), PL_ENOTFOUND);
	assert_null(where);
	assert_non_null(strstr(err.msg, "localhost:5000"));
	/* no config at all: nothing to erase, and nothing created */
	f->src.docker_config = f->xdg;
	pl_err_init(&err);
	assert_int_equal(pl_reg_creds_erase(&f->src, "localhost:5000", &where, &err), PL_ENOTFOUND);
	assert_int_not_equal(access(f->xdg, F_OK), 0);
}

static void test_registry_creds_helper_store_erase(void **state)
{
	struct fx *f = *state;
	struct pl_err err = PL_ERR_INIT;
	char *where = NULL, *s, *before, *after;
	json_t *j;

	write_str(f->home, ".docker/config.json",
		  "{\"credsStore\": \"fake\", \"auths\": {\"localhost:5000\": {}}}");
	before = read_str(f->home, ".docker/config.json");
	assert_int_equal(
	    pl_reg_creds_store(&f->src, "docker.io", "hubber", "top-secret-pw", &where, &err), 0);
	assert_string_equal(where, "docker-credential-fake");
	free(where);
	s = read_str(f->bin, "argv-store");
	assert_string_equal(s, "1\nstore\n");
	assert_null(strstr(s, "top-secret-pw"));
	free(s);
	s = read_str(f->bin, "stdin-store");
	j = json_loads(s, 0, NULL);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "ServerURL")),
			    "https://index.docker.io/v1/");
	assert_string_equal(json_string_value(json_object_get(j, "Username")), "hubber");
	assert_string_equal(json_string_value(json_object_get(j, "Secret")), "top-secret-pw");
	json_decref(j);
	free(s);
	/* the secret went to the helper, not to the file */
	after = read_str(f->home, ".docker/config.json");
	assert_string_equal(before, after);
	free(after);
	/* erase through the helper; the file's empty entry goes too */
	assert_int_equal(pl_reg_creds_erase(&f->src, "localhost:5000", &where, &err), 0);
	assert_string_equal(where, "docker-credential-fake");
	free(where);
	s = read_str(f->bin, "stdin-erase");
	assert_string_equal(s, "localhost:5000");
	free(s);
	s = read_str(f->bin, "argv-erase");
	assert_string_equal(s, "1\nerase\n");
	free(s);
	j = load_json(f->home, ".docker/config.json");
	assert_int_equal(json_object_size(json_object_get(j, "auths")), 0);
	assert_string_equal(json_string_value(json_object_get(j, "credsStore")), "fake");
	json_decref(j);
	/* the helper knows nothing of this host */
	assert_int_equal(pl_reg_creds_erase(&f->src, "nothere.example", &where, &err),
			 PL_ENOTFOUND);
	assert_null(where);
	free(before);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_registry_challenge_parse),
	    cmocka_unit_test(test_registry_challenge_not_found),
	    cmocka_unit_test(test_registry_challenge_malformed),
	    cmocka_unit_test(test_registry_challenge_refill),
	    cmocka_unit_test_setup_teardown(test_registry_creds_flag, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_registry_creds_docker_auth, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_registry_creds_key_forms, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_registry_creds_identity_token, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_registry_creds_username_password, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_registry_creds_precedence, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_registry_creds_not_found, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_registry_creds_malformed, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_registry_creds_helper_get, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_registry_creds_helper_errors, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_registry_creds_store_new, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_registry_creds_store_preserves, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_registry_creds_store_auth_file, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_registry_creds_erase, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_registry_creds_helper_store_erase, setup,
					    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
