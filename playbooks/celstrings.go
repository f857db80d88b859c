package playbooks

import (
	"reflect"

	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/common/types/traits"
)

// This file keeps the hot path of a condition free of allocations: string lists (tags,
// warninglists) are seen through a pointer to the slice already in the indicator, and the
// enumerated string fields (tlp, type, ...) come from interned values.

// strList is a []string field seen from CEL without copying it. Membership, size and
// indexing are answered directly; everything else goes through the standard list.
type strList []string

var _ traits.Lister = (*strList)(nil)

func (l *strList) std() traits.Lister { return types.NewStringList(celProv, *l) }

func (l *strList) ConvertToNative(t reflect.Type) (any, error) { return l.std().ConvertToNative(t) }
func (l *strList) ConvertToType(t ref.Type) ref.Val            { return l.std().ConvertToType(t) }
func (l *strList) Equal(other ref.Val) ref.Val                 { return l.std().Equal(other) }
func (l *strList) Type() ref.Type                              { return types.ListType }
func (l *strList) Value() any                                  { return []string(*l) }
func (l *strList) Add(other ref.Val) ref.Val                   { return l.std().Add(other) }
func (l *strList) Iterator() traits.Iterator                   { return l.std().Iterator() }
func (l *strList) Size() ref.Val                               { return types.Int(len(*l)) }

// Contains implements `x in list` without converting the elements.
func (l *strList) Contains(v ref.Val) ref.Val {
	s, ok := v.(types.String)
	if !ok {
		return l.std().Contains(v)
	}
	for _, e := range *l {
		if e == string(s) {
			return types.True
		}
	}
	return types.False
}

// Get implements list[i].
func (l *strList) Get(index ref.Val) ref.Val {
	i, ok := index.(types.Int)
	if !ok {
		return l.std().Get(index)
	}
	if i < 0 || int(i) >= len(*l) {
		return types.NewErr("index out of bounds: %d", int64(i))
	}
	return types.String((*l)[i])
}

// internedWords are the strings enumerated fields usually hold (indicator types and
// events, TLP labels, attributions, sources, step statuses); reading one allocates nothing.
var internedWords = [...]string{"", "ipv4", "ipv6", "cidr", "domain", "hostname", "url", "email", "md5", "sha1", "sha256", "sha512", "asn", "ja3", "filename", "cve", "created", "updated", "sighted", "clear", "green", "amber", "amber+strict", "red", "attributed", "pseudonymous", "anonymous", "member", "feed", "import", "pending", "running", "succeeded", "failed", "skipped", "waiting_for_approval", "cancelled"}

var internedVals = func() (out [len(internedWords)]ref.Val) {
	for i, w := range internedWords {
		out[i] = types.String(w)
	}
	return out
}()

// enumString returns the CEL value of s, interned when it is a usual value. A switch is
// faster than a map lookup here.
func enumString(s string) ref.Val {
	switch s {
	case "":
		return internedVals[0]
	case "ipv4":
		return internedVals[1]
	case "ipv6":
		return internedVals[2]
	case "cidr":
		return internedVals[3]
	case "domain":
		return internedVals[4]
	case "hostname":
		return internedVals[5]
	case "url":
		return internedVals[6]
	case "email":
		return internedVals[7]
	case "md5":
		return internedVals[8]
	case "sha1":
		return internedVals[9]
	case "sha256":
		return internedVals[10]
	case "sha512":
		return internedVals[11]
	case "asn":
		return internedVals[12]
	case "ja3":
		return internedVals[13]
	case "filename":
		return internedVals[14]
	case "cve":
		return internedVals[15]
	case "created":
		return internedVals[16]
	case "updated":
		return internedVals[17]
	case "sighted":
		return internedVals[18]
	case "clear":
		return internedVals[19]
	case "green":
		return internedVals[20]
	case "amber":
		return internedVals[21]
	case "amber+strict":
		return internedVals[22]
	case "red":
		return internedVals[23]
	case "attributed":
		return internedVals[24]
	case "pseudonymous":
		return internedVals[25]
	case "anonymous":
		return internedVals[26]
	case "member":
		return internedVals[27]
	case "feed":
		return internedVals[28]
	case "import":
		return internedVals[29]
	case "pending":
		return internedVals[30]
	case "running":
		return internedVals[31]
	case "succeeded":
		return internedVals[32]
	case "failed":
		return internedVals[33]
	case "skipped":
		return internedVals[34]
	case "waiting_for_approval":
		return internedVals[35]
	case "cancelled":
		return internedVals[36]
	}
	return types.String(s)
}
