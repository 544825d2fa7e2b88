// Package testkit holds the fixtures that the repository's own tests share,
// so that each is written once: the query event of SPEC section 5
// (QueryType, QueryEvent) and the base-model events of SPEC section 7
// (RequestBase, APICall, APIError, with the payloads Safir's side sends);
// Buffer and NewLogger, a log sink safe for
// concurrent writers and a logger that writes to one; Consume and
// ConsumeAll, which read a topic's first records, or all it holds, with
// franz-go; and Decode, which decodes a record's value with goavro against
// the registry's schema; and RegistryCall, a JSON request to a registry's REST
// API. Its subpackages are
// pki, a throw-away certificate authority and its PEM files for the TLS
// tests; proc, which builds a main package and runs it as a child
// process for the end-to-end tests; and fakes, which starts the in-process
// broker and registry the tests publish to.
//
// It is internal and for tests only: users test with
// eventmanager/eventmanagertest and schemaregistry/registrytest. It imports
// nothing else of this module, so the tests of any package, white-box ones
// included, may use it (fakes imports registrytest).
package testkit
