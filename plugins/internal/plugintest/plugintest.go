// Package plugintest holds what the bundled plugins' tests share: a TestMain that lets the
// test binary serve the plugin, a plugin manager with that binary installed for the
// end-to-end tests, and the JSON answers of the vendor doubles.
package plugintest

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"testing"

	"github.com/rampartsec/rampart/actions/manager"
	"github.com/rampartsec/rampart/actions/sdk"
)

// Main is a plugin package's TestMain: launched by the plugin manager (go-plugin sets the
// magic cookie), the test binary serves p, so the end-to-end tests install and run the real
// thing; otherwise it runs the tests.
func Main(m *testing.M, p sdk.Plugin) {
	if os.Getenv(sdk.Handshake.MagicCookieKey) == sdk.Handshake.MagicCookieValue {
		sdk.Serve(p)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// InstallSelf opens a plugin manager on the data directory data, closed when the test
// ends, and installs the test binary in it as the plugin (see Main). It returns the manager
// and the plugins Install reported.
func InstallSelf(t *testing.T, data string) (*manager.Manager, []*manager.Plugin) {
	t.Helper()
	ctx := context.Background()
	m, err := manager.Open(ctx, data, manager.Options{PluginOutput: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	ps, err := m.Install(ctx, os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	return m, ps
}

// WriteJSON answers with status and v as a JSON body.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
