package postgres

import (
	"context"
	"errors"
	"log/slog"
)

// riverLogger keeps River's routine info lines (client started, leadership, ...) out of trama's log;
// its warnings and errors still come through, except the "context canceled" errors its maintenance
// services log while a replica shuts down, which would otherwise make every clean stop look like a
// failure.
func riverLogger(l *slog.Logger) *slog.Logger {
	return slog.New(minLevel{Handler: l.Handler(), min: slog.LevelWarn})
}

type minLevel struct {
	slog.Handler
	min slog.Level
}

func (h minLevel) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.min && h.Handler.Enabled(ctx, l)
}

func (h minLevel) Handle(ctx context.Context, r slog.Record) error {
	canceled := false
	r.Attrs(func(a slog.Attr) bool {
		switch v := a.Value.Any().(type) {
		case error:
			canceled = errors.Is(v, context.Canceled)
		case string: // River logs some errors as their text
			canceled = v == context.Canceled.Error()
		}
		return !canceled
	})
	if canceled {
		return nil
	}
	return h.Handler.Handle(ctx, r)
}

func (h minLevel) WithAttrs(a []slog.Attr) slog.Handler {
	return minLevel{Handler: h.Handler.WithAttrs(a), min: h.min}
}

func (h minLevel) WithGroup(n string) slog.Handler {
	return minLevel{Handler: h.Handler.WithGroup(n), min: h.min}
}
