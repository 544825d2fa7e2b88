package config_test

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"io"
	"io/fs"
	"os"
	"strings"
	"testing"

	"github.com/lsst-sqre/sasquatch-go/config"
	"github.com/lsst-sqre/sasquatch-go/internal/testkit/pki"
)

// TestFromEnvTLS loads every combination of PEM files that matters.
func TestFromEnvTLS(t *testing.T) {
	p := pki.New(t)
	bundle := p.Write(t, "bundle.crt", append(mustRead(t, p.CA), mustRead(t, p.OtherCA)...))
	corrupt := p.Write(t, "corrupt.crt", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte("not DER")}))
	// Passphrase-protected keys, as openssl writes them: legacy PEM
	// encryption (Proc-Type: 4,ENCRYPTED) and PKCS#8 ENCRYPTED PRIVATE KEY.
	// Their bodies are opaque without the passphrase: any bytes do.
	encryptedPKCS1 := p.Write(t, "encrypted-pkcs1.key", pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY",
		Headers: map[string]string{"Proc-Type": "4,ENCRYPTED", "DEK-Info": "AES-256-CBC,00112233445566778899AABBCCDDEEFF"},
		Bytes:   []byte(strings.Repeat("opaque ciphertext ", 20))}))
	encryptedPKCS8 := p.Write(t, "encrypted-pkcs8.key", pem.EncodeToMemory(&pem.Block{Type: "ENCRYPTED PRIVATE KEY", Bytes: []byte(strings.Repeat("opaque ciphertext ", 20))}))
	// Files over 1 MiB: valid PEM followed by padding, which the PEM parser
	// would skip.
	padding := []byte(strings.Repeat("# padding line of a file far larger than any certificate bundle\n", 1<<20/64+1))
	hugeCA := p.Write(t, "huge-ca.crt", append(mustRead(t, p.CA), padding...))
	hugeKey := p.Write(t, "huge.key", append(mustRead(t, p.ClientKey), padding...))

	type tlsWant struct {
		roots    bool   // RootCAs set
		clientCN string // "" for no client certificate
	}
	ssl := func(ca, cert, key string) map[string]string {
		return kafkaEnv(map[string]string{"KAFKA_SECURITY_PROTOCOL": "SSL", "KAFKA_CLUSTER_CA_PATH": ca, "KAFKA_CLIENT_CERT_PATH": cert, "KAFKA_CLIENT_KEY_PATH": key})
	}
	saslSSL := func(ca, cert, key string) map[string]string {
		return kafkaEnv(map[string]string{
			"KAFKA_SECURITY_PROTOCOL": "SASL_SSL", "KAFKA_SASL_USERNAME": "u", "KAFKA_SASL_PASSWORD": "p",
			"KAFKA_CLUSTER_CA_PATH": ca, "KAFKA_CLIENT_CERT_PATH": cert, "KAFKA_CLIENT_KEY_PATH": key,
		})
	}
	tests := []struct {
		name     string
		env      map[string]string
		want     tlsWant
		wantErr  []wantProblem
		notExist bool // errors.Is(err, fs.ErrNotExist)
	}{
		{name: "SSL with CA, PKCS#8 key", env: ssl(p.CA, p.ClientCert, p.ClientKey), want: tlsWant{roots: true, clientCN: "client"}},
		{name: "SSL without AuthorityKeyId (Strimzi), SEC 1 key", env: ssl(p.CA, p.NoAKICert, p.NoAKIKey), want: tlsWant{roots: true, clientCN: "strimzi-user"}},
		{name: "SSL with RSA PKCS#1 key, system roots", env: ssl("", p.RSACert, p.RSAKey), want: tlsWant{clientCN: "rsa-user"}},
		{name: "SSL with a CA bundle", env: ssl(bundle, p.ClientCert, p.ClientKey), want: tlsWant{roots: true, clientCN: "client"}},
		{name: "SASL_SSL with system roots", env: saslSSL("", "", ""), want: tlsWant{}},
		{name: "SASL_SSL with CA", env: saslSSL(p.CA, "", ""), want: tlsWant{roots: true}},
		{name: "SASL_SSL with client certificate", env: saslSSL(p.CA, p.ClientCert, p.ClientKey), want: tlsWant{roots: true, clientCN: "client"}},
		{name: "SSL needs cert and key", env: ssl(p.CA, "", ""),
			wantErr: []wantProblem{
				{"KAFKA_CLIENT_CERT_PATH", "required with KAFKA_SECURITY_PROTOCOL=SSL (mutual TLS"},
				{"KAFKA_CLIENT_KEY_PATH", "required with KAFKA_SECURITY_PROTOCOL=SSL (mutual TLS"},
			}},
		{name: "cert without key", env: ssl(p.CA, p.ClientCert, ""),
			wantErr: []wantProblem{{"KAFKA_CLIENT_KEY_PATH", "required when KAFKA_CLIENT_CERT_PATH is set"}}},
		{name: "key without cert", env: ssl(p.CA, "", p.ClientKey),
			wantErr: []wantProblem{{"KAFKA_CLIENT_CERT_PATH", "required when KAFKA_CLIENT_KEY_PATH is set"}}},
		{name: "SASL_SSL cert without key", env: saslSSL("", p.ClientCert, ""),
			wantErr: []wantProblem{{"KAFKA_CLIENT_KEY_PATH", "required when KAFKA_CLIENT_CERT_PATH is set"}}},
		{name: "pairing error still checks the CA", env: ssl(p.Garbage, p.ClientCert, ""),
			wantErr: []wantProblem{
				{"KAFKA_CLUSTER_CA_PATH", `"` + p.Garbage + `" holds no PEM certificate`},
				{"KAFKA_CLIENT_KEY_PATH", "required when KAFKA_CLIENT_CERT_PATH is set"},
			}},
		{name: "expired client certificate", env: ssl(p.CA, p.ExpiredCert, p.ExpiredKey),
			wantErr: []wantProblem{{"KAFKA_CLIENT_CERT_PATH", `"` + p.ExpiredCert + `": certificate 1 (CN=expired-user) expired at `}}},
		{name: "client certificate not valid yet", env: ssl(p.CA, p.FutureCert, p.FutureKey),
			wantErr: []wantProblem{{"KAFKA_CLIENT_CERT_PATH", `"` + p.FutureCert + `": certificate 1 (CN=future-user) is not valid before `}}},
		{name: "expired CA", env: ssl(p.ExpiredCert, p.ClientCert, p.ClientKey),
			wantErr: []wantProblem{{"KAFKA_CLUSTER_CA_PATH", "expired at"}}},
		{name: "key does not match the certificate", env: ssl(p.CA, p.ClientCert, p.OtherKey),
			wantErr: []wantProblem{{"KAFKA_CLIENT_KEY_PATH", `"` + p.OtherKey + `" is not the private key of KAFKA_CLIENT_CERT_PATH "` + p.ClientCert + `": tls: private key does not match public key`}}},
		{name: "RSA key for an EC certificate", env: ssl(p.CA, p.ClientCert, p.RSAKey),
			wantErr: []wantProblem{{"KAFKA_CLIENT_KEY_PATH", "private key type does not match public key type"}}},
		{name: "garbage CA", env: ssl(p.Garbage, p.ClientCert, p.ClientKey),
			wantErr: []wantProblem{{"KAFKA_CLUSTER_CA_PATH", "holds no PEM certificate"}}},
		{name: "garbage certificate", env: ssl(p.CA, p.Garbage, p.ClientKey),
			wantErr: []wantProblem{{"KAFKA_CLIENT_CERT_PATH", "holds no PEM certificate"}}},
		{name: "garbage key", env: ssl(p.CA, p.ClientCert, p.Garbage),
			wantErr: []wantProblem{{"KAFKA_CLIENT_KEY_PATH", "failed to find any PEM data in key input"}}},
		{name: "key file given as certificate", env: ssl(p.CA, p.KeyOnly, p.ClientKey),
			wantErr: []wantProblem{{"KAFKA_CLIENT_CERT_PATH", "holds no PEM certificate"}}},
		{name: "certificate given as key", env: ssl(p.CA, p.ClientCert, p.ClientCert),
			wantErr: []wantProblem{{"KAFKA_CLIENT_KEY_PATH", "found a certificate rather than a key"}}},
		{name: "corrupt certificate", env: ssl(corrupt, p.ClientCert, p.ClientKey),
			wantErr: []wantProblem{{"KAFKA_CLUSTER_CA_PATH", `"` + corrupt + `": certificate 1 does not parse: x509: `}}},
		{name: "encrypted key (Proc-Type)", env: ssl(p.CA, p.RSACert, encryptedPKCS1),
			wantErr: []wantProblem{{"KAFKA_CLIENT_KEY_PATH", `"` + encryptedPKCS1 + `" is an encrypted (passphrase-protected) private key, which the SDK cannot read: decrypt it`}}},
		{name: "encrypted key (PKCS#8)", env: ssl(p.CA, p.ClientCert, encryptedPKCS8),
			wantErr: []wantProblem{{"KAFKA_CLIENT_KEY_PATH", `"` + encryptedPKCS8 + `" is an encrypted (passphrase-protected) private key`}}},
		{name: "CA file over 1 MiB", env: ssl(hugeCA, p.ClientCert, p.ClientKey),
			wantErr: []wantProblem{{"KAFKA_CLUSTER_CA_PATH", `"` + hugeCA + `" is larger than 1 MiB`}}},
		{name: "key file over 1 MiB", env: ssl(p.CA, p.ClientCert, hugeKey),
			wantErr: []wantProblem{{"KAFKA_CLIENT_KEY_PATH", `"` + hugeKey + `" is larger than 1 MiB`}}},
		{name: "missing CA", env: ssl(p.Missing, p.ClientCert, p.ClientKey), notExist: true,
			wantErr: []wantProblem{{"KAFKA_CLUSTER_CA_PATH", `cannot read "` + p.Missing + `": no such file or directory`}}},
		{name: "missing cert and key", env: ssl(p.CA, p.Missing, p.Missing), notExist: true,
			wantErr: []wantProblem{
				{"KAFKA_CLIENT_CERT_PATH", `cannot read "` + p.Missing + `"`},
				{"KAFKA_CLIENT_KEY_PATH", `cannot read "` + p.Missing + `"`},
			}},
		{name: "directory as CA", env: ssl(p.Dir, p.ClientCert, p.ClientKey),
			wantErr: []wantProblem{{"KAFKA_CLUSTER_CA_PATH", `cannot read "` + p.Dir + `"`}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.wantErr != nil {
				ce := fromEnvError(t, tt.env)
				checkProblems(t, ce, tt.wantErr...)
				assertNoKeyMaterial(t, p, ce.Error())
				if tt.notExist && !errors.Is(ce, fs.ErrNotExist) {
					t.Errorf("errors.Is(err, fs.ErrNotExist) = false for %v", ce)
				}
				// The builder reports what the loading reports.
				k := config.Kafka{
					SecurityProtocol: config.SecurityProtocol(tt.env["KAFKA_SECURITY_PROTOCOL"]), ClusterCAPath: tt.env["KAFKA_CLUSTER_CA_PATH"],
					ClientCertPath: tt.env["KAFKA_CLIENT_CERT_PATH"], ClientKeyPath: tt.env["KAFKA_CLIENT_KEY_PATH"],
				}
				if tc, err := k.TLSConfig(); tc != nil || err == nil || err.Error() != ce.Error() || !errors.As(err, new(*config.Error)) {
					t.Errorf("Kafka.TLSConfig() = %v, %v\nwant the error of FromEnv\n%v", tc, err, ce)
				}
				return
			}
			c := mustFromEnv(t, tt.env)
			tc, err := c.Kafka.TLSConfig()
			if err != nil || tc == nil {
				t.Fatalf("Kafka.TLSConfig() = %v, %v", tc, err)
			}
			checkKafkaTLS(t, tc, tt.want.roots, tt.want.clientCN)
		})
	}
}

