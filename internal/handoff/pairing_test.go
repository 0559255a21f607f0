package handoff_test

import (
	"encoding/asn1"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gdlogin/gdlogin/internal/handoff"
)

// testInstallationKey signs the pairings of these tests, as gdlogin's own
// installation key does.
var testInstallationKey = func() *handoff.InstallationKey {
	k, err := handoff.NewInstallationKey(nil)
	if err != nil {
		panic(err)
	}
	return k
}()

// generator is the P-256 base point, uncompressed: a valid public key that
// needs no key generation.
var generator = mustHex("046B17D1F2E12C4247F8BCE6E563A440F277037D812DEB33A0F4A13945D898C2964FE342E2FE1A7F9B8EE7EB4A7C0F9E162BCE33576B315ECECBB6406837BF51F5")

func mustHex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// seeded is a repeatable random source for tests.
func seeded(seed string) *rand.ChaCha8 {
	var s [32]byte
	copy(s[:], seed)
	return rand.NewChaCha8(s)
}

func newSession(t testing.TB, port int, seed string) *handoff.Session {
	t.Helper()
	s, err := handoff.NewSession(port, "gdlogin-laptop", "https://analytics.example.com", testInstallationKey, seeded(seed))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestPairingCodeRoundTrip(t *testing.T) {
	s := newSession(t, 43117, "pairing")
	code := s.PairingCode()
	p, err := handoff.DecodePairing(code)
	if err != nil {
		t.Fatal(err)
	}
	want := s.Pairing()
	if p.V != 1 || p.Port != 43117 || p.State != want.State || string(p.Pub) != string(want.Pub) ||
		p.TokenID != "gdlogin-laptop" || p.Org != "https://analytics.example.com" {
		t.Fatalf("decoded %+v, want %+v", p, want)
	}
	again, err := p.Code()
	if err != nil || again != code {
		t.Fatalf("re-encoded pairing differs: %v", err)
	}
	js, _ := base64.RawURLEncoding.DecodeString(code)
	wantJSON := fmt.Sprintf(`{"v":1,"port":43117,"state":%q,"pub":%q,"tokenId":"gdlogin-laptop","org":"https://analytics.example.com","id":%q,"sig":%q}`,
		b64(want.State[:]), b64(want.Pub), testInstallationKey.IDText(), b64(want.Sig))
	if string(js) != wantJSON {
		t.Fatalf("pairing JSON\n%s\nwant\n%s", js, wantJSON)
	}
}

func TestPairingJSON(t *testing.T) {
	p := newSession(t, 0, "json").Pairing()
	js, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	var q handoff.Pairing
	if err := json.Unmarshal(js, &q); err != nil {
		t.Fatal(err)
	}
	if q.State != p.State || string(q.Pub) != string(p.Pub) || q.Port != 0 {
		t.Fatalf("JSON round trip changed the pairing: %+v", q)
	}
	if err := json.Unmarshal([]byte(`{"v":1}`), &q); !errors.Is(err, handoff.ErrMalformed) {
		t.Fatalf("json.Unmarshal of a partial pairing: %v, want ErrMalformed", err)
	}
}

func TestPairingIsACopy(t *testing.T) {
	s := newSession(t, 1, "copy")
	p := s.Pairing()
	p.Pub[1] ^= 1
	if s.Pairing().Pub[1] == p.Pub[1] {
		t.Fatal("Pairing shares its pub with the session")
	}
}

func TestNewSessionIsRepeatableWithASeededSource(t *testing.T) {
	// The state and the key repeat; the signature is randomized (ECDSA).
	a, b := newSession(t, 1, "same"), newSession(t, 1, "same")
	if a.Pairing().State != b.Pairing().State || string(a.Pairing().Pub) != string(b.Pairing().Pub) {
		t.Fatal("two sessions from the same seed differ")
	}
	if c := newSession(t, 1, "other"); c.Pairing().State == a.Pairing().State {
		t.Fatal("sessions from different seeds are equal")
	}
	x, err := handoff.NewSession(1, "id", "https://analytics.example.com", testInstallationKey, nil)
	if err != nil {
		t.Fatal(err)
	}
	y, _ := handoff.NewSession(1, "id", "https://analytics.example.com", testInstallationKey, nil)
	if x.Pairing().State == y.Pairing().State || string(x.Pairing().Pub) == string(y.Pairing().Pub) {
		t.Fatal("crypto/rand sessions repeat")
	}
}

func TestNewSessionRefusesBadInput(t *testing.T) {
	for _, c := range []struct {
		port    int
		tokenID string
		org     string
	}{
		{-1, "id", "https://analytics.example.com"},
		{65536, "id", "https://analytics.example.com"},
		{1, ".id", "https://analytics.example.com"},
		{1, "", "https://analytics.example.com"},
		{1, "id", "http://analytics.example.com"},
		{1, "id", "https://analytics.example.com/"},
	} {
		if _, err := handoff.NewSession(c.port, c.tokenID, c.org, testInstallationKey, nil); !errors.Is(err, handoff.ErrMalformed) {
			t.Errorf("NewSession(%d, %q, %q) = %v, want ErrMalformed", c.port, c.tokenID, c.org, err)
		}
	}
	if _, err := handoff.NewSession(1, "id", "https://analytics.example.com", testInstallationKey, strings.NewReader("short")); err == nil {
		t.Error("NewSession with an exhausted random source succeeded")
	}
}

// TestConfirmationCode is a known answer computed independently (Python's
// hashlib and base64) for pub = the P-256 generator, state = bytes 0..31.
func TestConfirmationCode(t *testing.T) {
	var p handoff.Pairing
	for i := range p.State {
		p.State[i] = byte(i)
	}
	p.Pub = generator
	if got := p.ConfirmationCode(); got != "MX4VDT" {
		t.Fatalf("confirmation code %q, want MX4VDT", got)
	}
	s := newSession(t, 0, "code")
	if c := s.ConfirmationCode(); len(c) != 6 || strings.Trim(c, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") != "" {
		t.Fatalf("confirmation code %q is not 6 base32 characters", c)
	}
}

// basePairing is the pairing that the fields of TestDecodePairing spell
// out, signed by testInstallationKey.
var basePairing = func() handoff.Pairing {
	p := handoff.Pairing{V: 1, Port: 8085, Pub: generator, TokenID: "gdlogin-laptop", Org: "https://analytics.example.com"}
	if err := p.Sign(testInstallationKey); err != nil {
		panic(err)
	}
	return p
}()

// signatureFields are the "id" and "sig" fields of basePairing.
var signatureFields = []string{`"id":"` + b64(basePairing.ID) + `"`, `"sig":"` + b64(basePairing.Sig) + `"`}

// pairingJSON builds pairing JSON from raw field values, for the table,
// with the id and signature of basePairing after them.
func pairingJSON(fields ...string) string {
	return rawPairingJSON(append(fields, signatureFields...)...)
}

// rawPairingJSON builds pairing JSON from exactly the fields given.
func rawPairingJSON(fields ...string) string {
	return "{" + strings.Join(fields, ",") + "}"
}

// signedCode is basePairing changed by edit, signed again, as a code.
func signedCode(t *testing.T, edit func(*handoff.Pairing)) string {
	t.Helper()
	p := basePairing
	edit(&p)
	if err := p.Sign(testInstallationKey); err != nil {
		t.Fatal(err)
	}
	js, _ := p.MarshalJSON()
	return code(string(js))
}

func code(json string) string { return b64([]byte(json)) }

// otherInstallationKey is another gdlogin installation.
var otherInstallationKey = func() *handoff.InstallationKey {
	k, err := handoff.NewInstallationKey(nil)
	if err != nil {
		panic(err)
	}
	return k
}()

// asn1Sig turns an r || s signature into the DER form that crypto/ecdsa's
// ASN.1 functions use.
func asn1Sig(rs []byte) []byte {
	der, err := asn1.Marshal(struct{ R, S *big.Int }{new(big.Int).SetBytes(rs[:32]), new(big.Int).SetBytes(rs[32:])})
	if err != nil {
		panic(err)
	}
	return der
}

func TestDecodePairing(t *testing.T) {
	state := b64(make([]byte, 32))
	pub := b64(generator)
	v := `"v":1`
	port := `"port":8085`
	st := `"state":"` + state + `"`
	pb := `"pub":"` + pub + `"`
	id := `"tokenId":"gdlogin-laptop"`
	org := `"org":"https://analytics.example.com"`
	valid := pairingJSON(v, port, st, pb, id, org)

	offCurve := append([]byte(nil), generator...)
	offCurve[64] ^= 1

	cases := []struct {
		name string
		code string
		want error // nil: valid
	}{
		{"valid", code(valid), nil},
		{"fields in another order", code(pairingJSON(org, id, pb, st, port, v)), nil},
		{"white space in the JSON", code("{ " + strings.ReplaceAll(valid[1:], ",", " ,\n")), nil},
		{"escaped characters in strings", code(pairingJSON(v, port, st, pb, `"tokenId":"gdlogin\u002dlaptop"`, `"org":"https:\/\/analytics.example.com"`)), nil},
		{"paste mode port 0", signedCode(t, func(p *handoff.Pairing) { p.Port = 0 }), nil},
		{"port 65535", signedCode(t, func(p *handoff.Pairing) { p.Port = 65535 }), nil},
		{"loopback org", signedCode(t, func(p *handoff.Pairing) { p.Org = "http://localhost:3000" }), nil},
		{"too large", strings.Repeat("A", handoff.MaxPairingCodeSize+1), handoff.ErrTooLarge},
		{"empty", "", handoff.ErrMalformed},
		{"padding", code(valid) + "=", handoff.ErrMalformed},
		{"standard base64", strings.NewReplacer("-", "+", "_", "/").Replace(code(valid)) + "+/", handoff.ErrMalformed},
		{"newline inside", code(valid)[:10] + "\n" + code(valid)[10:], handoff.ErrMalformed},
		{"leading space", " " + code(valid), handoff.ErrMalformed},
		{"not JSON", code("hello"), handoff.ErrMalformed},
		{"JSON array", code(`[1,2,3]`), handoff.ErrMalformed},
		{"JSON null", code(`null`), handoff.ErrMalformed},
		{"garbage after the object", code(valid + "x"), handoff.ErrMalformed},
		{"second object", code(valid + valid), handoff.ErrMalformed},
		{"invalid UTF-8", code(pairingJSON(v, port, st, pb, `"tokenId":"\xff"`, org)), handoff.ErrMalformed},
		{"duplicate field", code(pairingJSON(v, port, st, pb, id, org, `"port":1`)), handoff.ErrMalformed},
		{"unknown field", code(pairingJSON(v, port, st, pb, id, org, `"extra":true`)), handoff.ErrMalformed},
		{"field name in other case", code(pairingJSON(v, `"Port":8085`, st, pb, id, org)), handoff.ErrMalformed},
		{"missing org", code(pairingJSON(v, port, st, pb, id)), handoff.ErrMalformed},
		{"missing v", code(pairingJSON(port, st, pb, id, org)), handoff.ErrMalformed},
		{"v 2", code(pairingJSON(`"v":2`, port, st, pb, id, org)), handoff.ErrVersion},
		{"v 2 with other fields", code(`{"v":2,"something":"new"}`), handoff.ErrVersion},
		{"v 0", code(pairingJSON(`"v":0`, port, st, pb, id, org)), handoff.ErrVersion},
		{"v -1", code(pairingJSON(`"v":-1`, port, st, pb, id, org)), handoff.ErrVersion},
		{"v as a string", code(pairingJSON(`"v":"1"`, port, st, pb, id, org)), handoff.ErrMalformed},
		{"v 1.0", code(pairingJSON(`"v":1.0`, port, st, pb, id, org)), handoff.ErrMalformed},
		{"v true", code(pairingJSON(`"v":true`, port, st, pb, id, org)), handoff.ErrMalformed},
		{"port as a string", code(pairingJSON(v, `"port":"8085"`, st, pb, id, org)), handoff.ErrMalformed},
		{"port with a host", code(pairingJSON(v, `"port":"1@evil.example"`, st, pb, id, org)), handoff.ErrMalformed},
		{"fractional port", code(pairingJSON(v, `"port":1.5`, st, pb, id, org)), handoff.ErrMalformed},
		{"port with an exponent", code(pairingJSON(v, `"port":8e3`, st, pb, id, org)), handoff.ErrMalformed},
		{"port with a leading zero", code(pairingJSON(v, `"port":08085`, st, pb, id, org)), handoff.ErrMalformed},
		{"negative port", code(pairingJSON(v, `"port":-1`, st, pb, id, org)), handoff.ErrMalformed},
		{"port 65536", code(pairingJSON(v, `"port":65536`, st, pb, id, org)), handoff.ErrMalformed},
		{"port 70000", code(pairingJSON(v, `"port":70000`, st, pb, id, org)), handoff.ErrMalformed},
		{"huge port", code(pairingJSON(v, `"port":99999999999999999999`, st, pb, id, org)), handoff.ErrMalformed},
		{"null port", code(pairingJSON(v, `"port":null`, st, pb, id, org)), handoff.ErrMalformed},
		{"31-byte state", code(pairingJSON(v, port, `"state":"`+b64(make([]byte, 31))+`"`, pb, id, org)), handoff.ErrMalformed},
		{"33-byte state", code(pairingJSON(v, port, `"state":"`+b64(make([]byte, 33))+`"`, pb, id, org)), handoff.ErrMalformed},
		{"state with padding", code(pairingJSON(v, port, `"state":"`+state+`="`, pb, id, org)), handoff.ErrMalformed},
		{"state not canonical", code(pairingJSON(v, port, `"state":"`+state[:42]+`B"`, pb, id, org)), handoff.ErrMalformed},
		{"state as bytes array", code(pairingJSON(v, port, `"state":[0,0]`, pb, id, org)), handoff.ErrMalformed},
		{"state null", code(pairingJSON(v, port, `"state":null`, pb, id, org)), handoff.ErrMalformed},
		{"64-byte pub", code(pairingJSON(v, port, st, `"pub":"`+b64(generator[:64])+`"`, id, org)), handoff.ErrMalformed},
		{"pub not starting with 04", code(pairingJSON(v, port, st, `"pub":"`+b64(append([]byte{5}, generator[1:]...))+`"`, id, org)), handoff.ErrMalformed},
		{"compressed pub", code(pairingJSON(v, port, st, `"pub":"`+b64(append([]byte{3}, generator[1:33]...))+`"`, id, org)), handoff.ErrMalformed},
		{"pub off the curve", code(pairingJSON(v, port, st, `"pub":"`+b64(offCurve)+`"`, id, org)), handoff.ErrMalformed},
		{"token id starting with a dot", code(pairingJSON(v, port, st, pb, `"tokenId":".hidden"`, org)), handoff.ErrMalformed},
		{"token id with a slash", code(pairingJSON(v, port, st, pb, `"tokenId":"a/b"`, org)), handoff.ErrMalformed},
		{"empty token id", code(pairingJSON(v, port, st, pb, `"tokenId":""`, org)), handoff.ErrMalformed},
		{"token id too long", code(pairingJSON(v, port, st, pb, `"tokenId":"`+strings.Repeat("a", 256)+`"`, org)), handoff.ErrMalformed},
		{"token id a number", code(pairingJSON(v, port, st, pb, `"tokenId":1`, org)), handoff.ErrMalformed},
		{"http org", code(pairingJSON(v, port, st, pb, id, `"org":"http://analytics.example.com"`)), handoff.ErrMalformed},
		{"org with a path", code(pairingJSON(v, port, st, pb, id, `"org":"https://analytics.example.com/"`)), handoff.ErrMalformed},
		{"org with user info", code(pairingJSON(v, port, st, pb, id, `"org":"https://evil.example@analytics.example.com"`)), handoff.ErrMalformed},
		{"org not an origin", code(pairingJSON(v, port, st, pb, id, `"org":"javascript:alert(1)"`)), handoff.ErrMalformed},
		// SPEC 3.11: the signature.
		{"no id and sig (a pairing of before 3.11)", code(rawPairingJSON(v, port, st, pb, id, org)), handoff.ErrMalformed},
		{"missing sig", code(rawPairingJSON(v, port, st, pb, id, org, signatureFields[0])), handoff.ErrMalformed},
		{"missing id", code(rawPairingJSON(v, port, st, pb, id, org, signatureFields[1])), handoff.ErrMalformed},
		{"empty sig", code(rawPairingJSON(v, port, st, pb, id, org, signatureFields[0], `"sig":""`)), handoff.ErrMalformed},
		{"sig of 63 bytes", code(rawPairingJSON(v, port, st, pb, id, org, signatureFields[0], `"sig":"`+b64(basePairing.Sig[:63])+`"`)), handoff.ErrMalformed},
		{"sig in ASN.1", code(rawPairingJSON(v, port, st, pb, id, org, signatureFields[0], `"sig":"`+b64(asn1Sig(basePairing.Sig))+`"`)), handoff.ErrMalformed},
		{"sig of zeros", code(rawPairingJSON(v, port, st, pb, id, org, signatureFields[0], `"sig":"`+b64(make([]byte, 64))+`"`)), handoff.ErrMalformed},
		{"sig as a number", code(rawPairingJSON(v, port, st, pb, id, org, signatureFields[0], `"sig":1`)), handoff.ErrMalformed},
		{"id off the curve", code(rawPairingJSON(v, port, st, pb, id, org, `"id":"`+b64(offCurve)+`"`, signatureFields[1])), handoff.ErrMalformed},
		{"compressed id", code(rawPairingJSON(v, port, st, pb, id, org, `"id":"`+b64(append([]byte{3}, basePairing.ID[1:33]...))+`"`, signatureFields[1])), handoff.ErrMalformed},
		{"id of another installation", code(rawPairingJSON(v, port, st, pb, id, org, `"id":"`+b64(otherInstallationKey.ID())+`"`, signatureFields[1])), handoff.ErrMalformed},
		{"tampered port", code(pairingJSON(v, `"port":8086`, st, pb, id, org)), handoff.ErrMalformed},
		{"tampered state", code(pairingJSON(v, port, `"state":"`+b64(append(make([]byte, 31), 1))+`"`, pb, id, org)), handoff.ErrMalformed},
		{"tampered pub", code(pairingJSON(v, port, st, `"pub":"`+b64(otherInstallationKey.ID())+`"`, id, org)), handoff.ErrMalformed},
		{"tampered token id", code(pairingJSON(v, port, st, pb, `"tokenId":"gdlogin-laptop2"`, org)), handoff.ErrMalformed},
		{"tampered org", code(pairingJSON(v, port, st, pb, id, `"org":"https://analytics.example.org"`)), handoff.ErrMalformed},
		{"id and sig twice", code(pairingJSON(v, port, st, pb, id, org, signatureFields[0])), handoff.ErrMalformed},
		{"a ninth field", code(pairingJSON(v, port, st, pb, id, org, `"trusted":true`)), handoff.ErrMalformed},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := handoff.DecodePairing(c.code)
			if c.want == nil {
				if err != nil {
					t.Fatalf("DecodePairing: %v", err)
				}
				if _, err := p.Code(); err != nil {
					t.Fatalf("a decoded pairing does not encode: %v", err)
				}
				return
			}
			if !errors.Is(err, c.want) {
				t.Fatalf("DecodePairing = %v, want %v", err, c.want)
			}
			if strings.Contains(err.Error(), state) || strings.Contains(err.Error(), pub) {
				t.Fatalf("error %q shows the state or the key", err)
			}
		})
	}
}

