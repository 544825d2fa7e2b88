package config

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/lsst-sqre/sasquatch-go/internal/avroname"
)

// resolver checks a Config, fills its defaults and loads its files.
type resolver struct {
	names varNames
	now   time.Time // validity of certificates is checked at this time
	// modeUnknown is set when METRICS_ENABLED, METRICS_DISABLE or
	// METRICS_MOCK did not parse: nothing mode-dependent is required then.
	modeUnknown bool
	// code is set for a Config built in code: the hints then speak of its
	// fields rather than of variables.
	code bool
	// kafkaClient is set when the Kafka connection is an existing client's
	// (Config.ResolveWithKafkaClient): the Kafka connection settings are
	// then neither required nor read, in any mode.
	kafkaClient bool
	// readFile reads a PEM file of at most limit bytes; nil is readLimited,
	// the file system. Tests of Config.Load count the reads with it.
	readFile func(path string, limit int64) ([]byte, error)
}

// resolve returns c completed, recording every problem in p; what the
// checks built is dropped (FromEnv, Resolve).
func (r *resolver) resolve(c Config, p *problems) Config { return r.load(c, p).Config }

// load returns c completed, with what its checks built from the PEM files
// in Kafka mode (the Kafka TLS configuration, the registry's CA pool),
// recording every problem in p. Warnings is left empty: a Config read from
// the environment gets its notes after this.
func (r *resolver) load(c Config, p *problems) Loaded {
	var l Loaded
	out := c
	out.Kafka.BootstrapServers = slices.Clone(c.Kafka.BootstrapServers)
	kafkaMode := c.Mode() == ModeKafka && !r.modeUnknown

	switch {
	case c.AppName == "":
		// Required in every mode: the topic and the subjects of every mode
		// are built from it (Safir requires it in every mode too).
		how := fmt.Sprintf("set %s, or %s as Phalanx sets it", p.name(envAppName), p.name(envApplication))
		switch {
		case r.code:
			how = "set " + p.name(envAppName)
		case p.name(envAppName) == p.name(envApplication): // one key of a YAML file
			how = fmt.Sprintf("set %s, as Phalanx does", p.name(envApplication))
		}
		p.add(r.names.appName, fmt.Sprintf("required in every mode (%s; e.g. %q)", how, "myapp"), nil)
	case !avroname.Valid(c.AppName):
		p.add(r.names.appName, fmt.Sprintf("%q must match %s (letters, digits and underscores, not starting with a digit), and %s to deploy on Sasquatch (e.g. %q)",
			c.AppName, avroname.Pattern, SasquatchAppPattern, SuggestSasquatchAppName(c.AppName)), nil)
	}
	if out.TopicPrefix == "" {
		out.TopicPrefix = defaultTopicPrefix
	} else if !avroname.ValidDotted(out.TopicPrefix) {
		p.add(r.names.topicPrefix, fmt.Sprintf("%q: each dot-separated part must match %s", out.TopicPrefix, avroname.Pattern), nil)
	}

	out.Kafka, l.KafkaTLS = r.resolveKafka(out.Kafka, kafkaMode && !r.kafkaClient, p)
	out.Registry, l.RegistryCAs = r.resolveRegistry(out.Registry, kafkaMode, p)
	out.Delivery = r.resolveDelivery(out.Delivery, p)
	l.Config = out
	return l
}

// resolveKafka checks and completes the Kafka part. In Kafka mode it
// builds the TLS configuration of SSL and SASL_SSL from the PEM files (as
// Kafka.TLSConfig does), so that a bad file is reported now, and returns
// it; nil otherwise.
func (r *resolver) resolveKafka(k Kafka, kafkaMode bool, p *problems) (Kafka, *tls.Config) {
	for _, s := range k.BootstrapServers {
		if reason := checkHostPort(s); reason != "" {
			p.add(r.names.bootstrap, reason, nil)
		}
	}
	switch {
	case !kafkaMode || len(k.BootstrapServers) > 0:
	case r.code:
		p.add(r.names.bootstrap, fmt.Sprintf("required in Kafka mode (host:port entries; or run without Kafka: %s: true for disabled mode, %s: true for mock mode)", p.name(envDisable), p.name(envMock)), nil)
	default:
		p.add(r.names.bootstrap, fmt.Sprintf("required in Kafka mode (a comma-separated host:port list; or run without Kafka: %s=false for disabled mode, with %s=true for mock mode)", p.name(envEnabled), p.name(envMock)), nil)
	}

	proto, protocolOK := r.securityProtocol(k.SecurityProtocol, p)
	k.SecurityProtocol = proto
	if k.SASLMechanism == "" {
		k.SASLMechanism = defaultSASLMechanism
	} else if v, ok := oneOf(string(k.SASLMechanism), saslMechanisms()); ok {
		k.SASLMechanism = v
	} else {
		p.add(envSASLMechanism, fmt.Sprintf("%q is not one of %s", k.SASLMechanism, join(saslMechanisms())), nil)
	}
	if !protocolOK || !kafkaMode {
		return k, nil // nothing else can be checked without knowing the protocol
	}

	if k.SecurityProtocol.UsesSASL() {
		if k.SASLUsername == "" {
			p.add(envSASLUsername, fmt.Sprintf("required with %s=%s", p.name(envSecurityProtocol), k.SecurityProtocol), nil)
		}
		if k.SASLPassword.empty() {
			p.add(envSASLPassword, fmt.Sprintf("required with %s=%s", p.name(envSecurityProtocol), k.SecurityProtocol), nil)
		}
	}
	return k, r.kafkaTLS(k, p)
}

