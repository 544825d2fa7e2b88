"""Event payloads shared by the Safir interop programs.

The same events are defined on the Go side (see the Go interop tests);
every field name, type, order and doc here must stay in step with them.
``EVENTS`` are the three original events; ``BASE_EVENTS`` are two events of
one app that share a base model (``RequestBase``), the Python counterpart of
Go events that embed a base struct.
"""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum

from pydantic import Field
from safir.metrics import EventPayload

__all__ = [
    "ALL_EVENTS",
    "APP",
    "BASE_EVENTS",
    "EVENTS",
    "ApiCall",
    "ApiError",
    "EmptyEvent",
    "QueryEvent",
    "QueryType",
    "RequestBase",
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


# Shared base model: the Go twins embed a RequestBase struct whose fields are
# tagged influx:"tag". Safir has no way to declare tags in the model (Phalanx's
# influxTags does it), so nothing here says that method and route are tags.
# No docstrings or descriptions, as in the Go twins (Safir's schema has no
# record doc anyway, and field docs are dropped by canonical form).
class RequestBase(EventPayload):
    method: str
    route: str


class ApiCall(RequestBase):
    status: int
    duration: timedelta
    size: int | None = None


class ApiError(RequestBase):
    code: str
    retried: bool


BASE_EVENTS: dict[str, type[EventPayload]] = {
    "api_call": ApiCall,
    "api_error": ApiError,
}
"""Events sharing the RequestBase model, in registration order."""

ALL_EVENTS: dict[str, type[EventPayload]] = {**EVENTS, **BASE_EVENTS}
"""Every interop event, for decoding records by their schema's name."""
