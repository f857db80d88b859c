package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
)

// decodeJSON reads the body of r into v strictly: the content type must be JSON, unknown
// fields are refused, exactly one value is allowed, and the size limit set by the route
// wrapper applies. Its errors are problems naming what to fix.
func decodeJSON(r *http.Request, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
			return kindMediaType.new("send Content-Type: application/json, not %q", ct)
		}
	}
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonProblem(err)
	}
	var extra json.RawMessage
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		if err != nil {
			return jsonProblem(err)
		}
		return kindBadRequest.new("the body holds more than one JSON value")
	}
	return nil
}

// jsonProblem turns an encoding/json or body-size error into a problem that says where.
func jsonProblem(err error) *Problem {
	var (
		syn   *json.SyntaxError
		typ   *json.UnmarshalTypeError
		large *http.MaxBytesError
	)
	switch {
	case errors.As(err, &large):
		return kindTooLarge.new("the body is larger than %d bytes: split it into smaller requests", large.Limit)
	case errors.Is(err, io.EOF):
		return kindBadRequest.new("the body is empty: send a JSON object")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return kindBadRequest.new("the body ends in the middle of a JSON value")
	case errors.As(err, &syn):
		return kindBadRequest.new("malformed JSON at byte %d: %s", syn.Offset, syn.Error())
	case errors.As(err, &typ):
		ptr := "/" + strings.ReplaceAll(typ.Field, ".", "/")
		if typ.Field == "" {
			ptr = ""
		}
		return kindInvalid.new("a field has the wrong type").withErrors(FieldError{Pointer: ptr,
			Detail: fmt.Sprintf("want %s, got JSON %s", jsonTypeName(typ.Type.Kind().String()), typ.Value)})
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return kindInvalid.new("unknown field %q", name).withErrors(FieldError{Pointer: "/" + name,
			Detail: "no such field: check the spelling against the OpenAPI document"})
	}
	return kindBadRequest.new("malformed JSON: %s", err.Error())
}

func jsonTypeName(kind string) string {
	switch kind {
	case "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64":
		return "an integer"
	case "float32", "float64":
		return "a number"
	case "string":
		return "a string"
	case "bool":
		return "true or false"
	case "slice", "array":
		return "an array"
	case "map", "struct":
		return "an object"
	}
	return kind
}

// writeJSON sends v with the status.
func writeJSON(w http.ResponseWriter, status int, v any) error {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}
