"""Golden vectors produced by Safir's own publish path, without a broker.

Safir's real ``KafkaEventManager``, ``PydanticSchemaManager`` (with its
``python-schema-registry-client`` HTTP client and ``AsyncAvroMessageSerializer``)
and the event models that ``create_publisher`` builds are used unchanged.
Only the three things outside Safir are stood in for:

* the registry's HTTP server: ``AsyncSchemaRegistryClient.request`` is
  overridden to answer in-process, and assigns schema id 42;
* the FastStream broker: a stand-in whose publisher records the bytes that
  Safir hands to ``publish(encoded, no_confirm=True)``;
* the aiokafka admin client: a stand-in that says the topic exists.

The event id and clock are pinned by patching ``uuid4`` and ``time`` in
``safir.metrics._event_manager``.

Usage::

    python golden.py --update   # (re)write testdata/safir/*.json
    python golden.py --check    # regenerate and compare; non-zero on drift

Both modes also assert the cross-checks that need no Go code: the query
value equals SPEC section 5 byte for byte, the query schema equals
testdata/query.avsc in Parsing Canonical Form, and every value decodes with
the SPEC-side schema.
"""

from __future__ import annotations

import argparse
import asyncio
import inspect
import io
import json
import sys
import types
import uuid
from datetime import timedelta
from importlib.metadata import version
from pathlib import Path
from typing import Any
from unittest import mock
from urllib.parse import urlparse

import fastavro
import httpx
import structlog
from fastavro.schema import to_parsing_canonical_form
from safir.kafka import PydanticSchemaManager
from safir.metrics import EventPayload, KafkaEventManager
from safir.metrics import _event_manager as safir_event_manager
from schema_registry.client import AsyncSchemaRegistryClient

from safir_events import (
    APP,
    ApiCall,
    ApiError,
    EmptyEvent,
    QueryEvent,
    QueryType,
    RichEvent,
)

REPO = Path(__file__).resolve().parents[2]
OUT = REPO / "testdata" / "safir"
SPEC_SCHEMA = REPO / "testdata" / "query.avsc"

PREFIX = "lsst.square.metrics.events"
SCHEMA_ID = 42
EVENT_ID = uuid.UUID("12345678-1234-4678-9234-567812345678")
TIME_NS = 1700000000123456789
SPEC_QUERY_HEX = (
    "000000002a4831323334353637382d313233342d343637382d393233342d35363738"
    "31323334353637380a6d79617070f6a1abfef962aab4aed8c7bfce972f0200000000"
    "0000f83f"
)

# Vector name -> (event name, payload). Each vector is one file.
VECTORS: list[tuple[str, str, EventPayload]] = [
    ("query", "query", QueryEvent(type=QueryType.sync, duration=timedelta(seconds=1.5))),
    (
        "rich",
        "rich",
        RichEvent(
            count=-1234567890123,
            ok=True,
            ratio=0.1,
            note="h\u00e9llo",
            # 3.897788 s: Go's Duration.Seconds() gives 3.8977880000000003
            # here, Python's timedelta.total_seconds() 3.897788.
            elapsed=timedelta(microseconds=3897788),
        ),
    ),
    (
        "rich_null",
        "rich",
        RichEvent(count=0, ok=False, ratio=-2.5, note=None, elapsed=timedelta(0)),
    ),
    ("empty", "empty", EmptyEvent()),
    # Two events sharing the RequestBase model (method, route first).
    (
        "api_call",
        "api_call",
        ApiCall(
            method="GET",
            route="/items/{id}",
            status=200,
            duration=timedelta(microseconds=3897788),
            size=1234567,
        ),
    ),
    (
        "api_call_null",
        "api_call",
        ApiCall(
            method="POST",
            route="/caf\u00e9",
            status=503,
            duration=timedelta(0),
            size=None,
        ),
    ),
    (
        "api_error",
        "api_error",
        ApiError(method="DELETE", route="/items/{id}", code="E42", retried=True),
    ),
]


