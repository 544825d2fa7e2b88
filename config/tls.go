package config

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"time"
)

// errNoCertificate is the cause of a PEM file without any certificate.
var errNoCertificate = errors.New("no PEM CERTIFICATE block")

// TLSConfig builds the TLS configuration of k's security protocol from the
// PEM files k names: nil, nil for PLAINTEXT and SASL_PLAINTEXT (and when
// SecurityProtocol is empty, PLAINTEXT by default). For SSL and SASL_SSL:
// RootCAs from ClusterCAPath (nil, the system pool, without it), the client
// certificate from ClientCertPath and ClientKeyPath when they are set,
// MinVersion TLS 1.2, ServerName empty (the Kafka client fills it per
// broker). Config.Load builds Loaded.KafkaTLS with the same code.
//
// It reads the files at each call and returns a new *tls.Config that the
// caller owns. Code that has a Loaded uses its KafkaTLS instead, built when
// the configuration was loaded. The error is the one Resolve reports for
// the same settings, an *Error naming each bad variable: an unknown
// protocol, a file that cannot be read or parsed or is larger than 1 MiB,
// a certificate expired or not valid yet, an encrypted (passphrase-
// protected) key, a key that does not match its certificate, a certificate
// without its key (or the reverse), SSL without a client certificate. Key
// material never appears in it.
//
// A TLS configuration from elsewhere (a secrets store, say) is passed to
// the event manager as a franz-go option instead:
// eventmanager.WithKafkaOptions(kgo.DialTLSConfig(tc)).
func (k Kafka) TLSConfig() (*tls.Config, error) {
	var p problems
	r := resolver{names: canonicalNames(), now: time.Now()}
	proto, ok := r.securityProtocol(k.SecurityProtocol, &p)
	if !ok {
		return nil, p.err()
	}
	k.SecurityProtocol = proto
	tc := r.kafkaTLS(k, &p)
	if err := p.err(); err != nil {
		return nil, err
	}
	return tc, nil
}

// CertPool returns the pool of the CA certificates in CAPath, to verify an
// https registry: nil (the system pool) and no error when CAPath is empty,
// or when URL is set and not https (CAPath is then ignored, and
// Config.Warnings says so). It reads the file at each call; code that has
// a Loaded uses its RegistryCAs instead, which Config.Load builds with the
// same code. The error is the one Resolve reports for the same settings, an
// *Error naming SCHEMA_MANAGER_CA_PATH: a file that cannot be read, is
// larger than 1 MiB, holds no certificate, or one that does not parse or is
// expired or not valid yet.
func (g Registry) CertPool() (*x509.CertPool, error) {
	var p problems
	r := resolver{names: canonicalNames(), now: time.Now()}
	pool := r.registryCAs(g, &p)
	if err := p.err(); err != nil {
		return nil, err
	}
	return pool, nil
}

// caIgnored reports whether CAPath is set for a registry URL that is not
// https, and is therefore not used.
func (g Registry) caIgnored() bool {
	if g.CAPath == "" || g.URL == "" {
		return false
	}
	scheme, _, _ := strings.Cut(g.URL, "://")
	return !strings.EqualFold(scheme, "https")
}

// basicAuthInClear reports whether g sends basic-auth credentials (from
// Username and Password, or from the URL's user-info) to an http URL.
func (g Registry) basicAuthInClear() bool {
	scheme, _, found := strings.Cut(g.URL, "://")
	if !found || !strings.EqualFold(scheme, "http") {
		return false
	}
	if g.Username != "" || !g.Password.empty() {
		return true
	}
	_, user, pass, reason := parseRegistryURL(g.URL)
	return reason == "" && (user != "" || !pass.empty())
}

// registryCAs loads the pool of g's CAPath, the one rule of
// Registry.CertPool and Config.Load: nil (the system pool) when CAPath is
// empty or ignored (the URL is not https), or when the file is bad (the
// problems are in p).
func (r *resolver) registryCAs(g Registry, p *problems) *x509.CertPool {
	if g.CAPath == "" || g.caIgnored() {
		return nil
	}
	return r.loadCertPool(envRegistryCA, g.CAPath, p)
}

