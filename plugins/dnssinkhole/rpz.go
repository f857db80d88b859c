package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rampartsec/rampart/actions/sdk"
	"github.com/rampartsec/rampart/plugins/internal/pluginutil"
)

const rpzSchema = `{"type":"object","required":["zone_file"],"additionalProperties":false,"properties":{
  "zone_file":{"type":"string","minLength":1,"description":"the RPZ zone file the resolver loads; the plugin owns it"},
  "zone":{"type":"string","default":"rpz.rampart.","description":"the policy zone's name, as configured in the resolver"},
  "answer":{"type":"string","default":"nxdomain","description":"nxdomain, nodata, an IPv4/IPv6 address (a walled garden) or a host name (CNAME)"},
  "ttl":{"type":"integer","minimum":0,"default":300},
  "reload_command":{"type":"array","items":{"type":"string"},"description":"run after each write, e.g. [\"unbound-control\", \"auth_zone_reload\", \"rpz.rampart.\"] or [\"rndc\", \"reload\", \"rpz.rampart\"]"}}}`

// rpz owns a Response Policy Zone file. Each sinkholed name is a QNAME trigger ("name" and,
// with subdomains, "*.name") whose action is the configured answer; a "; rampart" comment
// line before each keeps its expiry and comment, so the file is its own state. Every write
// bumps the SOA serial (max(old+1, Unix time)), goes through a temporary file renamed over
// the old one, and then runs the reload command.
type rpz struct {
	file, zone, answer string
	ttl                int
	reload             []string
}

func newRPZ(conn map[string]any) (*rpz, error) {
	var c struct {
		ZoneFile string   `json:"zone_file"`
		Zone     string   `json:"zone"`
		Answer   string   `json:"answer"`
		TTL      *int     `json:"ttl"`
		Reload   []string `json:"reload_command"`
	}
	if err := sdk.Decode(conn, &c); err != nil {
		return nil, err
	}
	r := &rpz{file: c.ZoneFile, zone: c.Zone, answer: strings.ToLower(c.Answer), ttl: 300, reload: c.Reload}
	if r.zone == "" {
		r.zone = "rpz.rampart."
	}
	if !strings.HasSuffix(r.zone, ".") {
		r.zone += "."
	}
	if r.answer == "" {
		r.answer = "nxdomain"
	}
	if c.TTL != nil {
		r.ttl = *c.TTL
	}
	if _, err := r.rdata(); err != nil {
		return nil, err
	}
	return r, nil
}

// rdata is the record type and data every trigger gets.
func (r *rpz) rdata() (string, error) {
	switch r.answer {
	case "nxdomain":
		return "CNAME .", nil
	case "nodata":
		return "CNAME *.", nil
	}
	if a, err := netip.ParseAddr(r.answer); err == nil {
		if a.Is4() {
			return "A " + a.String(), nil
		}
		return "AAAA " + a.String(), nil
	}
	if h, err := pluginutil.Domains("answer", []string{r.answer}); err == nil {
		return "CNAME " + h[0] + ".", nil
	}
	return "", sdk.Errorf(sdk.CodeConnection, false, "rpz: connection.answer %q: use nxdomain, nodata, an IP address or a host name", r.answer)
}

