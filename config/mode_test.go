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
		{"kafka", config.Config{AppName: "x", Enabled: true}, config.ModeKafka, "kafka"},
		{"mock", config.Config{AppName: "x", Enabled: true, Mock: true}, config.ModeMock, "mock"},
		{"disabled wins over mock", config.Config{AppName: "x", Mock: true}, config.ModeDisabled, "disabled"},
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
