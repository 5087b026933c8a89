/*
 * Release files: splitting a clearsigned InRelease into its signed text, the
 * Release fields apt uses, and RFC 2822 dates.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/apt.h"
#include "lib/deb.h"

/* ---- clearsigned messages ---- */

/* Next line of [*pos, end): sets line/len without the newline (and '\r'). */
static int next_line(const char *data, size_t end, size_t *pos, const char **line, size_t *len)
{
	size_t p = *pos, e;

	if (p >= end)
		return 0;
	e = p;
	while (e < end && data[e] != '\n')
		e++;
	*line = data + p;
	*len = e - p;
	if (*len > 0 && data[e - 1] == '\r')
		(*len)--;
	*pos = e < end ? e + 1 : e;
	return 1;
}

static int line_is(const char *line, size_t len, const char *s)
{
	size_t n = strlen(s);

	/* trailing blanks are not part of an armour line */
	while (len > n && (line[len - 1] == ' ' || line[len - 1] == '\t'))
		len--;
	return len == n && !memcmp(line, s, n);
}

static int blank(const char *line, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (!isspace((unsigned char)line[i]))
			return 0;
	return 1;
}

int pl_apt_clearsigned_text(const char *data, size_t len, const char *what, struct pl_buf *out,
			    struct pl_err *err)
{
	const char *line = NULL;
	size_t ll = 0, pos = 0, start = out->len;
	int rc, state = 0, ntext = 0;

	/* state 0: before BEGIN, 1: armour headers, 2: text, 3: signature, 4: after */
	while (next_line(data, len, &pos, &line, &ll)) {
		if (memchr(line, '\0', ll)) {
			rc = pl_err_set(err, PL_EVERIFY, "%s: NUL byte in clearsigned message",
					what);
			goto out;
		}
		switch (state) {
		case 0:
			if (line_is(line, ll, "-----BEGIN PGP SIGNED MESSAGE-----")) {
				state = 1;
			} else if (!blank(line, ll)) {
				rc = pl_err_set(err, PL_EVERIFY,
						"%s: not a clearsigned message (text before "
						"'-----BEGIN PGP SIGNED MESSAGE-----')",
						what);
				goto out;
			}
			break;
		case 1:
			if (ll == 0) {
				state = 2;
			} else if (ll < 6 || memcmp(line, "Hash: ", 6) != 0) {
				rc = pl_err_set(err, PL_EVERIFY,
						"%s: unexpected armour header '%.*s'", what,
						(int)(ll > 60 ? 60 : ll), line);
				goto out;
			}
			break;
		case 2:
			if (line_is(line, ll, "-----BEGIN PGP SIGNATURE-----")) {
				state = 3;
				break;
			}
			if (ll > 0 && line[0] == '-') {
				if (ll < 2 || line[1] != ' ') {
					rc = pl_err_set(err, PL_EVERIFY,
							"%s: unescaped dash line '%.*s' in "
							"signed text",
							what, (int)(ll > 60 ? 60 : ll), line);
					goto out;
				}
				line += 2;
				ll -= 2;
			}
			ntext++;
			rc = pl_buf_add(out, line, ll, err);
			if (rc == 0)
				rc = pl_buf_addch(out, '\n', err);
			if (rc < 0)
				goto out;
			break;
		case 3:
			if (line_is(line, ll, "-----END PGP SIGNATURE-----"))
				state = 4;
			else if (ll > 0 && line[0] == '-') {
				rc = pl_err_set(err, PL_EVERIFY,
						"%s: unexpected '%.*s' in signature block", what,
						(int)(ll > 60 ? 60 : ll), line);
				goto out;
			}
			break;
		default:
			if (!blank(line, ll)) {
				rc =
				    pl_err_set(err, PL_EVERIFY,
					       "%s: data after the signature is not allowed", what);
				goto out;
			}
		}
	}
	if (state != 4) {
		rc = pl_err_set(err, PL_EVERIFY, "%s: %s", what,
				state == 0   ? "not a clearsigned message"
				: state == 3 ? "signature block is not terminated"
					     : "clearsigned message has no signature");
		goto out;
	}
	if (ntext == 0) {
		rc =
		    pl_err_set(err, PL_EVERIFY, "%s: clearsigned message has no signed text", what);
		goto out;
	}
	rc = 0;
out:
	if (rc < 0) {
		out->len = start;
		if (out->data)
			out->data[start] = '\0';
	}
	return rc;
}

/* ---- dates ---- */

static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
				     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + (int64_t)doe - 719468;
}

static int read_num(const char **p, int min_digits, int max_digits, long *out)
{
	const char *s = *p;
	long v = 0;
	int n = 0;

	while (isdigit((unsigned char)*s) && n < max_digits) {
		v = v * 10 + (*s - '0');
		s++;
		n++;
	}
	if (n < min_digits)
		return -1;
	*p = s;
	*out = v;
	return 0;
}

