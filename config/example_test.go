package config_test

import (
	"errors"
	"fmt"
	"os"

	"gopkg.in/yaml.v3"

	"github.com/lsst-sqre/sasquatch-go/config"
)

// A service reads its configuration once at start-up. Here the environment
// selects mock mode, so no Kafka or registry setting is needed.
func ExampleFromEnv() {
	restore := setenvForExample(map[string]string{
		"METRICS_APP_NAME": "myapp",
		"METRICS_ENABLED":  "false", // with METRICS_MOCK=true: mock mode, as in Safir
		"METRICS_MOCK":     "true",
	})
	defer restore()

	cfg, err := config.FromEnv()
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(cfg.Topic())
	fmt.Println(cfg.Mock, cfg.Delivery.MaxBufferedEvents, cfg.Registry.Compatibility)
	// Output:
	// lsst.square.metrics.events.myapp
	// true 100000 NONE
}

// One error names every bad variable; errors.As gives each of them.
func ExampleFromEnv_invalid() {
	restore := setenvForExample(map[string]string{
		"METRICS_APP_NAME":        "my-app",
		"METRICS_ENABLED":         "false",
		"METRICS_MOCK":            "true",
		"KAFKA_SECURITY_PROTOCOL": "TLS",
	})
	defer restore()

	_, err := config.FromEnv()
	fmt.Println(errors.As(err, new(*config.Error)))
	var cerr *config.Error
	if errors.As(err, &cerr) {
		for _, v := range cerr.Vars {
			fmt.Println(v.Name)
		}
	}
	// Output:
	// true
	// METRICS_APP_NAME
	// KAFKA_SECURITY_PROTOCOL
}

// An application configured from a YAML file, as Safir applications are,
// keeps Safir's metrics block in its own configuration struct. Here the
// block selects Safir's mock mode (enabled false, mock true), as in an
// application's tests: no Kafka or registry setting is needed. In Kafka
// mode the KAFKA_* variables of the environment give what the block leaves
// out, as Phalanx sets them.
func ExampleSafirMetrics() {
	restore := setenvForExample(nil)
	defer restore()

	data := []byte(`
logLevel: INFO
metrics:
  application: myapp
  enabled: false
  mock: true
  events:
    topicPrefix: lsst.square.metrics.events
`)
	var file struct {
		LogLevel string              `yaml:"logLevel"`
		Metrics  config.SafirMetrics `yaml:"metrics"`
	}
	if err := yaml.Unmarshal(data, &file); err != nil {
		fmt.Println(err)
		return
	}
	cfg, err := file.Metrics.Config()
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(file.LogLevel, cfg.Mode(), cfg.Topic())
	// Output:
	// INFO mock lsst.square.metrics.events.myapp
}

// FromYAML reads the block from the file's bytes. Errors name each bad
// setting by its YAML path, and a key that Safir's Kafka mode
// configuration does not have is refused (mock and disabled modes ignore
// it, as Safir does, and SafirMetrics.Warnings reports it).
func ExampleFromYAML_invalid() {
	restore := setenvForExample(nil)
	defer restore()

	_, err := config.FromYAML([]byte(`
metrics:
  application: my-app
  events: 3
  schemaManager:
    registryUrl: "http://sasquatch-schema-registry:8081"
    compatibility: NONE
`), "metrics")
	var cerr *config.Error
	if errors.As(err, &cerr) {
		for _, v := range cerr.Vars {
			fmt.Println(v.Error())
		}
	}
	// Output:
	// metrics.application: "my-app" must match [A-Za-z_][A-Za-z0-9_]* (letters, digits and underscores, not starting with a digit), and [a-z][a-z0-9]* to deploy on Sasquatch (e.g. "myapp")
	// metrics.events: is a number (3), not a mapping of Safir's events settings (topicPrefix)
	// metrics.kafka.bootstrapServers: required in Kafka mode (a comma-separated host:port list; or run without Kafka: metrics.enabled=false for disabled mode, with metrics.mock=true for mock mode); it may also come from KAFKA_BOOTSTRAP_SERVERS in the environment
	// metrics.schemaManager.compatibility: not a setting of Safir's metrics configuration: its Kafka mode configuration refuses keys it does not have
}

// A Config built in code gets the same checks and defaults from Resolve;
// its errors name its fields.
func ExampleConfig_Resolve() {
	cfg, err := config.Config{AppName: "myapp", Mock: true}.Resolve()
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(cfg.Topic(), cfg.Kafka.SecurityProtocol, cfg.Delivery.DeliveryTimeout)

	_, err = config.Config{AppName: "my app", Mock: true, Registry: config.Registry{Compatibility: "sometimes"}}.Resolve()
	fmt.Println(err)
	// Output:
	// lsst.square.metrics.events.myapp PLAINTEXT 2m0s
	// config: invalid configuration: Config.AppName: "my app" must match [A-Za-z_][A-Za-z0-9_]* (letters, digits and underscores, not starting with a digit), and [a-z][a-z0-9]* to deploy on Sasquatch (e.g. "myapp"); Config.Registry.Compatibility: "sometimes" is not one of NONE, BACKWARD, BACKWARD_TRANSITIVE, FORWARD, FORWARD_TRANSITIVE, FULL, FULL_TRANSITIVE
}

// Load resolves a Config once into what the SDK runs on: the settings, the
// TLS objects built from the PEM files (none in mock mode, which reads no
// file) and the warnings.
func ExampleConfig_Load() {
	l, err := config.Config{AppName: "myapp", Mock: true}.Load()
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(l.Config.Topic(), l.Config.Registry.Timeout)
	fmt.Println(l.KafkaTLS == nil, l.RegistryCAs == nil, len(l.Warnings))
	// Output:
	// lsst.square.metrics.events.myapp 10s
	// true true 0
}

// A Secret prints redacted however it is printed; Value reads it.
func ExampleSecret() {
	pw := config.NewSecret("hunter2")
	fmt.Println(pw, len(pw.Value()))
	fmt.Printf("%q %+v\n", pw, struct{ Password config.Secret }{pw})
	// Output:
	// [redacted] 7
	// "[redacted]" {Password:[redacted]}
}

// setenvForExample sets env, after unsetting every other configuration
// variable, and returns a function that restores the previous environment.
func setenvForExample(env map[string]string) (restore func()) {
	type saved struct {
		value string
		ok    bool
	}
	old := map[string]saved{}
	for _, name := range allVars() {
		v, ok := os.LookupEnv(name)
		old[name] = saved{v, ok}
		_ = os.Unsetenv(name)
	}
	for k, v := range env {
		_ = os.Setenv(k, v)
	}
	return func() {
		for name, s := range old {
			if s.ok {
				_ = os.Setenv(name, s.value)
			} else {
				_ = os.Unsetenv(name)
			}
		}
	}
}
