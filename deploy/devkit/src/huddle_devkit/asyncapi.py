"""AsyncAPI documents for the services, from FastStream's own specification generator.

``python -m huddle_devkit.asyncapi docs/asyncapi`` (``make asyncapi``) builds each service's
runtime exactly as its ``__main__`` does, through its ``bootstrap``, and writes
``<service>.json`` for it: the subjects it serves (RPC), publishes (events) and consumes
(durable JetStream consumers), with the message schemas. Building a runtime connects to
nothing, so no server is needed. ``--check`` only reports whether the files are current.

The output is deterministic (sorted keys, fixed connection settings rather than whatever
the environment says), so a test can compare it with the committed documents.
"""

import argparse
import asyncio
import importlib
import json
import re
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

from faststream.specification import AsyncAPI
from huddle_shared.config import ServiceSettings
from huddle_shared.contracts.rpc import ErrorInfo
from huddle_shared.messaging.routes import Route
from huddle_shared.runtime import ServiceRuntime
from huddle_shared.services import service as service_spec
from huddle_shared.services import service_names
from pydantic import BaseModel, create_model

SCHEMA_REF = "#/components/schemas/{model}"


# The documented server is the settings' default, never the environment's NATS_URL.
_FIELDS = ServiceSettings.model_fields
DOCUMENTED_NATS_URL: str = _FIELDS["nats_url"].default
_UNUSED_MONGODB_URL: str = _FIELDS["mongodb_url"].default


def build_runtime(service: str) -> ServiceRuntime:
    """The service's runtime, built by its own ``bootstrap`` (nothing connects)."""
    module = importlib.import_module(f"{service_spec(service).package}.bootstrap")
    settings = ServiceSettings(
        NATS_URL=DOCUMENTED_NATS_URL,
        MONGODB_URL=_UNUSED_MONGODB_URL,
        HUDDLE_INSTANCE_ID="local",
    )
    runtime: ServiceRuntime = module.bootstrap(settings)
    return runtime


def document(service: str) -> dict[str, Any]:
    """The service's AsyncAPI 3.0 document as JSON-ready data."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        pass
    else:
        raise RuntimeError("asyncapi.document() is synchronous: call it outside an event loop")
    spec_of = service_spec(service)
    package = f"huddle-{service}"
    runtime = build_runtime(service)
    try:
        spec = AsyncAPI(
            runtime.broker,
            title=package,
            version=_version(package),
            description=spec_of.summary,
            schema_version="3.0.0",
        ).to_specification()
        data: dict[str, Any] = spec.to_jsonable()
        for route in runtime.routes:
            add_reply(data, route)
        add_address_parameters(data)
        return data
    finally:
        asyncio.run(runtime.client.close())


def _version(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:  # a service package not installed (yet)
        return "unreleased"


def reply_model(route: Route) -> type[BaseModel]:
    """The ``Reply`` an operation answers, with its own response model as ``data``."""
    data_type: Any = route.response_model
    name = getattr(data_type, "__name__", "Nothing")
    return create_model(
        f"{name}Reply",
        ok=(bool, ...),
        data=(data_type | None, None),
        error=(ErrorInfo | None, None),
    )


def add_reply(document: dict[str, Any], route: Route) -> None:
    """FastStream documents what an RPC receives; add what it answers (AsyncAPI 3 reply)."""
    model = reply_model(route)
    schema = model.model_json_schema(ref_template=SCHEMA_REF)
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas.update(schema.pop("$defs", {}))
    schemas[model.__name__] = schema
    key = f"{route.subject}:Reply"
    document["components"].setdefault("messages", {})[key] = {
        "title": key,
        "correlationId": {"location": "$message.header#/correlation_id"},
        "payload": {"$ref": SCHEMA_REF.format(model=model.__name__)},
    }
    document["operations"][route.subject]["reply"] = {
        "address": {"location": "$message.header#/reply_to"},
        "messages": [{"$ref": f"#/components/messages/{key}"}],
    }


def add_address_parameters(document: dict[str, Any]) -> None:
    """AsyncAPI 3 wants every ``{name}`` of a channel address declared (events that carry a
    member's personal data are published on ``…personal.{member_id}…``)."""
    for channel in document.get("channels", {}).values():
        names = re.findall(r"\{(\w+)\}", channel.get("address") or "")
        if names:
            parameters = channel.setdefault("parameters", {})
            for name in names:
                parameters.setdefault(name, {"description": PARAMETER_DESCRIPTIONS.get(name, name)})


PARAMETER_DESCRIPTIONS = {
    "member_id": "The id of the member whose personal data the event carries (decision 0012)."
}


def render(service: str) -> str:
    """The service's AsyncAPI document as stable JSON text (sorted keys, trailing newline)."""
    return json.dumps(document(service), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m huddle_devkit.asyncapi",
        description="Write one AsyncAPI document per service: <out>/<service>.json.",
    )
    parser.add_argument("out", type=Path, nargs="?", default=Path("docs/asyncapi"))
    parser.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 if a document is stale"
    )
    args = parser.parse_args(argv)

    stale: list[Path] = []
    for service in service_names():
        path = args.out / f"{service}.json"
        text = render(service)
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if current == text:
            continue
        stale.append(path)
        if not args.check:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path}")
    if args.check and stale:
        print("stale: " + ", ".join(map(str, stale)) + " (run `make asyncapi`)", file=sys.stderr)
        return 1
    if not stale:
        print(f"{args.out}: {len(service_names())} AsyncAPI documents up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
