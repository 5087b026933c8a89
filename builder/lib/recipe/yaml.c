/*
 * The arena, the libyaml event loop that builds the node tree, and the strict
 * typed accessors shared by the recipe, settings and patch parsers.
 */
#include "internal.h"

#include <errno.h>
#include <limits.h>
#include <stdalign.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

/* ---- arena ---- */

struct ar_chunk {
	struct ar_chunk *next;
	size_t used, cap;
	alignas(max_align_t) unsigned char data[];
};

struct pl_recipe_arena {
	struct ar_chunk *head;
};

#define AR_CHUNK 16384
#define AR_ALIGN (alignof(max_align_t))

struct pl_recipe_arena *ar_new(void)
{
	return calloc(1, sizeof(struct pl_recipe_arena));
}

void ar_free(struct pl_recipe_arena *a)
{
	struct ar_chunk *c, *next;

	if (!a)
		return;
	for (c = a->head; c; c = next) {
		next = c->next;
		free(c);
	}
	free(a);
}

void *ar_alloc(struct pl_recipe_arena *a, size_t size)
{
	struct ar_chunk *c = a->head;
	size_t need, cap;
	void *p;

	if (size > SIZE_MAX / 2)
		return NULL;
	need = (size + AR_ALIGN - 1) & ~(AR_ALIGN - 1);
	if (need == 0)
		need = AR_ALIGN;
	if (!c || c->cap - c->used < need) {
		cap = need > AR_CHUNK ? need : AR_CHUNK;
		c = malloc(sizeof(*c) + cap);
		if (!c)
			return NULL;
		c->used = 0;
		c->cap = cap;
		/* A big one-off block goes behind the current chunk so that
		 * chunk's free space stays usable. */
		if (need > AR_CHUNK && a->head) {
			c->next = a->head->next;
			a->head->next = c;
		} else {
			c->next = a->head;
			a->head = c;
		}
	}
	p = c->data + c->used;
	c->used += need;
	memset(p, 0, size);
	return p;
}

void *ar_array(struct pl_recipe_arena *a, size_t n, size_t size)
{
	if (size && n > SIZE_MAX / 2 / size)
		return NULL;
	return ar_alloc(a, n * size);
}

