package termtext

import (
	"encoding/json"
	"errors"
	"testing"
)

type stringer string

func (s stringer) String() string { return string(s) }

func TestSprintf(t *testing.T) {
	hostile := "John\x1b]0;pwned\x07\r\x1b[K\u202eDoe\u009b2J\nLogged in as admin"
	for _, tc := range []struct {
		name   string
		format string
		args   []any
		want   string
	}{
		{"string under %s", "as %s.", []any{hostile},
			`as John\x1b]0;pwned\x07\r\x1b[K\u202eDoe\u009b2J\nLogged in as admin.`},
		{"string under %q keeps Go's quoting", "token %q", []any{"id\x1b[2J\u202e"},
			`token "id\x1b[2J\u202e"`},
		{"error under %v", "failed: %v", []any{errors.New("no\x1b[31m red")},
			`failed: no\x1b[31m red`},
		{"stringer", "%s", []any{stringer("a\u2066b")}, `a\u2066b`},
		{"string slice", "%v", []any{[]string{"a\x1b", "b"}}, `[a\x1b b]`},
		{"numbers and %% untouched", "%d%% of %s", []any{50, "x\x7f"}, `50% of x\x7f`},
		{"explicit index", "%[2]s then %[1]q", []any{"q\x1b", "s\x1b"}, `s\x1b then "q\x1b"`},
		{"star width consumes an arg", "%*s|%q", []any{4, "a\x1b", "\x1b"}, `a\x1b|"\x1b"`},
		{"the format's own line breaks stay", "one %s\ntwo", []any{"x\ny"}, "one x\\ny\ntwo"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Sprintf(tc.format, tc.args...); got != tc.want {
				t.Errorf("Sprintf(%q) = %q, want %q", tc.format, got, tc.want)
			}
		})
	}
}

func TestLines(t *testing.T) {
	got := Lines("2 of 3 profiles are not valid:\n  prod (refused): bad\x1b[2J\n  dev\u202e (unreachable): x")
	want := "2 of 3 profiles are not valid:\n  prod (refused): bad\\x1b[2J\n  dev\\u202e (unreachable): x"
	if got != want {
		t.Errorf("Lines = %q, want %q", got, want)
	}
	if s := "plain\ntext"; Lines(s) != s {
		t.Errorf("Lines changed plain text: %q", Lines(s))
	}
}

func TestJSONKeepsTheValueAndEscapesWhatATerminalObeys(t *testing.T) {
	value := "a\x1b[2J\u009b2J\u202eb\u2066c\u00e9\u4e2d"
	enc, err := json.Marshal(map[string]string{"name": value})
	if err != nil {
		t.Fatal(err)
	}
	got := JSON(enc)
	// Go writes é and 中 as they are; only the controls become escapes.
	want := `{"name":"a\u001b[2J\u009b2J\u202eb\u2066c` + "\u00e9\u4e2d" + `"}`
	if string(got) != want {
		t.Errorf("JSON = %s, want %s", got, want)
	}
	var back map[string]string
	if err := json.Unmarshal(got, &back); err != nil || back["name"] != value {
		t.Errorf("the escaped JSON decodes to %q (%v), want %q", back["name"], err, value)
	}
}
