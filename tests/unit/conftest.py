"""Helpers shared by the unit tests: broken definitions written to disk, the problems they give."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from traject.definition import DefinitionError, Problem, compile_file


@pytest.fixture
def rejected(tmp_path: Path) -> Callable[..., list[Problem]]:
    """`rejected(text, name="broken.yaml")`: write the file, compile it, return the problems it
    was rejected with (fails the test when it compiles)."""

    def compile_broken(text: str, name: str = "broken.yaml") -> list[Problem]:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        with pytest.raises(DefinitionError) as error:
            compile_file(path)
        assert error.value.problems, "a DefinitionError lists its problems"
        return list(error.value.problems)

    return compile_broken


@pytest.fixture
def setting(monkeypatch: pytest.MonkeyPatch) -> Callable[[str, str | None], None]:
    """`setting("GC", "default")`: set TRAJECT_GC for the test; `None` leaves it unset."""

    def put(name: str, value: str | None) -> None:
        if value is None:
            monkeypatch.delenv(f"TRAJECT_{name}", raising=False)
        else:
            monkeypatch.setenv(f"TRAJECT_{name}", value)

    return put
