/*
 * cli: the command table and what the commands share. Only code under cli/
 * prints, exits, or reads argv and the environment; each cmd_<name>.c parses
 * its flags into one options struct, makes one library call and prints.
 */
#ifndef PL_CLI_H
#define PL_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "lib/registry.h"
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
int cmd_copy(int argc, char **argv);
int cmd_login(int argc, char **argv);
int cmd_logout(int argc, char **argv);
int cmd_tags(int argc, char **argv);
int cmd_plan(int argc, char **argv);
int cmd_keygen(int argc, char **argv);
int cmd_sign(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_attestations(int argc, char **argv);
int cmd_rollout(int argc, char **argv);
int cmd_history(int argc, char **argv);
int cmd_advisory(int argc, char **argv);

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

/*
 * The registry options (--cert-dir, --cacert, --creds, --tls-verify,
 * --retry-times): CLI_REG_OPTIONS goes into a command's getopt table;
 * cli_reg_init fills o from the environment (credential files, helpers);
 * cli_reg_opt handles one parsed option: 1 when it was one of them, 0 when
 * not, -1 after reporting a usage error.
 */
enum {
	CLI_OPT_CERT_DIR = 200,
	CLI_OPT_CACERT,
	CLI_OPT_CREDS,
	CLI_OPT_TLS_VERIFY,
	CLI_OPT_RETRY,
};
#define CLI_REG_OPTIONS                                                   \
	{ "cert-dir", required_argument, NULL, CLI_OPT_CERT_DIR },        \
	{ "cacert", required_argument, NULL, CLI_OPT_CACERT },            \
	{ "creds", required_argument, NULL, CLI_OPT_CREDS },              \
	{ "tls-verify", optional_argument, NULL, CLI_OPT_TLS_VERIFY },    \
	{ "retry-times", required_argument, NULL, CLI_OPT_RETRY }
#define CLI_REG_HELP                                                                          \
	"  --cert-dir DIR         CA certificates (*.crt) and a client pair (*.cert, *.key)\n"   \
	"                         (default /etc/containers/certs.d/HOST when it exists)\n"        \
	"  --cacert FILE          also trust the CA certificates in FILE\n"                      \
	"  --creds USER:PASS      credentials (or PLINTH_CREDS); default: plinth login's\n"      \
	"  --tls-verify=false     allow plain HTTP and unverified TLS (loopback registries\n"     \
	"                         fall back to plain HTTP by themselves)\n"                       \
	"  --retry-times N        retries of a failed request (default 5, with backoff)\n"

void cli_reg_init(struct pl_reg_opts *o);

/*
 * A passphrase: the first line of file, else $PLINTH_PASSWORD, else typed
 * on the terminal (twice with confirm). NULL with *none when there is no
 * way to ask; NULL without after printing an error. Free with cli_wipe.
 */
char *cli_passphrase(const char *file, bool confirm, bool *none);
/* A line from in without its newline; on a terminal the prompt goes to out and echo is off. */
char *cli_read_secret(FILE *in, FILE *out, const char *prompt);
void cli_wipe(char *secret);
int cli_reg_opt(const char *cmd, int opt, const char *arg, struct pl_reg_opts *o);

#endif
