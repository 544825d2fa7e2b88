package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
)

// checkHostPort returns why s is not a host[:port] broker address, or "".
// Without a port the Kafka client uses 9092; an IPv6 address with a port is
// bracketed ("[::1]:9092").
func checkHostPort(s string) string {
	bad := fmt.Sprintf("%q is not a host[:port] address", s)
	switch {
	case s == "":
		return "empty entry in the comma-separated list (check for a stray comma)"
	case strings.ContainsAny(s, " \t\r\n/@?#"):
		return bad
	case strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]"): // [v6] without port
		if net.ParseIP(s[1:len(s)-1]) == nil {
			return bad
		}
		return ""
	case !strings.HasPrefix(s, "[") && strings.Count(s, ":") > 1: // bare v6 without port
		if net.ParseIP(s) == nil {
			return bad
		}
		return ""
	case !strings.Contains(s, ":"):
		return ""
	}
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return bad
	}
	if host == "" {
		return fmt.Sprintf("%q has no host", s)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return fmt.Sprintf("%q: port %q is not a number from 1 to 65535", s, port)
	}
	return ""
}

// parseRegistryURL checks raw and splits off its user-info. It returns the
// URL without user-info and trailing slashes, or the reason it is bad; the
// reason never includes the user-info.
func parseRegistryURL(raw string) (clean, user string, pass Secret, reason string) {
	shown := strconv.Quote(redactURL(raw))
	if noScheme(raw) {
		reason = fmt.Sprintf("%s has no scheme: it must be an %s", shown, urlExample)
		hostPort := strings.TrimPrefix(raw, "//")
		if u, err := url.Parse("http://" + hostPort); err == nil && u.Host != "" && u.Hostname() != "" {
			reason += fmt.Sprintf(" (did you mean %q?)", "http://"+redactURL(hostPort))
		}
		return "", "", Secret{}, reason
	}
	u, err := url.Parse(raw)
	if err != nil {
		reason = shown + " is not a valid URL"
		var ue *url.Error
		if _, err := url.Parse(replaceUserinfo(raw, "user")); errors.As(err, &ue) {
			// The error is outside the user-info, in the part that is
			// shown: say what it is.
			reason += ": " + ue.Err.Error()
		} else {
			reason += " (percent-encode special characters in the user name and password)"
		}
		return "", "", Secret{}, reason
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", "", Secret{}, fmt.Sprintf("%s must be an %s", shown, urlExample)
	}
	if u.Opaque != "" || u.Host == "" || u.Hostname() == "" {
		return "", "", Secret{}, fmt.Sprintf("%s has no host", shown)
	}
	if u.RawQuery != "" || u.ForceQuery || u.Fragment != "" {
		return "", "", Secret{}, fmt.Sprintf("%s must not have a query or fragment", shown)
	}
	if port := u.Port(); port != "" {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return "", "", Secret{}, fmt.Sprintf("%s: port %q is not a number from 1 to 65535", shown, port)
		}
	}
	if u.User != nil {
		user = u.User.Username()
		if pw, ok := u.User.Password(); ok {
			pass = NewSecret(pw)
		}
		u.User = nil
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	return u.String(), user, pass, ""
}

// urlExample ends the reasons that a registry URL is not one.
const urlExample = "http or https URL such as http://host:8081"

// noScheme reports whether raw is a host, host:port or //host... given
// without a scheme ("registry:8081", "127.0.0.1:8081", "[::1]:8081",
// "registry"), which Go's URL parser takes for a scheme and an opaque part,
// or refuses with its own wording. A scheme that is not http(s)
// ("ftp://x", "mailto:x@y") is not missing.
func noScheme(raw string) bool {
	if strings.Contains(raw, "://") {
		return false
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil: // "127.0.0.1:8081": first path segment cannot contain a colon
		return true
	case u.Scheme == "":
		return true
	default: // "registry:8081" parses as scheme "registry" and opaque "8081"
		return u.Opaque != "" && u.Opaque[0] >= '0' && u.Opaque[0] <= '9'
	}
}

// redactURL replaces the user-info of a URL-like string by "[redacted]". It
// works on the text, so it also hides credentials of strings that do not
// parse (an unescaped "/" or "@" in a password): everything between the
// scheme and the last "@" goes.
func redactURL(raw string) string { return replaceUserinfo(raw, redacted) }

// replaceUserinfo replaces everything between the scheme and the last "@"
// of raw by placeholder.
func replaceUserinfo(raw, placeholder string) string {
	start := 0
	if i := strings.Index(raw, "://"); i >= 0 && !strings.ContainsAny(raw[:i], "/?#@") {
		start = i + len("://")
	}
	at := strings.LastIndex(raw, "@")
	if at < start {
		return raw
	}
	return raw[:start] + placeholder + raw[at:]
}
