package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Concurrency keys (a playbook's `concurrency:` block): at most one run per (organisation,
// playbook, key) holds the lock. The router takes it before starting a run; the engine
// releases it when the run ends (ReleaseRunLock). A lock also expires after its TTL, so a
// run whose end was never reported cannot hold its key forever.

// AcquireRunLock takes the lock (org, playbook, key) for workflowID, for ttl. It returns
// true when workflowID now holds it — also when it already did (a redelivered event) or
// the previous holder's lock had expired.
func (s *Store) AcquireRunLock(ctx context.Context, org, playbook, key, workflowID string, ttl time.Duration) (bool, error) {
	now := s.nowUTC()
	held := false
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var holder string
		var expires int64
		err := tx.QueryRowContext(ctx, `SELECT workflow_id, expires_at FROM intel_run_locks WHERE org_id = ? AND playbook = ? AND lock_key = ?`,
			org, playbook, key).Scan(&holder, &expires)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			_, err = tx.ExecContext(ctx, `INSERT INTO intel_run_locks (org_id, playbook, lock_key, workflow_id, acquired_at, expires_at)
				VALUES (?, ?, ?, ?, ?, ?)`, org, playbook, key, workflowID, ms(now), ms(now.Add(ttl)))
		case err != nil:
		case holder == workflowID:
			held = true
			return nil
		case expires <= ms(now):
			_, err = tx.ExecContext(ctx, `UPDATE intel_run_locks SET workflow_id = ?, acquired_at = ?, expires_at = ?
				WHERE org_id = ? AND playbook = ? AND lock_key = ?`, workflowID, ms(now), ms(now.Add(ttl)), org, playbook, key)
		default:
			return nil // held by another run
		}
		if err != nil {
			return fmt.Errorf("intel store: acquire run lock: %w", err)
		}
		held = true
		return nil
	})
	return held, err
}

// ReleaseRunLock releases every lock workflowID holds (the engine calls it when the run
// ends, whatever its outcome). Releasing nothing is not an error.
func (s *Store) ReleaseRunLock(ctx context.Context, workflowID string) error {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM intel_run_locks WHERE workflow_id = ?`, workflowID); err != nil {
		return fmt.Errorf("intel store: release run lock: %w", err)
	}
	return nil
}

// QueuedRun is a run waiting for its concurrency key (policy queue).
type QueuedRun struct {
	WorkflowID string
	Org        string
	Playbook   string
	Key        string
	Payload    []byte // the router's start request, JSON
	CreatedAt  time.Time
}

// QueueRun records a run to start once its key is free. Queuing the same workflow id
// twice keeps the first.
func (s *Store) QueueRun(ctx context.Context, q QueuedRun) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO intel_run_queue (workflow_id, org_id, playbook, lock_key, payload, created_at)
		VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (workflow_id) DO NOTHING`, q.WorkflowID, q.Org, q.Playbook, q.Key, string(q.Payload), ms(s.nowUTC()))
	if err != nil {
		return fmt.Errorf("intel store: queue run: %w", err)
	}
	return nil
}

// ReadyRuns returns, oldest first, up to limit queued runs that are first in line for a
// key whose lock is free or expired.
func (s *Store) ReadyRuns(ctx context.Context, limit int) ([]QueuedRun, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT q.workflow_id, q.org_id, q.playbook, q.lock_key, q.payload, q.created_at
		FROM intel_run_queue q
		WHERE NOT EXISTS (SELECT 1 FROM intel_run_locks l WHERE l.org_id = q.org_id AND l.playbook = q.playbook
			AND l.lock_key = q.lock_key AND l.expires_at > ? AND l.workflow_id <> q.workflow_id)
		AND NOT EXISTS (SELECT 1 FROM intel_run_queue e WHERE e.org_id = q.org_id AND e.playbook = q.playbook
			AND e.lock_key = q.lock_key AND (e.created_at < q.created_at OR (e.created_at = q.created_at AND e.workflow_id < q.workflow_id)))
		ORDER BY q.created_at, q.workflow_id LIMIT ?`, ms(s.nowUTC()), limit)
	if err != nil {
		return nil, fmt.Errorf("intel store: ready runs: %w", err)
	}
	defer rows.Close()
	var out []QueuedRun
	for rows.Next() {
		var q QueuedRun
		var payload string
		var c int64
		if err := rows.Scan(&q.WorkflowID, &q.Org, &q.Playbook, &q.Key, &payload, &c); err != nil {
			return nil, fmt.Errorf("intel store: ready runs: %w", err)
		}
		q.Payload, q.CreatedAt = []byte(payload), fromMS(c)
		out = append(out, q)
	}
	return out, rows.Err()
}

// DequeueRun removes a queued run (once started).
func (s *Store) DequeueRun(ctx context.Context, workflowID string) error {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM intel_run_queue WHERE workflow_id = ?`, workflowID); err != nil {
		return fmt.Errorf("intel store: dequeue run: %w", err)
	}
	return nil
}

// RunLock is a held concurrency key.
type RunLock struct {
	Org        string
	Playbook   string
	Key        string
	WorkflowID string
	AcquiredAt time.Time
	ExpiresAt  time.Time
}

// HeldLocks returns up to limit unexpired locks, oldest first (the router checks whether
// their runs have ended).
func (s *Store) HeldLocks(ctx context.Context, limit int) ([]RunLock, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT org_id, playbook, lock_key, workflow_id, acquired_at, expires_at
		FROM intel_run_locks WHERE expires_at > ? ORDER BY acquired_at LIMIT ?`, ms(s.nowUTC()), limit)
	if err != nil {
		return nil, fmt.Errorf("intel store: held locks: %w", err)
	}
	defer rows.Close()
	var out []RunLock
	for rows.Next() {
		var l RunLock
		var a, e int64
		if err := rows.Scan(&l.Org, &l.Playbook, &l.Key, &l.WorkflowID, &a, &e); err != nil {
			return nil, fmt.Errorf("intel store: held locks: %w", err)
		}
		l.AcquiredAt, l.ExpiresAt = fromMS(a), fromMS(e)
		out = append(out, l)
	}
	return out, rows.Err()
}
