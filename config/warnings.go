package config

import (
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/kelseyhightower/envconfig"
)

// Warnings returns notes about settings of c that are set but ignored or
// unsafe, or nil. A Config read from the environment (FromEnv, FromYAML,
// SafirMetrics.Config) gets first the notes about that environment,
// EnvWarnings as it was when it was read; a Config built in code gets none
// (the environment is not where it came from). Then, in Kafka mode:
// KAFKA_SASL_USERNAME or KAFKA_SASL_PASSWORD with a protocol without SASL,
// KAFKA_CLUSTER_CA_PATH, KAFKA_CLIENT_CERT_PATH or KAFKA_CLIENT_KEY_PATH
// with a protocol without TLS, SCHEMA_MANAGER_CA_PATH with a registry URL
// that is not https, credentials sent in clear text (SASL PLAIN over
// SASL_PLAINTEXT, basic auth to an http registry), and an AppName that
// Sasquatch cannot deploy (CheckSasquatchAppName). Settings are named as
// Resolve's errors name them: by variable, or by field for a Config built
// in code. Warnings computes them from c alone (resolved or not) and does
// no I/O. eventmanager.New logs them.
func (c Config) Warnings() []string {
	var w []string
	if c.env != nil {
		w = slices.Clone(c.env.notes)
	}
	if c.Mode() != ModeKafka {
		return w
	}
	if c.AppName != "" {
		if err := CheckSasquatchAppName(c.AppName); err != nil {
			w = append(w, strings.TrimPrefix(err.Error(), "config: ")+" (it works with Kafka set-ups outside Sasquatch)")
		}
	}
	k := c.Kafka
	p := problems{names: c.settingNames()} // names the settings; its problems are dropped
	r := resolver{}
	if proto, ok := r.securityProtocol(k.SecurityProtocol, &p); ok {
		if !proto.UsesSASL() {
			for _, v := range []struct{ name, value string }{{envSASLUsername, k.SASLUsername}, {envSASLPassword, k.SASLPassword.Value()}} {
				if v.value != "" {
					w = append(w, fmt.Sprintf("%s is set but %s=%s does not use SASL; it is ignored", p.name(v.name), p.name(envSecurityProtocol), proto))
				}
			}
		}
		if !proto.UsesTLS() {
			for _, v := range []struct{ name, value string }{{envClusterCA, k.ClusterCAPath}, {envClientCert, k.ClientCertPath}, {envClientKey, k.ClientKeyPath}} {
				if v.value != "" {
					w = append(w, fmt.Sprintf("%s is set but %s=%s does not use TLS; it is ignored", p.name(v.name), p.name(envSecurityProtocol), proto))
				}
			}
		}
		if mech, ok := oneOf(string(k.SASLMechanism), saslMechanisms()); proto == SASLPlaintext && ok && mech == MechanismPlain {
			w = append(w, fmt.Sprintf("%s=%s with %s=%s sends the SASL password in clear text: anyone on the network path can read it; use %s (TLS), or the %s mechanism",
				p.name(envSASLMechanism), MechanismPlain, p.name(envSecurityProtocol), SASLPlaintext, SASLSSL, MechanismSCRAMSHA512))
		}
	}
	if c.Registry.caIgnored() {
		w = append(w, fmt.Sprintf("%s is set but %s is not https; it is ignored", p.name(envRegistryCA), p.name(envRegistryURL)))
	}
	if c.Registry.basicAuthInClear() {
		w = append(w, fmt.Sprintf("%s is http: the registry credentials (%s, %s) are sent in clear text with each request (HTTP basic auth); use an https URL",
			p.name(envRegistryURL), p.name(envRegistryUsername), p.name(envRegistryPassword)))
	}
	return w
}

// EnvWarnings returns notes about the environment, or nil: METRICS_MOCK=true
// ignored because METRICS_ENABLED is not false (Safir's rule: that is Kafka
// mode), the misspelt
// KAFKA_BOOSTRAP_SERVERS (used when KAFKA_BOOTSTRAP_SERVERS is not set, or
// repeating it), and every other non-empty variable named METRICS_*, KAFKA_*
// or SCHEMA_MANAGER_* that FromEnv does not read, with the closest known
// name when one is near (METRICS_MOK: did you mean METRICS_MOCK?), and
// other tools' names for the SDK's settings (SCHEMA_REGISTRY_URL, Confluent's:
// did you mean SCHEMA_MANAGER_REGISTRY_URL?). It reads
// the environment at each call. FromEnv, FromYAML and SafirMetrics.Config
// keep its notes in the Config they return, whose Warnings begin with them
// (what eventmanager.New logs). What FromEnv reports as an error (the misspelling and
// KAFKA_BOOTSTRAP_SERVERS set to different values) is not repeated here.
func EnvWarnings() []string {
	var raw rawEnv
	if err := envconfig.Process("", &raw); err != nil {
		return nil // FromEnv reports it
	}
	return envWarnings(raw, os.Environ())
}

// envWarnings is EnvWarnings for raw and environ ("NAME=value" entries).
func envWarnings(raw rawEnv, environ []string) []string {
	var w []string
	var p problems
	if note := readSwitches(raw, &p).mockNote(&p, false); note != "" {
		w = append(w, note)
	}
	if b := bootstrapServers(raw); b.warning != "" {
		w = append(w, b.warning)
	}
	for _, u := range unknownVars(environ) {
		w = append(w, u.note())
	}
	return w
}

// bootstrap is KAFKA_BOOTSTRAP_SERVERS read with its misspelt alias.
type bootstrap struct {
	servers  []string
	from     string // the variable the servers came from
	warning  string // about the misspelling, or ""
	conflict string // the problem when both are set and differ, or ""
}

// bootstrapServers reads KAFKA_BOOTSTRAP_SERVERS and the misspelling
// KAFKA_BOOSTRAP_SERVERS of raw.
func bootstrapServers(raw rawEnv) bootstrap {
	servers := splitList(raw.BootstrapServers)
	misspelt := splitList(raw.BoostrapServers)
	switch {
	case misspelt == nil:
		return bootstrap{servers: servers, from: envBootstrap}
	case servers == nil:
		return bootstrap{servers: misspelt, from: envBoostrap,
			warning: fmt.Sprintf("%s is a misspelling of %s (it appears in published docs); it was used, but rename it", envBoostrap, envBootstrap)}
	case slices.Equal(servers, misspelt):
		return bootstrap{servers: servers, from: envBootstrap,
			warning: fmt.Sprintf("%s (a misspelling) repeats %s; remove it", envBoostrap, envBootstrap)}
	default:
		return bootstrap{servers: servers, from: envBootstrap,
			conflict: fmt.Sprintf("%q differs from %s %q (set only %s)", trim(raw.BoostrapServers), envBootstrap, trim(raw.BootstrapServers), envBootstrap)}
	}
}
