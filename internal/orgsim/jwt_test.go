package orgsim

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"strings"
	"testing"
	"time"
)

// signJWT makes a compact RS* JWS; a nil header or claims value leaves that
// member out.
func signJWT(t *testing.T, key *rsa.PrivateKey, alg string, header, claims map[string]any) string {
	t.Helper()
	enc := func(v map[string]any) string {
		raw, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return base64.RawURLEncoding.EncodeToString(raw)
	}
	input := enc(header) + "." + enc(claims)
	hash := map[string]crypto.Hash{"RS256": crypto.SHA256, "RS384": crypto.SHA384, "RS512": crypto.SHA512}[alg]
	h := hash.New()
	h.Write([]byte(input))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, hash, h.Sum(nil))
	if err != nil {
		t.Fatal(err)
	}
	return input + "." + base64.RawURLEncoding.EncodeToString(sig)
}

// with copies a map and sets (or, for nil, removes) keys.
func with(m map[string]any, kv ...any) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		out[k] = v
	}
	for i := 0; i < len(kv); i += 2 {
		if kv[i+1] == nil {
			delete(out, kv[i].(string))
		} else {
			out[kv[i].(string)] = kv[i+1]
		}
	}
	return out
}

func TestJWTBearer(t *testing.T) {
	s := start(t, Options{})
	admin := s.AdminToken()
	keys := testKeys()
	idp, other := keys[0], keys[1]

	// Only MANAGE may register keys.
	john := mustIssue(t, s, "john.doe", "t")
	detail := wantProblem(t, do(t, s, call{method: "POST", path: "/api/v1/entities/jwks", bearer: john, body: jwkBody("idp", jwkContent("k1", "RS256", &idp.PublicKey))}), http.StatusForbidden)
	if !strings.Contains(detail, PermissionManage) {
		t.Errorf("403 detail %q does not name MANAGE", detail)
	}
	wantProblem(t, do(t, s, call{path: "/api/v1/entities/jwks", bearer: john}), http.StatusForbidden)

	for _, k := range []struct {
		id, kid, alg string
		key          *rsa.PrivateKey
	}{{"idp", "k1", "RS256", idp}, {"idp-512", "k512", "RS512", idp}} {
		r := do(t, s, call{method: "POST", path: "/api/v1/entities/jwks", bearer: admin, body: jwkBody(k.id, jwkContent(k.kid, k.alg, &k.key.PublicKey))})
		if r.status != http.StatusCreated {
			t.Fatalf("register %s: %d %s", k.id, r.status, r.body)
		}
	}

	now := time.Now().Unix()
	hdr := map[string]any{"alg": "RS256", "kid": "k1", "typ": "JWT"}
	claims := map[string]any{"sub": "john.doe", "iat": now, "exp": now + 300, "iss": "https://idp.example.com", "aud": "anything"}
	for _, tc := range []struct {
		name  string
		token string
		ok    bool
	}{
		{"good", signJWT(t, idp, "RS256", hdr, claims), true},
		{"no typ", signJWT(t, idp, "RS256", with(hdr, "typ", nil), claims), true},
		{"RS512 key", signJWT(t, idp, "RS512", with(hdr, "alg", "RS512", "kid", "k512"), claims), true},
		{"no iss or aud", signJWT(t, idp, "RS256", hdr, with(claims, "iss", nil, "aud", nil)), true},
		{"fractional exp", signJWT(t, idp, "RS256", hdr, with(claims, "exp", float64(now)+300.5)), true},
		{"unknown kid", signJWT(t, idp, "RS256", with(hdr, "kid", "k2"), claims), false},
		{"missing kid", signJWT(t, idp, "RS256", with(hdr, "kid", nil), claims), false},
		{"alg differs from the key's", signJWT(t, idp, "RS384", with(hdr, "alg", "RS384"), claims), false},
		{"RS512 header on the RS256 key", signJWT(t, idp, "RS512", with(hdr, "alg", "RS512"), claims), false},
		{"typ at+jwt", signJWT(t, idp, "RS256", with(hdr, "typ", "at+jwt"), claims), false},
		{"crit header", signJWT(t, idp, "RS256", with(hdr, "crit", []string{"exp"}), claims), false},
		{"missing exp", signJWT(t, idp, "RS256", hdr, with(claims, "exp", nil)), false},
		{"missing iat", signJWT(t, idp, "RS256", hdr, with(claims, "iat", nil)), false},
		{"exp as a string", signJWT(t, idp, "RS256", hdr, with(claims, "exp", "9999999999")), false},
		{"expired", signJWT(t, idp, "RS256", hdr, with(claims, "exp", now-60, "iat", now-360)), false},
		{"not yet valid", signJWT(t, idp, "RS256", hdr, with(claims, "nbf", now+600)), false},
		{"unknown sub", signJWT(t, idp, "RS256", hdr, with(claims, "sub", "john.doe@example.com")), false},
		{"missing sub", signJWT(t, idp, "RS256", hdr, with(claims, "sub", nil)), false},
		{"signed by another key", signJWT(t, other, "RS256", hdr, claims), false},
		{"tampered claims", tamper(signJWT(t, idp, "RS256", hdr, claims), with(claims, "sub", "admin")), false},
		{"alg none", unsigned(map[string]any{"alg": "none", "kid": "k1"}, claims), false},
		{"HS256 with the public key as secret", unsigned(with(hdr, "alg", "HS256"), claims) + "c2ln", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s.ResetRequests()
			r := do(t, s, call{path: "/api/v1/profile", bearer: tc.token})
			log := s.Requests()
			if len(log) != 1 {
				t.Fatalf("log has %d entries", len(log))
			}
			if !tc.ok {
				wantInvalidBearer(t, r)
				if log[0].Auth != "invalid" {
					t.Errorf("log Auth %q", log[0].Auth)
				}
				return
			}
			if r.status != http.StatusOK || r.json(t)["userId"] != "john.doe" {
				t.Fatalf("%d %s", r.status, r.body)
			}
			if log[0].Auth != "jwt:john.doe" {
				t.Errorf("log Auth %q", log[0].Auth)
			}
		})
	}

	// A JWT bearer can create the user's API token, as gdlogin's OIDC mode does.
	good := signJWT(t, idp, "RS256", hdr, claims)
	r := do(t, s, call{method: "POST", path: "/api/v1/entities/users/john.doe/apiTokens", bearer: good, body: tokenBody("from-oidc")})
	if r.status != http.StatusCreated {
		t.Fatalf("create with a JWT: %d %s", r.status, r.body)
	}
	// Deleting the key ends JWT logins at once.
	if r := do(t, s, call{method: "DELETE", path: "/api/v1/entities/jwks/idp", bearer: admin}); r.status != http.StatusNoContent {
		t.Fatalf("delete key: %d", r.status)
	}
	wantInvalidBearer(t, do(t, s, call{path: "/api/v1/profile", bearer: good}))
}