// securityProtocol returns the protocol of KAFKA_SECURITY_PROTOCOL v:
// the default for "", the canonical spelling otherwise; false (and a
// problem in p) when v is not one.
func (r *resolver) securityProtocol(v SecurityProtocol, p *problems) (SecurityProtocol, bool) {
	if v == "" {
		return defaultSecurityProtocol, true
	}
	if c, ok := oneOf(string(v), securityProtocols()); ok {
		return c, true
	}
	p.add(envSecurityProtocol, fmt.Sprintf("%q is not one of %s", v, join(securityProtocols())), nil)
	return v, false
}

// resolveRegistry checks and completes the schema registry part. In Kafka
// mode it loads the pool of an https registry's CAPath (as Registry.CertPool
// does), so that a bad file is reported now, and returns it; nil (the
// system pool) otherwise.
func (r *resolver) resolveRegistry(g Registry, kafkaMode bool, p *problems) (Registry, *x509.CertPool) {
	g = g.WithDefaults()
	if g.URL != "" {
		u, user, pass, reason := parseRegistryURL(g.URL)
		if reason != "" {
			p.add(envRegistryURL, reason, nil)
		} else {
			g.URL = u
			if user != "" {
				if g.Username != "" && g.Username != user {
					p.add(envRegistryUsername, fmt.Sprintf("%q differs from the user name in %s (set only one)", g.Username, p.name(envRegistryURL)), nil)
				}
				g.Username = user
			}
			if !pass.empty() {
				if !g.Password.empty() && g.Password.Value() != pass.Value() {
					p.add(envRegistryPassword, fmt.Sprintf("differs from the password in %s (set only one)", p.name(envRegistryURL)), nil)
				}
				g.Password = pass
			}
		}
	} else if kafkaMode {
		p.add(envRegistryURL, "required in Kafka mode (http or https URL of the schema registry)", nil)
	}
	if kafkaMode {
		if !g.Password.empty() && g.Username == "" {
			p.add(envRegistryUsername, fmt.Sprintf("required when %s is set", p.name(envRegistryPassword)), nil)
		}
		if g.Username != "" && g.Password.empty() {
			p.add(envRegistryPassword, fmt.Sprintf("required when %s is set", p.name(envRegistryUsername)), nil)
		}
	}

	if g.Suffix != "" && !avroname.ValidDotted("x"+g.Suffix) {
		p.add(envRegistrySuffix, fmt.Sprintf("%q: appended to a subject, each dot-separated part must match %s (e.g. \"_staging\")", g.Suffix, avroname.Pattern), nil)
	}
	if v, ok := oneOf(string(g.Compatibility), compatibilities()); ok {
		g.Compatibility = v
	} else {
		p.add(envCompatibility, fmt.Sprintf("%q is not one of %s", g.Compatibility, join(compatibilities())), nil)
	}
	if g.Timeout < 0 {
		p.add(envRegistryTimeout, fmt.Sprintf("%s is negative", g.Timeout), nil)
	}

	if !kafkaMode {
		return g, nil
	}
	return g, r.registryCAs(g, p)
}

// resolveDelivery checks and completes the delivery knobs: defaults for
// zero values, the buffer limits capped at what the event manager's account
// holds (maxBufferedEvents, maxBufferedBytes: a larger value acts as that,
// as documented), and the durations no shorter than their minimums.
func (r *resolver) resolveDelivery(d Delivery, p *problems) Delivery {
	switch {
	case d.MaxBufferedEvents == 0:
		d.MaxBufferedEvents = defaultMaxBufferedEvents
	case d.MaxBufferedEvents < 0:
		p.add(envMaxBufferedEvents, fmt.Sprintf("%d is negative", d.MaxBufferedEvents), nil)
	case d.MaxBufferedEvents > maxBufferedEvents:
		d.MaxBufferedEvents = maxBufferedEvents
	}
	switch {
	case d.MaxBufferedBytes == 0:
		d.MaxBufferedBytes = defaultMaxBufferedBytes
	case d.MaxBufferedBytes < 0:
		p.add(envMaxBufferedBytes, fmt.Sprintf("%d is negative", d.MaxBufferedBytes), nil)
	case d.MaxBufferedBytes > maxBufferedBytes:
		d.MaxBufferedBytes = maxBufferedBytes
	}
	if d.BlockTimeout < 0 {
		p.add(envBlockTimeout, fmt.Sprintf("%s is negative (0 never blocks)", d.BlockTimeout), nil)
	}
	for _, v := range []struct {
		name     string
		d        *time.Duration
		def, min time.Duration
		why      string
	}{
		{envDeliveryTimeout, &d.DeliveryTimeout, defaultDeliveryTimeout, minDeliveryTimeout, "a shorter bound fails events before a broker can answer"},
		{envLogInterval, &d.LogInterval, defaultLogInterval, minLogInterval, "a shorter interval floods the log with failures"},
		{envBackoffMax, &d.BackoffMax, defaultBackoffMax, minBackoffMax, "a shorter backoff retries in a hot loop"},
	} {
		switch {
		case *v.d == 0:
			*v.d = v.def
		case *v.d < 0:
			p.add(v.name, fmt.Sprintf("%s is negative", *v.d), nil)
		case *v.d < v.min:
			p.add(v.name, fmt.Sprintf("%s is below the minimum %s (%s; the default is %s)", *v.d, v.min, v.why, v.def), nil)
		}
	}
	return d
}

// oneOf returns the element of allowed equal to s ignoring case.
func oneOf[T ~string](s string, allowed []T) (T, bool) {
	for _, a := range allowed {
		if strings.EqualFold(s, string(a)) {
			return a, true
		}
	}
	return "", false
}

// join lists allowed values for an error message.
func join[T ~string](allowed []T) string {
	s := make([]string, len(allowed))
	for i, a := range allowed {
		s[i] = string(a)
	}
	return strings.Join(s, ", ")
}
