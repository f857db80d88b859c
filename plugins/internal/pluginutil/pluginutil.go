// Package pluginutil holds what the bundled plugins share: atomic file writes, expiry
// durations, address and domain validation with messages naming the input field, a
// small JSON state file that remembers idempotency keys, the client of their webhook
// backends, and the schemas and encoding of their count and list results.
package pluginutil

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rampartsec/rampart/actions/sdk"
)

// WriteAtomic writes data to path through a temporary file in the same directory, synced
// and renamed over path: readers see the old file or the new one, never half of one.
func WriteAtomic(path string, data []byte, mode os.FileMode) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Chmod(mode); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// ParseExpires reads an expiry: "" or "never" is none (0), otherwise a Go duration or a
// number of days ("30d").
func ParseExpires(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" || s == "never" {
		return 0, nil
	}
	if d, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(d)
		if err != nil || n <= 0 {
			return 0, sdk.Errorf(sdk.CodeInvalidInput, false, "input.expires: %q is not a duration (72h, 30d)", s)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, sdk.Errorf(sdk.CodeInvalidInput, false, "input.expires: %q is not a duration (72h, 30d)", s)
	}
	return d, nil
}

// Addresses parses IPv4/IPv6 addresses and CIDRs into canonical prefixes (an address is a
// /32 or /128). A bad one is an invalid_input error naming input.<field>[i].
func Addresses(field string, in []string) ([]netip.Prefix, error) {
	out := make([]netip.Prefix, 0, len(in))
	for i, s := range in {
		s = strings.TrimSpace(s)
		if a, err := netip.ParseAddr(s); err == nil {
			a = a.Unmap()
			out = append(out, netip.PrefixFrom(a, a.BitLen()))
			continue
		}
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return nil, sdk.Errorf(sdk.CodeInvalidInput, false, "input.%s[%d]: %q is not an IP address or CIDR", field, i, s)
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

// PrefixString writes a /32 or /128 as a bare address.
func PrefixString(p netip.Prefix) string {
	if p.IsSingleIP() {
		return p.Addr().String()
	}
	return p.String()
}

// Domains lower-cases and checks DNS names (no trailing dot kept). A bad one is an
// invalid_input error naming input.<field>[i].
func Domains(field string, in []string) ([]string, error) {
	out := make([]string, 0, len(in))
	for i, s := range in {
		d := strings.TrimSuffix(strings.ToLower(strings.TrimSpace(s)), ".")
		if !validDomain(d) {
			return nil, sdk.Errorf(sdk.CodeInvalidInput, false, "input.%s[%d]: %q is not a domain name", field, i, s)
		}
		out = append(out, d)
	}
	return out, nil
}

func validDomain(d string) bool {
	if len(d) == 0 || len(d) > 253 || !strings.Contains(d, ".") {
		return false
	}
	for _, label := range strings.Split(d, ".") {
		if len(label) == 0 || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, c := range label {
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return false
			}
		}
	}
	return true
}

// KeyStore remembers values by idempotency key in a JSON file in the plugin's state
// directory, so a retried call finds what the first one did.
type KeyStore struct {
	mu   sync.Mutex
	path string
}

// NewKeyStore returns the store in file name under the plugin's state directory.
func NewKeyStore(name string) (*KeyStore, error) {
	dir, err := sdk.StateDir()
	if err != nil {
		return nil, err
	}
	return &KeyStore{path: filepath.Join(dir, name)}, nil
}

// Get returns the value stored under key into v; ok is false when there is none.
func (k *KeyStore) Get(key string, v any) (bool, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	m, err := k.load()
	if err != nil {
		return false, err
	}
	raw, ok := m[key]
	if !ok {
		return false, nil
	}
	return true, json.Unmarshal(raw, v)
}

// Put stores v under key.
func (k *KeyStore) Put(key string, v any) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	m, err := k.load()
	if err != nil {
		return err
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("state: %w", err)
	}
	m[key] = b
	out, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("state: %w", err)
	}
	return WriteAtomic(k.path, out, 0o600)
}

func (k *KeyStore) load() (map[string]json.RawMessage, error) {
	m := map[string]json.RawMessage{}
	b, err := os.ReadFile(k.path)
	if errors.Is(err, os.ErrNotExist) {
		return m, nil
	}
	if err != nil {
		return nil, fmt.Errorf("state: %w", err)
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("state %s: %w", k.path, err)
	}
	return m, nil
}
