"""Record which mode Safir 15 chooses for metrics blocks of a YAML file.

Each case is an application's ``metrics:`` block (as the dict a YAML
loader gives) and exactly the environment of the process. Safir validates
it as an application's configuration does (a ``BaseSettings`` with a
``metrics: MetricsConfiguration`` field whose default factory is
``metrics_configuration_factory``, validated from the file's data), and
the script records the verdict: the configuration class Safir chose
(``mock``, ``disabled``, ``kafka``) with the settings the SDK also has, or
``error``. The Go side (yaml_test.go, tag safir) feeds the same block, as
YAML, and environment to ``config.FromYAML`` and must reach the same
verdict, except for the cases listed there as deliberate differences.

Every case runs in an environment holding only its variables: Safir's
settings classes read the environment for what the block leaves out, under
more names than the SDK's (``ENABLED``, ``MOCK``, ``RAISEONERROR``...).

Usage: ``python yaml_cases.py --update`` or ``--check`` (Safir 15.x only:
Safir 9.3.0's metrics configuration has no mock class).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from importlib.metadata import version
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings
from safir.metrics import (
    DisabledMetricsConfiguration,
    KafkaMetricsConfiguration,
    MetricsConfiguration,
    MockMetricsConfiguration,
    metrics_configuration_factory,
)

OUT = Path(__file__).resolve().parents[2] / "testdata" / "safir" / "yaml_cases.json"

REGISTRY = "http://sasquatch-schema-registry.sasquatch.svc.cluster.local:8081"
PLAINTEXT = {"KAFKA_BOOTSTRAP_SERVERS": "broker:9092", "KAFKA_SECURITY_PROTOCOL": "PLAINTEXT"}


def mobu(enabled: bool, **extra: Any) -> dict[str, Any]:
    """Return mobu's block as Phalanx renders it (values.yaml)."""
    return {
        "application": "mobu",
        "enabled": enabled,
        "events": {"topicPrefix": "lsst.square.metrics.events"},
        "schemaManager": {"registryUrl": REGISTRY, "suffix": ""},
        **extra,
    }


APP = {"application": "myapp"}
KAFKA = {"application": "myapp", "schemaManager": {"registryUrl": "http://registry:8081"}}

