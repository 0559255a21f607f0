package store

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

func TestSecretIsRedactedEverywhere(t *testing.T) {
	sec := Secret{
		Token:         "am9obi5kb2U6Z2Rsb2dpbjpUT1BTRUNSRVQ=",
		IDToken:       "eyJhbGciOiJSUzI1NiJ9.IDTOKENSECRET.sig",
		IDTokenExpiry: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC),
		RefreshToken:  "REFRESHSECRET",
	}
	secrets := []string{"am9obi5kb2U6Z2Rsb2dpbjpUT1BTRUNSRVQ", "IDTOKENSECRET", "REFRESHSECRET"}
	wrapper := struct {
		Name   string
		Secret Secret
		Ptr    *Secret
	}{"default", sec, &sec}

	var outputs []string
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%10.3s"} {
		outputs = append(outputs, fmt.Sprintf(verb, sec), fmt.Sprintf(verb, &sec), fmt.Sprintf(verb, wrapper))
	}
	outputs = append(outputs, fmt.Sprint(sec), fmt.Sprintln(&sec), sec.String(), sec.GoString())

	var logs bytes.Buffer
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("saved", "secret", sec, "ptr", &sec)
	slog.New(slog.NewTextHandler(&logs, nil)).Info("saved", "secret", sec)
	outputs = append(outputs, logs.String())

	j, err := json.Marshal(wrapper)
	if err != nil {
		t.Fatal(err)
	}
	y, err := yaml.Marshal(wrapper)
	if err != nil {
		t.Fatal(err)
	}
	outputs = append(outputs, string(j), string(y))

	for _, out := range outputs {
		for _, s := range secrets {
			if strings.Contains(out, s) {
				t.Errorf("output leaks a secret: %s", out)
			}
		}
		if !strings.Contains(out, "[redacted]") {
			t.Errorf("output does not say [redacted]: %s", out)
		}
	}
	// The fields themselves stay usable.
	if sec.Token == "" || sec.RefreshToken != "REFRESHSECRET" {
		t.Fatal("fields changed")
	}
}

func TestSecretWireRoundTrip(t *testing.T) {
	in := Secret{Token: "t", IDToken: "i", IDTokenExpiry: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC), RefreshToken: "r"}
	b, err := encodeSecret(in)
	if err != nil {
		t.Fatal(err)
	}
	out, err := decodeSecret(b)
	if err != nil {
		t.Fatal(err)
	}
	if out.Token != in.Token || out.IDToken != in.IDToken || !out.IDTokenExpiry.Equal(in.IDTokenExpiry) || out.RefreshToken != in.RefreshToken {
		t.Errorf("round trip changed the secret")
	}
	b, _ = encodeSecret(Secret{Token: "only"})
	if strings.Contains(string(b), "expiry") || strings.Contains(string(b), "refresh") {
		t.Errorf("empty fields stored: %s", b)
	}
	if _, err := decodeSecret([]byte(`{"token":"abc"`)); err == nil || strings.Contains(err.Error(), "abc") {
		t.Errorf("decode error %v should not quote the input", err)
	}
	if _, err := decodeSecret([]byte(`{}`)); err == nil {
		t.Error("a secret without token was accepted")
	}
}
