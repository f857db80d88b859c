// Package intel is Rampart's community-intelligence model (DESIGN.md §6), pure and free of
// I/O: indicator types with their normalisation, validation and inference; TLP 2.0 labels,
// sharing scopes and attribution; roles and permissions; the one visibility function CanSee
// that every read path and the trigger router use; and the redaction that turns an
// indicator with its per-member reports into the view one viewer may see.
//
// An indicator is one normalised (type, value) pair. Each member that reports it adds a
// Report carrying that member's TLP, scope, attribution, confidence, threat rating, tags and
// dates; visibility is decided per report, and a viewer sees an indicator when it may see at
// least one of its reports. The aggregate fields of a View (TLP, confidence, reporters,
// weight, …) are computed from the visible reports only, so nothing hidden leaks through a
// count. The semantics are written down in docs/intel.md.
//
// The store (intel/store) persists all of this; the warninglists live in intel/warninglist.
package intel
