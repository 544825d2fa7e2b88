"""Publish interop events through Safir's real KafkaEventManager.

Reads Safir's own settings from the environment (``KAFKA_BOOTSTRAP_SERVERS``,
``SCHEMA_MANAGER_REGISTRY_URL``, ``METRICS_EVENTS_TOPIC_PREFIX`` (Safir's
default ``lsst.square.metrics.events``), ``KAFKA_SECURITY_PROTOCOL`` (default
here ``PLAINTEXT``) and Safir's other ``KAFKA_*``/``SCHEMA_MANAGER_*``
variables; ``METRICS_APPLICATION`` defaults to ``myapp``), so it talks to
whatever broker and registry it is pointed at (kfake + an in-process registry
on loopback in the interop tests, the real stack in ``make test-stack``).

Modes (exactly one):

``--count N``
    Publish N events of each type (query, rich, empty) with deterministic
    payloads (see `payloads`) and print one JSON line per event type with the
    subject, topic and schema id Safir used (and the count published).
``--base N``
    Publish N ``api_call`` then N ``api_error`` events, the two events whose
    payloads subclass the base model ``RequestBase`` (see safir_events.py),
    and print one JSON line per event type as ``--count`` does::

        {"event": "api_call", "subject": "<topic>.api_call",
         "topic": "<prefix>.<app>", "schema_id": <id>, "published": N}

    The i-th event (i = 0 .. N-1) of each type, published in that order:

    ``api_call``: method ``"GET"`` if i is even else ``"POST"``, route
    ``"/items/{id}"``, status ``200 + i``, duration ``timedelta(seconds=0.25
    * (i + 1))`` (written as the double ``0.25 * (i + 1)``), size ``None``
    if ``i % 3 == 0`` else ``100 * i``.

    ``api_error``: method ``"DELETE"``, route ``"/items/{id}"``, code
    ``f"E{i}"``, retried ``i % 2 == 1``.

    Safir cannot declare tags: Sasquatch makes ``method`` and ``route``
    InfluxDB tags only through the app's Phalanx ``influxTags`` (the Go twins
    say ``influx:"tag"``).
``--bench N``
    Publish N ``query`` events through Safir's publish loop and print
    ``SAFIR_EPS <events/s>`` (publish loop plus the final flush on close) and
    ``SAFIR_EPS_LOOP <events/s>`` (publish loop only).
``--consume N``
    Read N records from the start of the topic with aiokafka (as installed
    with Safir: no compression libraries, so snappy, lz4 and zstd batches
    fail), decode each value with the writer schema fetched from the
    registry by the id in its framing, validate it with Safir's payload
    model, and print one JSON line per record (name, schema id, metadata,
    payload in ``model_dump(mode="json")`` form, Kafka key and headers).
``--decode``
    The same for record values given as hex, one per line of stdin, so that
    values carried in compressed batches can be checked too.

Exit status is non-zero on any failure.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import struct
import sys
import time
from datetime import UTC, datetime, timedelta
from importlib.metadata import version
from typing import Any

from safir_events import (
    ALL_EVENTS,
    APP,
    BASE_EVENTS,
    EVENTS,
    ApiCall,
    ApiError,
    EmptyEvent,
    QueryEvent,
    QueryType,
    RichEvent,
)

os.environ.setdefault("METRICS_APPLICATION", APP)
# Safir 9.3.0 has no default for the protocol (SPEC: PLAINTEXT).
os.environ.setdefault("KAFKA_SECURITY_PROTOCOL", "PLAINTEXT")

import structlog  # noqa: E402
from aiokafka import AIOKafkaConsumer  # noqa: E402
from safir.metrics import EventPayload, KafkaMetricsConfiguration  # noqa: E402
from schema_registry.client import AsyncSchemaRegistryClient  # noqa: E402
from schema_registry.serializers.message_serializer import (  # noqa: E402
    AsyncAvroMessageSerializer,
)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _quiet_logging() -> None:
    """Log at INFO to stderr, as a deployed Safir app does.

    structlog's default is DEBUG to stdout, and Safir logs every published
    event at DEBUG; that would pollute stdout and skew the benchmark.
    """
    structlog.configure(
        wrapper_class=structlog.make_filtering_bound_logger(logging.INFO),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
    )


def payloads(name: str, n: int) -> list[EventPayload]:
    """Return the n deterministic payloads published for event ``name``.

    The Go side of the interop test builds the same list to compare with.
    """
    out: list[EventPayload] = []
    for i in range(n):
        if name == "query":
            out.append(
                QueryEvent(
                    type=QueryType.sync if i % 2 else QueryType.async_,
                    duration=timedelta(microseconds=1500000 + 1001 * i),
                )
            )
        elif name == "rich":
            out.append(
                RichEvent(
                    count=i - 1,
                    ok=i % 2 == 0,
                    ratio=i / 4,
                    note=None if i % 3 == 0 else f"n\u00e9{i}",
                    elapsed=timedelta(microseconds=3897788 * i),
                )
            )
        elif name == "empty":
            out.append(EmptyEvent())
        elif name == "api_call":
            out.append(
                ApiCall(
                    method="GET" if i % 2 == 0 else "POST",
                    route="/items/{id}",
                    status=200 + i,
                    duration=timedelta(milliseconds=250 * (i + 1)),
                    size=None if i % 3 == 0 else 100 * i,
                )
            )
        elif name == "api_error":
            out.append(
                ApiError(
                    method="DELETE",
                    route="/items/{id}",
                    code=f"E{i}",
                    retried=i % 2 == 1,
                )
            )
        else:
            raise ValueError(f"no payloads for event {name!r}")
    return out


async def _manager() -> Any:
    config = KafkaMetricsConfiguration()
    manager = config.make_manager()
    await manager.initialize()
    return manager


async def publish(events: dict[str, type[EventPayload]], count: int) -> None:
    """Publish ``count`` events of each type of ``events``, one type after
    the other, and report what Safir used."""
    manager = await _manager()
    try:
        for name, model in events.items():
            publisher = await manager.create_publisher(name, model)
            for payload in payloads(name, count):
                await publisher.publish(payload)
            info = publisher._schema_info  # noqa: SLF001
            print(
                json.dumps(
                    {
                        "event": name,
                        "subject": info.subject,
                        "topic": manager.topic,
                        "schema_id": info.schema_id,
                        "published": count,
                    }
                )
            )
    finally:
        await manager.aclose()


async def bench(count: int) -> None:
    """Time ``count`` publishes of one event type through Safir."""
    manager = await _manager()
    closed = False
    try:
        publisher = await manager.create_publisher("query", QueryEvent)
        payload = QueryEvent(type=QueryType.sync, duration=timedelta(seconds=1.5))
        # Warm up (connection, schema cache), not timed.
        for _ in range(min(100, count)):
            await publisher.publish(payload)
        start = time.perf_counter()
        for _ in range(count):
            await publisher.publish(payload)
        loop_done = time.perf_counter()
        await manager.aclose()  # stops the producer, which flushes
        closed = True
        flushed = time.perf_counter()
    finally:
        if not closed:
            await manager.aclose()
    print(f"SAFIR_VERSION {version('safir')}")
    print(f"SAFIR_EVENTS {count}")
    print(f"SAFIR_EPS_LOOP {count / (loop_done - start):.1f}")
    print(f"SAFIR_EPS {count / (flushed - start):.1f}")


class _Decoder:
    """Decode framed values with Safir's serializer and validate them with
    Safir's own payload models, as one line of JSON each."""

    def __init__(self) -> None:
        self.registry = AsyncSchemaRegistryClient(
            url=os.environ["SCHEMA_MANAGER_REGISTRY_URL"]
        )
        self.serializer = AsyncAvroMessageSerializer(self.registry)

    async def line(
        self, value: bytes, key: bytes | None, headers: list[tuple[str, bytes]]
    ) -> str:
        _, schema_id = struct.unpack(">bI", value[:5])
        writer = await self.registry.get_by_id(schema_id)
        name = writer.raw_schema["name"]
        decoded = await self.serializer.decode_message(value)
        # Validate with Safir's own model, then dump like its mock
        # assertions do.
        model = ALL_EVENTS[name]
        fields = {k: decoded[k] for k in model.model_fields}
        payload = model.model_validate(fields)
        return json.dumps(
            {
                "event": name,
                "schema_id": schema_id,
                "key": key.hex() if key else None,
                "headers": [[k, v.decode("utf-8", "replace")] for k, v in headers],
                "metadata": {
                    "id": str(decoded["id"]),
                    "application": decoded["application"],
                    "timestamp_ms": (decoded["timestamp"] - _EPOCH)
                    // timedelta(milliseconds=1),
                    "timestamp_ns": decoded["timestamp_ns"],
                },
                "payload": payload.model_dump(mode="json"),
            }
        )


