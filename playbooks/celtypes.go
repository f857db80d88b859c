package playbooks

import (
	"fmt"
	"reflect"
	"time"

	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/common/types/traits"
)

// This file declares the playbook values (values.go) to CEL as object types whose field names
// are the JSON names, with getters that read the Go structs directly: no reflection and no
// conversion of the whole value on each evaluation.

// CEL type names of the bound values.
const (
	celIndicator  = "rampart.Indicator"
	celEvent      = "rampart.Event"
	celStepResult = "rampart.StepResult"
	celRunInfo    = "rampart.RunInfo"
)

var (
	indicatorType  = types.NewObjectType(celIndicator)
	eventType      = types.NewObjectType(celEvent)
	stepResultType = types.NewObjectType(celStepResult)
	runInfoType    = types.NewObjectType(celRunInfo)
	stringListType = types.NewListType(types.StringType)
	dynMapType     = types.NewMapType(types.StringType, types.DynType)
)

// celField is one field of an object type.
type celField struct {
	typ *types.Type
	get func(p *celProvider, obj any) ref.Val
}

// celObject is an object type and its fields.
type celObject struct {
	typ    *types.Type
	fields map[string]*celField
	names  []string
	ftypes map[string]*types.FieldType
}

// celProvider is the type provider and adapter of the playbook CEL environment: the
// object types above over the standard registry.
type celProvider struct {
	*types.Registry
	objects map[string]*celObject
}

func str(get func(obj any) string) func(*celProvider, any) ref.Val {
	return func(_ *celProvider, obj any) ref.Val { return types.String(get(obj)) }
}

func num(get func(obj any) int64) func(*celProvider, any) ref.Val {
	return func(_ *celProvider, obj any) ref.Val { return types.Int(get(obj)) }
}

func stamp(get func(obj any) time.Time) func(*celProvider, any) ref.Val {
	return func(_ *celProvider, obj any) ref.Val { return types.Timestamp{Time: get(obj)} }
}

func enum(get func(obj any) string) func(*celProvider, any) ref.Val {
	return func(_ *celProvider, obj any) ref.Val { return enumString(get(obj)) }
}

func strs(get func(obj any) *[]string) func(*celProvider, any) ref.Val {
	return func(p *celProvider, obj any) ref.Val { return (*strList)(get(obj)) }
}

var zeroIndicator Indicator

func asIndicator(obj any) *Indicator {
	switch v := obj.(type) {
	case *Indicator:
		if v != nil {
			return v
		}
	case Indicator:
		return &v
	}
	return &zeroIndicator
}

func asEvent(obj any) *Event {
	switch v := obj.(type) {
	case *Event:
		if v != nil {
			return v
		}
	case Event:
		return &v
	}
	return &Event{}
}

func asStepResult(obj any) StepResult {
	switch v := obj.(type) {
	case StepResult:
		return v
	case *StepResult:
		if v != nil {
			return *v
		}
	}
	return StepResult{}
}

func asRunInfo(obj any) RunInfo {
	switch v := obj.(type) {
	case RunInfo:
		return v
	case *RunInfo:
		if v != nil {
			return *v
		}
	}
	return RunInfo{}
}