// tamper replaces the claims of a signed token, keeping the signature.
func tamper(token string, claims map[string]any) string {
	parts := strings.Split(token, ".")
	raw, _ := json.Marshal(claims)
	return parts[0] + "." + base64.RawURLEncoding.EncodeToString(raw) + "." + parts[2]
}

func unsigned(header, claims map[string]any) string {
	h, _ := json.Marshal(header)
	c, _ := json.Marshal(claims)
	return base64.RawURLEncoding.EncodeToString(h) + "." + base64.RawURLEncoding.EncodeToString(c) + "."
}

func TestJWKValidation(t *testing.T) {
	s := start(t, Options{})
	admin := s.AdminToken()
	key := testKeys()[0]
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	good := jwkContent("k1", "RS256", &key.PublicKey)
	if r := do(t, s, call{method: "POST", path: "/api/v1/entities/jwks", bearer: admin, body: jwkBody("idp", good)}); r.status != http.StatusCreated {
		t.Fatalf("register: %d %s", r.status, r.body)
	}
	cert := selfSigned(t, key)
	for _, tc := range []struct {
		name   string
		body   any
		status int
	}{
		{"duplicate id", jwkBody("idp", good), 409},
		{"HS256", jwkBody("k", with(good, "alg", "HS256")), 400},
		{"EC key type", jwkBody("k", with(good, "kty", "EC")), 400},
		{"use enc", jwkBody("k", with(good, "use", "enc")), 400},
		{"no kid", jwkBody("k", with(good, "kid", nil)), 400},
		{"kid with a leading dot", jwkBody("k", with(good, "kid", ".k")), 400},
		{"n not base64url", jwkBody("k", with(good, "n", "not base64!")), 400},
		{"1024-bit key", jwkBody("k", jwkContent("k", "RS256", &small.PublicKey)), 400},
		{"even exponent", jwkBody("k", with(good, "e", "Ag")), 400},
		{"n as a number", jwkBody("k", with(good, "n", 12)), 400},
		{"no content", map[string]any{"data": map[string]any{"id": "k", "type": "jwk"}}, 400},
		{"wrong type", map[string]any{"data": map[string]any{"id": "k", "type": "apiToken", "attributes": map[string]any{"content": good}}}, 400},
		{"bad id", jwkBody("a b", good), 400},
		{"x5c of another key", jwkBody("k", with(good, "x5c", []string{selfSigned(t, testKeys()[1])})), 400},
		{"x5c not a certificate", jwkBody("k", with(good, "x5c", []string{"AAAA"})), 400},
		{"x5c of the key", jwkBody("with-cert", with(good, "x5c", []string{cert})), 201},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := do(t, s, call{method: "POST", path: "/api/v1/entities/jwks", bearer: admin, body: tc.body})
			if tc.status == 201 {
				if r.status != 201 {
					t.Fatalf("%d %s", r.status, r.body)
				}
				return
			}
			wantProblem(t, r, tc.status)
		})
	}
	for _, tc := range []struct {
		name   string
		c      call
		status int
	}{
		{"PUT with another id in the body", call{method: "PUT", path: "/api/v1/entities/jwks/idp", bearer: admin, body: jwkBody("other", good)}, 400},
		{"PUT unknown key", call{method: "PUT", path: "/api/v1/entities/jwks/nope", bearer: admin, body: jwkBody("nope", good)}, 404},
		{"PATCH invalid content", call{method: "PATCH", path: "/api/v1/entities/jwks/idp", bearer: admin, body: jwkBody("idp", with(good, "alg", "ES256"))}, 400},
		{"PATCH without content keeps it", call{method: "PATCH", path: "/api/v1/entities/jwks/idp", bearer: admin, body: map[string]any{"data": map[string]any{"id": "idp", "type": "jwk"}}}, 200},
		{"GET unknown key", call{path: "/api/v1/entities/jwks/nope", bearer: admin}, 404},
		{"DELETE unknown key", call{method: "DELETE", path: "/api/v1/entities/jwks/nope", bearer: admin}, 404},
		{"PUT without MANAGE", call{method: "PUT", path: "/api/v1/entities/jwks/idp", bearer: mustIssue(t, s, "john.doe", "j"), body: jwkBody("idp", good)}, 403},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := do(t, s, tc.c)
			if tc.status == 200 {
				if r.status != 200 || dig(r.json(t), "data", "attributes", "content", "kid") != "k1" {
					t.Errorf("%d %s", r.status, r.body)
				}
				return
			}
			wantProblem(t, r, tc.status)
		})
	}
	// AddJWK is the same registration without the API.
	if err := s.AddJWK("helper", "kh", "RS384", &key.PublicKey); err != nil {
		t.Fatal(err)
	}
	if err := s.AddJWK("helper", "kh", "RS384", &key.PublicKey); err == nil {
		t.Error("AddJWK accepted a duplicate id")
	}
	if err := s.AddJWK("weak", "kw", "RS256", &small.PublicKey); err == nil {
		t.Error("AddJWK accepted a 1024-bit key")
	}
	now := time.Now().Unix()
	tok := signJWT(t, key, "RS384", map[string]any{"alg": "RS384", "kid": "kh"}, map[string]any{"sub": "admin", "iat": now, "exp": now + 60})
	if r := do(t, s, call{path: "/api/v1/profile", bearer: tok}); r.status != 200 {
		t.Errorf("JWT with a key from AddJWK: %d", r.status)
	}
}

func selfSigned(t *testing.T, key *rsa.PrivateKey) string {
	t.Helper()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "idp.example.com"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(der)
}
