package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/rampartsec/rampart/intel"
	"github.com/rampartsec/rampart/intel/store"
	"github.com/rampartsec/rampart/playbooks"
)

// PlaybookSaved answers an upload.
type PlaybookSaved struct {
	Playbook store.Playbook         `json:"playbook"`
	Version  PlaybookVersion        `json:"version"`
	Created  bool                   `json:"created" doc:"false when the source equals the latest version's"`
	Warnings []playbooks.Diagnostic `json:"warnings"`
}

// PlaybookVersion is one stored version with its source.
type PlaybookVersion struct {
	store.PlaybookVersion
	Source string `json:"source"`
}

// PlaybookDetail is a playbook with its latest version.
type PlaybookDetail struct {
	store.Playbook
	LatestVersion PlaybookVersion `json:"latest"`
}

func (s *Server) playbookRoutes() []route {
	return []route{
		{Method: "POST", Pattern: "/api/v1/playbooks", Perm: intel.PermPlaybookWrite, Tag: "playbooks",
			Summary: "Upload a playbook (YAML)",
			Doc: "The body is the playbook's YAML source (Content-Type application/yaml). It is linted against the installed actions and your " +
				"organisation's connections; errors come back as a playbook-invalid problem whose errors carry line and col. On success a new " +
				"version is stored (201), or nothing changes when the source equals the latest version (200). A new playbook starts disabled.",
			Body: "", BodyType: "application/yaml", Response: PlaybookSaved{}, Status: http.StatusCreated, handle: s.uploadPlaybook},
		{Method: "GET", Pattern: "/api/v1/playbooks", Perm: intel.PermPlaybookRead, Tag: "playbooks",
			Summary: "List your organisation's playbooks", Response: Page[store.Playbook]{}, handle: s.listPlaybooks},
		{Method: "GET", Pattern: "/api/v1/playbooks/{name}", Perm: intel.PermPlaybookRead, Tag: "playbooks",
			Summary: "Get a playbook and its latest version", Response: PlaybookDetail{}, problemsFor: []int{http.StatusNotFound},
			handle: s.getPlaybook},
		{Method: "GET", Pattern: "/api/v1/playbooks/{name}/versions/{version}", Perm: intel.PermPlaybookRead, Tag: "playbooks",
			Summary: "Get one version of a playbook, with its source", Response: PlaybookVersion{}, problemsFor: []int{http.StatusNotFound},
			handle: s.getPlaybookVersion},
		{Method: "POST", Pattern: "/api/v1/playbooks/{name}/enable", Perm: intel.PermPlaybookWrite, Tag: "playbooks",
			Summary:  "Enable a playbook",
			Doc:      "The latest version is linted again first: a playbook whose actions or connections have gone away is not enabled.",
			Response: store.Playbook{}, problemsFor: []int{http.StatusNotFound}, handle: s.setEnabled(true)},
		{Method: "POST", Pattern: "/api/v1/playbooks/{name}/disable", Perm: intel.PermPlaybookWrite, Tag: "playbooks",
			Summary: "Disable a playbook: new triggers start no run; runs in flight go on", Response: store.Playbook{},
			problemsFor: []int{http.StatusNotFound}, handle: s.setEnabled(false)},
	}
}

// Lint compiles a playbook source for org against the installed actions and org's
// connections. The CLI's lint and the demo loader share it.
func Lint(ctx context.Context, cat ActionCatalog, conns Connections, org, file string, src []byte) (*playbooks.Playbook, playbooks.Diagnostics) {
	opts := playbooks.Options{}
	if cat != nil {
		opts.Actions = func(name string) (playbooks.ActionSpec, bool) {
			spec, ok := cat.Lookup(name)
			if !ok {
				return playbooks.ActionSpec{}, false
			}
			return playbooks.ActionSpec{Name: spec.Name, InputSchema: spec.InputSchema}, true
		}
	}
	if conns != nil {
		opts.Connections = func(name string) bool {
			c, err := conns.GetConnection(ctx, org, name)
			return err == nil && c != nil
		}
	}
	return playbooks.Compile(file, src, opts)
}

// diagnosticsProblem turns lint errors into a problem with one entry per diagnostic.
func diagnosticsProblem(ds playbooks.Diagnostics) *Problem {
	n := 0
	var errs []FieldError
	for _, d := range ds {
		if d.Severity == playbooks.SeverityError {
			n++
		}
		detail := d.Severity + ": " + d.Message
		if d.Hint != "" {
			detail += " (hint: " + d.Hint + ")"
		}
		errs = append(errs, FieldError{Pointer: fmt.Sprintf("%s:%d:%d", d.File, d.Line, d.Col), Detail: detail, Line: d.Line, Col: d.Col})
	}
	return kindPlaybook.new("%d error(s): fix them and upload again", n).withErrors(errs...)
}

// readYAML reads a playbook upload: YAML, within the size limit.
func readYAML(r *http.Request) ([]byte, error) {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		ok := err == nil && (mt == "application/yaml" || mt == "application/x-yaml" || mt == "text/yaml" || mt == "text/x-yaml" || mt == "text/plain")
		if !ok {
			return nil, kindMediaType.new("send the playbook's YAML with Content-Type: application/yaml, not %q", ct)
		}
	}
	b, err := io.ReadAll(r.Body)
	if err != nil {
		var large *http.MaxBytesError
		if errors.As(err, &large) {
			return nil, kindTooLarge.new("the playbook is larger than %d bytes", large.Limit)
		}
		return nil, kindBadRequest.new("could not read the body: %v", err)
	}
	if len(strings.TrimSpace(string(b))) == 0 {
		return nil, kindBadRequest.new("the body is empty: send the playbook's YAML source")
	}
	return b, nil
}

