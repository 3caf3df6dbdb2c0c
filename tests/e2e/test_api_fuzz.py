"""Property-based requests against the whole system, from the gateway's own OpenAPI schema.

Schemathesis generates valid requests and, separately, requests that break the schema
(negative mode) for every operation (signed in as an instance admin, so the deep paths run).
Whatever it sends, the answer is never a server error, every error is RFC 9457 problem
details without a stack trace, and a schema's bounds are held (its coverage phase sends each value at and past them).
"""

import os
import secrets
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from huddle_devkit import system
from huddle_devkit.servers import ferretdb_server, free_port, nats_server, running
from huddle_shared.services import service_names
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from support import caller_keys

pytestmark = pytest.mark.e2e

ADMIN = {"email": "admin@example.org", "password": "admin password long enough"}
SERVICES = (*service_names(), "gateway")


@pytest.fixture(scope="module")
def huddle_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    state = tmp_path_factory.mktemp("fuzz")
    port = free_port()
    with running(nats_server(state / "nats")) as bus, running(ferretdb_server(state / "db")) as db:
        env = system.environment(
            nats_url=bus.url,  # type: ignore[attr-defined]
            mongodb_url=os.environ.get("MONGODB_URL") or db.url,  # type: ignore[attr-defined]
            gateway_port=port,
            extra={
                "HUDDLE_DB_PREFIX": "fuzz" + state.name[-6:],
                "HUDDLE_ADMIN_EMAIL": ADMIN["email"],
                "HUDDLE_ADMIN_PASSWORD": ADMIN["password"],
                "HUDDLE_JWT_SECRET": secrets.token_urlsafe(48),
                "LOG_LEVEL": "WARNING",
                **caller_keys().environment(),
            },
        )
        logs = (Path(state) / "services.log").open("ab")
        processes = [
            subprocess.Popen(
                system.command(name),
                env=system.for_process(env, name, bus.credentials.directory),  # type: ignore[attr-defined]
                stdout=logs,
                stderr=subprocess.STDOUT,
            )
            for name in SERVICES
        ]
        url = f"http://127.0.0.1:{port}"
        try:
            _wait_ready(url)
            yield url
        finally:
            for process in processes:
                process.terminate()
            for process in processes:
                process.wait(10)
            logs.close()


def _wait_ready(url: str) -> None:
    import time

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/health/ready", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError("the system did not become ready")


@pytest.fixture(scope="module")
def admin_headers(huddle_url: str) -> dict[str, str]:
    response = httpx.post(f"{huddle_url}/api/v1/auth/token", json=ADMIN, timeout=10)
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


@pytest.fixture(scope="module")
def api_schema(huddle_url: str) -> Any:
    return schemathesis.openapi.from_url(f"{huddle_url}/schema/openapi.json")


def problem_details_without_traces(ctx: Any, response: Any, case: Any) -> bool | None:
    if response.status_code >= 400:
        content_type = response.headers.get("content-type", [""])
        content_type = content_type[0] if isinstance(content_type, list) else content_type
        assert content_type.startswith("application/problem+json"), (
            f"{case.method} {case.formatted_path} answered {response.status_code} as {content_type}"
        )
        body = response.json()
        assert body["status"] == response.status_code and body["title"]
        assert "Traceback" not in response.text
    return None


# Not negative_data_rejection: pydantic's lax mode takes 0 for false, which that check
# counts as accepting invalid data; the guarantee here is no 5xx and problem details.
CHECKS = [not_a_server_error, problem_details_without_traces]


def operations_to_exercise(api_schema: Any) -> list[Any]:
    operations = []
    for result in api_schema.get_all_operations():
        operation = result.ok()
        if operation.path == "/api/v1/me" and operation.method.upper() == "DELETE":
            continue  # erasing the signed-in admin would end the run's other cases
        operations.append(operation)
    assert len(operations) >= 20
    return operations


@pytest.mark.timeout(400)  # every operation, 15 examples each: minutes on a busy machine
def test_no_request_breaks_the_api(api_schema: Any, admin_headers: dict[str, str]) -> None:
    failures: list[str] = []
    for operation in operations_to_exercise(api_schema):

        @given(
            case=operation.as_strategy(GenerationMode.POSITIVE)
            | operation.as_strategy(GenerationMode.NEGATIVE)
        )
        @settings(
            max_examples=15,
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        )
        def exercise(case: Any) -> None:
            case.call_and_validate(headers=admin_headers, checks=CHECKS, timeout=10)

        try:
            exercise()
        except (Exception, BaseExceptionGroup) as exc:  # every operation's failures, then all
            failures.append(f"{operation.method.upper()} {operation.path}: {exc}"[:2000])
    assert not failures, "\n\n".join(failures)


@pytest.mark.timeout(400)
def test_no_boundary_value_breaks_the_api(api_schema: Any, admin_headers: dict[str, str]) -> None:
    """Schemathesis's coverage phase: each parameter at and just past its bounds, missing,
    of the wrong type, and bodies of other media types, for every operation."""
    failures: list[str] = []
    cases = 0
    for operation in operations_to_exercise(api_schema):
        generation = api_schema.config.generation_for(operation=operation, phase="coverage")
        for case in operation.schema.iter_coverage_cases(
            operation,
            generation_modes=list(GenerationMode),
            generation_config=generation,
            extra_data_source=None,
            error_feedback=None,
            session=None,
        ):
            cases += 1
            try:
                case.call_and_validate(headers=admin_headers, checks=CHECKS, timeout=10)
            except (Exception, BaseExceptionGroup) as exc:  # a FailureGroup is the latter
                failures.append(f"{operation.method.upper()} {operation.path}: {exc}"[:2000])
    assert cases > 100
    assert not failures, f"{len(failures)} of {cases} cases failed:\n\n" + "\n\n".join(
        failures[:20]
    )
