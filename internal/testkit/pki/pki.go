// Package pki is a throw-away certificate authority for the repository's
// TLS tests: the CAs, certificates and keys are generated at test time and
// written as PEM files to the test's temporary directory, in the shapes the
// tests need (with and without AuthorityKeyId, expired, not yet valid,
// signed by a foreign CA, keys as PKCS#8, PKCS#1 and SEC 1), with the
// strings that would reveal a private key if they showed in an error or a
// log line.
package pki

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
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

// PKI is a cluster CA, a foreign CA, and the PEM files signed by them, in
// Dir. Like Strimzi's, the CA signs without a subject key id, so that no
// certificate but ClientCert (and RSACert) has an AuthorityKeyId. Each
// field is the path of one file; certificates are valid from an hour ago
// for an hour unless said otherwise. A PKI is not modified after New.
type PKI struct {
	Dir string // the test's temporary directory holding every file

	ca    *x509.Certificate
	caKey crypto.Signer

	CA           string // the cluster CA (self-signed, CN=cluster-ca), also the clients CA
	OtherCA      string // a foreign CA (CN=other-ca) that signed only StrangerCert
	ServerCert   string // server certificate (CN=broker) for 127.0.0.1 and localhost, no AuthorityKeyId
	ServerKey    string
	ClientCert   string // client certificate (CN=client) with AuthorityKeyId
	ClientKey    string // its key, PKCS#8 "PRIVATE KEY"
	NoAKICert    string // client certificate (CN=strimzi-user) without AuthorityKeyId, as Strimzi's
	NoAKIKey     string // its key, SEC 1 "EC PRIVATE KEY"
	RSACert      string // client certificate (CN=rsa-user) with an RSA key, with AuthorityKeyId
	RSAKey       string // its key, PKCS#1 "RSA PRIVATE KEY"
	ExpiredCert  string // client certificate (CN=expired-user) that expired yesterday
	ExpiredKey   string
	FutureCert   string // client certificate (CN=future-user) valid from tomorrow
	FutureKey    string
	StrangerCert string // client certificate (CN=stranger) signed by OtherCA
	StrangerKey  string
	OtherKey     string // a key that matches no certificate
	KeyOnly      string // a PEM file holding only a private key
	Garbage      string // a file that is not PEM
	Missing      string // a path that does not exist

	// KeyMaterial holds the strings that would reveal one of the private
	// keys if they appeared in output: every base64 line of its PEM file,
	// its secret scalar in decimal and hex, and a run of its DER in hex.
	KeyMaterial []string
}

// New generates the CAs and every file of PKI in a new t.TempDir(). It
// fails the test on any error.
func New(t testing.TB) *PKI {
	t.Helper()
	b := &builder{t: t, p: &PKI{Dir: t.TempDir()}, now: time.Now()}
	p := b.p

	p.ca, p.caKey = b.ca("cluster-ca")
	other, otherKey := b.ca("other-ca")
	p.CA = p.WritePEM(t, "ca.crt", "CERTIFICATE", p.ca.Raw)
	p.OtherCA = p.WritePEM(t, "other-ca.crt", "CERTIFICATE", other.Raw)

	hour, day := time.Hour, 24*time.Hour
	server := b.template("broker", -hour, hour)
	server.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	server.IPAddresses = []net.IP{net.IPv4(127, 0, 0, 1)}
	server.DNSNames = []string{"localhost"}
	p.ServerCert, p.ServerKey = b.leaf("broker", server, withoutSKI(p.ca), p.caKey, newECKey(t), "PKCS8")

	p.ClientCert, p.ClientKey = b.leaf("client", b.template("client", -hour, hour), p.ca, p.caKey, newECKey(t), "PKCS8")
	p.NoAKICert, p.NoAKIKey = b.leaf("noaki", b.template("strimzi-user", -hour, hour), withoutSKI(p.ca), p.caKey, newECKey(t), "SEC1")
	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	p.RSACert, p.RSAKey = b.leaf("rsa", b.template("rsa-user", -hour, hour), p.ca, p.caKey, rk, "PKCS1")
	p.ExpiredCert, p.ExpiredKey = b.leaf("expired", b.template("expired-user", -2*day, -day), withoutSKI(p.ca), p.caKey, newECKey(t), "PKCS8")
	p.FutureCert, p.FutureKey = b.leaf("future", b.template("future-user", day, 2*day), withoutSKI(p.ca), p.caKey, newECKey(t), "PKCS8")
	p.StrangerCert, p.StrangerKey = b.leaf("stranger", b.template("stranger", -hour, hour), withoutSKI(other), otherKey, newECKey(t), "PKCS8")

	p.OtherKey = b.key("other.key", newECKey(t), "PKCS8")
	p.KeyOnly = b.key("key-only.pem", newECKey(t), "PKCS8")
	p.Garbage = p.Write(t, "garbage.pem", []byte("this is not a certificate\n-----BEGIN NOTHING\n"))
	p.Missing = filepath.Join(p.Dir, "does-not-exist.pem")
	return p
}

// Write writes data to the file name in Dir and returns its path.
func (p *PKI) Write(t testing.TB, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(p.Dir, name)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// WritePEM writes der as one PEM block of type typ to the file name in Dir
// and returns its path.
func (p *PKI) WritePEM(t testing.TB, name, typ string, der []byte) string {
	t.Helper()
	return p.Write(t, name, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}))
}

