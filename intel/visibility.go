package intel

import "slices"

// Visibility is what decides who may see an object: its owner, TLP label, sharing scope and,
// for ScopeGroups, the sharing groups it is shared with. Owner is "" for an anonymous
// contribution: the store keeps no link to its contributor.
type Visibility struct {
	Owner  string
	TLP    TLP
	Scope  Scope
	Groups []string
}

// CanSee is the one visibility function: whether viewer v may see an object labelled o. Every
// read path (API, search, exports, notifications, the trigger router) calls it. The rules,
// derived from the TLP 2.0 definitions (docs/intel.md has the full table):
//
//   - A user viewer (User != "") needs the intel:read permission; an organisation-level viewer
//     (the router acting for a playbook's owner) is its organisation.
//   - The owner organisation always sees its own objects.
//   - ScopeOwner: nobody else.
//   - ScopeGroups: the organisations of the named groups are the recipients, whatever the label
//     (RED included: the groups are its named recipients).
//   - ScopeCommunity: every member organisation is a recipient — except for RED, which is for
//     named recipients only and so narrows to the owner.
//   - Community admins additionally see CLEAR and GREEN objects shared with groups: TLP lets
//     any recipient spread those within the community, whose steward the admin is. AMBER,
//     AMBER+STRICT and RED stay with their recipients, and owner-only objects with their owner.
//   - A viewer without an organisation sees only CLEAR objects shared with the community.
//
// AMBER and AMBER+STRICT differ in what recipients may do next, not in who sees: AMBER+STRICT
// objects are never passed on (no export beyond the community, no re-sharing); that is
// enforced by the export paths through MayPassOn.
func CanSee(v Viewer, o Visibility) bool {
	if v.User != "" && !v.Can(PermIntelRead) {
		return false
	}
	if v.Org == "" {
		return o.TLP == TLPClear && o.Scope == ScopeCommunity
	}
	if o.Owner != "" && v.Org == o.Owner {
		return true
	}
	switch o.Scope {
	case ScopeGroups:
		if slices.ContainsFunc(o.Groups, v.InGroup) {
			return true
		}
		return v.Can(PermCommunityManage) && (o.TLP == TLPClear || o.TLP == TLPGreen)
	case ScopeCommunity:
		return o.TLP.Rank() < TLPRed.Rank() // an unknown label ranks as red
	default: // ScopeOwner, or anything unknown: the owner only
		return false
	}
}

// MayPassOn reports whether a recipient may pass an object with this visibility on beyond
// the community (an export to another community, a public feed): only CLEAR, and GREEN
// shared with the whole community, may leave it.
func MayPassOn(o Visibility) bool {
	return o.TLP == TLPClear || (o.TLP == TLPGreen && o.Scope == ScopeCommunity)
}
