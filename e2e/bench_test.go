package e2e

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rampartsec/rampart/intel"
	"github.com/rampartsec/rampart/internal/app"
)

// BenchmarkIndicatorToEDL measures, on the real binary with its defaults (embedded Temporal,
// SQLite, the demo's block-shared-ips playbook and EDL connection), the latency from an
// indicator's POST returning to its address being in the EDL file, with indicators posted
// at a steady 20 a second. Each iteration is one indicator: -benchtime=1200x is a minute.
// It reports p50, p99 and max in milliseconds.
func BenchmarkIndicatorToEDL(b *testing.B) {
	const rate = 20 // indicators per second
	in := serve(b, b.TempDir())
	edl, _ := app.DemoPaths(in.data)
	c := in.client(in.token)
	ctx := context.Background()

	var mu sync.Mutex
	posted := map[string]time.Time{}
	seen := map[string]time.Time{}
	stop := make(chan struct{})
	watched := make(chan struct{})
	go func() { // poll the EDL every 2ms and note when each address first appears
		defer close(watched)
		t := time.NewTicker(2 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
			}
			bs, err := os.ReadFile(edl)
			if err != nil {
				continue
			}
			now := time.Now()
			mu.Lock()
			for _, l := range strings.Fields(string(bs)) {
				if _, ok := seen[l]; !ok {
					seen[l] = now
				}
			}
			mu.Unlock()
		}
	}()
	defer func() { close(stop); <-watched }()

	tick := time.NewTicker(time.Second / rate)
	defer tick.Stop()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		<-tick.C
		addr := fmt.Sprintf("45.%d.%d.%d", 20+i/65536, (i/256)%256, i%256)
		if _, err := c.CreateIndicator(ctx, intel.Input{Value: addr, Confidence: ptr(90)}); err != nil {
			b.Fatal(err)
		}
		mu.Lock()
		posted[addr] = time.Now()
		mu.Unlock()
	}
	mu.Lock()
	inEDL := 0
	for a := range posted {
		if _, ok := seen[a]; ok {
			inEDL++
		}
	}
	mu.Unlock()
	b.Logf("when the last indicator was posted: %d of %d in the EDL, %d outbox events undispatched",
		inEDL, len(posted), pendingEvents(b, in.data))
	deadline := time.Now().Add(2 * time.Minute)
	for {
		mu.Lock()
		done := 0
		for a := range posted {
			if _, ok := seen[a]; ok {
				done++
			}
		}
		mu.Unlock()
		if done == len(posted) {
			break
		}
		if time.Now().After(deadline) {
			b.Fatalf("only %d of %d addresses reached the EDL", done, len(posted))
		}
		time.Sleep(10 * time.Millisecond)
	}
	b.StopTimer()
	lat := make([]time.Duration, 0, len(posted))
	mu.Lock()
	for a, t0 := range posted {
		lat = append(lat, max(seen[a].Sub(t0), 0))
	}
	mu.Unlock()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	pct := func(p float64) float64 {
		return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))].Microseconds()) / 1000
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(float64(lat[len(lat)-1].Microseconds())/1000, "max-ms")
	b.ReportMetric(0, "ns/op")
}
