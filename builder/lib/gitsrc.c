#include "gitsrc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <git2.h>

#include "util/buf.h"
#include "util/digest.h"
#include "util/fsutil.h"
#include "util/log.h"

/* Refspecs of a mirror: every branch and tag, as they are upstream. */
#define MIRROR_HEADS "+refs/heads/*:refs/heads/*"
#define MIRROR_TAGS "+refs/tags/*:refs/tags/*"
#define SHORT_ID 8

struct pl_gitsrc {
	git_repository *repo;
	char *source; /* what the caller passed, for messages */
	char *path;   /* work tree, or git dir when bare */
	char *url;    /* for annotations */
	int inited;   /* holds a git_libgit2_init reference */
};

/* Where a path led inside a commit: the root tree and, unless root, an entry. */
struct found {
	git_tree *root;
	git_tree_entry *entry;
	char *path; /* normalised, "" for the root */
};

static int map_code(int gcode, int klass)
{
	switch (gcode) {
	case GIT_ENOTFOUND:
	case GIT_EUNBORNBRANCH:
		return PL_ENOTFOUND;
	case GIT_EAMBIGUOUS:
	case GIT_EINVALIDSPEC:
	case GIT_EPEEL:
		return PL_EINVAL;
	case GIT_EAUTH:
	case GIT_ECERTIFICATE:
		return PL_ENET;
	default:
		break;
	}
	switch (klass) {
	case GIT_ERROR_NOMEMORY:
		return PL_ENOMEM;
	case GIT_ERROR_NET:
	case GIT_ERROR_SSL:
	case GIT_ERROR_SSH:
	case GIT_ERROR_HTTP:
		return PL_ENET;
	default:
		return PL_EIO;
	}
}

/*
 * The one place libgit2 errors become ours: "context: libgit2's message".
 * The code is code when non-zero, else chosen from gcode and the error class.
 */
static int vfail(struct pl_err *err, int code, int gcode, const char *fmt, va_list ap)
{
	const git_error *e = git_error_last();
	char ctx[PL_ERR_MSG_MAX];

	vsnprintf(ctx, sizeof(ctx), fmt, ap);
	if (!code)
		code = map_code(gcode, e ? e->klass : 0);
	if (e && e->message && *e->message)
		pl_err_set(err, code, "%s: %s", ctx, e->message);
	else
		pl_err_set(err, code, "%s", ctx);
	git_error_clear();
	return code;
}

static int git_fail(struct pl_err *err, int gcode, const char *fmt, ...) PL_PRINTF(3, 4);
static int git_fail(struct pl_err *err, int gcode, const char *fmt, ...)
{
	va_list ap;
	int code;

	va_start(ap, fmt);
	code = vfail(err, 0, gcode, fmt, ap);
	va_end(ap);
	return code;
}

/* A failed fetch is a network failure whatever libgit2's class says. */
static int net_fail(struct pl_err *err, int gcode, const char *fmt, ...) PL_PRINTF(3, 4);
static int net_fail(struct pl_err *err, int gcode, const char *fmt, ...)
{
	const git_error *e = git_error_last();
	va_list ap;
	int code;

	va_start(ap, fmt);
	code =
	    vfail(err, e && e->klass == GIT_ERROR_NOMEMORY ? PL_ENOMEM : PL_ENET, gcode, fmt, ap);
	va_end(ap);
	return code;
}

