package main

import (
	"crypto"
	"crypto/cipher"
	"crypto/des"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/md5"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// The files `stackctl pki` writes into its directory. The CA keys are never written: the PKI is
// made anew with each stack.
const (
	pkiClusterCA      = "cluster-ca.crt"      // the cluster CA (Strimzi: ca.crt of <cluster>-cluster-ca-cert)
	pkiBrokerCert     = "broker.crt"          // the broker's leaf certificate, for 127.0.0.1 and localhost
	pkiBrokerKeystore = "broker-keystore.pem" // encrypted PKCS#8 key + leaf + cluster CA (ssl.keystore.type=PEM)
	pkiKeyPassword    = "broker-key.password" // ssl.key.password of the keystore's key
	pkiClientsCA      = "clients-ca.crt"      // the clients CA: the mTLS listener's truststore (ssl.truststore.type=PEM)
	pkiClientCert     = "client.crt"          // the mTLS client certificate, signed by the clients CA
	pkiClientKey      = "client.key"          // its key, PKCS#8, unencrypted (KAFKA_CLIENT_KEY_PATH)
	pkiForeignCA      = "foreign-ca.crt"      // a CA nothing trusts and that signs nothing of the broker ("wrong CA")
	pkiForeignCert    = "foreign-client.crt"  // a client certificate signed by the foreign CA
	pkiForeignKey     = "foreign-client.key"
	pkiComplete       = ".complete"
)

// pki writes the stack's PKI into -dir unless it is already complete there.
func pki(args []string) error {
	fs := flag.NewFlagSet("pki", flag.ContinueOnError)
	dir := fs.String("dir", "", "directory of the PEM files (required)")
	clientCN := fs.String("client-cn", "sasquatch-stack-client", "common name of the mTLS client certificate")
	validity := fs.Duration("validity", 30*24*time.Hour, "validity of every certificate")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *dir == "" {
		return errors.New("pki: -dir is required")
	}
	if _, err := os.Stat(filepath.Join(*dir, pkiComplete)); err == nil {
		return nil
	}
	if err := os.MkdirAll(*dir, 0o700); err != nil {
		return fmt.Errorf("pki: %w", err)
	}
	files, err := makePKI(*clientCN, time.Now(), *validity)
	if err != nil {
		return fmt.Errorf("pki: %w", err)
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(*dir, name), data, 0o600); err != nil {
			return fmt.Errorf("pki: %w", err)
		}
	}
	return os.WriteFile(filepath.Join(*dir, pkiComplete), nil, 0o600)
}

// issuer is a CA that signs certificates.
type issuer struct {
	cert *x509.Certificate
	key  crypto.Signer
}

// makePKI returns the contents of every file of the PKI, by name.
func makePKI(clientCN string, now time.Time, validity time.Duration) (map[string][]byte, error) {
	notBefore, notAfter := now.Add(-time.Hour), now.Add(validity)
	newCA := func(cn string) (*issuer, error) {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return nil, err
		}
		tmpl := &x509.Certificate{
			SerialNumber:          serial(),
			Subject:               pkix.Name{Organization: []string{"sasquatch-go stack"}, CommonName: cn},
			NotBefore:             notBefore,
			NotAfter:              notAfter,
			IsCA:                  true,
			BasicConstraintsValid: true,
			KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		}
		cert, err := sign(tmpl, tmpl, key, key)
		if err != nil {
			return nil, err
		}
		return &issuer{cert: cert, key: key}, nil
	}
	leaf := func(ca *issuer, cn string, server bool) (*x509.Certificate, *ecdsa.PrivateKey, error) {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return nil, nil, err
		}
		tmpl := &x509.Certificate{
			SerialNumber: serial(),
			Subject:      pkix.Name{CommonName: cn}, // the mTLS principal is User:CN=<cn>
			NotBefore:    notBefore,
			NotAfter:     notAfter,
			KeyUsage:     x509.KeyUsageDigitalSignature,
			ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
		}
		if server {
			tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
			tmpl.IPAddresses = []net.IP{net.IPv4(127, 0, 0, 1)}
			tmpl.DNSNames = []string{"localhost"}
		}
		cert, err := sign(tmpl, ca.cert, key, ca.key)
		return cert, key, err
	}

	clusterCA, err := newCA("cluster-ca")
	if err != nil {
		return nil, err
	}
	clientsCA, err := newCA("clients-ca")
	if err != nil {
		return nil, err
	}
	foreignCA, err := newCA("foreign-ca")
	if err != nil {
		return nil, err
	}
	brokerCert, brokerKey, err := leaf(clusterCA, "broker", true)
	if err != nil {
		return nil, err
	}
	clientCert, clientKey, err := leaf(clientsCA, clientCN, false)
	if err != nil {
		return nil, err
	}
	foreignCert, foreignKey, err := leaf(foreignCA, "foreign-client", false)
	if err != nil {
		return nil, err
	}

	password := make([]byte, 18)
	if _, err := rand.Read(password); err != nil {
		return nil, err
	}
	keyPassword := base64.RawURLEncoding.EncodeToString(password)
	encKey, err := encryptPKCS8(brokerKey, keyPassword)
	if err != nil {
		return nil, err
	}
	clientKeyPEM, err := pkcs8PEM(clientKey)
	if err != nil {
		return nil, err
	}
	foreignKeyPEM, err := pkcs8PEM(foreignKey)
	if err != nil {
		return nil, err
	}
	// The broker sends its leaf and the cluster CA, as Strimzi's brokers do.
	keystore := append(pem.EncodeToMemory(&pem.Block{Type: "ENCRYPTED PRIVATE KEY", Bytes: encKey}),
		append(certPEM(brokerCert), certPEM(clusterCA.cert)...)...)
	return map[string][]byte{
		pkiClusterCA:      certPEM(clusterCA.cert),
		pkiBrokerCert:     certPEM(brokerCert),
		pkiBrokerKeystore: keystore,
		pkiKeyPassword:    []byte(keyPassword),
		pkiClientsCA:      certPEM(clientsCA.cert),
		pkiClientCert:     certPEM(clientCert),
		pkiClientKey:      clientKeyPEM,
		pkiForeignCA:      certPEM(foreignCA.cert),
		pkiForeignCert:    certPEM(foreignCert),
		pkiForeignKey:     foreignKeyPEM,
	}, nil
}

