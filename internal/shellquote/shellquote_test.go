package shellquote

import "testing"

func TestQuotes(t *testing.T) {
	for _, tc := range []struct{ in, posix, fish, ps string }{
		{"plain", "'plain'", "'plain'", "'plain'"},
		{"it's", `'it'\''s'`, `'it\'s'`, "'it''s'"},
		{`a\b`, `'a\b'`, `'a\\b'`, `'a\b'`},
		{"$(rm -rf ~)", "'$(rm -rf ~)'", "'$(rm -rf ~)'", "'$(rm -rf ~)'"},
		{"\u2019x\u201b", "'\u2019x\u201b'", "'\u2019x\u201b'", "'\u2019\u2019x\u201b\u201b'"},
	} {
		if got := POSIX(tc.in); got != tc.posix {
			t.Errorf("POSIX(%q) = %q, want %q", tc.in, got, tc.posix)
		}
		if got := Fish(tc.in); got != tc.fish {
			t.Errorf("Fish(%q) = %q, want %q", tc.in, got, tc.fish)
		}
		if got := PowerShell(tc.in); got != tc.ps {
			t.Errorf("PowerShell(%q) = %q, want %q", tc.in, got, tc.ps)
		}
	}
}
