package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/rampartsec/rampart/actions/sdk"
	"github.com/rampartsec/rampart/internal/testenv"
)

// unbound is a real Unbound started on a loopback port with an RPZ zone file.
type unbound struct {
	addr, conf, zoneFile string
}

func freePort(t *testing.T) int {
	t.Helper()
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port
}

func startUnbound(t *testing.T) *unbound {
	t.Helper()
	bin := testenv.RequireTool(t, "unbound")
	testenv.RequireTool(t, "unbound-control")
	dir := t.TempDir()
	port := freePort(t)
	u := &unbound{addr: fmt.Sprintf("127.0.0.1:%d", port), conf: filepath.Join(dir, "unbound.conf"), zoneFile: filepath.Join(dir, "rpz.zone")}
	// Unbound needs the zone file to exist at start; the plugin owns it afterwards.
	r := &rpz{file: u.zoneFile, zone: "rpz.rampart.", answer: "nxdomain", ttl: 60}
	if err := r.write(map[string]entry{}, 0); err != nil {
		t.Fatal(err)
	}
	conf := fmt.Sprintf(`server:
  directory: "%[1]s"
  chroot: ""
  username: ""
  pidfile: "%[1]s/unbound.pid"
  logfile: "%[1]s/unbound.log"
  use-syslog: no
  verbosity: 1
  interface: 127.0.0.1
  port: %[2]d
  do-ip6: no
  module-config: "respip iterator"
  do-not-query-localhost: no
  local-zone: "test." nodefault
  domain-insecure: "example.test."
stub-zone:
  name: "example.test."
  stub-addr: 127.0.0.1@%[4]d
rpz:
  name: "rpz.rampart."
  zonefile: "%[3]s"
remote-control:
  control-enable: yes
  control-interface: "%[1]s/control.sock"
  control-use-cert: no
`, dir, port, u.zoneFile, authoritative(t))
	if err := os.WriteFile(u.conf, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-d", "-c", u.conf)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	for i := 0; ; i++ {
		if r, err := u.query("good.example.test."); err == nil && r.Rcode == dns.RcodeSuccess {
			break
		}
		if i == 100 {
			log, _ := os.ReadFile(filepath.Join(dir, "unbound.log"))
			t.Fatalf("unbound did not answer on %s:\n%s", u.addr, log)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return u
}

// authoritative serves example.test on a loopback port, as the upstream Unbound resolves
// through (Unbound answers its own local-data before RPZ, so the names must come from
// upstream as on a real resolver).
func authoritative(t *testing.T) int {
	t.Helper()
	records := map[string]string{"evil.example.test.": "192.0.2.10", "www.evil.example.test.": "192.0.2.11", "good.example.test.": "192.0.2.20"}
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &dns.Server{PacketConn: pc, Handler: dns.HandlerFunc(func(w dns.ResponseWriter, q *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(q)
		m.Authoritative = true
		name := strings.ToLower(q.Question[0].Name)
		if ip, ok := records[name]; ok && q.Question[0].Qtype == dns.TypeA {
			rr, _ := dns.NewRR(name + " 60 IN A " + ip)
			m.Answer = append(m.Answer, rr)
		} else if !ok {
			m.Rcode = dns.RcodeNameError
		}
		w.WriteMsg(m)
	})}
	go srv.ActivateAndServe()
	t.Cleanup(func() { srv.Shutdown() })
	return pc.LocalAddr().(*net.UDPAddr).Port
}

func (u *unbound) query(name string) (*dns.Msg, error) {
	m := new(dns.Msg)
	m.SetQuestion(name, dns.TypeA)
	c := &dns.Client{Timeout: time.Second}
	r, _, err := c.Exchange(m, u.addr)
	return r, err
}

// answer is "NXDOMAIN" or the A records' addresses.
func (u *unbound) answer(t *testing.T, name string) string {
	t.Helper()
	r, err := u.query(name)
	if err != nil {
		t.Fatalf("query %s: %v", name, err)
	}
	if r.Rcode != dns.RcodeSuccess {
		return dns.RcodeToString[r.Rcode]
	}
	var as []string
	for _, rr := range r.Answer {
		if a, ok := rr.(*dns.A); ok {
			as = append(as, a.A.String())
		}
	}
	return strings.Join(as, ",")
}

func TestRPZWithUnbound(t *testing.T) {
	u := startUnbound(t)
	tests := []struct {
		name   string
		answer string
		want   map[string]string // query -> answer after sinkhole
	}{
		{"nxdomain", "nxdomain", map[string]string{"evil.example.test.": "NXDOMAIN", "www.evil.example.test.": "NXDOMAIN", "good.example.test.": "192.0.2.20"}},
		{"walled garden", "198.51.100.53", map[string]string{"evil.example.test.": "198.51.100.53", "www.evil.example.test.": "198.51.100.53", "good.example.test.": "192.0.2.20"}},
	}
	normal := map[string]string{"evil.example.test.": "192.0.2.10", "www.evil.example.test.": "192.0.2.11", "good.example.test.": "192.0.2.20"}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conn := map[string]any{"zone_file": u.zoneFile, "zone": "rpz.rampart.", "answer": tt.answer, "ttl": 60,
				"reload_command": []any{"unbound-control", "-c", u.conf, "auth_zone_reload", "rpz.rampart."}}
			s := &sinkhole{}
			if d, err := s.CheckConnection(context.Background(), "rpz", conn); err != nil {
				t.Fatalf("check: %v", err)
			} else if !strings.Contains(d, "writable") {
				t.Fatalf("check = %q", d)
			}
			out, err := s.Execute(context.Background(), sdk.Call{Action: "sinkhole", Backend: "rpz", Connection: conn,
				Input: map[string]any{"domains": []any{"Evil.Example.Test."}, "expires": "1h", "comment": "c2\nfrom feed"}})
			if err != nil || out["sinkholed"] != 1 {
				t.Fatalf("sinkhole = %v, %v", out, err)
			}
			for q, want := range tt.want {
				if got := u.answer(t, q); got != want {
					t.Errorf("after sinkhole %s = %s, want %s", q, got, want)
				}
			}
			l, err := s.Execute(context.Background(), sdk.Call{Action: "list", Backend: "rpz", Connection: conn, Input: map[string]any{}})
			if err != nil || l["count"] != float64(1) {
				t.Fatalf("list = %v, %v", l, err)
			}
			out, err = s.Execute(context.Background(), sdk.Call{Action: "release", Backend: "rpz", Connection: conn,
				Input: map[string]any{"domains": []any{"evil.example.test", "never.example.test"}}})
			if err != nil || out["released"] != 1 {
				t.Fatalf("release = %v, %v", out, err)
			}
			for q, want := range normal {
				if got := u.answer(t, q); got != want {
					t.Errorf("after release %s = %s, want %s", q, got, want)
				}
			}
		})
	}
	zone, _ := os.ReadFile(u.zoneFile)
	if !strings.Contains(string(zone), "$ORIGIN rpz.rampart.") || strings.Contains(string(zone), "evil") {
		t.Fatalf("zone after release:\n%s", zone)
	}
}

