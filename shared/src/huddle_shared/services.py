"""The one list of Huddle's services. Everything that needs to know which services exist
(streams, the gateway's readiness and export, the devkit launcher, the AsyncAPI generator,
the tests) reads it from here: adding a service is one entry here plus its own package."""

from dataclasses import dataclass

from huddle_shared.contracts.streams import DEAD_LETTERS, StreamSpec, events_stream


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    summary: str

    @property
    def package(self) -> str:
        """The Python package (and ``python -m`` module) that runs the service."""
        return f"huddle_{self.name}"

    @property
    def rpc_prefix(self) -> str:
        """Subjects the service answers: ``rpc.<service>.<operation>``."""
        return f"rpc.{self.name}"

    @property
    def stream(self) -> StreamSpec:
        """The stream of the events the service publishes."""
        return events_stream(self.name)

    def database(self, prefix: str) -> str:
        return f"{prefix}_{self.name}"


MEMBERSHIP = ServiceSpec("membership", "Members, organisations, networks and access")
SCHEDULING = ServiceSpec("scheduling", "Sessions, places and attendance")
NOTES = ServiceSpec("notes", "Anonymised, unattributable session notes")
SIGNPOSTING = ServiceSpec("signposting", "A directory of support and people who know")
INSIGHTS = ServiceSpec("insights", "Aggregated, non-identifying feedback")

SERVICES: tuple[ServiceSpec, ...] = (MEMBERSHIP, SCHEDULING, NOTES, SIGNPOSTING, INSIGHTS)


# Functions rather than constants, so that everything derived follows the list.
def service_names() -> tuple[str, ...]:
    return tuple(spec.name for spec in SERVICES)


def all_streams() -> tuple[StreamSpec, ...]:
    """Every service's events stream, then the dead letters."""
    return (*(spec.stream for spec in SERVICES), DEAD_LETTERS)


def service(name: str) -> ServiceSpec:
    for spec in SERVICES:
        if spec.name == name:
            return spec
    raise LookupError(f"unknown service {name!r}; expected one of {', '.join(service_names())}")


def stream_for_subject(subject: str) -> StreamSpec:
    for spec in all_streams():
        for pattern in spec.subjects:
            if subject.startswith(pattern.removesuffix(">")):
                return spec
    raise LookupError(f"no stream captures {subject!r}")
