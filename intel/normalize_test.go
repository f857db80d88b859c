package intel

import (
	"errors"
	"strings"
	"testing"
)

func TestNormalize(t *testing.T) {
	tests := []struct {
		typ      Type // "" infers
		in       string
		wantType Type
		want     string
		err      string // substring of the refusal; "" when valid
	}{
		// IPv4
		{"", "192.0.2.1", TypeIPv4, "192.0.2.1", ""},
		{"", " 192.0.2[.]1 ", TypeIPv4, "192.0.2.1", ""},
		{TypeIPv4, "192(.)0(.)2(.)1", TypeIPv4, "192.0.2.1", ""},
		{TypeIPv4, "192.0.2.1/32", TypeIPv4, "192.0.2.1", ""},
		{"", "::ffff:192.0.2.1", TypeIPv4, "192.0.2.1", ""},
		{TypeIPv4, "192.0.2.01", "", "", "no leading zeros"},
		{TypeIPv4, "300.1.1.1", "", "", "not an IPv4 address"},
		{TypeIPv4, "192.0.2.0/24", "", "", "use type cidr"},
		// IPv6
		{"", "2001:DB8:0:0:0:0:0:1", TypeIPv6, "2001:db8::1", ""},
		{TypeIPv6, "[2001:db8::1]", TypeIPv6, "2001:db8::1", ""},
		{TypeIPv6, "2001:0db8:0000::0001/128", TypeIPv6, "2001:db8::1", ""},
		{TypeIPv6, "fe80::1%eth0", "", "", "zone"},
		{TypeIPv6, "::ffff:1.2.3.4", "", "", "use type ipv4"},
		{TypeIPv6, "192.0.2.1", "", "", "not an IPv6 address"},
		// CIDR
		{"", "10.1.2.3/8", TypeCIDR, "10.0.0.0/8", ""},
		{"", "2001:db8::1/32", TypeCIDR, "2001:db8::/32", ""},
		{TypeCIDR, "10.0.0.0", "", "", "no prefix length"},
		{TypeCIDR, "10.0.0.0/33", "", "", "not a CIDR"},
		// domains
		{"", "Evil.Example.COM.", TypeDomain, "evil.example.com", ""},
		{"", "evil[.]example[dot]com", TypeDomain, "evil.example.com", ""},
		{"", "evil [.] example (dot) com", TypeDomain, "evil.example.com", ""},
		{"", "bücher.example", TypeDomain, "xn--bcher-kva.example", ""},
		{"", "BÜCHER.example", TypeDomain, "xn--bcher-kva.example", ""},
		{"", "xn--bcher-kva.example", TypeDomain, "xn--bcher-kva.example", ""},
		{TypeDomain, "_dmarc.example.com", TypeDomain, "_dmarc.example.com", ""},
		{TypeDomain, "localhost", "", "", "single label"},
		{TypeDomain, "-bad.example.com", "", "", "hyphen"},
		{TypeDomain, "a..example.com", "", "", "empty label"},
		{TypeDomain, "exa mple.com", "", "", "not allowed"},
		{TypeDomain, strings.Repeat("a", 64) + ".com", "", "", "longer than 63"},
		{TypeDomain, "1.2.3.4", "", "", "numeric"},
		// URLs
		{"", "hxxp://Evil.Example.com:80/Path?q=1#frag", TypeURL, "http://evil.example.com/Path?q=1", ""},
		{"", "hxxps[://]evil[.]example[.]com", TypeURL, "https://evil.example.com/", ""},
		{"", "HTTPS://EXAMPLE.com:8443/a%20b", TypeURL, "https://example.com:8443/a%20b", ""},
		{"", "http://[2001:DB8::1]:80/x", TypeURL, "http://[2001:db8::1]/x", ""},
		{"", "http://bücher.example/", TypeURL, "http://xn--bcher-kva.example/", ""},
		{"", "evil.example.com/login.php", TypeURL, "", "no scheme"},
		{TypeURL, "http://", "", "", "no host"},
		{TypeURL, "http://example.com:99999/", "", "", "invalid port"},
		{TypeURL, "http://exa_mple..com/", "", "", "invalid host"},
		// e-mail
		{"", "Phisher@Evil.Example.COM", TypeEmail, "phisher@evil.example.com", ""},
		{"", "phisher[at]evil[.]example[.]com", TypeEmail, "phisher@evil.example.com", ""},
		{TypeEmail, "@example.com", "", "", "not an e-mail"},
		{TypeEmail, "a..b@example.com", "", "", "misplaced dot"},
		{TypeEmail, "a b@example.com", "", "", "has the character"},
		// hashes
		{"", "D41D8CD98F00B204E9800998ECF8427E", TypeMD5, "d41d8cd98f00b204e9800998ecf8427e", ""},
		{"", "da39a3ee5e6b4b0d3255bfef95601890afd80709", TypeSHA1, "da39a3ee5e6b4b0d3255bfef95601890afd80709", ""},
		{"", strings.Repeat("ab", 32), TypeSHA256, strings.Repeat("ab", 32), ""},
		{"", strings.Repeat("cd", 64), TypeSHA512, strings.Repeat("cd", 64), ""},
		{TypeSHA256, "abc", "", "", "64 hexadecimal digits"},
		{TypeMD5, strings.Repeat("g", 32), "", "", "32 hexadecimal digits"},
		// ASNs
		{"", "as64496", TypeASN, "AS64496", ""},
		{TypeASN, "64496", TypeASN, "AS64496", ""},
		{TypeASN, "AS1.10", TypeASN, "AS65546", ""},
		{TypeASN, "AS0", "", "", "not an AS number"},
		{TypeASN, "AS4294967296", "", "", "not an AS number"},
		// refusals that are not about one type
		{"", "", "", "", "empty"},
		{"", "just words", "", "", "not a recognised indicator"},
		{"", "\xff\xfe", "", "", "UTF-8"},
		{"bogus", "1.2.3.4", "", "", "not an indicator type"},
	}
	for _, tt := range tests {
		t.Run(string(tt.typ)+" "+tt.in, func(t *testing.T) {
			gotType, got, err := Normalize(tt.typ, tt.in)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) || !errors.Is(err, ErrInvalid) {
					t.Fatalf("Normalize(%q, %q) = %q, %q, %v; want a refusal mentioning %q", tt.typ, tt.in, gotType, got, err, tt.err)
				}
				return
			}
			if err != nil || gotType != tt.wantType || got != tt.want {
				t.Fatalf("Normalize(%q, %q) = %q, %q, %v; want %q, %q", tt.typ, tt.in, gotType, got, err, tt.wantType, tt.want)
			}
			// canonical values are fixed points
			if t2, again, err := Normalize(gotType, got); err != nil || again != got || t2 != gotType {
				t.Fatalf("not idempotent: %q -> %q, %v", got, again, err)
			}
		})
	}
}

