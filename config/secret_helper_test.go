package config_test

import (
	"fmt"

	"github.com/lsst-sqre/sasquatch-go/config"
)

func secretOf(s string) config.Secret { return config.NewSecret(s) }

func fmtP(v any) string { return fmt.Sprintf("%p", v) }
