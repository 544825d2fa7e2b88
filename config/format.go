package config

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
)

// How a Config prints. Secret redacts itself everywhere (fmt, JSON, slog,
// text), even where fmt cannot call its methods (it holds its text behind a
// pointer), so Config and Kafka need no JSON method. What is left is what
// Secret cannot do: the registry URL is a plain string that may hold
// user-info in a Config built in code and not resolved (Registry.MarshalJSON,
// Registry.Format and the LogValue methods redact it); Config.Format and
// Registry.Format keep verbs such as %d or %x from printing that URL field by
// field; LogValue names the settings for logs and gives String its one-line
// summary.

// String returns a one-line summary of c for humans ("key=value ...",
// settings that are empty left out), secrets redacted.
func (c Config) String() string {
	var b strings.Builder
	writeAttrs(&b, "", c.LogValue().Group())
	return b.String()
}

// GoString returns the same summary as String, for %#v.
func (c Config) GoString() string { return "config.Config{" + c.String() + "}" }

// Format implements fmt.Formatter so that every verb prints the redacted
// summary: %#v the GoString, %q the quoted String, any other verb String.
func (c Config) Format(f fmt.State, verb rune) { formatSummary(f, verb, c.String(), c.GoString()) }

// formatSummary writes, for verb, goString (%#v), summary quoted (%q) or
// summary (any other verb).
func formatSummary(f fmt.State, verb rune, summary, goString string) {
	switch {
	case verb == 'v' && f.Flag('#'):
		_, _ = f.Write([]byte(goString))
	case verb == 'q':
		_, _ = f.Write([]byte(strconv.Quote(summary)))
	default:
		_, _ = f.Write([]byte(summary))
	}
}

// LogValue implements slog.LogValuer: a group of every setting, secrets
// redacted.
func (c Config) LogValue() slog.Value {
	attrs := []slog.Attr{
		slog.String("mode", c.Mode().String()),
		slog.String("app", c.AppName),
		slog.String("topic", c.Topic()),
		slog.Bool("raise_on_error", c.RaiseOnError),
		slog.Any("kafka", c.Kafka),
		slog.Any("registry", c.Registry),
		slog.Group("delivery",
			slog.Int("max_buffered_events", c.Delivery.MaxBufferedEvents),
			slog.Int64("max_buffered_bytes", c.Delivery.MaxBufferedBytes),
			slog.Duration("block_timeout", c.Delivery.BlockTimeout),
			slog.Duration("delivery_timeout", c.Delivery.DeliveryTimeout),
			slog.Duration("log_interval", c.Delivery.LogInterval),
			slog.Duration("backoff_max", c.Delivery.BackoffMax),
		),
	}
	return slog.GroupValue(attrs...)
}

// LogValue implements slog.LogValuer for the Kafka part, the password
// redacted by Secret.
func (k Kafka) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("bootstrap_servers", strings.Join(k.BootstrapServers, ",")),
		slog.String("security_protocol", string(k.SecurityProtocol)),
		slog.String("cluster_ca_path", k.ClusterCAPath),
		slog.String("client_cert_path", k.ClientCertPath),
		slog.String("client_key_path", k.ClientKeyPath),
		slog.String("sasl_mechanism", string(k.SASLMechanism)),
		slog.String("sasl_username", k.SASLUsername),
		slog.Any("sasl_password", k.SASLPassword),
	)
}

// LogValue implements slog.LogValuer for the registry part, the password
// and any user-info in the URL redacted.
func (g Registry) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("url", redactURL(g.URL)),
		slog.String("username", g.Username),
		slog.Any("password", g.Password),
		slog.String("suffix", g.Suffix),
		slog.String("compatibility", string(g.Compatibility)),
		slog.String("ca_path", g.CAPath),
		slog.Duration("timeout", g.Timeout),
	)
}

// String returns a one-line summary of g ("key=value ...", settings that
// are empty left out), the password and any user-info in the URL redacted.
func (g Registry) String() string {
	var b strings.Builder
	writeAttrs(&b, "", g.LogValue().Group())
	return b.String()
}

// GoString returns the same summary as String, for %#v.
func (g Registry) GoString() string { return "config.Registry{" + g.String() + "}" }

// Format implements fmt.Formatter so that every verb prints the redacted
// summary (a Registry built in code may hold user-info in its URL until
// Resolve moves it out): %#v the GoString, %q the quoted String, any other
// verb String.
func (g Registry) Format(f fmt.State, verb rune) { formatSummary(f, verb, g.String(), g.GoString()) }

// MarshalJSON encodes g with its field names, the URL's user-info redacted
// (the password is a Secret, which redacts itself). Only the URL needs this
// method: a Registry built in code may carry user-info in it until Resolve
// moves it to Username and Password. Config and Kafka have no MarshalJSON:
// their secrets are Secrets.
func (g Registry) MarshalJSON() ([]byte, error) {
	type fields Registry // the same fields, without this method
	f := fields(g)
	f.URL = redactURL(g.URL)
	return json.Marshal(f)
}

// writeAttrs renders attrs as space-separated key=value pairs, group keys
// joined with dots, values quoted when they would be ambiguous, empty
// values left out.
func writeAttrs(b *strings.Builder, prefix string, attrs []slog.Attr) {
	for _, a := range attrs {
		v := a.Value.Resolve()
		if v.Kind() == slog.KindGroup {
			writeAttrs(b, prefix+a.Key+".", v.Group())
			continue
		}
		s := v.String()
		if s == "" {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(prefix + a.Key + "=")
		if strings.ContainsAny(s, " \t\r\n\"=") || !strconv.CanBackquote(s) {
			s = strconv.Quote(s)
		}
		b.WriteString(s)
	}
}
