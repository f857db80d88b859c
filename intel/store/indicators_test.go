package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rampartsec/rampart/intel"
)

func TestCreateIndicatorNormalisesAndWritesOutbox(t *testing.T) {
	s, _ := newTestStore(t)
	c := newCommunity(t, s)
	ctx := context.Background()
	res, view, err := s.CreateIndicator(ctx, c.acme, intel.Input{Value: "hxxp://Evil[.]Example[.]NET:80/a", TLP: "green", Confidence: ptr(80)})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Created || res.Type != intel.TypeURL || res.Value != "http://evil.example.net/a" {
		t.Fatalf("result = %+v", res)
	}
	if view.Owner != "acme" || view.Confidence != 80 || view.TLP != intel.TLPGreen || view.Reporters != 1 || view.Weight != 1 {
		t.Fatalf("view = %+v", view)
	}
	if len(res.Warninglists) != 1 || res.Warninglists[0] != "documentation-ranges" {
		t.Fatalf("warninglists = %v, want documentation-ranges", res.Warninglists)
	}
	evs, err := s.PendingEvents(ctx, 10)
	if err != nil || len(evs) != 1 {
		t.Fatalf("events = %v, %v", evs, err)
	}
	if e := evs[0]; e.ID != res.EventID || e.Kind != EventCreated || e.IndicatorID != res.IndicatorID || e.Org != "acme" {
		t.Fatalf("event = %+v", e)
	}
	// invalid input is refused with a reason and writes nothing
	_, _, err = s.CreateIndicator(ctx, c.acme, intel.Input{Type: "ipv4", Value: "300.1.1.1"})
	var ie *intel.InvalidError
	if !errors.As(err, &ie) || ie.Field != "value" {
		t.Fatalf("err = %v, want an invalid value", err)
	}
	if n, _ := s.PendingCount(ctx); n != 1 {
		t.Fatalf("pending = %d after a refused input, want 1", n)
	}
}

func TestSameValueIsOneIndicatorWithReports(t *testing.T) {
	s, clk := newTestStore(t)
	c := newCommunity(t, s)
	ctx := context.Background()
	first, _, err := s.CreateIndicator(ctx, c.acme, intel.Input{Value: "198.51.100.9", Confidence: ptr(60), Tags: []string{"c2"}})
	if err != nil {
		t.Fatal(err)
	}
	clk.Add(time.Hour)
	again, view, err := s.CreateIndicator(ctx, c.acme, intel.Input{Value: "198.51.100[.]9", Confidence: ptr(70)})
	if err != nil {
		t.Fatal(err)
	}
	if again.Created || !again.Updated || again.ReportID != first.ReportID || again.IndicatorID != first.IndicatorID {
		t.Fatalf("a member reporting again did not update its report: %+v", again)
	}
	if view.Confidence != 70 || view.Reporters != 1 || len(view.Reports) != 1 {
		t.Fatalf("view after update = %+v", view)
	}
	other, view, err := s.CreateIndicator(ctx, c.beta, intel.Input{Value: "198.51.100.9", Confidence: ptr(90)})
	if err != nil {
		t.Fatal(err)
	}
	if other.Created || other.Updated || other.IndicatorID != first.IndicatorID || other.ReportID == first.ReportID {
		t.Fatalf("another member's report = %+v", other)
	}
	if view.Reporters != 2 || view.Weight != 2 || view.Confidence != 90 {
		t.Fatalf("two members: reporters %d weight %v confidence %d", view.Reporters, view.Weight, view.Confidence)
	}
	evs, _ := s.PendingEvents(ctx, 10)
	var kinds []string
	for _, e := range evs {
		kinds = append(kinds, e.Kind)
	}
	if want := []string{EventCreated, EventUpdated, EventReported}; !slices.Equal(kinds, want) {
		t.Fatalf("event kinds = %v, want %v", kinds, want)
	}
}