char *ar_strndup(struct pl_recipe_arena *a, const char *s, size_t len)
{
	char *p;

	if (len == SIZE_MAX)
		return NULL;
	p = ar_alloc(a, len + 1);
	if (!p)
		return NULL;
	if (len)
		memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

char *ar_strdup(struct pl_recipe_arena *a, const char *s)
{
	return ar_strndup(a, s, strlen(s));
}

/* ---- node tree ---- */

struct ybuild {
	const char *data;
	size_t len;
	const char *file;
	struct pl_recipe_arena *a;
	struct pl_err *err;
	struct yn *root;
	struct yn *top; /* innermost open collection */
	int depth;
	size_t nodes;
	int docs;
};

static int bfail(struct ybuild *b, int line, int col, int code, const char *fmt, ...)
    PL_PRINTF(5, 6);
static int bfail(struct ybuild *b, int line, int col, int code, const char *fmt, ...)
{
	char msg[PL_ERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return pl_err_set(b->err, code, "%s:%d:%d: %s", b->file, line, col, msg);
}

/* 1-based line:col of a byte offset, for reader errors without a mark. */
static void offset_mark(const char *data, size_t len, size_t off, int *line, int *col)
{
	int l = 1, c = 1;

	if (off > len)
		off = len;
	for (size_t i = 0; i < off; i++) {
		if (data[i] == '\n') {
			l++;
			c = 1;
		} else if (((unsigned char)data[i] & 0xc0) != 0x80) {
			c++;
		}
	}
	*line = l;
	*col = c;
}

static int syntax_error(struct ybuild *b, const yaml_parser_t *p)
{
	int line, col;
	const char *problem = p->problem ? p->problem : "invalid YAML";

	if (p->error == YAML_MEMORY_ERROR)
		return pl_err_set(b->err, PL_ENOMEM, "%s: out of memory parsing YAML", b->file);
	if (p->error == YAML_READER_ERROR) {
		offset_mark(b->data, b->len, p->problem_offset, &line, &col);
		return bfail(b, line, col, PL_EINVAL, "%s", problem);
	}
	line = (int)p->problem_mark.line + 1;
	col = (int)p->problem_mark.column + 1;
	if (p->context)
		return bfail(b, line, col, PL_EINVAL, "%s (%s at %d:%d)", problem, p->context,
			     (int)p->context_mark.line + 1, (int)p->context_mark.column + 1);
	return bfail(b, line, col, PL_EINVAL, "%s", problem);
}

static int key_cmp(const void *pa, const void *pb)
{
	const struct yn *a = *(const struct yn *const *)pa;
	const struct yn *b = *(const struct yn *const *)pb;
	int r;

	if (a->len != b->len)
		return a->len < b->len ? -1 : 1;
	r = memcmp(a->s, b->s, a->len);
	if (r)
		return r;
	if (a->line != b->line)
		return a->line < b->line ? -1 : 1;
	return (a->col > b->col) - (a->col < b->col);
}

static bool mark_before(const struct yn *a, const struct yn *b)
{
	return a->line < b->line || (a->line == b->line && a->col < b->col);
}

/* Sort the keys so duplicates are adjacent; report the earliest repeat. */
static int check_dups(struct ybuild *b, struct yn *map)
{
	const struct yn *dup = NULL, *first = NULL;
	struct yn **keys;
	size_t i = 0;

	if (map->n < 2)
		return 0;
	keys = calloc(map->n, sizeof(*keys));
	if (!keys)
		return pl_err_set(b->err, PL_ENOMEM, "out of memory");
	for (struct yn *v = map->head; v; v = v->next)
		keys[i++] = v->key;
	qsort(keys, map->n, sizeof(*keys), key_cmp);
	for (i = 1; i < map->n; i++) {
		size_t j = i;

		if (keys[i]->len != keys[i - 1]->len ||
		    memcmp(keys[i]->s, keys[i - 1]->s, keys[i]->len))
			continue;
		while (j > 0 && keys[j - 1]->len == keys[i]->len &&
		       !memcmp(keys[j - 1]->s, keys[i]->s, keys[i]->len))
			j--;
		if (!dup || mark_before(keys[i], dup)) {
			dup = keys[i];
			first = keys[j];
		}
	}
	free(keys);
	if (dup)
		return bfail(b, dup->line, dup->col, PL_EINVAL,
			     "duplicate key '%s' (first at %d:%d)", dup->s, first->line,
			     first->col);
	return 0;
}

static int attach(struct ybuild *b, struct yn *n)
{
	struct yn *top = b->top;

	if (!top) {
		b->root = n;
		return 0;
	}
	if (top->kind == YN_MAP && !top->pending) {
		if (n->kind != YN_SCALAR)
			return bfail(b, n->line, n->col, PL_EINVAL,
				     "mapping keys must be plain strings, not a %s",
				     n->kind == YN_MAP ? "mapping" : "list");
		if (memchr(n->s, '\0', n->len))
			return bfail(b, n->line, n->col, PL_EINVAL, "key contains a NUL character");
		top->pending = n;
		n->parent = top;
		return 0;
	}
	n->parent = top;
	if (top->kind == YN_MAP) {
		n->key = top->pending;
		top->pending = NULL;
	} else {
		n->idx = top->n;
	}
	if (top->tail)
		top->tail->next = n;
	else
		top->head = n;
	top->tail = n;
	top->n++;
	return 0;
}

static int new_node(struct ybuild *b, const yaml_event_t *ev, enum yn_kind kind,
		    const yaml_char_t *anchor, const yaml_char_t *tag, struct yn **out)
{
	int line = (int)ev->start_mark.line + 1, col = (int)ev->start_mark.column + 1;
	struct yn *n;

	if (anchor)
		return bfail(b, line, col, PL_EINVAL,
			     "anchors ('&%s') are not supported; repeat the value instead",
			     (const char *)anchor);
	if (tag)
		return bfail(b, line, col, PL_EINVAL,
			     "explicit tags ('%s') are not supported; quote strings instead",
			     (const char *)tag);
	if (++b->nodes > PL_RECIPE_MAX_NODES)
		return bfail(b, line, col, PL_ETOOBIG, "more than %d YAML nodes",
			     PL_RECIPE_MAX_NODES);
	n = ar_alloc(b->a, sizeof(*n));
	if (!n)
		return pl_err_set(b->err, PL_ENOMEM, "out of memory");
	n->kind = kind;
	n->line = line;
	n->col = col;
	*out = n;
	return 0;
}

static int handle_event(struct ybuild *b, yaml_event_t *ev)
{
	struct yn *n = NULL;
	int rc;

	switch (ev->type) {
	case YAML_DOCUMENT_START_EVENT:
		if (++b->docs > 1)
			return bfail(b, (int)ev->start_mark.line + 1,
				     (int)ev->start_mark.column + 1, PL_EINVAL,
				     "only one YAML document is allowed per file");
		return 0;
	case YAML_ALIAS_EVENT:
		return bfail(b, (int)ev->start_mark.line + 1, (int)ev->start_mark.column + 1,
			     PL_EINVAL,
			     "aliases ('*%s') are not supported; repeat the value instead",
			     (const char *)ev->data.alias.anchor);
	case YAML_SCALAR_EVENT:
		rc = new_node(b, ev, YN_SCALAR, ev->data.scalar.anchor, ev->data.scalar.tag, &n);
		if (rc < 0)
			return rc;
		n->s =
		    ar_strndup(b->a, (const char *)ev->data.scalar.value, ev->data.scalar.length);
		if (!n->s)
			return pl_err_set(b->err, PL_ENOMEM, "out of memory");
		n->len = ev->data.scalar.length;
		n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
		return attach(b, n);
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT:
		if (ev->type == YAML_SEQUENCE_START_EVENT)
			rc = new_node(b, ev, YN_SEQ, ev->data.sequence_start.anchor,
				      ev->data.sequence_start.tag, &n);
		else
			rc = new_node(b, ev, YN_MAP, ev->data.mapping_start.anchor,
				      ev->data.mapping_start.tag, &n);
		if (rc < 0)
			return rc;
		if (++b->depth > PL_RECIPE_MAX_DEPTH)
			return bfail(b, n->line, n->col, PL_ETOOBIG, "nested deeper than %d levels",
				     PL_RECIPE_MAX_DEPTH);
		rc = attach(b, n);
		if (rc < 0)
			return rc;
		b->top = n;
		return 0;
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		n = b->top;
		if (!n)
			return 0;
		b->depth--;
		b->top = n->parent;
		if (n->kind == YN_MAP)
			return check_dups(b, n);
		return 0;
	default:
		return 0;
	}
}

int yn_parse(const char *data, size_t len, const char *file, struct pl_recipe_arena *a,
	     struct yn **root, struct pl_err *err)
{
	struct ybuild b = {data, len, file, a, err, NULL, NULL, 0, 0, 0};
	yaml_parser_t parser;
	yaml_event_t ev;
	bool done = false;
	int rc = 0;

	*root = NULL;
	if (len > PL_RECIPE_MAX_BYTES)
		return pl_err_set(err, PL_ETOOBIG, "%s:1:1: larger than %d bytes", file,
				  PL_RECIPE_MAX_BYTES);
	if (!yaml_parser_initialize(&parser))
		return pl_err_set(err, PL_ENOMEM, "out of memory");
	yaml_parser_set_input_string(&parser, (const unsigned char *)data, len);
	yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING);
	while (!done) {
		if (!yaml_parser_parse(&parser, &ev)) {
			rc = syntax_error(&b, &parser);
			goto out;
		}
		rc = handle_event(&b, &ev);
		done = ev.type == YAML_STREAM_END_EVENT;
		yaml_event_delete(&ev);
		if (rc < 0)
			goto out;
	}
	*root = b.root;
out:
	yaml_parser_delete(&parser);
	return rc;
}

/* ---- types ---- */

static bool is_any(const char *s, const char *const *set)
{
	for (; *set; set++)
		if (!strcmp(s, *set))
			return true;
	return false;
}

static bool all_digits(const char *s, const char *digits)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!strchr(digits, *s))
			return false;
	return true;
}

