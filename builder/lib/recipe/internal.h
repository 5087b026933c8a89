/*
 * recipe internals: an arena that owns a model, a small YAML node tree with
 * 1-based marks (built from libyaml events), and strict typed accessors that
 * report "file:line:col: message". Private to builder/lib/recipe/.
 */
#ifndef PL_RECIPE_INTERNAL_H
#define PL_RECIPE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/recipe.h"
#include "util/err.h"

struct pl_recipe_arena *ar_new(void);
void ar_free(struct pl_recipe_arena *a);
/* Zeroed memory owned by the arena; NULL on overflow or ENOMEM. */
void *ar_alloc(struct pl_recipe_arena *a, size_t size);
void *ar_array(struct pl_recipe_arena *a, size_t n, size_t size);
char *ar_strndup(struct pl_recipe_arena *a, const char *s, size_t len);
char *ar_strdup(struct pl_recipe_arena *a, const char *s);

enum yn_kind { YN_SCALAR, YN_SEQ, YN_MAP };

/* Resolved type of a node (plain scalars resolve like YAML 1.1, strictly). */
enum yn_type { YT_NULL, YT_BOOL, YT_YAML11BOOL, YT_INT, YT_FLOAT, YT_STR, YT_SEQ, YT_MAP };

struct yn {
	enum yn_kind kind;
	int line, col;
	char *s; /* scalar text, NUL-terminated (may hold NULs: see len) */
	size_t len;
	bool plain;
	struct yn *parent;
	struct yn *key; /* in a mapping: the key scalar of this value */
	size_t idx;	/* in a sequence: 0-based index */
	struct yn *head, *tail, *next;
	struct yn *pending; /* while building a mapping: key awaiting its value */
	size_t n;
};

/*
 * Parse one YAML document into a node tree allocated from a. *root is NULL
 * for an empty stream. Anchors, aliases, explicit tags, complex keys, several
 * documents and duplicate keys are errors.
 */
int yn_parse(const char *data, size_t len, const char *file, struct pl_recipe_arena *a,
	     struct yn **root, struct pl_err *err);

enum yn_type yn_type(const struct yn *n);
const struct yn *yn_get(const struct yn *map, const char *key);

/* Mapping context: model arena, the file name (arena copy), the error. */
struct yctx {
	struct pl_recipe_arena *a;
	const char *file;
	struct pl_err *err;
};

/*
 * One document being parsed into a model: yc_doc_begin makes the model's
 * arena, allocates size zeroed bytes for the model in it, copies file (or
 * dflt) there and parses the YAML into root; yc_doc_end frees the node tree
 * and, on failure, the arena (the model with it). Every parser of a file
 * kind is begin, its own mapping onto the model, end.
 */
struct yc_doc {
	struct yctx c;
	struct pl_recipe_arena *tree;
	struct yn *root;
	void *model;
};
int yc_doc_begin(struct yc_doc *d, const char *data, size_t len, const char *file,
		 const char *dflt, size_t size, struct pl_err *err);
int yc_doc_end(struct yc_doc *d, int rc);

int yc_fail(const struct yctx *c, const struct yn *n, int code, const char *fmt, ...)
    PL_PRINTF(4, 5);
struct pl_mark yc_mark(const struct yctx *c, const struct yn *n);
/* Describe a node for messages: "'uid'", "item 2 of 'tags'", "the document". */
void yn_name(const struct yn *n, char *buf, size_t size);
/* "a string", "an integer", ... */
const char *yn_type_name(enum yn_type t);

int yc_map(const struct yctx *c, const struct yn *n);
int yc_seq(const struct yctx *c, const struct yn *n);
/* n must be a mapping whose keys are all in known (NULL-terminated). */
int yc_keys(const struct yctx *c, const struct yn *n, const char *const *known, const char *where);
/* The value of a required key, or an error at the mapping. */
int yc_need(const struct yctx *c, const struct yn *map, const char *key, const char *where,
	    const struct yn **out);
int yc_str(const struct yctx *c, const struct yn *n, char **out);
int yc_text(const struct yctx *c, const struct yn *n, char **out, size_t *len);
int yc_int(const struct yctx *c, const struct yn *n, long long min, long long max, long long *out);
int yc_id(const struct yctx *c, const struct yn *n, uint32_t *out);
int yc_bool(const struct yctx *c, const struct yn *n, bool *out);
int yc_mode(const struct yctx *c, const struct yn *n, unsigned *out);
int yc_list(const struct yctx *c, const struct yn *n, struct pl_recipe_list *out);
int yc_kvmap(const struct yctx *c, const struct yn *n, struct pl_recipe_map *out);
/* One of names (NULL-terminated); *out is its index. */
int yc_enum(const struct yctx *c, const struct yn *n, const char *const *names, int *out);
int yc_sev(const struct yctx *c, const struct yn *n, bool allow_none, enum pl_recipe_sev *out);
int yc_policy(const struct yctx *c, const struct yn *n, struct pl_recipe_policy *out);
/* Optional string key: *out stays as is when absent. */
int yc_opt_str(const struct yctx *c, const struct yn *map, const char *key, char **out,
	       struct pl_mark *mark);
/* content XOR source, shared by recipe files and patch file actions. */
int yc_content_or_source(const struct yctx *c, const struct yn *n, const char *what, char **content,
			 size_t *content_len, char **source, struct pl_mark *source_mark);
int yc_root(const struct yctx *c, const struct yn *root, const char *what);

/* Edit distance for "did you mean" (optimal string alignment). */
size_t pl_recipe_edit_distance(const char *a, const char *b);

bool pl_recipe_is_hex64(const char *s);

#endif
