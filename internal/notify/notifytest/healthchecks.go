package notifytest

import (
	"net/http"
	"time"
)

// Healthchecks (healthchecks/healthchecks, hc/api/views.py at 638d11c9):
// its ping view answers through Django's HttpResponse, whose default
// Content-Type is "text/html; charset=utf-8" (django/http/response.py:57,
// DEFAULT_CONTENT_TYPE and DEFAULT_CHARSET), even for the plain "OK". The
// view is wrapped in @never_cache (views.py:164), and Healthchecks runs
// Django's SecurityMiddleware and XFrameOptionsMiddleware (hc/settings.py
// MIDDLEWARE), which add the headers below with Django's defaults. Not
// captured from a running Healthchecks: it is a Django application that
// no package registry reachable here ships. The same view under the same
// middleware, served by Debian's Django 3.2, sent these headers but
// Cross-Origin-Opener-Policy, which SecurityMiddleware sends from Django
// 4.0 on (Healthchecks needs Django 5).

// HealthchecksOK is the answer to a ping of a known check, on its success,
// /fail and /start URLs alike: views.py:208 (HttpResponse("OK")), :210
// (Ping-Body-Limit, PING_BODY_LIMIT defaults to 10000) and :211.
func HealthchecksOK() Answer {
	a := django(http.StatusOK, "OK")
	a.Header["Ping-Body-Limit"] = []string{"10000"}
	a.Header["Access-Control-Allow-Origin"] = []string{"*"}
	return a
}

// HealthchecksNotFound is the answer to an unknown UUID: views.py:176
// (HttpResponseNotFound("not found")), and to an unknown slug (:228).
func HealthchecksNotFound() Answer { return django(http.StatusNotFound, "not found") }

// HealthchecksAmbiguous is the answer to a slug that names two checks:
// views.py:239 (HttpResponse("ambiguous slug", status=409)).
func HealthchecksAmbiguous() Answer { return django(http.StatusConflict, "ambiguous slug") }

// HealthchecksPage is a page of Healthchecks' web site served with 200,
// what a URL copied from the browser's address bar instead of the check's
// ping URL leads to (after the redirect to the log-in page). The body is
// abridged to an HTML document's frame.
func HealthchecksPage() Answer {
	return django(http.StatusOK, "<!doctype html>\n<html lang=\"en\">\n<head>\n<title>Log In - Healthchecks</title>\n</head>\n<body>\n</body>\n</html>\n")
}

// django is an HttpResponse from a @never_cache view after Django's
// middleware: never_cache's headers (django/utils/cache.py,
// add_never_cache_headers: Expires now, max-age=0 first), SecurityMiddleware's
// nosniff, Referrer-Policy and Cross-Origin-Opener-Policy defaults, and
// XFrameOptionsMiddleware's DENY.
func django(status int, body string) Answer {
	return Answer{Status: status, Header: http.Header{
		"Content-Type":               {"text/html; charset=utf-8"},
		"Expires":                    {time.Now().UTC().Format(http.TimeFormat)},
		"Cache-Control":              {"max-age=0, no-cache, no-store, must-revalidate, private"},
		"X-Content-Type-Options":     {"nosniff"},
		"Referrer-Policy":            {"same-origin"},
		"Cross-Origin-Opener-Policy": {"same-origin"},
		"X-Frame-Options":            {"DENY"},
	}, Body: body}
}
