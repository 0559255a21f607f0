package handoff_test

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/gdlogin/gdlogin/internal/handoff"
)

const testToken = "am9obi5kb2U6Z2Rsb2dpbi1sYXB0b3A6c2VjcmV0LXZhbHVlLTEyMw=="

func testPayload() handoff.Payload {
	return handoff.Payload{
		Token:   testToken,
		TokenID: "gdlogin-laptop",
		UserID:  "john.doe",
		Origin:  "https://analytics.example.com",
	}
}

func seal(t testing.TB, s *handoff.Session, p handoff.Payload) []byte {
	t.Helper()
	env, err := handoff.Seal(s.Pairing(), p, nil)
	if err != nil {
		t.Fatal(err)
	}
	return env
}

func TestSealOpenRoundTrip(t *testing.T) {
	s := newSession(t, 8085, "round trip")
	for _, p := range []handoff.Payload{
		testPayload(),
		{Token: strings.Repeat("A", handoff.MaxTokenSize), TokenID: strings.Repeat("t", 255), UserID: "jöhn.doe", Origin: "https://analytics.example.com"},
		{Token: "x", TokenID: "a", UserID: "u", Origin: "https://analytics.example.com"},
	} {
		env := seal(t, s, p)
		if len(env) > handoff.MaxEnvelopeSize {
			t.Fatalf("envelope of the largest payload is %d bytes, over the limit", len(env))
		}
		got, err := s.Open(env)
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		if got != p {
			t.Fatalf("Open = %v, want %v", got, p)
		}
		text, err := handoff.SealText(s.Pairing(), p, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := s.OpenText(text); err != nil || got != p {
			t.Fatalf("OpenText = %v, %v", got, err)
		}
	}
}

func TestEnvelopeFormat(t *testing.T) {
	s := newSession(t, 8085, "format")
	env := seal(t, s, testPayload())
	var fields map[string]any
	if err := json.Unmarshal(env, &fields); err != nil {
		t.Fatal(err)
	}
	if len(fields) != 5 || fields["v"] != 1.0 {
		t.Fatalf("envelope fields %v", fields)
	}
	for name, size := range map[string]int{"state": 32, "epk": 65, "iv": 12} {
		b, err := base64.RawURLEncoding.DecodeString(fields[name].(string))
		if err != nil || len(b) != size {
			t.Errorf("%s: %d bytes, %v; want %d", name, len(b), err, size)
		}
	}
	ct, _ := base64.RawURLEncoding.DecodeString(fields["ct"].(string))
	plain, _ := json.Marshal(map[string]string{"token": testToken, "tokenId": "gdlogin-laptop", "userId": "john.doe", "origin": "https://analytics.example.com"})
	if len(ct) != len(plain)+16 {
		t.Errorf("ct is %d bytes, want plaintext (%d) + 16-byte tag", len(ct), len(plain))
	}
}

// mutate decodes an envelope, changes one field and encodes it again.
func mutate(t testing.TB, env []byte, change func(map[string]any)) []byte {
	t.Helper()
	var fields map[string]any
	if err := json.Unmarshal(env, &fields); err != nil {
		t.Fatal(err)
	}
	change(fields)
	out, err := json.Marshal(fields)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// flip changes one bit of a base64url field.
func flip(field string, i int) func(map[string]any) {
	return func(f map[string]any) {
		b, _ := base64.RawURLEncoding.DecodeString(f[field].(string))
		b[i%len(b)] ^= 0x40
		f[field] = b64(b)
	}
}

func TestOpenRefusesTampering(t *testing.T) {
	s := newSession(t, 8085, "tamper")
	env := seal(t, s, testPayload())
	other := newSession(t, 8085, "another login")
	otherEnv := seal(t, other, testPayload())
	var otherFields, fields map[string]any
	json.Unmarshal(otherEnv, &otherFields)
	json.Unmarshal(env, &fields)
	ct, _ := base64.RawURLEncoding.DecodeString(fields["ct"].(string))
	ctLen := len(ct)

	cases := []struct {
		name   string
		change func(map[string]any)
		want   error
	}{
		{"ct first byte", flip("ct", 0), handoff.ErrDecrypt},
		{"ct last byte (the tag)", flip("ct", ctLen-1), handoff.ErrDecrypt},
		{"ct truncated", func(f map[string]any) {
			b, _ := base64.RawURLEncoding.DecodeString(f["ct"].(string))
			f["ct"] = b64(b[:len(b)-1])
		}, handoff.ErrDecrypt},
		{"iv", flip("iv", 3), handoff.ErrDecrypt},
		{"epk replaced by another valid key", func(f map[string]any) { f["epk"] = otherFields["epk"] }, handoff.ErrDecrypt},
		{"epk off the curve", flip("epk", 64), handoff.ErrMalformed},
		{"state", flip("state", 5), handoff.ErrStateMismatch},
		{"state of another login", func(f map[string]any) { f["state"] = otherFields["state"] }, handoff.ErrStateMismatch},
		{"version 2", func(f map[string]any) { f["v"] = 2 }, handoff.ErrVersion},
		{"iv of 11 bytes", func(f map[string]any) { f["iv"] = b64(make([]byte, 11)) }, handoff.ErrMalformed},
		{"ct shorter than a tag", func(f map[string]any) { f["ct"] = b64(make([]byte, 15)) }, handoff.ErrMalformed},
		{"extra field", func(f map[string]any) { f["aad"] = "" }, handoff.ErrMalformed},
		{"missing field", func(f map[string]any) { delete(f, "iv") }, handoff.ErrMalformed},
		{"ct not a string", func(f map[string]any) { f["ct"] = 1 }, handoff.ErrMalformed},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := s.Open(mutate(t, env, c.change))
			if !errors.Is(err, c.want) {
				t.Fatalf("Open = %v, want %v", err, c.want)
			}
		})
	}
	// The untouched envelope still opens, and the other login's does not.
	if _, err := s.Open(env); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Open(otherEnv); !errors.Is(err, handoff.ErrStateMismatch) {
		t.Fatalf("Open(envelope of another login) = %v", err)
	}
}

func TestOpenRefusesBadEnvelopes(t *testing.T) {
	s := newSession(t, 8085, "bad envelopes")
	env := seal(t, s, testPayload())
	cases := []struct {
		name string
		env  string
		want error
	}{
		{"empty", "", handoff.ErrMalformed},
		{"not JSON", "hello", handoff.ErrMalformed},
		{"array", "[]", handoff.ErrMalformed},
		{"garbage after", string(env) + "x", handoff.ErrMalformed},
		{"too large", `{"v":1,"x":"` + strings.Repeat("a", handoff.MaxEnvelopeSize) + `"}`, handoff.ErrTooLarge},
		{"duplicate field", strings.Replace(string(env), `{"v":1,`, `{"v":1,"v":1,`, 1), handoff.ErrMalformed},
		{"future version with other fields", `{"v":2,"kem":"x"}`, handoff.ErrVersion},
		{"version as a string", strings.Replace(string(env), `"v":1`, `"v":"1"`, 1), handoff.ErrMalformed},
		{"invalid UTF-8", strings.Replace(string(env), `{"v":1,`, "{\"v\":1,\"\xff\":0,", 1), handoff.ErrMalformed},
		{"padded base64", strings.Replace(string(env), `","epk"`, `=","epk"`, 1), handoff.ErrMalformed},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, err := s.Open([]byte(c.env)); !errors.Is(err, c.want) {
				t.Fatalf("Open = %v, want %v", err, c.want)
			}
		})
	}
}

// sealRaw seals a hand-written payload JSON.
func sealRaw(t testing.TB, s *handoff.Session, plain string) []byte {
	t.Helper()
	env, err := handoff.SealPlaintext(s.Pairing(), []byte(plain), nil)
	if err != nil {
		t.Fatal(err)
	}
	return env
}

func TestOpenChecksThePayload(t *testing.T) {
	s := newSession(t, 8085, "payload")
	const org = `"origin":"https://analytics.example.com"`
	const rest = `"tokenId":"gdlogin-laptop","userId":"john.doe",` + org
	cases := []struct {
		name, plain string
		want        error
	}{
		{"valid", `{"token":"abc==",` + rest + `}`, nil},
		{"not JSON", `token`, handoff.ErrMalformed},
		{"unknown field", `{"token":"abc",` + rest + `,"admin":true}`, handoff.ErrMalformed},
		{"missing token", `{` + rest + `}`, handoff.ErrMalformed},
		{"empty token", `{"token":"",` + rest + `}`, handoff.ErrMalformed},
		{"token with a newline", `{"token":"abc\nexport X=1",` + rest + `}`, handoff.ErrMalformed},
		{"token with a space", `{"token":"abc def",` + rest + `}`, handoff.ErrMalformed},
		{"token with = inside", `{"token":"ab=c",` + rest + `}`, handoff.ErrMalformed},
		{"token too large", `{"token":"` + strings.Repeat("a", handoff.MaxTokenSize+1) + `",` + rest + `}`, handoff.ErrTooLarge},
		{"token a number", `{"token":1,` + rest + `}`, handoff.ErrMalformed},
		{"bad token id", `{"token":"abc","tokenId":".x","userId":"john.doe",` + org + `}`, handoff.ErrMalformed},
		{"empty user id", `{"token":"abc","tokenId":"x","userId":"",` + org + `}`, handoff.ErrMalformed},
		{"user id with an escape", `{"token":"abc","tokenId":"x","userId":"john\u001b[2J",` + org + `}`, handoff.ErrMalformed},
		{"user id with a space", `{"token":"abc","tokenId":"x","userId":"john doe",` + org + `}`, handoff.ErrMalformed},
		{"origin not an origin", `{"token":"abc","tokenId":"x","userId":"john.doe","origin":"https://analytics.example.com/x"}`, handoff.ErrMalformed},
		{"origin of another organization", `{"token":"abc","tokenId":"x","userId":"john.doe","origin":"https://other.example.com"}`, handoff.ErrOriginMismatch},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := s.Open(sealRaw(t, s, c.plain))
			if c.want == nil {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if !errors.Is(err, c.want) {
				t.Fatalf("Open = %v, want %v", err, c.want)
			}
		})
	}
}

