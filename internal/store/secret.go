package store

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"time"
)

const redacted = "[redacted]"

// Secret is what must never reach config.yaml, logs or error messages: the
// API token and, for oidc logins with the JWT kept, the ID token, its expiry
// and the refresh token. Every way of formatting or marshalling a Secret
// prints "[redacted]"; read the fields explicitly to use them.
type Secret struct {
	Token         string    // the GoodData API token (bearer)
	IDToken       string    // oidc --keep-jwt only
	IDTokenExpiry time.Time // oidc --keep-jwt only
	RefreshToken  string    // oidc --keep-jwt only
}

// String implements fmt.Stringer.
func (Secret) String() string { return redacted }

// GoString implements fmt.GoStringer (%#v).
func (Secret) GoString() string { return redacted }

// Format implements fmt.Formatter, so every verb and flag prints "[redacted]".
func (Secret) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, redacted) }

// LogValue implements slog.LogValuer.
func (Secret) LogValue() slog.Value { return slog.StringValue(redacted) }

// MarshalJSON redacts; the store writes secrets through its own wire type.
func (Secret) MarshalJSON() ([]byte, error) { return json.Marshal(redacted) }

// MarshalYAML redacts, so a Secret can never end up in a YAML file by accident.
func (Secret) MarshalYAML() (any, error) { return redacted, nil }

// secretWire is the JSON stored in the keyring and in secret files.
type secretWire struct {
	Token         string    `json:"token"`
	IDToken       string    `json:"id_token,omitempty"`
	IDTokenExpiry time.Time `json:"id_token_expiry,omitzero"`
	RefreshToken  string    `json:"refresh_token,omitempty"`
}

func encodeSecret(s Secret) ([]byte, error) {
	return json.Marshal(secretWire(s))
}

func decodeSecret(b []byte) (Secret, error) {
	var w secretWire
	if err := json.Unmarshal(b, &w); err != nil {
		// json errors quote input only for syntax they cannot place; keep
		// the message generic so no fragment of a secret can leak.
		return Secret{}, fmt.Errorf("stored secret is not valid JSON")
	}
	if w.Token == "" {
		return Secret{}, fmt.Errorf("stored secret has no token")
	}
	return Secret(w), nil
}
