/*
 * registry auth: WWW-Authenticate challenges (RFC 7235). The header is
 * untrusted input from the network: it is length-capped, control
 * characters are refused, and values are copied out unescaped.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/registry.h"

/* Real challenges are a few hundred bytes; scopes of big mounts stay far below this. */
#define MAX_HEADER 8192

struct cparser {
	const char *hdr; /* the whole header, for messages */
	const char *p;
	struct pl_err *err;
};

static bool is_alnum(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static bool is_tchar(unsigned char c)
{
	return is_alnum(c) || (c && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static bool is_token68_char(unsigned char c)
{
	return is_alnum(c) || (c && strchr("-._~+/", c) != NULL);
}

static bool is_ws(char c)
{
	/* OWS, plus CR and LF so that a transport which keeps the line end works */
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static void skip_ws(struct cparser *c)
{
	while (is_ws(*c->p))
		c->p++;
}

static size_t token_len(const char *s)
{
	size_t n = 0;

	while (is_tchar((unsigned char)s[n]))
		n++;
	return n;
}

/*
 * Report a malformed header. The value comes from the network, so it is
 * shown cut short and with anything unprintable replaced.
 */
static int bad(struct cparser *c, const char *what)
{
	char shown[97];
	size_t i;

	for (i = 0; i < sizeof(shown) - 1 && c->hdr[i]; i++) {
		unsigned char ch = (unsigned char)c->hdr[i];

		shown[i] = ch >= 0x20 && ch < 0x7f ? (char)ch : '?';
	}
	shown[i] = '\0';
	return pl_err_set(c->err, PL_EINVAL,
			  "malformed WWW-Authenticate header '%s%s': %s at offset %zu", shown,
			  c->hdr[i] ? "..." : "", what, (size_t)(c->p - c->hdr));
}

/*
 * Is a token68 ("Negotiate YII/w==") at c->p? It is one when the run of
 * token68 characters and trailing '=' ends the challenge; "realm=x" is a
 * parameter instead.
 */
static bool at_token68(const struct cparser *c, const char **end)
{
	const char *q = c->p;

	if (!is_token68_char((unsigned char)*q))
		return false;
	while (is_token68_char((unsigned char)*q))
		q++;
	while (*q == '=')
		q++;
	*end = q;
	while (is_ws(*q))
		q++;
	return *q == '\0' || *q == ',';
}

/* Does an auth-param (token BWS "=") start at c->p? */
static bool at_param(const struct cparser *c)
{
	const char *q = c->p;
	size_t n = token_len(q);

	if (n == 0)
		return false;
	q += n;
	while (*q == ' ' || *q == '\t')
		q++;
	return *q == '=';
}

/*
 * A quoted-string at c->p (on the opening quote); *out gets the unescaped
 * value when out is non-NULL.
 */
static int quoted(struct cparser *c, char **out)
{
	const char *q = c->p + 1;
	char *v = NULL, *w;

	/* the unescaped value is never longer than the quoted one */
	if (out) {
		v = malloc(strlen(q) + 1);
		if (!v)
			return pl_err_set(c->err, PL_ENOMEM, "out of memory");
	}
	w = v;
	for (;;) {
		unsigned char ch = (unsigned char)*q;

		if (ch == '\0') {
			free(v);
			return bad(c, "unterminated quoted string");
		}
		if (ch == '"')
			break;
		if (ch == '\\') {
			q++;
			ch = (unsigned char)*q;
			if (ch == '\0') {
				free(v);
				return bad(c, "unterminated quoted string");
			}
		}
		if ((ch < 0x20 && ch != '\t') || ch == 0x7f) {
			c->p = q;
			free(v);
			return bad(c, "control character in quoted string");
		}
		if (w)
			*w++ = (char)ch;
		q++;
	}
	if (w)
		*w = '\0';
	c->p = q + 1;
	if (out)
		*out = v;
	return 0;
}

static char **param_slot(struct pl_reg_challenge *ch, const char *name, size_t n)
{
	static const struct {
		const char *name;
		size_t off;
	} known[] = {
	    {"realm", offsetof(struct pl_reg_challenge, realm)},
	    {"service", offsetof(struct pl_reg_challenge, service)},
	    {"scope", offsetof(struct pl_reg_challenge, scope)},
	    {"error", offsetof(struct pl_reg_challenge, error)},
	};

	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (strlen(known[i].name) == n && !strncasecmp(known[i].name, name, n))
			return (char **)((char *)ch + known[i].off);
	return NULL;
}

/*
 * The parameters of one challenge, after its scheme. They are kept in out
 * when keep is set (first occurrence wins), else only checked. Stops at the
 * end of the header or at the start of the next challenge.
 */
static int params(struct cparser *c, bool keep, struct pl_reg_challenge *out)
{
	const char *end;

	skip_ws(c);
	if (at_token68(c, &end)) {
		c->p = end;
		skip_ws(c);
		return 0;
	}
	for (;;) {
		const char *name;
		size_t n;
		char **slot;
		char *val = NULL;

		skip_ws(c);
		if (*c->p == ',') {
			c->p++;
			continue;
		}
		if (*c->p == '\0' || !at_param(c))
			return 0; /* end, or the scheme of the next challenge */
		name = c->p;
		n = token_len(name);
		c->p += n;
		while (*c->p == ' ' || *c->p == '\t')
			c->p++;
		c->p++; /* '=' */
		while (*c->p == ' ' || *c->p == '\t')
			c->p++;
		slot = keep ? param_slot(out, name, n) : NULL;
		if (slot && *slot)
			slot = NULL;
		if (*c->p == '"') {
			int rc = quoted(c, slot ? &val : NULL);

			if (rc < 0)
				return rc;
		} else {
			size_t vn = token_len(c->p);

			if (vn == 0)
				return bad(c, "expected a token or quoted string");
			if (slot) {
				val = strndup(c->p, vn);
				if (!val)
					return pl_err_set(c->err, PL_ENOMEM, "out of memory");
			}
			c->p += vn;
		}
		if (slot)
			*slot = val;
		skip_ws(c);
		if (*c->p != ',' && *c->p != '\0')
			return bad(c, "expected ',' after a parameter");
	}
}

int pl_reg_challenge_parse(const char *header, struct pl_reg_challenge *out, struct pl_err *err)
{
	struct cparser c = {header, header, err};
	bool found = false;
	int rc = 0;

	pl_reg_challenge_release(out);
	if (!header)
		return pl_err_set(err, PL_ENOTFOUND, "no WWW-Authenticate challenge");
	if (strnlen(header, MAX_HEADER + 1) > MAX_HEADER)
		return pl_err_set(err, PL_EINVAL, "WWW-Authenticate header longer than %d bytes",
				  MAX_HEADER);
	while (!found) {
		size_t n;
		bool want;

		skip_ws(&c);
		if (*c.p == ',') {
			c.p++;
			continue;
		}
		if (*c.p == '\0')
			break;
		n = token_len(c.p);
		if (n == 0) {
			rc = bad(&c, "expected an authentication scheme");
			goto out;
		}
		want = (n == 6 && !strncasecmp(c.p, "bearer", 6)) ||
		       (n == 5 && !strncasecmp(c.p, "basic", 5));
		if (want) {
			/* canonical spelling, so callers may compare either way */
			out->scheme = strdup(n == 6 ? "Bearer" : "Basic");
			if (!out->scheme) {
				rc = pl_err_set(err, PL_ENOMEM, "out of memory");
				goto out;
			}
		}
		c.p += n;
		if (*c.p != '\0' && *c.p != ',' && !is_ws(*c.p)) {
			rc = bad(&c, "expected a space after the scheme");
			goto out;
		}
		rc = params(&c, want, out);
		if (rc < 0)
			goto out;
		found = want;
	}
	if (!found)
		rc = pl_err_set(err, PL_ENOTFOUND,
				"WWW-Authenticate header has no Basic or Bearer challenge");
out:
	if (rc < 0)
		pl_reg_challenge_release(out);
	return rc;
}

void pl_reg_challenge_release(struct pl_reg_challenge *c)
{
	free(c->scheme);
	free(c->realm);
	free(c->service);
	free(c->scope);
	free(c->error);
	memset(c, 0, sizeof(*c));
}
