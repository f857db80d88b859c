package main

import (
	"testing"

	"github.com/rampartsec/rampart/plugins/internal/plugintest"
)

// TestMain lets the test binary serve the plugin when the plugin manager launches it, so
// the end-to-end test installs and runs the real thing.
func TestMain(m *testing.M) { plugintest.Main(m, &ticketing{}) }
