// Package secrets encrypts connection secrets at rest with AES-256-GCM. The key comes from
// RAMPART_SECRET_KEY (base64 of 32 bytes) or, when that is unset, from secret.key in the data
// directory, created with mode 0600 on first use. Sealed values bind the associated data
// (org and connection name) so a ciphertext copied to another connection does not open.
package secrets

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// EnvKey names the environment variable holding the base64 key.
const EnvKey = "RAMPART_SECRET_KEY"

// KeyFile is the key file's name inside the data directory.
const KeyFile = "secret.key"

// Box seals and opens values with one key.
type Box struct {
	aead cipher.AEAD
}

// NewBox returns a Box for a 32-byte key.
func NewBox(key []byte) (*Box, error) {
	if len(key) != 32 {
		return nil, fmt.Errorf("secrets: key is %d bytes, want 32", len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("secrets: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("secrets: %w", err)
	}
	return &Box{aead: aead}, nil
}

// LoadBox returns the Box for dataDir: the key from RAMPART_SECRET_KEY, else from
// dataDir/secret.key, which is created (0600, 32 random bytes, base64) when missing.
func LoadBox(dataDir string) (*Box, error) {
	if v := os.Getenv(EnvKey); v != "" {
		key, err := base64.StdEncoding.DecodeString(strings.TrimSpace(v))
		if err != nil {
			return nil, fmt.Errorf("secrets: %s is not base64: %w", EnvKey, err)
		}
		return NewBox(key)
	}
	path := filepath.Join(dataDir, KeyFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		key := make([]byte, 32)
		if _, err := rand.Read(key); err != nil {
			return nil, fmt.Errorf("secrets: generate key: %w", err)
		}
		if err := os.MkdirAll(dataDir, 0o700); err != nil {
			return nil, fmt.Errorf("secrets: create data directory: %w", err)
		}
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, os.ErrExist) { // another process made it first
			return LoadBox(dataDir)
		}
		if err != nil {
			return nil, fmt.Errorf("secrets: create key file: %w", err)
		}
		if _, err := f.WriteString(base64.StdEncoding.EncodeToString(key) + "\n"); err != nil {
			f.Close()
			return nil, fmt.Errorf("secrets: write key file: %w", err)
		}
		if err := f.Close(); err != nil {
			return nil, fmt.Errorf("secrets: write key file: %w", err)
		}
		return NewBox(key)
	}
	if err != nil {
		return nil, fmt.Errorf("secrets: read key file: %w", err)
	}
	if fi, err := os.Stat(path); err == nil && fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("secrets: %s is readable by others (mode %v): chmod 600 it", path, fi.Mode().Perm())
	}
	key, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(b)))
	if err != nil {
		return nil, fmt.Errorf("secrets: %s is not base64: %w", path, err)
	}
	return NewBox(key)
}

// Seal encrypts plaintext bound to aad: nonce || ciphertext.
func (b *Box) Seal(plaintext, aad []byte) ([]byte, error) {
	nonce := make([]byte, b.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("secrets: nonce: %w", err)
	}
	return b.aead.Seal(nonce, nonce, plaintext, aad), nil
}

// Open decrypts what Seal made with the same aad. The error never includes the value.
func (b *Box) Open(sealed, aad []byte) ([]byte, error) {
	n := b.aead.NonceSize()
	if len(sealed) < n {
		return nil, errors.New("secrets: sealed value too short")
	}
	pt, err := b.aead.Open(nil, sealed[:n], sealed[n:], aad)
	if err != nil {
		return nil, errors.New("secrets: cannot decrypt: wrong key (RAMPART_SECRET_KEY or secret.key changed?) or tampered value")
	}
	return pt, nil
}
