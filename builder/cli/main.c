/* plinth: the command table, global options and help. */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "util/log.h"

/* push, pull and copy are one command: one description. */
#define COPY_HELP                                                                             \
	"Copy the image SOURCE to DESTINATION, each an OCI layout (oci:DIR[:REF]) or a registry\n"\
	  "reference (HOST[:PORT]/REPO[:TAG|@DIGEST], docker:// optional), like skopeo copy.\n"\
	  "Every platform of a multi-platform index is copied; manifests travel byte for byte, so\n"\
	  "digests are preserved (Docker schema 2 images stay Docker). Blobs the destination has\n"\
	  "are skipped, blobs another repository of the same registry holds are mounted, large\n"\
	  "ones go in resumable chunks, several at once; the top manifest is written last, so a\n"\
	  "tag never points at an incomplete image. push, pull and copy are the same command.\n"\
	  "\n"\
	  "  --json                 print the digest, the blobs and the bytes sent\n"\
	  "  --parallel N           blobs in flight at once (default 4)\n"\
	  CLI_REG_HELP

static const struct pl_cmd commands[] = {
	{ "advisory", cmd_advisory, "write the bulletin for one patch: what it fixes, what to pull",
	  "usage: plinth advisory [--ledger PATH] [--format md|json|html] [--out FILE]\n"
	  "                       [--keys DIR] [--cosign-key FILE] PATCH-ID\n"
	  "\n"
	  "The bulletin developers receive about a central patch, from the build ledger: what\n"
	  "it fixes (CVEs, severity, advisory), which images and tags carry it with their new\n"
	  "digests and where they were published, how to pull and verify them by digest\n"
	  "(plinth pull, plinth verify, cosign verify), and which images are still built but\n"
	  "unpublished, pending or failed. The HTML form is one self-contained page.\n"
	  "\n"
	  "  --ledger PATH          the build ledger (default $PLINTH_LEDGER, else\n"
	  "                         ~/.cache/plinth/ledger.db)\n"
	  "  --format FORMAT        md (default), json or html\n"
	  "  --out FILE             write to FILE (atomically) instead of stdout\n"
	  "  --keys DIR             trusted keys directory named in the verify commands (keys/)\n"
	  "  --cosign-key FILE      public key named in the cosign command (keys/cosign.pub)\n" },
	{ "attestations", cmd_attestations, "list and print an image's verified attestations",
	  "usage: plinth attestations [--type TYPE] [--json] [--key PUB | --keys DIR] [OPTIONS] REF\n"
	  "\n"
	  "The DSSE attestations stored with the image (its sha256-<hex>.att, as cosign stores\n"
	  "them), each verified against the trusted keys: SBOMs (https://spdx.dev/Document,\n"
	  "https://cyclonedx.org/bom), the scan report (https://cosign.sigstore.dev/attestation/\n"
	  "vuln/v1), SLSA provenance (https://slsa.dev/provenance/v1) and the patch record\n"
	  "(https://plinth.dev/patch-record/v1). --type prints that predicate.\n"
	  "\n"
	  CLI_REG_HELP },
	{ "build", cmd_build, "build images from recipes at a commit",
	  "usage: plinth build [--repo PATH|URL] [--ref REF] [--out oci:DIR] [--all | RECIPE...]\n"
	  "                    [--zstd] [--json] [--check-reproducible] [--offline] [--update-lock]\n"
	  "                    [--jobs N] [--force] [--ledger PATH] [--push REGISTRY/NAMESPACE]\n"
	  "                    [REGISTRY OPTIONS]\n"
	  "\n"
	  "Build each RECIPE (a name under recipes/, or --all) from the curation repo at REF\n"
	  "into the OCI image layout DIR, tagged NAME:TAG for each of the recipe's tags.\n"
	  "Recipes, files and tarballs are read from git objects at the commit, never from the\n"
	  "work tree. The commit time is the build epoch unless SOURCE_DATE_EPOCH is set.\n"
	  "\n"
	  "  --repo PATH|URL        curation repo (default: the repository around the current directory)\n"
	  "  --ref REF              branch, tag or commit (default HEAD)\n"
	  "  --out oci:DIR          OCI layout to write (default oci:out/images)\n"
	  "  --all                  build every recipe in recipes/\n"
	  "  --zstd                 compress layers with zstd instead of gzip\n"
	  "  --json                 print a machine-readable result\n"
	  "  --check-reproducible   build a second time in a scratch layout and compare every digest\n"
	  "  --cache DIR            cache for clones, downloads and file contents (~/.cache/plinth)\n"
	  "  --offline              use only cached downloads; say what is missing\n"
	  "  --update-lock          resolve packages afresh instead of using recipes/NAME.lock.json\n"
	  "  --db PATH              vulnerability database for the gate (default plinth.yaml's)\n"
	  "  --jobs N               build N recipes at once (default 1); a failing recipe does not\n"
	  "                         stop the others, the summary says how each went\n"
	  "  --force                rebuild recipes whose inputs are unchanged since their last\n"
	  "                         successful build (otherwise they are reported 'unchanged')\n"
	  "  --ledger PATH          the build ledger to record in (default plinth.yaml's ledger.path)\n"
	  "  --sign                 sign every image (and attest its SBOMs, scan report, provenance\n"
	  "                         and patch record) with plinth.yaml's signing.key, after the gate\n"
	  "                         and before any tag is published\n"
	  "  --key KEY              sign with this private key (implies --sign); the passphrase\n"
	  "                         comes from --password-file, $PLINTH_PASSWORD or a prompt\n"
	  "  --push REGISTRY/NS     publish every image under each of its tags to REGISTRY/NS/NAME:TAG\n"
	  "                         after every check passed (blobs first, the tag last)\n"
	  CLI_REG_HELP
	  "\n"
	  "Every image is scanned after assembly against the vulnerability database and the\n"
	  "recipe's policy (default plinth.yaml's) is applied before any layer is written: an\n"
	  "image that breaks it is refused (exit 3) and nothing of it is tagged.\n" },
	{ "copy", cmd_copy, "copy an image between OCI layouts and registries",
	  "usage: plinth copy [OPTIONS] SOURCE DESTINATION\n"
	  "\n"
	  COPY_HELP },
	{ "history", cmd_history, "list an image's builds: outcome, digest, findings, patches",
	  "usage: plinth history [--ledger PATH] [--format table|json] IMAGE\n"
	  "\n"
	  "Every recorded build of IMAGE (a recipe name), newest first: when it finished, its\n"
	  "outcome, image digest, commit, findings by severity before and after patching\n"
	  "(critical/high/medium/low), the patches it applied, where it was published and why\n"
	  "it failed. An image the ledger never saw is an error (exit 1).\n"
	  "\n"
	  "  --ledger PATH          the build ledger (default $PLINTH_LEDGER, else\n"
	  "                         ~/.cache/plinth/ledger.db)\n"
	  "  --format FORMAT        table (default) or json\n" },
	{ "inspect", cmd_inspect, "show an image's manifest, layers, config and annotations",
	  "usage: plinth inspect [--json] [OPTIONS] oci:DIR:REF | HOST/REPO[:TAG|@DIGEST]\n"
	  "\n"
	  "Print the manifest digest, the layers, the config and the annotations of an image\n"
	  "in an OCI layout or a registry (pulled into the cache first). REF is a tag (ref name)\n"
	  "or a manifest digest.\n"
	  "\n"
	  "  --json                 print the manifest, config and digest as one JSON object\n"
	  CLI_REG_HELP },
	{ "keygen", cmd_keygen, "make an ECDSA P-256 signing key pair",
	  "usage: plinth keygen [--password-file FILE] PREFIX\n"
	  "\n"
	  "Write PREFIX.key (encrypted PKCS#8 PEM, mode 0600) and PREFIX.pub (PEM) as cosign\n"
	  "names them, and print the key id (sha256 of the public key). The passphrase comes\n"
	  "from --password-file, $PLINTH_PASSWORD or a prompt; an empty one writes the key\n"
	  "unencrypted, with a warning. Put PREFIX.pub in keys/ of the curation repo.\n" },
	{ "lock", cmd_lock, "resolve recipes' packages and write their lock files",
	  "usage: plinth lock [--repo PATH] [--ref REF] [--offline] [--all | RECIPE...]\n"
	  "\n"
	  "Resolve the packages of each RECIPE (default: every recipe that has packages) at REF\n"
	  "against its repositories and write recipes/NAME.lock.json into the work tree: exact\n"
	  "versions, URLs, sizes and sha256 for every architecture of the recipe. Commit it;\n"
	  "plinth build then installs exactly those files.\n" },
	{ "lint", cmd_lint, "validate recipes, patches and plinth.yaml at a commit",
	  "usage: plinth lint [--repo PATH|URL] [--ref REF] [RECIPE...]\n"
	  "\n"
	  "Check plinth.yaml, every patch under patches/ and each RECIPE (default: all recipes)\n"
	  "as committed at REF. Prints every problem as file:line:col: message.\n" },
	{ "login", cmd_login, "store credentials for a registry",
	  "usage: plinth login [--username USER] [--password-stdin] [OPTIONS] REGISTRY\n"
	  "\n"
	  "Check the credentials against REGISTRY, then store them where docker and podman\n"
	  "read them: $REGISTRY_AUTH_FILE when set, else the docker config ($DOCKER_CONFIG or\n"
	  "~/.docker/config.json; through its credsStore helper when it names one). The password\n"
	  "is read from stdin (without echo on a terminal), never from the command line.\n"
	  "\n"
	  CLI_REG_HELP },
	{ "logout", cmd_logout, "remove the stored credentials for a registry",
	  "usage: plinth logout REGISTRY\n" },
	{ "patch", cmd_patch, "apply the central patches to an existing image",
	  "usage: plinth patch [--repo PATH|URL] [--ref REF] [--patch ID]... [--arch ARCH]\n"
	  "                    [--db PATH] TARGET --out oci:DIR:REF\n"
	  "       plinth patch --plan [--json] [--all | RECIPE...]\n"
	  "\n"
	  "Apply the curation repo's central patches (patches/*.yaml at REF) that match the\n"
	  "image TARGET (oci:DIR:REF) as one patch layer on top of its unchanged layers, without\n"
	  "its recipe: the bring-your-own-image path. A patch layer Plinth added before is\n"
	  "replaced, not stacked. The result is scanned and gated like a build, and tagged\n"
	  "REF in the layout DIR. --patch limits it to the given ids.\n"
	  "\n"
	  "--plan lists, without building, which patches apply to each recipe (matched on its\n"
	  "lock, name and labels) and what each would do.\n" },
	{ "plan", cmd_plan, "which images need a rebuild and why, as a CI job matrix",
	  "usage: plinth plan [--repo PATH|URL] [--ref REF] [--ledger PATH] [--out oci:DIR] [--json]\n"
	  "                   [--all | RECIPE...]\n"
	  "\n"
	  "Compare each recipe's inputs at REF with its last successful build in the ledger and\n"
	  "say why it needs a rebuild: never built, the recipe or its lock changed, a new patch\n"
	  "applies, the base image changed, the vulnerability database changed (when the gate\n"
	  "uses it), or its image is gone from the layout. --json adds \"matrix\": {\"include\":\n"
	  "[{\"recipe\", \"reasons\"}]}, which a CI system fans out over, one\n"
	  "'plinth build RECIPE' per entry (see docs/fleet.md).\n" },
	{ "pull", cmd_copy, "copy an image from a registry, verifying its signatures",
	  "usage: plinth pull [--key PUB | --keys DIR] [--insecure-skip-verify] [OPTIONS] SOURCE\n"
	  "                   DESTINATION\n"
	  "\n"
	  "Like copy, but when plinth.yaml's trust.images covers SOURCE's repository (or --key\n"
	  "or --keys is given) every manifest of the image must be signed by a trusted key, else\n"
	  "nothing is written (exit 1). trust.default: deny refuses repositories no rule covers.\n"
	  "--insecure-skip-verify skips the check, with a warning.\n"
	  "\n"
	  COPY_HELP },
	{ "push", cmd_copy, "copy an image to a registry (same as copy)",
	  "usage: plinth push [OPTIONS] SOURCE DESTINATION\n"
	  "\n"
	  COPY_HELP },
	{ "rollout", cmd_rollout, "show which patch has reached which image",
	  "usage: plinth rollout [--ledger PATH] [--format table|json|html|md] [--out FILE]\n"
	  "                      [PATCH-ID...]\n"
	  "\n"
	  "The rollout of the central patches across the images, from the build ledger. Each\n"
	  "(patch, image) cell is published (digest, when, where), built (not yet published),\n"
	  "pending (no build since the patch appeared took it), failed (the newest build failed,\n"
	  "with the reason) or not-applicable; a published or built cell whose image's newest\n"
	  "build failed is marked too. Without ids: every patch in the ledger by every image.\n"
	  "\n"
	  "The table is a line per patch with counts by state, or with PATCH-IDs every image's\n"
	  "state, digest, time, commit and where it went. html writes one self-contained page\n"
	  "(no external assets): the patches-by-images matrix coloured by state, filters by\n"
	  "state and name, and each cell's build on a click. json is for tools.\n"
	  "\n"
	  "  --ledger PATH          the build ledger (default $PLINTH_LEDGER, else\n"
	  "                         ~/.cache/plinth/ledger.db)\n"
	  "  --format FORMAT        table (default), json, html or md\n"
	  "  --out FILE             write to FILE (atomically) instead of stdout\n"
	  "\n"
	  "An unknown PATCH-ID is an error (exit 1).\n" },
	{ "scan", cmd_scan, "list the known vulnerabilities of an image, and gate on them",
	  "usage: plinth scan [--db PATH] [--format table|json|sarif] [--fail-on SEVERITY]\n"
	  "                   [--ignore-unfixed] [--arch ARCH] oci:DIR:REF | rootfs:DIR\n"
	  "\n"
	  "Read the image's package database (dpkg status and status.d/, or apk's installed\n"
	  "database) and os-release, and match every package against the offline vulnerability\n"
	  "database (default: plinth.yaml's vulndb.path). Each finding says why: the versions\n"
	  "compared, the feed and record. In a curation repo, .plinthignore.yaml at the commit\n"
	  "is applied (expired entries are reported and no longer apply).\n"
	  "\n"
	  "  --fail-on SEVERITY  exit 3 when a finding at or above SEVERITY (low, medium, high,\n"
	  "                      critical) is not ignored\n"
	  "  --ignore-unfixed    only findings with a fixed version count for --fail-on\n"
	  "  --arch ARCH         the platform of a multi-architecture image (default amd64)\n" },
	{ "sbom", cmd_sbom, "write an SPDX or CycloneDX SBOM of an image",
	  "usage: plinth sbom [--format spdx|cyclonedx] [--name NAME] [--arch ARCH]\n"
	  "                   oci:DIR:REF | rootfs:DIR\n"
	  "\n"
	  "SPDX 2.3 or CycloneDX 1.5 JSON of the installed packages, with package URLs\n"
	  "(pkg:deb/debian/..., pkg:apk/alpine/...), licenses where the packages declare them,\n"
	  "and the image and its digest as the described artifact.\n" },
	{ "sign", cmd_sign, "sign an image as cosign does",
	  "usage: plinth sign --key KEY [--password-file FILE] [OPTIONS] REF\n"
	  "\n"
	  "Sign the image REF (oci:DIR:REF or a registry reference) and, for a multi-platform\n"
	  "image, each platform's manifest: a cosign simple-signing payload naming the repository\n"
	  "and the manifest digest (with the image's recipe, commit and patches as claims),\n"
	  "ECDSA P-256, stored as a layer of the manifest tagged sha256-<hex>.sig in the same\n"
	  "repository or layout. Signatures already there are kept.\n"
	  "\n"
	  CLI_REG_HELP },
	{ "tags", cmd_tags, "list the tags of a repository",
	  "usage: plinth tags [--json] [OPTIONS] HOST[:PORT]/REPO | oci:DIR\n"
	  "\n"
	  "List every tag of the repository (all pages), sorted, or the ref names of a layout.\n"
	  "\n"
	  CLI_REG_HELP },
	{ "verify", cmd_verify, "check an image's signatures against trusted keys",
	  "usage: plinth verify [--key PUB | --keys DIR] [--identity REPO] [--json] [OPTIONS] REF\n"
	  "\n"
	  "Every manifest of the image (an index and each platform) must carry a signature by a\n"
	  "trusted key whose payload names that manifest's digest and the image's repository.\n"
	  "Trusted keys: --key, every public key in --keys DIR, else the keys plinth.yaml's\n"
	  "trust.images rule names for the repository. Prints who signed and the claims; exit 1\n"
	  "when the image is unsigned or wrongly signed.\n"
	  "\n"
	  CLI_REG_HELP },
	{ "vulndb", cmd_vulndb, "import and update the offline vulnerability database",
	  "usage: plinth vulndb import --db PATH [--kind osv|debian|alpine|auto] SOURCE...\n"
	  "       plinth vulndb update [--db PATH] [--repo PATH|URL] [--ref REF] [--offline]\n"
	  "                            [--changelogs]\n"
	  "       plinth vulndb info --db PATH\n"
	  "\n"
	  "import reads OSV records (a file, a directory or a .zip as osv.dev publishes them),\n"
	  "the Debian security tracker JSON, or Alpine secdb files into the SQLite database at\n"
	  "PATH, incrementally: a feed already imported is skipped, a changed one replaces its\n"
	  "rows. update fetches the feeds plinth.yaml lists (vulndb: feeds:) into the database\n"
	  "plinth.yaml names (vulndb: path:) unless --db is given. With --changelogs it also reads\n"
	  "the Debian changelog of the newest version of every package the recipes install, in\n"
	  "their own repositories, and records each CVE an entry names as fixed in that entry's\n"
	  "version: what an air-gapped mirror alone can tell. info lists the feeds and the\n"
	  "snapshot digest every scan report names.\n" },
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

const struct pl_cmd *cli_find(const char *name)
{
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

void cli_help(const struct pl_cmd *c)
{
	fputs(c->usage, stdout);
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "plinth: %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'plinth help %s'.\n", cmd);
	return PL_EXIT_USAGE;
}

int cli_fail(const char *cmd, const struct pl_err *err)
{
	fprintf(stderr, "plinth: %s: %s\n", cmd, err->msg[0] ? err->msg : pl_err_name(err->code));
	return err->code == PL_EUSAGE ? PL_EXIT_USAGE : PL_EXIT_FAIL;
}

char *cli_cache_dir(void)
{
	const char *v = getenv("PLINTH_CACHE");
	char *p = NULL;

	if (v && *v)
		return strdup(v);
	v = getenv("XDG_CACHE_HOME");
	if (v && *v) {
		if (asprintf(&p, "%s/plinth", v) < 0)
			return NULL;
		return p;
	}
	v = getenv("HOME");
	if (asprintf(&p, "%s/.cache/plinth", v && *v ? v : "/tmp") < 0)
		return NULL;
	return p;
}

int cli_source_date_epoch(long long *out)
{
	const char *v = getenv("SOURCE_DATE_EPOCH");
	char *end;
	long long n;

	if (!v || !*v)
		return 0;
	errno = 0;
	n = strtoll(v, &end, 10);
	if (errno || *end || n < 0)
		return -1;
	*out = n;
	return 1;
}

static void usage(FILE *f)
{
	fputs("usage: plinth [-v|-q] COMMAND [ARGS]\n"
	      "\n"
	      "Plinth builds curated, reproducible, signed OCI base images from recipes in git.\n"
	      "\n"
	      "Commands:\n", f);
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fputs("\n"
	      "Exit codes: 0 success, 1 failure, 2 usage error, 3 refused by the vulnerability\n"
	      "policy (scan --fail-on, build).\n"
	      "\n"
	      "Options:\n"
	      "  -v, --verbose   more messages (repeat for debug)\n"
	      "  -q, --quiet     only errors\n"
	      "  -h, --help      this help; 'plinth help COMMAND' for one command\n"
	      "  --version       print the version\n", f);
}

int main(int argc, char **argv)
{
	enum pl_log_level level = PL_LOG_WARN;
	const struct pl_cmd *c;
	int i;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) {
			level = level < PL_LOG_INFO ? PL_LOG_INFO : PL_LOG_DEBUG;
		} else if (!strcmp(a, "-vv")) {
			level = PL_LOG_DEBUG;
		} else if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
			level = PL_LOG_QUIET;
		} else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			return PL_EXIT_OK;
		} else if (!strcmp(a, "--version")) {
			printf("plinth %s\n", PL_VERSION);
			return PL_EXIT_OK;
		} else {
			fprintf(stderr, "plinth: unknown option '%s'\n", a);
			usage(stderr);
			return PL_EXIT_USAGE;
		}
	}
	pl_log_set_level(level);
	if (i >= argc) {
		usage(stderr);
		return PL_EXIT_USAGE;
	}
	if (!strcmp(argv[i], "help")) {
		if (i + 1 >= argc) {
			usage(stdout);
			return PL_EXIT_OK;
		}
		c = cli_find(argv[i + 1]);
		if (!c) {
			fprintf(stderr, "plinth: no command '%s'\n", argv[i + 1]);
			return PL_EXIT_USAGE;
		}
		cli_help(c);
		return PL_EXIT_OK;
	}
	c = cli_find(argv[i]);
	if (!c) {
		fprintf(stderr, "plinth: no command '%s'\n", argv[i]);
		usage(stderr);
		return PL_EXIT_USAGE;
	}
	for (int j = i + 1; j < argc; j++) {
		if (!strcmp(argv[j], "--"))
			break;
		if (!strcmp(argv[j], "-h") || !strcmp(argv[j], "--help")) {
			cli_help(c);
			return PL_EXIT_OK;
		}
	}
	optind = 1;
	return c->run(argc - i, argv + i);
}
