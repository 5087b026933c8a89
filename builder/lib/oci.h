/*
 * oci: image references, the OCI image JSON documents (descriptor, config,
 * manifest, index) as C models with jansson builders and strict parsers, and
 * the OCI image layout store (a cas plus index.json). Everything written is
 * canonical JSON (sorted keys, pl_json_dump), so equal models give equal
 * digests. index.json is only ever replaced atomically, under a lock.
 */
#ifndef PL_OCI_H
#define PL_OCI_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/cas.h"
#include "util/buf.h"
#include "util/digest.h"
#include "util/err.h"

/* Media types. Docker v2 schema2 types are accepted when parsing. */
#define PL_MT_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define PL_MT_OCI_INDEX "application/vnd.oci.image.index.v1+json"
#define PL_MT_OCI_CONFIG "application/vnd.oci.image.config.v1+json"
#define PL_MT_OCI_LAYOUT_HEADER "application/vnd.oci.layout.header.v1+json"
#define PL_MT_OCI_EMPTY "application/vnd.oci.empty.v1+json"
/* Layer media types are layer.h's PL_MT_LAYER_*. */
#define PL_MT_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define PL_MT_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"
#define PL_MT_DOCKER_CONFIG "application/vnd.docker.container.image.v1+json"
#define PL_MT_DOCKER_LAYER_GZIP "application/vnd.docker.image.rootfs.diff.tar.gzip"

/* Annotation keys Plinth writes. */
#define PL_ANN_REF_NAME "org.opencontainers.image.ref.name"
#define PL_ANN_CREATED "org.opencontainers.image.created"
#define PL_ANN_REVISION "org.opencontainers.image.revision"
#define PL_ANN_SOURCE "org.opencontainers.image.source"
#define PL_ANN_BASE_DIGEST "org.opencontainers.image.base.digest"
#define PL_ANN_BASE_NAME "org.opencontainers.image.base.name"

/* ---- references ------------------------------------------------------ */

/*
 * An image reference, one of:
 *
 *   [docker://]host[:port]/repo[:tag][@sha256:<hex>]   PL_REF_REGISTRY
 *   oci:PATH[:REF]                                     PL_REF_OCI
 *   rootfs:PATH                                        PL_REF_ROOTFS
 *
 * Registry references follow docker's reference grammar and normalisation:
 * the first path component is a registry only when it contains '.' or ':',
 * is "localhost" or has an uppercase letter; otherwise the domain is
 * docker.io and single-component names get "library/". index.docker.io is
 * folded into docker.io. No default tag is filled in (see pl_ref_reference).
 *
 * oci:PATH[:REF] (as skopeo names a layout): the path ends at the FIRST ':'
 * and the rest is the ref name, which follows the image-spec's ref.name
 * grammar and so may itself hold ':' ("oci:out:debian-base:12" is the ref
 * "debian-base:12" in the layout "out"). A path containing ':' can not be
 * named, exactly as with skopeo. "oci:PATH:" (empty REF) is an error. A bare
 * "oci:..." is always this transport; use "docker://oci:1" for a docker
 * image named "oci".
 */
enum pl_ref_kind { PL_REF_REGISTRY = 0, PL_REF_OCI, PL_REF_ROOTFS };

struct pl_ref {
	enum pl_ref_kind kind;
	char *domain; /* registry: "docker.io", "localhost:5000"; else NULL */
	char *path;   /* registry: "library/debian"; oci/rootfs: host path */
	char *tag;    /* registry tag or oci ref name; NULL when absent */
	char *digest; /* registry only: "sha256:<hex>"; NULL when absent */
};

#define PL_REF_DEFAULT_DOMAIN "docker.io"
#define PL_REF_TAG_MAX 128
#define PL_REF_NAME_MAX 255

/*
 * Parse s into r (which the caller releases with pl_ref_release, also on
 * error). PL_EINVAL with a message naming s when s is not a reference.
 */
