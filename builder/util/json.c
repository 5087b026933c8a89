#include "json.h"

#include <string.h>

static int dump_cb(const char *data, size_t len, void *ctx)
{
	struct pl_buf *out = ctx;

	return pl_buf_add(out, data, len, NULL) < 0 ? -1 : 0;
}

static int dump(const json_t *j, struct pl_buf *out, size_t flags, struct pl_err *err)
{
	if (json_dump_callback(j, dump_cb, out, flags | JSON_SORT_KEYS | JSON_ENCODE_ANY) != 0)
		return pl_err_set(err, PL_ENOMEM, "json encoding failed");
	return 0;
}

int pl_json_dump(const json_t *j, struct pl_buf *out, struct pl_err *err)
{
	return dump(j, out, JSON_COMPACT, err);
}

int pl_json_dump_pretty(const json_t *j, struct pl_buf *out, struct pl_err *err)
{
	int rc = dump(j, out, JSON_INDENT(2), err);

	return rc < 0 ? rc : pl_buf_addch(out, '\n', err);
}

int pl_json_load(const char *data, size_t len, const char *what, json_t **out, struct pl_err *err)
{
	json_error_t jerr;
	json_t *j;

	*out = NULL;
	j = json_loadb(data, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!j)
		return pl_err_set(err, PL_EINVAL, "%s:%d:%d: %s", what, jerr.line, jerr.column,
				  jerr.text);
	*out = j;
	return 0;
}

const char *pl_json_str(const json_t *obj, const char *key)
{
	const json_t *v = json_object_get(obj, key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

int pl_json_set_str(json_t *obj, const char *key, const char *val, struct pl_err *err)
{
	return pl_json_set_new(obj, key, json_string(val), err);
}

int pl_json_set_new(json_t *obj, const char *key, json_t *val, struct pl_err *err)
{
	if (!val || json_object_set_new(obj, key, val) != 0)
		return pl_err_set(err, PL_ENOMEM, "out of memory building json");
	return 0;
}

int pl_json_append_new(json_t *arr, json_t *val, struct pl_err *err)
{
	if (!val || json_array_append_new(arr, val) != 0)
		return pl_err_set(err, PL_ENOMEM, "out of memory building json");
	return 0;
}
