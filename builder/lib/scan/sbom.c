/*
 * SBOMs of an inventory: SPDX 2.3 and CycloneDX 1.5 JSON with package URLs.
 * Output is a function of the inventory and the options only (creation
 * time passed in, namespace and serial number derived from the content).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/scan.h"
#include "lib/scan/internal.h"
#include "util/digest.h"
#include "util/json.h"

/* purl percent-encoding: everything but unreserved characters (and '+', as syft writes it). */
static int purl_enc(struct pl_buf *out, const char *s, struct pl_err *err)
{
	static const char hex[] = "0123456789ABCDEF";
	int rc = 0;

	for (; *s && rc == 0; s++) {
		unsigned char c = (unsigned char)*s;

		if (isalnum(c) || c == '.' || c == '-' || c == '_' || c == '~' || c == '+')
			rc = pl_buf_addch(out, (char)c, err);
		else
			rc = pl_buf_addf(out, err, "%%%c%c", hex[c >> 4], hex[c & 15]);
	}
	return rc;
}

static void distro(const struct pl_inventory *inv, char *buf, size_t size)
{
	char eco[64];

	if (pl_scan_ecosystem(inv, eco, sizeof(eco), NULL) == 0) {
		char *colon = strchr(eco, ':');

		*colon = '-';
		snprintf(buf, size, "%s", eco);
	} else {
		snprintf(buf, size, "%s", inv->os.id ? inv->os.id : "unknown");
	}
}

int pl_purl(const struct pl_inventory *inv, const struct pl_inv_pkg *p, struct pl_buf *out,
	    struct pl_err *err)
{
	bool apk = inv->kind == PL_INV_APK;
	char d[80];
	int rc;

	distro(inv, d, sizeof(d));
	rc = pl_buf_adds(out, apk ? "pkg:apk/alpine/" : "pkg:deb/debian/", err);
	if (rc == 0)
		rc = purl_enc(out, p->name, err);
	if (rc == 0)
		rc = pl_buf_addch(out, '@', err);
	if (rc == 0)
		rc = purl_enc(out, p->version, err);
	if (rc == 0 && p->arch[0] && (rc = pl_buf_adds(out, "?arch=", err)) == 0)
		rc = purl_enc(out, p->arch, err);
	if (rc == 0)
		rc = pl_buf_addf(out, err, "%sdistro=%s", p->arch[0] ? "&" : "?", d);
	if (rc == 0 && strcmp(p->source, p->name)) {
		rc = pl_buf_adds(out, "&upstream=", err);
		if (rc == 0)
			rc = purl_enc(out, p->source, err);
	}
	return rc;
}

/* ---- licenses ---- */

static const char *const debian_spdx[][2] = {
	{"GPL-1", "GPL-1.0-only"},	 {"GPL-1+", "GPL-1.0-or-later"},
	{"GPL-2", "GPL-2.0-only"},	 {"GPL-2+", "GPL-2.0-or-later"},
	{"GPL-3", "GPL-3.0-only"},	 {"GPL-3+", "GPL-3.0-or-later"},
	{"LGPL-2", "LGPL-2.0-only"},	 {"LGPL-2+", "LGPL-2.0-or-later"},
	{"LGPL-2.1", "LGPL-2.1-only"},	 {"LGPL-2.1+", "LGPL-2.1-or-later"},
	{"LGPL-3", "LGPL-3.0-only"},	 {"LGPL-3+", "LGPL-3.0-or-later"},
	{"AGPL-3", "AGPL-3.0-only"},	 {"AGPL-3+", "AGPL-3.0-or-later"},
	{"GFDL-1.2", "GFDL-1.2-only"},	 {"GFDL-1.2+", "GFDL-1.2-or-later"},
	{"GFDL-1.3", "GFDL-1.3-only"},	 {"GFDL-1.3+", "GFDL-1.3-or-later"},
	{"BSD-2-clause", "BSD-2-Clause"}, {"BSD-3-clause", "BSD-3-Clause"},
	{"BSD-4-clause", "BSD-4-Clause"}, {"Expat", "MIT"},
	{"Artistic", "Artistic-1.0-Perl"}, {"Apache-2", "Apache-2.0"},
	{"MPL-1.1", "MPL-1.1"},		 {"MPL-2.0", "MPL-2.0"},
	{"zlib", "Zlib"},		 {"Zlib", "Zlib"},
	{"ISC", "ISC"},			 {"MIT", "MIT"},
	{"Apache-2.0", "Apache-2.0"},	 {"CC0-1.0", "CC0-1.0"},
	{"OpenSSL", "OpenSSL"},		 {"BSL-1.0", "BSL-1.0"},
	{"PSF-2", "PSF-2.0"},		 {"Python-2.0", "Python-2.0"},
	{"X11", "X11"},			 {"curl", "curl"},
	{"Unicode-DFS-2016", "Unicode-DFS-2016"},
};

