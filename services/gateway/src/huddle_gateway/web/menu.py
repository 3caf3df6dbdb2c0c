"""Whether the header offers "Notes to review": only to second readers (members who chair or
facilitate a network). Asked of membership before a page is rendered (the templates cannot
wait on a call) and kept a minute per member, so a page costs no extra call most times; a
new role shows in the header within that minute.
"""

import logging
import time
from typing import Any
from uuid import UUID

from huddle_shared.contracts import networks as network_contract
from huddle_shared.contracts.common import Empty
from litestar import Request
from litestar.plugins.problem_details import ProblemDetailsException

from huddle_gateway.rpc import Rpc, ServiceClient
from huddle_gateway.web.session import caller_of

log = logging.getLogger(__name__)

SECOND_READER = "huddle_second_reader"  # the request's scope state key
KEEP_SECONDS = 60.0
MOST_KEPT = 10_000

_known: dict[UUID, tuple[float, bool]] = {}


async def is_second_reader(services: ServiceClient, request: Request[Any, Any, Any]) -> bool:
    caller = caller_of(request)
    if caller.member_id is None:
        return False
    now = time.monotonic()
    kept = _known.get(caller.member_id)
    if kept is not None and now - kept[0] < KEEP_SECONDS:
        return kept[1]
    try:
        networks = await Rpc(services, caller).call_list(
            network_contract.NetworkView, network_contract.LIST_NETWORKS, Empty()
        )
    except ProblemDetailsException:
        return False  # the page itself shows what is wrong, if anything is
    answer = any(n.my_role in network_contract.ADMIN_ROLES for n in networks)
    if len(_known) >= MOST_KEPT:
        _known.clear()
    _known[caller.member_id] = (now, answer)
    return answer


async def note_review_link(request: Request[Any, Any, Any]) -> None:
    """The pages' ``before_request``: the answer for the layout's ``second_reader``."""
    if request.method != "GET":
        return
    answer = await is_second_reader(request.app.state.services, request)
    request.scope.setdefault("state", {})[SECOND_READER] = answer


def second_reader(request: Request[Any, Any, Any]) -> bool:
    return bool(request.scope.get("state", {}).get(SECOND_READER, False))
