package cli

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/rampartsec/rampart/intel/store"
)

func TestAdminCommands(t *testing.T) {
	data := t.TempDir()
	steps := []struct {
		name string
		args []string
		want int
		out  string
	}{
		{"add org", []string{"admin", "org", "add", "acme", "--name", "ACME Corp"}, ExitOK, "organisation acme (ACME Corp) added"},
		{"add second org", []string{"admin", "org", "add", "globex"}, ExitOK, "organisation globex"},
		{"duplicate org", []string{"admin", "org", "add", "acme"}, ExitInput, ""},
		{"bad org id", []string{"admin", "org", "add", "Not An Id"}, ExitUsage, ""},
		{"list orgs", []string{"admin", "org", "list"}, ExitOK, "globex"},
		{"add user", []string{"admin", "user", "add", "soc-bot", "--org", "acme", "--role", "analyst,contributor"}, ExitOK, "token: rmp_"},
		{"user without role", []string{"admin", "user", "add", "x", "--org", "acme"}, ExitUsage, ""},
		{"user with bad role", []string{"admin", "user", "add", "x", "--org", "acme", "--role", "king"}, ExitUsage, ""},
		{"user of missing org", []string{"admin", "user", "add", "x", "--org", "nowhere", "--role", "viewer"}, ExitInput, ""},
		{"add group", []string{"admin", "group", "add", "energy", "--owner", "acme", "--member", "globex"}, ExitOK, "members: acme, globex"},
		{"group needs owner", []string{"admin", "group", "add", "x"}, ExitUsage, ""},
	}
	var token string
	for _, s := range steps {
		var stdout, stderr bytes.Buffer
		got := Main(append(s.args, "--data", data), &stdout, &stderr)
		if got != s.want {
			t.Fatalf("%s: exit %d, want %d (stdout %q stderr %q)", s.name, got, s.want, stdout.String(), stderr.String())
		}
		if !strings.Contains(stdout.String(), s.out) {
			t.Fatalf("%s: stdout %q lacks %q", s.name, stdout.String(), s.out)
		}
		if m := regexp.MustCompile(`(?m)^token: (\S+)$`).FindStringSubmatch(stdout.String()); m != nil {
			token = m[1]
		}
	}
	st, err := store.OpenDir(context.Background(), data)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	v, err := st.Authenticate(context.Background(), token)
	if err != nil {
		t.Fatalf("the printed token does not authenticate: %v", err)
	}
	if v.Org != "acme" || len(v.Roles) != 2 || len(v.Groups) != 1 {
		t.Fatalf("viewer %+v", v)
	}
}
