package schemaregistry

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lsst-sqre/sasquatch-go/config"
	"github.com/lsst-sqre/sasquatch-go/internal/testkit/pki"
	"github.com/lsst-sqre/sasquatch-go/schemaregistry/registrytest"
)

// TestWithRootCAs: the pool given with WithRootCAs verifies an https
// registry whose self-signed certificate nothing else trusts, and New then
// does not call Registry.CertPool: a CAPath that cannot be read, or that
// names another CA, changes nothing. A nil pool is the system pool.
func TestWithRootCAs(t *testing.T) {
	t.Parallel()
	s := newServer(t, registrytest.WithTLS())
	pool := x509.NewCertPool()
	pool.AddCert(s.Certificate())
	missing := filepath.Join(t.TempDir(), "missing.crt")
	otherCA := pki.New(t).CA // a valid CA file that did not sign the server's certificate

	// The control: without the option, New reads CAPath (CertPool's error),
	// and the system pool does not trust the server.
	if c, err := New(config.Registry{URL: s.URL(), CAPath: missing}); c != nil || !errors.As(err, new(*config.Error)) {
		t.Fatalf("New with a missing CA file and no WithRootCAs = %v, %v; want CertPool's *config.Error", c, err)
	}
	untrusted := func(c *Client) bool {
		var re *RequestError
		err := c.Check(t.Context())
		return errors.As(err, &re) && strings.Contains(err.Error(), "SCHEMA_MANAGER_CA_PATH")
	}
	if !untrusted(newClient(t, config.Registry{URL: s.URL(), CAPath: otherCA})) {
		t.Fatal("a client trusting another CA reached the server: the test proves nothing")
	}

	for name, cfg := range map[string]config.Registry{
		"no CAPath":         {URL: s.URL()},
		"missing CAPath":    {URL: s.URL(), CAPath: missing},
		"another CA's file": {URL: s.URL(), CAPath: otherCA},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c, err := New(cfg, WithRootCAs(pool))
			if err != nil {
				t.Fatalf("New with WithRootCAs: %v (CertPool was called?)", err)
			}
			if err := c.Check(t.Context()); err != nil {
				t.Fatalf("Check with the server's certificate in the pool: %v", err)
			}
			register(t, c, fullName, record(fieldA))

			system, err := New(cfg, WithRootCAs(nil))
			if err != nil {
				t.Fatalf("New with WithRootCAs(nil): %v (CertPool was called?)", err)
			}
			if !untrusted(system) {
				t.Error("WithRootCAs(nil): the server was trusted, want the system pool, which does not know it")
			}
		})
	}
}

// TestNewFromLoad: what config.Config.Load built is what the client uses,
// the CA file read once, by Load: New reads nothing, even once the file is
// gone.
func TestNewFromLoad(t *testing.T) {
	t.Parallel()
	s := newServer(t, registrytest.WithTLS())
	ca := filepath.Join(t.TempDir(), "registry-ca.crt")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	l, err := config.Config{AppName: "myapp",
		Kafka:    config.Kafka{BootstrapServers: []string{"127.0.0.1:9092"}},
		Registry: config.Registry{URL: s.URL() + "/", CAPath: ca},
	}.Load()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(ca); err != nil {
		t.Fatal(err)
	}
	c, err := New(l.Config.Registry, WithRootCAs(l.RegistryCAs))
	if err != nil {
		t.Fatalf("New(Loaded's registry, WithRootCAs(Loaded.RegistryCAs)) with the CA file gone: %v", err)
	}
	if err := c.Check(t.Context()); err != nil {
		t.Fatalf("Check: %v", err)
	}
	if c.cfg.Timeout != config.DefaultRegistryTimeout || c.cfg.Compatibility != config.DefaultCompatibility {
		t.Errorf("client %s, %s; want Load's defaults", c.cfg.Timeout, c.cfg.Compatibility)
	}
}
