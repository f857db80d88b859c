// Package store persists community intelligence in SQLite (modernc.org/sqlite, through
// internal/sqlitedb, component "intel"; the SQL is kept portable to PostgreSQL: TEXT and
// BIGINT columns, times as Unix milliseconds, ids generated in Go).
//
// The exported API is a contract other packages build on (server, engine/trigger, the CLI):
//
//	Open / OpenDir / Close / DB                      open, migrate, load the keys and warninglists
//	CreateOrg / GetOrg / ListOrgs                    organisations (each gets a stable pseudonym)
//	CreateUser / GetUser / ListUsers / SetUserRoles  users and their roles
//	CreateToken / Authenticate / RevokeToken / ListTokens
//	                                                 API tokens: SHA-256 hashed, the plain token shown once
//	ViewerForOrg                                     an organisation-level viewer (the router's)
//	CreateGroup / GetGroup / ListGroups / AddGroupMember / RemoveGroupMember
//	                                                 sharing groups
//	CreateIndicator / BulkCreate                     report indicators (one transaction with the outbox event)
//	GetIndicator / FindIndicator / ListIndicators    read, always through intel.CanSee and redaction
//	AddSighting / ReportFalsePositive                sightings and false-positive reports
//	UpdateReport / WithdrawReport                    the owner (or an anonymous contributor's proof) edits or withdraws a report
//	Indicator                                        the unredacted record: trusted callers (the router) only
//	SavePlaybook / GetPlaybook / GetPlaybookVersion / ListPlaybooks / SetPlaybookEnabled / EnabledPlaybooks
//	                                                 playbooks and their versions
//	Generation                                       a counter bumped when playbooks or group memberships change
//	PendingEvents / MarkDispatched                   the transactional outbox
//	CreateWarninglist / ChangeWarninglist / AddWarninglist / RemoveWarninglist
//	                                                 administrators' warninglists and community-assets (all or nothing)
//	Warninglists / ListWarninglists / GetWarninglist / RefreshWarninglists
//	                                                 the lists in force, kept up to date with other processes' changes
//	AcquireRunLock / ReleaseRunLock / HeldLocks / QueueRun / ReadyRuns / DequeueRun
//	                                                 concurrency keys of playbook runs (skip and queue)
//	AddBatchItem / OpenBatches / SealBatch / SealedBatches / DeleteBatch
//	                                                 batch triggers' collected indicators
//
// Errors: ErrNotFound (also for objects the viewer may not see: their existence is not
// revealed), ErrForbidden, ErrConflict, ErrUnauthenticated, and errors wrapping
// intel.ErrInvalid (an *intel.InvalidError) for bad input.
//
// Reports: the same (type, value) is one indicator; each member organisation has at most
// one report on it (a second report from the same member updates it), while every
// anonymous report stands alone, since the store keeps no link from an anonymous report to
// its contributor. The contributor receives a proof when creating it; only
// HMAC-SHA256(key, proof) is stored, and the proof alone authorises editing or withdrawing.
//
// Outbox: each write that changes what playbooks may react to (a new report, an updated
// report, a sighting) inserts an Event in the same transaction. Event.Org is "" for an
// anonymous report.
package store
