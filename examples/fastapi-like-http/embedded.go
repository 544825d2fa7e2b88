package main

import (
	"github.com/lsst-sqre/sasquatch-go/examples/appevents"
	local "github.com/lsst-sqre/sasquatch-go/internal/embedded"
)

// defaultAppName is used for METRICS_APP_NAME when neither it nor Safir's
// METRICS_APPLICATION is set, so that `make run` needs no environment.
const defaultAppName = appevents.App

// embedded is the infrastructure of embedded mode: a Kafka broker (kfake)
// and a schema registry in this process, shared with the other examples
// (internal/embedded).
type embedded = local.Infra

// embeddedMode reports whether the service must bring its own broker and
// registry: no bootstrap servers are configured.
func embeddedMode() bool { return local.Wanted() }

// startEmbedded starts the broker and the registry and points the
// environment at them; the manager creates the topic
// (eventmanager.WithTopicCreation), which is only acceptable locally.
func startEmbedded() (*embedded, error) { return local.Start() }
