package runner_test

import (
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// testAPI is the loopback server behind testdata/api.openapi.yaml. It records how often each path was
// called so tests can prove what the runner sent (or did not send again).
type testAPI struct {
	mu          sync.Mutex
	items       int
	counter     int
	flakyCalls  int
	flakyFails  int    // how many of the first /flaky calls answer 429
	flakyHeader string // Retry-After value on those 429s ("" for none)
	calls       map[string]int
	lastAuth    string
	lastQuery   string
	lastXML     string // the last body POST /v1/orders.xml received
	srv         *httptest.Server
}

func newTestAPI(t testing.TB) *testAPI {
	a := &testAPI{calls: map[string]int{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/items", func(w http.ResponseWriter, r *http.Request) {
		var body any
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		a.mu.Lock()
		a.items++
		id := fmt.Sprintf("item-%d", a.items)
		a.mu.Unlock()
		writeJSON(w, 200, map[string]any{"id": id, "received": body})
	})
	mux.HandleFunc("GET /v1/items/{id}", func(w http.ResponseWriter, r *http.Request) {
		if d, err := time.ParseDuration(r.URL.Query().Get("delay")); err == nil {
			select {
			case <-time.After(d):
			case <-r.Context().Done():
				return
			}
		}
		a.mu.Lock()
		a.lastQuery = r.URL.RawQuery
		a.mu.Unlock()
		w.Header().Set("X-Item-Etag", `W/"abc123"`)
		writeJSON(w, 200, map[string]any{"id": r.PathValue("id"), "status": "ACTIVE", "count": 3, "name": "Widget"})
	})
	mux.HandleFunc("POST /v1/counter", func(w http.ResponseWriter, r *http.Request) {
		a.mu.Lock()
		a.counter++
		n := a.counter
		a.mu.Unlock()
		writeJSON(w, 200, map[string]any{"n": n})
	})
	mux.HandleFunc("GET /v1/flaky", func(w http.ResponseWriter, r *http.Request) {
		a.mu.Lock()
		a.flakyCalls++
		n, fail, hdr := a.flakyCalls, a.flakyCalls <= a.flakyFails, a.flakyHeader
		a.mu.Unlock()
		if fail {
			if hdr != "" {
				w.Header().Set("Retry-After", hdr)
			}
			writeJSON(w, 429, map[string]any{"errorCode": "E0000047", "errorSummary": "API call exceeded rate limit due to too many requests."})
			return
		}
		writeJSON(w, 200, map[string]any{"calls": n})
	})
	mux.HandleFunc("POST /v1/form", func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		body := map[string]any{}
		for k, v := range r.PostForm {
			if len(v) == 1 {
				body[k] = v[0]
			} else {
				body[k] = v
			}
		}
		writeJSON(w, 200, map[string]any{"body": body, "trace": r.Header.Get("X-Trace"), "contentType": r.Header.Get("Content-Type")})
	})
	mux.HandleFunc("POST /v1/upload", func(w http.ResponseWriter, r *http.Request) {
		mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
		if err != nil || mt != "multipart/form-data" {
			http.Error(w, "want multipart/form-data", 415)
			return
		}
		mr := multipart.NewReader(r.Body, params["boundary"])
		parts := map[string]any{}
		for {
			p, err := mr.NextPart()
			if err == io.EOF {
				break
			}
			if err != nil {
				http.Error(w, err.Error(), 400)
				return
			}
			b, _ := io.ReadAll(p)
			parts[p.FormName()] = map[string]any{"text": string(b), "type": p.Header.Get("Content-Type")}
		}
		writeJSON(w, 200, map[string]any{"parts": parts})
	})
	mux.HandleFunc("GET /v1/report.xml", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/xml")
		io.WriteString(w, `<?xml version="1.0"?><report><item id="1"><status>ok</status></item><item id="2"><status>late</status></item></report>`)
	})
	mux.HandleFunc("POST /v1/orders.xml", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		a.mu.Lock()
		a.lastXML = string(b)
		a.mu.Unlock()
		w.Header().Set("Content-Type", "application/xml")
		io.WriteString(w, `<stored at="2026-05-17">`+string(b)+`</stored>`)
	})
	mux.HandleFunc("GET /v1/whoami", func(w http.ResponseWriter, r *http.Request) {
		auth := r.Header.Get("Authorization")
		a.mu.Lock()
		a.lastAuth = auth
		a.lastQuery = r.URL.RawQuery
		a.mu.Unlock()
		if !strings.HasPrefix(auth, "SSWS ") {
			writeJSON(w, 401, map[string]any{"errorCode": "E0000011", "errorSummary": "Invalid token provided"})
			return
		}
		writeJSON(w, 200, map[string]any{"authorization": auth})
	})
	counted := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.mu.Lock()
		a.calls[r.Method+" "+r.URL.Path]++
		a.mu.Unlock()
		mux.ServeHTTP(w, r)
	})
	a.srv = httptest.NewServer(counted)
	t.Cleanup(a.srv.Close)
	return a
}

func (a *testAPI) count(key string) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.calls[key]
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
