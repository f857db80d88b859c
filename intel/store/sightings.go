package store

import (
	"context"
	"crypto/subtle"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/rampartsec/rampart/intel"
)

// SightingInput is one sighting of an indicator by the viewer's organisation.
type SightingInput struct {
	SeenAt time.Time `json:"seen_at,omitzero"` // zero: now
	Count  int64     `json:"count,omitempty"`  // 0 means 1
	Source string    `json:"source,omitempty"` // free text: "proxy logs", "ids"
	Note   string    `json:"note,omitempty"`

	// Set by the engine, never by API clients: the run that reported the sighting and that
	// run's trigger depth + 1 (the loop guard and depth bound apply to sightings too).
	CreatedByRun string `json:"-"`
	Depth        int    `json:"-"`
}

// SightingResult identifies a recorded sighting and its outbox event.
type SightingResult struct {
	ID      string `json:"id"`
	EventID string `json:"event_id"`
}

// AddSighting records that v's organisation saw an indicator it may see, and writes an
// indicator.sighted event in the same transaction.
func (s *Store) AddSighting(ctx context.Context, v intel.Viewer, indicatorID string, in SightingInput) (SightingResult, error) {
	if err := canWrite(v); err != nil {
		return SightingResult{}, err
	}
	if in.Count == 0 {
		in.Count = 1
	}
	if in.Depth < 0 {
		return SightingResult{}, fmt.Errorf("intel store: sighting: %w", &intel.InvalidError{Field: "depth", Reason: "negative"})
	}
	if in.Count < 0 || in.Count > 1_000_000_000 {
		return SightingResult{}, fmt.Errorf("intel store: sighting: %w", &intel.InvalidError{Field: "count", Reason: "outside 1..1000000000"})
	}
	if len(in.Note) > intel.MaxDescriptionLen || len(in.Source) > 256 {
		return SightingResult{}, fmt.Errorf("intel store: sighting: %w", &intel.InvalidError{Field: "note", Reason: "too long"})
	}
	now := s.nowUTC()
	if in.SeenAt.IsZero() {
		in.SeenAt = now
	}
	res := SightingResult{ID: s.newID(), EventID: s.newID()}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if err := s.mustSee(ctx, tx, v, indicatorID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO intel_sightings (id, indicator_id, org_id, count, seen_at, source, note, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, res.ID, indicatorID, v.Org, in.Count, ms(in.SeenAt), in.Source, in.Note, ms(now)); err != nil {
			return fmt.Errorf("intel store: insert sighting: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE intel_indicators SET sightings = sightings + ?, updated_at = ? WHERE id = ?`,
			in.Count, ms(now), indicatorID); err != nil {
			return fmt.Errorf("intel store: count sighting: %w", err)
		}
		if _, err := tx.ExecContext(ctx, sqlInsertEvent, res.EventID, EventSighted, indicatorID, "", v.Org, in.Depth, in.CreatedByRun, ms(now)); err != nil {
			return fmt.Errorf("intel store: insert outbox event: %w", err)
		}
		return nil
	})
	if err != nil {
		return SightingResult{}, err
	}
	return res, nil
}