int pl_ref_parse(const char *s, struct pl_ref *r, struct pl_err *err);
void pl_ref_release(struct pl_ref *r);

/*
 * Append the canonical string form of r to out: "docker.io/library/debian:12",
 * "oci:/srv/layout:12", "rootfs:/srv/tree". Parsing it gives r back.
 */
int pl_ref_format(const struct pl_ref *r, struct pl_buf *out, struct pl_err *err) PL_WUR;

/* Append "domain/path" (registry refs) or the path (others) to out. */
int pl_ref_format_name(const struct pl_ref *r, struct pl_buf *out, struct pl_err *err) PL_WUR;

/* What to ask a registry or layout for: the digest, else the tag, else "latest". */
const char *pl_ref_reference(const struct pl_ref *r);

/* True when s is a valid docker tag ([\w][\w.-]{0,127}). */
bool pl_ref_tag_valid(const char *s);
/* True when s is a valid ref.name (image-spec grammar, at most 255 bytes). */
bool pl_ref_oci_name_valid(const char *s);

/* ---- models ------------------------------------------------------------ */

/*
 * A string vector, NULL-terminated. v == NULL means "absent"; a non-NULL v
 * with n == 0 is present and empty (so "Cmd": [] survives a round trip).
 */
struct pl_oci_strv {
	char **v;
	size_t n;
};

/* A string map kept sorted by key (annotations, labels). */
struct pl_oci_kv {
	char *key;
	char *value;
};
struct pl_oci_map {
	struct pl_oci_kv *v;
	size_t n;
};

struct pl_oci_platform {
	char *architecture; /* required */
	char *os;	    /* required */
	char *variant;	    /* optional, e.g. "v8" */
	char *os_version;   /* optional, "os.version" */
};

struct pl_oci_desc {
	char *media_type;
	char digest[PL_DIGEST_SIZE];
	uint64_t size;
	struct pl_oci_map annotations;
	struct pl_oci_platform *platform; /* NULL when absent */
	char *artifact_type;		  /* NULL when absent */
};

struct pl_oci_history {
	char *created; /* RFC 3339, NULL when absent */
	char *created_by;
	char *author;
	char *comment;
	bool empty_layer;
};

struct pl_oci_config {
	char *architecture; /* required */
	char *os;	    /* required */
	char *variant;
	char *os_version;
	char *created;
	char *author;
	/* "config" */
	char *user;
	struct pl_oci_strv env; /* kept in the order given */
	struct pl_oci_strv entrypoint;
	struct pl_oci_strv cmd;
	char *working_dir;
	struct pl_oci_map labels;
	struct pl_oci_strv exposed_ports; /* "80/tcp", written as a set {"80/tcp":{}} */
	struct pl_oci_strv volumes;	  /* paths, written as a set */
	char *stop_signal;
	/* "rootfs" */
	struct pl_oci_strv diff_ids;
	struct pl_oci_history *history;
	size_t n_history;
};

struct pl_oci_manifest {
	int schema_version; /* 2 */
	char *media_type;   /* PL_MT_OCI_MANIFEST or PL_MT_DOCKER_MANIFEST; NULL if absent */
	char *artifact_type;
	struct pl_oci_desc config;
	struct pl_oci_desc *layers;
	size_t n_layers;
	struct pl_oci_desc *subject; /* NULL when absent */
	struct pl_oci_map annotations;
};

struct pl_oci_index {
	int schema_version; /* 2 */
	char *media_type;   /* PL_MT_OCI_INDEX or PL_MT_DOCKER_LIST; NULL if absent */
	char *artifact_type;
	struct pl_oci_desc *manifests;
	size_t n_manifests;
	struct pl_oci_map annotations;
};

/*
 * Every model is plain data, zero-initialised by the caller ({0} is empty and
 * valid to release). _release frees what the model owns and zeroes it.
 */
