package schemaregistry

import "crypto/x509"

// Option configures a Client at [New]. Options are applied in order;
// nothing is mutable after New returns.
type Option func(*options)

type options struct {
	roots    *x509.CertPool
	rootsSet bool // WithRootCAs was given (roots may be nil: the system pool)
}

// WithRootCAs sets the pool that verifies an https registry's certificate,
// already built: config.Loaded.RegistryCAs, from the config.Config.Load
// whose Registry is given to New. New then reads no file (it does not call
// config.Registry.CertPool, and CAPath is not read again). A nil pool is the
// system pool. Default: the pool of cfg.CAPath, which New reads with
// config.Registry.CertPool. The Client uses the pool and never modifies it.
func WithRootCAs(pool *x509.CertPool) Option {
	return func(o *options) { o.roots, o.rootsSet = pool, true }
}
