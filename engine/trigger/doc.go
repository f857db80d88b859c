// Package trigger is the trigger router (DESIGN.md §1, §4): it reads the intelligence
// store's transactional outbox and starts the playbook runs each event calls for.
//
// For each event the router
//
//  1. loads the indicator with every report (the unredacted record, never shown to anyone);
//  2. drops the event if its trigger depth exceeds Options.MaxDepth (default 3: a person's
//     indicator is depth 0, one a run creates is its trigger's depth + 1, so at most three
//     generations of playbook-made indicators trigger anything);
//  3. looks up the enabled indicator playbooks for (event, indicator type) in an in-memory
//     index, rebuilt whenever the store's Generation moves (playbooks saved, enabled,
//     disabled; sharing-group memberships changed) — never a scan of all playbooks;
//  4. keeps the playbooks whose organisation may see what happened (intel.CanSee on the new
//     or updated report; for sightings, on the indicator), and skips the playbook whose run
//     created the indicator (the loop guard);
//  5. skips an organisation for which every visible report has expired;
//  6. decides the event as that organisation sees it: a new member's report on a known
//     indicator is "created" for an organisation that could not see the indicator before and
//     "updated" for one that could;
//  7. evaluates `when` and `priority` on the indicator as that organisation sees it
//     (intel.View: an anonymous contributor stays anonymous, a pseudonymous one is its
//     pseudonym, aggregates count only visible reports);
//  8. starts the runs, highest priority first, with the deterministic workflow id
//     engine.WorkflowID(org, playbook, version, event id) through the Starter;
//  9. marks the event dispatched only after every run has started. A crash in between
//     redelivers the event, and the workflow ids dedupe the second start.
//
// A `when` or `priority` that fails to evaluate skips that playbook (logged) rather than
// blocking the outbox.
//
// Concurrency keys (`concurrency: {key, policy: skip|queue}`) are locks in the store, taken
// before a start and freed when the run ends (observed through RunGetter, or
// store.ReleaseRunLock) or after Options.LockTTL. Batch triggers collect each playbook's
// indicators in the store and start one run per sealed batch at max_size or max_wait.
// docs/intel.md has the details.
package trigger
