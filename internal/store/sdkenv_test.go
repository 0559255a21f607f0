package store

import (
	"fmt"
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
)

func TestSDKTokenEnvExamples(t *testing.T) {
	for name, want := range map[string]string{
		"default":    "GDLOGIN_TOKEN_DEFAULT",
		"staging":    "GDLOGIN_TOKEN_STAGING",
		"staging-eu": "GDLOGIN_TOKEN_STAGING_EU",
		"2024":       "GDLOGIN_TOKEN_2024",
		"a--b":       "GDLOGIN_TOKEN_A__B",
		"a-":         "GDLOGIN_TOKEN_A_",
		"a-b":        "GDLOGIN_TOKEN_A_B",
		"a_b":        "GDLOGIN_TOKEN__A_2B",
		"a.b":        "GDLOGIN_TOKEN__A_1B",
		"A-B":        "GDLOGIN_TOKEN___A_0_B",
		"A_B":        "GDLOGIN_TOKEN___A_2_B",
		"Prod":       "GDLOGIN_TOKEN___PROD",
		"prod.eu-1":  "GDLOGIN_TOKEN__PROD_1EU_01",
	} {
		if got := SDKTokenEnv(name); got != want {
			t.Errorf("SDKTokenEnv(%q) = %q, want %q", name, got, want)
		}
	}
}

// decodeSDKTokenEnv reads a variable back to the profile name, following
// the documented rules; ok is false for a string no name produces.
func decodeSDKTokenEnv(v string) (string, bool) {
	rest, ok := strings.CutPrefix(v, SDKTokenEnvPrefix)
	if !ok {
		return "", false
	}
	if body, escaped := strings.CutPrefix(rest, "_"); escaped {
		var b strings.Builder
		for i := 0; i < len(body); i++ {
			c := body[i]
			switch {
			case c >= 'A' && c <= 'Z':
				b.WriteByte(c - 'A' + 'a')
			case c >= '0' && c <= '9':
				b.WriteByte(c)
			case c == '_' && i+1 < len(body):
				i++
				switch d := body[i]; {
				case d >= 'A' && d <= 'Z':
					b.WriteByte(d)
				case d == '0':
					b.WriteByte('-')
				case d == '1':
					b.WriteByte('.')
				case d == '2':
					b.WriteByte('_')
				case d == '3' && i+2 < len(body):
					var x byte
					if _, err := fmt.Sscanf(strings.ToLower(body[i+1:i+3]), "%02x", &x); err != nil {
						return "", false
					}
					b.WriteByte(x)
					i += 2
				default:
					return "", false
				}
			default:
				return "", false
			}
		}
		return b.String(), true
	}
	var b strings.Builder
	for _, c := range []byte(rest) {
		switch {
		case c >= 'A' && c <= 'Z':
			b.WriteByte(c - 'A' + 'a')
		case c >= '0' && c <= '9':
			b.WriteByte(c)
		case c == '_':
			b.WriteByte('-')
		default:
			return "", false
		}
	}
	return b.String(), b.Len() > 0
}

var portableEnvName = regexp.MustCompile(`^[A-Z_][A-Z0-9_]*$`)

// TestSDKTokenEnvIsInjective: every name reads back from its variable, so
// no two names share one; the variables are upper-case, so names that
// differ only in case do not meet on Windows either.
func TestSDKTokenEnvIsInjective(t *testing.T) {
	seen := map[string]string{}
	check := func(name string) {
		v := SDKTokenEnv(name)
		if !portableEnvName.MatchString(v) {
			t.Fatalf("SDKTokenEnv(%q) = %q is not a portable upper-case variable name", name, v)
		}
		if back, ok := decodeSDKTokenEnv(v); !ok || back != name {
			t.Fatalf("SDKTokenEnv(%q) = %q reads back as %q (%v)", name, v, back, ok)
		}
		if other, dup := seen[v]; dup && other != name {
			t.Fatalf("%q and %q both give %q", other, name, v)
		}
		seen[v] = name
	}
	// Every name of up to three characters from an alphabet with each
	// class: lower, upper, digit, '-', '.', '_'.
	alphabet := "abAB0-._"
	var all func(prefix string, n int)
	all = func(prefix string, n int) {
		if prefix != "" && ValidateName(prefix) == nil {
			check(prefix)
		}
		if n == 0 {
			return
		}
		for _, c := range alphabet {
			all(prefix+string(c), n-1)
		}
	}
	all("", 4)
	// Random valid names of every length.
	chars := "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-"
	r := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		n := 1 + r.IntN(64)
		b := []byte{chars[r.IntN(62)]}
		for len(b) < n {
			b = append(b, chars[r.IntN(len(chars))])
		}
		check(string(b))
	}
	// The pairs people would expect to meet.
	for _, group := range [][]string{{"a-b", "a_b", "a.b", "A-B", "a-B", "A_B", "ab", "a--b"}, {"prod", "Prod", "PROD", "p-rod"}} {
		vars := map[string]string{}
		for _, n := range group {
			v := SDKTokenEnv(n)
			if o, dup := vars[v]; dup {
				t.Errorf("%q and %q collide on %s", o, n, v)
			}
			vars[v] = n
		}
	}
}

func FuzzSDKTokenEnv(f *testing.F) {
	for _, s := range []string{"default", "a_b", "A-B", "x.y", "\xff", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		v := SDKTokenEnv(name)
		if !portableEnvName.MatchString(v) {
			t.Fatalf("%q → %q", name, v)
		}
		if back, ok := decodeSDKTokenEnv(v); !ok || back != name {
			t.Fatalf("%q → %q → %q", name, v, back)
		}
	})
}
