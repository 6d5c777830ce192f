// Package devtools holds what the browser benchmarks ask of Chromium's
// DevTools protocol beyond chromedp: Quiet turns off the reporting that
// chromedp turns on in every tab, and StartProfile / StopProfile sample
// the page's main thread for the -profile flags.
package devtools

import (
	"context"
	"fmt"
	"path"
	"sort"

	"github.com/chromedp/cdproto/css"
	"github.com/chromedp/cdproto/dom"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/profiler"
	"github.com/chromedp/chromedp"
)

// Quiet turns off the Network, DOM and CSS domains, which chromedp turns
// on in every tab it attaches to: with them on, the browser reports every
// websocket frame (with its payload), every response chunk and every
// change to the DOM to this program, work done on the page's own threads
// that users, who have no DevTools open, never pay. Call it on a tab
// before its page loads; what the benchmarks do after it (Navigate,
// Evaluate, input events, the profiler) needs none of the three.
func Quiet(ctx context.Context) error {
	if err := chromedp.Run(ctx, network.Disable(), dom.Disable(), css.Disable()); err != nil {
		return fmt.Errorf("turn DevTools reporting off: %w", err)
	}
	return nil
}

// StartProfile starts sampling every 200 µs in the tab of ctx.
func StartProfile(ctx context.Context) error {
	if err := chromedp.Run(ctx, profiler.Enable(), profiler.SetSamplingInterval(200), profiler.Start()); err != nil {
		return fmt.Errorf("start the profiler: %w", err)
	}
	return nil
}

// StopProfile stops sampling in the tab of ctx and returns the n functions that
// took the most samples of their own, hottest first, each as
// "12.3% name file:column" ("(program)" is the browser's own work:
// style, layout, paint, messages; "(idle)" is time waiting).
func StopProfile(ctx context.Context, n int) ([]string, error) {
	var p *profiler.Profile
	if err := chromedp.Run(ctx, chromedp.ActionFunc(func(ctx context.Context) (err error) {
		p, err = profiler.Stop().Do(ctx)
		return err
	})); err != nil {
		return nil, fmt.Errorf("stop the profiler: %w", err)
	}
	return Top(p, n), nil
}

// Top sums p's samples by function and returns the n hottest (see StopProfile).
func Top(p *profiler.Profile, n int) []string {
	self := map[string]int64{}
	var total int64
	for _, node := range p.Nodes {
		f := node.CallFrame
		name := f.FunctionName
		if name == "" {
			name = "(anonymous)"
		}
		where := ""
		if f.URL != "" {
			where = fmt.Sprintf(" %s:%d", path.Base(f.URL), f.ColumnNumber)
		}
		self[name+where] += node.HitCount
		total += node.HitCount
	}
	names := make([]string, 0, len(self))
	for k := range self {
		names = append(names, k)
	}
	sort.Slice(names, func(i, j int) bool {
		if self[names[i]] != self[names[j]] {
			return self[names[i]] > self[names[j]]
		}
		return names[i] < names[j]
	})
	out := make([]string, 0, min(n, len(names)))
	for _, k := range names[:min(n, len(names))] {
		out = append(out, fmt.Sprintf("%5.1f%% %s", 100*float64(self[k])/float64(max(total, 1)), k))
	}
	return out
}
