package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/google/nftables"
	"github.com/google/nftables/expr"
	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"

	"github.com/rampartsec/rampart/actions/sdk"
	"github.com/rampartsec/rampart/plugins/internal/pluginutil"
)

const nftSchema = `{"type":"object","additionalProperties":false,"properties":{
  "table":{"type":"string","pattern":"^[A-Za-z][A-Za-z0-9_]{0,30}$","default":"rampart","description":"the inet table (created with its chains when missing)"},
  "set":{"type":"string","pattern":"^[A-Za-z][A-Za-z0-9_]{0,26}$","default":"blocklist","description":"set name prefix: <set>_v4 and <set>_v6"},
  "netns":{"type":"string","description":"act in this network namespace (a name in /var/run/netns) instead of the plugin's own"}}}`

// nft keeps blocked addresses and CIDRs in two named interval sets (<set>_v4, <set>_v6)
// with per-entry timeouts, in an inet table whose input, forward and output chains drop
// traffic from and to them. The kernel expires entries itself.
//
// An entry is the range [first address, last address + 1): a start element carrying the
// timeout and an end element flagged IntervalEnd (none when the range reaches the top of
// the address space). Entries stay disjoint: a block that would overlap an entry (blocked
// or in the same call) is refused before anything changes, naming each such input; merging
// instead would lose what a later unblock removes and when each entry expires. Adjacent
// entries (10.0.0.0/24 and 10.0.1.0/24) are distinct entries.
type nft struct {
	table, set, netns string
}

var nftNameRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]{0,30}$`)

func newNFT(conn map[string]any) (*nft, error) {
	var c struct {
		Table string `json:"table"`
		Set   string `json:"set"`
		NetNS string `json:"netns"`
	}
	if err := sdk.Decode(conn, &c); err != nil {
		return nil, err
	}
	n := &nft{table: c.Table, set: c.Set, netns: c.NetNS}
	if n.table == "" {
		n.table = "rampart"
	}
	if n.set == "" {
		n.set = "blocklist"
	}
	if !nftNameRE.MatchString(n.table) || !nftNameRE.MatchString(n.set) {
		return nil, sdk.Errorf(sdk.CodeConnection, false, "nftables: table and set names are letters, digits and _")
	}
	return n, nil
}

// conn opens a netlink connection, in the configured namespace when there is one.
func (n *nft) conn() (*nftables.Conn, func(), error) {
	if n.netns == "" {
		c, err := nftables.New(nftables.WithSockOptions(bigBuffers))
		if err != nil {
			return nil, nil, sdk.Errorf(sdk.CodeUnavailable, true, "nftables: %v", err)
		}
		return c, func() {}, nil
	}
	f, err := os.Open(filepath.Join("/var/run/netns", filepath.Base(n.netns)))
	if err != nil {
		return nil, nil, sdk.Errorf(sdk.CodeConnection, false, "nftables: network namespace %q: %v", n.netns, err)
	}
	c, err := nftables.New(nftables.WithNetNSFd(int(f.Fd())), nftables.WithSockOptions(bigBuffers))
	if err != nil {
		f.Close()
		return nil, nil, sdk.Errorf(sdk.CodeUnavailable, true, "nftables: %v", err)
	}
	return c, func() { f.Close() }, nil
}

// bigBuffers raises the netlink socket's send buffer so that a transaction of nftTxn
// entries fits one sendmsg, and its receive buffer so that no acknowledgement is dropped.
// Forcing them past the system limits needs CAP_NET_ADMIN, which the plugin needs anyway.
func bigBuffers(c *netlink.Conn) error {
	rc, err := c.SyscallConn()
	if err != nil {
		return fmt.Errorf("netlink buffers: %w", err)
	}
	var serr error
	if err := rc.Control(func(fd uintptr) {
		serr = errors.Join(unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_SNDBUFFORCE, 64<<20),
			unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, 8<<20))
	}); err != nil {
		return fmt.Errorf("netlink buffers: %w", err)
	}
	if serr != nil {
		return fmt.Errorf("netlink buffers: %w", serr)
	}
	return nil
}

type nftObjs struct {
	table      *nftables.Table
	set4, set6 *nftables.Set
}

// nftChains are the base chains the plugin owns, and whether each drops by source and by
// destination address.
var nftChains = []struct {
	hook     *nftables.ChainHook
	name     string
	src, dst bool
}{
	{nftables.ChainHookInput, "input", true, false},
	{nftables.ChainHookForward, "forward", true, true},
	{nftables.ChainHookOutput, "output", false, true},
}

// ensure returns the two sets, creating the table, sets, chains and drop rules when
// missing. A set of the earlier layout (no interval flag, which cannot be changed in
// place) is recreated: its drop rules and the set are deleted and made again in one
// transaction, which also carries its addresses over with the time they had left (past
// nftTxn of them, the rest follow in further transactions).
func (n *nft) ensure(c *nftables.Conn) (*nftObjs, error) {
	t := &nftables.Table{Family: nftables.TableFamilyINet, Name: n.table}
	o := &nftObjs{table: t}
	specs := []struct {
		set  **nftables.Set
		name string
		key  nftables.SetDatatype
	}{
		{&o.set4, n.set + "_v4", nftables.TypeIPAddr},
		{&o.set6, n.set + "_v6", nftables.TypeIP6Addr},
	}
	var made []*nftables.Set // sets created by this call
	var carry []span         // entries of recreated sets
	old := map[string]bool{} // names of sets to delete
	for _, sp := range specs {
		s, err := c.GetSetByName(t, sp.name)
		if err == nil && s.Interval {
			*sp.set = s
			continue
		}
		if err == nil {
			els, err := c.GetSetElements(s)
			if err != nil {
				return nil, sdk.Errorf(sdk.CodeUnavailable, true, "nftables: read set %s: %v", s.Name, err)
			}
			for _, e := range els {
				if a, ok := netip.AddrFromSlice(e.Key); ok {
					carry = append(carry, span{start: a, end: a.Next(), expires: e.Expires})
				}
			}
			old[s.Name] = true
		}
		*sp.set = &nftables.Set{Table: t, Name: sp.name, KeyType: sp.key, Interval: true, HasTimeout: true}
		made = append(made, *sp.set)
	}
	if len(made) == 0 {
		return o, nil
	}
	if len(old) > 0 {
		for _, ch := range nftChains {
			rules, err := c.GetRules(t, &nftables.Chain{Name: ch.name, Table: t})
			if err != nil {
				continue // no such chain: nothing refers to the set from it
			}
			for _, r := range rules {
				if usesSet(r, old) {
					if err := c.DelRule(r); err != nil {
						return nil, sdk.Errorf(sdk.CodeUnavailable, true, "nftables: delete rule: %v", err)
					}
				}
			}
		}
		for name := range old {
			c.DelSet(&nftables.Set{Table: t, Name: name})
		}
	}
	c.AddTable(t)
	for _, s := range made {
		if err := c.AddSet(s, nil); err != nil {
			return nil, sdk.Errorf(sdk.CodeUnavailable, true, "nftables: add set %s: %v", s.Name, err)
		}
	}
	accept := nftables.ChainPolicyAccept
	for _, r := range nftChains {
		ch := c.AddChain(&nftables.Chain{Name: r.name, Table: t, Type: nftables.ChainTypeFilter,
			Hooknum: r.hook, Priority: nftables.ChainPriorityFilter, Policy: &accept})
		for _, s := range made {
			family := byte(unix.NFPROTO_IPV4)
			if s == o.set6 {
				family = unix.NFPROTO_IPV6
			}
			for _, source := range []bool{true, false} {
				if (source && r.src) || (!source && r.dst) {
					c.AddRule(&nftables.Rule{Table: t, Chain: ch, Exprs: dropIfIn(s, family, source)})
				}
			}
		}
	}
	if err := n.apply(c, o, carry, add(c)); err != nil {
		return nil, err
	}
	return o, nil
}

// usesSet reports whether r looks up one of the named sets.
func usesSet(r *nftables.Rule, names map[string]bool) bool {
	for _, e := range r.Exprs {
		if l, ok := e.(*expr.Lookup); ok && names[l.SetName] {
			return true
		}
	}
	return false
}

// dropIfIn is `meta nfproto <family> ip[6] saddr|daddr @set counter drop`.
func dropIfIn(set *nftables.Set, family byte, source bool) []expr.Any {
	var off, l uint32
	switch {
	case family == unix.NFPROTO_IPV4 && source:
		off, l = 12, 4
	case family == unix.NFPROTO_IPV4:
		off, l = 16, 4
	case source:
		off, l = 8, 16
	default:
		off, l = 24, 16
	}
	return []expr.Any{
		&expr.Meta{Key: expr.MetaKeyNFPROTO, Register: 1},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{family}},
		&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: off, Len: l},
		&expr.Lookup{SourceRegister: 1, SetName: set.Name, SetID: set.ID},
		&expr.Counter{},
		&expr.Verdict{Kind: expr.VerdictDrop},
	}
}

// span is one entry of an interval set: the addresses from start up to, not including,
// end. end is the zero Addr when the entry reaches the top of the address space.
type span struct {
	start, end netip.Addr
	expires    time.Duration // time left when read, timeout when written; 0: none
}

// spanOf returns the range a prefix covers.
func spanOf(p netip.Prefix) span {
	p = p.Masked()
	b := p.Addr().AsSlice()
	for i := p.Bits(); i < len(b)*8; i++ {
		b[i/8] |= 0x80 >> (i % 8)
	}
	last, _ := netip.AddrFromSlice(b)
	return span{start: p.Addr(), end: last.Next()}
}

// last is the span's last address.
func (s span) last() netip.Addr {
	if s.end.IsValid() {
		return s.end.Prev()
	}
	b := s.start.AsSlice()
	for i := range b {
		b[i] = 0xff
	}
	top, _ := netip.AddrFromSlice(b)
	return top
}

// key identifies the span without its expiry.
func (s span) key() [2]netip.Addr { return [2]netip.Addr{s.start, s.end} }

// String is the span in canonical form: an address, a CIDR, or first-last for a range
// that is neither (one added by another tool).
func (s span) String() string {
	for bits := 0; bits <= s.start.BitLen(); bits++ {
		if p := netip.PrefixFrom(s.start, bits); p.Masked() == p && spanOf(p).end == s.end {
			return pluginutil.PrefixString(p)
		}
	}
	return s.start.String() + "-" + s.last().String()
}

// elements are the set elements that hold s; the start carries the timeout when asked.
func (s span) elements(timeout bool) []nftables.SetElement {
	els := []nftables.SetElement{{Key: s.start.AsSlice()}}
	if timeout {
		els[0].Timeout = s.expires
	}
	if s.end.IsValid() {
		els = append(els, nftables.SetElement{Key: s.end.AsSlice(), IntervalEnd: true})
	}
	return els
}

// spans pairs an interval set's elements into entries. Sorted by key (an end before a
// start of the same key, as adjacent entries have), an end element closes the start before
// it; an end without one, left by an expired entry until the kernel collects it, is
// skipped, and a start without an end runs to the top of the address space.
func spans(els []nftables.SetElement) []span {
	sort.Slice(els, func(i, j int) bool {
		if c := bytes.Compare(els[i].Key, els[j].Key); c != 0 {
			return c < 0
		}
		return els[i].IntervalEnd && !els[j].IntervalEnd
	})
	var out []span
	var open *span
	for _, e := range els {
		a, ok := netip.AddrFromSlice(e.Key)
		switch {
		case !ok:
		case !e.IntervalEnd:
			open = &span{start: a, expires: e.Expires}
		case open != nil:
			open.end = a
			out = append(out, *open)
			open = nil
		}
	}
	if open != nil {
		out = append(out, *open)
	}
	return out
}

// present returns the entries now in the two sets.
func present(c *nftables.Conn, o *nftObjs) ([]span, error) {
	var out []span
	for _, s := range []*nftables.Set{o.set4, o.set6} {
		els, err := c.GetSetElements(s)
		if err != nil {
			return nil, sdk.Errorf(sdk.CodeUnavailable, true, "nftables: read set %s: %v", s.Name, err)
		}
		out = append(out, spans(els)...)
	}
	return out, nil
}

// admit splits the requested prefixes into new entries and entries already blocked as
// they are (deduplicated), and refuses the call, naming each input, when one overlaps an
// entry already blocked or another input.
func admit(req []netip.Prefix, have []span) (fresh, again []span, err error) {
	type item struct {
		s   span
		idx int // index in req; -1: already blocked
	}
	items := make([]item, 0, len(have)+len(req))
	blocked := make(map[[2]netip.Addr]bool, len(have))
	for _, s := range have {
		blocked[s.key()] = true
		items = append(items, item{s, -1})
	}
	seen := map[[2]netip.Addr]bool{}
	for i, p := range req {
		s := spanOf(p)
		switch {
		case seen[s.key()]:
		case blocked[s.key()]:
			again = append(again, s)
		default:
			fresh = append(fresh, s)
			items = append(items, item{s, i})
		}
		seen[s.key()] = true
	}
	// Sorted by start, widest first, an item overlaps an earlier one exactly when it
	// starts at or before the furthest last address so far.
	sort.Slice(items, func(i, j int) bool {
		if c := items[i].s.start.Compare(items[j].s.start); c != 0 {
			return c < 0
		}
		return items[i].s.last().Compare(items[j].s.last()) > 0
	})
	var msgs []string
	var cover *item
	for i := range items {
		it := &items[i]
		if cover == nil || it.s.start.Compare(cover.s.last()) > 0 {
			cover = it
			continue
		}
		a, b := it, cover
		if a.idx < 0 {
			a, b = b, a
		}
		if a.idx < 0 {
			continue // two entries of the set: not this call's doing
		}
		other := b.s.String() + ", already blocked"
		if b.idx >= 0 {
			other = fmt.Sprintf("input.addresses[%d] (%s)", b.idx, b.s)
		}
		msgs = append(msgs, fmt.Sprintf("input.addresses[%d]: %s overlaps %s", a.idx, a.s, other))
		if it.s.last().Compare(cover.s.last()) > 0 {
			cover = it
		}
	}
	if len(msgs) > 0 {
		if len(msgs) > 5 {
			msgs = append(msgs[:5], fmt.Sprintf("and %d more", len(msgs)-5))
		}
		return nil, nil, sdk.Errorf(sdk.CodeInvalidInput, false,
			"nftables keeps entries disjoint (unblock the overlapping entry first): %s", strings.Join(msgs, "; "))
	}
	return fresh, again, nil
}

// nftMsg is how many entries of a set go into one netlink message: its elements are one
// netlink attribute, at most 64 KiB, and an IPv6 entry takes 76 bytes.
const nftMsg = 768

// nftTxn is how many entries go into one transaction: one sendmsg (up to 18 MB when
// re-blocking IPv6 entries), and one acknowledgement per message. Each commit costs the
// kernel time, so a call of up to nftTxn entries is one transaction, which is also atomic.
const nftTxn = 1 << 17

// apply calls f with the entries, up to nftMsg of a set at a time, and commits every
// nftTxn of them and at the end; messages already queued on c go out with the first commit.
func (n *nft) apply(c *nftables.Conn, o *nftObjs, entries []span, f func(s *nftables.Set, b []span) error) error {
	var b4, b6 []span
	send := func(atLeast int) error {
		for _, b := range []struct {
			s *nftables.Set
			b *[]span
		}{{o.set4, &b4}, {o.set6, &b6}} {
			if len(*b.b) >= atLeast {
				if err := f(b.s, *b.b); err != nil {
					return err
				}
				*b.b = (*b.b)[:0]
			}
		}
		return nil
	}
	commit := func() error {
		if err := send(1); err != nil {
			return err
		}
		if err := c.Flush(); err != nil {
			return sdk.Errorf(sdk.CodeUnavailable, true, "nftables: %v", err)
		}
		return nil
	}
	for i, e := range entries {
		if e.start.Is4() {
			b4 = append(b4, e)
		} else {
			b6 = append(b6, e)
		}
		if err := send(nftMsg); err != nil {
			return err
		}
		if (i+1)%nftTxn == 0 {
			if err := commit(); err != nil {
				return err
			}
		}
	}
	return commit()
}

// add queues adding entries with their timeouts; del queues deleting them.
func add(c *nftables.Conn) func(*nftables.Set, []span) error {
	return func(s *nftables.Set, b []span) error {
		if err := c.SetAddElements(s, elements(b, true)); err != nil {
			return sdk.Errorf(sdk.CodeUnavailable, true, "nftables: add to %s: %v", s.Name, err)
		}
		return nil
	}
}

func del(c *nftables.Conn) func(*nftables.Set, []span) error {
	return func(s *nftables.Set, b []span) error {
		if err := c.SetDeleteElements(s, elements(b, false)); err != nil {
			return sdk.Errorf(sdk.CodeUnavailable, true, "nftables: delete from %s: %v", s.Name, err)
		}
		return nil
	}
}

func elements(b []span, timeout bool) []nftables.SetElement {
	els := make([]nftables.SetElement, 0, 2*len(b))
	for _, s := range b {
		els = append(els, s.elements(timeout)...)
	}
	return els
}

// open connects, makes sure the table, sets and rules exist, and reads the entries the sets
// hold; done releases the connection (only when err is nil).
func (n *nft) open() (c *nftables.Conn, o *nftObjs, have []span, done func(), err error) {
	c, done, err = n.conn()
	if err != nil {
		return nil, nil, nil, nil, err
	}
	if o, err = n.ensure(c); err == nil {
		have, err = present(c, o)
	}
	if err != nil {
		done()
		return nil, nil, nil, nil, err
	}
	return c, o, have, done, nil
}

func (n *nft) block(_ context.Context, prefixes []netip.Prefix, ttl time.Duration, _ string) (int, error) {
	c, o, have, done, err := n.open()
	if err != nil {
		return 0, err
	}
	defer done()
	fresh, again, err := admit(prefixes, have)
	if err != nil {
		return 0, err
	}
	refresh := make(map[[2]netip.Addr]bool, len(again))
	for _, s := range again {
		refresh[s.key()] = true
	}
	all := append(again, fresh...)
	for i := range all {
		all[i].expires = ttl
	}
	// Re-blocking refreshes the timeout: the entry is deleted and added again, in the
	// same transaction as the rest of the call.
	err = n.apply(c, o, all, func(s *nftables.Set, b []span) error {
		var re []span
		for _, x := range b {
			if refresh[x.key()] {
				re = append(re, x)
			}
		}
		if len(re) > 0 {
			if err := del(c)(s, re); err != nil {
				return err
			}
		}
		return add(c)(s, b)
	})
	if err != nil {
		return 0, err
	}
	return len(fresh), nil
}

// unblock removes entries as they were blocked: a single address inside a blocked CIDR
// is not an entry, and unblocking it changes nothing.
func (n *nft) unblock(_ context.Context, prefixes []netip.Prefix) (int, error) {
	c, o, have, done, err := n.open()
	if err != nil {
		return 0, err
	}
	defer done()
	blocked := make(map[[2]netip.Addr]bool, len(have))
	for _, s := range have {
		blocked[s.key()] = true
	}
	var gone []span
	for _, p := range prefixes {
		if s := spanOf(p); blocked[s.key()] {
			gone = append(gone, s)
			delete(blocked, s.key())
		}
	}
	return len(gone), n.apply(c, o, gone, del(c))
}

func (n *nft) list(context.Context) ([]entry, error) {
	_, _, have, done, err := n.open()
	if err != nil {
		return nil, err
	}
	defer done()
	now := time.Now().UTC().Truncate(time.Second)
	out := make([]entry, 0, len(have))
	for _, s := range have {
		en := entry{Address: s.String()}
		if s.expires > 0 {
			t := now.Add(s.expires)
			en.Expires = &t
		}
		out = append(out, en)
	}
	sortEntries(out)
	return out, nil
}

func sortEntries(es []entry) {
	sort.Slice(es, func(i, j int) bool { return lessAddr(es[i].Address, es[j].Address) })
}

func (n *nft) check(context.Context) (string, error) {
	c, done, err := n.conn()
	if err != nil {
		return "", err
	}
	defer done()
	if _, err := c.ListTablesOfFamily(nftables.TableFamilyINet); err != nil {
		if errors.Is(err, unix.EPERM) {
			return "", sdk.Errorf(sdk.CodePermissionDenied, false, "nftables: the plugin needs CAP_NET_ADMIN: %v", err)
		}
		return "", sdk.Errorf(sdk.CodeUnavailable, true, "nftables: %v", err)
	}
	where := "the plugin's network namespace"
	if n.netns != "" {
		where = "network namespace " + n.netns
	}
	return fmt.Sprintf("netlink reachable in %s; table inet %s, sets %s_v4/%s_v6", where, n.table, n.set, n.set), nil
}
