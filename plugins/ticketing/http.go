package main

import (
	"encoding/base64"
	"net/http"
	"time"
)

// retryWaitMin is the first backoff of the vendor backends (tests shorten it).
var retryWaitMin = 500 * time.Millisecond

func basic(user, pass string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
}

func header(kv ...string) http.Header {
	h := http.Header{}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] != "" {
			h.Set(kv[i], kv[i+1])
		}
	}
	return h
}
