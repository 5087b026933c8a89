/* Reports of a scan: ignores, the policy gate, table, JSON and SARIF. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/deb.h"
#include "lib/scan.h"
#include "lib/scan/internal.h"
#include "util/json.h"

static const char *const state_names[PL_FSTATE_COUNT] = {"fixed", "unfixed", "wont-fix",
							  "end-of-life"};

const char *pl_fstate_name(enum pl_fstate s)
{
	return (unsigned)s < PL_FSTATE_COUNT ? state_names[s] : "unfixed";
}

/* ---- ignores ---- */

static bool ignore_matches(const struct pl_ignore *e, const struct pl_finding *f)
{
	if (strcmp(e->id, f->cve) && strcmp(e->id, f->record))
		return false;
	return !e->package || !strcmp(e->package, f->package) || !strcmp(e->package, f->source);
}

int pl_report_apply_ignores(struct pl_report *r, const struct pl_ignores *ig, const char *today,
			    struct pl_err *err)
{
	size_t i, j;

	for (j = 0; ig && j < ig->n; j++) {
		const struct pl_ignore *e = &ig->v[j];

		if (pl_ignore_expired(e, today)) {
			struct pl_expired_ignore *x, *v;
			char where[600];

			v = realloc(r->expired, (r->nexpired + 1) * sizeof(*v));
			if (!v)
				return pl_err_set(err, PL_ENOMEM, "out of memory");
			r->expired = v;
			x = &v[r->nexpired++];
			snprintf(where, sizeof(where), "%s:%d:%d", e->mark.file ? e->mark.file : "?",
				 e->mark.line, e->mark.col);
			x->id = strdup(e->id);
			x->package = sc_strdup(e->package);
			x->expires = strdup(e->expires);
			x->where = strdup(where);
			if (!x->id || (e->package && !x->package) || !x->expires || !x->where)
				return pl_err_set(err, PL_ENOMEM, "out of memory");
			continue;
		}
		for (i = 0; i < r->n; i++) {
			struct pl_finding *f = &r->v[i];

			if (f->ignored || !ignore_matches(e, f))
				continue;
			f->ignored = true;
			if (!(f->ignore_reason = strdup(e->reason)))
				return pl_err_set(err, PL_ENOMEM, "out of memory");
		}
	}
	sc_report_count(r);
	return 0;
}

/* ---- gate ---- */

static bool breaks(const struct pl_finding *f, enum pl_sev fail_on, bool ignore_unfixed)
{
	if (f->ignored || fail_on <= PL_SEV_NONE || f->sev < fail_on)
		return false;
	return f->state == PL_FSTATE_FIXED || !ignore_unfixed;
}

int pl_scan_gate(const struct pl_report *r, enum pl_sev fail_on, bool ignore_unfixed,
		 struct pl_err *err)
{
	struct pl_buf b = PL_BUF_INIT;
	size_t i, n = 0, shown = 0;
	int rc = 0;

	for (i = 0; i < r->n; i++)
		n += breaks(&r->v[i], fail_on, ignore_unfixed);
	if (!n)
		return 0;
	pl_buf_init(&b, 0);
	if (pl_buf_addf(&b, err, "%zu finding%s at or above %s%s:", n, n == 1 ? "" : "s",
			pl_sev_name(fail_on), ignore_unfixed ? " with a fix" : "") < 0)
		goto oom;
	for (i = 0; i < r->n; i++) {
		const struct pl_finding *f = &r->v[i];

		if (!breaks(f, fail_on, ignore_unfixed))
			continue;
		if (shown == 8) {
			if (pl_buf_addf(&b, err, " and %zu more", n - shown) < 0)
				goto oom;
			break;
		}
		if (pl_buf_addf(&b, err, "%s %s in %s %s (%s, %s%s%s)", shown ? "," : "", f->cve,
				f->package, f->installed, pl_sev_name(f->sev),
				f->fixed ? "fixed in " : pl_fstate_name(f->state),
				f->fixed ? f->fixed : "", "") < 0)
			goto oom;
		shown++;
	}
	rc = pl_err_set(err, PL_EPOLICY, "%s", b.data);
	pl_buf_release(&b);
	return rc;
oom:
	pl_buf_release(&b);
	return pl_err_set(err, PL_EPOLICY, "%zu findings at or above %s", n, pl_sev_name(fail_on));
}

/* ---- table ---- */

static int cmp_by_package(const void *x, const void *y, void *ctx)
{
	const struct pl_finding *v = ctx;
	const struct pl_finding *a = &v[*(const size_t *)x], *b = &v[*(const size_t *)y];
	int r = strcmp(a->package, b->package);

	if (r)
		return r;
	if (a->sev != b->sev)
		return a->sev > b->sev ? -1 : 1;
	return *(const size_t *)x < *(const size_t *)y ? -1 : 1;
}

