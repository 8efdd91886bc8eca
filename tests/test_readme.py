"""The README is a test: its Python runs, and its quickstart is the two documented commands."""

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


def blocks(lang):
    return re.findall(rf"```{lang}\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)


def test_quickstart_is_exactly_the_two_commands():
    text = README.read_text(encoding="utf-8")
    quick = text.split("## Quickstart", 1)[1].split("\n## ", 1)[0]
    commands = re.findall(r"```bash\n(.*?)```", quick, flags=re.S)
    assert [c.strip() for c in commands] == [
        "pip install . && matcher demo",
        'pip install ".[test]" && pytest',
    ]


def test_ci_runs_the_readme_test_command():
    ci = (README.parent / ".ci" / "run").read_text(encoding="utf-8")
    assert 'pip install ".[test]" && pytest' in ci


def test_readme_is_a_front_page():
    # the details live in docs/ (tests/test_docs.py runs their blocks and the README's bash)
    assert len(README.read_text(encoding="utf-8").splitlines()) <= 200


@pytest.mark.parametrize("code", blocks("python"))
def test_python_blocks_run(code, capsys, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # a block may write files: only here
    exec(compile(code, str(README), "exec"), {})
    out = capsys.readouterr().out
    assert out  # every README example prints what it shows
    if "ProcessPoolExecutor" in code:
        assert out.strip() == "True"
    if "lawyer-3" in code:
        assert "lawyer-3 no_skill (0, 0, 0, 0, 0)" in out
        assert "care-12 <- ana" in out and "ride-7 <- bo" in out
