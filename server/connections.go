package server

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/rampartsec/rampart/actions"
	"github.com/rampartsec/rampart/actions/manager"
	"github.com/rampartsec/rampart/intel"
)

// ConnectionRequest creates (or with replace, overwrites) a named connection of your
// organisation. Fields in secrets — and fields the backend's schema marks secret — are
// stored encrypted and never shown again.
type ConnectionRequest struct {
	Name    string         `json:"name" doc:"lower-case letters, digits, - and _"`
	Plugin  string         `json:"plugin" doc:"an installed plugin, e.g. firewall"`
	Backend string         `json:"backend" doc:"one of the plugin's backends, e.g. edl"`
	Config  map[string]any `json:"config"`
	Secrets map[string]any `json:"secrets,omitempty"`
	Replace bool           `json:"replace,omitempty"`
}

// ConnectionCheck is the outcome of a connection test.
type ConnectionCheck struct {
	OK     bool   `json:"ok"`
	Detail string `json:"detail,omitempty"`
	Error  string `json:"error,omitempty"`
	Code   string `json:"code,omitempty"`
}

func (s *Server) connectionRoutes() []route {
	return []route{
		{Method: "POST", Pattern: "/api/v1/connections", Perm: intel.PermConnectionManage, Tag: "connections",
			Summary: "Create a connection of your organisation (secrets are encrypted and never returned)",
			Body:    ConnectionRequest{}, Response: manager.Connection{}, Status: http.StatusCreated,
			problemsFor: []int{http.StatusConflict}, handle: s.createConnection},
		{Method: "GET", Pattern: "/api/v1/connections", Perm: intel.PermConnectionManage, Tag: "connections",
			Summary: "List your organisation's connections", Response: Page[manager.Connection]{}, handle: s.listConnections},
		{Method: "GET", Pattern: "/api/v1/connections/{name}", Perm: intel.PermConnectionManage, Tag: "connections",
			Summary: "Get one connection (secret fields are named, never valued)", Response: manager.Connection{},
			problemsFor: []int{http.StatusNotFound}, handle: s.getConnection},
		{Method: "POST", Pattern: "/api/v1/connections/{name}/check", Perm: intel.PermConnectionManage, Tag: "connections",
			Summary: "Ask the connection's plugin to test it", Response: ConnectionCheck{},
			problemsFor: []int{http.StatusNotFound}, handle: s.checkConnection},
		{Method: "DELETE", Pattern: "/api/v1/connections/{name}", Perm: intel.PermConnectionManage, Tag: "connections",
			Summary: "Delete a connection", Status: http.StatusNoContent, problemsFor: []int{http.StatusNotFound},
			handle: s.deleteConnection},
		{Method: "GET", Pattern: "/api/v1/connections/{name}/edl", Perm: intel.PermIntelRead, Tag: "connections",
			Summary: "The External Dynamic List a firewall connection with the edl backend writes",
			Doc: "A stable URL for PAN-OS, FortiGate or Check Point to poll: one entry a line, as the firewall plugin wrote it. " +
				"Authenticate with a bearer token, or HTTP basic authentication whose password is a token of a user of your organisation " +
				"(a viewer is enough).",
			Response: "", RespType: "text/plain", problemsFor: []int{http.StatusNotFound}, handle: s.serveEDL},
	}
}

func (s *Server) createConnection(w http.ResponseWriter, r *http.Request, p *Principal) error {
	var req ConnectionRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	var bad []FieldError
	for _, f := range []struct{ ptr, v string }{{"/name", req.Name}, {"/plugin", req.Plugin}, {"/backend", req.Backend}} {
		if f.v == "" {
			bad = append(bad, FieldError{Pointer: f.ptr, Detail: "required"})
		}
	}
	if len(bad) > 0 {
		return kindInvalid.new("name, plugin and backend are required").withErrors(bad...)
	}
	if !req.Replace {
		if c, err := s.plugins.GetConnection(r.Context(), p.Org, req.Name); err != nil {
			return err
		} else if c != nil {
			return kindConflict.new("your organisation already has a connection %q: delete it first, or send replace: true", req.Name)
		}
	}
	if req.Config == nil {
		req.Config = map[string]any{}
	}
	c, err := s.plugins.AddConnection(r.Context(), manager.NewConnection{Org: p.Org, Name: req.Name, Plugin: req.Plugin,
		Backend: req.Backend, Config: req.Config, Secrets: req.Secrets, Replace: req.Replace})
	if err != nil {
		// The manager's refusals name the field and the schema rule, never a secret value.
		return kindInvalid.new("%s", err.Error())
	}
	return writeJSON(w, http.StatusCreated, c)
}

