package sqlitedb

import (
	"context"
	"path/filepath"
	"testing"
)

func TestMigrateAppliesOnceAndInOrder(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), FileName)
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	m := []string{
		`CREATE TABLE a (id INTEGER PRIMARY KEY, v TEXT)`,
		`ALTER TABLE a ADD COLUMN w TEXT`,
	}
	for i := 0; i < 2; i++ { // the second run must be a no-op
		if err := Migrate(ctx, db, "test", m); err != nil {
			t.Fatalf("run %d: %v", i, err)
		}
	}
	if _, err := db.Exec(`INSERT INTO a (v, w) VALUES ('x', 'y')`); err != nil {
		t.Fatalf("schema not migrated: %v", err)
	}
	var mode string
	if err := db.QueryRow(`PRAGMA journal_mode`).Scan(&mode); err != nil || mode != "wal" {
		t.Fatalf("journal_mode = %q, %v; want wal", mode, err)
	}
	db.Close()

	// A binary that knows fewer migrations than were applied refuses to run.
	db, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := Migrate(ctx, db, "test", m[:1]); err == nil {
		t.Fatal("older binary accepted a newer schema")
	}
	// A failing migration leaves the version where it was.
	bad := append(m, `CREATE TABLE a (id INTEGER)`)
	if err := Migrate(ctx, db, "test", bad); err == nil {
		t.Fatal("failing migration reported success")
	}
	var v int
	db.QueryRow(`SELECT MAX(version) FROM schema_migrations WHERE component='test'`).Scan(&v)
	if v != 2 {
		t.Fatalf("version after failed migration = %d, want 2", v)
	}
}
