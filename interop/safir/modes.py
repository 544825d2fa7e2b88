"""Print the metrics configuration Safir chooses for this environment.

Run by modes_test.go (go test -tags safir) once per environment: prints one
JSON object, {"class": <configuration class>} when Safir's
metrics_configuration_factory accepts the environment, {"error": [<field
locations>]} when it raises a ValidationError, or {"unsupported": <reason>}
when this Safir has no metrics_configuration_factory.
"""

import json

try:
    from pydantic import ValidationError
    from safir.metrics import metrics_configuration_factory
except ImportError as e:
    print(json.dumps({"unsupported": str(e)}))
    raise SystemExit(0)

try:
    config = metrics_configuration_factory()
    print(json.dumps({"class": type(config).__name__}))
except ValidationError as e:
    print(json.dumps({"error": [".".join(str(x) for x in err["loc"]) for err in e.errors()]}))