static int add_ref(struct pl_buf *out, const char *s, size_t n, struct pl_err *err)
{
	size_t i;
	int rc = pl_buf_adds(out, "LicenseRef-", err);

	for (i = 0; i < n && rc == 0; i++)
		rc = pl_buf_addch(out, isalnum((unsigned char)s[i]) || s[i] == '.' ? s[i] : '-',
				  err);
	return rc;
}

static bool spdx_like(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '.' && s[i] != '-')
			return false;
	return n && (memmem(s, n, "-only", 5) || memmem(s, n, "-or-later", 9));
}

/* A license string (Debian short names or an Alpine expression) as an SPDX expression. */
static int spdx_expr(const char *lic, struct pl_buf *out, struct pl_err *err)
{
	const char *p = lic;
	int rc = 0;

	if (strcasestr(lic, " with "))
		return add_ref(out, lic, strlen(lic), err);
	while (*p && rc == 0) {
		const char *s;
		size_t n, i;

		while (*p == ' ' || *p == ',' || *p == '\t')
			p++;
		if (!*p)
			break;
		if (*p == '(' || *p == ')') {
			rc = pl_buf_addch(out, *p++, err);
			continue;
		}
		s = p;
		while (*p && *p != ' ' && *p != ',' && *p != '\t' && *p != '(' && *p != ')')
			p++;
		n = (size_t)(p - s);
		if (out->len && out->data[out->len - 1] != '(' && (rc = pl_buf_addch(out, ' ', err)))
			break;
		if ((n == 3 && !strncasecmp(s, "and", 3)) || (n == 2 && !strncasecmp(s, "or", 2))) {
			rc = pl_buf_adds(out, n == 3 ? "AND" : "OR", err);
			continue;
		}
		for (i = 0; i < sizeof(debian_spdx) / sizeof(debian_spdx[0]); i++)
			if (strlen(debian_spdx[i][0]) == n && !strncmp(debian_spdx[i][0], s, n))
				break;
		if (i < sizeof(debian_spdx) / sizeof(debian_spdx[0]))
			rc = pl_buf_adds(out, debian_spdx[i][1], err);
		else if (spdx_like(s, n))
			rc = pl_buf_add(out, s, n, err);
		else
			rc = add_ref(out, s, n, err);
	}
	return rc;
}

/* ---- shared ---- */

static void iso_time(int64_t t, char *buf, size_t size)
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* sha256 over everything that identifies the document's content. */
static int content_hash(const struct pl_inventory *inv, const struct pl_sbom_opts *o,
			const char *kind, unsigned char h[PL_SHA256_LEN], struct pl_err *err)
{
	struct pl_sha256 s;
	size_t i;
	int rc;

	if ((rc = pl_sha256_init(&s, err)) < 0)
		return rc;
#define ADD(x)                                                                                 \
	do {                                                                                   \
		const char *x_ = (x) ? (x) : "";                                               \
		pl_sha256_update(&s, x_, strlen(x_) + 1);                                      \
	} while (0)
	ADD(kind);
	ADD(o->name);
	ADD(o->digest);
	for (i = 0; i < inv->n; i++) {
		ADD(inv->pkgs[i].name);
		ADD(inv->pkgs[i].version);
		ADD(inv->pkgs[i].arch);
		ADD(inv->pkgs[i].source);
		ADD(inv->pkgs[i].source_version);
		ADD(inv->pkgs[i].license);
	}
#undef ADD
	pl_sha256_final(&s, h);
	pl_sha256_release(&s);
	return 0;
}

static void spdx_id(char *buf, size_t size, size_t i, const char *name)
{
	size_t k = (size_t)snprintf(buf, size, "SPDXRef-Package-%zu-", i), j;

	for (j = 0; name[j] && k + 1 < size; j++)
		buf[k++] = isalnum((unsigned char)name[j]) || name[j] == '.' ? name[j] : '-';
	buf[k] = '\0';
}

