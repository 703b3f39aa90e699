package inputhelper

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"runtime"
	"strings"
	"time"

	"github.com/trama-dev/trama/runner"
	"github.com/trama-dev/trama/secret"
)

// DefaultCommandTimeout is how long a helper command may take: long enough for a person to approve a
// push on their phone or answer a chat message, short enough that a hung helper does not hold a run.
const DefaultCommandTimeout = 5 * time.Minute

// Command is a helper program. It is started once per input, by the shell (sh -c; cmd /C on Windows),
// reads one JSON object from stdin and prints the value on stdout:
//
//	{"workflowId": "...", "stepId": "...", "input": "passCode",
//	 "schema": {"type": "string", "description": "..."},
//	 "inputs": {...}, "steps": {"enrollFactor": {"outputs": {...}, "response": {...}}}}
//
// inputs, outputs and responses are masked as trama's reports are (tokens, passwords, keys, shared
// secrets become "****"). One trailing newline is trimmed from the value; the runner converts it to the
// input's schema type. An exit status other than 0 is a refusal, reported with the first line of stderr.
type Command struct {
	// Line is the command line.
	Line string
	// Secrets masks the values the run knows to be secret; nil masks by member name only.
	Secrets *secret.Set
	// Timeout bounds one call; 0 means DefaultCommandTimeout.
	Timeout time.Duration
}

// commandRequest is what a helper reads on stdin.
type commandRequest struct {
	WorkflowID string                 `json:"workflowId"`
	StepID     string                 `json:"stepId"`
	Input      string                 `json:"input"`
	Schema     map[string]any         `json:"schema,omitempty"`
	Inputs     any                    `json:"inputs"`
	Steps      map[string]commandStep `json:"steps"`
}

type commandStep struct {
	Outputs  any `json:"outputs,omitempty"`
	Response any `json:"response,omitempty"`
}

// Input runs the command for one input.
func (c *Command) Input(ctx context.Context, req runner.InputRequest) (any, error) {
	in := commandRequest{WorkflowID: req.WorkflowID, StepID: req.StepID, Input: req.Name, Schema: req.Schema,
		Inputs: secret.RedactJSON(req.Inputs, c.Secrets), Steps: map[string]commandStep{}}
	for id, outs := range req.StepOutputs {
		st := in.Steps[id]
		st.Outputs = secret.RedactJSON(outs, c.Secrets)
		in.Steps[id] = st
	}
	for id, body := range req.Responses {
		st := in.Steps[id]
		st.Response = secret.RedactJSON(body, c.Secrets)
		in.Steps[id] = st
	}
	stdin, err := json.Marshal(in)
	if err != nil {
		return nil, fmt.Errorf("input helper %q: encode the request: %w", c.Line, err)
	}
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = DefaultCommandTimeout
	}
	cctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := shell(cctx, c.Line)
	cmd.Stdin = bytes.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	// A helper that started children of its own must not keep the run waiting on their pipes.
	cmd.WaitDelay = time.Second
	err = cmd.Run()
	switch {
	case cctx.Err() != nil && ctx.Err() == nil:
		return nil, fmt.Errorf("input helper %q gave no answer for %q within %s", c.Line, req.Name, timeout)
	case ctx.Err() != nil:
		return nil, ctx.Err()
	case err != nil:
		var exit *exec.ExitError
		why := err.Error()
		if errors.As(err, &exit) {
			why = fmt.Sprintf("exit status %d", exit.ExitCode())
		}
		if line := firstLine(stderr.String()); line != "" {
			why += ": " + line
		}
		return nil, fmt.Errorf("input helper %q refused %q: %s", c.Line, req.Name, c.redact(why))
	}
	value := strings.TrimSuffix(strings.TrimSuffix(stdout.String(), "\n"), "\r")
	if value == "" {
		return nil, fmt.Errorf("input helper %q printed nothing for %q", c.Line, req.Name)
	}
	return value, nil
}

func (c *Command) redact(s string) string {
	if c.Secrets == nil {
		return s
	}
	return c.Secrets.Redact(s)
}

func shell(ctx context.Context, line string) *exec.Cmd {
	if runtime.GOOS == "windows" {
		return exec.CommandContext(ctx, "cmd", "/C", line)
	}
	return exec.CommandContext(ctx, "/bin/sh", "-c", line)
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	const max = 300
	if len(s) > max {
		s = s[:max] + "…"
	}
	return s
}
