package main

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestEDLConcurrentBlocks: blocks arriving together (the plugin serves concurrent calls)
// all reach the list; none is lost to another call's read-modify-write.
func TestEDLConcurrentBlocks(t *testing.T) {
	dir := t.TempDir()
	e, err := newEDL(map[string]any{"path": filepath.Join(dir, "list.edl"), "state_file": filepath.Join(dir, "state.json")})
	if err != nil {
		t.Fatal(err)
	}
	const n = 60
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p := netip.MustParsePrefix(fmt.Sprintf("45.9.%d.%d/32", i/200, i%200+1))
			added, err := e.block(context.Background(), []netip.Prefix{p}, time.Hour, "test")
			if err == nil && added != 1 {
				err = fmt.Errorf("block %s added %d", p, added)
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(filepath.Join(dir, "list.edl"))
	if err != nil {
		t.Fatal(err)
	}
	if got := len(strings.Fields(string(b))); got != n {
		t.Fatalf("the list has %d entries, want %d", got, n)
	}
}
