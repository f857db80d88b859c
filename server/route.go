package server

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime/debug"
	"time"

	"github.com/rampartsec/rampart/intel"
	"github.com/rampartsec/rampart/intel/store"
)

// handlerFunc serves one route for an authenticated principal (nil on public routes). A
// returned error becomes a problem+json response; a handler that wrote its response returns
// nil.
type handlerFunc func(w http.ResponseWriter, r *http.Request, p *Principal) error

// access says who may call a route.
type access int

const (
	authenticated access = iota // any valid token, plus Perm when set
	public                      // no token: documents, health, metrics
)

// param is a documented query or path parameter.
type param struct {
	Name        string
	In          string // query | path
	Type        string // string | integer | boolean
	Description string
	Enum        []string
}

// route is one row of the API table: everything the mux, the role check and the OpenAPI
// document need.
type route struct {
	Method  string
	Pattern string // Go 1.22 pattern path, e.g. /api/v1/indicators/{id}
	Access  access
	Perm    intel.Permission // required on authenticated routes; "" means any valid token
	Tag     string
	Summary string
	Doc     string
	Query   []param
	// Body and Response are zero values of the request and response types; nil means none.
	Body        any
	BodyType    string // media type of the body; default application/json
	Response    any
	RespType    string // media type of the response; default application/json
	Status      int    // success status; default 200
	MaxBody     int64  // overrides the server's body limit for this route
	handle      handlerFunc
	problemsFor []int // statuses documented beyond the defaults
}

func (rt route) key() string { return rt.Method + " " + rt.Pattern }

// serve wraps a route's handler with metrics, panic recovery, authentication, the role check
// and the body size limit.
func (s *Server) serve(rt route) http.HandlerFunc {
	limit := s.maxBody
	if rt.MaxBody > 0 {
		limit = rt.MaxBody
	}
	name := rt.key()
	return func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w}
		defer func() {
			if v := recover(); v != nil {
				s.log.Error("api: handler panicked", "route", name, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
				if rec.status == 0 {
					writeProblem(rec, r, kindInternal.new("the server failed; the log has the details"))
				}
			}
			s.metrics.observe(name, rec.status, start)
		}()
		if r.Body != nil {
			r.Body = http.MaxBytesReader(rec, r.Body, limit)
		}
		var p *Principal
		if rt.Access == authenticated {
			var err error
			if p, err = s.authenticate(r); err != nil {
				s.fail(rec, r, name, err)
				return
			}
			if rt.Perm != "" && !p.Can(rt.Perm) {
				s.fail(rec, r, name, kindForbidden.new("this needs the %s permission, which none of your roles (%v) grants", rt.Perm, p.Roles))
				return
			}
		}
		if err := rt.handle(rec, r, p); err != nil {
			s.fail(rec, r, name, err)
		}
	}
}

// fail writes err as a problem. Errors that are not the client's fault are logged, and their
// text is not sent: it could name internals.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, route string, err error) {
	p := s.classify(err)
	if p.Status >= 500 {
		s.log.Error("api: request failed", "route", route, "err", err)
	} else {
		s.log.Debug("api: request refused", "route", route, "status", p.Status, "detail", p.Detail)
	}
	writeProblem(w, r, p)
}

// classify maps an error onto a problem.
func (s *Server) classify(err error) *Problem {
	var (
		p     *Problem
		inv   *intel.InvalidError
		large *http.MaxBytesError
	)
	switch {
	case errors.As(err, &p):
		cp := *p
		return &cp
	case errors.As(err, &large):
		return kindTooLarge.new("the body is larger than %d bytes", large.Limit)
	case errors.As(err, &inv):
		return kindInvalid.new("%s", inv.Error()).withErrors(FieldError{Pointer: "/" + inv.Field, Detail: inv.Reason})
	case errors.Is(err, intel.ErrInvalid):
		return kindInvalid.new("%s", err.Error())
	case errors.Is(err, ErrNotFound), errors.Is(err, store.ErrNotFound):
		return kindNotFound.new("%s", err.Error())
	case errors.Is(err, ErrConflict), errors.Is(err, store.ErrConflict):
		return kindConflict.new("%s", err.Error())
	case errors.Is(err, ErrForbidden), errors.Is(err, store.ErrForbidden):
		return kindForbidden.new("%s", err.Error())
	case errors.Is(err, ErrUnavailable):
		return kindUnavailable.new("try again shortly")
	}
	if s.classifyExtra != nil {
		if p := s.classifyExtra(err); p != nil {
			return p
		}
	}
	return kindInternal.new("the server failed; the log has the details")
}

// notFoundOrMethod answers a request the mux matched no route for, as a problem: 405 with
// Allow when the path exists under other methods, 404 otherwise.
func (s *Server) notFoundOrMethod(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h, pattern := mux.Handler(r)
		if pattern != "" {
			mux.ServeHTTP(w, r) // sets the path values, which mux.Handler does not
			return
		}
		probe := httptest.NewRecorder()
		h.ServeHTTP(probe, r)
		if probe.Code == http.StatusMethodNotAllowed {
			w.Header().Set("Allow", probe.Header().Get("Allow"))
			writeProblem(w, r, kindMethod.new("%s is not served on %s; allowed: %s", r.Method, r.URL.Path, probe.Header().Get("Allow")))
			s.metrics.observe("unmatched", http.StatusMethodNotAllowed, time.Now())
			return
		}
		if probe.Code == http.StatusMovedPermanently || probe.Code == http.StatusTemporaryRedirect || probe.Code == http.StatusPermanentRedirect {
			for k, v := range probe.Header() {
				w.Header()[k] = v
			}
			w.WriteHeader(probe.Code)
			return
		}
		writeProblem(w, r, kindNotFound.new("no route serves %s %s; GET /api/v1/openapi.json lists them", r.Method, r.URL.Path))
		s.metrics.observe("unmatched", http.StatusNotFound, time.Now())
	})
}
