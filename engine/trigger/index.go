package trigger

import (
	"context"
	"fmt"
	"log/slog"
	"slices"

	"github.com/rampartsec/rampart/intel"
	"github.com/rampartsec/rampart/intel/store"
	"github.com/rampartsec/rampart/playbooks"
)

// entry is one enabled indicator playbook, compiled, with its organisation's viewer.
type entry struct {
	version store.PlaybookVersion
	pb      *playbooks.Playbook
	file    string
	viewer  intel.Viewer
}

// anyType is the index key of playbooks that name no indicator types.
const anyType = "*"

type indexKey struct{ event, typ string }

// index maps (event, indicator type) to the playbooks to consider.
type index struct {
	generation int64
	byKey      map[indexKey][]*entry
	byName     map[string]*entry // "org/name" → entry, for flushing batches
	size       int
}

func (ix *index) lookup(event string, t intel.Type) []*entry {
	a, b := ix.byKey[indexKey{event, string(t)}], ix.byKey[indexKey{event, anyType}]
	if len(b) == 0 {
		return a
	}
	return append(slices.Clip(a), b...)
}

// buildIndex compiles every enabled indicator playbook and indexes it.
func buildIndex(ctx context.Context, st *store.Store, gen int64, log *slog.Logger) (*index, error) {
	pbs, err := st.EnabledPlaybooks(ctx)
	if err != nil {
		return nil, err
	}
	ix := &index{generation: gen, byKey: map[indexKey][]*entry{}, byName: map[string]*entry{}}
	viewers := map[string]intel.Viewer{}
	for _, p := range pbs {
		if p.TriggerKind != string(playbooks.TriggerIndicator) {
			continue
		}
		file := p.Name + ".yaml"
		pb, diags := playbooks.CompileCached(file, p.Source, playbooks.Options{})
		if pb == nil || diags.HasErrors() {
			log.Warn("trigger: enabled playbook does not compile; skipped", "org", p.Org, "playbook", p.Name, "version", p.Version)
			continue
		}
		v, ok := viewers[p.Org]
		if !ok {
			if v, err = st.ViewerForOrg(ctx, p.Org); err != nil {
				return nil, fmt.Errorf("trigger: viewer of %s: %w", p.Org, err)
			}
			viewers[p.Org] = v
		}
		e := &entry{version: p, pb: pb, file: file, viewer: v}
		events := pb.Trigger.Events
		if len(events) == 0 {
			events = []string{"created"}
		}
		types := pb.Trigger.Types
		if len(types) == 0 {
			types = []string{anyType}
		}
		for _, ev := range events {
			for _, t := range types {
				k := indexKey{ev, t}
				ix.byKey[k] = append(ix.byKey[k], e)
			}
		}
		ix.byName[p.Org+"/"+p.Name] = e
		ix.size++
	}
	return ix, nil
}
