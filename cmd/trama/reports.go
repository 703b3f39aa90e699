package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/trama-dev/trama/report"
	"github.com/trama-dev/trama/runner"
	"github.com/trama-dev/trama/secret"
)

// harRecorder collects a run's HTTP exchanges for --har.
type harRecorder struct{ har *report.HAR }

func newHARRecorder(version string) *harRecorder {
	return &harRecorder{har: report.NewHAR(version)}
}

func (h *harRecorder) add(x runner.Exchange, secrets *secret.Set) {
	if x.Request == nil {
		return // a message of an AsyncAPI step: not HTTP, so not in an HTTP archive
	}
	h.har.Secrets = secrets
	h.har.Add(report.Exchange{
		Start: x.Start, Duration: x.Duration,
		Request: x.Request, RequestBody: x.RequestBody,
		Response: x.Response, ResponseBody: x.ResponseBody,
		Err: x.Err, Comment: x.StepID,
	})
}

// writeReports writes --har and --junit, each through a temporary file renamed into place so a crash
// never leaves half a report.
func writeReports(f runFlags, obs *cliObserver, res *runner.Result, secrets *secret.Set) error {
	if f.har != "" && obs.har != nil {
		obs.har.har.Secrets = secrets
		if err := writeFileAtomic(f.har, obs.har.har.WriteTo); err != nil {
			return fmt.Errorf("--har: %w", err)
		}
	}
	if f.junit != "" {
		j := &report.JUnit{Secrets: secrets}
		suite := report.Suite{Name: res.WorkflowID, Duration: res.Duration}
		for _, s := range res.Steps {
			c := report.Case{Name: s.StepID, Class: s.WorkflowID, Duration: time.Duration(s.DurationMs * float64(time.Millisecond)), Status: report.Passed}
			switch {
			case s.Status == runner.StatusSucceeded:
			case s.Response == nil && s.Request != nil:
				c.Status, c.Message = report.Errored, s.Error
			default:
				c.Status, c.Message = report.Failed, s.Error
			}
			if s.Request != nil {
				c.Output = s.Request.Method + " " + s.Request.URL
				if s.Response != nil {
					c.Output += fmt.Sprintf(" → %d", s.Response.StatusCode)
				}
			}
			suite.Steps = append(suite.Steps, c)
		}
		j.Add(suite)
		if err := writeFileAtomic(f.junit, j.WriteTo); err != nil {
			return fmt.Errorf("--junit: %w", err)
		}
	}
	return nil
}

func writeFileAtomic(path string, write func(w io.Writer) (int64, error)) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := write(tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// checkWritable refuses, before anything is sent, a report path that cannot be written: a directory
// that does not exist or is not writable, or a path that is a directory.
func checkWritable(flag, path string) error {
	if path == "" {
		return nil
	}
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return usageErr("--%s %s: is a directory; name a file", flag, path)
	}
	dir := filepath.Dir(path)
	fi, err := os.Stat(dir)
	if err != nil || !fi.IsDir() {
		return usageErr("--%s %s: directory %s does not exist", flag, path, dir)
	}
	probe, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*")
	if err != nil {
		return usageErr("--%s %s: cannot write in %s: %v", flag, path, dir, errors.Unwrap(err))
	}
	probe.Close()
	os.Remove(probe.Name())
	return nil
}
