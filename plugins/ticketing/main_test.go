package main

import (
	"os"
	"testing"

	"github.com/rampartsec/rampart/actions/sdk"
)

// Launched by the plugin manager (go-plugin sets the magic cookie), the test binary serves
// the plugin itself, so the end-to-end test installs and runs the real thing.
func TestMain(m *testing.M) {
	if os.Getenv(sdk.Handshake.MagicCookieKey) == sdk.Handshake.MagicCookieValue {
		sdk.Serve(&ticketing{})
		os.Exit(0)
	}
	os.Exit(m.Run())
}