class InProcessRegistry(AsyncSchemaRegistryClient):
    """The real registry client with its HTTP exchange answered in-process."""

    def __init__(self) -> None:
        super().__init__(url="http://registry.invalid")
        self.calls: list[dict[str, Any]] = []
        self.registered: dict[str, str] = {}

    async def request(  # type: ignore[override]
        self,
        url: str,
        method: str = "GET",
        body: dict | None = None,
        params: dict | None = None,
        headers: dict | None = None,
        timeout: Any = None,
    ) -> httpx.Response:
        path = urlparse(url).path
        self.calls.append({"method": method, "path": path, "body": body})
        parts = path.strip("/").split("/")
        if method == "PUT" and parts[0] == "config":
            return httpx.Response(200, json=body)
        if method == "POST" and parts[0] == "compatibility":
            return httpx.Response(200, json={"is_compatible": True, "messages": []})
        if method == "POST" and parts[0] == "subjects" and len(parts) == 2:
            return httpx.Response(
                404, json={"error_code": 40403, "message": "Schema not found"}
            )
        if method == "POST" and parts[0] == "subjects" and parts[2] == "versions":
            assert body is not None
            self.registered[parts[1]] = body["schema"]
            return httpx.Response(200, json={"id": SCHEMA_ID})
        raise AssertionError(f"unexpected registry call {method} {path}")


class _RecordingPublisher:
    def __init__(self, topic: str) -> None:
        self.topic = topic
        self.sent: list[bytes] = []

    async def publish(self, message: bytes, **kwargs: Any) -> None:
        assert kwargs == {"no_confirm": True}, kwargs
        self.sent.append(message)


class _Broker:
    def __init__(self) -> None:
        self.publishers: list[_RecordingPublisher] = []

    def publisher(self, topic: str, **_: Any) -> _RecordingPublisher:
        p = _RecordingPublisher(topic)
        self.publishers.append(p)
        return p

    async def start(self) -> None: ...
    async def stop(self) -> None: ...
    async def close(self) -> None: ...


class _Admin:
    async def start(self) -> None: ...
    async def close(self) -> None: ...

    async def describe_topics(self, topics: list[str]) -> list[dict[str, Any]]:
        return [{"error_code": 0, "topic": t, "partitions": []} for t in topics]


def _durations_ns(payload: EventPayload) -> dict[str, int]:
    return {
        name: value // timedelta(microseconds=1) * 1000
        for name, value in payload
        if isinstance(value, timedelta)
    }


async def _manager(registry: InProcessRegistry) -> KafkaEventManager:
    kwargs: dict[str, Any] = {}
    if "raise_on_error" in inspect.signature(KafkaEventManager).parameters:
        kwargs["raise_on_error"] = True  # 15.x swallows errors otherwise
    manager = KafkaEventManager(
        application=APP,
        topic_prefix=PREFIX,
        kafka_broker=_Broker(),  # type: ignore[arg-type]
        kafka_admin_client=_Admin(),  # type: ignore[arg-type]
        schema_manager=PydanticSchemaManager(registry=registry),
        **kwargs,
    )
    await manager.initialize()
    return manager


async def generate() -> tuple[dict[str, dict[str, Any]], list[dict[str, Any]]]:
    """Run Safir's publish path and return vector files and registry calls.

    Every event gets its own manager and registry, since each one's schema id
    is pinned to the same 42 (the serializer caches writers by id).
    """
    clock = types.SimpleNamespace(time_ns=lambda: TIME_NS)
    managers: dict[str, tuple[KafkaEventManager, InProcessRegistry, Any]] = {}
    calls: list[dict[str, Any]] = []
    out: dict[str, dict[str, Any]] = {}
    with (
        mock.patch.object(safir_event_manager, "uuid4", lambda: EVENT_ID),
        mock.patch.object(safir_event_manager, "time", clock),
    ):
        for vector, event, payload in VECTORS:
            if event not in managers:
                registry = InProcessRegistry()
                manager = await _manager(registry)
                publisher = await manager.create_publisher(event, type(payload))
                managers[event] = (manager, registry, publisher)
            manager, registry, publisher = managers[event]
            sink = publisher._publisher  # noqa: SLF001
            await publisher.publish(payload)
            info = publisher._schema_info  # noqa: SLF001
            registered = registry.registered[info.subject]
            out[vector] = {
                "event": event,
                "subject": info.subject,
                "topic": sink.topic,
                "schema_id": info.schema_id,
                "schema": registered,
                "schema_canonical": to_parsing_canonical_form(
                    json.loads(registered)
                ),
                "id": str(EVENT_ID),
                "timestamp_ns": TIME_NS,
                "value_hex": sink.sent[-1].hex(),
                "payload": payload.model_dump(mode="json"),
                "payload_durations_ns": _durations_ns(payload),
            }
    for manager, registry, _ in managers.values():
        calls.extend(registry.calls)
        await manager.aclose()
    return out, calls