static bool is_float(const char *s)
{
	static const char *const special[] = {".inf", ".Inf", ".INF", ".nan", ".NaN", ".NAN", NULL};
	bool digits = false, dot = false;

	if (*s == '+' || *s == '-')
		s++;
	if (is_any(s, special))
		return true;
	for (; *s >= '0' && *s <= '9'; s++)
		digits = true;
	if (*s == '.') {
		dot = true;
		for (s++; *s >= '0' && *s <= '9'; s++)
			digits = true;
	}
	if (!digits)
		return false;
	if (*s == 'e' || *s == 'E') {
		s++;
		if (*s == '+' || *s == '-')
			s++;
		if (!all_digits(s, "0123456789"))
			return false;
		return true;
	}
	return dot && *s == '\0';
}

enum yn_type yn_type(const struct yn *n)
{
	static const char *const nulls[] = {"", "~", "null", "Null", "NULL", NULL};
	static const char *const bools[] = {"true",  "True",  "TRUE", "false",
					    "False", "FALSE", NULL};
	static const char *const bools11[] = {"yes", "Yes", "YES", "no",  "No",	 "NO", "on",
					      "On",  "ON",  "off", "Off", "OFF", NULL};
	const char *s;

	if (n->kind == YN_SEQ)
		return YT_SEQ;
	if (n->kind == YN_MAP)
		return YT_MAP;
	if (!n->plain)
		return YT_STR;
	s = n->s;
	if (is_any(s, nulls))
		return YT_NULL;
	if (is_any(s, bools))
		return YT_BOOL;
	if (is_any(s, bools11))
		return YT_YAML11BOOL;
	if (*s == '+' || *s == '-')
		s++;
	if (all_digits(s, "0123456789"))
		return YT_INT;
	if ((s[0] == '0' && (s[1] == 'x' || s[1] == 'X') &&
	     all_digits(s + 2, "0123456789abcdefABCDEF")) ||
	    (s[0] == '0' && s[1] == 'o' && all_digits(s + 2, "01234567")))
		return YT_INT;
	if (is_float(n->s))
		return YT_FLOAT;
	return YT_STR;
}

