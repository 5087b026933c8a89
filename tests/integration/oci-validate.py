#!/usr/bin/env python3
"""Validate an OCI image layout against the OCI image-spec JSON schemas.

usage: oci-validate.py LAYOUT [REF]

Checks oci-layout, index.json, the manifest REF names (its ref.name
annotation, or a sha256: digest, or the only entry when REF is omitted) and
that manifest's config against the image-spec schemas shipped by Debian's
golang-github-opencontainers-image-spec-dev; every descriptor's blob must
exist with the descriptor's size and digest, and every blob under
blobs/sha256 must hash to its name. Prints every problem found and exits 1
if there was any, 2 on usage errors.
"""

import hashlib
import json
import os
import sys

import jsonschema

SCHEMA_DIR = os.environ.get(
    "OCI_SCHEMA_DIR",
    "/usr/share/gocode/src/github.com/opencontainers/image-spec/schema")

MT_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
MT_INDEX = "application/vnd.oci.image.index.v1+json"
MT_CONFIG = "application/vnd.oci.image.config.v1+json"
REF_NAME = "org.opencontainers.image.ref.name"

errors = []


def fail(msg):
    errors.append(msg)


def load_schema_file(name):
    with open(os.path.join(SCHEMA_DIR, name), encoding="utf-8") as f:
        return json.load(f)


class Schemas:
    """The image-spec schemas; their $refs ("defs.json", "content-descriptor.json",
    relative to ids like https://opencontainers.org/schema/image/manifest) are
    resolved to the local file of the same base name."""

    def __init__(self):
        if not os.path.isdir(SCHEMA_DIR):
            sys.exit("oci-validate: no image-spec schemas at %s "
                     "(install golang-github-opencontainers-image-spec-dev)" % SCHEMA_DIR)
        self.cache = {}
        try:
            import referencing  # jsonschema >= 4.18
            import referencing.jsonschema
        except ImportError:
            referencing = None
        if referencing is not None:
            def retrieve(uri):
                name = uri.rstrip("/").rsplit("/", 1)[-1].split("#", 1)[0]
                if not name.endswith(".json"):
                    name = {"config": "config-schema.json",
                            "descriptor": "content-descriptor.json",
                            "index": "image-index-schema.json",
                            "layout": "image-layout-schema.json",
                            "manifest": "image-manifest-schema.json"}.get(name, name)
                return referencing.Resource.from_contents(
                    load_schema_file(name), default_specification=referencing.jsonschema.DRAFT4)
            self.registry = referencing.Registry(retrieve=retrieve)
            self.resolver_kwargs = lambda schema: {"registry": self.registry}
        else:  # older jsonschema: a RefResolver whose store maps every id
            store = {}
            for name in os.listdir(SCHEMA_DIR):
                if not name.endswith(".json"):
                    continue
                doc = load_schema_file(name)
                for base in ("https://opencontainers.org/schema/",
                             "https://opencontainers.org/schema/image/"):
                    store[base + name] = doc
                if "id" in doc:
                    store[doc["id"]] = doc
            self.resolver_kwargs = lambda schema: {
                "resolver": jsonschema.RefResolver.from_schema(schema, store=store)}

    def validate(self, what, doc, schema_file):
        schema = self.cache.get(schema_file)
        if schema is None:
            schema = self.cache[schema_file] = load_schema_file(schema_file)
        validator = jsonschema.Draft4Validator(
            schema, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER,
            **self.resolver_kwargs(schema))
        for e in sorted(validator.iter_errors(doc), key=lambda e: list(e.path)):
            where = "/".join(str(p) for p in e.absolute_path) or "(top)"
            fail("%s: %s: %s (schema %s)" % (what, where, e.message, schema_file))


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return "sha256:" + h.hexdigest()


def blob_path(layout, digest):
    algo, _, hexpart = digest.partition(":")
    return os.path.join(layout, "blobs", algo, hexpart)


def check_desc(layout, what, desc):
    """Check a descriptor's blob exists with its size and digest; return its bytes
    (for small JSON blobs) or None."""
    digest = desc.get("digest")
    size = desc.get("size")
    if not isinstance(digest, str) or not digest.startswith("sha256:"):
        fail("%s: descriptor digest %r is not a sha256 digest" % (what, digest))
        return None
    path = blob_path(layout, digest)
    if not os.path.isfile(path):
        fail("%s: blob %s is missing" % (what, digest))
        return None
    real = os.path.getsize(path)
    if real != size:
        fail("%s: blob %s has %d bytes, descriptor says %r" % (what, digest, real, size))
    got = sha256_file(path)
    if got != digest:
        fail("%s: blob %s hashes to %s" % (what, digest, got))
        return None
    if real > 16 << 20:
        return None
    with open(path, "rb") as f:
        return f.read()


