"""Talks to services over NATS request-reply and turns replies into data or problems."""

import asyncio
import hashlib
import logging
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, TypeVar

import pydantic_core
from faststream.nats import NatsBroker
from huddle_shared.contracts.rpc import (
    ANONYMOUS,
    CALLER_ASSERTION_FIELD,
    IDEMPOTENCY_KEY_HEADER,
    IDEMPOTENCY_KEY_PATTERN,
    Caller,
    ErrorCode,
    ErrorInfo,
    Reply,
    RpcRequest,
    health_subject,
)
from huddle_shared.messaging.caller_assertions import CallerKeyError, CallerSigner
from huddle_shared.services import service_names
from huddle_shared.telemetry import tracing_enabled
from litestar.di import NamedDependency
from litestar.params import HeaderParameter
from nats.errors import NoRespondersError
from nats.errors import TimeoutError as NatsTimeoutError
from pydantic import BaseModel

from huddle_gateway.problems import from_service_error, problem
from huddle_gateway.recent import Recent
from huddle_gateway.settings import GatewaySettings

log = logging.getLogger(__name__)

View = TypeVar("View", bound=BaseModel)

# The optional header of the POST routes that create or change something: a retry with the
# same key and body gets the first answer (and changes nothing more); the same key with a
# different body is 422; while the first is still running, 409.
IdempotencyKeyHeader = Annotated[
    str | None,
    HeaderParameter(
        name=IDEMPOTENCY_KEY_HEADER,
        required=False,
        pattern=IDEMPOTENCY_KEY_PATTERN,
        max_length=255,
        description="Any unique string (a UUID is the usual choice), sent again unchanged on "
        "a retry. A retry with the same key and body gets the first answer, even if the first "
        "answer was lost (504); the same key with another body is 422; while the first "
        "request is still running, 409. Keys are kept for 24 hours, per caller.",
    ),
]


def caller_signer(settings: GatewaySettings) -> CallerSigner:
    """The gateway refuses to start without its key: services would refuse every call."""
    if settings.caller_signing_key_file is None:
        raise CallerKeyError(
            "HUDDLE_CALLER_SIGNING_KEY_FILE is not set: the gateway signs the caller of each "
            "RPC with it (docs/operators-guide.md, 'Caller signing key')"
        )
    return CallerSigner.from_file(settings.caller_signing_key_file, settings.instance_id)


def _refused_our_assertion(error: ErrorInfo) -> bool:
    return error.code == ErrorCode.UNAUTHENTICATED and any(
        e.field == CALLER_ASSERTION_FIELD for e in error.errors
    )


