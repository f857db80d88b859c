package intel

import (
	"strings"
	"testing"
)

func TestValidSlug(t *testing.T) {
	for _, tt := range []struct {
		s  string
		ok bool
	}{
		{"acme", true}, {"acme-energy-2", true}, {"0day", true}, {strings.Repeat("a", 63), true},
		{"", false}, {"-acme", false}, {"Acme", false}, {"acme_energy", false}, {"acme.org", false},
		{strings.Repeat("a", 64), false}, {"café", false},
	} {
		if got := ValidSlug(tt.s); got != tt.ok {
			t.Errorf("ValidSlug(%q) = %v, want %v", tt.s, got, tt.ok)
		}
	}
}
