/*
 * apt internals shared by the module's files: the string arena, the package
 * index (name -> versions and providers) and the opened repositories.
 */
#ifndef PL_APT_INTERNAL_H
#define PL_APT_INTERNAL_H

#include <stddef.h>

#include "lib/apt.h"
#include "lib/deb.h"

/* Bump allocator for the index's many small strings; freed all at once. */
struct apt_arena {
	struct apt_block *head;
};

void *apt_arena_alloc(struct apt_arena *ar, size_t n);
char *apt_arena_strndup(struct apt_arena *ar, const char *s, size_t n);
char *apt_arena_strdup(struct apt_arena *ar, const char *s);
void apt_arena_release(struct apt_arena *ar);

/* A package with the index's private bookkeeping; pub comes first. */
struct apt_pkg {
	struct pl_apt_pkg pub;
	size_t id;  /* index into pl_apt.pkgs */
	size_t ent; /* index of its name entry */
};

/* Something that Provides a name, with the provided version or NULL. */
struct apt_prov {
	const struct apt_pkg *pkg;
	const char *version;
};

/* Everything known under one name: real versions and providers. */
struct apt_ent {
	const char *name;
	const struct pl_apt_pkg **v; /* sorted: version desc, repo asc */
	size_t n, cap;
	struct apt_prov *prov; /* sorted: priority, provider name asc, version desc, repo asc */
	size_t nprov, capprov;
};

struct apt_repo {
	struct pl_apt_repo_info info;
	struct pl_apt_release *release;
	char *url; /* without trailing '/' */
};

struct pl_apt {
	struct apt_arena arena;
	char *arch;
	struct apt_repo *repos;
	size_t nrepos;
	struct apt_pkg **pkgs;
	size_t npkgs, cappkgs;
	struct apt_ent *ents;
	size_t nents, capents;
	size_t *slots; /* open addressing: ent index + 1, 0 = empty */
	size_t nslots;
};

/* The entry for name, or NULL. */
const struct apt_ent *apt_ent_find(const struct pl_apt *a, const char *name);

/* Split a Source field "name (version)"; *ver NULL without parentheses. */
void apt_split_source(const char *s, const char **name, size_t *name_len, const char **ver,
		      size_t *ver_len);

/* Append "name[:arch] (op version)" to b. */
int apt_alt_text(const struct pl_dep_alt *alt, struct pl_buf *b, struct pl_err *err);

/* Parse a request ("name", "name=version", "a (>= 1) | b") into one dependency. */
int apt_request_parse(const char *req, struct pl_deplist *out, struct pl_err *err);

#endif