// ServerTLS is a TLS server configuration with ServerCert that verifies
// client certificates against CA with clientAuth.
func (p *PKI) ServerTLS(t testing.TB, clientAuth tls.ClientAuthType) *tls.Config {
	t.Helper()
	cert, err := tls.LoadX509KeyPair(p.ServerCert, p.ServerKey)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(p.ca)
	return &tls.Config{
		Certificates: []tls.Certificate{cert},
		ClientAuth:   clientAuth,
		ClientCAs:    pool,
		MinVersion:   tls.VersionTLS12,
	}
}

// ServerTLSWithCA is ServerTLS(NoClientCert) with the CA sent after
// ServerCert, as Strimzi's brokers send their chain.
func (p *PKI) ServerTLSWithCA(t testing.TB) *tls.Config {
	t.Helper()
	tc := p.ServerTLS(t, tls.NoClientCert)
	tc.Certificates[0].Certificate = append(tc.Certificates[0].Certificate, p.ca.Raw)
	return tc
}

// builder holds what New needs while it generates the files.
type builder struct {
	t      testing.TB
	p      *PKI
	now    time.Time
	serial int64
}

// ca returns a self-signed CA certificate named cn, and its key.
func (b *builder) ca(cn string) (*x509.Certificate, crypto.Signer) {
	b.t.Helper()
	key := newECKey(b.t)
	tmpl := b.template(cn, -time.Hour, 24*time.Hour)
	tmpl.IsCA, tmpl.BasicConstraintsValid = true, true
	tmpl.KeyUsage, tmpl.ExtKeyUsage = x509.KeyUsageCertSign|x509.KeyUsageCRLSign, nil
	return b.sign(tmpl, tmpl, key, key), key
}

// template is a client certificate named cn, valid from now+from to now+to.
func (b *builder) template(cn string, from, to time.Duration) *x509.Certificate {
	b.serial++
	return &x509.Certificate{
		SerialNumber: big.NewInt(b.serial),
		Subject:      pkix.Name{CommonName: cn},
		NotBefore:    b.now.Add(from),
		NotAfter:     b.now.Add(to),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
}

// leaf signs tmpl for key with parent and writes name.crt and name.key
// (in format), returning their paths. The certificate has an
// AuthorityKeyId exactly when parent has a SubjectKeyId.
func (b *builder) leaf(name string, tmpl, parent *x509.Certificate, parentKey, key crypto.Signer, format string) (cert, keyPath string) {
	b.t.Helper()
	c := b.sign(tmpl, parent, key, parentKey)
	if aki, ski := len(c.AuthorityKeyId) != 0, len(parent.SubjectKeyId) != 0; aki != ski {
		b.t.Fatalf("%s: AuthorityKeyId %t with a parent SubjectKeyId %t: the test PKI is wrong", name, aki, ski)
	}
	return b.p.WritePEM(b.t, name+".crt", "CERTIFICATE", c.Raw), b.key(name+".key", key, format)
}

func (b *builder) sign(tmpl, parent *x509.Certificate, key, parentKey crypto.Signer) *x509.Certificate {
	b.t.Helper()
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, key.Public(), parentKey)
	if err != nil {
		b.t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		b.t.Fatal(err)
	}
	return c
}

// key writes key in format (PKCS8, SEC1 or PKCS1) to the file name,
// records its KeyMaterial and returns its path.
func (b *builder) key(name string, key crypto.Signer, format string) string {
	b.t.Helper()
	var typ string
	var der []byte
	var err error
	switch format {
	case "PKCS8":
		typ = "PRIVATE KEY"
		der, err = x509.MarshalPKCS8PrivateKey(key)
	case "SEC1":
		typ = "EC PRIVATE KEY"
		der, err = x509.MarshalECPrivateKey(key.(*ecdsa.PrivateKey))
	case "PKCS1":
		typ, der = "RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(key.(*rsa.PrivateKey))
	default:
		b.t.Fatalf("unknown key format %q", format)
	}
	if err != nil {
		b.t.Fatal(err)
	}
	for _, line := range strings.Split(string(pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})), "\n") {
		if len(line) >= 16 && !strings.HasPrefix(line, "-----") {
			b.p.KeyMaterial = append(b.p.KeyMaterial, line)
		}
	}
	var d *big.Int
	switch k := key.(type) {
	case *ecdsa.PrivateKey:
		raw, err := k.Bytes()
		if err != nil {
			b.t.Fatal(err)
		}
		d = new(big.Int).SetBytes(raw)
	case *rsa.PrivateKey:
		d = k.D
	}
	b.p.KeyMaterial = append(b.p.KeyMaterial, d.String(), d.Text(16), hex.EncodeToString(der)[16:48])
	return b.p.WritePEM(b.t, name, typ, der)
}

// withoutSKI returns a copy of ca without SubjectKeyId: a certificate it
// signs has no AuthorityKeyId, as with Strimzi's cluster and clients CAs.
func withoutSKI(ca *x509.Certificate) *x509.Certificate {
	c := *ca
	c.SubjectKeyId = nil
	return &c
}

func newECKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}
