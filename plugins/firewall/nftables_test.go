package main

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/google/nftables"
	"golang.org/x/sys/unix"

	"github.com/rampartsec/rampart/actions/sdk"
	"github.com/rampartsec/rampart/internal/testenv"
)

// netns is a network namespace joined to the host by a veth pair: the host end has
// hostA and hostB, the namespace end nsAddr.
type netns struct {
	name, hostA, hostB, nsAddr string
}

func run(t testing.TB, args ...string) {
	t.Helper()
	if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

func newNetns(t testing.TB, subnet int) *netns {
	t.Helper()
	testenv.RequireRoot(t)
	testenv.RequireTool(t, "ip")
	testenv.RequireTool(t, "bash")
	testenv.RequireTool(t, "timeout")
	n := &netns{name: fmt.Sprintf("rampart-fw-%d-%d", os.Getpid(), subnet),
		hostA: fmt.Sprintf("10.231.%d.1", subnet), hostB: fmt.Sprintf("10.231.%d.3", subnet), nsAddr: fmt.Sprintf("10.231.%d.2", subnet)}
	host, peer := fmt.Sprintf("rfw%dh", subnet), fmt.Sprintf("rfw%dn", subnet)
	exec.Command("ip", "link", "del", host).Run() // left over from a killed run
	exec.Command("ip", "netns", "del", n.name).Run()
	run(t, "ip", "netns", "add", n.name)
	t.Cleanup(func() {
		exec.Command("ip", "link", "del", host).Run()
		exec.Command("ip", "netns", "del", n.name).Run()
	})
	run(t, "ip", "link", "add", host, "type", "veth", "peer", "name", peer, "netns", n.name)
	run(t, "ip", "addr", "add", n.hostA+"/24", "dev", host)
	run(t, "ip", "addr", "add", n.hostB+"/24", "dev", host)
	run(t, "ip", "link", "set", host, "up")
	run(t, "ip", "-n", n.name, "addr", "add", n.nsAddr+"/24", "dev", peer)
	run(t, "ip", "-n", n.name, "link", "set", peer, "up")
	run(t, "ip", "-n", n.name, "link", "set", "lo", "up")
	return n
}

// reach reports whether a TCP connection from inside the namespace to addr:port succeeds.
func (n *netns) reach(addr string, port int) bool {
	cmd := exec.Command("ip", "netns", "exec", n.name, "timeout", "2", "bash", "-c",
		fmt.Sprintf("exec 3<>/dev/tcp/%s/%d", addr, port))
	return cmd.Run() == nil
}

func TestNftablesBlocksTrafficInANamespace(t *testing.T) {
	ns := newNetns(t, 71)
	ln, port := listen(t)
	defer ln.Close()
	if !ns.reach(ns.hostA, port) || !ns.reach(ns.hostB, port) {
		t.Fatal("test network is broken: the host is unreachable before any block")
	}
	fw := &firewall{}
	conn := map[string]any{"netns": ns.name, "table": "rampart_test", "set": "bl"}
	call := func(action string, in map[string]any) map[string]any {
		t.Helper()
		out, err := fw.Execute(context.Background(), sdk.Call{Action: action, Backend: "nftables", Connection: conn, Input: in})
		if err != nil {
			t.Fatalf("%s: %v", action, err)
		}
		return out
	}
	detail, err := fw.CheckConnection(context.Background(), "nftables", conn)
	if err != nil || !strings.Contains(detail, ns.name) {
		t.Fatalf("check = %q, %v", detail, err)
	}
	// Adjacent single addresses are distinct entries.
	out := call("block", map[string]any{"addresses": []any{ns.hostA, "2001:db8::1", "2001:db8::2"}, "expires": "1h"})
	if out["blocked"] != 3 {
		t.Fatalf("block = %v", out)
	}
	if ns.reach(ns.hostA, port) {
		t.Fatal("blocked address still reachable from the namespace")
	}
	if !ns.reach(ns.hostB, port) {
		t.Fatal("an address that was not blocked became unreachable")
	}
	// Blocking again is idempotent and refreshes the expiry.
	if out := call("block", map[string]any{"addresses": []any{ns.hostA}, "expires": "2h"}); out["blocked"] != 0 {
		t.Fatalf("re-block = %v", out)
	}
	entries := listed(t, call("list", map[string]any{}))
	if len(entries) != 3 || entries[0].Address != ns.hostA || entries[0].Expires == nil ||
		time.Until(*entries[0].Expires) < 90*time.Minute {
		t.Fatalf("list = %+v", entries)
	}

	// A CIDR holding hostA (and not hostB), one adjacent below it, and an IPv6 one.
	hostA := netip.MustParseAddr(ns.hostA)
	cidr := netip.PrefixFrom(hostA, 31).Masked()
	below := netip.PrefixFrom(cidr.Addr().Prev(), 24).Masked()
	refused := func(in []any, want ...string) {
		t.Helper()
		_, err := fw.Execute(context.Background(), sdk.Call{Action: "block", Backend: "nftables", Connection: conn,
			Input: map[string]any{"addresses": in}})
		for _, w := range want {
			if err == nil || !strings.Contains(err.Error(), w) {
				t.Fatalf("block %v = %v, want an error with %q", in, err, w)
			}
		}
	}
	refused([]any{ns.hostA + "/31"}, "input.addresses[0]: "+cidr.String()+" overlaps "+ns.hostA+", already blocked")
	refused([]any{"10.9.0.0/16", "10.9.1.0/24"}, "input.addresses[1]: 10.9.1.0/24 overlaps input.addresses[0] (10.9.0.0/16)")
	if n := len(listed(t, call("list", map[string]any{}))); n != 3 {
		t.Fatalf("a refused block changed the sets: %d entries", n)
	}
	if out := call("unblock", map[string]any{"addresses": []any{ns.hostA, ns.hostB}}); out["unblocked"] != 1 {
		t.Fatalf("unblock = %v", out)
	}
	if !ns.reach(ns.hostA, port) {
		t.Fatal("unblocked address still unreachable")
	}
	out = call("block", map[string]any{"addresses": []any{ns.hostA + "/31", below.String(), "2001:db8:1::/48"}, "expires": "1h"})
	if out["blocked"] != 3 {
		t.Fatalf("block CIDRs = %v", out)
	}
	if ns.reach(ns.hostA, port) {
		t.Fatal("an address inside a blocked CIDR is reachable")
	}
	if !ns.reach(ns.hostB, port) {
		t.Fatal("an address outside the blocked CIDR became unreachable")
	}
	var got []string
	for _, e := range listed(t, call("list", map[string]any{})) {
		got = append(got, e.Address)
		if e.Expires == nil {
			t.Fatalf("%s has no expiry", e.Address)
		}
	}
	if want := []string{below.String(), cidr.String(), "2001:db8::1", "2001:db8::2", "2001:db8:1::/48"}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("list = %v, want %v", got, want)
	}
	if out := call("block", map[string]any{"addresses": []any{cidr.String()}, "expires": "2h"}); out["blocked"] != 0 {
		t.Fatalf("re-block CIDR = %v", out)
	}
	// Unblock takes entries as they were blocked: an address inside a CIDR is not one.
	if out := call("unblock", map[string]any{"addresses": []any{ns.hostA}}); out["unblocked"] != 0 || ns.reach(ns.hostA, port) {
		t.Fatalf("unblock of an address inside a CIDR = %v", out)
	}
	if out := call("unblock", map[string]any{"addresses": []any{ns.hostA + "/31", below.String()}}); out["unblocked"] != 2 {
		t.Fatalf("unblock CIDRs = %v", out)
	}
	if !ns.reach(ns.hostA, port) {
		t.Fatal("address still unreachable after its CIDR was unblocked")
	}
	// Entries that reach the top of the address space have no end element.
	top := []any{"255.255.255.255", "ffff::/16"}
	if out := call("block", map[string]any{"addresses": top}); out["blocked"] != 2 {
		t.Fatalf("block top = %v", out)
	}
	got = got[:0]
	for _, e := range listed(t, call("list", map[string]any{})) {
		got = append(got, e.Address)
	}
	if want := []string{"255.255.255.255", "2001:db8::1", "2001:db8::2", "2001:db8:1::/48", "ffff::/16"}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("list = %v, want %v", got, want)
	}
	if out := call("unblock", map[string]any{"addresses": top}); out["unblocked"] != 2 {
		t.Fatalf("unblock top = %v", out)
	}

	// A short expiry lets the kernel drop the entry by itself.
	blockedAt := time.Now()
	call("block", map[string]any{"addresses": []any{cidr.String()}, "expires": "2s"})
	t.Logf("block took %v", time.Since(blockedAt))
	if ns.reach(ns.hostA, port) {
		out, _ := exec.Command("ip", "netns", "exec", ns.name, "nft", "list", "table", "inet", "rampart_test").CombinedOutput()
		t.Fatalf("blocked address reachable: %s", out)
	}
	time.Sleep(time.Until(blockedAt.Add(2500 * time.Millisecond)))
	if !ns.reach(ns.hostA, port) {
		t.Fatal("entry did not expire")
	}
	// What the expired entry leaves behind does not stop blocking it again.
	if out := call("block", map[string]any{"addresses": []any{ns.hostA}, "expires": "1h"}); out["blocked"] != 1 || ns.reach(ns.hostA, port) {
		t.Fatalf("block after expiry = %v", out)
	}
}