static bool scheme_url(const char *s)
{
	const char *p = strstr(s, "://");

	if (!p || p == s)
		return false;
	for (const char *q = s; q < p; q++)
		if (!((*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') ||
		      (*q >= '0' && *q <= '9') || *q == '+' || *q == '-' || *q == '.'))
			return false;
	return true;
}

/* As git decides: scheme://..., or [user@]host:path with no '/' before ':'. */
static bool is_url(const char *s)
{
	const char *colon, *slash;
	struct stat st;

	if (scheme_url(s))
		return true;
	colon = strchr(s, ':');
	slash = strchr(s, '/');
	if (!colon || colon - s < 2 || (slash && slash < colon) || s[0] == '.')
		return false;
	return stat(s, &st) != 0;
}

/*
 * The URL for annotations: drop a password, and for http(s) all user info,
 * which is how tokens are usually passed. scp-like URLs carry only a user.
 */
static char *clean_url(const char *url)
{
	const char *auth, *end, *at = NULL, *colon = NULL;
	bool http;
	char *out;

	if (!scheme_url(url))
		return strdup(url);
	http = strncmp(url, "http://", 7) == 0 || strncmp(url, "https://", 8) == 0;
	auth = strstr(url, "://") + 3;
	end = auth + strcspn(auth, "/?#");
	for (const char *p = auth; p < end; p++)
		if (*p == '@')
			at = p;
	if (!at)
		return strdup(url);
	for (const char *p = auth; p < at; p++)
		if (*p == ':') {
			colon = p;
			break;
		}
	if (!http && !colon)
		return strdup(url);
	/* http: keep "scheme://" and what follows '@'; else cut ":password" */
	if (asprintf(&out, "%.*s%s", (int)((http ? auth : colon) - url), url, http ? at + 1 : at) <
	    0)
		return NULL;
	return out;
}

static char *strip_slash(const char *p)
{
	size_t n = strlen(p);
	char *s;

	while (n > 1 && p[n - 1] == '/')
		n--;
	s = malloc(n + 1);
	if (s) {
		memcpy(s, p, n);
		s[n] = '\0';
	}
	return s;
}

/*
 * remote.origin.url read from the config itself: git_remote_lookup would also
 * apply url.*.insteadOf, whose regex leaks in Debian's libgit2 1.5 + pcre2.
 */
static int local_url(struct pl_gitsrc *g, struct pl_err *err)
{
	git_config *cfg = NULL;
	const char *origin = NULL;

	if (git_repository_config_snapshot(&cfg, g->repo) < 0 ||
	    git_config_get_string(&origin, cfg, "remote.origin.url") < 0 || !*origin)
		origin = NULL;
	git_error_clear();
	if (origin)
		g->url = clean_url(origin);
	else if (asprintf(&g->url, "file://%s", g->path) < 0)
		g->url = NULL;
	git_config_free(cfg);
	if (!g->url)
		return pl_err_set(err, PL_ENOMEM, "out of memory");
	return 0;
}

static int open_local(struct pl_gitsrc *g, const char *path, struct pl_err *err)
{
	const char *dir;
	int rc;

	rc = git_repository_open_ext(&g->repo, path, 0, NULL);
	if (rc == GIT_ENOTFOUND) {
		git_error_clear();
		return pl_err_set(err, PL_ENOTFOUND, "no git repository at or above '%s'", path);
	}
	if (rc < 0)
		return git_fail(err, rc, "open repository '%s'", path);
	dir = git_repository_is_bare(g->repo) ? git_repository_path(g->repo)
					      : git_repository_workdir(g->repo);
	g->path = strip_slash(dir);
	if (!g->path)
		return pl_err_set(err, PL_ENOMEM, "out of memory");
	return local_url(g, err);
}

/*
 * Credentials for fetching: an ssh key from the agent (libgit2 finds it), a
 * user name from the URL. http(s) user info in the URL is used by libgit2
 * itself. Bounded, so a refusing server does not make libgit2 ask forever.
 */
static int credentials(git_credential **out, const char *url, const char *user,
		       unsigned int allowed, void *payload)
{
	int *tries = payload;

	(void)url;
	if (++*tries > 3)
		return GIT_PASSTHROUGH;
	if (allowed & GIT_CREDENTIAL_USERNAME)
		return git_credential_username_new(out, user ? user : "git");
	if (allowed & GIT_CREDENTIAL_SSH_KEY)
		return git_credential_ssh_key_from_agent(out, user ? user : "git");
	return GIT_PASSTHROUGH;
}

/* Point HEAD where the remote's HEAD points, so "HEAD" means what it means upstream. */
static void follow_remote_head(git_repository *repo, git_remote *remote)
{
	git_buf head = GIT_BUF_INIT;
	git_reference *ref = NULL;

	if (git_remote_default_branch(&head, remote) == 0 &&
	    git_reference_lookup(&ref, repo, head.ptr) == 0)
		git_repository_set_head(repo, head.ptr);
	git_reference_free(ref);
	git_buf_dispose(&head);
	git_error_clear();
}

/*
 * Fetch every branch and tag of url into the bare mirror repo, pruning. The
 * remote is in memory only (the cache key already names the URL) and skips
 * insteadOf rewriting, which leaks in Debian's libgit2 1.5 + pcre2.
 */
static int mirror_fetch(git_repository *repo, const char *url, struct pl_err *err)
{
	static char heads[] = MIRROR_HEADS, tags[] = MIRROR_TAGS;
	char *specv[] = {heads, tags};
	git_strarray specs = {specv, 2};
	git_remote_create_options co;
	git_fetch_options fo;
	git_remote *remote = NULL;
	int tries = 0;
	int rc;

	/* the _init functions, as the INIT macros trip -Wmissing-field-initializers */
	git_remote_create_options_init(&co, GIT_REMOTE_CREATE_OPTIONS_VERSION);
	git_fetch_options_init(&fo, GIT_FETCH_OPTIONS_VERSION);
	co.repository = repo;
	co.flags = GIT_REMOTE_CREATE_SKIP_INSTEADOF | GIT_REMOTE_CREATE_SKIP_DEFAULT_FETCHSPEC;
	rc = git_remote_create_with_opts(&remote, url, &co);
	if (rc < 0) {
		rc = git_fail(err, rc, "remote '%s'", url);
		goto out;
	}
	fo.prune = GIT_FETCH_PRUNE;
	fo.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_ALL;
	fo.callbacks.credentials = credentials;
	fo.callbacks.payload = &tries;
	rc = git_remote_fetch(remote, &specs, &fo, NULL);
	if (rc < 0) {
		rc = net_fail(err, rc, "fetch '%s'", url);
		goto out;
	}
	follow_remote_head(repo, remote);
	rc = 0;
out:
	git_remote_free(remote);
	return rc;
}

/*
 * Clone (first use) or fetch the mirror of url under cache_dir. An flock on
 * <key>.lock serialises builders sharing the cache; a first clone is made
 * under a temporary name and renamed, so a crash never leaves half a mirror.
 */
static int open_url(struct pl_gitsrc *g, const char *url, const char *cache_dir, struct pl_err *err)
{
	char digest[PL_DIGEST_SIZE];
	char *final = NULL, *tmp = NULL, *lock = NULL;
	git_repository *fresh = NULL;
	struct stat st;
	int fd = -1;
	int rc;

	if (!cache_dir || !*cache_dir)
		return pl_err_set(err, PL_EINVAL, "'%s' is a URL: a cache directory is needed",
				  url);
	rc = pl_sha256_buf(url, strlen(url), digest, err);
	if (rc < 0)
		goto out;
	rc = pl_mkdir_p(cache_dir, 0755, err);
	if (rc < 0)
		goto out;
	if (asprintf(&final, "%s/%s", cache_dir, pl_digest_hex(digest)) < 0 ||
	    asprintf(&lock, "%s.lock", final) < 0 || asprintf(&tmp, "%s.tmp-XXXXXX", final) < 0) {
		rc = pl_err_set(err, PL_ENOMEM, "out of memory");
		goto out;
	}
	fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0) {
		rc = pl_err_errno(err, PL_EIO, "open '%s'", lock);
		goto out;
	}
	while ((rc = flock(fd, LOCK_EX)) < 0 && errno == EINTR)
		;
	if (rc < 0) {
		rc = pl_err_errno(err, PL_EIO, "lock '%s'", lock);
		goto out;
	}
	if (stat(final, &st) != 0) {
		if (!mkdtemp(tmp)) {
			rc = pl_err_errno(err, PL_EIO, "create '%s'", tmp);
			goto out;
		}
		pl_log_info("cloning '%s'", url);
		rc = git_repository_init(&fresh, tmp, 1);
		if (rc < 0) {
			rc = git_fail(err, rc, "create mirror '%s'", tmp);
			pl_rm_rf(tmp, NULL);
			goto out;
		}
		rc = mirror_fetch(fresh, url, err);
		git_repository_free(fresh);
		fresh = NULL;
		if (rc == 0 && rename(tmp, final) != 0)
			rc = pl_err_errno(err, PL_EIO, "rename '%s' to '%s'", tmp, final);
		if (rc < 0) {
			pl_rm_rf(tmp, NULL);
			goto out;
		}
		rc = git_repository_open_bare(&g->repo, final);
		if (rc < 0) {
			rc = git_fail(err, rc, "open mirror '%s'", final);
			goto out;
		}
	} else {
		rc = git_repository_open_bare(&g->repo, final);
		if (rc < 0) {
			rc = git_fail(err, rc, "open mirror '%s' of '%s'", final, url);
			goto out;
		}
		pl_log_info("fetching '%s'", url);
		rc = mirror_fetch(g->repo, url, err);
		if (rc < 0)
			goto out;
	}
	g->path = final;
	final = NULL;
	g->url = clean_url(url);
	if (!g->url)
		rc = pl_err_set(err, PL_ENOMEM, "out of memory");
out:
	if (fd >= 0)
		close(fd); /* releases the lock */
	free(final);
	free(tmp);
	free(lock);
	return rc;
}

