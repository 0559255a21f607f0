package orgsim

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/gdlogin/gdlogin/internal/recording"
)

// openAPI is the reference OpenAPI document, decoded.
type openAPI map[string]any

func loadOpenAPI(t *testing.T) openAPI {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(recording.Dir(), "gooddata-openapi-subset.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc openAPI
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	return doc
}

// operation returns the OpenAPI operation object of a path template and
// method.
func (d openAPI) operation(template, method string) (map[string]any, bool) {
	op, ok := dig(map[string]any(d), "paths", template, strings.ToLower(method)).(map[string]any)
	return op, ok
}

// schemaKeywords are the keywords the validator understands; any other
// keyword in a schema fails validation, so that nothing is skipped quietly.
var schemaKeywords = map[string]bool{
	"$ref": true, "type": true, "required": true, "properties": true, "items": true,
	"enum": true, "pattern": true, "nullable": true, "additionalProperties": true,
	"maxLength": true, "minLength": true, "allOf": true, "oneOf": true,
	"uniqueItems": true, "format": true,
	// annotations
	"description": true, "example": true, "default": true, "title": true,
}

// validate checks a decoded JSON value against an OpenAPI 3.0 schema and
// returns the violations, each prefixed with its JSON path.
func (d openAPI) validate(schema map[string]any, v any, at string) []string {
	var errs []string
	fail := func(format string, args ...any) { errs = append(errs, at+": "+fmt.Sprintf(format, args...)) }
	for k := range schema {
		if !schemaKeywords[k] {
			fail("unsupported schema keyword %q", k)
		}
	}
	if ref, ok := schema["$ref"].(string); ok {
		name, found := strings.CutPrefix(ref, "#/components/schemas/")
		target, ok := dig(map[string]any(d), "components", "schemas", name).(map[string]any)
		if !found || !ok {
			fail("unresolvable $ref %q", ref)
			return errs
		}
		return append(errs, d.validate(target, v, at)...) // siblings of $ref are ignored in OpenAPI 3.0
	}
	if v == nil {
		if schema["nullable"] != true {
			fail("null is not allowed")
		}
		return errs
	}
	for _, sub := range asList(schema["allOf"]) {
		errs = append(errs, d.validate(sub.(map[string]any), v, at)...)
	}
	if one := asList(schema["oneOf"]); one != nil {
		matched := 0
		for _, sub := range one {
			if len(d.validate(sub.(map[string]any), v, at)) == 0 {
				matched++
			}
		}
		if matched != 1 {
			fail("matches %d of the oneOf schemas, want exactly 1", matched)
		}
	}
	if enum := asList(schema["enum"]); enum != nil && !slices.ContainsFunc(enum, func(e any) bool { return reflect.DeepEqual(e, v) }) {
		fail("%v is not one of %v", v, enum)
	}
	switch typ, _ := schema["type"].(string); typ {
	case "":
	case "object":
		obj, ok := v.(map[string]any)
		if !ok {
			fail("want an object, got %T", v)
			return errs
		}
		props, _ := schema["properties"].(map[string]any)
		for _, r := range asList(schema["required"]) {
			if _, ok := obj[r.(string)]; !ok {
				fail("required property %q is missing", r)
			}
		}
		for k, pv := range obj {
			if ps, ok := props[k].(map[string]any); ok {
				errs = append(errs, d.validate(ps, pv, at+"."+k)...)
				continue
			}
			switch ap := schema["additionalProperties"].(type) {
			case bool:
				if !ap {
					fail("property %q is not allowed", k)
				}
			case map[string]any:
				errs = append(errs, d.validate(ap, pv, at+"."+k)...)
			}
		}
	case "array":
		arr, ok := v.([]any)
		if !ok {
			fail("want an array, got %T", v)
			return errs
		}
		items, _ := schema["items"].(map[string]any)
		for i, it := range arr {
			if items != nil {
				errs = append(errs, d.validate(items, it, fmt.Sprintf("%s[%d]", at, i))...)
			}
			if schema["uniqueItems"] == true {
				for _, prev := range arr[:i] {
					if reflect.DeepEqual(prev, it) {
						fail("item %d is a duplicate", i)
					}
				}
			}
		}
	case "string":
		s, ok := v.(string)
		if !ok {
			fail("want a string, got %T", v)
			return errs
		}
		if n, ok := schema["maxLength"].(float64); ok && float64(utf8.RuneCountInString(s)) > n {
			fail("longer than %v characters", n)
		}
		if n, ok := schema["minLength"].(float64); ok && float64(utf8.RuneCountInString(s)) < n {
			fail("shorter than %v characters", n)
		}
		if p, ok := schema["pattern"].(string); ok {
			if match, err := matchPattern(p, s); err != nil {
				fail("%v", err)
			} else if !match {
				fail("%q does not match %s", s, p)
			}
		}
		switch f, _ := schema["format"].(string); f {
		case "":
		case "uri":
			if u, err := url.Parse(s); err != nil || u.Scheme == "" || u.Host == "" {
				fail("%q is not an absolute URI", s)
			}
		case "date":
			if _, err := time.Parse(time.DateOnly, s); err != nil {
				fail("%q is not a date", s)
			}
		default:
			fail("unsupported string format %q", f)
		}
	case "integer":
		n, ok := v.(float64)
		if !ok || n != math.Trunc(n) {
			fail("want an integer, got %v", v)
			return errs
		}
		if f, _ := schema["format"].(string); f == "int32" && (n < math.MinInt32 || n > math.MaxInt32) {
			fail("%v is out of int32 range", n)
		} else if f != "" && f != "int32" && f != "int64" {
			fail("unsupported integer format %q", f)
		}
	case "number":
		if _, ok := v.(float64); !ok {
			fail("want a number, got %T", v)
		}
	case "boolean":
		if _, ok := v.(bool); !ok {
			fail("want a boolean, got %T", v)
		}
	default:
		fail("unsupported type %q", typ)
	}
	return errs
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}

// lookahead is the one regexp construct of the OpenAPI that Go's RE2 lacks:
// a negative lookahead for a single character at the start, as in
// ^(?!\.)[.A-Za-z0-9_-]{1,255}$.
var lookahead = regexp.MustCompile(`^\^\(\?!(\\?.)\)`)

// matchPattern applies an OpenAPI (ECMA-262) pattern with Go's regexp.
func matchPattern(pattern, s string) (bool, error) {
	if m := lookahead.FindStringSubmatch(pattern); m != nil {
		forbidden := strings.TrimPrefix(m[1], `\`)
		if strings.HasPrefix(s, forbidden) {
			return false, nil
		}
		pattern = "^" + pattern[len(m[0]):]
	}
	re, err := regexp.Compile(pattern)
	if err != nil {
		return false, fmt.Errorf("pattern %s: %v", pattern, err)
	}
	return re.MatchString(s), nil
}

// TestSchemaValidator makes sure the validator can fail.
func TestSchemaValidator(t *testing.T) {
	d := loadOpenAPI(t)
	ref := func(name string) map[string]any { return map[string]any{"$ref": "#/components/schemas/" + name} }
	good := map[string]any{"data": map[string]any{"id": "ok-1", "type": "apiToken"}}
	for _, tc := range []struct {
		name   string
		schema string
		value  string
		errs   int // 0: valid
	}{
		{"valid token document", "JsonApiApiTokenOutDocument", `{"data":{"attributes":{},"id":"a.b","type":"apiToken"},"links":{"self":"http://h.example.com/x"}}`, 0},
		{"leading dot", "JsonApiApiTokenOut", `{"id":".a","type":"apiToken"}`, 1},
		{"bad enum", "JsonApiApiTokenOut", `{"id":"a","type":"token"}`, 1},
		{"missing required", "JsonApiApiTokenOutDocument", `{"links":{"self":"http://h.example.com/"}}`, 1},
		{"relative uri", "ObjectLinks", `{"self":"/x"}`, 1},
		{"wrong type", "JsonApiApiTokenOutList", `{"data":{}}`, 1},
		{"duplicate items", "JsonApiApiTokenOutList", `{"data":[{"id":"a","type":"apiToken"},{"id":"a","type":"apiToken"}]}`, 1},
		{"static features", "Profile", `{"entitlements":[],"features":{"context":{"earlyAccess":"","earlyAccessValues":[]},"items":{"a":"b"}},"links":{"organization":"o","self":"s","user":"u"},"organizationId":"o","organizationName":"n","permissions":["MANAGE"],"telemetryConfig":{"context":{"deploymentId":"d","organizationHash":"o","userHash":"u"},"services":{}},"userId":"u"}`, 0},
		{"features matching neither", "Profile", `{"entitlements":[],"features":{"context":{"earlyAccess":"","earlyAccessValues":[]}},"links":{"organization":"o","self":"s","user":"u"},"organizationId":"o","organizationName":"n","permissions":["MANAGE"],"telemetryConfig":{"context":{"deploymentId":"d","organizationHash":"o","userHash":"u"},"services":{}},"userId":"u"}`, 1},
		{"unknown permission", "Profile", `{"entitlements":[],"features":{"context":{"earlyAccess":"","earlyAccessValues":[]},"items":{}},"links":{"organization":"o","self":"s","user":"u"},"organizationId":"o","organizationName":"n","permissions":["ROOT"],"telemetryConfig":{"context":{"deploymentId":"d","organizationHash":"o","userHash":"u"},"services":{}},"userId":"u"}`, 1},
		{"bad rsa alg", "RsaSpecification", `{"alg":"HS256","e":"AQAB","kid":"k","kty":"RSA","n":"xx","use":"sig"}`, 1},
		{"kid with leading dot", "RsaSpecification", `{"alg":"RS256","e":"AQAB","kid":".k","kty":"RSA","n":"xx","use":"sig"}`, 1},
		{"additional property type", "StaticFeatures", `{"context":{"earlyAccess":"","earlyAccessValues":[]},"items":{"a":1}}`, 1},
		{"int32 overflow", "PageMetadata", `{"number":4294967296}`, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var v any
			if err := json.Unmarshal([]byte(tc.value), &v); err != nil {
				t.Fatal(err)
			}
			errs := d.validate(ref(tc.schema), v, "$")
			if len(errs) != tc.errs {
				t.Errorf("got %d errors %q, want %d", len(errs), errs, tc.errs)
			}
		})
	}
	if errs := d.validate(map[string]any{"type": "string", "const": "x"}, "x", "$"); len(errs) != 1 {
		t.Errorf("unknown keyword not reported: %q", errs)
	}
	if errs := d.validate(ref("JsonApiApiTokenInDocument"), any(good), "$"); len(errs) != 0 {
		t.Errorf("map[string]any body refused: %q", errs)
	}
}

// testKeys are RSA keys shared by the tests (generating them is slow).
var testKeys = sync.OnceValue(func() [2]*rsa.PrivateKey {
	var keys [2]*rsa.PrivateKey
	for i := range keys {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		keys[i] = k
	}
	return keys
})

// jwkContent is the RsaSpecification of a public key.
func jwkContent(kid, alg string, pub *rsa.PublicKey) map[string]any {
	return map[string]any{
		"kty": "RSA", "alg": alg, "use": "sig", "kid": kid,
		"n": base64.RawURLEncoding.EncodeToString(pub.N.Bytes()),
		"e": base64.RawURLEncoding.EncodeToString(big.NewInt(int64(pub.E)).Bytes()),
	}
}

func jwkBody(id string, content map[string]any) map[string]any {
	return map[string]any{"data": map[string]any{
		"id": id, "type": "jwk", "attributes": map[string]any{"content": content},
	}}
}

// TestOpenAPIConformance validates the emulator's answers against the
// schemas that the OpenAPI names for each operation, status and content
// type.
func TestOpenAPIConformance(t *testing.T) {
	d := loadOpenAPI(t)
	s := start(t, Options{})
	admin := s.AdminToken()
	key := testKeys()[0]

	// conform sends a request and validates the answer against the OpenAPI.
	conform := func(t *testing.T, template string, c call, status int) map[string]any {
		t.Helper()
		if c.method == "" {
			c.method = http.MethodGet
		}
		op, ok := d.operation(template, c.method)
		if !ok {
			t.Fatalf("%s %s is not in the OpenAPI", c.method, template)
		}
		if c.body != nil {
			ct := mediaJSONAPI
			if v, ok := c.header["Content-Type"]; ok {
				ct = v
			}
			schema, ok := dig(op, "requestBody", "content", ct, "schema").(map[string]any)
			if !ok {
				t.Fatalf("%s %s takes no %s body", c.method, template, ct)
			}
			raw, _ := json.Marshal(c.body)
			var v any
			_ = json.Unmarshal(raw, &v)
			if errs := d.validate(schema, v, "request"); len(errs) > 0 {
				t.Fatalf("the test's own request is invalid: %q", errs)
			}
		}
		r := do(t, s, c)
		if r.status != status {
			t.Fatalf("%s %s: status %d, want %d; %s", c.method, c.path, r.status, status, r.body)
		}
		resp, ok := dig(op, "responses", fmt.Sprint(status)).(map[string]any)
		if !ok {
			t.Fatalf("%s %s: status %d is not documented", c.method, template, status)
		}
		if status == http.StatusNoContent {
			if len(r.body) != 0 {
				t.Errorf("204 with a body: %s", r.body)
			}
			return nil
		}
		ct := r.header.Get("Content-Type")
		schema, ok := dig(resp, "content", ct, "schema").(map[string]any)
		if !ok {
			t.Fatalf("%s %s: content type %q is not documented for %d", c.method, template, ct, status)
		}
		var v any
		if err := json.Unmarshal(r.body, &v); err != nil {
			t.Fatalf("%s %s: %v", c.method, c.path, err)
		}
		if errs := d.validate(schema, v, "$"); len(errs) > 0 {
			t.Errorf("%s %s: answer does not conform:\n%s\n%s", c.method, c.path, strings.Join(errs, "\n"), r.body)
		}
		return v.(map[string]any)
	}

	const tokens = "/api/v1/entities/users/{userId}/apiTokens"
	const token = tokens + "/{id}"
	jsonHeader := map[string]string{"Accept": mediaJSON, "Content-Type": mediaJSON}
	vndHeader := map[string]string{"Accept": mediaJSONAPI}

	t.Run("profile", func(t *testing.T) {
		for _, bearer := range []string{admin, mustIssue(t, s, "jane.roe", "jane")} {
			p := conform(t, "/api/v1/profile", call{method: "GET", path: "/api/v1/profile", bearer: bearer}, 200)
			// Same top-level fields as the reference example.
			raw, err := os.ReadFile(filepath.Join(recording.Dir(), "profile-response-example.json"))
			if err != nil {
				t.Fatal(err)
			}
			var example map[string]any
			if err := json.Unmarshal(raw, &example); err != nil {
				t.Fatal(err)
			}
			for k := range example {
				if _, ok := p[k]; !ok {
					t.Errorf("profile lacks %q", k)
				}
			}
			for k := range p {
				if _, ok := example[k]; !ok {
					t.Errorf("profile has %q, which the example lacks", k)
				}
			}
		}
	})
	t.Run("tokens", func(t *testing.T) {
		created := conform(t, tokens, call{method: "POST", path: "/api/v1/entities/users/john.doe/apiTokens", bearer: admin, body: tokenBody("cli-1"), header: jsonHeader}, 201)
		if dig(created, "data", "attributes", "bearerToken") == nil {
			t.Error("no bearerToken at creation")
		}
		conform(t, tokens, call{method: "POST", path: "/api/v1/entities/users/john.doe/apiTokens", bearer: admin, body: tokenBody("cli-2"), header: vndHeader}, 201)
		for _, h := range []map[string]string{jsonHeader, vndHeader, nil} {
			conform(t, tokens, call{path: "/api/v1/entities/users/john.doe/apiTokens?page=0&size=1&metaInclude=page", bearer: admin, header: h}, 200)
			conform(t, tokens, call{path: "/api/v1/entities/users/john.doe/apiTokens", bearer: admin, header: h}, 200)
			got := conform(t, token, call{path: "/api/v1/entities/users/john.doe/apiTokens/cli-1", bearer: admin, header: h}, 200)
			if dig(got, "data", "attributes", "bearerToken") != nil {
				t.Error("GET shows the secret")
			}
		}
		conform(t, token, call{method: "DELETE", path: "/api/v1/entities/users/john.doe/apiTokens/cli-2", bearer: admin}, 204)
	})
	t.Run("users", func(t *testing.T) {
		for _, id := range []string{"john.doe", "admin", "jane.roe"} {
			u := conform(t, "/api/v1/entities/users/{id}", call{path: "/api/v1/entities/users/" + id, bearer: admin, header: vndHeader}, 200)
			if dig(u, "data", "id") != id {
				t.Errorf("user id %v, want %s", dig(u, "data", "id"), id)
			}
		}
	})
	t.Run("jwks", func(t *testing.T) {
		const jwks, jwk = "/api/v1/entities/jwks", "/api/v1/entities/jwks/{id}"
		content := jwkContent("kid-1", "RS256", &key.PublicKey)
		conform(t, jwks, call{method: "POST", path: jwks, bearer: admin, body: jwkBody("idp", content)}, 201)
		conform(t, jwks, call{path: jwks + "?metaInclude=page", bearer: admin}, 200)
		got := conform(t, jwk, call{path: jwks + "/idp", bearer: admin, header: vndHeader}, 200)
		if !reflect.DeepEqual(dig(got, "data", "attributes", "content"), dig(jwkBody("idp", content), "data", "attributes", "content")) {
			t.Errorf("stored content differs: %v", dig(got, "data", "attributes", "content"))
		}
		content["alg"] = "RS512"
		got = conform(t, jwk, call{method: "PUT", path: jwks + "/idp", bearer: admin, body: jwkBody("idp", content)}, 200)
		if dig(got, "data", "attributes", "content", "alg") != "RS512" {
			t.Error("PUT did not replace the content")
		}
		content["kid"] = "kid-2"
		got = conform(t, jwk, call{method: "PATCH", path: jwks + "/idp", bearer: admin, body: jwkBody("idp", content)}, 200)
		if dig(got, "data", "attributes", "content", "kid") != "kid-2" {
			t.Error("PATCH did not replace the content")
		}
		conform(t, jwk, call{method: "DELETE", path: jwks + "/idp", bearer: admin}, 204)
	})
}

// TestRoutesAreInOpenAPI checks that every operation the emulator serves
// under /api/v1 exists in the OpenAPI. /options is the one exception: the
// recorded invalid-bearer exchange probes it, and the subset omits it.
func TestRoutesAreInOpenAPI(t *testing.T) {
	d := loadOpenAPI(t)
	s, err := newServer(Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, rt := range s.routes {
		if rt.pattern == "/options" {
			continue
		}
		op, ok := d.operation("/api/v1"+rt.pattern, rt.method)
		if !ok {
			t.Errorf("%s /api/v1%s is served but not in the OpenAPI", rt.method, rt.pattern)
			continue
		}
		// The vendor media type is offered exactly where the OpenAPI lists it.
		lists := false
		for _, resp := range op["responses"].(map[string]any) {
			if _, ok := dig(resp, "content", mediaJSONAPI).(map[string]any); ok {
				lists = true
			}
		}
		if rt.jsonAPI != lists && rt.method != http.MethodDelete {
			t.Errorf("%s %s: jsonAPI=%v but the OpenAPI lists it: %v", rt.method, rt.pattern, rt.jsonAPI, lists)
		}
	}
}

func mustIssue(t *testing.T, s *Server, user, id string) string {
	t.Helper()
	b, err := s.IssueToken(user, id)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
