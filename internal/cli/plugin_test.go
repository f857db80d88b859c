package cli

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// buildExamplePlugin builds examples/plugins/notify into a temporary directory.
func buildExamplePlugin(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "rampart-plugin-notify")
	cmd := exec.Command("go", "build", "-o", bin, "../../examples/plugins/notify")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build the example plugin: %v\n%s", err, out)
	}
	return bin
}

const testToken = "xoxb-very-secret-token"

func TestPluginAndConnectionCommands(t *testing.T) {
	t.Setenv("RAMPART_SECRET_KEY", "")
	bin := buildExamplePlugin(t)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+testToken {
			w.WriteHeader(http.StatusUnauthorized)
			w.Write([]byte(`{"ok":false,"error":"invalid_auth"}`))
			return
		}
		w.WriteHeader(http.StatusMethodNotAllowed)
	}))
	defer hook.Close()
	data := t.TempDir()
	tokenFile := filepath.Join(t.TempDir(), "token")
	os.WriteFile(tokenFile, []byte(testToken+"\n"), 0o600)

	steps := []struct {
		args []string
		exit int
	}{
		{[]string{"admin", "org", "add", "acme"}, ExitOK},
		{[]string{"plugin", "install", filepath.Dir(bin)}, ExitOK},
		{[]string{"plugin", "list"}, ExitOK},
		{[]string{"plugin", "describe", "notify"}, ExitOK},
		{[]string{"plugin", "describe", "ghost"}, ExitInput},
		{[]string{"connection", "add", "hook", "--org", "acme", "--plugin", "notify", "--backend", "webhook",
			"--set", "url=" + hook.URL, "--secret-file", "token=" + tokenFile}, ExitOK},
		{[]string{"connection", "add", "hook2", "--org", "acme", "--plugin", "notify", "--backend", "webhook",
			"--set", "url=ftp://nowhere", "--secret", "token=" + testToken}, ExitInput},
		{[]string{"connection", "add", "hook3", "--org", "acme", "--plugin", "notify", "--backend", "smtp"}, ExitInput},
		{[]string{"connection", "add", "hook4", "--org", "acme", "--plugin", "notify", "--backend", "webhook", "--secret", testToken}, ExitUsage},
		{[]string{"connection", "add", "hook5", "--plugin", "notify"}, ExitUsage},
		{[]string{"connection", "add", "hook6", "--org", "nowhere", "--plugin", "notify", "--backend", "webhook", "--set", "url=" + hook.URL}, ExitInput},
		{[]string{"connection", "list"}, ExitOK},
		{[]string{"connection", "list", "--format", "json"}, ExitOK},
		{[]string{"connection", "check", "hook", "--org", "acme"}, ExitOK},
		{[]string{"connection", "add", "hook", "--org", "acme", "--plugin", "notify", "--backend", "webhook", "--replace",
			"--set", "url=" + hook.URL, "--secret", "token=wrong-token-value"}, ExitOK},
		{[]string{"connection", "check", "hook", "--org", "acme"}, ExitInput},
		{[]string{"connection", "check", "hook", "--org", "acme", "--format", "json"}, ExitInput},
		{[]string{"plugin", "remove", "notify"}, ExitInput},
		{[]string{"connection", "remove", "hook", "--org", "acme"}, ExitOK},
		{[]string{"connection", "remove", "hook", "--org", "acme"}, ExitInput},
		{[]string{"plugin", "remove", "notify"}, ExitOK},
		{[]string{"plugin", "list", "--format", "json"}, ExitOK},
	}
	var transcript, printed strings.Builder
	for _, s := range steps {
		var stdout, stderr bytes.Buffer
		code := Main(append([]string{"--data", data}, s.args...), &stdout, &stderr)
		transcript.WriteString("$ rampart " + strings.Join(s.args, " ") + "\n")
		transcript.WriteString(stdout.String())
		printed.WriteString(stdout.String() + stderr.String())
		if stderr.Len() > 0 {
			transcript.WriteString("stderr: " + stderr.String())
		}
		transcript.WriteString("exit " + string(rune('0'+code)) + "\n\n")
		if code != s.exit {
			t.Errorf("rampart %s: exit %d, want %d\n%s%s", strings.Join(s.args, " "), code, s.exit, stdout.String(), stderr.String())
		}
	}
	for _, secret := range []string{testToken, "wrong-token-value"} {
		if strings.Contains(printed.String(), secret) {
			t.Errorf("secret %q appears in CLI output", secret)
		}
	}
	out := transcript.String()
	out = strings.ReplaceAll(out, testToken, "TOKEN")
	out = strings.ReplaceAll(out, hook.URL, "http://HOOK")
	out = strings.ReplaceAll(out, filepath.Dir(bin), "BINDIR")
	out = strings.ReplaceAll(out, tokenFile, "TOKENFILE")
	out = strings.ReplaceAll(out, data, "DATA")
	out = regexp.MustCompile(`[0-9a-f]{64}`).ReplaceAllString(out, "SHA256")
	out = regexp.MustCompile(`sha256 [0-9a-f]{12}`).ReplaceAllString(out, "sha256 SHA12")
	out = regexp.MustCompile(`  [0-9a-f]{12}\n`).ReplaceAllString(out, "  SHA12\n")
	out = regexp.MustCompile(`"\d{4}-\d\d-\d\dT[0-9:.]+Z"`).ReplaceAllString(out, `"TIME"`)
	golden(t, "plugin_connection.golden", out)
}
