#!/usr/bin/env python3
"""Writes a two-platform OCI image layout (stdlib only) for registry tests.

usage: make_layout.py DIR TAG [--big BYTES] [--seed S]

Each platform (linux/amd64, linux/arm64/v8) gets a shared gzip layer
(identical bytes), a per-platform layer and a config; the index is tagged
TAG. --big adds an incompressible file of BYTES to the shared layer (for
chunked uploads and benchmarks). Deterministic for a given seed.
"""
import argparse, gzip, hashlib, io, json, os, random, tarfile


def put_blob(root, data):
    d = hashlib.sha256(data).hexdigest()
    p = os.path.join(root, "blobs", "sha256", d)
    if not os.path.exists(p):
        with open(p, "wb") as f:
            f.write(data)
    return "sha256:" + d


def make_layer(files):
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, content in sorted(files.items()):
            info = tarfile.TarInfo(name)
            info.size = len(content)
            info.mode = 0o644
            info.mtime = 0
            tar.addfile(info, io.BytesIO(content))
    tar_bytes = raw.getvalue()
    gz = io.BytesIO()
    with gzip.GzipFile(fileobj=gz, mode="wb", mtime=0) as g:
        g.write(tar_bytes)
    return gz.getvalue(), "sha256:" + hashlib.sha256(tar_bytes).hexdigest()


def dumps(obj):
    return json.dumps(obj, sort_keys=True, separators=(",", ":")).encode()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("tag")
    ap.add_argument("--big", type=int, default=0)
    ap.add_argument("--seed", default="ocib")
    a = ap.parse_args()
    rnd = random.Random(a.seed)
    os.makedirs(os.path.join(a.dir, "blobs", "sha256"), exist_ok=True)
    with open(os.path.join(a.dir, "oci-layout"), "w") as f:
        f.write('{"imageLayoutVersion":"1.0.0"}')
    shared_files = {"etc/shared.txt": ("shared " + a.seed + "\n").encode()}
    if a.big:
        shared_files["data/big.bin"] = rnd.randbytes(a.big)
    shared, shared_diff = make_layer(shared_files)
    shared_d = put_blob(a.dir, shared)
    manifests = []
    for arch, variant in (("amd64", ""), ("arm64", "v8")):
        layer, diff = make_layer({"app/" + arch: rnd.randbytes(4096) + arch.encode()})
        layer_d = put_blob(a.dir, layer)
        config = {"architecture": arch, "os": "linux",
                  "config": {"Entrypoint": ["/app/" + arch]},
                  "rootfs": {"type": "layers", "diff_ids": [shared_diff, diff]},
                  "history": [{"created_by": "shared"}, {"created_by": "app"}]}
        if variant:
            config["variant"] = variant
        cb = dumps(config)
        cd = put_blob(a.dir, cb)
        m = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
             "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cd, "size": len(cb)},
             "layers": [
                 {"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": shared_d, "size": len(shared)},
                 {"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": layer_d, "size": len(layer)}]}
        mb = dumps(m)
        md = put_blob(a.dir, mb)
        plat = {"architecture": arch, "os": "linux"}
        if variant:
            plat["variant"] = variant
        manifests.append({"mediaType": m["mediaType"], "digest": md, "size": len(mb), "platform": plat})
    index = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": manifests}
    ib = dumps(index)
    idd = put_blob(a.dir, ib)
    top = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
           "manifests": [{"mediaType": index["mediaType"], "digest": idd, "size": len(ib),
                          "annotations": {"org.opencontainers.image.ref.name": a.tag}}]}
    with open(os.path.join(a.dir, "index.json"), "wb") as f:
        f.write(dumps(top))
    print(idd)


if __name__ == "__main__":
    main()
