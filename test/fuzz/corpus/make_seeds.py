#!/usr/bin/env python3
"""Regenerates the fuzz seed corpora (test/fuzz/corpus/<target>/) from the
test vectors in fixtures/ (see PROVENANCE.md). Run from the repository root:
    python3 test/fuzz/corpus/make_seeds.py
Seeds are named by the SHA-1 of their bytes, as libFuzzer names inputs."""
import hashlib
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile

ROOT = os.getcwd()
OUT = os.path.join(ROOT, "test", "fuzz", "corpus")


def load(path):
    with open(os.path.join(ROOT, path), encoding="utf-8") as f:
        return json.load(f)


def seed(target, data):
    if isinstance(data, str):
        data = data.encode("utf-8")
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, hashlib.sha1(data).hexdigest()), "wb") as f:
        f.write(data)


def references():
    for c in load("fixtures/registry/reference_parse.json")["cases"]:
        seed("reference", c["input"])
    n = load("fixtures/registry/normalize.json")
    for key in ("ParseNormalizedNamed_valid", "ParseNormalizedNamed_invalid"):
        for s in n[key]["inputs"]:
            seed("reference", s)
    for c in n["repository_info"]["cases"]:
        seed("reference", c["AmbiguousName"])
    for c in n["parse_any_reference"]["cases"]:
        seed("reference", c["Reference"])
    for c in n["parse_docker_ref"]["cases"]:
        seed("reference", c["input"])


def digests():
    for c in load("fixtures/vectors/go-digest/parse_digest.json")["cases"]:
        seed("digest", c["input"])


def platforms():
    p = load("fixtures/vectors/containerd-platforms/parse_selector.json")
    for c in p["cases"] + p["invalid_inputs"]:
        seed("platform", c["input"])
    seed("platform", "linux/amd64,linux/arm64/v8,linux/arm/v7")


def challenges():
    for c in load("fixtures/registry/regclient_parse_auth_header.json")["cases"]:
        seed("www_authenticate", c["header_value"])
    for c in load("fixtures/registry/distribution_containerd.json")["cases"]:
        seed("www_authenticate", "\n".join(c["header_values"]))


def documents():
    targets = {
        "application/vnd.oci.image.manifest.v1+json": ["manifest"],
        "application/vnd.oci.image.index.v1+json": ["index", "referrers"],
        "application/vnd.oci.image.config.v1+json": ["image_config"],
    }
    for c in load("fixtures/vectors/image-spec/examples.json")["cases"]:
        for t in targets.get(c["mediatype"], []):
            seed(t, c["document"])
    compat = "fixtures/vectors/image-spec/docker-compat/"
    seed("manifest", open(compat + "manifest-v2s2-0.json", "rb").read())
    seed("index", open(compat + "manifest-list-0.json", "rb").read())
    seed("index", open(compat + "index.json", "rb").read())
    for name in ("container-config-0.json", "container-config-1.json"):
        seed("image_config", open(compat + name, "rb").read())
    seed("referrers", "")


def credentials():
    auth = "dXNlcjpwYXNz"  # base64("user:pass")
    seed("docker_config", json.dumps({"auths": {"https://index.docker.io/v1/": {"auth": auth}}}))
    seed("docker_config", json.dumps({"auths": {"http://localhost:5000/v2/": {
        "username": "u", "password": "p", "identitytoken": "t"}}}))
    seed("docker_config", json.dumps({"auths": {"registry.example.com": {}},
                                      "credHelpers": {"registry.example.com": "pass"},
                                      "credsStore": "desktop"}))
    seed("docker_config", json.dumps({"auths": {"https://[::1]:5000": {"auth": "!!"}}}))
    seed("auth_json", json.dumps({"auths": {"docker.io": {"auth": auth}}}))
    seed("auth_json", json.dumps({"auths": {"registry.example.com/ns/repo": {"auth": auth},
                                            "localhost:5000": {"registrytoken": "r"}}}))
    for c in load("fixtures/registry/convert_to_hostname.json")["cases"]:
        seed("docker_config", json.dumps({"auths": {c["input"]: {"auth": auth}}}))


