/*
 * cli: the command table and what the commands share. Only code under cli/
 * prints, exits, or reads argv and the environment; each cmd_<name>.c parses
 * its flags into one options struct, makes one library call and prints.
 */
#ifndef PL_CLI_H
#define PL_CLI_H

#include "util/err.h"

#define PL_EXIT_OK 0
#define PL_EXIT_FAIL 1
#define PL_EXIT_USAGE 2
#define PL_EXIT_POLICY 3 /* the vulnerability policy refused the image */

struct pl_cmd {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
	const char *usage; /* full help text shown by `plinth help NAME` */
};

int cmd_lint(int argc, char **argv);
int cmd_lock(int argc, char **argv);
int cmd_vulndb(int argc, char **argv);
int cmd_scan(int argc, char **argv);
int cmd_sbom(int argc, char **argv);
int cmd_patch(int argc, char **argv);
int cmd_build(int argc, char **argv);
int cmd_inspect(int argc, char **argv);

struct pl_build_result;
/* Print a build result: a line per ref with its digest, patches and scan summary. */
void cli_print_build(const struct pl_build_result *res);

/* Look up a command by name; NULL when unknown. */
const struct pl_cmd *cli_find(const char *name);

/* Print a command's help to stdout. */
void cli_help(const struct pl_cmd *c);

/* Report a usage error for cmd and return PL_EXIT_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...) PL_PRINTF(2, 3);

/* Print "plinth: <cmd>: <msg>" and map err->code to an exit code. */
int cli_fail(const char *cmd, const struct pl_err *err);

/* Directory for caches: $PLINTH_CACHE, $XDG_CACHE_HOME/plinth or ~/.cache/plinth (malloc'd). */
char *cli_cache_dir(void);

/* SOURCE_DATE_EPOCH when set and valid; returns 1 when set, 0 when not, -1 if invalid. */
int cli_source_date_epoch(long long *out);

#endif
