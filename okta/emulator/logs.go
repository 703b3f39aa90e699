package emulator

import (
	"net/http"

	"github.com/trama-dev/trama/okta"
	"github.com/trama-dev/trama/okta/systemlog"
)

// listLogs answers GET /api/v1/logs. The System Log package does the querying; this handler adds the
// Link headers: self always, next whenever the page says there is more (for a polling request, always).
// The next link is the same query with after set and since dropped, because Okta refuses since together
// with after; until stays, so a bounded query stays bounded and ends.
func (e *Emulator) listLogs(rq *request) (int, any, error) {
	qs := rq.r.URL.Query()
	if qs.Get("after") != "" && qs.Get("since") != "" {
		// Okta's Go SDK follows a next link by re-sending the first request's parameters with after
		// added, so since and after arrive together; the cursor already encodes where to resume.
		qs.Del("since")
	}
	q, err := systemlog.ParseQuery(qs)
	if err != nil {
		return 0, nil, err
	}
	q.Now = rq.now
	page, err := e.log.Query(q)
	if err != nil {
		return 0, nil, err
	}
	h := rq.w.Header()
	self := e.opts.BaseURL + rq.r.URL.Path
	if rq.r.URL.RawQuery != "" {
		self += "?" + rq.r.URL.RawQuery
	}
	h.Add("Link", "<"+self+`>; rel="self"`)
	if page.HasNext {
		next := qs
		next.Del("since")
		next.Set("after", page.NextAfter)
		h.Add("Link", "<"+e.opts.BaseURL+rq.r.URL.Path+"?"+next.Encode()+`>; rel="next"`)
	}
	events := page.Events
	if events == nil {
		events = []okta.LogEvent{}
	}
	return http.StatusOK, events, nil
}
