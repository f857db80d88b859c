package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Batch triggers (`on.indicator.batch`): the router adds each matching event's indicator
// (as the playbook's organisation sees it, JSON) to the playbook's open batch, seals the
// batch when it reaches max_size or its oldest item max_wait, starts one run with the
// sealed items, and deletes them. Sealing first makes the flush safe to redo: a crash
// after the start restarts the same sealed batch, whose deterministic run id dedupes it,
// and items that arrived meanwhile wait for the next batch.

// BatchItem is one indicator waiting in a playbook's batch.
type BatchItem struct {
	Org         string
	Playbook    string
	EventID     string
	IndicatorID string
	Payload     []byte // the indicator as the organisation sees it (playbooks.Indicator, JSON)
	Depth       int
	CreatedAt   time.Time
}

// OpenBatch summarises a playbook's unsealed items.
type OpenBatch struct {
	Org      string
	Playbook string
	Count    int
	Oldest   time.Time
}

// SealedBatch is a batch ready to start: its id (deterministic: "b-" + the first item's
// event id) and items, oldest first.
type SealedBatch struct {
	ID       string
	Org      string
	Playbook string
	Items    []BatchItem
}

// AddBatchItem adds an item to its playbook's open batch; adding the same event twice (a
// redelivery) keeps one.
func (s *Store) AddBatchItem(ctx context.Context, it BatchItem) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO intel_batch_items (org_id, playbook, event_id, indicator_id, payload, depth, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (org_id, playbook, event_id) DO NOTHING`,
		it.Org, it.Playbook, it.EventID, it.IndicatorID, string(it.Payload), it.Depth, ms(s.nowUTC()))
	if err != nil {
		return fmt.Errorf("intel store: add batch item: %w", err)
	}
	return nil
}

// OpenBatches returns every playbook's unsealed items, summarised.
func (s *Store) OpenBatches(ctx context.Context) ([]OpenBatch, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT org_id, playbook, COUNT(*), MIN(created_at) FROM intel_batch_items
		WHERE batch_id IS NULL GROUP BY org_id, playbook ORDER BY org_id, playbook`)
	if err != nil {
		return nil, fmt.Errorf("intel store: open batches: %w", err)
	}
	defer rows.Close()
	var out []OpenBatch
	for rows.Next() {
		var b OpenBatch
		var oldest int64
		if err := rows.Scan(&b.Org, &b.Playbook, &b.Count, &oldest); err != nil {
			return nil, fmt.Errorf("intel store: open batches: %w", err)
		}
		b.Oldest = fromMS(oldest)
		out = append(out, b)
	}
	return out, rows.Err()
}

// SealBatch seals the oldest max unsealed items of a playbook into one batch and returns its
// id ("" when there were none).
func (s *Store) SealBatch(ctx context.Context, org, playbook string, max int) (string, error) {
	var id string
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var first string
		err := tx.QueryRowContext(ctx, `SELECT event_id FROM intel_batch_items WHERE org_id = ? AND playbook = ? AND batch_id IS NULL
			ORDER BY event_id LIMIT 1`, org, playbook).Scan(&first)
		if err == sql.ErrNoRows {
			return nil
		}
		if err != nil {
			return fmt.Errorf("intel store: seal batch: %w", err)
		}
		id = "b-" + first
		_, err = tx.ExecContext(ctx, `UPDATE intel_batch_items SET batch_id = ? WHERE org_id = ? AND playbook = ? AND event_id IN (
			SELECT event_id FROM intel_batch_items WHERE org_id = ? AND playbook = ? AND batch_id IS NULL ORDER BY event_id LIMIT ?)`,
			id, org, playbook, org, playbook, max)
		if err != nil {
			return fmt.Errorf("intel store: seal batch: %w", err)
		}
		return nil
	})
	return id, err
}

// SealedBatches returns the sealed batches not yet deleted (started, or about to be).
func (s *Store) SealedBatches(ctx context.Context) ([]SealedBatch, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT batch_id, org_id, playbook, event_id, indicator_id, payload, depth, created_at
		FROM intel_batch_items WHERE batch_id IS NOT NULL ORDER BY batch_id, event_id`)
	if err != nil {
		return nil, fmt.Errorf("intel store: sealed batches: %w", err)
	}
	defer rows.Close()
	var out []SealedBatch
	for rows.Next() {
		var id, payload string
		var it BatchItem
		var c int64
		if err := rows.Scan(&id, &it.Org, &it.Playbook, &it.EventID, &it.IndicatorID, &payload, &it.Depth, &c); err != nil {
			return nil, fmt.Errorf("intel store: sealed batches: %w", err)
		}
		it.Payload, it.CreatedAt = []byte(payload), fromMS(c)
		if n := len(out); n == 0 || out[n-1].ID != id || out[n-1].Org != it.Org || out[n-1].Playbook != it.Playbook {
			out = append(out, SealedBatch{ID: id, Org: it.Org, Playbook: it.Playbook})
		}
		out[len(out)-1].Items = append(out[len(out)-1].Items, it)
	}
	return out, rows.Err()
}

// DeleteBatch removes a sealed batch once its run has started.
func (s *Store) DeleteBatch(ctx context.Context, org, playbook, id string) error {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM intel_batch_items WHERE org_id = ? AND playbook = ? AND batch_id = ?`, org, playbook, id); err != nil {
		return fmt.Errorf("intel store: delete batch: %w", err)
	}
	return nil
}
