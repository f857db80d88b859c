package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/rampartsec/rampart/intel"
)

const reportCols = `r.id, r.indicator_id, COALESCE(r.org_id, ''), COALESCE(o.pseudonym, ''), r.attribution, r.tlp, r.scope,
	r.groups_json, r.confidence, r.threat_rating, r.tags_json, r.description, r.source, r.first_seen, r.last_seen,
	r.expires_at, r.created_by_run, r.created_at, r.updated_at`

const reportFrom = ` FROM intel_reports r LEFT JOIN intel_orgs o ON o.id = r.org_id `

func scanReport(sc interface{ Scan(...any) error }) (intel.Report, error) {
	var r intel.Report
	var attr, tlp, scope, gj, tj, src string
	var fs, ls, ex, c, u int64
	if err := sc.Scan(&r.ID, &r.IndicatorID, &r.Org, &r.Pseudonym, &attr, &tlp, &scope, &gj, &r.Confidence,
		&r.ThreatRating, &tj, &r.Description, &src, &fs, &ls, &ex, &r.CreatedByRun, &c, &u); err != nil {
		return intel.Report{}, err
	}
	r.Attribution, r.TLP, r.Scope, r.Source = intel.Attribution(attr), intel.TLP(tlp), intel.Scope(scope), intel.Source(src)
	if err := json.Unmarshal([]byte(gj), &r.Groups); err != nil {
		return intel.Report{}, fmt.Errorf("groups of report %s: %w", r.ID, err)
	}
	if err := json.Unmarshal([]byte(tj), &r.Tags); err != nil {
		return intel.Report{}, fmt.Errorf("tags of report %s: %w", r.ID, err)
	}
	if r.Attribution != intel.Pseudonymous {
		r.Pseudonym = ""
	}
	r.FirstSeen, r.LastSeen, r.ExpiresAt, r.CreatedAt, r.UpdatedAt = fromMS(fs), fromMS(ls), fromMS(ex), fromMS(c), fromMS(u)
	return r, nil
}

const indicatorCols = `id, type, value, warninglists, sightings, false_positives, created_at, updated_at`

func scanIndicator(sc interface{ Scan(...any) error }) (*intel.Indicator, error) {
	ind := &intel.Indicator{}
	var typ, wj string
	var c, u int64
	if err := sc.Scan(&ind.ID, &typ, &ind.Value, &wj, &ind.Sightings, &ind.FalsePositives, &c, &u); err != nil {
		return nil, err
	}
	ind.Type = intel.Type(typ)
	if err := json.Unmarshal([]byte(wj), &ind.Warninglists); err != nil {
		return nil, fmt.Errorf("warninglists of indicator %s: %w", ind.ID, err)
	}
	ind.CreatedAt, ind.UpdatedAt = fromMS(c), fromMS(u)
	return ind, nil
}