func newCELProvider() (*celProvider, error) {
	reg, err := types.NewRegistry()
	if err != nil {
		return nil, fmt.Errorf("playbooks: cel registry: %w", err)
	}
	p := &celProvider{Registry: reg, objects: map[string]*celObject{}}
	p.add(indicatorType, map[string]*celField{
		"id":              {types.StringType, str(func(o any) string { return asIndicator(o).ID })},
		"type":            {types.StringType, enum(func(o any) string { return asIndicator(o).Type })},
		"value":           {types.StringType, str(func(o any) string { return asIndicator(o).Value })},
		"tlp":             {types.StringType, enum(func(o any) string { return asIndicator(o).TLP })},
		"confidence":      {types.IntType, num(func(o any) int64 { return asIndicator(o).Confidence })},
		"threat_rating":   {types.IntType, num(func(o any) int64 { return asIndicator(o).ThreatRating })},
		"tags":            {stringListType, strs(func(o any) *[]string { return &asIndicator(o).Tags })},
		"description":     {types.StringType, str(func(o any) string { return asIndicator(o).Description })},
		"owner":           {types.StringType, str(func(o any) string { return asIndicator(o).Owner })},
		"attribution":     {types.StringType, enum(func(o any) string { return asIndicator(o).Attribution })},
		"source":          {types.StringType, enum(func(o any) string { return asIndicator(o).Source })},
		"first_seen":      {types.TimestampType, stamp(func(o any) time.Time { return asIndicator(o).FirstSeen })},
		"last_seen":       {types.TimestampType, stamp(func(o any) time.Time { return asIndicator(o).LastSeen })},
		"expires_at":      {types.TimestampType, stamp(func(o any) time.Time { return asIndicator(o).ExpiresAt })},
		"sightings":       {types.IntType, num(func(o any) int64 { return asIndicator(o).Sightings })},
		"false_positives": {types.IntType, num(func(o any) int64 { return asIndicator(o).FalsePositives })},
		"reporters":       {types.IntType, num(func(o any) int64 { return asIndicator(o).Reporters })},
		"weight": {types.DoubleType, func(_ *celProvider, o any) ref.Val {
			return types.Double(asIndicator(o).Weight)
		}},
		"warninglists":   {stringListType, strs(func(o any) *[]string { return &asIndicator(o).Warninglists })},
		"created_by_run": {types.StringType, str(func(o any) string { return asIndicator(o).CreatedByRun })},
	})
	p.add(eventType, map[string]*celField{
		"id":    {types.StringType, str(func(o any) string { return asEvent(o).ID })},
		"kind":  {types.StringType, enum(func(o any) string { return asEvent(o).Kind })},
		"org":   {types.StringType, str(func(o any) string { return asEvent(o).Org })},
		"depth": {types.IntType, num(func(o any) int64 { return int64(asEvent(o).Depth) })},
		"payload": {dynMapType, func(p *celProvider, o any) ref.Val {
			m := asEvent(o).Payload
			if m == nil {
				m = map[string]any{}
			}
			return types.NewStringInterfaceMap(p, m)
		}},
	})
	p.add(stepResultType, map[string]*celField{
		"status": {types.StringType, enum(func(o any) string { return asStepResult(o).Status })},
		"error":  {types.StringType, str(func(o any) string { return asStepResult(o).Error })},
		"output": {types.DynType, func(p *celProvider, o any) ref.Val {
			return p.NativeToValue(asStepResult(o).Output)
		}},
	})
	p.add(runInfoType, map[string]*celField{
		"id":         {types.StringType, str(func(o any) string { return asRunInfo(o).ID })},
		"playbook":   {types.StringType, str(func(o any) string { return asRunInfo(o).Playbook })},
		"version":    {types.IntType, num(func(o any) int64 { return asRunInfo(o).Version })},
		"org":        {types.StringType, str(func(o any) string { return asRunInfo(o).Org })},
		"started_at": {types.TimestampType, stamp(func(o any) time.Time { return asRunInfo(o).StartedAt })},
	})
	return p, nil
}

func (p *celProvider) add(t *types.Type, fields map[string]*celField) {
	o := &celObject{typ: t, fields: fields, ftypes: map[string]*types.FieldType{}}
	for name, f := range fields {
		o.names = append(o.names, name)
		f := f
		o.ftypes[name] = &types.FieldType{
			Type:    f.typ,
			IsSet:   func(obj any) bool { return true },
			GetFrom: func(obj any) (any, error) { return f.get(p, obj), nil },
		}
	}
	p.objects[t.TypeName()] = o
}

// FindStructType implements types.Provider.
func (p *celProvider) FindStructType(name string) (*types.Type, bool) {
	if o, ok := p.objects[name]; ok {
		return types.NewTypeTypeWithParam(o.typ), true
	}
	return p.Registry.FindStructType(name)
}

