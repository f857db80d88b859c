package manager_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rampartsec/rampart/actions"
	"github.com/rampartsec/rampart/actions/manager"
)

const token = "correct-horse"

func TestConnectionSecretsStayEncrypted(t *testing.T) {
	t.Setenv("RAMPART_SECRET_KEY", "")
	var logs, pluginOut bytes.Buffer
	m, dir := open(t, manager.Options{Logger: slog.New(slog.NewTextHandler(&logs, nil)), PluginOutput: &pluginOut})
	ctx := context.Background()
	c, err := m.AddConnection(ctx, manager.NewConnection{Org: "acme", Name: "fw", Plugin: "fault", Backend: "mem",
		Config: map[string]any{"url": "https://fw.example", "token": token, "retries": 2}})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.SecretFields) != 1 || c.SecretFields[0] != "token" || c.Config["token"] != nil {
		t.Fatalf("connection as shown: %+v", c)
	}
	shown, _ := json.Marshal(c)

	// The plugin gets the whole config, secret included, for the call.
	out, err := m.Execute(ctx, actions.Request{Org: "acme", Action: "fault/conn", Connection: "fw"})
	if err != nil {
		t.Fatal(err)
	}
	if out["backend"] != "mem" || out["token_len"] != float64(len(token)) || len(out["keys"].([]any)) != 3 {
		t.Fatalf("plugin saw %v", out)
	}
	// Another organisation cannot use it.
	if _, err := m.Execute(ctx, actions.Request{Org: "other", Action: "fault/conn", Connection: "fw"}); actions.AsError(err).Code != actions.CodeConnection {
		t.Fatalf("another org used acme's connection: %v", err)
	}
	// A plugin that puts the secret in its error is redacted.
	_, leakErr := m.Execute(ctx, actions.Request{Org: "acme", Action: "fault/leak", Connection: "fw"})
	if leakErr == nil || !strings.Contains(leakErr.Error(), "[redacted]") {
		t.Fatalf("leak error = %v", leakErr)
	}
	detail, err := m.CheckConnection(ctx, "acme", "fw")
	if err != nil || detail != "reached https://fw.example over mem" {
		t.Fatalf("CheckConnection = %q, %v", detail, err)
	}
	// A bad secret: the check fails, and neither the schema check nor the plugin shows it.
	bad := "wrong-battery-staple"
	if _, err := m.AddConnection(ctx, manager.NewConnection{Org: "acme", Name: "fw", Plugin: "fault", Backend: "mem", Replace: true,
		Config: map[string]any{"url": "https://fw.example"}, Secrets: map[string]any{"token": bad}}); err != nil {
		t.Fatal(err)
	}
	_, checkErr := m.CheckConnection(ctx, "acme", "fw")
	if checkErr == nil {
		t.Fatal("check of a bad token passed")
	}
	_, schemaErr := m.AddConnection(ctx, manager.NewConnection{Org: "acme", Name: "short", Plugin: "fault", Backend: "mem",
		Config: map[string]any{"url": "ftp://x"}, Secrets: map[string]any{"token": "abcd"}})
	if schemaErr == nil || !strings.Contains(schemaErr.Error(), "connection.url") {
		t.Fatalf("schema error = %v; want it to name connection.url", schemaErr)
	}
	list, err := m.ListConnections(ctx, "acme")
	if err != nil || len(list) != 1 {
		t.Fatalf("ListConnections = %v, %v", list, err)
	}
	listed, _ := json.Marshal(list)
	m.Close()

	var db []byte
	for _, f := range []string{"rampart.db", "rampart.db-wal"} {
		b, _ := os.ReadFile(filepath.Join(dir, f))
		db = append(db, b...)
	}
	if !bytes.Contains(db, []byte("https://fw.example")) {
		t.Fatal("test is broken: the plain config is not in the database files")
	}
	for name, text := range map[string]string{
		"database": string(db), "logs": logs.String(), "plugin output": pluginOut.String(),
		"shown connection": string(shown), "listed connections": string(listed),
		"leak error": leakErr.Error(), "check error": checkErr.Error(), "schema error": schemaErr.Error(),
	} {
		for _, secret := range []string{token, bad, "abcd"} {
			if secret == "abcd" && name == "database" {
				continue // four bytes occur by chance in a binary file
			}
			if strings.Contains(text, secret) {
				t.Errorf("secret %q appears in the %s", secret, name)
			}
		}
	}
	fi, err := os.Stat(filepath.Join(dir, "secret.key"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("secret.key: %v %v", fi, err)
	}
}

