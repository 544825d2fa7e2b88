package config

import (
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/kelseyhightower/envconfig"
)

// rawEnv is every configuration variable as the string in the environment.
// envconfig only reads them; FromEnv parses and checks them itself so that
// it can report every bad variable at once.
type rawEnv struct {
	AppName           string `envconfig:"METRICS_APP_NAME"`
	Application       string `envconfig:"METRICS_APPLICATION"`
	Enabled           string `envconfig:"METRICS_ENABLED"`
	Disable           string `envconfig:"METRICS_DISABLE"`
	Mock              string `envconfig:"METRICS_MOCK"`
	EventsTopicPrefix string `envconfig:"METRICS_EVENTS_TOPIC_PREFIX"`
	TopicPrefix       string `envconfig:"METRICS_TOPIC_PREFIX"`
	RaiseOnError      string `envconfig:"METRICS_RAISE_ON_ERROR"`

	BootstrapServers string `envconfig:"KAFKA_BOOTSTRAP_SERVERS"`
	BoostrapServers  string `envconfig:"KAFKA_BOOSTRAP_SERVERS"`
	SecurityProtocol string `envconfig:"KAFKA_SECURITY_PROTOCOL"`
	ClusterCAPath    string `envconfig:"KAFKA_CLUSTER_CA_PATH"`
	ClientCertPath   string `envconfig:"KAFKA_CLIENT_CERT_PATH"`
	ClientKeyPath    string `envconfig:"KAFKA_CLIENT_KEY_PATH"`
	SASLMechanism    string `envconfig:"KAFKA_SASL_MECHANISM"`
	SASLUsername     string `envconfig:"KAFKA_SASL_USERNAME"`
	SASLPassword     string `envconfig:"KAFKA_SASL_PASSWORD"`

	RegistryURL      string `envconfig:"SCHEMA_MANAGER_REGISTRY_URL"`
	RegistryUsername string `envconfig:"SCHEMA_MANAGER_USERNAME"`
	RegistryPassword string `envconfig:"SCHEMA_MANAGER_PASSWORD"`
	RegistrySuffix   string `envconfig:"SCHEMA_MANAGER_SUFFIX"`
	Compatibility    string `envconfig:"SCHEMA_MANAGER_COMPATIBILITY"`
	RegistryCAPath   string `envconfig:"SCHEMA_MANAGER_CA_PATH"`
	RegistryTimeout  string `envconfig:"SCHEMA_MANAGER_TIMEOUT"`

	MaxBufferedEvents string `envconfig:"METRICS_MAX_BUFFERED_EVENTS"`
	MaxBufferedBytes  string `envconfig:"METRICS_MAX_BUFFERED_BYTES"`
	BlockTimeout      string `envconfig:"METRICS_BLOCK_TIMEOUT"`
	DeliveryTimeout   string `envconfig:"METRICS_DELIVERY_TIMEOUT"`
	LogInterval       string `envconfig:"METRICS_LOG_INTERVAL"`
	BackoffMax        string `envconfig:"METRICS_BACKOFF_MAX"`
}

// FromEnv reads the configuration from the environment variables listed in
// the package documentation and resolves it (see Config.Resolve): defaults
// filled, every value checked, and in Kafka mode the PEM files read and
// checked (Kafka.TLSConfig and Registry.CertPool build the objects from
// them). Package config is the only reader of the environment in the SDK.
//
// Empty variables count as unset. Values are trimmed of surrounding white
// space, except passwords. Booleans accept true/false, 1/0, t/f, yes/no,
// y/n, on/off in any case; durations are Go durations ("10s", "1m30s"),
// plain numbers of seconds ("10", "0.5") or Safir's human durations
// ("4h 3minutes", "8d"). Aliases: METRICS_APPLICATION for
// METRICS_APP_NAME, METRICS_DISABLE for the negation of METRICS_ENABLED,
// METRICS_TOPIC_PREFIX for METRICS_EVENTS_TOPIC_PREFIX, and the misspelt
// KAFKA_BOOSTRAP_SERVERS (with a warning from EnvWarnings); an alias and
// its variable both set to different values is an error.
//
// Any other non-empty variable whose name starts with METRICS_, KAFKA_ or
// SCHEMA_MANAGER_ is ignored, and EnvWarnings reports it with the closest
// known name when one is near (METRICS_MOK: did you mean METRICS_MOCK?).
// When the configuration is bad anyway, the near misses are listed in the
// error too, as they may be its cause. Notes about settings that are set
// but ignored come from Config.Warnings.
//
// On a bad configuration FromEnv returns an *Error
// naming every bad variable and why; values of secret variables never
// appear in it.
func FromEnv() (Config, error) {
	var raw rawEnv
	if err := envconfig.Process("", &raw); err != nil {
		return Config{}, fmt.Errorf("config: reading the environment: %w", err)
	}
	return fromRaw(raw, os.Environ(), time.Now())
}