// checkKafkaTLS checks a Kafka TLS configuration the SDK built: TLS 1.2 at
// least, no ServerName (the client fills it per broker), verification on,
// RootCAs set when roots is, and one client certificate for clientCN (none
// when clientCN is "").
func checkKafkaTLS(t *testing.T, tc *tls.Config, roots bool, clientCN string) {
	t.Helper()
	if tc.MinVersion != tls.VersionTLS12 {
		t.Errorf("MinVersion = %x, want TLS 1.2", tc.MinVersion)
	}
	if (tc.RootCAs != nil) != roots {
		t.Errorf("RootCAs set = %t, want %t", tc.RootCAs != nil, roots)
	}
	if tc.ServerName != "" || tc.InsecureSkipVerify {
		t.Errorf("ServerName %q InsecureSkipVerify %t, want empty and false", tc.ServerName, tc.InsecureSkipVerify)
	}
	switch {
	case clientCN == "" && len(tc.Certificates) != 0:
		t.Errorf("%d client certificates, want none", len(tc.Certificates))
	case clientCN != "" && (len(tc.Certificates) != 1 || tc.Certificates[0].Leaf == nil || tc.Certificates[0].Leaf.Subject.CommonName != clientCN):
		t.Errorf("client certificates %v, want one for %q", tc.Certificates, clientCN)
	}
}

