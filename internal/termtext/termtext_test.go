package termtext

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestClean(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"plain", "John Doe (john.doe)", "John Doe (john.doe)"},
		{"empty", "", ""},
		{"accents", "Jiří Novák, Zoë, François", "Jiří Novák, Zoë, François"},
		{"CJK", "山田太郎 분석 データ", "山田太郎 분석 データ"},
		{"emoji", "Analytics 📊 👩🏽‍💻", "Analytics 📊 👩🏽‍💻"},
		{"backslash kept", `C:\Users\john`, `C:\Users\john`},
		{"OSC 0 window title", "John\x1b]0;owned\x07Doe", `John\x1b]0;owned\x07Doe`},
		{"clear screen", "\x1b[2JLogged in as admin", `\x1b[2JLogged in as admin`},
		{"C1 CSI as UTF-8", "John\u009b2JDoe", `John\u009b2JDoe`},
		{"C1 OSC and ST", "\u009d0;t\u009c", `\u009d0;t\u009c`},
		{"OSC-8 link", "\x1b]8;;https://evil.example.com/\x1b\\click\x1b]8;;\x1b\\", `\x1b]8;;https://evil.example.com/\x1b\click\x1b]8;;\x1b\`},
		{"carriage return erase line", "john.doe\r\x1b[KLogged in as admin", `john.doe\r\x1b[KLogged in as admin`},
		{"new line", "Example\nLogged in as admin", `Example\nLogged in as admin`},
		{"tab", "a\tb", `a\tb`},
		{"NUL, BEL, BS, DEL", "\x00\a\b\x7f", `\x00\x07\x08\x7f`},
		{"bidi override", "user\u202Egnp.exe", `user\u202egnp.exe`},
		{"bidi embeddings", "\u202A\u202B\u202C\u202D", `\u202a\u202b\u202c\u202d`},
		{"bidi isolates", "\u2066a\u2067b\u2068c\u2069", `\u2066a\u2067b\u2068c\u2069`},
		{"bidi marks", "\u200Ea\u200Fb\u061Cc", `\u200ea\u200fb\u061cc`},
		{"line separators", "a\u2028b\u2029c", `a\u2028b\u2029c`},
		{"invalid UTF-8", "ab\xffc\xc2", `ab\xffc\xc2`},
		{"raw C1 byte", "a\x9b2J", `a\x9b2J`},
		{"non-breaking space and Latin-1 kept", "a\u00a0b é ÿ", "a\u00a0b é ÿ"},
		{"zero-width joiner kept", "a\u200db", "a\u200db"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Clean(tc.in)
			if got != tc.want {
				t.Errorf("Clean(%q)\n got %q\nwant %q", tc.in, got, tc.want)
			}
			if again := Clean(got); again != got {
				t.Errorf("Clean is not idempotent on %q: %q", got, again)
			}
		})
	}
}

// A cleaned string holds nothing a terminal interprets.
func FuzzClean(f *testing.F) {
	for _, s := range []string{"", "John Doe", "\x1b]0;x\x07", "\u009b2J", "\u202e", "\xff", "日本語"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := Clean(s)
		if !utf8.ValidString(out) {
			t.Fatalf("Clean(%q) = %q is not valid UTF-8", s, out)
		}
		for _, r := range out {
			if r < 0x20 || r == 0x7f || isEscapedRune(r) {
				t.Fatalf("Clean(%q) = %q keeps %U", s, out, r)
			}
		}
		if !needsCleaning(s) && out != s {
			t.Fatalf("a plain string changed: %q → %q", s, out)
		}
		if utf8.ValidString(s) && !strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f || isEscapedRune(r) }) && out != s {
			t.Fatalf("Clean(%q) = %q changed a harmless string", s, out)
		}
	})
}

func BenchmarkCleanPlain(b *testing.B) {
	s := "Logged in to Example Analytics as John Doe (john.doe)"
	for b.Loop() {
		_ = Clean(s)
	}
}
