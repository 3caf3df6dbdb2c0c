"""Talks to services over NATS request-reply and turns replies into data or problems."""

from typing import Any

from faststream.nats import NatsBroker
from huddle_shared.contracts.rpc import ANONYMOUS, Caller, Reply, RpcRequest
from nats.errors import NoRespondersError
from nats.errors import TimeoutError as NatsTimeoutError
from pydantic import BaseModel

from huddle_gateway.problems import from_service_error, problem


class ServiceClient:
    def __init__(self, broker: NatsBroker, timeout: float, *, health_timeout: float = 1.0) -> None:
        self.broker = broker
        self.timeout = timeout
        self.health_timeout = health_timeout

    async def call(
        self, subject: str, request: BaseModel | dict[str, Any], caller: Caller = ANONYMOUS
    ) -> Any:
        """Send ``request`` to ``subject`` for ``caller``; return the reply's data or raise."""
        payload = request.model_dump(mode="json") if isinstance(request, BaseModel) else request
        body = RpcRequest(caller=caller, body=payload).model_dump(mode="json")
        service = subject.split(".")[1]
        try:
            message = await self.broker.request(body, subject, timeout=self.timeout)
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
        reply = Reply.model_validate(await message.decode())
        if not reply.ok:
            assert reply.error is not None
            raise from_service_error(reply.error)
        return reply.data

    @property
    def nats_connected(self) -> bool:
        connection = self.broker._connection
        return bool(connection is not None and connection.is_connected)

    async def health(self, subject: str) -> dict[str, Any]:
        """A service's own health report; raises if it does not answer."""
        message = await self.broker.request({}, subject, timeout=self.health_timeout)
        report: dict[str, Any] = await message.decode()  # type: ignore[assignment]
        return report
