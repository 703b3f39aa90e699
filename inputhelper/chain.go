package inputhelper

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/trama-dev/trama/runner"
	"github.com/trama-dev/trama/secret"
)

// Chain tries each helper in order and returns the first answer; when none answers, the error lists
// why each declined.
type Chain []runner.InputProvider

// Input asks each helper in turn.
func (c Chain) Input(ctx context.Context, req runner.InputRequest) (any, error) {
	var errs []error
	for _, p := range c {
		v, err := p.Input(ctx, req)
		if err == nil {
			return v, nil
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		errs = append(errs, err)
	}
	if len(errs) == 0 {
		return nil, fmt.Errorf("no input helper is configured for %q", req.Name)
	}
	return nil, errors.Join(errs...)
}

// Parse turns a spec into a helper: "totp", "okta-emulator=URL", or a command line. secrets masks what
// a command helper is shown; it may be nil.
func Parse(spec string, secrets *secret.Set) (runner.InputProvider, error) {
	spec = strings.TrimSpace(spec)
	switch {
	case spec == "":
		return nil, errors.New("an input helper is a name (totp, okta-emulator=URL) or a command line, not empty")
	case spec == "totp":
		return TOTP{}, nil
	case spec == "okta-emulator":
		return nil, errors.New(`okta-emulator needs the emulator's URL: --input-helper okta-emulator=http://127.0.0.1:8080`)
	case strings.HasPrefix(spec, "okta-emulator="):
		u := strings.TrimSuffix(strings.TrimPrefix(spec, "okta-emulator="), "/")
		if !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
			return nil, fmt.Errorf("okta-emulator=%s: the emulator's URL starts with http:// or https://", u)
		}
		return &EmulatorDevice{BaseURL: u}, nil
	}
	return &Command{Line: spec, Secrets: secrets}, nil
}
