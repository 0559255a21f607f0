package handoff

import (
	"crypto/ecdh"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Session is gdlogin's side of one handoff: the pairing it gives out and the
// ephemeral private key that opens the answer. It is safe for concurrent use;
// accepting a result only once is the caller's job.
type Session struct {
	pairing Pairing
	priv    *ecdh.PrivateKey
}

// NewSession creates a session with a fresh 32-byte state and an ephemeral
// P-256 key pair (SPEC 3.1). port is the loopback port the answer goes to, or
// 0 for paste mode; tokenID is the id of the API token to create; org is the
// organization's origin (see ValidOrigin); key is gdlogin's installation
// key, which signs the pairing (SPEC 3.11). rand is the source of
// randomness; nil means crypto/rand, which is what gdlogin uses.
func NewSession(port int, tokenID, org string, key *InstallationKey, rand io.Reader) (*Session, error) {
	if key == nil {
		return nil, errors.New("new handoff session: no installation key")
	}
	p := Pairing{V: Version, Port: port, TokenID: tokenID, Org: org}
	r := randReader(rand)
	if _, err := io.ReadFull(r, p.State[:]); err != nil {
		return nil, fmt.Errorf("new handoff session: %w", err)
	}
	priv, err := generateKey(rand)
	if err != nil {
		return nil, fmt.Errorf("new handoff session: %w", err)
	}
	p.Pub = priv.PublicKey().Bytes()
	if err := p.Sign(key); err != nil {
		return nil, fmt.Errorf("new handoff session: %w", err)
	}
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("new handoff session: %w", err)
	}
	return &Session{pairing: p, priv: priv}, nil
}

// Pairing returns a copy of the session's pairing.
func (s *Session) Pairing() Pairing {
	p := s.pairing
	p.Pub = append([]byte(nil), p.Pub...)
	p.ID = append([]byte(nil), p.ID...)
	p.Sig = append([]byte(nil), p.Sig...)
	return p
}

// PairingCode returns the pairing code that goes into #gdlogin=, the console
// snippet and the prompt.
func (s *Session) PairingCode() string {
	code, err := s.pairing.Code()
	if err != nil {
		panic("handoff: a session holds an invalid pairing: " + err.Error()) // NewSession validated it
	}
	return code
}

// ConfirmationCode returns the paste-mode confirmation code (SPEC 3.7).
func (s *Session) ConfirmationCode() string {
	return s.pairing.ConfirmationCode()
}

// String describes the session without its state or key.
func (s *Session) String() string {
	return fmt.Sprintf("handoff.Session{Port:%d TokenID:%q Org:%q}", s.pairing.Port, s.pairing.TokenID, s.pairing.Org)
}

// GoString is String: %#v must not dump the state either.
func (s *Session) GoString() string { return s.String() }

