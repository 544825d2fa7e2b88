// Package registrytest provides an in-process Confluent-compatible schema
// registry for tests and for the example service's embedded mode, in the
// spirit of net/http/httptest.
//
// A [Server] is franz-go's maintained fake ([srfake.Registry]) served by an
// [httptest.Server] on 127.0.0.1 and a random port, plus what the fake lacks
// and our tests need:
//
//   - real compatibility enforcement: registering (POST
//     /subjects/{subject}/versions) a schema that breaks the subject's level
//     (its PUT /config/{subject}, else the global level) is refused with HTTP
//     409 and error_code 409, as Confluent does, and POST
//     /compatibility/subjects/{subject}/versions[/{version}] answers
//     is_compatible false; the check uses hamba/avro's SchemaCompatibility
//     for NONE, BACKWARD, FORWARD, FULL and their _TRANSITIVE forms;
//   - invalid Avro is refused with HTTP 422 and error_code 42201;
//   - HTTP basic auth ([WithBasicAuth]), https ([WithTLS]);
//   - a request counter ([Server.Requests]) and an outage switch
//     ([Server.SetDown]) for fault tests.
//
// Enforcement is installed with srfake's Intercept hook, so interceptors a
// test adds through [Server.Fake] run after it. Only Avro schemas without
// references are checked; JSON and Protobuf schemas pass through unchecked.
// Schema contexts (/contexts/...) are not enforced.
package registrytest
