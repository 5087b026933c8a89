/*
 * deb/deb822: a streaming parser for Debian control paragraphs. One arena
 * holds the current paragraph's names and values; it is reused for the next
 * paragraph, so memory follows the largest paragraph, not the input.
 */
#include "lib/deb.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/buf.h"

#define MAX_FIELDS 4096

struct fld {
	size_t name, value; /* offsets into the arena */
	uint32_t hash;	    /* of the lowercased name */
	int line;
};

struct parser {
	const char *what;
	pl_deb822_fn fn;
	void *ctx;
	struct pl_buf arena;
	struct fld *f;
	size_t n, cap;
	struct pl_deb822_field *out;
	size_t outcap;
	int para_line;
};

static bool is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

static uint32_t name_hash(const char *s, size_t n)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 'A' && c <= 'Z')
			c = (unsigned char)(c - 'A' + 'a');
		h = (h ^ c) * 16777619u;
	}
	return h;
}

static int flush(struct parser *ps, struct pl_err *err)
{
	struct pl_deb822_para p;
	int rc;

	if (ps->n == 0)
		return 0;
	if (ps->n > ps->outcap) {
		size_t cap = ps->outcap ? ps->outcap : 32;
		struct pl_deb822_field *o;

		while (cap < ps->n)
			cap *= 2;
		o = realloc(ps->out, cap * sizeof(*o));
		if (!o)
			return pl_err_set(err, PL_ENOMEM, "out of memory");
		ps->out = o;
		ps->outcap = cap;
	}
	for (size_t i = 0; i < ps->n; i++) {
		ps->out[i].name = ps->arena.data + ps->f[i].name;
		ps->out[i].value = ps->arena.data + ps->f[i].value;
		ps->out[i].line = ps->f[i].line;
	}
	p.fields = ps->out;
	p.n = ps->n;
	p.line = ps->para_line;
	rc = ps->fn(&p, ps->ctx, err);
	ps->n = 0;
	pl_buf_reset(&ps->arena);
	return rc < 0 ? rc : 0;
}

static int add_field(struct parser *ps, const char *name, size_t nlen, const char *val, size_t vlen,
		     int line, struct pl_err *err)
{
	uint32_t h = name_hash(name, nlen);
	struct fld *f;
	int rc;

	for (size_t i = 0; i < ps->n; i++) {
		const char *other = ps->arena.data + ps->f[i].name;

		if (ps->f[i].hash == h && strlen(other) == nlen &&
		    strncasecmp(other, name, nlen) == 0)
			return pl_err_set(err, PL_EINVAL,
					  "%s:%d: duplicate field '%.*s' (first at line %d)",
					  ps->what, line, (int)nlen, name, ps->f[i].line);
	}
	if (ps->n == MAX_FIELDS)
		return pl_err_set(err, PL_ETOOBIG, "%s:%d: more than %d fields in one paragraph",
				  ps->what, line, MAX_FIELDS);
	if (ps->n == ps->cap) {
		size_t cap = ps->cap ? ps->cap * 2 : 32;

		f = realloc(ps->f, cap * sizeof(*f));
		if (!f)
			return pl_err_set(err, PL_ENOMEM, "out of memory");
		ps->f = f;
		ps->cap = cap;
	}
	/* end the previous value, which was kept open for continuation lines */
	if (ps->n > 0) {
		rc = pl_buf_addch(&ps->arena, '\0', err);
		if (rc < 0)
			return rc;
	}
	f = &ps->f[ps->n];
	f->name = ps->arena.len;
	f->hash = h;
	f->line = line;
	rc = pl_buf_add(&ps->arena, name, nlen, err);
	if (rc == 0)
		rc = pl_buf_addch(&ps->arena, '\0', err);
	f->value = ps->arena.len;
	if (rc == 0)
		rc = pl_buf_add(&ps->arena, val, vlen, err);
	if (rc < 0)
		return rc;
	/* the value stays last in the arena (NUL kept by pl_buf) until the next field */
	if (ps->n == 0)
		ps->para_line = line;
	ps->n++;
	return 0;
}

static int name_ok(const char *s, size_t n)
{
	if (n == 0 || s[0] == '-')
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c <= 0x20 || c >= 0x7f)
			return 0;
	}
	return 1;
}

int pl_deb822_parse(const char *data, size_t len, const char *what, pl_deb822_fn fn, void *ctx,
		    struct pl_err *err)
{
	struct parser ps;
	const char *p = data, *end = data + len;
	int line = 0, rc = 0;
	bool in_field = false; /* the last line belonged to a field (continuations allowed) */

	memset(&ps, 0, sizeof(ps));
	ps.what = what ? what : "control data";
	ps.fn = fn;
	ps.ctx = ctx;
	pl_buf_init(&ps.arena, 0);
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end, *ls = p, *e;

		p = nl ? nl + 1 : end;
		line++;
		if (memchr(ls, '\0', (size_t)(le - ls))) {
			rc = pl_err_set(err, PL_EINVAL, "%s:%d: NUL byte in control data", ps.what,
					line);
			goto out;
		}
		e = le;
		while (e > ls && is_ws(e[-1]))
			e--;
		if (e == ls) {
			/* blank (or whitespace-only) line: end of paragraph */
			in_field = false;
			rc = flush(&ps, err);
			if (rc < 0)
				goto out;
			continue;
		}
		if (*ls == '#')
			continue;
		if (*ls == ' ' || *ls == '\t') {
			if (!in_field) {
				rc = pl_err_set(err, PL_EINVAL,
						"%s:%d: continuation line outside a field", ps.what,
						line);
				goto out;
			}
			rc = pl_buf_addch(&ps.arena, '\n', err);
			if (rc == 0)
				rc = pl_buf_add(&ps.arena, ls, (size_t)(e - ls), err);
			if (rc < 0)
				goto out;
			continue;
		} else {
			const char *colon = memchr(ls, ':', (size_t)(e - ls));
			const char *v;

			if (!colon) {
				rc = pl_err_set(
				    err, PL_EINVAL, "%s:%d: expected 'Name: value', got '%.*s'",
				    ps.what, line, (int)(e - ls > 40 ? 40 : e - ls), ls);
				goto out;
			}
			if (!name_ok(ls, (size_t)(colon - ls))) {
				rc = pl_err_set(err, PL_EINVAL, "%s:%d: bad field name '%.*s'",
						ps.what, line,
						(int)(colon - ls > 40 ? 40 : colon - ls), ls);
				goto out;
			}
			for (v = colon + 1; v < e && (*v == ' ' || *v == '\t'); v++)
				;
			rc =
			    add_field(&ps, ls, (size_t)(colon - ls), v, (size_t)(e - v), line, err);
			if (rc < 0)
				goto out;
			in_field = true;
		}
	}
	rc = flush(&ps, err);
out:
	pl_buf_release(&ps.arena);
	free(ps.f);
	free(ps.out);
	return rc;
}

const char *pl_deb822_get(const struct pl_deb822_para *p, const char *name)
{
	for (size_t i = 0; i < p->n; i++)
		if (strcasecmp(p->fields[i].name, name) == 0)
			return p->fields[i].value;
	return NULL;
}
