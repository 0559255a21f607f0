package termtext

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Sprintf is fmt.Sprintf for messages that mix gdlogin's own words with
// values it did not write. The format is gdlogin's and is kept as it is,
// line breaks included; every string, error, fmt.Stringer and []string
// argument is cleaned with Clean, except where the verb is %q: Go's quoting
// already escapes control, bidi and separator characters (they are not
// printable), and cleaning first would escape the escapes.
//
// So a caller cannot forget the sanitizer for one argument: whatever the
// organization, the identity provider or the config file put into a name,
// an id or a reason stays on its own line and shows as visible escapes.
func Sprintf(format string, args ...any) string {
	verbs := argVerbs(format, len(args))
	clean := make([]any, len(args))
	for i, arg := range args {
		if verbs[i] == 'q' {
			clean[i] = arg
			continue
		}
		clean[i] = cleanArg(arg)
	}
	return fmt.Sprintf(format, clean...)
}

// Lines cleans each line of s and keeps the line breaks: for a message
// that gdlogin may have put on several lines itself (an error listing
// several profiles), where each line's parts were not all cleaned before.
func Lines(s string) string {
	if !needsCleaning(s) {
		return s
	}
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = Clean(l)
	}
	return strings.Join(lines, "\n")
}

func cleanArg(arg any) any {
	switch v := arg.(type) {
	case string:
		return Clean(v)
	case []string:
		out := make([]string, len(v))
		for i, s := range v {
			out[i] = Clean(s)
		}
		return out
	case error:
		if v == nil {
			return arg
		}
		return Clean(v.Error())
	case fmt.Stringer:
		return Clean(v.String())
	}
	return arg
}

// argVerbs maps each argument index to the verb that formats it (0 for an
// argument that no verb uses, or one consumed by a '*' width or
// precision), following fmt's rules for flags, explicit [n] indexes, '*'
// and %%.
func argVerbs(format string, n int) []rune {
	verbs := make([]rune, n)
	arg := 0
	for i := 0; i < len(format); i++ {
		if format[i] != '%' {
			continue
		}
		i++
		// flags
		for i < len(format) && strings.IndexByte("+-# 0", format[i]) >= 0 {
			i++
		}
		index := func() {
			if i < len(format) && format[i] == '[' {
				end := strings.IndexByte(format[i:], ']')
				if end < 0 {
					return
				}
				var k int
				if _, err := fmt.Sscanf(format[i+1:i+end], "%d", &k); err == nil && k >= 1 {
					arg = k - 1
				}
				i += end + 1
			}
		}
		number := func() {
			index()
			if i < len(format) && format[i] == '*' {
				arg++
				i++
				return
			}
			for i < len(format) && format[i] >= '0' && format[i] <= '9' {
				i++
			}
		}
		number() // width
		if i < len(format) && format[i] == '.' {
			i++
			number() // precision
		}
		index()
		if i >= len(format) {
			break
		}
		if format[i] == '%' {
			continue
		}
		if arg < n {
			verbs[arg] = rune(format[i])
		}
		arg++
	}
	return verbs
}

// JSON makes encoded JSON safe for a terminal without changing the values
// it holds. Go's encoder escapes C0 controls itself but writes C1
// controls (a UTF-8 CSI, U+009B) and bidi overrides as they are; JSON
// escapes each of them, like Clean, as \uHHHH. Outside strings, JSON
// holds only ASCII, so the text stays the same document.
func JSON(b []byte) []byte {
	if !needsCleaning(string(b)) {
		return b
	}
	out := make([]byte, 0, len(b)+16)
	for _, r := range string(b) {
		if isEscapedRune(r) {
			out = fmt.Appendf(out, `\u%04x`, r)
			continue
		}
		out = utf8.AppendRune(out, r)
	}
	return out
}