// load reads the zone's entries and serial; a missing file is an empty zone.
func (r *rpz) load() (map[string]entry, uint32, error) {
	es := map[string]entry{}
	f, err := os.Open(r.file)
	if errors.Is(err, os.ErrNotExist) {
		return es, 0, nil
	}
	if err != nil {
		return nil, 0, sdk.Errorf(sdk.CodeConnection, false, "rpz: %v", err)
	}
	defer f.Close()
	var serial uint32
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		line := sc.Text()
		if rest, ok := strings.CutPrefix(line, "; rampart serial "); ok {
			if n, err := strconv.ParseUint(rest, 10, 32); err == nil {
				serial = uint32(n)
			}
			continue
		}
		if rest, ok := strings.CutPrefix(line, "; rampart "); ok {
			var e entry
			if err := json.Unmarshal([]byte(rest), &e); err == nil && e.Domain != "" {
				es[e.Domain] = e
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, 0, sdk.Errorf(sdk.CodeConnection, false, "rpz: read %s: %v", r.file, err)
	}
	return es, serial, nil
}

func (r *rpz) write(es map[string]entry, oldSerial uint32) error {
	rdata, err := r.rdata()
	if err != nil {
		return err
	}
	serial := max(oldSerial+1, uint32(time.Now().Unix()))
	names := make([]string, 0, len(es))
	for d := range es {
		names = append(names, d)
	}
	sort.Strings(names)
	var b bytes.Buffer
	b.Grow(len(names) * 160)
	fmt.Fprintf(&b, "; Response Policy Zone written by rampart-plugin-dnssinkhole: edits are overwritten.\n")
	fmt.Fprintf(&b, "; rampart serial %d\n$ORIGIN %s\n$TTL %d\n", serial, r.zone, r.ttl)
	fmt.Fprintf(&b, "@ IN SOA localhost. hostmaster.localhost. %d 3600 600 86400 %d\n@ IN NS localhost.\n", serial, r.ttl)
	for _, d := range names {
		e := es[d]
		meta, _ := json.Marshal(e)
		b.WriteString("; rampart ")
		b.Write(meta)
		b.WriteByte('\n')
		b.WriteString(d)
		b.WriteString(" ")
		b.WriteString(rdata)
		b.WriteByte('\n')
		if e.Subdomains {
			b.WriteString("*.")
			b.WriteString(d)
			b.WriteString(" ")
			b.WriteString(rdata)
			b.WriteByte('\n')
		}
	}
	if err := pluginutil.WriteAtomic(r.file, b.Bytes(), 0o644); err != nil {
		return sdk.Errorf(sdk.CodeUnavailable, true, "rpz: %v", err)
	}
	return r.runReload()
}

func (r *rpz) runReload() error {
	if len(r.reload) == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, r.reload[0], r.reload[1:]...).CombinedOutput()
	if err != nil {
		msg := strings.TrimSpace(string(out))
		if len(msg) > 300 {
			msg = msg[:300]
		}
		return sdk.Errorf(sdk.CodeUnavailable, true, "rpz: zone written but %s failed: %v: %s", filepath.Base(r.reload[0]), err, msg)
	}
	return nil
}

// change loads, prunes expired entries, applies f, and writes when anything changed.
// rpzMu serialises changes: the plugin serves concurrent calls, and each change reads,
// changes and rewrites the zone.
var rpzMu sync.Mutex

func (r *rpz) change(f func(es map[string]entry) (n int, dirty bool)) (int, error) {
	rpzMu.Lock()
	defer rpzMu.Unlock()
	es, serial, err := r.load()
	if err != nil {
		return 0, err
	}
	pruned := prune(es, time.Now())
	n, dirty := f(es)
	if !dirty && !pruned {
		return n, nil
	}
	return n, r.write(es, serial)
}

func prune(es map[string]entry, now time.Time) bool {
	pruned := false
	for d, e := range es {
		if !e.Expires.IsZero() && !e.Expires.After(now) {
			delete(es, d)
			pruned = true
		}
	}
	return pruned
}

func (r *rpz) sinkhole(_ context.Context, add []entry) (int, error) {
	return r.change(func(es map[string]entry) (int, bool) {
		n, dirty := 0, false
		for _, e := range add {
			old, ok := es[e.Domain]
			if !ok {
				n++
			}
			if !ok || old != e {
				es[e.Domain] = e
				dirty = true
			}
		}
		return n, dirty
	})
}

func (r *rpz) release(_ context.Context, domains []string) (int, error) {
	return r.change(func(es map[string]entry) (int, bool) {
		n := 0
		for _, d := range domains {
			if _, ok := es[d]; ok {
				delete(es, d)
				n++
			}
		}
		return n, n > 0
	})
}

func (r *rpz) list(context.Context) ([]entry, error) {
	var out []entry
	_, err := r.change(func(es map[string]entry) (int, bool) {
		for _, e := range es {
			out = append(out, e)
		}
		return 0, false
	})
	return out, err
}

func (r *rpz) check(context.Context) (string, error) {
	dir := filepath.Dir(r.file)
	f, err := os.CreateTemp(dir, ".rampart-check-*")
	if err != nil {
		return "", sdk.Errorf(sdk.CodeConnection, false, "rpz: cannot write in %s: %v", dir, err)
	}
	f.Close()
	os.Remove(f.Name())
	if len(r.reload) > 0 {
		if _, err := exec.LookPath(r.reload[0]); err != nil {
			return "", sdk.Errorf(sdk.CodeConnection, false, "rpz: reload command %s not found", r.reload[0])
		}
	}
	return fmt.Sprintf("%s is writable; zone %s answers %s", dir, r.zone, r.answer), nil
}