int pl_gitsrc_open(struct pl_gitsrc **out, const char *repo, const char *cache_dir,
		   struct pl_err *err)
{
	struct pl_gitsrc *g = NULL;
	int rc;

	*out = NULL;
	if (!repo || !*repo)
		return pl_err_set(err, PL_EINVAL, "no repository given");
	if (git_libgit2_init() < 0)
		return git_fail(err, -1, "initialise libgit2");
	g = calloc(1, sizeof(*g));
	if (!g) {
		git_libgit2_shutdown();
		return pl_err_set(err, PL_ENOMEM, "out of memory");
	}
	g->inited = 1;
	g->source = strdup(repo);
	if (!g->source) {
		rc = pl_err_set(err, PL_ENOMEM, "out of memory");
		goto out;
	}
	if (is_url(repo))
		rc = open_url(g, repo, cache_dir, err);
	else
		rc = open_local(g, repo, err);
out:
	if (rc < 0) {
		pl_gitsrc_free(g);
		return rc;
	}
	*out = g;
	return 0;
}

void pl_gitsrc_free(struct pl_gitsrc *g)
{
	if (!g)
		return;
	git_repository_free(g->repo);
	free(g->source);
	free(g->path);
	free(g->url);
	if (g->inited)
		git_libgit2_shutdown();
	free(g);
}

