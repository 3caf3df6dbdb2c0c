"""Which errors count as an outage (retried without limit) and which as the message's fault."""

import nats.errors
import pytest
from huddle_shared.faults import is_unavailable
from pydantic import BaseModel, ValidationError
from pymongo.errors import (
    AutoReconnect,
    DuplicateKeyError,
    ExecutionTimeout,
    NetworkTimeout,
    OperationFailure,
    ServerSelectionTimeoutError,
)

pytestmark = pytest.mark.unit


class _Model(BaseModel):
    n: int


def _validation_error() -> ValidationError:
    try:
        _Model.model_validate({"n": "x"})
    except ValidationError as exc:
        return exc
    raise AssertionError("unreachable")


@pytest.mark.parametrize(
    "error",
    [
        ServerSelectionTimeoutError("no server"),
        AutoReconnect("primary stepped down"),
        NetworkTimeout("socket timed out"),
        ExecutionTimeout("operation exceeded time limit", code=50),
        nats.errors.TimeoutError(),
        nats.errors.ConnectionClosedError(),
        nats.errors.NoRespondersError(),
        TimeoutError(),
        ConnectionRefusedError(),
    ],
)
def test_outages_are_recognised(error: BaseException) -> None:
    assert is_unavailable(error)


def test_an_outage_behind_another_error_is_recognised() -> None:
    wrapped = RuntimeError("could not apply the event")
    wrapped.__cause__ = ServerSelectionTimeoutError("no server")
    assert is_unavailable(wrapped)


@pytest.mark.parametrize(
    "error",
    [
        _validation_error(),
        ValueError("bad data"),
        KeyError("missing"),
        DuplicateKeyError("E11000"),
        OperationFailure("bad update", code=9),
    ],
)
def test_errors_in_the_message_are_not_outages(error: BaseException) -> None:
    assert not is_unavailable(error)
