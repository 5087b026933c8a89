/*
 * Fuzz target for Release files: the clearsigned split never crashes and
 * never returns text when it fails; whatever Release parses has well-formed
 * SHA256 entries (digest strings, relative paths without '.' or '..'
 * components).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/apt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A path with a "." or ".." component, or an empty one. */
static int unsafe(const char *p)
{
	if (*p == '/')
		return 1;
	while (*p) {
		size_t n = strcspn(p, "/");
		if (n == 0 || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
			return 1;
		p += n;
		if (*p == '/')
			p++;
		if (!*p && p[-1] == '/')
			return 1;
	}
	return 0;
}

static void parse(const char *s, size_t n)
{
	struct pl_apt_release *r = NULL;

	if (pl_apt_release_parse(s, n, "Release", &r, NULL) == 0) {
		for (size_t i = 0; i < r->nfiles; i++) {
			const struct pl_apt_release_file *f = &r->files[i];
			if (pl_digest_check(f->sha256, NULL) < 0 || unsafe(f->path) ||
			    pl_apt_release_find(r, f->path) == NULL)
				abort();
		}
		for (size_t i = 0; i < r->narchs; i++)
			if (!r->archs[i][0])
				abort();
		if (!r->date_str && r->date != -1)
			abort();
		pl_apt_release_free(r);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pl_buf text = PL_BUF_INIT;
	int64_t t;
	char *s = malloc(size + 1);

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (pl_apt_clearsigned_text(s, size, "InRelease", &text, NULL) == 0)
		parse(text.data, text.len);
	else if (text.len != 0)
		abort();
	parse(s, size);
	(void)pl_apt_parse_date(s, &t, NULL);
	pl_buf_release(&text);
	free(s);
	return 0;
}