void pl_oci_strv_release(struct pl_oci_strv *s);
void pl_oci_map_release(struct pl_oci_map *m);
void pl_oci_platform_release(struct pl_oci_platform *p);
void pl_oci_desc_release(struct pl_oci_desc *d);
void pl_oci_history_release(struct pl_oci_history *h);
void pl_oci_config_release(struct pl_oci_config *c);
void pl_oci_manifest_release(struct pl_oci_manifest *m);
void pl_oci_index_release(struct pl_oci_index *ix);

/* Append a copy of s (present-izes an absent vector). */
int pl_oci_strv_push(struct pl_oci_strv *s, const char *str, struct pl_err *err);
/* Set key to a copy of value, replacing an existing entry; keeps m sorted. */
int pl_oci_map_set(struct pl_oci_map *m, const char *key, const char *value, struct pl_err *err);
/* Borrowed value for key, or NULL. */
const char *pl_oci_map_get(const struct pl_oci_map *m, const char *key);
/* Remove key if present. */
void pl_oci_map_del(struct pl_oci_map *m, const char *key);

/* Deep copy src into dst (dst is overwritten, not released). */
int pl_oci_desc_copy(struct pl_oci_desc *dst, const struct pl_oci_desc *src, struct pl_err *err);

/* RFC 3339 UTC time of a unix epoch: "2024-05-01T12:00:00Z". */
void pl_oci_time(int64_t epoch, char out[32]);

/* ---- JSON builders (caller owns *out, json_decref) ---------------------- */

int pl_oci_desc_to_json(const struct pl_oci_desc *d, json_t **out, struct pl_err *err);
int pl_oci_config_to_json(const struct pl_oci_config *c, json_t **out, struct pl_err *err);
/* Writes schemaVersion 2 and mediaType (PL_MT_OCI_MANIFEST when m has none). */
int pl_oci_manifest_to_json(const struct pl_oci_manifest *m, json_t **out, struct pl_err *err);
/* Writes schemaVersion 2 and mediaType (PL_MT_OCI_INDEX when ix has none). */
int pl_oci_index_to_json(const struct pl_oci_index *ix, json_t **out, struct pl_err *err);

/*
 * ---- JSON parsers --------------------------------------------------------
 * what names the document in errors; messages then give the JSON path:
 * "manifest sha256:ab..: layers[2].digest: not a string". Unknown members
 * are ignored (as the image spec asks); known members are type-checked and
 * required ones must be present. All PL_EINVAL. *out is filled on success
 * and left empty on error.
 */
int pl_oci_desc_from_json(const json_t *j, const char *what, struct pl_oci_desc *out,
			  struct pl_err *err);
int pl_oci_config_from_json(const json_t *j, const char *what, struct pl_oci_config *out,
			    struct pl_err *err);
/* Accepts OCI image manifests and docker v2 schema2 manifests; rejects indexes. */
int pl_oci_manifest_from_json(const json_t *j, const char *what, struct pl_oci_manifest *out,
			      struct pl_err *err);
/* Accepts OCI image indexes and docker manifest lists; rejects manifests. */
int pl_oci_index_from_json(const json_t *j, const char *what, struct pl_oci_index *out,
			   struct pl_err *err);

/* The same, from bytes (at most len bytes, loaded with pl_json_load). */
int pl_oci_config_parse(const char *data, size_t len, const char *what, struct pl_oci_config *out,
			struct pl_err *err);
int pl_oci_manifest_parse(const char *data, size_t len, const char *what,
			  struct pl_oci_manifest *out, struct pl_err *err);
int pl_oci_index_parse(const char *data, size_t len, const char *what, struct pl_oci_index *out,
		       struct pl_err *err);

/*
 * The media type a manifest-ish document declares: its "mediaType", else
 * PL_MT_OCI_INDEX when it has "manifests", PL_MT_OCI_MANIFEST when it has
 * "layers" or "config", else NULL. Borrowed from j or static.
 */
const char *pl_oci_sniff_media_type(const json_t *j);
bool pl_oci_is_index_type(const char *media_type);
bool pl_oci_is_manifest_type(const char *media_type);

