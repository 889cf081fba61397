"""The conda environment and pyproject.toml install the same packages."""

from __future__ import annotations

import tomllib
from pathlib import Path

import yaml
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet

ROOT = Path(__file__).resolve().parents[1]


def _normalised(requirements: list[str]) -> dict[str, tuple[frozenset[str], str]]:
    parsed = [Requirement(text) for text in requirements]
    return {
        req.name.lower().replace("_", "-"): (frozenset(req.extras), str(SpecifierSet(str(req.specifier))))
        for req in parsed
    }


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def _conda_pip_section() -> list[str]:
    environment = yaml.safe_load((ROOT / "environment.yml").read_text())
    sections = [entry["pip"] for entry in environment["dependencies"] if isinstance(entry, dict)]
    assert len(sections) == 1, "environment.yml needs exactly one pip section"
    return [line for line in sections[0] if not line.startswith("-e")]


def test_conda_environment_pins_the_same_packages_as_pyproject() -> None:
    """Check that every pyproject dependency (and test extra) has the same range in environment.yml."""
    project = _pyproject()["project"]
    expected = _normalised(project["dependencies"] + project["optional-dependencies"]["test"])
    assert _normalised(_conda_pip_section()) == expected


def test_conda_environment_installs_the_course_library_and_a_supported_python() -> None:
    """Check that environment.yml installs dojo itself with a Python that pyproject accepts."""
    environment = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_lines = next(e["pip"] for e in environment["dependencies"] if isinstance(e, dict))
    assert "-e ." in pip_lines
    python = next(e for e in environment["dependencies"] if isinstance(e, str) and e.startswith("python="))
    version = python.split("=", 1)[1]
    assert SpecifierSet(_pyproject()["project"]["requires-python"]).contains(version + ".0")
