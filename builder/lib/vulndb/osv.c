/*
 * vulndb/osv: OSV records (https://ossf.github.io/osv-schema/) to rows. One
 * row per affected interval of an ECOSYSTEM range (introduced -> fixed or
 * last_affected; an introduced without an end is open-ended), plus one row
 * holding the explicit versions[] list. Only Debian:N and Alpine:vX.Y
 * ecosystems are kept; anything malformed skips the whole record.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/deb.h"
#include "lib/vulndb/internal.h"
#include "util/log.h"

struct osv {
	struct vdb_imp *imp;
	struct vdb_rec rec;
	const char *id;
	char why[512];
};

static int bad(struct osv *o, const char *fmt, ...) PL_PRINTF(2, 3);
static int bad(struct osv *o, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(o->why, sizeof(o->why), fmt, ap);
	va_end(ap);
	return -1;
}

/* A version as the ecosystem spells it; Debian ones must satisfy dpkg. */
static int check_version(struct osv *o, bool debian, const char *what, const char *v)
{
	struct pl_err e = PL_ERR_INIT;

	if (!v)
		return bad(o, "%s is not a string", what);
	if (strlen(v) > 255)
		return bad(o, "%s is longer than 255 bytes", what);
	if (debian) {
		if (pl_debver_check(v, &e) < 0)
			return bad(o, "%s: %s", what, e.msg);
	} else if (!vdb_id_ok(v)) {
		return bad(o, "%s '%s' is not a version", what, v);
	}
	return 0;
}

/* The first CVSS_V3 vector, else the first CVSS_V4 one; NULL when none. */
static int pick_cvss(struct osv *o, const json_t *sev, const char *where, const char **out)
{
	const char *v3 = NULL, *v4 = NULL;
	size_t i;
	json_t *s;

	*out = NULL;
	if (!sev || json_is_null(sev))
		return 0;
	if (!json_is_array(sev))
		return bad(o, "%sseverity is not an array", where);
	json_array_foreach(sev, i, s)
	{
		const char *type, *score;

		if (!json_is_object(s))
			return bad(o, "%sseverity[%zu] is not an object", where, i);
		if (vdb_jstr(s, "type", &type, o->why, sizeof(o->why)) < 0 ||
		    vdb_jstr(s, "score", &score, o->why, sizeof(o->why)) < 0)
			return -1;
		if (!type || !score)
			continue;
		if (strlen(score) > 1024)
			return bad(o, "%sseverity[%zu].score is longer than 1024 bytes", where, i);
		if (strcmp(type, "CVSS_V3") == 0 && !v3)
			v3 = score;
		else if (strcmp(type, "CVSS_V4") == 0 && !v4)
			v4 = score;
	}
	*out = v3 ? v3 : v4;
	return 0;
}

/* CVE ids from one list field ("aliases", "upstream", "related"). */
static int add_cves(struct osv *o, const json_t *rec, const char *key, struct pl_buf *cves,
		    struct pl_err *err)
{
	const json_t *a = json_object_get(rec, key);
	size_t i;
	json_t *s;

	if (!a || json_is_null(a))
		return 0;
	if (!json_is_array(a))
		return bad(o, "'%s' is not an array", key);
	json_array_foreach(a, i, s)
	{
		int rc;

		if (!json_is_string(s))
			return bad(o, "%s[%zu] is not a string", key, i);
		if (vdb_is_cve(json_string_value(s)) &&
		    (rc = vdb_list_add(cves, json_string_value(s), err)) < 0)
			return rc;
	}
	return 0;
}

static struct vdb_row *new_row(struct osv *o, const char *eco, const char *pkg, const char *cves,
			       const char *cvss, const char *urgency)
{
	struct vdb_row *w = vdb_rec_row(&o->rec);

	if (!w)
		return NULL;
	w->ecosystem = eco;
	w->package = pkg;
	w->status = PL_VULN_AFFECTED;
	w->cves = cves;
	w->cvss = cvss;
	w->urgency = urgency;
	return w;
}