const char *pl_gitsrc_url(const struct pl_gitsrc *g)
{
	return g->url;
}

const char *pl_gitsrc_path(const struct pl_gitsrc *g)
{
	return g->path;
}

int pl_gitsrc_resolve(struct pl_gitsrc *g, const char *ref, struct pl_gitsrc_commit *out,
		      struct pl_err *err)
{
	git_object *obj = NULL, *peeled = NULL;
	const git_commit *c;
	const char *summary;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!ref || !*ref)
		ref = "HEAD";
	rc = git_revparse_single(&obj, g->repo, ref);
	if (rc == GIT_ENOTFOUND || rc == GIT_EUNBORNBRANCH) {
		git_error_clear();
		rc = pl_err_set(err, PL_ENOTFOUND, "no ref or commit '%s' in '%s'", ref, g->source);
		goto out;
	}
	if (rc < 0) {
		rc = git_fail(err, rc, "resolve '%s' in '%s'", ref, g->source);
		goto out;
	}
	rc = git_object_peel(&peeled, obj, GIT_OBJECT_COMMIT);
	if (rc < 0) {
		git_error_clear();
		rc = pl_err_set(err, PL_EINVAL, "'%s' in '%s' is a %s, not a commit", ref,
				g->source, git_object_type2string(git_object_type(obj)));
		goto out;
	}
	c = (const git_commit *)peeled;
	git_oid_tostr(out->id, sizeof(out->id), git_commit_id(c));
	out->time = (int64_t)git_commit_time(c);
	summary = git_commit_summary((git_commit *)peeled);
	snprintf(out->summary, sizeof(out->summary), "%s", summary ? summary : "");
	rc = 0;
