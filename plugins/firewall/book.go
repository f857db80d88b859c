package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"sort"
	"time"

	"github.com/rampartsec/rampart/plugins/internal/pluginutil"
)

// book is the blocked entries of a backend that has no expiry of its own, kept in a JSON
// file: address -> expiry (zero: none) and comment. Expired entries are pruned on load.
type book struct {
	path    string
	Entries map[string]bookEntry `json:"entries"`
}

type bookEntry struct {
	Expires time.Time `json:"expires,omitzero"`
	Comment string    `json:"comment,omitempty"`
}

func loadBook(path string, now time.Time) (*book, []string, error) {
	b := &book{path: path, Entries: map[string]bookEntry{}}
	raw, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, nil, fmt.Errorf("firewall: read state: %w", err)
	}
	if err == nil {
		if err := json.Unmarshal(raw, b); err != nil {
			return nil, nil, fmt.Errorf("firewall: state %s: %w", path, err)
		}
	}
	var expired []string
	for a, e := range b.Entries {
		if !e.Expires.IsZero() && !e.Expires.After(now) {
			expired = append(expired, a)
			delete(b.Entries, a)
		}
	}
	sort.Strings(expired)
	return b, expired, nil
}

func (b *book) save() error {
	raw, err := json.Marshal(b)
	if err != nil {
		return fmt.Errorf("firewall: encode state: %w", err)
	}
	return pluginutil.WriteAtomic(b.path, raw, 0o600)
}

// add records addrs; it returns how many were new.
func (b *book) add(addrs []netip.Prefix, ttl time.Duration, comment string, now time.Time) int {
	var exp time.Time
	if ttl > 0 {
		exp = now.Add(ttl).UTC().Truncate(time.Second)
	}
	n := 0
	for _, p := range addrs {
		k := pluginutil.PrefixString(p)
		if _, ok := b.Entries[k]; !ok {
			n++
		}
		b.Entries[k] = bookEntry{Expires: exp, Comment: comment}
	}
	return n
}

// remove forgets addrs; it returns how many were there.
func (b *book) remove(addrs []netip.Prefix) int {
	n := 0
	for _, p := range addrs {
		k := pluginutil.PrefixString(p)
		if _, ok := b.Entries[k]; ok {
			n++
			delete(b.Entries, k)
		}
	}
	return n
}

// sorted returns the addresses in a stable order (IPv4 before IPv6, then by value).
func (b *book) sorted() []string {
	type kp struct {
		k string
		p netip.Prefix
	}
	ps := make([]kp, 0, len(b.Entries))
	for k := range b.Entries {
		ps = append(ps, kp{k, parsePrefix(k)})
	}
	sort.Slice(ps, func(i, j int) bool { return lessPrefix(ps[i].p, ps[j].p) })
	out := make([]string, len(ps))
	for i, x := range ps {
		out[i] = x.k
	}
	return out
}

func parsePrefix(s string) netip.Prefix {
	if a, err := netip.ParseAddr(s); err == nil {
		return netip.PrefixFrom(a, a.BitLen())
	}
	p, _ := netip.ParsePrefix(s)
	return p
}

func lessPrefix(a, b netip.Prefix) bool {
	if c := a.Addr().Compare(b.Addr()); c != 0 {
		return c < 0
	}
	return a.Bits() < b.Bits()
}

func lessAddr(a, b string) bool { return lessPrefix(parsePrefix(a), parsePrefix(b)) }

func (b *book) entries() []entry {
	var out []entry
	for _, k := range b.sorted() {
		e := b.Entries[k]
		en := entry{Address: k, Comment: e.Comment}
		if !e.Expires.IsZero() {
			t := e.Expires
			en.Expires = &t
		}
		out = append(out, en)
	}
	return out
}
