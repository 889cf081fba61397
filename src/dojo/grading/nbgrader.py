"""What ``nbgrader_config.py`` plugs into nbgrader: sanitizing, sandboxed grading, late penalties."""

from dojo.grading._late import LatePenalty
from dojo.grading._preprocessor import SandboxedGrading
from dojo.grading._sanitize import RestoreCellRoles

__all__ = ["LatePenalty", "RestoreCellRoles", "SandboxedGrading"]
