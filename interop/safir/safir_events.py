"""Event payloads shared by the Safir interop programs.

The same three events are defined on the Go side (see the Go interop tests);
every field name, type, order and doc here must stay in step with them.
"""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum

from pydantic import Field
from safir.metrics import EventPayload

__all__ = [
    "APP",
    "EVENTS",
    "EmptyEvent",
    "QueryEvent",
    "QueryType",
    "RichEvent",
]

APP = "myapp"
"""Application name used by every interop program."""


# No docstring on purpose: dataclasses-avroschema copies an enum's docstring
# into the Avro enum's "doc", and the shared query.avsc has none.  A StrEnum,
# because Safir's serializer rejects a plain Enum.
class QueryType(StrEnum):
    async_ = "async"
    sync = "sync"


class QueryEvent(EventPayload):
    """The SPEC golden event, registered as ``query``."""

    type: QueryType = Field(description="The kind of query")
    duration: timedelta = Field(description="How long the query took to run")


class RichEvent(EventPayload):
    """One field of each scalar kind, registered as ``rich``."""

    count: int
    ok: bool
    ratio: float
    note: str | None = None
    elapsed: timedelta


class EmptyEvent(EventPayload):
    """An event without payload fields, registered as ``empty``."""


EVENTS: dict[str, type[EventPayload]] = {
    "query": QueryEvent,
    "rich": RichEvent,
    "empty": EmptyEvent,
}
"""Event name -> payload model, in registration order."""