// TestFromEnvRegistryCA loads the registry's private CA.
func TestFromEnvRegistryCA(t *testing.T) {
	p := pki.New(t)
	https := func(ca string) map[string]string {
		return kafkaEnv(map[string]string{"SCHEMA_MANAGER_REGISTRY_URL": "https://registry", "SCHEMA_MANAGER_CA_PATH": ca})
	}
	c := mustFromEnv(t, https(p.CA))
	if pool, err := c.Registry.CertPool(); pool == nil || err != nil || c.Registry.CAPath != p.CA {
		t.Errorf("CertPool() = %v, %v, CAPath %q, want a pool from %q", pool, err, c.Registry.CAPath, p.CA)
	}
	if pool, err := mustFromEnv(t, https("")).Registry.CertPool(); pool != nil || err != nil {
		t.Errorf("CertPool() = %v, %v without SCHEMA_MANAGER_CA_PATH, want nil, nil (system pool)", pool, err)
	}
	if pool, err := (config.Registry{URL: "http://registry", CAPath: p.Missing}).CertPool(); pool != nil || err != nil {
		t.Errorf("CertPool() = %v, %v with an http URL, want nil, nil (CAPath ignored)", pool, err)
	}
	for _, tt := range []struct{ path, reason string }{
		{p.Garbage, "holds no PEM certificate"},
		{p.Missing, "cannot read"},
		{p.ExpiredCert, "expired at"},
	} {
		ce := fromEnvError(t, https(tt.path))
		checkProblems(t, ce, wantProblem{"SCHEMA_MANAGER_CA_PATH", tt.reason})
		if pool, err := (config.Registry{URL: "https://registry", CAPath: tt.path}).CertPool(); pool != nil || err == nil || err.Error() != ce.Error() {
			t.Errorf("CertPool() = %v, %v, want the error of FromEnv\n%v", pool, err, ce)
		}
	}
}

