/*
 * Unified diffs: a strict parser and an all-or-nothing applier with GNU
 * patch's offset search at fuzz 0.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/patch.h"

struct lines {
	const char *p; /* the input */
	size_t len, off;
	int lineno;
};

/* Next line of the input without its newline; false at the end. */
static bool next_line(struct lines *l, const char **s, size_t *n)
{
	const char *nl;

	if (l->off >= l->len)
		return false;
	*s = l->p + l->off;
	nl = memchr(*s, '\n', l->len - l->off);
	*n = nl ? (size_t)(nl - *s) : l->len - l->off;
	l->off += *n + (nl ? 1 : 0);
	l->lineno++;
	return true;
}

static bool peek_line(const struct lines *l, const char **s, size_t *n)
{
	struct lines c = *l;

	return next_line(&c, s, n);
}

static bool starts(const char *s, size_t n, const char *pfx)
{
	size_t k = strlen(pfx);

	return n >= k && memcmp(s, pfx, k) == 0;
}

/* Parse a decimal number; false when absent or too large. */
static bool num(const char **s, const char *end, size_t *out)
{
	size_t v = 0;
	const char *p = *s;

	if (p >= end || *p < '0' || *p > '9')
		return false;
	for (; p < end && *p >= '0' && *p <= '9'; p++) {
		if (v > (SIZE_MAX - 9) / 10 || v > 100000000)
			return false;
		v = v * 10 + (size_t)(*p - '0');
	}
	*s = p;
	*out = v;
	return true;
}

/* "-a[,b] +c[,d] @@" after "@@ " */
static bool range(const char **s, const char *end, char sign, size_t *start, size_t *cnt)
{
	if (*s >= end || **s != sign)
		return false;
	(*s)++;
	if (!num(s, end, start))
		return false;
	*cnt = 1;
	if (*s < end && **s == ',') {
		(*s)++;
		if (!num(s, end, cnt))
			return false;
	}
	return true;
}

/*
 * The path of a ---/+++ line: up to a tab (diff -u's timestamp), quotes not
 * supported, "a/"/"b/" and leading '/' dropped. NULL path for /dev/null.
 */
static int header_path(const char *s, size_t n, const char *what, int lineno, char **out,
		       struct pl_err *err)
{
	const char *tab = memchr(s, '\t', n);
	char *raw = NULL;
	int rc;

	*out = NULL;
	if (tab)
		n = (size_t)(tab - s);
	while (n > 0 && s[n - 1] == ' ')
		n--;
	if (n == 9 && memcmp(s, "/dev/null", 9) == 0)
		return 0;
	if (n > 0 && s[0] == '"')
		return pl_err_set(err, PL_EINVAL, "%s:%d: quoted file names are not supported",
				  what, lineno);
	if (n >= 2 && (s[0] == 'a' || s[0] == 'b') && s[1] == '/') {
		s += 2;
		n -= 2;
	}
	while (n > 0 && s[0] == '/') {
		s++;
		n--;
	}
	if (n == 0 || memchr(s, '\0', n))
		return pl_err_set(err, PL_EINVAL, "%s:%d: missing file name", what, lineno);
	raw = strndup(s, n);
	if (!raw)
		return pl_err_set(err, PL_ENOMEM, "out of memory");
	rc = pl_fstree_normalize(raw, out, err);
	if (rc == 0 && (*out)[0] == '\0') {
		free(*out);
		*out = NULL;
		rc = pl_err_set(err, PL_EINVAL, "%s:%d: file name names the root", what, lineno);
	}
	if (rc < 0)
		pl_err_wrap(err, "%s:%d", what, lineno);
	free(raw);
	return rc;
}

static void file_release(struct pl_udiff_file *f)
{
	for (size_t i = 0; i < f->nhunks; i++) {
		free(f->hunks[i].header);
		free(f->hunks[i].lines);
	}
	free(f->hunks);
	free(f->path);
}

void pl_udiff_free(struct pl_udiff *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->nfiles; i++)
		file_release(&d->files[i]);
	free(d->files);
	free(d->data);
	free(d->what);
	free(d);
}

static int parse_hunk(struct lines *l, const char *s, size_t n, const char *what,
		      struct pl_udiff_hunk *h, struct pl_err *err)
{
	const char *p = s + 3, *end = s + n, *close;
	size_t old_seen = 0, new_seen = 0, cap = 0;
	int hline = l->lineno;

