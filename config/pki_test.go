package config_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// pki is a throw-away certificate authority and the PEM files signed by it,
// written to a test's temporary directory.
type pki struct {
	dir string

	caCert *x509.Certificate
	caKey  crypto.Signer

	CA          string // the CA certificate (self-signed, no AuthorityKeyId)
	OtherCA     string // an unrelated CA
	ClientCert  string // client certificate signed by CA, with AuthorityKeyId
	ClientKey   string // its key, PKCS#8 "PRIVATE KEY"
	NoAKICert   string // client certificate signed by CA without AuthorityKeyId (as Strimzi's)
	NoAKIKey    string // its key, SEC 1 "EC PRIVATE KEY"
	RSACert     string // client certificate with an RSA key
	RSAKey      string // its key, PKCS#1 "RSA PRIVATE KEY"
	ExpiredCert string // expired client certificate
	ExpiredKey  string
	FutureCert  string // certificate not valid yet
	FutureKey   string
	OtherKey    string // a key that matches no certificate
	ServerCert  string // server certificate for 127.0.0.1 without AuthorityKeyId
	ServerKey   string
	Garbage     string // a file that is not PEM
	KeyOnly     string // a PEM file holding only a private key
	Missing     string // a path that does not exist

	// KeyMaterial holds strings that would reveal a private key if they
	// appeared in output: the base64 PEM lines and the secret scalar.
	KeyMaterial []string
}

// newPKI generates the CA and every file of pki.
func newPKI(t *testing.T) *pki {
	t.Helper()
	p := &pki{dir: t.TempDir()}
	now := time.Now()

	caKey := newECKey(t)
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "cluster-ca"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	p.caCert, p.caKey = p.sign(t, caTmpl, nil, caKey), caKey
	p.CA = p.writeCert(t, "ca.crt", p.caCert)

	otherKey := newECKey(t)
	otherTmpl := *caTmpl
	otherTmpl.Subject.CommonName = "other-ca"
	p.OtherCA = p.writeCert(t, "other-ca.crt", p.sign(t, &otherTmpl, nil, otherKey))

	leaf := func(cn string, notBefore, notAfter time.Time) *x509.Certificate {
		return &x509.Certificate{
			SerialNumber: big.NewInt(now.UnixNano()),
			Subject:      pkix.Name{CommonName: cn},
			NotBefore:    notBefore,
			NotAfter:     notAfter,
			KeyUsage:     x509.KeyUsageDigitalSignature,
			ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth, x509.ExtKeyUsageServerAuth},
		}
	}

	k := newECKey(t)
	c := p.sign(t, leaf("client", now.Add(-time.Hour), now.Add(time.Hour)), p.caCert, k)
	if len(c.AuthorityKeyId) == 0 {
		t.Fatal("client certificate has no AuthorityKeyId; the test PKI is wrong")
	}
	p.ClientCert, p.ClientKey = p.writeCert(t, "user.crt", c), p.writeKey(t, "user.key", k, "PKCS8")
	p.recordKey(t, k, p.ClientKey)

	k = newECKey(t)
	c = p.sign(t, leaf("strimzi-user", now.Add(-time.Hour), now.Add(time.Hour)), p.noSKI(), k)
	if len(c.AuthorityKeyId) != 0 {
		t.Fatal("no-AKI certificate has an AuthorityKeyId; the test PKI is wrong")
	}
	p.NoAKICert, p.NoAKIKey = p.writeCert(t, "noaki.crt", c), p.writeKey(t, "noaki.key", k, "SEC1")
	p.recordKey(t, k, p.NoAKIKey)

	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	c = p.sign(t, leaf("rsa-user", now.Add(-time.Hour), now.Add(time.Hour)), p.caCert, rk)
	p.RSACert, p.RSAKey = p.writeCert(t, "rsa.crt", c), p.writeKey(t, "rsa.key", rk, "PKCS1")
	p.recordKey(t, rk, p.RSAKey)

	k = newECKey(t)
	c = p.sign(t, leaf("expired-user", now.Add(-48*time.Hour), now.Add(-24*time.Hour)), p.caCert, k)
	p.ExpiredCert, p.ExpiredKey = p.writeCert(t, "expired.crt", c), p.writeKey(t, "expired.key", k, "PKCS8")

	k = newECKey(t)
	c = p.sign(t, leaf("future-user", now.Add(24*time.Hour), now.Add(48*time.Hour)), p.caCert, k)
	p.FutureCert, p.FutureKey = p.writeCert(t, "future.crt", c), p.writeKey(t, "future.key", k, "PKCS8")

	k = newECKey(t)
	p.OtherKey = p.writeKey(t, "other.key", k, "PKCS8")
	p.recordKey(t, k, p.OtherKey)

	k = newECKey(t)
	srv := leaf("broker", now.Add(-time.Hour), now.Add(time.Hour))
	srv.IPAddresses = []net.IP{net.IPv4(127, 0, 0, 1)}
	c = p.sign(t, srv, p.noSKI(), k)
	p.ServerCert, p.ServerKey = p.writeCert(t, "broker.crt", c), p.writeKey(t, "broker.key", k, "PKCS8")

	p.Garbage = p.write(t, "garbage.pem", []byte("this is not a certificate\n-----BEGIN NOTHING\n"))
	k = newECKey(t)
	p.KeyOnly = p.writeKey(t, "key-only.pem", k, "PKCS8")
	p.recordKey(t, k, p.KeyOnly)
	p.Missing = filepath.Join(p.dir, "does-not-exist.pem")
	return p
}

