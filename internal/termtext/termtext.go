// Package termtext owns the one sanitizer for text that gdlogin prints to a
// terminal but did not write itself: names, ids, titles and details from
// the organization, the identity provider or the config file.
//
// A terminal obeys control sequences in what it prints. An organization
// that puts ESC ] 0 ; (retitle the window), ESC [ 2 J (clear the screen),
// a C1 CSI (U+009B), an OSC-8 link, or a carriage return with ESC [ K into
// a user name could rewrite the line that says who gdlogin logged in as,
// and bidi overrides can make a name read backwards. Clean shows every such
// character as a visible escape instead, and leaves the rest of Unicode
// (accents, CJK, emoji) as it is. JSON output does not need it: JSON
// escapes control characters itself and must keep the real value.
package termtext

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Clean returns s with every character that could change what a terminal
// shows escaped visibly:
//   - tab, line feed and carriage return as \t, \n and \r;
//   - every other C0 control and DEL as \xHH (ESC is \x1b);
//   - C1 controls (U+0080–U+009F) as \u00HH (CSI is \u009b);
//   - the bidi marks, embeddings, overrides and isolates (U+061C, U+200E,
//     U+200F, U+202A–U+202E, U+2066–U+2069) and the line and paragraph
//     separators (U+2028, U+2029) as \uHHHH;
//   - each byte that is not valid UTF-8 as \xHH.
//
// Everything else, including a backslash, is kept as it is.
func Clean(s string) string {
	if !needsCleaning(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size <= 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		case isEscapedRune(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// isEscapedRune reports the non-ASCII runes Clean escapes.
func isEscapedRune(r rune) bool {
	switch {
	case r >= 0x80 && r <= 0x9f: // C1 controls
		return true
	case r == 0x061c, r == 0x200e, r == 0x200f: // ALM, LRM, RLM
		return true
	case r >= 0x202a && r <= 0x202e: // LRE, RLE, PDF, LRO, RLO
		return true
	case r >= 0x2066 && r <= 0x2069: // LRI, RLI, FSI, PDI
		return true
	case r == 0x2028, r == 0x2029: // line and paragraph separators
		return true
	}
	return false
}

// needsCleaning is the fast path: most strings are plain.
func needsCleaning(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c == 0x7f {
			return true
		}
		if c >= 0x80 {
			for _, r := range s[i:] {
				if r == utf8.RuneError || r < 0x20 || r == 0x7f || isEscapedRune(r) {
					return true
				}
			}
			return false
		}
	}
	return false
}
