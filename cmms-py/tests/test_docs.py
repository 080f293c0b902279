"""The guides' examples run as written: every ``python`` block of docs/preventive-maintenance.md
and docs/python.md is executed (python.md's in order, in a scratch directory, as one reader
would), and the PM guide's ``json`` schedule is one the engine accepts."""

from __future__ import annotations

import json
import pathlib

import pytest

import cmms.pm

DOCS = pathlib.Path(__file__).resolve().parents[2] / "docs"
GUIDE = DOCS / "preventive-maintenance.md"


def blocks(lang: str, guide: pathlib.Path = GUIDE) -> list[str]:
    text = guide.read_text(encoding="utf-8")
    return [b.split("```", 1)[0] for b in text.split(f"```{lang}\n")[1:]]


@pytest.mark.parametrize("index", range(len(blocks("python"))))
def test_python_examples_run(index: int) -> None:
    exec(compile(blocks("python")[index], f"{GUIDE.name}[python {index}]", "exec"), {})


def test_there_are_examples_and_the_schedule_is_valid() -> None:
    assert len(blocks("python")) >= 4
    (schedule,) = blocks("json")
    cmms.pm.next_due(json.loads(schedule))


def test_the_python_guide_runs_in_order(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    guide = DOCS / "python.md"
    examples = blocks("python", guide)
    assert len(examples) >= 4
    monkeypatch.chdir(tmp_path)
    for i, code in enumerate(examples):
        exec(compile(code, f"{guide.name}[python {i}]", "exec"), {"__name__": "__guide__"})
        # Each block's printed lines match the comments that show them.
        shown = [line.split("# ", 1)[1] for line in code.splitlines()
                 if line.lstrip().startswith(("# [", "# '")) or ("print(" in line and "  # " in line)]
        printed = capsys.readouterr().out.splitlines()
        for expected in shown:
            assert expected in printed, (i, expected, printed)


def test_the_notifications_guide_runs_in_order() -> None:
    guide = DOCS / "notifications.md"
    examples = blocks("python", guide)
    assert len(examples) >= 1
    scope: dict[str, object] = {"__name__": "__guide__"}
    for i, code in enumerate(examples):
        exec(compile(code, f"{guide.name}[python {i}]", "exec"), scope)
