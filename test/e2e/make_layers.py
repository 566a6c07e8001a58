#!/usr/bin/env python3
"""Writes an OCI layout whose single-platform image has crafted layers.

usage: make_layers.py LAYOUT TAG CASE

CASE names a list of layers built with tarfile below: "overlay" (whiteouts,
opaque directories, a symlinked parent, hard links, a directory replaced by
a file) or one of the hostile cases ("dotdot", "absolute", "symlink-parent",
"hardlink-outside").
"""
import gzip
import hashlib
import io
import json
import os
import sys
import tarfile


def entry(tf, name, kind="file", data=b"", mode=0o644, link="", uid=0, gid=0):
    ti = tarfile.TarInfo(name)
    ti.mode = mode
    ti.uid, ti.gid = uid, gid
    ti.mtime = 1700000000
    if kind == "file":
        ti.size = len(data)
        tf.addfile(ti, io.BytesIO(data))
        return
    ti.type = {"dir": tarfile.DIRTYPE, "symlink": tarfile.SYMTYPE, "hardlink": tarfile.LNKTYPE}[kind]
    ti.linkname = link
    tf.addfile(ti)


def layer(entries):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tf:
        for e in entries:
            entry(tf, *e[:2], **(e[2] if len(e) > 2 else {}))
    return buf.getvalue()


CASES = {
    "overlay": [
        [("etc", "dir", {"mode": 0o755}), ("etc/a", "file", {"data": b"a1"}),
         ("etc/b", "file", {"data": b"b1"}), ("opt", "dir"), ("opt/x", "file", {"data": b"x"}),
         ("opt/y", "dir"), ("opt/y/z", "file", {"data": b"z"}), ("lib", "symlink", {"link": "usr/lib"}),
         ("usr/lib", "dir"), ("usr/lib/one", "file", {"data": b"1", "mode": 0o755}),
         ("gone", "dir"), ("gone/f", "file", {"data": b"f"}), ("hl", "file", {"data": b"hard"}),
         ("hl2", "hardlink", {"link": "hl"}), ("srv", "dir", {"mode": 0o700, "uid": 1000, "gid": 1000}),
         ("srv/s", "file", {"data": b"s", "uid": 1000, "gid": 1000, "mode": 0o600})],
        [("etc/.wh.a", "file"), ("etc/b", "file", {"data": b"b2", "mode": 0o600}),
         ("opt/.wh..wh..opq", "file"), ("opt/new", "file", {"data": b"new"}),
         ("lib/two", "file", {"data": b"2"}), ("gone", "file", {"data": b"now a file"}),
         ("abs", "symlink", {"link": "/etc/b"}), ("tmp", "dir", {"mode": 0o1777})],
        [("usr/lib/.wh.one", "file"), ("etc/c", "file", {"data": b"c3"})],
    ],
    "dotdot": [[("a", "dir"), ("a/../../escaped", "file", {"data": b"x"})]],
    "absolute": [[("/escaped", "file", {"data": b"x"})]],
    "symlink-parent": [[("evil", "symlink", {"link": "OUTSIDE"}),
                        ("up", "symlink", {"link": "../../../../../../.." + "OUTSIDE"})],
                       [("evil/escaped", "file", {"data": b"x"}), ("up/escaped2", "file", {"data": b"y"})]],
    "hardlink-outside": [[("h", "hardlink", {"link": "../OUTSIDE/target"})]],
}


def main():
    layout, tag, case = sys.argv[1:4]
    outside = os.environ.get("OUTSIDE", "/nonexistent")
    blobs = os.path.join(layout, "blobs", "sha256")
    os.makedirs(blobs, exist_ok=True)

    def put(data):
        d = hashlib.sha256(data).hexdigest()
        with open(os.path.join(blobs, d), "wb") as f:
            f.write(data)
        return "sha256:" + d

    descs, diff_ids = [], []
    for i, entries in enumerate(CASES[case]):
        entries = [(n.replace("OUTSIDE", outside.lstrip("/")) if False else n, k,
                    {kk: (vv.replace("OUTSIDE", outside) if isinstance(vv, str) else vv)
                     for kk, vv in (e[2] if len(e) > 2 else {}).items()})
                   for (n, k, *rest), e in ((e, e) for e in entries)]
        raw = layer(entries)
        diff_ids.append("sha256:" + hashlib.sha256(raw).hexdigest())
        if i % 2:
            body, mt = gzip.compress(raw, mtime=0), "application/vnd.oci.image.layer.v1.tar+gzip"
        else:
            body, mt = raw, "application/vnd.oci.image.layer.v1.tar"
        descs.append({"mediaType": mt, "digest": put(body), "size": len(body)})
    config = json.dumps({"architecture": "amd64", "os": "linux", "config": {},
                         "rootfs": {"type": "layers", "diff_ids": diff_ids},
                         "history": [{"created_by": "layer"} for _ in descs]}).encode()
    manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                           "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                                      "digest": put(config), "size": len(config)},
                           "layers": descs}).encode()
    index = {"schemaVersion": 2, "manifests": [{
        "mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": put(manifest),
        "size": len(manifest), "annotations": {"org.opencontainers.image.ref.name": tag}}]}
    with open(os.path.join(layout, "index.json"), "w") as f:
        json.dump(index, f)
    with open(os.path.join(layout, "oci-layout"), "w") as f:
        json.dump({"imageLayoutVersion": "1.0.0"}, f)


if __name__ == "__main__":
    main()
