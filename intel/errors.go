package intel

import (
	"errors"
	"fmt"
)

// ErrInvalid is wrapped by every validation failure, so callers can tell bad input (a
// problem+json 422, exit status 1) from a failure of the system.
var ErrInvalid = errors.New("invalid input")

// InvalidError says which field of an input was refused and why, in words a user can act on.
type InvalidError struct {
	Field  string // "value", "tlp", "confidence", …
	Reason string
}

func (e *InvalidError) Error() string { return fmt.Sprintf("invalid %s: %s", e.Field, e.Reason) }

// Unwrap makes errors.Is(err, ErrInvalid) true.
func (e *InvalidError) Unwrap() error { return ErrInvalid }

func invalid(field, format string, args ...any) *InvalidError {
	return &InvalidError{Field: field, Reason: fmt.Sprintf(format, args...)}
}
