// Package recording reads the recordings of real GoodData answers kept in
// the shared reference folder (VCR-style YAML cassettes), so that the API
// client and the organization emulator are both checked against the same
// ground truth.
package recording

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"runtime"

	"go.yaml.in/yaml/v3"
)

// Interaction is one recorded request and its answer.
type Interaction struct {
	Method string
	URI    string
	// RequestHeader and ResponseHeader are canonicalised.
	RequestHeader  http.Header
	RequestBody    any // decoded JSON, or nil
	Status         int
	ResponseHeader http.Header
	ResponseBody   any // decoded JSON document; "" for an empty body
}

type cassette struct {
	Interactions []struct {
		Request struct {
			Body    any                 `yaml:"body"`
			Headers map[string][]string `yaml:"headers"`
			Method  string              `yaml:"method"`
			URI     string              `yaml:"uri"`
		} `yaml:"request"`
		Response struct {
			Body struct {
				String any `yaml:"string"`
			} `yaml:"body"`
			Headers map[string][]string `yaml:"headers"`
			Status  struct {
				Code int `yaml:"code"`
			} `yaml:"status"`
		} `yaml:"response"`
	} `yaml:"interactions"`
}

// Dir is the folder of reference files: $GDLOGIN_REFERENCE_DIR, else the
// repository's testdata/reference, a copy of the project's shared
// reference folder kept in the repository so that a clean checkout can run
// the contract tests (TestCopyMatchesSharedReference keeps it in step).
func Dir() string {
	if d := os.Getenv("GDLOGIN_REFERENCE_DIR"); d != "" {
		return d
	}
	return filepath.Join(repoRoot(), "testdata", "reference")
}

func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// Load reads one cassette from Dir().
func Load(name string) ([]Interaction, error) {
	raw, err := os.ReadFile(filepath.Join(Dir(), name))
	if err != nil {
		return nil, err
	}
	var c cassette
	if err := yaml.Unmarshal(raw, &c); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	var out []Interaction
	for _, it := range c.Interactions {
		out = append(out, Interaction{
			Method:         it.Request.Method,
			URI:            it.Request.URI,
			RequestHeader:  canonical(it.Request.Headers),
			RequestBody:    normalise(it.Request.Body),
			Status:         it.Response.Status.Code,
			ResponseHeader: canonical(it.Response.Headers),
			ResponseBody:   normalise(it.Response.Body.String),
		})
	}
	return out, nil
}

func canonical(m map[string][]string) http.Header {
	h := http.Header{}
	for k, vs := range m {
		for _, v := range vs {
			h.Add(k, v)
		}
	}
	return h
}

// normalise turns YAML-decoded values into what encoding/json would decode
// from the same document, so the two compare with reflect.DeepEqual.
func normalise(v any) any {
	if v == nil {
		return nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return v
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		return v
	}
	return out
}