/*
 * Events in order: introduced opens an interval (closing an open one as
 * open-ended), fixed / last_affected close it. "0" as introduced is "from
 * the beginning" (stored NULL). limit events only bound git ranges.
 */
static int range_rows(struct osv *o, const json_t *range, size_t ri, bool debian, const char *eco,
		      const char *pkg, const char *cves, const char *cvss, const char *urgency,
		      struct pl_err *err)
{
	const char *type, *intro = NULL;
	const json_t *events;
	bool open = false;
	struct vdb_row *w;
	size_t i;
	json_t *ev;

	if (!json_is_object(range))
		return bad(o, "ranges[%zu] is not an object", ri);
	if (vdb_jstr(range, "type", &type, o->why, sizeof(o->why)) < 0)
		return -1;
	if (!type)
		return bad(o, "ranges[%zu] has no type", ri);
	if (strcmp(type, "ECOSYSTEM") != 0)
		return 0; /* SEMVER / GIT ranges do not apply to distribution packages */
	events = json_object_get(range, "events");
	if (!json_is_array(events))
		return bad(o, "ranges[%zu].events is not an array", ri);
	json_array_foreach(events, i, ev)
	{
		const char *k, *v;
		json_t *val;
		char what[64];

		if (!json_is_object(ev) || json_object_size(ev) != 1)
			return bad(o, "ranges[%zu].events[%zu] is not a one-key object", ri, i);
		k = json_object_iter_key(json_object_iter((json_t *)ev));
		val = json_object_iter_value(json_object_iter((json_t *)ev));
		v = json_is_string(val) ? json_string_value(val) : NULL;
		snprintf(what, sizeof(what), "ranges[%zu].events[%zu].%s", ri, i, k);
		if (strcmp(k, "limit") == 0)
			continue;
		if (strcmp(k, "introduced") != 0 && strcmp(k, "fixed") != 0 &&
		    strcmp(k, "last_affected") != 0)
			return bad(o, "%s is not an OSV event", what);
		if (check_version(o, debian, what, v) < 0)
			return -1;
		if (strcmp(k, "introduced") == 0) {
			if (open) { /* two introduced in a row: the first is open-ended */
				if (!(w = new_row(o, eco, pkg, cves, cvss, urgency)))
					goto nomem;
				w->introduced = intro;
			}
			intro = strcmp(v, "0") == 0 ? NULL : v;
			open = true;
			continue;
		}
		if (!(w = new_row(o, eco, pkg, cves, cvss, urgency)))
			goto nomem;
		w->introduced = open ? intro : NULL;
		if (strcmp(k, "fixed") == 0)
			w->fixed = v;
		else
			w->last_affected = v;
		open = false;
		intro = NULL;
	}
	if (open) {
		if (!(w = new_row(o, eco, pkg, cves, cvss, urgency)))
			goto nomem;
		w->introduced = intro;
	}
	return 0;
nomem:
	return pl_err_set(err, PL_ENOMEM, "out of memory");
}