out:
	git_object_free(peeled);
	git_object_free(obj);
	return rc;
}

/* Join the path's components, dropping "" and "."; ".." is refused. */
static int normalise(const char *path, char **out, struct pl_err *err)
{
	struct pl_buf b = PL_BUF_INIT;
	const char *p = path ? path : "";
	int rc = 0;

	*out = NULL;
	while (*p) {
		size_t n = strcspn(p, "/");

		if (n == 2 && p[0] == '.' && p[1] == '.') {
			rc = pl_err_set(err, PL_EINVAL, "path '%s' has a '..' component", path);
			goto out;
		}
		if (n > 0 && !(n == 1 && p[0] == '.')) {
			if (b.len > 0 && (rc = pl_buf_addch(&b, '/', err)) < 0)
				goto out;
			if ((rc = pl_buf_add(&b, p, n, err)) < 0)
				goto out;
		}
		p += n;
		if (*p == '/')
			p++;
	}
	{
		size_t len;

		*out = pl_buf_detach(&b, &len);
		if (!*out)
			rc = pl_err_set(err, PL_ENOMEM, "out of memory");
		else
			(*out)[len] = '\0'; /* pl_buf_detach of an empty buffer leaves it unset */
	}
out:
	pl_buf_release(&b);
	return rc;
}

static void found_release(struct found *f)
{
	git_tree_entry_free(f->entry);
	git_tree_free(f->root);
	free(f->path);
	memset(f, 0, sizeof(*f));
}

/* Look up path in commit_id; f->entry stays NULL for the root. */
static int find(struct pl_gitsrc *g, const char *commit_id, const char *path, struct found *f,
		struct pl_err *err)
{
	git_commit *c = NULL;
	git_oid oid;
	int rc;

	memset(f, 0, sizeof(f[0]));
	if (!commit_id || strlen(commit_id) != PL_GITSRC_ID_LEN ||
	    git_oid_fromstr(&oid, commit_id) < 0) {
		git_error_clear();
		return pl_err_set(err, PL_EINVAL, "'%s' is not a full commit id",
				  commit_id ? commit_id : "(null)");
	}
	rc = normalise(path, &f->path, err);
	if (rc < 0)
		goto out;
	rc = git_commit_lookup(&c, g->repo, &oid);
	if (rc == GIT_ENOTFOUND) {
		git_error_clear();
		rc = pl_err_set(err, PL_ENOTFOUND, "no commit %s in '%s'", commit_id, g->source);
		goto out;
	}
	if (rc < 0) {
		rc = git_fail(err, rc, "commit %.*s in '%s'", SHORT_ID, commit_id, g->source);
		goto out;
	}
	rc = git_commit_tree(&f->root, c);
	if (rc < 0) {
		rc = git_fail(err, rc, "tree of commit %.*s", SHORT_ID, commit_id);
		goto out;
	}
	if (f->path[0]) {
		rc = git_tree_entry_bypath(&f->entry, f->root, f->path);
		if (rc == GIT_ENOTFOUND) {
			git_error_clear();
			rc = pl_err_set(err, PL_ENOTFOUND, "'%s' not found at commit %.*s", f->path,
					SHORT_ID, commit_id);
			goto out;
		}
		if (rc < 0) {
			rc = git_fail(err, rc, "'%s' at commit %.*s", f->path, SHORT_ID, commit_id);
			goto out;
		}
	}
	rc = 0;
out:
	git_commit_free(c);
	if (rc < 0)
		found_release(f);
	return rc;
}

