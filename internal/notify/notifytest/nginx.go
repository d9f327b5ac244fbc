package notifytest

import (
	"fmt"
	"net/http"
)

// NginxError is the error page of an nginx reverse proxy in front of a
// push service (its upstream down: 502, 503, 504; or 500), with
// server_tokens off: nginx src/http/ngx_http_special_response.c,
// ngx_http_error_50x_page followed by ngx_http_error_tail, served as
// "text/html" with "Server: nginx". A push service itself never answers
// 5xx for a push (Kuma and Tianji answer 404 for every error, Gatus and
// Peekaping 500 only when their store fails); a proxy does.
func NginxError(status int) Answer {
	title := fmt.Sprintf("%d %s", status, http.StatusText(status))
	switch status {
	case http.StatusServiceUnavailable:
		title = "503 Service Temporarily Unavailable"
	case http.StatusGatewayTimeout:
		title = "504 Gateway Time-out"
	}
	body := "<html>\r\n<head><title>" + title + "</title></head>\r\n<body>\r\n<center><h1>" + title + "</h1></center>\r\n" +
		"<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
	return Answer{Status: status, Header: http.Header{"Server": {"nginx"}, "Content-Type": {"text/html"}}, Body: body}
}