func TestRemovePluginInUseIsRefused(t *testing.T) {
	m, _ := open(t, manager.Options{PluginOutput: io.Discard})
	ctx := context.Background()
	if _, err := m.AddConnection(ctx, manager.NewConnection{Org: "acme", Name: "fw", Plugin: "fault", Backend: "mem",
		Config: map[string]any{"url": "https://x"}, Secrets: map[string]any{"token": token}}); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		nc   manager.NewConnection
		msg  string
	}{
		{"duplicate", manager.NewConnection{Org: "acme", Name: "fw", Plugin: "fault", Backend: "mem", Config: map[string]any{"url": "https://x", "token": token}}, "exists"},
		{"unknown backend", manager.NewConnection{Org: "acme", Name: "x", Plugin: "fault", Backend: "nft"}, `no backend "nft" (backends: mem)`},
		{"unknown plugin", manager.NewConnection{Org: "acme", Name: "x", Plugin: "ghost", Backend: "mem"}, `no plugin "ghost"`},
		{"bad name", manager.NewConnection{Org: "acme", Name: "Bad Name", Plugin: "fault", Backend: "mem"}, "lower-case"},
	} {
		if _, err := m.AddConnection(ctx, tt.nc); err == nil || !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("%s: err = %v, want %q", tt.name, err, tt.msg)
		}
	}
	if err := m.Remove(ctx, "fault"); err == nil || !strings.Contains(err.Error(), "acme/fw") {
		t.Fatalf("Remove = %v; want a refusal naming acme/fw", err)
	}
	if err := m.RemoveConnection(ctx, "acme", "fw"); err != nil {
		t.Fatal(err)
	}
	if err := m.Remove(ctx, "fault"); err != nil {
		t.Fatal(err)
	}
}

// TestSecretsRedactedFromOutput: a plugin that echoes its connection's secret in its output
// (nested in lists and maps, inside a longer string, URL-escaped, JSON-escaped, as a map
// key) has every copy replaced by "[redacted]" before the output leaves the manager, and a
// warning without the secret is logged. The non-secret fields come back as they were.
func TestSecretsRedactedFromOutput(t *testing.T) {
	t.Setenv("RAMPART_SECRET_KEY", "")
	var logs bytes.Buffer
	m, _ := open(t, manager.Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	ctx := context.Background()
	secret := `s3cr3t/"tok en"&more` // needs URL and JSON escaping
	if _, err := m.AddConnection(ctx, manager.NewConnection{Org: "acme", Name: "fw", Plugin: "fault", Backend: "mem",
		Config: map[string]any{"url": "https://fw.example", "token": secret, "retries": 2}}); err != nil {
		t.Fatal(err)
	}
	out, err := m.Execute(ctx, actions.Request{Org: "acme", Action: "fault/reveal", Connection: "fw"})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(out)
	for _, form := range []string{secret, url.QueryEscape(secret), "s3cr3t", "tok en", "tok+en"} {
		if strings.Contains(string(b), form) {
			t.Errorf("output holds %q: %s", form, b)
		}
	}
	conn := out["connection"].(map[string]any)
	if conn["token"] != "[redacted]" || conn["url"] != "https://fw.example" || conn["retries"] != float64(2) {
		t.Errorf("connection as echoed: %v", conn)
	}
	nested := out["nested"].([]any)
	if deep := nested[0].(map[string]any)["deep"].([]any); deep[0] != "x" || deep[1] != "Bearer [redacted]!" {
		t.Errorf("nested = %v", nested)
	}
	if nested[1] != "[redacted]" {
		t.Errorf("nested[1] = %v", nested[1])
	}
	if out["url"] != "https://fw.example/?key=[redacted]" || out["json"] != `{"token":"[redacted]"}` {
		t.Errorf("url = %v, json = %v", out["url"], out["json"])
	}
	if out["by-[redacted]"] != "key" || out["plain"] != "nothing secret here" {
		t.Errorf("keys: %v", out)
	}
	if !strings.Contains(logs.String(), "fault/reveal") || strings.Contains(logs.String(), "s3cr3t") {
		t.Errorf("log: %s", logs.String())
	}

	// Redaction comes before the output schema check: a redacted field that breaks the schema
	// fails the call, and the failure does not quote the secret.
	if _, err := m.AddConnection(ctx, manager.NewConnection{Org: "acme", Name: "plain", Plugin: "fault", Backend: "mem",
		Config: map[string]any{"url": "https://fw.example"}, Secrets: map[string]any{"token": token}}); err != nil {
		t.Fatal(err)
	}
	_, err = m.Execute(ctx, actions.Request{Org: "acme", Action: "fault/revealstrict", Connection: "plain"})
	if e := actions.AsError(err); e == nil || e.Code != actions.CodeInvalidOutput || strings.Contains(e.Message, token) {
		t.Fatalf("strict reveal: %v", err)
	}

}