func TestWriteAndOutboxAreOneTransaction(t *testing.T) {
	s, _ := newTestStore(t)
	c := newCommunity(t, s)
	ctx := context.Background()
	if _, err := s.DB().Exec(`CREATE TRIGGER fail_outbox BEFORE INSERT ON intel_outbox BEGIN SELECT RAISE(ABORT, 'outbox down'); END`); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.CreateIndicator(ctx, c.acme, intel.Input{Value: "198.51.100.10"}); err == nil {
		t.Fatal("the write succeeded without its outbox event")
	}
	var n int
	s.DB().QueryRow(`SELECT (SELECT COUNT(*) FROM intel_indicators) + (SELECT COUNT(*) FROM intel_reports)`).Scan(&n)
	if n != 0 {
		t.Fatalf("%d indicator/report rows left behind by a failed write", n)
	}
}

func TestBulkCreatePerItemErrors(t *testing.T) {
	s, _ := newTestStore(t)
	c := newCommunity(t, s)
	ctx := context.Background()
	// A database-level failure on one item (forced by a trigger) takes the savepoint path.
	if _, err := s.DB().Exec(`CREATE TRIGGER boom BEFORE INSERT ON intel_reports WHEN NEW.description = 'boom'
		BEGIN SELECT RAISE(ABORT, 'boom'); END`); err != nil {
		t.Fatal(err)
	}
	in := []intel.Input{
		{Value: "198.51.100.1"},
		{Type: "ipv4", Value: "999.1.1.1"},
		{Value: "evil[.]example-bad[.]com", Tags: []string{"phish"}},
		{Value: "198.51.100.2", Description: "boom"},
		{Value: "198.51.100.1", Confidence: ptr(99)}, // the same value again in the same call
		{Value: "198.51.100.3", Scope: intel.ScopeGroups, Groups: []string{"not-my-group"}},
	}
	items, err := s.BulkCreate(ctx, c.acme, in)
	if err != nil {
		t.Fatal(err)
	}
	wantErr := []string{"", "value", "", "boom", "", "groups"}
	for i, it := range items {
		switch {
		case wantErr[i] == "" && (it.Err != nil || it.Result == nil):
			t.Errorf("item %d: %v", i, it.Err)
		case wantErr[i] != "" && (it.Err == nil || it.Result != nil || !strings.Contains(it.Err.Error(), wantErr[i])):
			t.Errorf("item %d: err %v, want one about %s", i, it.Err, wantErr[i])
		}
	}
	if !items[4].Result.Updated || items[4].Result.IndicatorID != items[0].Result.IndicatorID {
		t.Errorf("a repeated value did not update the first report: %+v", items[4].Result)
	}
	var inds, events int
	s.DB().QueryRow(`SELECT COUNT(*) FROM intel_indicators`).Scan(&inds)
	s.DB().QueryRow(`SELECT COUNT(*) FROM intel_outbox`).Scan(&events)
	if inds != 2 || events != 3 {
		t.Fatalf("indicators %d, events %d; want 2 and 3 (only the good items, each with its event)", inds, events)
	}
	if _, err := s.BulkCreate(ctx, c.acme, make([]intel.Input, MaxBulk+1)); !errors.Is(err, intel.ErrInvalid) {
		t.Fatalf("an oversized bulk call: %v", err)
	}
	viewer := c.acme
	viewer.User, viewer.Roles = "u", []intel.Role{intel.RoleViewer}
	if _, err := s.BulkCreate(ctx, viewer, in[:1]); !errors.Is(err, ErrForbidden) {
		t.Fatalf("a viewer without indicator:write: %v", err)
	}
}

