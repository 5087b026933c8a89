/*
 * ledger/arena: a bump allocator for query results, which are built once,
 * read, and freed together. A failed allocation sets oom instead of making
 * every caller test every copy.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/ledger/internal.h"

#define CHUNK_MIN 16384

struct ldg_chunk {
	struct ldg_chunk *next;
	size_t used, cap;
	max_align_t data[];
};

void *ldg_alloc(struct ldg_arena *a, size_t n)
{
	struct ldg_chunk *c = a->head;
	size_t al = sizeof(max_align_t);
	void *p;

	n = (n + al - 1) / al * al;
	if (n == 0)
		n = al;
	if (!c || c->cap - c->used < n) {
		size_t cap = n > CHUNK_MIN ? n : CHUNK_MIN;

		c = malloc(sizeof(*c) + cap);
		if (!c) {
			a->oom = 1;
			return NULL;
		}
		c->used = 0;
		c->cap = cap;
		c->next = a->head;
		a->head = c;
	}
	p = (char *)c->data + c->used;
	c->used += n;
	memset(p, 0, n);
	return p;
}

char *ldg_strdup(struct ldg_arena *a, const char *s)
{
	size_t n;
	char *p;

	if (!s)
		return NULL;
	n = strlen(s);
	p = ldg_alloc(a, n + 1);
	if (p)
		memcpy(p, s, n + 1);
	return p;
}

void ldg_arena_release(struct ldg_arena *a)
{
	struct ldg_chunk *c = a->head, *next;

	for (; c; c = next) {
		next = c->next;
		free(c);
	}
	a->head = NULL;
	a->oom = 0;
}
