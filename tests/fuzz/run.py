"""The long fuzzing campaign, coverage-guided with atheris (libFuzzer for Python).

Run from the repository root, one target at a time (``pip install -e ".[fuzz]"``)::

    python -m tests.fuzz.run volunteers_csv --execs 1000000
    python -m tests.fuzz.run xlsx_cells --max-time 900          # at most 15 minutes
    python -m tests.fuzz.run volunteers_csv --replay FILE ...     # run the target on files
    python -m tests.fuzz.run xlsx_xml --minimise FILE             # shrink a finding
    python -m tests.fuzz.run solve_verify --show FILE             # the problem drawn from FILE
    python -m tests.fuzz.run volunteers_csv --merge --keep 40     # new seeds that add coverage

matcher (and openpyxl and zipfile for the workbook targets) is instrumented (see
:func:`instrumented`); solve_verify runs as a row of processes of 100,000 executions
(``--restart-every``: atheris leaks memory on instrumented numpy comparisons); the
seeds are ``tests/fuzz/corpus/<target>/``, new inputs go to
``/tmp/matcher-fuzz/<target>/corpus/``. A finding does not stop the run: the first
input of each kind (exception type and the innermost frame in matcher) is saved to
``/tmp/matcher-fuzz/<target>/findings/`` with its traceback and counted;
``--stop-on-crash`` lets libFuzzer stop there instead. Every minute, and at the
end, the run prints its executions, executions per second and findings. Arguments
after ``--`` go to libFuzzer (``-- -timeout=30``).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
import traceback
from collections import Counter
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "corpus"
WORK = Path("/tmp/matcher-fuzz")
MAX_LEN = {"xlsx_raw": 16384, "xlsx_xml": 8192}  # libFuzzer's -max_len; 4096 otherwise
WORKBOOK_TARGETS = ("xlsx_raw", "xlsx_cells", "xlsx_xml")


def signature(exc: BaseException) -> str:
    """The kind of a finding: exception type, innermost matcher frame (or innermost frame)."""
    frames = traceback.extract_tb(exc.__traceback__)
    ours = [f for f in frames if "/matcher/" in f.filename] or frames
    where = f"{Path(ours[-1].filename).name}:{ours[-1].lineno} {ours[-1].name}" if ours else "?"
    what = type(exc).__name__
    if what == "ContractBroken":
        what += f"({str(exc)[:40]})"
    return f"{what} at {where}"


class Harness:
    """Calls the target, counts executions, keeps one input per kind of finding."""

    def __init__(self, name: str, target: Callable[[bytes], None], out: Path, stop: bool):
        self.name, self.target, self.stop = name, target, stop
        self.runs, self.max_time = 0, 0.0  # the bounds (0: none), enforced here
        self.findings_dir = out / "findings"
        self.findings: Counter[str] = Counter()
        self.execs = 0
        self.busy = 0.0  # seconds inside the target (the rest is libFuzzer's)
        self.start = self.last = time.monotonic()

    def __call__(self, data: bytes) -> None:
        self.execs += 1
        began = time.perf_counter()
        try:
            self.target(data)
        except Exception as exc:
            if self.stop:
                raise
            self._record(data, exc)
        finally:
            self.busy += time.perf_counter() - began
        if self.execs % 64 == 0 or self.execs == self.runs:
            self._tick()

    def _tick(self) -> None:
        """Report every minute; stop at the bounds (libFuzzer's own end skips Python's atexit,
        and its -runs does not count the first pass over the corpus)."""
        now = time.monotonic()
        if self.execs == self.runs or (self.max_time and now - self.start >= self.max_time):
            self.report(final=True)
            sys.stdout.flush()
            os._exit(0)
        if now - self.last >= 60:
            self.report()

    def _record(self, data: bytes, exc: Exception) -> None:
        sig = signature(exc)
        self.findings[sig] += 1
        if self.findings[sig] > 1:
            return
        self.findings_dir.mkdir(parents=True, exist_ok=True)
        stem = hashlib.sha1(data).hexdigest()[:16]
        (self.findings_dir / stem).write_bytes(data)
        text = "".join(traceback.format_exception(exc))
        (self.findings_dir / f"{stem}.txt").write_text(f"{sig}\n{text}", encoding="utf-8")
        print(f"\n*** NEW FINDING in {self.name}: {sig}\n    input: {self.findings_dir / stem}")
        print(text, file=sys.stderr, flush=True)

    def report(self, final: bool = False) -> None:
        self.last = time.monotonic()
        took = max(self.last - self.start, 1e-9)
        if final:
            from .targets import cleanup

            cleanup()
            with open(self.findings_dir.parent / "runs.jsonl", "a", encoding="utf-8") as f:
                line = {"execs": self.execs, "seconds": took, "findings": dict(self.findings)}
                f.write(json.dumps(line) + "\n")
        head = "DONE" if final else "progress"
        print(
            f"[{head}] {self.name}: {self.execs} executions in {took:.0f} s "
            f"({self.execs / took:.0f} exec/s, {100 * self.busy / took:.0f}% in the target); "
            f"{len(self.findings)} kinds of finding",
            flush=True,
        )
        for sig, n in self.findings.most_common():
            print(f"    {n:8d} x {sig}", flush=True)


SOLVING = ("graph", "solvers", "planning", "verify", "result", "report", "synthetic", "cli")
SLOW_LOOPS = ("matcher.model.names",)  # edit distances: instrumented, 10x slower, no new paths


def _modules(*subpackages: str) -> list[str]:
    """The module names under ``matcher/<subpackage>/``, found without importing matcher."""
    root = HERE.parents[1]
    out = []
    for sub in subpackages:
        for path in (root / "matcher" / sub).rglob("*.py"):
            parts = path.relative_to(root).with_suffix("").parts
            out.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return out


def instrumented(name: str) -> tuple[list[str], list[str]]:
    """The packages atheris instruments for target *name*, and the modules it leaves out.

    A reader is guided by the coverage of reading and of the model's checks, not of
    the solvers that run on what it reads; the workbook readers also by openpyxl's
    (and zipfile's) parsing, except ``xlsx_cells``, whose workbooks openpyxl writes.
    """
    if name == "solve_verify":
        return ["matcher", "tests"], list(SLOW_LOOPS)
    include = ["matcher"]
    if name in ("xlsx_raw", "xlsx_xml"):
        include += ["openpyxl", "et_xmlfile", "zipfile"]
    solving = [s for s in SOLVING if not (name == "result_json" and s in ("result", "verify"))]
    return include, [*_modules(*solving), *SLOW_LOOPS]


def load_target(name: str, instrument: bool) -> Callable[[bytes], None]:
    """The target function; with *instrument*, the code it exercises instrumented for atheris."""
    if not instrument:
        from .targets import TARGETS

        return TARGETS[name]
    import atheris

    include, exclude = instrumented(name)
    with atheris.instrument_imports(include=include, exclude=exclude):
        import zipfile  # noqa: F401  (instrumented for the workbook targets)

        import openpyxl  # noqa: F401

        import matcher.io.sheets  # noqa: F401

        from .targets import TARGETS
    return TARGETS[name]


def write_dict(name: str, out: Path) -> Path | None:
    """The libFuzzer dictionary of a target (its format's words), or None if it has none."""
    from .vocab import tokens

    words = tokens(name)
    if not words:
        return None
    path = out / "dict"
    lines = ['"' + "".join(_escape(b) for b in w) + '"' for w in words]
    path.write_text("\n".join(lines) + "\n", encoding="ascii")
    return path


def _escape(b: int) -> str:
    if b in (0x22, 0x5C) or not 0x20 <= b < 0x7F:
        return f"\\x{b:02x}"
    return chr(b)


RESTART_EVERY = {"solve_verify": 100_000}
"""Executions per process, by target (0: one process). atheris leaks the result of every
comparison of numpy arrays in instrumented code (~1 KB each, ~10 KB per solve_verify
execution), so a long solve_verify campaign runs as a row of processes, one at a time."""


def campaign(args: argparse.Namespace) -> None:
    """--execs / --max-time as a row of processes of --restart-every executions, one at a time."""
    stats = WORK / args.target / "runs.jsonl"
    stats.parent.mkdir(parents=True, exist_ok=True)
    seen = len(stats.read_text().splitlines()) if stats.exists() else 0
    started, execs = time.monotonic(), 0
    while execs < args.execs:
        left = args.max_time - (time.monotonic() - started) if args.max_time else 0
        if args.max_time and left < 10:
            break
        child = [sys.executable, "-m", "tests.fuzz.run", args.target, "--restart-every", "0"]
        child += ["--execs", str(min(args.restart_every, args.execs - execs))]
        child += ["--max-time", str(int(left))] if args.max_time else []
        child += ["--stop-on-crash"] if args.stop_on_crash else []
        subprocess.run([*child, "--", *args.libfuzzer], cwd=HERE.parents[1], check=False)
        lines = stats.read_text().splitlines()[seen:] if stats.exists() else []
        if not lines:  # the child stopped without its report (a crash, a timeout, out of memory)
            break
        execs, seen = execs + sum(json.loads(x)["execs"] for x in lines), seen + len(lines)
    took = time.monotonic() - started
    print(
        f"[CAMPAIGN] {args.target}: {execs} executions in {took:.0f} s ({execs / took:.0f} exec/s)"
    )


def fuzz(args: argparse.Namespace) -> None:
    """The campaign: libFuzzer drives the harness until --execs or --max-time."""
    import atheris

    if args.restart_every is None:
        args.restart_every = RESTART_EVERY.get(args.target, 0)
    if 0 < args.restart_every < args.execs:
        return campaign(args)

    out = WORK / args.target
    (out / "corpus").mkdir(parents=True, exist_ok=True)
    harness = Harness(args.target, load_target(args.target, True), out, args.stop_on_crash)
    harness.runs, harness.max_time = args.execs, args.max_time
    flags = [
        f"-runs={args.execs}",
        f"-max_len={MAX_LEN.get(args.target, 4096)}",
        f"-artifact_prefix={out}/",
        "-timeout=60",
        "-rss_limit_mb=2048",
        "-print_final_stats=1",
    ]
    if args.max_time:  # the harness stops at max_time; libFuzzer is the fallback
        flags.append(f"-max_total_time={args.max_time + 30}")
    dictionary = write_dict(args.target, out)
    if dictionary is not None:
        flags.append(f"-dict={dictionary}")
    argv = [sys.argv[0], *flags, *args.libfuzzer, str(out / "corpus"), str(CORPUS / args.target)]
    print("libFuzzer:", " ".join(argv[1:]), flush=True)
    atheris.Setup(argv, harness)
    atheris.Fuzz()


def replay(args: argparse.Namespace) -> int:
    """Run the target on each file; print what each did. Exit status 1 if any broke."""
    target = load_target(args.target, False)
    broke = 0
    for path in args.replay:
        try:
            target(Path(path).read_bytes())
        except Exception as exc:
            broke += 1
            print(f"BROKE {path}: {signature(exc)}")
            traceback.print_exception(exc)
        else:
            print(f"ok    {path}")
    return 1 if broke else 0


def show(data: bytes) -> int:
    """Print the problem and method :mod:`tests.fuzz.records` draws from *data*."""
    from matcher import InputError

    from .records import drawn_problem

    try:
        problem, method, d = drawn_problem(data)
    except InputError as exc:
        print(f"Problem refuses the drawn records:\n{exc}")
        return 0
    print(f"method={method!r}\npolicy={problem.policy!r}")
    for name in ("volunteers", "needs", "pinned", "forbidden", "history"):
        print(f"{name}={getattr(problem, name)!r}")
    print(f"(the rest of the bytes, for a re-plan: {data[d.pos :]!r})")
    return 0


def minimise(target: Callable[[bytes], None], data: bytes) -> tuple[bytes, str]:
    """The smallest input (removing chunks, then single bytes) that breaks the same way."""

    def breaks(candidate: bytes) -> str | None:
        try:
            target(candidate)
        except Exception as exc:
            return signature(exc)
        return None

    sig = breaks(data)
    if sig is None:
        raise SystemExit("the input does not break the target: nothing to minimise")
    chunk = max(len(data) // 2, 1)
    while True:
        i, changed = 0, False
        while i < len(data):
            candidate = data[:i] + data[i + chunk :]
            if breaks(candidate) == sig:
                data, changed = candidate, True
            else:
                i += chunk
        if chunk == 1 and not changed:
            return data, sig
        chunk = max(chunk // 2, 1) if not changed else chunk


def merge(args: argparse.Namespace) -> None:
    """Add to the seeds the few new inputs that add coverage (libFuzzer's merge), smallest first."""
    out = WORK / args.target
    merged = out / "merged"
    shutil.rmtree(merged, ignore_errors=True)
    merged.mkdir(parents=True)
    seeds = CORPUS / args.target
    before = {p.read_bytes() for p in seeds.iterdir()}
    flags = ["-merge=1", f"-max_len={MAX_LEN.get(args.target, 4096)}"]
    # libFuzzer merges in a child process it starts as argv[0]: a script that runs --inner
    subprocess.run(
        [str(_wrapper(args.target, out)), *flags, str(merged), str(seeds), str(out / "corpus")]
    )
    new = sorted((p for p in merged.iterdir() if p.read_bytes() not in before), key=_size)
    kept = [p for p in new if _size(p) <= args.max_size][: args.keep]
    for p in kept:
        shutil.copy(p, seeds / f"atheris-{p.name[:12]}")
    print(f"merge: {len(new)} new inputs add coverage; kept the {len(kept)} smallest")


def _wrapper(target: str, out: Path) -> Path:
    """An executable that runs this module's --inner mode (libFuzzer's argv[0] for children)."""
    path = out / "inner.sh"
    root = HERE.parents[1]
    path.write_text(
        f'#!/bin/sh\ncd "{root}" && exec "{sys.executable}" -m tests.fuzz.run {target} --inner -- "$@"\n'
    )
    path.chmod(0o755)
    return path


def inner(args: argparse.Namespace) -> None:
    """libFuzzer's child (a merge): the instrumented harness, libFuzzer's own arguments."""
    import atheris

    out = WORK / args.target
    harness = Harness(args.target, load_target(args.target, True), out, False)
    atheris.Setup([str(out / "inner.sh"), *args.libfuzzer], harness)
    atheris.Fuzz()


def _size(p: Path) -> int:
    return p.stat().st_size


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.fuzz.run", description=__doc__)
    parser.add_argument("target")
    parser.add_argument("--execs", type=int, default=1_000_000, help="executions (-runs)")
    parser.add_argument("--max-time", type=int, default=0, help="seconds at most (0: no limit)")
    parser.add_argument("--stop-on-crash", action="store_true")
    parser.add_argument(
        "--restart-every", type=int, metavar="N", help="a new process every N executions"
    )
    parser.add_argument("--replay", nargs="+", metavar="FILE")
    parser.add_argument("--minimise", metavar="FILE")
    parser.add_argument("--show", metavar="FILE", help="solve_verify: the problem drawn from FILE")
    parser.add_argument("--merge", action="store_true")
    parser.add_argument("--inner", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--keep", type=int, default=40, help="merge: new seeds kept at most")
    parser.add_argument("--max-size", type=int, default=2048, help="merge: largest seed kept")
    argv = sys.argv[1:] if argv is None else argv
    cut = argv.index("--") if "--" in argv else len(argv)
    args = parser.parse_args(argv[:cut])
    args.libfuzzer = argv[cut + 1 :]  # libFuzzer's own arguments, after --
    names = sorted(p.name for p in CORPUS.iterdir() if p.is_dir())  # a folder per target
    if args.target not in names:  # checked without importing matcher before it is instrumented
        parser.error(f"unknown target {args.target!r}; one of {', '.join(names)}")
    if args.replay:
        return replay(args)
    if args.show:
        return show(Path(args.show).read_bytes())
    if args.minimise:
        small, sig = minimise(load_target(args.target, False), Path(args.minimise).read_bytes())
        print(f"{sig}\n{len(small)} bytes: {small!r}")
        return 0
    if args.inner:
        inner(args)
    elif args.merge:
        merge(args)
    else:
        fuzz(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
