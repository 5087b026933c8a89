/*
 * json: jansson helpers. Everything Plinth writes is dumped with sorted keys
 * and no insignificant whitespace (canonical bytes, hence stable digests);
 * loading reports line:column of the first error and caps the input size.
 */
#ifndef PL_JSON_H
#define PL_JSON_H

#include <jansson.h>
#include <stddef.h>

#include "buf.h"
#include "err.h"

/* Canonical compact dump (sorted keys) appended to out. */
int pl_json_dump(const json_t *j, struct pl_buf *out, struct pl_err *err) PL_WUR;

/* Human-readable dump (sorted keys, 2-space indent, trailing newline). */
int pl_json_dump_pretty(const json_t *j, struct pl_buf *out, struct pl_err *err) PL_WUR;

/*
 * Parse len bytes; what names the input in errors ("manifest sha256:...").
 * The caller owns *out (json_decref).
 */
int pl_json_load(const char *data, size_t len, const char *what, json_t **out,
		 struct pl_err *err);

/* Borrowed string member or NULL when absent or not a string. */
const char *pl_json_str(const json_t *obj, const char *key);

/* Set obj[key] to a new string; PL_ENOMEM on failure. */
int pl_json_set_str(json_t *obj, const char *key, const char *val, struct pl_err *err);

/* Set obj[key] = val, stealing the reference (val may be NULL -> ENOMEM). */
int pl_json_set_new(json_t *obj, const char *key, json_t *val, struct pl_err *err);

/* Append val to arr, stealing the reference. */
int pl_json_append_new(json_t *arr, json_t *val, struct pl_err *err);

#endif
