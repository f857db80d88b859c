package pluginutil

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rampartsec/rampart/actions/sdk"
)

func TestParseExpires(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		err  bool
	}{
		{"", 0, false}, {"never", 0, false}, {"72h", 72 * time.Hour, false}, {"30d", 30 * 24 * time.Hour, false},
		{"90m", 90 * time.Minute, false}, {"-1h", 0, true}, {"0d", 0, true}, {"soon", 0, true}, {"xd", 0, true},
	}
	for _, tt := range tests {
		got, err := ParseExpires(tt.in)
		if (err != nil) != tt.err || got != tt.want {
			t.Errorf("ParseExpires(%q) = %v, %v", tt.in, got, err)
		}
	}
}

func TestAddressesAndDomains(t *testing.T) {
	ps, err := Addresses("addresses", []string{"192.0.2.1", " 2001:DB8::1 ", "203.0.113.77/24", "::ffff:198.51.100.1"})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range ps {
		got = append(got, PrefixString(p))
	}
	if strings.Join(got, " ") != "192.0.2.1 2001:db8::1 203.0.113.0/24 198.51.100.1" {
		t.Fatalf("Addresses = %v", got)
	}
	if _, err := Addresses("addresses", []string{"192.0.2.1", "300.1.1.1"}); err == nil || !strings.Contains(err.Error(), "input.addresses[1]") {
		t.Fatalf("bad address: %v", err)
	}
	ds, err := Domains("domains", []string{"Evil.Example.", "a-b.c_d.example"})
	if err != nil || strings.Join(ds, " ") != "evil.example a-b.c_d.example" {
		t.Fatalf("Domains = %v, %v", ds, err)
	}
	for _, bad := range []string{"localhost", "-a.example", "a..example", "sp ace.example", strings.Repeat("a", 64) + ".example"} {
		if _, err := Domains("domains", []string{bad}); err == nil || !strings.Contains(err.Error(), "input.domains[0]") {
			t.Errorf("Domains(%q) = %v", bad, err)
		}
	}
}

func TestKeyStoreAndAtomicWrite(t *testing.T) {
	dir := t.TempDir()
	t.Setenv(sdk.EnvStateDir, dir)
	ks, err := NewKeyStore("keys.json")
	if err != nil {
		t.Fatal(err)
	}
	var v struct{ ID string }
	if ok, err := ks.Get("k", &v); ok || err != nil {
		t.Fatalf("empty store: %v %v", ok, err)
	}
	if err := ks.Put("k", map[string]string{"ID": "T-1"}); err != nil {
		t.Fatal(err)
	}
	ks2, _ := NewKeyStore("keys.json")
	if ok, err := ks2.Get("k", &v); !ok || err != nil || v.ID != "T-1" {
		t.Fatalf("Get = %v %v %v", ok, err, v)
	}
	fi, _ := os.Stat(filepath.Join(dir, "keys.json"))
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("state mode %v", fi.Mode().Perm())
	}
	if err := WriteAtomic(filepath.Join(dir, "f"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	left, _ := filepath.Glob(filepath.Join(dir, ".f.tmp-*"))
	if len(left) != 0 {
		t.Fatalf("temporary files left: %v", left)
	}
	t.Setenv(sdk.EnvStateDir, "")
	if _, err := NewKeyStore("x"); err == nil {
		t.Fatal("a key store without a state directory")
	}
}
