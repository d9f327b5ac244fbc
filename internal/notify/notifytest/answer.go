// Package notifytest answers as the real push services answer, byte for
// byte: status, headers (Content-Type too) and body, each answer citing the
// line of the server's source it copies. Tests of internal/notify, of the
// command and of e2e/faults stand these answers up in place of the real
// servers, so that ntphealth is judged against what the services send and
// not against what Go's http.Error would send.
//
// Date and Connection are left to the Go server, which adds them as the
// real ones do; every other header is set here.
package notifytest

import (
	"net/http"
	"strconv"
)

// Answer is one HTTP answer.
type Answer struct {
	Status int
	// Header holds each header as the server spells it on the wire
	// ("ETag", not Go's "Etag"); Content-Length is added by Write.
	Header http.Header
	Body   string
}

// Write sends a to w.
func (a Answer) Write(w http.ResponseWriter) {
	h := w.Header()
	for k, vs := range a.Header {
		h[k] = append([]string(nil), vs...)
	}
	h["Content-Length"] = []string{strconv.Itoa(len(a.Body))}
	w.WriteHeader(a.Status)
	w.Write([]byte(a.Body))
}

// ServeHTTP answers every request with a.
func (a Answer) ServeHTTP(w http.ResponseWriter, _ *http.Request) { a.Write(w) }
