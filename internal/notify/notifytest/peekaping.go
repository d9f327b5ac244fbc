package notifytest

import (
	"encoding/json"
	"net/http"
)

// Peekaping (0xfurai/peekaping,
// apps/server/internal/modules/healthcheck/push_handler.go at c547c5b4): a
// gin handler that answers with ctx.JSON, which sends json.Marshal's bytes
// (no newline) as "application/json; charset=utf-8" (gin render/json.go).

// PeekapingOK is the answer to a push with a known, active monitor's
// token: push_handler.go:135 (ctx.JSON(200, gin.H{"ok": "true"}), a
// string).
func PeekapingOK() Answer { return peekapingJSON(http.StatusOK, `{"ok":"true"}`) }

// PeekapingNotFound is the answer to an unknown token: push_handler.go:66
// and :71 (404, utils.NewFailResponse("Monitor not found for pushToken")).
func PeekapingNotFound() Answer {
	return PeekapingFail(http.StatusNotFound, "Monitor not found for pushToken")
}

// PeekapingFail is utils.NewFailResponse(msg) under status: the
// ApiResponse {message, data: nil} of the server's utils package, e.g.
// (400, "Monitor is not active") push_handler.go:76, (500, "Failed to
// process push heartbeat") :131.
func PeekapingFail(status int, msg string) Answer {
	b, _ := json.Marshal(struct {
		Message string `json:"message"`
		Data    any    `json:"data"`
	}{msg, nil})
	return peekapingJSON(status, string(b))
}

func peekapingJSON(status int, body string) Answer {
	return Answer{Status: status, Header: http.Header{"Content-Type": {"application/json; charset=utf-8"}}, Body: body}
}
