/*
 * vulndb/changelog: CVE fixes named in a Debian changelog. Entries are
 * "src (version) dists; urgency=x", indented body lines, and a " -- " trailer;
 * every CVE id in a body is fixed in that entry's version. Entries run newest
 * first, so the oldest entry naming a CVE (the last one in the file) is the
 * version that fixed it; later mentions (reverts, regressions) are ignored.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/deb.h"
#include "lib/vulndb/internal.h"

struct entry {
	char *src, *version;
};

struct mention {
	char cve[32];
	size_t entry;
};

static int mention_cmp(const void *a, const void *b)
{
	const struct mention *x = a, *y = b;
	int c = strcmp(x->cve, y->cve);

	if (c)
		return c;
	return x->entry > y->entry ? -1 : x->entry < y->entry; /* oldest entry first */
}

/* "src (version) dist...;": name and version spans, or false. */
static bool header(const char *s, const char *e, const char **ns, size_t *nn, const char **vs,
		   size_t *vn)
{
	const char *p = s;

	if (p >= e || !(islower((unsigned char)*p) || isdigit((unsigned char)*p)))
		return false;
	while (p < e && (islower((unsigned char)*p) || isdigit((unsigned char)*p) || *p == '+' ||
			 *p == '-' || *p == '.'))
		p++;
	*ns = s;
	*nn = (size_t)(p - s);
	if (e - p < 4 || p[0] != ' ' || p[1] != '(')
		return false;
	p += 2;
	*vs = p;
	while (p < e && *p != ')' && *p != ' ')
		p++;
	if (p >= e || *p != ')' || p == *vs)
		return false;
	*vn = (size_t)(p - *vs);
	p++;
	if (p >= e || *p != ' ')
		return false;
	return memchr(p, ';', (size_t)(e - p)) != NULL;
}

static int scan_cves(const char *s, const char *e, size_t entry, struct mention **v, size_t *n,
		     size_t *cap, struct pl_err *err)
{
	for (const char *p = s; p + 13 <= e; p++) {
		size_t d = 0;

		if (strncasecmp(p, "CVE-", 4) != 0 || (p > s && isalnum((unsigned char)p[-1])))
			continue;
		if (!isdigit((unsigned char)p[4]) || !isdigit((unsigned char)p[5]) ||
		    !isdigit((unsigned char)p[6]) || !isdigit((unsigned char)p[7]) || p[8] != '-')
			continue;
		while (p + 9 + d < e && isdigit((unsigned char)p[9 + d]))
			d++;
		if (d < 4 || d > 19 || (p + 9 + d < e && isalpha((unsigned char)p[9 + d])))
			continue;
		if (*n == *cap) {
			size_t nc = *cap ? *cap * 2 : 32;
			struct mention *nv = realloc(*v, nc * sizeof(*nv));

			if (!nv)
				return pl_err_set(err, PL_ENOMEM, "out of memory");
			*v = nv;
			*cap = nc;
		}
		snprintf((*v)[*n].cve, sizeof((*v)[*n].cve), "CVE-%.4s-%.*s", p + 4, (int)d, p + 9);
		(*v)[*n].entry = entry;
		(*n)++;
		p += 8 + d;
	}
	return 0;
}

int vdb_changelog_parse(struct vdb_imp *imp, const char *eco, const char *data, size_t len,
			struct pl_err *err)
{
	struct entry *entries = NULL;
	size_t nentries = 0, capentries = 0;
	struct mention *m = NULL;
	size_t nm = 0, capm = 0;
	const char *p = data, *end = data + len;
	bool body = false, valid = false;
	struct vdb_rec rec;
	int rc = 0;

	vdb_rec_init(&rec);
	while (p < end && rc == 0) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *e = nl ? nl : end, *ns, *vs;
		size_t nn, vn;

		if (e > p && e[-1] == '\r')
			e--;
		if (p < e && !isspace((unsigned char)*p)) {
			if (header(p, e, &ns, &nn, &vs, &vn)) {
				struct pl_err verr = PL_ERR_INIT;
				char *src = strndup(ns, nn), *ver = strndup(vs, vn);

				if (nentries == capentries) {
					size_t nc = capentries ? capentries * 2 : 16;
					struct entry *v = realloc(entries, nc * sizeof(*v));

					if (!v) {
						free(src);
						free(ver);
						rc = pl_err_set(err, PL_ENOMEM, "out of memory");
						break;
					}
					entries = v;
					capentries = nc;
				}
				if (!src || !ver) {
					free(src);
					free(ver);
					rc = pl_err_set(err, PL_ENOMEM, "out of memory");
					break;
				}
				entries[nentries].src = src;
				entries[nentries].version = ver;
				nentries++;
				body = true;
				valid = pl_debver_check(ver, &verr) == 0;
				if (!valid)
					vdb_imp_skip(imp, src,
						     "entry '%s (%.64s)': %s, its CVEs are ignored",
						     src, ver, verr.msg);
			} else if (e - p >= 15 && (strncasecmp(p, "Local variables", 15) == 0 ||
						   strncasecmp(p, "Old Changelog", 13) == 0)) {
				break;
			}
		} else if (e - p >= 4 && memcmp(p, " -- ", 4) == 0) {
			body = false;
		} else if (body && valid && nentries) {
			rc = scan_cves(p, e, nentries - 1, &m, &nm, &capm, err);
		}
		p = nl ? nl + 1 : end;
	}
	if (rc == 0 && nentries == 0)
		rc = pl_err_set(err, PL_EINVAL,
				"'%s' is not a Debian changelog (no 'src (version) "
				"dist; urgency=...' line)",
				imp->file);
	if (rc == 0 && nm)
		qsort(m, nm, sizeof(*m), mention_cmp);
	for (size_t i = 0; rc == 0 && i < nm; i++) {
		struct vdb_row *w;
		const struct entry *en = &entries[m[i].entry];

		if (i > 0 && strcmp(m[i].cve, m[i - 1].cve) == 0)
			continue; /* a newer entry naming it again */
		vdb_rec_release(&rec);
		rec.key = m[i].cve;
		rec.record = m[i].cve;
		if (!(w = vdb_rec_row(&rec))) {
			rc = pl_err_set(err, PL_ENOMEM, "out of memory");
			break;
		}
		w->ecosystem = eco;
		w->package = en->src;
		w->status = PL_VULN_FIXED;
		w->fixed = en->version;
		w->cves = m[i].cve;
		rc = vdb_imp_record(imp, &rec, err);
	}
	vdb_rec_release(&rec);
	for (size_t i = 0; i < nentries; i++) {
		free(entries[i].src);
		free(entries[i].version);
	}
	free(entries);
	free(m);
	return rc;
}
