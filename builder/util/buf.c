#include "buf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void pl_buf_init(struct pl_buf *b, size_t max)
{
	b->data = NULL;
	b->len = b->cap = 0;
	b->max = max;
}

void pl_buf_release(struct pl_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

void pl_buf_reset(struct pl_buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

int pl_buf_grow(struct pl_buf *b, size_t extra, struct pl_err *err)
{
	size_t need, cap;
	char *p;

	if (extra > SIZE_MAX - b->len - 1)
		return pl_err_set(err, PL_ETOOBIG, "buffer size overflow");
	need = b->len + extra + 1;
	if (b->max && need - 1 > b->max)
		return pl_err_set(err, PL_ETOOBIG, "more than %zu bytes", b->max);
	if (need <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	p = realloc(b->data, cap);
	if (!p)
		return pl_err_set(err, PL_ENOMEM, "out of memory");
	p[b->len] = '\0';
	b->data = p;
	b->cap = cap;
	return 0;
}

int pl_buf_add(struct pl_buf *b, const void *data, size_t len, struct pl_err *err)
{
	int rc = pl_buf_grow(b, len, err);

	if (rc < 0)
		return rc;
	if (len)
		memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
	return 0;
}

int pl_buf_adds(struct pl_buf *b, const char *s, struct pl_err *err)
{
	return pl_buf_add(b, s, strlen(s), err);
}

int pl_buf_addch(struct pl_buf *b, char c, struct pl_err *err)
{
	return pl_buf_add(b, &c, 1, err);
}

int pl_buf_vaddf(struct pl_buf *b, struct pl_err *err, const char *fmt, va_list ap)
{
	va_list cp;
	int n, rc;

	va_copy(cp, ap);
	n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0)
		return pl_err_set(err, PL_EINVAL, "bad format");
	rc = pl_buf_grow(b, (size_t)n, err);
	if (rc < 0)
		return rc;
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return 0;
}

int pl_buf_addf(struct pl_buf *b, struct pl_err *err, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = pl_buf_vaddf(b, err, fmt, ap);
	va_end(ap);
	return rc;
}

char *pl_buf_detach(struct pl_buf *b, size_t *len)
{
	char *p;

	if (!b->data && pl_buf_grow(b, 0, NULL) < 0)
		return NULL;
	p = b->data;
	if (len)
		*len = b->len;
	b->data = NULL;
	b->len = b->cap = 0;
	return p;
}
