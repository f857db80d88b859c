package server

import (
	"context"

	"github.com/rampartsec/rampart/actions"
	"github.com/rampartsec/rampart/actions/manager"
)

// ActionCatalog finds installed and built-in actions (actions.Catalog).
type ActionCatalog = actions.Catalog

// Connections reads an organisation's connections.
type Connections interface {
	// GetConnection returns the connection without its secrets; nil, nil when there is none.
	GetConnection(ctx context.Context, org, name string) (*manager.Connection, error)
}

// Plugins is what the API needs of the plugin manager; *manager.Manager implements it.
type Plugins interface {
	ActionCatalog
	Connections
	List(ctx context.Context) ([]*manager.Plugin, error)
	Install(ctx context.Context, path string) ([]*manager.Plugin, error)
	AddConnection(ctx context.Context, nc manager.NewConnection) (*manager.Connection, error)
	ListConnections(ctx context.Context, org string) ([]*manager.Connection, error)
	RemoveConnection(ctx context.Context, org, name string) error
	CheckConnection(ctx context.Context, org, name string) (string, error)
}