	if (!range(&p, end, '-', &h->old_start, &h->old_len) || p >= end || *p++ != ' ' ||
	    !range(&p, end, '+', &h->new_start, &h->new_len) || p >= end || *p != ' ' ||
	    end - p < 3 || memcmp(p, " @@", 3) != 0)
		return pl_err_set(err, PL_EINVAL, "%s:%d: malformed hunk header", what, hline);
	close = p + 3;
	h->header = strndup(s, (size_t)(close - s));
	if (!h->header)
		return pl_err_set(err, PL_ENOMEM, "out of memory");
	if ((h->old_len > 0 && h->old_start == 0) || (h->new_len > 0 && h->new_start == 0))
		return pl_err_set(err, PL_EINVAL, "%s:%d: hunk starts at line 0", what, hline);
	while (old_seen < h->old_len || new_seen < h->new_len) {
		const char *t;
		size_t k;
		char kind;

		if (!next_line(l, &t, &k))
			return pl_err_set(err, PL_EINVAL, "%s:%d: hunk %s ends early", what, hline,
					  h->header);
		if (k > 0 && t[0] == '\\') {
			if (h->nlines == 0)
				return pl_err_set(err, PL_EINVAL, "%s:%d: stray '\\' line", what,
						  l->lineno);
			h->lines[h->nlines - 1].no_newline = true;
			continue;
		}
		kind = k == 0 ? ' ' : t[0]; /* an empty line is blank context */
		if (kind != ' ' && kind != '-' && kind != '+')
			return pl_err_set(err, PL_EINVAL,
					  "%s:%d: hunk %s ends early (line starts with '%c')", what,
					  l->lineno, h->header, kind);
		if ((kind != '+' && old_seen >= h->old_len) ||
		    (kind != '-' && new_seen >= h->new_len))
			return pl_err_set(err, PL_EINVAL,
					  "%s:%d: hunk %s has more lines than its header says",
					  what, l->lineno, h->header);
		if (h->nlines == cap) {
			size_t nc = cap ? cap * 2 : 16;
			struct pl_udiff_line *nv = realloc(h->lines, nc * sizeof(*nv));

			if (!nv)
				return pl_err_set(err, PL_ENOMEM, "out of memory");
			h->lines = nv;
			cap = nc;
		}
		h->lines[h->nlines].kind = kind;
		h->lines[h->nlines].text = k ? t + 1 : t;
		h->lines[h->nlines].len = k ? k - 1 : 0;
		h->lines[h->nlines].no_newline = false;
		h->nlines++;
		if (kind != '+')
			old_seen++;
		if (kind != '-')
			new_seen++;
	}
	/* a trailing "\ No newline" belongs to the last line */
	{
		const char *t;
		size_t k;

		if (peek_line(l, &t, &k) && k > 0 && t[0] == '\\') {
			next_line(l, &t, &k);
			if (h->nlines == 0)
				return pl_err_set(err, PL_EINVAL, "%s:%d: stray '\\' line", what,
						  l->lineno);
			h->lines[h->nlines - 1].no_newline = true;
			/* both sides' last lines may lack it: "-x\n\\ ...\n+y\n\\ ..." is
			 * handled inside the loop; nothing else to do */
		}
	}
	return 0;
}

int pl_udiff_parse(const char *data, size_t len, const char *what, struct pl_udiff **out,
		   struct pl_err *err)
{
	struct pl_udiff *d = NULL;
	struct lines l = {0};
	const char *s;
	size_t n, cap = 0;
	int rc = 0;

