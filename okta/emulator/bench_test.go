package emulator

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"
)

// BenchmarkEnrollActivate measures factor operations per second over loopback HTTP: each iteration is
// one TOTP enrollment and its activation (two factor operations) for a fresh user, with the System Log
// recording every activation and a verified event hook subscribed to user.mfa.factor.activate receiving
// the deliveries. The client computes the TOTP code from the returned secret, as a real client would.
func BenchmarkEnrollActivate(b *testing.B) {
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet {
			json.NewEncoder(w).Encode(map[string]string{"verification": r.Header.Get("X-Okta-Verification-Challenge")})
			return
		}
		io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusNoContent)
	}))
	defer hook.Close()

	users := make([]SeedUser, b.N)
	for i := range users {
		users[i] = SeedUser{Login: "bench" + strconv.Itoa(i) + "@example.com"}
	}
	srv := httptest.NewUnstartedServer(nil)
	srv.Start()
	defer srv.Close()
	e, err := New(Options{BaseURL: srv.URL, Users: users, Logger: discardLogger(), RateLimit: -1, AllowHTTPHooks: true,
		HookBatchWindow: 50 * time.Millisecond})
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close()
	srv.Config.Handler = e
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64, MaxConnsPerHost: 64}}
	call := func(method, path string, body []byte) []byte {
		req, _ := http.NewRequest(method, srv.URL+path, bytes.NewReader(body))
		req.Header.Set("Authorization", "SSWS "+e.Token())
		req.Header.Set("Content-Type", "application/json")
		res, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		data, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 200 {
			b.Fatalf("%s %s: %d %s", method, path, res.StatusCode, data)
		}
		return data
	}
	created := call("POST", "/api/v1/eventHooks", []byte(`{"name":"bench","events":{"type":"EVENT_TYPE","items":["user.mfa.factor.activate"]},`+
		`"channel":{"type":"HTTP","version":"1.0.0","config":{"uri":"`+hook.URL+`"}}}`))
	var h struct{ ID string }
	json.Unmarshal(created, &h)
	call("POST", "/api/v1/eventHooks/"+h.ID+"/lifecycle/verify", nil)

	e.mu.Lock()
	ids := make([]string, 0, b.N)
	for _, u := range e.order[1:] {
		ids = append(ids, u.ID)
	}
	e.mu.Unlock()
	enrollBody := []byte(`{"factorType":"token:software:totp","provider":"OKTA"}`)
	var next atomic.Int64
	b.SetParallelism(4)
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		var f struct {
			ID       string `json:"id"`
			Embedded struct {
				Activation struct {
					SharedSecret string `json:"sharedSecret"`
				} `json:"activation"`
			} `json:"_embedded"`
		}
		for pb.Next() {
			uid := ids[next.Add(1)-1]
			json.Unmarshal(call("POST", "/api/v1/users/"+uid+"/factors", enrollBody), &f)
			code, _ := totp.GenerateCode(f.Embedded.Activation.SharedSecret, e.Clock().Now())
			call("POST", "/api/v1/users/"+uid+"/factors/"+f.ID+"/lifecycle/activate", []byte(`{"passCode":"`+code+`"}`))
		}
	})
	elapsed := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(2*b.N)/elapsed.Seconds(), "factor-ops/s")
}

// BenchmarkEnrollActivateInProcess is BenchmarkEnrollActivate without the network: requests go
// straight to ServeHTTP, which isolates the emulator's own cost per factor operation.
func BenchmarkEnrollActivateInProcess(b *testing.B) {
	users := make([]SeedUser, b.N)
	for i := range users {
		users[i] = SeedUser{Login: "bench" + strconv.Itoa(i) + "@example.com"}
	}
	e, err := New(Options{Users: users, Logger: discardLogger(), RateLimit: -1})
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close()
	e.mu.Lock()
	ids := make([]string, 0, b.N)
	for _, u := range e.order[1:] {
		ids = append(ids, u.ID)
	}
	e.mu.Unlock()
	auth := "SSWS " + e.Token()
	call := func(path string, body []byte) []byte {
		req := httptest.NewRequest("POST", path, bytes.NewReader(body))
		req.Header.Set("Authorization", auth)
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, req)
		if rec.Code != 200 {
			b.Fatalf("%s: %d %s", path, rec.Code, rec.Body)
		}
		return rec.Body.Bytes()
	}
	enrollBody := []byte(`{"factorType":"token:software:totp","provider":"OKTA"}`)
	var next atomic.Int64
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		var f struct {
			ID       string `json:"id"`
			Embedded struct {
				Activation struct {
					SharedSecret string `json:"sharedSecret"`
				} `json:"activation"`
			} `json:"_embedded"`
		}
		for pb.Next() {
			uid := ids[next.Add(1)-1]
			json.Unmarshal(call("/api/v1/users/"+uid+"/factors", enrollBody), &f)
			code, _ := totp.GenerateCode(f.Embedded.Activation.SharedSecret, e.Clock().Now())
			call("/api/v1/users/"+uid+"/factors/"+f.ID+"/lifecycle/activate", []byte(`{"passCode":"`+code+`"}`))
		}
	})
	b.ReportMetric(float64(2*b.N)/time.Since(start).Seconds(), "factor-ops/s")
}