// TestTLSHandshake uses the built configuration against a TLS server on
// loopback whose certificate, like Strimzi's, has no AuthorityKeyId, and
// which requires the client certificate (mutual TLS).
func TestTLSHandshake(t *testing.T) {
	p := pki.New(t)
	serverCert, err := tls.LoadX509KeyPair(p.ServerCert, p.ServerKey)
	if err != nil {
		t.Fatal(err)
	}
	clientCAs := x509.NewCertPool()
	clientCAs.AppendCertsFromPEM(mustRead(t, p.CA))
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{
		Certificates: []tls.Certificate{serverCert},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    clientCAs,
		MinVersion:   tls.VersionTLS12,
	})
	if err != nil {
		t.Fatal(err)
	}
	peers := make(chan string, 4)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			tc := conn.(*tls.Conn)
			if err := tc.Handshake(); err == nil {
				peers <- tc.ConnectionState().PeerCertificates[0].Subject.CommonName
				_, _ = tc.Write([]byte("ok"))
			}
			_ = tc.Close()
		}
	}()
	t.Cleanup(func() {
		_ = ln.Close()
		<-done
	})

	tests := []struct {
		name, ca, cert, key string
		wantPeer            string // "" when the handshake must fail
	}{
		{"Strimzi-like chain without AuthorityKeyId", p.CA, p.NoAKICert, p.NoAKIKey, "strimzi-user"},
		{"client certificate with AuthorityKeyId", p.CA, p.ClientCert, p.ClientKey, "client"},
		{"wrong cluster CA", p.OtherCA, p.ClientCert, p.ClientKey, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustFromEnv(t, kafkaEnv(map[string]string{
				"KAFKA_SECURITY_PROTOCOL": "SSL", "KAFKA_CLUSTER_CA_PATH": tt.ca,
				"KAFKA_CLIENT_CERT_PATH": tt.cert, "KAFKA_CLIENT_KEY_PATH": tt.key,
			}))
			tc, err := c.Kafka.TLSConfig()
			if err != nil {
				t.Fatal(err)
			}
			conn, err := tls.Dial("tcp", ln.Addr().String(), tc)
			if tt.wantPeer == "" {
				if err == nil {
					_ = conn.Close()
					t.Fatal("handshake succeeded with the wrong CA")
				}
				var unknown x509.UnknownAuthorityError
				if !errors.As(err, &unknown) {
					t.Errorf("handshake error %v, want x509.UnknownAuthorityError", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("handshake: %v", err)
			}
			defer conn.Close()
			got, err := io.ReadAll(conn)
			if err != nil || string(got) != "ok" {
				t.Fatalf("read %q, %v", got, err)
			}
			if peer := <-peers; peer != tt.wantPeer {
				t.Errorf("server saw client %q, want %q", peer, tt.wantPeer)
			}
		})
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// assertNoKeyMaterial fails if s shows any private key of p.
func assertNoKeyMaterial(t *testing.T, p *pki.PKI, s string) {
	t.Helper()
	for _, m := range p.KeyMaterial {
		if strings.Contains(s, m) {
			t.Errorf("output reveals private key material %q:\n%s", m, s)
		}
	}
}