# (name, metrics block, environment)
CASES: list[tuple[str, Any, dict[str, str]]] = [
    ("mobu_disabled", mobu(False), {}),
    ("mobu_mock", mobu(False, mock=True), {}),
    ("mobu_kafka", mobu(True), PLAINTEXT),
    ("mobu_kafka_without_env", mobu(True), {}),
    ("mock_true_enabled_true", {**KAFKA, "enabled": True, "mock": True}, PLAINTEXT),
    ("mock_true_alone", {**KAFKA, "mock": True}, PLAINTEXT),
    ("mock_false_kafka", {**KAFKA, "mock": False}, PLAINTEXT),
    ("mock_false_disabled", {**APP, "enabled": False, "mock": False}, {}),
    ("unknown_key_disabled", {**APP, "enabled": False, "mokc": True}, {}),
    ("unknown_key_mock", {**APP, "enabled": False, "mock": True, "colour": "blue"}, {}),
    ("unknown_key_kafka", {**KAFKA, "mokc": True}, PLAINTEXT),
    ("unknown_kafka_key_kafka", {**KAFKA, "kafka": {"bootstrapServer": "b:1"}}, PLAINTEXT),
    ("unknown_kafka_key_disabled", {**APP, "enabled": False, "kafka": {"bootstrapServer": "b:1"}}, {}),
    ("registry_username_kafka", {**APP, "schemaManager": {"registryUrl": "http://r:1", "username": "u"}}, PLAINTEXT),
    ("unknown_events_key_disabled", {**APP, "enabled": False, "events": {"prefix": "x"}}, {}),
    ("kafka_settings_disabled", {**APP, "enabled": False, "raiseOnError": True, "backoffInterval": "5m",
                                 "kafka": {"bootstrapServers": "b:1", "securityProtocol": "PLAINTEXT"}}, {}),
    ("enabled_maybe", {**APP, "enabled": "maybe"}, {}),
    ("enabled_list", {**APP, "enabled": [False]}, {}),
    ("enabled_null", {**APP, "enabled": None}, {}),
    ("enabled_no", {**APP, "enabled": "no"}, {}),
    ("enabled_zero", {**APP, "enabled": 0}, {}),
    ("events_number", {**APP, "enabled": False, "events": 3}, {}),
    ("events_null", {**APP, "enabled": False, "events": None}, {}),
    ("topic_prefix_number", {**APP, "enabled": False, "events": {"topicPrefix": 3}}, {}),
    ("application_number", {"application": 123, "enabled": False}, {}),
    ("application_missing", {"enabled": False}, {}),
    ("bootstrap_number", {**KAFKA, "kafka": {"bootstrapServers": 9092, "securityProtocol": "PLAINTEXT"}}, {}),
    ("bootstrap_list", {**KAFKA, "kafka": {"bootstrapServers": ["a:1", "b:2"], "securityProtocol": "PLAINTEXT"}}, {}),
    ("suffix_null", {**APP, "schemaManager": {"registryUrl": "http://r:1", "suffix": None}}, PLAINTEXT),
    ("snake_case_keys", {"application": "myapp", "raise_on_error": True, "backoff_interval": 90,
                         "events": {"topic_prefix": "lsst.dev"},
                         "schema_manager": {"registry_url": "http://registry:8081"},
                         "kafka": {"bootstrap_servers": "b:2", "security_protocol": "PLAINTEXT"}}, {}),
    ("variable_name_keys", {"METRICS_APPLICATION": "myapp", "METRICS_ENABLED": False, "METRICS_MOCK": True}, {}),
    ("keys_in_any_case", {"APPLICATION": "myapp", "Enabled": False}, {}),
    ("app_name_key", {"appName": "myapp", "enabled": False}, {}),
    ("mode_from_env", {**APP}, {"METRICS_ENABLED": "false", "METRICS_MOCK": "true"}),
    ("mock_from_env", {**APP, "enabled": False}, {"METRICS_MOCK": "true"}),
    ("mock_from_env_kafka", {**KAFKA, "enabled": True}, {**PLAINTEXT, "METRICS_MOCK": "true"}),
    ("application_from_env", {"enabled": False}, {"METRICS_APPLICATION": "envapp"}),
    ("topic_prefix_from_env", {**APP, "enabled": False}, {"METRICS_EVENTS_TOPIC_PREFIX": "lsst.dev"}),
    ("topic_prefix_over_env", {**APP, "enabled": False, "events": {"topicPrefix": "lsst.yaml"}},
     {"METRICS_EVENTS_TOPIC_PREFIX": "lsst.dev"}),
    ("registry_from_env", {**APP}, {**PLAINTEXT, "SCHEMA_MANAGER_REGISTRY_URL": "http://env:8081"}),
    ("schema_manager_over_env", mobu(True), {**PLAINTEXT, "SCHEMA_MANAGER_REGISTRY_URL": "http://env:8081",
                                            "SCHEMA_MANAGER_SUFFIX": "_env"}),
    ("partial_kafka_block", {**KAFKA, "kafka": {"bootstrapServers": "yaml:9092"}},
     {"KAFKA_BOOTSTRAP_SERVERS": "env:9092", "KAFKA_SECURITY_PROTOCOL": "SASL_PLAINTEXT",
      "KAFKA_SASL_MECHANISM": "SCRAM-SHA-512", "KAFKA_SASL_USERNAME": "u", "KAFKA_SASL_PASSWORD": "pw"}),
    ("sasl_username_null_over_env", {**KAFKA, "kafka": {"saslUsername": None}},
     {**PLAINTEXT, "KAFKA_SECURITY_PROTOCOL": "SASL_PLAINTEXT", "KAFKA_SASL_MECHANISM": "SCRAM-SHA-512",
      "KAFKA_SASL_USERNAME": "u", "KAFKA_SASL_PASSWORD": "pw"}),
    ("backoff_human", {**KAFKA, "backoffInterval": "5m 30s"}, PLAINTEXT),
    ("backoff_bad", {**KAFKA, "backoffInterval": "soon"}, PLAINTEXT),
    ("raise_on_error_bad", {**KAFKA, "raiseOnError": "maybe"}, PLAINTEXT),
    # Deliberate differences (see goYAMLDeviations in yaml_test.go).
    ("kafka_number_disabled", {**APP, "enabled": False, "kafka": 3}, {}),
    ("mock_maybe_disabled", {**APP, "enabled": False, "mock": "maybe"}, {}),
    ("app_name_keys_differ", {"appName": "myapp", "application": "other", "enabled": False}, {}),
    ("app_name_not_avro", {"application": "my-app", "enabled": False}, {}),
    ("security_protocol_from_default", {**KAFKA}, {"KAFKA_BOOTSTRAP_SERVERS": "broker:9092"}),
    ("security_protocol_lower_case", {**KAFKA, "kafka": {"securityProtocol": "plaintext"}},
     {"KAFKA_BOOTSTRAP_SERVERS": "broker:9092"}),
]


class AppConfig(BaseSettings):
    """An application's configuration with Safir's metrics block."""

    metrics: MetricsConfiguration = Field(default_factory=metrics_configuration_factory)


def verdict(block: Any, env: dict[str, str]) -> dict[str, Any]:
    """Validate block in exactly env and return Safir's verdict."""
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        config = AppConfig.model_validate({"metrics": block})
    except ValidationError as e:
        return {"verdict": "error", "errors": sorted({".".join(map(str, err["loc"][2:])) for err in e.errors()})}
    finally:
        os.environ.clear()
        os.environ.update(saved)
    m = config.metrics
    out: dict[str, Any] = {"application": m.application, "topic_prefix": m.events.topic_prefix}
    match m:
        case MockMetricsConfiguration():
            out["verdict"] = "mock"
        case DisabledMetricsConfiguration():
            out["verdict"] = "disabled"
        case KafkaMetricsConfiguration():
            out |= {
                "verdict": "kafka",
                "bootstrap_servers": m.kafka.bootstrap_servers,
                "security_protocol": str(m.kafka.security_protocol),
                "sasl_username": m.kafka.sasl_username or "",
                "registry_url": str(m.schema_manager.registry_url),
                "suffix": m.schema_manager.suffix,
                "raise_on_error": m.raise_on_error,
                "backoff_seconds": m.backoff_interval.total_seconds(),
            }
    return out


def generate() -> list[dict[str, Any]]:
    return [{"name": name, "metrics": block, "env": env, **verdict(block, env)} for name, block, env in CASES]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--update", action="store_true")
    mode.add_argument("--check", action="store_true")
    args = parser.parse_args()
    cases = generate()
    text = json.dumps(cases, indent=1) + "\n"
    problems = 0
    if args.update:
        OUT.write_text(text)
    elif not OUT.exists() or OUT.read_text() != text:
        problems = 1
        print(f"FAIL: {OUT.name} differs from safir {version('safir')}; run --update")
    print(
        f"yaml_cases: safir {version('safir')}: {len(cases)} cases, "
        f"{problems} problems: {'FAIL' if problems else 'ok'}"
    )
    return problems


if __name__ == "__main__":
    sys.exit(main())
