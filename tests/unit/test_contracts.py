import json
from datetime import UTC, datetime
from uuid import UUID, uuid4

import pytest
from huddle_shared.config import ServiceSettings
from huddle_shared.contracts.envelope import EventEnvelope
from huddle_shared.contracts.membership import (
    MemberRegisteredV1,
    MemberType,
    OrganisationKind,
    RegisterAccount,
)
from huddle_shared.contracts.registry import UnknownEventType, all_payload_types, payload_type
from huddle_shared.messaging.dead_letter import DeadLetterMiddleware, RetryPolicy
from huddle_shared.service import ServiceBuilder
from huddle_shared.services import service, stream_for_subject
from pydantic import ValidationError

pytestmark = pytest.mark.unit


def registration() -> MemberRegisteredV1:
    return MemberRegisteredV1(
        member_id=uuid4(),
        display_name="Ben Patel",
        member_type=MemberType.PATIENT_SAFETY_PARTNER,
        organisation_id=uuid4(),
        organisation_kind=OrganisationKind.CHARITY,
        region=None,
        registered_at=datetime(2026, 1, 1, tzinfo=UTC),
    )


def test_envelope_carries_type_version_instance_and_a_time_ordered_id() -> None:
    first = EventEnvelope.wrap(registration(), instance_id="yorkshire", correlation_id="c1")
    second = EventEnvelope.wrap(registration(), instance_id="yorkshire")
    assert first.event_type == "member.registered"
    assert first.schema_version == 1
    assert first.instance_id == "yorkshire"
    assert first.occurred_at.tzinfo is not None
    assert UUID(str(first.event_id)).version == 7
    assert first.event_id < second.event_id  # time-ordered
    member = first.payload["member_id"]
    assert first.subject == f"events.membership.personal.{member}.member.registered.v1"


def test_envelope_round_trips_through_json() -> None:
    envelope = EventEnvelope.wrap(registration(), instance_id="x")
    again = EventEnvelope.model_validate_json(envelope.model_dump_json())
    assert again == envelope
    assert again.payload_as(MemberRegisteredV1) == registration().model_copy(
        update={
            "member_id": again.payload_as(MemberRegisteredV1).member_id,
            "organisation_id": again.payload_as(MemberRegisteredV1).organisation_id,
        }
    )


def test_every_event_has_a_stream_and_a_registry_entry() -> None:
    for model in all_payload_types():
        assert payload_type(model.event_type, model.version) is model
        assert stream_for_subject(model.subject_filter()) == service(model.producer).stream


def test_unknown_event_versions_are_refused() -> None:
    with pytest.raises(UnknownEventType):
        payload_type("member.registered", 99)


def test_account_requests_refuse_weak_passwords_and_bad_emails() -> None:
    with pytest.raises(ValidationError) as caught:
        RegisterAccount.model_validate(
            {
                "email": "not-an-email",
                "password": "short",
                "display_name": "A",
                "organisation_id": str(uuid4()),
                "member_type": "staff",
            }
        )
    fields = {error["loc"][0] for error in caught.value.errors()}
    assert fields == {"email", "password"}


def test_payloads_refuse_unknown_fields() -> None:
    data = json.loads(registration().model_dump_json()) | {"email": "x@example.org"}
    with pytest.raises(ValidationError):
        MemberRegisteredV1.model_validate(data)


def test_retry_back_off_grows_then_holds() -> None:
    policy = RetryPolicy(max_deliveries=6, backoff_seconds=(0.5, 2.0, 10.0))
    assert [policy.delay_after(n) for n in range(1, 6)] == [0.5, 2.0, 10.0, 10.0, 10.0]


def test_the_back_off_is_a_setting_each_service_broker_uses() -> None:
    settings = ServiceSettings(HUDDLE_RETRY_BACKOFF_SECONDS="0.2, 1,5")
    assert settings.retry_backoff_seconds == (0.2, 1.0, 5.0)
    assert ServiceSettings().retry_backoff_seconds == (0.5, 2.0, 10.0, 30.0)
    for refused in ("", "-1", "soon"):
        with pytest.raises(ValidationError, match="HUDDLE_RETRY_BACKOFF_SECONDS"):
            ServiceSettings(HUDDLE_RETRY_BACKOFF_SECONDS=refused)

    broker = ServiceBuilder(service("membership"), settings).broker
    (dead_letters,) = [m for m in broker.middlewares if isinstance(m, DeadLetterMiddleware)]
    assert dead_letters.policy.backoff_seconds == (0.2, 1.0, 5.0)
