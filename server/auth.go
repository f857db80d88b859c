package server

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/rampartsec/rampart/intel"
	"github.com/rampartsec/rampart/intel/store"
)

// Principal is who made a request: an intel.Viewer (organisation, user, roles, sharing
// groups) and names to show.
type Principal struct {
	intel.Viewer
	UserName string `json:"user_name"`
	OrgName  string `json:"org_name"`
}

// Authenticator turns a bearer API token into its principal. The store implements it; it
// returns ErrUnauthenticated (wrapped or not) for a token it does not know, has revoked or
// that has expired.
type Authenticator interface {
	Authenticate(ctx context.Context, token string) (Principal, error)
}

// AuthenticatorFunc adapts a function to Authenticator.
type AuthenticatorFunc func(ctx context.Context, token string) (Principal, error)

// Authenticate calls f.
func (f AuthenticatorFunc) Authenticate(ctx context.Context, token string) (Principal, error) {
	return f(ctx, token)
}

// storeAuth authenticates against the store's hashed tokens.
type storeAuth struct{ st *store.Store }

func (a storeAuth) Authenticate(ctx context.Context, token string) (Principal, error) {
	v, err := a.st.Authenticate(ctx, token)
	if errors.Is(err, store.ErrUnauthenticated) {
		return Principal{}, ErrUnauthenticated
	}
	if err != nil {
		return Principal{}, err
	}
	return Principal{Viewer: v}, nil
}

// ErrUnauthenticated is returned by an Authenticator for a token it does not accept.
var ErrUnauthenticated = errors.New("unauthenticated")

// bearerToken reads the token of r: "Authorization: Bearer <token>", or the password of HTTP
// basic authentication (what PAN-OS and FortiGate send when they fetch an external list).
func bearerToken(r *http.Request) string {
	h := r.Header.Get("Authorization")
	if scheme, tok, ok := strings.Cut(h, " "); ok && strings.EqualFold(scheme, "bearer") {
		return strings.TrimSpace(tok)
	}
	if _, pw, ok := r.BasicAuth(); ok {
		return pw
	}
	return ""
}

// authenticate resolves the principal of r or returns a 401 problem.
func (s *Server) authenticate(r *http.Request) (*Principal, error) {
	tok := bearerToken(r)
	if tok == "" {
		return nil, kindUnauthorized.new("send Authorization: Bearer <token>; `rampart serve` printed the first administrator's token, and `rampart admin user add` makes more")
	}
	p, err := s.auth.Authenticate(r.Context(), tok)
	if err != nil {
		if errors.Is(err, ErrUnauthenticated) {
			return nil, kindUnauthorized.new("the token is unknown, revoked or expired")
		}
		return nil, err
	}
	return &p, nil
}
