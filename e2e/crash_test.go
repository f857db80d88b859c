package e2e

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/rampartsec/rampart/engine"
	"github.com/rampartsec/rampart/intel"
	"github.com/rampartsec/rampart/internal/app"
	"github.com/rampartsec/rampart/internal/sqlitedb"
)

// pendingEvents counts the outbox events not dispatched yet, read straight from the data
// directory's database.
func pendingEvents(t testing.TB, data string) int {
	t.Helper()
	db, err := sqlitedb.OpenDir(data)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow(`SELECT COUNT(*) FROM intel_outbox WHERE dispatched_at IS NULL`).Scan(&n); err != nil && err != sql.ErrNoRows {
		t.Fatal(err)
	}
	return n
}

func addresses(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s.%d", prefix, i+1)
	}
	return out
}

func bulk(t *testing.T, in *instance, values []string) {
	t.Helper()
	ins := make([]intel.Input, len(values))
	for i, v := range values {
		ins[i] = intel.Input{Value: v, Confidence: ptr(85)}
	}
	resp, err := in.client(in.token).BulkCreate(context.Background(), ins)
	if err != nil || resp.Accepted != len(values) {
		t.Fatalf("bulk: %+v %v", resp, err)
	}
}

// TestCrashRecovery kills serve with SIGKILL twice — right after indicators were accepted
// (their events not yet dispatched) and while their runs are mid-step — and checks that
// after a restart every accepted indicator has exactly one run of the matching playbook,
// every run succeeded, and each address is in the EDL exactly once. Both kill points are
// checked, not assumed: events still undispatched after the first, a run live (read from its
// record) right before the second.
func TestCrashRecovery(t *testing.T) {
	data := t.TempDir()
	first := serve(t, data)
	token := first.token
	analyst := first.addUser(app.DemoOrg, "analyst", "analyst")
	edl, _ := app.DemoPaths(data)

	// Crash 1: accepted, not yet dispatched.
	batchA := addresses("45.9.150", 40)
	bulk(t, first, batchA)
	first.kill()
	// The router marks a read batch of events dispatched only once all their runs started,
	// which takes far longer than the kill: some must still be pending, or this crash tested
	// nothing.
	pendingA := pendingEvents(t, data)
	if pendingA == 0 {
		t.Fatalf("precondition: every event of batch A was dispatched before the SIGKILL")
	}
	t.Logf("after the first SIGKILL, %d of %d events were still undispatched", pendingA, len(batchA))

	// Crash 2: runs mid-step. Wait for the first run of the new batch, then kill.
	second := serve(t, data)
	second.token = token
	batchB := addresses("45.9.151", 40)
	bulk(t, second, batchB)
	demo := second.client(analyst)
	// Kill while a run of batch B is live (its block step scheduled or running), read from
	// the run's own record just before the kill.
	var live string
	waitFor(t, 60*time.Second, "a live run of batch B", func() (bool, error) {
		for _, a := range batchB {
			rs := runs(t, demo, "playbook=block-shared-ips&value="+a)
			if len(rs) == 1 && !getRun(t, demo, rs[0].ID).Done() {
				live = rs[0].ID
				return true, nil
			}
		}
		return false, nil
	})
	second.kill()
	t.Logf("SIGKILL while run %s was live; %d events were still undispatched", live, pendingEvents(t, data))

	third := serve(t, data)
	third.token = token
	demo = third.client(analyst)
	all := append(append([]string{}, batchA...), batchB...)
	waitFor(t, 3*time.Minute, "every address in the EDL", func() (bool, error) {
		b, err := os.ReadFile(edl)
		if err != nil {
			return false, err
		}
		have := map[string]bool{}
		for _, l := range strings.Fields(string(b)) {
			have[l] = true
		}
		for _, a := range all {
			if !have[a] {
				return false, nil
			}
		}
		return true, nil
	})
	if n := pendingEvents(t, data); n != 0 {
		waitFor(t, 30*time.Second, "the outbox to drain", func() (bool, error) { return pendingEvents(t, data) == 0, nil })
	}
	retried := 0
	for _, a := range all {
		rs := runs(t, demo, "playbook=block-shared-ips&value="+a)
		if len(rs) != 1 {
			t.Fatalf("%s has %d runs of block-shared-ips, want exactly 1: %+v", a, len(rs), rs)
		}
		var r *engine.Run
		waitFor(t, 2*time.Minute, "run "+rs[0].ID+" to end", func() (bool, error) {
			r = getRun(t, demo, rs[0].ID)
			return r.Done(), nil
		})
		if r.Status != engine.RunSucceeded || r.Step("block") == nil || r.Step("block").Status != "succeeded" {
			t.Fatalf("run for %s: %+v", a, r)
		}
		if r.Step("block").Attempts > 1 {
			retried++ // at least once: the block's idempotency key keeps its effect single
		}
	}
	t.Logf("%d of %d block steps took more than one attempt", retried, len(all))
	b, err := os.ReadFile(edl)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Fields(string(b))
	sort.Strings(lines)
	for i := 1; i < len(lines); i++ {
		if lines[i] == lines[i-1] {
			t.Fatalf("%s is in the EDL twice", lines[i])
		}
	}
	if len(lines) != len(all) {
		t.Fatalf("the EDL has %d entries, want %d", len(lines), len(all))
	}
}