const char *yn_type_name(enum yn_type t)
{
	switch (t) {
	case YT_NULL:
		return "null (an empty value)";
	case YT_BOOL:
		return "a boolean";
	case YT_YAML11BOOL:
		return "a YAML 1.1 boolean";
	case YT_INT:
		return "an integer";
	case YT_FLOAT:
		return "a number";
	case YT_STR:
		return "a string";
	case YT_SEQ:
		return "a list";
	case YT_MAP:
		return "a mapping";
	}
	return "a value";
}

const struct yn *yn_get(const struct yn *map, const char *key)
{
	if (!map || map->kind != YN_MAP)
		return NULL;
	for (const struct yn *v = map->head; v; v = v->next)
		if (v->key->len == strlen(key) && !memcmp(v->key->s, key, v->key->len))
			return v;
	return NULL;
}

void yn_name(const struct yn *n, char *buf, size_t size)
{
	char parent[128];

	if (n->key) {
		snprintf(buf, size, "'%.60s'", n->key->s);
	} else if (n->parent && n->parent->kind == YN_SEQ) {
		yn_name(n->parent, parent, sizeof(parent));
		snprintf(buf, size, "item %zu of %s", n->idx + 1, parent);
	} else {
		snprintf(buf, size, "the document");
	}
}

/* ---- accessors ---- */

int yc_fail(const struct yctx *c, const struct yn *n, int code, const char *fmt, ...)
{
	char msg[PL_ERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return pl_err_set(c->err, code, "%s:%d:%d: %s", c->file, n ? n->line : 1, n ? n->col : 1,
			  msg);
}

struct pl_mark yc_mark(const struct yctx *c, const struct yn *n)
{
	struct pl_mark m = {c->file, n ? n->line : 0, n ? n->col : 0};

	return m;
}

static int type_error(const struct yctx *c, const struct yn *n, const char *want)
{
	enum yn_type t = yn_type(n);
	char name[200];

	yn_name(n, name, sizeof(name));
	if (!strcmp(want, "a string") && (t == YT_INT || t == YT_FLOAT || t == YT_BOOL))
		return yc_fail(c, n, PL_EINVAL, "%s must be a string, got %s; quote it: \"%.40s\"",
			       name, yn_type_name(t), n->s);
	if (t == YT_YAML11BOOL)
		return yc_fail(c, n, PL_EINVAL,
			       "%s must be %s, got '%s' which YAML 1.1 reads as a boolean; %s",
			       name, want, n->s,
			       strcmp(want, "a boolean") ? "quote it" : "write true or false");
	return yc_fail(c, n, PL_EINVAL, "%s must be %s, got %s", name, want, yn_type_name(t));
}

int yc_map(const struct yctx *c, const struct yn *n)
{
	return n->kind == YN_MAP ? 0 : type_error(c, n, "a mapping");
}

int yc_seq(const struct yctx *c, const struct yn *n)
{
	return n->kind == YN_SEQ ? 0 : type_error(c, n, "a list");
}

int yc_root(const struct yctx *c, const struct yn *root, const char *what)
{
	if (!root || (root->kind == YN_SCALAR && yn_type(root) == YT_NULL))
		return yc_fail(c, root, PL_EINVAL, "empty document: %s must be a mapping", what);
	if (root->kind != YN_MAP)
		return yc_fail(c, root, PL_EINVAL, "%s must be a mapping of keys, got %s", what,
			       yn_type_name(yn_type(root)));
	return 0;
}

size_t pl_recipe_edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	size_t rows[3][65];
	size_t *pp, *p, *cur;

	if (lb > 64 || la > lb + 8)
		return SIZE_MAX;
	for (size_t j = 0; j <= lb; j++)
		rows[1][j] = j;
	pp = rows[0];
	p = rows[1];
	cur = rows[2];
	for (size_t i = 1; i <= la; i++) {
		cur[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
			size_t v = p[j] + 1;

			if (cur[j - 1] + 1 < v)
				v = cur[j - 1] + 1;
			if (p[j - 1] + cost < v)
				v = p[j - 1] + cost;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    pp[j - 2] + 1 < v)
				v = pp[j - 2] + 1;
			cur[j] = v;
		}
		{
			size_t *t = pp;

			pp = p;
			p = cur;
			cur = t;
		}
	}
	return p[lb];
}

