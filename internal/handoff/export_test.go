package handoff

import (
	"bytes"
	"crypto/ecdh"
	"errors"
	"io"
)

// SessionWithKey rebuilds a session from a recorded private key, for the
// WebCrypto vectors.
func SessionWithKey(p Pairing, scalar []byte) (*Session, error) {
	priv, err := ecdh.P256().NewPrivateKey(scalar)
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(priv.PublicKey().Bytes(), p.Pub) {
		return nil, errors.New("the key does not match the pairing's pub")
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	return &Session{pairing: p, priv: priv}, nil
}

// PrivateKey returns the session's private scalar, for recording vectors.
func (s *Session) PrivateKey() []byte { return s.priv.Bytes() }

// SealPlaintext seals arbitrary bytes, for tests of the payload parser.
func SealPlaintext(p Pairing, plain []byte, rand io.Reader) ([]byte, error) {
	return sealBytes(p, plain, rand)
}
