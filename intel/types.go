package intel

import "strings"

// Type is an indicator type.
type Type string

// The indicator types (DESIGN.md §6).
const (
	TypeIPv4   Type = "ipv4"   // 192.0.2.1
	TypeIPv6   Type = "ipv6"   // 2001:db8::1, canonical RFC 5952 form
	TypeCIDR   Type = "cidr"   // 192.0.2.0/24 or 2001:db8::/32, masked to the network
	TypeDomain Type = "domain" // example.com: lower case, punycode, no trailing dot
	TypeURL    Type = "url"    // http://example.com/path: scheme and host lower case, default port dropped
	TypeEmail  Type = "email"  // user@example.com: the domain normalised as a domain
	TypeMD5    Type = "md5"    // 32 hex digits, lower case
	TypeSHA1   Type = "sha1"   // 40 hex digits
	TypeSHA256 Type = "sha256" // 64 hex digits
	TypeSHA512 Type = "sha512" // 128 hex digits
	TypeASN    Type = "asn"    // AS64496
)

// Types lists every indicator type.
var Types = []Type{TypeIPv4, TypeIPv6, TypeCIDR, TypeDomain, TypeURL, TypeEmail,
	TypeMD5, TypeSHA1, TypeSHA256, TypeSHA512, TypeASN}

// ParseType validates a type name ("" is returned as "", meaning: infer it).
func ParseType(s string) (Type, error) {
	t := Type(strings.ToLower(strings.TrimSpace(s)))
	switch t {
	case "":
		return "", nil
	case "ip-src", "ip-dst", "ip":
		return "", nil // MISP-style generic IP: inferred as ipv4 or ipv6
	case "hostname", "fqdn":
		return TypeDomain, nil
	case "email-src", "email-dst":
		return TypeEmail, nil
	case "sha-256":
		return TypeSHA256, nil
	case "sha-1":
		return TypeSHA1, nil
	}
	for _, x := range Types {
		if x == t {
			return t, nil
		}
	}
	return "", invalid("type", "%q is not an indicator type: use one of %s", s, typeList())
}

func typeList() string {
	s := make([]string, len(Types))
	for i, t := range Types {
		s[i] = string(t)
	}
	return strings.Join(s, ", ")
}

// IsNetwork reports whether values of the type are addresses or networks (what a firewall
// blocks).
func (t Type) IsNetwork() bool { return t == TypeIPv4 || t == TypeIPv6 || t == TypeCIDR }

// IsHash reports whether the type is a file hash.
func (t Type) IsHash() bool {
	return t == TypeMD5 || t == TypeSHA1 || t == TypeSHA256 || t == TypeSHA512
}
