/*
 * vulndb/secdb: Alpine secdb, as secdb.alpinelinux.org serves it (JSON) or
 * in its YAML source form (libyaml, converted to the same jansson tree).
 * packages[].pkg.name (the origin package) + secfixes {version: [ids]} ->
 * one record per (package, id) with a FIXED row per version naming it; the
 * version "0" means the package was never affected (NOT_AFFECTED).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "lib/vulndb/internal.h"

#define YAML_NODES_MAX 2000000 /* aliases can multiply nodes: bound the expansion */

static json_t *yaml_node_json(yaml_document_t *doc, yaml_node_t *n, int depth, size_t *budget)
{
	json_t *j = NULL;

	if (!n || depth > 64 || *budget == 0)
		return NULL;
	(*budget)--;
	switch (n->type) {
	case YAML_SCALAR_NODE: {
		const char *v = (const char *)n->data.scalar.value;
		size_t len = n->data.scalar.length;

		if (n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
		    (len == 0 || (len == 1 && v[0] == '~') ||
		     (len == 4 && memcmp(v, "null", 4) == 0)))
			return json_null();
		return json_stringn_nocheck(v, len);
	}
	case YAML_SEQUENCE_NODE:
		j = json_array();
		for (yaml_node_item_t *it = n->data.sequence.items.start;
		     j && it < n->data.sequence.items.top; it++) {
			json_t *x = yaml_node_json(doc, yaml_document_get_node(doc, *it), depth + 1,
						   budget);

			if (!x || json_array_append_new(j, x) < 0) {
				json_decref(j);
				j = NULL;
			}
		}
		return j;
	case YAML_MAPPING_NODE:
		j = json_object();
		for (yaml_node_pair_t *pr = n->data.mapping.pairs.start;
		     j && pr < n->data.mapping.pairs.top; pr++) {
			yaml_node_t *k = yaml_document_get_node(doc, pr->key);
			json_t *x;

			if (!k || k->type != YAML_SCALAR_NODE ||
			    strlen((const char *)k->data.scalar.value) != k->data.scalar.length) {
				json_decref(j);
				return NULL;
			}
			x = yaml_node_json(doc, yaml_document_get_node(doc, pr->value), depth + 1,
					   budget);
			if (!x || json_object_set_new_nocheck(j, (const char *)k->data.scalar.value,
							      x) < 0) {
				json_decref(j);
				j = NULL;
			}
		}
		return j;
	default:
		return NULL;
	}
}

static json_t *yaml_load(const char *data, size_t len, char *why, size_t whysz)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	json_t *j = NULL;
	size_t budget = YAML_NODES_MAX;

	if (!yaml_parser_initialize(&parser)) {
		snprintf(why, whysz, "out of memory");
		return NULL;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)data, len);
	if (!yaml_parser_load(&parser, &doc)) {
		snprintf(why, whysz, "invalid YAML at line %zu column %zu: %s",
			 parser.problem_mark.line + 1, parser.problem_mark.column + 1,
			 parser.problem ? parser.problem : "syntax error");
		yaml_parser_delete(&parser);
		return NULL;
	}
	if (yaml_document_get_root_node(&doc))
		j = yaml_node_json(&doc, yaml_document_get_root_node(&doc), 0, &budget);
	if (!j)
		snprintf(why, whysz, "YAML document is empty, too deep or too large");
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	return j;
}

struct fix {
	const char *id, *version;
	size_t order;
};

static int fix_cmp(const void *a, const void *b)
{
	const struct fix *x = a, *y = b;
	int c = strcmp(x->id, y->id);

	if (c)
		return c;
	return x->order < y->order ? -1 : x->order > y->order;
}

/* "CVE-2019-1234", "XSA-123", "GHSA-xxxx-..." ; not "(comment)". */
static bool id_token(const char *s, size_t n)
{
	bool dash = false;

	if (n == 0 || n > 64 || !isalpha((unsigned char)s[0]))
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '-')
			dash = true;
		else if (!isalnum(c) && c != '_' && c != '.' && c != ':')
			return false;
	}
	return dash;
}

static int package(struct vdb_imp *imp, const json_t *p, size_t idx, const char *eco,
		   struct pl_err *err)
{
	struct vdb_rec pool, rec;
	struct fix *fixes = NULL;
	size_t nfixes = 0, cap = 0, order = 0;
	const json_t *pkg, *sec, *list;
	const char *name = NULL, *version;
	char why[256], label[64];
	int rc = 0;