func newECKey(t *testing.T) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// noSKI returns a copy of the CA certificate without SubjectKeyId: signing
// with it as parent yields a certificate without AuthorityKeyId, as
// Strimzi's cluster and clients CAs do.
func (p *pki) noSKI() *x509.Certificate {
	c := *p.caCert
	c.SubjectKeyId = nil
	return &c
}

// sign creates tmpl's certificate for key's public key, signed by parent
// (self-signed when parent is nil).
func (p *pki) sign(t *testing.T, tmpl, parent *x509.Certificate, key crypto.Signer) *x509.Certificate {
	t.Helper()
	signer := key
	if parent == nil {
		parent = tmpl
	} else {
		signer = p.caKey
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, key.Public(), signer)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (p *pki) write(t *testing.T, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(p.dir, name)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func (p *pki) writeCert(t *testing.T, name string, c *x509.Certificate) string {
	t.Helper()
	return p.write(t, name, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw}))
}

func (p *pki) writeKey(t *testing.T, name string, key crypto.Signer, format string) string {
	t.Helper()
	var block *pem.Block
	switch format {
	case "PKCS8":
		der, err := x509.MarshalPKCS8PrivateKey(key)
		if err != nil {
			t.Fatal(err)
		}
		block = &pem.Block{Type: "PRIVATE KEY", Bytes: der}
	case "SEC1":
		der, err := x509.MarshalECPrivateKey(key.(*ecdsa.PrivateKey))
		if err != nil {
			t.Fatal(err)
		}
		block = &pem.Block{Type: "EC PRIVATE KEY", Bytes: der}
	case "PKCS1":
		block = &pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key.(*rsa.PrivateKey))}
	default:
		t.Fatalf("unknown key format %q", format)
	}
	return p.write(t, name, pem.EncodeToMemory(block))
}

// recordKey remembers strings that reveal key: every base64 line of its PEM
// file and its secret scalar in decimal and hex.
func (p *pki) recordKey(t *testing.T, key crypto.Signer, path string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(data)
	if block == nil {
		t.Fatalf("%s: no PEM", path)
	}
	enc := pem.EncodeToMemory(&pem.Block{Type: "X", Bytes: block.Bytes})
	for _, line := range strings.Split(string(enc), "\n") {
		if len(line) >= 16 && line[0] != '-' {
			p.KeyMaterial = append(p.KeyMaterial, line)
		}
	}
	var d *big.Int
	switch k := key.(type) {
	case *ecdsa.PrivateKey:
		b, err := k.Bytes()
		if err != nil {
			t.Fatal(err)
		}
		d = new(big.Int).SetBytes(b)
	case *rsa.PrivateKey:
		d = k.D
	}
	p.KeyMaterial = append(p.KeyMaterial, d.String(), d.Text(16), hex.EncodeToString(block.Bytes)[16:48])
}
