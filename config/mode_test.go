package config_test

import (
	"testing"

	"github.com/lsst-sqre/sasquatch-go/config"
)

func TestMode(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		cfg  config.Config
		want config.Mode
		str  string
	}{
		{"zero value", config.Config{}, config.ModeKafka, "kafka"},
		{"kafka", config.Config{AppName: "x"}, config.ModeKafka, "kafka"},
		{"mock", config.Config{AppName: "x", Mock: true}, config.ModeMock, "mock"},
		{"disabled", config.Config{AppName: "x", Disabled: true}, config.ModeDisabled, "disabled"},
		{"disabled and mock is mock, as in Safir", config.Config{AppName: "x", Disabled: true, Mock: true}, config.ModeMock, "mock"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := tt.cfg.Mode(); got != tt.want || got.String() != tt.str {
				t.Errorf("Mode() = %v (%d), want %v (%d)", got, got, tt.str, tt.want)
			}
		})
	}
}
