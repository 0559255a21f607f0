package handoff

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"
)

// object is a flat JSON object read strictly: valid UTF-8, no duplicate
// names, nothing after the closing brace. Names match exactly (not the
// case-insensitive matching of encoding/json), and each value stays raw so
// that its JSON type can be checked: encoding/json would take "80" for a
// number field tagged ",string", null for an empty string, 1.5 for 1.
type object map[string]json.RawMessage

func readObject(data []byte) (object, error) {
	if !utf8.Valid(data) {
		return nil, errors.New("not UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, errors.New("not a JSON object")
	}
	obj := object{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, errors.New("not a JSON object")
		}
		name, _ := tok.(string)
		if _, dup := obj[name]; dup {
			return nil, fmt.Errorf("duplicate field %q", name)
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, errors.New("not a JSON object")
		}
		obj[name] = raw
	}
	if tok, err := dec.Token(); err != nil || tok != json.Delim('}') {
		return nil, errors.New("not a JSON object")
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("data after the JSON object")
	}
	return obj, nil
}

// exactly checks that the object has these fields and no others.
func (o object) exactly(names ...string) error {
	for _, name := range names {
		if _, ok := o[name]; !ok {
			return fmt.Errorf("missing field %q", name)
		}
	}
	if len(o) != len(names) {
		for name := range o {
			known := false
			for _, n := range names {
				known = known || n == name
			}
			if !known {
				return fmt.Errorf("unknown field %q", name)
			}
		}
	}
	return nil
}

// version checks the "v" field: 1 is fine, another integer is ErrVersion,
// anything else is ErrMalformed. It runs before the other checks, so that a
// future version with other fields is reported as a version problem.
func (o object) version() error {
	raw, ok := o["v"]
	if !ok {
		return fmt.Errorf("%w: missing field %q", ErrMalformed, "v")
	}
	if string(raw) == "1" {
		return nil
	}
	if _, ok := parseUint(raw); ok || (len(raw) > 1 && raw[0] == '-' && isDigits(raw[1:])) {
		return fmt.Errorf("%w: got version %s, want %d", ErrVersion, truncate(raw), Version)
	}
	return fmt.Errorf("%w: field %q is not an integer", ErrMalformed, "v")
}

// takeBool removes an optional field that must be a JSON boolean when it
// is there, and returns its value (false when it is missing).
func (o object) takeBool(name string) (bool, error) {
	raw, ok := o[name]
	if !ok {
		return false, nil
	}
	delete(o, name)
	switch string(raw) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, fmt.Errorf("field %q is not true or false", name)
}

// string returns a field that must be a JSON string.
func (o object) string(name string) (string, error) {
	raw := o[name]
	if len(raw) == 0 || raw[0] != '"' {
		return "", fmt.Errorf("field %q is not a string", name)
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", fmt.Errorf("field %q is not a string", name)
	}
	return s, nil
}

// bytes returns a field that must be a base64url string of exactly n bytes
// (any length when n < 0).
func (o object) bytes(name string, n int) ([]byte, error) {
	s, err := o.string(name)
	if err != nil {
		return nil, err
	}
	b, err := decodeBase64URL(s)
	if err != nil {
		return nil, fmt.Errorf("field %q: %v", name, err)
	}
	if n >= 0 && len(b) != n {
		return nil, fmt.Errorf("field %q has %d bytes, want %d", name, len(b), n)
	}
	return b, nil
}

// parseUint reads a JSON number that is a plain non-negative integer of at
// most 9 digits: no sign, fraction, exponent or leading zero.
func parseUint(raw []byte) (int, bool) {
	if len(raw) == 0 || len(raw) > 9 || !isDigits(raw) || (raw[0] == '0' && len(raw) > 1) {
		return 0, false
	}
	n := 0
	for _, c := range raw {
		n = n*10 + int(c-'0')
	}
	return n, true
}

func isDigits(b []byte) bool {
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return len(b) > 0
}

// truncate keeps a (non-secret) value short enough for an error message.
func truncate(b []byte) string {
	if len(b) > 12 {
		return string(b[:12]) + "…"
	}
	return string(b)
}
