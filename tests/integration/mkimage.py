#!/usr/bin/env python3
"""Write a synthetic OCI image into a layout, for registry tests and benches.

mkimage.py LAYOUT REF [--seed S] [--platforms amd64,arm64] SIZE...

Each SIZE (bytes; k/M suffixes) is one layer: pseudo-random bytes stored
in a gzip stream without compression (a real gzip, so skopeo keeps it as
it is; nobody looks for a tar inside). The same seed gives the same bytes,
so two images made with a shared seed prefix share their first layers:
layer i of seed S is derived from (S, i) only. With several platforms the
REF names an OCI index of one manifest per platform. Prints the top digest.
"""
import gzip, hashlib, json, os, sys


def size(s):
    mult = {"k": 1 << 10, "M": 1 << 20}.get(s[-1], 1)
    return int(s[:-1] if s[-1] in "kM" else s) * mult


def put(layout, data):
    d = "sha256:" + hashlib.sha256(data).hexdigest()
    p = os.path.join(layout, "blobs", "sha256", d[7:])
    if not os.path.exists(p):
        with open(p + ".tmp", "wb") as f:
            f.write(data)
        os.rename(p + ".tmp", p)
    return d


def layer_bytes(seed, i, n):
    # sha256 in counter mode: fast enough for a few hundred MB, deterministic
    out = bytearray()
    block = 0
    key = f"{seed}/{i}".encode()
    while len(out) < n:
        h = hashlib.sha256(key + block.to_bytes(8, "little")).digest()
        out += h * 64  # 2 KiB per hash: incompressible enough for a registry test
        block += 1
    return bytes(out[:n])


def main():
    args = sys.argv[1:]
    seed, plats = "plinth", ["amd64"]
    while args and args[0].startswith("--"):
        if args[0] == "--seed":
            seed = args[1]
        elif args[0] == "--platforms":
            plats = args[1].split(",")
        args = args[2:]
    layout, ref, sizes = args[0], args[1], [size(s) for s in args[2:]]
    os.makedirs(os.path.join(layout, "blobs", "sha256"), exist_ok=True)
    with open(os.path.join(layout, "oci-layout"), "w") as f:
        f.write('{"imageLayoutVersion":"1.0.0"}')
    ixp = os.path.join(layout, "index.json")
    ix = json.load(open(ixp)) if os.path.exists(ixp) else {"schemaVersion": 2, "manifests": []}
    mans = []
    for arch in plats:
        layers = []
        for i, n in enumerate(sizes):
            raw = layer_bytes(seed if arch == plats[0] else seed + arch, i, n)
            data = gzip.compress(raw, compresslevel=0, mtime=0)
            layers.append({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                           "digest": put(layout, data), "size": len(data)})
        cfg = json.dumps({"architecture": arch, "os": "linux",
                          "rootfs": {"type": "layers",
                                     "diff_ids": [l["digest"] for l in layers]}},
                         sort_keys=True).encode()
        man = json.dumps({"schemaVersion": 2,
                          "mediaType": "application/vnd.oci.image.manifest.v1+json",
                          "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                                     "digest": put(layout, cfg), "size": len(cfg)},
                          "layers": layers}, sort_keys=True).encode()
        mans.append({"mediaType": "application/vnd.oci.image.manifest.v1+json",
                     "digest": put(layout, man), "size": len(man),
                     "platform": {"architecture": arch, "os": "linux"}})
    if len(plats) > 1:
        body = json.dumps({"schemaVersion": 2,
                           "mediaType": "application/vnd.oci.image.index.v1+json",
                           "manifests": mans}, sort_keys=True).encode()
        top = {"mediaType": "application/vnd.oci.image.index.v1+json",
               "digest": put(layout, body), "size": len(body)}
    else:
        top = dict(mans[0])
        del top["platform"]
    top["annotations"] = {"org.opencontainers.image.ref.name": ref}
    ix["manifests"] = [m for m in ix["manifests"]
                       if m.get("annotations", {}).get("org.opencontainers.image.ref.name") != ref]
    ix["manifests"].append(top)
    with open(ixp + ".tmp", "w") as f:
        json.dump(ix, f)
    os.rename(ixp + ".tmp", ixp)
    print(top["digest"])


main()