def load_json(what, data):
    try:
        return json.loads(data)
    except ValueError as e:
        fail("%s: not JSON: %s" % (what, e))
        return None


def check_manifest(layout, schemas, desc, what):
    data = check_desc(layout, what, desc)
    if data is None:
        return
    doc = load_json(what, data)
    if doc is None:
        return
    mt = desc.get("mediaType")
    if mt == MT_INDEX:
        schemas.validate(what, doc, "image-index-schema.json")
        for i, d in enumerate(doc.get("manifests", []) if isinstance(doc, dict) else []):
            check_manifest(layout, schemas, d, "%s: manifests[%d] %s" % (what, i, d.get("digest")))
        return
    if mt != MT_MANIFEST:
        fail("%s: unexpected media type %r (want %s)" % (what, mt, MT_MANIFEST))
    schemas.validate(what, doc, "image-manifest-schema.json")
    if not isinstance(doc, dict):
        return
    if doc.get("mediaType") != mt:
        fail("%s: mediaType %r differs from its descriptor's %r" % (what, doc.get("mediaType"), mt))
    cfg_desc = doc.get("config")
    if isinstance(cfg_desc, dict):
        cwhat = "config %s" % cfg_desc.get("digest")
        cdata = check_desc(layout, cwhat, cfg_desc)
        cfg = load_json(cwhat, cdata) if cdata is not None else None
        if cfg is not None:
            if cfg_desc.get("mediaType") == MT_CONFIG:
                schemas.validate(cwhat, cfg, "config-schema.json")
            else:
                fail("%s: media type %r (want %s)" % (cwhat, cfg_desc.get("mediaType"), MT_CONFIG))
            layers = doc.get("layers") or []
            diff_ids = ((cfg.get("rootfs") or {}).get("diff_ids") or []) if isinstance(cfg, dict) else []
            if len(diff_ids) != len(layers):
                fail("%s: %d diff_ids for %d layers" % (cwhat, len(diff_ids), len(layers)))
    for i, layer in enumerate(doc.get("layers") or []):
        if isinstance(layer, dict):
            check_desc(layout, "%s: layers[%d]" % (what, i), layer)


def main(argv):
    if len(argv) not in (2, 3) or argv[1] in ("-h", "--help"):
        sys.stderr.write(__doc__)
        return 2
    layout = argv[1]
    ref = argv[2] if len(argv) == 3 else None
    schemas = Schemas()

    path = os.path.join(layout, "oci-layout")
    try:
        with open(path, "rb") as f:
            doc = load_json(path, f.read())
        if doc is not None:
            schemas.validate(path, doc, "image-layout-schema.json")
            if isinstance(doc, dict) and doc.get("imageLayoutVersion") != "1.0.0":
                fail("%s: imageLayoutVersion %r (want 1.0.0)" % (path, doc.get("imageLayoutVersion")))
    except OSError as e:
        fail("%s: %s" % (path, e))

    path = os.path.join(layout, "index.json")
    index = None
    try:
        with open(path, "rb") as f:
            index = load_json(path, f.read())
    except OSError as e:
        fail("%s: %s" % (path, e))
    if index is not None:
        schemas.validate(path, index, "image-index-schema.json")

    entries = index.get("manifests", []) if isinstance(index, dict) else []
    entries = [e for e in entries if isinstance(e, dict)]
    for i, e in enumerate(entries):
        check_desc(layout, "%s: manifests[%d]" % (path, i), e)
    if ref is None:
        hits = entries if len(entries) == 1 else []
    elif ref.startswith("sha256:"):
        hits = [e for e in entries if e.get("digest") == ref]
    else:
        hits = [e for e in entries if (e.get("annotations") or {}).get(REF_NAME) == ref]
    if not hits:
        fail("%s: no image %s" % (path, repr(ref) if ref else "(the layout must hold exactly one)"))
    elif len(hits) > 1 and ref and not ref.startswith("sha256:"):
        fail("%s: ref %r names %d entries" % (path, ref, len(hits)))
    for e in hits[:1]:
        check_manifest(layout, schemas, e, "manifest %s" % e.get("digest"))

    blobdir = os.path.join(layout, "blobs", "sha256")
    if os.path.isdir(blobdir):
        for name in sorted(os.listdir(blobdir)):
            p = os.path.join(blobdir, name)
            if not os.path.isfile(p):
                continue
            if sha256_file(p) != "sha256:" + name:
                fail("blob %s: content does not match its name" % name)
    else:
        fail("%s: missing" % blobdir)

    for msg in errors:
        sys.stderr.write("oci-validate: error: %s\n" % msg)
    if errors:
        sys.stderr.write("oci-validate: %s: %d problem(s)\n" % (layout, len(errors)))
        return 1
    print("oci-validate: %s%s: ok" % (layout, ":" + ref if ref else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
