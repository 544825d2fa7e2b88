// Package embedded runs the infrastructure of the examples' local default:
// a Kafka broker (franz-go's kfake) and a Confluent-compatible schema
// registry (registrytest), both in the current process on 127.0.0.1 and
// random ports, keeping nothing on disk. The examples use it when
// KAFKA_BOOTSTRAP_SERVERS is unset, so that `make run` and `make demo` need
// no environment and nothing installed. It is for development only.
package embedded

import (
	"fmt"
	"os"
	"strings"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/lsst-sqre/sasquatch-go/schemaregistry/registrytest"
)

// Wanted reports whether a program must bring its own broker and registry:
// no bootstrap servers are configured (the misspelling
// KAFKA_BOOSTRAP_SERVERS, which Safir's docs use, counts as configured).
func Wanted() bool {
	return os.Getenv("KAFKA_BOOTSTRAP_SERVERS") == "" && os.Getenv("KAFKA_BOOSTRAP_SERVERS") == ""
}

// Infra is a running broker and registry.
type Infra struct {
	Kafka    *kfake.Cluster
	Registry *registrytest.Server
}

// Start starts the broker and the registry and points the environment at
// them (KAFKA_BOOTSTRAP_SERVERS, KAFKA_SECURITY_PROTOCOL,
// SCHEMA_MANAGER_REGISTRY_URL), so that config.FromEnv, the only reader of
// the configuration, sees an ordinary Kafka-mode setup. The application's
// topic is not created here: the program's manager creates it
// (eventmanager.WithTopicCreation), which is only acceptable locally.
func Start() (*Infra, error) {
	cluster, err := kfake.NewCluster(kfake.Ports(0))
	if err != nil {
		return nil, fmt.Errorf("embedded kafka: %w", err)
	}
	e := &Infra{Kafka: cluster, Registry: registrytest.NewServer()}
	env := map[string]string{
		"KAFKA_BOOTSTRAP_SERVERS":     strings.Join(cluster.ListenAddrs(), ","),
		"KAFKA_SECURITY_PROTOCOL":     "PLAINTEXT",
		"SCHEMA_MANAGER_REGISTRY_URL": e.Registry.URL(),
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
func (e *Infra) Close() {
	e.Registry.Close()
	e.Kafka.Close()
}