// loadIndicator reads one indicator with all its reports (oldest first).
func (s *Store) loadIndicator(ctx context.Context, q querier, id string) (*intel.Indicator, error) {
	ind, err := scanIndicator(q.QueryRowContext(ctx, `SELECT `+indicatorCols+` FROM intel_indicators WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("intel store: indicator %q: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("intel store: load indicator: %w", err)
	}
	if err := s.loadReports(ctx, q, map[string]*intel.Indicator{id: ind}); err != nil {
		return nil, err
	}
	return ind, nil
}

// loadReports fills the Reports of the given indicators, oldest first.
func (s *Store) loadReports(ctx context.Context, q querier, inds map[string]*intel.Indicator) error {
	if len(inds) == 0 {
		return nil
	}
	ids := make([]any, 0, len(inds))
	for id := range inds {
		ids = append(ids, id)
	}
	rows, err := q.QueryContext(ctx, `SELECT `+reportCols+reportFrom+`WHERE r.indicator_id IN (?`+
		strings.Repeat(", ?", len(ids)-1)+`) ORDER BY r.id`, ids...)
	if err != nil {
		return fmt.Errorf("intel store: load reports: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		r, err := scanReport(rows)
		if err != nil {
			return fmt.Errorf("intel store: load reports: %w", err)
		}
		ind := inds[r.IndicatorID]
		ind.Reports = append(ind.Reports, r)
	}
	return rows.Err()
}

// Indicator returns the unredacted record with every report. Only trusted internal callers
// (the trigger router, which redacts per organisation) may use it: never return it to a
// viewer.
func (s *Store) Indicator(ctx context.Context, id string) (*intel.Indicator, error) {
	return s.loadIndicator(ctx, s.db, id)
}

// GetIndicator returns the indicator as v sees it; ErrNotFound when it does not exist or v
// may see none of its reports.
func (s *Store) GetIndicator(ctx context.Context, v intel.Viewer, id string) (intel.View, error) {
	ind, err := s.loadIndicator(ctx, s.db, id)
	if err != nil {
		return intel.View{}, err
	}
	view, ok := ind.ViewFor(v, s.nowUTC())
	if !ok {
		return intel.View{}, fmt.Errorf("intel store: indicator %q: %w", id, ErrNotFound)
	}
	return view, nil
}

// FindIndicator returns the indicator of a value (normalised first; t may be "" to infer) as
// v sees it.
func (s *Store) FindIndicator(ctx context.Context, v intel.Viewer, t intel.Type, value string) (intel.View, error) {
	t, value, err := intel.Normalize(t, value)
	if err != nil {
		return intel.View{}, fmt.Errorf("intel store: find indicator: %w", err)
	}
	var id string
	err = s.db.QueryRowContext(ctx, sqlSelectIndicator, string(t), value).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return intel.View{}, fmt.Errorf("intel store: indicator %s %q: %w", t, value, ErrNotFound)
	}
	if err != nil {
		return intel.View{}, fmt.Errorf("intel store: find indicator: %w", err)
	}
	return s.GetIndicator(ctx, v, id)
}

// Filter selects indicators for ListIndicators. Every condition applies to the indicator as
// the viewer sees it (so a filter cannot reveal a hidden report).
type Filter struct {
	Type   intel.Type // "" for any
	Tag    string     // "" for any
	TLP    intel.TLP  // the view's label; "" for any
	Owner  string     // the view's owner as shown (organisation or pseudonym); "" for any
	Since  time.Time  // updated at or after; zero for any
	Cursor string     // from the previous Page.Next; "" for the first page
	Limit  int        // 1..1000; 0 means 100
}

// Page is one page of ListIndicators, oldest first.
type Page struct {
	Items []intel.View `json:"items"`
	Next  string       `json:"next,omitempty"` // "" on the last page
}

// MaxPage is the largest page ListIndicators returns.
const MaxPage = 1000

// ListIndicators returns the indicators v may see that match f, in creation order, a page at
// a time.
func (s *Store) ListIndicators(ctx context.Context, v intel.Viewer, f Filter) (Page, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	limit = min(limit, MaxPage)
	now := s.nowUTC()
	page := Page{Items: []intel.View{}}
	cursor := f.Cursor
	tag := strings.ToLower(strings.TrimSpace(f.Tag))
	for {
		q := `SELECT ` + indicatorCols + ` FROM intel_indicators WHERE id > ?`
		args := []any{cursor}
		if f.Type != "" {
			q += ` AND type = ?`
			args = append(args, string(f.Type))
		}
		if !f.Since.IsZero() {
			q += ` AND updated_at >= ?`
			args = append(args, ms(f.Since))
		}
		batch := limit * 2
		q += ` ORDER BY id LIMIT ?`
		args = append(args, batch)
		rows, err := s.db.QueryContext(ctx, q, args...)
		if err != nil {
			return Page{}, fmt.Errorf("intel store: list indicators: %w", err)
		}
		var order []*intel.Indicator
		byID := map[string]*intel.Indicator{}
		for rows.Next() {
			ind, err := scanIndicator(rows)
			if err != nil {
				rows.Close()
				return Page{}, fmt.Errorf("intel store: list indicators: %w", err)
			}
			order = append(order, ind)
			byID[ind.ID] = ind
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return Page{}, fmt.Errorf("intel store: list indicators: %w", err)
		}
		if err := s.loadReports(ctx, s.db, byID); err != nil {
			return Page{}, err
		}
		for _, ind := range order {
			cursor = ind.ID
			view, ok := ind.ViewFor(v, now)
			if !ok || (tag != "" && !slices.Contains(view.Tags, tag)) ||
				(f.TLP != "" && view.TLP != f.TLP) || (f.Owner != "" && view.Owner != f.Owner) {
				continue
			}
			page.Items = append(page.Items, view)
			if len(page.Items) == limit {
				page.Next = ind.ID
				return page, nil
			}
		}
		if len(order) < batch {
			return page, nil
		}
	}
}
