package notifytest

import "net/http"

// Tianji (msgbyte/tianji, src/server/router/push.ts at 2ca6487f): an
// express router (pushRouter.all('/:pushToken')) answering with res.json,
// behind the app's cors() (Access-Control-Allow-Origin: *), compression()
// (Vary: Accept-Encoding on a compressible type; bodies this short are
// not compressed) and app.disable('x-powered-by') (src/server/app.ts).

// TianjiOK is the answer to a push with an active monitor's token:
// push.ts:70 (res.json({ok: true, message: 'Push received successfully'})).
func TianjiOK() Answer {
	return tianjiJSON(http.StatusOK, `{"ok":true,"message":"Push received successfully"}`)
}

// TianjiNotFound is the answer to an unknown or inactive token: push.ts:41
// throws Error('Monitor not found or not active'), which :76 answers with
// 404 {ok: false, error: String(err)}.
func TianjiNotFound() Answer {
	return tianjiJSON(http.StatusNotFound, `{"ok":false,"error":"Error: Monitor not found or not active"}`)
}

func tianjiJSON(status int, body string) Answer {
	return Answer{Status: status, Header: http.Header{
		"Access-Control-Allow-Origin": {"*"},
		"Vary":                        {"Accept-Encoding"},
		"Content-Type":                {"application/json; charset=utf-8"},
		"ETag":                        {ExpressETag(body)},
	}, Body: body}
}
