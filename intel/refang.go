package intel

import (
	"strings"
)

// defanged maps the bracketed tokens analysts write to keep values from being clickable
// onto what they stand for. Matching is case-insensitive; spaces around a token go too.
var defanged = []struct{ token, plain string }{
	{"[.]", "."}, {"(.)", "."}, {"{.}", "."}, {"[dot]", "."}, {"(dot)", "."}, {"{dot}", "."},
	{"[:]", ":"}, {"[://]", "://"}, {"[/]", "/"},
	{"[at]", "@"}, {"(at)", "@"}, {"{at}", "@"}, {"[@]", "@"},
}

// defangedSchemes are scheme spellings used to defang URLs.
var defangedSchemes = []struct{ token, plain string }{
	{"hxxps", "https"}, {"hxxp", "http"}, {"hxtps", "https"}, {"hxtp", "http"},
	{"hxxxps", "https"}, {"hxxxp", "http"}, {"fxp", "ftp"}, {"fxps", "ftps"},
}

// Refang undoes the usual defanging of indicators: "hxxp://" and friends, "[.]", "(dot)",
// "[:]", "[at]", and a backslash before a dot. It trims surrounding white space. A value
// with nothing defanged is returned unchanged.
func Refang(s string) string {
	s = strings.TrimSpace(s)
	lower := strings.ToLower(s)
	for _, d := range defangedSchemes {
		if strings.HasPrefix(lower, d.token+"://") || strings.HasPrefix(lower, d.token+"[://]") || strings.HasPrefix(lower, d.token+"[:]//") {
			s = d.plain + s[len(d.token):]
			break
		}
	}
	if !strings.ContainsAny(s, "[({\\") {
		return s
	}
	s = strings.ReplaceAll(s, `\.`, ".")
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		c := s[i]
		if c == '[' || c == '(' || c == '{' {
			if tok, ok := matchToken(s[i:]); ok {
				// drop spaces written around the token: "example [.] com"
				out := strings.TrimRight(b.String(), " ")
				b.Reset()
				b.WriteString(out)
				b.WriteString(tok.plain)
				i += len(tok.token)
				for i < len(s) && s[i] == ' ' {
					i++
				}
				continue
			}
		}
		b.WriteByte(c)
		i++
	}
	return b.String()
}

func matchToken(s string) (struct{ token, plain string }, bool) {
	for _, d := range defanged {
		if len(s) >= len(d.token) && strings.EqualFold(s[:len(d.token)], d.token) {
			return d, true
		}
	}
	return struct{ token, plain string }{}, false
}
