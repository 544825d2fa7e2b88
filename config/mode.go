package config

// Mode is the way the SDK runs, as a Config selects it (see Config.Mode).
// The zero value is ModeKafka, the default.
type Mode int

// The modes of the SDK.
const (
	// ModeKafka sends events to Kafka: the default.
	ModeKafka Mode = iota
	// ModeDisabled validates events and drops them (METRICS_ENABLED=false
	// or METRICS_DISABLE=true).
	ModeDisabled
	// ModeMock records events in memory for tests (METRICS_MOCK=true).
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

// Mode returns the mode c selects: ModeDisabled when Disabled is set
// (whatever Mock says), else ModeMock when Mock is set, else ModeKafka.
// It is the one place where the mode is decided.
func (c Config) Mode() Mode {
	switch {
	case c.Disabled:
		return ModeDisabled
	case c.Mock:
		return ModeMock
	}
	return ModeKafka
}
