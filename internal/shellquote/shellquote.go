// Package shellquote quotes one value for the shells gdlogin writes
// commands for: POSIX shells (bash, zsh, sh), fish and PowerShell. Every
// command gdlogin prints to be pasted or evaluated (gdlogin env, the JWK
// registration hint, the WSL opener's Start-Process) quotes through here.
package shellquote

import "strings"

// POSIX single-quotes s; each quote inside closes the string, adds an
// escaped quote and reopens it.
func POSIX(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// Fish single-quotes s; fish treats \ and ' specially inside quotes.
func Fish(s string) string {
	s = strings.ReplaceAll(s, `\`, `\\`)
	return "'" + strings.ReplaceAll(s, "'", `\'`) + "'"
}

// PowerShell uses a verbatim string, where only ' needs doubling,
// including the typographic quotes (U+2018 to U+201B) PowerShell also
// accepts as quotes.
func PowerShell(s string) string {
	var b strings.Builder
	b.WriteByte('\'')
	for _, r := range s {
		if r == '\'' || r >= '\u2018' && r <= '\u201b' {
			b.WriteRune(r)
		}
		b.WriteRune(r)
	}
	b.WriteByte('\'')
	return b.String()
}
