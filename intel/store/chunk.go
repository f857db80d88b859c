package store

import (
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/rampartsec/rampart/intel"
)

// chunkSize is how many items BulkCreate's fast path writes with one multi-row INSERT per
// table (19 report columns × 100 rows stays far below SQLite's variable limit).
const chunkSize = 100

// writeChunk is write for many items at once, with the same result: the indicators in one
// INSERT … ON CONFLICT DO NOTHING RETURNING (which reports the ones that are new), the
// new reports in one INSERT and the outbox events in one INSERT; only items whose
// indicator already existed take the per-item statements. A chunk that names one value
// twice is written item by item, in order.
func (w *writer) writeChunk(v intel.Viewer, items []intel.Input, now time.Time) ([]CreateResult, error) {
	if w.err != nil {
		return nil, w.err
	}
	out := make([]CreateResult, len(items))
	seen := make(map[[2]string]bool, len(items))
	for _, n := range items {
		k := [2]string{string(n.Type), n.Value}
		if seen[k] {
			for i, n := range items {
				r, err := w.write(v, n, now)
				if err != nil {
					return nil, err
				}
				out[i] = r
			}
			return out, nil
		}
		seen[k] = true
	}
	s := w.s
	nowMS := ms(now)

	// 1. indicators
	args := make([]any, 0, len(items)*6)
	wlj := make([]string, len(items))
	for i, n := range items {
		wl := s.wl.Match(n.Type, n.Value)
		out[i] = CreateResult{Type: n.Type, Value: n.Value, Warninglists: wl, IndicatorID: s.newID()}
		if out[i].Warninglists == nil {
			out[i].Warninglists = []string{}
		}
		wlj[i] = jsonList(wl)
		args = append(args, out[i].IndicatorID, string(n.Type), n.Value, wlj[i], nowMS, nowMS)
	}
	st, err := w.chunkStmt(0, len(items))
	if err != nil {
		return nil, err
	}
	rows, err := st.QueryContext(w.ctx, args...)
	if err != nil {
		return nil, fmt.Errorf("intel store: insert indicators: %w", err)
	}
	inserted := make(map[string]bool, len(items))
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, fmt.Errorf("intel store: insert indicators: %w", err)
		}
		inserted[id] = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("intel store: insert indicators: %w", err)
	}

	// 2. reports: known indicators first look for the member's report
	var repArgs, evArgs []any
	nrep, nev := 0, 0
	for i, n := range items {
		r := &out[i]
		if inserted[r.IndicatorID] {
			r.Created = true
		} else {
			if err := w.selInd.QueryRowContext(w.ctx, string(n.Type), n.Value).Scan(&r.IndicatorID); err != nil {
				return nil, fmt.Errorf("intel store: find indicator: %w", err)
			}
			if _, err := w.touchInd.ExecContext(w.ctx, nowMS, wlj[i], r.IndicatorID); err != nil {
				return nil, fmt.Errorf("intel store: touch indicator: %w", err)
			}
		}
		var org, proofHash any
		if n.Attribution == intel.Anonymous {
			r.Proof = "rap_" + randomSecret(24)
			proofHash = s.proofHash(r.Proof)
		} else {
			org = v.Org
			if !r.Created {
				err := w.selRep.QueryRowContext(w.ctx, r.IndicatorID, v.Org).Scan(&r.ReportID)
				if err != nil && !errors.Is(err, sql.ErrNoRows) {
					return nil, fmt.Errorf("intel store: find report: %w", err)
				}
			}
		}
		kind := EventCreated
		if r.ReportID != "" {
			kind, r.Updated = EventUpdated, true
			if _, err := w.updRep.ExecContext(w.ctx, string(n.Attribution), string(n.TLP), string(n.Scope), jsonList(n.Groups),
				*n.Confidence, *n.ThreatRating, jsonList(n.Tags), n.Description, string(n.Source),
				ms(n.FirstSeen), ms(n.FirstSeen), ms(n.LastSeen), ms(n.LastSeen), ms(n.ExpiresAt), n.CreatedByRun, nowMS, r.ReportID); err != nil {
				return nil, fmt.Errorf("intel store: update report: %w", err)
			}
		} else {
			if !r.Created {
				kind = EventReported
			}
			r.ReportID = s.newID()
			repArgs = append(repArgs, r.ReportID, r.IndicatorID, org, string(n.Attribution), proofHash,
				string(n.TLP), string(n.Scope), jsonList(n.Groups), *n.Confidence, *n.ThreatRating, jsonList(n.Tags),
				n.Description, string(n.Source), ms(n.FirstSeen), ms(n.LastSeen), ms(n.ExpiresAt), n.CreatedByRun, nowMS, nowMS)
			nrep++
		}
		r.EventID = s.newID()
		evArgs = append(evArgs, r.EventID, kind, r.IndicatorID, r.ReportID, org, n.Depth, n.CreatedByRun, nowMS)
		nev++
	}
	if nrep > 0 {
		st, err := w.chunkStmt(1, nrep)
		if err != nil {
			return nil, err
		}
		if _, err := st.ExecContext(w.ctx, repArgs...); err != nil {
			if isForeignKey(err) {
				return nil, fmt.Errorf("intel store: organisation %q: %w", v.Org, ErrNotFound)
			}
			return nil, fmt.Errorf("intel store: insert reports: %w", err)
		}
	}
	// 3. the outbox events, in item order
	st, err = w.chunkStmt(2, nev)
	if err != nil {
		return nil, err
	}
	if _, err := st.ExecContext(w.ctx, evArgs...); err != nil {
		return nil, fmt.Errorf("intel store: insert outbox events: %w", err)
	}
	return out, nil
}

// chunkQueries are the multi-row statements of writeChunk: the SQL before the VALUES
// rows, the columns per row, and what follows.
var chunkQueries = [3]struct {
	head string
	cols int
	tail string
}{
	{`INSERT INTO intel_indicators (id, type, value, warninglists, created_at, updated_at) VALUES `, 6,
		` ON CONFLICT (type, value) DO NOTHING RETURNING id`},
	{`INSERT INTO intel_reports (id, indicator_id, org_id, attribution, proof_hash, tlp, scope, groups_json, confidence,
		threat_rating, tags_json, description, source, first_seen, last_seen, expires_at, created_by_run, created_at,
		updated_at) VALUES `, 19, ``},
	{`INSERT INTO intel_outbox (id, kind, indicator_id, report_id, org_id, depth, created_by_run, created_at) VALUES `, 8, ``},
}

// chunkStmt returns statement q for rows rows, prepared once per transaction per size.
func (w *writer) chunkStmt(q, rows int) (*sql.Stmt, error) {
	key := [2]int{q, rows}
	if st, ok := w.chunk[key]; ok {
		return st, nil
	}
	c := chunkQueries[q]
	st, err := w.tx.PrepareContext(w.ctx, c.head+placeholders(rows, c.cols)+c.tail)
	if err != nil {
		return nil, fmt.Errorf("intel store: prepare: %w", err)
	}
	if w.chunk == nil {
		w.chunk = map[[2]int]*sql.Stmt{}
	}
	w.chunk[key] = st
	return st, nil
}

// placeholders returns "(?, …), (?, …)": rows groups of cols.
func placeholders(rows, cols int) string {
	row := "(" + strings.Repeat("?, ", cols-1) + "?)"
	return strings.Repeat(row+", ", rows-1) + row
}