int pl_sbom_spdx(const struct pl_inventory *inv, const struct pl_sbom_opts *o,
		 struct pl_buf *out, struct pl_err *err)
{
	json_t *root = NULL, *pkgs = NULL, *rels = NULL, *img = NULL;
	struct pl_buf purl = PL_BUF_INIT, lic = PL_BUF_INIT, ns = PL_BUF_INIT;
	unsigned char h[PL_SHA256_LEN];
	char hex[2 * PL_SHA256_LEN + 1], created[32], id[300], tool[128];
	size_t i;
	int rc;

	if ((rc = content_hash(inv, o, "spdx", h, err)) < 0)
		return rc;
	pl_hex(h, sizeof(h), hex);
	iso_time(o->created, created, sizeof(created));
	snprintf(tool, sizeof(tool), "Tool: %s", o->tool ? o->tool : "plinth");
	rc = PL_ENOMEM;
	if (pl_buf_addf(&ns, err, "%s/", o->namespace ? o->namespace : "https://plinth.invalid/spdx") < 0 ||
	    purl_enc(&ns, o->name, err) < 0 || pl_buf_addf(&ns, err, "-%s", hex) < 0)
		goto out;
	if (!(pkgs = json_array()) || !(rels = json_array()))
		goto fail;
	img = json_pack("{s:s, s:s, s:s, s:s, s:b, s:s, s:s, s:s}", "SPDXID", "SPDXRef-Image",
			"name", o->name, "versionInfo", o->digest ? o->digest : "unknown",
			"downloadLocation", "NOASSERTION", "filesAnalyzed", 0,
			"primaryPackagePurpose", "CONTAINER", "licenseConcluded", "NOASSERTION",
			"copyrightText", "NOASSERTION");
	if (!img)
		goto fail;
	if (o->digest && !strncmp(o->digest, "sha256:", 7) &&
	    json_object_set_new(img, "checksums",
				json_pack("[{s:s, s:s}]", "algorithm", "SHA256", "checksumValue",
					  o->digest + 7)))
		goto fail;
	if (json_array_append_new(pkgs, img))
		goto fail;
	img = NULL;
	if (json_array_append_new(rels, json_pack("{s:s, s:s, s:s}", "spdxElementId",
						  "SPDXRef-DOCUMENT", "relationshipType",
						  "DESCRIBES", "relatedSpdxElement",
						  "SPDXRef-Image")))
		goto fail;
	for (i = 0; i < inv->n; i++) {
		const struct pl_inv_pkg *p = &inv->pkgs[i];
		json_t *j;

		pl_buf_reset(&purl);
		pl_buf_reset(&lic);
		if (pl_purl(inv, p, &purl, err) < 0)
			goto out;
		if (p->license && spdx_expr(p->license, &lic, err) < 0)
			goto out;
		spdx_id(id, sizeof(id), i + 1, p->name);
		j = json_pack("{s:s, s:s, s:s, s:s, s:b, s:s, s:s, s:s, s:[{s:s, s:s, s:s}]}",
			      "SPDXID", id, "name", p->name, "versionInfo", p->version,
			      "downloadLocation", "NOASSERTION", "filesAnalyzed", 0,
			      "licenseConcluded", "NOASSERTION", "licenseDeclared",
			      lic.len ? lic.data : "NOASSERTION", "copyrightText", "NOASSERTION",
			      "externalRefs", "referenceCategory", "PACKAGE-MANAGER",
			      "referenceType", "purl", "referenceLocator", purl.data);
		if (!j)
			goto fail;
		if (strcmp(p->source, p->name) || strcmp(p->source_version, p->version)) {
			char si[600];

			snprintf(si, sizeof(si), "built package from: %s %s", p->source,
				 p->source_version);
			if (json_object_set_new(j, "sourceInfo", json_string(si))) {
				json_decref(j);
				goto fail;
			}
		}
		if (json_array_append_new(pkgs, j) ||
		    json_array_append_new(rels, json_pack("{s:s, s:s, s:s}", "spdxElementId",
							  "SPDXRef-Image", "relationshipType",
							  "CONTAINS", "relatedSpdxElement", id)))
			goto fail;
	}
	root = json_pack("{s:s, s:s, s:s, s:s, s:s, s:{s:s, s:[s]}, s:o, s:o}", "spdxVersion",
			 "SPDX-2.3", "dataLicense", "CC0-1.0", "SPDXID", "SPDXRef-DOCUMENT",
			 "name", o->name, "documentNamespace", ns.data, "creationInfo", "created",
			 created, "creators", tool, "packages", pkgs, "relationships", rels);
	pkgs = rels = NULL;
	if (!root)
		goto fail;
	rc = pl_json_dump_pretty(root, out, err);
	goto out;
fail:
	rc = pl_err_set(err, PL_ENOMEM, "out of memory");
out:
	json_decref(img);
	json_decref(pkgs);
	json_decref(rels);
	json_decref(root);
	pl_buf_release(&purl);
	pl_buf_release(&lic);
	pl_buf_release(&ns);
	return rc;
}