int pl_apt_parse_date(const char *s, int64_t *out, struct pl_err *err)
{
	const char *p = s;
	long day, year, hh, mm, ss = 0, off = 0;
	int mon = -1;

	while (*p == ' ')
		p++;
	/* optional "Sat, " */
	if (isalpha((unsigned char)p[0])) {
		while (isalpha((unsigned char)*p))
			p++;
		if (*p != ',')
			goto bad;
		p++;
		while (*p == ' ')
			p++;
	}
	if (read_num(&p, 1, 2, &day) < 0 || *p++ != ' ')
		goto bad;
	while (*p == ' ')
		p++;
	for (int i = 0; i < 12; i++)
		if (!strncmp(p, months[i], 3))
			mon = i + 1;
	if (mon < 0 || p[3] != ' ')
		goto bad;
	p += 4;
	if (read_num(&p, 4, 4, &year) < 0 || *p++ != ' ')
		goto bad;
	if (read_num(&p, 1, 2, &hh) < 0 || *p++ != ':' || read_num(&p, 2, 2, &mm) < 0)
		goto bad;
	if (*p == ':' && (p++, read_num(&p, 2, 2, &ss) < 0))
		goto bad;
	while (*p == ' ')
		p++;
	if (!strcmp(p, "UTC") || !strcmp(p, "GMT") || !strcmp(p, "Z") || !strcmp(p, "+0000") ||
	    !*p) {
		off = 0;
	} else if ((*p == '+' || *p == '-') && strlen(p) == 5) {
		const char *q = p + 1;
		long hhmm;

		if (read_num(&q, 4, 4, &hhmm) < 0 || *q)
			goto bad;
		off = (hhmm / 100) * 3600 + (hhmm % 100) * 60;
		if (*p == '-')
			off = -off;
	} else {
		goto bad;
	}
	if (day < 1 || day > 31 || hh > 23 || mm > 59 || ss > 60)
		goto bad;
	*out = days_from_civil(year, (unsigned)mon, (unsigned)day) * 86400 + hh * 3600 + mm * 60 +
	       ss - off;
	return 0;
bad:
	return pl_err_set(err, PL_EINVAL, "not a date: '%.60s'", s);
}

/* ---- Release ---- */

struct rel_ctx {
	struct pl_apt_release *r;
	const char *what;
	int nparas;
};

static int dup_field(const struct pl_deb822_para *p, const char *name, char **out,
		     struct pl_err *err)
{
	const char *v = pl_deb822_get(p, name);

	if (!v)
		return 0;
	while (*v == ' ')
		v++;
	*out = strdup(v);
	if (!*out)
		return pl_err_set(err, PL_ENOMEM, "out of memory");
	return 0;
}

/* Split a whitespace-separated field into a NULL-terminated vector. */
static int split_words(const char *v, char ***out, size_t *n, struct pl_err *err)
{
	size_t cap = 0;

	*out = NULL;
	*n = 0;
	if (!v)
		return 0;
	while (*v) {
		while (*v && isspace((unsigned char)*v))
			v++;
		if (!*v)
			break;
		const char *s = v;
		while (*v && !isspace((unsigned char)*v))
			v++;
		if (*n + 1 >= cap) {
			size_t nc = cap ? cap * 2 : 8;
			char **nv = realloc(*out, nc * sizeof(*nv));
			if (!nv)
				return pl_err_set(err, PL_ENOMEM, "out of memory");
			*out = nv;
			cap = nc;
		}
		(*out)[*n] = strndup(s, (size_t)(v - s));
		if (!(*out)[*n])
			return pl_err_set(err, PL_ENOMEM, "out of memory");
		(*n)++;
		(*out)[*n] = NULL;
	}
	return 0;
}

static int safe_path(const char *p)
{
	if (!*p || *p == '/' || p[strlen(p) - 1] == '/')
		return 0;
	for (const char *s = p; *s; s++)
		if ((unsigned char)*s < 0x21 || *s == 0x7f || *s == '\\')
			return 0;
	for (const char *s = p; *s;) {
		const char *e = strchr(s, '/');
		size_t n = e ? (size_t)(e - s) : strlen(s);

		if (n == 0 || (n == 2 && s[0] == '.' && s[1] == '.') || (n == 1 && s[0] == '.'))
			return 0;
		s += n;
		if (*s == '/')
			s++;
	}
	return 1;
}

static int parse_sha256_list(struct pl_apt_release *r, const char *v, const char *what,
			     struct pl_err *err)
{
	char **w = NULL;
	size_t n = 0;
	int rc;

