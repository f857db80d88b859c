package server

import (
	"fmt"
	"net/http"

	"github.com/rampartsec/rampart/intel"
	"github.com/rampartsec/rampart/intel/store"
)

// FalsePositiveRequest reports an indicator as a false positive.
type FalsePositiveRequest struct {
	Note string `json:"note,omitempty"`
}

// Accepted acknowledges a write that returns no object.
type Accepted struct {
	ID     string `json:"id,omitempty"`
	Status string `json:"status"`
}

func (s *Server) sightingRoutes() []route {
	return []route{
		{Method: "POST", Pattern: "/api/v1/indicators/{id}/sightings", Perm: intel.PermIndicatorWrite, Tag: "indicators",
			Summary: "Report that your organisation saw an indicator",
			Doc:     "Counts the sighting and emits an indicator.sighted event that playbooks listening for `sighted` react to.",
			Body:    store.SightingInput{}, Response: Accepted{}, Status: http.StatusCreated, problemsFor: []int{http.StatusNotFound},
			handle: s.addSighting},
		{Method: "POST", Pattern: "/api/v1/indicators/{id}/false-positives", Perm: intel.PermIndicatorWrite, Tag: "indicators",
			Summary: "Report an indicator as a false positive (once per organisation; again replaces the note)",
			Body:    FalsePositiveRequest{}, Response: Accepted{}, problemsFor: []int{http.StatusNotFound},
			handle: s.reportFalsePositive},
	}
}

func (s *Server) addSighting(w http.ResponseWriter, r *http.Request, p *Principal) error {
	var in store.SightingInput
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	res, err := s.st.AddSighting(r.Context(), p.Viewer, r.PathValue("id"), in)
	if err != nil {
		return fmt.Errorf("sighting of %s: %w", r.PathValue("id"), err)
	}
	s.written()
	return writeJSON(w, http.StatusCreated, Accepted{ID: res.ID, Status: "recorded"})
}

func (s *Server) reportFalsePositive(w http.ResponseWriter, r *http.Request, p *Principal) error {
	var in FalsePositiveRequest
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	if err := s.st.ReportFalsePositive(r.Context(), p.Viewer, r.PathValue("id"), in.Note); err != nil {
		return fmt.Errorf("false positive %s: %w", r.PathValue("id"), err)
	}
	return writeJSON(w, http.StatusOK, Accepted{Status: "recorded"})
}
