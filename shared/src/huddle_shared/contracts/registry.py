"""Every event payload class, by (event type, version). Consumers look payloads up here."""

from huddle_shared.contracts import (
    experts,
    membership,
    networks,
    notes,
    registrations,
    sessions,
    signposting,
)
from huddle_shared.contracts.envelope import EventPayload

_PAYLOADS: dict[tuple[str, int], type[EventPayload]] = {
    (model.event_type, model.version): model
    for model in (
        *membership.EVENTS,
        *networks.EVENTS,
        *sessions.SESSION_EVENTS,
        *registrations.REGISTRATION_EVENTS,
        *notes.NOTE_EVENTS,
        *signposting.DIRECTORY_EVENTS,
        *experts.EXPERT_EVENTS,
    )
}


class UnknownEventType(LookupError):
    pass


def payload_type(event_type: str, version: int) -> type[EventPayload]:
    try:
        return _PAYLOADS[(event_type, version)]
    except KeyError:
        raise UnknownEventType(f"no contract for {event_type!r} version {version}") from None


def all_payload_types() -> list[type[EventPayload]]:
    return list(_PAYLOADS.values())
