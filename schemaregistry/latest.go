package schemaregistry

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/riferrei/srclient"
)

// Latest returns the text and version of the latest schema registered
// under Subject(fullName), as the registry stores it, read afresh (never
// cached: another client may register a version at any time). A subject that
// does not exist or has no live version is not an error: Latest returns ""
// and version 0. It blocks for one request bounded by
// config.Registry.Timeout; cancelling ctx aborts it. Errors: errors matching
// [ErrUnavailable] (retry later); [*RequestError] for refusals a retry does
// not cure (bad credentials, not a registry at this URL); ctx's error when
// ctx ends first.
func (c *Client) Latest(ctx context.Context, fullName string) (schemaJSON string, version int, err error) {
	subject := c.Subject(fullName)
	if err := checkSubject(subject); err != nil {
		return "", 0, err
	}
	schemaJSON, version, _, err = latestVersion(c.newCall(ctx), subject)
	return schemaJSON, version, err
}

// latestVersion reads the latest version of subject with k, for Latest and
// LatestResolved: its text, number and references. A subject that does not
// exist or has no live version is not an error: "", 0 and no reference.
func latestVersion(k *call, subject string) (schemaJSON string, version int, refs []Reference, err error) {
	err = k.do(opLatest, subject, func(sc *srclient.SchemaRegistryClient) error {
		s, err := sc.GetLatestSchema(subject)
		if err == nil {
			schemaJSON, version, refs = s.Schema(), s.Version(), fromSR(s.References())
		}
		return err
	})
	if re := (*RequestError)(nil); errors.As(err, &re) && re.Status == http.StatusNotFound &&
		(re.Code == codeSubjectNotFound || re.Code == codeVersionNotFound) {
		return "", 0, nil, nil
	}
	if err != nil {
		return "", 0, nil, err
	}
	return schemaJSON, version, refs, nil
}

// Reference is a Confluent schema reference: the named type Name (a full
// name, such as an enum's) is defined by version Version of subject Subject.
type Reference struct {
	Name    string
	Subject string
	Version int
}

// Resolved is the latest schema of a subject with the schemas it
// references, as [Client.LatestResolved] returns it.
type Resolved struct {
	Schema  string // the schema's text, as the registry stores it; "" when the subject has no version
	Version int    // its version; 0 when the subject has no version
	// Referenced holds the texts of the schemas it references, directly or
	// through one another, each after those it references: parsed in this
	// order into one hamba/avro SchemaCache, then Schema, they define every
	// named type Schema uses. Empty when it uses no reference.
	Referenced []string
}

// maxReferences bounds the schemas LatestResolved reads for one subject.
const maxReferences = 64

// LatestResolved is [Client.Latest] with the schemas the latest version uses
// through Confluent schema references, read with one request each
// (GET /subjects/{subject}/versions/{version}). A subject without a version is
// not an error: the zero Resolved. Errors as for Latest, and a
// [*ReferenceError] naming the reference that could not be read (it matches
// [ErrUnavailable] when a retry may cure it).
func (c *Client) LatestResolved(ctx context.Context, fullName string) (Resolved, error) {
	subject := c.Subject(fullName)
	if err := checkSubject(subject); err != nil {
		return Resolved{}, err
	}
	var res Resolved
	k := c.newCall(ctx)
	schemaJSON, version, refs, err := latestVersion(k, subject)
	if err != nil {
		return Resolved{}, err
	}
	res.Schema, res.Version = schemaJSON, version
	seen := make(map[Reference]bool)
	var resolve func(refs []Reference, depth int) error
	resolve = func(refs []Reference, depth int) error {
		for _, ref := range refs {
			key := Reference{Subject: ref.Subject, Version: ref.Version}
			if seen[key] {
				continue
			}
			seen[key] = true
			if len(seen) > maxReferences || depth > maxReferences {
				return &ReferenceError{Subject: subject, Reference: ref,
					Err: fmt.Errorf("more than %d schemas referenced", maxReferences)}
			}
			var (
				text string
				next []Reference
			)
			if err := checkSubject(ref.Subject); err != nil {
				return &ReferenceError{Subject: subject, Reference: ref, Err: err}
			}
			op := fmt.Sprintf("%s version %d", opReference, ref.Version)
			err := k.do(op, ref.Subject, func(sc *srclient.SchemaRegistryClient) error {
				s, err := sc.GetSchemaByVersion(ref.Subject, ref.Version)
				if err == nil {
					text, next = s.Schema(), fromSR(s.References())
				}
				return err
			})
			if err != nil {
				return &ReferenceError{Subject: subject, Reference: ref, Err: err}
			}
			if err := resolve(next, depth+1); err != nil {
				return err
			}
			res.Referenced = append(res.Referenced, text)
		}
		return nil
	}
	if err := resolve(refs, 1); err != nil {
		return Resolved{}, err
	}
	return res, nil
}

func fromSR(refs []srclient.Reference) []Reference {
	if len(refs) == 0 {
		return nil
	}
	out := make([]Reference, len(refs))
	for i, r := range refs {
		out[i] = Reference{Name: r.Name, Subject: r.Subject, Version: r.Version}
	}
	return out
}

// Confluent error codes of a 404 that mean "nothing registered yet". A 404
// without them (a proxy's page) stays an error: the URL is likely wrong.
const (
	codeSubjectNotFound = 40401
	codeVersionNotFound = 40402
)
