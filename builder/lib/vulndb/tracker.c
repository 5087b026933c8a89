/*
 * vulndb/tracker: the Debian security tracker JSON
 * ({source: {CVE: {description, releases: {codename: {status, ...}}}}}).
 * The file (~70 MB) is walked one source package at a time: a small scanner
 * finds the extent of each package's value and only that slice is given to
 * jansson, so memory is bounded by the largest package, not by the feed.
 *
 * Status mapping, per release (see docs/vulndb.md):
 *   resolved + fixed_version "0"        -> NOT_AFFECTED
 *   resolved + fixed_version V          -> FIXED in V
 *   open/undetermined + urgency or nodsa_reason "end-of-life", or
 *   status "end-of-life"                -> EOL
 *   open/undetermined + nodsa (any reason: "", "ignored", "postponed")
 *                                       -> WONT_FIX (reason = nodsa_reason or "no-dsa")
 *   open/undetermined otherwise         -> OPEN (urgency "unimportant" included:
 *                                          that is a severity, kept verbatim)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/deb.h"
#include "lib/vulndb/internal.h"

static const char *ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	return p;
}

/* p at '"': the byte after the closing quote, or NULL. */
static const char *skip_string(const char *p, const char *end)
{
	for (p++; p < end; p++) {
		if (*p == '"')
			return p + 1;
		if (*p == '\\')
			p++;
	}
	return NULL;
}

/*
 * The end of the JSON value at p, checking only bracket nesting (the slice
 * is validated by jansson afterwards); NULL when it runs off the end.
 */
static const char *skip_value(const char *p, const char *end)
{
	int depth = 0;

	if (p >= end)
		return NULL;
	if (*p == '"')
		return skip_string(p, end);
	if (*p != '{' && *p != '[') {
		while (p < end && !strchr(",}] \t\r\n", *p))
			p++;
		return p;
	}
	while (p < end) {
		switch (*p) {
		case '"':
			p = skip_string(p, end);
			if (!p)
				return NULL;
			continue;
		case '{':
		case '[':
			if (++depth > 512)
				return NULL;
			break;
		case '}':
		case ']':
			if (--depth == 0)
				return p + 1;
			break;
		default:
			break;
		}
		p++;
	}
	return NULL;
}

struct trk {
	struct vdb_imp *imp;
	struct vdb_rec rec;
	char why[512];
};

static bool streq(const char *a, const char *b)
{
	return a && strcmp(a, b) == 0;
}

