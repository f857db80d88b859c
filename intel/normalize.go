package intel

import (
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/idna"
)

// MaxValueLen bounds an indicator value (a URL may be long; nothing else comes close).
const MaxValueLen = 4096

// Normalize refangs, validates and canonicalises raw as an indicator of type t; an empty t
// infers the type. It returns the type and the canonical value, or an *InvalidError (field
// "value" or "type") saying why the value was refused. Normalize is idempotent: the canonical
// value normalises to itself.
func Normalize(t Type, raw string) (Type, string, error) {
	if len(raw) > MaxValueLen {
		return "", "", invalid("value", "longer than %d bytes", MaxValueLen)
	}
	if !utf8.ValidString(raw) {
		return "", "", invalid("value", "not valid UTF-8")
	}
	s := Refang(raw)
	if s == "" {
		return "", "", invalid("value", "empty")
	}
	if t == "" {
		t = Infer(s)
		if t == "" {
			return "", "", invalid("value", "%q is not a recognised indicator (ip, cidr, domain, url, email, hash or asn): give its type", clip(raw))
		}
	}
	var v string
	var err error
	switch t {
	case TypeIPv4:
		v, err = normIPv4(s)
	case TypeIPv6:
		v, err = normIPv6(s)
	case TypeCIDR:
		v, err = normCIDR(s)
	case TypeDomain:
		v, err = normDomain(s)
	case TypeURL:
		v, err = normURL(s)
	case TypeEmail:
		v, err = normEmail(s)
	case TypeMD5:
		v, err = normHex(s, 32, "md5")
	case TypeSHA1:
		v, err = normHex(s, 40, "sha1")
	case TypeSHA256:
		v, err = normHex(s, 64, "sha256")
	case TypeSHA512:
		v, err = normHex(s, 128, "sha512")
	case TypeASN:
		v, err = normASN(s)
	default:
		return "", "", invalid("type", "%q is not an indicator type: use one of %s", t, typeList())
	}
	if err != nil {
		return "", "", err
	}
	return t, v, nil
}

// Infer guesses the type of an already refanged value: "" when it looks like none.
func Infer(s string) Type {
	switch {
	case strings.Contains(s, "://"):
		return TypeURL
	case strings.Contains(s, "@"):
		return TypeEmail
	case strings.Contains(s, "/"):
		if _, err := netip.ParsePrefix(s); err == nil {
			return TypeCIDR
		}
		if i := strings.IndexByte(s, '/'); i > 0 && looksLikeHost(s[:i]) {
			return TypeURL
		}
		return ""
	}
	if a, err := netip.ParseAddr(strings.Trim(s, "[]")); err == nil {
		if a.Is4() || a.Is4In6() {
			return TypeIPv4
		}
		return TypeIPv6
	}
	if isHex(s) {
		switch len(s) {
		case 32:
			return TypeMD5
		case 40:
			return TypeSHA1
		case 64:
			return TypeSHA256
		case 128:
			return TypeSHA512
		}
	}
	if len(s) > 2 && strings.EqualFold(s[:2], "as") && isDigits(s[2:]) {
		return TypeASN
	}
	if strings.Contains(strings.TrimSuffix(s, "."), ".") && !strings.ContainsAny(s, " \t:") {
		return TypeDomain
	}
	return ""
}

func looksLikeHost(s string) bool {
	if _, err := normDomain(s); err == nil {
		return true
	}
	_, err := netip.ParseAddr(s)
	return err == nil
}

func normIPv4(s string) (string, error) {
	s = strings.TrimSuffix(s, "/32")
	a, err := netip.ParseAddr(s)
	if err != nil || !(a.Is4() || a.Is4In6()) {
		if strings.Contains(s, "/") {
			return "", invalid("value", "%q is a network: use type cidr", clip(s))
		}
		return "", invalid("value", "%q is not an IPv4 address (four decimal octets, no leading zeros)", clip(s))
	}
	return a.Unmap().String(), nil
}