// TestNftablesMigratesTheEarlierLayout builds the sets as an earlier version made them
// (no interval flag) and checks that the next call recreates them, keeping the entries,
// their expiry, the blocking and one set of drop rules.
func TestNftablesMigratesTheEarlierLayout(t *testing.T) {
	ns := newNetns(t, 73)
	ln, port := listen(t)
	defer ln.Close()
	f, err := os.Open("/var/run/netns/" + ns.name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	c, err := nftables.New(nftables.WithNetNSFd(int(f.Fd())))
	if err != nil {
		t.Fatal(err)
	}
	tab := c.AddTable(&nftables.Table{Family: nftables.TableFamilyINet, Name: "rampart_old"})
	s4 := &nftables.Set{Table: tab, Name: "bl_v4", KeyType: nftables.TypeIPAddr, HasTimeout: true}
	s6 := &nftables.Set{Table: tab, Name: "bl_v6", KeyType: nftables.TypeIP6Addr, HasTimeout: true}
	for _, s := range []*nftables.Set{s4, s6} {
		if err := c.AddSet(s, nil); err != nil {
			t.Fatal(err)
		}
	}
	accept := nftables.ChainPolicyAccept
	for _, r := range nftChains {
		ch := c.AddChain(&nftables.Chain{Name: r.name, Table: tab, Type: nftables.ChainTypeFilter,
			Hooknum: r.hook, Priority: nftables.ChainPriorityFilter, Policy: &accept})
		for _, source := range []bool{true, false} {
			if (source && r.src) || (!source && r.dst) {
				c.AddRule(&nftables.Rule{Table: tab, Chain: ch, Exprs: dropIfIn(s4, unix.NFPROTO_IPV4, source)})
				c.AddRule(&nftables.Rule{Table: tab, Chain: ch, Exprs: dropIfIn(s6, unix.NFPROTO_IPV6, source)})
			}
		}
	}
	if err := c.SetAddElements(s4, []nftables.SetElement{{Key: net.ParseIP(ns.hostA).To4(), Timeout: time.Hour}}); err != nil {
		t.Fatal(err)
	}
	if err := c.SetAddElements(s6, []nftables.SetElement{{Key: net.ParseIP("2001:db8::1")}}); err != nil {
		t.Fatal(err)
	}
	if err := c.Flush(); err != nil {
		t.Fatal(err)
	}
	if ns.reach(ns.hostA, port) || !ns.reach(ns.hostB, port) {
		t.Fatal("the earlier layout does not block as it should")
	}

	fw := &firewall{}
	conn := map[string]any{"netns": ns.name, "table": "rampart_old", "set": "bl"}
	out, err := fw.Execute(context.Background(), sdk.Call{Action: "list", Backend: "nftables", Connection: conn, Input: map[string]any{}})
	if err != nil {
		t.Fatal(err)
	}
	entries := listed(t, out)
	if len(entries) != 2 || entries[0].Address != ns.hostA || entries[0].Expires == nil ||
		time.Until(*entries[0].Expires) < 50*time.Minute || entries[1].Address != "2001:db8::1" || entries[1].Expires != nil {
		t.Fatalf("list after migration = %+v", entries)
	}
	for _, name := range []string{"bl_v4", "bl_v6"} {
		if s, err := c.GetSetByName(tab, name); err != nil || !s.Interval || !s.HasTimeout {
			t.Fatalf("set %s after migration = %+v, %v", name, s, err)
		}
	}
	for _, r := range nftChains {
		rules, err := c.GetRules(tab, &nftables.Chain{Name: r.name, Table: tab})
		want := 2
		if r.src && r.dst {
			want = 4
		}
		if err != nil || len(rules) != want {
			t.Fatalf("chain %s has %d rules (%v), want %d", r.name, len(rules), err, want)
		}
	}
	if ns.reach(ns.hostA, port) || !ns.reach(ns.hostB, port) {
		t.Fatal("the migrated sets do not block as they should")
	}
	out, err = fw.Execute(context.Background(), sdk.Call{Action: "block", Backend: "nftables", Connection: conn,
		Input: map[string]any{"addresses": []any{ns.hostB + "/32", "192.0.2.0/24"}}})
	if err != nil || out["blocked"] != 2 || ns.reach(ns.hostB, port) {
		t.Fatalf("block after migration = %v, %v", out, err)
	}
	out, err = fw.Execute(context.Background(), sdk.Call{Action: "unblock", Backend: "nftables", Connection: conn,
		Input: map[string]any{"addresses": []any{ns.hostA}}})
	if err != nil || out["unblocked"] != 1 || !ns.reach(ns.hostA, port) {
		t.Fatalf("unblock after migration = %v, %v", out, err)
	}
}

// listen accepts (and closes) TCP connections on all addresses until the test ends.
func listen(t testing.TB) (net.Listener, int) {
	t.Helper()
	ln, err := net.Listen("tcp", "0.0.0.0:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	return ln, ln.Addr().(*net.TCPAddr).Port
}

// listed decodes a list action's output.
func listed(t testing.TB, out map[string]any) []entry {
	t.Helper()
	var l struct {
		Count   int     `json:"count"`
		Entries []entry `json:"entries"`
	}
	if err := sdk.Decode(out, &l); err != nil {
		t.Fatal(err)
	}
	if l.Count != len(l.Entries) {
		t.Fatalf("count %d but %d entries", l.Count, len(l.Entries))
	}
	return l.Entries
}

// TestNftSpans checks, without a kernel, how entries map to interval elements and back.
func TestNftSpans(t *testing.T) {
	for in, want := range map[string]string{
		"10.0.0.1/32":     "10.0.0.1",
		"10.0.0.0/8":      "10.0.0.0/8",
		"255.255.255.255": "255.255.255.255",
		"0.0.0.0/0":       "0.0.0.0/0",
		"ffff::/16":       "ffff::/16",
		"2001:db8::/127":  "2001:db8::/127",
	} {
		p := parsePrefix(in)
		s := spanOf(p)
		if s.String() != want {
			t.Errorf("%s -> %s, want %s", in, s, want)
		}
		// Elements read back (in the kernel's reverse order) give the entry again.
		els := s.elements(true)
		for i, j := 0, len(els)-1; i < j; i, j = i+1, j-1 {
			els[i], els[j] = els[j], els[i]
		}
		if got := spans(els); len(got) != 1 || got[0].key() != s.key() {
			t.Errorf("%s: read back %v", in, got)
		}
		// A range up to the top of the address space has no end element.
		n := 2
		if in == "255.255.255.255" || in == "0.0.0.0/0" || in == "ffff::/16" {
			n = 1
		}
		if got := len(s.elements(false)); got != n {
			t.Errorf("%s: %d elements, want %d", in, got, n)
		}
	}
	// Adjacent entries share a key (an end and a start); an end left by an expired entry is skipped.
	a, b := spanOf(parsePrefix("10.0.0.0/24")), spanOf(parsePrefix("10.0.1.0/24"))
	els := append(append(b.elements(true), a.elements(true)...), nftables.SetElement{Key: []byte{10, 0, 3, 0}, IntervalEnd: true})
	if got := spans(els); len(got) != 2 || got[0].String() != "10.0.0.0/24" || got[1].String() != "10.0.1.0/24" {
		t.Errorf("adjacent: %v", got)
	}
	// A range made by another tool is listed as first-last.
	if s := (span{start: netip.MustParseAddr("10.0.0.1"), end: netip.MustParseAddr("10.0.0.6")}); s.String() != "10.0.0.1-10.0.0.5" {
		t.Errorf("range: %s", s)
	}

	have := []span{spanOf(parsePrefix("10.0.0.0/24")), spanOf(parsePrefix("192.0.2.7/32"))}
	req := func(s ...string) []netip.Prefix {
		var out []netip.Prefix
		for _, x := range s {
			out = append(out, parsePrefix(x))
		}
		return out
	}
	fresh, again, err := admit(req("10.0.1.0/24", "192.0.2.7", "192.0.2.6", "10.0.1.0/24", "::/0"), have)
	if err != nil || len(fresh) != 3 || len(again) != 1 {
		t.Fatalf("admit = %v, %v, %v", fresh, again, err)
	}
	for _, c := range []struct {
		in   []string
		want string
	}{
		{[]string{"10.0.0.0/16"}, "input.addresses[0]: 10.0.0.0/16 overlaps 10.0.0.0/24, already blocked"},
		{[]string{"1.1.1.1", "10.0.0.9"}, "input.addresses[1]: 10.0.0.9 overlaps 10.0.0.0/24, already blocked"},
		{[]string{"192.0.0.0/16", "0.0.0.0/0"}, "input.addresses[0]: 192.0.0.0/16 overlaps input.addresses[1] (0.0.0.0/0)"},
	} {
		if _, _, err := admit(req(c.in...), have); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("admit %v = %v, want %q", c.in, err, c.want)
		}
	}
}
