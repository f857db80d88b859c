package main

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/rampartsec/rampart/actions/sdk"
)

// BenchmarkSinkhole100k writes 100,000 names (with their subdomains: 200,000 triggers) in
// one call into an empty RPZ zone file, without a reload command.
func BenchmarkSinkhole100k(b *testing.B) {
	names := make([]any, 100_000)
	for i := range names {
		names[i] = fmt.Sprintf("host%d.bad%d.example", i, i%977)
	}
	in := map[string]any{"domains": names, "expires": "72h", "comment": "feed"}
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		conn := map[string]any{"zone_file": filepath.Join(b.TempDir(), "rpz.zone")}
		b.StartTimer()
		out, err := (&sinkhole{}).Execute(context.Background(), sdk.Call{Action: "sinkhole", Backend: "rpz", Connection: conn, Input: in})
		if err != nil || out["sinkholed"] != 100_000 {
			b.Fatalf("sinkhole = %v, %v", out, err)
		}
	}
}
