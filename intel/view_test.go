package intel

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

var v0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// sample is one indicator reported four times: by acme to the finance group (amber), by
// beta pseudonymously to the community (green), anonymously to the community (clear), and
// by gamma for itself (red).
func sample() *Indicator {
	day := 24 * time.Hour
	return &Indicator{
		ID: "ind1", Type: TypeIPv4, Value: "203.0.113.9", Warninglists: []string{"documentation-ranges"},
		Sightings: 3, FalsePositives: 1, CreatedAt: v0.Add(-30 * day), UpdatedAt: v0,
		Reports: []Report{
			{ID: "r1", Org: "acme", Attribution: Attributed, TLP: TLPAmber, Scope: ScopeGroups, Groups: []string{"finance"},
				Confidence: 60, ThreatRating: 2, Tags: []string{"c2"}, Description: "seen beaconing", Source: SourceMember,
				FirstSeen: v0.Add(-30 * day), LastSeen: v0.Add(-30 * day), CreatedByRun: "acme/enrich@1/e1", CreatedAt: v0.Add(-30 * day)},
			{ID: "r2", Org: "beta", Pseudonym: "member-beta42", Attribution: Pseudonymous, TLP: TLPGreen, Scope: ScopeCommunity,
				Confidence: 90, ThreatRating: 4, Tags: []string{"botnet"}, Description: "botnet controller", Source: SourceFeed,
				FirstSeen: v0.Add(-2 * day), LastSeen: v0, ExpiresAt: v0.Add(30 * day), CreatedAt: v0.Add(-2 * day)},
			{ID: "r3", Attribution: Anonymous, TLP: TLPClear, Scope: ScopeCommunity, Confidence: 40, Tags: []string{"c2"},
				Source: SourceMember, FirstSeen: v0.Add(-day), LastSeen: v0.Add(-day), ExpiresAt: v0.Add(10 * day), CreatedAt: v0.Add(-day)},
			{ID: "r4", Org: "gamma", Attribution: Attributed, TLP: TLPRed, Scope: ScopeOwner, Confidence: 100, ThreatRating: 5,
				Tags: []string{"secret"}, Description: "our incident", Source: SourceImport, FirstSeen: v0, LastSeen: v0, CreatedAt: v0},
		},
	}
}

