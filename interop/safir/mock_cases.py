"""Record which sequences Safir's mock assertions accept.

Each case publishes payloads through a real ``MockEventManager`` publisher,
then calls ``published.assert_published`` or ``assert_published_all`` with
an expected list, and records Safir's verdict (``ok`` or the assertion
error's class name). The Go side replays the same cases against
``eventmanagertest`` and must reach the same verdicts, except for cases
marked ``safir_bug``.

JSON form of the cases (testdata/safir/mock_cases.json):

* ``published``: payloads as ``{"event": name, "fields": {...}}`` with
  durations in nanoseconds (``int``) and enums as their symbol;
* ``expected``: same form, where a field value or a whole item may be
  ``{"$match": "any"}`` (Safir's ``ANY``) or ``{"$match": "not_none"}``
  (Safir's ``NOT_NONE``);
* ``publisher``: the event whose publisher's list is asserted on (Safir
  keeps one list per publisher; events are published to their own type's
  publisher);
* ``method``: ``assert_published`` or ``assert_published_all``;
* ``any_order``: bool; ``verdict``: ``ok`` or an error class name.

Usage: ``python mock_cases.py --update`` or ``--check``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from datetime import timedelta
from importlib.metadata import version
from pathlib import Path
from typing import Any

import structlog
from safir.metrics import (
    ANY,
    NOT_NONE,
    BaseAssertionError,
    EventPayload,
    MockEventManager,
)

from safir_events import APP, EVENTS

OUT = Path(__file__).resolve().parents[2] / "testdata" / "safir" / "mock_cases.json"
ANY_J = {"$match": "any"}
NOT_NONE_J = {"$match": "not_none"}


def q(kind: str, ms: int) -> dict[str, Any]:
    return {"event": "query", "fields": {"type": kind, "duration": ms * 1_000_000}}


def r(count: int, note: str | None) -> dict[str, Any]:
    return {
        "event": "rich",
        "fields": {
            "count": count,
            "ok": True,
            "ratio": 0.5,
            "note": note,
            "elapsed": 1_500_000_000,
        },
    }


def with_fields(item: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {"event": item["event"], "fields": {**item["fields"], **fields}}


A, B, C = q("sync", 1), q("async", 2), q("sync", 3)
RX, RN = r(1, "x"), r(2, None)

# (name, published, expected, method, any_order, safir_bug note or "")
CASES: list[tuple[str, list, list, str, bool, str]] = [
    ("exact", [A, B, C], [A, B, C], "assert_published_all", False, ""),
    ("exact_any_order", [A, B, C], [C, A, B], "assert_published_all", True, ""),
    ("exact_wrong_order", [A, B, C], [C, A, B], "assert_published_all", False, ""),
    ("all_count_mismatch", [A, B, C], [A, B], "assert_published_all", False, ""),
    ("all_empty_none_published", [], [], "assert_published_all", False, ""),
    ("all_empty_some_published", [A], [], "assert_published_all", False, ""),
    ("prefix", [A, B, C], [A, B], "assert_published", False, ""),
    ("consecutive_middle", [A, B, C], [B, C], "assert_published", False, ""),
    # Safir's "ordered" means a consecutive run, not a sub-sequence.
    ("gap_ordered", [A, B, C], [A, C], "assert_published", False, ""),
    ("gap_any_order", [A, B, C], [A, C], "assert_published", True, ""),
    ("reversed", [A, B, C], [C, B], "assert_published", False, ""),
    ("reversed_any_order", [A, B, C], [C, B], "assert_published", True, ""),
    ("duplicate_expected", [A, B], [A, A], "assert_published", True, ""),
    ("duplicate_published", [A, A, B], [A, A], "assert_published", False, ""),
    ("too_few", [A], [A, B], "assert_published", False, ""),
    ("too_few_any_order", [A], [A, B], "assert_published", True, ""),
    ("empty_expected", [A], [], "assert_published", False, ""),
    ("not_published", [A, B], [C], "assert_published", False, ""),
    ("other_event_type", [A, RX], [RX], "assert_published", False, ""),
    ("any_field", [A, B], [with_fields(B, duration=ANY_J)], "assert_published", False, ""),
    ("any_item", [A, B], [ANY_J, B], "assert_published", False, ""),
    ("any_item_all", [A, B], [ANY_J, ANY_J], "assert_published_all", False, ""),
    ("not_none_set", [RX], [with_fields(RX, note=NOT_NONE_J)], "assert_published", False, ""),
    ("not_none_null", [RN], [with_fields(RN, note=NOT_NONE_J)], "assert_published", False, ""),
    ("null_equals_null", [RN], [RN], "assert_published_all", False, ""),
    # NOT_NONE on a required field matches every value, zero included.
    (
        "not_none_zero",
        [r(0, "x")],
        [with_fields(r(0, "x"), count=NOT_NONE_J)],
        "assert_published",
        False,
        "",
    ),
    ("any_item_any_order", [A, B, C], [ANY_J, C], "assert_published", True, ""),
    # A whole-item ANY next to an exact item: per-item wildcards.
    ("any_item_then_missing", [A, B], [ANY_J, C], "assert_published", False, ""),
    (
        "greedy_any_order",
        [RX, RN],
        [with_fields(RX, count=ANY_J, note=ANY_J), with_fields(RX, count=1)],
        "assert_published",
        True,
        "Safir matches each expected item to the first equal published item"
        " and never backtracks, so a wildcard can take the item a later"
        " exact expectation needed; a correct matcher accepts this.",
    ),
]


def _to_py(value: Any) -> Any:
    if value == ANY_J:
        return ANY
    if value == NOT_NONE_J:
        return NOT_NONE
    return value


def _payload(item: dict[str, Any]) -> EventPayload:
    model = EVENTS[item["event"]]
    fields = dict(item["fields"])
    for name, info in model.model_fields.items():
        if info.annotation is timedelta:
            fields[name] = timedelta(microseconds=fields[name] // 1000)
    return model.model_validate(fields)


# Stand-in values for wildcard fields, so the payload model validates before
# the wildcard replaces the field in the dumped dict.
_PLACEHOLDER = {
    "type": "sync",
    "duration": 0,
    "count": 0,
    "ok": False,
    "ratio": 0.0,
    "note": None,
    "elapsed": 0,
}


def _expected(item: Any) -> Any:
    """Build the dict Safir compares with ``model_dump(mode="json")``."""
    if item == ANY_J:
        return ANY
    wild = {k: v for k, v in item["fields"].items() if isinstance(v, dict)}
    fields = {**item["fields"], **{k: _PLACEHOLDER[k] for k in wild}}
    dumped = _payload({"event": item["event"], "fields": fields}).model_dump(
        mode="json"
    )
    dumped.update({k: _to_py(v) for k, v in wild.items()})
    return dumped


async def verdict(
    published: list, expected: list, method: str, any_order: bool
) -> tuple[str, str]:
    """Run one case through Safir's real mock publisher and assertions."""
    manager = MockEventManager(APP, "lsst.square.metrics.events")
    await manager.initialize()
    # Safir's PublishedList is per publisher: a case mixing event types uses
    # the publisher of the expected items' type, like a Safir test would.
    events = {i["event"] for i in published} | {
        i["event"] for i in expected if i != ANY_J
    }
    publishers = {e: await manager.create_publisher(e, EVENTS[e]) for e in events}
    for item in published:
        await publishers[item["event"]].publish(_payload(item))
    target = next((i["event"] for i in expected if i != ANY_J), None)
    if target is None:
        target = published[0]["event"] if published else "query"
        if target not in publishers:
            publishers[target] = await manager.create_publisher(target, EVENTS[target])
    plist = publishers[target].published
    try:
        getattr(plist, method)([_expected(i) for i in expected], any_order=any_order)
    except BaseAssertionError as e:
        return target, type(e).__name__
    return target, "ok"


async def generate() -> list[dict[str, Any]]:
    out = []
    for name, published, expected, method, any_order, bug in CASES:
        target, result = await verdict(published, expected, method, any_order)
        case = {
            "name": name,
            "published": published,
            "publisher": target,
            "expected": expected,
            "method": method,
            "any_order": any_order,
            "verdict": result,
        }
        if bug:
            case["safir_bug"] = bug
        out.append(case)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--update", action="store_true")
    mode.add_argument("--check", action="store_true")
    args = parser.parse_args()
    structlog.configure(
        wrapper_class=structlog.make_filtering_bound_logger(30),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
    )
    cases = asyncio.run(generate())
    text = json.dumps(cases, indent=1) + "\n"
    problems = 0
    if args.update:
        OUT.write_text(text)
    elif not OUT.exists() or OUT.read_text() != text:
        problems = 1
        print(f"FAIL: {OUT.name} differs from safir {version('safir')}; run --update")
    print(
        f"mock_cases: safir {version('safir')}: {len(cases)} cases, "
        f"{problems} problems: {'FAIL' if problems else 'ok'}"
    )
    return problems


if __name__ == "__main__":
    sys.exit(main())
