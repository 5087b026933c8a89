/* plinth keygen, sign, verify and attestations */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "cli/cli.h"
#include "lib/pipeline.h"
#include "lib/sign.h"
#include "util/buf.h"
#include "util/fsutil.h"
#include "util/json.h"

enum { OPT_KEY = 256, OPT_KEYS, OPT_PASSFILE, OPT_TYPE, OPT_JSON, OPT_IDENTITY };

int cmd_keygen(int argc, char **argv)
{
	static const struct option options[] = {
		{ "password-file", required_argument, NULL, OPT_PASSFILE },
		{ NULL, 0, NULL, 0 },
	};
	struct pl_err err = PL_ERR_INIT;
	struct pl_sign_key *key = NULL;
	const char *pfile = NULL;
	char *pass = NULL, id[PL_DIGEST_SIZE];
	bool none;
	int c, rc;

	while ((c = getopt_long(argc, argv, "", options, NULL)) != -1) {
		if (c == OPT_PASSFILE)
			pfile = optarg;
		else
			return cli_usage_error("keygen", "unknown option");
	}
	if (argc - optind != 1)
		return cli_usage_error("keygen", "want one PREFIX (writes PREFIX.key and PREFIX.pub)");
	pass = cli_passphrase(pfile, true, &none);
	if (!pass && !none)
		return PL_EXIT_FAIL;
	if (!pass || !*pass)
		fprintf(stderr, "plinth: keygen: warning: no passphrase: %s.key is written "
				"unencrypted\n",
			argv[optind]);
	rc = pl_sign_keygen(&key, &err);
	if (rc == 0)
		rc = pl_sign_key_write(key, argv[optind], pass, pass ? strlen(pass) : 0, &err);
	cli_wipe(pass);
	if (rc == 0) {
		pl_sign_key_id(key, id);
		printf("%s.key (private, 0600)\n%s.pub (public: put it in keys/ of the curation "
		       "repo)\nkey id %s\n",
		       argv[optind], argv[optind], id);
	}
	pl_sign_key_free(key);
	return rc < 0 ? cli_fail("keygen", &err) : PL_EXIT_OK;
}

static const struct option trust_options[] = {
	{ "key", required_argument, NULL, OPT_KEY },
	{ "keys", required_argument, NULL, OPT_KEYS },
	{ "password-file", required_argument, NULL, OPT_PASSFILE },
	{ "type", required_argument, NULL, OPT_TYPE },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "identity", required_argument, NULL, OPT_IDENTITY },
	CLI_REG_OPTIONS,
	{ NULL, 0, NULL, 0 },
};

struct topts {
	struct pl_trust_opts t;
	struct pl_reg_opts reg;
	const char *pfile, *type;
	bool json;
	char *cache;
};

static int parse(const char *cmd, int argc, char **argv, struct topts *o)
{
	int c, k;

	memset(o, 0, sizeof(*o));
	cli_reg_init(&o->reg);
	o->t.src.reg = &o->reg;
	while ((c = getopt_long(argc, argv, "", trust_options, NULL)) != -1) {
		if ((k = cli_reg_opt(cmd, c, optarg, &o->reg)) != 0) {
			if (k < 0)
				return PL_EXIT_USAGE;
			continue;
		}
		switch (c) {
		case OPT_KEY: o->t.key = optarg; break;
		case OPT_KEYS: o->t.keys_dir = optarg; break;
		case OPT_PASSFILE: o->pfile = optarg; break;
		case OPT_TYPE: o->type = optarg; break;
		case OPT_JSON: o->json = true; break;
		case OPT_IDENTITY: o->t.identity = optarg; break;
		default: return cli_usage_error(cmd, "unknown option");
		}
	}
	if (argc - optind != 1)
		return cli_usage_error(cmd, "want one image reference");
	o->t.src.cache_dir = o->cache = cli_cache_dir();
	return 0;
}

