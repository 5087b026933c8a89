/*
 * Fuzz target: arbitrary bytes as a dependency field, and the same bytes
 * split at the first newline as two versions whose order must be
 * antisymmetric and reflexive, as dpkg's is.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/deb.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int sign(int x)
{
	return x < 0 ? -1 : x > 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pl_err err = PL_ERR_INIT;
	struct pl_deplist l;
	char *s = malloc(size + 1), *nl;

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (pl_deplist_parse(s, "Depends", &l, &err) == 0) {
		for (size_t i = 0; i < l.n; i++) {
			if (l.v[i].nalts == 0)
				abort();
			for (size_t j = 0; j < l.v[i].nalts; j++) {
				const struct pl_dep_alt *a = &l.v[i].alts[j];

				if (!a->name || !a->name[0] || (a->op == PL_DEP_ANY) != !a->version)
					abort();
				(void)pl_dep_version_ok(a, "1:2.3-4~5");
				(void)pl_dep_arch_ok(a, "amd64");
			}
		}
		pl_deplist_release(&l);
	} else if (err.code == 0 || strncmp(err.msg, "Depends: ", 9) != 0) {
		abort();
	}
	nl = memchr(s, '\n', size);
	if (nl) {
		const char *a = s, *b = nl + 1;

		*nl = '\0';
		if (sign(pl_debver_cmp(a, b)) != -sign(pl_debver_cmp(b, a)) ||
		    pl_debver_cmp(a, a) != 0)
			abort();
		pl_err_init(&err);
		if (pl_debver_check(a, &err) < 0 && !err.msg[0])
			abort();
	}
	free(s);
	return 0;
}
