package config

import (
	"crypto/tls"
	"encoding/json"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"
)

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
func (c Config) Format(f fmt.State, verb rune) {
	switch {
	case verb == 'v' && f.Flag('#'):
		_, _ = f.Write([]byte(c.GoString()))
	case verb == 'q':
		_, _ = f.Write([]byte(strconv.Quote(c.String())))
	default:
		_, _ = f.Write([]byte(c.String()))
	}
}

// LogValue implements slog.LogValuer: a group of every setting, secrets
// redacted, the TLS configuration summarised.
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
			slog.Duration("backoff_max", c.Delivery.StartupBackoffMax),
		),
	}
	if len(c.Warnings) > 0 {
		attrs = append(attrs, slog.Any("warnings", c.Warnings))
	}
	return slog.GroupValue(attrs...)
}

// LogValue implements slog.LogValuer for the Kafka part, the password
// redacted and the TLS configuration summarised (never its keys).
func (k Kafka) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("bootstrap_servers", strings.Join(k.BootstrapServers, ",")),
		slog.String("security_protocol", string(k.SecurityProtocol)),
		slog.String("cluster_ca_path", k.ClusterCAPath),
		slog.String("client_cert_path", k.ClientCertPath),
		slog.String("client_key_path", k.ClientKeyPath),
		slog.String("tls", tlsSummary(k.TLS)),
		slog.String("sasl_mechanism", string(k.SASLMechanism)),
		slog.String("sasl_username", k.SASLUsername),
		slog.String("sasl_password", k.SASLPassword.masked()),
	)
}

// LogValue implements slog.LogValuer for the registry part, the password
// and any user-info in the URL redacted.
func (g Registry) LogValue() slog.Value {
	roots := ""
	if g.RootCAs != nil {
		roots = "custom"
	}
	return slog.GroupValue(
		slog.String("url", redactURL(g.URL)),
		slog.String("username", g.Username),
		slog.String("password", g.Password.masked()),
		slog.String("suffix", g.Suffix),
		slog.String("compatibility", g.Compatibility),
		slog.String("ca_path", g.CAPath),
		slog.String("root_cas", roots),
		slog.Duration("timeout", g.Timeout),
	)
}

// configJSON is the JSON form of a Config.
type configJSON struct {
	AppName      string
	Disabled     bool
	Mock         bool
	TopicPrefix  string
	RaiseOnError bool
	Kafka        Kafka
	Registry     Registry
	Delivery     Delivery
	Warnings     []string
}

// MarshalJSON encodes c with its field names, secrets redacted (see
// Kafka.MarshalJSON and Registry.MarshalJSON).
func (c Config) MarshalJSON() ([]byte, error) {
	return json.Marshal(configJSON(c))
}

// kafkaJSON is the JSON form of a Kafka: TLS is a summary string.
type kafkaJSON struct {
	BootstrapServers []string
	SecurityProtocol SecurityProtocol
	ClusterCAPath    string
	ClientCertPath   string
	ClientKeyPath    string
	TLS              string
	SASLMechanism    SASLMechanism
	SASLUsername     string
	SASLPassword     Secret
}

// MarshalJSON encodes k with its field names, the password redacted and TLS
// as a summary string (never the private key).
func (k Kafka) MarshalJSON() ([]byte, error) {
	return json.Marshal(kafkaJSON{
		BootstrapServers: k.BootstrapServers, SecurityProtocol: k.SecurityProtocol,
		ClusterCAPath: k.ClusterCAPath, ClientCertPath: k.ClientCertPath, ClientKeyPath: k.ClientKeyPath,
		TLS: tlsSummary(k.TLS), SASLMechanism: k.SASLMechanism, SASLUsername: k.SASLUsername,
		SASLPassword: k.SASLPassword,
	})
}

// registryJSON is the JSON form of a Registry.
type registryJSON struct {
	URL           string
	Username      string
	Password      Secret
	Suffix        string
	Compatibility string
	CAPath        string
	RootCAs       bool
	Timeout       time.Duration
}

// MarshalJSON encodes g with its field names, the password and URL
// user-info redacted; RootCAs is true when a custom pool is set.
func (g Registry) MarshalJSON() ([]byte, error) {
	return json.Marshal(registryJSON{
		URL: redactURL(g.URL), Username: g.Username, Password: g.Password, Suffix: g.Suffix,
		Compatibility: g.Compatibility, CAPath: g.CAPath, RootCAs: g.RootCAs != nil, Timeout: g.Timeout,
	})
}

// tlsSummary describes tc without its keys: "" when nil.
func tlsSummary(tc *tls.Config) string {
	if tc == nil {
		return ""
	}
	roots := "system"
	if tc.RootCAs != nil {
		roots = "custom"
	}
	s := fmt.Sprintf("min=%s roots=%s", tls.VersionName(tc.MinVersion), roots)
	for _, cert := range tc.Certificates {
		if cert.Leaf != nil {
			s += fmt.Sprintf(" client=%q expires=%s", cert.Leaf.Subject.String(), cert.Leaf.NotAfter.UTC().Format(time.RFC3339))
		} else {
			s += " client=(certificate)"
		}
	}
	return s
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
