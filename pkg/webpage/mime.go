package webpage

import (
	"bytes"
	"mime"
	"path"
	"strings"
)

// Content types of the files appliance pages use, independent of the
// system's mime.types.
var contentTypes = map[string]string{
	".html":        "text/html; charset=utf-8",
	".htm":         "text/html; charset=utf-8",
	".css":         "text/css; charset=utf-8",
	".js":          "text/javascript; charset=utf-8",
	".mjs":         "text/javascript; charset=utf-8",
	".json":        "application/json",
	".map":         "application/json",
	".txt":         "text/plain; charset=utf-8",
	".xml":         "application/xml",
	".svg":         "image/svg+xml",
	".png":         "image/png",
	".jpg":         "image/jpeg",
	".jpeg":        "image/jpeg",
	".gif":         "image/gif",
	".ico":         "image/x-icon",
	".webp":        "image/webp",
	".avif":        "image/avif",
	".woff":        "font/woff",
	".woff2":       "font/woff2",
	".ttf":         "font/ttf",
	".otf":         "font/otf",
	".pdf":         "application/pdf",
	".wasm":        "application/wasm",
	".webmanifest": "application/manifest+json",
}

// contentType returns the Content-Type for a file name, by extension.
func contentType(name string) string {
	ext := strings.ToLower(path.Ext(name))
	if t, ok := contentTypes[ext]; ok {
		return t
	}
	if t := mime.TypeByExtension(ext); t != "" {
		return t
	}
	return "application/octet-stream"
}

// templateExts are the text files whose variables are substituted, as
// the original substituted them in every file it served.
var templateExts = map[string]bool{
	".html": true, ".htm": true, ".txt": true, ".css": true,
	".js": true, ".json": true, ".xml": true, ".svg": true,
}

// isTemplate reports whether a file's variables are substituted: a text
// file by its extension, and by its content (a NUL byte means binary: a
// misnamed image or font is served byte for byte).
func isTemplate(name string, data []byte) bool {
	return templateExts[strings.ToLower(path.Ext(name))] && bytes.IndexByte(data, 0) < 0
}

// isHTML reports whether a file is an HTML page, whose Content-Type
// charset follows its own <meta> declaration.
func isHTML(name string) bool {
	ext := strings.ToLower(path.Ext(name))
	return ext == ".html" || ext == ".htm"
}

// isJS reports whether a file is a script, whose values are escaped for
// JavaScript string literals.
func isJS(name string) bool { return strings.ToLower(path.Ext(name)) == ".js" }
