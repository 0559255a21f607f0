package handoff_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/gdlogin/gdlogin/internal/handoff"
)

func TestInstallationKeySecretRoundTrip(t *testing.T) {
	k, err := handoff.NewInstallationKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	secret := k.Secret()
	if !strings.HasPrefix(secret, "gdlogin-ik1:") || len(secret) != len("gdlogin-ik1:")+43 {
		t.Fatalf("secret form %d characters: %.12q…", len(secret), secret)
	}
	back, err := handoff.ParseInstallationKey(secret)
	if err != nil {
		t.Fatal(err)
	}
	if back.IDText() != k.IDText() || back.Secret() != secret {
		t.Fatal("the parsed key is another key")
	}
	if id := k.ID(); len(id) != handoff.InstallationIDSize || id[0] != 4 {
		t.Fatalf("id of %d bytes starting %#x", len(id), id[0])
	}
	// A signature by the parsed key verifies under the first key's id.
	p := handoff.Pairing{V: 1, Port: 8085, Pub: generator, TokenID: "gdlogin-laptop", Org: "https://analytics.example.com"}
	if err := p.Sign(back); err != nil {
		t.Fatal(err)
	}
	if string(p.ID) != string(k.ID()) || p.Validate() != nil {
		t.Fatalf("signed by the parsed key: %v", p.Validate())
	}
	if other, _ := handoff.NewInstallationKey(nil); other.IDText() == k.IDText() {
		t.Fatal("two new keys are the same")
	}
}

func TestInstallationKeyIsRepeatableWithASeededSource(t *testing.T) {
	a, _ := handoff.NewInstallationKey(seeded("install"))
	b, _ := handoff.NewInstallationKey(seeded("install"))
	if a.Secret() != b.Secret() {
		t.Fatal("same seed, different keys")
	}
}

func TestInstallationKeyNeverPrintsItsSecret(t *testing.T) {
	k, _ := handoff.NewInstallationKey(nil)
	scalar := strings.TrimPrefix(k.Secret(), "gdlogin-ik1:")
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		out := fmt.Sprintf(verb, k)
		if strings.Contains(out, scalar) || !strings.Contains(out, k.IDText()) {
			t.Errorf("%s prints %q", verb, out)
		}
	}
}

func TestParseInstallationKeyRefusesJunk(t *testing.T) {
	k, _ := handoff.NewInstallationKey(nil)
	good := k.Secret()
	order := "gdlogin-ik1:_____wAAAAD__________7zm-q2nF56E87nKwvxjJVE" // the group order n
	for _, s := range []string{
		"",
		"gdlogin-ik1:",
		strings.TrimPrefix(good, "gdlogin-ik1:"),
		"gdlogin-ik2:" + strings.TrimPrefix(good, "gdlogin-ik1:"),
		good + "A",
		good[:len(good)-1],
		good + "=",
		strings.Replace(good, "gdlogin-ik1:", "gdlogin-ik1: ", 1),
		"gdlogin-ik1:" + strings.Repeat("A", 43), // zero
		order,
	} {
		if _, err := handoff.ParseInstallationKey(s); err == nil {
			t.Errorf("ParseInstallationKey(%.20q…) accepted it", s)
		} else if strings.Contains(err.Error(), strings.TrimPrefix(good, "gdlogin-ik1:")) {
			t.Errorf("error %q shows the secret", err)
		}
	}
}

func TestNewSessionNeedsAnInstallationKey(t *testing.T) {
	if _, err := handoff.NewSession(1, "id", "https://analytics.example.com", nil, nil); err == nil {
		t.Fatal("NewSession without an installation key succeeded")
	}
}

// TestPairingSignature: the signature is ECDSA P-256 with SHA-256 over the
// exact text of SPEC 3.11, r || s, checked here with crypto/ecdsa directly.
func TestPairingSignature(t *testing.T) {
	s := newSession(t, 43117, "signature")
	p := s.Pairing()
	want := "gdlogin pairing v1|1|43117|" + b64(p.State[:]) + "|" + b64(p.Pub) + "|gdlogin-laptop|https://analytics.example.com|" + testInstallationKey.IDText()
	if got := p.SignedText(); got != want {
		t.Fatalf("signed text\n%s\nwant\n%s", got, want)
	}
	if string(p.ID) != string(testInstallationKey.ID()) || len(p.Sig) != handoff.SignatureSize {
		t.Fatalf("id %x, sig of %d bytes", p.ID, len(p.Sig))
	}
	pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), p.ID)
	if err != nil {
		t.Fatal(err)
	}
	digest := sha256.Sum256([]byte(want))
	if !ecdsa.VerifyASN1(pub, digest[:], asn1Sig(p.Sig)) {
		t.Fatal("crypto/ecdsa does not verify the pairing's signature")
	}
	// Every field is covered: change one and the pairing is malformed.
	edits := map[string]func(*handoff.Pairing){
		"port":    func(p *handoff.Pairing) { p.Port++ },
		"state":   func(p *handoff.Pairing) { p.State[0] ^= 1 },
		"pub":     func(p *handoff.Pairing) { p.Pub = generator },
		"tokenId": func(p *handoff.Pairing) { p.TokenID += "x" },
		"org":     func(p *handoff.Pairing) { p.Org = "https://analytics.example.org" },
		"id":      func(p *handoff.Pairing) { p.ID = otherInstallationKey.ID() },
		"sig":     func(p *handoff.Pairing) { p.Sig = append([]byte(nil), p.Sig...); p.Sig[10] ^= 1 },
	}
	for field, edit := range edits {
		q := s.Pairing()
		edit(&q)
		if err := q.Validate(); !errors.Is(err, handoff.ErrMalformed) {
			t.Errorf("changed %s: Validate = %v, want ErrMalformed", field, err)
		}
		js, _ := q.MarshalJSON()
		if _, err := handoff.DecodePairing(code(string(js))); !errors.Is(err, handoff.ErrMalformed) {
			t.Errorf("changed %s: DecodePairing = %v, want ErrMalformed", field, err)
		}
	}
}