	vdb_rec_init(&pool);
	vdb_rec_init(&rec);
	snprintf(label, sizeof(label), "packages[%zu]", idx);
	pkg = json_object_get(p, "pkg");
	if (!json_is_object(p) || !json_is_object(pkg)) {
		vdb_imp_skip(imp, label, "no 'pkg' object, skipped");
		goto out;
	}
	if (vdb_jstr(pkg, "name", &name, why, sizeof(why)) < 0 || !vdb_name_ok(name)) {
		vdb_imp_skip(imp, label, "no usable pkg.name, skipped");
		goto out;
	}
	sec = json_object_get(pkg, "secfixes");
	if (!sec || json_is_null(sec))
		goto out;
	if (!json_is_object(sec)) {
		vdb_imp_skip(imp, name, "secfixes is not a mapping, skipped");
		goto out;
	}
	json_object_foreach((json_t *)sec, version, list)
	{
		size_t i;
		json_t *s;

		if (!vdb_id_ok(version)) {
			vdb_imp_skip(imp, name,
				     "secfixes version '%.64s' is not a version, skipped", version);
			goto out;
		}
		if (json_is_null(list))
			continue;
		if (!json_is_array(list)) {
			vdb_imp_skip(imp, name, "secfixes '%.64s' is not a list, skipped", version);
			goto out;
		}
		json_array_foreach(list, i, s)
		{
			const char *t;

			if (json_is_null(s))
				continue;
			if (!json_is_string(s) || json_string_length(s) > 4096) {
				vdb_imp_skip(imp, name,
					     "secfixes '%.64s'[%zu] is not a short string, "
					     "skipped",
					     version, i);
				goto out;
			}
			t = json_string_value(s);
			while (*t) {
				size_t n;
				const char *id;

				while (*t && isspace((unsigned char)*t))
					t++;
				n = 0;
				while (t[n] && !isspace((unsigned char)t[n]))
					n++;
				if (!id_token(t, n)) {
					t += n;
					continue;
				}
				if (nfixes == cap) {
					size_t nc = cap ? cap * 2 : 16;
					struct fix *v = realloc(fixes, nc * sizeof(*v));

					if (!v) {
						rc = pl_err_set(err, PL_ENOMEM, "out of memory");
						goto out;
					}
					fixes = v;
					cap = nc;
				}
				if (!(id = vdb_rec_own(&pool, strndup(t, n)))) {
					rc = pl_err_set(err, PL_ENOMEM, "out of memory");
					goto out;
				}
				fixes[nfixes].id = id;
				fixes[nfixes].version = version;
				fixes[nfixes].order = order++;
				nfixes++;
				t += n;
			}
		}
	}
	if (nfixes)
		qsort(fixes, nfixes, sizeof(*fixes), fix_cmp);
	for (size_t i = 0; rc == 0 && i < nfixes;) {
		size_t j = i;
		size_t kn = strlen(name) + strlen(fixes[i].id) + 2;
		char *k = malloc(kn);

		vdb_rec_release(&rec);
		if (k)
			snprintf(k, kn, "%s/%s", name, fixes[i].id);
		if (!(rec.key = vdb_rec_own(&rec, k))) {
			rc = pl_err_set(err, PL_ENOMEM, "out of memory");
			break;
		}
		rec.record = fixes[i].id;
		for (; j < nfixes && strcmp(fixes[j].id, fixes[i].id) == 0; j++) {
			struct vdb_row *w = vdb_rec_row(&rec);

			if (!w) {
				rc = pl_err_set(err, PL_ENOMEM, "out of memory");
				break;
			}
			w->ecosystem = eco;
			w->package = name;
			w->cves = vdb_is_cve(fixes[j].id) ? fixes[j].id : "";
			if (strcmp(fixes[j].version, "0") == 0) {
				w->status = PL_VULN_NOT_AFFECTED;
			} else {
				w->status = PL_VULN_FIXED;
				w->fixed = fixes[j].version;
			}
		}
		if (rc == 0)
			rc = vdb_imp_record(imp, &rec, err);
		i = j;
	}
out:
	free(fixes);
	vdb_rec_release(&rec);
	vdb_rec_release(&pool);
	return rc;
}

int vdb_secdb_parse(struct vdb_imp *imp, const char *data, size_t len, bool single,
		    struct pl_err *err)
{
	char why[256], eco[80], tmp[96];
	const char *p = data, *end = data + len, *dv;
	const json_t *pkgs;
	json_t *j, *x;
	size_t i;
	int rc = 0;

	while (p < end && isspace((unsigned char)*p))
		p++;
	if (p < end && *p == '{')
		j = vdb_json_load(data, len, why, sizeof(why));
	else
		j = yaml_load(data, len, why, sizeof(why));
	if (!j)
		goto notsecdb;
	if (!json_is_object(j) || vdb_jstr(j, "distroversion", &dv, why, sizeof(why)) < 0 || !dv ||
	    !json_is_array(json_object_get(j, "packages"))) {
		snprintf(why, sizeof(why), "no 'distroversion' and 'packages'");
		goto notsecdb;
	}
	snprintf(tmp, sizeof(tmp), "alpine:%.64s", dv);
	if (!vdb_ecosystem(tmp, eco, sizeof(eco))) {
		snprintf(why, sizeof(why), "distroversion '%.64s' is not an Alpine release", dv);
		goto notsecdb;
	}
	pkgs = json_object_get(j, "packages");
	json_array_foreach(pkgs, i, x)
	{
		rc = package(imp, x, i, eco, err);
		if (rc < 0)
			break;
	}
	json_decref(j);
	return rc;
notsecdb:
	json_decref(j);
	if (single)
		return pl_err_set(err, PL_EINVAL, "'%s' is not an Alpine secdb: %s", imp->file,
				  why);
	vdb_imp_skip(imp, NULL, "not an Alpine secdb (%s), file skipped", why);
	return 0;
}
