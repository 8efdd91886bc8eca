"""Fuzzing in the suite: the corpus and every saved crash replayed, then a bounded fuzz run (issue 15).

The targets (``tests/fuzz/targets.py``) hold matcher to its contract on any
bytes: a reader returns records or raises ``InputError`` (``MissingDependency``
for a missing extra); what reads solves to a plan ``verify`` accepts, or is refused
with ``InputError`` / ``UnsupportedProblem``; nothing else escapes.

- every corpus file (``tests/fuzz/corpus/<target>/``) keeps the contract;
- every saved crash (``tests/fuzz/crashes/<target>/``, each with a ``.txt`` line
  saying what it broke) keeps it too: a test named for the crash, so a crash that
  comes back fails by its name;
- each target runs on a fixed number of Hypothesis inputs (plain bytes, mutated
  corpus files, documents built from the format: ``tests/fuzz/inputs.py``),
  derandomised, so every run draws the same inputs; about a minute for all targets
  together in the ``ci`` profile.

The long, coverage-guided campaign is ``python -m tests.fuzz.run TARGET`` (atheris;
CONTRIBUTING.md, "Fuzzing").
"""

from __future__ import annotations

import traceback

import pytest
from fuzz.inputs import HERE, corpus_files, crash_files, inputs
from fuzz.targets import TARGETS, run_target
from hypothesis import HealthCheck, Phase, given, settings
from strategies import budget

#: Bounded-run examples per target as a multiple of the profile's max_examples (700 in
#: ``ci``: 4,200 inputs for a CSV reader); about 6-8 s per target on one core, so that
#: the cheap readers get many inputs and the targets that build workbooks fewer.
SHARE = {
    "volunteers_csv": 6.0,
    "needs_csv": 6.0,
    "records_json": 4.0,
    "xlsx_raw": 2.0,
    "xlsx_cells": 1.5,
    "xlsx_xml": 2.0,
    "policy_json": 5.0,
    "problem_json": 6.0,
    "pairs_csv": 4.0,
    "pairs_json": 4.0,
    "result_json": 4.0,
    "solve_verify": 7.0,
}
CORPUS_BYTES = 2 * 2**20

CRASHES = [(target, path) for target in TARGETS for path in crash_files(target)]


def test_every_target_has_a_corpus_folder_and_a_bounded_run():
    folders = {p.name for p in (HERE / "corpus").iterdir() if p.is_dir()}
    assert folders == set(TARGETS) == set(SHARE)
    assert all(corpus_files(t) for t in TARGETS)
    crashes = HERE / "crashes"
    crash_folders = {p.name for p in crashes.iterdir() if p.is_dir()} if crashes.is_dir() else set()
    assert crash_folders <= set(TARGETS)


def test_the_corpus_stays_small():
    size = sum(p.stat().st_size for t in TARGETS for p in corpus_files(t))
    assert size < CORPUS_BYTES


@pytest.mark.parametrize("target", list(TARGETS))
def test_every_corpus_file_keeps_the_contract(target):
    broken = []
    for path in corpus_files(target):
        try:
            run_target(target, path.read_bytes())
        except Exception as exc:
            broken.append(f"{path.name}:\n{''.join(traceback.format_exception(exc))}")
    assert not broken, f"{len(broken)} corpus files of {target} break the contract:\n" + "\n".join(
        broken
    )


@pytest.mark.parametrize(
    ("target", "path"), CRASHES, ids=[f"{t}/{p.name}" for t, p in CRASHES] or None
)
def test_a_saved_crash_no_longer_breaks_the_contract(target, path):
    run_target(target, path.read_bytes())


@pytest.mark.parametrize(
    ("target", "path"), CRASHES, ids=[f"{t}/{p.name}" for t, p in CRASHES] or None
)
def test_every_saved_crash_says_what_it_broke(target, path):
    note = path.with_name(path.name + ".txt")
    assert note.is_file(), f"{note} is missing: one line saying what the input broke"
    lines = note.read_text(encoding="utf-8").strip().splitlines()
    assert len(lines) == 1 and lines[0].strip()


@pytest.mark.parametrize("target", list(TARGETS))
def test_a_bounded_fuzz_run_finds_nothing(target):
    @settings(
        max_examples=budget(SHARE[target]),
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        # no shrinking: a finding is reported at once, as drawn (minutes of shrinking
        # otherwise); `python -m tests.fuzz.run TARGET --minimise FILE` shrinks it
        phases=[Phase.explicit, Phase.reuse, Phase.generate],
    )
    @given(data=inputs(target))
    def run(data: bytes) -> None:
        run_target(target, data)

    run()
