/*
 * Image references: docker's reference grammar (distribution/reference,
 * normalize.go) for registry names, skopeo's oci: and our rootfs: forms.
 */
#include "lib/oci.h"

#include <stdlib.h>
#include <string.h>

#define DOCKER_PREFIX "docker://"
#define OCI_PREFIX "oci:"
#define ROOTFS_PREFIX "rootfs:"

static bool is_lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool is_alnum(char c)
{
	return is_lower_alnum(c) || (c >= 'A' && c <= 'Z');
}

static bool is_word(char c)
{
	return is_alnum(c) || c == '_';
}

static bool is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

bool pl_ref_tag_valid(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > PL_REF_TAG_MAX || !is_word(s[0]))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!is_word(s[i]) && s[i] != '.' && s[i] != '-')
			return false;
	return true;
}

/*
 * The image-spec's ref.name grammar: components of alphanumerics joined by
 * one of [-._:@+] or "--", separated by '/'.
 */
bool pl_ref_oci_name_valid(const char *s)
{
	size_t n = strlen(s), i = 0;

	if (n == 0 || n > PL_REF_NAME_MAX)
		return false;
	for (;;) {
		/* a component: alnum+ (sep alnum+)* */
		if (!is_alnum(s[i]))
			return false;
		while (is_alnum(s[i]))
			i++;
		if (s[i] == '\0')
			return true;
		if (s[i] == '/') {
			i++;
			continue;
		}
		if (s[i] == '-' && s[i + 1] == '-')
			i += 2;
		else if (strchr("-._:@+", s[i]))
			i++;
		else
			return false;
	}
}

/* domain-component := [a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9] */
static bool host_valid(const char *s, size_t n)
{
	size_t start = 0;

	if (n == 0)
		return false;
	if (s[0] == '[') {
		/* \[[a-fA-F0-9:]+\] */
		if (n < 3 || s[n - 1] != ']')
			return false;
		for (size_t i = 1; i < n - 1; i++)
			if (!is_hex(s[i]) && s[i] != ':')
				return false;
		return true;
	}
	for (size_t i = 0; i <= n; i++) {
		if (i < n && s[i] != '.')
			continue;
		if (i == start || !is_alnum(s[start]) || !is_alnum(s[i - 1]))
			return false;
		for (size_t k = start; k < i; k++)
			if (!is_alnum(s[k]) && s[k] != '-')
				return false;
		start = i + 1;
	}
	return true;
}