// kafkaTLS builds the TLS configuration of k, whose SecurityProtocol is
// already a canonical one, the one rule of Kafka.TLSConfig and Config.Load:
// nil for a protocol without TLS; for SSL and SASL_SSL, it checks the
// pairing of the client certificate and key, and loads the files. It
// returns nil when something is wrong (the problems are in p).
func (r *resolver) kafkaTLS(k Kafka, p *problems) *tls.Config {
	if !k.SecurityProtocol.UsesTLS() {
		return nil
	}
	withClient := true
	switch {
	case k.ClientCertPath != "" && k.ClientKeyPath == "":
		withClient = false
		p.add(envClientKey, fmt.Sprintf("required when %s is set (the client certificate's private key)", p.name(envClientCert)), nil)
	case k.ClientCertPath == "" && k.ClientKeyPath != "":
		withClient = false
		p.add(envClientCert, fmt.Sprintf("required when %s is set (the certificate of that private key)", p.name(envClientKey)), nil)
	case k.ClientCertPath == "" && k.SecurityProtocol == SSL:
		withClient = false
		reason := fmt.Sprintf("required with %s=%s (mutual TLS needs a client certificate and key, or use %s for password authentication)", p.name(envSecurityProtocol), SSL, SASLSSL)
		p.add(envClientCert, reason, nil)
		p.add(envClientKey, reason, nil)
	}
	return r.loadKafkaTLS(k, withClient, p)
}

// loadKafkaTLS builds the TLS configuration of SSL and SASL_SSL from the
// paths of k. withClient is false when the cert/key pairing is already
// known to be wrong: the client pair is then not loaded. It returns nil
// when a file is bad (the problems are in p).
func (r *resolver) loadKafkaTLS(k Kafka, withClient bool, p *problems) *tls.Config {
	tc := &tls.Config{MinVersion: tls.VersionTLS12}
	ok := withClient
	if k.ClusterCAPath != "" {
		if pool := r.loadCertPool(envClusterCA, k.ClusterCAPath, p); pool != nil {
			tc.RootCAs = pool
		} else {
			ok = false
		}
	}
	if withClient && k.ClientCertPath != "" {
		if cert, good := r.loadKeyPair(k.ClientCertPath, k.ClientKeyPath, p); good {
			tc.Certificates = []tls.Certificate{cert}
		} else {
			ok = false
		}
	}
	if !ok {
		return nil
	}
	return tc
}

// loadCertPool reads the PEM certificates at path (variable name) into a
// pool, or returns nil.
func (r *resolver) loadCertPool(name, path string, p *problems) *x509.CertPool {
	data, ok := r.readPEM(name, path, p)
	if !ok {
		return nil
	}
	certs, ok := r.parseCertificates(name, path, data, p)
	if !ok {
		return nil
	}
	pool := x509.NewCertPool()
	for _, c := range certs {
		pool.AddCert(c)
	}
	return pool
}

// loadKeyPair reads the client certificate (chain) and its private key. The
// key's contents never reach an error message: only the fixed messages of
// crypto/tls do.
func (r *resolver) loadKeyPair(certPath, keyPath string, p *problems) (tls.Certificate, bool) {
	certPEM, certOK := r.readPEM(envClientCert, certPath, p)
	if certOK {
		_, certOK = r.parseCertificates(envClientCert, certPath, certPEM, p)
	}
	keyPEM, keyOK := r.readPEM(envClientKey, keyPath, p)
	if !certOK || !keyOK {
		return tls.Certificate{}, false
	}
	if encryptedKey(keyPEM) {
		p.add(envClientKey, fmt.Sprintf("%q is an encrypted (passphrase-protected) private key, which the SDK cannot read: decrypt it (e.g. openssl pkey -in encrypted.key -out client.key) and keep the file readable by the application only", keyPath), errEncryptedKey)
		return tls.Certificate{}, false
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		p.add(envClientKey, fmt.Sprintf("%q is not the private key of %s %q: %v", keyPath, p.name(envClientCert), certPath, err), err)
		return tls.Certificate{}, false
	}
	return cert, true
}

