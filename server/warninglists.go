package server

import (
	"errors"
	"fmt"
	"net/http"
	"sort"

	"github.com/rampartsec/rampart/intel"
	"github.com/rampartsec/rampart/intel/store"
	"github.com/rampartsec/rampart/intel/warninglist"
)

// Warninglist describes one list of values that must never be blocked or sinkholed.
type Warninglist struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	EntryType   string `json:"entry_type" doc:"the kind of entries the list takes: mixed, network, domain, url, email, hash or asn"`
	Builtin     bool   `json:"builtin" doc:"shipped with Rampart: it cannot be deleted"`
	Editable    bool   `json:"editable" doc:"community administrators may add and remove entries"`
	EntryCount  int    `json:"entry_count"`
	// PublicEntries says who may read the entries: every member for the fixed built-in lists
	// (public knowledge), community administrators only for the community's own lists.
	PublicEntries bool `json:"public_entries" doc:"every member may read the entries; otherwise community administrators only"`
}

// WarninglistDetail is a list with one page of its entries (canonical, sorted).
type WarninglistDetail struct {
	Warninglist
	Entries    []string `json:"entries"`
	NextCursor string   `json:"next_cursor,omitempty" doc:"pass as ?cursor= for the next page of entries; empty on the last"`
}

// WarninglistRequest creates a community administrator's list.
type WarninglistRequest struct {
	Name        string   `json:"name" doc:"1-63 lower-case letters, digits and hyphens"`
	Description string   `json:"description,omitempty"`
	EntryType   string   `json:"entry_type,omitempty" doc:"mixed (the default), network, domain, url, email, hash or asn: entries of another kind are refused"`
	Entries     []string `json:"entries" doc:"IP addresses, CIDR networks, domains (*.example.org also covers subdomains) or other indicator values"`
}

// WarninglistChange adds and removes entries of a list, all or nothing.
type WarninglistChange struct {
	Add         []string `json:"add,omitempty" doc:"entries to add; one already there changes nothing"`
	Remove      []string `json:"remove,omitempty" doc:"entries to remove, in any form that canonicalises to the entry; one not on the list is an error"`
	Description *string  `json:"description,omitempty" doc:"a new description (administrators' lists only)"`
}

func (s *Server) warninglistRoutes() []route {
	page := []param{
		{Name: "cursor", Type: "string", Description: "next_cursor of the previous page"},
		{Name: "limit", Type: "integer", Description: "page size, 1..1000 (default 100)"},
	}
	return []route{
		{Method: "GET", Pattern: "/api/v1/warninglists", Perm: intel.PermIntelRead, Tag: "warninglists",
			Summary: "List the warninglists in force: built-in and the community administrators'",
			Doc: "Values on a warninglist are stored and flagged (the indicator's warninglists field), and the engine refuses to block " +
				"or sinkhole them whatever a playbook says. Names, descriptions and entry counts are shown to every member.",
			Query: page, Response: Page[Warninglist]{}, handle: s.listWarninglists},
		{Method: "POST", Pattern: "/api/v1/warninglists", Perm: intel.PermCommunityManage, Tag: "warninglists",
			Summary: "Create a warninglist (community administrators)",
			Doc: "Every entry is validated against the entry type; the bad ones come back as errors with their index and value, and " +
				"nothing is stored. The list is in force at once: indicators reported afterwards are flagged, and blocks refused.",
			Body: WarninglistRequest{}, Response: Warninglist{}, Status: http.StatusCreated,
			problemsFor: []int{http.StatusConflict}, handle: s.createWarninglist},
		{Method: "GET", Pattern: "/api/v1/warninglists/{name}", Perm: intel.PermIntelRead, Tag: "warninglists",
			Summary: "Get a warninglist with a page of its entries",
			Doc: "The entries of the fixed built-in lists are public knowledge and shown to every member; those of the community's " +
				"own lists (community-assets and administrators' lists) may name members' assets and are shown to community administrators only.",
			Query: page, Response: WarninglistDetail{}, problemsFor: []int{http.StatusNotFound}, handle: s.getWarninglist},
		{Method: "PATCH", Pattern: "/api/v1/warninglists/{name}", Perm: intel.PermCommunityManage, Tag: "warninglists",
			Summary: "Add and remove entries of a warninglist (community administrators)",
			Doc: "Works on administrators' lists and the built-in community-assets list; the other built-in lists are fixed (409). " +
				"All or nothing: one bad entry (invalid, of another entry type, or to remove but absent) refuses the whole change, " +
				"and every bad entry is named with its index and value.",
			Body: WarninglistChange{}, Response: Warninglist{}, problemsFor: []int{http.StatusNotFound, http.StatusConflict},
			handle: s.changeWarninglist},
		{Method: "DELETE", Pattern: "/api/v1/warninglists/{name}", Perm: intel.PermCommunityManage, Tag: "warninglists",
			Summary: "Delete an administrator's warninglist (built-in lists cannot be deleted: 409)", Status: http.StatusNoContent,
			problemsFor: []int{http.StatusNotFound, http.StatusConflict}, handle: s.deleteWarninglist},
	}
}

func warninglistOf(l *warninglist.List) Warninglist {
	return Warninglist{Name: l.Name, Description: l.Description, EntryType: string(l.EntryType), Builtin: l.Builtin,
		Editable: l.Editable, EntryCount: l.Len(), PublicEntries: publicEntries(l)}
}

