package intel

import (
	"math"
	"slices"
	"time"
)

// WeightHalfLife is the age at which one report counts half in an indicator's weight.
const WeightHalfLife = 30 * 24 * time.Hour

// Weight is the correlation weight of a set of reports at now: each distinct reporting
// organisation (each anonymous report counts as one) contributes 0.5^(age/WeightHalfLife),
// where age is the time since its most recent last-seen. One fresh report weighs 1; three
// members reporting it today weigh 3; a single month-old report weighs 0.5.
func Weight(reports []Report, now time.Time) float64 {
	latest := map[string]time.Time{}
	anon := 0
	var w float64
	for i := range reports {
		r := &reports[i]
		if r.Org == "" {
			anon++
			w += decay(r.LastSeen, now)
			continue
		}
		if t, ok := latest[r.Org]; !ok || r.LastSeen.After(t) {
			latest[r.Org] = r.LastSeen
		}
	}
	for _, t := range latest {
		w += decay(t, now)
	}
	return math.Round(w*1000) / 1000
}

func decay(seen, now time.Time) float64 {
	age := now.Sub(seen)
	if age <= 0 {
		return 1
	}
	return math.Pow(0.5, float64(age)/float64(WeightHalfLife))
}

// View is an indicator as one viewer may see it: only the reports it may see, with
// contributors shown as their attribution allows, and aggregate fields computed from those
// reports alone.
type View struct {
	ID             string       `json:"id"`
	Type           Type         `json:"type"`
	Value          string       `json:"value"`
	TLP            TLP          `json:"tlp"`           // the most restrictive label among the visible reports
	Confidence     int          `json:"confidence"`    // the highest among the visible reports
	ThreatRating   int          `json:"threat_rating"` // the highest among the visible reports
	Tags           []string     `json:"tags"`          // the union, sorted
	Description    string       `json:"description"`   // the most recent visible report's
	Owner          string       `json:"owner"`         // the first visible report's contributor as shown; "" when anonymous
	Attribution    Attribution  `json:"attribution"`   // the first visible report's
	Source         Source       `json:"source"`        // the first visible report's
	FirstSeen      time.Time    `json:"first_seen"`
	LastSeen       time.Time    `json:"last_seen"`
	ExpiresAt      time.Time    `json:"expires_at,omitzero"` // the latest expiry; zero when any report never expires
	Sightings      int64        `json:"sightings"`
	FalsePositives int64        `json:"false_positives"`
	Reporters      int          `json:"reporters"` // distinct contributors among the visible reports
	Weight         float64      `json:"weight"`
	Warninglists   []string     `json:"warninglists"`
	CreatedByRun   string       `json:"created_by_run,omitempty"`
	CreatedAt      time.Time    `json:"created_at"`
	UpdatedAt      time.Time    `json:"updated_at"`
	Reports        []ReportView `json:"reports"`
}

// ReportView is one report as a viewer may see it.
type ReportView struct {
	ID           string      `json:"id"`
	Owner        string      `json:"owner"` // organisation, pseudonym, or "" when anonymous
	Attribution  Attribution `json:"attribution"`
	LinkedOrg    string      `json:"linked_org,omitempty"` // behind a pseudonym: community admins only
	Mine         bool        `json:"mine"`                 // reported by the viewer's organisation (never set for anonymous)
	TLP          TLP         `json:"tlp"`
	Scope        Scope       `json:"scope"`
	Groups       []string    `json:"groups,omitempty"` // shown to the owner only
	Confidence   int         `json:"confidence"`
	ThreatRating int         `json:"threat_rating"`
	Tags         []string    `json:"tags"`
	Description  string      `json:"description"`
	Source       Source      `json:"source"`
	FirstSeen    time.Time   `json:"first_seen"`
	LastSeen     time.Time   `json:"last_seen"`
	ExpiresAt    time.Time   `json:"expires_at,omitzero"`
	CreatedByRun string      `json:"created_by_run,omitempty"` // shown when attributed or to the owner
	CreatedAt    time.Time   `json:"created_at"`
}

