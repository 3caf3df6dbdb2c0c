"""One membership replica for tests/integration/test_membership_replicas.py.

Run as a separate process (so nothing in-process, such as the per-document locks, is shared
with the other replica). It starts the service from its bootstrap against the database and
NATS named in the environment, prints ``ready``, waits for ``go`` on stdin, runs the calls
given as JSON in argv[1] all at once, prints their outcomes as one JSON line, and stops.
"""

import asyncio
import json
import sys
import uuid
from typing import Any

from huddle_membership.bootstrap import bootstrap
from huddle_shared.config import ServiceSettings
from huddle_shared.contracts.rpc import Caller
from huddle_shared.errors import HuddleError


async def call(routes: dict[str, Any], subject: str, body: dict[str, Any], member: str) -> str:
    route = routes[subject]
    try:
        await route.handler(route.request_model(**body), Caller(member_id=uuid.UUID(member)))
    except HuddleError as error:
        return type(error).__name__
    return "ok"


async def main(calls: list[dict[str, Any]]) -> None:
    runtime = bootstrap(ServiceSettings())
    await runtime.start()
    try:
        routes = {route.subject: route for route in runtime.routes}
        print("ready", flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
        outcomes = await asyncio.gather(
            *(call(routes, c["subject"], c["body"], c["member"]) for c in calls)
        )
        print(json.dumps(outcomes), flush=True)
    finally:
        await runtime.stop()


if __name__ == "__main__":
    asyncio.run(main(json.loads(sys.argv[1])))