func TestAnonymousReportsKeepNoLink(t *testing.T) {
	s, _ := newTestStore(t)
	c := newCommunity(t, s)
	ctx := context.Background()
	res, view, err := s.CreateIndicator(ctx, c.acme, intel.Input{Value: "anon-tip.example-bad.net", Attribution: intel.Anonymous})
	if err != nil {
		t.Fatal(err)
	}
	if res.Proof == "" || view.Owner != "" || view.Reports[0].Mine {
		t.Fatalf("anonymous result %+v / view %+v", res, view)
	}
	// Nothing in the report or its event names acme, and the proof is not stored in clear.
	rows, err := s.DB().Query(`SELECT COALESCE(org_id, ''), COALESCE(proof_hash, ''), created_by_run FROM intel_reports
		UNION ALL SELECT COALESCE(org_id, ''), '', created_by_run FROM intel_outbox`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var org, hash, run string
		rows.Scan(&org, &hash, &run)
		if org != "" || strings.Contains(hash, res.Proof) || run != "" {
			t.Fatalf("a row links the anonymous report: org %q hash %q run %q", org, hash, run)
		}
	}
	rows.Close()
	// Only the proof edits or withdraws it; acme's membership alone does not.
	if _, err := s.UpdateReport(ctx, c.acme, res.ReportID, "", intel.Input{Confidence: ptr(10)}); !errors.Is(err, ErrForbidden) {
		t.Fatalf("update without the proof: %v", err)
	}
	if err := s.WithdrawReport(ctx, c.gamma, res.ReportID, "rap_wrong"); !errors.Is(err, ErrForbidden) {
		t.Fatalf("withdraw with a wrong proof: %v", err)
	}
	upd, err := s.UpdateReport(ctx, c.gamma, res.ReportID, res.Proof, intel.Input{Confidence: ptr(10), TLP: "green"})
	if err != nil || !upd.Updated {
		t.Fatalf("update with the proof: %+v %v", upd, err)
	}
	got, _ := s.GetIndicator(ctx, c.beta, res.IndicatorID)
	if got.Confidence != 10 || got.TLP != intel.TLPGreen {
		t.Fatalf("update not applied: %+v", got)
	}
	if err := s.WithdrawReport(ctx, c.gamma, res.ReportID, res.Proof); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetIndicator(ctx, c.acme, res.IndicatorID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("a withdrawn report is still visible: %v", err)
	}
}

