package runner

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"github.com/trama-dev/trama/arazzo/expr"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/trama-dev/trama/arazzo"
	"github.com/trama-dev/trama/openapi"
	"github.com/trama-dev/trama/secret"
)

// requestData is what `$url`, `$method` and `$request.*` read.
type requestData struct {
	method string
	url    string
	header http.Header
	query  url.Values
	path   map[string]string
	body   any
}

// responseData is what `$statusCode` and `$response.*` read.
type responseData struct {
	status int
	header http.Header
	body   any // decoded JSON (json.Number numbers), or the text
}

// attempt runs one attempt of a step: a call to an operation or to another workflow, then its success
// criteria and, on success, its outputs. The error is non-nil only when the run must stop (cancelled,
// checkpoint store failing); everything else is a failed outcome.
func (x *execution) attempt(ctx context.Context, st *wfState, step *arazzo.Step, seq, attempt int) (*outcome, error) {
	if step.WorkflowID != "" {
		return x.attemptWorkflow(ctx, st, step)
	}
	if ra, err := x.r.bundle.ResolveAsync(st.doc, step); ra != nil || err != nil {
		return x.attemptAsync(ctx, st, step, ra, err, seq, attempt)
	}
	start, waitedBefore := x.r.opts.now(), x.waited
	elapsed := func() time.Duration { return x.r.opts.now().Sub(start) - (x.waited - waitedBefore) }
	sc := &scope{x: x, st: st, stepID: step.StepID, ctx: ctx}
	out := &outcome{sc: sc}
	fail := func(format string, args ...any) (*outcome, error) {
		out.msg = fmt.Sprintf(format, args...)
		out.result.Duration = elapsed()
		out.result.DurationMs = ms(out.result.Duration)
		return out, ctx.Err()
	}

	resolved, err := x.r.bundle.ResolveOperation(st.doc, step)
	if err != nil {
		return fail("%v", err)
	}
	op := resolved.Op
	base, err := x.r.serverURL(resolved)
	if err != nil {
		return fail("%v", err)
	}
	req := &requestData{method: op.Method, header: http.Header{}, query: url.Values{}, path: map[string]string{}}
	sc.req = req
	auth := x.authFor(resolved, base)

	params, err := x.effectiveParameters(st, step)
	if err != nil {
		return fail("%v", err)
	}
	path := op.Path
	var query, cookies []string
	for _, p := range params {
		if auth.replaces(p) {
			// The credential sets this header; the step's value is neither evaluated nor sent.
			auth.replaced = true
			continue
		}
		if p.In != "path" && x.absentOptional(st, p.Value) {
			continue
		}
		v, err := x.evalValue(ctx, p.Value, sc)
		if err != nil {
			return fail("parameter %q (%s): %v", p.Name, p.In, err)
		}
		spec := operationParameter(op, p.Name, p.In)
		switch p.In {
		case "path":
			text, err := spec.SerializePath(v)
			if err != nil {
				return fail("path parameter %q: %v", p.Name, err)
			}
			if !strings.Contains(path, "{"+p.Name+"}") {
				return fail("path parameter %q: the path %s has no {%s}", p.Name, op.Path, p.Name)
			}
			path = strings.ReplaceAll(path, "{"+p.Name+"}", text)
			req.path[p.Name], _ = scalarText(v)
		case "query":
			text, err := spec.SerializeQuery(v)
			if err != nil {
				return fail("query parameter %q: %v", p.Name, err)
			}
			if text != "" {
				query = append(query, text)
			}
			s, _ := scalarText(v)
			req.query.Add(p.Name, s)
		case "header":
			text, err := spec.SerializeHeader(v)
			if err != nil {
				return fail("header %q: %v", p.Name, err)
			}
			req.header.Set(p.Name, text)
			if isCredentialHeader(p.Name) {
				x.rememberCredential(text)
			}
		case "querystring":
			// Arazzo 1.1 (OpenAPI 3.2): the value is the whole query string, "a=1&b=2", sent as it is
			// after any query parameters.
			text, ok := v.(string)
			if !ok {
				return fail("parameter %q (querystring): the value must be a string such as \"a=1&b=2\", not %T", p.Name, v)
			}
			if text = strings.TrimPrefix(text, "?"); text != "" {
				query = append(query, text)
				if parsed, err := url.ParseQuery(text); err == nil {
					for k, vs := range parsed {
						req.query[k] = append(req.query[k], vs...)
					}
				}
			}
		case "cookie":
			text, err := spec.SerializeCookie(v)
			if err != nil {
				return fail("cookie %q: %v", p.Name, err)
			}
			cookies = append(cookies, text)
			x.rememberCredential(text)
		default:
			return fail("parameter %q has `in: %s`; an operation step takes path, query, querystring, header or cookie", p.Name, p.In)
		}
	}
	if i := strings.Index(path, "{"); i >= 0 {
		if j := strings.Index(path[i:], "}"); j > 0 {
			return fail("path parameter %q has no value: add it to the step's parameters", path[i+1:i+j])
		}
	}
	if len(cookies) > 0 {
		req.header.Set("Cookie", strings.Join(cookies, "; "))
	}
	req.url = joinURL(base, path, strings.Join(query, "&"))

	var body []byte
	if rb := step.RequestBody; rb != nil {
		contentType := rb.ContentType
		if contentType == "" && op.RequestBody != nil && len(op.RequestBody.ContentTypes) > 0 {
			contentType = op.RequestBody.ContentTypes[0]
		}
		payload, err := x.evalValue(ctx, rb.Payload, sc)
		if err != nil {
			return fail("request body: %v", err)
		}
		if len(rb.Replacements) > 0 {
			payload = replaceable(payload, contentType)
			for _, rep := range rb.Replacements {
				payload, err = x.replace(ctx, payload, rep, mediaTypeOf(contentType), sc)
				if err != nil {
					return fail("request body replacement %q: %v", rep.Target, err)
				}
			}
		}
		req.body = payload
		var finalType string
		body, finalType, err = encodeBody(contentType, payload)
		if err != nil {
			return fail("request body: %v", err)
		}
		req.header.Set("Content-Type", finalType)
	}
	if req.header.Get("User-Agent") == "" {
		ua := x.r.opts.UserAgent
		if ua == "" {
			ua = "trama"
		}
		req.header.Set("User-Agent", ua)
	}
	out.result.Request = &RequestInfo{Method: req.method, URL: secret.RedactURL(req.url, x.secrets), Auth: auth.describe()}

	if g := x.guard; g != nil {
		safe, _ := step.Extensions["x-trama-resend"].(bool)
		if err := g.Sending(ctx, Sending{Seq: seq, WorkflowID: st.wf.WorkflowID, StepID: step.StepID, Attempt: attempt,
			Method: req.method, URL: out.result.Request.URL, SafeToResend: safe}); err != nil {
			return out, &checkpointError{err}
		}
	}
	resp, respBody, err := x.send(ctx, st, step, attempt, req, body, auth)
	out.result.Duration = elapsed()
	out.result.DurationMs = ms(out.result.Duration)
	var fenced *checkpointError
	if errors.As(err, &fenced) {
		return out, fenced
	}
	if err != nil {
		if ctx.Err() != nil {
			return out, ctx.Err()
		}
		out.msg = fmt.Sprintf("%s %s: %v", req.method, out.result.Request.URL, x.secrets.Redact(err.Error()))
		return out, nil
	}
	out.resp = resp
	sc.resp = &responseData{status: resp.StatusCode, header: resp.Header, body: decodeBody(resp.Header.Get("Content-Type"), respBody)}
	out.result.Response = &ResponseInfo{StatusCode: resp.StatusCode}

	ok, notes := x.checkSuccess(ctx, step, sc)
	out.result.Criteria = notes
	if !ok {
		out.msg = failureMessage(resp.StatusCode, notes, sc.resp.body)
		if why := auth.explain(resp); why != "" {
			out.msg += " (" + why + ")"
		}
		return out, ctx.Err()
	}
	return x.stepOutputs(ctx, step, sc, out)
}