int pl_sbom_cyclonedx(const struct pl_inventory *inv, const struct pl_sbom_opts *o,
		      struct pl_buf *out, struct pl_err *err)
{
	json_t *root = NULL, *comps = NULL, *deps = NULL, *meta = NULL, *img = NULL;
	struct pl_buf purl = PL_BUF_INIT, lic = PL_BUF_INIT;
	unsigned char h[PL_SHA256_LEN];
	char uuid[64], hx[33], created[32];
	size_t i;
	int rc;

	if ((rc = content_hash(inv, o, "cyclonedx", h, err)) < 0)
		return rc;
	h[6] = (unsigned char)((h[6] & 0x0f) | 0x50); /* name-based (v5 layout) */
	h[8] = (unsigned char)((h[8] & 0x3f) | 0x80);
	pl_hex(h, 16, hx);
	snprintf(uuid, sizeof(uuid), "urn:uuid:%.8s-%.4s-%.4s-%.4s-%.12s", hx, hx + 8, hx + 12,
		 hx + 16, hx + 20);
	iso_time(o->created, created, sizeof(created));
	rc = PL_ENOMEM;
	if (!(comps = json_array()) || !(deps = json_array()))
		goto fail;
	img = json_pack("{s:s, s:s, s:s}", "type", "container", "bom-ref", "image", "name",
			o->name);
	if (!img || (o->digest && json_object_set_new(img, "version", json_string(o->digest))))
		goto fail;
	if (o->digest && !strncmp(o->digest, "sha256:", 7) &&
	    json_object_set_new(img, "hashes",
				json_pack("[{s:s, s:s}]", "alg", "SHA-256", "content", o->digest + 7)))
		goto fail;
	for (i = 0; i < inv->n; i++) {
		const struct pl_inv_pkg *p = &inv->pkgs[i];
		json_t *c;

		pl_buf_reset(&purl);
		pl_buf_reset(&lic);
		if (pl_purl(inv, p, &purl, err) < 0)
			goto out;
		c = json_pack("{s:s, s:s, s:s, s:s, s:s, s:[{s:s, s:s}, {s:s, s:s}]}", "type",
			      "library", "bom-ref", purl.data, "name", p->name, "version",
			      p->version, "purl", purl.data, "properties", "name",
			      "plinth:source", "value", p->source, "name",
			      "plinth:source_version", "value", p->source_version);
		if (!c)
			goto fail;
		if (p->license) {
			if (spdx_expr(p->license, &lic, err) < 0) {
				json_decref(c);
				goto out;
			}
			if (json_object_set_new(c, "licenses",
						json_pack("[{s:s}]", "expression", lic.data))) {
				json_decref(c);
				goto fail;
			}
		}
		if (json_array_append_new(comps, c))
			goto fail;
	}
	{
		json_t *on = json_array();

		for (i = 0; on && i < json_array_size(comps); i++)
			if (json_array_append(on, json_object_get(json_array_get(comps, i),
								  "bom-ref")))
				break;
		if (on && i < json_array_size(comps)) {
			json_decref(on);
			goto fail;
		}
		if (!on || json_array_append_new(deps, json_pack("{s:s, s:o}", "ref", "image",
							  "dependsOn", on)))
			goto fail;
	}
	meta = json_pack("{s:s, s:{s:[{s:s, s:s}]}, s:o}", "timestamp", created, "tools",
			 "components", "type", "application", "name",
			 o->tool ? o->tool : "plinth", "component", img);
	img = NULL;
	if (!meta)
		goto fail;
	root = json_pack("{s:s, s:s, s:s, s:i, s:o, s:o, s:o}", "bomFormat", "CycloneDX",
			 "specVersion", "1.5", "serialNumber", uuid, "version", 1, "metadata",
			 meta, "components", comps, "dependencies", deps);
	meta = comps = deps = NULL;
	if (!root)
		goto fail;
	rc = pl_json_dump_pretty(root, out, err);
	goto out;
fail:
	rc = pl_err_set(err, PL_ENOMEM, "out of memory");
out:
	json_decref(img);
	json_decref(meta);
	json_decref(comps);
	json_decref(deps);
	json_decref(root);
	pl_buf_release(&purl);
	pl_buf_release(&lic);
	return rc;
}
