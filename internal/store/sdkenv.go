package store

import "strings"

// SDKTokenEnvPrefix starts the name of every profile's own token variable.
const SDKTokenEnvPrefix = "GDLOGIN_TOKEN_"

// SDKTokenEnv is the environment variable that holds the token of gdlogin
// profile name, the one its SDK profiles.yaml entry refers to and that
// gdlogin env and gdlogin run set. Each profile has its own, so that a
// shell holding one organization's token never hands it to an SDK profile
// of another organization.
//
// The name is derived from the profile name alone, and two different
// profile names never give one variable, even where variable names ignore
// case (Windows):
//
//   - A name of lower-case letters, digits and '-' (the usual kind: prod,
//     staging-eu, 2024) is upper-cased with '-' as '_':
//     staging-eu → GDLOGIN_TOKEN_STAGING_EU.
//   - Any other name (one with an upper-case letter, '.' or '_') gets a
//     second '_' after the prefix and every character spelled out:
//     a lower-case letter upper-cased, a digit as itself, an upper-case
//     letter as '_' and the letter, and '_0' for '-', '_1' for '.', '_2'
//     for '_': a_b → GDLOGIN_TOKEN__A_2B, Prod → GDLOGIN_TOKEN___PROD.
//
// The first kind never has '_' right after the prefix (a profile name
// starts with a letter or digit), so the two kinds cannot meet; within
// each, the spelling can be read back to exactly one name.
func SDKTokenEnv(name string) string {
	var b strings.Builder
	b.WriteString(SDKTokenEnvPrefix)
	if plainProfileName(name) {
		for _, c := range []byte(name) {
			switch {
			case c == '-':
				b.WriteByte('_')
			default:
				b.WriteByte(upper(c))
			}
		}
		return b.String()
	}
	b.WriteByte('_')
	for _, c := range []byte(name) {
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
			b.WriteByte(upper(c))
		case c >= 'A' && c <= 'Z':
			b.WriteByte('_')
			b.WriteByte(c)
		case c == '-':
			b.WriteString("_0")
		case c == '.':
			b.WriteString("_1")
		case c == '_':
			b.WriteString("_2")
		default:
			// Not in a valid profile name; spelled as its byte value so
			// that the function stays total and injective.
			b.WriteString("_3")
			b.WriteString(strings.ToUpper(hex2(c)))
		}
	}
	return b.String()
}

// plainProfileName: only lower-case letters, digits and '-', not empty.
func plainProfileName(name string) bool {
	if name == "" {
		return false
	}
	for _, c := range []byte(name) {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return name[0] != '-'
}

func upper(c byte) byte {
	if c >= 'a' && c <= 'z' {
		return c - 'a' + 'A'
	}
	return c
}

func hex2(c byte) string {
	const digits = "0123456789abcdef"
	return string([]byte{digits[c>>4], digits[c&15]})
}
