/*
 * Alpine (apk-tools) version ordering: digit{.digit}...{letter}{_suf{#}}...
 * {~hash}{-r#}. A tokenizer walks both strings in step; the first token
 * whose type or value differs decides. This follows apk-tools 3's
 * version.c, which agrees with apk 2.14 on every valid version.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "lib/scan.h"

enum tok {
	T_INITIAL_DIGIT,
	T_DIGIT,
	T_LETTER,
	T_SUFFIX,
	T_SUFFIX_NO,
	T_COMMIT_HASH,
	T_REVISION_NO,
	T_END,
	T_INVALID,
};

#define SUFFIX_INVALID 0
#define SUFFIX_POST 5

struct tstate {
	enum tok token;
	int suffix;
	uint64_t number;
	const char *vp; /* the token's text */
	size_t vlen;
};

struct blob {
	const char *p;
	size_t len;
};

static int suffix_value(const char *s, size_t len)
{
	static const char *const names[] = {"",	   "alpha", "beta", "pre", "rc", "",
					    "cvs", "svn",   "git",  "hg",  "p"};
	int v;

	if (len == 0)
		return SUFFIX_INVALID;
	switch (s[0]) {
	case 'a': v = 1; break;
	case 'b': v = 2; break;
	case 'c': v = 6; break;
	case 'g': v = 8; break;
	case 'h': v = 9; break;
	case 'p':
		if (len == 1)
			return 10;
		v = 3;
		break;
	case 'r': v = 4; break;
	case 's': v = 7; break;
	default: return SUFFIX_INVALID;
	}
	if (strlen(names[v]) != len || memcmp(names[v], s, len) != 0)
		return SUFFIX_INVALID;
	return v;
}

static void parse_digits(struct tstate *t, struct blob *b)
{
	uint64_t n = 0;
	size_t i = 0;

	while (i < b->len && b->p[i] >= '0' && b->p[i] <= '9') {
		if (n < UINT64_MAX / 10)
			n = n * 10 + (uint64_t)(b->p[i] - '0');
		i++;
	}
	t->number = n;
	t->vp = b->p;
	t->vlen = i;
	b->p += i;
	b->len -= i;
	if (i == 0)
		t->token = T_INVALID;
}

static void token_first(struct tstate *t, struct blob *b)
{
	t->token = T_INITIAL_DIGIT;
	t->suffix = 0;
	parse_digits(t, b);
}

static bool is_suffix_char(char c)
{
	return c >= 'a' && c <= 'z';
}

static bool is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

static void token_next(struct tstate *t, struct blob *b)
{
	char c;
	size_t i;

	if (t->token == T_INVALID)
		return;
	if (b->len == 0) {
		t->token = T_END;
		return;
	}
	c = b->p[0];
	if (c >= 'a' && c <= 'z') {
		if (t->token > T_DIGIT)
			goto invalid;
		t->vp = b->p;
		t->vlen = 1;
		t->token = T_LETTER;
		b->p++, b->len--;
	} else if (c == '.') {
		if (t->token > T_DIGIT)
			goto invalid;
		b->p++, b->len--;
		parse_digits(t, b);
		if (t->token != T_INVALID)
			t->token = T_DIGIT;
	} else if (c == '_') {
		if (t->token > T_SUFFIX_NO)
			goto invalid;
		b->p++, b->len--;
		for (i = 0; i < b->len && is_suffix_char(b->p[i]); i++)
			;
		t->vp = b->p;
		t->vlen = i;
		b->p += i, b->len -= i;
		t->suffix = suffix_value(t->vp, t->vlen);
		if (t->suffix == SUFFIX_INVALID)
			goto invalid;
		t->token = T_SUFFIX;
	} else if (c >= '0' && c <= '9') {
		if (t->token != T_SUFFIX)
			goto invalid;
		parse_digits(t, b);
		if (t->token != T_INVALID)
			t->token = T_SUFFIX_NO;
	} else if (c == '~') {
		if (t->token >= T_COMMIT_HASH)
			goto invalid;
		b->p++, b->len--;
		for (i = 0; i < b->len && is_hex(b->p[i]); i++)
			;
		t->vp = b->p;
		t->vlen = i;
		b->p += i, b->len -= i;
		if (i == 0)
			goto invalid;
		t->token = T_COMMIT_HASH;
	} else if (c == '-') {
		if (t->token >= T_REVISION_NO)
			goto invalid;
		if (b->len < 2 || b->p[1] != 'r')
			goto invalid;
		b->p += 2, b->len -= 2;
		parse_digits(t, b);
		if (t->token != T_INVALID)
			t->token = T_REVISION_NO;
	} else {
		goto invalid;
	}
	return;
invalid:
	t->token = T_INVALID;
}

