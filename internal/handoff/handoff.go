// Package handoff owns the cryptography of the browser session handoff
// (SPEC section 3): the pairing that gdlogin gives to the handoff script, the
// confirmation code of paste mode, and the opening of the encrypted envelope
// that the script sends back. Seal is the Go twin of the script's side, for
// tests and benchmarks.
//
// It is pure: no HTTP, no files, no clock. Every decoder is strict (exact
// fields, exact lengths, canonical base64url, size limits) and every error
// wraps one of the Err values below, so that callers can tell a junk request
// from a real failure with errors.Is. Error texts name fields, never their
// values: no state, key or token ever lands in an error or a log.
package handoff

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"
)

// Version is the protocol version in pairings and envelopes.
const Version = 1

// Size limits. An envelope larger than MaxEnvelopeSize is refused before it
// is parsed; the callback server's body limit is the same number.
const (
	MaxEnvelopeSize    = 16 << 10 // bytes of envelope JSON
	MaxPairingCodeSize = 2 << 10  // characters of a pairing code
	MaxTokenSize       = 4 << 10  // bytes of a bearer token
)

// Sizes fixed by the protocol.
const (
	StateSize     = 32 // random state, raw bytes
	PublicKeySize = 65 // uncompressed P-256 point: 0x04 || X || Y
	IVSize        = 12 // AES-GCM nonce
	TagSize       = 16 // AES-GCM tag, appended to the ciphertext
)

// info is the HKDF info string; it binds the key to this protocol.
const info = "gdlogin handoff v1"

// The errors of this package. Every error returned wraps exactly one of them.
var (
	// ErrMalformed: not the expected JSON, a missing, unknown, duplicate or
	// mistyped field, bad base64url, or a value of the wrong length or form.
	ErrMalformed = errors.New("malformed handoff data")
	// ErrTooLarge: a size limit was exceeded.
	ErrTooLarge = errors.New("handoff data too large")
	// ErrVersion: a well-formed version number other than Version.
	ErrVersion = errors.New("unsupported handoff version")
	// ErrStateMismatch: the envelope belongs to another login.
	ErrStateMismatch = errors.New("handoff is for another login (state does not match)")
	// ErrDecrypt: authenticated decryption failed (tampered or wrong key).
	ErrDecrypt = errors.New("handoff decryption failed")
	// ErrOriginMismatch: the decrypted token is for another organization.
	ErrOriginMismatch = errors.New("token is for another organization")
)

var b64 = base64.RawURLEncoding.Strict()

// decodeBase64URL decodes RFC 4648 section 5 base64url without padding,
// canonically: the standard decoder skips CR and LF, so the alphabet is
// checked first.
func decodeBase64URL(s string) ([]byte, error) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return nil, errors.New("not base64url")
		}
	}
	b, err := b64.DecodeString(s)
	if err != nil {
		return nil, errors.New("not canonical base64url")
	}
	return b, nil
}