// RedactReport returns the report as v sees it; ok is false when v may not see it.
func RedactReport(v Viewer, r *Report) (ReportView, bool) {
	if !CanSee(v, r.Visibility()) {
		return ReportView{}, false
	}
	mine := r.Org != "" && r.Org == v.Org
	rv := ReportView{
		ID: r.ID, Attribution: r.Attribution, Mine: mine, TLP: r.TLP, Scope: r.Scope,
		Confidence: r.Confidence, ThreatRating: r.ThreatRating, Tags: r.Tags, Description: r.Description,
		Source: r.Source, FirstSeen: r.FirstSeen, LastSeen: r.LastSeen, ExpiresAt: r.ExpiresAt, CreatedAt: r.CreatedAt,
	}
	if rv.Tags == nil {
		rv.Tags = []string{}
	}
	switch r.Attribution {
	case Attributed:
		rv.Owner = r.Org
		rv.CreatedByRun = r.CreatedByRun
	case Pseudonymous:
		rv.Owner = r.Pseudonym
		if v.Can(PermPseudonymLink) || mine {
			rv.LinkedOrg = r.Org
		}
	}
	if mine {
		rv.Groups = r.Groups
		rv.CreatedByRun = r.CreatedByRun
	}
	return rv, true
}

// ViewFor returns the indicator as v sees it at now; ok is false when v may see none of its
// reports (then the indicator does not exist for v).
func (ind *Indicator) ViewFor(v Viewer, now time.Time) (View, bool) {
	return ind.viewOf(v, now, func(*Report) bool { return true })
}

// ViewForBefore is ViewFor restricted to the reports created before the one with id
// reportID (exclusive): what v saw before that report arrived. The router uses it to tell
// an organisation's first sight of an indicator (created) from news about one it knew
// (updated).
func (ind *Indicator) ViewForBefore(v Viewer, now time.Time, reportID string) (View, bool) {
	seen := false
	return ind.viewOf(v, now, func(r *Report) bool {
		if r.ID == reportID {
			seen = true
		}
		return !seen
	})
}

func (ind *Indicator) viewOf(v Viewer, now time.Time, keep func(*Report) bool) (View, bool) {
	var visible []Report
	var views []ReportView
	for i := range ind.Reports {
		r := &ind.Reports[i]
		if !keep(r) {
			continue
		}
		if rv, ok := RedactReport(v, r); ok {
			visible = append(visible, *r)
			views = append(views, rv)
		}
	}
	if len(views) == 0 {
		return View{}, false
	}
	first := views[0]
	out := View{
		ID: ind.ID, Type: ind.Type, Value: ind.Value, TLP: first.TLP, Owner: first.Owner,
		Attribution: first.Attribution, Source: first.Source, CreatedByRun: first.CreatedByRun,
		FirstSeen: first.FirstSeen, LastSeen: first.LastSeen, ExpiresAt: first.ExpiresAt,
		Sightings: ind.Sightings, FalsePositives: ind.FalsePositives,
		Warninglists: ind.Warninglists, CreatedAt: ind.CreatedAt, UpdatedAt: ind.UpdatedAt,
		Weight: Weight(visible, now), Reports: views,
	}
	if out.Warninglists == nil {
		out.Warninglists = []string{}
	}
	var tags []string
	latest := first.CreatedAt
	out.Description = first.Description
	reporters := map[string]bool{}
	for i, rv := range views {
		r := &visible[i]
		out.TLP = out.TLP.Stricter(rv.TLP)
		out.Confidence = max(out.Confidence, rv.Confidence)
		out.ThreatRating = max(out.ThreatRating, rv.ThreatRating)
		tags = append(tags, rv.Tags...)
		if rv.FirstSeen.Before(out.FirstSeen) {
			out.FirstSeen = rv.FirstSeen
		}
		if rv.LastSeen.After(out.LastSeen) {
			out.LastSeen = rv.LastSeen
		}
		if out.ExpiresAt.IsZero() || rv.ExpiresAt.IsZero() {
			out.ExpiresAt = time.Time{}
		} else if rv.ExpiresAt.After(out.ExpiresAt) {
			out.ExpiresAt = rv.ExpiresAt
		}
		if !rv.CreatedAt.Before(latest) && rv.Description != "" {
			latest, out.Description = rv.CreatedAt, rv.Description
		}
		if r.Org == "" {
			reporters["anon:"+r.ID] = true
		} else {
			reporters[r.Org] = true
		}
	}
	out.Reporters = len(reporters)
	out.Tags = dedupe(tags)
	if out.Tags == nil {
		out.Tags = []string{}
	}
	slices.Sort(out.Tags)
	return out, true
}
