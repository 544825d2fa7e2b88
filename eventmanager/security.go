package eventmanager

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"reflect"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/lsst-sqre/sasquatch-go/config"
)

// securityError translates an error of the start-up Kafka check into a
// [*SecurityError] when it shows that the brokers refused this client's
// security settings, or returns nil. ctx is the check's context (see
// connWatch.watch). Only the client the manager built from the
// configuration is judged: the settings of one passed with [WithKafkaClient]
// are unknown.
func (m *Manager) securityError(ctx context.Context, err error) *SecurityError {
	if !m.kafka.owns {
		return nil
	}
	k := m.cfg.Kafka
	// The TLS configuration the client dials with: the one built from the
	// KAFKA_* paths, or one passed with [WithKafkaOptions].
	tc, _ := m.kafka.client.OptValue(kgo.DialTLSConfig).(*tls.Config)
	s := m.kafka.conn.seen()
	secErr := func(kind error, cause error, format string, args ...any) *SecurityError {
		return &SecurityError{Kind: kind, Broker: s.broker, Reason: fmt.Sprintf(format, args...), Err: cause}
	}
	user := fmt.Sprintf("SASL %s credentials of user %q", k.SASLMechanism, k.SASLUsername)
	var firstEOF *kgo.ErrFirstReadEOF
	var unknown x509.UnknownAuthorityError
	var invalid x509.CertificateInvalidError
	var hostname x509.HostnameError
	var verify *tls.CertificateVerificationError
	var header tls.RecordHeaderError

	switch {
	case !k.SecurityProtocol.UsesTLS() && isTLSAlertResponse(err):
		fix := "SSL (or SASL_SSL)"
		if k.SecurityProtocol.UsesSASL() {
			fix = "SASL_SSL"
		}
		return secErr(ErrTLS, err, "the broker answered the first request of KAFKA_SECURITY_PROTOCOL=%s with a TLS alert: this listener expects TLS: set KAFKA_SECURITY_PROTOCOL=%s and KAFKA_CLUSTER_CA_PATH (or point KAFKA_BOOTSTRAP_SERVERS at a plaintext listener)", k.SecurityProtocol, fix)
	case k.SecurityProtocol.UsesSASL() && errors.Is(err, kerr.SaslAuthenticationFailed):
		return secErr(ErrAuthentication, err, "the broker rejected the %s: check KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD", user)
	case k.SecurityProtocol.UsesSASL() && errors.Is(err, kerr.UnsupportedSaslMechanism):
		return secErr(ErrAuthentication, err, "the broker does not enable KAFKA_SASL_MECHANISM=%s on this listener: use one it enables (PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512)", k.SASLMechanism)
	case k.SecurityProtocol.UsesSASL() && errors.Is(err, kerr.IllegalSaslState):
		return secErr(ErrAuthentication, err, "the broker refused the SASL exchange for the %s: is SASL enabled on this listener? check KAFKA_SECURITY_PROTOCOL", user)
	case k.SecurityProtocol.UsesSASL() && s.saslCuts > 0 && (errors.Is(context.Cause(ctx), errSASLCut) || isEOF(err)):
		return secErr(ErrAuthentication, s.saslErr,
			"the broker closed the connection while checking the %s, as brokers do for wrong credentials: check KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD, and that the broker enables KAFKA_SASL_MECHANISM=%s (and SASL at all) on this listener",
			user, k.SASLMechanism)
	case errors.As(err, &firstEOF) && !k.SecurityProtocol.UsesTLS() && s.apiEOF:
		return secErr(ErrTLS, err, "the broker closed the connection at the first request of KAFKA_SECURITY_PROTOCOL=%s: is the broker expecting TLS? set KAFKA_SECURITY_PROTOCOL=SSL (or SASL_SSL) and KAFKA_CLUSTER_CA_PATH", k.SecurityProtocol)
	case errors.As(err, &firstEOF) && k.SecurityProtocol.UsesTLS() && s.dialEOF:
		return secErr(ErrTLS, err, "the broker closed the connection during the TLS handshake: is this a plaintext listener? point KAFKA_BOOTSTRAP_SERVERS at the TLS listener, or set KAFKA_SECURITY_PROTOCOL=PLAINTEXT (or SASL_PLAINTEXT)")
	case errors.As(err, &firstEOF) && !k.SecurityProtocol.UsesSASL():
		return secErr(ErrAuthentication, err, "the broker closed the connection after the first request of KAFKA_SECURITY_PROTOCOL=%s: does it require SASL? set KAFKA_SECURITY_PROTOCOL=SASL_SSL (or SASL_PLAINTEXT) with KAFKA_SASL_MECHANISM, KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD", k.SecurityProtocol)
	case !k.SecurityProtocol.UsesTLS():
		return nil
	case errors.As(err, &unknown):
		return secErr(ErrTLS, err, "the broker's certificate%s is not signed by %s", certName(brokerLeaf(err, unknown.Cert)), caSource(k, tc))
	case errors.As(err, &invalid) && (invalid.Reason == x509.Expired):
		return secErr(ErrTLS, err, "the broker's certificate%s is expired or not valid yet (checked against %s): renew it on the broker, or check this machine's clock", certName(invalid.Cert), caSource(k, tc))
	case errors.As(err, &invalid):
		return secErr(ErrTLS, err, "the broker's certificate%s is not valid for TLS server use (checked against %s)", certName(invalid.Cert), caSource(k, tc))
	case errors.As(err, &hostname):
		return secErr(ErrTLS, err, "the broker's certificate does not name the host it was reached at: use in KAFKA_BOOTSTRAP_SERVERS a name the certificate covers (and check the brokers' advertised listeners)")
	case errors.As(err, &verify):
		return secErr(ErrTLS, err, "the broker's certificate does not verify against %s", caSource(k, tc))
	case errors.As(err, &header):
		return secErr(ErrTLS, err, "the broker did not answer with TLS: is this a plaintext listener? point KAFKA_BOOTSTRAP_SERVERS at the TLS listener, or set KAFKA_SECURITY_PROTOCOL=PLAINTEXT (or SASL_PLAINTEXT)")
	}
	if alert, ok := remoteAlert(err); ok {
		return secErr(ErrTLS, err, "%s", clientCertReason(k, tc, alert))
	}
	return nil
}