static const char *suggest(const char *key, const char *const *known)
{
	size_t best = SIZE_MAX, limit = strlen(key) >= 5 ? 2 : 1;
	const char *hit = NULL;

	for (; *known; known++) {
		size_t d = pl_recipe_edit_distance(key, *known);

		if (d < best) {
			best = d;
			hit = *known;
		}
	}
	return best <= limit ? hit : NULL;
}

int yc_keys(const struct yctx *c, const struct yn *n, const char *const *known, const char *where)
{
	int rc = yc_map(c, n);

	if (rc < 0)
		return rc;
	for (const struct yn *v = n->head; v; v = v->next) {
		const char *key = v->key->s, *hint;
		char list[256];
		size_t off = 0;

		if (is_any(key, known))
			continue;
		hint = suggest(key, known);
		if (hint)
			return yc_fail(c, v->key, PL_EINVAL,
				       "unknown key '%.60s' in %s; did you mean '%s'?", key, where,
				       hint);
		list[0] = '\0';
		for (const char *const *k = known; *k; k++) {
			int w =
			    snprintf(list + off, sizeof(list) - off, "%s%s", off ? ", " : "", *k);

			if (w < 0 || (size_t)w >= sizeof(list) - off)
				break;
			off += (size_t)w;
		}
		return yc_fail(c, v->key, PL_EINVAL, "unknown key '%.60s' in %s (known keys: %s)",
			       key, where, list);
	}
	return 0;
}

int yc_need(const struct yctx *c, const struct yn *map, const char *key, const char *where,
	    const struct yn **out)
{
	*out = yn_get(map, key);
	if (!*out)
		return yc_fail(c, map, PL_EINVAL, "%s is missing required key '%s'", where, key);
	return 0;
}

int yc_text(const struct yctx *c, const struct yn *n, char **out, size_t *len)
{
	if (yn_type(n) != YT_STR)
		return type_error(c, n, "a string");
	*out = ar_strndup(c->a, n->s, n->len);
	if (!*out)
		return pl_err_set(c->err, PL_ENOMEM, "out of memory");
	if (len)
		*len = n->len;
	return 0;
}

int yc_str(const struct yctx *c, const struct yn *n, char **out)
{
	char name[200];

	if (yn_type(n) == YT_STR && memchr(n->s, '\0', n->len)) {
		yn_name(n, name, sizeof(name));
		return yc_fail(c, n, PL_EINVAL, "%s contains a NUL character", name);
	}
	return yc_text(c, n, out, NULL);
}

int yc_opt_str(const struct yctx *c, const struct yn *map, const char *key, char **out,
	       struct pl_mark *mark)
{
	const struct yn *v = yn_get(map, key);

	if (!v)
		return 0;
	if (mark)
		*mark = yc_mark(c, v);
	return yc_str(c, v, out);
}

