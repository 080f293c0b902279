"""The guides' examples run as written: every ``python`` block of docs/preventive-maintenance.md
is executed, and its ``json`` schedule is one the engine accepts."""

from __future__ import annotations

import json
import pathlib

import pytest

import cmms.pm

GUIDE = pathlib.Path(__file__).resolve().parents[2] / "docs" / "preventive-maintenance.md"


def blocks(lang: str) -> list[str]:
    text = GUIDE.read_text(encoding="utf-8")
    return [b.split("```", 1)[0] for b in text.split(f"```{lang}\n")[1:]]


@pytest.mark.parametrize("index", range(len(blocks("python"))))
def test_python_examples_run(index: int) -> None:
    exec(compile(blocks("python")[index], f"{GUIDE.name}[python {index}]", "exec"), {})


def test_there_are_examples_and_the_schedule_is_valid() -> None:
    assert len(blocks("python")) >= 4
    (schedule,) = blocks("json")
    cmms.pm.next_due(json.loads(schedule))