// attemptWorkflow runs a step that calls another workflow: its parameters become that workflow's inputs,
// and `$outputs.x` in the step's outputs reads that workflow's outputs.
func (x *execution) attemptWorkflow(ctx context.Context, st *wfState, step *arazzo.Step) (*outcome, error) {
	start := x.r.opts.now()
	sc := &scope{x: x, st: st, stepID: step.StepID, ctx: ctx}
	out := &outcome{sc: sc}
	finish := func() {
		out.result.Duration = x.r.opts.now().Sub(start)
		out.result.DurationMs = ms(out.result.Duration)
	}
	tdoc, twf, err := x.r.lookupWorkflow(st.doc, step.WorkflowID)
	if err != nil {
		out.msg = err.Error()
		finish()
		return out, nil
	}
	params, err := x.effectiveParameters(st, step)
	if err != nil {
		out.msg = err.Error()
		finish()
		return out, nil
	}
	inputs := make(map[string]any, len(params))
	for _, p := range params {
		if p.In != "" {
			continue // workflow-level parameters meant for operations do not become inputs
		}
		v, err := x.evalValue(ctx, p.Value, sc)
		if err != nil {
			out.msg = fmt.Sprintf("parameter %q: %v", p.Name, err)
			finish()
			return out, ctx.Err()
		}
		inputs[p.Name] = v
	}
	schema, err := x.r.inputSchema(tdoc, twf)
	if err != nil {
		out.msg = err.Error()
		finish()
		return out, nil
	}
	schema.applyDefaults(inputs)
	x.rememberSecretInputs(schema, inputs)
	if problems := schema.validate(inputs, func(string) bool { return x.provider != nil }); len(problems) > 0 {
		out.msg = (&InputError{WorkflowID: twf.WorkflowID, Problems: problems}).Error()
		finish()
		return out, nil
	}
	sub, err := x.runWorkflow(ctx, tdoc, twf, inputs)
	finish()
	if err != nil {
		if _, ok := err.(*stepFailure); !ok {
			return nil, err
		}
		out.msg = fmt.Sprintf("workflow %q failed: %v", twf.WorkflowID, err)
		return out, nil
	}
	sc.subOutputs = sub.outputs
	if len(step.SuccessCriteria) > 0 {
		ok, notes := x.checkSuccess(ctx, step, sc)
		out.result.Criteria = notes
		if !ok {
			out.msg = failureMessage(0, notes, nil)
			return out, ctx.Err()
		}
	}
	return x.stepOutputs(ctx, step, sc, out)
}

