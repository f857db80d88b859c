package server

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/rampartsec/rampart/intel"
	"github.com/rampartsec/rampart/intel/store"
)

func (s *Server) indicatorRoutes() []route {
	return []route{
		{Method: "POST", Pattern: "/api/v1/indicators", Perm: intel.PermIndicatorWrite, Tag: "indicators",
			Summary: "Report one indicator",
			Doc: "Normalises and validates the value (the type is inferred when omitted), stores your organisation's report " +
				"and its outbox event in one transaction, and returns the indicator as you now see it: 201 for a new report, 200 when your earlier report was updated.",
			Body: intel.Input{}, Response: IndicatorCreated{}, Status: http.StatusCreated, handle: s.createIndicator},
		{Method: "POST", Pattern: "/api/v1/indicators/bulk", Perm: intel.PermIndicatorWrite, Tag: "indicators",
			Summary: "Report up to 10,000 indicators",
			Doc:     "Each item is stored or refused on its own; refused items carry per-field errors. The answer lists every item in request order.",
			Body:    BulkRequest{}, Response: BulkResponse{}, handle: s.bulkIndicators},
		{Method: "GET", Pattern: "/api/v1/indicators", Perm: intel.PermIntelRead, Tag: "indicators",
			Summary: "List the indicators you may see",
			Query: []param{
				{Name: "type", Type: "string", Description: "indicator type", Enum: typeNames()},
				{Name: "tag", Type: "string", Description: "a tag the indicator carries"},
				{Name: "tlp", Type: "string", Description: "TLP label as you see it", Enum: tlpNames()},
				{Name: "owner", Type: "string", Description: "contributor as shown: an organisation id or a pseudonym"},
				{Name: "since", Type: "string", Description: "updated at or after this RFC 3339 time"},
				{Name: "cursor", Type: "string", Description: "next_cursor of the previous page"},
				{Name: "limit", Type: "integer", Description: "page size, 1..1000 (default 100)"},
			},
			Response: Page[intel.View]{}, handle: s.listIndicators},
		{Method: "GET", Pattern: "/api/v1/indicators/{id}", Perm: intel.PermIntelRead, Tag: "indicators",
			Summary: "Get one indicator as you may see it", Response: intel.View{}, problemsFor: []int{http.StatusNotFound},
			handle: s.getIndicator},
	}
}

func typeNames() []string {
	out := make([]string, len(intel.Types))
	for i, t := range intel.Types {
		out[i] = string(t)
	}
	return out
}

func tlpNames() []string {
	out := make([]string, len(intel.TLPs))
	for i, t := range intel.TLPs {
		out[i] = string(t)
	}
	return out
}

func (s *Server) createIndicator(w http.ResponseWriter, r *http.Request, p *Principal) error {
	var in intel.Input
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	res, view, err := s.st.CreateIndicator(r.Context(), p.Viewer, in)
	if err != nil {
		return fmt.Errorf("create indicator: %w", err)
	}
	s.written()
	out := IndicatorCreated{Indicator: view, Status: BulkCreated, Proof: res.Proof}
	status := http.StatusCreated
	if res.Updated {
		out.Status, status = BulkUpdated, http.StatusOK
	}
	return writeJSON(w, status, out)
}

func (s *Server) bulkIndicators(w http.ResponseWriter, r *http.Request, p *Principal) error {
	var req BulkRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	switch {
	case req.Indicators == nil:
		return kindInvalid.new("indicators is required").withErrors(FieldError{Pointer: "/indicators", Detail: "send a list of 1 to 10,000 indicators"})
	case len(req.Indicators) > MaxBulk:
		return kindInvalid.new("%d indicators in one request", len(req.Indicators)).withErrors(
			FieldError{Pointer: "/indicators", Detail: fmt.Sprintf("at most %d per request: split the list", MaxBulk)})
	}
	items, err := s.st.BulkCreate(r.Context(), p.Viewer, req.Indicators)
	if err != nil {
		return fmt.Errorf("bulk create: %w", err)
	}
	s.written()
	resp := BulkResponse{Results: make([]BulkItem, len(items))}
	for i, it := range items {
		out := BulkItem{Index: it.Index}
		switch {
		case it.Err != nil:
			out.Status = BulkRejected
			out.Errors = []FieldError{itemError(it.Index, it.Err)}
			resp.Rejected++
		case it.Result != nil:
			out.Status, out.ID, out.Value, out.Proof = BulkCreated, it.Result.IndicatorID, it.Result.Value, it.Result.Proof
			if it.Result.Updated {
				out.Status = BulkUpdated
			}
			resp.Accepted++
		}
		resp.Results[i] = out
	}
	return writeJSON(w, http.StatusOK, resp)
}

// itemError describes why one bulk item was refused.
func itemError(index int, err error) FieldError {
	i := index
	fe := FieldError{Pointer: fmt.Sprintf("/indicators/%d", index), Detail: err.Error(), Index: &i}
	var inv *intel.InvalidError
	if errors.As(err, &inv) {
		fe.Pointer += "/" + inv.Field
		fe.Detail = inv.Reason
	}
	return fe
}

func (s *Server) listIndicators(w http.ResponseWriter, r *http.Request, p *Principal) error {
	after, limit, err := pageParams(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	f := store.Filter{Tag: q.Get("tag"), Owner: q.Get("owner"), Cursor: after, Limit: limit}
	var bad []FieldError
	if v := q.Get("type"); v != "" {
		t, err := intel.ParseType(v)
		if err != nil {
			bad = append(bad, FieldError{Pointer: "?type", Detail: reason(err)})
		}
		f.Type = t
	}
	if v := q.Get("tlp"); v != "" {
		t, err := intel.ParseTLP(v)
		if err != nil {
			bad = append(bad, FieldError{Pointer: "?tlp", Detail: reason(err)})
		}
		f.TLP = t
	}
	if v := q.Get("since"); v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			bad = append(bad, FieldError{Pointer: "?since", Detail: "want an RFC 3339 time such as 2026-01-02T15:04:05Z"})
		}
		f.Since = t
	}
	if len(bad) > 0 {
		return kindInvalid.new("bad query parameters").withErrors(bad...)
	}
	page, err := s.st.ListIndicators(r.Context(), p.Viewer, f)
	if err != nil {
		return fmt.Errorf("list indicators: %w", err)
	}
	return writeJSON(w, http.StatusOK, Page[intel.View]{Items: nonNil(page.Items), NextCursor: encodeCursor(page.Next)})
}

func (s *Server) getIndicator(w http.ResponseWriter, r *http.Request, p *Principal) error {
	v, err := s.st.GetIndicator(r.Context(), p.Viewer, r.PathValue("id"))
	if err != nil {
		return fmt.Errorf("indicator %s: %w", r.PathValue("id"), err)
	}
	return writeJSON(w, http.StatusOK, v)
}

// reason is the user-facing part of a validation error.
func reason(err error) string {
	var inv *intel.InvalidError
	if errors.As(err, &inv) {
		return inv.Reason
	}
	return err.Error()
}
