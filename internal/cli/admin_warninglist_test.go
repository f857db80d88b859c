package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/rampartsec/rampart/intel"
	"github.com/rampartsec/rampart/intel/store"
)

func TestAdminWarninglistCommands(t *testing.T) {
	data, files := t.TempDir(), t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(files, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	bad := write("bad.txt", "# members' networks\n198.51.7.0/24\n\n10.0.0.300\nvpn.example-isac.org\n192.0.2.0/33\n")
	good := write("members.txt", "# members' networks\n198.51.7.0/24\n2001:db8:77::/48\n203.0.113.9\n")
	more := write("more.txt", "203.0.113.9/32\n192.0.2.0/28\n")
	ours := write("ours.txt", "*.example-isac.org\nportal.member-bank.org\n")

	// A store opened before the commands, as a running server's is, sees their changes.
	ctx := context.Background()
	running, err := store.OpenDir(ctx, data)
	if err != nil {
		t.Fatal(err)
	}
	defer running.Close()

	steps := []struct {
		args []string
		exit int
	}{
		{[]string{"admin", "warninglist", "list"}, ExitOK},
		{[]string{"admin", "warninglist", "add", "member-nets", "--file", bad, "--type", "network"}, ExitInput},
		{[]string{"admin", "warninglist", "add", "member-nets", "--file", good, "--type", "network", "--description", "members' networks"}, ExitOK},
		{[]string{"admin", "warninglist", "add", "member-nets", "--file", more}, ExitOK},
		{[]string{"admin", "warninglist", "add", "member-nets", "--file", ours}, ExitInput},
		{[]string{"admin", "warninglist", "add", "community-assets", "--file", ours}, ExitOK},
		{[]string{"admin", "warninglist", "add", "popular-domains", "--file", ours}, ExitInput},
		{[]string{"admin", "warninglist", "list"}, ExitOK},
		{[]string{"admin", "warninglist", "show", "member-nets"}, ExitOK},
		{[]string{"admin", "warninglist", "show", "community-assets", "--format", "json"}, ExitOK},
		{[]string{"admin", "warninglist", "remove", "private-ranges"}, ExitInput},
		{[]string{"admin", "warninglist", "remove", "community-assets"}, ExitInput},
		{[]string{"admin", "warninglist", "add", "Member Nets", "--file", good}, ExitUsage},
		{[]string{"admin", "warninglist", "add", "x"}, ExitUsage},
		{[]string{"admin", "warninglist", "add", "x", "--file", good, "--type", "ipz"}, ExitUsage},
		{[]string{"admin", "warninglist", "add", "x", "--file", filepath.Join(files, "missing.txt")}, ExitInput},
	}
	var transcript strings.Builder
	run := func(args []string, exit int) {
		var stdout, stderr bytes.Buffer
		code := Main(append(args, "--data", data), &stdout, &stderr)
		transcript.WriteString("$ rampart " + strings.Join(args, " ") + "\n" + stdout.String())
		if stderr.Len() > 0 {
			transcript.WriteString("stderr: " + strings.ReplaceAll(strings.TrimSuffix(stderr.String(), "\n"), "\n", "\nstderr: ") + "\n")
		}
		transcript.WriteString("exit " + string(rune('0'+code)) + "\n\n")
		if code != exit {
			t.Errorf("rampart %s: exit %d, want %d\n%s%s", strings.Join(args, " "), code, exit, stdout.String(), stderr.String())
		}
	}
	for _, s := range steps {
		run(s.args, s.exit)
	}

	if err := running.RefreshWarninglists(ctx); err != nil {
		t.Fatal(err)
	}
	for value, want := range map[string][]string{
		"192.0.2.5":                {"documentation-ranges", "member-nets"},
		"198.51.7.200":             {"member-nets"},
		"sso.example-isac.org":     {"community-assets"},
		"portal.member-bank.org":   {"community-assets"},
		"unrelated.example-bad.io": nil,
	} {
		typ, canon, err := intel.Normalize("", value)
		if err != nil {
			t.Fatal(err)
		}
		if got := running.Warninglists().Match(typ, canon); !slices.Equal(got, want) {
			t.Errorf("a running store matches %s on %v, want %v", value, got, want)
		}
	}

	run([]string{"admin", "warninglist", "remove", "member-nets"}, ExitOK)
	run([]string{"admin", "warninglist", "remove", "member-nets"}, ExitInput)
	golden(t, "admin_warninglist.golden", strings.ReplaceAll(transcript.String(), files+string(filepath.Separator), "FILES/"))
}