/* One release entry; -1 with why set when malformed. */
static int release_row(struct trk *t, const char *codename, const json_t *r, const char *pkg,
		       const char *cves, struct pl_err *err)
{
	const char *status, *fixed, *urgency, *nodsa, *reason, *rel, *eco;
	struct pl_err verr = PL_ERR_INIT;
	struct vdb_row *w;
	char ecobuf[32];

	if (!(rel = pl_debian_release(codename))) {
		char tag[96];

		snprintf(tag, sizeof(tag), "codename %.64s", codename);
		if (vdb_imp_first(t->imp, tag))
			vdb_imp_warn(t->imp,
				     "release '%.64s' is not a Debian codename, its entries "
				     "are skipped",
				     codename);
		return 0;
	}
	if (!json_is_object(r)) {
		snprintf(t->why, sizeof(t->why), "releases.%.64s is not an object", codename);
		return -1;
	}
	if (vdb_jstr(r, "status", &status, t->why, sizeof(t->why)) < 0 ||
	    vdb_jstr(r, "fixed_version", &fixed, t->why, sizeof(t->why)) < 0 ||
	    vdb_jstr(r, "urgency", &urgency, t->why, sizeof(t->why)) < 0 ||
	    vdb_jstr(r, "nodsa", &nodsa, t->why, sizeof(t->why)) < 0 ||
	    vdb_jstr(r, "nodsa_reason", &reason, t->why, sizeof(t->why)) < 0)
		return -1;
	if (!status) {
		snprintf(t->why, sizeof(t->why), "releases.%.64s has no status", codename);
		return -1;
	}
	snprintf(ecobuf, sizeof(ecobuf), "debian:%s", rel);
	if (!(eco = vdb_rec_strdup(&t->rec, ecobuf)) || !(w = vdb_rec_row(&t->rec)))
		return pl_err_set(err, PL_ENOMEM, "out of memory");
	w->ecosystem = eco;
	w->package = pkg;
	w->urgency = urgency;
	w->cves = cves;
	if (strcmp(status, "resolved") == 0) {
		if (!fixed) {
			snprintf(t->why, sizeof(t->why),
				 "releases.%.64s is resolved without a "
				 "fixed_version",
				 codename);
			return -1;
		}
		if (strcmp(fixed, "0") == 0) {
			w->status = PL_VULN_NOT_AFFECTED;
			return 0;
		}
		if (pl_debver_check(fixed, &verr) < 0) {
			snprintf(t->why, sizeof(t->why), "releases.%.64s.fixed_version: %.400s",
				 codename, verr.msg);
			return -1;
		}
		w->status = PL_VULN_FIXED;
		w->fixed = fixed;
		return 0;
	}
	if (strcmp(status, "end-of-life") == 0 ||
	    ((strcmp(status, "open") == 0 || strcmp(status, "undetermined") == 0) &&
	     (streq(urgency, "end-of-life") || streq(reason, "end-of-life")))) {
		w->status = PL_VULN_EOL;
		return 0;
	}
	if (strcmp(status, "open") == 0 || strcmp(status, "undetermined") == 0) {
		if (nodsa || streq(reason, "ignored") || streq(reason, "postponed")) {
			w->status = PL_VULN_WONT_FIX;
			w->reason = reason && *reason ? reason : "no-dsa";
			w->note = nodsa && *nodsa ? nodsa : NULL;
		} else {
			w->status = PL_VULN_OPEN;
		}
		return 0;
	}
	snprintf(t->why, sizeof(t->why), "releases.%.64s has unknown status '%.64s'", codename,
		 status);
	return -1;
}

static int tracker_record(struct trk *t, const char *pkg, const char *id, const json_t *v,
			  struct pl_err *err)
{
	const json_t *rels;
	const char *key, *codename;
	json_t *r;
	char *k = NULL;
	size_t n;
	int rc = 0;

	vdb_rec_init(&t->rec);
	if (!vdb_id_ok(id)) {
		vdb_imp_skip(t->imp, pkg, "'%.64s' is not an issue id, skipped", id);
		goto out;
	}
	n = strlen(pkg) + strlen(id) + 2;
	if ((k = malloc(n)) != NULL)
		snprintf(k, n, "%s/%s", pkg, id);
	if (!(key = vdb_rec_own(&t->rec, k))) { /* frees k */
		rc = pl_err_set(err, PL_ENOMEM, "out of memory");
		goto out;
	}
	t->rec.key = key;
	t->rec.record = id;
	if (!json_is_object(v)) {
		snprintf(t->why, sizeof(t->why), "not an object");
		goto bad;
	}
	if (vdb_jstr(v, "description", &t->rec.summary, t->why, sizeof(t->why)) < 0)
		goto bad;
	rels = json_object_get(v, "releases");
	if (rels && !json_is_null(rels) && !json_is_object(rels) &&
	    !(json_is_array(rels) && json_array_size(rels) == 0)) {
		/* an empty "releases": [] is how an empty map is sometimes written */
		snprintf(t->why, sizeof(t->why), "'releases' is not an object");
		goto bad;
	}
	json_object_foreach((json_t *)rels, codename, r)
	{
		rc = release_row(t, codename, r, pkg, vdb_is_cve(id) ? id : "", err);
		if (rc == -1)
			goto bad;
		if (rc < 0)
			goto out;
	}
	rc = vdb_imp_record(t->imp, &t->rec, err);
	goto out;
bad:
	rc = 0;
	vdb_imp_skip(t->imp, id, "source '%s': %s, skipped", pkg, t->why);
out:
	vdb_rec_release(&t->rec);
	return rc;
}