int pl_report_table(const struct pl_report *r, struct pl_buf *out, struct pl_err *err)
{
	size_t *idx = NULL, i, j, k, w = 13;
	int (*cmp)(const char *, const char *) =
		r->ecosystem && !strncmp(r->ecosystem, "alpine:", 7) ? pl_apkver_cmp : pl_debver_cmp;
	int rc = 0, s;

	rc = pl_buf_addf(out, err, "target:   %s%s%s\nos:       %s\ndatabase: %s\n", r->target,
			 r->image_digest ? "@" : "", r->image_digest ? r->image_digest : "",
			 r->os ? r->os : "?", r->db_digest);
	if (rc < 0)
		goto out;
	rc = pl_buf_addf(out, err, "packages: %zu, findings: %zu", r->packages, r->n - r->ignored);
	for (s = PL_SEV_COUNT - 1; rc == 0 && s >= 0; s--)
		if (r->by_sev[s])
			rc = pl_buf_addf(out, err, ", %s %zu", pl_sev_name((enum pl_sev)s),
					 r->by_sev[s]);
	for (s = 0; rc == 0 && s < PL_FSTATE_COUNT; s++)
		if (r->by_state[s])
			rc = pl_buf_addf(out, err, "%s%s %zu", s ? "," : ";",
					 pl_fstate_name((enum pl_fstate)s), r->by_state[s]);
	if (rc == 0 && r->ignored)
		rc = pl_buf_addf(out, err, "; ignored %zu", r->ignored);
	if (rc == 0)
		rc = pl_buf_adds(out, "\n", err);
	for (i = 0; rc == 0 && i < r->nexpired; i++)
		rc = pl_buf_addf(out, err, "expired ignore: %s%s%s (expired %s, %s)\n",
				 r->expired[i].id, r->expired[i].package ? " in " : "",
				 r->expired[i].package ? r->expired[i].package : "",
				 r->expired[i].expires, r->expired[i].where);
	if (rc < 0 || !r->n)
		goto out;
	if (!(idx = malloc(r->n * sizeof(*idx)))) {
		rc = pl_err_set(err, PL_ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < r->n; i++) {
		idx[i] = i;
		if (strlen(r->v[i].cve) > w)
			w = strlen(r->v[i].cve);
	}
	qsort_r(idx, r->n, sizeof(*idx), cmp_by_package, r->v);
	for (i = 0; i < r->n; i = j) {
		const struct pl_finding *f0 = &r->v[idx[i]];
		const char *fix = NULL;

		for (j = i; j < r->n && !strcmp(r->v[idx[j]].package, f0->package); j++) {
			const char *fx = r->v[idx[j]].fixed;

			if (fx && (!fix || cmp(fx, fix) > 0))
				fix = fx;
		}
		rc = pl_buf_addf(out, err, "\n%s %s -> %s\n", f0->package, f0->installed,
				 fix ? fix : "(no fix)");
		for (k = i; rc == 0 && k < j; k++) {
			const struct pl_finding *f = &r->v[idx[k]];

			rc = pl_buf_addf(out, err, "  %-*s %-10s %-11s %s%s%s%s\n", (int)w, f->cve,
					 pl_sev_name(f->sev), pl_fstate_name(f->state), f->why,
					 f->ignored ? " [ignored: " : "",
					 f->ignored ? f->ignore_reason : "", f->ignored ? "]" : "");
		}
		if (rc < 0)
			goto out;
	}
out:
	free(idx);
	return rc;
}

/* ---- JSON ---- */

static json_t *jstr(const char *s)
{
	return s ? json_string(s) : json_null();
}

static json_t *finding_json(const struct pl_finding *f)
{
	json_t *o = json_object();

	if (!o)
		return NULL;
	if (json_object_set_new(o, "cve", jstr(f->cve)) ||
	    json_object_set_new(o, "package", jstr(f->package)) ||
	    json_object_set_new(o, "source", jstr(f->source)) ||
	    json_object_set_new(o, "installed", jstr(f->installed)) ||
	    json_object_set_new(o, "source_version", jstr(f->source_version)) ||
	    json_object_set_new(o, "fixed", jstr(f->fixed)) ||
	    json_object_set_new(o, "state", jstr(pl_fstate_name(f->state))) ||
	    json_object_set_new(o, "severity", jstr(pl_sev_name(f->sev))) ||
	    json_object_set_new(o, "cvss", f->cvss >= 0 ? json_real(f->cvss) : json_null()) ||
	    json_object_set_new(o, "cvss_vector", jstr(f->cvss_vector)) ||
	    json_object_set_new(o, "feed", jstr(f->feed)) ||
	    json_object_set_new(o, "feed_name", jstr(f->feed_name)) ||
	    json_object_set_new(o, "record", jstr(f->record)) ||
	    json_object_set_new(o, "summary", jstr(f->summary)) ||
	    json_object_set_new(o, "why", jstr(f->why)) ||
	    json_object_set_new(o, "db_path", jstr(f->db_path)) ||
	    json_object_set_new(o, "ignored", json_boolean(f->ignored)) ||
	    json_object_set_new(o, "ignore_reason", jstr(f->ignore_reason))) {
		json_decref(o);
		return NULL;
	}
	return o;
}

int pl_report_json(const struct pl_report *r, struct pl_buf *out, struct pl_err *err)
{
	json_t *root = json_object(), *findings = json_array(), *counts = json_object();
	json_t *sev = json_object(), *state = json_object(), *expired = json_array();
	size_t i;
	int rc = PL_ENOMEM, s;

	if (!root || !findings || !counts || !sev || !state || !expired)
		goto fail;
	for (i = 0; i < r->n; i++)
		if (json_array_append_new(findings, finding_json(&r->v[i])))
			goto fail;
	for (s = 0; s < PL_SEV_COUNT; s++)
		if (json_object_set_new(sev, pl_sev_name((enum pl_sev)s),
					json_integer((json_int_t)r->by_sev[s])))
			goto fail;
	for (s = 0; s < PL_FSTATE_COUNT; s++)
		if (json_object_set_new(state, pl_fstate_name((enum pl_fstate)s),
					json_integer((json_int_t)r->by_state[s])))
			goto fail;
	for (i = 0; i < r->nexpired; i++) {
		json_t *e = json_pack("{s:s, s:s?, s:s, s:s}", "id", r->expired[i].id, "package",
				      r->expired[i].package, "expires", r->expired[i].expires,
				      "where", r->expired[i].where);

		if (json_array_append_new(expired, e))
			goto fail;
	}
	if (json_object_set_new(counts, "severity", sev) ||
	    (sev = NULL, json_object_set_new(counts, "state", state)) ||
	    (state = NULL, json_object_set_new(counts, "ignored", json_integer((json_int_t)r->ignored))) ||
	    json_object_set_new(counts, "total", json_integer((json_int_t)(r->n - r->ignored))) ||
	    json_object_set_new(root, "schema", json_string("plinth-scan/1")) ||
	    json_object_set_new(root, "target", jstr(r->target)) ||
	    json_object_set_new(root, "image_digest", jstr(r->image_digest)) ||
	    json_object_set_new(root, "os", jstr(r->os)) ||
	    json_object_set_new(root, "ecosystem", jstr(r->ecosystem)) ||
	    json_object_set_new(root, "database", jstr(r->db_digest)) ||
	    json_object_set_new(root, "packages", json_integer((json_int_t)r->packages)) ||
	    json_object_set_new(root, "counts", counts) ||
	    (counts = NULL, json_object_set_new(root, "findings", findings)) ||
	    (findings = NULL, json_object_set_new(root, "expired_ignores", expired))) {
		expired = NULL;
		goto fail;
	}
	expired = NULL;
	rc = pl_json_dump_pretty(root, out, err);
	json_decref(root);
	return rc;
fail:
	json_decref(root);
	json_decref(findings);
	json_decref(counts);
	json_decref(sev);
	json_decref(state);
	json_decref(expired);
	return pl_err_set(err, rc, "out of memory");
}

/* ---- SARIF 2.1.0 ---- */

static const char *sarif_level(enum pl_sev s)
{
	if (s >= PL_SEV_HIGH)
		return "error";
	if (s == PL_SEV_MEDIUM)
		return "warning";
	return "note";
}

static int cmp_cve(const void *x, const void *y, void *ctx)
{
	const struct pl_finding *v = ctx;
	int r = strcmp(v[*(const size_t *)x].cve, v[*(const size_t *)y].cve);

	if (r)
		return r;
	return *(const size_t *)x < *(const size_t *)y ? -1 : 1;
}

static char *help_uri(const struct pl_report *r, const char *cve, char *buf, size_t size)
{
	if (r->ecosystem && !strncmp(r->ecosystem, "debian:", 7))
		snprintf(buf, size, "https://security-tracker.debian.org/tracker/%s", cve);
	else
		snprintf(buf, size, "https://osv.dev/vulnerability/%s", cve);
	return buf;
}

int pl_report_sarif(const struct pl_report *r, struct pl_buf *out, struct pl_err *err)
{
	json_t *root = NULL, *rules = NULL, *results = NULL, *run;
	size_t *idx = NULL, *rule_of = NULL, i, nrules = 0;
	char uri[256], msg[2048];
	int rc = PL_ENOMEM;

	if (!(rules = json_array()) || !(results = json_array()))
		goto fail;
	if (r->n && (!(idx = malloc(r->n * sizeof(*idx))) ||
		     !(rule_of = malloc(r->n * sizeof(*rule_of)))))
		goto fail;
	for (i = 0; i < r->n; i++)
		idx[i] = i;
	if (r->n)
		qsort_r(idx, r->n, sizeof(*idx), cmp_cve, r->v);
	/* one rule per CVE, in CVE order, with the highest severity seen */
	for (i = 0; i < r->n; i++) {
		const struct pl_finding *f = &r->v[idx[i]];
		json_t *rule;
		char sevs[16];

		if (i && !strcmp(f->cve, r->v[idx[i - 1]].cve)) {
			rule_of[idx[i]] = nrules - 1;
			continue;
		}
		rule_of[idx[i]] = nrules++;
		snprintf(sevs, sizeof(sevs), "%.1f",
			 f->cvss >= 0 ? f->cvss
			 : f->sev == PL_SEV_CRITICAL ? 9.5
			 : f->sev == PL_SEV_HIGH     ? 8.0
			 : f->sev == PL_SEV_MEDIUM   ? 5.5
			 : f->sev == PL_SEV_LOW	     ? 2.0
						     : 0.0);
		rule = json_pack("{s:s, s:s, s:{s:s}, s:{s:s}, s:s, s:{s:s}, s:{s:s, s:[s,s]}}",
				 "id", f->cve, "name", f->cve, "shortDescription", "text",
				 f->summary ? f->summary : f->cve, "fullDescription", "text",
				 f->summary ? f->summary : f->cve, "helpUri",
				 help_uri(r, f->cve, uri, sizeof(uri)), "defaultConfiguration",
				 "level", sarif_level(f->sev), "properties", "security-severity",
				 sevs, "tags", "security", "vulnerability");
		if (json_array_append_new(rules, rule))
			goto fail;
	}
	for (i = 0; i < r->n; i++) {
		const struct pl_finding *f = &r->v[i];
		json_t *res;

		snprintf(msg, sizeof(msg), "%s %s in %s %s (%s, %s%s%s): %s", pl_sev_name(f->sev),
			 f->cve, f->package, f->installed, pl_fstate_name(f->state),
			 f->fixed ? "fixed in " : "no fixed version", f->fixed ? f->fixed : "", "",
			 f->why);
		res = json_pack("{s:s, s:I, s:s, s:{s:s}, s:[{s:{s:{s:s}, s:{s:i}}}], "
				"s:{s:s, s:s, s:s, s:s}}",
				"ruleId", f->cve, "ruleIndex", (json_int_t)rule_of[i], "level",
				sarif_level(f->sev), "message", "text", msg, "locations",
				"physicalLocation", "artifactLocation", "uri", f->db_path, "region",
				"startLine", f->db_line > 0 ? f->db_line : 1, "partialFingerprints",
				"package", f->package, "installed", f->installed, "cve", f->cve,
				"state", pl_fstate_name(f->state));
		if (res && f->ignored &&
		    json_object_set_new(res, "suppressions",
					json_pack("[{s:s, s:s}]", "kind", "external",
						  "justification",
						  f->ignore_reason ? f->ignore_reason : ""))) {
			json_decref(res);
			goto fail;
		}
		if (json_array_append_new(results, res))
			goto fail;
	}
	run = json_pack("{s:{s:{s:s, s:s, s:s, s:o}}, s:o, s:{s:s, s:s, s:s, s:s?}}", "tool",
			"driver", "name", "plinth", "informationUri",
			"https://github.com/plinth-build/plinth", "version", "1", "rules", rules,
			"results", results, "properties", "target", r->target, "database",
			r->db_digest, "ecosystem", r->ecosystem ? r->ecosystem : "", "imageDigest",
			r->image_digest);
	rules = results = NULL;
	if (!run)
		goto fail;
	root = json_pack("{s:s, s:s, s:[o]}", "$schema",
			 "https://json.schemastore.org/sarif-2.1.0.json", "version", "2.1.0",
			 "runs", run);
	if (!root)
		goto fail;
	rc = pl_json_dump_pretty(root, out, err);
	json_decref(root);
	free(idx);
	free(rule_of);
	return rc;
fail:
	json_decref(rules);
	json_decref(results);
	free(idx);
	free(rule_of);
	return pl_err_set(err, rc, "out of memory");
}
