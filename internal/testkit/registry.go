package testkit

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
)

// RegistryCall sends a JSON request to the Confluent-compatible registry at
// baseURL (http://host:port) and decodes a 2xx answer into out (when not
// nil). A non-2xx answer is returned as a *RegistryError.
func RegistryCall(ctx context.Context, baseURL, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, baseURL+path, body)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/vnd.schemaregistry.v1+json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		re := &RegistryError{Method: method, Path: path, Status: resp.StatusCode, Raw: string(b)}
		_ = json.Unmarshal(b, &re.Body)
		return re
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(b, out)
}

// RegistryError is a registry's non-2xx answer to RegistryCall.
type RegistryError struct {
	Method, Path string
	Status       int
	Body         struct {
		ErrorCode int    `json:"error_code"`
		Message   string `json:"message"`
	}
	Raw string // the answer's body as it came
}

func (e *RegistryError) Error() string {
	return fmt.Sprintf("registry %s %s: HTTP %d: %s", e.Method, e.Path, e.Status, e.Raw)
}