// Open decrypts an envelope, the JSON {"v":1,"state","epk","iv","ct"} that the
// callback page posts (SPEC 3.3, 3.5). It checks, in this order: size,
// strict JSON, version, the state (in constant time), the sender's key,
// authenticated decryption, the payload's fields, and that the payload's
// origin is this session's organization. It does not verify the token with
// the organization; the caller must (SPEC 3.5).
func (s *Session) Open(envelope []byte) (Payload, error) {
	if len(envelope) > MaxEnvelopeSize {
		return Payload{}, fmt.Errorf("%w: envelope is %d bytes, limit %d", ErrTooLarge, len(envelope), MaxEnvelopeSize)
	}
	obj, err := readObject(envelope)
	if err != nil {
		return Payload{}, fmt.Errorf("%w: envelope: %v", ErrMalformed, err)
	}
	if err := obj.version(); err != nil {
		return Payload{}, fmt.Errorf("envelope: %w", err)
	}
	if err := obj.exactly("v", "state", "epk", "iv", "ct"); err != nil {
		return Payload{}, fmt.Errorf("%w: envelope: %v", ErrMalformed, err)
	}
	state, err := obj.bytes("state", StateSize)
	if err != nil {
		return Payload{}, fmt.Errorf("%w: envelope: %v", ErrMalformed, err)
	}
	if subtle.ConstantTimeCompare(state, s.pairing.State[:]) != 1 {
		return Payload{}, ErrStateMismatch
	}
	epkBytes, err := obj.bytes("epk", PublicKeySize)
	if err != nil {
		return Payload{}, fmt.Errorf("%w: envelope: %v", ErrMalformed, err)
	}
	epk, err := parsePublicKey(epkBytes)
	if err != nil {
		return Payload{}, fmt.Errorf("%w: envelope: epk is %v", ErrMalformed, err)
	}
	iv, err := obj.bytes("iv", IVSize)
	if err != nil {
		return Payload{}, fmt.Errorf("%w: envelope: %v", ErrMalformed, err)
	}
	ct, err := obj.bytes("ct", -1)
	if err != nil {
		return Payload{}, fmt.Errorf("%w: envelope: %v", ErrMalformed, err)
	}
	if len(ct) < TagSize {
		return Payload{}, fmt.Errorf("%w: envelope: ct is shorter than the %d-byte tag", ErrMalformed, TagSize)
	}
	aead, err := deriveAEAD(s.priv, epk, state)
	if err != nil {
		return Payload{}, err
	}
	plain, err := aead.Open(nil, iv, ct, nil)
	if err != nil {
		return Payload{}, ErrDecrypt
	}
	payload, err := parsePayload(plain)
	if err != nil {
		return Payload{}, err
	}
	if payload.Origin != s.pairing.Org {
		return Payload{}, fmt.Errorf("%w: the token is for %s, this login is for %s", ErrOriginMismatch, payload.Origin, s.pairing.Org)
	}
	return payload, nil
}

// maxEnvelopeText is the base64url length of a MaxEnvelopeSize envelope.
var maxEnvelopeText = base64.RawURLEncoding.EncodedLen(MaxEnvelopeSize)

// OpenText opens an envelope given as base64url text: what paste mode reads
// and what the callback URL's fragment carries. Surrounding white space, as a
// terminal paste adds, is ignored; anything else must be canonical.
func (s *Session) OpenText(text string) (Payload, error) {
	text = strings.TrimSpace(text)
	if len(text) > maxEnvelopeText {
		return Payload{}, fmt.Errorf("%w: envelope text is %d characters, limit %d", ErrTooLarge, len(text), maxEnvelopeText)
	}
	if text == "" {
		return Payload{}, fmt.Errorf("%w: empty envelope", ErrMalformed)
	}
	envelope, err := decodeBase64URL(text)
	if err != nil {
		return Payload{}, fmt.Errorf("%w: envelope text is %v", ErrMalformed, err)
	}
	return s.Open(envelope)
}

// Seal is the Go twin of the handoff script's encryption: it encrypts payload
// for the pairing p and returns the envelope JSON. The script and Seal must
// agree byte for byte on the format; the interop tests hold them to it.
// rand supplies the ephemeral key and the IV; nil means crypto/rand.
func Seal(p Pairing, payload Payload, rand io.Reader) ([]byte, error) {
	plain, err := marshalPayload(payload)
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	return sealBytes(p, plain, rand)
}

// sealBytes encrypts any plaintext into an envelope.
func sealBytes(p Pairing, plain []byte, rand io.Reader) ([]byte, error) {
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	peer, err := parsePublicKey(p.Pub)
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	own, err := generateKey(rand)
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	aead, err := deriveAEAD(own, peer, p.State[:])
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	iv := make([]byte, IVSize)
	if _, err := io.ReadFull(randReader(rand), iv); err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	return json.Marshal(envelopeJSON{
		V:     Version,
		State: b64.EncodeToString(p.State[:]),
		EPK:   b64.EncodeToString(own.PublicKey().Bytes()),
		IV:    b64.EncodeToString(iv),
		CT:    b64.EncodeToString(aead.Seal(nil, iv, plain, nil)),
	})
}

// SealText is Seal with the envelope as base64url text, as the script sends it.
func SealText(p Pairing, payload Payload, rand io.Reader) (string, error) {
	env, err := Seal(p, payload, rand)
	if err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(env), nil
}

type envelopeJSON struct {
	V     int    `json:"v"`
	State string `json:"state"`
	EPK   string `json:"epk"`
	IV    string `json:"iv"`
	CT    string `json:"ct"`
}