// stepOutputs evaluates a successful step's outputs. An output whose value does not exist in the
// response (a search that found nothing, captured as $response.body#/0/id) is left unset and noted, and
// the step's actions still decide what happens next: the Arazzo specification is silent here, and the
// catalog guards exactly this case with a criteria-guarded end action that could never run if the step
// failed first. An expression that is wrong in any other way fails the step. Using an unset output later
// is an error that names it (see scope.Resolve).
func (x *execution) stepOutputs(ctx context.Context, step *arazzo.Step, sc *scope, out *outcome) (*outcome, error) {
	outputs := make(map[string]any, len(step.Outputs))
	for _, name := range sortedKeys(step.Outputs) {
		v, err := x.evalValue(ctx, step.Outputs[name], sc)
		if errors.Is(err, expr.ErrNotFound) {
			if out.result.UnsetOutputs == nil {
				out.result.UnsetOutputs = map[string]string{}
			}
			out.result.UnsetOutputs[name] = x.secrets.Redact(err.Error())
			continue
		}
		if err != nil {
			out.msg = fmt.Sprintf("output %q: %v", name, err)
			return out, ctx.Err()
		}
		outputs[name] = v
	}
	out.outputs = outputs
	out.success = true
	return out, nil
}

// send performs the HTTP exchange with the per-request timeout, reads the response body (up to the
// limit) and tells the observer. With a credential, a request its authenticator wants retried (a DPoP
// nonce challenge, a token refused as expired: the server did not act on it) is sent once more,
// authenticated again; the observer sees both exchanges.
func (x *execution) send(ctx context.Context, st *wfState, step *arazzo.Step, attempt int, rd *requestData, body []byte, auth *stepAuth) (*http.Response, []byte, error) {
	rctx, cancel := context.WithTimeout(ctx, x.r.opts.requestTimeout())
	defer cancel()
	for try := 0; ; try++ {
		var rdr io.Reader
		if body != nil {
			rdr = bytes.NewReader(body)
		}
		req, err := http.NewRequestWithContext(rctx, rd.method, rd.url, rdr)
		if err != nil {
			return nil, nil, fmt.Errorf("build request: %w", err)
		}
		for k, v := range rd.header {
			req.Header[k] = v
		}
		if err := x.authenticate(rctx, auth, req); err != nil {
			return nil, nil, err
		}
		if x.guard != nil {
			if err := x.guard.Fence(); err != nil {
				return nil, nil, &checkpointError{err}
			}
		}
		start := x.r.opts.now()
		resp, err := x.r.client.Do(req)
		var respBody []byte
		if err == nil {
			limit := x.r.opts.maxResponseBytes()
			respBody, err = io.ReadAll(io.LimitReader(resp.Body, limit+1))
			resp.Body.Close()
			if err == nil && int64(len(respBody)) > limit {
				err = fmt.Errorf("response body exceeds %d bytes", limit)
			}
		}
		if obs := x.obs; obs != nil {
			obs.Exchange(Exchange{
				WorkflowID: st.wf.WorkflowID, StepID: step.StepID, Attempt: attempt,
				Start: start, Duration: x.r.opts.now().Sub(start),
				Request: req, RequestBody: body, Response: resp, ResponseBody: respBody, Err: err,
			})
		}
		if err != nil {
			return nil, nil, err
		}
		if auth != nil && try == 0 && auth.a.Retry(resp) {
			continue
		}
		return resp, respBody, nil
	}
}