// fromRaw parses and resolves raw as of now; environ is the whole
// environment ("NAME=value" entries), searched for misspelt variables.
func fromRaw(raw rawEnv, environ []string, now time.Time) (Config, error) {
	var p problems
	c, sw := parse(raw, &p, now, false)
	if err := finish(&p, sw.mockNote(&p, false), environ); err != nil {
		return Config{}, err
	}
	c.env = &envOrigin{notes: envWarnings(raw, environ)}
	return c, nil
}

// parse reads the settings of raw into a Config and resolves it as of now,
// recording every problem in p. modeUnknown says that a mode setting is
// already known to be bad (SafirMetrics: a YAML value of the wrong type):
// nothing mode-dependent is required then.
func parse(raw rawEnv, p *problems, now time.Time, modeUnknown bool) (Config, switches) {
	var c Config
	r := resolver{names: canonicalNames(), now: now}
	s := trim

	c.AppName, r.names.appName = alias(envAppName, s(raw.AppName), envApplication, s(raw.Application), p)
	c.TopicPrefix, r.names.topicPrefix = alias(envEventsTopicPrefix, s(raw.EventsTopicPrefix), envTopicPrefix, s(raw.TopicPrefix), p)

	sw := readSwitches(raw, p)
	sw.unknown = sw.unknown || modeUnknown
	c.Disabled, c.Mock, r.modeUnknown = sw.disabled, sw.mock, sw.unknown
	c.RaiseOnError, _, _ = parseBool(envRaiseOnError, s(raw.RaiseOnError), p)

	b := bootstrapServers(raw)
	c.Kafka.BootstrapServers, r.names.bootstrap = b.servers, b.from
	if b.conflict != "" {
		p.add(envBoostrap, b.conflict, nil)
	}
	c.Kafka.SecurityProtocol = SecurityProtocol(s(raw.SecurityProtocol))
	c.Kafka.ClusterCAPath = s(raw.ClusterCAPath)
	c.Kafka.ClientCertPath = s(raw.ClientCertPath)
	c.Kafka.ClientKeyPath = s(raw.ClientKeyPath)
	c.Kafka.SASLMechanism = SASLMechanism(s(raw.SASLMechanism))
	c.Kafka.SASLUsername = s(raw.SASLUsername)
	c.Kafka.SASLPassword = NewSecret(raw.SASLPassword)

	c.Registry.URL = s(raw.RegistryURL)
	c.Registry.Username = s(raw.RegistryUsername)
	c.Registry.Password = NewSecret(raw.RegistryPassword)
	c.Registry.Suffix = s(raw.RegistrySuffix)
	c.Registry.Compatibility = Compatibility(s(raw.Compatibility))
	c.Registry.CAPath = s(raw.RegistryCAPath)
	c.Registry.Timeout = parseDuration(envRegistryTimeout, s(raw.RegistryTimeout), p)

	c.Delivery.MaxBufferedEvents = parseInt(envMaxBufferedEvents, s(raw.MaxBufferedEvents), p)
	c.Delivery.MaxBufferedBytes = parseBytes(envMaxBufferedBytes, s(raw.MaxBufferedBytes), p)
	c.Delivery.BlockTimeout = parseDuration(envBlockTimeout, s(raw.BlockTimeout), p)
	c.Delivery.DeliveryTimeout = parseDuration(envDeliveryTimeout, s(raw.DeliveryTimeout), p)
	c.Delivery.LogInterval = parseDuration(envLogInterval, s(raw.LogInterval), p)
	c.Delivery.BackoffMax = parseDuration(envBackoffMax, s(raw.BackoffMax), p)

	return r.resolve(c, p), sw
}

