package server

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"

	"github.com/rampartsec/rampart/actions/manager"
	"github.com/rampartsec/rampart/intel"
)

// MaxPluginBytes bounds an uploaded plugin binary.
const MaxPluginBytes = 256 << 20

func (s *Server) pluginRoutes() []route {
	return []route{
		{Method: "GET", Pattern: "/api/v1/plugins", Perm: intel.PermPluginManage, Tag: "plugins",
			Summary: "List installed plugins with their actions and schemas", Response: []manager.Plugin{}, handle: s.listPlugins},
		{Method: "POST", Pattern: "/api/v1/plugins", Perm: intel.PermPluginManage, Tag: "plugins",
			Summary: "Install a plugin: the body is its executable",
			Doc: "The binary is described (Describe), its SHA-256 recorded, and it is copied into the data directory; every later launch " +
				"verifies the checksum. Installing a plugin of a name already installed replaces it.",
			Body: []byte{}, BodyType: "application/octet-stream", Response: []manager.Plugin{}, Status: http.StatusCreated,
			MaxBody: MaxPluginBytes, handle: s.installPlugin},
	}
}

func (s *Server) listPlugins(w http.ResponseWriter, r *http.Request, _ *Principal) error {
	ps, err := s.plugins.List(r.Context())
	if err != nil {
		return fmt.Errorf("list plugins: %w", err)
	}
	out := make([]manager.Plugin, len(ps))
	for i, p := range ps {
		out[i] = *p
	}
	return writeJSON(w, http.StatusOK, out)
}

func (s *Server) installPlugin(w http.ResponseWriter, r *http.Request, _ *Principal) error {
	if s.uploadDir == "" {
		return kindUnavailable.new("this server has no directory for uploads")
	}
	f, err := os.CreateTemp(s.uploadDir, "upload-*")
	if err != nil {
		return fmt.Errorf("install plugin: %w", err)
	}
	defer os.Remove(f.Name())
	n, err := io.Copy(f, r.Body)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		var large *http.MaxBytesError
		if errors.As(err, &large) {
			return kindTooLarge.new("a plugin may be at most %d bytes", large.Limit)
		}
		return kindBadRequest.new("could not read the plugin binary: %v", err)
	}
	if n == 0 {
		return kindBadRequest.new("the body is empty: send the plugin's executable")
	}
	if err := os.Chmod(f.Name(), 0o700); err != nil {
		return fmt.Errorf("install plugin: %w", err)
	}
	ps, err := s.plugins.Install(r.Context(), f.Name())
	if err != nil {
		return kindInvalid.new("not installed: %s", err.Error())
	}
	out := make([]manager.Plugin, len(ps))
	for i, p := range ps {
		out[i] = *p
	}
	return writeJSON(w, http.StatusCreated, out)
}