func TestViewForRedactsPerViewer(t *testing.T) {
	ind := sample()
	got := map[string]any{}
	for _, k := range viewerKinds {
		view, ok := ind.ViewFor(k.v, v0)
		if !ok {
			got[k.code+" "+k.name] = "not visible"
			continue
		}
		got[k.code+" "+k.name] = view
	}
	b, err := json.MarshalIndent(got, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	b = append(b, '\n')
	golden := filepath.Join("testdata", "views.golden.json")
	if *update {
		if err := os.WriteFile(golden, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test ./intel -run TestViewForRedactsPerViewer -update)", err)
	}
	if !bytes.Equal(b, want) {
		t.Errorf("views differ from %s (rerun with -update and review the diff):\n%s", golden, b)
	}

	// The properties the golden file shows, checked directly.
	gamma, _ := ind.ViewFor(viewerKinds[4].v, v0)
	if gamma.TLP != TLPRed || gamma.Reporters != 3 || gamma.Confidence != 100 {
		t.Errorf("gamma's view: tlp %s, reporters %d, confidence %d; want red, 3, 100", gamma.TLP, gamma.Reporters, gamma.Confidence)
	}
	for _, r := range gamma.Reports {
		if r.ID == "r1" {
			t.Error("gamma sees acme's group-only report")
		}
		if r.ID == "r2" && (r.Owner != "member-beta42" || r.LinkedOrg != "") {
			t.Errorf("pseudonymous report shown to gamma as %q / linked %q", r.Owner, r.LinkedOrg)
		}
		if r.ID == "r3" && (r.Owner != "" || r.Mine) {
			t.Errorf("anonymous report shown with owner %q mine %v", r.Owner, r.Mine)
		}
	}
	admin, _ := ind.ViewFor(viewerKinds[5].v, v0)
	for _, r := range admin.Reports {
		if r.ID == "r2" && r.LinkedOrg != "beta" {
			t.Errorf("a community admin cannot link the pseudonym: %+v", r)
		}
	}
	acme, _ := ind.ViewFor(viewerKinds[0].v, v0)
	if acme.Owner != "acme" || acme.CreatedByRun != "acme/enrich@1/e1" || acme.Reports[0].Groups == nil || !acme.Reports[0].Mine {
		t.Errorf("the owner's own report is not shown in full: %+v", acme.Reports[0])
	}
	if _, ok := ind.ViewFor(Viewer{Org: "delta"}, v0); !ok {
		t.Error("a member cannot see the community reports")
	}
	if _, ok := ind.ViewForBefore(viewerKinds[4].v, v0, "r2"); ok {
		t.Error("gamma saw something before beta's report, though acme's was not shared with it")
	}
}

func TestWeight(t *testing.T) {
	day := 24 * time.Hour
	tests := []struct {
		name    string
		reports []Report
		want    float64
	}{
		{"one fresh report", []Report{{Org: "a", LastSeen: v0}}, 1},
		{"three members today", []Report{{Org: "a", LastSeen: v0}, {Org: "b", LastSeen: v0}, {Org: "c", LastSeen: v0}}, 3},
		{"one member twice counts once, at its latest", []Report{{Org: "a", LastSeen: v0.Add(-60 * day)}, {Org: "a", LastSeen: v0}}, 1},
		{"a half-life old", []Report{{Org: "a", LastSeen: v0.Add(-WeightHalfLife)}}, 0.5},
		{"anonymous reports count one each", []Report{{ID: "x", LastSeen: v0}, {ID: "y", LastSeen: v0}}, 2},
		{"none", nil, 0},
	}
	for _, tt := range tests {
		if got := Weight(tt.reports, v0); got != tt.want {
			t.Errorf("%s: Weight = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestInputNormalize(t *testing.T) {
	tests := []struct {
		name  string
		in    Input
		field string // the refused field; "" when valid
	}{
		{"defaults", Input{Value: "192.0.2.1"}, ""},
		{"confidence above 100", Input{Value: "192.0.2.1", Confidence: ptrInt(101)}, "confidence"},
		{"threat rating above 5", Input{Value: "192.0.2.1", ThreatRating: ptrInt(6)}, "threat_rating"},
		{"groups scope without groups", Input{Value: "192.0.2.1", Scope: ScopeGroups}, "groups"},
		{"groups without groups scope", Input{Value: "192.0.2.1", Groups: []string{"g"}}, "groups"},
		{"red to the community", Input{Value: "192.0.2.1", TLP: TLPRed}, "scope"},
		{"anonymous kept to the owner", Input{Value: "192.0.2.1", Attribution: Anonymous, Scope: ScopeOwner}, "attribution"},
		{"anonymous run", Input{Value: "192.0.2.1", Attribution: Anonymous, CreatedByRun: "a/b@1/c"}, "attribution"},
		{"last seen before first seen", Input{Value: "192.0.2.1", FirstSeen: v0, LastSeen: v0.Add(-time.Hour)}, "last_seen"},
		{"expiry before first seen", Input{Value: "192.0.2.1", FirstSeen: v0, ExpiresAt: v0.Add(-time.Hour)}, "expires_at"},
		{"bad value", Input{Type: TypeIPv4, Value: "nope"}, "value"},
		{"bad tlp", Input{Value: "192.0.2.1", TLP: "purple"}, "tlp"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := tt.in.Normalize(v0)
			if tt.field == "" {
				if err != nil {
					t.Fatal(err)
				}
				if out.TLP != DefaultTLP || out.Scope != DefaultScope || out.Attribution != Attributed || *out.Confidence != DefaultConfidence ||
					*out.ThreatRating != 0 || out.Source != SourceMember || !out.FirstSeen.Equal(v0) || !out.LastSeen.Equal(v0) {
					t.Fatalf("defaults not filled: %+v", out)
				}
				return
			}
			ie, ok := err.(*InvalidError)
			if !ok || ie.Field != tt.field {
				t.Fatalf("err = %v, want a refusal of %s", err, tt.field)
			}
		})
	}
	out, _ := Input{Value: "192.0.2.1", Tags: []string{" C2 ", "c2", "", "Botnet"}}.Normalize(v0)
	if len(out.Tags) != 2 || out.Tags[0] != "botnet" || out.Tags[1] != "c2" {
		t.Errorf("tags = %q, want [botnet c2]", out.Tags)
	}
}

func ptrInt(i int) *int { return &i }