static int tracker_package(struct trk *t, const char *pkg, const char *s, size_t n,
			   struct pl_err *err)
{
	char why[256];
	json_t *j;
	const char *id;
	json_t *v;
	int rc = 0;

	if (!vdb_name_ok(pkg)) {
		vdb_imp_skip(t->imp, pkg, "'%.64s' is not a source package name, skipped", pkg);
		return 0;
	}
	if (!(j = vdb_json_load(s, n, why, sizeof(why)))) {
		vdb_imp_skip(t->imp, pkg, "source package '%s': %s, skipped", pkg, why);
		return 0;
	}
	if (json_is_array(j) && json_array_size(j) == 0)
		goto out;
	if (!json_is_object(j)) {
		vdb_imp_skip(t->imp, pkg, "source package '%s' is not an object, skipped", pkg);
		goto out;
	}
	json_object_foreach(j, id, v)
	{
		rc = tracker_record(t, pkg, id, v, err);
		if (rc < 0)
			break;
	}
out:
	json_decref(j);
	return rc;
}

/* Decode the JSON string [s, e) (between the quotes) into a malloc'd string. */
static char *decode_key(const char *s, const char *e)
{
	json_t *j;
	char *out = NULL;

	if (!memchr(s, '\\', (size_t)(e - s)))
		return strndup(s, (size_t)(e - s));
	j = json_loadb(s - 1, (size_t)(e - s) + 2, JSON_DECODE_ANY, NULL);
	if (json_is_string(j) && strlen(json_string_value(j)) == json_string_length(j))
		out = strdup(json_string_value(j));
	json_decref(j);
	return out;
}

int vdb_tracker_parse(struct vdb_imp *imp, const char *data, size_t len, struct pl_err *err)
{
	const char *p = data, *end = data + len, *ks, *ke, *vs;
	struct trk t;
	char *pkg = NULL;
	int rc = 0;

	memset(&t, 0, sizeof(t));
	t.imp = imp;
	if (len >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
		p += 3;
	p = ws(p, end);
	if (p >= end || *p != '{')
		return pl_err_set(err, PL_EINVAL,
				  "'%s' is not Debian security tracker JSON (no top-level object)",
				  imp->file);
	p = ws(p + 1, end);
	if (p < end && *p == '}')
		goto tail;
	for (;;) {
		if (p >= end || *p != '"')
			goto broken;
		ks = p + 1;
		if (!(p = skip_string(p, end)))
			goto broken;
		ke = p - 1;
		p = ws(p, end);
		if (p >= end || *p != ':')
			goto broken;
		vs = p = ws(p + 1, end);
		if (!(p = skip_value(p, end)))
			goto broken;
		if (!(pkg = decode_key(ks, ke))) {
			vdb_imp_skip(imp, NULL,
				     "undecodable source package name at byte %zu, skipped",
				     (size_t)(ks - data));
		} else {
			rc = tracker_package(&t, pkg, vs, (size_t)(p - vs), err);
			free(pkg);
			pkg = NULL;
			if (rc < 0)
				return rc;
		}
		p = ws(p, end);
		if (p < end && *p == ',') {
			p = ws(p + 1, end);
			continue;
		}
		if (p < end && *p == '}')
			break;
		goto broken;
	}
tail:
	p = ws(p + 1, end);
	if (p != end)
		goto broken;
	return rc;
broken:
	return pl_err_set(
	    err, PL_EINVAL,
	    "'%s' is not Debian security tracker JSON: malformed or truncated at byte %zu",
	    imp->file, (size_t)((p ? p : end) - data));
}
