package store

import (
	"context"
	"fmt"
	"testing"

	"github.com/rampartsec/rampart/intel"
)

// benchInputs returns n distinct indicators of mixed types, offset so successive calls do
// not collide.
func benchInputs(n, offset int) []intel.Input {
	out := make([]intel.Input, n)
	for i := range out {
		k := offset + i
		switch k % 3 {
		case 0:
			out[i] = intel.Input{Value: fmt.Sprintf("%d.%d.%d.%d", 11+k>>24&0x7f, k>>16&0xff, k>>8&0xff, k&0xff)}
		case 1:
			out[i] = intel.Input{Value: fmt.Sprintf("host%d.bad-domain%d.example-ioc.com", k, k%97)}
		default:
			out[i] = intel.Input{Value: fmt.Sprintf("%064x", k)}
		}
		out[i].Tags = []string{"bench"}
		out[i].Confidence = ptr(70)
	}
	return out
}

// BenchmarkBulkCreate measures BulkCreate with 10,000 indicators per call (the API's
// maximum); the indicators/s metric is the figure of docs/performance.md.
func BenchmarkBulkCreate(b *testing.B) {
	s, _ := newTestStore(b)
	c := newCommunity(b, s)
	ctx := context.Background()
	const batch = MaxBulk
	b.ResetTimer()
	total := 0
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		in := benchInputs(batch, i*batch)
		b.StartTimer()
		items, err := s.BulkCreate(ctx, c.acme, in)
		if err != nil {
			b.Fatal(err)
		}
		for _, it := range items {
			if it.Err != nil {
				b.Fatal(it.Err)
			}
		}
		total += batch
	}
	b.ReportMetric(float64(total)/b.Elapsed().Seconds(), "indicators/s")
}

// BenchmarkNaiveCreate is the baseline: one CreateIndicator (one transaction) per
// indicator, as a client posting them one at a time would cause.
func BenchmarkNaiveCreate(b *testing.B) {
	s, _ := newTestStore(b)
	c := newCommunity(b, s)
	ctx := context.Background()
	in := benchInputs(b.N, 0)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, _, err := s.CreateIndicator(ctx, c.acme, in[i]); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "indicators/s")
}

// BenchmarkReflag100k measures what a warninglist change costs its writer: Reflag over
// 100,000 stored indicators, of which the change (a /16 added to, then removed from,
// community-assets, alternately) flips the IPv4 addresses inside it (21,846).
func BenchmarkReflag100k(b *testing.B) {
	s, _ := newTestStore(b)
	c := newCommunity(b, s)
	ctx := context.Background()
	const n = 100_000
	for off := 0; off < n; off += MaxBulk {
		if _, err := s.BulkCreate(ctx, c.acme, benchInputs(MaxBulk, off)); err != nil {
			b.Fatal(err)
		}
	}
	changed := 0
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		ch := WarninglistChange{Add: []string{"11.0.0.0/16"}}
		if i%2 == 1 {
			ch = WarninglistChange{Remove: []string{"11.0.0.0/16"}}
		}
		// ChangeWarninglist re-flags itself; time Reflag alone on the new lists.
		s.wlMu.Lock()
		l := s.wl.Get("community-assets")
		s.wlMu.Unlock()
		next, err := l.Change(ch.Add, ch.Remove)
		if err != nil {
			b.Fatal(err)
		}
		s.inForce(next)
		b.StartTimer()
		k, err := s.Reflag(ctx)
		if err != nil {
			b.Fatal(err)
		}
		changed += k
	}
	b.ReportMetric(float64(changed)/float64(b.N), "rewritten/op")
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "indicators/s")
}