// brokerLeaf returns the broker's own certificate from a failed
// verification, or fallback. A broker that sends its CA after its leaf (as
// Strimzi's do) makes x509.UnknownAuthorityError name that CA, the last
// certificate of the chain it could build; the leaf is the first
// certificate the broker sent, which crypto/tls keeps in
// tls.CertificateVerificationError.UnverifiedCertificates.
func brokerLeaf(err error, fallback *x509.Certificate) *x509.Certificate {
	var verify *tls.CertificateVerificationError
	if errors.As(err, &verify) && len(verify.UnverifiedCertificates) > 0 {
		return verify.UnverifiedCertificates[0]
	}
	return fallback
}

// tlsAlertText is how franz-go reports a response that starts like a TLS
// alert record (a TLS listener refusing the plaintext ApiVersions request;
// real Kafka answers so, where kfake closes the connection). kgo v1.22
// builds that error with fmt.Errorf and no %w (brokerCxn.parseReadSize in
// pkg/kgo/broker.go) and exports no type or sentinel for it, so its text is
// the only thing to match: a franz-go upgrade that rewords it fails
// TestPlaintextClientToTLSListener.
const tlsAlertText = "appear to be a tls alert record"

// isTLSAlertResponse reports whether err is franz-go's "the broker answered
// with a TLS alert record" error.
func isTLSAlertResponse(err error) bool {
	return err != nil && strings.Contains(err.Error(), tlsAlertText)
}

// isEOF reports whether err is a connection cut short.
func isEOF(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, context.Canceled)
}

// TLS alerts a broker sends when it rejects the client's certificate
// (RFC 8446, section 6.2).
const (
	alertHandshakeFailure     = 40
	alertBadCertificate       = 42
	alertUnsupportedCert      = 43
	alertCertificateRevoked   = 44
	alertCertificateExpired   = 45
	alertCertificateUnknown   = 46
	alertUnknownCA            = 48
	alertAccessDenied         = 49
	alertCertificateRequired  = 116
	alertProtocolVersion      = 70
	alertInsufficientSecurity = 71
)