/* One affected[] entry; *known set when its ecosystem is one we keep. */
static int affected_rows(struct osv *o, const json_t *a, size_t ai, const char *cves,
			 const char *rec_cvss, bool *known, struct pl_err *err)
{
	const json_t *pkgobj, *ranges, *versions, *es;
	const char *ecosystem, *name, *cvss, *urgency = NULL, *eco;
	char norm[80];
	bool debian;
	size_t i;
	json_t *x;
	int rc;

	*known = false;
	if (!json_is_object(a))
		return bad(o, "affected[%zu] is not an object", ai);
	pkgobj = json_object_get(a, "package");
	if (!json_is_object(pkgobj))
		return bad(o, "affected[%zu].package is not an object", ai);
	if (vdb_jstr(pkgobj, "ecosystem", &ecosystem, o->why, sizeof(o->why)) < 0 ||
	    vdb_jstr(pkgobj, "name", &name, o->why, sizeof(o->why)) < 0)
		return -1;
	if (!ecosystem || !name)
		return bad(o, "affected[%zu].package lacks ecosystem or name", ai);
	if (!vdb_ecosystem(ecosystem, norm, sizeof(norm))) {
		char tag[128];

		snprintf(tag, sizeof(tag), "ecosystem %s", ecosystem);
		if (vdb_imp_first(o->imp, tag))
			vdb_imp_warn(o->imp,
				     "%s: ecosystem '%.64s' is not supported, its records are "
				     "skipped",
				     o->id, ecosystem);
		return 0;
	}
	*known = true;
	if (!vdb_name_ok(name))
		return bad(o, "affected[%zu].package.name '%.64s' is not a package name", ai, name);
	if (!(eco = vdb_rec_strdup(&o->rec, norm)))
		return pl_err_set(err, PL_ENOMEM, "out of memory");
	debian = strncmp(norm, "debian:", 7) == 0;
	if (pick_cvss(o, json_object_get(a, "severity"), "affected[].", &cvss) < 0)
		return -1;
	if (!cvss)
		cvss = rec_cvss;
	es = json_object_get(a, "ecosystem_specific");
	if (json_is_object(es) && vdb_jstr(es, "urgency", &urgency, o->why, sizeof(o->why)) < 0)
		return -1;

	ranges = json_object_get(a, "ranges");
	if (ranges && !json_is_null(ranges) && !json_is_array(ranges))
		return bad(o, "affected[%zu].ranges is not an array", ai);
	json_array_foreach(ranges, i, x)
	{
		rc = range_rows(o, x, i, debian, eco, name, cves, cvss, urgency, err);
		if (rc < 0)
			return rc;
	}
	versions = json_object_get(a, "versions");
	if (versions && !json_is_null(versions) && !json_is_array(versions))
		return bad(o, "affected[%zu].versions is not an array", ai);
	if (json_array_size(versions) > 0) {
		struct pl_buf b = PL_BUF_INIT;
		struct vdb_row *w;

		json_array_foreach(versions, i, x)
		{
			char what[48];

			snprintf(what, sizeof(what), "versions[%zu]", i);
			if (check_version(o, debian, what, json_string_value(x)) < 0) {
				pl_buf_release(&b);
				return -1;
			}
			if ((rc = vdb_list_add(&b, json_string_value(x), err)) < 0) {
				pl_buf_release(&b);
				return rc;
			}
		}
		if (!(w = new_row(o, eco, name, cves, cvss, urgency)) ||
		    !(w->versions = vdb_rec_own(&o->rec, pl_buf_detach(&b, NULL)))) {
			pl_buf_release(&b);
			return pl_err_set(err, PL_ENOMEM, "out of memory");
		}
	}
	return 0;
}

