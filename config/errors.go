package config

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// Error reports every bad variable (or setting of a YAML file) of a
// configuration at once. Its message starts with "config: invalid configuration" and lists
// each VarError, separated by "; ":
//
//	config: invalid configuration: METRICS_APP_NAME: required in every mode (set METRICS_APP_NAME, or METRICS_APPLICATION as Phalanx sets it; e.g. "myapp"); KAFKA_SECURITY_PROTOCOL: "FOO" is not one of PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL
//
// Values of secret variables (passwords, URL user-info, key files) never
// appear in it. errors.As finds it (every bad configuration is an *Error), and each
// *VarError and, through it, the underlying cause (for example an
// *fs.PathError for a missing PEM file).
type Error struct {
	// Vars lists the problems in the order of the variables in the package
	// documentation (a setting of a YAML file where its variable would be,
	// the file's unknown keys last); a variable may appear more than once.
	Vars []VarError
}

// Error implements the error interface.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("config: invalid configuration")
	for i := range e.Vars {
		if i == 0 {
			b.WriteString(": ")
		} else {
			b.WriteString("; ")
		}
		b.WriteString(e.Vars[i].Error())
	}
	return b.String()
}

// Unwrap returns each entry of Vars as a *VarError.
func (e *Error) Unwrap() []error {
	errs := make([]error, len(e.Vars))
	for i := range e.Vars {
		errs[i] = &e.Vars[i]
	}
	return errs
}

// VarError is one problem with one environment variable (or, for a Config
// built in code, with the field that the variable would set, and for
// Safir's YAML block, SafirMetrics, with one of its settings).
type VarError struct {
	// Name is the environment variable, e.g. "KAFKA_SECURITY_PROTOCOL", the
	// YAML path of a setting read from Safir's metrics block, e.g.
	// "metrics.schemaManager.registryUrl", or, for a Config built in code,
	// the Go path of its field, e.g. "Config.Kafka.SecurityProtocol".
	Name string
	// Reason says what is wrong and how to fix it. It may quote the value of
	// a non-secret variable, never that of a secret one.
	Reason string
	// Err is the underlying cause, if any (a parse error, an *fs.PathError,
	// an x509 error). It never carries secret values.
	Err error
}

// Error returns "NAME: reason".
func (e *VarError) Error() string { return e.Name + ": " + e.Reason }

// Unwrap returns Err.
func (e *VarError) Unwrap() error { return e.Err }

// problems collects VarErrors while a configuration is checked.
type problems struct {
	list []problem
	// names maps a variable to the setting of a YAML file that stands for
	// it (SafirMetrics), or to the field of a Config built in code
	// (fieldNames): problems, and the reasons that mention the variable
	// (p.name), then name that path. nil for FromEnv.
	names map[string]yamlName
}

// problem is one VarError and the variable whose documented place orders
// it in the error.
type problem struct {
	v    VarError
	rank string
}

// yamlName is the YAML path that errors name for a variable.
type yamlName struct {
	path string
	// env is set when the setting is neither in the file nor in the
	// environment: it is the variable that may give it too, which the
	// setting's problems then mention.
	env string
	// bad is set when the file gives the setting a value of the wrong
	// type, already reported: its other problems are not.
	bad bool
}

// name returns the name errors give the setting of variable env: its YAML
// path when it is read from a YAML file, else env.
func (p *problems) name(env string) string {
	if n, ok := p.names[env]; ok {
		return n.path
	}
	return env
}

// add records a problem with the setting of variable name (named as
// p.name(name) says).
func (p *problems) add(name, reason string, err error) {
	n := p.names[name]
	if n.bad {
		return
	}
	if n.env != "" {
		reason += fmt.Sprintf("; it may also come from %s in the environment", n.env)
	}
	p.addAs(name, p.name(name), reason, err)
}

// addAs records a problem named shown, ordered as variable rank (last, in
// the order they come, when rank is no variable).
func (p *problems) addAs(rank, shown, reason string, err error) {
	p.list = append(p.list, problem{v: VarError{Name: shown, Reason: reason, Err: err}, rank: rank})
}

// any reports whether a problem was recorded.
func (p *problems) any() bool { return len(p.list) > 0 }

// err returns nil when nothing was recorded, else an *Error with the
// problems sorted in the order of the variables.
func (p *problems) err() error {
	if len(p.list) == 0 {
		return nil
	}
	order := envOrder()
	rank := func(name string) int {
		if i := slices.Index(order, name); i >= 0 {
			return i
		}
		return len(order)
	}
	slices.SortStableFunc(p.list, func(a, b problem) int { return cmp.Compare(rank(a.rank), rank(b.rank)) })
	vars := make([]VarError, len(p.list))
	for i := range p.list {
		vars[i] = p.list[i].v
	}
	return &Error{Vars: vars}
}
