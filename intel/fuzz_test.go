package intel

import (
	"errors"
	"testing"
	"unicode/utf8"
)

// FuzzNormalize checks the normaliser on arbitrary input: it never panics, it either refuses
// with an *InvalidError or returns valid UTF-8 of a known type, and canonical values are
// fixed points (normalising one again, with its type, yields it unchanged).
func FuzzNormalize(f *testing.F) {
	for _, s := range []string{
		"192.0.2.1", "192.0.2[.]1", "2001:db8::1", "[::1]", "10.0.0.1/8", "::ffff:1.2.3.4/120",
		"evil.example.com.", "bücher.example", "xn--bcher-kva.example", "hxxp://a[.]b:80/x?y#z",
		"http://[2001:db8::1]:8080/%zz", "http://a.b/%41%2F", "user[at]example[.]org", "AS1.10",
		"d41d8cd98f00b204e9800998ecf8427e", "ftp://user:pw@host.example/p", "http://a.b/\u00e9",
	} {
		f.Add("", s)
		f.Add("url", s)
		f.Add("domain", s)
	}
	f.Fuzz(func(t *testing.T, typ, raw string) {
		ty, v, err := Normalize(Type(typ), raw)
		if err != nil {
			var ie *InvalidError
			if !errors.As(err, &ie) {
				t.Fatalf("Normalize(%q, %q): error %v is not an *InvalidError", typ, raw, err)
			}
			return
		}
		if !utf8.ValidString(v) || v == "" {
			t.Fatalf("Normalize(%q, %q) = %q: empty or invalid UTF-8", typ, raw, v)
		}
		known := false
		for _, k := range Types {
			known = known || k == ty
		}
		if !known {
			t.Fatalf("Normalize(%q, %q) returned unknown type %q", typ, raw, ty)
		}
		ty2, v2, err := Normalize(ty, v)
		if err != nil || v2 != v || ty2 != ty {
			t.Fatalf("not a fixed point: Normalize(%q, %q) = %q; again: %q, %q, %v", typ, raw, v, ty2, v2, err)
		}
	})
}