int yc_int(const struct yctx *c, const struct yn *n, long long min, long long max, long long *out)
{
	const char *s = n->s, *d;
	char name[200], *end;
	long long v;
	int base = 10;

	if (yn_type(n) != YT_INT)
		return type_error(c, n, "an integer");
	yn_name(n, name, sizeof(name));
	d = (*s == '+' || *s == '-') ? s + 1 : s;
	if (d[0] == '0' && (d[1] == 'x' || d[1] == 'X'))
		base = 16;
	else if (d[0] == '0' && d[1] == 'o')
		base = 8;
	else if (d[0] == '0' && d[1] != '\0')
		return yc_fail(c, n, PL_EINVAL,
			       "%s: %s has a leading zero, which YAML 1.1 reads as octal; "
			       "drop the zero or write 0o%s",
			       name, s, d + 1);
	errno = 0;
	if (base == 8) {
		/* strtoll does not know "0o" */
		v = strtoll(d + 2, &end, 8);
		if (*s == '-')
			v = -v;
	} else {
		v = strtoll(s, &end, base);
	}
	if (errno || *end || v < min || v > max)
		return yc_fail(c, n, PL_EINVAL, "%s: %s is out of range (%lld to %lld)", name, s,
			       min, max);
	*out = v;
	return 0;
}

int yc_id(const struct yctx *c, const struct yn *n, uint32_t *out)
{
	long long v;
	int rc = yc_int(c, n, 0, 4294967294LL, &v);

	if (rc == 0)
		*out = (uint32_t)v;
	return rc;
}

int yc_bool(const struct yctx *c, const struct yn *n, bool *out)
{
	if (yn_type(n) != YT_BOOL)
		return type_error(c, n, "a boolean");
	*out = n->s[0] == 't' || n->s[0] == 'T';
	return 0;
}

int yc_mode(const struct yctx *c, const struct yn *n, unsigned *out)
{
	enum yn_type t = yn_type(n);
	const char *s = n->s, *digits = s;
	char name[200];
	unsigned long v = 0;

	yn_name(n, name, sizeof(name));
	if (t == YT_INT) {
		if (s[0] == '0' && s[1] == 'o')
			digits = s + 2;
		else if (s[0] == '0')
			digits = s;
		else
			return yc_fail(c, n, PL_EINVAL,
				       "%s: mode %s is not octal; write it with a leading zero "
				       "(0%s) or quote it (\"0%s\")",
				       name, s, s, s);
	} else if (t == YT_STR) {
		if (s[0] == '0' && s[1] == 'o')
			digits = s + 2;
	} else {
		return type_error(c, n, "an octal mode such as 0644 or \"0644\"");
	}
	if (!all_digits(digits, "01234567") || strlen(digits) > 6)
		return yc_fail(c, n, PL_EINVAL, "%s: '%.20s' is not an octal mode such as 0644",
			       name, s);
	v = strtoul(digits, NULL, 8);
	if (v > 07777)
		return yc_fail(c, n, PL_EINVAL, "%s: mode %s is out of range (at most 07777)", name,
			       s);
	*out = (unsigned)v;
	return 0;
}

int yc_list(const struct yctx *c, const struct yn *n, struct pl_recipe_list *out)
{
	size_t i = 0;
	int rc = yc_seq(c, n);

	if (rc < 0)
		return rc;
	out->v = ar_array(c->a, n->n + 1, sizeof(char *));
	out->marks = ar_array(c->a, n->n + 1, sizeof(struct pl_mark));
	if (!out->v || !out->marks)
		return pl_err_set(c->err, PL_ENOMEM, "out of memory");
	for (const struct yn *v = n->head; v; v = v->next, i++) {
		rc = yc_str(c, v, &out->v[i]);
		if (rc < 0)
			return rc;
		out->marks[i] = yc_mark(c, v);
	}
	out->n = n->n;
	out->set = true;
	out->mark = yc_mark(c, n);
	return 0;
}

static int kv_cmp(const void *a, const void *b)
{
	return strcmp(((const struct pl_recipe_kv *)a)->key, ((const struct pl_recipe_kv *)b)->key);
}