	*out = NULL;
	if (len > PL_UDIFF_MAX_BYTES) {
		rc = pl_err_set(err, PL_ETOOBIG, "%s: diff larger than %u bytes", what,
				PL_UDIFF_MAX_BYTES);
		goto out;
	}
	d = calloc(1, sizeof(*d));
	if (!d || !(d->what = strdup(what)) || !(d->data = malloc(len + 1))) {
		rc = pl_err_set(err, PL_ENOMEM, "out of memory");
		goto out;
	}
	if (len)
		memcpy(d->data, data, len);
	d->data[len] = '\0';
	l.p = d->data;
	l.len = len;
	while (next_line(&l, &s, &n)) {
		struct pl_udiff_file *f;
		char *oldp = NULL, *newp = NULL;
		int oline;

		if (starts(s, n, "GIT binary patch") || starts(s, n, "Binary files ")) {
			rc = pl_err_set(err, PL_EINVAL, "%s:%d: binary patches are not supported",
					what, l.lineno);
			goto out;
		}
		if (starts(s, n, "@@ ")) {
			rc =
			    pl_err_set(err, PL_EINVAL, "%s:%d: hunk outside a file (no '---' line)",
				       what, l.lineno);
			goto out;
		}
		if (!starts(s, n, "--- "))
			continue;
		oline = l.lineno;
		rc = header_path(s + 4, n - 4, what, l.lineno, &oldp, err);
		if (rc < 0)
			goto out;
		if (!next_line(&l, &s, &n) || !starts(s, n, "+++ ")) {
			free(oldp);
			rc = pl_err_set(err, PL_EINVAL, "%s:%d: '---' line not followed by '+++'",
					what, oline);
			goto out;
		}
		rc = header_path(s + 4, n - 4, what, l.lineno, &newp, err);
		if (rc < 0) {
			free(oldp);
			goto out;
		}
		if (!oldp && !newp) {
			rc = pl_err_set(err, PL_EINVAL, "%s:%d: both sides are /dev/null", what,
					oline);
			goto out;
		}
		if (d->nfiles == cap) {
			size_t nc = cap ? cap * 2 : 4;
			struct pl_udiff_file *nv = realloc(d->files, nc * sizeof(*nv));

			if (!nv) {
				free(oldp);
				free(newp);
				rc = pl_err_set(err, PL_ENOMEM, "out of memory");
				goto out;
			}
			d->files = nv;
			cap = nc;
		}
		f = &d->files[d->nfiles++];
		memset(f, 0, sizeof(*f));
		f->create = oldp == NULL;
		f->remove = newp == NULL;
		f->path = newp ? newp : oldp;
		free(newp ? oldp : NULL);
		while (peek_line(&l, &s, &n) && starts(s, n, "@@ ")) {
			struct pl_udiff_hunk *nv;

			next_line(&l, &s, &n);
			nv = realloc(f->hunks, (f->nhunks + 1) * sizeof(*nv));
			if (!nv) {
				rc = pl_err_set(err, PL_ENOMEM, "out of memory");
				goto out;
			}
			f->hunks = nv;
			memset(&f->hunks[f->nhunks], 0, sizeof(*nv));
			f->nhunks++;
			rc = parse_hunk(&l, s, n, what, &f->hunks[f->nhunks - 1], err);
			if (rc < 0)
				goto out;
		}
		if (peek_line(&l, &s, &n) && n > 0 && (s[0] == ' ' || s[0] == '+' || s[0] == '-')) {
			struct lines c = l;
			const char *s2;
			size_t n2;

			next_line(&c, &s2, &n2);
			if (!starts(s, n, "--- ") || !next_line(&c, &s2, &n2) ||
			    !starts(s2, n2, "+++ ")) {
				rc = pl_err_set(err, PL_EINVAL,
						"%s:%d: hunk has more lines than its header says",
						what, l.lineno + 1);
				goto out;
			}
		}
		if (f->nhunks == 0) {
			rc = pl_err_set(err, PL_EINVAL, "%s:%d: no hunks for '%s'", what, oline,
					f->path);
			goto out;
		}
		if (f->create && (f->nhunks != 1 || f->hunks[0].old_len != 0)) {
			rc = pl_err_set(err, PL_EINVAL, "%s:%d: creating '%s' with old lines", what,
					oline, f->path);
			goto out;
		}
		if (f->remove) {
			for (size_t i = 0; i < f->nhunks; i++)
				if (f->hunks[i].new_len != 0) {
					rc = pl_err_set(err, PL_EINVAL,
							"%s:%d: deleting '%s' with new lines", what,
							oline, f->path);
					goto out;
				}
		}
	}
	if (d->nfiles == 0) {
		rc = pl_err_set(err, PL_EINVAL, "%s: no file changes in the diff", what);
		goto out;
	}
	*out = d;
	d = NULL;
out:
	pl_udiff_free(d);
	return rc;
}

/* ---- applying ---- */

struct span {
	const char *p;
	size_t len; /* including the newline when there is one */
};

