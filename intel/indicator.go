package intel

import (
	"slices"
	"strings"
	"time"
)

// Limits on what one report may carry.
const (
	MaxTags           = 64
	MaxTagLen         = 128
	MaxDescriptionLen = 16 << 10
	DefaultConfidence = 50
)

// Input is one indicator as a member submits it. Zero fields take defaults: the type is
// inferred, TLP amber, scope community, attributed, confidence 50, threat rating 0, source
// member, first and last seen now.
type Input struct {
	Type         Type        `json:"type,omitempty"`
	Value        string      `json:"value"`
	TLP          TLP         `json:"tlp,omitempty"`
	Scope        Scope       `json:"scope,omitempty"`
	Groups       []string    `json:"groups,omitempty"` // sharing group ids, for ScopeGroups
	Attribution  Attribution `json:"attribution,omitempty"`
	Confidence   *int        `json:"confidence,omitempty"`    // 0..100
	ThreatRating *int        `json:"threat_rating,omitempty"` // 0..5
	Tags         []string    `json:"tags,omitempty"`
	Description  string      `json:"description,omitempty"`
	Source       Source      `json:"source,omitempty"`
	FirstSeen    time.Time   `json:"first_seen,omitzero"`
	LastSeen     time.Time   `json:"last_seen,omitzero"`
	ExpiresAt    time.Time   `json:"expires_at,omitzero"` // zero: never

	// Set by the engine, never by API clients: the run that created the indicator and that
	// run's trigger depth + 1.
	CreatedByRun string `json:"-"`
	Depth        int    `json:"-"`
}

// Normalize validates in and returns it with every default filled and the value in
// canonical form, or an *InvalidError naming the field at fault. now fills missing dates.
func (in Input) Normalize(now time.Time) (Input, error) {
	var err error
	out := in
	if out.Type, err = ParseType(string(in.Type)); err != nil {
		return Input{}, err
	}
	if out.Type, out.Value, err = Normalize(out.Type, in.Value); err != nil {
		return Input{}, err
	}
	if out.TLP, err = ParseTLP(string(in.TLP)); err != nil {
		return Input{}, err
	}
	if out.Scope, err = ParseScope(string(in.Scope)); err != nil {
		return Input{}, err
	}
	if out.Attribution, err = ParseAttribution(string(in.Attribution)); err != nil {
		return Input{}, err
	}
	if out.Source, err = ParseSource(string(in.Source)); err != nil {
		return Input{}, err
	}
	switch {
	case out.Scope == ScopeGroups && len(in.Groups) == 0:
		return Input{}, invalid("groups", "scope groups needs at least one sharing group")
	case out.Scope != ScopeGroups && len(in.Groups) > 0:
		return Input{}, invalid("groups", "groups are given but the scope is %s: use scope groups", out.Scope)
	case out.TLP == TLPRed && out.Scope == ScopeCommunity:
		return Input{}, invalid("scope", "TLP:RED is for named recipients only: share it with sharing groups, or keep it to your organisation")
	case out.Attribution == Anonymous && out.Scope == ScopeOwner:
		return Input{}, invalid("attribution", "an anonymous report kept to its owner would be visible to nobody: share it with groups or the community")
	case out.Attribution == Anonymous && in.CreatedByRun != "":
		return Input{}, invalid("attribution", "a playbook run cannot report anonymously: its run id names the organisation")
	}
	out.Groups = dedupe(in.Groups)
	conf := DefaultConfidence
	if in.Confidence != nil {
		conf = *in.Confidence
	}
	if conf < 0 || conf > 100 {
		return Input{}, invalid("confidence", "%d is outside 0..100", conf)
	}
	out.Confidence = &conf
	rating := 0
	if in.ThreatRating != nil {
		rating = *in.ThreatRating
	}
	if rating < 0 || rating > 5 {
		return Input{}, invalid("threat_rating", "%d is outside 0..5", rating)
	}
	out.ThreatRating = &rating
	if len(in.Tags) > MaxTags {
		return Input{}, invalid("tags", "more than %d tags", MaxTags)
	}
	tags := make([]string, 0, len(in.Tags))
	for _, t := range in.Tags {
		t = strings.ToLower(strings.TrimSpace(t))
		if t == "" {
			continue
		}
		if len(t) > MaxTagLen {
			return Input{}, invalid("tags", "a tag is longer than %d bytes", MaxTagLen)
		}
		tags = append(tags, t)
	}
	out.Tags = dedupe(tags)
	if len(in.Description) > MaxDescriptionLen {
		return Input{}, invalid("description", "longer than %d bytes", MaxDescriptionLen)
	}
	now = now.UTC().Truncate(time.Millisecond)
	if out.LastSeen.IsZero() {
		out.LastSeen = now
	}
	if out.FirstSeen.IsZero() {
		out.FirstSeen = out.LastSeen
	}
	out.FirstSeen, out.LastSeen = out.FirstSeen.UTC(), out.LastSeen.UTC()
	if out.LastSeen.Before(out.FirstSeen) {
		return Input{}, invalid("last_seen", "before first_seen")
	}
	if !out.ExpiresAt.IsZero() {
		out.ExpiresAt = out.ExpiresAt.UTC()
		if !out.ExpiresAt.After(out.FirstSeen) {
			return Input{}, invalid("expires_at", "not after first_seen")
		}
	}
	if in.Depth < 0 {
		return Input{}, invalid("depth", "negative")
	}
	return out, nil
}

func dedupe(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	out := slices.Clone(s)
	slices.Sort(out)
	return slices.Compact(out)
}

// Report is one member's report of an indicator, as stored. Org is "" for an anonymous
// report: the store never records its contributor.
type Report struct {
	ID           string
	IndicatorID  string
	Org          string // "" when Attribution is Anonymous
	Pseudonym    string // the organisation's pseudonym, when Attribution is Pseudonymous
	Attribution  Attribution
	TLP          TLP
	Scope        Scope
	Groups       []string
	Confidence   int
	ThreatRating int
	Tags         []string
	Description  string
	Source       Source
	FirstSeen    time.Time
	LastSeen     time.Time
	ExpiresAt    time.Time // zero: never
	CreatedByRun string
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// Visibility returns the report's visibility.
func (r *Report) Visibility() Visibility {
	return Visibility{Owner: r.Org, TLP: r.TLP, Scope: r.Scope, Groups: r.Groups}
}

// Indicator is one stored indicator with every report: the unredacted record. It never goes
// to a viewer as is; ViewFor makes what a viewer may see.
type Indicator struct {
	ID             string
	Type           Type
	Value          string
	Warninglists   []string // names of the warninglists the value is on
	Sightings      int64
	FalsePositives int64
	CreatedAt      time.Time
	UpdatedAt      time.Time
	Reports        []Report // oldest first
}
