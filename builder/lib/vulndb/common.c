/*
 * vulndb/common: ecosystem names, Debian codenames, field checks and the
 * feed-kind sniffer shared by the feed parsers.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/vulndb/internal.h"

static const struct {
	const char *codename, *release;
} debian_releases[] = {
    {"buzz", "1.1"},	{"rex", "1.2"},	     {"bo", "1.3"},    {"hamm", "2.0"},	 {"slink", "2.1"},
    {"potato", "2.2"},	{"woody", "3.0"},    {"sarge", "3.1"}, {"etch", "4"},	 {"lenny", "5"},
    {"squeeze", "6"},	{"wheezy", "7"},     {"jessie", "8"},  {"stretch", "9"}, {"buster", "10"},
    {"bullseye", "11"}, {"bookworm", "12"},  {"trixie", "13"}, {"forky", "14"},	 {"duke", "15"},
    {"sid", "sid"},	{"unstable", "sid"},
};

const char *pl_debian_release(const char *codename)
{
	if (!codename)
		return NULL;
	for (size_t i = 0; i < sizeof(debian_releases) / sizeof(debian_releases[0]); i++)
		if (strcasecmp(codename, debian_releases[i].codename) == 0)
			return debian_releases[i].release;
	return NULL;
}

static bool all_digits(const char *s, size_t n)
{
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return false;
	return true;
}

/* "12", "3.1" (old point-numbered releases), "bookworm", "sid" */
static bool debian_suffix(const char *s, char *out, size_t outsz)
{
	const char *dot = strchr(s, '.');
	const char *rel;
	size_t n = strlen(s);

	if (all_digits(s, n) && n <= 3) {
		/* strip leading zeros: "07" is not a release anybody writes, but be exact */
		while (s[0] == '0' && s[1])
			s++;
		return (size_t)snprintf(out, outsz, "debian:%s", s) < outsz;
	}
	if (dot && all_digits(s, (size_t)(dot - s)) && all_digits(dot + 1, strlen(dot + 1)) &&
	    n <= 5) {
		/* "11.7" names a point release of 11; releases before 4 were "3.1" */
		if (dot - s == 1 && s[0] < '4')
			return (size_t)snprintf(out, outsz, "debian:%s", s) < outsz;
		return (size_t)snprintf(out, outsz, "debian:%.*s", (int)(dot - s), s) < outsz;
	}
	rel = pl_debian_release(s);
	if (!rel)
		return false;
	return (size_t)snprintf(out, outsz, "debian:%s", rel) < outsz;
}

bool vdb_ecosystem(const char *in, char *out, size_t outsz)
{
	const char *colon = in ? strchr(in, ':') : NULL;
	const char *v;

	if (!colon || strlen(in) > 64)
		return false;
	v = colon + 1;
	while (*v == ' ')
		v++;
	if ((size_t)(colon - in) == 6 && strncasecmp(in, "debian", 6) == 0)
		return debian_suffix(v, out, outsz);
	if ((size_t)(colon - in) == 6 && strncasecmp(in, "alpine", 6) == 0) {
		const char *dot;

		if (*v == 'v' || *v == 'V')
			v++;
		if (strcasecmp(v, "edge") == 0)
			return (size_t)snprintf(out, outsz, "alpine:edge") < outsz;
		dot = strchr(v, '.');
		if (!dot || !all_digits(v, (size_t)(dot - v)) ||
		    !all_digits(dot + 1, strlen(dot + 1)))
			return false;
		return (size_t)snprintf(out, outsz, "alpine:%s", v) < outsz;
	}
	return false;
}

bool vdb_name_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n == 0 || n > 255)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c <= ' ' || c == 0x7f || c == '/')
			return false;
	}
	return true;
}

bool vdb_id_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n == 0 || n > 255)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c <= ' ' || c == 0x7f)
			return false;
	}
	return true;
}

bool vdb_is_cve(const char *s)
{
	size_t n;

	if (!s || strncmp(s, "CVE-", 4) != 0)
		return false;
	if (!all_digits(s + 4, 4) || s[8] != '-')
		return false;
	n = strlen(s + 9);
	return n >= 4 && n <= 19 && all_digits(s + 9, n);
}

json_t *vdb_json_load(const char *data, size_t len, char *why, size_t whysz)
{
	json_error_t je;
	json_t *j = json_loadb(data, len, JSON_DECODE_ANY, &je);

	if (!j)
		snprintf(why, whysz, "invalid JSON at line %d column %d: %s", je.line, je.column,
			 je.text);
	return j;
}

