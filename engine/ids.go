package engine

import (
	"fmt"
	"strings"
)

// Task queues.
const (
	// WorkflowQueue is the one queue every run's workflow tasks are on.
	WorkflowQueue  = "rampart-workflows"
	orgQueuePrefix = "rampart-org-"
)

// OrgQueue is the task queue of an organisation's actions: only workers trusted with that
// organisation's connections poll it.
func OrgQueue(org string) string { return orgQueuePrefix + org }

// WorkflowID is the deterministic ID of the run of playbook@version that eventID triggers in
// org: `<org>/<playbook>@<version>/<event-id>`. Starting the same ID twice starts one run.
func WorkflowID(org, playbook string, version int64, eventID string) string {
	return fmt.Sprintf("%s/%s@%d/%s", org, playbook, version, eventID)
}

// retryID is the ID of the n-th retry (1-based) of run id.
func retryID(id string, n int) string { return fmt.Sprintf("%s/retry-%d", id, n) }

// childID is the ID of the run a `call` step starts.
func childID(parent, stepID string) string { return parent + "/call-" + stepID }

// ParseWorkflowID splits a run ID into its parts; ok is false when id is not one.
func ParseWorkflowID(id string) (org, playbookAtVersion, rest string, ok bool) {
	parts := strings.SplitN(id, "/", 3)
	if len(parts) != 3 || !strings.Contains(parts[1], "@") {
		return "", "", "", false
	}
	return parts[0], parts[1], parts[2], true
}

// TaskPriority maps a playbook priority (0..100, higher first) onto a Temporal task priority
// key (1..5, 1 first; 3 is Temporal's default and playbooks.DefaultPriority's).
func TaskPriority(p int) int {
	switch {
	case p >= 90:
		return 1
	case p >= 70:
		return 2
	case p >= 30:
		return 3
	case p >= 10:
		return 4
	default:
		return 5
	}
}