	rc = split_words(v, &w, &n, err);
	if (rc < 0)
		goto out;
	if (n % 3) {
		rc = pl_err_set(err, PL_EINVAL, "%s: SHA256: entries are not 'hash size path'",
				what);
		goto out;
	}
	r->files = calloc(n / 3 + 1, sizeof(*r->files));
	if (!r->files) {
		rc = pl_err_set(err, PL_ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n; i += 3) {
		struct pl_apt_release_file *f = &r->files[r->nfiles];
		const char *h = w[i];
		char *end;
		unsigned long long sz;

		if (strlen(h) != 64 || strspn(h, "0123456789abcdef") != 64) {
			rc = pl_err_set(err, PL_EINVAL, "%s: SHA256: '%.70s' is not a sha256", what,
					h);
			goto out;
		}
		errno = 0;
		sz = strtoull(w[i + 1], &end, 10);
		if (errno || *end || !isdigit((unsigned char)w[i + 1][0]) || sz > INT64_MAX) {
			rc = pl_err_set(err, PL_EINVAL, "%s: SHA256: bad size '%.30s'", what,
					w[i + 1]);
			goto out;
		}
		if (!safe_path(w[i + 2])) {
			rc = pl_err_set(err, PL_EINVAL, "%s: SHA256: unsafe path '%.100s'", what,
					w[i + 2]);
			goto out;
		}
		snprintf(f->sha256, sizeof(f->sha256), "sha256:%s", h);
		f->size = sz;
		f->path = w[i + 2];
		w[i + 2] = NULL;
		r->nfiles++;
	}
	rc = 0;
out:
	for (size_t i = 0; i < n; i++)
		free(w[i]);
	free(w);
	return rc;
}

static int release_para(const struct pl_deb822_para *p, void *vctx, struct pl_err *err)
{
	struct rel_ctx *c = vctx;
	struct pl_apt_release *r = c->r;
	const char *v;
	int rc;

	if (c->nparas++ > 0)
		return pl_err_set(err, PL_EINVAL, "%s:%d: Release has more than one paragraph",
				  c->what, p->line);
	if ((rc = dup_field(p, "Origin", &r->origin, err)) < 0 ||
	    (rc = dup_field(p, "Label", &r->label, err)) < 0 ||
	    (rc = dup_field(p, "Suite", &r->suite, err)) < 0 ||
	    (rc = dup_field(p, "Codename", &r->codename, err)) < 0 ||
	    (rc = dup_field(p, "Date", &r->date_str, err)) < 0 ||
	    (rc = dup_field(p, "Valid-Until", &r->valid_until_str, err)) < 0)
		return rc;
	if (r->date_str && (rc = pl_apt_parse_date(r->date_str, &r->date, err)) < 0) {
		pl_err_wrap(err, "%s: Date", c->what);
		return rc;
	}
	if (r->valid_until_str &&
	    (rc = pl_apt_parse_date(r->valid_until_str, &r->valid_until, err)) < 0) {
		pl_err_wrap(err, "%s: Valid-Until", c->what);
		return rc;
	}
	if ((rc = split_words(pl_deb822_get(p, "Architectures"), &r->archs, &r->narchs, err)) < 0 ||
	    (rc = split_words(pl_deb822_get(p, "Components"), &r->components, &r->ncomponents,
			      err)) < 0)
		return rc;
	v = pl_deb822_get(p, "Acquire-By-Hash");
	r->by_hash = v && strstr(v, "yes");
	v = pl_deb822_get(p, "No-Support-for-Architecture-all");
	r->no_support_all = v && strstr(v, "Packages");
	v = pl_deb822_get(p, "SHA256");
	if (v)
		return parse_sha256_list(r, v, c->what, err);
	return 0;
}

int pl_apt_release_parse(const char *data, size_t len, const char *what,
			 struct pl_apt_release **out, struct pl_err *err)
{
	struct rel_ctx c = {0};
	int rc;

	*out = NULL;
	c.what = what;
	c.r = calloc(1, sizeof(*c.r));
	if (!c.r)
		return pl_err_set(err, PL_ENOMEM, "out of memory");
	c.r->date = c.r->valid_until = -1;
	rc = pl_deb822_parse(data, len, what, release_para, &c, err);
	if (rc < 0)
		goto out;
	if (c.nparas == 0) {
		rc = pl_err_set(err, PL_EINVAL, "%s: empty Release file", what);
		goto out;
	}
	*out = c.r;
	c.r = NULL;
out:
	pl_apt_release_free(c.r);
	return rc;
}

static void free_words(char **w, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(w[i]);
	free(w);
}

void pl_apt_release_free(struct pl_apt_release *r)
{
	if (!r)
		return;
	free(r->origin);
	free(r->label);
	free(r->suite);
	free(r->codename);
	free(r->date_str);
	free(r->valid_until_str);
	free_words(r->archs, r->narchs);
	free_words(r->components, r->ncomponents);
	for (size_t i = 0; i < r->nfiles; i++)
		free(r->files[i].path);
	free(r->files);
	free(r);
}

const struct pl_apt_release_file *pl_apt_release_find(const struct pl_apt_release *r,
						      const char *path)
{
	for (size_t i = 0; i < r->nfiles; i++)
		if (!strcmp(r->files[i].path, path))
			return &r->files[i];
	return NULL;
}