func normIPv6(s string) (string, error) {
	s = strings.TrimSuffix(strings.Trim(s, "[]"), "/128")
	a, err := netip.ParseAddr(s)
	switch {
	case err != nil || !a.Is6():
		if strings.Contains(s, "/") {
			return "", invalid("value", "%q is a network: use type cidr", clip(s))
		}
		return "", invalid("value", "%q is not an IPv6 address", clip(s))
	case a.Zone() != "":
		return "", invalid("value", "%q has a zone: drop the %%%s", clip(s), a.Zone())
	case a.Is4In6():
		return "", invalid("value", "%q is an IPv4-mapped address: use type ipv4 with %s", clip(s), a.Unmap())
	}
	return a.String(), nil
}

func normCIDR(s string) (string, error) {
	if !strings.Contains(s, "/") {
		return "", invalid("value", "%q has no prefix length: write it as %s/32 or use type ipv4 or ipv6", clip(s), clip(s))
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return "", invalid("value", "%q is not a CIDR network (address/prefix-length)", clip(s))
	}
	if p.Addr().Is4In6() {
		return "", invalid("value", "%q is an IPv4-mapped network: write it in IPv4", clip(s))
	}
	return p.Masked().String(), nil
}

var idnaProfile = idna.New(idna.MapForLookup(), idna.StrictDomainName(false), idna.BidiRule(),
	idna.Transitional(false), idna.VerifyDNSLength(true))

func normDomain(s string) (string, error) {
	s = strings.TrimSuffix(s, ".")
	if s == "" {
		return "", invalid("value", "empty domain")
	}
	if !utf8.ValidString(s) || strings.ContainsRune(s, utf8.RuneError) {
		return "", invalid("value", "the domain is not valid UTF-8")
	}
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		s = strings.ToLower(s)
	}
	if !ascii || strings.Contains(s, "xn--") {
		a, err := idnaProfile.ToASCII(s)
		if err != nil {
			return "", invalid("value", "%q is not a valid internationalised domain name", clip(s))
		}
		s = strings.ToLower(a)
	}
	if len(s) > 253 {
		return "", invalid("value", "domain longer than 253 characters")
	}
	labels := strings.Split(s, ".")
	if len(labels) < 2 {
		return "", invalid("value", "%q has a single label: a domain needs at least two (example.com)", clip(s))
	}
	for _, l := range labels {
		if l == "" {
			return "", invalid("value", "%q has an empty label", clip(s))
		}
		if len(l) > 63 {
			return "", invalid("value", "a label of %q is longer than 63 characters", clip(s))
		}
		if l[0] == '-' || l[len(l)-1] == '-' {
			return "", invalid("value", "a label of %q begins or ends with a hyphen", clip(s))
		}
		for i := 0; i < len(l); i++ {
			c := l[i]
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return "", invalid("value", "%q has the character %q, not allowed in a domain", clip(s), rune(c))
			}
		}
	}
	if tld := labels[len(labels)-1]; isDigits(tld) {
		return "", invalid("value", "%q ends in a numeric label: an address is not a domain", clip(s))
	}
	return s, nil
}

var defaultPorts = map[string]string{"http": "80", "https": "443", "ftp": "21", "ws": "80", "wss": "443"}

