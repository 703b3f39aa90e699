package server

import (
	"strings"
	"testing"
)

func TestDecodeResolve(t *testing.T) {
	for body, want := range map[string]string{
		`{"action":"resend","reason":"checked"}`: "",
		`{"action":"skip","by":"ann"}`:           "",
		`{"action":"maybe"}`:                     "action",
		`{"action":"fail","extra":1}`:            "unknown field",
		`{"action":"fail"}{"action":"fail"}`:     "one JSON object",
		`[]`:                                     "JSON object",
		``:                                       "JSON object",
	} {
		req, err := decodeResolve(strings.NewReader(body))
		switch {
		case want == "" && err != nil:
			t.Errorf("decodeResolve(%s): %v", body, err)
		case want == "" && req.By == "":
			t.Errorf("decodeResolve(%s) has no By", body)
		case want != "" && (err == nil || !strings.Contains(err.Error(), want)):
			t.Errorf("decodeResolve(%s) = %v, want an error about %s", body, err, want)
		}
	}
}

// FuzzDecodeResolve: any body decodes to a valid request or a clear error, never a panic.
func FuzzDecodeResolve(f *testing.F) {
	f.Add(`{"action":"resend","reason":"r","by":"b"}`)
	f.Add(`{"action":"skip"} `)
	f.Add(`{"action":`)
	f.Fuzz(func(t *testing.T, body string) {
		req, err := decodeResolve(strings.NewReader(body))
		if err == nil && (req.By == "" || (req.Action != "resend" && req.Action != "skip" && req.Action != "fail")) {
			t.Fatalf("decodeResolve(%q) accepted %+v", body, req)
		}
	})
}

func TestDecodeResume(t *testing.T) {
	for body, want := range map[string]string{
		`{"inputs":{"passCode":"123456"}}`:             "",
		`{"inputs":{"approved":true},"by":"ann"}`:      "",
		`{"inputs":{}}`:                                "at least one input",
		`{"inputs":{"passCode":"123456"},"extra":1}`:   "unknown field",
		`{"inputs":{"passCode":"123456"}}{"inputs":1}`: "found more",
		`{"inputs":"123456"}`:                          "is not",
		`{"inputs":{"passCode":"12345`:                 "want one JSON object",
		``:                                             "want one JSON object",
	} {
		req, err := decodeResume(strings.NewReader(body))
		switch {
		case want == "" && (err != nil || req.By == ""):
			t.Errorf("decodeResume(%s) = %+v, %v", body, req, err)
		case want != "" && (err == nil || !strings.Contains(err.Error(), want)):
			t.Errorf("decodeResume(%s) = %v, want an error about %s", body, err, want)
		case err != nil && strings.Contains(err.Error(), "123456"):
			t.Errorf("decodeResume(%s): the error repeats the value: %v", body, err)
		}
	}
}

// FuzzDecodeResume: any body decodes to a request with inputs or a clear error that never repeats it.
func FuzzDecodeResume(f *testing.F) {
	f.Add(`{"inputs":{"passCode":"123456"},"by":"b"}`)
	f.Add(`{"inputs":{"n":1.5e3}} `)
	f.Add(`{"inputs":`)
	f.Fuzz(func(t *testing.T, body string) {
		req, err := decodeResume(strings.NewReader(body))
		if err == nil && (req.By == "" || len(req.Inputs) == 0) {
			t.Fatalf("decodeResume(%q) accepted %+v", body, req)
		}
	})
}
