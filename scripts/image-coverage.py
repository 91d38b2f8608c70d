#!/usr/bin/env python3
"""Measure how many services of a set of compose files use an image composeguard knows.

Usage: scripts/image-coverage.py [--binary target/debug/composeguard] [FILE_OR_DIR ...]
(default: tests/corpus/real-stacks). Needs PyYAML.

Image references are matched the way composeguard's images.rs does: the digest and tag are
cut, `docker.io/` (and the other Hub aliases) and Hub's `library/` are stripped, and an entry
matches the path without its registry or the path with it; families match by prefix, and an
entry with `tag_contains` only when the tag contains it. `${VAR:-default}` and `${VAR-default}`
are replaced by their default, `$$` by `$`; a reference that still holds a variable after that
counts as "unresolved". A service with `build:` and no `image:` is "built locally".
"""

import argparse
import collections
import json
import os
import re
import subprocess
import sys

import yaml

# The table before the image-knowledge work: 26 repositories.
OLD_TABLE = [
    "postgres", "mysql", "mariadb", "mongo", "redis", "nginx", "nginxinc/nginx-unprivileged",
    "httpd", "traefik", "caddy", "node", "python", "wordpress", "ghost", "nextcloud",
    "rabbitmq", "docker.elastic.co/elasticsearch/elasticsearch", "elasticsearch",
    "grafana/grafana", "prom/prometheus", "memcached", "minio/minio",
    "quay.io/keycloak/keycloak", "gitea/gitea", "vaultwarden/server", "adminer",
]

HUB = {None, "docker.io", "index.docker.io", "registry-1.docker.io", "mirror.gcr.io"}
VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])((?:[^{}]|\{[^{}]*\})*))?\}")


def interpolate(value):
    """Replaces ${VAR:-default}/${VAR-default} by the default (repeatedly, for nesting)."""
    for _ in range(5):
        def sub(m):
            op, default = m.group(2), m.group(3)
            if op in (":-", "-"):
                return default
            return m.group(0)

        new = VAR.sub(sub, value)
        if new == value:
            break
        value = new
    return value.replace("$$", "$")


def parse(reference):
    """(registry, path, tag) of a reference, or None when it is empty or interpolated."""
    ref = reference.strip().split("@", 1)[0]
    registry, path = None, ref
    if "/" in ref:
        first, rest = ref.split("/", 1)
        if "." in first or ":" in first or first == "localhost":
            registry, path = first.lower(), rest
    tag = ""
    if ":" in path:
        p, t = path.split(":", 1)
        if "/" not in t:
            path, tag = p, t
    if not path or "$" in path:
        return None
    path = path.lower()
    hub = registry in HUB
    if hub and path.startswith("library/"):
        path = path[len("library/"):]
    registry = None if hub else registry
    full = f"{registry}/{path}" if registry else path
    return path, full, tag


def matches(entry, parsed):
    path, full, tag = parsed
    if entry.get("tag_contains") and entry["tag_contains"] not in tag:
        return False
    if entry.get("kind") == "family" or entry.get("prefixes"):
        return any(path.startswith(p) or full.startswith(p) for p in entry.get("prefixes", []))
    return any(r == path or r == full for r in entry.get("repositories", []))


def known(table, parsed):
    return any(matches(e, parsed) for e in table)


def compose_files(args):
    for a in args:
        if os.path.isdir(a):
            for root, _, names in os.walk(a):
                for n in sorted(names):
                    if n.endswith((".yml", ".yaml")):
                        yield os.path.join(root, n)
        else:
            yield a


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--binary", default="target/debug/composeguard")
    ap.add_argument("--top", type=int, default=30)
    ap.add_argument("paths", nargs="*", default=["tests/corpus/real-stacks"])
    args = ap.parse_args()

    out = subprocess.run([args.binary, "images", "--output-format", "json"],
                         check=True, capture_output=True, text=True).stdout
    table = json.loads(out)
    old = [{"repositories": [r]} for r in OLD_TABLE]

    files = services = with_image = built = unresolved = other = both = 0
    known_old = known_now = 0
    unknown = collections.Counter()
    unresolved_refs = collections.Counter()
    for f in sorted(compose_files(args.paths)):
        try:
            with open(f, encoding="utf-8") as fh:
                doc = yaml.safe_load(fh)
        except yaml.YAMLError as e:
            print(f"skipped {f}: {e.__class__.__name__}", file=sys.stderr)
            continue
        files += 1
        svcs = (doc or {}).get("services") or {} if isinstance(doc, dict) else {}
        for name, svc in svcs.items():
            services += 1
            svc = svc or {}
            image = svc.get("image")
            if image is None:
                if "build" in svc:
                    built += 1
                else:
                    other += 1
                continue
            with_image += 1
            both += "build" in svc
            ref = interpolate(str(image))
            parsed = parse(ref)
            if parsed is None:
                unresolved += 1
                unresolved_refs[str(image)] += 1
                continue
            o, n = known(old, parsed), known(table, parsed)
            known_old += o
            known_now += n
            if not n:
                unknown[parsed[1]] += 1

    pct = lambda k: f"{100 * k / with_image:.1f}%" if with_image else "-"
    print(f"files:                              {files}")
    print(f"services:                           {services}")
    print(f"services with an image reference:   {with_image}")
    print(f"  of them unresolved (${{VAR}}):      {unresolved}")
    print(f"  of them also with build:          {both}")
    print(f"built locally (build:, no image:):  {built}")
    print(f"neither image nor build (extends):  {other}")
    print(f"known image, old table (26):        {known_old} ({pct(known_old)} of image refs)")
    print(f"known image, now ({len(table)} entries):     {known_now} ({pct(known_now)} of image refs)")
    print(f"\ntop {args.top} unknown images (registry/path, tag cut):")
    for ref, c in unknown.most_common(args.top):
        print(f"  {c:3d}  {ref}")
    if unresolved_refs:
        print("\nunresolved references:")
        for ref, c in unresolved_refs.most_common():
            print(f"  {c:3d}  {ref}")


if __name__ == "__main__":
    main()
