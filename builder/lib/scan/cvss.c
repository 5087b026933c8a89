/*
 * Severity: Debian urgencies, and CVSS v3.0/v3.1 base scores computed from
 * the vector with the specification's formulas (FIRST CVSS v3.1 section 7,
 * including its floating-point-safe Roundup; v3.0 rounds up plainly).
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/scan.h"

static const char *const sev_names[PL_SEV_COUNT] = {"unknown", "none", "negligible", "low",
						     "medium",	"high", "critical"};

const char *pl_sev_name(enum pl_sev s)
{
	return (unsigned)s < PL_SEV_COUNT ? sev_names[s] : "unknown";
}

int pl_sev_parse(const char *name, enum pl_sev *out, struct pl_err *err)
{
	int i;

	for (i = 0; i < PL_SEV_COUNT; i++)
		if (!strcmp(name, sev_names[i])) {
			*out = (enum pl_sev)i;
			return 0;
		}
	return pl_err_set(err, PL_EINVAL,
			  "unknown severity '%s' (critical, high, medium, low, negligible, none)",
			  name);
}

enum pl_sev pl_sev_from_recipe(enum pl_recipe_sev s)
{
	switch (s) {
	case PL_RECIPE_SEV_LOW: return PL_SEV_LOW;
	case PL_RECIPE_SEV_MEDIUM: return PL_SEV_MEDIUM;
	case PL_RECIPE_SEV_HIGH: return PL_SEV_HIGH;
	case PL_RECIPE_SEV_CRITICAL: return PL_SEV_CRITICAL;
	default: return PL_SEV_NONE;
	}
}

enum pl_sev pl_sev_from_urgency(const char *u)
{
	if (!u)
		return PL_SEV_UNKNOWN;
	if (!strcmp(u, "unimportant"))
		return PL_SEV_NEGLIGIBLE;
	if (!strcmp(u, "low"))
		return PL_SEV_LOW;
	if (!strcmp(u, "medium"))
		return PL_SEV_MEDIUM;
	if (!strcmp(u, "high"))
		return PL_SEV_HIGH;
	return PL_SEV_UNKNOWN; /* "low*", "high**", "not yet assigned", "end-of-life", ... */
}

enum pl_sev pl_cvss_rating(double s)
{
	if (s <= 0.0)
		return PL_SEV_NONE;
	if (s < 4.0)
		return PL_SEV_LOW;
	if (s < 7.0)
		return PL_SEV_MEDIUM;
	if (s < 9.0)
		return PL_SEV_HIGH;
	return PL_SEV_CRITICAL;
}

/* CVSS v3.1 Appendix A: round up to one decimal without floating-point surprises. */
static double roundup31(double x)
{
	int64_t i = (int64_t)llround(x * 100000.0);

	if (i % 10000 == 0)
		return (double)i / 100000.0;
	return (double)(i / 10000 + 1) / 10.0;
}

static double roundup30(double x)
{
	return ceil(x * 10.0) / 10.0;
}

int pl_cvss3_score(const char *vector, double *score, struct pl_err *err)
{
	/* AV AC PR UI S C I A */
	char m[8] = {0};
	static const char *const keys[8] = {"AV", "AC", "PR", "UI", "S", "C", "I", "A"};
	const char *p;
	double av = 0, ac = 0, pr = 0, ui = 0, c = 0, i = 0, a = 0, iss, impact, expl, base;
	bool v31, changed;
	int k;

	*score = 0;
	if (!strncmp(vector, "CVSS:3.1/", 9))
		v31 = true;
	else if (!strncmp(vector, "CVSS:3.0/", 9))
		v31 = false;
	else
		return pl_err_set(err, PL_EINVAL, "'%s' is not a CVSS 3.x vector", vector);
	for (p = vector + 9; *p;) {
		const char *colon = strchr(p, ':'), *slash = strchr(p, '/');
		size_t klen;

		if (!slash)
			slash = p + strlen(p);
		if (!colon || colon > slash || slash - colon != 2)
			goto bad;
		klen = (size_t)(colon - p);
		for (k = 0; k < 8; k++)
			if (strlen(keys[k]) == klen && !strncmp(p, keys[k], klen))
				break;
		if (k < 8) {
			if (m[k])
				goto bad; /* a metric given twice */
			m[k] = colon[1];
		}
		p = *slash ? slash + 1 : slash;
	}
	for (k = 0; k < 8; k++)
		if (!m[k])
			goto bad;
	switch (m[0]) {
	case 'N': av = 0.85; break;
	case 'A': av = 0.62; break;
	case 'L': av = 0.55; break;
	case 'P': av = 0.2; break;
	default: goto bad;
	}
	switch (m[1]) {
	case 'L': ac = 0.77; break;
	case 'H': ac = 0.44; break;
	default: goto bad;
	}
	switch (m[4]) {
	case 'U': changed = false; break;
	case 'C': changed = true; break;
	default: goto bad;
	}
	switch (m[2]) {
	case 'N': pr = 0.85; break;
	case 'L': pr = changed ? 0.68 : 0.62; break;
	case 'H': pr = changed ? 0.5 : 0.27; break;
	default: goto bad;
	}
	switch (m[3]) {
	case 'N': ui = 0.85; break;
	case 'R': ui = 0.62; break;
	default: goto bad;
	}
	for (k = 5; k < 8; k++) {
		double v;

		switch (m[k]) {
		case 'H': v = 0.56; break;
		case 'L': v = 0.22; break;
		case 'N': v = 0; break;
		default: goto bad;
		}
		if (k == 5)
			c = v;
		else if (k == 6)
			i = v;
		else
			a = v;
	}
	iss = 1 - ((1 - c) * (1 - i) * (1 - a));
	if (changed)
		impact = 7.52 * (iss - 0.029) - 3.25 * pow(iss - 0.02, 15);
	else
		impact = 6.42 * iss;
	expl = 8.22 * av * ac * pr * ui;
	if (impact <= 0)
		base = 0;
	else if (changed)
		base = v31 ? roundup31(fmin(1.08 * (impact + expl), 10))
			   : roundup30(fmin(1.08 * (impact + expl), 10));
	else
		base = v31 ? roundup31(fmin(impact + expl, 10)) : roundup30(fmin(impact + expl, 10));
	*score = base;
	return 0;
bad:
	return pl_err_set(err, PL_EINVAL, "malformed CVSS vector '%s'", vector);
}
