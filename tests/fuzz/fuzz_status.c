/*
 * Fuzz target: arbitrary bytes as a dpkg status file (pl_pkgdb_parse), and
 * the same bytes as a maintainer script for the update-alternatives scanner
 * (pl_alt_scan). Every parsed package must carry a name, source and status
 * consistent with its paragraph; every failure must say why.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/pkgdb.h"
#include "util/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pl_err err = PL_ERR_INIT;
	struct pl_alt_list l = {NULL, 0};
	struct pl_pkgdb db;
	char *script;

	pl_log_set_level(PL_LOG_QUIET);
	pl_pkgdb_init(&db);
	if (pl_pkgdb_parse(&db, (const char *)data, size, "fuzz", size && (data[0] & 1), &err) ==
	    0) {
		for (size_t i = 0; i < db.n; i++) {
			const struct pl_pkg *p = &db.pkgs[i];

			if (!p->name[0] || !p->source[0] || strcmp(p->file, "fuzz") != 0)
				abort();
			if (p->installed && !p->version[0])
				abort();
			if (pl_pkg_get(p, "package") == NULL)
				abort();
		}
	} else if (err.code == 0 || !err.msg[0]) {
		abort();
	}
	pl_pkgdb_release(&db);

	script = malloc(size + 1);
	if (!script)
		abort();
	memcpy(script, data, size);
	script[size] = '\0';
	pl_err_init(&err);
	if (pl_alt_scan(script, "fuzz", &l, &err) < 0)
		abort(); /* only allocation failure is an error */
	for (size_t i = 0; i < l.n; i++)
		if (l.v[i].link[0] != '/' || l.v[i].path[0] != '/' || strchr(l.v[i].name, '/'))
			abort();
	pl_alt_list_release(&l);
	free(script);
	return 0;
}
