/* The registry options every command that talks to a registry shares. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

void cli_reg_init(struct pl_reg_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->creds.auth_file = getenv("REGISTRY_AUTH_FILE");
	o->creds.runtime_dir = getenv("XDG_RUNTIME_DIR");
	o->creds.config_home = getenv("XDG_CONFIG_HOME");
	o->creds.docker_config = getenv("DOCKER_CONFIG");
	o->creds.home = getenv("HOME");
	o->creds.helper_path = getenv("PATH");
	/* --creds on the command line shows in ps; PLINTH_CREDS does not */
	o->creds.creds = getenv("PLINTH_CREDS");
}

int cli_reg_opt(const char *cmd, int opt, const char *arg, struct pl_reg_opts *o)
{
	char *end;

	switch (opt) {
	case CLI_OPT_CERT_DIR:
		o->cert_dir = arg;
		return 1;
	case CLI_OPT_CACERT:
		o->cacert = arg;
		return 1;
	case CLI_OPT_CREDS:
		if (!strchr(arg, ':'))
			return cli_usage_error(cmd, "--creds wants USER:PASS") ? -1 : -1;
		o->creds.creds = arg;
		return 1;
	case CLI_OPT_TLS_VERIFY:
		if (!arg || strcmp(arg, "true") == 0) {
			o->insecure = false;
		} else if (strcmp(arg, "false") == 0) {
			o->insecure = true;
		} else {
			cli_usage_error(cmd, "--tls-verify is true or false");
			return -1;
		}
		return 1;
	case CLI_OPT_RETRY:
		o->retries = (int)strtol(arg, &end, 10);
		if (*end || o->retries < 0 || o->retries > 100) {
			cli_usage_error(cmd, "--retry-times wants a number from 0 to 100");
			return -1;
		}
		if (o->retries == 0)
			o->retries = -1;
		return 1;
	default:
		return 0;
	}
}
