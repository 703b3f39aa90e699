package server

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/trama-dev/trama/history"
	"github.com/trama-dev/trama/store"
)

// routeAPI adds the history API. Every route needs `Authorization: Bearer <api.token>`.
func (s *Server) routeAPI(mux *http.ServeMux) {
	mux.Handle("GET /api/v1/runs", s.authed(s.listRuns))
	mux.Handle("GET /api/v1/runs/{id}", s.authed(s.getRun))
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
	p, err := page(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	q := r.URL.Query()
	f := store.RunFilter{Status: store.RunStatus(q.Get("status")), Trigger: q.Get("trigger"), EventUUID: q.Get("event"), Page: p}
	runs, next, err := s.store.ListRuns(r.Context(), f)
	if err != nil {
		writeStoreError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, history.NewPage(runs, next, history.ListedRun))
}

func (s *Server) getRun(w http.ResponseWriter, r *http.Request) {
	run, err := s.store.GetRun(r.Context(), r.PathValue("id"))
	if err != nil {
		writeStoreError(w, err)
		return
	}
	steps, err := s.store.Steps(r.Context(), run.ID)
	if err != nil {
		writeStoreError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, history.FromRun(run, steps))
}

func (s *Server) listEvents(w http.ResponseWriter, r *http.Request) {
	p, err := page(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	q := r.URL.Query()
	events, next, err := s.store.ListEvents(r.Context(), store.EventFilter{Type: q.Get("type"), Source: store.Source(q.Get("source")), Page: p})
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
	ds, next, err := s.store.ListDeliveries(r.Context(), store.DeliveryFilter{Hook: q.Get("hook"), Malformed: q.Get("malformed") == "true", Page: p})
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
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}
