package server

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Me is who the token belongs to.
type Me struct {
	Org      string   `json:"org" doc:"organisation id"`
	OrgName  string   `json:"org_name"`
	User     string   `json:"user" doc:"user id"`
	UserName string   `json:"user_name"`
	Roles    []string `json:"roles"`
	Groups   []string `json:"groups" doc:"sharing groups the organisation belongs to"`
}

// Health is the liveness answer.
type Health struct {
	Status string `json:"status"`
}

func (s *Server) metaRoutes() []route {
	metricsHandler := promhttp.HandlerFor(s.reg, promhttp.HandlerOpts{})
	return []route{
		{Method: "GET", Pattern: "/api/v1/openapi.json", Access: public, Tag: "meta",
			Summary: "This OpenAPI 3.1 document", Response: map[string]any{},
			handle: func(w http.ResponseWriter, r *http.Request, _ *Principal) error {
				w.Header().Set("Content-Type", "application/json")
				_, err := w.Write(s.openapi)
				return err
			}},
		{Method: "GET", Pattern: "/healthz", Access: public, Tag: "meta",
			Summary: "Liveness", Response: Health{},
			handle: func(w http.ResponseWriter, r *http.Request, _ *Principal) error {
				return writeJSON(w, http.StatusOK, Health{Status: "ok"})
			}},
		{Method: "GET", Pattern: "/metrics", Access: public, Tag: "meta",
			Summary: "Prometheus metrics", Response: "", RespType: "text/plain",
			handle: func(w http.ResponseWriter, r *http.Request, _ *Principal) error {
				metricsHandler.ServeHTTP(w, r)
				return nil
			}},
		{Method: "GET", Pattern: "/api/v1/me", Tag: "meta",
			Summary: "Who the token belongs to", Response: Me{},
			handle: func(w http.ResponseWriter, r *http.Request, p *Principal) error {
				if u, err := s.st.GetUser(r.Context(), p.User); err == nil {
					p.UserName = u.Name
				}
				if o, err := s.st.GetOrg(r.Context(), p.Org); err == nil {
					p.OrgName = o.Name
				}
				roles := make([]string, len(p.Roles))
				for i, r := range p.Roles {
					roles[i] = string(r)
				}
				return writeJSON(w, http.StatusOK, Me{Org: p.Org, OrgName: p.OrgName, User: p.User, UserName: p.UserName,
					Roles: roles, Groups: nonNil(p.Groups)})
			}},
	}
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
