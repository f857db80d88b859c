package store

// migrations of component "intel". A released migration is never edited: append a new one.
// Kept portable: TEXT/BIGINT/INTEGER columns, times in Unix milliseconds, booleans as
// INTEGER 0/1, JSON arrays in TEXT, partial indexes (both SQLite and PostgreSQL have them).
var migrations = []string{
	`CREATE TABLE intel_orgs (
		id TEXT PRIMARY KEY,
		name TEXT NOT NULL,
		pseudonym TEXT NOT NULL UNIQUE,
		created_at BIGINT NOT NULL
	);
	CREATE TABLE intel_users (
		id TEXT PRIMARY KEY,
		org_id TEXT NOT NULL REFERENCES intel_orgs(id),
		name TEXT NOT NULL,
		roles TEXT NOT NULL,
		created_at BIGINT NOT NULL,
		UNIQUE (org_id, name)
	);
	CREATE TABLE intel_tokens (
		id TEXT PRIMARY KEY,
		user_id TEXT NOT NULL REFERENCES intel_users(id) ON DELETE CASCADE,
		name TEXT NOT NULL,
		hash TEXT NOT NULL UNIQUE,
		created_at BIGINT NOT NULL,
		expires_at BIGINT NOT NULL DEFAULT 0,
		revoked_at BIGINT NOT NULL DEFAULT 0,
		last_used_at BIGINT NOT NULL DEFAULT 0
	);
	CREATE TABLE intel_groups (
		id TEXT PRIMARY KEY,
		owner_org TEXT NOT NULL REFERENCES intel_orgs(id),
		name TEXT NOT NULL UNIQUE,
		description TEXT NOT NULL,
		created_at BIGINT NOT NULL
	);
	CREATE TABLE intel_group_members (
		group_id TEXT NOT NULL REFERENCES intel_groups(id) ON DELETE CASCADE,
		org_id TEXT NOT NULL REFERENCES intel_orgs(id),
		PRIMARY KEY (group_id, org_id)
	);
	CREATE INDEX intel_group_members_org ON intel_group_members (org_id);
	CREATE TABLE intel_indicators (
		id TEXT PRIMARY KEY,
		type TEXT NOT NULL,
		value TEXT NOT NULL,
		warninglists TEXT NOT NULL,
		sightings BIGINT NOT NULL DEFAULT 0,
		false_positives BIGINT NOT NULL DEFAULT 0,
		created_at BIGINT NOT NULL,
		updated_at BIGINT NOT NULL,
		UNIQUE (type, value)
	);
	CREATE TABLE intel_reports (
		id TEXT PRIMARY KEY,
		indicator_id TEXT NOT NULL REFERENCES intel_indicators(id),
		org_id TEXT REFERENCES intel_orgs(id),
		attribution TEXT NOT NULL,
		proof_hash TEXT,
		tlp TEXT NOT NULL,
		scope TEXT NOT NULL,
		groups_json TEXT NOT NULL,
		confidence INTEGER NOT NULL,
		threat_rating INTEGER NOT NULL,
		tags_json TEXT NOT NULL,
		description TEXT NOT NULL,
		source TEXT NOT NULL,
		first_seen BIGINT NOT NULL,
		last_seen BIGINT NOT NULL,
		expires_at BIGINT NOT NULL,
		created_by_run TEXT NOT NULL,
		created_at BIGINT NOT NULL,
		updated_at BIGINT NOT NULL
	);
	CREATE UNIQUE INDEX intel_reports_member ON intel_reports (indicator_id, org_id);
	CREATE UNIQUE INDEX intel_reports_proof ON intel_reports (proof_hash) WHERE proof_hash IS NOT NULL;
	CREATE TABLE intel_sightings (
		id TEXT PRIMARY KEY,
		indicator_id TEXT NOT NULL REFERENCES intel_indicators(id),
		org_id TEXT NOT NULL REFERENCES intel_orgs(id),
		count BIGINT NOT NULL,
		seen_at BIGINT NOT NULL,
		source TEXT NOT NULL,
		note TEXT NOT NULL,
		created_at BIGINT NOT NULL
	);
	CREATE INDEX intel_sightings_indicator ON intel_sightings (indicator_id);
	CREATE TABLE intel_false_positives (
		id TEXT PRIMARY KEY,
		indicator_id TEXT NOT NULL REFERENCES intel_indicators(id),
		org_id TEXT NOT NULL REFERENCES intel_orgs(id),
		note TEXT NOT NULL,
		created_at BIGINT NOT NULL,
		UNIQUE (indicator_id, org_id)
	);
	CREATE TABLE intel_playbooks (
		org_id TEXT NOT NULL REFERENCES intel_orgs(id),
		name TEXT NOT NULL,
		enabled INTEGER NOT NULL,
		latest_version BIGINT NOT NULL,
		created_at BIGINT NOT NULL,
		updated_at BIGINT NOT NULL,
		PRIMARY KEY (org_id, name)
	);
	CREATE TABLE intel_playbook_versions (
		org_id TEXT NOT NULL,
		name TEXT NOT NULL,
		version BIGINT NOT NULL,
		source TEXT NOT NULL,
		hash TEXT NOT NULL,
		trigger_kind TEXT NOT NULL,
		types_json TEXT NOT NULL,
		events_json TEXT NOT NULL,
		author TEXT NOT NULL,
		created_at BIGINT NOT NULL,
		PRIMARY KEY (org_id, name, version),
		FOREIGN KEY (org_id, name) REFERENCES intel_playbooks (org_id, name)
	);
	CREATE TABLE intel_outbox (
		id TEXT PRIMARY KEY,
		kind TEXT NOT NULL,
		indicator_id TEXT NOT NULL,
		report_id TEXT NOT NULL,
		org_id TEXT,
		depth INTEGER NOT NULL,
		created_by_run TEXT NOT NULL,
		created_at BIGINT NOT NULL,
		dispatched_at BIGINT
	);
	CREATE INDEX intel_outbox_pending ON intel_outbox (id) WHERE dispatched_at IS NULL;
	CREATE TABLE intel_warninglists (
		name TEXT PRIMARY KEY,
		description TEXT NOT NULL,
		entries TEXT NOT NULL,
		created_at BIGINT NOT NULL
	);
	CREATE TABLE intel_state (
		name TEXT PRIMARY KEY,
		value BIGINT NOT NULL
	);
	INSERT INTO intel_state (name, value) VALUES ('generation', 1);`,
	// 2: concurrency keys of playbook runs (skip and queue policies).
	`CREATE TABLE intel_run_locks (
		org_id TEXT NOT NULL,
		playbook TEXT NOT NULL,
		lock_key TEXT NOT NULL,
		workflow_id TEXT NOT NULL,
		acquired_at BIGINT NOT NULL,
		expires_at BIGINT NOT NULL,
		PRIMARY KEY (org_id, playbook, lock_key)
	);
	CREATE INDEX intel_run_locks_holder ON intel_run_locks (workflow_id);
	CREATE TABLE intel_run_queue (
		workflow_id TEXT PRIMARY KEY,
		org_id TEXT NOT NULL,
		playbook TEXT NOT NULL,
		lock_key TEXT NOT NULL,
		payload TEXT NOT NULL,
		created_at BIGINT NOT NULL
	);
	CREATE INDEX intel_run_queue_key ON intel_run_queue (org_id, playbook, lock_key, created_at);`,
	// 3: batch triggers: indicators collected per playbook until the batch is flushed.
	`CREATE TABLE intel_batch_items (
		org_id TEXT NOT NULL,
		playbook TEXT NOT NULL,
		event_id TEXT NOT NULL,
		indicator_id TEXT NOT NULL,
		payload TEXT NOT NULL,
		depth INTEGER NOT NULL,
		batch_id TEXT,
		created_at BIGINT NOT NULL,
		PRIMARY KEY (org_id, playbook, event_id)
	);
	CREATE INDEX intel_batch_items_batch ON intel_batch_items (batch_id);`,
	// 4: administrators' warninglists: the kind of entries a list takes, when it last
	// changed, and a counter every change bumps (other processes reload their lists when it
	// moves).
	`ALTER TABLE intel_warninglists ADD COLUMN entry_type TEXT NOT NULL DEFAULT 'mixed';
	ALTER TABLE intel_warninglists ADD COLUMN updated_at BIGINT NOT NULL DEFAULT 0;
	INSERT INTO intel_state (name, value) VALUES ('warninglists', 1);`,
}
