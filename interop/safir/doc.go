// Package safir holds the interoperability tests between this SDK and
// Safir's safir.metrics (Python), the library whose wire contract the SDK
// keeps. It has no code of its own: the tests (build tag safir) compare the
// Go SDK with golden vectors, mock-assertion verdicts and the modes chosen
// for metrics blocks of YAML files, recorded from real Safir
// (testdata/safir), run Safir's KafkaEventManager against a kfake broker
// and an in-process registry next to the Go publisher, and time both.
//
// Run them with make test-safir, which creates the pinned virtualenvs
// (setup.sh) and passes their interpreters in SAFIR_VENV_PYTHON (Safir 9.3.0)
// and SAFIR15_VENV_PYTHON (Safir 15.x, empty when no Python 3.12+ exists).
// Without SAFIR_VENV_PYTHON every test skips. make bench-safir prints the
// throughput ratio as a RATIO go_vs_safir line. NOTES.md records the facts and
// every difference found.
package safir
