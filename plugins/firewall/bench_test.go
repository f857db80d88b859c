package main

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/rampartsec/rampart/actions/sdk"
)

// addresses returns n distinct IPv4 addresses in 10.0.0.0/8.
func addresses(n int) []any {
	out := make([]any, n)
	for i := range out {
		out[i] = fmt.Sprintf("10.%d.%d.%d", (i>>16)&255, (i>>8)&255, i&255)
	}
	return out
}

// BenchmarkBlock100k blocks 100,000 addresses in one call into an empty EDL file, and into
// an empty nftables set in a fresh network namespace.
func BenchmarkBlock100k(b *testing.B) {
	addrs := addresses(100_000)
	in := map[string]any{"addresses": addrs, "expires": "72h"}
	b.Run("edl", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			dir := b.TempDir()
			conn := map[string]any{"path": filepath.Join(dir, "edl.txt"), "state_file": filepath.Join(dir, "state.json")}
			b.StartTimer()
			out, err := (&firewall{}).Execute(context.Background(), sdk.Call{Action: "block", Backend: "edl", Connection: conn, Input: in})
			if err != nil || out["blocked"] != 100_000 {
				b.Fatalf("block = %v, %v", out, err)
			}
		}
	})
	b.Run("nftables", func(b *testing.B) {
		ns := newNetns(b, 72)
		for i := 0; i < b.N; i++ {
			conn := map[string]any{"netns": ns.name, "table": fmt.Sprintf("bench%d", i)}
			out, err := (&firewall{}).Execute(context.Background(), sdk.Call{Action: "block", Backend: "nftables", Connection: conn, Input: in})
			if err != nil || out["blocked"] != 100_000 {
				b.Fatalf("block = %v, %v", out, err)
			}
		}
	})
}
