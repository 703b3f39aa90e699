package server

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/trama-dev/trama/history"
	"github.com/trama-dev/trama/report"
	"github.com/trama-dev/trama/store"
	"github.com/trama-dev/trama/worker"
)

// routeAPI adds the history API. Every route needs `Authorization: Bearer <api.token>`.
func (s *Server) routeAPI(mux *http.ServeMux) {
	mux.Handle("GET /api/v1/runs", s.authed(s.listRuns))
	mux.Handle("GET /api/v1/runs/{id}", s.authed(s.getRun))
	mux.Handle("POST /api/v1/runs/{id}/resolve", s.authed(s.resolveRun))
	mux.Handle("POST /api/v1/runs/{id}/resume", s.authed(s.resumeRun))
	mux.Handle("GET /api/v1/events", s.authed(s.listEvents))
	mux.Handle("GET /api/v1/events/{uuid}", s.authed(s.getEvent))
	mux.Handle("POST /api/v1/events/{uuid}/replay", s.authed(s.replayEvent))
	mux.Handle("GET /api/v1/deliveries", s.authed(s.listDeliveries))
	mux.Handle("GET /api/v1/deliveries/{id}", s.authed(s.getDelivery))
}

// authed checks the bearer token in constant time.
func (s *Server) authed(h http.HandlerFunc) http.Handler {
	want := []byte("Bearer " + s.cfg.API.Token)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got := []byte(r.Header.Get("Authorization"))
		if subtle.ConstantTimeCompare(got, want) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="trama"`)
			writeError(w, http.StatusUnauthorized, "missing or wrong bearer token (Authorization: Bearer <api.token>)")
			return
		}
		h(w, r)
	})
}

func page(r *http.Request) (store.Page, error) {
	p := store.Page{After: r.URL.Query().Get("after")}
	if l := r.URL.Query().Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 {
			return p, errors.New("limit: want a positive integer")
		}
		p.Limit = n
	}
	return p, nil
}

func (s *Server) listRuns(w http.ResponseWriter, r *http.Request) {
	f, err := history.ParseRunFilter(r.URL.Query())
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	runs, next, err := s.store.ListRuns(r.Context(), f)
	if err != nil {
		writeStoreError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, history.NewPage(runs, next, history.ListedRun))
}

func (s *Server) getRun(w http.ResponseWriter, r *http.Request) {
	run, err := history.ShowRun(r.Context(), s.store, r.PathValue("id"))
	if err != nil {
		writeStoreError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, run)
}

// maxResolveBody caps the body of a resolve request: an action and a short reason.
const maxResolveBody = 16 << 10

// resolveRun applies an operator's decision to an uncertain run: {"action": "resend"|"skip"|"fail",
// "reason": "…", "by": "…"}. The audit trail records by (default "api").
func (s *Server) resolveRun(w http.ResponseWriter, r *http.Request) {
	req, err := decodeResolve(http.MaxBytesReader(w, r.Body, maxResolveBody))
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	run, err := worker.Resolve(r.Context(), s.store, r.PathValue("id"), req.Action, req.By, req.Reason)
	if err != nil {
		writeStoreError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, history.FromRun(run, nil))
}

// resolveRequest is the body of POST /api/v1/runs/{id}/resolve.
type resolveRequest struct {
	Action string `json:"action"`
	Reason string `json:"reason"`
	By     string `json:"by"`
}

// decodeResolve reads a resolve request: one JSON object with a known action, no unknown fields; By
// defaults to "api".
func decodeResolve(body io.Reader) (resolveRequest, error) {
	var req resolveRequest
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return req, fmt.Errorf("want a JSON object {\"action\": \"resend\"|\"skip\"|\"fail\", \"reason\": \"…\"}: %v", err)
	}
	if dec.More() {
		return req, errors.New("want one JSON object, found more after it")
	}
	switch req.Action {
	case "resend", "skip", "fail":
	default:
		return req, fmt.Errorf("action %q: want resend, skip or fail", req.Action)
	}
	if req.By == "" {
		req.By = "api"
	}
	return req, nil
}

// resumeRun supplies the input a waiting run waits for: {"inputs": {"passCode": "123456"}, "by": "…"}.
// The audit trail records by (default "api"); the values never appear in the history.
func (s *Server) resumeRun(w http.ResponseWriter, r *http.Request) {
	req, err := decodeResume(http.MaxBytesReader(w, r.Body, maxResolveBody))
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	run, err := worker.Resume(r.Context(), s.store, r.PathValue("id"), req.Inputs, req.By)
	if err != nil {
		writeStoreError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, history.FromRun(run, nil))
}

// resumeRequest is the body of POST /api/v1/runs/{id}/resume.
type resumeRequest struct {
	Inputs map[string]any `json:"inputs"`
	By     string         `json:"by"`
}

// decodeResume reads a resume request: one JSON object with at least one input and no unknown fields;
// numbers stay exact; By defaults to "api". Errors never repeat the values sent.
func decodeResume(body io.Reader) (resumeRequest, error) {
	var req resumeRequest
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	dec.UseNumber()
	const want = `want one JSON object {"inputs": {"NAME": VALUE, …}, "by": "…"}`
	if err := dec.Decode(&req); err != nil {
		var syntax *json.SyntaxError
		var typ *json.UnmarshalTypeError
		switch {
		case errors.As(err, &syntax):
			return req, fmt.Errorf("%s: not JSON at byte %d", want, syntax.Offset)
		case errors.As(err, &typ):
			return req, fmt.Errorf("%s: %s is not %s", want, typ.Field, typ.Type)
		}
		if strings.HasPrefix(err.Error(), "json: unknown field") {
			return req, fmt.Errorf("%s: %s", want, strings.TrimPrefix(err.Error(), "json: "))
		}
		return req, fmt.Errorf("%s: the body ended early", want)
	}
	if dec.More() {
		return req, errors.New(want + ", found more after it")
	}
	if len(req.Inputs) == 0 {
		return req, errors.New(want + " with at least one input")
	}
	if req.By == "" {
		req.By = "api"
	}
	return req, nil
}

func (s *Server) listEvents(w http.ResponseWriter, r *http.Request) {
	f, err := history.ParseEventFilter(r.URL.Query())
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	events, next, err := s.store.ListEvents(r.Context(), f)
	if err != nil {
		writeStoreError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, history.NewPage(events, next, history.ListedEvent))
}

func (s *Server) getEvent(w http.ResponseWriter, r *http.Request) {
	ev, err := history.ShowEvent(r.Context(), s.store, r.PathValue("uuid"))
	if err != nil {
		writeStoreError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, ev)
}

func (s *Server) replayEvent(w http.ResponseWriter, r *http.Request) {
	n, err := s.store.Replay(r.Context(), r.PathValue("uuid"), "api")
	if err != nil {
		writeStoreError(w, err)
		return
	}
	writeJSON(w, http.StatusAccepted, map[string]any{"uuid": r.PathValue("uuid"), "replay": n})
}

func (s *Server) listDeliveries(w http.ResponseWriter, r *http.Request) {
	p, err := page(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	q := r.URL.Query()
	ds, next, err := s.store.ListDeliveries(r.Context(), store.DeliveryFilter{Hook: q.Get("hook"),
		Malformed: q.Get("malformed") == "true", Quarantined: q.Get("quarantined") == "true", Page: p})
	if err != nil {
		writeStoreError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, history.NewPage(ds, next, history.FromDelivery))
}

func (s *Server) getDelivery(w http.ResponseWriter, r *http.Request) {
	d, err := s.store.GetDelivery(r.Context(), r.PathValue("id"))
	if err != nil {
		writeStoreError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, history.FromDelivery(d))
}

func writeStoreError(w http.ResponseWriter, err error) {
	switch {
	case errors.Is(err, store.ErrNotFound):
		writeError(w, http.StatusNotFound, err.Error())
	case errors.Is(err, store.ErrInvalidCursor):
		writeError(w, http.StatusBadRequest, err.Error())
	case errors.Is(err, store.ErrConflict):
		writeError(w, http.StatusConflict, err.Error())
	default:
		writeError(w, http.StatusInternalServerError, "store: "+strings.SplitN(err.Error(), "\n", 2)[0])
	}
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	report.WriteJSON(w, v)
}
