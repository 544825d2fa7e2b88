package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/lsst-sqre/sasquatch-go/schemaregistry/registrytest"
)

// defaultAppName is used for METRICS_APP_NAME when neither it nor Safir's
// METRICS_APPLICATION is set, so that `make run` needs no environment.
const defaultAppName = "fastapi_example"

// embedded is the infrastructure of embedded mode: a Kafka broker (franz-go's
// kfake) and a Confluent-compatible schema registry (registrytest), both in
// this process on 127.0.0.1 and random ports. They keep nothing on disk.
type embedded struct {
	kafka    *kfake.Cluster
	registry *registrytest.Server
}

// embeddedMode reports whether the service must bring its own broker and
// registry: no bootstrap servers are configured (the misspelling Safir's
// docs use counts as configured).
func embeddedMode() bool {
	return os.Getenv("KAFKA_BOOTSTRAP_SERVERS") == "" && os.Getenv("KAFKA_BOOSTRAP_SERVERS") == ""
}

// startEmbedded starts the broker and the registry and points the
// environment at them, so that config.FromEnv, the only reader of the
// configuration, sees an ordinary Kafka-mode setup. The application's topic
// is not created here: the manager creates it (eventmanager.WithTopicCreation),
// which is only acceptable for local development.
func startEmbedded() (*embedded, error) {
	cluster, err := kfake.NewCluster(kfake.Ports(0))
	if err != nil {
		return nil, fmt.Errorf("embedded kafka: %w", err)
	}
	e := &embedded{kafka: cluster, registry: registrytest.NewServer()}
	env := map[string]string{
		"KAFKA_BOOTSTRAP_SERVERS":     strings.Join(cluster.ListenAddrs(), ","),
		"KAFKA_SECURITY_PROTOCOL":     "PLAINTEXT",
		"SCHEMA_MANAGER_REGISTRY_URL": e.registry.URL(),
	}
	for k, v := range env {
		if err := os.Setenv(k, v); err != nil {
			e.Close()
			return nil, fmt.Errorf("embedded mode: set %s: %w", k, err)
		}
	}
	return e, nil
}

// Close stops the registry and the broker; what they held is gone.
func (e *embedded) Close() {
	e.registry.Close()
	e.kafka.Close()
}
