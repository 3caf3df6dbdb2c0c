"""Contracts every service uses alike: empty and by-key requests, and the privacy subjects."""

from typing import Annotated
from uuid import UUID

from pydantic import BaseModel, ConfigDict, StringConstraints

from huddle_shared.contracts.rpc import rpc_subject

# Lower-case letters, digits and hyphens, up to 64, not starting or ending with a hyphen.
Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")]


class Empty(BaseModel):
    model_config = ConfigDict(extra="forbid")


class GetById(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: UUID


class BySlug(BaseModel):
    model_config = ConfigDict(extra="forbid")

    slug: Slug


def export_subject(service: str) -> str:
    """Every service answers this with what it holds about the calling member."""
    return rpc_subject(service, "privacy.export")


# Erasure starts in membership, which owns the account; the others follow its event.
ERASE_ME = rpc_subject("membership", "privacy.erase")