// remoteAlert returns the TLS alert the broker sent, if err is one.
// crypto/tls reports it as a *net.OpError with Op "remote error" wrapping
// its unexported alert type, a uint8: its value is read by reflection, as
// no exported API gives it (tls.AlertError is QUIC's).
func remoteAlert(err error) (uint8, bool) {
	var oe *net.OpError
	if !errors.As(err, &oe) || oe.Op != "remote error" || oe.Err == nil {
		return 0, false
	}
	v := reflect.ValueOf(oe.Err)
	if v.Kind() != reflect.Uint8 {
		return 0, false
	}
	return uint8(v.Uint()), true
}

// clientCertReason says why the broker sent alert during the handshake,
// naming the client certificate variable; tc is the client's TLS
// configuration.
func clientCertReason(k config.Kafka, tc *tls.Config, alert uint8) string {
	cert := clientCertName(k, tc)
	switch alert {
	case alertCertificateRequired, alertHandshakeFailure, alertBadCertificate, alertUnknownCA, alertCertificateUnknown:
		if !hasClientCert(tc) {
			return "the broker requires a client certificate (mutual TLS) and none is configured: set KAFKA_CLIENT_CERT_PATH and KAFKA_CLIENT_KEY_PATH (Strimzi: user.crt and user.key of the KafkaUser's secret)"
		}
		return fmt.Sprintf("the broker did not accept %s: it must be signed by a CA the broker trusts for clients (Strimzi: the clients CA, as in the KafkaUser's secret) and match KAFKA_CLIENT_KEY_PATH", cert)
	case alertCertificateExpired:
		return fmt.Sprintf("the broker rejected %s as expired: renew it (Strimzi renews the KafkaUser's secret; reload the files and restart)", cert)
	case alertCertificateRevoked:
		return fmt.Sprintf("the broker rejected %s as revoked: use a current certificate", cert)
	case alertUnsupportedCert, alertAccessDenied:
		return fmt.Sprintf("the broker rejected %s: check its key usage (TLS client authentication) and the user's permissions", cert)
	case alertProtocolVersion, alertInsufficientSecurity:
		return "the broker refused the TLS version or ciphers (this client requires TLS 1.2 or later): check the listener's TLS settings"
	}
	return "the broker refused the TLS handshake: check KAFKA_SECURITY_PROTOCOL and the listener's TLS settings"
}

// hasClientCert reports whether the TLS configuration tc sends a
// certificate.
func hasClientCert(tc *tls.Config) bool {
	return tc != nil && (len(tc.Certificates) > 0 || tc.GetClientCertificate != nil)
}

// clientCertName describes the client certificate of tc for messages: its
// variable and file (KAFKA_CLIENT_CERT_PATH), subject, issuer and expiry.
// The certificate is the one loaded when the client was built, so a file
// changed since is not read again.
func clientCertName(k config.Kafka, tc *tls.Config) string {
	name := "the client certificate of the TLS configuration"
	if k.ClientCertPath != "" {
		name = fmt.Sprintf("KAFKA_CLIENT_CERT_PATH %q", k.ClientCertPath)
	}
	if tc != nil && len(tc.Certificates) > 0 && tc.Certificates[0].Leaf != nil {
		leaf := tc.Certificates[0].Leaf
		name += fmt.Sprintf(" (%s, issued by %s, valid until %s)", leaf.Subject, leaf.Issuer, leaf.NotAfter.UTC().Format(time.RFC3339))
	}
	return name
}

// certName describes a broker certificate for messages, or "".
func certName(c *x509.Certificate) string {
	if c == nil {
		return ""
	}
	return fmt.Sprintf(" (%s, issued by %s)", c.Subject, c.Issuer)
}

// caSource names where the client's trusted CAs come from; tc is the
// client's TLS configuration.
func caSource(k config.Kafka, tc *tls.Config) string {
	switch {
	case k.ClusterCAPath != "":
		return fmt.Sprintf("the CA in KAFKA_CLUSTER_CA_PATH %q: use the cluster CA certificate (Strimzi: ca.crt of the <cluster>-cluster-ca-cert secret)", k.ClusterCAPath)
	case tc != nil && tc.RootCAs != nil:
		return "the CAs of the TLS configuration's RootCAs (passed with kgo.DialTLSConfig)"
	}
	return "a CA of the system pool: set KAFKA_CLUSTER_CA_PATH to the cluster CA certificate (Strimzi: ca.crt of the <cluster>-cluster-ca-cert secret)"
}
