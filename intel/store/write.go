package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/rampartsec/rampart/intel"
)

// Outbox event kinds. EventReported is a new member's report on an indicator that already
// existed: the router delivers it as "created" to organisations that could not see the
// indicator before, and as "updated" to those that could.
const (
	EventCreated  = "indicator.created"
	EventReported = "indicator.reported"
	EventUpdated  = "indicator.updated"
	EventSighted  = "indicator.sighted"
)

// MaxBulk is the most indicators one BulkCreate call takes.
const MaxBulk = 10000

// CreateResult is the outcome of reporting one indicator.
type CreateResult struct {
	IndicatorID  string     `json:"id"`
	ReportID     string     `json:"report_id"`
	Type         intel.Type `json:"type"`
	Value        string     `json:"value"`
	Created      bool       `json:"created"`         // a new indicator (not a new report on a known one)
	Updated      bool       `json:"updated"`         // the member's existing report was updated
	Warninglists []string   `json:"warninglists"`    // the lists the value is on: stored and flagged
	EventID      string     `json:"event_id"`        // the outbox event written with it
	Proof        string     `json:"proof,omitempty"` // anonymous reports only: shown once, needed to edit or withdraw
}

// BulkItem is the outcome of one item of BulkCreate: a result or the reason it was refused.
type BulkItem struct {
	Index  int           `json:"index"`
	Result *CreateResult `json:"result,omitempty"`
	Err    error         `json:"-"`
}

// CreateIndicator reports one indicator for viewer v (a user with indicator:write, or an
// organisation-level viewer acting for a playbook run): normalised, validated, checked
// against the warninglists, and written with its outbox event in one transaction. It
// returns the indicator as v now sees it along with the result.
func (s *Store) CreateIndicator(ctx context.Context, v intel.Viewer, in intel.Input) (CreateResult, intel.View, error) {
	if err := canWrite(v); err != nil {
		return CreateResult{}, intel.View{}, err
	}
	s.maybeRefreshWarninglists(ctx)
	now := s.nowUTC()
	n, err := prepare(v, in, now)
	if err != nil {
		return CreateResult{}, intel.View{}, err
	}
	var res CreateResult
	var view intel.View
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		w := newWriter(ctx, tx, s, false)
		defer w.close()
		if res, err = w.write(v, n, now); err != nil {
			return err
		}
		ind, err := s.loadIndicator(ctx, tx, res.IndicatorID)
		if err != nil {
			return err
		}
		view, _ = ind.ViewFor(v, now)
		return nil
	})
	if err != nil {
		return CreateResult{}, intel.View{}, err
	}
	return res, view, nil
}