// TestOpenReadsTheBookmarkField: the optional "bookmark" of a payload or a
// report is true or false, or missing (a bookmark older than the field);
// anything else makes the payload malformed.
func TestOpenReadsTheBookmarkField(t *testing.T) {
	s := newSession(t, 8085, "bookmark")
	const token = `"token":"abc","tokenId":"gdlogin-laptop","userId":"john.doe","origin":"https://analytics.example.com"`
	const report = `"error":"John Doe (john.doe) lacks SELF_CREATE_TOKEN","userId":"john.doe","origin":"https://analytics.example.com"`
	for _, c := range []struct {
		name, plain string
		want        bool
	}{
		{"token, no field (an older bookmark, the snippet of an older gdlogin)", `{` + token + `}`, false},
		{"token from the bookmark", `{` + token + `,"bookmark":true}`, true},
		{"token from the snippet", `{"bookmark":false,` + token + `}`, false},
		{"report from the bookmark", `{` + report + `,"bookmark":true}`, true},
		{"report from the snippet", `{` + report + `,"bookmark":false}`, false},
		{"report, no field", `{` + report + `}`, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			p, err := s.Open(sealRaw(t, s, c.plain))
			if err != nil {
				t.Fatal(err)
			}
			if p.Bookmark != c.want || p.UserID != "john.doe" {
				t.Fatalf("Open = %v, want Bookmark %t", p, c.want)
			}
		})
	}
	for name, plain := range map[string]string{
		"a number":          `{` + token + `,"bookmark":1}`,
		"a string":          `{` + token + `,"bookmark":"true"}`,
		"null":              `{` + token + `,"bookmark":null}`,
		"twice":             `{` + token + `,"bookmark":true,"bookmark":true}`,
		"another case":      `{` + token + `,"Bookmark":true}`,
		"on a bad payload":  `{"token":"abc","userId":"john.doe","origin":"https://analytics.example.com","bookmark":true}`,
		"with another name": `{` + token + `,"bookmark":true,"via":"bookmark"}`,
	} {
		t.Run("refused: "+name, func(t *testing.T) {
			if p, err := s.Open(sealRaw(t, s, plain)); !errors.Is(err, handoff.ErrMalformed) || p != (handoff.Payload{}) {
				t.Fatalf("Open = %v, %v; want ErrMalformed and no payload", p, err)
			}
		})
	}
}

