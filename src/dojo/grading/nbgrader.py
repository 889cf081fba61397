"""What ``nbgrader_config.py`` plugs into nbgrader: sanitizing and sandboxed grading."""

from dojo.grading._preprocessor import SandboxedGrading
from dojo.grading._sanitize import RestoreCellRoles

__all__ = ["RestoreCellRoles", "SandboxedGrading"]
