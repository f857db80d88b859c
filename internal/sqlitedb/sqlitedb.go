// Package sqlitedb opens Rampart's SQLite database (modernc.org/sqlite, no cgo) with the
// settings every component relies on — WAL, foreign keys, a busy timeout — and applies
// versioned migrations. Several components keep tables in the one database file; each
// registers its own ordered list of migrations under its own name, so they can evolve
// independently. Migrations are plain SQL chosen to be portable to PostgreSQL.
package sqlitedb

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// FileName is the database file inside the data directory.
const FileName = "rampart.db"

// Open opens (creating if needed) the SQLite database at path with WAL and foreign keys on.
// path ":memory:" opens a private in-memory database (one connection, so it is shared).
func Open(path string) (*sql.DB, error) {
	dsn := path
	if path != ":memory:" {
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, fmt.Errorf("sqlitedb: create directory: %w", err)
		}
		dsn = "file:" + path
	} else {
		dsn = "file::memory:"
	}
	dsn += "?_pragma=journal_mode(WAL)&_pragma=foreign_keys(ON)&_pragma=busy_timeout(10000)&_pragma=synchronous(NORMAL)&_txlock=immediate"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("sqlitedb: open %s: %w", path, err)
	}
	if path == ":memory:" {
		db.SetMaxOpenConns(1)
	}
	if err := db.Ping(); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlitedb: open %s: %w", path, err)
	}
	return db, nil
}

// OpenDir opens the database file in the data directory dir.
func OpenDir(dir string) (*sql.DB, error) { return Open(filepath.Join(dir, FileName)) }

// Migrate applies, in order and each in its own transaction, the migrations of component that
// have not been applied yet. Migration i (0-based) is version i+1. A released migration is never
// edited: append a new one.
func Migrate(ctx context.Context, db *sql.DB, component string, migrations []string) error {
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		component TEXT NOT NULL,
		version INTEGER NOT NULL,
		PRIMARY KEY (component, version))`); err != nil {
		return fmt.Errorf("sqlitedb: migrations table: %w", err)
	}
	var applied int
	if err := db.QueryRowContext(ctx,
		`SELECT COALESCE(MAX(version), 0) FROM schema_migrations WHERE component = ?`, component).Scan(&applied); err != nil {
		return fmt.Errorf("sqlitedb: read %s schema version: %w", component, err)
	}
	if applied > len(migrations) {
		return fmt.Errorf("sqlitedb: %s schema is at version %d but this binary knows only %d: use a newer rampart", component, applied, len(migrations))
	}
	for i := applied; i < len(migrations); i++ {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("sqlitedb: migrate %s: %w", component, err)
		}
		if _, err := tx.ExecContext(ctx, migrations[i]); err != nil {
			tx.Rollback()
			return fmt.Errorf("sqlitedb: migrate %s to version %d: %w", component, i+1, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (component, version) VALUES (?, ?)`, component, i+1); err != nil {
			tx.Rollback()
			return fmt.Errorf("sqlitedb: record %s version %d: %w", component, i+1, err)
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("sqlitedb: migrate %s to version %d: %w", component, i+1, err)
		}
	}
	return nil
}
