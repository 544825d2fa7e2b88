// Package avroname owns the Avro name rule: a name matches
// [A-Za-z_][A-Za-z0-9_]* and a full name is dot-separated names. config
// checks the application name, topic prefix and subject suffix with it, and
// payload the event, namespace, field, enum and symbol names, so both give
// the same answer.
package avroname