func (s *Server) uploadPlaybook(w http.ResponseWriter, r *http.Request, p *Principal) error {
	src, err := readYAML(r)
	if err != nil {
		return err
	}
	pb, ds := Lint(r.Context(), s.plugins, s.plugins, p.Org, "playbook.yaml", src)
	if pb == nil || ds.HasErrors() {
		return diagnosticsProblem(ds)
	}
	saved, created, err := s.st.SavePlaybook(r.Context(), VersionOf(p.Org, p.User, pb))
	if err != nil {
		return fmt.Errorf("save playbook %s: %w", pb.Name, err)
	}
	meta, err := s.st.GetPlaybook(r.Context(), p.Org, pb.Name)
	if err != nil {
		return fmt.Errorf("save playbook %s: %w", pb.Name, err)
	}
	status := http.StatusCreated
	if !created {
		status = http.StatusOK
	}
	warnings := playbooks.Diagnostics{}
	for _, d := range ds {
		if d.Severity != playbooks.SeverityError {
			warnings = append(warnings, d)
		}
	}
	return writeJSON(w, status, PlaybookSaved{Playbook: meta, Version: versionOut(saved), Created: created, Warnings: warnings})
}

// VersionOf is the stored form of a compiled playbook of org, uploaded by author.
func VersionOf(org, author string, pb *playbooks.Playbook) store.PlaybookVersion {
	return store.PlaybookVersion{Org: org, Name: pb.Name, Source: pb.Source, Hash: pb.Hash,
		TriggerKind: string(pb.Trigger.Kind), Types: pb.Trigger.Types, Events: pb.Trigger.Events, Author: author}
}

func versionOut(v store.PlaybookVersion) PlaybookVersion {
	return PlaybookVersion{PlaybookVersion: v, Source: string(v.Source)}
}

func (s *Server) listPlaybooks(w http.ResponseWriter, r *http.Request, p *Principal) error {
	after, limit, err := pageParams(r)
	if err != nil {
		return err
	}
	all, err := s.st.ListPlaybooks(r.Context(), p.Org)
	if err != nil {
		return fmt.Errorf("list playbooks: %w", err)
	}
	page := Page[store.Playbook]{Items: []store.Playbook{}}
	for _, pb := range all { // by name: the cursor is the last name of the page before
		if pb.Name <= after {
			continue
		}
		if len(page.Items) == limit {
			page.NextCursor = encodeCursor(page.Items[len(page.Items)-1].Name)
			break
		}
		page.Items = append(page.Items, pb)
	}
	return writeJSON(w, http.StatusOK, page)
}

func (s *Server) getPlaybook(w http.ResponseWriter, r *http.Request, p *Principal) error {
	meta, err := s.st.GetPlaybook(r.Context(), p.Org, r.PathValue("name"))
	if err != nil {
		return fmt.Errorf("playbook %s: %w", r.PathValue("name"), err)
	}
	v, err := s.st.GetPlaybookVersion(r.Context(), p.Org, meta.Name, meta.Latest)
	if err != nil {
		return fmt.Errorf("playbook %s: %w", meta.Name, err)
	}
	return writeJSON(w, http.StatusOK, PlaybookDetail{Playbook: meta, LatestVersion: versionOut(v)})
}

func (s *Server) getPlaybookVersion(w http.ResponseWriter, r *http.Request, p *Principal) error {
	n, err := strconv.ParseInt(r.PathValue("version"), 10, 64)
	if err != nil || n < 1 {
		return kindInvalid.new("version %q is not a version number", r.PathValue("version")).withErrors(
			FieldError{Pointer: "/version", Detail: "want 1, 2, …"})
	}
	v, err := s.st.GetPlaybookVersion(r.Context(), p.Org, r.PathValue("name"), n)
	if err != nil {
		return fmt.Errorf("playbook %s version %d: %w", r.PathValue("name"), n, err)
	}
	return writeJSON(w, http.StatusOK, versionOut(v))
}

func (s *Server) setEnabled(enabled bool) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, p *Principal) error {
		name := r.PathValue("name")
		meta, err := s.st.GetPlaybook(r.Context(), p.Org, name)
		if err != nil {
			return fmt.Errorf("playbook %s: %w", name, err)
		}
		if enabled {
			v, err := s.st.GetPlaybookVersion(r.Context(), p.Org, name, meta.Latest)
			if err != nil {
				return fmt.Errorf("playbook %s: %w", name, err)
			}
			if pb, ds := Lint(r.Context(), s.plugins, s.plugins, p.Org, name+".yaml", v.Source); pb == nil || ds.HasErrors() {
				return diagnosticsProblem(ds)
			}
		}
		if err := s.st.SetPlaybookEnabled(r.Context(), p.Org, name, enabled); err != nil {
			return fmt.Errorf("playbook %s: %w", name, err)
		}
		meta.Enabled = enabled
		meta.UpdatedAt = time.Now().UTC()
		if meta, err = s.st.GetPlaybook(r.Context(), p.Org, name); err != nil {
			return fmt.Errorf("playbook %s: %w", name, err)
		}
		return writeJSON(w, http.StatusOK, meta)
	}
}