def tokens():
    seed("token_answer", '{"token":"abc","expires_in":300,"issued_at":"2024-01-01T00:00:00Z"}')
    seed("token_answer", '{"access_token":"abc","refresh_token":"r"}')
    seed("token_answer", '{"token":"","access_token":"x","expires_in":1.5}')
    seed("token_answer", '[]')


def build_files():
    seed("build_file", json.dumps({"images": [{
        "name": "server", "base": "oci:base:v1", "platforms": ["linux/amd64", "linux/arm64"],
        "go": "./cmd/server", "go_flags": ["-trimpath"], "go_ldflags": "-s -w",
        "files": ["etc/app.conf:/etc/app.conf"], "entrypoint": ["/server"], "cmd": ["-v"],
        "env": {"MODE": "prod"}, "labels": {"l": "v"}, "annotations": {"a": "b"},
        "expose": ["8080/tcp"], "user": "65532", "workdir": "/", "compression": "zstd",
        "compression_level": 3, "output": "oci:out/server:v1", "sbom": "spdx",
        "tags": ["localhost:5000/server:v1"]},
        {"name": "tool", "binaries": {"linux/amd64": "out/tool"},
         "output": "oci-archive:out/tool.tar:v1"}]}))
    seed("build_file", '{"images": [{"output": "oci:/o"}]}')
    seed("build_file", '{"images": [{"name": "a", "output": "oci:/o:a"}, '
                       '{"name": "b", "output": "oci:/o:b"}]}')
    seed("build_file", '{"output": "oci:/o", "platfroms": ["linux/amd64"]}')


K_START = b"0w\xaf\x0c\x92t\x08\x02A\xe1\xc1\x07\xe6\xd6\x18\xe6"
K_END = b"\xf92C1\x86\x18 r\x00\x82B\x10A\x16\xd8\xf2"
MOD_TEXT = ("path\texample.com/old\n"
            "mod\texample.com/old\t(devel)\t\n"
            "dep\tgolang.org/x/text\tv0.3.7\th1:olpwvP2KacW1ZWvsR7uQhoyTYvKAupfQrRGBFM352Gk=\n"
            "=>\tgolang.org/x/text\tv0.3.8\th1:abc=\n"
            "build\t-ldflags=\"-X main.v=1\"\n"
            "build\tCGO_ENABLED=0\n")


def put(b, off, width, value, be):
    fmt = {2: "H", 4: "I", 8: "Q"}[width]
    b[off:off + width] = struct.pack((">" if be else "<") + fmt, value)


def make_elf(is64, be, inline, version, modtext):
    """An ELF file with one writable PT_LOAD segment and no section headers,
    holding a Go build-info header at file offset 256."""
    base, ps = 0x400000, (8 if is64 else 4)
    mod = (K_START + modtext.encode() + K_END) if modtext else b""
    version = version.encode()
    b = bytearray(256)
    b[0:7] = b"\x7fELF" + bytes([2 if is64 else 1, 2 if be else 1, 1])
    put(b, 16, 2, 2, be)
    put(b, 20, 4, 1, be)
    ehsize, phentsize = (64, 56) if is64 else (52, 32)
    if is64:
        for off, w, v in ((0x20, 8, ehsize), (0x34, 2, ehsize), (0x36, 2, phentsize),
                          (0x38, 2, 1), (0x3A, 2, 64)):
            put(b, off, w, v, be)
    else:
        for off, w, v in ((0x1C, 4, ehsize), (0x28, 2, ehsize), (0x2A, 2, phentsize),
                          (0x2C, 2, 1), (0x2E, 2, 40)):
            put(b, off, w, v, be)
    hdr = 256
    b += bytes(32)
    b[hdr:hdr + 14] = b"\xff Go buildinf:"
    b[hdr + 14] = ps
    b[hdr + 15] = 2 if inline else (1 if be else 0)
    if inline:
        for s in (version, mod):
            n = len(s)
            while True:
                byte = n & 0x7F
                n >>= 7
                b.append(byte | (0x80 if n else 0))
                if not n:
                    break
            b += s
    else:
        vhdr = hdr + 32
        mhdr = vhdr + 2 * ps
        data = mhdr + 2 * ps
        b += bytes(data - len(b))
        put(b, hdr + 16, ps, base + vhdr, be)
        put(b, hdr + 16 + ps, ps, base + mhdr, be)
        put(b, vhdr, ps, base + data, be)
        put(b, vhdr + ps, ps, len(version), be)
        put(b, mhdr, ps, base + data + len(version), be)
        put(b, mhdr + ps, ps, len(mod), be)
        b += version + mod
    ph = ehsize
    put(b, ph, 4, 1, be)
    size = len(b)
    if is64:
        for off, w, v in ((4, 4, 6), (8, 8, 0), (0x10, 8, base), (0x18, 8, base),
                          (0x20, 8, size), (0x28, 8, size)):
            put(b, ph + off, w, v, be)
    else:
        for off, w, v in ((4, 4, 0), (8, 4, base), (0xC, 4, base), (0x10, 4, size),
                          (0x14, 4, size), (0x18, 4, 6)):
            put(b, ph + off, w, v, be)
    return bytes(b)


