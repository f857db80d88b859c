package intel

import (
	"slices"
	"strings"
)

// Permission is one thing a user may do.
type Permission string

// The permissions. A role is a fixed set of them (Roles).
const (
	PermIntelRead        Permission = "intel:read"        // read community intelligence the visibility policy allows
	PermIndicatorWrite   Permission = "indicator:write"   // report indicators, sightings, false positives
	PermPlaybookRead     Permission = "playbook:read"     // read the organisation's playbooks and runs
	PermPlaybookWrite    Permission = "playbook:write"    // upload, enable and disable playbooks
	PermRunApprove       Permission = "run:approve"       // approve, reject, cancel and retry runs
	PermConnectionManage Permission = "connection:manage" // the organisation's connections
	PermPluginManage     Permission = "plugin:manage"     // install and remove plugins
	PermOrgManage        Permission = "org:manage"        // the organisation's users and tokens
	PermGroupManage      Permission = "group:manage"      // sharing groups the organisation owns
	PermCommunityManage  Permission = "community:manage"  // organisations, warninglists, all groups
	PermPseudonymLink    Permission = "pseudonym:link"    // see which organisation is behind a pseudonym
)

// Role is a named set of permissions (DESIGN.md §6).
type Role string

// The roles.
const (
	RoleCommunityAdmin Role = "community_admin"
	RoleOrgAdmin       Role = "org_admin"
	RoleAnalyst        Role = "analyst"
	RoleContributor    Role = "contributor"
	RoleViewer         Role = "viewer"
	RolePlaybookAuthor Role = "playbook_author"
	RolePluginAdmin    Role = "plugin_admin"
)

// Roles maps each role onto its permissions.
var Roles = map[Role][]Permission{
	RoleCommunityAdmin: {PermIntelRead, PermCommunityManage, PermPseudonymLink, PermGroupManage, PermOrgManage},
	RoleOrgAdmin: {PermIntelRead, PermIndicatorWrite, PermPlaybookRead, PermPlaybookWrite, PermRunApprove,
		PermConnectionManage, PermOrgManage, PermGroupManage},
	RoleAnalyst:        {PermIntelRead, PermIndicatorWrite, PermPlaybookRead, PermRunApprove},
	RoleContributor:    {PermIntelRead, PermIndicatorWrite},
	RoleViewer:         {PermIntelRead, PermPlaybookRead},
	RolePlaybookAuthor: {PermIntelRead, PermPlaybookRead, PermPlaybookWrite},
	RolePluginAdmin:    {PermPluginManage},
}

// ParseRole validates a role name.
func ParseRole(s string) (Role, error) {
	r := Role(strings.ToLower(strings.TrimSpace(s)))
	if _, ok := Roles[r]; !ok {
		return "", invalid("role", "%q is not a role: use community_admin, org_admin, analyst, contributor, viewer, playbook_author or plugin_admin", s)
	}
	return r, nil
}

// Viewer is who reads: an organisation, optionally one of its users, with the roles in force
// and the sharing groups the organisation belongs to. The trigger router uses an
// organisation-level viewer (no user) for each playbook's owner.
type Viewer struct {
	Org    string   // organisation id; "" for no organisation (sees nothing but CLEAR community objects)
	User   string   // user id; "" for an organisation-level viewer
	Roles  []Role   // the user's roles; an organisation-level viewer has none
	Groups []string // ids of the sharing groups Org is a member of
}

// Can reports whether any of the viewer's roles grants p.
func (v Viewer) Can(p Permission) bool {
	for _, r := range v.Roles {
		if slices.Contains(Roles[r], p) {
			return true
		}
	}
	return false
}

// InGroup reports whether the viewer's organisation is a member of the sharing group.
func (v Viewer) InGroup(id string) bool { return slices.Contains(v.Groups, id) }
