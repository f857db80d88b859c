package secrets

import (
	"bytes"
	"encoding/base64"
	"os"
	"path/filepath"
	"testing"
)

func TestKeyFileCreatedOnceWithMode0600(t *testing.T) {
	t.Setenv(EnvKey, "")
	dir := t.TempDir()
	b1, err := LoadBox(dir)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(filepath.Join(dir, KeyFile))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode = %v, want 0600", fi.Mode().Perm())
	}
	sealed, err := b1.Seal([]byte("hunter2"), []byte("acme/fw"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, []byte("hunter2")) {
		t.Fatal("sealed value contains the plaintext")
	}
	b2, err := LoadBox(dir) // the same key is read back
	if err != nil {
		t.Fatal(err)
	}
	pt, err := b2.Open(sealed, []byte("acme/fw"))
	if err != nil || string(pt) != "hunter2" {
		t.Fatalf("Open = %q, %v", pt, err)
	}
	if _, err := b2.Open(sealed, []byte("other/fw")); err == nil {
		t.Fatal("a value sealed for one connection opened for another")
	}
	os.Chmod(filepath.Join(dir, KeyFile), 0o644)
	if _, err := LoadBox(dir); err == nil {
		t.Fatal("a world-readable key file was accepted")
	}
}

func TestKeyFromEnvironment(t *testing.T) {
	key := bytes.Repeat([]byte{7}, 32)
	t.Setenv(EnvKey, base64.StdEncoding.EncodeToString(key))
	dir := t.TempDir()
	b, err := LoadBox(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, KeyFile)); !os.IsNotExist(err) {
		t.Fatal("a key file was written although RAMPART_SECRET_KEY is set")
	}
	direct, _ := NewBox(key)
	sealed, _ := b.Seal([]byte("x"), nil)
	if pt, err := direct.Open(sealed, nil); err != nil || string(pt) != "x" {
		t.Fatalf("env key not used: %q, %v", pt, err)
	}
	for _, bad := range []string{"!!!", base64.StdEncoding.EncodeToString([]byte("short"))} {
		t.Setenv(EnvKey, bad)
		if _, err := LoadBox(dir); err == nil {
			t.Errorf("key %q accepted", bad)
		}
	}
}