def go_buildinfo():
    for is64, be, inline in ((True, False, False), (True, True, False), (False, False, False),
                             (False, True, False), (True, False, True), (False, True, True)):
        seed("go_buildinfo", make_elf(is64, be, inline, "go1.21.5", MOD_TEXT))
    seed("go_buildinfo", make_elf(True, False, True, "go1.17", ""))
    seed("go_modinfo", MOD_TEXT)
    section_elf()
    seed("go_modinfo", "go\tgo1.22.0\n" + MOD_TEXT + "build\tvcs.modified=\"tr\\\"ue\"\n")


def section_elf():
    """A small C program (ELF with section headers) with a .go.buildinfo
    section added by objcopy; skipped without gcc and objcopy."""
    if not (shutil.which("gcc") and shutil.which("objcopy")):
        return
    info = bytearray(b"\xff Go buildinf:\x08\x02" + bytes(16))
    for s in (b"go1.22.1", K_START + MOD_TEXT.encode() + K_END):
        info += bytes([len(s)]) if len(s) < 128 else bytes([len(s) & 0x7F | 0x80, len(s) >> 7])
        info += s
    with tempfile.TemporaryDirectory() as tmp:
        src, exe, sec = (os.path.join(tmp, n) for n in ("t.c", "t", "bi"))
        with open(src, "w") as f:
            f.write("int main(void) { return 0; }\n")
        with open(sec, "wb") as f:
            f.write(info)
        subprocess.run(["gcc", "-Os", "-s", "-o", exe, src], check=True)
        subprocess.run(["objcopy", "--add-section", ".go.buildinfo=" + sec,
                        "--set-section-flags", ".go.buildinfo=alloc,data", exe], check=True)
        with open(exe, "rb") as f:
            seed("go_buildinfo", f.read())


def layer_cache_entries():
    blob = b"ocib fuzz layer\n"  # the blob layer_cache_entry_fuzz.cc writes
    digest = "sha256:" + hashlib.sha256(blob).hexdigest()
    entry = {"key": "a" * 64, "mediaType": "application/vnd.oci.image.layer.v1.tar+zstd",
             "digest": digest, "size": len(blob), "diffID": digest,
             "uncompressedSize": len(blob), "checksum": ""}
    seed("layer_cache_entry", json.dumps(entry))
    seed("layer_cache_entry", json.dumps(dict(entry, size=len(blob) + 1)))
    seed("layer_cache_entry", json.dumps(dict(entry, checksum="xxh3-128:00000000000000000000000000000000")))
    seed("layer_cache_entry", json.dumps({"key": "a" * 64}))


def main():
    for f in (references, digests, platforms, challenges, documents, credentials, tokens,
              build_files, go_buildinfo, layer_cache_entries):
        f()
    return 0


if __name__ == "__main__":
    sys.exit(main())