static int blob_sort(const char *a, size_t al, const char *b, size_t bl)
{
	int r = memcmp(a, b, al < bl ? al : bl);

	if (r)
		return r;
	return al < bl ? -1 : al > bl ? 1 : 0;
}

static int token_cmp(const struct tstate *ta, const struct tstate *tb)
{
	uint64_t a, b;
	int r;

	switch (ta->token) {
	case T_DIGIT:
		/* a leading zero: compare as strings, as the Gentoo spec does */
		if ((ta->vlen && ta->vp[0] == '0') || (tb->vlen && tb->vp[0] == '0'))
			goto string;
		/* fall through */
	case T_INITIAL_DIGIT:
	case T_SUFFIX_NO:
	case T_REVISION_NO:
		a = ta->number;
		b = tb->number;
		break;
	case T_LETTER:
		a = (unsigned char)ta->vp[0];
		b = (unsigned char)tb->vp[0];
		break;
	case T_SUFFIX:
		a = (uint64_t)ta->suffix;
		b = (uint64_t)tb->suffix;
		break;
	default:
	string:
		r = blob_sort(ta->vp, ta->vlen, tb->vp, tb->vlen);
		return r < 0 ? -1 : r > 0;
	}
	return a < b ? -1 : a > b;
}

static int compare(const char *as, const char *bs, bool fuzzy)
{
	struct blob a = {as, strlen(as)}, b = {bs, strlen(bs)};
	struct tstate ta, tb;
	int r;

	for (token_first(&ta, &a), token_first(&tb, &b);
	     ta.token == tb.token && ta.token < T_END;
	     token_next(&ta, &a), token_next(&tb, &b)) {
		r = token_cmp(&ta, &tb);
		if (r)
			return r;
	}
	/* fuzzy: b is a prefix of a by components */
	if (fuzzy && tb.token == T_END)
		return 0;
	if (ta.token == tb.token)
		return 0;
	/* the longer version is greater, unless what follows is a pre-release suffix */
	if (ta.token == T_SUFFIX && ta.suffix < SUFFIX_POST)
		return -1;
	if (tb.token == T_SUFFIX && tb.suffix < SUFFIX_POST)
		return 1;
	if (ta.token > tb.token)
		return -1;
	if (tb.token > ta.token)
		return 1;
	return 0;
}


/*
 * apk 2.x (what Alpine 3.x releases ship) on versions apk 3 calls invalid:
 * a digit may follow a letter ("6.6.2p1"), leading zeros compare as a
 * negative count, and comparison goes on past the odd token. Used only
 * when a version is invalid, where the two generations disagree.
 */
enum v2tok {
	V2_INVALID = -1,
	V2_DIGIT_OR_ZERO,
	V2_DIGIT,
	V2_LETTER,
	V2_SUFFIX,
	V2_SUFFIX_NO,
	V2_REVISION_NO,
	V2_END,
};

