package server

import (
	"encoding/json"
	"net/http"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// The OpenAPI 3.1 document is built from the route table and the Go types of each route's
// body and response, by reflection: a documented field is a field the handler decodes.

var pathParam = regexp.MustCompile(`\{([a-zA-Z_][a-zA-Z0-9_]*)(\.\.\.)?\}`)

// openAPI builds the document for the routes.
func openAPI(routes []route, version string) map[string]any {
	g := &schemaGen{components: map[string]any{}}
	g.components["Problem"] = g.structSchema(reflect.TypeOf(Problem{}))
	paths := map[string]any{}
	for _, rt := range routes {
		item, _ := paths[oaPath(rt.Pattern)].(map[string]any)
		if item == nil {
			item = map[string]any{}
			paths[oaPath(rt.Pattern)] = item
		}
		item[strings.ToLower(rt.Method)] = g.operation(rt)
	}
	kinds := make([]any, 0, len(problemKinds))
	for _, k := range problemKinds {
		kinds = append(kinds, map[string]any{"type": ProblemBase + k.slug, "status": k.status, "title": k.title})
	}
	return map[string]any{
		"openapi": "3.1.0",
		"info": map[string]any{
			"title":       "Rampart API",
			"version":     version,
			"description": "Shared threat intelligence and the playbooks that act on it. Errors are RFC 9457 problem documents (application/problem+json); lists are paginated with opaque cursors.",
		},
		"paths": paths,
		"components": map[string]any{
			"schemas": g.components,
			"securitySchemes": map[string]any{
				"bearer": map[string]any{"type": "http", "scheme": "bearer", "description": "An API token; `rampart serve` prints the first one."},
			},
		},
		"x-problem-types": kinds,
	}
}

// oaPath turns a Go pattern path into an OpenAPI path: {name...} becomes {name}.
func oaPath(p string) string { return pathParam.ReplaceAllString(p, "{$1}") }

func operationID(rt route) string {
	id := strings.ToLower(rt.Method) + strings.NewReplacer("/api/v1", "", "{", "", "}", "", "...", "", ".", "_", "-", "_").Replace(rt.Pattern)
	return strings.Trim(strings.ReplaceAll(id, "/", "_"), "_")
}

func (g *schemaGen) operation(rt route) map[string]any {
	op := map[string]any{
		"operationId": operationID(rt),
		"summary":     rt.Summary,
		"tags":        []string{rt.Tag},
	}
	if rt.Doc != "" {
		op["description"] = rt.Doc
	}
	var params []any
	for _, m := range pathParam.FindAllStringSubmatch(rt.Pattern, -1) {
		params = append(params, map[string]any{"name": m[1], "in": "path", "required": true, "schema": map[string]any{"type": "string"}})
	}
	for _, q := range rt.Query {
		s := map[string]any{"type": q.Type}
		if len(q.Enum) > 0 {
			s["enum"] = q.Enum
		}
		params = append(params, map[string]any{"name": q.Name, "in": "query", "description": q.Description, "schema": s})
	}
	if len(params) > 0 {
		op["parameters"] = params
	}
	if rt.Body != nil {
		bt := rt.BodyType
		if bt == "" {
			bt = "application/json"
		}
		op["requestBody"] = map[string]any{"required": true, "content": map[string]any{bt: map[string]any{"schema": g.schema(reflect.TypeOf(rt.Body))}}}
	}
	status := rt.Status
	if status == 0 {
		status = http.StatusOK
	}
	ok := map[string]any{"description": http.StatusText(status)}
	if rt.Response != nil {
		rtp := rt.RespType
		if rtp == "" {
			rtp = "application/json"
		}
		ok["content"] = map[string]any{rtp: map[string]any{"schema": g.schema(reflect.TypeOf(rt.Response))}}
	}
	responses := map[string]any{strconv.Itoa(status): ok}
	problem := func(code int, why string) {
		responses[strconv.Itoa(code)] = map[string]any{"description": why,
			"content": map[string]any{"application/problem+json": map[string]any{"schema": map[string]any{"$ref": "#/components/schemas/Problem"}}}}
	}
	if rt.Access == authenticated {
		op["security"] = []any{map[string]any{"bearer": []string{}}}
		problem(http.StatusUnauthorized, "no valid token")
		if rt.Perm != "" {
			problem(http.StatusForbidden, "the token's roles lack "+string(rt.Perm))
		}
	}
	if rt.Body != nil {
		problem(http.StatusBadRequest, "malformed body")
		problem(http.StatusRequestEntityTooLarge, "body too large")
		problem(http.StatusUnsupportedMediaType, "body is not JSON")
		problem(http.StatusUnprocessableEntity, "invalid values, with per-field errors")
	}
	if len(rt.Query) > 0 {
		problem(http.StatusBadRequest, "bad query parameter")
	}
	for _, code := range rt.problemsFor {
		problem(code, http.StatusText(code))
	}
	problem(http.StatusInternalServerError, "the server failed")
	op["responses"] = responses
	return op
}

// schemaGen makes JSON Schemas (2020-12, as OpenAPI 3.1 uses) from Go types; named structs
// become components.
type schemaGen struct{ components map[string]any }

var timeType = reflect.TypeOf(time.Time{})

func (g *schemaGen) schema(t reflect.Type) map[string]any {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t == timeType:
		return map[string]any{"type": "string", "format": "date-time"}
	case t == reflect.TypeOf(json.RawMessage(nil)):
		return map[string]any{}
	}
	switch t.Kind() {
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return map[string]any{"type": "integer"}
	case reflect.Float32, reflect.Float64:
		return map[string]any{"type": "number"}
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			return map[string]any{"type": "string", "contentEncoding": "base64"}
		}
		return map[string]any{"type": "array", "items": g.schema(t.Elem())}
	case reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": g.schema(t.Elem())}
	case reflect.Interface:
		return map[string]any{}
	case reflect.Struct:
		name := schemaName(t)
		if _, ok := g.components[name]; !ok {
			g.components[name] = map[string]any{} // placeholder: breaks recursion
			g.components[name] = g.structSchema(t)
		}
		return map[string]any{"$ref": "#/components/schemas/" + name}
	}
	return map[string]any{}
}

func (g *schemaGen) structSchema(t reflect.Type) map[string]any {
	props := map[string]any{}
	var required []string
	g.fields(t, props, &required)
	sort.Strings(required)
	s := map[string]any{"type": "object", "properties": props, "additionalProperties": false}
	if len(required) > 0 {
		s["required"] = required
	}
	return s
}

func (g *schemaGen) fields(t reflect.Type, props map[string]any, required *[]string) {
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				g.fields(ft, props, required)
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		s := g.schema(f.Type)
		if d := f.Tag.Get("doc"); d != "" {
			if _, isRef := s["$ref"]; isRef {
				s = map[string]any{"allOf": []any{s}, "description": d}
			} else {
				s["description"] = d
			}
		}
		props[name] = s
		if !strings.Contains(opts, "omitempty") && !strings.Contains(opts, "omitzero") && f.Type.Kind() != reflect.Pointer {
			*required = append(*required, name)
		}
	}
}

// schemaName names a struct's component: its type name, with a generic's arguments folded
// in (Page[server.Indicator] → IndicatorPage).
func schemaName(t reflect.Type) string {
	n := t.Name()
	if i := strings.IndexByte(n, '['); i >= 0 {
		base, arg := n[:i], strings.TrimSuffix(n[i+1:], "]")
		if j := strings.LastIndexAny(arg, "./"); j >= 0 {
			arg = arg[j+1:]
		}
		return arg + base
	}
	return n
}
