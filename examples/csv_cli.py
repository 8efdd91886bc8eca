"""The file path, scripted as a platform would: CSV in, the ``matcher`` command line, CSV out.

What it shows
-------------
A platform that keeps its volunteers and needs in CSV files drives matcher
from a script, one command per step, and checks each exit code:

1. ``matcher generate``  -- stands in for the platform's export: writes
   ``volunteers.csv``, ``needs.csv`` and ``policy.json`` (a seeded synthetic
   community) into a temporary directory;
2. ``matcher solve --volunteers ... --needs ... --policy ... --out result.json
   --plan-csv plan.csv`` -- the plan as JSON (for machines) and as CSV (for
   coordinators, with the platform's own columns such as names and rooms
   carried through);
3. ``matcher verify`` -- re-checks the result against the input files,
   independently of the solver, optimality certificate included;
4. ``matcher explain result.json NEED_ID`` -- what the plan does for one
   unmatched need, in plain words.

The commands run as ``python -m matcher ...`` with the same interpreter, so
the script works in any virtual environment where matcher is installed.
The temporary directory is removed at the end.

Run it from the repository root::

    python examples/csv_cli.py
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

SEED = 7  # the same seed writes the same files on every machine


def matcher_cli(*args: str, cwd: Path) -> str:
    """Run ``matcher ARGS...`` in *cwd*; return its standard output, fail loudly on an error."""
    print(f"$ matcher {' '.join(args)}")
    try:
        done = subprocess.run(
            [sys.executable, "-m", "matcher", *args],
            cwd=cwd,
            check=True,
            capture_output=True,
            text=True,
        )
    except subprocess.CalledProcessError as exc:
        # Exit code 2 = bad input (every problem listed), 3 = verification failed.
        print(exc.stdout, exc.stderr, sep="\n", file=sys.stderr)
        raise
    return done.stdout


def main(argv: Sequence[str] | None = None) -> int:
    with tempfile.TemporaryDirectory(prefix="matcher-csv-") as tmp:
        d = Path(tmp)  # every command runs here, so the file names stay short

        # 1. The input files (in real life: the platform's export).
        print(matcher_cli("generate", "--out", ".", "--seed", str(SEED),
                          "--communities", "2", "--buildings", "20", cwd=d))  # fmt: skip
        with (d / "volunteers.csv").open(encoding="utf-8", newline="") as f:
            print("volunteers.csv starts with:")
            for line in f.readlines()[:3]:
                print("  " + line.rstrip("\r\n"))
        print()

        # 2. Solve. --quiet: no summary on stdout; the two files are what we want.
        matcher_cli("solve", "--volunteers", "volunteers.csv", "--needs", "needs.csv",
                    "--policy", "policy.json", "--out", "result.json",
                    "--plan-csv", "plan.csv", "--quiet", cwd=d)  # fmt: skip
        with (d / "plan.csv").open(encoding="utf-8", newline="") as f:
            lines = f.read().splitlines()
        print(f"plan.csv: a header and {len(lines) - 1} rows (one per match or unserved need):")
        for line in lines[:6]:
            print("  " + line)
        print()

        # 3. Verify the result against the same input files (exit code 3 if anything is wrong).
        print(matcher_cli("verify", "--volunteers", "volunteers.csv", "--needs", "needs.csv",
                          "--policy", "policy.json", "result.json", cwd=d))  # fmt: skip

        # 4. Explain the most urgent unmatched need: the result JSON lists the
        #    unmatched needs with their reasons, the needs CSV has the priorities.
        result = json.loads((d / "result.json").read_text(encoding="utf-8"))
        m = result["metrics"]
        print(
            f"coverage {m['coverage']:.1%}, participation {m['participation_rate']:.1%}: "
            f"{len(result['matches'])} matches, {len(result['unmatched'])} needs (partly) unserved"
        )
        if result["unmatched"]:
            with (d / "needs.csv").open(encoding="utf-8", newline="") as f:
                priority = {row["id"]: int(row["priority"] or 1) for row in csv.DictReader(f)}
            worst = min(result["unmatched"], key=lambda u: (-priority[u["need_id"]], u["need_id"]))
            print(matcher_cli("explain", "result.json", worst["need_id"], cwd=d))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