// BulkCreate reports up to MaxBulk indicators in one transaction. Each item is validated and
// written on its own (all or nothing per item, under a savepoint); the refused items carry
// their reason and the good ones are committed. The error is for the call as a whole (too
// many items, the database failing).
func (s *Store) BulkCreate(ctx context.Context, v intel.Viewer, ins []intel.Input) ([]BulkItem, error) {
	if err := canWrite(v); err != nil {
		return nil, err
	}
	if len(ins) > MaxBulk {
		return nil, fmt.Errorf("intel store: %d indicators in one call: %w", len(ins),
			&intel.InvalidError{Field: "indicators", Reason: fmt.Sprintf("at most %d per call", MaxBulk)})
	}
	s.maybeRefreshWarninglists(ctx)
	now := s.nowUTC()
	out := make([]BulkItem, len(ins))
	ready := make([]intel.Input, len(ins))
	for i, in := range ins {
		out[i].Index = i
		n, err := prepare(v, in, now)
		if err != nil {
			out[i].Err = err
			continue
		}
		ready[i] = n
	}
	// Fast path: one transaction, no savepoints. Validation already happened, so a database
	// error on an item is rare; if one happens, everything rolls back and the slow path
	// writes each item under its own savepoint, so the good ones are still committed.
	err := s.bulkWrite(ctx, v, ready, out, now, false)
	if errors.Is(err, errItemFailed) {
		for i := range out {
			if out[i].Err == nil {
				out[i].Result = nil
			}
		}
		err = s.bulkWrite(ctx, v, ready, out, now, true)
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}

var errItemFailed = errors.New("an item failed")

// bulkWrite writes the items of out that passed validation. Without savepoints the first
// failing item aborts the transaction with errItemFailed.
func (s *Store) bulkWrite(ctx context.Context, v intel.Viewer, ready []intel.Input, out []BulkItem, now time.Time, savepoints bool) error {
	return s.inBulkTx(ctx, func(tx *sql.Tx) error {
		w := newWriter(ctx, tx, s, true)
		defer w.close()
		if !savepoints {
			var idx []int
			var chunk []intel.Input
			flush := func() error {
				results, err := w.writeChunk(v, chunk, now)
				if err != nil {
					if ctx.Err() != nil {
						return ctx.Err()
					}
					return errItemFailed
				}
				for j, i := range idx {
					out[i].Result = &results[j]
				}
				idx, chunk = idx[:0], chunk[:0]
				return nil
			}
			for i := range ready {
				if out[i].Err != nil {
					continue
				}
				idx, chunk = append(idx, i), append(chunk, ready[i])
				if len(chunk) == chunkSize {
					if err := flush(); err != nil {
						return err
					}
				}
			}
			if len(chunk) > 0 {
				return flush()
			}
			return nil
		}
		for i := range ready {
			if out[i].Err != nil {
				continue
			}
			if !savepoints {
				res, err := w.write(v, ready[i], now)
				if err != nil {
					if ctx.Err() != nil {
						return ctx.Err()
					}
					return errItemFailed
				}
				out[i].Result = &res
				continue
			}
			if _, err := tx.ExecContext(ctx, `SAVEPOINT item`); err != nil {
				return fmt.Errorf("intel store: bulk: %w", err)
			}
			res, err := w.write(v, ready[i], now)
			if err != nil {
				if _, rerr := tx.ExecContext(ctx, `ROLLBACK TO SAVEPOINT item`); rerr != nil {
					return fmt.Errorf("intel store: bulk: %w", rerr)
				}
				if ctx.Err() != nil {
					return ctx.Err()
				}
				out[i].Err = err
			} else {
				out[i].Result = &res
			}
			if _, err := tx.ExecContext(ctx, `RELEASE SAVEPOINT item`); err != nil {
				return fmt.Errorf("intel store: bulk: %w", err)
			}
		}
		return nil
	})
}

func canWrite(v intel.Viewer) error {
	if v.Org == "" || (v.User != "" && !v.Can(intel.PermIndicatorWrite)) {
		return fmt.Errorf("intel store: reporting indicators needs the indicator:write permission: %w", ErrForbidden)
	}
	return nil
}

// prepare normalises an input and checks what depends on the viewer.
func prepare(v intel.Viewer, in intel.Input, now time.Time) (intel.Input, error) {
	n, err := in.Normalize(now)
	if err != nil {
		return intel.Input{}, err
	}
	for _, g := range n.Groups {
		if !v.InGroup(g) {
			return intel.Input{}, &intel.InvalidError{Field: "groups",
				Reason: fmt.Sprintf("your organisation is not a member of sharing group %q", g)}
		}
	}
	return n, nil
}

// writer holds the statements of one write transaction.
type writer struct {
	ctx                                                   context.Context
	tx                                                    *sql.Tx
	s                                                     *Store
	insInd, selInd, touchInd, selRep, insRep, updRep, ins *sql.Stmt
	chunk                                                 map[[2]int]*sql.Stmt // writeChunk's statements by (query, rows)
	err                                                   error
}

func newWriter(ctx context.Context, tx *sql.Tx, s *Store, prepared bool) *writer {
	w := &writer{ctx: ctx, tx: tx, s: s}
	if prepared {
		w.insInd = w.prep(sqlInsertIndicator)
		w.selInd = w.prep(sqlSelectIndicator)
		w.touchInd = w.prep(sqlTouchIndicator)
		w.selRep = w.prep(sqlSelectMemberReport)
		w.insRep = w.prep(sqlInsertReport)
		w.updRep = w.prep(sqlUpdateReport)
		w.ins = w.prep(sqlInsertEvent)
	}
	return w
}

func (w *writer) prep(q string) *sql.Stmt {
	if w.err != nil {
		return nil
	}
	st, err := w.tx.PrepareContext(w.ctx, q)
	if err != nil {
		w.err = fmt.Errorf("intel store: prepare: %w", err)
	}
	return st
}

func (w *writer) close() {
	for _, st := range []*sql.Stmt{w.insInd, w.selInd, w.touchInd, w.selRep, w.insRep, w.updRep, w.ins} {
		if st != nil {
			st.Close()
		}
	}
	for _, st := range w.chunk {
		st.Close()
	}
}

func (w *writer) exec(st *sql.Stmt, q string, args ...any) (sql.Result, error) {
	if st != nil {
		return st.ExecContext(w.ctx, args...)
	}
	return w.tx.ExecContext(w.ctx, q, args...)
}

func (w *writer) queryRow(st *sql.Stmt, q string, args ...any) *sql.Row {
	if st != nil {
		return st.QueryRowContext(w.ctx, args...)
	}
	return w.tx.QueryRowContext(w.ctx, q, args...)
}

const (
	sqlInsertIndicator = `INSERT INTO intel_indicators (id, type, value, warninglists, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (type, value) DO NOTHING`
	sqlSelectIndicator    = `SELECT id FROM intel_indicators WHERE type = ? AND value = ?`
	sqlTouchIndicator     = `UPDATE intel_indicators SET updated_at = ?, warninglists = ? WHERE id = ?`
	sqlSelectMemberReport = `SELECT id FROM intel_reports WHERE indicator_id = ? AND org_id = ?`
	sqlInsertReport       = `INSERT INTO intel_reports (id, indicator_id, org_id, attribution, proof_hash, tlp, scope,
		groups_json, confidence, threat_rating, tags_json, description, source, first_seen, last_seen, expires_at,
		created_by_run, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	// A member reporting again updates its report: the new labels and scores replace the old,
	// first seen keeps the earliest and last seen the latest.
	sqlUpdateReport = `UPDATE intel_reports SET attribution = ?, tlp = ?, scope = ?, groups_json = ?, confidence = ?,
		threat_rating = ?, tags_json = ?, description = ?, source = ?,
		first_seen = CASE WHEN first_seen < ? THEN first_seen ELSE ? END,
		last_seen = CASE WHEN last_seen > ? THEN last_seen ELSE ? END,
		expires_at = ?, created_by_run = ?, updated_at = ? WHERE id = ?`
	sqlInsertEvent = `INSERT INTO intel_outbox (id, kind, indicator_id, report_id, org_id, depth, created_by_run, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`
)

func jsonList(s []string) string {
	if len(s) == 0 {
		return "[]"
	}
	b, _ := json.Marshal(s)
	return string(b)
}

// write stores one normalised input: the indicator (created or touched), the member's
// report (inserted or updated; anonymous reports are always inserted) and the outbox event.
func (w *writer) write(v intel.Viewer, n intel.Input, now time.Time) (CreateResult, error) {
	if w.err != nil {
		return CreateResult{}, w.err
	}
	s := w.s
	wl := s.wl.Match(n.Type, n.Value)
	res := CreateResult{Type: n.Type, Value: n.Value, Warninglists: wl}
	if res.Warninglists == nil {
		res.Warninglists = []string{}
	}
	wlj := jsonList(wl)
	nowMS := ms(now)
	id := s.newID()
	r, err := w.exec(w.insInd, sqlInsertIndicator, id, string(n.Type), n.Value, wlj, nowMS, nowMS)
	if err != nil {
		return CreateResult{}, fmt.Errorf("intel store: insert indicator: %w", err)
	}
	if k, _ := r.RowsAffected(); k == 1 {
		res.IndicatorID, res.Created = id, true
	} else {
		if err := w.queryRow(w.selInd, sqlSelectIndicator, string(n.Type), n.Value).Scan(&res.IndicatorID); err != nil {
			return CreateResult{}, fmt.Errorf("intel store: find indicator: %w", err)
		}
		if _, err := w.exec(w.touchInd, sqlTouchIndicator, nowMS, wlj, res.IndicatorID); err != nil {
			return CreateResult{}, fmt.Errorf("intel store: touch indicator: %w", err)
		}
	}
	var org, proofHash any
	if n.Attribution == intel.Anonymous {
		res.Proof = "rap_" + randomSecret(24)
		proofHash = s.proofHash(res.Proof)
	} else {
		org = v.Org
		if !res.Created {
			err := w.queryRow(w.selRep, sqlSelectMemberReport, res.IndicatorID, v.Org).Scan(&res.ReportID)
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return CreateResult{}, fmt.Errorf("intel store: find report: %w", err)
			}
		}
	}
	kind := EventCreated
	if res.ReportID != "" {
		kind, res.Updated = EventUpdated, true
		_, err := w.exec(w.updRep, sqlUpdateReport, string(n.Attribution), string(n.TLP), string(n.Scope), jsonList(n.Groups),
			*n.Confidence, *n.ThreatRating, jsonList(n.Tags), n.Description, string(n.Source),
			ms(n.FirstSeen), ms(n.FirstSeen), ms(n.LastSeen), ms(n.LastSeen), ms(n.ExpiresAt), n.CreatedByRun, nowMS, res.ReportID)
		if err != nil {
			return CreateResult{}, fmt.Errorf("intel store: update report: %w", err)
		}
	} else {
		if !res.Created {
			kind = EventReported
		}
		res.ReportID = s.newID()
		_, err := w.exec(w.insRep, sqlInsertReport, res.ReportID, res.IndicatorID, org, string(n.Attribution), proofHash,
			string(n.TLP), string(n.Scope), jsonList(n.Groups), *n.Confidence, *n.ThreatRating, jsonList(n.Tags),
			n.Description, string(n.Source), ms(n.FirstSeen), ms(n.LastSeen), ms(n.ExpiresAt), n.CreatedByRun, nowMS, nowMS)
		if err != nil {
			if isForeignKey(err) {
				return CreateResult{}, fmt.Errorf("intel store: organisation %q: %w", v.Org, ErrNotFound)
			}
			return CreateResult{}, fmt.Errorf("intel store: insert report: %w", err)
		}
	}
	res.EventID = s.newID()
	if _, err := w.exec(w.ins, sqlInsertEvent, res.EventID, kind, res.IndicatorID, res.ReportID, org, n.Depth, n.CreatedByRun, nowMS); err != nil {
		return CreateResult{}, fmt.Errorf("intel store: insert outbox event: %w", err)
	}
	return res, nil
}

func isForeignKey(err error) bool {
	return err != nil && strings.Contains(strings.ToLower(err.Error()), "foreign key")
}

// inBulkTx is inTx on a connection whose statement journal (the savepoints of BulkCreate's
// slow path) is kept in memory rather than in a temporary file (three times faster), and
// whose page cache (32 MB) holds a 10,000-indicator transaction without spilling.
func (s *Store) inBulkTx(ctx context.Context, f func(tx *sql.Tx) error) error {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("intel store: connection: %w", err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `PRAGMA temp_store = MEMORY; PRAGMA cache_size = -32000`); err != nil {
		return fmt.Errorf("intel store: temp_store: %w", err)
	}
	return runTx(ctx, conn, f)
}