static void v2_next_token(int *type, struct blob *b)
{
	int n = V2_INVALID;

	if (b->len == 0 || b->p[0] == 0) {
		n = V2_END;
	} else if ((*type == V2_DIGIT || *type == V2_DIGIT_OR_ZERO) && b->p[0] >= 'a' &&
		   b->p[0] <= 'z') {
		n = V2_LETTER;
	} else if (*type == V2_LETTER && b->p[0] >= '0' && b->p[0] <= '9') {
		n = V2_DIGIT;
	} else if (*type == V2_SUFFIX && b->p[0] >= '0' && b->p[0] <= '9') {
		n = V2_SUFFIX_NO;
	} else {
		switch (b->p[0]) {
		case '.':
			n = V2_DIGIT_OR_ZERO;
			break;
		case '_':
			n = V2_SUFFIX;
			break;
		case '-':
			if (b->len > 1 && b->p[1] == 'r') {
				n = V2_REVISION_NO;
				b->p++;
				b->len--;
			} else {
				n = V2_INVALID;
			}
			break;
		}
		b->p++;
		b->len--;
	}
	if (n < *type) {
		if (!((n == V2_DIGIT_OR_ZERO && *type == V2_DIGIT) ||
		      (n == V2_SUFFIX && *type == V2_SUFFIX_NO) ||
		      (n == V2_DIGIT && *type == V2_LETTER)))
			n = V2_INVALID;
	}
	*type = n;
}

static long long v2_get_token(int *type, struct blob *b)
{
	static const char *const pre[] = {"alpha", "beta", "pre", "rc"};
	static const char *const post[] = {"cvs", "svn", "git", "hg", "p"};
	long long v = 0;
	size_t i = 0, k;
	int nt = V2_INVALID;

	if (b->len == 0) {
		*type = V2_END;
		return 0;
	}
	switch (*type) {
	case V2_DIGIT_OR_ZERO:
		if (b->p[0] == '0') {
			while (i < b->len && b->p[i] == '0')
				i++;
			nt = V2_DIGIT;
			v = -(long long)i;
			break;
		}
		/* fall through */
	case V2_DIGIT:
	case V2_SUFFIX_NO:
	case V2_REVISION_NO:
		while (i < b->len && b->p[i] >= '0' && b->p[i] <= '9') {
			if (v < 100000000000000LL)
				v = v * 10 + (b->p[i] - '0');
			i++;
		}
		break;
	case V2_LETTER:
		v = (unsigned char)b->p[i++];
		break;
	case V2_SUFFIX:
		for (k = 0; k < 4; k++) {
			i = strlen(pre[k]);
			if (i <= b->len && strncmp(pre[k], b->p, i) == 0)
				break;
		}
		if (k < 4) {
			v = (long long)k - 4;
			break;
		}
		for (k = 0; k < 5; k++) {
			i = strlen(post[k]);
			if (i <= b->len && strncmp(post[k], b->p, i) == 0)
				break;
		}
		if (k < 5) {
			v = (long long)k;
			break;
		}
		/* fall through */
	default:
		*type = V2_INVALID;
		return -1;
	}
	b->p += i;
	b->len -= i;
	if (b->len == 0)
		*type = V2_END;
	else if (nt != V2_INVALID)
		*type = nt;
	else
		v2_next_token(type, b);
	return v;
}

static int compare_v2(const char *as, const char *bs)
{
	struct blob a = {as, strlen(as)}, b = {bs, strlen(bs)};
	int at = V2_DIGIT, bt = V2_DIGIT, tt;
	long long av = 0, bv = 0;

	while (at == bt && at != V2_END && at != V2_INVALID && av == bv) {
		av = v2_get_token(&at, &a);
		bv = v2_get_token(&bt, &b);
	}
	if (av < bv)
		return -1;
	if (av > bv)
		return 1;
	if (at == bt)
		return 0;
	tt = at;
	if (at == V2_SUFFIX && v2_get_token(&tt, &a) < 0)
		return -1;
	tt = bt;
	if (bt == V2_SUFFIX && v2_get_token(&tt, &b) < 0)
		return 1;
	if (at > bt)
		return -1;
	if (bt > at)
		return 1;
	return 0;
}

int pl_apkver_cmp(const char *a, const char *b)
{
	if (!pl_apkver_valid(a) || !pl_apkver_valid(b))
		return compare_v2(a, b);
	return compare(a, b, false);
}

int pl_apkver_cmp_fuzzy(const char *a, const char *b)
{
	return compare(a, b, true);
}

bool pl_apkver_valid(const char *v)
{
	struct blob b = {v, strlen(v)};
	struct tstate t;

	for (token_first(&t, &b); t.token < T_END; token_next(&t, &b))
		;
	return t.token == T_END;
}