static int split(const char *in, size_t len, struct span **out, size_t *n, struct pl_err *err)
{
	size_t cnt = 0, i = 0, off = 0;
	struct span *v;

	for (size_t k = 0; k < len; k++)
		if (in[k] == '\n')
			cnt++;
	if (len > 0 && in[len - 1] != '\n')
		cnt++;
	v = calloc(cnt ? cnt : 1, sizeof(*v));
	if (!v)
		return pl_err_set(err, PL_ENOMEM, "out of memory");
	while (off < len) {
		const char *nl = memchr(in + off, '\n', len - off);
		size_t k = nl ? (size_t)(nl - (in + off)) + 1 : len - off;

		v[i].p = in + off;
		v[i].len = k;
		i++;
		off += k;
	}
	*out = v;
	*n = cnt;
	return 0;
}

static bool line_eq(const struct span *s, const struct pl_udiff_line *l)
{
	size_t want = l->len + (l->no_newline ? 0 : 1);

	if (s->len != want || memcmp(s->p, l->text, l->len) != 0)
		return false;
	return l->no_newline || s->p[l->len] == '\n';
}

/* Do the old lines of h match at line index pos? */
static bool hunk_at(const struct pl_udiff_hunk *h, const struct span *v, size_t nv, size_t pos)
{
	size_t k = pos;

	if (pos > nv || nv - pos < h->old_len)
		return false;
	for (size_t i = 0; i < h->nlines; i++) {
		if (h->lines[i].kind == '+')
			continue;
		if (!line_eq(&v[k], &h->lines[i]))
			return false;
		k++;
	}
	return true;
}

static int add_line(struct pl_buf *b, const struct pl_udiff_line *l, struct pl_err *err)
{
	int rc = pl_buf_add(b, l->text, l->len, err);

	if (rc == 0 && !l->no_newline)
		rc = pl_buf_addch(b, '\n', err);
	return rc;
}

int pl_udiff_apply(const struct pl_udiff *d, const struct pl_udiff_file *f, const char *in,
		   size_t len, struct pl_buf *out, struct pl_err *err)
{
	struct pl_buf b = PL_BUF_INIT;
	struct span *v = NULL;
	size_t nv = 0, done = 0;
	long long delta = 0;
	int rc;

	pl_buf_init(&b, PL_UDIFF_MAX_FILE);
	rc = split(in, len, &v, &nv, err);
	if (rc < 0)
		goto out;
	for (size_t hi = 0; hi < f->nhunks; hi++) {
		const struct pl_udiff_hunk *h = &f->hunks[hi];
		long long want;
		size_t pos = 0;
		bool found = false;

		/* "-5,0" inserts after line 5: index 5; "-5,3" starts at index 4 */
		want = (long long)h->old_start - (h->old_len ? 1 : 0) + delta;
		if (h->old_len == 0) {
			if (want >= (long long)done && want <= (long long)nv) {
				pos = (size_t)want;
				found = true;
			}
		} else {
			long long lo_lim = (long long)done, hi_lim = (long long)nv;

			long long dist0 = want > hi_lim	  ? want - hi_lim
					  : want < lo_lim ? lo_lim - want
							  : 0;

			for (long long dist = dist0;
			     !found && (want - dist >= lo_lim || want + dist <= hi_lim); dist++) {
				long long c[2] = {want - dist, want + dist};

				for (int k = 0; k < (dist ? 2 : 1) && !found; k++) {
					if (c[k] < lo_lim || c[k] > hi_lim)
						continue;
					if (hunk_at(h, v, nv, (size_t)c[k])) {
						pos = (size_t)c[k];
						found = true;
					}
				}
			}
		}
		if (!found) {
			rc =
			    pl_err_set(err, PL_EINVAL,
				       "diff '%.120s': '%.200s': hunk #%zu (%.100s) does not apply",
				       d->what, f->path, hi + 1, h->header);
			goto out;
		}
		for (; done < pos; done++)
			if ((rc = pl_buf_add(&b, v[done].p, v[done].len, err)) < 0)
				goto out;
		for (size_t i = 0; i < h->nlines; i++)
			if (h->lines[i].kind != '-' && (rc = add_line(&b, &h->lines[i], err)) < 0)
				goto out;
		done = pos + h->old_len;
		delta = (long long)pos - ((long long)h->old_start - (h->old_len ? 1 : 0));
	}
	for (; done < nv; done++)
		if ((rc = pl_buf_add(&b, v[done].p, v[done].len, err)) < 0)
			goto out;
	if ((rc = pl_buf_add(out, b.data ? b.data : "", b.len, err)) < 0)
		goto out;
out:
	pl_buf_release(&b);
	free(v);
	return rc;
}
