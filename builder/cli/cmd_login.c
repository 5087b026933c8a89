/* plinth login, logout and tags */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "cli/cli.h"
#include "util/buf.h"

enum { OPT_USER = 'u', OPT_PASS_STDIN = 256, OPT_JSON };

static char *read_secret(const char *prompt)
{
	return cli_read_secret(stdin, stderr, prompt);
}

static const char *host_of(const char *arg)
{
	if (strncmp(arg, "docker://", 9) == 0)
		arg += 9;
	else if (strncmp(arg, "https://", 8) == 0)
		arg += 8;
	return arg;
}

int cmd_login(int argc, char **argv)
{
	static const struct option options[] = {
		{ "username", required_argument, NULL, OPT_USER },
		{ "password-stdin", no_argument, NULL, OPT_PASS_STDIN },
		CLI_REG_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	struct pl_reg_opts o;
	struct pl_registry *r = NULL;
	struct pl_err err = PL_ERR_INIT;
	struct pl_buf creds;
	const char *user = NULL, *host;
	char *pass = NULL, *where = NULL, *uline = NULL;
	bool pass_stdin = false;
	int c, rc = 0;

	cli_reg_init(&o);
	o.creds.creds = NULL;
	while ((c = getopt_long(argc, argv, "u:", options, NULL)) != -1) {
		int k = cli_reg_opt("login", c, optarg, &o);
		if (k < 0)
			return PL_EXIT_USAGE;
		if (k > 0)
			continue;
		if (c == OPT_USER)
			user = optarg;
		else if (c == OPT_PASS_STDIN)
			pass_stdin = true;
		else
			return cli_usage_error("login", "unknown option");
	}
	if (argc - optind != 1)
		return cli_usage_error("login", "want one REGISTRY");
	if (o.creds.creds)
		return cli_usage_error("login", "use --username and --password-stdin, not --creds");
	host = host_of(argv[optind]);
	if (!user) {
		if (pass_stdin || !isatty(STDIN_FILENO))
			return cli_usage_error("login", "--password-stdin needs --username");
		fprintf(stderr, "Username: ");
		uline = read_secret("");
		user = uline;
		if (!user || !*user) {
			free(uline);
			return cli_usage_error("login", "no username given");
		}
	}
	pass = read_secret(pass_stdin ? "" : "Password: ");
	if (!pass || !*pass) {
		free(pass);
		free(uline);
		return cli_usage_error("login", "no password given");
	}
	/* check the credentials before storing them, as docker login does */
	pl_buf_init(&creds, 0);
	rc = pl_buf_addf(&creds, &err, "%s:%s", user, pass);
	o.creds.creds = creds.data;
	if (rc == 0)
		rc = pl_registry_new(&r, host, &o, &err);
	if (rc == 0)
		rc = pl_registry_ping(r, NULL, &err);
	if (rc == 0)
		rc = pl_reg_creds_store(&o.creds, host, user, pass, &where, &err);
	pl_registry_free(r);
	if (creds.data)
		OPENSSL_cleanse(creds.data, creds.len);
	pl_buf_release(&creds);
	OPENSSL_cleanse(pass, strlen(pass));
	free(pass);
	free(uline);
	if (rc < 0) {
		free(where);
		return cli_fail("login", &err);
	}
	printf("Login succeeded: credentials for %s stored in %s\n", host, where);
	free(where);
	return PL_EXIT_OK;
}

int cmd_logout(int argc, char **argv)
{
	struct pl_reg_opts o;
	struct pl_err err = PL_ERR_INIT;
	char *where = NULL;
	int rc;

	cli_reg_init(&o);
	if (argc != 2)
		return cli_usage_error("logout", "want one REGISTRY");
	rc = pl_reg_creds_erase(&o.creds, host_of(argv[1]), &where, &err);
	if (rc < 0)
		return cli_fail("logout", &err);
	printf("Removed the credentials for %s from %s\n", host_of(argv[1]), where);
	free(where);
	return PL_EXIT_OK;
}

int cmd_tags(int argc, char **argv)
{
	static const struct option options[] = {
		{ "json", no_argument, NULL, OPT_JSON },
		CLI_REG_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	struct pl_reg_opts o;
	struct pl_registry *r = NULL;
	struct pl_ref ref = { 0 };
	struct pl_oci_strv tags = { 0 };
	struct pl_err err = PL_ERR_INIT;
	bool json = false;
	int c, rc;

	cli_reg_init(&o);
	while ((c = getopt_long(argc, argv, "", options, NULL)) != -1) {
		int k = cli_reg_opt("tags", c, optarg, &o);
		if (k < 0)
			return PL_EXIT_USAGE;
		if (k > 0)
			continue;
		if (c == OPT_JSON)
			json = true;
		else
			return cli_usage_error("tags", "unknown option");
	}
	if (argc - optind != 1)
		return cli_usage_error("tags", "want one REPOSITORY");
	rc = pl_ref_parse(argv[optind], &ref, &err);
	if (rc == 0 && ref.kind == PL_REF_OCI) {
		struct pl_oci_layout *l = NULL;
		rc = pl_oci_layout_open(&l, ref.path, false, &err);
		if (rc == 0)
			rc = pl_oci_layout_list(l, &tags, &err);
		pl_oci_layout_free(l);
	} else if (rc == 0 && ref.kind == PL_REF_REGISTRY) {
		rc = pl_registry_new(&r, ref.domain, &o, &err);
		if (rc == 0)
			rc = pl_registry_tags(r, ref.path, &tags, &err);
	} else if (rc == 0) {
		rc = pl_err_set(&err, PL_EINVAL, "'%s' is not a repository", argv[optind]);
	}
	if (rc == 0) {
		if (json)
			printf("[");
		for (size_t i = 0; i < tags.n; i++) {
			if (json)
				printf("%s\"%s\"", i ? ", " : "", tags.v[i]);
			else
				printf("%s\n", tags.v[i]);
		}
		if (json)
			printf("]\n");
	}
	pl_oci_strv_release(&tags);
	pl_registry_free(r);
	pl_ref_release(&ref);
	return rc < 0 ? cli_fail("tags", &err) : PL_EXIT_OK;
}
