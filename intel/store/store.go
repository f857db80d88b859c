package store

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rampartsec/rampart/intel/warninglist"
	"github.com/rampartsec/rampart/internal/sqlitedb"
)

// Errors the store returns; match them with errors.Is.
var (
	ErrNotFound        = errors.New("not found")
	ErrForbidden       = errors.New("forbidden")
	ErrConflict        = errors.New("conflict")
	ErrUnauthenticated = errors.New("unauthenticated")
)

// Component is the store's name in the schema_migrations table.
const Component = "intel"

// KeyFile is the file in the data directory holding the key of the anonymous-proof HMAC.
const KeyFile = "intel.key"

// Options configure Open.
type Options struct {
	// Key keys the HMAC that stores anonymous contributors' proofs; 32 random bytes. Losing
	// it makes existing proofs useless. Required.
	Key []byte
	// Now is the clock (tests set it); nil means time.Now.
	Now func() time.Time
}

// Store is the intelligence store. It is safe for concurrent use.
type Store struct {
	db   *sql.DB
	key  []byte
	now  func() time.Time
	wl   *warninglist.Registry
	idMu sync.Mutex
	last [16]byte

	// The administrators' warninglists in force (warninglists.go): wlMu serialises their
	// reloads; wlVersion is the intel_state counter they were read at, wlChecked when it was
	// last compared (Unix nanoseconds), at most every wlEvery.
	wlMu      sync.Mutex
	wlVersion int64
	wlChecked atomic.Int64
	wlEvery   time.Duration
}

// Open migrates db and returns a store on it; the caller keeps ownership of db unless it
// calls Close.
func Open(ctx context.Context, db *sql.DB, opts Options) (*Store, error) {
	if len(opts.Key) < 16 {
		return nil, fmt.Errorf("intel store: a key of at least 16 bytes is required")
	}
	if err := sqlitedb.Migrate(ctx, db, Component, migrations); err != nil {
		return nil, fmt.Errorf("intel store: %w", err)
	}
	s := &Store{db: db, key: opts.Key, now: opts.Now, wl: warninglist.NewRegistry(), wlEvery: WarninglistRefresh}
	if s.now == nil {
		s.now = time.Now
	}
	s.wlMu.Lock()
	err := s.reloadWarninglists(ctx, true)
	s.wlMu.Unlock()
	if err != nil {
		return nil, err
	}
	s.wlChecked.Store(time.Now().UnixNano())
	return s, nil
}

// OpenDir opens the store in the data directory: the shared database file and the key file
// (created 0600 on first start).
func OpenDir(ctx context.Context, dir string) (*Store, error) {
	key, err := loadKey(filepath.Join(dir, KeyFile))
	if err != nil {
		return nil, err
	}
	db, err := sqlitedb.OpenDir(dir)
	if err != nil {
		return nil, fmt.Errorf("intel store: %w", err)
	}
	s, err := Open(ctx, db, Options{Key: key})
	if err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

func loadKey(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err == nil {
		k, err := hex.DecodeString(string(trimNL(b)))
		if err != nil || len(k) < 16 {
			return nil, fmt.Errorf("intel store: key file %s is corrupt", path)
		}
		return k, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("intel store: read key: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("intel store: create data directory: %w", err)
	}
	k := make([]byte, 32)
	rand.Read(k)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		if errors.Is(err, os.ErrExist) { // another process made it first
			return loadKey(path)
		}
		return nil, fmt.Errorf("intel store: create key: %w", err)
	}
	if _, err := f.WriteString(hex.EncodeToString(k) + "\n"); err != nil {
		f.Close()
		return nil, fmt.Errorf("intel store: write key: %w", err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("intel store: write key: %w", err)
	}
	return k, nil
}

func trimNL(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == '\r' || b[len(b)-1] == ' ') {
		b = b[:len(b)-1]
	}
	return b
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// DB returns the underlying database (for components sharing the file).
func (s *Store) DB() *sql.DB { return s.db }

// newID returns a 26-character, time-ordered, unique id: 6 bytes of Unix milliseconds and
// 7 random bytes, hex, made monotonic within a process so ids sort in creation order.
func (s *Store) newID() string {
	s.idMu.Lock()
	defer s.idMu.Unlock()
	var b [13]byte
	ms := uint64(s.now().UnixMilli())
	var t [8]byte
	binary.BigEndian.PutUint64(t[:], ms)
	copy(b[:6], t[2:])
	rand.Read(b[6:])
	if string(b[:6]) <= string(s.last[:6]) { // same or earlier millisecond: increment the last id
		copy(b[:], s.last[:13])
		for i := 12; i >= 0; i-- {
			b[i]++
			if b[i] != 0 {
				break
			}
		}
	}
	copy(s.last[:], b[:])
	return hex.EncodeToString(b[:])
}

// randomSecret returns n random bytes, hex.
func randomSecret(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// proofHash is the keyed hash under which an anonymous contributor's proof is stored.
func (s *Store) proofHash(proof string) string {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte("rampart-anonymous-proof\x00" + proof))
	return hex.EncodeToString(m.Sum(nil))
}

// tokenHash is how API tokens are stored: SHA-256 of the random token (a token has 256
// bits of entropy, so no key or stretching is needed).
func tokenHash(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

func ms(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func fromMS(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMilli(v).UTC()
}

func (s *Store) nowUTC() time.Time { return s.now().UTC().Truncate(time.Millisecond) }

// bumpGeneration marks a change the router's index depends on (playbooks, group memberships).
func bumpGeneration(ctx context.Context, tx *sql.Tx) error {
	if _, err := tx.ExecContext(ctx, `UPDATE intel_state SET value = value + 1 WHERE name = 'generation'`); err != nil {
		return fmt.Errorf("bump generation: %w", err)
	}
	return nil
}

// Generation returns a counter that changes whenever playbooks, their enabled state or
// sharing-group memberships change: the router rebuilds its index when it moves.
func (s *Store) Generation(ctx context.Context) (int64, error) {
	var g int64
	if err := s.db.QueryRowContext(ctx, `SELECT value FROM intel_state WHERE name = 'generation'`).Scan(&g); err != nil {
		return 0, fmt.Errorf("intel store: generation: %w", err)
	}
	return g, nil
}

// inTx runs f in a transaction, committing when it returns nil.
func (s *Store) inTx(ctx context.Context, f func(tx *sql.Tx) error) error {
	return runTx(ctx, s.db, f)
}

// runTx begins a transaction on db (a pool or one connection), runs f in it, and commits
// when f returns nil, or rolls back.
func runTx(ctx context.Context, db interface {
	BeginTx(context.Context, *sql.TxOptions) (*sql.Tx, error)
}, f func(tx *sql.Tx) error) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("intel store: begin: %w", err)
	}
	if err := f(tx); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("intel store: commit: %w", err)
	}
	return nil
}