/* ---- layout store --------------------------------------------------------- */

struct pl_oci_layout;

#define PL_OCI_JSON_MAX (4u << 20) /* cap for index/manifest/config reads */

/*
 * Open the image layout at dir. With create, make dir, "oci-layout" and an
 * empty index.json when missing; otherwise PL_ENOTFOUND when dir is not a
 * layout, PL_EINVAL when its oci-layout is not version 1.0.0. Free with
 * pl_oci_layout_free.
 */
int pl_oci_layout_open(struct pl_oci_layout **out, const char *dir, bool create,
		       struct pl_err *err);
void pl_oci_layout_free(struct pl_oci_layout *l);

/* The layout's blob store (borrowed): layer writers stream straight into it. */
struct pl_cas *pl_oci_layout_cas(struct pl_oci_layout *l);
const char *pl_oci_layout_dir(const struct pl_oci_layout *l);

/*
 * Store len bytes. With expect non-NULL, content hashing to anything else is
 * refused with PL_EVERIFY and nothing is stored. When out is non-NULL it is
 * filled (overwritten) with a descriptor of media_type, digest and size.
 */
int pl_oci_layout_put_blob(struct pl_oci_layout *l, const void *data, size_t len,
			   const char *expect, const char *media_type, struct pl_oci_desc *out,
			   struct pl_err *err);

/* Store the canonical bytes of j (pl_json_dump) and describe them in out. */
int pl_oci_layout_put_json(struct pl_oci_layout *l, const json_t *j, const char *media_type,
			   struct pl_oci_desc *out, struct pl_err *err);

/*
 * Read a whole blob (at most max bytes, 0 = no cap), re-hashing it: content
 * that does not match digest is PL_EVERIFY. Caller frees *data.
 */
int pl_oci_layout_read_blob(struct pl_oci_layout *l, const char *digest, size_t max, char **data,
			    size_t *len, struct pl_err *err);

/*
 * Point ref (a valid oci ref name) at the manifest described by d: its
 * descriptor is added to index.json with the annotation
 * org.opencontainers.image.ref.name = ref, replacing any entry of that name.
 * The manifest blob must already be stored (PL_ENOTFOUND otherwise). Entries
 * are kept sorted by ref name (unnamed entries last, by digest). index.json
 * is rewritten atomically under an flock of the layout directory.
 */
int pl_oci_layout_tag(struct pl_oci_layout *l, const char *ref, const struct pl_oci_desc *d,
		      struct pl_err *err);

/* Remove the entry named ref; PL_ENOTFOUND when there is none. */
int pl_oci_layout_untag(struct pl_oci_layout *l, const char *ref, struct pl_err *err);

/*
 * Resolve ref to its descriptor in index.json (copied into out). A digest
 * ("sha256:...") matches an entry by digest. A NULL or empty ref resolves
 * only when index.json has exactly one entry (as skopeo does). PL_ENOTFOUND
 * naming ref and the layout when nothing matches.
 */
int pl_oci_layout_resolve(struct pl_oci_layout *l, const char *ref, struct pl_oci_desc *out,
			  struct pl_err *err);

/* Read and parse index.json. */
int pl_oci_layout_read_index(struct pl_oci_layout *l, struct pl_oci_index *out, struct pl_err *err);

/* The ref names in index.json, sorted; *refs is a NULL-terminated vector. */
int pl_oci_layout_list(struct pl_oci_layout *l, struct pl_oci_strv *refs, struct pl_err *err);

/* Read the blob d names (digest and size checked) and parse it as a manifest / config. */
int pl_oci_layout_read_manifest(struct pl_oci_layout *l, const struct pl_oci_desc *d,
				struct pl_oci_manifest *out, struct pl_err *err);
int pl_oci_layout_read_config(struct pl_oci_layout *l, const struct pl_oci_desc *d,
			      struct pl_oci_config *out, struct pl_err *err);

#endif
