package playbooks

import (
	"testing"

	"github.com/google/cel-go/common/types"
)

// TestEnumStringCoversWords keeps the switch of enumString in step with internedWords and
// with the enumerations it interns.
func TestEnumStringCoversWords(t *testing.T) {
	for i, w := range internedWords {
		if got := enumString(w); got != internedVals[i] {
			t.Errorf("enumString(%q) is not interned", w)
		}
	}
	for _, w := range append(append([]string{}, IndicatorTypes...), "amber+strict", StatusSucceeded, StatusWaiting) {
		if got := enumString(w); got != types.String(w) {
			t.Errorf("enumString(%q) = %v", w, got)
		}
		found := false
		for _, iw := range internedWords {
			found = found || iw == w
		}
		if !found {
			t.Errorf("%q is not interned", w)
		}
	}
	if got := enumString("not-usual"); got != types.String("not-usual") {
		t.Errorf("enumString of an unusual word = %v", got)
	}
}
