package devtools

import (
	"reflect"
	"testing"

	"github.com/chromedp/cdproto/profiler"
	"github.com/chromedp/cdproto/runtime"
)

func TestTop(t *testing.T) {
	node := func(name, url string, col, hits int64) *profiler.ProfileNode {
		return &profiler.ProfileNode{CallFrame: &runtime.CallFrame{FunctionName: name, URL: url, ColumnNumber: col}, HitCount: hits}
	}
	p := &profiler.Profile{Nodes: []*profiler.ProfileNode{
		node("copyFrom", "http://h/static/xterm.js", 218203, 30),
		node("(program)", "", -1, 50),
		node("copyFrom", "http://h/static/xterm.js", 218203, 10), // the same function, another call path
		node("", "http://h/static/webssh.js", 46, 10),
	}}
	got := Top(p, 2)
	want := []string{" 50.0% (program)", " 40.0% copyFrom xterm.js:218203"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Top = %q, want %q", got, want)
	}
	if got := Top(p, 10); len(got) != 3 || got[2] != " 10.0% (anonymous) webssh.js:46" {
		t.Errorf("Top(10) = %q", got)
	}
	if got := Top(&profiler.Profile{}, 5); len(got) != 0 {
		t.Errorf("empty profile: %q", got)
	}
}