// FindStructFieldNames implements types.Provider.
func (p *celProvider) FindStructFieldNames(name string) ([]string, bool) {
	if o, ok := p.objects[name]; ok {
		return o.names, true
	}
	return p.Registry.FindStructFieldNames(name)
}

// FindStructFieldType implements types.Provider.
func (p *celProvider) FindStructFieldType(name, field string) (*types.FieldType, bool) {
	if o, ok := p.objects[name]; ok {
		ft, ok := o.ftypes[field]
		return ft, ok
	}
	return p.Registry.FindStructFieldType(name, field)
}

// NewValue implements types.Provider: playbook values cannot be constructed in CEL.
func (p *celProvider) NewValue(name string, fields map[string]ref.Val) ref.Val {
	if _, ok := p.objects[name]; ok {
		return types.NewErr("%s values cannot be constructed in an expression", name)
	}
	return p.Registry.NewValue(name, fields)
}

// NativeToValue implements types.Adapter for the playbook values.
func (p *celProvider) NativeToValue(v any) ref.Val {
	switch x := v.(type) {
	case ref.Val: // most field reads already return CEL values
		return x
	case *Indicator:
		if x == nil {
			return types.NullValue
		}
		return &celObj{p: p, o: p.objects[celIndicator], v: x}
	case Indicator:
		return &celObj{p: p, o: p.objects[celIndicator], v: &x}
	case *Event:
		if x == nil {
			return types.NullValue
		}
		return &celObj{p: p, o: p.objects[celEvent], v: x}
	case Event:
		return &celObj{p: p, o: p.objects[celEvent], v: &x}
	case StepResult:
		return &celObj{p: p, o: p.objects[celStepResult], v: x}
	case RunInfo:
		return &celObj{p: p, o: p.objects[celRunInfo], v: x}
	case []*Indicator:
		return types.NewDynamicList(p, x)
	case map[string]StepResult:
		return types.NewDynamicMap(p, x)
	case int:
		return types.Int(x)
	}
	return p.Registry.NativeToValue(v)
}

// celObj is a playbook value seen from CEL.
type celObj struct {
	p *celProvider
	o *celObject
	v any
}

var (
	_ ref.Val            = (*celObj)(nil)
	_ traits.Indexer     = (*celObj)(nil)
	_ traits.FieldTester = (*celObj)(nil)
)

func (c *celObj) ConvertToNative(t reflect.Type) (any, error) {
	if reflect.TypeOf(c.v) == t {
		return c.v, nil
	}
	if t.Kind() == reflect.Interface && reflect.TypeOf(c.v).Implements(t) {
		return c.v, nil
	}
	return nil, fmt.Errorf("playbooks: cannot convert %s to %v", c.o.typ.TypeName(), t)
}

func (c *celObj) ConvertToType(t ref.Type) ref.Val {
	switch {
	case t == types.TypeType:
		return c.o.typ
	case t.TypeName() == c.o.typ.TypeName():
		return c
	}
	return types.NewErr("type conversion error from %s to %s", c.o.typ.TypeName(), t.TypeName())
}

func (c *celObj) Equal(other ref.Val) ref.Val {
	o, ok := other.(*celObj)
	return types.Bool(ok && o.o == c.o && reflect.DeepEqual(o.v, c.v))
}

func (c *celObj) Type() ref.Type { return c.o.typ }

func (c *celObj) Value() any { return c.v }

// Get implements traits.Indexer for values whose static type is dyn (a loop's item).
func (c *celObj) Get(index ref.Val) ref.Val {
	name, ok := index.(types.String)
	if !ok {
		return types.NewErr("no such key: %v", index)
	}
	f, ok := c.o.fields[string(name)]
	if !ok {
		return types.NewErr("no such field %q on %s", string(name), c.o.typ.TypeName())
	}
	return f.get(c.p, c.v)
}

// IsSet implements traits.FieldTester.
func (c *celObj) IsSet(field ref.Val) ref.Val {
	name, ok := field.(types.String)
	if !ok {
		return types.False
	}
	_, ok = c.o.fields[string(name)]
	return types.Bool(ok)
}
