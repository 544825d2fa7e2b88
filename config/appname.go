package config

import (
	"errors"
	"fmt"
	"strings"
)

// SasquatchAppPattern is the rule an application name must follow to be
// deployed on Sasquatch: Phalanx's app-metrics chart makes the Strimzi
// KafkaTopic lsst.square.metrics.events.<app> and the KafkaUser
// app-metrics-<app> from it, which must be DNS-1123 names (lower-case
// letters, digits, '-' and '.'), and the SDK's Avro names exclude '-' and
// '.', so only lower-case letters and digits, starting with a letter,
// deploy (Phalanx's apps are named so: qservkafka, bigquerykafka).
const SasquatchAppPattern = "[a-z][a-z0-9]*"

// ErrNotDeployable is matched (with errors.Is) by the error of
// CheckSasquatchAppName: the application name is valid for Kafka but
// Sasquatch's Phalanx chart cannot deploy it.
var ErrNotDeployable = errors.New("config: application name cannot be deployed on Sasquatch")

// CheckSasquatchAppName returns nil when app follows SasquatchAppPattern,
// and otherwise an error (errors.Is ErrNotDeployable) that names the rule,
// the Kubernetes resources that impose it and a name that would work.
// It is the one place this rule is checked: Config.Warnings uses it (New
// logs the warning; the SDK also serves Kafka set-ups without Phalanx,
// where such names work), and the pipeline rendering refuses the name.
func CheckSasquatchAppName(app string) error {
	if sasquatchName(app) {
		return nil
	}
	return fmt.Errorf("%w: %q must match %s (lower-case letters and digits, starting with a letter), "+
		"because Phalanx's app-metrics chart names the KafkaTopic %s.<app> and the KafkaUser app-metrics-<app> after it "+
		"(Kubernetes DNS-1123 names) and Avro names exclude '-' and '.'; %q would work "+
		"(set METRICS_APP_NAME, or METRICS_APPLICATION as Phalanx sets it)",
		ErrNotDeployable, app, SasquatchAppPattern, defaultTopicPrefix, SuggestSasquatchAppName(app))
}

// SuggestSasquatchAppName returns a name close to app that follows
// SasquatchAppPattern: app lower-cased, without the characters the pattern
// excludes and without leading digits ("fastapi_example" gives
// "fastapiexample"); "app" when nothing is left.
func SuggestSasquatchAppName(app string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(app) {
		switch {
		case 'a' <= r && r <= 'z':
			b.WriteRune(r)
		case '0' <= r && r <= '9' && b.Len() > 0:
			b.WriteRune(r)
		}
	}
	if b.Len() == 0 {
		return "app"
	}
	return b.String()
}

// sasquatchName reports whether s matches SasquatchAppPattern.
func sasquatchName(s string) bool {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for i := 1; i < len(s); i++ {
		if c := s[i]; (c < 'a' || c > 'z') && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}
