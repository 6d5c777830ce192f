package webpage

import (
	"bytes"
	"mime"
	"path"
	"strings"
)

// knownType returns the Content-Type of the files appliance pages use,
// by extension, independent of the system's mime.types; "" for another.
// (A switch, not a map: a map is built by the package's initialiser, in
// every daemon of the one binary.)
func knownType(ext string) string {
	switch ext {
	case ".html", ".htm":
		return "text/html; charset=utf-8"
	case ".css":
		return "text/css; charset=utf-8"
	case ".js", ".mjs":
		return "text/javascript; charset=utf-8"
	case ".json", ".map":
		return "application/json"
	case ".txt":
		return "text/plain; charset=utf-8"
	case ".xml":
		return "application/xml"
	case ".svg":
		return "image/svg+xml"
	case ".png":
		return "image/png"
	case ".jpg", ".jpeg":
		return "image/jpeg"
	case ".gif":
		return "image/gif"
	case ".ico":
		return "image/x-icon"
	case ".webp":
		return "image/webp"
	case ".avif":
		return "image/avif"
	case ".woff":
		return "font/woff"
	case ".woff2":
		return "font/woff2"
	case ".ttf":
		return "font/ttf"
	case ".otf":
		return "font/otf"
	case ".pdf":
		return "application/pdf"
	case ".wasm":
		return "application/wasm"
	case ".webmanifest":
		return "application/manifest+json"
	}
	return ""
}

// contentType returns the Content-Type for a file name, by extension.
func contentType(name string) string {
	ext := strings.ToLower(path.Ext(name))
	if t := knownType(ext); t != "" {
		return t
	}
	if t := mime.TypeByExtension(ext); t != "" {
		return t
	}
	return "application/octet-stream"
}

// isTemplateExt reports whether ext is a text file's, whose variables
// are substituted as the original substituted them in every file it
// served.
func isTemplateExt(ext string) bool {
	switch ext {
	case ".html", ".htm", ".txt", ".css", ".js", ".json", ".xml", ".svg":
		return true
	}
	return false
}

// isTemplate reports whether a file's variables are substituted: a text
// file by its extension, and by its content (a NUL byte means binary: a
// misnamed image or font is served byte for byte).
func isTemplate(name string, data []byte) bool {
	return isTemplateExt(strings.ToLower(path.Ext(name))) && bytes.IndexByte(data, 0) < 0
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
