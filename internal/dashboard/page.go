// The page and its files, embedded: index.html (with the token for the page's own requests), app.js, app.css, and the graph's style sheet.

package dashboard

import (
	"bytes"
	"embed"
	"html/template"
	"net/http"
)

//go:embed assets
var assetFS embed.FS

var indexTmpl = template.Must(template.ParseFS(assetFS, "assets/index.html"))

// staticFiles are served as they are, with their types.
var staticFiles = map[string]string{
	"app.js":      "text/javascript; charset=utf-8",
	"app.css":     "text/css; charset=utf-8",
	"favicon.svg": "image/svg+xml",
}

// pageRoutes serves the page, its files and /graph.css.
func (s *Server) pageRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /{$}", s.index)
	for name, ctype := range staticFiles {
		body, err := assetFS.ReadFile("assets/" + name)
		if err != nil {
			panic("dashboard: embedded asset missing: " + name) // a build without it is broken
		}
		mux.HandleFunc("GET /"+name, serveBytes(ctype, body))
	}
	mux.HandleFunc("GET /graph.css", serveBytes("text/css; charset=utf-8", []byte(graphCSS())))
}

func serveBytes(ctype string, body []byte) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", ctype)
		_, _ = w.Write(body)
	}
}

// index is the page, with the token in a meta element: the page sends it
// in HeaderToken on its changes. It is only ever served to a request that
// had the token.
func (s *Server) index(w http.ResponseWriter, _ *http.Request) {
	var b bytes.Buffer
	err := indexTmpl.Execute(&b, struct{ Token, Project, Kind string }{s.token, s.o.Project, s.o.Engine.Kind()})
	if err != nil {
		http.Error(w, "dashboard: rendering the page: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = w.Write(b.Bytes())
}
