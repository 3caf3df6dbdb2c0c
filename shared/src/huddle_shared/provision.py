"""``python -m huddle_shared.provision``: creates every stream Huddle needs, and keeps an
operator's settings (``messaging.topology.ensure_streams``).

Services may read streams but never create or change one: a stream's config can give it
any subjects or a republish rule, so a service allowed to change its own could store
another service's events or capture requests meant for another service. So this step runs
before them, as the ``provisioner`` NATS principal (``NATS_NKEY_SEED_FILE``): `make run`
and the tests do it once NATS is up, Compose as a one-shot step, an operator after an
upgrade. Running it again changes nothing that is already right.
"""

import asyncio
import logging
from pathlib import Path

import nats

# nats-py only (no broker, database or settings): `make run` provisions while the services
# start, and a light import leaves them the CPU (decision 0028).
from huddle_shared.messaging.nats_options import connection_options
from huddle_shared.messaging.topology import ensure_streams

PROVISIONER = "provisioner"

log = logging.getLogger(__name__)


async def provision_streams(
    url: str, nkey_seed_file: str | Path | None, *, principal: str = PROVISIONER
) -> None:
    client = await nats.connect(url, **connection_options(principal, nkey_seed_file))
    try:
        await ensure_streams(client.jetstream())
    finally:
        await client.close()


def main() -> None:
    from huddle_shared.config import ServiceSettings
    from huddle_shared.telemetry import configure_telemetry

    settings = ServiceSettings()
    configure_telemetry("provision", settings.log_level)
    asyncio.run(provision_streams(settings.nats_url, settings.nats_nkey_seed_file))
    log.info("streams provisioned")


if __name__ == "__main__":
    main()
