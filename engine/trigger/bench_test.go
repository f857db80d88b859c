package trigger

import (
	"context"
	"fmt"
	"testing"

	"github.com/rampartsec/rampart/engine"
	"github.com/rampartsec/rampart/intel"
)

// benchRouter stores 1,000 enabled playbooks, 100 in each of 10 organisations. With
// spread, they listen for 10 different indicator types (an ipv4 event concerns 100 of
// them); without, all listen for ipv4. Every `when` reads the indicator; about half hold.
func benchRouter(b *testing.B, spread bool) *fixture {
	f := newFixture(b)
	ctx := context.Background()
	types := []string{"ipv4", "ipv6", "cidr", "domain", "url", "email", "md5", "sha1", "sha256", "asn"}
	for o := 0; o < 10; o++ {
		org := fmt.Sprintf("org%d", o)
		if _, err := f.st.CreateOrg(ctx, org, org); err != nil {
			b.Fatal(err)
		}
		for p := 0; p < 100; p++ {
			typ := "ipv4"
			if spread {
				typ = types[p%len(types)]
			}
			when := fmt.Sprintf(`'indicator.confidence >= %d && !("benign" in indicator.tags) && indicator.tlp != "red"'`, p)
			f.playbook(b, org, fmt.Sprintf("pb-%d", p), "    types: ["+typ+"]", when, "indicator.threat_rating * 20")
		}
	}
	f.router.opts.Starter = StarterFunc(func(context.Context, engine.StartRequest) (string, bool, error) { return "r", true, nil })
	f.router.opts.Batch = 500
	return f
}

func benchRoute(b *testing.B, spread bool) {
	f := benchRouter(b, spread)
	ctx := context.Background()
	if _, err := f.router.DispatchOnce(ctx); err != nil { // build the index outside the timing
		b.Fatal(err)
	}
	const perRound = 200
	b.ResetTimer()
	events := 0
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		in := make([]intel.Input, perRound)
		for j := range in {
			k := i*perRound + j
			in[j] = intel.Input{Value: fmt.Sprintf("11.%d.%d.%d", k>>16&0xff, k>>8&0xff, k&0xff), Confidence: ptr(50), ThreatRating: ptr(3)}
		}
		if _, err := f.st.BulkCreate(ctx, f.acme, in); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		for {
			n, err := f.router.DispatchOnce(ctx)
			if err != nil {
				b.Fatal(err)
			}
			events += n
			if n == 0 {
				break
			}
		}
	}
	s := f.router.Stats()
	b.ReportMetric(float64(s.Evaluated)/b.Elapsed().Seconds(), "conditions/s")
	b.ReportMetric(float64(events)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(s.Started)/b.Elapsed().Seconds(), "starts/s")
}

// BenchmarkRoute1000AllMatch: every event concerns all 1,000 playbooks.
func BenchmarkRoute1000AllMatch(b *testing.B) { benchRoute(b, false) }

// BenchmarkRoute1000Indexed: 1,000 playbooks over 10 types; the index narrows each event
// to the 100 that listen for its type.
func BenchmarkRoute1000Indexed(b *testing.B) { benchRoute(b, true) }
