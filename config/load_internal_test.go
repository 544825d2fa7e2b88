package config

import (
	"maps"
	"sync"
	"testing"

	"github.com/lsst-sqre/sasquatch-go/internal/testkit/pki"
)

// TestLoadReadsEachFileOnce counts the PEM files Load reads, through the
// resolver's readFile: each file a used setting names once, and none in
// mock and disabled modes, none of Kafka's with a Kafka client of the
// application's, none that the settings ignore.
func TestLoadReadsEachFileOnce(t *testing.T) {
	t.Parallel()
	p := pki.New(t)
	registryCA := p.Write(t, "registry-ca.crt", readTestFile(t, p.CA)) // not the Kafka CA's path: counted apart
	kafka := func(k Kafka, g Registry) Config {
		k.BootstrapServers = []string{"broker:9092"}
		k.SASLUsername, k.SASLPassword = "user", NewSecret("secret")
		return Config{AppName: "myapp", Kafka: k, Registry: g}
	}
	ssl := Kafka{SecurityProtocol: SSL, ClusterCAPath: p.CA, ClientCertPath: p.ClientCert, ClientKeyPath: p.ClientKey}
	saslSSL := Kafka{SecurityProtocol: SASLSSL, ClusterCAPath: p.CA}
	https := Registry{URL: "https://registry", CAPath: registryCA}
	http := Registry{URL: "http://registry", CAPath: registryCA}
	all := map[string]int{p.CA: 1, p.ClientCert: 1, p.ClientKey: 1, registryCA: 1}
	tests := []struct {
		name       string
		cfg        Config
		withClient bool
		want       map[string]int // reads per path
	}{
		{name: "SSL, https registry", cfg: kafka(ssl, https), want: all},
		{name: "SASL_SSL, https registry", cfg: kafka(saslSSL, https), want: map[string]int{p.CA: 1, registryCA: 1}},
		{name: "PLAINTEXT ignores the Kafka files", cfg: kafka(Kafka{ClusterCAPath: p.CA, ClientCertPath: p.ClientCert, ClientKeyPath: p.ClientKey}, https),
			want: map[string]int{registryCA: 1}},
		{name: "http registry ignores its CA", cfg: kafka(ssl, http), want: map[string]int{p.CA: 1, p.ClientCert: 1, p.ClientKey: 1}},
		{name: "with a Kafka client", cfg: kafka(ssl, https), withClient: true, want: map[string]int{registryCA: 1}},
		{name: "mock mode", cfg: func() Config { c := kafka(ssl, https); c.Mock = true; return c }(), want: map[string]int{}},
		{name: "disabled mode", cfg: func() Config { c := kafka(ssl, https); c.Disabled = true; return c }(), want: map[string]int{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var mu sync.Mutex
			reads := map[string]int{}
			count := func(path string, limit int64) ([]byte, error) {
				mu.Lock()
				reads[path]++
				mu.Unlock()
				return readLimited(path, limit)
			}
			l, err := tt.cfg.load(tt.withClient, count)
			if err != nil {
				t.Fatal(err)
			}
			if !maps.Equal(reads, tt.want) {
				t.Errorf("Load read %v, want %v", reads, tt.want)
			}
			// What was read was kept, not read to be thrown away.
			if kafkaRead, registryRead := tt.want[p.CA] > 0, tt.want[registryCA] > 0; (l.KafkaTLS != nil) != kafkaRead || (l.RegistryCAs != nil) != registryRead {
				t.Errorf("KafkaTLS %v, RegistryCAs %v; want them set when their files were read (%t, %t)", l.KafkaTLS, l.RegistryCAs, kafkaRead, registryRead)
			}
		})
	}
}

func readTestFile(t *testing.T, path string) []byte {
	t.Helper()
	data, err := readLimited(path, maxPEMFile)
	if err != nil {
		t.Fatal(err)
	}
	return data
}
