package handoff_test

import (
	"testing"

	"github.com/gdlogin/gdlogin/internal/handoff"
)

func BenchmarkNewSession(b *testing.B) {
	for b.Loop() {
		if _, err := handoff.NewSession(8085, "gdlogin-laptop", "https://analytics.example.com", testInstallationKey, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSeal(b *testing.B) {
	p := newSession(b, 8085, "bench seal").Pairing()
	payload := testPayload()
	for b.Loop() {
		if _, err := handoff.Seal(p, payload, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkOpen(b *testing.B) {
	s := newSession(b, 8085, "bench open")
	env := seal(b, s, testPayload())
	b.SetBytes(int64(len(env)))
	for b.Loop() {
		if _, err := s.Open(env); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkOpenJunk is the cost of refusing a junk envelope with a wrong
// state: what a flood of bad requests costs the listener.
func BenchmarkOpenJunk(b *testing.B) {
	s := newSession(b, 8085, "bench junk")
	env := seal(b, newSession(b, 8085, "another"), testPayload())
	for b.Loop() {
		if _, err := s.Open(env); err == nil {
			b.Fatal("junk opened")
		}
	}
}

func BenchmarkDecodePairing(b *testing.B) {
	code := newSession(b, 8085, "bench pairing").PairingCode()
	for b.Loop() {
		if _, err := handoff.DecodePairing(code); err != nil {
			b.Fatal(err)
		}
	}
}