int pl_gitsrc_read(struct pl_gitsrc *g, const char *commit_id, const char *path, size_t max,
		   char **data, size_t *len, struct pl_err *err)
{
	struct found f;
	git_odb *odb = NULL;
	git_blob *blob = NULL;
	git_object_t type;
	size_t hsize;
	git_object_size_t size;
	char *buf = NULL;
	int rc;

	*data = NULL;
	*len = 0;
	rc = find(g, commit_id, path, &f, err);
	if (rc < 0)
		return rc;
	if (!f.entry || git_tree_entry_filemode(f.entry) == GIT_FILEMODE_TREE) {
		rc = pl_err_set(err, PL_EINVAL, "'%s' is a directory at commit %.*s, not a file",
				f.path[0] ? f.path : ".", SHORT_ID, commit_id);
		goto out;
	}
	switch (git_tree_entry_filemode(f.entry)) {
	case GIT_FILEMODE_BLOB:
	case GIT_FILEMODE_BLOB_EXECUTABLE:
		break;
	case GIT_FILEMODE_LINK:
		rc = pl_err_set(err, PL_EPOLICY,
				"'%s' is a symbolic link at commit %.*s: commit the file itself",
				f.path, SHORT_ID, commit_id);
		goto out;
	default:
		rc = pl_err_set(err, PL_EINVAL, "'%s' is a submodule at commit %.*s, not a file",
				f.path, SHORT_ID, commit_id);
		goto out;
	}
	/* the header alone gives the size, so a huge blob is refused unread */
	rc = git_repository_odb(&odb, g->repo);
	if (rc == 0)
		rc = git_odb_read_header(&hsize, &type, odb, git_tree_entry_id(f.entry));
	if (rc < 0) {
		rc = git_fail(err, rc, "'%s' at commit %.*s", f.path, SHORT_ID, commit_id);
		goto out;
	}
	if (max && hsize > max) {
		rc = pl_err_set(err, PL_ETOOBIG,
				"'%s' at commit %.*s is %zu bytes, more than the limit of %zu",
				f.path, SHORT_ID, commit_id, hsize, max);
		goto out;
	}
	rc = git_blob_lookup(&blob, g->repo, git_tree_entry_id(f.entry));
	if (rc < 0) {
		rc = git_fail(err, rc, "'%s' at commit %.*s", f.path, SHORT_ID, commit_id);
		goto out;
	}
	size = git_blob_rawsize(blob);
	if (size >= SIZE_MAX || (max && size > max)) {
		rc = pl_err_set(err, PL_ETOOBIG, "'%s' at commit %.*s is too big", f.path, SHORT_ID,
				commit_id);
		goto out;
	}
	buf = malloc((size_t)size + 1);
	if (!buf) {
		rc = pl_err_set(err, PL_ENOMEM, "out of memory reading '%s'", f.path);
		goto out;
	}
	if (size)
		memcpy(buf, git_blob_rawcontent(blob), (size_t)size);
	buf[size] = '\0';
	*data = buf;
	*len = (size_t)size;
	rc = 0;
out:
	git_blob_free(blob);
	git_odb_free(odb);
	found_release(&f);
	return rc;
}

static int entry_cmp(const void *a, const void *b)
{
	const struct pl_gitsrc_entry *x = a, *y = b;

	return strcmp(x->name, y->name);
}

static enum pl_gitsrc_type mode_type(git_filemode_t mode)
{
	switch (mode) {
	case GIT_FILEMODE_TREE:
		return PL_GITSRC_TREE;
	case GIT_FILEMODE_LINK:
		return PL_GITSRC_LINK;
	case GIT_FILEMODE_COMMIT:
		return PL_GITSRC_SUBMODULE;
	default:
		return PL_GITSRC_BLOB;
	}
}

