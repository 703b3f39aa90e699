package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/trama-dev/trama/inputhelper"
	"github.com/trama-dev/trama/runner"
	"github.com/trama-dev/trama/secret"
)

// terminalPrompt asks the person at the terminal for an input the workflow needs now. For a TOTP
// enrollment it first shows the shared secret and an otpauth:// URI from the enrollment response, so the
// person can add the factor to an authenticator app and type the code it shows.
type terminalPrompt struct {
	in  io.Reader
	out io.Writer
	r   *bufio.Reader
}

func (p *terminalPrompt) Input(ctx context.Context, req runner.InputRequest) (any, error) {
	if p.r == nil {
		p.r = bufio.NewReader(p.in)
	}
	fmt.Fprintf(p.out, "\nStep %q needs input %q", req.StepID, req.Name)
	if d, _ := req.Schema["description"].(string); d != "" {
		fmt.Fprintf(p.out, " (%s)", d)
	}
	fmt.Fprintln(p.out, ".")
	if e, ok := inputhelper.FindTOTP(req); ok {
		fmt.Fprintf(p.out, "  An earlier step enrolled a TOTP factor. Add it to an authenticator app:\n")
		fmt.Fprintf(p.out, "    secret: %s\n    uri:    %s\n", e.Secret, e.URI())
	}
	if secret.IsSecretName(req.Name) {
		fmt.Fprintln(p.out, "  (what you type is shown; it is masked in all output)")
	}
	fmt.Fprintf(p.out, "%s: ", req.Name)
	type answer struct {
		line string
		err  error
	}
	ch := make(chan answer, 1)
	go func() {
		line, err := p.r.ReadString('\n')
		ch <- answer{line, err}
	}()
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case a := <-ch:
		line := strings.TrimRight(a.line, "\r\n")
		if a.err != nil && line == "" {
			return nil, fmt.Errorf("no answer on the terminal: %w", a.err)
		}
		return line, nil
	}
}