/* domain := host [':' port-number] */
static bool domain_valid(const char *s, size_t n)
{
	const char *colon;
	size_t hn;

	if (n > 0 && s[0] == '[') {
		const char *close = memchr(s, ']', n);

		if (!close)
			return false;
		hn = (size_t)(close - s) + 1;
	} else {
		colon = memchr(s, ':', n);
		hn = colon ? (size_t)(colon - s) : n;
	}
	if (!host_valid(s, hn))
		return false;
	if (hn == n)
		return true;
	if (s[hn] != ':' || hn + 1 == n)
		return false;
	for (size_t i = hn + 1; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

/*
 * path-component := [a-z0-9]+ (separator [a-z0-9]+)*, separator := [_.]|__|[-]+.
 * Returns 0, or 1 when the only fault is an uppercase letter (for a better
 * message), or -1.
 */
static int path_valid(const char *s)
{
	bool upper = false;
	const char *p = s;

	for (const char *q = s; *q; q++)
		if (*q >= 'A' && *q <= 'Z')
			upper = true;
	for (;;) {
		/* one component */
		if (!is_lower_alnum(*p) && !(upper && is_alnum(*p)))
			return -1;
		while (*p && *p != '/') {
			while (is_lower_alnum(*p) || (upper && is_alnum(*p)))
				p++;
			if (!*p || *p == '/')
				break;
			if (*p == '_' && p[1] == '_')
				p += 2;
			else if (*p == '.' || *p == '_')
				p++;
			else if (*p == '-')
				while (*p == '-')
					p++;
			else
				return -1;
			if (!is_lower_alnum(*p) && !(upper && is_alnum(*p)))
				return -1;
		}
		if (!*p)
			break;
		p++; /* '/' */
	}
	return upper ? 1 : 0;
}

static bool all_hex64(const char *s)
{
	if (strlen(s) != 64)
		return false;
	for (size_t i = 0; i < 64; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

static int dupn(char **out, const char *s, size_t n, struct pl_err *err)
{
	*out = strndup(s, n);
	return *out ? 0 : pl_err_set(err, PL_ENOMEM, "out of memory");
}

static int parse_path_ref(const char *in, const char *rest, enum pl_ref_kind kind, struct pl_ref *r,
			  struct pl_err *err)
{
	const char *colon;

	r->kind = kind;
	if (!*rest)
		return pl_err_set(err, PL_EINVAL, "reference '%s': empty path", in);
	/* as skopeo: the path ends at the first ':', the ref name may hold more */
	colon = kind == PL_REF_OCI ? strchr(rest, ':') : NULL;
	if (colon && !colon[1])
		return pl_err_set(err, PL_EINVAL,
				  "reference '%s': empty ref name after ':' (drop the ':' or "
				  "name an image)",
				  in);
	if (colon) {
		if (colon == rest)
			return pl_err_set(err, PL_EINVAL, "reference '%s': empty path", in);
		if (!pl_ref_oci_name_valid(colon + 1))
			return pl_err_set(err, PL_EINVAL,
					  "reference '%s': '%s' is not a valid ref name "
					  "(components of [A-Za-z0-9] joined by one of -._:@+, "
					  "separated by '/')",
					  in, colon + 1);
		if (dupn(&r->path, rest, (size_t)(colon - rest), err) < 0 ||
		    dupn(&r->tag, colon + 1, strlen(colon + 1), err) < 0)
			return PL_ENOMEM;
		return 0;
	}
	return dupn(&r->path, rest, strlen(rest), err);
}

static int parse_registry(const char *in, const char *s, struct pl_ref *r, struct pl_err *err)
{
	const char *at, *slash, *colon, *name_end, *rem;
	size_t name_len, dlen;
	int rc;

	r->kind = PL_REF_REGISTRY;
	if (!*s)
		return pl_err_set(err, PL_EINVAL, "reference '%s': empty name", in);
	if (all_hex64(s))
		return pl_err_set(err, PL_EINVAL,
				  "reference '%s': a 64-character hex string is an image id, "
				  "not a repository name",
				  in);
	at = strchr(s, '@');
	name_end = at ? at : s + strlen(s);
	if (at) {
		const char *dg = at + 1;

		if (strncmp(dg, "sha256:", 7) != 0 && strchr(dg, ':') && strchr(dg, ':') != dg)
			return pl_err_set(err, PL_EINVAL,
					  "reference '%s': unsupported digest algorithm (only "
					  "sha256)",
					  in);
		if (pl_digest_check(dg, NULL) < 0)
			return pl_err_set(err, PL_EINVAL,
					  "reference '%s': invalid digest '%s' (want sha256: "
					  "and 64 lowercase hex digits)",
					  in, dg);
		if ((rc = dupn(&r->digest, dg, strlen(dg), err)) < 0)
			return rc;
	}
	/* a ':' after the last '/' starts the tag; before it, it is a port */
	slash = NULL;
	colon = NULL;
	for (const char *p = s; p < name_end; p++) {
		if (*p == '/')
			slash = p;
		else if (*p == ':')
			colon = p;
	}
	if (colon && (!slash || colon > slash)) {
		size_t tlen = (size_t)(name_end - colon - 1);

		if ((rc = dupn(&r->tag, colon + 1, tlen, err)) < 0)
			return rc;
		if (!pl_ref_tag_valid(r->tag))
			return pl_err_set(err, PL_EINVAL,
					  "reference '%s': invalid tag '%s' (want "
					  "[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})",
					  in, r->tag);
		name_end = colon;
	}
	name_len = (size_t)(name_end - s);
	if (name_len == 0)
		return pl_err_set(err, PL_EINVAL, "reference '%s': empty repository name", in);

	/* split the domain as docker's splitDockerDomain does */
	slash = memchr(s, '/', name_len);
	dlen = slash ? (size_t)(slash - s) : 0;
	if (slash) {
		bool lower = true, dot_colon = false;

		for (size_t i = 0; i < dlen; i++) {
			if (s[i] == '.' || s[i] == ':')
				dot_colon = true;
			if (s[i] >= 'A' && s[i] <= 'Z')
				lower = false;
		}
		if (!dot_colon && !(dlen == 9 && !memcmp(s, "localhost", 9)) && lower)
			slash = NULL;
	}
	if (slash) {
		if (!domain_valid(s, dlen))
			return pl_err_set(err, PL_EINVAL, "reference '%s': invalid registry '%.*s'",
					  in, (int)dlen, s);
		if ((rc = dupn(&r->domain, s, dlen, err)) < 0)
			return rc;
		rem = slash + 1;
	} else {
		rem = s;
	}
	if (!r->domain || !strcmp(r->domain, "index.docker.io")) {
		free(r->domain);
		if ((rc = dupn(&r->domain, PL_REF_DEFAULT_DOMAIN, strlen(PL_REF_DEFAULT_DOMAIN),
			       err)) < 0)
			return rc;
	}
	{
		size_t plen = (size_t)(name_end - rem);
		bool official =
		    !strcmp(r->domain, PL_REF_DEFAULT_DOMAIN) && !memchr(rem, '/', plen);
		struct pl_buf b = PL_BUF_INIT;

		if ((official && pl_buf_adds(&b, "library/", err) < 0) ||
		    pl_buf_add(&b, rem, plen, err) < 0) {
			pl_buf_release(&b);
			return PL_ENOMEM;
		}
		r->path = pl_buf_detach(&b, NULL);
		if (!r->path)
			return pl_err_set(err, PL_ENOMEM, "out of memory");
	}
	rc = path_valid(r->path);
	if (rc == 1)
		return pl_err_set(err, PL_EINVAL,
				  "reference '%s': repository name '%s' must be lowercase", in,
				  r->path);
	if (rc < 0)
		return pl_err_set(err, PL_EINVAL,
				  "reference '%s': invalid repository name '%s' (want lowercase "
				  "components of [a-z0-9] joined by '.', '_', '__' or '-', "
				  "separated by '/')",
				  in, r->path);
	if (strlen(r->domain) + 1 + strlen(r->path) > PL_REF_NAME_MAX)
		return pl_err_set(err, PL_EINVAL,
				  "reference '%s': repository name longer than %d characters", in,
				  PL_REF_NAME_MAX);
	return 0;
}

int pl_ref_parse(const char *s, struct pl_ref *r, struct pl_err *err)
{
	memset(r, 0, sizeof(*r));
	if (!strncmp(s, DOCKER_PREFIX, strlen(DOCKER_PREFIX)))
		return parse_registry(s, s + strlen(DOCKER_PREFIX), r, err);
	if (!strncmp(s, OCI_PREFIX, strlen(OCI_PREFIX)))
		return parse_path_ref(s, s + strlen(OCI_PREFIX), PL_REF_OCI, r, err);
	if (!strncmp(s, ROOTFS_PREFIX, strlen(ROOTFS_PREFIX)))
		return parse_path_ref(s, s + strlen(ROOTFS_PREFIX), PL_REF_ROOTFS, r, err);
	return parse_registry(s, s, r, err);
}

void pl_ref_release(struct pl_ref *r)
{
	if (!r)
		return;
	free(r->domain);
	free(r->path);
	free(r->tag);
	free(r->digest);
	memset(r, 0, sizeof(*r));
}

int pl_ref_format_name(const struct pl_ref *r, struct pl_buf *out, struct pl_err *err)
{
	if (r->kind == PL_REF_REGISTRY)
		return pl_buf_addf(out, err, "%s/%s", r->domain ? r->domain : PL_REF_DEFAULT_DOMAIN,
				   r->path ? r->path : "");
	return pl_buf_adds(out, r->path ? r->path : "", err);
}

int pl_ref_format(const struct pl_ref *r, struct pl_buf *out, struct pl_err *err)
{
	int rc;

	switch (r->kind) {
	case PL_REF_REGISTRY: {
		const char *d = r->domain ? r->domain : "";

		/* a registry host named like a transport keeps its docker:// */
		rc = 0;
		if (!strncmp(d, OCI_PREFIX, strlen(OCI_PREFIX)) ||
		    !strncmp(d, ROOTFS_PREFIX, strlen(ROOTFS_PREFIX)))
			rc = pl_buf_adds(out, DOCKER_PREFIX, err);
		if (rc == 0)
			rc = pl_ref_format_name(r, out, err);
		if (rc == 0 && r->tag)
			rc = pl_buf_addf(out, err, ":%s", r->tag);
		if (rc == 0 && r->digest)
			rc = pl_buf_addf(out, err, "@%s", r->digest);
		return rc;
	}
	case PL_REF_OCI: {
		if (r->path && strchr(r->path, ':'))
			return pl_err_set(err, PL_EINVAL,
					  "oci path '%s' contains ':', which an oci: reference "
					  "can not express (skopeo splits at the first ':')",
					  r->path);
		rc = pl_buf_addf(out, err, "oci:%s", r->path ? r->path : "");
		if (rc == 0 && r->tag)
			rc = pl_buf_addf(out, err, ":%s", r->tag);
		return rc;
	}
	case PL_REF_ROOTFS:
		return pl_buf_addf(out, err, "rootfs:%s", r->path ? r->path : "");
	}
	return pl_err_set(err, PL_EINVAL, "unknown reference kind %d", (int)r->kind);
}

const char *pl_ref_reference(const struct pl_ref *r)
{
	if (r->digest)
		return r->digest;
	if (r->tag)
		return r->tag;
	return "latest";
}