func TestRPZSerialAndFailures(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "rpz.zone")
	conn := map[string]any{"zone_file": file}
	s := &sinkhole{}
	serials := map[uint32]bool{}
	for i := 0; i < 3; i++ {
		if _, err := s.Execute(context.Background(), sdk.Call{Action: "sinkhole", Backend: "rpz", Connection: conn,
			Input: map[string]any{"domains": []any{fmt.Sprintf("d%d.example", i)}}}); err != nil {
			t.Fatal(err)
		}
		_, serial, err := (&rpz{file: file}).load()
		if err != nil {
			t.Fatal(err)
		}
		if serials[serial] {
			t.Fatalf("serial %d reused", serial)
		}
		serials[serial] = true
	}
	for _, tt := range []struct {
		name string
		conn map[string]any
		in   map[string]any
		msg  string
	}{
		{"bad domain", conn, map[string]any{"domains": []any{"ok.example", "not a name"}}, `input.domains[1]: "not a name"`},
		{"bad answer", map[string]any{"zone_file": file, "answer": "bogus answer"}, map[string]any{"domains": []any{"x.example"}}, "connection.answer"},
		{"failing reload", map[string]any{"zone_file": file, "reload_command": []any{"false"}}, map[string]any{"domains": []any{"y.example"}}, "zone written but false failed"},
		{"bad expiry", conn, map[string]any{"domains": []any{"z.example"}, "expires": "soon"}, "input.expires"},
	} {
		_, err := s.Execute(context.Background(), sdk.Call{Action: "sinkhole", Backend: "rpz", Connection: tt.conn, Input: tt.in})
		if err == nil || !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("%s: %v, want %q", tt.name, err, tt.msg)
		}
	}
}