// finish returns the error of p, or nil when p holds no problem. The error
// then also carries mockNote (the note about METRICS_MOCK=true ignored, or
// ""): Kafka mode failing is likely why; and the variables of environ that
// look like misspellings of the SDK's (METRICS_MOK=true: Kafka mode, and no
// broker), as they may be its cause.
func finish(p *problems, mockNote string, environ []string) error {
	if !p.any() {
		return nil
	}
	if mockNote != "" {
		p.add(envMock, mockNote, nil)
	}
	for _, u := range unknownVars(environ) {
		if u.suggestion != "" {
			p.add(u.name, fmt.Sprintf("not a variable of the metrics SDK, ignored: did you mean %s?", u.suggestion), nil)
		}
	}
	return p.err()
}

// switches are the mode variables of the environment, read with Safir's
// rules (safirSwitches).
type switches struct {
	disabled, mock bool
	// unknown is set when METRICS_ENABLED, METRICS_DISABLE or METRICS_MOCK
	// did not parse, or contradict each other.
	unknown bool
	// mockIgnored is set when METRICS_MOCK=true is ignored because
	// METRICS_ENABLED is not false (Safir's rule: Kafka mode).
	mockIgnored bool
	// enabledVar and enabledRaw are the variable that said whether metrics
	// are enabled (METRICS_ENABLED, or METRICS_DISABLE negated) and its
	// value, "" when neither is set.
	enabledVar, enabledRaw string
}

// readSwitches reads METRICS_ENABLED, its negated alias METRICS_DISABLE
// and METRICS_MOCK of raw, recording their problems in p.
func readSwitches(raw rawEnv, p *problems) switches {
	var sw switches
	sw.enabledVar, sw.enabledRaw = envEnabled, trim(raw.Enabled)
	enabled, enabledSet, enabledOK := parseBool(envEnabled, sw.enabledRaw, p)
	disable, disableSet, disableOK := parseBool(envDisable, trim(raw.Disable), p)
	switch {
	case enabledSet && disableSet && enabled == disable:
		p.add(envDisable, fmt.Sprintf("%q contradicts %s %q (set only one)", trim(raw.Disable), p.name(envEnabled), sw.enabledRaw), nil)
		sw.unknown = true
	case !enabledSet && disableSet:
		enabled, enabledSet = !disable, true
		sw.enabledVar, sw.enabledRaw = envDisable, trim(raw.Disable)
	}
	mock, _, mockOK := parseBool(envMock, trim(raw.Mock), p)
	if !enabledOK || !disableOK || !mockOK {
		sw.unknown = true
	}
	var ignored bool
	sw.disabled, sw.mock, ignored = safirSwitches(enabled, enabledSet, mock)
	sw.mockIgnored = ignored && !sw.unknown
	return sw
}

// mockNote returns the note about METRICS_MOCK=true ignored, naming the
// settings as p does, or "" when it is not ignored. refused makes it the
// error of a YAML file, where Safir refuses the setting.
func (sw switches) mockNote(p *problems, refused bool) string {
	if !sw.mockIgnored {
		return ""
	}
	if sw.enabledVar == envDisable {
		return mockIgnoredNote(p.name(envEnabled), "", p.name(envMock), refused) + fmt.Sprintf(" (%s=%s)", envDisable, sw.enabledRaw)
	}
	return mockIgnoredNote(p.name(envEnabled), sw.enabledRaw, p.name(envMock), refused)
}

// trim trims the surrounding white space of a value.
func trim(v string) string { return strings.TrimSpace(v) }

// alias returns the value of variable name or else of its alias, and the
// variable it came from. Both set and different is a problem.
func alias(name, value, aliasName, aliasValue string, p *problems) (string, string) {
	switch {
	case value != "" && aliasValue != "" && value != aliasValue:
		p.add(aliasName, fmt.Sprintf("%q differs from %s %q (set only one)", aliasValue, p.name(name), value), nil)
		return value, name
	case value == "" && aliasValue != "":
		return aliasValue, aliasName
	}
	return value, name
}

// splitList splits a comma-separated list and trims its entries; nil when
// s is blank. Empty entries are kept for Resolve to report.
func splitList(s string) []string {
	if strings.TrimSpace(s) == "" {
		return nil
	}
	parts := strings.Split(s, ",")
	for i := range parts {
		parts[i] = strings.TrimSpace(parts[i])
	}
	return parts
}