// ReportFalsePositive records that v's organisation considers an indicator it may see a
// false positive; one report per organisation (a second one replaces the note).
func (s *Store) ReportFalsePositive(ctx context.Context, v intel.Viewer, indicatorID, note string) error {
	if err := canWrite(v); err != nil {
		return err
	}
	if len(note) > intel.MaxDescriptionLen {
		return fmt.Errorf("intel store: false positive: %w", &intel.InvalidError{Field: "note", Reason: "too long"})
	}
	now := s.nowUTC()
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if err := s.mustSee(ctx, tx, v, indicatorID); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO intel_false_positives (id, indicator_id, org_id, note, created_at)
			VALUES (?, ?, ?, ?, ?) ON CONFLICT (indicator_id, org_id) DO NOTHING`, s.newID(), indicatorID, v.Org, note, ms(now))
		if err != nil {
			return fmt.Errorf("intel store: insert false positive: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			_, err := tx.ExecContext(ctx, `UPDATE intel_false_positives SET note = ? WHERE indicator_id = ? AND org_id = ?`, note, indicatorID, v.Org)
			if err != nil {
				return fmt.Errorf("intel store: update false positive: %w", err)
			}
			return nil
		}
		if _, err := tx.ExecContext(ctx, `UPDATE intel_indicators SET false_positives = false_positives + 1, updated_at = ? WHERE id = ?`,
			ms(now), indicatorID); err != nil {
			return fmt.Errorf("intel store: count false positive: %w", err)
		}
		return nil
	})
}

// mustSee returns ErrNotFound unless v may see the indicator.
func (s *Store) mustSee(ctx context.Context, q querier, v intel.Viewer, indicatorID string) error {
	ind, err := s.loadIndicator(ctx, q, indicatorID)
	if err != nil {
		return err
	}
	if _, ok := ind.ViewFor(v, s.nowUTC()); !ok {
		return fmt.Errorf("intel store: indicator %q: %w", indicatorID, ErrNotFound)
	}
	return nil
}

// reportOwner finds a report and checks that v may change it: v's organisation reported it
// (attributed or pseudonymous), or proof is the anonymous contributor's proof.
func (s *Store) reportOwner(ctx context.Context, q querier, v intel.Viewer, reportID, proof string) (intel.Report, error) {
	r, err := scanReport(q.QueryRowContext(ctx, `SELECT `+reportCols+reportFrom+`WHERE r.id = ?`, reportID))
	if errors.Is(err, sql.ErrNoRows) {
		return intel.Report{}, fmt.Errorf("intel store: report %q: %w", reportID, ErrNotFound)
	}
	if err != nil {
		return intel.Report{}, fmt.Errorf("intel store: load report: %w", err)
	}
	if r.Attribution == intel.Anonymous {
		var stored sql.NullString
		if err := q.QueryRowContext(ctx, `SELECT proof_hash FROM intel_reports WHERE id = ?`, reportID).Scan(&stored); err != nil {
			return intel.Report{}, fmt.Errorf("intel store: load report: %w", err)
		}
		if proof == "" || !stored.Valid || !hmacEqual(stored.String, s.proofHash(proof)) {
			return intel.Report{}, fmt.Errorf("intel store: report %q: the contributor's proof is required: %w", reportID, ErrForbidden)
		}
		return r, nil
	}
	if r.Org != v.Org || canWrite(v) != nil {
		if !CanSeeReport(v, &r) {
			return intel.Report{}, fmt.Errorf("intel store: report %q: %w", reportID, ErrNotFound)
		}
		return intel.Report{}, fmt.Errorf("intel store: report %q belongs to another organisation: %w", reportID, ErrForbidden)
	}
	return r, nil
}

// CanSeeReport is intel.CanSee on a report's visibility.
func CanSeeReport(v intel.Viewer, r *intel.Report) bool { return intel.CanSee(v, r.Visibility()) }

// UpdateReport replaces the labels, scores and text of a report: the reporting
// organisation's, or an anonymous one with its proof. in.Value must be the indicator's
// value (it cannot change); the update writes an indicator.updated event.
func (s *Store) UpdateReport(ctx context.Context, v intel.Viewer, reportID, proof string, in intel.Input) (CreateResult, error) {
	now := s.nowUTC()
	var res CreateResult
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		r, err := s.reportOwner(ctx, tx, v, reportID, proof)
		if err != nil {
			return err
		}
		ind, err := scanIndicator(tx.QueryRowContext(ctx, `SELECT `+indicatorCols+` FROM intel_indicators WHERE id = ?`, r.IndicatorID))
		if err != nil {
			return fmt.Errorf("intel store: load indicator: %w", err)
		}
		if in.Value == "" {
			in.Value = ind.Value
		}
		if in.Type == "" {
			in.Type = ind.Type
		}
		if in.Attribution == "" {
			in.Attribution = r.Attribution
		}
		n, err := in.Normalize(now)
		if err != nil {
			return err
		}
		if n.Type != ind.Type || n.Value != ind.Value {
			return &intel.InvalidError{Field: "value", Reason: "a report's value cannot change: withdraw it and report the new value"}
		}
		if (n.Attribution == intel.Anonymous) != (r.Attribution == intel.Anonymous) {
			return &intel.InvalidError{Field: "attribution", Reason: "a report cannot become or stop being anonymous: withdraw it and report again"}
		}
		for _, g := range n.Groups {
			if r.Attribution != intel.Anonymous && !v.InGroup(g) {
				return &intel.InvalidError{Field: "groups", Reason: fmt.Sprintf("your organisation is not a member of sharing group %q", g)}
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE intel_reports SET attribution = ?, tlp = ?, scope = ?, groups_json = ?, confidence = ?,
			threat_rating = ?, tags_json = ?, description = ?, first_seen = ?, last_seen = ?, expires_at = ?, updated_at = ? WHERE id = ?`,
			string(n.Attribution), string(n.TLP), string(n.Scope), jsonList(n.Groups), *n.Confidence, *n.ThreatRating,
			jsonList(n.Tags), n.Description, ms(n.FirstSeen), ms(n.LastSeen), ms(n.ExpiresAt), ms(now), reportID); err != nil {
			return fmt.Errorf("intel store: update report: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE intel_indicators SET updated_at = ? WHERE id = ?`, ms(now), r.IndicatorID); err != nil {
			return fmt.Errorf("intel store: touch indicator: %w", err)
		}
		var org any
		if r.Org != "" {
			org = r.Org
		}
		res = CreateResult{IndicatorID: r.IndicatorID, ReportID: reportID, Type: ind.Type, Value: ind.Value, Updated: true,
			Warninglists: ind.Warninglists, EventID: s.newID()}
		if res.Warninglists == nil {
			res.Warninglists = []string{}
		}
		if _, err := tx.ExecContext(ctx, sqlInsertEvent, res.EventID, EventUpdated, r.IndicatorID, reportID, org, 0, "", ms(now)); err != nil {
			return fmt.Errorf("intel store: insert outbox event: %w", err)
		}
		return nil
	})
	if err != nil {
		return CreateResult{}, err
	}
	return res, nil
}

// WithdrawReport deletes a report: the reporting organisation's, or an anonymous one with
// its proof. An indicator left without reports is visible to nobody.
func (s *Store) WithdrawReport(ctx context.Context, v intel.Viewer, reportID, proof string) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		r, err := s.reportOwner(ctx, tx, v, reportID, proof)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM intel_reports WHERE id = ?`, reportID); err != nil {
			return fmt.Errorf("intel store: withdraw report: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE intel_indicators SET updated_at = ? WHERE id = ?`, ms(s.nowUTC()), r.IndicatorID); err != nil {
			return fmt.Errorf("intel store: touch indicator: %w", err)
		}
		return nil
	})
}

func hmacEqual(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }
