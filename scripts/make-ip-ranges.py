#!/usr/bin/env python3
"""Build callpath's bundled Office 365 snapshot, ip-ranges/worldwide.json.

Reads an answer of Microsoft's endpoints web service
(https://endpoints.office.com/endpoints/worldwide, "Office 365 IP Address and URL web service",
https://learn.microsoft.com/microsoft-365/enterprise/microsoft-365-ip-web-service) and keeps only
the endpoint sets that carry `ips` (callpath classifies flows by address; URL-only sets cannot
match a flow). Each kept set keeps all of its fields, in the service's key order. Sets are sorted
by id and written compactly (one set per line) so diffs stay readable.

Usage: scripts/make-ip-ranges.py [INPUT] [OUTPUT]
  INPUT  default: ../shared/o365-endpoints/worldwide.json (relative to the repository root)
  OUTPUT default: ip-ranges/worldwide.json
Python 3 standard library only.
"""

import json
import os
import sys


def main(argv):
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    src = argv[1] if len(argv) > 1 else os.path.join(root, "..", "shared", "o365-endpoints", "worldwide.json")
    dst = argv[2] if len(argv) > 2 else os.path.join(root, "ip-ranges", "worldwide.json")
    with open(src, encoding="utf-8") as f:
        sets = json.load(f)
    if not isinstance(sets, list):
        sys.exit(f"{src}: expected a JSON array of endpoint sets")
    kept = sorted((s for s in sets if s.get("ips")), key=lambda s: s["id"])
    lines = [json.dumps(s, ensure_ascii=True, separators=(",", ":")) for s in kept]
    with open(dst, "w", encoding="utf-8", newline="\n") as f:
        f.write("[\n" + ",\n".join(lines) + "\n]\n")
    print(f"{dst}: {len(kept)} of {len(sets)} endpoint sets (those with ips)", file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv)