// parseBool parses the boolean variable name; set is false for "".
func parseBool(name, v string, p *problems) (value, set, ok bool) {
	if v == "" {
		return false, false, true
	}
	switch strings.ToLower(v) {
	case "1", "t", "true", "y", "yes", "on":
		return true, true, true
	case "0", "f", "false", "n", "no", "off":
		return false, true, true
	}
	p.add(name, fmt.Sprintf("%q is not a boolean (true or false)", v), nil)
	return false, false, false
}

// parseDuration parses a Go duration, a plain number of seconds or
// Safir's human form (parseHumanDuration); 0 for "".
func parseDuration(name, v string, p *problems) time.Duration {
	if v == "" {
		return 0
	}
	if d, err := time.ParseDuration(v); err == nil {
		return d
	}
	if f, err := strconv.ParseFloat(v, 64); err == nil && !math.IsNaN(f) && !math.IsInf(f, 0) &&
		math.Abs(f) < float64(math.MaxInt64)/float64(time.Second) {
		return time.Duration(f * float64(time.Second))
	}
	if d, ok := parseHumanDuration(v); ok {
		return d
	}
	p.add(name, fmt.Sprintf("%q is not a duration (e.g. \"10s\", \"1m30s\", \"4h 3minutes\", or a number of seconds)", v), nil)
	return 0
}

// parseHumanDuration parses the durations of Safir's HumanTimedelta
// (safir.datetime.parse_timedelta): integers each followed by a unit, the
// units in the order weeks, days, hours, minutes, seconds, each at most
// once, white space allowed around them: "8d", "4h 3minutes", "5w4d",
// "1 hour". The units are w, week(s); d, day(s); h, hr, hour(s); m, min(s),
// minute(s); s, sec(s), second(s).
func parseHumanDuration(v string) (time.Duration, bool) {
	units := []struct {
		names []string // longest first
		size  time.Duration
	}{
		{[]string{"weeks", "week", "w"}, 7 * 24 * time.Hour},
		{[]string{"days", "day", "d"}, 24 * time.Hour},
		{[]string{"hours", "hour", "hr", "h"}, time.Hour},
		{[]string{"minutes", "minute", "mins", "min", "m"}, time.Minute},
		{[]string{"seconds", "second", "secs", "sec", "s"}, time.Second},
	}
	s := strings.TrimSpace(v)
	if s == "" {
		return 0, false
	}
	var total time.Duration
	next := 0 // the first unit still allowed
	for s != "" {
		digits := len(s) - len(strings.TrimLeft(s, "0123456789"))
		n, err := strconv.ParseInt(s[:digits], 10, 64)
		if digits == 0 || err != nil {
			return 0, false
		}
		s = strings.TrimSpace(s[digits:])
		found := false
		for u := next; u < len(units) && !found; u++ {
			for _, name := range units[u].names {
				if !strings.HasPrefix(s, name) {
					continue
				}
				if n > (math.MaxInt64-int64(total))/int64(units[u].size) {
					return 0, false
				}
				total += time.Duration(n) * units[u].size
				s, next, found = strings.TrimSpace(s[len(name):]), u+1, true
				break
			}
		}
		if !found {
			return 0, false
		}
	}
	return total, true
}

// parseInt parses a decimal integer; 0 for "".
func parseInt(name, v string, p *problems) int {
	if v == "" {
		return 0
	}
	n, err := strconv.ParseInt(v, 10, strconv.IntSize)
	if err != nil {
		p.add(name, fmt.Sprintf("%q is not an integer", v), err)
		return 0
	}
	return int(n)
}

// parseBytes parses a number of bytes: a decimal integer, optionally with a
// KiB, MiB or GiB suffix (any case); 0 for "".
func parseBytes(name, v string, p *problems) int64 {
	if v == "" {
		return 0
	}
	digits, unit := v, int64(1)
	for _, u := range []struct {
		suffix string
		unit   int64
	}{{"kib", 1 << 10}, {"mib", 1 << 20}, {"gib", 1 << 30}} {
		if strings.HasSuffix(strings.ToLower(v), u.suffix) {
			digits, unit = strings.TrimSpace(v[:len(v)-len(u.suffix)]), u.unit
			break
		}
	}
	n, err := strconv.ParseInt(digits, 10, 64)
	if err != nil || n > math.MaxInt64/unit || n < math.MinInt64/unit {
		p.add(name, fmt.Sprintf("%q is not a number of bytes (an integer, optionally with a KiB, MiB or GiB suffix)", v), err)
		return 0
	}
	return n * unit
}