// encryptedKey reports whether the first private key block of data is
// encrypted: legacy PEM encryption (a Proc-Type: 4,ENCRYPTED header) or
// PKCS#8 "ENCRYPTED PRIVATE KEY", which crypto/tls cannot read.
func encryptedKey(data []byte) bool {
	for rest := data; ; {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		switch {
		case block == nil:
			return false
		case block.Type == "ENCRYPTED PRIVATE KEY":
			return true
		case strings.HasSuffix(block.Type, "PRIVATE KEY"):
			return strings.Contains(block.Headers["Proc-Type"], "ENCRYPTED")
		}
	}
}

// maxPEMFile bounds the size of the PEM files the configuration names: a
// CA bundle, a certificate chain or a key is a few KiB (the system's whole
// CA bundle is about 200 KiB), and a larger file is not what the variable
// should name (a log, a device).
const maxPEMFile = 1 << 20 // 1 MiB

// errEncryptedKey and errFileTooLarge are the causes of the problems they
// name.
var (
	errEncryptedKey = errors.New("encrypted private key")
	errFileTooLarge = fmt.Errorf("file larger than %d MiB", maxPEMFile>>20)
)

// readPEM reads the file at path named by variable name, at most
// maxPEMFile bytes, with r.readFile (readLimited when it is nil).
func (r *resolver) readPEM(name, path string, p *problems) ([]byte, bool) {
	read := r.readFile
	if read == nil {
		read = readLimited
	}
	data, err := read(path, maxPEMFile)
	if errors.Is(err, errFileTooLarge) {
		p.add(name, fmt.Sprintf("%q is larger than %d MiB: it cannot be a PEM certificate bundle or key", path, maxPEMFile>>20), err)
		return nil, false
	}
	if err != nil {
		cause := err
		var pe *fs.PathError
		if errors.As(err, &pe) {
			cause = pe.Err
		}
		p.add(name, fmt.Sprintf("cannot read %q: %v", path, cause), err)
		return nil, false
	}
	return data, true
}

// readLimited reads the file at path, or fails with errFileTooLarge when
// it holds more than limit bytes (without reading more than limit+1).
func readLimited(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer func() { _ = f.Close() }()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, &fs.PathError{Op: "read", Path: path, Err: err}
	}
	if int64(len(data)) > limit {
		return nil, errFileTooLarge
	}
	return data, nil
}

// parseCertificates parses every CERTIFICATE block of data (other blocks
// are skipped) and checks that each is valid now. There must be at least one.
func (r *resolver) parseCertificates(name, path string, data []byte, p *problems) ([]*x509.Certificate, bool) {
	var certs []*x509.Certificate
	ok := true
	n := 0
	for rest := data; ; {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		n++
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			ok = false
			p.add(name, fmt.Sprintf("%q: certificate %d does not parse: %v", path, n, err), err)
			continue
		}
		switch {
		case r.now.After(cert.NotAfter):
			ok = false
			p.add(name, fmt.Sprintf("%q: certificate %d (%s) expired at %s", path, n, cert.Subject, cert.NotAfter.UTC().Format(time.RFC3339)), nil)
		case r.now.Before(cert.NotBefore):
			ok = false
			p.add(name, fmt.Sprintf("%q: certificate %d (%s) is not valid before %s", path, n, cert.Subject, cert.NotBefore.UTC().Format(time.RFC3339)), nil)
		}
		certs = append(certs, cert)
	}
	if n == 0 {
		p.add(name, fmt.Sprintf("%q holds no PEM certificate", path), errNoCertificate)
		return nil, false
	}
	return certs, ok
}
