package warninglist

import (
	"slices"
	"sort"
	"sync"

	"github.com/rampartsec/rampart/intel"
)

// Matcher says which warninglists a canonical value is on. The guard and the store depend on
// this interface only.
type Matcher interface {
	Match(t intel.Type, value string) []string
}

// Registry is the set of lists in force: the built-ins plus the administrators' lists. It is
// safe for concurrent use; Set and Remove swap lists atomically.
type Registry struct {
	mu    sync.RWMutex
	lists []*List
}

// NewRegistry returns a registry holding the built-in lists and extra.
func NewRegistry(extra ...*List) *Registry {
	r := &Registry{lists: Builtin()}
	for _, l := range extra {
		r.Set(l)
	}
	return r
}

// Set adds l, replacing a list of the same name (a built-in list cannot be replaced).
func (r *Registry) Set(l *List) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	lists := slices.Clone(r.lists)
	for i, x := range lists {
		if x.Name == l.Name {
			if x.Builtin {
				return false
			}
			lists[i] = l
			r.lists = lists
			return true
		}
	}
	r.lists = append(lists, l)
	return true
}

// Remove drops the administrator's list name; built-in lists stay.
func (r *Registry) Remove(name string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i, x := range r.lists {
		if x.Name == name && !x.Builtin {
			r.lists = slices.Delete(slices.Clone(r.lists), i, i+1)
			return true
		}
	}
	return false
}

// Lists returns the lists in force, sorted by name.
func (r *Registry) Lists() []*List {
	r.mu.RLock()
	out := slices.Clone(r.lists)
	r.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Match returns the sorted names of the lists that hold the canonical value of type t; nil
// when it is on none.
func (r *Registry) Match(t intel.Type, value string) []string {
	r.mu.RLock()
	lists := r.lists
	r.mu.RUnlock()
	return sortedNames(lists, t, value)
}