func TestReadsGoThroughVisibility(t *testing.T) {
	s, clk := newTestStore(t)
	c := newCommunity(t, s)
	ctx := context.Background()
	grp, _, err := s.CreateIndicator(ctx, c.acme, intel.Input{Value: "198.51.100.60", TLP: "red", Scope: intel.ScopeGroups,
		Groups: []string{c.group}, Tags: []string{"apt"}})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 5; i++ {
		clk.Add(time.Second)
		if _, _, err := s.CreateIndicator(ctx, c.gamma, intel.Input{Value: fmt.Sprintf("198.51.100.%d", 70+i), TLP: "green", Tags: []string{"scan"}}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.GetIndicator(ctx, c.gamma, grp.IndicatorID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("gamma reads a red group indicator: %v", err)
	}
	if _, err := s.FindIndicator(ctx, c.gamma, "", "198.51.100.60"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("gamma finds a red group indicator: %v", err)
	}
	if v, err := s.GetIndicator(ctx, c.beta, grp.IndicatorID); err != nil || v.TLP != intel.TLPRed {
		t.Fatalf("beta, a group member: %+v %v", v, err)
	}
	if _, err := s.AddSighting(ctx, c.gamma, grp.IndicatorID, SightingInput{}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("gamma sighted what it cannot see: %v", err)
	}
	if err := s.ReportFalsePositive(ctx, c.gamma, grp.IndicatorID, "ours"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("gamma reported a false positive on what it cannot see: %v", err)
	}
	// Listing: gamma sees its five, a page of two at a time; beta sees six; the tag filter
	// applies to the view.
	var all []string
	f := Filter{Limit: 2}
	for {
		p, err := s.ListIndicators(ctx, c.gamma, f)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range p.Items {
			all = append(all, v.Value)
		}
		if p.Next == "" {
			break
		}
		f.Cursor = p.Next
	}
	if len(all) != 5 || slices.Contains(all, "198.51.100.60") {
		t.Fatalf("gamma lists %v", all)
	}
	p, _ := s.ListIndicators(ctx, c.beta, Filter{Tag: "APT"})
	if len(p.Items) != 1 || p.Items[0].ID != grp.IndicatorID {
		t.Fatalf("beta's tag filter: %+v", p.Items)
	}
	p, _ = s.ListIndicators(ctx, c.beta, Filter{Owner: "gamma", Type: intel.TypeIPv4, Since: t0.Add(3 * time.Second)})
	if len(p.Items) != 3 {
		t.Fatalf("owner+type+since filter: %d items, want 3", len(p.Items))
	}
	// Sightings and false positives: counted, one false positive per organisation.
	if _, err := s.AddSighting(ctx, c.beta, grp.IndicatorID, SightingInput{Count: 4}); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		if err := s.ReportFalsePositive(ctx, c.beta, grp.IndicatorID, "our scanner"); err != nil {
			t.Fatal(err)
		}
	}
	v, _ := s.GetIndicator(ctx, c.acme, grp.IndicatorID)
	if v.Sightings != 4 || v.FalsePositives != 1 {
		t.Fatalf("sightings %d, false positives %d; want 4 and 1", v.Sightings, v.FalsePositives)
	}
}

func TestBulkCreateMixesNewAndKnownValues(t *testing.T) {
	s, _ := newTestStore(t)
	c := newCommunity(t, s)
	ctx := context.Background()
	mine, _, _ := s.CreateIndicator(ctx, c.acme, intel.Input{Value: "198.51.100.200", Confidence: ptr(10)})
	theirs, _, _ := s.CreateIndicator(ctx, c.beta, intel.Input{Value: "198.51.100.201"})
	in := []intel.Input{
		{Value: "198.51.100.200", Confidence: ptr(95)}, // acme's own report: updated
		{Value: "198.51.100.201"},                      // beta's indicator: a new report
		{Value: "198.51.100.202"},                      // new
		{Value: "198.51.100.203", Attribution: intel.Anonymous},
	}
	items, err := s.BulkCreate(ctx, c.acme, in)
	if err != nil {
		t.Fatal(err)
	}
	r := func(i int) *CreateResult {
		if items[i].Err != nil {
			t.Fatalf("item %d: %v", i, items[i].Err)
		}
		return items[i].Result
	}
	if a := r(0); !a.Updated || a.Created || a.ReportID != mine.ReportID {
		t.Errorf("own value: %+v", a)
	}
	if b := r(1); b.Updated || b.Created || b.IndicatorID != theirs.IndicatorID || b.ReportID == theirs.ReportID {
		t.Errorf("another member's value: %+v", b)
	}
	if n := r(2); !n.Created || n.Proof != "" {
		t.Errorf("new value: %+v", n)
	}
	if an := r(3); !an.Created || an.Proof == "" {
		t.Errorf("anonymous value: %+v", an)
	}
	evs, _ := s.PendingEvents(ctx, 10)
	var kinds []string
	for _, e := range evs[2:] {
		kinds = append(kinds, e.Kind)
	}
	if want := []string{EventUpdated, EventReported, EventCreated, EventCreated}; !slices.Equal(kinds, want) {
		t.Fatalf("bulk event kinds %v, want %v", kinds, want)
	}
	if evs[5].Org != "" {
		t.Errorf("the anonymous item's event names %q", evs[5].Org)
	}
	v, _ := s.GetIndicator(ctx, c.acme, mine.IndicatorID)
	if v.Confidence != 95 {
		t.Errorf("bulk update not applied: confidence %d", v.Confidence)
	}
	// More than one chunk, and every event in item order.
	many := make([]intel.Input, 2*chunkSize+7)
	for i := range many {
		many[i] = intel.Input{Value: fmt.Sprintf("10.9.%d.%d", i/256, i%256)}
	}
	items, err = s.BulkCreate(ctx, c.acme, many)
	if err != nil {
		t.Fatal(err)
	}
	for i, it := range items {
		if it.Err != nil || !it.Result.Created || it.Result.Value != many[i].Value || !slices.Equal(it.Result.Warninglists, []string{"private-ranges"}) {
			t.Fatalf("item %d: %+v %v", i, it.Result, it.Err)
		}
	}
	evs, _ = s.PendingEvents(ctx, 1000)
	for i := 1; i < len(evs); i++ {
		if evs[i].ID <= evs[i-1].ID {
			t.Fatal("outbox ids are not increasing")
		}
	}
	if n := len(evs); n != 6+len(many) {
		t.Fatalf("%d events, want %d", n, 6+len(many))
	}
}