func (s *Server) listConnections(w http.ResponseWriter, r *http.Request, p *Principal) error {
	after, limit, err := pageParams(r)
	if err != nil {
		return err
	}
	all, err := s.plugins.ListConnections(r.Context(), p.Org)
	if err != nil {
		return fmt.Errorf("list connections: %w", err)
	}
	page := Page[manager.Connection]{Items: []manager.Connection{}}
	for _, c := range all { // by name
		if c.Name <= after {
			continue
		}
		if len(page.Items) == limit {
			page.NextCursor = encodeCursor(page.Items[len(page.Items)-1].Name)
			break
		}
		page.Items = append(page.Items, *c)
	}
	return writeJSON(w, http.StatusOK, page)
}

// connection returns the org's connection or a 404.
func (s *Server) connection(r *http.Request, org string) (*manager.Connection, error) {
	name := r.PathValue("name")
	c, err := s.plugins.GetConnection(r.Context(), org, name)
	if err != nil {
		return nil, err
	}
	if c == nil {
		return nil, kindNotFound.new("your organisation has no connection %q", name)
	}
	return c, nil
}

func (s *Server) getConnection(w http.ResponseWriter, r *http.Request, p *Principal) error {
	c, err := s.connection(r, p.Org)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, c)
}

func (s *Server) checkConnection(w http.ResponseWriter, r *http.Request, p *Principal) error {
	c, err := s.connection(r, p.Org)
	if err != nil {
		return err
	}
	detail, err := s.plugins.CheckConnection(r.Context(), p.Org, c.Name)
	out := ConnectionCheck{OK: err == nil, Detail: detail}
	if err != nil {
		ae := actions.AsError(err)
		out.Error, out.Code = ae.Message, ae.Code
	}
	return writeJSON(w, http.StatusOK, out)
}

func (s *Server) deleteConnection(w http.ResponseWriter, r *http.Request, p *Principal) error {
	c, err := s.connection(r, p.Org)
	if err != nil {
		return err
	}
	if err := s.plugins.RemoveConnection(r.Context(), p.Org, c.Name); err != nil {
		return fmt.Errorf("delete connection %s: %w", c.Name, err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// edlPathKeys are the config fields of the firewall plugin's edl backend that may name its
// file.
var edlPathKeys = []string{"path", "file"}

func (s *Server) serveEDL(w http.ResponseWriter, r *http.Request, p *Principal) error {
	c, err := s.connection(r, p.Org)
	if err != nil {
		return err
	}
	if c.Backend != "edl" {
		return kindNotFound.new("connection %q uses the %s backend, which writes no EDL", c.Name, c.Backend)
	}
	var path string
	for _, k := range edlPathKeys {
		if v, ok := c.Config[k].(string); ok && v != "" {
			path = v
			break
		}
	}
	if path == "" {
		return kindNotFound.new("connection %q names no EDL file", c.Name)
	}
	b, err := os.ReadFile(filepath.Clean(path))
	if errors.Is(err, os.ErrNotExist) {
		b = nil // nothing blocked yet: an empty list
	} else if err != nil {
		return fmt.Errorf("read the EDL of %s: %w", c.Name, err)
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	if len(b) > 0 && !strings.HasSuffix(string(b), "\n") {
		b = append(b, '\n')
	}
	_, err = w.Write(b)
	return err
}
