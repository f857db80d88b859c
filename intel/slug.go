package intel

// ValidSlug reports whether s may be an identifier that appears in URLs, ids and messages
// (an organisation, a playbook name, a warninglist): 1 to 63 lower-case letters, digits and
// hyphens, starting with a letter or digit.
func ValidSlug(s string) bool {
	if s == "" || len(s) > 63 || s[0] == '-' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}