int cmd_sign(int argc, char **argv)
{
	struct topts o;
	struct pl_err err = PL_ERR_INIT;
	struct pl_oci_strv ds = { 0 };
	char *pass = NULL, id[PL_DIGEST_SIZE];
	bool none;
	int rc = parse("sign", argc, argv, &o);

	if (rc)
		return rc;
	if (!o.t.key) {
		free(o.cache);
		return cli_usage_error("sign", "--key PATH names the private key");
	}
	pass = cli_passphrase(o.pfile, false, &none);
	if (!pass && !none) {
		free(o.cache);
		return PL_EXIT_FAIL;
	}
	o.t.pass = pass;
	o.t.passlen = pass ? strlen(pass) : 0;
	rc = pl_sign_ref(&o.t, argv[optind], &ds, id, &err);
	cli_wipe(pass);
	free(o.cache);
	if (rc < 0)
		return cli_fail("sign", &err);
	for (size_t i = 0; i < ds.n; i++)
		printf("signed %s\n", ds.v[i]);
	printf("key id %s\n", id);
	pl_oci_strv_release(&ds);
	return PL_EXIT_OK;
}

int cmd_verify(int argc, char **argv)
{
	struct topts o;
	struct pl_err err = PL_ERR_INIT;
	struct pl_verified v;
	int rc = parse("verify", argc, argv, &o);

	if (rc)
		return rc;
	rc = pl_verify_ref(&o.t, argv[optind], &v, &err);
	free(o.cache);
	if (rc < 0)
		return cli_fail("verify", &err);
	if (o.json) {
		json_t *a = json_array();
		struct pl_buf b = PL_BUF_INIT;

		for (size_t i = 0; i < v.n; i++)
			json_array_append_new(a, json_pack("{s:s, s:s, s:s, s:s, s:O}", "digest",
							   v.sigs[i].digest, "key", v.sigs[i].key,
							   "keyId", v.sigs[i].key_id, "identity",
							   v.sigs[i].identity, "optional",
							   v.sigs[i].optional));
		if (pl_json_dump_pretty(a, &b, &err) == 0)
			fputs(b.data, stdout);
		pl_buf_release(&b);
		json_decref(a);
	} else {
		for (size_t i = 0; i < v.n; i++) {
			const char *k;
			json_t *val;

			printf("%s: signed by %s (%.19s) as %s\n", v.sigs[i].digest, v.sigs[i].key,
			       v.sigs[i].key_id, v.sigs[i].identity);
			json_object_foreach(v.sigs[i].optional, k, val)
				if (json_is_string(val))
					printf("  %s: %s\n", k, json_string_value(val));
		}
	}
	pl_verified_release(&v);
	return PL_EXIT_OK;
}

int cmd_attestations(int argc, char **argv)
{
	struct topts o;
	struct pl_err err = PL_ERR_INIT;
	struct pl_buf b = PL_BUF_INIT;
	json_t *list = NULL, *e;
	size_t i;
	int rc = parse("attestations", argc, argv, &o);

	if (rc)
		return rc;
	rc = pl_attestations_ref(&o.t, argv[optind], o.type, &list, &err);
	free(o.cache);
	if (rc < 0)
		return cli_fail("attestations", &err);
	if (o.json || o.type) {
		rc = pl_json_dump_pretty(o.type && json_array_size(list) == 1
						 ? json_object_get(json_array_get(list, 0), "predicate")
						 : list,
					 &b, &err);
		if (rc == 0)
			fputs(b.data, stdout);
	} else {
		json_array_foreach(list, i, e)
			printf("%s  signed by %s\n",
			       json_string_value(json_object_get(e, "predicateType")),
			       json_string_value(json_object_get(e, "signedBy")));
	}
	pl_buf_release(&b);
	json_decref(list);
	return rc < 0 ? cli_fail("attestations", &err) : PL_EXIT_OK;
}
