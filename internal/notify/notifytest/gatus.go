package notifytest

import "net/http"

// Gatus (TwiN/gatus, api/external_endpoint.go at 7c0d681d): a fiber
// handler that answers every case with c.Status(n).SendString(text).
// SendString sets no Content-Type, so fasthttp sends its default
// "text/plain; charset=utf-8" (valyala/fasthttp strings.go,
// defaultContentType); fiber sends no Server header.

// GatusOK is the answer to an accepted result: external_endpoint.go:90
// (c.Status(200).SendString("")).
func GatusOK() Answer { return Gatus(http.StatusOK, "") }

// Gatus is one of the handler's other answers, e.g. (400, "missing or
// invalid success query parameter") :24, (401, "invalid Authorization
// header") :29, (401, "bearer token must not be empty") :33, (404, "not
// found") :39, (401, "invalid token") :43, (400, "invalid duration: "+err)
// :55.
func Gatus(status int, text string) Answer {
	return Answer{Status: status, Header: http.Header{"Content-Type": {"text/plain; charset=utf-8"}}, Body: text}
}
