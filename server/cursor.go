package server

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strconv"
)

// Page is one page of a list. NextCursor is opaque: pass it back as ?cursor= to read the
// next page; it is empty on the last page.
type Page[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor,omitempty"`
}

// Pagination limits.
const (
	defaultLimit = 100
	maxLimit     = 1000
)

// cursorVersion tags cursors so a future format can refuse old ones clearly.
const cursorVersion = 1

type cursorBody struct {
	V int    `json:"v"`
	K string `json:"k"` // the position: the last key of the previous page
}

// encodeCursor makes an opaque cursor from a store position ("" → no cursor).
func encodeCursor(key string) string {
	if key == "" {
		return ""
	}
	b, _ := json.Marshal(cursorBody{V: cursorVersion, K: key})
	return base64.RawURLEncoding.EncodeToString(b)
}

// decodeCursor reads a cursor back into a store position.
func decodeCursor(c string) (string, error) {
	if c == "" {
		return "", nil
	}
	bad := kindBadRequest.new("the cursor is not one this server returned").withErrors(
		FieldError{Pointer: "?cursor", Detail: "pass next_cursor from the previous page unchanged"})
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return "", bad
	}
	var body cursorBody
	if json.Unmarshal(b, &body) != nil || body.V != cursorVersion || body.K == "" {
		return "", bad
	}
	return body.K, nil
}

// pageParams reads ?cursor= and ?limit=.
func pageParams(r *http.Request) (after string, limit int, err error) {
	q := r.URL.Query()
	after, err = decodeCursor(q.Get("cursor"))
	if err != nil {
		return "", 0, err
	}
	limit = defaultLimit
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > maxLimit {
			return "", 0, kindInvalid.new("limit must be an integer from 1 to %d", maxLimit).withErrors(
				FieldError{Pointer: "?limit", Detail: "want 1.." + strconv.Itoa(maxLimit) + ", got " + strconv.Quote(s)})
		}
		limit = n
	}
	return after, limit, nil
}