func normURL(s string) (string, error) {
	i := strings.Index(s, "://")
	if i <= 0 {
		return "", invalid("value", "%q has no scheme: write http://%s", clip(s), clip(s))
	}
	scheme := strings.ToLower(s[:i])
	for j := 0; j < len(scheme); j++ {
		c := scheme[j]
		if !(c >= 'a' && c <= 'z' || j > 0 && (c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.')) {
			return "", invalid("value", "%q has an invalid scheme", clip(s))
		}
	}
	u, err := url.Parse(scheme + s[i:])
	if err != nil {
		return "", invalid("value", "%q is not a URL: %s", clip(s), urlReason(err))
	}
	if u.Opaque != "" || u.Host == "" {
		return "", invalid("value", "%q has no host", clip(s))
	}
	host, port := u.Hostname(), u.Port()
	var h string
	if a, err := netip.ParseAddr(host); err == nil {
		if a.Zone() != "" {
			return "", invalid("value", "%q has an address with a zone", clip(s))
		}
		a = a.Unmap()
		h = a.String()
		if a.Is6() {
			h = "[" + h + "]"
		}
	} else {
		d, err := normDomain(host)
		if err != nil {
			return "", invalid("value", "%q has an invalid host: %s", clip(s), err.(*InvalidError).Reason)
		}
		h = d
	}
	if port != "" {
		n, err := strconv.Atoi(port)
		if err != nil || n < 1 || n > 65535 {
			return "", invalid("value", "%q has an invalid port", clip(s))
		}
		if port = strconv.Itoa(n); port != defaultPorts[scheme] {
			h += ":" + port
		}
	}
	out := url.URL{Scheme: scheme, User: u.User, Host: h, Path: u.Path, RawPath: u.RawPath, RawQuery: u.RawQuery}
	if out.Path == "" {
		out.Path = "/"
		out.RawPath = ""
	}
	v := out.String()
	// Escaping may change once more on a second pass; settle on the fixed point.
	if again, err := url.Parse(v); err == nil && again.String() != v {
		v = again.String()
	}
	return v, nil
}

func urlReason(err error) string {
	var ue *url.Error
	if e, ok := err.(*url.Error); ok {
		ue = e
		return ue.Err.Error()
	}
	return err.Error()
}

func normEmail(s string) (string, error) {
	i := strings.LastIndexByte(s, '@')
	if i <= 0 || i == len(s)-1 {
		return "", invalid("value", "%q is not an e-mail address (local@domain)", clip(s))
	}
	local, domain := s[:i], s[i+1:]
	if len(local) > 64 {
		return "", invalid("value", "the local part of %q is longer than 64 characters", clip(s))
	}
	for j := 0; j < len(local); j++ {
		c := local[j]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`<>()[]\,;:"@`, c) >= 0 {
			return "", invalid("value", "the local part of %q has the character %q", clip(s), rune(c))
		}
	}
	if local[0] == '.' || local[len(local)-1] == '.' || strings.Contains(local, "..") {
		return "", invalid("value", "the local part of %q has a misplaced dot", clip(s))
	}
	d, err := normDomain(domain)
	if err != nil {
		return "", invalid("value", "%q has an invalid domain: %s", clip(s), err.(*InvalidError).Reason)
	}
	return strings.ToLower(local) + "@" + d, nil
}

func normHex(s string, n int, name string) (string, error) {
	if len(s) != n || !isHex(s) {
		return "", invalid("value", "a %s is %d hexadecimal digits; got %q", name, n, clip(s))
	}
	return strings.ToLower(s), nil
}

func normASN(s string) (string, error) {
	v := s
	if len(v) > 2 && strings.EqualFold(v[:2], "as") {
		v = v[2:]
	}
	var n uint64
	var err error
	if hi, lo, ok := strings.Cut(v, "."); ok && isDigits(hi) && isDigits(lo) { // asdot
		var h, l uint64
		h, err = strconv.ParseUint(hi, 10, 16)
		if err == nil {
			l, err = strconv.ParseUint(lo, 10, 16)
		}
		n = h<<16 | l
	} else if isDigits(v) {
		n, err = strconv.ParseUint(v, 10, 32)
	} else {
		err = strconv.ErrSyntax
	}
	if err != nil || n == 0 {
		return "", invalid("value", "%q is not an AS number (AS1 … AS4294967295)", clip(s))
	}
	return "AS" + strconv.FormatUint(n, 10), nil
}

func isHex(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// clip shortens a value quoted in an error message.
func clip(s string) string {
	if len(s) <= 80 {
		return s
	}
	return s[:77] + "..."
}
