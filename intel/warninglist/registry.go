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

// Set adds l, replacing a list of the same name. A built-in list cannot be replaced, except
// an editable one (CommunityAssets), whose entries l then provides: it stays built in, with
// its own description and entry type.
func (r *Registry) Set(l *List) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	lists := slices.Clone(r.lists)
	for i, x := range lists {
		if x.Name == l.Name {
			if x.Builtin && !x.Editable {
				return false
			}
			if x.Builtin {
				l = asBuiltin(x, l)
			}
			lists[i] = l
			r.lists = lists
			return true
		}
	}
	r.lists = append(lists, l)
	return true
}

// asBuiltin is the entries of l in the place of the editable built-in list b.
func asBuiltin(b, l *List) *List {
	c := *l
	c.Name, c.Description, c.EntryType, c.Builtin, c.Editable = b.Name, b.Description, b.EntryType, true, true
	return &c
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

// Reset puts exactly the given administrators' lists in force, atomically: a list named
// like an editable built-in list provides its entries (an editable built-in list not given
// is emptied), the other built-in lists stay as they are, and every other list is replaced.
func (r *Registry) Reset(admin []*List) {
	byName := make(map[string]*List, len(admin))
	for _, l := range admin {
		byName[l.Name] = l
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	next := make([]*List, 0, len(r.lists)+len(admin))
	for _, x := range r.lists {
		if !x.Builtin {
			continue
		}
		if x.Editable {
			if l, ok := byName[x.Name]; ok {
				next = append(next, asBuiltin(x, l))
			} else {
				next = append(next, &List{Name: x.Name, Description: x.Description, EntryType: x.EntryType,
					Builtin: true, Editable: true, exact: map[string]bool{}})
			}
		} else {
			next = append(next, x)
		}
		delete(byName, x.Name)
	}
	for _, l := range admin {
		if _, ok := byName[l.Name]; ok {
			next = append(next, l)
		}
	}
	r.lists = next
}

// Get returns the list in force named name, or nil.
func (r *Registry) Get(name string) *List {
	r.mu.RLock()
	defer r.mu.RUnlock()
	for _, x := range r.lists {
		if x.Name == name {
			return x
		}
	}
	return nil
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