func serial() *big.Int {
	n, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127)) // crypto/rand does not fail
	return n
}

func sign(tmpl, parent *x509.Certificate, key, parentKey crypto.Signer) (*x509.Certificate, error) {
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, key.Public(), parentKey)
	if err != nil {
		return nil, err
	}
	return x509.ParseCertificate(der)
}

func certPEM(c *x509.Certificate) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
}

func pkcs8PEM(key crypto.Signer) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// oidPBEWithMD5AndDES is PKCS#5 v1.5's pbeWithMD5AndDES-CBC (RFC 8018, A.3).
var oidPBEWithMD5AndDES = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 3}

type pbeParams struct {
	Salt       []byte
	Iterations int
}

type encryptedPrivateKeyInfo struct {
	Algorithm     pkix.AlgorithmIdentifier
	EncryptedData []byte
}

// encryptPKCS8 returns key as a PKCS#8 EncryptedPrivateKeyInfo, the form Kafka's PEM keystore
// reads: Kafka refuses a PEM keystore without ssl.key.password, and the standard library writes
// only unencrypted PKCS#8. The scheme is PBES1 with MD5 and DES-CBC because Java 17 decrypts
// PKCS#8 only with a scheme whose name EncryptedPrivateKeyInfo.getAlgName maps to a
// SecretKeyFactory ("PBEWithMD5AndDES"); for PBES2 it answers "PBES2", which has none. The key
// protects a throw-away key on a loopback test broker, the password sits beside it in the same
// directory: the weak cipher costs nothing here.
func encryptPKCS8(key crypto.Signer, password string) ([]byte, error) {
	plain, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, err
	}
	salt := make([]byte, 8)
	if _, err := rand.Read(salt); err != nil {
		return nil, err
	}
	const iterations = 2048
	// PBKDF1 (RFC 8018, 5.1): T = MD5^c(P || S); the DES key is T[0:8], the IV T[8:16].
	sum := md5.Sum(append([]byte(password), salt...))
	for range iterations - 1 {
		sum = md5.Sum(sum[:])
	}
	block, err := des.NewCipher(sum[:8])
	if err != nil {
		return nil, err
	}
	pad := des.BlockSize - len(plain)%des.BlockSize
	for range pad {
		plain = append(plain, byte(pad))
	}
	enc := make([]byte, len(plain))
	cipher.NewCBCEncrypter(block, sum[8:16]).CryptBlocks(enc, plain)
	params, err := asn1.Marshal(pbeParams{Salt: salt, Iterations: iterations})
	if err != nil {
		return nil, err
	}
	return asn1.Marshal(encryptedPrivateKeyInfo{
		Algorithm:     pkix.AlgorithmIdentifier{Algorithm: oidPBEWithMD5AndDES, Parameters: asn1.RawValue{FullBytes: params}},
		EncryptedData: enc,
	})
}