int yc_kvmap(const struct yctx *c, const struct yn *n, struct pl_recipe_map *out)
{
	size_t i = 0;
	int rc = yc_map(c, n);

	if (rc < 0)
		return rc;
	out->v = ar_array(c->a, n->n + 1, sizeof(*out->v));
	if (!out->v)
		return pl_err_set(c->err, PL_ENOMEM, "out of memory");
	for (const struct yn *v = n->head; v; v = v->next, i++) {
		if (yn_type(v->key) != YT_STR) {
			char name[200];

			yn_name(n, name, sizeof(name));
			return yc_fail(c, v->key, PL_EINVAL,
				       "keys of %s must be strings, got %s; quote it: \"%.40s\"",
				       name, yn_type_name(yn_type(v->key)), v->key->s);
		}
		rc = yc_str(c, v->key, &out->v[i].key);
		if (rc == 0)
			rc = yc_str(c, v, &out->v[i].value);
		if (rc < 0)
			return rc;
		out->v[i].mark = yc_mark(c, v->key);
	}
	out->n = n->n;
	qsort(out->v, out->n, sizeof(*out->v), kv_cmp);
	out->set = true;
	out->mark = yc_mark(c, n);
	return 0;
}

int yc_enum(const struct yctx *c, const struct yn *n, const char *const *names, int *out)
{
	char name[200], list[200];
	size_t off = 0;

	if (yn_type(n) != YT_STR)
		return type_error(c, n, "a string");
	for (int i = 0; names[i]; i++) {
		if (!strcmp(n->s, names[i])) {
			*out = i;
			return 0;
		}
	}
	list[0] = '\0';
	for (int i = 0; names[i]; i++) {
		int w = snprintf(list + off, sizeof(list) - off, "%s%s", i ? ", " : "", names[i]);

		if (w < 0 || (size_t)w >= sizeof(list) - off)
			break;
		off += (size_t)w;
	}
	yn_name(n, name, sizeof(name));
	return yc_fail(c, n, PL_EINVAL, "%s: '%.40s' is not one of %s", name, n->s, list);
}

static const char *const sev_names[] = {"none", "low", "medium", "high", "critical", NULL};

const char *pl_recipe_sev_name(enum pl_recipe_sev sev)
{
	if ((int)sev < 0 || sev > PL_RECIPE_SEV_CRITICAL)
		return "unknown";
	return sev_names[sev];
}

int yc_sev(const struct yctx *c, const struct yn *n, bool allow_none, enum pl_recipe_sev *out)
{
	int i, rc = yc_enum(c, n, allow_none ? sev_names : sev_names + 1, &i);

	if (rc < 0)
		return rc;
	*out = (enum pl_recipe_sev)(allow_none ? i : i + 1);
	return 0;
}

int yc_policy(const struct yctx *c, const struct yn *n, struct pl_recipe_policy *out)
{
	static const char *const keys[] = {"fail_on", "fail_unfixed", "ignore", NULL};
	const struct yn *v;
	int rc = yc_keys(c, n, keys, "'policy'");

	if (rc < 0)
		return rc;
	out->set = true;
	out->mark = yc_mark(c, n);
	if ((v = yn_get(n, "fail_on"))) {
		rc = yc_sev(c, v, true, &out->fail_on);
		if (rc < 0)
			return rc;
		out->fail_on_set = true;
	}
	if ((v = yn_get(n, "fail_unfixed"))) {
		if ((rc = yc_bool(c, v, &out->fail_unfixed)) < 0)
			return rc;
		out->fail_unfixed_set = true;
	}
	if ((v = yn_get(n, "ignore")) && (rc = yc_list(c, v, &out->ignore)) < 0)
		return rc;
	return 0;
}

bool pl_recipe_is_hex64(const char *s)
{
	return strlen(s) == 64 && all_digits(s, "0123456789abcdef");
}

int yc_doc_begin(struct yc_doc *d, const char *data, size_t len, const char *file,
		 const char *dflt, size_t size, struct pl_err *err)
{
	memset(d, 0, sizeof(*d));
	d->c.err = err;
	d->c.a = ar_new();
	d->tree = ar_new();
	if (!d->c.a || !d->tree || !(d->model = ar_alloc(d->c.a, size)) ||
	    !(d->c.file = ar_strdup(d->c.a, file ? file : dflt)))
		return pl_err_set(err, PL_ENOMEM, "out of memory");
	return yn_parse(data, len, d->c.file, d->tree, &d->root, err);
}

int yc_doc_end(struct yc_doc *d, int rc)
{
	ar_free(d->tree);
	if (rc < 0) {
		ar_free(d->c.a);
		d->model = NULL;
	}
	return rc;
}
