package store

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// Event is one outbox event: a change playbooks may react to, written in the same
// transaction as the change. Its ID is stable, so a workflow id built from it dedupes a
// redelivery.
type Event struct {
	ID           string    `json:"id"`
	Kind         string    `json:"kind"` // EventCreated, EventReported, EventUpdated, EventSighted
	IndicatorID  string    `json:"indicator_id"`
	ReportID     string    `json:"report_id,omitempty"` // "" for a sighting
	Org          string    `json:"org"`                 // the acting organisation; "" for an anonymous report
	Depth        int       `json:"depth"`               // 0 for people and feeds; a run's trigger depth + 1
	CreatedByRun string    `json:"created_by_run,omitempty"`
	CreatedAt    time.Time `json:"created_at"`
}

// PendingEvents returns up to limit undispatched events, oldest first.
func (s *Store) PendingEvents(ctx context.Context, limit int) ([]Event, error) {
	if limit <= 0 {
		limit = 100
	}
	rows, err := s.db.QueryContext(ctx, `SELECT id, kind, indicator_id, report_id, COALESCE(org_id, ''), depth, created_by_run, created_at
		FROM intel_outbox WHERE dispatched_at IS NULL ORDER BY id LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("intel store: pending events: %w", err)
	}
	defer rows.Close()
	var out []Event
	for rows.Next() {
		var e Event
		var c int64
		if err := rows.Scan(&e.ID, &e.Kind, &e.IndicatorID, &e.ReportID, &e.Org, &e.Depth, &e.CreatedByRun, &c); err != nil {
			return nil, fmt.Errorf("intel store: pending events: %w", err)
		}
		e.CreatedAt = fromMS(c)
		out = append(out, e)
	}
	return out, rows.Err()
}

// MarkDispatched marks events dispatched: called only after their runs have started.
func (s *Store) MarkDispatched(ctx context.Context, ids ...string) error {
	if len(ids) == 0 {
		return nil
	}
	args := []any{ms(s.nowUTC())}
	for _, id := range ids {
		args = append(args, id)
	}
	_, err := s.db.ExecContext(ctx, `UPDATE intel_outbox SET dispatched_at = ? WHERE id IN (?`+strings.Repeat(", ?", len(ids)-1)+`)`, args...)
	if err != nil {
		return fmt.Errorf("intel store: mark dispatched: %w", err)
	}
	return nil
}

// PendingCount returns how many events await dispatch (a metric; a test's wait).
func (s *Store) PendingCount(ctx context.Context) (int, error) {
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM intel_outbox WHERE dispatched_at IS NULL`).Scan(&n); err != nil {
		return 0, fmt.Errorf("intel store: pending count: %w", err)
	}
	return n, nil
}

// PruneOutbox deletes events dispatched before the given time and returns how many.
func (s *Store) PruneOutbox(ctx context.Context, before time.Time) (int64, error) {
	res, err := s.db.ExecContext(ctx, `DELETE FROM intel_outbox WHERE dispatched_at IS NOT NULL AND dispatched_at < ?`, ms(before))
	if err != nil {
		return 0, fmt.Errorf("intel store: prune outbox: %w", err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}