class ServiceClient:
    """Sends each RPC with a caller assertion signed by ``signer``, living as long as the
    wait (``timeout``), so services can trust the caller it names."""

    def __init__(
        self,
        broker: NatsBroker,
        timeout: float,
        *,
        signer: CallerSigner,
        health_timeout: float = 1.0,
        health_cache_seconds: float = 0.0,
    ) -> None:
        self.broker = broker
        self.timeout = timeout
        self.signer = signer
        self.health_timeout = health_timeout
        # Traced, each request goes through FastStream, whose middleware opens the span and
        # carries the trace context in the headers; otherwise straight to nats-py's request
        # on the same connection, skipping FastStream's per-message layers (decision 0027).
        self.traced = tracing_enabled()
        # All at once, and while every one is "ok", kept briefly: a readiness probe under load
        # costs the services one question each per ``health_cache_seconds``.
        self._statuses: Recent[dict[str, str]] = Recent(
            self._ask_every_service,
            health_cache_seconds,
            keep=lambda statuses: all(status == "ok" for status in statuses.values()),
        )

    @classmethod
    def from_settings(cls, broker: NatsBroker, settings: GatewaySettings) -> "ServiceClient":
        return cls(
            broker,
            settings.rpc_timeout,
            signer=caller_signer(settings),
            health_timeout=settings.health_timeout,
            health_cache_seconds=settings.health_cache_seconds,
        )

    async def call(
        self,
        subject: str,
        request: BaseModel | dict[str, Any],
        caller: Caller = ANONYMOUS,
        *,
        idempotency_key: str | None = None,
    ) -> Any:
        """Send ``request`` to ``subject`` for ``caller``; return the reply's data or raise.

        The message carries when this wait ends, so a service that reaches it later, when
        this call has answered 504, drops it instead of doing the work unseen."""
        payload = request.model_dump(mode="json") if isinstance(request, BaseModel) else request
        deadline = datetime.now(UTC) + timedelta(seconds=self.timeout)
        unsigned = RpcRequest(
            caller=caller, body=payload, deadline=deadline, idempotency_key=idempotency_key
        ).model_dump(mode="json", exclude={"caller_assertion"})
        body = self.signer.signed(subject, unsigned, lifetime_seconds=self.timeout)
        service = subject.split(".")[1]
        try:
            reply = Reply.model_validate(await self._request(subject, body, self.timeout))
        except NoRespondersError:
            raise problem(
                503,
                "Service unavailable",
                f"The {service} service is not running.",
                type_="unavailable",
            ) from None
        except (TimeoutError, NatsTimeoutError):
            raise problem(
                504,
                "Service timed out",
                f"The {service} service did not answer in time.",
                type_="timeout",
            ) from None
        if not reply.ok:
            assert reply.error is not None
            if _refused_our_assertion(reply.error):
                # Not the client's fault: the service does not trust this gateway's key.
                log.error(
                    "a service refused the gateway's caller assertion; check "
                    "HUDDLE_CALLER_VERIFY_KEY_FILES and HUDDLE_INSTANCE_ID",
                    extra={"subject": subject, "reason": reply.error.errors[0].message},
                )
                raise problem(
                    503,
                    "Service unavailable",
                    f"The {service} service could not accept the request.",
                    type_="unavailable",
                )
            raise from_service_error(reply.error)
        return reply.data

    async def _request(self, subject: str, body: dict[str, Any], wait: float) -> Any:
        """The reply's JSON value. Raises nats-py's errors (no responders, timeout) either way."""
        if self.traced:
            message = await self.broker.request(body, subject, timeout=wait)
            return await message.decode()
        connection = self.broker._connection
        if connection is None:  # before the app started or after it stopped
            raise NoRespondersError
        answer = await connection.request(subject, pydantic_core.to_json(body), timeout=wait)
        return pydantic_core.from_json(answer.data)

    @property
    def nats_connected(self) -> bool:
        connection = self.broker._connection
        return bool(connection is not None and connection.is_connected)

    async def service_statuses(self) -> dict[str, str]:
        """Each service's status: ``ok``, what it reported, or ``unavailable``."""
        return await self._statuses.get()

    async def _ask_every_service(self) -> dict[str, str]:
        names = service_names()
        results = await asyncio.gather(
            *(self.health(health_subject(name)) for name in names), return_exceptions=True
        )
        return {
            name: result.get("status", "unknown") if isinstance(result, dict) else "unavailable"
            for name, result in zip(names, results, strict=True)
        }

    async def health(self, subject: str) -> dict[str, Any]:
        """A service's own health report; raises if it does not answer. Unsigned: health
        carries no caller (services exempt it, see ``CallerCheck``)."""
        report: dict[str, Any] = await self._request(subject, {}, self.health_timeout)
        return report


class Rpc:
    """One HTTP request's calls to the services: as its caller, with its Idempotency-Key.

    Routes take it as ``rpc`` or, where a retry may send that header, as ``idempotent_rpc``:
    the header is declared on that dependency, so only those routes document it."""

    def __init__(
        self, services: ServiceClient, caller: Caller, idempotency_key: str | None = None
    ) -> None:
        self._services = services
        self._caller = caller
        self._idempotency_key = idempotency_key

    @property
    def keyed(self) -> bool:
        """Whether these calls carry an Idempotency-Key."""
        return self._idempotency_key is not None

    def for_step(self, step: str) -> "Rpc":
        """These calls for one step of a request that makes several calls to one subject
        (an upload's chunks): the step's own key, made from the request's, so a retry of the
        request sends each step its first key again and each step answers as it first did."""
        if self._idempotency_key is None:
            return self
        key = hashlib.sha256(f"{self._idempotency_key}\n{step}".encode()).hexdigest()
        return Rpc(self._services, self._caller, key)

    async def send(self, subject: str, request: BaseModel | dict[str, Any]) -> Any:
        """The reply's data as it came (or the problem it raised)."""
        return await self._services.call(
            subject, request, self._caller, idempotency_key=self._idempotency_key
        )

    async def call(
        self, view: type[View], subject: str, request: BaseModel | dict[str, Any]
    ) -> View:
        """The reply's data as ``view``."""
        return view.model_validate(await self.send(subject, request))

    async def call_list(
        self, view: type[View], subject: str, request: BaseModel | dict[str, Any]
    ) -> list[View]:
        """The reply's data, a list, each item as ``view``."""
        return [view.model_validate(item) for item in await self.send(subject, request)]


def provide_rpc(services: NamedDependency[ServiceClient], caller: NamedDependency[Caller]) -> Rpc:
    return Rpc(services, caller)


def provide_idempotent_rpc(
    services: NamedDependency[ServiceClient],
    caller: NamedDependency[Caller],
    idempotency_key: IdempotencyKeyHeader = None,
) -> Rpc:
    return Rpc(services, caller, idempotency_key)
