package config

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestRawEnvCoversEveryVariable keeps rawEnv, envOrder and the error order
// in step.
func TestRawEnvCoversEveryVariable(t *testing.T) {
	t.Parallel()
	var tags []string
	rt := reflect.TypeFor[rawEnv]()
	for i := range rt.NumField() {
		tags = append(tags, rt.Field(i).Tag.Get("envconfig"))
	}
	if !slices.Equal(tags, envOrder()) {
		t.Errorf("rawEnv variables\n%q\ndiffer from envOrder()\n%q", tags, envOrder())
	}
}

func TestRedactURL(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"https://reg", "https://reg"},
		{"https://u:p@reg/x", "https://[redacted]@reg/x"},
		{"https://u@reg", "https://[redacted]@reg"},
		{"https://u:p/q@r@reg:1/x?y#z", "https://[redacted]@reg:1/x?y#z"},
		{"u:p@reg", "[redacted]@reg"},
		{"https://u:a://b@reg", "https://[redacted]@reg"},
		{"", ""},
		{"@", "[redacted]@"},
	}
	for _, tt := range tests {
		if got := redactURL(tt.in); got != tt.want {
			t.Errorf("redactURL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestParseHelpers(t *testing.T) {
	t.Parallel()
	var p problems
	durations := map[string]time.Duration{"": 0, "0": 0, "1.5": 1500 * time.Millisecond, "2m": 2 * time.Minute, "-3": -3 * time.Second}
	for in, want := range durations {
		if got := parseDuration("D", in, &p); got != want {
			t.Errorf("parseDuration(%q) = %v, want %v", in, got, want)
		}
	}
	// Safir's human durations (safir.datetime.parse_timedelta), after Go's
	// form and plain seconds.
	human := map[string]time.Duration{
		"1 second": time.Second, "4h 3minutes": 4*time.Hour + 3*time.Minute, "5w4d": (5*7 + 4) * 24 * time.Hour,
		" 8d ": 8 * 24 * time.Hour, "2 hr 1 min 5 secs": 2*time.Hour + time.Minute + 5*time.Second, "1m 30s": 90 * time.Second,
		"3 weeks": 21 * 24 * time.Hour, "1day1hour1minute1second": 24*time.Hour + time.Hour + time.Minute + time.Second,
	}
	for in, want := range human {
		if got := parseDuration("D", in, &p); got != want {
			t.Errorf("parseDuration(%q) = %v, want %v", in, got, want)
		}
	}
	for _, in := range []string{"3s 2m", "1w 1w", "1 fortnight", "h", "1.5h 2m", "-1 day", "1d 2", "99999999999w", "1 H"} {
		var bad problems
		if d := parseDuration("D", in, &bad); d != 0 || !bad.any() {
			t.Errorf("parseDuration(%q) = %v with no problem, want a problem", in, d)
		}
	}
	bytes := map[string]int64{"": 0, "10": 10, "1KiB": 1024, "3 MiB": 3 << 20, "2gib": 2 << 30}
	for in, want := range bytes {
		if got := parseBytes("B", in, &p); got != want {
			t.Errorf("parseBytes(%q) = %v, want %v", in, got, want)
		}
	}
	bools := map[string]bool{"1": true, "TRUE": true, "Yes": true, "on": true, "y": true, "0": false, "False": false, "NO": false, "off": false, "n": false}
	for in, want := range bools {
		if got, set, ok := parseBool("X", in, &p); got != want || !set || !ok {
			t.Errorf("parseBool(%q) = %t %t %t, want %t true true", in, got, set, ok, want)
		}
	}
	if p.err() != nil {
		t.Errorf("unexpected problems: %v", p.err())
	}
}

// FuzzFromRaw feeds arbitrary strings to every parser and check: FromEnv
// must never panic, and a distinctive secret must never show in the error,
// in String or in JSON, wherever it is put (password variables, URL
// user-info).
func FuzzFromRaw(f *testing.F) {
	f.Add("myapp", "true", "broker:9092", "SASL_SSL", "https://reg", "hunter2", "10s", "64MiB", "lsst.x")
	f.Add("", "maybe", "a:b:c,,[::1]:0", "foo", "http://u:%zz@reg:80x/?#", "p@ss/w:rd", "-1", "1e400", "..")
	f.Add("a-b", "0", " , ", "ssl", "user:pw@host", "", "NaN", "99999999999GiB", "a.1")
	f.Fuzz(func(t *testing.T, app, boolean, servers, protocol, url, secret, duration, size, prefix string) {
		const mark = "Qz7" // bookends that make the secret distinctive
		secret = mark + secret + mark
		raw := rawEnv{
			AppName: app, Enabled: boolean, Mock: boolean, EventsTopicPrefix: prefix, RaiseOnError: boolean,
			BootstrapServers: servers, SecurityProtocol: protocol, SASLMechanism: protocol,
			SASLUsername: "u", SASLPassword: secret,
			RegistryURL: url, RegistryPassword: secret, Compatibility: protocol,
			RegistryTimeout: duration, BlockTimeout: duration, DeliveryTimeout: duration,
			MaxBufferedEvents: size, MaxBufferedBytes: size,
			ClusterCAPath: "/nonexistent/ca.pem",
		}
		secretURL := "https://user:" + secret + "@" + strings.ReplaceAll(url, "@", "")
		for _, r := range []rawEnv{raw, withURL(raw, secretURL)} {
			c, err := fromRaw(r, nil, time.Unix(1700000000, 0))
			out := []string{}
			if err != nil {
				out = append(out, err.Error(), fmt.Sprintf("%+v", err))
			} else {
				b, jerr := json.Marshal(c)
				if jerr != nil {
					t.Fatalf("json.Marshal: %v", jerr)
				}
				out = append(out, c.String(), fmt.Sprintf("%#v", c), string(b))
			}
			for _, o := range out {
				if strings.Contains(o, secret) && !strings.Contains(app+servers+protocol+url+duration+size+prefix, secret) {
					t.Fatalf("secret %q shown in %s", secret, o)
				}
			}
		}
	})
}

func withURL(r rawEnv, url string) rawEnv {
	r.RegistryURL, r.RegistryPassword = url, ""
	return r
}

// TestSafirSettingsVariables keeps safirSettings in step with rawEnv: each
// setting stands for variables FromEnv reads, no variable twice, a group
// for none; and no two settings of a mapping share a key in any case (keys
// match in any case, as in Safir).
func TestSafirSettingsVariables(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	var walk func(path string, settings []safirSetting)
	walk = func(path string, settings []safirSetting) {
		keys := map[string]string{}
		for _, s := range settings {
			for _, k := range s.keys {
				if other, dup := keys[strings.ToLower(k)]; dup {
					t.Errorf("%s: key %q of %s is also %s's", path, k, s.keys[0], other)
				}
				keys[strings.ToLower(k)] = s.keys[0]
			}
			if (s.kind == kindGroup) != (len(s.vars) == 0) || (s.kind == kindGroup) != (len(s.sub) > 0) {
				t.Errorf("%s.%s: kind %d with %d variables and %d settings", path, s.keys[0], s.kind, len(s.vars), len(s.sub))
			}
			for _, v := range s.vars {
				if !slices.Contains(envOrder(), v) || seen[v] {
					t.Errorf("%s.%s: variable %s unknown or repeated", path, s.keys[0], v)
				}
				seen[v] = true
				var raw rawEnv
				*raw.field(v) = "x"
				if raw == (rawEnv{}) {
					t.Errorf("%s.%s: rawEnv has no field for %s", path, s.keys[0], v)
				}
			}
			walk(path+"."+s.keys[0], s.sub)
		}
	}
	walk("metrics", safirSettings())
}