// ValidTokenID reports whether id is a valid API token id:
// ^(?!\.)[.A-Za-z0-9_-]{1,255}$.
func ValidTokenID(id string) bool {
	if len(id) < 1 || len(id) > 255 || id[0] == '.' {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// ValidOrigin reports whether origin is an organization origin exactly as a
// browser serializes location.origin: "https://host[:port]" with a lower-case
// host and no default port, or plain http only on a loopback host
// (127.0.0.1, localhost, [::1]), where browsers still grant WebCrypto.
func ValidOrigin(origin string) bool {
	scheme, rest, ok := strings.Cut(origin, "://")
	if !ok || len(origin) > 300 || (scheme != "https" && scheme != "http") {
		return false
	}
	host, port := rest, ""
	if i := strings.LastIndexByte(rest, ':'); i >= 0 && !strings.HasSuffix(rest, "]") {
		host, port = rest[:i], rest[i+1:]
		if !validPort(port) || (scheme == "https" && port == "443") || (scheme == "http" && port == "80") {
			return false
		}
	}
	if scheme == "http" {
		return host == "127.0.0.1" || host == "localhost" || host == "[::1]"
	}
	return validHost(host)
}

// validPort accepts 1..65535 without sign or leading zeros.
func validPort(s string) bool {
	if s == "" || len(s) > 5 || s[0] == '0' {
		return false
	}
	n, err := strconv.Atoi(s)
	return err == nil && n <= 65535 && strconv.Itoa(n) == s
}

// validHost accepts a host as a browser serializes it: a canonical IPv4
// address, a canonical bracketed IPv6 address, or a lower-case ASCII domain
// name whose last label is not numeric (browsers would read it as IPv4).
func validHost(host string) bool {
	if strings.HasPrefix(host, "[") {
		addr, err := netip.ParseAddr(strings.TrimSuffix(host[1:], "]"))
		return err == nil && strings.HasSuffix(host, "]") && addr.Is6() && !addr.Is4In6() && addr.Zone() == "" && "["+addr.String()+"]" == host
	}
	if addr, err := netip.ParseAddr(host); err == nil {
		return addr.Is4() && addr.String() == host
	}
	if len(host) == 0 || len(host) > 253 {
		return false
	}
	labels := strings.Split(host, ".")
	for _, label := range labels {
		if len(label) == 0 || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
				return false
			}
		}
	}
	last := labels[len(labels)-1]
	return strings.Trim(last, "0123456789") != ""
}

// randReader returns r, or crypto/rand when r is nil.
func randReader(r io.Reader) io.Reader {
	if r == nil {
		return rand.Reader
	}
	return r
}

// generateKey makes an ephemeral P-256 key. With the default source it is
// crypto/ecdh's own generator. Since Go 1.26 that generator ignores a custom
// reader, so a caller's reader (tests that need repeatable keys) is honoured
// the way the generator itself works: a random scalar, rejected and drawn
// again when it is zero or not below the group order.
func generateKey(r io.Reader) (*ecdh.PrivateKey, error) {
	if r == nil {
		return ecdh.P256().GenerateKey(rand.Reader)
	}
	scalar := make([]byte, 32)
	for range 64 {
		if _, err := io.ReadFull(r, scalar); err != nil {
			return nil, fmt.Errorf("generate key: %w", err)
		}
		if key, err := ecdh.P256().NewPrivateKey(scalar); err == nil {
			return key, nil
		}
	}
	return nil, errors.New("generate key: the random source keeps giving invalid scalars")
}

// parsePublicKey checks an uncompressed P-256 point, on the curve.
func parsePublicKey(b []byte) (*ecdh.PublicKey, error) {
	if len(b) != PublicKeySize || b[0] != 4 {
		return nil, errors.New("not a 65-byte uncompressed P-256 point")
	}
	key, err := ecdh.P256().NewPublicKey(b)
	if err != nil {
		return nil, errors.New("not a point on P-256")
	}
	return key, nil
}

// deriveAEAD is the key schedule of SPEC 3.3: ECDH, then HKDF-SHA256 with the
// raw state as salt and info "gdlogin handoff v1", to an AES-256-GCM key.
func deriveAEAD(priv *ecdh.PrivateKey, peer *ecdh.PublicKey, state []byte) (cipher.AEAD, error) {
	shared, err := priv.ECDH(peer)
	if err != nil {
		return nil, fmt.Errorf("%w: key agreement", ErrDecrypt)
	}
	key, err := hkdf.Key(sha256.New, shared, state, info, 32)
	if err != nil {
		return nil, fmt.Errorf("derive key: %w", err)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("derive key: %w", err)
	}
	return cipher.NewGCM(block)
}

// confirmationCode is the first 6 characters of the RFC 4648 base32
// (upper case, no padding) of SHA-256(pub || state).
func confirmationCode(pub []byte, state [StateSize]byte) string {
	h := sha256.New()
	h.Write(pub)
	h.Write(state[:])
	return base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(h.Sum(nil))[:6]
}