func TestOpenText(t *testing.T) {
	s := newSession(t, 0, "text")
	text, err := handoff.SealText(s.Pairing(), testPayload(), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, ok := range []string{text, "  " + text + "\r\n", "\t" + text + "\n"} {
		if _, err := s.OpenText(ok); err != nil {
			t.Errorf("OpenText(%.10q…): %v", ok, err)
		}
	}
	cases := map[string]error{
		"":                                  handoff.ErrMalformed,
		"   ":                               handoff.ErrMalformed,
		text + "=":                          handoff.ErrMalformed,
		text[:40] + "\n" + text[40:]:        handoff.ErrMalformed,
		text[:40] + " " + text[40:]:         handoff.ErrMalformed,
		text[:40] + "+" + text[41:]:         handoff.ErrMalformed,
		text[:len(text)-1]:                  handoff.ErrMalformed,
		"http://127.0.0.1:1/callback#abc":   handoff.ErrMalformed,
		strings.Repeat("A", 22000):          handoff.ErrTooLarge,
		b64([]byte(`{"v":3}`)):              handoff.ErrVersion,
		b64([]byte(strings.Repeat(" ", 5))): handoff.ErrMalformed,
	}
	for in, want := range cases {
		if _, err := s.OpenText(in); !errors.Is(err, want) {
			t.Errorf("OpenText(%.20q…) = %v, want %v", in, err, want)
		}
	}
}

// TestErrorsShowNoSecrets: no error of Open or OpenText holds the state,
// a key or the token, in any encoding.
func TestErrorsShowNoSecrets(t *testing.T) {
	s := newSession(t, 8085, "secrets")
	p := s.Pairing()
	env := seal(t, s, testPayload())
	var raw map[string]any
	json.Unmarshal(env, &raw)
	secrets := []string{b64(p.State[:]), b64(p.Pub), raw["epk"].(string), raw["iv"].(string), testToken, "c2VjcmV0"}
	var errs []error
	for _, change := range []func(map[string]any){
		flip("ct", 1), flip("iv", 1), flip("state", 1), flip("epk", 64),
		func(f map[string]any) { f["state"] = b64(make([]byte, 31)) },
		func(f map[string]any) { f["v"] = 7 },
	} {
		_, err := s.Open(mutate(t, env, change))
		errs = append(errs, err)
	}
	_, err := s.Open(sealRaw(t, s, `{"token":"`+testToken+`x y","tokenId":"a","userId":"b","origin":"https://analytics.example.com"}`))
	errs = append(errs, err)
	_, err = s.Open(sealRaw(t, s, `{"token":"`+testToken+`","tokenId":"a","userId":"b","origin":"https://other.example.com"}`))
	errs = append(errs, err)
	_, err = s.OpenText(b64(env)[:100] + "!")
	errs = append(errs, err)
	for _, err := range errs {
		if err == nil {
			t.Fatal("a broken envelope opened")
		}
		for _, secret := range secrets {
			if strings.Contains(err.Error(), secret) {
				t.Errorf("error %q shows a secret", err)
			}
		}
	}
}

func TestSealRefusesAnInvalidPairing(t *testing.T) {
	p := newSession(t, 1, "seal").Pairing()
	p.Port = 70000
	if _, err := handoff.Seal(p, testPayload(), nil); !errors.Is(err, handoff.ErrMalformed) {
		t.Fatalf("Seal to port 70000: %v", err)
	}
	p = newSession(t, 1, "seal").Pairing()
	p.Pub = generator[:64]
	if _, err := handoff.Seal(p, testPayload(), nil); !errors.Is(err, handoff.ErrMalformed) {
		t.Fatalf("Seal to a 64-byte key: %v", err)
	}
}

func TestSessionStringHidesState(t *testing.T) {
	s := newSession(t, 8085, "string")
	p := s.Pairing()
	for _, format := range []string{"%v", "%+v", "%#v", "%s"} {
		got := fmt.Sprintf(format, s)
		if strings.Contains(got, b64(p.State[:])) || !strings.Contains(got, "gdlogin-laptop") {
			t.Errorf("%s of a session: %s", format, got)
		}
	}
}

func TestReportRoundTrip(t *testing.T) {
	s, err := handoff.NewSession(8080, "gdlogin-x", "https://analytics.example.com", testInstallationKey, nil)
	if err != nil {
		t.Fatal(err)
	}
	msg := "Jane Roe (jane.roe) may not create API tokens: an admin must grant the SELF_CREATE_TOKEN permission"
	env, err := handoff.Seal(s.Pairing(), handoff.Payload{Error: msg, UserID: "jane.roe", Origin: "https://analytics.example.com"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	p, err := s.Open(env)
	if err != nil {
		t.Fatal(err)
	}
	if p.Error != msg || p.UserID != "jane.roe" || p.Token != "" || p.TokenID != "" {
		t.Fatalf("report %#v", p)
	}
	for name, bad := range map[string]handoff.Payload{
		"control characters": {Error: "no\x1b[31m", UserID: "jane.roe", Origin: "https://analytics.example.com"},
		"too long":           {Error: strings.Repeat("x", handoff.MaxReportSize+1), UserID: "jane.roe", Origin: "https://analytics.example.com"},
		"token and error":    {Error: "x", Token: "dG9r", TokenID: "t", UserID: "jane.roe", Origin: "https://analytics.example.com"},
		"other origin":       {Error: "x", UserID: "jane.roe", Origin: "https://evil.example"},
	} {
		env, err := handoff.Seal(s.Pairing(), bad, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Open(env); err == nil {
			t.Errorf("%s: a bad report was accepted", name)
		}
	}
}
