package parse

import "fmt"

const ruleHTTPUnauthorized = "http-unauthorized"

func init() {
	Register(&Rule{
		ID:       ruleHTTPUnauthorized,
		Severity: Error,
		Title:    "the request was refused with 401: a missing or wrong token or password, and the batch is lost",
		Doc: "An HTTP input with credentials configured answers 401 Unauthorized to a request without them or with " +
			"other ones, and stores nothing: influxdb_v2_listener wants \"Authorization: Token <token>\" " +
			"(influxdb_v2_listener.go routes, internal/http.go GenericAuthHandler), influxdb_listener basic auth " +
			"(basic_username, basic_password) or a JWT signed with token_shared_secret (\"Authorization: Bearer …\", " +
			"internal/http.go JWTAuthHandler), http_listener_v2 basic auth (http_listener_v2.go authenticateIfSet). " +
			"The finding says whether credentials were sent at all; it never shows them.",
		Bad:   "POST /api/v2/write?org=o&bucket=b   (no Authorization header; the listener has token = \"…\")",
		Good:  "POST /api/v2/write?org=o&bucket=b\nAuthorization: Token <the listener's token>",
		Only:  Only{HTTP: true},
		Check: checkHTTPUnauthorized,
		Cases: []Case{
			{Name: "no token", HTTP: caseV2, Config: `token = "s3cret"`, Records: []Rec{{Query: "org=o&bucket=b", Data: "cpu usage=1\n"}}, Want: []Want{{"http-unauthorized", Error, 0}}},
			{Name: "a wrong token", HTTP: caseV2, Config: `token = "s3cret"`, Records: []Rec{{Query: "org=o&bucket=b", Header: []string{"Authorization: Token wrong"}, Data: "cpu usage=1\n"}}, Want: []Want{{"http-unauthorized", Error, 0}}},
			{Name: "no basic auth on http_listener_v2", HTTP: caseHTTPv2, Config: "data_format = \"influx\"\nbasic_username = \"u\"\nbasic_password = \"p\"", Records: []Rec{{Data: "cpu usage=1\n"}}, Want: []Want{{"http-unauthorized", Error, 0}}},
			{Name: "near miss: the right token", HTTP: caseV2, Config: `token = "s3cret"`, Records: []Rec{{Query: "org=o&bucket=b", Header: []string{"Authorization: Token s3cret"}, Data: "cpu usage=1\n"}}},
		},
	})
}

func checkHTTPUnauthorized(ctx *Context) {
	ex := ctx.Record.HTTP
	if ex == nil || ex.Status != 401 {
		return
	}
	opts := httpOptions(ctx)
	want := map[string]string{
		"token": "\"Authorization: Token <token>\" with the listener's token",
		"basic": "basic auth with the listener's basic_username and basic_password",
		"jwt":   "\"Authorization: Bearer <JWT>\", a JWT signed with the listener's token_shared_secret whose username is token_username",
	}[opts.Auth]
	if want == "" {
		want = "the credentials the listener is configured with"
	}
	sent := "no Authorization header was sent"
	if ex.Authorization {
		sent = "the Authorization header sent is not the one the listener takes (wrong token or password, or another scheme)"
	}
	msg := fmt.Sprintf("%s answered %s to %s: %s; it wants %s; the batch (%d bytes) was not stored",
		opts.Kind, answer(ex), requestLine(ex), sent, want, ex.RawSize)
	var fixes []string
	switch opts.Auth {
	case "token":
		fixes = append(fixes, "pass the listener's token to the client: token=… in influxdb-client-python and -go, or the header \"Authorization: Token <token>\"")
	case "basic":
		fixes = append(fixes, "send basic auth with the listener's basic_username and basic_password (influxdb-python: username=…, password=…)")
	case "jwt":
		fixes = append(fixes, "send \"Authorization: Bearer <JWT>\" signed (HS256) with token_shared_secret, with the claims username = token_username and exp")
	}
	if !ctx.settings().origin.Flags {
		fixes = append(fixes, "or, for a test, remove the credentials from "+ctx.settings().table())
	}
	ctx.Report(msg, Position{}, fixes...)
}
