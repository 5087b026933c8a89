/*
 * Fuzz target: the unified diff parser and applier. The input is a diff, a
 * NUL byte, then the file the diff's sections are applied to. A failed
 * apply must leave its output untouched and name the hunk; a successful one
 * can only produce the file's unchanged lines plus the hunks' new lines.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/patch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data;
	const char *sep = memchr(in, '\0', size);
	size_t dlen = sep ? (size_t)(sep - in) : size;
	const char *file = sep ? sep + 1 : "";
	size_t flen = sep ? size - dlen - 1 : 0;
	struct pl_err err = PL_ERR_INIT;
	struct pl_udiff *d = NULL;

	if (pl_udiff_parse(in, dlen, "fuzz.diff", &d, &err) < 0) {
		if (d || err.code == 0 || !strstr(err.msg, "fuzz.diff"))
			abort();
		return 0;
	}
	if (!d || d->nfiles == 0)
		abort();
	for (size_t i = 0; i < d->nfiles; i++) {
		const struct pl_udiff_file *f = &d->files[i];
		struct pl_buf out = PL_BUF_INIT;
		size_t added = 0;
		int rc;

		if (!f->path || !f->path[0] || f->path[0] == '/' || f->nhunks == 0)
			abort();
		for (size_t h = 0; h < f->nhunks; h++)
			for (size_t k = 0; k < f->hunks[h].nlines; k++)
				if (f->hunks[h].lines[k].kind == '+')
					added += f->hunks[h].lines[k].len + 1;
		pl_err_init(&err);
		rc = pl_udiff_apply(d, f, file, flen, &out, &err);
		if (rc < 0) {
			if (getenv("FUZZ_DEBUG"))
				fprintf(stderr, "%s\n", err.msg);
			if (out.len != 0 || !strstr(err.msg, "hunk #"))
				abort();
		} else if (out.len > flen + added) {
			abort();
		}
		pl_buf_release(&out);
	}
	pl_udiff_free(d);
	return 0;
}
