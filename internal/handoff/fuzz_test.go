package handoff_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/gdlogin/gdlogin/internal/handoff"
)

// known reports whether err wraps exactly one of the package's errors.
func known(err error) bool {
	n := 0
	for _, e := range []error{handoff.ErrMalformed, handoff.ErrTooLarge, handoff.ErrVersion, handoff.ErrStateMismatch, handoff.ErrDecrypt, handoff.ErrOriginMismatch} {
		if errors.Is(err, e) {
			n++
		}
	}
	return n == 1
}

func FuzzDecodePairing(f *testing.F) {
	s := newSession(f, 8085, "fuzz pairing")
	f.Add(s.PairingCode())
	f.Add(newSession(f, 0, "fuzz paste").PairingCode())
	f.Add(code(`{"v":1,"port":"1@evil.example","state":"","pub":"","tokenId":"x","org":"https://analytics.example.com"}`))
	f.Add(code(`{"v":2}`))
	f.Add(code(`{"v":1,"port":1.5}`))
	f.Add(code(`[]`))
	f.Add("")
	f.Add("====")
	f.Fuzz(func(t *testing.T, code string) {
		p, err := handoff.DecodePairing(code)
		if err != nil {
			if !known(err) {
				t.Fatalf("error %v wraps none or several of the package's errors", err)
			}
			return
		}
		if err := p.Validate(); err != nil {
			t.Fatalf("a decoded pairing does not validate: %v", err)
		}
		again, err := p.Code()
		if err != nil {
			t.Fatal(err)
		}
		q, err := handoff.DecodePairing(again)
		if err != nil || q.State != p.State || string(q.Pub) != string(p.Pub) || q.Port != p.Port || q.TokenID != p.TokenID || q.Org != p.Org {
			t.Fatalf("re-encoded pairing decodes to %+v, %v; want %+v", q, err, p)
		}
	})
}

func FuzzOpen(f *testing.F) {
	s := newSession(f, 8085, "fuzz open")
	env := seal(f, s, testPayload())
	f.Add(env)
	f.Add(mutate(f, env, flip("ct", 2)))
	f.Add(mutate(f, env, flip("state", 2)))
	f.Add(mutate(f, env, func(m map[string]any) { m["v"] = 2 }))
	f.Add([]byte(`{"v":1,"state":"","epk":"","iv":"","ct":""}`))
	f.Add([]byte(`{}`))
	f.Add([]byte(``))
	f.Fuzz(func(t *testing.T, envelope []byte) {
		p, err := s.Open(envelope)
		if err != nil {
			if !known(err) {
				t.Fatalf("error %v wraps none or several of the package's errors", err)
			}
			if strings.Contains(err.Error(), testToken) {
				t.Fatalf("error shows the token: %v", err)
			}
			return
		}
		if p.Origin != "https://analytics.example.com" || !handoff.ValidTokenID(p.TokenID) || p.Token == "" || len(p.Token) > handoff.MaxTokenSize {
			t.Fatalf("Open accepted %v", p)
		}
	})
}

func FuzzOpenText(f *testing.F) {
	s := newSession(f, 0, "fuzz open text")
	text, err := handoff.SealText(s.Pairing(), testPayload(), nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(text)
	f.Add(" " + text + "\n")
	f.Add(text[:50] + "\n" + text[50:])
	f.Add(text + "==")
	f.Add("")
	f.Fuzz(func(t *testing.T, text string) {
		p, err := s.OpenText(text)
		if err != nil {
			if !known(err) {
				t.Fatalf("error %v wraps none or several of the package's errors", err)
			}
			return
		}
		if p.Origin != "https://analytics.example.com" || p.Token != testToken {
			t.Fatalf("OpenText accepted %v", p)
		}
	})
}