def _spec_schema() -> dict[str, Any]:
    return json.loads(SPEC_SCHEMA.read_text())


def cross_check(vectors: dict[str, dict[str, Any]]) -> list[str]:
    """Return every failed cross-check against the SPEC side."""
    errors = []
    query = vectors["query"]
    if query["value_hex"] != SPEC_QUERY_HEX:
        errors.append(
            f"query value differs from SPEC 5:\n  safir {query['value_hex']}\n"
            f"  spec  {SPEC_QUERY_HEX}"
        )
    spec_pcf = to_parsing_canonical_form(_spec_schema())
    if query["schema_canonical"] != spec_pcf:
        errors.append(
            f"query schema PCF differs from {SPEC_SCHEMA.name}:\n"
            f"  safir {query['schema_canonical']}\n  spec  {spec_pcf}"
        )
    for name, v in vectors.items():
        if v["subject"] != f"{v['topic']}.{v['event']}":
            errors.append(f"{name}: subject {v['subject']} != <topic>.<event>")
        if v["topic"] != f"{PREFIX}.{APP}":
            errors.append(f"{name}: topic {v['topic']}")
        value = bytes.fromhex(v["value_hex"])
        if value[0] != 0 or int.from_bytes(value[1:5], "big") != SCHEMA_ID:
            errors.append(f"{name}: bad Confluent framing {value[:5].hex()}")
        # Decode with the schema exactly as registered (writer) and, for
        # query, with the SPEC schema as reader too.
        readers = [json.loads(v["schema"])]
        if v["event"] == "query":
            readers.append(_spec_schema())
        for reader in readers:
            buf = io.BytesIO(value[5:])
            rec = fastavro.schemaless_reader(
                buf, fastavro.parse_schema(json.loads(v["schema"])),
                fastavro.parse_schema(reader),
            )
            if buf.read():
                errors.append(f"{name}: trailing bytes after decode")
            if str(rec["id"]) != str(EVENT_ID) or rec["timestamp_ns"] != TIME_NS:
                errors.append(f"{name}: metadata decoded as {rec}")
    return errors


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--update", action="store_true", help="rewrite files")
    mode.add_argument("--check", action="store_true", help="compare with files")
    mode.add_argument(
        "--calls", action="store_true", help="print the registry calls Safir made"
    )
    args = parser.parse_args()
    structlog.configure(
        wrapper_class=structlog.make_filtering_bound_logger(30),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
    )
    vectors, calls = asyncio.run(generate())
    if args.calls:
        for call in calls:
            body = dict(call["body"] or {})
            if "schema" in body:
                body["schema"] = "<the schema JSON>"
            print(call["method"], call["path"], json.dumps(body))
        return 0
    errors = cross_check(vectors)
    for name, v in vectors.items():
        path = OUT / f"{name}.json"
        text = json.dumps(v, indent=2, ensure_ascii=False) + "\n"
        if args.update:
            OUT.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
        elif not path.exists() or path.read_text() != text:
            errors.append(
                f"{path.relative_to(REPO)} differs from what safir "
                f"{version('safir')} produces; run golden.py --update"
            )
    for e in errors:
        print(f"FAIL: {e}")
    status = "FAIL" if errors else "ok"
    print(
        f"golden: safir {version('safir')}: {len(vectors)} vectors, "
        f"{len(errors)} problems: {status}"
    )
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
