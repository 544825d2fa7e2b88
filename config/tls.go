package config

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"
)

// errNoCertificate is the cause of a PEM file without any certificate.
var errNoCertificate = errors.New("no PEM CERTIFICATE block")

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
	data, ok := readFile(name, path, p)
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
	certPEM, certOK := readFile(envClientCert, certPath, p)
	if certOK {
		_, certOK = r.parseCertificates(envClientCert, certPath, certPEM, p)
	}
	keyPEM, keyOK := readFile(envClientKey, keyPath, p)
	if !certOK || !keyOK {
		return tls.Certificate{}, false
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		p.add(envClientKey, fmt.Sprintf("%q is not the private key of %s %q: %v", keyPath, envClientCert, certPath, err), err)
		return tls.Certificate{}, false
	}
	return cert, true
}

// readFile reads the file at path named by variable name.
func readFile(name, path string, p *problems) ([]byte, bool) {
	data, err := os.ReadFile(path)
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