int vdb_jstr(const json_t *obj, const char *key, const char **out, char *why, size_t whysz)
{
	const json_t *v = json_object_get(obj, key);

	*out = NULL;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v)) {
		snprintf(why, whysz, "'%s' is not a string", key);
		return -1;
	}
	if (json_string_length(v) > VDB_FIELD_MAX) {
		snprintf(why, whysz, "'%s' is larger than 1 MiB (%zu bytes)", key,
			 json_string_length(v));
		return -1;
	}
	if (strlen(json_string_value(v)) != json_string_length(v)) {
		snprintf(why, whysz, "'%s' holds a NUL byte", key);
		return -1;
	}
	*out = json_string_value(v);
	return 0;
}

int vdb_list_add(struct pl_buf *b, const char *s, struct pl_err *err)
{
	size_t n = strlen(s);
	int rc;

	/* lists are short (a record's CVEs): a linear scan is fine */
	for (const char *p = b->data; p && *p;) {
		const char *e = strchr(p, '\n');
		size_t m = e ? (size_t)(e - p) : strlen(p);

		if (m == n && memcmp(p, s, n) == 0)
			return 0;
		p += m + (e ? 1 : 0);
	}
	if (b->len && (rc = pl_buf_addch(b, '\n', err)) < 0)
		return rc;
	return pl_buf_add(b, s, n, err);
}

/* ---- sniffing ---- */

static const char *skip_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	return p;
}

/* The raw bytes of the JSON string at p (p at '"'): [*s, *e). NULL when none. */
static const char *json_key(const char *p, const char *end, const char **s, const char **e)
{
	if (p >= end || *p != '"')
		return NULL;
	*s = ++p;
	while (p < end && *p != '"') {
		if (*p == '\\')
			p++;
		p++;
	}
	if (p >= end)
		return NULL;
	*e = p;
	return p + 1;
}

static bool key_is(const char *s, const char *e, const char *const *set)
{
	for (; *set; set++)
		if (strlen(*set) == (size_t)(e - s) && memcmp(*set, s, (size_t)(e - s)) == 0)
			return true;
	return false;
}

static bool has_line_prefix(const char *data, size_t len, const char *word)
{
	size_t n = strlen(word);

	for (size_t i = 0; i + n <= len; i++)
		if ((i == 0 || data[i - 1] == '\n') && memcmp(data + i, word, n) == 0)
			return true;
	return false;
}

enum pl_feed_kind vdb_sniff(const char *data, size_t len)
{
	static const char *const osv_keys[] = {
	    "id",	  "schema_version", "modified",		 "published",
	    "withdrawn",  "aliases",	    "upstream",		 "related",
	    "summary",	  "details",	    "severity",		 "affected",
	    "references", "credits",	    "database_specific", "vulns",
	    NULL};
	static const char *const secdb_keys[] = {
	    "apkurl", "archs", "reponame", "urlprefix", "distroversion", "packages", NULL};
	const char *end = data + len, *p = data, *s, *e;
	size_t head = len < 65536 ? len : 65536;

	if (len >= 4 && memcmp(data, "PK\3\4", 4) == 0)
		return PL_FEED_OSV;
	if (len >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0)
		p += 3;
	p = skip_ws(p, end);
	if (p < end && *p == '[')
		return PL_FEED_OSV;
	if (p < end && *p == '{') {
		p = skip_ws(p + 1, end);
		if (!(p = json_key(p, end, &s, &e)))
			return PL_FEED_AUTO;
		if (key_is(s, e, osv_keys))
			return PL_FEED_OSV;
		if (key_is(s, e, secdb_keys))
			return PL_FEED_ALPINE_SECDB;
		p = skip_ws(p, end);
		if (p >= end || *p != ':')
			return PL_FEED_AUTO;
		p = skip_ws(p + 1, end);
		if (p >= end || *p != '{')
			return PL_FEED_AUTO;
		p = skip_ws(p + 1, end);
		if (p < end && *p == '}')
			return PL_FEED_DEBIAN_TRACKER; /* a package without issues */
		if (!json_key(p, end, &s, &e))
			return PL_FEED_AUTO;
		if ((e - s >= 4 && memcmp(s, "CVE-", 4) == 0) ||
		    (e - s >= 5 && memcmp(s, "TEMP-", 5) == 0))
			return PL_FEED_DEBIAN_TRACKER;
		return PL_FEED_AUTO;
	}
	if (has_line_prefix(data, head, "distroversion:") ||
	    (has_line_prefix(data, head, "packages:") && has_line_prefix(data, head, "- pkg:")))
		return PL_FEED_ALPINE_SECDB;
	return PL_FEED_AUTO;
}
