"""``python -m benchmarks.memory``: the peak memory of a solve per candidate pair.

What ``matcher.limits.BYTES_PER_PAIR`` and ``BYTES_PER_RECORD`` rest on
(docs/user-guide/limits.md). Each case runs in a fresh process: the problem is
made, the peak resident memory (``VmHWM``) is reset (``/proc/self/clear_refs``),
then ``build + solve`` runs and the peak above the memory before it is read.
Linux only. The L tier takes a minute or two (``--tier M`` for the quick ones).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

CASES = [
    # family, tier, radius factor, method
    ("uniform", "M", 0.5, "auto"),
    ("uniform", "M", 1.0, "auto"),
    ("uniform", "M", 2.0, "auto"),
    ("uniform", "M", 3.0, "auto"),
    ("clustered", "M", 0.5, "auto"),
    ("clustered", "M", 1.0, "auto"),
    ("clustered", "M", 1.5, "auto"),
    ("scarce", "M", 1.0, "auto"),
    ("dense", "M", 1.0, "auto"),
    ("dense", "M", 1.0, "flow"),
    ("uniform", "L", 1.0, "auto"),
    ("clustered", "L", 1.0, "auto"),
]

CHILD = """
import json, sys
from dataclasses import replace
import matcher
from matcher.synthetic.families import make

def kib(key):
    for line in open("/proc/self/status"):
        if line.startswith(key):
            return int(line.split()[1]) * 1024

family, tier, factor, method = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4]
p = make(family, tier, 0)
if factor != 1 and p.policy.max_distance_km:
    policy = replace(p.policy, max_distance_km=p.policy.max_distance_km * factor)
    p = matcher.Problem(p.volunteers, p.needs, policy)
base = kib("VmRSS:")
with open("/proc/self/clear_refs", "w") as f:
    f.write("5")
r = matcher.solve(p, method)
peak = kib("VmHWM:")
pairs = matcher.build_graph(p).n_edges
print(json.dumps({"pairs": pairs, "records": len(p.volunteers) + len(p.needs),
                  "method": r.method, "peak": peak - base}))
"""


def measure(family: str, tier: str, factor: float, method: str) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, family, tier, str(factor), method],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tier", choices=["M", "L"], help="only the cases of this tier")
    args = parser.parse_args(argv)
    print(
        "| family, tier, radius x | method | candidate pairs | peak above the records | per pair |"
    )
    print("|---|---|---|---|---|")
    for family, tier, factor, method in CASES:
        if args.tier and tier != args.tier:
            continue
        row = measure(family, tier, factor, method)
        print(
            f"| {family} {tier}, x{factor:g} | {row['method']} | {row['pairs']:,} | "
            f"{row['peak'] / 2**20:,.0f} MiB | {row['peak'] / row['pairs']:.0f} bytes |",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
