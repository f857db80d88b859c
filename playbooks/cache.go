package playbooks

import (
	"crypto/sha256"
	"fmt"
	"sync"
)

// The compile cache: a compiled playbook (its CEL programs and expr templates) by the hash of
// its source and the file name it was compiled under. The checks that depend on Options run
// again on every call: they are cheap lookups, and the catalog they consult changes.

// maxCached bounds the cache; past it, an arbitrary entry is dropped for each new one.
const maxCached = 1024

type cacheKey struct {
	sum  [32]byte
	file string
}

type cacheEntry struct {
	pb      *Playbook // nil when there is an error
	partial *Playbook // what compiled, for the Options checks
	diags   Diagnostics
}

var cache = struct {
	sync.Mutex
	m map[cacheKey]cacheEntry
}{m: map[cacheKey]cacheEntry{}}

// CompileCached is Compile with the compiled programs cached by content hash. The
// returned playbook is shared: it must not be modified.
func CompileCached(file string, src []byte, opts Options) (*Playbook, Diagnostics) {
	key := cacheKey{sum: sha256.Sum256(src), file: file}
	cache.Lock()
	e, ok := cache.m[key]
	cache.Unlock()
	if !ok {
		var pb, partial *Playbook
		var ds Diagnostics
		func() {
			defer func() {
				if r := recover(); r != nil {
					pb, partial = nil, nil
					ds = Diagnostics{{File: file, Line: 1, Col: 1, Severity: SeverityError,
						Message: fmt.Sprintf("internal error while compiling: %v", r),
						Hint:    "please report this playbook to the Rampart maintainers"}}
				}
			}()
			pb, ds, partial = compileBase(file, src)
		}()
		e = cacheEntry{pb: pb, partial: partial, diags: ds}
		cache.Lock()
		if len(cache.m) >= maxCached {
			for k := range cache.m {
				delete(cache.m, k)
				break
			}
		}
		cache.m[key] = e
		cache.Unlock()
	}
	return finish(e.pb, e.partial, e.diags, opts)
}
