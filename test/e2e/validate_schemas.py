#!/usr/bin/python3
"""Validates every document of an OCI image layout against the image-spec
v1.1.1 JSON schemas with Debian's python3-jsonschema (an independent oracle).

usage: validate_schemas.py SCHEMA_DIR LAYOUT_DIR
Prints one line per document; exits 1 if any document fails.
"""
import json
import os
import sys

import jsonschema

SCHEMA_FOR = {
    "application/vnd.oci.image.manifest.v1+json": "image-manifest-schema.json",
    "application/vnd.oci.image.index.v1+json": "image-index-schema.json",
    "application/vnd.oci.image.config.v1+json": "config-schema.json",
    "application/vnd.oci.layout.header.v1+json": "image-layout-schema.json",
    "application/vnd.oci.descriptor.v1+json": "content-descriptor.json",
}
# The aliases the upstream Go validator registers (schema/schema.go specURLs).
ALIASES = {
    "config-schema.json": ["https://opencontainers.org/schema/image/config"],
    "content-descriptor.json": ["https://opencontainers.org/schema/descriptor",
                                "https://opencontainers.org/schema/image/content-descriptor.json"],
    "defs-descriptor.json": ["https://opencontainers.org/schema/image/descriptor/mediaType",
                             "https://opencontainers.org/schema/defs-descriptor.json",
                             "https://opencontainers.org/schema/image/defs-descriptor.json"],
    "defs.json": ["https://opencontainers.org/schema/defs.json",
                  "https://opencontainers.org/schema/image/defs.json",
                  "https://opencontainers.org/schema/image/descriptor/defs.json"],
    "image-index-schema.json": ["https://opencontainers.org/schema/image/index"],
    "image-layout-schema.json": ["https://opencontainers.org/schema/image/layout"],
    "image-manifest-schema.json": ["https://opencontainers.org/schema/image/manifest"],
}


class LocalResolver(jsonschema.RefResolver):
    """Resolves every remote $ref by file name from SCHEMA_DIR: nested `id`s
    change the base URI, and the tests never use the network."""

    def resolve_remote(self, uri):
        name = uri.split("#", 1)[0].rsplit("/", 1)[-1]
        if name in self.local:
            return self.local[name]
        raise jsonschema.exceptions.RefResolutionError("unknown schema " + uri)


def main():
    schema_dir, layout = sys.argv[1], sys.argv[2]
    store = {}
    schemas = {}
    for name, aliases in ALIASES.items():
        with open(os.path.join(schema_dir, name)) as f:
            s = json.load(f)
        schemas[name] = s
        store[name] = s
        for a in aliases:
            store[a] = s
        # relative refs resolve against each alias's base URL
        for a in aliases:
            base = a.rsplit("/", 1)[0]
            for other in ALIASES:
                store.setdefault(base + "/" + other, None)
    for k in list(store):
        if store[k] is None:
            store[k] = schemas[k.rsplit("/", 1)[1]]
    failures = 0
    checked = 0

    def validate(media_type, raw, what):
        nonlocal failures, checked
        doc = json.loads(raw)
        name = SCHEMA_FOR[media_type]
        resolver = LocalResolver(base_uri=name, referrer=schemas[name], store=store)
        resolver.local = schemas
        validator = jsonschema.Draft4Validator(schemas[name], resolver=resolver)
        errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.path))
        checked += 1
        if errors:
            failures += 1
            for e in errors:
                print(f"FAIL {what} ({media_type}): {e.message} at {list(e.path)}")
        else:
            print(f"ok {what} ({media_type})")
        return doc

    def blob(digest):
        alg, enc = digest.split(":", 1)
        with open(os.path.join(layout, "blobs", alg, enc), "rb") as f:
            return f.read()

    with open(os.path.join(layout, "oci-layout"), "rb") as f:
        validate("application/vnd.oci.layout.header.v1+json", f.read(), "oci-layout")
    with open(os.path.join(layout, "index.json"), "rb") as f:
        index = validate("application/vnd.oci.image.index.v1+json", f.read(), "index.json")

    seen = set()

    def walk(desc):
        if desc["digest"] in seen:
            return
        seen.add(desc["digest"])
        validate("application/vnd.oci.descriptor.v1+json", json.dumps(desc), "descriptor " + desc["digest"])
        mt = desc.get("mediaType")
        if mt == "application/vnd.oci.image.index.v1+json":
            idx = validate(mt, blob(desc["digest"]), desc["digest"])
            for m in idx["manifests"]:
                walk(m)
        elif mt == "application/vnd.oci.image.manifest.v1+json":
            m = validate(mt, blob(desc["digest"]), desc["digest"])
            cfg = m["config"]
            if cfg["mediaType"] == "application/vnd.oci.image.config.v1+json":
                validate(cfg["mediaType"], blob(cfg["digest"]), cfg["digest"])

    for d in index["manifests"]:
        walk(d)
    print(f"{checked} documents checked, {failures} failed")
    sys.exit(1 if failures or checked < 3 else 0)


if __name__ == "__main__":
    main()