static int osv_record(struct vdb_imp *imp, const json_t *j, size_t idx, struct pl_err *err)
{
	struct osv o;
	struct pl_buf cves = PL_BUF_INIT;
	const char *withdrawn, *cvss, *cv;
	const json_t *aff;
	size_t i, nknown = 0;
	json_t *a;
	int rc = 0;

	memset(&o, 0, sizeof(o));
	o.imp = imp;
	vdb_rec_init(&o.rec);
	if (!json_is_object(j)) {
		vdb_imp_skip(imp, NULL, "record %zu is not a JSON object", idx);
		goto out;
	}
	if (vdb_jstr(j, "id", &o.id, o.why, sizeof(o.why)) < 0 || !vdb_id_ok(o.id)) {
		vdb_imp_skip(imp, NULL, "record %zu has no usable 'id'", idx);
		goto out;
	}
	if (vdb_jstr(j, "withdrawn", &withdrawn, o.why, sizeof(o.why)) < 0)
		goto bad;
	if (withdrawn) {
		vdb_imp_skip(imp, o.id, "withdrawn (%.40s), skipped", withdrawn);
		goto out;
	}
	o.rec.key = o.id;
	o.rec.record = o.id;
	if (vdb_jstr(j, "summary", &o.rec.summary, o.why, sizeof(o.why)) < 0 ||
	    vdb_jstr(j, "details", &o.rec.details, o.why, sizeof(o.why)) < 0 ||
	    vdb_jstr(j, "published", &o.rec.published, o.why, sizeof(o.why)) < 0 ||
	    vdb_jstr(j, "modified", &o.rec.modified, o.why, sizeof(o.why)) < 0)
		goto bad;
	if (vdb_is_cve(o.id) && (rc = vdb_list_add(&cves, o.id, err)) < 0)
		goto out;
	if ((rc = add_cves(&o, j, "aliases", &cves, err)) != 0 ||
	    (rc = add_cves(&o, j, "upstream", &cves, err)) != 0 ||
	    (rc = add_cves(&o, j, "related", &cves, err)) != 0)
		goto bad_rc;
	if (!(cv = vdb_rec_own(&o.rec, pl_buf_detach(&cves, NULL)))) {
		rc = pl_err_set(err, PL_ENOMEM, "out of memory");
		goto out;
	}
	if (pick_cvss(&o, json_object_get(j, "severity"), "", &cvss) < 0)
		goto bad;
	aff = json_object_get(j, "affected");
	if (aff && !json_is_null(aff) && !json_is_array(aff)) {
		bad(&o, "'affected' is not an array");
		goto bad;
	}
	json_array_foreach(aff, i, a)
	{
		bool known;

		rc = affected_rows(&o, a, i, cv, cvss, &known, err);
		if (rc != 0)
			goto bad_rc;
		nknown += known;
	}
	if (json_array_size(aff) > 0 && nknown == 0) {
		imp->st->skipped++; /* warned once per ecosystem */
		goto out;
	}
	rc = vdb_imp_record(imp, &o.rec, err);
	goto out;
bad_rc:
	if (rc != -1) /* helpers return -1 for bad input, a PL_E* code otherwise */
		goto out;
bad:
	rc = 0;
	vdb_imp_skip(imp, o.id, "%s, record skipped", o.why);
out:
	pl_buf_release(&cves);
	vdb_rec_release(&o.rec);
	return rc;
}

int vdb_osv_parse(struct vdb_imp *imp, const char *data, size_t len, bool single,
		  struct pl_err *err)
{
	char why[256];
	json_t *j = vdb_json_load(data, len, why, sizeof(why));
	const json_t *list = NULL;
	int rc = 0;

	if (!j) {
		if (single)
			return pl_err_set(err, PL_EINVAL, "'%s' is not OSV JSON: %s", imp->file,
					  why);
		vdb_imp_skip(imp, NULL, "%s, file skipped", why);
		return 0;
	}
	if (json_is_array(j))
		list = j;
	else if (json_is_object(j) && !json_object_get(j, "id") &&
		 json_is_array(json_object_get(j, "vulns")))
		list = json_object_get(j, "vulns");
	if (list) {
		size_t i;
		json_t *r;

		json_array_foreach(list, i, r)
		{
			rc = osv_record(imp, r, i, err);
			if (rc < 0)
				break;
		}
	} else if (json_is_object(j) &&
		   (json_object_get(j, "id") || json_object_get(j, "affected"))) {
		rc = osv_record(imp, j, 0, err);
	} else if (single) {
		rc = pl_err_set(err, PL_EINVAL, "'%s' is not an OSV record (no 'id')", imp->file);
	} else {
		vdb_imp_skip(imp, NULL, "not an OSV record (no 'id'), file skipped");
	}
	json_decref(j);
	return rc;
}
