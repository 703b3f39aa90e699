package console

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/trama-dev/trama/history"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// view is what every page template gets: the layout's parts and the page's own Body.
type view struct {
	Title string
	// Nav is the section the page belongs to (runs, events, flows), marked in the navigation.
	Nav string
	// Session is nil on pages shown before sign-in.
	Session *session
	CSRF    string
	// Live is the live-update stream of the page, "" when what it shows cannot change.
	Live string
	// Notice says what an action just did; Error what went wrong.
	Notice, Error string
	Body          any
	// Asset is the URL of a static file with its content hash, for caching.
	Asset map[string]string
	// ReadOnly hides the actions.
	ReadOnly bool
}

type pages struct {
	byName map[string]*template.Template
	assets map[string]string // file → URL with ?v=hash
	files  map[string][]byte
}

func loadPages() (*pages, error) {
	p := &pages{byName: map[string]*template.Template{}, assets: map[string]string{}, files: map[string][]byte{}}
	statics, err := fs.Glob(staticFS, "static/*")
	if err != nil {
		return nil, err
	}
	for _, f := range statics {
		b, err := staticFS.ReadFile(f)
		if err != nil {
			return nil, err
		}
		sum := sha256.Sum256(b)
		name := path.Base(f)
		p.files[name] = b
		p.assets[name] = Prefix + "static/" + name + "?v=" + hex.EncodeToString(sum[:6])
	}
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	for _, n := range names {
		base := strings.TrimSuffix(path.Base(n), ".html")
		if base == "layout" {
			continue
		}
		t, err := template.New(base).Funcs(funcs).ParseFS(templateFS, "templates/layout.html", n)
		if err != nil {
			return nil, fmt.Errorf("console: template %s: %w", n, err)
		}
		p.byName[base] = t
	}
	return p, nil
}

// render writes a page. It renders into a buffer first, so a template error is a clean 500 rather than
// half a page.
func (c *Console) render(w http.ResponseWriter, r *http.Request, status int, name string, v view) {
	t, ok := c.pages.byName[name]
	if !ok {
		http.Error(w, "console: no page "+name, http.StatusInternalServerError)
		return
	}
	if v.Session != nil {
		v.CSRF = v.Session.csrf(c.keys)
	}
	v.Asset = c.pages.assets
	v.ReadOnly = c.readOnly
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", v); err != nil {
		c.logger.Error("console: render", "page", name, "error", err)
		http.Error(w, "console: the page could not be shown: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// fail shows an error page that says what went wrong.
func (c *Console) fail(w http.ResponseWriter, r *http.Request, s *session, status int, msg string) {
	if s == nil {
		if ss, ok := c.sessionOf(r); ok {
			s = &ss
		}
	}
	c.render(w, r, status, "error", view{Title: http.StatusText(status), Session: s, Error: msg})
}

func (c *Console) static(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("file")
	b, ok := c.pages.files[name]
	if !ok {
		http.NotFound(w, r)
		return
	}
	switch path.Ext(name) {
	case ".css":
		w.Header().Set("Content-Type", "text/css; charset=utf-8")
	case ".js":
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	case ".svg":
		w.Header().Set("Content-Type", "image/svg+xml")
	}
	// The pages link each file with its content hash, so a cached copy is never stale.
	w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	w.Write(b)
}

var funcs = template.FuncMap{
	"when":    showTime,
	"whenp":   func(t *time.Time) string { return showTimePtr(t) },
	"iso":     func(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) },
	"ms":      showMs,
	"msp":     func(d *float64) string { return showMsPtr(d) },
	"pretty":  pretty,
	"blank":   blank,
	"status":  statusClass,
	"inc":     func(i int) int { return i + 1 },
	"join":    strings.Join,
	"outcome": history.Outcome,
	"dict": func(kv ...any) map[string]any {
		m := map[string]any{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[fmt.Sprint(kv[i])] = kv[i+1]
		}
		return m
	},
}

// showTime shows a time in UTC to the second, the way every time in the console is shown, so times on
// two pages (and in Okta's System Log) compare at a glance.
func showTime(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.UTC().Format("2006-01-02 15:04:05") + " UTC"
}

func showTimePtr(t *time.Time) string {
	if t == nil {
		return "—"
	}
	return showTime(*t)
}

func showMs(ms float64) string {
	switch {
	case ms >= 60000:
		return strconv.FormatFloat(ms/60000, 'f', 1, 64) + " min"
	case ms >= 1000:
		return strconv.FormatFloat(ms/1000, 'f', 2, 64) + " s"
	default:
		return strconv.FormatFloat(ms, 'f', 1, 64) + " ms"
	}
}

func showMsPtr(ms *float64) string {
	if ms == nil {
		return "—"
	}
	return showMs(*ms)
}

// maxShown bounds a body shown on a page; the history already truncates bodies at 8 KiB.
const maxShown = 64 << 10

// pretty indents JSON for reading; anything else is shown as it is.
func pretty(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	var buf bytes.Buffer
	if err := json.Indent(&buf, raw, "", "  "); err != nil {
		buf.Reset()
		buf.Write(raw)
	}
	s := buf.String()
	// A JSON string (a body that was not JSON) reads better unquoted.
	var str string
	if len(s) > 0 && s[0] == '"' && json.Unmarshal(raw, &str) == nil {
		s = str
	}
	if len(s) > maxShown {
		s = s[:maxShown] + "\n… (cut)"
	}
	return s
}

// blank reports whether a JSON value shows nothing: absent, null, {} or [].
func blank(raw json.RawMessage) bool {
	switch strings.TrimSpace(string(raw)) {
	case "", "null", "{}", "[]":
		return true
	}
	return false
}

// statusClass is the CSS class of a run or step status.
func statusClass(s string) string {
	switch s {
	case "succeeded":
		return "ok"
	case "failed":
		return "bad"
	case "uncertain", "waiting":
		return "attention"
	case "skipped":
		return "muted"
	default:
		return "busy"
	}
}
