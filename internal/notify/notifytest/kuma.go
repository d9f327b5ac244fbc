package notifytest

import (
	"crypto/sha1"
	"encoding/base64"
	"fmt"
	"html"
	"net/http"
)

// Uptime Kuma 2.0.0-dev.0 (the npm package scripts/install-kuma.sh
// installs; express 4.17.3, finalhandler 1.1.2, etag 1.8.1). Each answer
// below was also captured from that Kuma with curl -i, and matches.

// KumaOK is Kuma's answer to a push with a known token:
// server/routers/api-router.js:96 (response.json({ok: true})).
func KumaOK() Answer { return kumaJSON(http.StatusOK, `{"ok":true}`) }

// KumaNotFound is Kuma's answer to an unknown or paused monitor's token:
// server/routers/api-router.js:51 throws "Monitor not found or not
// active.", which :105 answers with 404 {ok: false, msg}.
func KumaNotFound() Answer {
	return kumaJSON(http.StatusNotFound, `{"ok":false,"msg":"Monitor not found or not active."}`)
}

// KumaPage is Kuma's web page, which it serves with 200 for any other GET,
// /api/push/<token>/ with its trailing slash included: server/server.js:292
// (app.get("*") sends dist/index.html). The body is abridged to the page's
// head; the whole page (1953 bytes) is what e2e/kuma_test.go's wrong_urls
// case meets from a real Kuma.
func KumaPage() Answer {
	body := "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n    <meta charset=\"UTF-8\" />\n" +
		"    <title>Uptime Kuma</title>\n</head>\n<body>\n<div id=\"app\"></div>\n</body>\n</html>\n"
	return kumaAnswer(http.StatusOK, "text/html; charset=utf-8", body)
}

// KumaCannot is Kuma's answer to a method its push route does not take
// (POST, PUT, ...): express's default 404 page, finalhandler/index.js:43
// (createHtmlDocument) with the headers of :285-:290, after Kuma's own
// X-Frame-Options (server/server.js:170).
func KumaCannot(method, path string) Answer {
	body := "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>Error</title>\n</head>\n<body>\n" +
		"<pre>Cannot " + html.EscapeString(method+" "+path) + "</pre>\n</body>\n</html>\n"
	return Answer{Status: http.StatusNotFound, Header: http.Header{
		"X-Frame-Options":         {"SAMEORIGIN"},
		"Content-Security-Policy": {"default-src 'none'"},
		"X-Content-Type-Options":  {"nosniff"},
		"Content-Type":            {"text/html; charset=utf-8"},
	}, Body: body}
}

// kumaJSON is express's res.json as Kuma sends it.
func kumaJSON(status int, body string) Answer {
	return kumaAnswer(status, "application/json; charset=utf-8", body)
}

// kumaAnswer carries Kuma's global X-Frame-Options (server/server.js:170,
// which also drops X-Powered-By) and express's weak ETag.
func kumaAnswer(status int, contentType, body string) Answer {
	return Answer{Status: status, Header: http.Header{
		"X-Frame-Options": {"SAMEORIGIN"},
		"Content-Type":    {contentType},
		"ETag":            {ExpressETag(body)},
	}, Body: body}
}

// ExpressETag is the weak ETag express puts on a body it sends:
// etag/index.js:39 (entitytag): W/"<length in hex>-<base64 SHA-1, 27 chars>".
func ExpressETag(body string) string {
	sum := sha1.Sum([]byte(body))
	return fmt.Sprintf(`W/"%x-%s"`, len(body), base64.StdEncoding.EncodeToString(sum[:])[:27])
}