func TestRefang(t *testing.T) {
	tests := []struct{ in, want string }{
		{"hxxp://a[.]b", "http://a.b"},
		{"HXXPS://a.b", "https://a.b"},
		{"hxxps[://]a.b", "https://a.b"},
		{"fxp://a.b", "ftp://a.b"},
		{"a[.]b(.)c{.}d[dot]e(DOT)f", "a.b.c.d.e.f"},
		{"user[at]a.b", "user@a.b"},
		{"user(at)a.b", "user@a.b"},
		{"a\\.b", "a.b"},
		{"http[:]//a.b[/]c", "http://a.b/c"},
		{"  plain.example  ", "plain.example"},
		{"a [.] b", "a.b"},
		{"keep(this)", "keep(this)"},
	}
	for _, tt := range tests {
		if got := Refang(tt.in); got != tt.want {
			t.Errorf("Refang(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestParseLabels(t *testing.T) {
	tests := []struct {
		in   string
		want TLP
		ok   bool
	}{
		{"", DefaultTLP, true}, {"TLP:RED", TLPRed, true}, {"white", TLPClear, true},
		{"Amber+Strict", TLPAmberStrict, true}, {"amber-strict", TLPAmberStrict, true}, {"purple", "", false},
	}
	for _, tt := range tests {
		got, err := ParseTLP(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseTLP(%q) = %q, %v", tt.in, got, err)
		}
	}
	if TLPGreen.Stricter(TLPAmberStrict) != TLPAmberStrict || TLPRed.Stricter(TLPClear) != TLPRed {
		t.Error("Stricter does not pick the more restrictive label")
	}
	if _, err := ParseScope("everyone"); err == nil {
		t.Error("ParseScope accepted an unknown scope")
	}
	if _, err := ParseAttribution("secret"); err == nil {
		t.Error("ParseAttribution accepted an unknown mode")
	}
	if _, err := ParseRole("god"); err == nil {
		t.Error("ParseRole accepted an unknown role")
	}
}
