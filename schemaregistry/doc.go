// Package schemaregistry registers the SDK's Avro schemas with a
// Confluent-compatible schema registry and caches their ids. It is the only
// package that imports github.com/riferrei/srclient, whose errors it turns
// into its own.
//
// [New] takes the registry settings of a config.Config (config owns their
// rules) and makes no request; given the pool of the registry's CA that
// config.Config.Load built ([WithRootCAs]), it reads no file either. [Client.Register] does what
// Safir does for each event type, once: set the subject's compatibility
// level (config.Registry.Compatibility, default NONE), reuse the id of an identical
// schema already under the subject, or register a new version. The subject
// is the record's full name followed by config.Registry.Suffix. Ids are cached, so
// publishing never calls the registry. [Client.Latest] reads the latest
// schema under a subject (none is not an error), for the event manager's
// field-type guard.
//
// srclient's calls take no context. Each Client call therefore gets its own
// srclient whose HTTP transport carries the caller's ctx, bounded per
// request by config.Registry.Timeout: cancelling ctx aborts the request in flight,
// and no goroutine outlives the call.
//
// Errors: [*IncompatibleError] when the
// registry refuses a schema under the subject's level; errors matching
// [ErrUnavailable] for what a retry may cure (network, timeouts, 5xx);
// [*RequestError] for refusals it does not cure (credentials, invalid
// schema, untrusted certificate, a redirect out of the registry's origin,
// an answer larger than 8 MiB). The password never appears in errors.
//
// Credentials go only to the registry URL's scheme, host and port: a
// redirect elsewhere (https to http, another host or port) is refused
// before it is followed, as net/http alone would forward the basic-auth
// header to any port of the same host name, over http too.
//
// Tests run against package registrytest, an in-process registry (franz-go's
// srfake) that also enforces compatibility levels.
package schemaregistry
