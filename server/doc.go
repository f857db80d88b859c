// Package server is Rampart's HTTP surface (DESIGN.md §2): the REST API under /api/v1, the
// EDL feed a firewall polls, Prometheus metrics and the OpenAPI 3.1 document.
//
// Every route is one row of a table (routes.go) naming its method and pattern (Go 1.22
// net/http patterns), the permission it needs, its documentation and its handler; the mux,
// the role checks and the OpenAPI document are all built from that table, so a route cannot
// be served undocumented or documented and not served.
//
// Requests carry a bearer API token; the Authenticator (the store) turns it into a
// Principal: an intel.Viewer plus the user's name. Bodies are JSON, decoded strictly
// (unknown fields are refused) within a size limit. Every failure is an RFC 9457
// application/problem+json document with type, title, status, detail, instance and, for bad
// input, per-field errors. Lists are paginated with opaque cursors. Every read of
// intelligence goes through intel.CanSee, by way of the store.
package server
