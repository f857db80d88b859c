// Package warninglist holds the lists of values that must never be blocked or sinkholed:
// the built-in lists (private, reserved, documentation, loopback, link-local and multicast
// ranges; very popular domains, shipped as an embedded file) and lists an administrator adds
// (the community's own assets). Registry.Match says which lists a value is on; the store
// flags indicators with it and engine/guard refuses actions on listed values.
//
// Entries are IP addresses or CIDR networks (a network or address indicator matches when it
// overlaps one), domains (exact match; "*.example.com" also matches every subdomain) or any
// other canonical indicator value (matched exactly: a hash, a URL, an e-mail address). A URL
// or e-mail address also matches through its host or domain.
package warninglist
