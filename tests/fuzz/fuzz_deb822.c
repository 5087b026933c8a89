/*
 * Fuzz target: arbitrary bytes as deb822 control data (Packages, status,
 * control files). Every paragraph handed out must be well formed: names
 * non-empty and unique (case-insensitively), line numbers increasing.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/deb.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int check_para(const struct pl_deb822_para *p, void *ctx, struct pl_err *err)
{
	int *last = ctx;

	(void)err;
	if (p->n == 0 || p->line <= *last)
		abort();
	for (size_t i = 0; i < p->n; i++) {
		const struct pl_deb822_field *f = &p->fields[i];

		if (!f->name[0] || f->line < p->line || (i && f->line <= p->fields[i - 1].line))
			abort();
		if (pl_deb822_get(p, f->name) != f->value)
			abort(); /* a duplicate slipped through */
		(void)strlen(f->value);
		*last = f->line;
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pl_err err = PL_ERR_INIT;
	int last = 0;

	if (pl_deb822_parse((const char *)data, size, "fuzz", check_para, &last, &err) < 0) {
		if (err.code == 0 || strncmp(err.msg, "fuzz:", 5) != 0)
			abort(); /* every failure says where */
	}
	return 0;
}