// TestErrorsAreDistinct: each error is itself and nothing else.
func TestErrorsAreDistinct(t *testing.T) {
	all := []error{handoff.ErrMalformed, handoff.ErrTooLarge, handoff.ErrVersion, handoff.ErrStateMismatch, handoff.ErrDecrypt, handoff.ErrOriginMismatch}
	for i, a := range all {
		for j, b := range all {
			if (i == j) != errors.Is(a, b) {
				t.Errorf("errors.Is(%v, %v) = %v", a, b, errors.Is(a, b))
			}
		}
	}
}

func TestValidTokenID(t *testing.T) {
	for id, want := range map[string]bool{
		"a":                      true,
		"gdlogin-laptop":         true,
		"John.Doe_2024-token":    true,
		"a.":                     true,
		"..":                     false,
		".a":                     false,
		"":                       false,
		"a b":                    false,
		"a/b":                    false,
		"a:b":                    false,
		"ä":                      false,
		"a\n":                    false,
		strings.Repeat("x", 255): true,
		strings.Repeat("x", 256): false,
	} {
		if got := handoff.ValidTokenID(id); got != want {
			t.Errorf("ValidTokenID(%.20q) = %v, want %v", id, got, want)
		}
	}
}

func TestValidOrigin(t *testing.T) {
	for origin, want := range map[string]bool{
		"https://analytics.example.com":        true,
		"https://analytics.example.com:8443":   true,
		"https://xn--bcher-kva.example":        true,
		"https://192.0.2.10":                   true,
		"https://192.0.2.10:8443":              true,
		"https://[2001:db8::1]":                true,
		"https://[2001:db8::1]:8443":           true,
		"https://my_host.example.com":          true,
		"http://127.0.0.1":                     true,
		"http://127.0.0.1:3000":                true,
		"http://localhost:3000":                true,
		"http://[::1]:3000":                    true,
		"http://analytics.example.com":         false,
		"http://192.0.2.10":                    false,
		"http://127.0.0.2:3000":                false,
		"https://analytics.example.com/":       false,
		"https://analytics.example.com/path":   false,
		"https://analytics.example.com?x":      false,
		"https://analytics.example.com#x":      false,
		"https://Analytics.example.com":        false,
		"HTTPS://analytics.example.com":        false,
		"https://analytics.example.com:443":    false,
		"http://localhost:80":                  false,
		"https://analytics.example.com:0":      false,
		"https://analytics.example.com:08443":  false,
		"https://analytics.example.com:65536":  false,
		"https://analytics.example.com:":       false,
		"https://john@analytics.example.com":   false,
		"https://analytics.example.com.":       false,
		"https://analytics..example.com":       false,
		"https://-analytics.example.com":       false,
		"https://1.2.3":                        false,
		"https://010.0.0.1":                    false,
		"https://[2001:DB8::1]":                false,
		"https://[2001:db8:0::1]":              false,
		"https://[::ffff:192.0.2.1]":           false,
		"https://[fe80::1%25eth0]":             false,
		"https://bücher.example":               false,
		"https://analytics.example.com\n":      false,
		"https://":                             false,
		"analytics.example.com":                false,
		"ftp://analytics.example.com":          false,
		"javascript:alert(1)":                  false,
		"https://" + strings.Repeat("a", 64):   false,
		"https://" + strings.Repeat("a.", 140): false,
	} {
		if got := handoff.ValidOrigin(origin); got != want {
			t.Errorf("ValidOrigin(%.40q) = %v, want %v", origin, got, want)
		}
	}
}
