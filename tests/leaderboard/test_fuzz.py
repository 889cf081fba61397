"""Property-based fuzzing of the service against its own OpenAPI document (schemathesis).

Authentication is swapped out with FastAPI dependency overrides, so the fuzzer reaches the input
validation and the store behind the grader signature and the admin and learner tokens (the
signature and token checks have their own tests in ``test_api.py``).
"""

from __future__ import annotations

import re
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from dojo.leaderboard import deps
from dojo.leaderboard._boards import Viewer
from dojo.leaderboard._schemas import COHORT_PATTERN

from .conftest import Service


@pytest.fixture
def api_schema(service: Service) -> Any:
    """The running service's own OpenAPI document, with authentication overridden."""
    learner, _ = service.store.join(service.store.cohort("c1"), display_name="Fuzz")

    async def no_signature() -> None:
        return None

    async def as_admin() -> Viewer:
        return Viewer(admin=True)

    async def as_learner() -> Any:
        return learner

    overrides = service.app.dependency_overrides
    overrides[deps.require_grader] = no_signature
    overrides[deps.require_admin] = as_admin
    overrides[deps.require_learner] = as_learner
    doc = service.http.get("/openapi.json").json()
    schema = schemathesis.openapi.from_dict(doc)
    schema.config.base_url = service.url
    return schema


# schemathesis' own pytest integration (``from_fixture(...).parametrize()``) does not run under
# pytest 9 (it reads the removed ``Node._nodeid``), so each operation gets a Hypothesis test here.
FUZZ = settings(
    max_examples=30,
    deadline=None,
    database=None,  # no .hypothesis/ folder in the work tree
    suppress_health_check=list(HealthCheck),
)


def test_api_conforms_to_its_openapi_document(api_schema: Any, service: Service) -> None:
    """Check that no generated request causes a server error or a response off the document."""
    operations = [
        result.ok()
        for result in api_schema.get_all_operations()
        if not result.ok().path.endswith("/stream")  # an endless event stream
    ]
    assert len(operations) >= 12
    before = service.store.count_awards(service.store.cohort("c1"))
    for operation in operations:

        @FUZZ
        @given(case=operation.as_strategy())
        def check(case: Any) -> None:
            # Aim schema-valid cohort names at the one cohort that exists, so generated awards,
            # joins and admin changes reach the store instead of stopping at a 404.
            params = case.path_parameters or {}
            if re.fullmatch(COHORT_PATTERN, str(params.get("cohort", ""))):
                params["cohort"] = "c1"
            # Valid-by-schema data may still be refused: the document cannot say "points <=
            # max_points" or "no control characters in names", so that one check is left out.
            case.call_and_validate(
                base_url=service.url, excluded_checks=[schemathesis.checks.positive_data_acceptance]
            )

        try:
            check()
        except Exception as exc:
            raise AssertionError(f"{operation.label}: {exc}") from exc
    assert service.store.count_awards(service.store.cohort("c1")) > before  # the fuzzer got in