// effectiveParameters are the parameters a step sends: the workflow's, overridden by the step's own with
// the same (name, in), Reusable Objects resolved.
func (x *execution) effectiveParameters(st *wfState, step *arazzo.Step) ([]*arazzo.Parameter, error) {
	return st.doc.StepParameters(st.wf, step)
}

// operationParameter returns the operation's declaration of a parameter, or a default one (OpenAPI's
// default style for its location) for parameters the description does not declare, such as the
// Authorization header of an apiKey security scheme.
func operationParameter(op *openapi.Operation, name, in string) *openapi.Parameter {
	for _, p := range op.Parameters {
		if p.In == in && (p.Name == name || (in == "header" && strings.EqualFold(p.Name, name))) {
			return p
		}
	}
	style := "simple"
	if in == "query" || in == "cookie" {
		style = "form"
	}
	return &openapi.Parameter{Name: name, In: in, Style: style, Explode: style == "form"}
}

func joinURL(base, path, query string) string {
	u := strings.TrimSuffix(base, "/") + path
	if query != "" {
		if strings.Contains(u, "?") {
			u += "&" + query
		} else {
			u += "?" + query
		}
	}
	return u
}

func mediaTypeOf(ct string) string {
	if i := strings.IndexByte(ct, ';'); i >= 0 {
		ct = ct[:i]
	}
	return strings.ToLower(strings.TrimSpace(ct))
}

// decodeBody decodes a JSON response (by media type, or by shape when the server sent none) and keeps
// anything else as text, which is what xpath and regex criteria read.
func decodeBody(contentType string, b []byte) any {
	if len(b) == 0 {
		return nil
	}
	mt := mediaTypeOf(contentType)
	trimmed := bytes.TrimSpace(b)
	if isJSONMediaType(mt) || (mt == "" && len(trimmed) > 0 && (trimmed[0] == '{' || trimmed[0] == '[')) {
		if v, err := decodeJSON(b); err == nil {
			return v
		}
	}
	return string(b)
}

func isCredentialHeader(name string) bool {
	switch strings.ToLower(name) {
	case "authorization", "proxy-authorization", "cookie", "dpop", "x-api-key", "api-key", "x-auth-token":
		return true
	}
	return false
}