// publicEntries: the fixed built-in lists hold public knowledge (reserved ranges, popular
// domains); the editable ones are the community's own, and may name members' assets.
func publicEntries(l *warninglist.List) bool { return l.Builtin && !l.Editable }

func (s *Server) listWarninglists(w http.ResponseWriter, r *http.Request, _ *Principal) error {
	after, limit, err := pageParams(r)
	if err != nil {
		return err
	}
	page := Page[Warninglist]{Items: []Warninglist{}}
	for _, l := range s.st.ListWarninglists(r.Context()) { // by name
		if l.Name <= after {
			continue
		}
		if len(page.Items) == limit {
			page.NextCursor = encodeCursor(page.Items[len(page.Items)-1].Name)
			break
		}
		page.Items = append(page.Items, warninglistOf(l))
	}
	return writeJSON(w, http.StatusOK, page)
}

// warninglist returns the list named by the path, or a 404 problem.
func (s *Server) warninglist(r *http.Request) (*warninglist.List, error) {
	name := r.PathValue("name")
	l, err := s.st.GetWarninglist(r.Context(), name)
	if errors.Is(err, store.ErrNotFound) {
		return nil, kindNotFound.new("no warninglist %q: GET /api/v1/warninglists lists them", name)
	}
	return l, err
}

func (s *Server) getWarninglist(w http.ResponseWriter, r *http.Request, p *Principal) error {
	l, err := s.warninglist(r)
	if err != nil {
		return err
	}
	if !publicEntries(l) && !p.Can(intel.PermCommunityManage) {
		return kindForbidden.new("the entries of %s are shown to community administrators only: it is the community's own list and may name members' assets "+
			"(GET /api/v1/warninglists shows its name, description and size)", l.Name)
	}
	after, limit, err := pageParams(r)
	if err != nil {
		return err
	}
	entries := l.Entries() // sorted
	i := sort.SearchStrings(entries, after)
	for i < len(entries) && after != "" && entries[i] <= after {
		i++
	}
	out := WarninglistDetail{Warninglist: warninglistOf(l), Entries: []string{}}
	end := min(i+limit, len(entries))
	out.Entries = append(out.Entries, entries[i:end]...)
	if end < len(entries) {
		out.NextCursor = encodeCursor(entries[end-1])
	}
	return writeJSON(w, http.StatusOK, out)
}

func (s *Server) createWarninglist(w http.ResponseWriter, r *http.Request, _ *Principal) error {
	var req WarninglistRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if req.Entries == nil {
		return kindInvalid.new("entries is required").withErrors(FieldError{Pointer: "/entries", Detail: "send a list of entries (it may be empty)"})
	}
	l, err := s.st.CreateWarninglist(r.Context(), warninglist.Spec{Name: req.Name, Description: req.Description,
		EntryType: warninglist.EntryType(req.EntryType), Entries: req.Entries})
	if err != nil {
		return warninglistError(req.Name, err)
	}
	return writeJSON(w, http.StatusCreated, warninglistOf(l))
}

func (s *Server) changeWarninglist(w http.ResponseWriter, r *http.Request, _ *Principal) error {
	var req WarninglistChange
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if len(req.Add) == 0 && len(req.Remove) == 0 && req.Description == nil {
		return kindInvalid.new("nothing to change").withErrors(FieldError{Pointer: "/add", Detail: "send entries to add, to remove, or a description"})
	}
	if _, err := s.warninglist(r); err != nil {
		return err
	}
	name := r.PathValue("name")
	l, err := s.st.ChangeWarninglist(r.Context(), name, store.WarninglistChange{Add: req.Add, Remove: req.Remove, Description: req.Description})
	if err != nil {
		return warninglistError(name, err)
	}
	return writeJSON(w, http.StatusOK, warninglistOf(l))
}

func (s *Server) deleteWarninglist(w http.ResponseWriter, r *http.Request, _ *Principal) error {
	l, err := s.warninglist(r)
	if err != nil {
		return err
	}
	if err := s.st.RemoveWarninglist(r.Context(), l.Name); err != nil {
		return warninglistError(l.Name, err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// warninglistError turns the store's refusals into problems that name what to fix.
func warninglistError(name string, err error) error {
	var (
		bad     *warninglist.EntriesError
		builtin *store.BuiltinError
	)
	switch {
	case errors.As(err, &bad):
		p := kindInvalid.new("%d invalid entries: nothing was changed", bad.Total)
		if bad.Total == 1 {
			p = kindInvalid.new("an invalid entry: nothing was changed")
		}
		if bad.Total > len(bad.Errors) {
			p.Detail += fmt.Sprintf(" (the first %d are listed)", len(bad.Errors))
		}
		for _, e := range bad.Errors {
			i := e.Index
			p.Errors = append(p.Errors, FieldError{Pointer: fmt.Sprintf("/%s/%d", e.Field, e.Index), Index: &i,
				Detail: fmt.Sprintf("%q: %s", e.Entry, e.Reason)})
		}
		return p
	case errors.As(err, &builtin):
		return kindConflict.new("%s", builtin.Error())
	case errors.Is(err, store.ErrNotFound):
		return kindNotFound.new("no warninglist %q: GET /api/v1/warninglists lists them", name)
	case errors.Is(err, store.ErrConflict):
		return kindConflict.new("a warninglist %q already exists: change it with PATCH /api/v1/warninglists/%s", name, name)
	}
	return err
}