int pl_gitsrc_list(struct pl_gitsrc *g, const char *commit_id, const char *dir,
		   struct pl_gitsrc_entry **entries, size_t *n, struct pl_err *err)
{
	struct pl_gitsrc_entry *list = NULL;
	git_tree *sub = NULL;
	const git_tree *tree;
	struct found f;
	size_t count = 0, i;
	int rc;

	*entries = NULL;
	*n = 0;
	rc = find(g, commit_id, dir, &f, err);
	if (rc < 0)
		return rc;
	if (f.entry) {
		if (git_tree_entry_filemode(f.entry) != GIT_FILEMODE_TREE) {
			rc = pl_err_set(err, PL_EINVAL, "'%s' is not a directory at commit %.*s",
					f.path, SHORT_ID, commit_id);
			goto out;
		}
		rc = git_tree_lookup(&sub, g->repo, git_tree_entry_id(f.entry));
		if (rc < 0) {
			rc = git_fail(err, rc, "'%s' at commit %.*s", f.path, SHORT_ID, commit_id);
			goto out;
		}
		tree = sub;
	} else {
		tree = f.root;
	}
	count = git_tree_entrycount(tree);
	list = calloc(count ? count : 1, sizeof(*list));
	if (!list) {
		rc = pl_err_set(err, PL_ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < count; i++) {
		const git_tree_entry *e = git_tree_entry_byindex(tree, i);

		list[i].name = strdup(git_tree_entry_name(e));
		if (!list[i].name) {
			rc = pl_err_set(err, PL_ENOMEM, "out of memory");
			goto out;
		}
		list[i].mode = (unsigned int)git_tree_entry_filemode(e);
		list[i].type = mode_type(git_tree_entry_filemode(e));
		git_oid_tostr(list[i].id, sizeof(list[i].id), git_tree_entry_id(e));
	}
	qsort(list, count, sizeof(*list), entry_cmp);
	*entries = list;
	*n = count;
	list = NULL;
	rc = 0;
out:
	pl_gitsrc_entries_free(list, count);
	git_tree_free(sub);
	found_release(&f);
	return rc;
}

void pl_gitsrc_entries_free(struct pl_gitsrc_entry *entries, size_t n)
{
	if (!entries)
		return;
	for (size_t i = 0; i < n; i++)
		free(entries[i].name);
	free(entries);
}

int pl_gitsrc_blob_id(struct pl_gitsrc *g, const char *commit_id, const char *path,
		      char id[PL_GITSRC_ID_LEN + 1], struct pl_err *err)
{
	struct found f;
	int rc;

	id[0] = '\0';
	rc = find(g, commit_id, path, &f, err);
	if (rc < 0)
		return rc;
	git_oid_tostr(id, PL_GITSRC_ID_LEN + 1,
		      f.entry ? git_tree_entry_id(f.entry) : git_tree_id(f.root));
	found_release(&f);
	return 0;
}

int pl_gitsrc_is_dirty(struct pl_gitsrc *g, bool *dirty, struct pl_err *err)
{
	git_status_options so;
	git_status_list *list = NULL;
	int rc;

	git_status_options_init(&so, GIT_STATUS_OPTIONS_VERSION);

	*dirty = false;
	if (git_repository_is_bare(g->repo))
		return 0;
	so.show = GIT_STATUS_SHOW_INDEX_AND_WORKDIR;
	so.flags = GIT_STATUS_OPT_INCLUDE_UNTRACKED | GIT_STATUS_OPT_EXCLUDE_SUBMODULES;
	rc = git_status_list_new(&list, g->repo, &so);
	if (rc < 0)
		return git_fail(err, rc, "status of '%s'", g->path);
	*dirty = git_status_list_entrycount(list) > 0;
	git_status_list_free(list);
	return 0;
}