async def consume(count: int) -> None:
    """Decode ``count`` records from the topic start with registry schemas."""
    bootstrap = os.environ["KAFKA_BOOTSTRAP_SERVERS"]
    decoder = _Decoder()
    prefix = os.environ.get(
        "METRICS_EVENTS_TOPIC_PREFIX", "lsst.square.metrics.events"
    )
    topic = f"{prefix}.{os.environ['METRICS_APPLICATION']}"
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    try:
        seen = 0
        while seen < count:
            batches = await consumer.getmany(timeout_ms=10000)
            if not batches:
                raise SystemExit(f"timed out after {seen} of {count} records")
            for records in batches.values():
                for record in records:
                    print(
                        await decoder.line(
                            record.value, record.key, list(record.headers)
                        )
                    )
                    seen += 1
                    if seen == count:
                        break
    finally:
        await consumer.stop()


async def decode_stdin() -> None:
    """Decode hex-encoded record values, one per line of stdin."""
    decoder = _Decoder()
    for raw in sys.stdin:
        if raw.strip():
            print(await decoder.line(bytes.fromhex(raw.strip()), None, []))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--count", type=int, help="publish N events of each type")
    mode.add_argument(
        "--base", type=int, help="publish N api_call and N api_error events"
    )
    mode.add_argument("--bench", type=int, help="time N publishes")
    mode.add_argument("--consume", type=int, help="decode N records")
    mode.add_argument(
        "--decode", action="store_true", help="decode hex values from stdin"
    )
    args = parser.parse_args()
    _quiet_logging()
    if args.count is not None:
        asyncio.run(publish(EVENTS, args.count))
    elif args.base is not None:
        asyncio.run(publish(BASE_EVENTS, args.base))
    elif args.bench is not None:
        asyncio.run(bench(args.bench))
    elif args.consume is not None:
        asyncio.run(consume(args.consume))
    else:
        asyncio.run(decode_stdin())
    return 0


if __name__ == "__main__":
    sys.exit(main())
