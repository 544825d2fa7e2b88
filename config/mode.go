package config

import "fmt"

// Mode is the way the SDK runs, as a Config selects it (see Config.Mode).
// The zero value is ModeKafka, the default.
type Mode int

// The modes of the SDK.
const (
	// ModeKafka sends events to Kafka: the default.
	ModeKafka Mode = iota
	// ModeDisabled validates events and drops them (METRICS_ENABLED=false,
	// or METRICS_DISABLE=true, without METRICS_MOCK=true).
	ModeDisabled
	// ModeMock records events in memory for tests (METRICS_ENABLED=false
	// with METRICS_MOCK=true, as in Safir).
	ModeMock
)

// String returns "kafka", "disabled" or "mock".
func (m Mode) String() string {
	switch m {
	case ModeDisabled:
		return "disabled"
	case ModeMock:
		return "mock"
	}
	return "kafka"
}

// Mode returns the mode c selects: ModeMock when Mock is set (whatever
// Disabled says: Safir's mock mode is metrics disabled and mocked), else
// ModeDisabled when Disabled is set, else ModeKafka. It is the one place
// where the mode is decided; FromEnv and SafirMetrics.Config translate
// Safir's settings into Disabled and Mock with safirSwitches.
func (c Config) Mode() Mode {
	switch {
	case c.Mock:
		return ModeMock
	case c.Disabled:
		return ModeDisabled
	}
	return ModeKafka
}

// safirSwitches translates Safir's two mode settings into a Config's
// Disabled and Mock, as Safir's metrics_configuration_factory chooses its
// configuration: mock when enabled is false and mock is true, disabled when
// enabled is false (and mock is not true), Kafka otherwise. mockIgnored is
// set when mock is true but enabled is not false: Safir then runs in Kafka
// mode (its Kafka configuration has no mock setting), and so does the SDK,
// with a note that names both settings (mockIgnoredNote).
func safirSwitches(enabled, enabledSet, mock bool) (disabled, mockOut, mockIgnored bool) {
	off := enabledSet && !enabled
	switch {
	case off && mock:
		return true, true, false
	case off:
		return true, false, false
	}
	return false, false, mock
}

// mockIgnoredNote is the note about a mock setting that Safir's rules
// ignore: enabledName and mockName are the two settings' names, as the
// user wrote them. refused words it as the error of a YAML file, where
// Safir refuses the setting (its Kafka configuration forbids keys it does
// not have) instead of ignoring it.
func mockIgnoredNote(enabledName, enabledValue, mockName string, refused bool) string {
	state := "is not set"
	if enabledValue != "" {
		state = fmt.Sprintf("is %q", enabledValue)
	}
	verdict, mode := "is ignored", "this configuration is Kafka mode"
	if refused {
		verdict, mode = "is not allowed", "Safir's Kafka mode configuration refuses a mock setting"
	}
	return fmt.Sprintf("%s=true %s because %s %s: as in Safir, mock mode is %s=false with %s=true, "+
		"and %s (set %s=false for mock mode, or remove %s)",
		mockName, verdict, enabledName, state, enabledName, mockName, mode, enabledName, mockName)
}
